"""Public variant of herhaling_besluit (D2 by besluit): disclosure control as CBS does (hermelding/disclosure.py).

The cohort and events totals are herhaling_cohort_openbaar's cells (one statistic, published once and
identically): they keep what that table did with them, and the parts per besluit are protected around them,
with D2's cohort table and monthly curve (exact and as published) in the same model, so that the protection sees
what an attacker holding every public table sees. A percentage per besluit is shown only with complete follow-up
and when the published cohort minus the published events of that besluit is at least km_minimum_at_risk, as in
herhaling_cohort_openbaar."""

import pandas as pd

from hermelding.disclosure import VLAG_NIET_OPENBAAR, openbare_mart_naast
from hermelding.reference import d2_besluit_delen


def model(dbt, session):
    dbt.config(materialized="table")

    def d2(frame):
        return frame[frame["definitie_id"] == "herhaalde_melding"].reset_index(drop=True)

    # dbt reads the refs literally from this file
    bron = {"herhaling_cohort": (dbt.ref("herhaling_cohort").df(), dbt.ref("herhaling_cohort_openbaar").df()),
            "herhaling_curve_maand": (dbt.ref("herhaling_curve_maand").df(),
                                      dbt.ref("herhaling_curve_maand_openbaar").df())}
    # D2's rows only, here and in the frozen release
    openbaar = openbare_mart_naast(
        "herhaling_besluit", dbt.ref("herhaling_besluit").df(), bron, dbt.ref("dim_gemeente").df(),
        dbt.config.get("afronding"), dbt.config.get("minimum_telling"), dbt.config.get("bevroren_release"),
        selectie=d2)
    minimum_at_risk = int(dbt.config.get("km_minimum_at_risk"))
    for besluit in d2_besluit_delen():
        cohort = pd.to_numeric(openbaar[f"cohort_omvang_{besluit}"], errors="coerce")
        gebeurtenissen = pd.to_numeric(openbaar[f"aantal_gebeurtenissen_{besluit}"], errors="coerce")
        # both shown but too few left at risk: withheld, as in herhaling_cohort_openbaar (reveals nothing more)
        te_weinig = (cohort.notna() & gebeurtenissen.notna() & (cohort - gebeurtenissen < minimum_at_risk)).to_numpy()
        for kolom in (f"cumulatief_pct_{besluit}", f"cumulatief_pct_{besluit}_ci_onder",
                      f"cumulatief_pct_{besluit}_ci_boven"):
            weg = te_weinig & openbaar[kolom].notna().to_numpy()
            openbaar[kolom] = openbaar[kolom].mask(weg)
            openbaar[f"{kolom}_vlag"] = openbaar[f"{kolom}_vlag"].mask(weg, VLAG_NIET_OPENBAAR)
    return openbaar
