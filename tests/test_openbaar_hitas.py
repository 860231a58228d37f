"""Disclosure control of a block too large for one model, decomposed as tau-Argus' HiTaS: the total with the
regions first, then each region with its municipalities. The thresholds are lowered so that a small frame of
two regions is such a block. The attacker here is independent of the engine (its own list of relations over
the WHOLE table, scipy's linprog); the decomposed check of hermelding/attack.py must never find a wider
interval than that attacker; and an LP that HiGHS cannot solve stops with a message naming table and block."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog

from hermelding import attack
from hermelding.disclosure import SPECIFICATIES, openbaar, regio_ouders
from hermelding.disclosure_memo import Memo

SPEC = SPECIFICATIES["hermelding_regio_periode"]
DELEN = ["eerste_melding", "hermelding_een_bekend", "hermelding_meerdere_bekend", "vervolg_tijdens_vb",
         "vervolg_na_vb", "vervolg_tijdens_monitoring", "niet_ingedeeld"]
GETOOND = ["meldingen", "eerste_melding", "hermelding", "hermelding_een_bekend", "hermelding_meerdere_bekend",
           "vervolgmelding", "vervolg_tijdens_vb", "vervolg_na_vb", "vervolg_tijdens_monitoring"]
KWARTALEN = ["2024KW01", "2024KW02", "2024KW03", "2024KW04"]
HALFJAREN = {"2024HJ01": KWARTALEN[:2], "2024HJ02": KWARTALEN[2:]}
REGIOS = {"VT91": ["GM9100", "GM9101", "GM9102"], "VT92": ["GM9200", "GM9201"]}


def landelijke_mart(rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A consistent mart of two regions from random finest cells (gemeente, quarter, part), summed every way."""
    gemeenten = pd.DataFrame([(g, r) for r, gs in REGIOS.items() for g in gs], columns=["gemeentecode", "vt_regio"])
    idx = pd.MultiIndex.from_product([gemeenten.gemeentecode, KWARTALEN], names=["regiocode", "periode"])
    fijn = pd.DataFrame(rng.integers(0, 9, size=(len(idx), len(DELEN))), index=idx, columns=DELEN).reset_index()
    perioden = [fijn, *(fijn[fijn.periode.isin(k)].groupby("regiocode", as_index=False)[DELEN].sum().assign(periode=p)
                        for p, k in HALFJAREN.items()),
                fijn.groupby("regiocode", as_index=False)[DELEN].sum().assign(periode="2024JJ00")]
    gm = pd.concat(perioden, ignore_index=True).assign(regiotype="gemeente")
    vt = (gm.merge(gemeenten, left_on="regiocode", right_on="gemeentecode").groupby(["vt_regio", "periode"], as_index=False)
          [DELEN].sum().rename(columns={"vt_regio": "regiocode"}).assign(regiotype="vt_regio"))
    nl = vt.groupby("periode", as_index=False)[DELEN].sum().assign(regiotype="totaal", regiocode="NL01")
    mart = pd.concat([gm, vt, nl], ignore_index=True)
    mart["hermelding"] = mart.hermelding_een_bekend + mart.hermelding_meerdere_bekend
    mart["vervolgmelding"] = mart.vervolg_tijdens_vb + mart.vervolg_na_vb + mart.vervolg_tijdens_monitoring
    mart["meldingen"] = mart.eerste_melding + mart.hermelding + mart.vervolgmelding + mart.niet_ingedeeld
    for kolom in ("hermelding_pct", "hermelding_pct_ci_onder", "hermelding_pct_ci_boven"):
        mart[kolom] = 100 * mart.hermelding / mart.meldingen.where(mart.meldingen > 0)
    mart["vervolgmelding_pct"] = 100 * mart.vervolgmelding / mart.meldingen.where(mart.meldingen > 0)
    mart["inwoners"] = 20_000
    mart["meldingen_per_1000_inwoners"] = mart.meldingen / 20.0
    return mart, gemeenten


def volledige_aanval(mart: pd.DataFrame, pub: pd.DataFrame) -> pd.DataFrame:
    """Every suppressed cell's interval over the WHOLE table: shown counts within 2 of the truth, nothing
    negative, every relation (within a row; a region = its municipalities, NL01 = the regions; a year = its
    half years = its quarters), written here by hand."""
    sleutel = ["regiocode", "periode"]
    cellen = (pub.melt(id_vars=sleutel, value_vars=GETOOND, var_name="kolom", value_name="w")
              .merge(mart.melt(id_vars=sleutel, value_vars=GETOOND, var_name="kolom", value_name="x"),
                     on=[*sleutel, "kolom"]).reset_index(drop=True))
    index = {c: i for i, c in enumerate(map(tuple, cellen[[*sleutel, "kolom"]].itertuples(index=False)))}
    relaties = []  # (total, parts, exact)
    for r, p in mart[sleutel].itertuples(index=False):
        relaties += [((r, p, "meldingen"), [(r, p, k) for k in ("eerste_melding", "hermelding", "vervolgmelding")], False),
                     ((r, p, "hermelding"), [(r, p, "hermelding_een_bekend"), (r, p, "hermelding_meerdere_bekend")], True),
                     ((r, p, "vervolgmelding"), [(r, p, k) for k in ("vervolg_tijdens_vb", "vervolg_na_vb",
                                                                      "vervolg_tijdens_monitoring")], True),
                     ((r, p, "meldingen"), [(r, p, "hermelding")], False),
                     ((r, p, "meldingen"), [(r, p, "vervolgmelding")], False)]
    for k in GETOOND:
        for p in [*KWARTALEN, *HALFJAREN, "2024JJ00"]:
            relaties.append((("NL01", p, k), [(regio, p, k) for regio in REGIOS], True))
            relaties += [((regio, p, k), [(g, p, k) for g in gs], True) for regio, gs in REGIOS.items()]
        for r in mart.regiocode.unique():
            relaties.append(((r, "2024JJ00", k), [(r, h, k) for h in HALFJAREN], True))
            relaties += [((r, h, k), [(r, q, k) for q in qs], True) for h, qs in HALFJAREN.items()]
    rijen = {True: [], False: []}
    for totaal, delen, gelijk in relaties:
        rij = np.zeros(len(cellen))
        rij[index[totaal]] = 1
        rij[[index[d] for d in delen]] = -1
        rijen[gelijk].append(rij if gelijk else -rij)
    a_eq, a_ub = sparse.csr_matrix(np.array(rijen[True])), sparse.csr_matrix(np.array(rijen[False]))
    w = cellen.w.astype(float).to_numpy()
    grenzen = [(0, None) if np.isnan(v) else (max(0.0, v - 2), v + 2) for v in w]
    uit = []
    for i in np.flatnonzero(np.isnan(w)):
        doel = np.zeros(len(cellen))
        doel[i] = 1
        grens = []
        for teken in (1, -1):
            r = linprog(teken * doel, A_ub=a_ub, b_ub=np.zeros(a_ub.shape[0]), A_eq=a_eq, b_eq=np.zeros(a_eq.shape[0]),
                        bounds=grenzen, method="highs")
            assert r.status in (0, 3), r.message
            grens.append(teken * r.fun if r.status == 0 else np.inf)
        uit.append((*cellen.loc[i, [*sleutel, "kolom", "x"]], *grens))
    iv = pd.DataFrame(uit, columns=[*sleutel, "kolom", "x", "onder", "boven"])
    iv["primair"] = 5 * np.floor(iv.x / 5 + 0.5) < 10
    iv["breedte"] = np.floor(iv.boven + 1e-6) - np.ceil(iv.onder - 1e-6)
    return iv


@pytest.fixture
def klein_blok(monkeypatch):
    """A threshold so low that the two-region table is a 'large' block: decomposed in engine and check."""
    monkeypatch.setattr(attack, "MAX_CELLEN_LP", 100)


@pytest.mark.parametrize("seed", [3, 8])
def test_the_decomposed_engine_protects_every_cell_against_an_attacker_on_the_whole_table(klein_blok, seed):
    mart, gemeenten = landelijke_mart(np.random.default_rng(seed))
    verslag: dict = {}
    pub = openbaar(mart, SPEC, regio_ouder=regio_ouders(mart, gemeenten), verslag=verslag)
    assert verslag["methode"].get("HiTaS") == 1 and verslag["methode"]["HiTaS (deeltabellen)"] >= 3
    iv = volledige_aanval(mart, pub)
    assert iv.primair.sum() > 50  # many small cells: the protection is tested, not trivially met
    assert (iv.breedte >= 1).all(), iv[iv.breedte < 1]
    prim = iv[iv.primair]
    assert ((prim.boven >= 10 - 1e-6) & (prim.breedte >= 10)).all(), prim[(prim.boven < 10) | (prim.breedte < 10)]
    assert ((iv.x >= iv.onder - 1e-6) & (iv.x <= iv.boven + 1e-6)).all()


def test_the_decomposed_check_never_finds_more_room_than_the_attacker_on_the_whole_table(monkeypatch):
    """Soundness of the per-subtable check: its interval lies inside the full model's interval, so a cell it
    passes is protected. Checked on a table protected without decomposition."""
    mart, gemeenten = landelijke_mart(np.random.default_rng(5))
    ouders = regio_ouders(mart, gemeenten)
    pub = openbaar(mart, SPEC, regio_ouder=ouders)
    monkeypatch.setattr(attack, "MAX_CELLEN_LP", 100)
    publiek = attack.bouw_model({"t": (pub, SPEC)}, ouders)
    waarheid = attack.bouw_model({"t": (mart, SPEC)}, ouders).cellen.set_index("sleutel")["waarde"]
    anker = waarheid.reindex(publiek.cellen["sleutel"]).to_numpy(dtype=float)
    getoond = publiek.cellen["waarde"].to_numpy(dtype=float)
    doelen = np.flatnonzero(np.isnan(getoond))
    ontleed = attack.intervallen(publiek, getoond, 2, doelen, anker=anker)
    volledig = attack.intervallen(publiek, getoond, 2, doelen)
    assert not ontleed["exact"].any()  # it did decompose
    assert (ontleed.onder >= volledig.onder - 1e-6).all() and (ontleed.boven <= volledig.boven + 1e-6).all()
    assert ((anker[doelen] >= ontleed.onder - 1e-6) & (anker[doelen] <= ontleed.boven + 1e-6)).all()


def test_an_attacker_lp_highs_cannot_solve_stops_with_the_table_and_block_named(klein_blok, tmp_path):
    mart, gemeenten = landelijke_mart(np.random.default_rng(3))
    # a year before it: a block of its own, first, so that the failing one is not block 0
    mart = pd.concat([mart.assign(periode=mart.periode.str.replace("2024", "2023")), mart], ignore_index=True)
    ouders = regio_ouders(mart, gemeenten)
    model = attack.bouw_model({"hermelding_regio_periode": (mart, SPEC)}, ouders)
    getoond = 5 * np.floor(model.cellen["waarde"].to_numpy(dtype=float) / 5 + 0.5)
    meldingen = (model.cellen["kolom"] == "meldingen").to_numpy()
    doel = np.flatnonzero(meldingen & (model.cellen["regiocode"] == "NL01").to_numpy())[-1:]
    getoond[doel] = np.nan
    # a public table that contradicts its relations: region VT91 shows 500 meldingen more than its municipalities
    getoond[meldingen & (model.cellen["regiocode"] == "VT91").to_numpy()] += 500
    with pytest.raises(attack.AttackerLPError, match=r"hermelding_regio_periode, block \d+ .*'Infeasible'") as fout:
        attack.intervallen(model, getoond, 2, doel, eis=10, anker=model.cellen["waarde"].to_numpy(dtype=float))
    # block by block through the memo, as the audit runs: the same block is named, by its number in the whole model
    blok = attack._blokken(model)[doel[0]]
    assert f"block {blok} " in str(fout.value) and blok != 0
    with pytest.raises(attack.AttackerLPError) as via_memo:
        attack.intervallen(model, getoond, 2, doel, eis=10, anker=model.cellen["waarde"].to_numpy(dtype=float),
                           memo=Memo(tmp_path / "memo"))
    assert str(via_memo.value) == str(fout.value)


def test_the_audit_refuses_a_release_it_cannot_verify(config, monkeypatch):
    """An attacker LP without an answer is a refused release with the operator's message, never a pass."""
    import duckdb

    from hermelding import audit as audit_module

    for pad in (config.warehouse, config.build_dir / "build.duckdb"):
        pad.parent.mkdir(parents=True, exist_ok=True)
        duckdb.connect(str(pad)).close()
    melding = "Attacker LP for table hermelding_regio_periode, block 0 (23184 cells): HiGHS status 'Unknown'"

    def onbeslist(*_args):
        raise attack.AttackerLPError(melding)

    monkeypatch.setattr(audit_module, "_frames", lambda *_args: {})
    monkeypatch.setattr(audit_module, "aanvalsaudit", onbeslist)
    uitslag = audit_module.audit(config, config.build_dir / "build.duckdb")
    assert not uitslag.geslaagd
    assert any("hermelding_regio_periode, block 0" in k for k in uitslag.kritiek)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_verdict_from_the_points_seen_is_the_verdict_of_the_exact_intervals(seed):
    """The check decides a cell as soon as feasible points it met on the way (joint and random pushes, other
    cells' optima) span the protection level: sound, because each point is consistent with everything public.
    On a table with only primary and some random suppression (so that cells pass and fail), every verdict must
    equal the one from the exact intervals, and every interval must lie inside the exact one."""
    rng = np.random.default_rng(seed)
    mart, gemeenten = landelijke_mart(rng)
    model = attack.bouw_model({"t": (mart, SPEC)}, regio_ouders(mart, gemeenten))
    waarde = model.cellen["waarde"].to_numpy(dtype=float)
    afgerond = 5 * np.floor(waarde / 5 + 0.5)
    primair = afgerond < 10
    onderdrukt = primair | (rng.random(len(waarde)) < 0.15)
    getoond = np.where(onderdrukt, np.nan, afgerond)
    doelen = np.flatnonzero(onderdrukt)
    eis = np.where(primair[doelen], 10, 1)
    snel = attack.beoordeel(attack.intervallen(model, getoond, 2, doelen, eis=eis), primair[doelen], 10)
    exact = attack.beoordeel(attack.intervallen(model, getoond, 2, doelen), primair[doelen], 10)
    assert snel["te_smal"].any() and (~snel["te_smal"] & snel["primair"]).any()  # both verdicts occur
    assert (~snel["exact"]).any()  # some cells were decided without their own LPs
    assert (snel["te_smal"] == exact["te_smal"]).all() and (snel["vastgepind"] == exact["vastgepind"]).all()
    assert (snel["onder"] >= exact["onder"] - 1e-6).all() and (snel["boven"] <= exact["boven"] + 1e-6).all()
    assert np.allclose(snel.loc[snel["exact"], ["onder", "boven"]], exact.loc[snel["exact"], ["onder", "boven"]])
