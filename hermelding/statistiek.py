"""The statistical constants and formulas the Python side of the project uses (public ratios, report, notebooks).

The internal marts compute the same in SQL (dbt_project/macros/statistiek.sql, macro `z_95`, `wilson_onder`,
`wilson_boven`); tests/test_definities.py checks that both give the same interval, so the two stay one rule.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

# exact standard normal quantiles, not the rounded 1.96 / 3.09
Z_95 = NormalDist().inv_cdf(0.975)
Z_998 = NormalDist().inv_cdf(0.999)


def wilson(x, n, teken: int, z: float = Z_95):
    """Wilson score interval bound for a proportion x/n, as a percentage: `teken` -1 lower, +1 upper."""
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        midden = (x + z**2 / 2) / (n + z**2)
        breedte = z * np.sqrt(np.clip(x * (n - x) / n + z**2 / 4, 0, None)) / (n + z**2)
        return 100 * (midden + teken * breedte)


def funnel_grenzen(p: float, n, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Control limits of a funnel plot around a reference proportion p (0..1) for areas with n cases each,
    as percentages clipped to [0, 100] (normal approximation to the binomial, as public-health funnel plots)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = 100 * np.sqrt(p * (1 - p) / n)
    return np.clip(100 * p - z * se, 0, None), np.clip(100 * p + z * se, None, 100)
