"""Public variant of eerder_gezien_regio_periode ("gezinnen ooit eerder gezien"): disclosure control as CBS does
(hermelding/disclosure.py). meldingen, hermelding and vervolgmelding are hermelding_regio_periode_openbaar's cells
(one statistic, published once and identically): they keep what that table did with them, and eerder_gezien is
protected around them with D1's whole table (exact, and as published) in the same model."""

from hermelding.disclosure import openbare_mart_naast


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt reads the refs literally from this file
    bron = {"hermelding_regio_periode": (dbt.ref("hermelding_regio_periode").df(),
                                         dbt.ref("hermelding_regio_periode_openbaar").df())}
    return openbare_mart_naast(
        "eerder_gezien_regio_periode", dbt.ref("eerder_gezien_regio_periode").df(), bron,
        dbt.ref("dim_gemeente").df(), dbt.config.get("afronding"), dbt.config.get("minimum_telling"),
        dbt.config.get("bevroren_release"))
