"""Public variant of intergenerationeel_regio_periode: disclosure control as CBS does (hermelding/disclosure.py)."""

from hermelding.comparability import mask_incomparable
from hermelding.disclosure import openbare_mart


def model(dbt, session):
    dbt.config(materialized="table")
    return openbare_mart("intergenerationeel_regio_periode", mask_incomparable("intergenerationeel_regio_periode", dbt.ref("intergenerationeel_regio_periode").df()), dbt.ref("dim_gemeente").df(),
                         dbt.config.get("afronding"), dbt.config.get("minimum_telling"),
        dbt.config.get("bevroren_release"))
