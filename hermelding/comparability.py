"""Which percentages of the internal marts may be shown publicly at all, before disclosure control runs.

The internal marts keep every value with a column saying whether it is comparable or publishable (issue 11):
- hermelding_regio_periode, intergenerationeel_regio_periode: `lookback_volledig` is false for a period whose
  look-back reaches before the region's first delivered day (warm-up): the percentage is undercounted there;
- herhaling_cohort: `publiceerbaar` is false where the follow-up does not reach the horizon for every possible
  cohort member, or too few remain at risk (`reden_niet_publiceerbaar` says which).
The public marts leave those percentages empty; the flag column itself is published with them, so a reader sees
why a value is missing. The rules are the dbt models' (one home); this only applies them. It runs before the
disclosure engine and touches no count, so disclosure control works on the same counts as before.
"""

from __future__ import annotations

import pandas as pd

# mart -> (the boolean column that must be true, the percentage columns left empty otherwise)
REGELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "hermelding_regio_periode": (
        "lookback_volledig", ("hermelding_pct", "hermelding_pct_ci_onder", "hermelding_pct_ci_boven")),
    "intergenerationeel_regio_periode": (
        "lookback_volledig",
        ("eerder_als_minderjarige_pct", "eerder_als_minderjarige_pct_ci_onder", "eerder_als_minderjarige_pct_ci_boven")),
    "herhaling_cohort": (
        "publiceerbaar", ("cumulatief_pct", "cumulatief_pct_ci_onder", "cumulatief_pct_ci_boven")),
}


def mask_incomparable(mart: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the percentages of rows whose flag is not true set to empty (a missing flag counts as
    false: when in doubt, nothing is shown)."""
    vlag, kolommen = REGELS[mart]
    uit = frame.copy()
    toegestaan = uit[vlag].fillna(False).astype(bool)
    for kolom in kolommen:
        uit[kolom] = uit[kolom].where(toegestaan)
    return uit
