"""Which percentages of the internal marts may be shown publicly at all, before disclosure control runs.

The internal marts keep every value with a column saying whether it is comparable or publishable (issue 11):
- hermelding_regio_periode, intergenerationeel_regio_periode: `lookback_volledig` is false for a period whose
  look-back reaches before the region's first delivered day (warm-up): the percentage is undercounted there;
- herhaling_cohort, herhaling_curve_maand: `volledige_followup` is false where the follow-up does not reach the
  horizon for every possible cohort member.
The public marts leave those percentages empty; the flag column itself is published with them, so a reader sees
why a value is missing. The rules are the dbt models' (one home); this only applies them. It runs before the
disclosure engine and touches no count, so disclosure control works on the same counts as before.

One step runs after the engine (`publiceerbaar_openbaar`, Kaplan-Meier marts): the internal rule 'enough members at
risk' (`publiceerbaar`) compares the exact number at risk, which is not public, with the minimum; publicly the same
rule is applied to the published counts, so that neither the flag, the reason nor the presence of the percentage
says more than those counts.
"""

from __future__ import annotations

import pandas as pd

from hermelding.disclosure import VLAG_NIET_OPENBAAR

# mart -> (the boolean column that must be true, the percentage columns left empty otherwise)
REGELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "hermelding_regio_periode": (
        "lookback_volledig", ("hermelding_pct", "hermelding_pct_ci_onder", "hermelding_pct_ci_boven")),
    "intergenerationeel_regio_periode": (
        "lookback_volledig",
        ("eerder_als_minderjarige_pct", "eerder_als_minderjarige_pct_ci_onder", "eerder_als_minderjarige_pct_ci_boven")),
    # the Kaplan-Meier marts: before disclosure control only the follow-up (dates); the minimum at risk is applied
    # afterwards to the published counts (`publiceerbaar_openbaar`)
    "herhaling_cohort": (
        "volledige_followup", ("cumulatief_pct", "cumulatief_pct_ci_onder", "cumulatief_pct_ci_boven")),
    "herhaling_curve_maand": (
        "volledige_followup", ("cumulatief_pct", "cumulatief_pct_ci_onder", "cumulatief_pct_ci_boven")),
}
# the Kaplan-Meier marts: publishability depends on the number at risk
KAPLAN_MEIER = ("herhaling_cohort", "herhaling_curve_maand")


def mask_incomparable(mart: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the percentages of rows whose flag is not true set to empty (a missing flag counts as
    false: when in doubt, nothing is shown)."""
    vlag, kolommen = REGELS[mart]
    uit = frame.copy()
    toegestaan = uit[vlag].fillna(False).astype(bool)
    for kolom in kolommen:
        uit[kolom] = uit[kolom].where(toegestaan)
    return uit


REDEN_FOLLOWUP = "followup_onvolledig"
REDEN_TE_WEINIG = "te_weinig_at_risk"
REDEN_ONDERDRUKT = "aantal_onderdrukt"


def publiceerbaar_openbaar(mart: str, frame: pd.DataFrame, km_minimum_at_risk) -> pd.DataFrame:
    """After disclosure control, the Kaplan-Meier marts (herhaling_cohort, herhaling_curve_maand) only: whether the
    percentage is shown, decided on the published counts alone. The number at risk is not public (with complete
    follow-up it is about the cohort minus the events, so it would give away suppressed event counts), and the
    internal `publiceerbaar` compares the exact number at risk with the minimum, so publishing it would reveal a
    bound on that number. Publicly the number at risk is the published cohort minus the published events (with
    complete follow-up nobody is censored); the percentage is shown when follow-up is complete, both counts are
    shown and that difference is at least `km_minimum_at_risk`. `publiceerbaar` and `reden_niet_publiceerbaar`
    say so: followup_onvolledig, aantal_onderdrukt (a count is suppressed) or te_weinig_at_risk. Other marts:
    unchanged."""
    if mart not in KAPLAN_MEIER:
        return frame
    _, kolommen = REGELS[mart]
    uit = frame.copy()
    volledig = uit["volledige_followup"].fillna(False).astype(bool)
    cohort = pd.to_numeric(uit["cohort_omvang"], errors="coerce")
    gebeurtenissen = pd.to_numeric(uit["aantal_gebeurtenissen"], errors="coerce")
    getoond = cohort.notna() & gebeurtenissen.notna()
    genoeg = (cohort - gebeurtenissen >= int(km_minimum_at_risk)).fillna(False).astype(bool)
    uit["publiceerbaar"] = volledig & getoond & genoeg
    uit["reden_niet_publiceerbaar"] = pd.Series(
        pd.NA, index=uit.index, dtype="string").mask(~volledig, REDEN_FOLLOWUP).mask(
        volledig & ~getoond, REDEN_ONDERDRUKT).mask(volledig & getoond & ~genoeg, REDEN_TE_WEINIG)
    ingehouden = volledig & getoond & ~genoeg
    for kolom in kolommen:
        uit[kolom] = uit[kolom].mask(~uit["publiceerbaar"])
        vlag = f"{kolom}_vlag"
        if vlag in uit:  # withheld for too few at risk: never shown (its counts are, so this reveals nothing)
            uit[vlag] = uit[vlag].mask(ingehouden, VLAG_NIET_OPENBAAR)
    return uit
