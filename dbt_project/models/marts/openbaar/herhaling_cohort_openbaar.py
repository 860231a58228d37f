"""Public variant of herhaling_cohort: disclosure control as CBS does (hermelding/disclosure.py)."""

from hermelding.comparability import mask_incomparable, mask_suppressed_at_risk
from hermelding.disclosure import openbare_mart


def model(dbt, session):
    dbt.config(materialized="table")
    openbaar = openbare_mart("herhaling_cohort", mask_incomparable("herhaling_cohort", dbt.ref("herhaling_cohort").df()),
                             dbt.ref("dim_gemeente").df(), dbt.config.get("afronding"), dbt.config.get("minimum_telling"))
    return mask_suppressed_at_risk("herhaling_cohort", openbaar)
