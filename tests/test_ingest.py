"""The export contract, enforced by `hermelding ingest`: one test per rule, plus loss-freeness,
the identifier guard, idempotency, corrections, encodings and atomicity."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from hermelding import gate
from hermelding import ingest as ingest_mod
from hermelding.contract import KOLOMMEN, LEVERINGSREGELS, RIJREGELS
from hermelding.ingest import ingest
from hermelding.reference import codelijst_namen
from tests.conftest import REPO, geleverd, kopieer_leveringen, project_config, suite_met_extra

EERSTE = "VT02_2019HJ01"
TWEEDE = "VT02_2019HJ02"


def tabel(cfg, sql, params=None):
    with duckdb.connect(str(cfg.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).df()


def tellingen(cfg) -> dict[str, int]:
    with duckdb.connect(str(cfg.warehouse), read_only=True) as con:
        return {t: con.execute(f"select count(*) from ingest.{t}").fetchone()[0]
                for t in ("leveringen", "leveringsbestanden", "meldingen", "casussen", "betrokkenen", "quarantaine")}


def lees(map_: Path, soort: str) -> pd.DataFrame:
    return pd.read_csv(map_ / f"{soort}.csv", dtype=str, keep_default_na=False)


def schrijf(map_: Path, soort: str, frame: pd.DataFrame, **kw) -> None:
    frame.to_csv(map_ / f"{soort}.csv", index=False, **kw)


@pytest.fixture(scope="module")
def fouten_ingelezen(fouten_set, tmp_path_factory):
    bron, _res = fouten_set
    cfg = project_config(tmp_path_factory.mktemp("fouten_ingest"))
    kopieer_leveringen(bron, cfg)
    verslagen = ingest(cfg)
    meta = json.loads((bron.grondwaarheid_dir / "VT02_generatie.json").read_text())
    return cfg, {v.map: v for v in verslagen}, meta


@pytest.fixture
def twee_leveringen(schone_set, config):
    bron, _ = schone_set
    kopieer_leveringen(bron, config, {EERSTE, TWEEDE})
    return config


# --- nothing is lost ---------------------------------------------------------------------------

def test_rows_read_equal_rows_loaded_plus_quarantined_for_every_file(fouten_ingelezen):
    cfg, verslagen, _ = fouten_ingelezen
    bestanden = tabel(cfg, "select * from ingest.leveringsbestanden")
    assert len(bestanden) == 3 * sum(v.uitkomst == "geladen" for v in verslagen.values())
    for _, b in bestanden.iterrows():
        assert b.rijen_gelezen == b.rijen_geladen + b.rijen_quarantaine
        soort, levering = b.bestandssoort, b.levering_id
        # independently: rows in the file, rows in the warehouse, distinct quarantined lines
        map_ = cfg.raw_dir / levering.rsplit("_", 1)[0]
        with (map_ / b.bestandsnaam).open(encoding="cp1252" if b"\xf6" in (map_ / b.bestandsnaam).read_bytes() else "utf-8") as f:
            in_bestand = sum(1 for _ in csv.reader(f)) - 1
        geladen = tabel(cfg, f"select count(*) n from ingest.{soort} where levering_id = ?", [levering]).n[0]
        quarantaine = tabel(cfg, "select count(distinct regel) n from ingest.quarantaine where levering_id = ? "
                                 "and bestandssoort = ?", [levering, soort]).n[0]
        assert (in_bestand, geladen, quarantaine) == (b.rijen_gelezen, b.rijen_geladen, b.rijen_quarantaine)


def test_every_planted_defect_is_quarantined_under_its_rule_and_line(fouten_ingelezen):
    cfg, _, meta = fouten_ingelezen
    q = tabel(cfg, "select l.periode, q.bestandssoort, q.regel, q.kolom, q.regelcode from ingest.quarantaine q "
                   "join ingest.leveringen l using (levering_id)")
    gevonden = set(q.itertuples(index=False, name=None))
    geplant = [d for d in meta["defecten"] if d["bestand"] != "*"]
    assert geplant
    for d in geplant:
        assert (d["periode"], d["bestand"], d["regel"], d["kolom"], d["regelcode"]) in gevonden, d


def test_quarantined_parent_takes_its_children_along(fouten_ingelezen):
    cfg, _, _ = fouten_ingelezen
    wees = tabel(cfg, """
        select count(*) n from ingest.betrokkenen b
        where not exists (select 1 from ingest.meldingen m where m.melding_id = b.melding_id and m.levering_id = b.levering_id)""")
    assert wees.n[0] == 0


def test_mixed_date_formats_and_municipality_codes_without_prefix_load(fouten_ingelezen):
    cfg, _verslagen, _meta = fouten_ingelezen
    periode = "2019HJ02"  # holds YYYYMMDD and DD-MM-YYYY dates next to invalid ones
    ruw = lees(cfg.raw_dir / f"VT02_{periode}", "meldingen")
    geldig_anders = ruw[ruw.datum_melding.str.fullmatch(r"\d{8}|\d{2}-\d{2}-\d{4}")]
    assert len(geldig_anders) == 20
    geladen = tabel(cfg, "select melding_id from ingest.meldingen m join ingest.leveringen l using (levering_id) "
                         "where l.periode = ?", [periode])
    assert set(geldig_anders.melding_id) <= set(geladen.melding_id)
    gemeenten = tabel(cfg, "select distinct gemeentecode from ingest.meldingen")
    assert gemeenten.gemeentecode.str.fullmatch(r"GM\d{4}").all()


# --- the identifier guard and file-level rejections ---------------------------------------------

@pytest.mark.parametrize("geval, regel, woorden", [
    ("bsn_kolom", "identificerende_kolom", ["betrokkenen.csv", "'bsn'"]),
    ("verborgen_bsn", "bsn_waarden", ["betrokkenen.csv", "'kenmerk'", "eleven-test"]),
    ("bestand_ontbreekt", "bestand_ontbreekt", ["betrokkenen"]),
    ("kolom_ontbreekt", "kolom_ontbreekt", ["meldingen.csv", "'melder'"]),
])
def test_generated_bad_deliveries_are_rejected_whole(fouten_ingelezen, geval, regel, woorden):
    cfg, verslagen, meta = fouten_ingelezen
    periode = next(d["periode"] for d in meta["defecten"] if d["regelcode"] == geval)
    verslag = verslagen[f"VT02_{periode}"]
    assert verslag.uitkomst == "afgewezen" and verslag.regelcode == regel
    for woord in woorden:
        assert woord in verslag.reden
    assert f"VT02_{periode}" in verslag.reden
    for t in ("meldingen", "casussen", "betrokkenen", "quarantaine", "leveringsbestanden"):
        assert tabel(cfg, f"select count(*) n from ingest.{t} where levering_id = ?", [verslag.levering_id]).n[0] == 0


def test_bsn_rejection_message_never_contains_a_value(fouten_ingelezen):
    cfg, verslagen, meta = fouten_ingelezen
    for d in meta["defecten"]:
        if d["regelcode"] in ("bsn_kolom", "verborgen_bsn"):
            map_ = cfg.raw_dir / f"VT02_{d['periode']}"
            waarden = set(lees(map_, "betrokkenen").iloc[:, 1:3].stack())
            reden = verslagen[map_.name].reden
            assert not any(re.search(rf"\b{re.escape(w)}\b", reden) for w in waarden if w)


def _eerste_levering(cfg, schone_set) -> Path:
    kopieer_leveringen(schone_set[0], cfg, {EERSTE})
    return cfg.raw_dir / EERSTE


def test_bsn_hidden_in_innocent_column_of_parquet_file(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    m = lees(map_, "meldingen")
    m["referentie"] = ["111222333"] + [""] * (len(m) - 1)  # 111222333 passes the eleven-test
    (map_ / "meldingen.csv").unlink()
    m.to_parquet(map_ / "meldingen.parquet", index=False)
    [v] = ingest(config)
    assert v.uitkomst == "afgewezen" and v.regelcode == "bsn_waarden"
    assert "'referentie'" in v.reden and "1 values" in v.reden and "111222333" not in v.reden


def test_nine_digit_numbers_failing_the_eleven_test_are_not_mistaken_for_bsn(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    m = lees(map_, "meldingen")
    m["referentie"] = "123456789"  # fails the eleven-test
    schrijf(map_, "meldingen", m)
    [v] = ingest(config)
    assert v.uitkomst == "geladen"
    assert any("referentie" in w for w in v.waarschuwingen)


@pytest.mark.parametrize("kolom", ["Achternaam", " postcode ", "geboortedatum", "E-mail"])
def test_identifier_column_names_reject_the_delivery(schone_set, config, kolom):
    map_ = _eerste_levering(config, schone_set)
    b = lees(map_, "betrokkenen")
    b[kolom] = "x"
    schrijf(map_, "betrokkenen", b)
    [v] = ingest(config)
    assert v.regelcode == "identificerende_kolom"
    assert tellingen(config)["meldingen"] == 0


def test_folder_name_must_be_region_and_period(schone_set, config):
    kopieer_leveringen(schone_set[0], config, {EERSTE})
    (config.raw_dir / EERSTE).rename(config.raw_dir / "VT02_2019H1")
    [v] = ingest(config)
    assert v.regelcode == "mapnaam" and "VT02_2019H1" in v.reden


def test_empty_file_rejects_the_delivery(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    (map_ / "casussen.csv").write_text("casus_id,datum_start,datum_veiligheidsbeoordeling,datum_start_monitoring,"
                                       "datum_afsluiting,besluit\n")
    [v] = ingest(config)
    assert v.regelcode == "leeg_bestand" and "casussen.csv" in v.reden
    assert tellingen(config)["meldingen"] == 0


def test_unreadable_encoding_rejects_the_delivery(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    data = (map_ / "meldingen.csv").read_bytes()
    (map_ / "meldingen.csv").write_bytes(data + b"M1,C1,2019-01-01,GM0106,\x81\x8d,01\n")  # undefined in both
    [v] = ingest(config)
    assert v.regelcode == "onleesbaar" and "meldingen.csv" in v.reden


def test_duplicate_column_after_normalisation_rejects(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    b = lees(map_, "betrokkenen")
    b["ROL "] = b["rol"]
    schrijf(map_, "betrokkenen", b)
    [v] = ingest(config)
    assert v.regelcode == "kolom_dubbel" and "'rol'" in v.reden


def test_same_file_kind_twice_rejects(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    lees(map_, "casussen").to_parquet(map_ / "casussen.parquet", index=False)
    [v] = ingest(config)
    assert v.regelcode == "bestand_dubbel"


def test_overlapping_period_of_another_kind_rejects(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    shutil.copytree(map_, config.raw_dir / "VT02_2019KW01")
    verslagen = {v.map: v for v in ingest(config)}
    assert verslagen[EERSTE].uitkomst == "geladen"
    assert verslagen["VT02_2019KW01"].regelcode == "periode_overlapt"


def test_other_deliveries_in_the_same_run_still_load(fouten_ingelezen):
    _, verslagen, _ = fouten_ingelezen
    uitkomsten = [v.uitkomst for v in verslagen.values()]
    assert uitkomsten.count("afgewezen") == 4 and uitkomsten.count("geladen") == len(uitkomsten) - 4


# --- row rules: one test per rule ----------------------------------------------------------------

ROW_CASES = [
    # (file, column, bad value, rule)
    ("meldingen", "melding_id", "", "verplicht"),
    ("meldingen", "datum_melding", "2019-02-30", "datum_ongeldig"),
    ("meldingen", "datum_melding", "2019-08-01", "datum_buiten_periode"),
    ("meldingen", "gemeentecode", "GM0344", "gemeente_onbekend"),
    ("meldingen", "melder", "21", "code_onbekend"),
    ("meldingen", "aard_geweld", "kindermishandeling|pesten", "code_onbekend"),
    ("meldingen", "casus_id", "C-bestaat-niet", "casus_onbekend"),
    ("casussen", "besluit", "weet_niet", "code_onbekend"),
    ("casussen", "datum_afsluiting", "2019-07-01", "datum_na_periode"),
    ("casussen", "datum_start", "", "verplicht"),
    ("betrokkenen", "rol", "dader", "code_onbekend"),
    ("betrokkenen", "geslacht", "X", "code_onbekend"),
    ("betrokkenen", "geboortejaar", "1899", "geboortejaar_ongeldig"),
    ("betrokkenen", "geboortejaar", "tachtig", "geboortejaar_ongeldig"),
    ("betrokkenen", "melding_id", "M-bestaat-niet", "melding_onbekend"),
    ("betrokkenen", "persoon_id", "", "verplicht"),
]


@pytest.mark.parametrize("soort, kolom, waarde, regel", ROW_CASES, ids=[f"{c[0]}.{c[1]}:{c[3]}" for c in ROW_CASES])
def test_row_rule_quarantines_the_row_and_loads_the_rest(schone_set, config, soort, kolom, waarde, regel):
    map_ = _eerste_levering(config, schone_set)
    frame = lees(map_, soort)
    rij = 7
    if soort == "casussen":  # a casus without meldingen in this delivery, so nothing cascades
        rij = int(frame.index[~frame.casus_id.isin(lees(map_, "meldingen").casus_id)][0])
    frame.loc[rij, kolom] = waarde
    schrijf(map_, soort, frame)
    [v] = ingest(config)
    assert v.uitkomst == "geladen"
    q = tabel(config, "select * from ingest.quarantaine")
    eigen = q[q.bestandssoort == soort].reset_index()
    assert len(eigen) == 1
    assert (eigen.regel[0], eigen.kolom[0], eigen.regelcode[0]) == (rij + 2, kolom, regel)
    assert set(q[q.bestandssoort != soort].regelcode) <= {"melding_onbekend"}  # only its own betrokkenen follow
    b = next(b for b in v.bestanden if b.soort == soort)
    assert (b.rijen_gelezen, b.rijen_geladen, b.rijen_quarantaine) == (len(frame), len(frame) - 1, 1)


def test_casus_dates_out_of_order_are_quarantined(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    c = lees(map_, "casussen")
    rij = int(c.index[(c.datum_afsluiting != "") & ~c.casus_id.isin(lees(map_, "meldingen").casus_id)][0])
    c.loc[rij, "datum_veiligheidsbeoordeling"] = c.loc[rij, "datum_afsluiting"]
    c.loc[rij, "datum_afsluiting"] = c.loc[rij, "datum_start"]
    schrijf(map_, "casussen", c)
    ingest(config)
    q = tabel(config, "select regel, regelcode from ingest.quarantaine")
    assert set(q.regelcode) == {"datum_volgorde"} and set(q.regel) == {rij + 2}


def test_duplicate_ids_keep_the_first_and_quarantine_the_rest(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    m = lees(map_, "meldingen")
    schrijf(map_, "meldingen", pd.concat([m, m.iloc[[3]]], ignore_index=True))
    b = lees(map_, "betrokkenen")
    schrijf(map_, "betrokkenen", pd.concat([b, b.iloc[[0]]], ignore_index=True))
    ingest(config)
    q = tabel(config, "select bestandssoort, regel, regelcode from ingest.quarantaine order by 1")
    assert q.values.tolist() == [["betrokkenen", len(b) + 2, "dubbel_id"], ["meldingen", len(m) + 2, "dubbel_id"]]


def test_melding_id_already_delivered_in_another_period_is_a_duplicate(twee_leveringen):
    cfg = twee_leveringen
    m1 = lees(cfg.raw_dir / EERSTE, "meldingen")
    m2 = lees(cfg.raw_dir / TWEEDE, "meldingen")
    m2.loc[0, "melding_id"] = m1.melding_id[0]
    schrijf(cfg.raw_dir / TWEEDE, "meldingen", m2)
    ingest(cfg)
    q = tabel(cfg, "select regel, regelcode from ingest.quarantaine where regelcode = 'dubbel_id'")
    assert q.values.tolist() == [[2, "dubbel_id"]]


def test_melding_may_refer_to_a_casus_of_an_earlier_delivery(twee_leveringen):
    cfg = twee_leveringen
    c1, c2 = lees(cfg.raw_dir / EERSTE, "casussen"), lees(cfg.raw_dir / TWEEDE, "casussen")
    m2 = lees(cfg.raw_dir / TWEEDE, "meldingen")
    weg = c2.casus_id.isin(c1.casus_id) & c2.casus_id.isin(m2.casus_id)
    assert weg.any()
    schrijf(cfg.raw_dir / TWEEDE, "casussen", c2[~weg])
    ingest(cfg)
    assert tabel(cfg, "select count(*) n from ingest.quarantaine").n[0] == 0
    assert tabel(cfg, "select count(*) n from ingest.meldingen").n[0] == len(lees(cfg.raw_dir / EERSTE, "meldingen")) + len(m2)


# --- encodings, delimiters, formats ---------------------------------------------------------------

@pytest.mark.parametrize("sep, encoding", [(";", "cp1252"), (",", "utf-8-sig"), (";", "utf-8")])
def test_csv_dialects_load_identically(schone_set, tmp_path, sep, encoding):
    referentie = project_config(tmp_path / "ref")
    kopieer_leveringen(schone_set[0], referentie, {EERSTE})
    ingest(referentie)
    verwacht = tabel(referentie, "select * exclude (levering_id) from ingest.meldingen order by melding_id")

    cfg = project_config(tmp_path / "dialect")
    map_ = _eerste_levering(cfg, schone_set)
    for soort in KOLOMMEN:
        frame = lees(map_, soort)
        frame.columns = [f" {c.upper()} " for c in frame.columns]  # names match case- and space-insensitively
        if soort == "meldingen":
            frame["Opmerking"] = "coördinatie"  # a non-ASCII extra column, reported and kept out
        schrijf(map_, soort, frame, sep=sep, encoding=encoding)
    [v] = ingest(cfg)
    assert v.uitkomst == "geladen"
    assert any("opmerking" in w for w in v.waarschuwingen)
    pd.testing.assert_frame_equal(tabel(cfg, "select * exclude (levering_id) from ingest.meldingen order by melding_id"), verwacht)


def test_parquet_delivery_loads(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    for soort in KOLOMMEN:
        frame = lees(map_, soort)
        if soort == "betrokkenen":
            frame["geboortejaar"] = pd.to_numeric(frame.geboortejaar).astype("Int64")
        frame.to_parquet(map_ / f"{soort}.parquet", index=False)
        (map_ / f"{soort}.csv").unlink()
    [v] = ingest(config)
    assert v.uitkomst == "geladen" and v.rijen_quarantaine == 0
    assert sum(b.rijen_geladen for b in v.bestanden) == sum(b.rijen_gelezen for b in v.bestanden) > 0


# --- idempotency, corrections, atomicity -----------------------------------------------------------

def test_ingesting_twice_changes_nothing(twee_leveringen):
    cfg = twee_leveringen
    ingest(cfg)
    voor = tellingen(cfg)
    tweede = ingest(cfg)
    assert [v.uitkomst for v in tweede] == ["ongewijzigd", "ongewijzigd"]
    assert tellingen(cfg) == voor


def test_correction_replaces_the_earlier_delivery_and_ledger_keeps_both(twee_leveringen):
    cfg = twee_leveringen
    ingest(cfg)
    m = lees(cfg.raw_dir / EERSTE, "meldingen")
    verwijderd = m.melding_id[len(m) - 1]
    schrijf(cfg.raw_dir / EERSTE, "meldingen", m.iloc[:-1])
    b = lees(cfg.raw_dir / EERSTE, "betrokkenen")
    schrijf(cfg.raw_dir / EERSTE, "betrokkenen", b[b.melding_id != verwijderd])
    [v1, v2] = ingest(cfg)
    assert v1.uitkomst == "geladen" and v1.vervangt and v2.uitkomst == "ongewijzigd"
    ledger = tabel(cfg, "select levering_id, is_actueel, vervangt from ingest.leveringen where periode = '2019HJ01' "
                        "order by ingelezen_op")
    assert ledger.is_actueel.tolist() == [False, True] and ledger.vervangt[1] == ledger.levering_id[0]
    actueel = tabel(cfg, "select melding_id from ingest.meldingen join ingest.leveringen using (levering_id) "
                         "where is_actueel and periode = '2019HJ01'")
    assert len(actueel) == len(m) - 1 and verwijderd not in set(actueel.melding_id)


def test_restoring_an_earlier_delivery_makes_it_current_again(twee_leveringen):
    cfg = twee_leveringen
    origineel = (cfg.raw_dir / EERSTE / "meldingen.csv").read_bytes()
    ingest(cfg)
    m = lees(cfg.raw_dir / EERSTE, "meldingen")
    m.loc[0, "melder"] = "02"
    schrijf(cfg.raw_dir / EERSTE, "meldingen", m)
    ingest(cfg)
    (cfg.raw_dir / EERSTE / "meldingen.csv").write_bytes(origineel)
    [v, _] = ingest(cfg)
    assert v.uitkomst == "hersteld"
    ledger = tabel(cfg, "select is_actueel from ingest.leveringen where periode = '2019HJ01' order by ingelezen_op")
    assert ledger.is_actueel.tolist() == [True, False]


def test_failure_during_commit_leaves_nothing_behind(schone_set, config, monkeypatch):
    _eerste_levering(config, schone_set)

    class KapotteKlok:  # fails at the ledger insert, the last statement of the transaction
        @staticmethod
        def now():
            raise OSError("disk full")

    monkeypatch.setattr(ingest_mod, "datetime", KapotteKlok)
    with pytest.raises(OSError):
        ingest(config)
    assert {k: v for k, v in tellingen(config).items()} == dict.fromkeys(
        ("leveringen", "leveringsbestanden", "meldingen", "casussen", "betrokkenen", "quarantaine"), 0)


# --- the Great Expectations door -------------------------------------------------------------------

def test_critical_door_expectation_rejects_the_delivery(schone_set, config, tmp_path, monkeypatch):
    _eerste_levering(config, schone_set)
    suite_met_extra(monkeypatch, tmp_path, "levering", {
        "type": "expect_column_values_to_be_between", "kwargs": {"column": "meldingen_rijen", "max_value": 10},
        "severity": "critical", "meta": {"aggregaat": True}})
    [v] = ingest(config)
    assert v.regelcode == "kwaliteitspoort"
    # the rule, the column and the delivery's own aggregate (its number of meldingen), never a row's value
    gelezen = geleverd(config, "meldingen")
    assert f"expect_column_values_to_be_between(meldingen_rijen) [observed {len(gelezen)}]" in v.reden
    assert tellingen(config)["meldingen"] == 0


def test_warning_door_expectation_is_reported_and_loads(schone_set, config, tmp_path, monkeypatch):
    _eerste_levering(config, schone_set)
    suite_met_extra(monkeypatch, tmp_path, "levering", {
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "betrokkenen_aandeel_rol_onbekend", "max_value": 0.0}, "severity": "warning",
        "meta": {"aggregaat": True}})
    [v] = ingest(config)
    assert v.uitkomst == "geladen"
    rollen = geleverd(config, "betrokkenen")["rol"]
    aandeel = round((rollen == "onbekend").sum() / (rollen != "").sum(), 3)
    assert aandeel > 0  # the generator plants unknown roles: the warning is due
    assert any(f"expect_column_values_to_be_between(betrokkenen_aandeel_rol_onbekend) [observed {aandeel}]" in w
               for w in v.waarschuwingen), v.waarschuwingen
    assert tabel(config, "select count(*) n from ingest.waarschuwingen").n[0] >= 1


def test_the_door_warns_of_many_unknown_melders_by_the_code_list_s_unknown_code(schone_set, config):
    """The share of meldingen whose melder is 'Onbekend' (the code list's code for it, not one written in the
    door's SQL) above its bound is a warning of the real suite; the delivery loads."""
    map_ = _eerste_levering(config, schone_set)
    m = lees(map_, "meldingen")
    onbekend = [c for c, naam in codelijst_namen("melder").items() if naam == "Onbekend"]
    assert onbekend
    m.loc[m.index[::8], "melder"] = onbekend[0]
    schrijf(map_, "meldingen", m)
    aandeel = round(m["melder"].isin(onbekend).sum() / (m["melder"] != "").sum(), 3)
    assert aandeel > 0.05  # above the suite's bound: the warning is due
    [v] = ingest(config)
    assert v.uitkomst == "geladen"
    assert any("expect_column_values_to_be_between(meldingen_aandeel_melder_onbekend)" in w
               and f"[observed {aandeel}]" in w for w in v.waarschuwingen), v.waarschuwingen


def test_the_door_checks_the_delivery_on_its_aggregates_not_the_rows_ingest_already_quarantines():
    """The row rules (required values, code lists, ids, dates) live once, in ingest_sql.py; the door suite
    only adds what a row rule cannot say: each file's column set, its size, its distributions, and it says that
    on one row of aggregates (gate.DEUR_AGGREGATEN), computed in DuckDB: no delivered row goes through GX."""
    verwachtingen = json.loads((REPO / "expectations" / "expectations" / "levering.json").read_text())["expectations"]
    kolommen = [e["kwargs"]["column"] for e in verwachtingen]
    for soort in KOLOMMEN:  # every file: its columns (critical, from the contract) and its size
        kolom = next(e for e in verwachtingen if e["kwargs"]["column"] == f"{soort}_kolommen")
        assert kolom["severity"] == "critical" and kolom["kwargs"]["value_set"] == {"$PARAMETER": f"kolommen_{soort}"}
        assert f"{soort}_rijen" in kolommen
    for e in verwachtingen:
        assert e["kwargs"]["column"].split("_")[0] in KOLOMMEN, e  # an aggregate of one file of the delivery
        assert e["kwargs"]["column"] in gate.DEUR_AGGREGATEN, e  # ... that the door computes
        assert "mostly" not in e["kwargs"]  # one row: a share is an aggregate with a bound, not 'mostly'


def test_a_delivery_with_another_column_set_is_stopped_at_the_door(config):
    """The columns check is real: a schoon_ table with a column the contract does not have fails it."""
    con = duckdb.connect()
    for soort, kol in KOLOMMEN.items():
        extra = ", 1 as extra" if soort == "casussen" else ""
        velden = ", ".join(f"null::varchar[] as {k}" if k == "aard_geweld" else f"null::varchar as {k}" for k in kol)
        con.execute(f"create temp table schoon_{soort} as select 1 as regel, {velden}{extra}")
    r = gate.valideer_levering(con, config)
    assert r.kritiek == ["levering: expect_column_values_to_be_in_set(casussen_kolommen): casussen: exactly the "
                         "contract's columns [1 rows]"], r.kritiek


# --- the written contract matches the code -------------------------------------------------------

def test_export_contract_doc_names_every_rule_and_column():
    doc = (REPO / "docs" / "export-contract.md").read_text(encoding="utf-8")
    for code in list(LEVERINGSREGELS) + list(RIJREGELS):
        assert f"`{code}`" in doc, code
    for kolommen in KOLOMMEN.values():
        for kolom in kolommen:
            assert f"`{kolom}`" in doc, kolom


# --- SIGKILL at any instant: a delivery is loaded entirely or not at all ----------------------------

KIND = """
import sys
from pathlib import Path
from hermelding import gate, ingest
from hermelding.config import load_config
gate.valideer_levering = lambda con, config: gate.GateResult()  # the door is not what is tested here
ingest.ingest(load_config(Path(sys.argv[1])))
"""


@pytest.fixture(scope="module")
def grote_levering(tmp_path_factory):
    """One delivery of ~150k betrokkenen: more than a DuckDB row group (122,880), so a table's append
    is large enough for DuckDB to write it to the file before the commit."""
    from hermelding.generator import genereer

    cfg = project_config(tmp_path_factory.mktemp("groot"))
    genereer("VT02", 2025, 2025, "jaar", 7, cfg.raw_dir, cfg.grondwaarheid_dir, schaal=30,
             referentie_dir=cfg.referentie_dir)
    [map_] = [p for p in cfg.raw_dir.iterdir() if p.name != "referentie"]
    verwacht = {s: sum(1 for _ in (map_ / f"{s}.csv").open(encoding="utf-8")) - 1 for s in KOLOMMEN}
    assert verwacht["betrokkenen"] > 122_880
    return cfg, verwacht


def _warehouse_stand(cfg) -> tuple[int, dict[str, int]]:
    """Open as the next run would (replaying the WAL) and count the ledger and the rows."""
    with duckdb.connect(str(cfg.warehouse)) as con:
        ledger = con.execute("select count(*) from ingest.leveringen").fetchone()[0]
        rijen = {t: con.execute(f"select count(*) from ingest.{t}").fetchone()[0]
                 for t in (*KOLOMMEN, "quarantaine", "leveringsbestanden")}
    return ledger, rijen


@pytest.mark.slow
def test_sigkill_at_any_point_of_a_large_load_leaves_all_or_nothing(grote_levering, monkeypatch):
    import os
    import random
    import signal
    import subprocess
    import sys
    import time

    from hermelding import gate
    from hermelding.config import PATH_KEYS

    cfg, verwacht = grote_levering
    env = dict(os.environ, **{f"HERMELDING_{k.upper()}": str(getattr(cfg, k)) for k in PATH_KEYS})
    leeg = cfg.warehouse.with_name("leeg.duckdb")
    if not leeg.exists():
        with ingest_mod.open_warehouse(leeg) as con:
            con.execute("checkpoint")  # no WAL until the delivery's commit starts
    volledig = dict(verwacht, quarantaine=0, leveringsbestanden=3)
    rng = random.Random(10)
    uitkomsten = []
    for stap in range(10):  # kill points spread over the commit: WAL write, replay-able tail, checkpoint
        shutil.copy(leeg, cfg.warehouse)
        cfg.warehouse.with_name(cfg.warehouse.name + ".wal").unlink(missing_ok=True)
        kind = subprocess.Popen([sys.executable, "-c", KIND, str(REPO)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wal = cfg.warehouse.with_name(cfg.warehouse.name + ".wal")
        while not wal.exists() and kind.poll() is None:
            time.sleep(0.001)
        time.sleep(rng.uniform(stap, stap + 1) * 0.012)
        kind.send_signal(signal.SIGKILL)
        kind.wait()
        ledger, rijen = _warehouse_stand(cfg)
        uitkomsten.append((ledger, rijen))
        assert (ledger, rijen) in [(0, dict.fromkeys(volledig, 0)), (1, volledig)], f"kill {stap}: {ledger}, {rijen}"
    # whatever the last kill left, the next run completes the delivery
    monkeypatch.setattr(gate, "valideer_levering", lambda con, config: gate.GateResult())
    [v] = ingest(cfg)
    assert v.uitkomst in ("geladen", "ongewijzigd")
    assert _warehouse_stand(cfg) == (1, volledig)


def test_inconsistent_warehouse_is_repaired_and_logged(twee_leveringen, caplog):
    """What an interrupted load of an older version (or a future DuckDB bug) can leave behind: rows
    without a ledger row, and a ledger row whose rows are partly missing. The next run repairs both."""
    cfg = twee_leveringen
    ingest(cfg)
    voor = tellingen(cfg)
    with duckdb.connect(str(cfg.warehouse)) as con:
        # rows of a delivery whose ledger row never made it
        con.execute("insert into ingest.betrokkenen select 'VT02_2020HJ01_weesrijen', * exclude (levering_id) "
                    "from ingest.betrokkenen")
        # the second delivery lost its meldingen, and its predecessor's flag is gone too
        tweede = con.execute("select levering_id from ingest.leveringen where map = ?", [TWEEDE]).fetchone()[0]
        con.execute("delete from ingest.meldingen where levering_id = ?", [tweede])
        van_tweede = con.execute("select count(*) from ingest.betrokkenen where levering_id = ?", [tweede]).fetchone()[0]
    with caplog.at_level("WARNING", logger="hermelding.ingest"):
        verslagen = {v.map: v for v in ingest(cfg)}
    assert verslagen[EERSTE].uitkomst == "ongewijzigd"
    assert verslagen[TWEEDE].uitkomst == "geladen"  # removed as incomplete, then loaded again
    assert tellingen(cfg) == voor
    herstel = [r.getMessage() for r in caplog.records if "repaired" in r.getMessage()]
    assert any(tweede in m for m in herstel)
    assert any(f"ingest.betrokkenen: {voor['betrokkenen'] + van_tweede} rows" in m for m in herstel)


# --- identifiers in any format, in any column, of any type ---------------------------------------

BSN_VORMEN = ["111 222 333", "111.222.333", "111-222-333", "1112.22.333", "12345672", " 012345672 ", "111222333.0"]


def _niets_opgeslagen(cfg, v, waarde: str) -> None:
    assert v.uitkomst == "afgewezen" and v.regelcode == "bsn_waarden", v.reden
    assert waarde.strip() not in v.reden and waarde.strip().replace(" ", "") not in v.reden
    assert {k: n for k, n in tellingen(cfg).items() if k != "leveringen"} == dict.fromkeys(
        ("leveringsbestanden", "meldingen", "casussen", "betrokkenen", "quarantaine"), 0)


@pytest.mark.parametrize("waarde", BSN_VORMEN)
@pytest.mark.parametrize("kolom", ["persoon_id", "kenmerk"])
def test_bsn_in_another_format_is_refused_in_any_csv_column(schone_set, config, waarde, kolom):
    map_ = _eerste_levering(config, schone_set)
    b = lees(map_, "betrokkenen")
    b.loc[3, kolom] = waarde  # one value is enough, whether in a contract column or an extra one
    if kolom == "kenmerk":
        b[kolom] = b[kolom].fillna("")
    schrijf(map_, "betrokkenen", b)
    [v] = ingest(config)
    _niets_opgeslagen(config, v, waarde)
    assert f"'{kolom}'" in v.reden and "1 values" in v.reden


@pytest.mark.parametrize("waarden, type_", [
    ([12345672], "int64"),             # a BSN whose leading zero was lost, as an integer column
    ([111222333], "int32"),
    ([111222333.0], "float64"),
    (["111.222.333"], "string"),
])
def test_bsn_in_parquet_columns_of_every_type_is_refused(schone_set, config, waarden, type_):
    map_ = _eerste_levering(config, schone_set)
    m = lees(map_, "meldingen")
    dtype = {"int64": "Int64", "int32": "Int32", "float64": "float64", "string": "string"}[type_]
    m["referentie"] = pd.array([*waarden, *[None] * (len(m) - len(waarden))], dtype=dtype)
    (map_ / "meldingen.csv").unlink()
    m.to_parquet(map_ / "meldingen.parquet", index=False)
    [v] = ingest(config)
    _niets_opgeslagen(config, v, str(waarden[0]))
    assert "'referentie'" in v.reden


def test_date_shaped_and_other_numbers_are_not_mistaken_for_bsn(schone_set, config):
    """Every contract date format (also invalid dates), ids with letters, phone-like and short numbers."""
    map_ = _eerste_levering(config, schone_set)
    m = lees(map_, "meldingen")
    m["kenmerk"] = ["2019-01-01", "20190101", "01-01-2019", "2019-02-30", "M12345672", "0612345678", "1899",
                    "123456789"] * (len(m) // 8) + [""] * (len(m) % 8)
    schrijf(map_, "meldingen", m)
    [v] = ingest(config)
    assert v.uitkomst == "geladen", v.reden


@pytest.mark.parametrize("kolom", ["geboorte_datum", "post_code", "Burger Service Nummer", "huis_nr", "bsn_nummer",
                                   "naam", "Naam ouder", "telefoon_nr", "e_mail_adres", "roepnaam", "geb_datum",
                                   "GebDat", "initialen", "date_of_birth"])
def test_identifier_like_column_names_are_matched_by_their_words(schone_set, config, kolom):
    map_ = _eerste_levering(config, schone_set)
    b = lees(map_, "betrokkenen")
    b[kolom] = "x"
    schrijf(map_, "betrokkenen", b)
    [v] = ingest(config)
    assert v.regelcode == "identificerende_kolom", (kolom, v.uitkomst, v.reden)


@pytest.mark.parametrize("kolom", ["gemeentenaam", "Gemeente naam", "regionaam"])
def test_known_safe_columns_are_not_taken_for_identifiers(schone_set, config, kolom):
    map_ = _eerste_levering(config, schone_set)
    m = lees(map_, "meldingen")
    m[kolom] = "Assen"
    schrijf(map_, "meldingen", m)
    [v] = ingest(config)
    assert v.uitkomst == "geladen", v.reden
    assert any("extra columns" in w for w in v.waarschuwingen)


# --- Parquet types, the quarantine limit, unexpected errors ----------------------------------------

def _als_parquet(map_: Path, soort: str, frame: pd.DataFrame) -> None:
    (map_ / f"{soort}.csv").unlink()
    frame.to_parquet(map_ / f"{soort}.parquet", index=False)


@pytest.mark.parametrize("soort_datum", ["timestamp", "timestamp_tz", "date"])
def test_parquet_dates_as_timestamp_or_date_load_as_dates(schone_set, tmp_path, soort_datum):
    referentie = project_config(tmp_path / "ref")
    kopieer_leveringen(schone_set[0], referentie, {EERSTE})
    ingest(referentie)
    cfg = project_config(tmp_path / "parquet")
    map_ = _eerste_levering(cfg, schone_set)
    for soort, kolommen in (("meldingen", ["datum_melding"]), ("casussen", list(KOLOMMEN["casussen"][1:5]))):
        frame = lees(map_, soort)
        for k in kolommen:
            d = pd.to_datetime(frame[k].replace("", None))
            if soort_datum == "timestamp_tz":  # local midnight is 22:00 or 23:00 UTC the day before
                d = d.dt.tz_localize("Europe/Amsterdam")
            frame[k] = d.dt.date if soort_datum == "date" else d
        _als_parquet(map_, soort, frame)
    [v] = ingest(cfg)
    assert v.uitkomst == "geladen" and v.rijen_quarantaine == 0, v.reden
    for t in ("meldingen", "casussen"):
        sql = f"select * exclude (levering_id, regel) from ingest.{t} order by all"
        pd.testing.assert_frame_equal(tabel(cfg, sql), tabel(referentie, sql))


def test_file_mostly_quarantined_rejects_the_delivery(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    m = lees(map_, "meldingen")
    slecht = m.index[: len(m) // 4]  # a quarter of the rows: more than the default limit of 0.2
    m.loc[slecht, "melder"] = "99"
    schrijf(map_, "meldingen", m)
    [v] = ingest(config)
    assert v.uitkomst == "afgewezen" and v.regelcode == "quarantaine_aandeel", v.reden
    assert f"{len(slecht)} of {len(m)} rows" in v.reden and "meldingen.csv" in v.reden and "code_onbekend" in v.reden
    assert tellingen(config)["meldingen"] == 0 and tellingen(config)["quarantaine"] == 0
    # the limit is configuration: a higher one loads the same delivery with its quarantine
    [v] = ingest(config)
    assert v.regelcode == "quarantaine_aandeel"  # retried every run while refused (it depends on configuration)
    [v] = ingest(config.with_overrides(quarantaine_max_aandeel=0.5))  # the same content, a higher limit
    assert v.uitkomst == "geladen" and v.rijen_quarantaine >= len(slecht)
    assert tabel(config, "select uitkomst from ingest.leveringen").uitkomst.tolist() == ["geladen"]


def test_file_of_which_no_row_loads_rejects_the_delivery_whatever_the_limit(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    c = lees(map_, "casussen")
    c["datum_start"] = "2019-01-01 00:00:00.000000"  # what a timestamp cast to text looked like
    schrijf(map_, "casussen", c)
    [v] = ingest(config.with_overrides(quarantaine_max_aandeel=1.0))
    assert v.uitkomst == "afgewezen" and v.regelcode == "geen_rijen", v.reden
    assert "casussen.csv" in v.reden and "datum_ongeldig" in v.reden
    assert tellingen(config)["casussen"] == 0


@pytest.mark.parametrize("waarde", [{"a": 1}, [1, 2]], ids=["struct", "list"])
def test_nested_parquet_column_rejects_that_delivery_and_the_others_load(twee_leveringen, waarde):
    cfg = twee_leveringen
    map_ = cfg.raw_dir / EERSTE
    m = lees(map_, "meldingen")
    m["extra"] = [waarde] * len(m)
    _als_parquet(map_, "meldingen", m)
    verslagen = {v.map: v for v in ingest(cfg)}
    v = verslagen[EERSTE]
    assert v.uitkomst == "afgewezen" and v.regelcode == "kolomtype", v.reden
    assert "meldingen.parquet" in v.reden and "'extra'" in v.reden
    assert verslagen[TWEEDE].uitkomst == "geladen"
    ledger = tabel(cfg, "select map, uitkomst from ingest.leveringen order by map")
    assert ledger.values.tolist() == [[EERSTE, "afgewezen"], [TWEEDE, "geladen"]]
    # the next run does not crash on it either: it is known as rejected
    assert [v.uitkomst for v in ingest(cfg)] == ["ongewijzigd", "ongewijzigd"]


def test_unexpected_error_in_one_delivery_rejects_it_and_the_others_load(twee_leveringen, monkeypatch, caplog):
    cfg = twee_leveringen
    echte = ingest_mod.valideer

    def kapot(con, regio, start, eind):
        if start.month == 1:
            raise duckdb.ConversionException("Could not convert string 'geheim-111222333' to INT32")
        return echte(con, regio, start, eind)

    monkeypatch.setattr(ingest_mod, "valideer", kapot)
    with caplog.at_level("ERROR", logger="hermelding.ingest"):
        verslagen = {v.map: v for v in ingest(cfg)}
    v = verslagen[EERSTE]
    assert v.uitkomst == "afgewezen" and v.regelcode == "onverwachte_fout"
    assert EERSTE in v.reden and "ConversionException" in v.reden
    assert verslagen[TWEEDE].uitkomst == "geladen"
    assert "geheim" not in v.reden and not any("geheim" in r.getMessage() for r in caplog.records)
    assert tabel(cfg, "select uitkomst from ingest.leveringen where map = ?", [EERSTE]).uitkomst.tolist() == ["afgewezen"]
    # once the bug is fixed, the next run loads the same content: such a refusal is retried
    monkeypatch.undo()
    assert [v.uitkomst for v in ingest(cfg)] == ["geladen", "ongewijzigd"]
    assert tabel(cfg, "select uitkomst from ingest.leveringen where map = ?", [EERSTE]).uitkomst.tolist() == ["geladen"]


# --- cross-delivery rules hold for restores and corrections -----------------------------------------

def test_restoring_an_older_delivery_is_validated_like_a_new_one(schone_set, config):
    """The sequence of issue 10: correct delivery 1 without melding M, load delivery 2 containing M,
    put the original delivery 1 back. M may be current once only."""
    cfg = config
    kopieer_leveringen(schone_set[0], cfg, {EERSTE})
    een = cfg.raw_dir / EERSTE
    origineel = {p.name: p.read_bytes() for p in een.iterdir()}
    ingest(cfg)
    m1, b1 = lees(een, "meldingen"), lees(een, "betrokkenen")
    rij = m1.iloc[5]
    schrijf(een, "meldingen", m1.drop(index=5))
    schrijf(een, "betrokkenen", b1[b1.melding_id != rij.melding_id])
    assert [v.uitkomst for v in ingest(cfg)] == ["geladen"]  # the correction, without M

    kopieer_leveringen(schone_set[0], cfg, {TWEEDE})
    twee = cfg.raw_dir / TWEEDE
    m2 = lees(twee, "meldingen")
    m = rij.copy()
    m["datum_melding"] = "2019-07-15"  # M, now delivered in the second half year
    schrijf(twee, "meldingen", pd.concat([m2, m.to_frame().T], ignore_index=True))
    ingest(cfg)

    for naam, data in origineel.items():  # the original first delivery is put back
        (een / naam).write_bytes(data)
    verslagen = {v.map: v for v in ingest(cfg)}
    assert verslagen[EERSTE].uitkomst == "hersteld"
    actueel = tabel(cfg, "select count(*) n from ingest.meldingen join ingest.leveringen using (levering_id) "
                         "where is_actueel and melding_id = ?", [rij.melding_id])
    assert actueel.n[0] == 1
    q = tabel(cfg, "select q.regel, q.regelcode from ingest.quarantaine q join ingest.leveringen l using (levering_id) "
                   "where l.map = ? and l.is_actueel and q.bestandssoort = 'meldingen'", [EERSTE])
    assert q.values.tolist() == [[5 + 2, "dubbel_id"]]
    # the restored delivery is complete otherwise, and the ledger still has one row per content
    geladen = tabel(cfg, "select count(*) n from ingest.meldingen join ingest.leveringen using (levering_id) "
                         "where is_actueel and map = ?", [EERSTE]).n[0]
    assert geladen == len(m1) - 1
    assert tabel(cfg, "select count(*) n from ingest.leveringen where map = ?", [EERSTE]).n[0] == 2


def test_correction_dropping_a_casus_a_later_delivery_uses_is_refused(twee_leveringen):
    cfg = twee_leveringen
    c1, m2 = lees(cfg.raw_dir / EERSTE, "casussen"), lees(cfg.raw_dir / TWEEDE, "meldingen")
    # a casus of the first delivery that a melding of the second refers to, and that the second does not repeat
    c2 = lees(cfg.raw_dir / TWEEDE, "casussen")
    gebruikt = c1.casus_id[c1.casus_id.isin(m2.casus_id)]
    schrijf(cfg.raw_dir / TWEEDE, "casussen", c2[~c2.casus_id.isin(gebruikt)])
    ingest(cfg)
    voor = tellingen(cfg)
    schrijf(cfg.raw_dir / EERSTE, "casussen", c1[~c1.casus_id.isin(gebruikt)])  # the correction drops them
    [v1, v2] = ingest(cfg)
    assert v1.uitkomst == "afgewezen" and v1.regelcode == "casus_in_gebruik", v1.reden
    assert f"{gebruikt.nunique()} casussen" in v1.reden and TWEEDE in v1.reden and "casussen.csv" in v1.reden
    assert v2.uitkomst == "ongewijzigd"
    na = tellingen(cfg)
    assert {k: na[k] for k in na if k != "leveringen"} == {k: voor[k] for k in voor if k != "leveringen"}
    assert tabel(cfg, "select count(*) n from ingest.leveringen where map = ? and is_actueel", [EERSTE]).n[0] == 1


# --- physical line numbers, and the low-severity file cases of issue 10 ------------------------------

def test_quarantine_line_is_the_physical_line_after_blank_lines_and_multiline_fields(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    regels = (map_ / "meldingen.csv").read_text(encoding="utf-8").splitlines()
    kop, rijen = regels[0], regels[1:]
    m = lees(map_, "meldingen")
    # line 1 blank, header on line 2, a blank line after the third row, an extra column whose quoted
    # value spans three lines in the fifth row; then a bad melder code in the tenth row
    velden = [r + ',""' for r in rijen]
    velden[4] = rijen[4] + ',"een\nopmerking over\ndrie regels"'
    velden[9] = ",".join([*m.iloc[9, :5], "99"]) + ',""'
    tekst = "\n" + kop + ",opmerking\n" + "\n".join(velden[:3]) + "\n\n" + "\n".join(velden[3:]) + "\n"
    (map_ / "meldingen.csv").write_text(tekst, encoding="utf-8")
    [v] = ingest(config)
    assert v.uitkomst == "geladen", v.reden
    q = tabel(config, "select regel, kolom, regelcode from ingest.quarantaine where bestandssoort = 'meldingen'")
    # physical line: 1 blank + 1 header + 9 rows before it + 1 blank line + 2 extra lines of the quoted field
    verwacht = 1 + 1 + 9 + 1 + 2 + 1
    assert tekst.split("\n")[verwacht - 1].startswith(m.melding_id[9])
    assert q.values.tolist() == [[verwacht, "melder", "code_onbekend"]]
    geladen = tabel(config, "select regel from ingest.meldingen where melding_id = ?", [m.melding_id[4]]).regel[0]
    assert tekst.split("\n")[geladen - 1].startswith(m.melding_id[4])


def test_csv_line_with_wrong_field_count_names_its_line(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    regels = (map_ / "casussen.csv").read_text(encoding="utf-8").splitlines()
    regels[6] += ",geheim-extra"
    (map_ / "casussen.csv").write_text("\n".join(regels) + "\n", encoding="utf-8")
    [v] = ingest(config)
    assert v.regelcode == "onleesbaar" and "casussen.csv: line 7 has 7 fields where the header (line 1) has 6" in v.reden
    assert "geheim" not in v.reden


def test_field_of_megabytes_is_refused_cleanly(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    m = lees(map_, "meldingen")
    m["opmerking"] = ""
    m.loc[3, "opmerking"] = "x" * 3_000_000
    schrijf(map_, "meldingen", m)
    [v] = ingest(config)
    assert v.regelcode == "veld_te_groot", v.reden
    assert "line 5, column 'opmerking'" in v.reden and "block" not in v.reden.lower()
    assert tellingen(config)["meldingen"] == 0


def test_upper_case_extension_is_read_as_csv(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    (map_ / "meldingen.csv").rename(map_ / "meldingen.CSV")
    [v] = ingest(config)
    assert v.uitkomst == "geladen", v.reden
    assert next(b for b in v.bestanden if b.soort == "meldingen").rijen_geladen > 0


def test_blank_first_line_is_not_an_empty_file(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    pad = map_ / "betrokkenen.csv"
    pad.write_bytes(b"\r\n" + pad.read_bytes())
    [v] = ingest(config)
    assert v.uitkomst == "geladen", v.reden
    assert tabel(config, "select min(regel) n from ingest.betrokkenen").n[0] == 3


def test_nul_byte_inside_an_id_is_quarantined_not_loaded(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    m = lees(map_, "meldingen")
    m.loc[2, "melding_id"] = m.melding_id[2][:4] + "\x00" + m.melding_id[2][4:]
    schrijf(map_, "meldingen", m)
    [v] = ingest(config)
    assert v.uitkomst == "geladen"
    assert tabel(config, "select count(*) n from ingest.meldingen where contains(melding_id, chr(0))").n[0] == 0
    q = tabel(config, "select regel, kolom, regelcode, waarde from ingest.quarantaine where bestandssoort = 'meldingen'")
    assert q[["regel", "kolom", "regelcode"]].values.tolist() == [[4, "melding_id", "ongeldig_teken"]]
    assert "\x00" not in q.waarde[0] and "?" in q.waarde[0]


def test_headerless_file_does_not_echo_data_in_its_message(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    b = lees(map_, "betrokkenen")
    b.loc[0, "rol"] = b.loc[0, "geslacht"] = "geheim"  # the first data line would be the "header"
    b.to_csv(map_ / "betrokkenen.csv", index=False, header=False)
    [v] = ingest(config)
    assert v.uitkomst == "afgewezen" and "geheim" not in v.reden and b.persoon_id[0] not in v.reden, v.reden
    assert "header line missing" in v.reden


def test_symlink_out_of_raw_dir_is_refused_without_reading_it(schone_set, config, tmp_path):
    map_ = _eerste_levering(config, schone_set)
    buiten = tmp_path / "buiten.csv"
    (map_ / "casussen.csv").rename(buiten)
    (map_ / "casussen.csv").symlink_to(buiten)
    [v] = ingest(config)
    assert v.regelcode == "link_buiten_map" and "'casussen.csv'" in v.reden
    assert tellingen(config)["casussen"] == 0


def test_symlink_inside_raw_dir_is_allowed(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    binnen = config.raw_dir / "archief.csv"
    (map_ / "casussen.csv").rename(binnen)
    (map_ / "casussen.csv").symlink_to(binnen)
    [v] = ingest(config)
    assert v.uitkomst == "geladen", v.reden


def test_folder_name_with_trailing_newline_is_refused(schone_set, config):
    kopieer_leveringen(schone_set[0], config, {EERSTE})
    (config.raw_dir / EERSTE).rename(config.raw_dir / f"{EERSTE}\n")
    [v] = ingest(config)
    assert v.regelcode == "mapnaam" and repr(f"{EERSTE}\n") in v.reden


def test_restore_refused_by_a_delivery_rule_leaves_the_correction_current(twee_leveringen):
    """The original first delivery lacks casus X; its correction adds X; the second delivery's meldingen
    then use X without repeating it. Putting the original back would orphan them: refused."""
    cfg = twee_leveringen
    een, twee = cfg.raw_dir / EERSTE, cfg.raw_dir / TWEEDE
    c1, m1, m2, c2 = lees(een, "casussen"), lees(een, "meldingen"), lees(twee, "meldingen"), lees(twee, "casussen")
    x = c1.casus_id[~c1.casus_id.isin(m1.casus_id)].iloc[0]  # a casus no melding of delivery 1 needs
    schrijf(een, "casussen", c1[c1.casus_id != x])
    origineel = (een / "casussen.csv").read_bytes()
    schrijf(twee, "casussen", c2[c2.casus_id != x])
    ingest(cfg)  # delivery 1 without X, delivery 2
    schrijf(een, "casussen", c1)  # the correction adds X ...
    m2.loc[0, "casus_id"] = x  # ... and a corrected delivery 2 uses it
    schrijf(twee, "meldingen", m2)
    assert [v.uitkomst for v in ingest(cfg)] == ["geladen", "geladen"]
    correctie = tabel(cfg, "select levering_id from ingest.leveringen where map = ? and is_actueel", [EERSTE]).levering_id[0]

    (een / "casussen.csv").write_bytes(origineel)  # the original back
    [v1, v2] = ingest(cfg)
    assert v1.uitkomst == "afgewezen" and v1.regelcode == "casus_in_gebruik", v1.reden
    assert tabel(cfg, "select levering_id from ingest.leveringen where map = ? and is_actueel", [EERSTE]).levering_id[0] == correctie
    assert tabel(cfg, "select count(*) n from ingest.meldingen where levering_id = ?", [v1.levering_id]).n[0] == 0
    assert [v.uitkomst for v in ingest(cfg)] == ["ongewijzigd", "ongewijzigd"]


def test_column_name_that_is_a_bsn_is_refused_and_not_stored(schone_set, config):
    map_ = _eerste_levering(config, schone_set)
    m = lees(map_, "meldingen")
    m["111.222.333"] = ""  # an extra column's name is reported and stored: it may not be a BSN
    schrijf(map_, "meldingen", m)
    [v] = ingest(config)
    assert v.regelcode == "bsn_waarden" and "111" not in v.reden
    assert tellingen(config)["leveringsbestanden"] == 0


def _declareer(map_: Path, tekst: str) -> None:
    (map_ / "levering.toml").write_text(tekst, encoding="utf-8")


def test_a_delivery_declares_the_scope_of_its_pseudonyms(twee_leveringen):
    cfg = twee_leveringen
    _declareer(cfg.raw_dir / EERSTE, 'persoon_id = "landelijk"\n')
    _declareer(cfg.raw_dir / TWEEDE, 'persoon_id = "landelijk"\n')
    assert [v.uitkomst for v in ingest(cfg)] == ["geladen", "geladen"]
    assert set(tabel(cfg, "select persoon_scope from ingest.leveringen").persoon_scope) == {"landelijk"}


def test_without_a_declaration_pseudonyms_are_the_regions(twee_leveringen):
    cfg = twee_leveringen
    ingest(cfg)
    assert set(tabel(cfg, "select persoon_scope from ingest.leveringen").persoon_scope) == {"regio"}


@pytest.mark.parametrize("tekst", ['persoon_id = "nationaal"\n', 'persoonid = "landelijk"\n', "persoon_id = \n"])
def test_an_invalid_declaration_rejects_the_delivery(twee_leveringen, tekst):
    cfg = twee_leveringen
    _declareer(cfg.raw_dir / EERSTE, tekst)
    verslagen = {v.map: v for v in ingest(cfg)}
    assert verslagen[EERSTE].uitkomst == "afgewezen" and verslagen[EERSTE].regelcode == "declaratie_ongeldig"
    assert "levering.toml" in verslagen[EERSTE].reden
    assert verslagen[TWEEDE].uitkomst == "geladen"


def test_one_region_uses_one_kind_of_pseudonym(twee_leveringen):
    cfg = twee_leveringen
    _declareer(cfg.raw_dir / TWEEDE, 'persoon_id = "landelijk"\n')
    verslagen = {v.map: v for v in ingest(cfg)}
    assert verslagen[EERSTE].uitkomst == "geladen"
    assert verslagen[TWEEDE].uitkomst == "afgewezen" and verslagen[TWEEDE].regelcode == "persoon_scope_wisselt"


def test_a_region_switches_scope_by_delivering_every_current_period_again_in_one_run(twee_leveringen):
    """The trial added levering.toml (landelijk) to all of a region's loaded deliveries: each was refused against
    a predecessor still marked regio. Delivered again together, they replace the region's deliveries."""
    cfg = twee_leveringen
    assert [v.uitkomst for v in ingest(cfg)] == ["geladen", "geladen"]
    _declareer(cfg.raw_dir / EERSTE, 'persoon_id = "landelijk"\n')
    _declareer(cfg.raw_dir / TWEEDE, 'persoon_id = "landelijk"\n')
    assert [v.uitkomst for v in ingest(cfg)] == ["geladen", "geladen"]
    actueel = tabel(cfg, "select persoon_scope from ingest.leveringen where is_actueel and uitkomst = 'geladen'")
    assert list(actueel.persoon_scope) == ["landelijk", "landelijk"]


def test_switching_the_scope_of_only_some_periods_is_refused(twee_leveringen):
    cfg = twee_leveringen
    ingest(cfg)
    _declareer(cfg.raw_dir / TWEEDE, 'persoon_id = "landelijk"\n')
    v = {v.map: v for v in ingest(cfg)}[TWEEDE]  # the first delivery is unchanged: its period keeps 'regio'
    assert v.uitkomst == "afgewezen" and v.regelcode == "persoon_scope_wisselt"
    assert "in one run" in v.reden
    actueel = tabel(cfg, "select persoon_scope from ingest.leveringen where is_actueel and uitkomst = 'geladen'")
    assert set(actueel.persoon_scope) == {"regio"}
    # the operator then completes the switch: the refused period is tried again with the others, not skipped
    _declareer(cfg.raw_dir / EERSTE, 'persoon_id = "landelijk"\n')
    assert {v.map: v.uitkomst for v in ingest(cfg)} == {EERSTE: "geladen", TWEEDE: "geladen"}
    actueel = tabel(cfg, "select persoon_scope from ingest.leveringen where is_actueel and uitkomst = 'geladen'")
    assert list(actueel.persoon_scope) == ["landelijk", "landelijk"]


def test_a_switch_left_half_done_stops_the_build(twee_leveringen):
    """Every period delivered again with the new scope, but one is refused for another reason: the region is left
    with two kinds of pseudonym, and no figure may be computed on it."""
    from hermelding.build import BuildFailed, build

    cfg = twee_leveringen
    ingest(cfg)
    _declareer(cfg.raw_dir / EERSTE, 'persoon_id = "landelijk"\n')
    _declareer(cfg.raw_dir / TWEEDE, 'persoon_id = "landelijk"\n')
    (cfg.raw_dir / TWEEDE / "meldingen.csv").write_text("melding_id\n", encoding="utf-8")  # refused
    v = {v.map: v for v in ingest(cfg)}
    assert v[EERSTE].uitkomst == "geladen" and v[TWEEDE].uitkomst == "afgewezen"
    with pytest.raises(BuildFailed, match="een_persoon_scope_per_regio"):
        build(cfg)


def test_a_history_delivery_loads_as_history(schone_set, config):
    bron, _ = schone_set
    shutil.copytree(bron.raw_dir / EERSTE, config.raw_dir / f"{EERSTE}_historie")
    shutil.copytree(bron.raw_dir / TWEEDE, config.raw_dir / TWEEDE)
    verslagen = {v.map: v for v in ingest(config)}
    assert [verslagen[m].uitkomst for m in (f"{EERSTE}_historie", TWEEDE)] == ["geladen", "geladen"]
    soorten = dict(tabel(config, "select map, leveringsoort from ingest.leveringen").itertuples(index=False))
    assert soorten == {f"{EERSTE}_historie": "historie", TWEEDE: "regulier"}


def test_history_after_the_regular_data_is_refused(schone_set, config):
    bron, _ = schone_set
    shutil.copytree(bron.raw_dir / EERSTE, config.raw_dir / EERSTE)
    ingest(config)
    shutil.copytree(bron.raw_dir / TWEEDE, config.raw_dir / f"{TWEEDE}_historie")
    [verslag] = [v for v in ingest(config) if v.map == f"{TWEEDE}_historie"]
    assert verslag.uitkomst == "afgewezen" and verslag.regelcode == "historie_na_regulier"
    assert "without _historie" in verslag.reden
