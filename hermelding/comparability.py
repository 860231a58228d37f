"""Which percentages of the internal marts may be shown publicly at all, before disclosure control runs.

The internal marts keep every value with a column saying whether it is comparable or publishable (issue 11):
- hermelding_regio_periode, intergenerationeel_regio_periode: `lookback_volledig` is false for a period whose
  look-back reaches before the region's first delivered day (warm-up): the percentage is undercounted there;
- herhaling_cohort, herhaling_curve_maand: `publiceerbaar` is false where the follow-up does not reach the horizon for every possible
  cohort member, or too few remain at risk (`reden_niet_publiceerbaar` says which).
The public marts leave those percentages empty; the flag column itself is published with them, so a reader sees
why a value is missing. The rules are the dbt models' (one home); this only applies them. It runs before the
disclosure engine and touches no count, so disclosure control works on the same counts as before.

One step runs after the engine (`mask_suppressed_at_risk`, Kaplan-Meier marts): whether a Kaplan-Meier percentage is publishable
depends on the number at risk (rounded), so where the engine suppressed that number, neither the flag, the reason
nor the presence of the percentage may say on which side of the minimum it lies.
"""

from __future__ import annotations

import pandas as pd

from hermelding.disclosure import VLAG_NIET_OPENBAAR, VLAG_ONDERDRUKT

# mart -> (the boolean column that must be true, the percentage columns left empty otherwise)
REGELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "hermelding_regio_periode": (
        "lookback_volledig", ("hermelding_pct", "hermelding_pct_ci_onder", "hermelding_pct_ci_boven")),
    "intergenerationeel_regio_periode": (
        "lookback_volledig",
        ("eerder_als_minderjarige_pct", "eerder_als_minderjarige_pct_ci_onder", "eerder_als_minderjarige_pct_ci_boven")),
    "herhaling_cohort": (
        "publiceerbaar", ("cumulatief_pct", "cumulatief_pct_ci_onder", "cumulatief_pct_ci_boven")),
    "herhaling_curve_maand": (
        "publiceerbaar", ("cumulatief_pct", "cumulatief_pct_ci_onder", "cumulatief_pct_ci_boven")),
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


REDEN_AT_RISK_ONDERDRUKT = "at_risk_onderdrukt"


def mask_suppressed_at_risk(mart: str, frame: pd.DataFrame) -> pd.DataFrame:
    """After disclosure control, the Kaplan-Meier marts (herhaling_cohort, herhaling_curve_maand) only: rows whose follow-up is complete but whose aantal_at_risk
    was suppressed get publiceerbaar false, reason `at_risk_onderdrukt` and no percentage (otherwise
    publiceerbaar / te_weinig_at_risk would reveal a bound on the suppressed count). Other marts: unchanged."""
    if mart not in KAPLAN_MEIER:
        return frame
    _, kolommen = REGELS[mart]
    uit = frame.copy()
    geraakt = uit["aantal_at_risk"].isna() & uit["volledige_followup"].fillna(False).astype(bool)
    for kolom in kolommen:
        uit[kolom] = uit[kolom].mask(geraakt)
        # the flag too: the engine marks a percentage withheld for too few at risk `niet_openbaar`; the same
        # flag here, or the flag would tell on which side of the minimum the suppressed number lies
        vlag = f"{kolom}_vlag"
        if vlag in uit:
            uit[vlag] = uit[vlag].mask(geraakt & (uit[vlag] != VLAG_ONDERDRUKT).fillna(True), VLAG_NIET_OPENBAAR)
    uit["publiceerbaar"] = uit["publiceerbaar"].mask(geraakt, False)
    uit["reden_niet_publiceerbaar"] = uit["reden_niet_publiceerbaar"].mask(geraakt, REDEN_AT_RISK_ONDERDRUKT)
    return uit
