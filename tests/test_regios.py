"""Several Veilig Thuis regions in one warehouse: three regions (Groningen with the Eemsdelta merger of
2021 and Midden-Brabant with the split of Haaren inside the data period) through ingest and dbt. Figures
are per region, in the latest municipal layout, with NL01 the sum of the regions; D1 equals the
generator's ground truth for every melding; a pseudonym is a person only within its region."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from hermelding.build import build
from hermelding.generator import genereer
from hermelding.ingest import ingest
from hermelding.reference_build import targets
from tests.conftest import project_config

REGIOS = ["VT02", "VT08", "VT15"]
TELLINGEN = ["meldingen", "eerste_melding", "hermelding", "vervolgmelding", "niet_ingedeeld"]


def _csv(pad) -> pd.DataFrame:
    return pd.read_csv(pad, dtype=str, keep_default_na=False)


def _query(db, sql) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def drie(tmp_path_factory):
    cfg = project_config(tmp_path_factory.mktemp("regios"))
    genereer(",".join(REGIOS), 2019, 2022, "halfjaar", 5, cfg.raw_dir, cfg.grondwaarheid_dir, schaal=0.25,
             referentie_dir=cfg.referentie_dir)
    # 40 persons of Groningen get, in every Groningen delivery, a pseudonym that Drenthe uses for someone else:
    # with region-scoped pseudonyms they must never be linked (the ground truth is per region, so a link
    # across regions would change a class)
    drenthe = _csv(cfg.raw_dir / "VT02_2019HJ01" / "betrokkenen.csv")["persoon_id"].drop_duplicates().iloc[:40]
    groningen = _csv(cfg.raw_dir / "VT08_2020HJ01" / "betrokkenen.csv")["persoon_id"].drop_duplicates().iloc[:40]
    hernoem = dict(zip(groningen, drenthe, strict=True))
    for pad in cfg.raw_dir.glob("VT08_*/betrokkenen.csv"):
        frame = _csv(pad)
        frame["persoon_id"] = frame["persoon_id"].replace(hernoem)
        frame.to_csv(pad, index=False)
    verslagen = ingest(cfg)
    assert {v.uitkomst for v in verslagen} == {"geladen"}, [v.reden for v in verslagen]
    return cfg, build(cfg).build_db


def test_d1_equals_the_ground_truth_of_every_region_for_every_melding(drie):
    cfg, db = drie
    sql = _query(db, "select regio, melding_id, klasse, subklasse, reden from marts.melding_classificatie")
    for regio in REGIOS:
        verwacht = _csv(cfg.grondwaarheid_dir / f"{regio}_klassen.csv")
        eigen = sql[sql.regio == regio].drop(columns="regio").fillna("")
        samen = verwacht.merge(eigen, on="melding_id", how="outer", suffixes=("_verwacht", ""), indicator=True)
        assert (samen["_merge"] == "both").all(), (regio, samen["_merge"].value_counts())
        for kolom in ("klasse", "subklasse", "reden"):
            assert (samen[kolom] == samen[f"{kolom}_verwacht"]).all(), (regio, kolom)


def test_municipal_figures_are_in_the_latest_layout(drie):
    cfg, db = drie
    gemeenten = _csv(targets()["gemeenten"]).set_index("gemeentecode")
    mel = pd.concat([_csv(p) for p in cfg.raw_dir.glob("VT*/meldingen.csv")])
    datum = pd.to_datetime(mel["datum_melding"])
    mel["periode"] = datum.dt.year.astype(str) + "HJ0" + ((datum.dt.month > 6).astype(int) + 1).astype(str)
    mel["nu"] = mel["gemeentecode"].map(gemeenten["opvolger"])
    verwacht = mel.groupby(["nu", "periode"]).size().rename("verwacht")
    mart = _query(db, """select regiocode, periode, meldingen from marts.hermelding_regio_periode
                         where regiotype = 'gemeente' and periodesoort = 'halfjaar'""")
    samen = mart.merge(verwacht, left_on=["regiocode", "periode"], right_index=True, how="outer")
    assert (samen["meldingen"].fillna(0) == samen["verwacht"].fillna(0)).all()
    # Eemsdelta (2021) has figures for 2019 from Appingedam, Delfzijl and Loppersum; the old codes have none
    assert samen.loc[(samen.regiocode == "GM1979") & (samen.periode == "2019HJ01"), "meldingen"].iloc[0] > 0
    assert (mel["gemeentecode"] == "GM0003").any()
    assert not mart.regiocode.isin(["GM0003", "GM0010", "GM0024", "GM0788"]).any()
    # Haaren (split in 2021) goes to its main successor Oisterwijk
    assert (mel["gemeentecode"] == "GM0788").any()


def test_regions_add_up_to_nl01_and_municipalities_to_their_region(drie):
    _cfg, db = drie
    mart = _query(db, "select * from marts.hermelding_regio_periode")
    gemeenten = _query(db, "select gemeentecode, vt_regio from dimensies.dim_gemeente")
    regios = mart[mart.regiotype == "vt_regio"]
    assert sorted(regios.regiocode.unique()) == REGIOS
    som = regios.groupby("periode")[TELLINGEN].sum()
    nl = mart[mart.regiocode == "NL01"].set_index("periode")[TELLINGEN]
    pd.testing.assert_frame_equal(nl.sort_index(), som.sort_index(), check_names=False)
    gm = mart[mart.regiotype == "gemeente"].merge(gemeenten, left_on="regiocode", right_on="gemeentecode")
    per_regio = gm.groupby(["vt_regio", "periode"])[TELLINGEN].sum()
    eigen = regios.set_index(["regiocode", "periode"])[TELLINGEN]
    pd.testing.assert_frame_equal(eigen.sort_index(), per_regio.sort_index(), check_names=False)
    assert (mart.loc[mart.regiocode == "NL01", "regionaam"] == "Totaal van de geleverde regio's").all()
    # one name for NL01 everywhere: the dimension a reader joins says the same as the mart
    dim = _query(db, "select regionaam from dimensies.dim_regio where regiocode = 'NL01'")
    assert list(dim.regionaam) == ["Totaal van de geleverde regio's"]
    assert set(mart.loc[mart.regiotype == "vt_regio", "regionaam"]) == {
        "Veilig Thuis Drenthe", "Veilig Thuis Groningen", "Veilig Thuis Midden-Brabant"}


def test_a_pseudonym_is_a_person_only_within_its_region(drie):
    _cfg, db = drie
    pleger = _query(db, "select distinct regio, split_part(subject_id, ':', 1) as sleutelregio "
                        "from intermediate.int_recidive_pleger")
    assert (pleger.regio == pleger.sleutelregio).all()
    gedeeld = _query(db, """select count(distinct regio) as regios from intermediate.int_optredens
                            group by persoon_id_geleverd having count(distinct regio) > 1""")
    assert len(gedeeld) > 0  # the planted shared pseudonyms are there, and yet D1 matched per region above
