"""The municipal reference data: built from the CBS files in data/raw/referentie/cbs, with mergers, validity and
Veilig Thuis regions; and the generator's use of them (every region, codes as they were on the day)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from hermelding import reference_build
from hermelding.generator import genereer, regios
from tests.conftest import project_config


def _csv(pad: Path) -> pd.DataFrame:
    return pd.read_csv(pad, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def seeds():
    return {naam: _csv(pad) for naam, pad in reference_build.targets().items()}


def test_committed_reference_files_are_what_the_build_makes_from_the_cbs_files(seeds):
    gebouwd = reference_build.build(reference_build.CBS_BRON)
    for naam, frame in gebouwd.items():
        pd.testing.assert_frame_equal(frame.astype(str).reset_index(drop=True), seeds[naam], check_dtype=False)


def test_every_code_has_a_region_of_the_25_and_a_successor_in_the_latest_layout(seeds):
    g, r = seeds["gemeenten"], seeds["vt_regios"]
    assert len(r) == 25 and set(g["vt_regio"]) == set(r["vt_regio"])
    nu = g[g["geldig_tot"] == ""]
    assert len(nu) == 342 and (nu["opvolger"] == nu["gemeentecode"]).all()
    assert set(g["opvolger"]) <= set(nu["gemeentecode"])


@pytest.mark.parametrize(("code", "regio"), [("GM0450", "VT17"), ("GM1945", "VT06"), ("GM0797", "VT15"),
                                             ("GM0944", "VT06")])
def test_known_exceptions_to_the_safety_regions_follow_cbs(seeds, code, regio):
    """Uitgeest, Berg en Dal, Heusden, Mook en Middelaar: VT regions do not follow the safety regions."""
    g = seeds["gemeenten"].set_index("gemeentecode")
    assert g.loc[code, "vt_regio"] == regio


def test_mergers_give_successors_and_validity(seeds):
    g = seeds["gemeenten"].set_index("gemeentecode")
    # a full merger into a new code; a municipality absorbing its neighbours keeps its code
    assert g.loc["GM0003", ["geldig_tot", "opvolger"]].tolist() == ["2020-12-31", "GM1979"]
    assert g.loc["GM1979", "geldig_van"] == "2021-01-01"
    assert g.loc["GM0014", ["geldig_van", "geldig_tot", "opvolger"]].tolist() == ["", "", "GM0014"]
    assert g.loc["GM0009", ["geldig_tot", "opvolger"]].tolist() == ["2018-12-31", "GM0014"]
    # a split municipality goes to its main successor, not to the partial ones
    assert g.loc["GM0788", "opvolger"] == "GM0824"
    # a chain of two steps is followed to the end (Weesp -> Amsterdam on 2022-03-24)
    assert g.loc["GM0457", ["geldig_tot", "opvolger"]].tolist() == ["2022-03-23", "GM0363"]


def test_population_adds_up_to_the_national_totals(seeds):
    b = seeds["bevolking"].assign(inwoners=lambda f: f["inwoners"].astype(int))
    totaal = b.groupby("jaar")["inwoners"].sum()
    assert totaal["2019"] == 17_282_163 and totaal["2025"] == 18_044_027
    assert (b["bron"].str.contains("CBS")).all()


def test_unknown_region_is_refused_and_alle_means_all_25():
    assert len(regios("ALLE")) == 25 and regios("vt02, VT08") == ["VT02", "VT08"]
    with pytest.raises(ValueError, match="VT99"):
        regios("VT02,VT99")


@pytest.fixture(scope="module")
def drie_regios(tmp_path_factory):
    cfg = project_config(tmp_path_factory.mktemp("drie"))
    genereer("VT02,VT08,VT15", 2019, 2022, "halfjaar", 4, cfg.raw_dir, cfg.grondwaarheid_dir,
             referentie_dir=cfg.referentie_dir)
    return cfg


def test_every_melding_names_the_municipality_as_it_was_on_its_date(drie_regios, seeds):
    mel = pd.concat([_csv(p).assign(regio=p.parent.name[:4]) for p in drie_regios.raw_dir.glob("VT*/meldingen.csv")])
    g = seeds["gemeenten"].set_index("gemeentecode")
    datum = pd.to_datetime(mel["datum_melding"])
    van = pd.to_datetime(mel["gemeentecode"].map(g["geldig_van"]).replace("", "1900-01-01"))
    tot = pd.to_datetime(mel["gemeentecode"].map(g["geldig_tot"]).replace("", "2100-01-01"))
    assert ((datum >= van) & (datum <= tot)).all()
    assert (mel["gemeentecode"].map(g["vt_regio"]) == mel["regio"]).all()
    # Appingedam, Delfzijl and Loppersum became Eemsdelta on 2021-01-01: both codes occur, each on its side
    eemsdelta = mel[mel["gemeentecode"].isin(["GM0003", "GM1979"])]
    assert (pd.to_datetime(eemsdelta.loc[eemsdelta.gemeentecode == "GM0003", "datum_melding"]) < pd.Timestamp(date(2021, 1, 1))).all()
    assert (eemsdelta["gemeentecode"] == "GM1979").any() and (eemsdelta["gemeentecode"] == "GM0003").any()


def test_a_region_gets_the_same_files_whichever_regions_are_generated_with_it(drie_regios, tmp_path):
    alleen = project_config(tmp_path)
    genereer("VT15", 2019, 2022, "halfjaar", 4, alleen.raw_dir, alleen.grondwaarheid_dir, referentie_dir=alleen.referentie_dir)
    for pad in sorted(alleen.raw_dir.glob("VT15_*/*.csv")):
        assert pad.read_bytes() == (drie_regios.raw_dir / pad.parent.name / pad.name).read_bytes()


def test_persons_are_pseudonymised_per_region(drie_regios):
    per_regio = {r: set(pd.concat([_csv(p) for p in drie_regios.raw_dir.glob(f"{r}_*/betrokkenen.csv")])["persoon_id"])
                 for r in ("VT02", "VT08", "VT15")}
    assert not (per_regio["VT02"] & per_regio["VT08"]) and not (per_regio["VT08"] & per_regio["VT15"])


def test_national_volume_follows_population(tmp_path, seeds):
    cfg = project_config(tmp_path)
    genereer("ALLE", 2023, 2023, "jaar", 3, cfg.raw_dir, cfg.grondwaarheid_dir, schaal=0.1,
             referentie_dir=cfg.referentie_dir)
    mel = pd.concat([_csv(p).assign(regio=p.parent.name[:4]) for p in cfg.raw_dir.glob("VT*/meldingen.csv")])
    per_regio = mel.groupby("regio").size()
    assert len(per_regio) == 25
    # about a tenth of CBS's 127,340 meldingen a year (2023)
    assert 0.85 * 12_734 < len(mel) < 1.15 * 12_734, len(mel)
    b = seeds["bevolking"].query("jaar == '2023'").assign(inwoners=lambda f: f["inwoners"].astype(int))
    pop = b.assign(regio=b["gemeentecode"].map(seeds["gemeenten"].set_index("gemeentecode")["vt_regio"])).groupby("regio")["inwoners"].sum()
    zonder_drenthe = per_regio.drop("VT02") / pop.drop("VT02")
    assert zonder_drenthe.max() / zonder_drenthe.min() < 1.6  # meldingen per inhabitant alike across regions


def test_ingest_accepts_a_code_only_in_its_region_and_while_it_exists(drie_regios, tmp_path):
    import shutil

    from hermelding.ingest import ingest

    cfg = project_config(tmp_path)
    map_ = cfg.raw_dir / "VT08_2019HJ01"
    shutil.copytree(drie_regios.raw_dir / map_.name, map_)
    mel = _csv(map_ / "meldingen.csv")
    mel.loc[[3, 4, 5], "gemeentecode"] = ["GM1979", "GM0003", "GM0106"]  # not yet / still / other region
    mel.to_csv(map_ / "meldingen.csv", index=False)
    [verslag] = ingest(cfg)
    assert verslag.uitkomst == "geladen"
    import duckdb

    with duckdb.connect(str(cfg.warehouse), read_only=True) as con:
        q = con.execute("select regel, regelcode from ingest.quarantaine where bestandssoort = 'meldingen'").fetchall()
    assert sorted(q) == [(5, "gemeente_onbekend"), (7, "gemeente_onbekend")]
