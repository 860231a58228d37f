"""Public variant of herhaling_cohort: disclosure control as CBS does (hermelding/disclosure.py)."""

from hermelding.comparability import mask_incomparable
from hermelding.disclosure import openbare_mart


def model(dbt, session):
    dbt.config(materialized="table")
    return openbare_mart("herhaling_cohort", mask_incomparable("herhaling_cohort", dbt.ref("herhaling_cohort").df()), dbt.ref("dim_gemeente").df(),
                         dbt.config.get("afronding"), dbt.config.get("minimum_telling"))
