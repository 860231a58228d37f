"""Public variant of herhaling_curve_maand: the monthly Kaplan-Meier curve of D2 and D3 under disclosure control
as CBS does (hermelding/disclosure.py), every month of a cohort protected as one linked set."""

from hermelding.comparability import mask_incomparable, publiceerbaar_openbaar
from hermelding.disclosure import openbare_mart


def model(dbt, session):
    dbt.config(materialized="table")
    openbaar = openbare_mart(
        "herhaling_curve_maand", mask_incomparable("herhaling_curve_maand", dbt.ref("herhaling_curve_maand").df()),
        dbt.ref("dim_gemeente").df(), dbt.config.get("afronding"), dbt.config.get("minimum_telling"),
        dbt.config.get("bevroren_release"))
    return publiceerbaar_openbaar("herhaling_curve_maand", openbaar, dbt.config.get("km_minimum_at_risk"))
