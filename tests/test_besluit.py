"""D2 broken down by besluit (issue 12, section 5): the internal mart against herhaling_cohort and against the
generator's planted ground truth (pandas), and the public variant's rules. The attacker audit over every public
table, this one included, is tests/test_definities.py `test_the_attacker_finds_nothing_in_the_demo_release`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hermelding.reference import d2_besluit_delen, gemeenten
from tests.conftest import geleverd, query

DELEN = d2_besluit_delen()
SLEUTEL = ["regiotype", "regiocode", "cohort_periode", "horizon_maanden"]


def test_the_besluit_parts_add_up_to_the_cohort_for_every_region_year_and_horizon(demo_gebouwd):
    _, db, _ = demo_gebouwd
    besluit = query(db, "select * from marts.herhaling_besluit")
    cohort = query(db, "select * from marts.herhaling_cohort where definitie_id = 'herhaalde_melding' "
                       "and periodesoort = 'jaar'")
    samen = cohort.merge(besluit, on=SLEUTEL, how="outer", suffixes=("", "_besluit"), indicator=True)
    assert len(samen) > 100 and (samen["_merge"] == "both").all()
    for soort in ("cohort_omvang", "aantal_gebeurtenissen"):
        delen = samen[[f"{soort}_{d}" for d in (*DELEN, "overig")]].sum(axis=1)
        assert (delen == samen[soort]).all(), soort
        assert (samen[f"{soort}_besluit"] == samen[soort]).all()
    # every besluit occurs, and the breakdown says something (the parts are not all in one besluit)
    regio = samen[samen.regiotype == "vt_regio"]
    assert all((regio[f"cohort_omvang_{d}"] > 0).all() for d in DELEN)


def test_d2_by_besluit_equals_an_independent_computation_from_the_ground_truth(demo_gebouwd):
    """The generator's planted D2 cohort (casussen closed in a year, event or censoring time) with each casus'
    besluit from its latest delivery, counted in pandas per municipality / region, year and horizon."""
    cfg, db, res = demo_gebouwd
    leden = pd.read_csv(res.grondwaarheid.parent / "VT02_opvolging.csv", dtype={"subject_id": str})
    leden = leden[(leden.definitie_id == "herhaalde_melding") & leden.periode.str.endswith("JJ00")]
    opvolger = {r["gemeentecode"]: r["opvolger"] for r in gemeenten()}
    leden["gemeentecode"] = leden["gemeentecode"].map(lambda code: opvolger.get(code, code))
    casussen = geleverd(cfg, "casussen")
    casussen = casussen.sort_values("levering").drop_duplicates("casus_id", keep="last")
    leden = leden.merge(casussen[["casus_id", "besluit"]], left_on="subject_id", right_on="casus_id",
                        validate="many_to_one")
    leden["besluit"] = leden["besluit"].where(leden["besluit"].isin(DELEN), "overig")
    niveaus = pd.concat([leden.assign(regiotype="gemeente", regiocode=leden.gemeentecode),
                         leden.assign(regiotype="vt_regio", regiocode="VT02")])
    mart = query(db, "select * from marts.herhaling_besluit where regiotype <> 'totaal'")
    assert len(mart) > 100
    for horizon in sorted(mart.horizon_maanden.unique()):
        dagen = round(horizon * 365.25 / 12)
        geteld = niveaus.assign(gebeurtenis=(niveaus.gebeurtenis == 1) & (niveaus.tijd_dagen <= dagen)).groupby(
            ["regiotype", "regiocode", "periode", "besluit"]).agg(
            cohort_omvang=("subject_id", "size"), aantal_gebeurtenissen=("gebeurtenis", "sum")).unstack(
            "besluit", fill_value=0)
        geteld.columns = [f"{soort}_{besluit}" for soort, besluit in geteld.columns]
        hier = mart[mart.horizon_maanden == horizon].set_index(["regiotype", "regiocode", "cohort_periode"])
        geteld = geteld.reindex(hier.index, fill_value=0)
        for kolom in geteld.columns:
            assert (hier[kolom].to_numpy() == geteld[kolom].to_numpy()).all(), (horizon, kolom)


def test_the_public_breakdown_repeats_the_cohort_cells_and_computes_ratios_from_published_counts(demo_gebouwd):
    _, db, _ = demo_gebouwd
    pub = query(db, "select * from openbaar.herhaling_besluit_openbaar")
    cohort = query(db, "select * from openbaar.herhaling_cohort_openbaar where definitie_id = 'herhaalde_melding'")
    samen = pub.merge(cohort, on=SLEUTEL, suffixes=("", "_cohort"), validate="one_to_one")
    assert len(samen) == len(pub) > 100
    for kolom in ("cohort_omvang", "aantal_gebeurtenissen"):  # one statistic: same value, same flag
        a, b = samen[kolom].astype("Float64"), samen[f"{kolom}_cohort"].astype("Float64")
        assert ((a == b).fillna(False) | (a.isna() & b.isna())).all(), kolom
        assert (samen[f"{kolom}_vlag"].fillna("") == samen[f"{kolom}_vlag_cohort"].fillna("")).all()
    # the residual is never shown; shown counts are rounded and at least 10
    assert pub["cohort_omvang_overig"].isna().all() and pub["aantal_gebeurtenissen_overig"].isna().all()
    getoond_delen = 0
    for d in DELEN:
        n = pub[f"cohort_omvang_{d}"].astype("Float64")
        x = pub[f"aantal_gebeurtenissen_{d}"].astype("Float64")
        for telling in (n, x):
            shown = telling.dropna()
            assert ((shown % 5 == 0) & (shown >= 10)).all()
        assert set(pub.loc[n.isna(), f"cohort_omvang_{d}_vlag"]) <= {"onderdrukt"}
        pct = pub[f"cumulatief_pct_{d}"]
        getoond = pct.notna()
        getoond_delen += int(getoond.sum())
        # from the published counts, only with complete follow-up and enough left at risk
        assert pub.loc[getoond, "volledige_followup"].astype(bool).all()
        assert np.allclose(pct[getoond], (100 * x[getoond] / n[getoond]).astype(float).round(1))
        assert ((n - x)[getoond] >= 20).all()
        assert (pub.loc[getoond, f"cumulatief_pct_{d}_ci_onder"] <= pct[getoond]).all()
        assert (pct[getoond] <= pub.loc[getoond, f"cumulatief_pct_{d}_ci_boven"]).all()
        # a suppressed count empties its percentage, flagged onderdrukt
        weg = (n.isna() | x.isna()).to_numpy() & pub["volledige_followup"].astype(bool).to_numpy()
        assert pct[weg].isna().all() and (pub.loc[weg, f"cumulatief_pct_{d}_vlag"] == "onderdrukt").all()
    assert getoond_delen > 50
    # the region's parts are all shown on the demo: the table answers the question it is for
    regio = pub[pub.regiotype == "vt_regio"]
    assert regio[[f"cohort_omvang_{d}" for d in DELEN]].notna().all().all()
