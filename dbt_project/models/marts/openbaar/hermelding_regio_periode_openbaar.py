"""Public variant of hermelding_regio_periode: disclosure control as CBS does (hermelding/disclosure.py)."""

from hermelding.comparability import mask_incomparable
from hermelding.disclosure import openbare_mart


def model(dbt, session):
    dbt.config(materialized="table")
    return openbare_mart("hermelding_regio_periode", mask_incomparable("hermelding_regio_periode", dbt.ref("hermelding_regio_periode").df()), dbt.ref("dim_gemeente").df(),
                         dbt.config.get("afronding"), dbt.config.get("minimum_telling"),
        dbt.config.get("bevroren_release"))
