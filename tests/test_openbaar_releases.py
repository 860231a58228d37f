"""Two releases together (attacker trial F3): a release frozen for a quarter and a later one publish the same
statistics of closed periods. Each on its own is protected; an attacker who combines them must not learn a small
count either. The attacker is written independently of the engine (the relations of tests/test_openbaar.py for
each release, plus: a statistic whose exact value did not change is one unknown in both) with scipy's linprog."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from hermelding.disclosure import SPECIFICATIES, openbaar, regio_ouders
from tests.test_openbaar import GETOOND, mart_uit_delen, relaties

SPEC = SPECIFICATIES["hermelding_regio_periode"]
N_GEMEENTEN = 4


def releases(seed: int):
    """(old mart, new mart, gemeenten): the new one has other counts in the second half year only."""
    rng = np.random.default_rng(seed)
    delen = rng.integers(0, 7, size=(N_GEMEENTEN, 4, 7))
    oud, gemeenten = mart_uit_delen(delen.reshape(-1), N_GEMEENTEN)
    later = delen.copy()
    # KWARTALEN[2:] (KW03, KW04) changed, and so HJ02 and the year
    later[:, 2:, :] = rng.integers(0, 7, size=(N_GEMEENTEN, 2, 7))
    nieuw, _ = mart_uit_delen(later.reshape(-1), N_GEMEENTEN)
    for mart in (oud, nieuw):
        mart["inwoners"] = 15_000
    # the old release's data end after the first half year: only its periods were fully delivered then
    oud["periode_compleet"] = oud.periode.isin(["2024KW01", "2024KW02", "2024HJ01"])
    nieuw["periode_compleet"] = True
    return oud, nieuw, gemeenten


def publiceer(mart, gemeenten, bevroren=None):
    ouders = regio_ouders(mart, pd.DataFrame({"gemeentecode": gemeenten, "vt_regio": "VT99"}))
    return openbaar(mart, SPEC, regio_ouder=ouders, bevroren=bevroren)


def aanval_samen(marts: list[pd.DataFrame], pubs: list[pd.DataFrame], gemeenten) -> pd.DataFrame:
    """Feasible interval of every suppressed count of either release, from both releases' public tables."""
    lang = []
    for r, (mart, pub) in enumerate(zip(marts, pubs, strict=True)):
        w = pub.melt(id_vars=["regiocode", "periode"], value_vars=GETOOND, var_name="kolom", value_name="w")
        x = mart.melt(id_vars=["regiocode", "periode"], value_vars=GETOOND, var_name="kolom", value_name="x")
        lang.append(w.merge(x, on=["regiocode", "periode", "kolom"]).assign(release=r))
    cellen = pd.concat(lang, ignore_index=True)
    index = {c: i for i, c in enumerate(map(tuple, cellen[["release", "regiocode", "periode", "kolom"]].itertuples(
        index=False)))}
    a_eq, a_ub = [], []
    for r, mart in enumerate(marts):
        for totaal, delen, gelijk in relaties(mart, gemeenten):
            rij = np.zeros(len(cellen))
            rij[index[(r, *totaal)]] += 1
            for d in delen:
                rij[index[(r, *d)]] -= 1
            (a_eq if gelijk else a_ub).append(rij if gelijk else -rij)
    # the same statistic in both releases: a period the old release had fully delivered (public periode_compleet)
    paar = cellen[cellen.release == 0].merge(cellen[cellen.release == 1], on=["regiocode", "periode", "kolom"])
    dicht = paar.periode.isin(marts[0].loc[marts[0].periode_compleet, "periode"])
    assert (paar.x_x[dicht] == paar.x_y[dicht]).all()  # the attacker's equalities hold
    for p in paar[dicht].itertuples(index=False):
        rij = np.zeros(len(cellen))
        rij[index[(0, p.regiocode, p.periode, p.kolom)]] = 1
        rij[index[(1, p.regiocode, p.periode, p.kolom)]] = -1
        a_eq.append(rij)
    w = cellen.w.astype(float).to_numpy()
    grenzen = [(0, None) if np.isnan(v) else (max(0.0, v - 2), v + 2) for v in w]
    uit = []
    for i in np.flatnonzero(np.isnan(w)):
        doel = np.zeros(len(cellen))
        doel[i] = 1
        grens = []
        for teken in (1, -1):
            res = linprog(teken * doel, A_ub=np.array(a_ub), b_ub=np.zeros(len(a_ub)), A_eq=np.array(a_eq),
                          b_eq=np.zeros(len(a_eq)), bounds=grenzen, method="highs")
            assert res.status in (0, 3), res.message
            grens.append(teken * res.fun if res.status == 0 else np.inf)
        uit.append((cellen.release[i], cellen.x[i], *grens))
    iv = pd.DataFrame(uit, columns=["release", "x", "onder", "boven"])
    assert ((iv.x >= iv.onder - 1e-6) & (iv.x <= iv.boven + 1e-6)).all()  # the attacker's model is sound
    iv["primair"] = 5 * np.floor(iv.x / 5 + 0.5) < 10
    laag, hoog = np.ceil(iv.onder - 1e-6), np.floor(iv.boven + 1e-6)
    iv["te_smal"] = iv.primair & ((hoog < 10) | (hoog - laag < 10))
    iv["vastgepind"] = hoog - laag < 1
    return iv


def test_a_new_release_protected_with_the_frozen_one_leaks_nothing_combined():
    oud, nieuw, gemeenten = releases(seed=5)
    pub_oud = publiceer(oud, gemeenten)
    pub_nieuw = publiceer(nieuw, gemeenten, bevroren=(oud, pub_oud))
    # a statistic of a period the frozen release had complete is published as it was (suppressed stays suppressed)
    sleutel = ["regiocode", "periode"]
    samen = oud.merge(nieuw, on=sleutel).merge(pub_oud, on=sleutel).merge(pub_nieuw, on=sleutel, suffixes=("_po", "_pn"))
    for k in GETOOND:
        zelfde = samen["periode_compleet_x"].astype(bool)
        a, b = samen.loc[zelfde, f"{k}_po"].astype(float), samen.loc[zelfde, f"{k}_pn"].astype(float)
        assert ((a == b) | (a.isna() & b.isna())).all(), k
    iv = aanval_samen([oud, nieuw], [pub_oud, pub_nieuw], gemeenten)
    assert iv.primair.sum() > 50
    assert not iv.te_smal.any() and not iv.vastgepind.any(), iv[iv.te_smal | iv.vastgepind]


def test_two_releases_each_protected_alone_can_leak_combined():
    """Why the frozen release is needed: the same new data protected on its own is safe alone, not together."""
    oud, nieuw, gemeenten = releases(seed=5)
    pub_oud, pub_nieuw = publiceer(oud, gemeenten), publiceer(nieuw, gemeenten)
    assert (aanval_samen([oud, nieuw], [pub_oud, pub_nieuw], gemeenten).te_smal).any()



def test_a_delivery_after_a_freeze_is_published_with_every_linked_table_protected_together(schone_set, tmp_path,
                                                                                              caplog):
    """The nightly run after a freeze. Every public table is protected together with the frozen release's linked
    tables (D1 with its "eerder gezien" table, the cohort table with its curve and D2 by besluit), as the release
    audit combines them: with only its own frozen table, D1 was protected without the frozen "eerder gezien" cells
    that bound it, and the audit refused every run after the freeze (43 primary cells under-protected)."""
    from hermelding import publish as pub
    from hermelding.build import build
    from hermelding.ingest import ingest
    from hermelding.nightly import audit_and_publish
    from hermelding.state import fingerprint
    from tests.conftest import kopieer_leveringen, project_config

    bron, _ = schone_set
    cfg = project_config(tmp_path)
    # Drenthe 2019 to 2024HJ01, published and frozen for 2024KW2; then the delivery of 2024HJ02
    leveringen = sorted(p.name for p in bron.raw_dir.iterdir() if p.name.startswith("VT"))
    eerst = leveringen.index("VT02_2024HJ01") + 1
    kopieer_leveringen(bron, cfg, leveringen[:eerst])
    ingest(cfg)
    uitslag, eerste = audit_and_publish(cfg, build(cfg).build_db, fingerprint(cfg))
    assert eerste, uitslag.kritiek
    assert pub.freeze(cfg, "2024KW2") == eerste
    kopieer_leveringen(bron, cfg, ["VT02_2024HJ02"])
    ingest(cfg)
    with caplog.at_level(logging.INFO, logger="hermelding.audit"):
        uitslag, tweede = audit_and_publish(cfg, build(cfg).build_db, fingerprint(cfg))
    # the operator's log line of the audit names the frozen release it was checked with
    assert f"together with frozen release {eerste}" in caplog.text
    onthulling = uitslag.summary()["onthulling"]
    assert tweede and tweede != eerste, (uitslag.kritiek, onthulling)
    # the audit did combine the two releases, and found every primary cell of both protected
    assert onthulling["bevroren_release"] == eerste and onthulling["bevroren_gelijk_gebleven"] > 0
    assert onthulling["te_smal"] == 0 and onthulling["vastgepind"] == 0
    # what the frozen release published of a closed period, the new one publishes the same
    oud = pd.read_parquet(cfg.marts_dir / "releases" / eerste / "openbaar" / "hermelding_regio_periode_openbaar.parquet")
    nieuw = pd.read_parquet(cfg.marts_dir / "releases" / tweede / "openbaar" / "hermelding_regio_periode_openbaar.parquet")
    paar = oud[oud["periode_compleet"]].merge(nieuw, on=["regiotype", "regiocode", "periode"], suffixes=("_oud", "_nieuw"))
    assert len(paar) > 0
    for k in ("meldingen", "hermelding", "vervolgmelding"):
        assert paar[f"{k}_oud"].astype("Float64").equals(paar[f"{k}_nieuw"].astype("Float64")), k
