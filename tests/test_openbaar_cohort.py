"""Disclosure control of a Kaplan-Meier cohort table of persons (D3, D4b): on simulated persons, no suppressed
count can be narrowed below the threshold by an attacker who knows what the definitions imply. The attacker is
written here, independently of hermelding/attack.py: its own relations and scipy's linprog.

What the attacker knows besides the rounding and the additive relations (a region is the sum of its
municipalities, the cohort size is one number over the horizons, events do not decrease with the horizon):
- a person is counted in a period by the first appearance in it, so a year's count (cohort and events) is at least
  its first half year's and at most the sum of its half years' (issue: attacker trial F2);
- with complete follow-up nobody is censored, so events + at risk = cohort: a published number at risk would give
  every suppressed event count away (F1), which is why it is not published."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from hermelding.disclosure import SPECIFICATIES, VLAG_NIET_OPENBAAR, openbaar, regio_ouders

SPEC = SPECIFICATIES["herhaling_cohort"]
GEMEENTEN = [f"GM{9000 + i}" for i in range(4)]
PERIODEN = ["2024HJ01", "2024HJ02", "2024JJ00"]
HORIZONS = [6, 12]


def personen(seed: int, n: int = 120, soorten=(0.45, 0.35, 0.2), kans: float = 0.35) -> pd.DataFrame:
    """`n` persons with a municipality, the half years they appear in (only the first, only the second, both:
    `soorten`), and per appearance the month of the next event (inf: none; an event with probability `kans`).
    Small municipalities, so that many counts are under the threshold."""
    rng = np.random.default_rng(seed)
    p = pd.DataFrame({"gemeente": rng.choice(GEMEENTEN, n, p=[0.4, 0.3, 0.2, 0.1])})
    soort = rng.choice(3, n, p=list(soorten))
    p["hj1"], p["hj2"] = soort != 1, soort != 0
    for hj in ("hj1", "hj2"):
        p[f"maand_{hj}"] = np.where(rng.random(n) < kans, rng.integers(1, 13, n), np.inf)
    return p


def cohort_mart(p: pd.DataFrame) -> pd.DataFrame:
    """The mart as dbt makes it: per municipality, period and horizon the persons whose first appearance in the
    period is there, the events up to the horizon and those still at risk (complete follow-up: no censoring)."""
    index = {"2024HJ01": (p.hj1, p.maand_hj1), "2024HJ02": (p.hj2, p.maand_hj2),
             "2024JJ00": (p.hj1 | p.hj2, p.maand_hj1.where(p.hj1, p.maand_hj2))}  # the year: the first half year's
    rijen = []
    for periode, (in_cohort, maand) in index.items():
        for h in HORIZONS:
            deel = pd.DataFrame({"regiocode": p.gemeente, "lid": in_cohort.astype(int),
                                 "gebeurtenis": (in_cohort & (maand <= h)).astype(int)})
            som = deel.groupby("regiocode", as_index=False).sum()
            rijen.append(som.assign(cohort_periode=periode, horizon_maanden=h))
    gm = pd.concat(rijen, ignore_index=True).assign(regiotype="gemeente")
    vt = gm.groupby(["cohort_periode", "horizon_maanden"], as_index=False)[["lid", "gebeurtenis"]].sum()
    mart = pd.concat([gm, vt.assign(regiotype="vt_regio", regiocode="VT99"),
                      vt.assign(regiotype="totaal", regiocode="NL01")], ignore_index=True)
    mart = mart.rename(columns={"lid": "cohort_omvang", "gebeurtenis": "aantal_gebeurtenissen"})
    mart["aantal_at_risk"] = mart.cohort_omvang - mart.aantal_gebeurtenissen
    mart[["cohort_omvang", "aantal_gebeurtenissen", "aantal_at_risk"]] = mart[
        ["cohort_omvang", "aantal_gebeurtenissen", "aantal_at_risk"]].astype(float)
    mart["definitie_id"] = "recidive_pleger"
    mart["volledige_followup"] = True
    mart["uitgesloten_onbekend_geboortejaar"] = np.nan
    mart["rol_onbekend_pct"] = np.nan
    pct = 100 * mart.aantal_gebeurtenissen / mart.cohort_omvang.where(mart.cohort_omvang > 0)
    for kolom in ("cumulatief_pct", "cumulatief_pct_ci_onder", "cumulatief_pct_ci_boven"):
        mart[kolom] = pct
    return mart


def aanval(mart: pd.DataFrame, pub: pd.DataFrame) -> pd.DataFrame:
    """For every suppressed count the smallest and largest true value consistent with everything public (LP)."""
    kolommen = [k for k in ("cohort_omvang", "aantal_gebeurtenissen", "aantal_at_risk") if pub[k].notna().any()]
    sleutel = ["regiocode", "cohort_periode", "horizon_maanden"]
    lang = pub.melt(id_vars=sleutel, value_vars=kolommen, var_name="kolom", value_name="w").merge(
        mart.melt(id_vars=sleutel, value_vars=kolommen, var_name="kolom", value_name="x"), on=[*sleutel, "kolom"])
    # one unknown per statistic: the cohort size is one number over the horizons
    lang.loc[lang.kolom == "cohort_omvang", "horizon_maanden"] = 0
    lang = lang.drop_duplicates([*sleutel, "kolom"]).reset_index(drop=True)
    cel = {tuple(r): i for i, r in enumerate(lang[[*sleutel, "kolom"]].itertuples(index=False))}

    def c(regio, periode, h, kolom):
        return cel[(regio, periode, 0 if kolom == "cohort_omvang" else h, kolom)]

    a_eq, a_ub = [], []  # rows: {cell: coef}; equality = 0, inequality <= 0

    def rij(coefs: dict, gelijk: bool):
        (a_eq if gelijk else a_ub).append(coefs)

    for p in PERIODEN:
        for h in HORIZONS:
            for regio in [*GEMEENTEN, "VT99", "NL01"]:
                rij({c(regio, p, h, "aantal_gebeurtenissen"): 1, c(regio, p, h, "cohort_omvang"): -1}, False)
                if "aantal_at_risk" in kolommen:  # complete follow-up: events + at risk = cohort
                    rij({c(regio, p, h, "aantal_gebeurtenissen"): 1, c(regio, p, h, "aantal_at_risk"): 1,
                         c(regio, p, h, "cohort_omvang"): -1}, True)
            for k in kolommen:
                rij({c("VT99", p, h, k): 1, **{c(g, p, h, k): -1 for g in GEMEENTEN}}, True)
                rij({c("NL01", p, h, k): 1, c("VT99", p, h, k): -1}, True)
        for regio in [*GEMEENTEN, "VT99", "NL01"]:
            rij({c(regio, p, 6, "aantal_gebeurtenissen"): 1, c(regio, p, 12, "aantal_gebeurtenissen"): -1}, False)
    for regio in [*GEMEENTEN, "VT99", "NL01"]:
        for h in HORIZONS:
            for k in ("cohort_omvang", "aantal_gebeurtenissen"):
                jaar, hj1, hj2 = (c(regio, p, h, k) for p in ("2024JJ00", "2024HJ01", "2024HJ02"))
                rij({hj1: 1, jaar: -1}, False)  # first half year <= year
                rij({jaar: 1, hj1: -1, hj2: -1}, False)  # year <= both half years

    def matrix(rijen):
        m = np.zeros((max(len(rijen), 1), len(lang)))
        for i, coefs in enumerate(rijen):
            for j, v in coefs.items():
                m[i, j] += v
        return m

    a_eq_m, a_ub_m = matrix(a_eq), matrix(a_ub)
    w = lang.w.astype(float).to_numpy()
    grenzen = [(0, None) if np.isnan(v) else (max(0.0, v - 2), v + 2) for v in w]
    uit = []
    for i in np.flatnonzero(np.isnan(w)):
        doel = np.zeros(len(lang))
        doel[i] = 1
        grens = []
        for teken in (1, -1):
            r = linprog(teken * doel, A_ub=a_ub_m, b_ub=np.zeros(len(a_ub_m)), A_eq=a_eq_m,
                        b_eq=np.zeros(len(a_eq_m)), bounds=grenzen, method="highs")
            assert r.status in (0, 3), r.message  # the truth is feasible: the model is sound
            grens.append(teken * r.fun if r.status == 0 else np.inf)
        uit.append((lang.kolom[i], lang.x[i], *grens))
    iv = pd.DataFrame(uit, columns=["kolom", "x", "onder", "boven"])
    assert ((iv.x >= iv.onder - 1e-6) & (iv.x <= iv.boven + 1e-6)).all()
    iv["primair"] = 5 * np.floor(iv.x / 5 + 0.5) < 10
    laag, hoog = np.ceil(iv.onder - 1e-6), np.floor(iv.boven + 1e-6)
    iv["te_smal"] = iv.primair & ((hoog < 10) | (hoog - laag < 10))
    return iv


def publiceer(mart: pd.DataFrame, spec) -> pd.DataFrame:
    gemeenten = pd.DataFrame({"gemeentecode": GEMEENTEN, "vt_regio": "VT99"})
    return openbaar(mart, spec, regio_ouder=regio_ouders(mart, gemeenten))


def test_persons_and_kaplan_meier_counts_are_protected_against_what_the_definitions_imply():
    mart = cohort_mart(personen(seed=3))
    pub = publiceer(mart, SPEC)
    # the number at risk is never published
    assert pub.aantal_at_risk.isna().all() and (pub.aantal_at_risk_vlag == VLAG_NIET_OPENBAAR).all()
    iv = aanval(mart, pub)
    assert iv.primair.sum() > 10  # many small counts: the test means something
    assert not iv.te_smal.any(), iv[iv.te_smal]


def test_without_the_persons_relations_or_with_the_number_at_risk_the_same_attacker_succeeds():
    """The relations and the decision above are what protects: without the persons' period inequalities in the
    engine's model, or with the number at risk published, the attacker narrows primary cells below 10."""
    # most persons only in the first half year: a year minus its first half year is almost the second's count,
    # a lower bound that makes a small second half year too narrow unless the engine knows it
    scheef = cohort_mart(personen(seed=4, n=300, soorten=(0.8, 0.1, 0.1), kans=0.5))
    assert aanval(scheef, publiceer(scheef, replace(SPEC, personen=()))).te_smal.any()
    assert not aanval(scheef, publiceer(scheef, SPEC)).te_smal.any()
    mart = cohort_mart(personen(seed=3))
    met_at_risk = replace(SPEC, niet_openbaar=tuple(k for k in SPEC.niet_openbaar if k != "aantal_at_risk"))
    assert aanval(mart, publiceer(mart, met_at_risk)).te_smal.any()
