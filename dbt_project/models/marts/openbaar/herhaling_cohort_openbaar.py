"""Public variant of herhaling_cohort: disclosure control as CBS does (hermelding/disclosure.py).

D2 and D3 at the configured horizons are the monthly curve's cells (herhaling_curve_maand_openbaar, protected
there with every month): copied, so that one statistic is published once. D4(b) is protected here."""

from hermelding.comparability import mask_incomparable, publiceerbaar_openbaar
from hermelding.disclosure import openbare_mart_met_overname


def model(dbt, session):
    dbt.config(materialized="table")
    openbaar = openbare_mart_met_overname(
        "herhaling_cohort", mask_incomparable("herhaling_cohort", dbt.ref("herhaling_cohort").df()),
        dbt.ref("herhaling_curve_maand_openbaar").df(), dbt.ref("dim_gemeente").df(),
        dbt.config.get("afronding"), dbt.config.get("minimum_telling"),
        dbt.config.get("bevroren_release"))
    return publiceerbaar_openbaar("herhaling_cohort", openbaar, dbt.config.get("km_minimum_at_risk"))
