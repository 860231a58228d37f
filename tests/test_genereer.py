"""The synthetic generator: contract format, realistic shapes, determinism."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from hermelding.contract import KOLOMMEN, LEVERING_RE
from hermelding.generator import genereer
from tests.conftest import project_config


def _hashes(raw_dir):
    return {p.relative_to(raw_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(raw_dir.rglob("*.csv")) if "referentie" not in p.parts}


def _alle(raw_dir, soort):
    return pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False).assign(levering=p.parent.name)
                      for p in sorted(raw_dir.glob(f"VT*/{soort}.csv"))], ignore_index=True)


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    uit = {}
    for naam, seed in (("a", 5), ("b", 5), ("c", 6)):
        cfg = project_config(tmp_path / naam)
        genereer("VT02", 2021, 2022, "kwartaal", seed, cfg.raw_dir, cfg.grondwaarheid_dir, referentie_dir=cfg.referentie_dir)
        uit[naam] = _hashes(cfg.raw_dir)
    assert uit["a"] == uit["b"]
    assert uit["a"] != uit["c"] and uit["a"].keys() == uit["c"].keys()


def test_deliveries_follow_the_contract(schone_set):
    _cfg, res = schone_set
    assert len(res.leveringen) == 14
    for map_ in res.leveringen:
        assert LEVERING_RE.match(map_.name)
        for soort, kolommen in KOLOMMEN.items():
            assert tuple(pd.read_csv(map_ / f"{soort}.csv", nrows=0).columns) == kolommen


def test_pseudonyms_are_never_nine_digit_numbers(schone_set):
    cfg, _ = schone_set
    b = _alle(cfg.raw_dir, "betrokkenen")
    for kolom in ("melding_id", "persoon_id"):
        assert not b[kolom].str.fullmatch(r"\d{9}").any()


def test_volumes_and_class_shares_are_near_the_published_figures(schone_set):
    cfg, res = schone_set
    m = _alle(cfg.raw_dir, "meldingen")
    m["jaar"] = m.datum_melding.str[:4]
    per_jaar = m.groupby("jaar").size()
    assert per_jaar.between(1600, 2400).all(), per_jaar  # Drenthe: ~1,900-2,200 a year
    gw = pd.read_csv(res.grondwaarheid).merge(m[["melding_id", "jaar"]], on="melding_id")
    assert len(gw) == len(m)
    aandeel = pd.crosstab(gw.jaar, gw.klasse, normalize="index")
    stabiel = aandeel.loc["2022":]  # after the first years the look-back is filled
    assert stabiel.hermelding.between(0.30, 0.45).all(), stabiel
    assert stabiel.vervolgmelding.between(0.20, 0.32).all(), stabiel
    assert (stabiel.niet_ingedeeld > 0).all() and (stabiel.niet_ingedeeld < 0.03).all()


def test_shapes_users_need_are_present(schone_set):
    cfg, _ = schone_set
    m = _alle(cfg.raw_dir, "meldingen")
    b = _alle(cfg.raw_dir, "betrokkenen")
    c = _alle(cfg.raw_dir, "casussen")
    assert m.aard_geweld.str.contains("|", regex=False).mean() > 0.1  # several aard per melding
    assert (m.melder == "01").mean() > 0.5  # most meldingen from the police
    assert set(m.gemeentecode.unique()) == {g for g in m.gemeentecode.unique() if g.startswith("GM")} and m.gemeentecode.nunique() == 12
    assert (b.rol == "onbekend").mean() > 0.03 and (b.geboortejaar == "").mean() > 0.02
    # casussen that open in one period and close in a later one re-appear with updated dates
    herhaald = c.groupby("casus_id").agg(n=("levering", "nunique"), afgesloten=("datum_afsluiting", lambda s: (s != "").any()))
    assert ((herhaald.n > 1) & herhaald.afgesloten).sum() > 100
    # perpetrators who come back in a later casus
    pleger = b[b.rol == "pleger"].merge(m[["melding_id", "casus_id"]], on="melding_id")
    assert (pleger.groupby("persoon_id").casus_id.nunique() > 1).sum() > 100


def test_children_grow_up_and_appear_as_adults(schone_set):
    cfg, _ = schone_set
    m = _alle(cfg.raw_dir, "meldingen")
    b = _alle(cfg.raw_dir, "betrokkenen").merge(m[["melding_id", "datum_melding"]], on="melding_id")
    b = b[b.geboortejaar != ""]
    b["leeftijd"] = b.datum_melding.str[:4].astype(int) - b.geboortejaar.astype(int)
    als_kind = set(b[b.leeftijd < 18].persoon_id)
    als_volwassene = set(b[(b.leeftijd >= 18) & b.rol.isin(["slachtoffer", "pleger"])].persoon_id)
    assert len(als_kind & als_volwassene) > 10


def test_scale_multiplies_the_volume(tmp_path):
    tellingen = {}
    for schaal in (1.0, 3.0):
        cfg = project_config(tmp_path / str(schaal))
        tellingen[schaal] = genereer("VT02", 2023, 2023, "jaar", 2, cfg.raw_dir, cfg.grondwaarheid_dir,
                                     schaal=schaal, referentie_dir=cfg.referentie_dir).aantal_meldingen
    assert 2.6 < tellingen[3.0] / tellingen[1.0] < 3.4


@pytest.mark.parametrize("fout", [{"van": 2025, "tot": 2024}, {"schaal": 0}])
def test_invalid_arguments_are_refused(tmp_path, fout):
    cfg = project_config(tmp_path)
    args = {"van": 2020, "tot": 2021, "schaal": 1.0} | fout
    with pytest.raises(ValueError):
        genereer("VT02", args["van"], args["tot"], "halfjaar", 1, cfg.raw_dir, cfg.grondwaarheid_dir, schaal=args["schaal"])
