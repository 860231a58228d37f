"""`hermelding sql` on the demo release: every example of docs/sql.md runs, period codes explain themselves,
a named or frozen release is exactly as confined as the catalog, wide tables print in full, Excel for people."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from hermelding import publish as pub
from hermelding.cli import app
from tests.conftest import REPO, kopieer_marts
from tests.test_publiceer import ONTSNAPPINGEN

runner = CliRunner()
VOORBEELDEN = re.findall(r"```sql\n(.*?)```", (REPO / "docs" / "sql.md").read_text(encoding="utf-8"), re.S)
PADEN = ("raw_dir", "referentie_dir", "warehouse", "build_dir", "marts_dir", "grondwaarheid_dir")


def _gebruik(monkeypatch, cfg):
    """The command line configured (HERMELDING_*) to see this project."""
    monkeypatch.setenv("HERMELDING_ROOT", str(REPO))
    for sleutel in PADEN:
        monkeypatch.setenv(f"HERMELDING_{sleutel.upper()}", str(getattr(cfg, sleutel)))
    return cfg


@pytest.fixture
def demo(demo_release, monkeypatch):
    return _gebruik(monkeypatch, demo_release)


def _csv(uitkomst) -> list[str]:
    return [r for r in uitkomst.stdout.splitlines() if r]


def test_the_doc_has_at_least_ten_questions_each_with_its_query():
    vragen = re.findall(r"^### \d+\. .+\?$", (REPO / "docs" / "sql.md").read_text(encoding="utf-8"), re.M)
    assert len(vragen) >= 10 and len(VOORBEELDEN) == len(vragen)


@pytest.mark.parametrize("query", VOORBEELDEN, ids=[f"vraag{i}" for i in range(1, len(VOORBEELDEN) + 1)])
def test_every_example_of_docs_sql_runs_on_the_demo_release_and_answers(demo, query):
    uitkomst = runner.invoke(app, ["sql", "--csv", query], env={"COLUMNS": "200"})
    assert uitkomst.exit_code == 0, uitkomst.output
    assert len(_csv(uitkomst)) >= 2, uitkomst.output  # a header and at least one row
    assert "does not exist" not in uitkomst.output


def test_a_short_period_code_is_read_as_the_cbs_code_and_the_rewrite_is_said(demo):
    query = ("select periode from openbaar.hermelding_regio_periode_openbaar "
             "where regiotype = 'vt_regio' and periode = '{}'")
    kort = runner.invoke(app, ["sql", "--csv", query.format("2025KW3")])
    assert kort.exit_code == 0
    assert _csv(kort) == ["periode", "2025KW03"]
    assert "'2025KW3' read as '2025KW03'" in kort.output
    # only a literal that is wholly a period code: a pattern and a comment stay as written
    patroon = runner.invoke(app, ["sql", "--csv", query.format("2025KW0%").replace("= '", "like '")
                                  + " -- '2025KW3'"])
    assert _csv(patroon)[1:] == [f"2025KW0{k}" for k in range(1, 5)] and "read as" not in patroon.output


def test_zero_rows_are_said_and_a_missing_period_is_named_with_the_codes_that_exist(demo):
    from hermelding.reader import open_release

    kwartalen = sorted(open_release(root=demo).sql(
        "select periode from dim_periode where periodesoort = 'kwartaal'").periode)
    for vorm in ("--csv", "--tabel"):
        args = ["sql", "select * from openbaar.hermelding_regio_periode_openbaar where periode = '2031KW1'"]
        uitkomst = runner.invoke(app, args[:1] + ([vorm] if vorm == "--csv" else []) + args[1:],
                                 env={"COLUMNS": "300"})
        assert uitkomst.exit_code == 0
        assert "0 rows" in uitkomst.output and "Empty DataFrame" not in uitkomst.output
        assert "Period '2031KW01' does not exist" in uitkomst.output
        assert kwartalen[0] in uitkomst.output and kwartalen[-1] in uitkomst.output
    ongeldig = runner.invoke(app, ["sql", "select 1 as x where '2025KW7' = 'x'"], env={"COLUMNS": "300"})
    assert ongeldig.exit_code == 0 and "KW periods are numbered 01-04" in ongeldig.output


def test_a_wide_table_prints_every_column_in_full_and_null_as_null(demo):
    from hermelding.reader import open_release

    kolommen = list(open_release(root=demo).table("hermelding_regio_periode_openbaar").columns)
    uitkomst = runner.invoke(app, ["sql", "select * from openbaar.hermelding_regio_periode_openbaar "
                                          "where regiotype = 'gemeente' order by hermelding_pct nulls first limit 3"],
                             env={"COLUMNS": "80"})
    assert uitkomst.exit_code == 0
    kop = uitkomst.stdout.splitlines()[0].split()
    assert kop == kolommen  # every column, none cut or wrapped, in a terminal of 80 columns
    assert "…" not in uitkomst.stdout and "NULL" in uitkomst.stdout and "3 rows" in uitkomst.stdout


@pytest.mark.parametrize("query", ONTSNAPPINGEN)
def test_a_named_release_is_exactly_as_confined_as_the_catalog(demo, tmp_path, query):
    release_id = pub.current_release(demo)
    uitkomst = runner.invoke(app, ["sql", "--release", release_id, query.format(tmp=tmp_path, warehouse=demo.warehouse)],
                             env={"COLUMNS": "300"})
    assert uitkomst.exit_code == 2, uitkomst.output
    assert "root:" not in uitkomst.output and "Traceback" not in uitkomst.output
    assert any(w in uitkomst.output for w in ("nothing else", "One statement", "Only a query"))
    assert not (tmp_path / "uit.csv").exists() and not (tmp_path / "export").exists()


def test_a_named_release_hides_the_internal_marts_and_their_files(demo):
    release = pub.read_release(demo, pub.current_release(demo))
    intern_bestand = release.pad / "intern" / "melding_classificatie.parquet"
    for query in ("select count(*) from intern.melding_classificatie",
                  f"select count(*) from read_parquet('{intern_bestand}')"):
        geweigerd = runner.invoke(app, ["sql", "--release", release.release_id, query], env={"COLUMNS": "300"})
        assert geweigerd.exit_code == 2, geweigerd.output
    toegestaan = runner.invoke(app, ["sql", "--csv", "--intern", "--release", release.release_id,
                                     "select count(*) as n from intern.melding_classificatie"])
    assert toegestaan.exit_code == 0 and int(_csv(toegestaan)[1]) == release.info["marts"]["melding_classificatie"]["rijen"]


def test_kwartaal_reads_the_release_frozen_for_it_not_the_current_one(demo_release, tmp_path, monkeypatch):
    from hermelding.build import build_db

    kopie = _gebruik(monkeypatch, kopieer_marts(demo_release, tmp_path))
    bevroren = pub.freeze(kopie, "2025KW3")
    nieuw = pub.publish_build(kopie, build_db(kopie), {"geslaagd": True}).release_id
    assert pub.current_release(kopie) == nieuw != bevroren
    query = "select release_id from release_info"
    assert _csv(runner.invoke(app, ["sql", "--csv", "--kwartaal", "2025KW3", query]))[1] == bevroren
    assert _csv(runner.invoke(app, ["sql", "--csv", "--release", bevroren, query]))[1] == bevroren
    assert _csv(runner.invoke(app, ["sql", "--csv", query]))[1] == nieuw
    niet = runner.invoke(app, ["sql", "--kwartaal", "2025KW2", query], env={"COLUMNS": "300"})
    assert niet.exit_code == 2 and "No release is frozen for 2025KW02" in niet.output and "2025KW03" in niet.output
    onbekend = runner.invoke(app, ["sql", "--release", "19990101T000000Z", query], env={"COLUMNS": "300"})
    assert onbekend.exit_code == 2 and bevroren in onbekend.output  # names the releases that exist


def test_excel_holds_raw_values_with_numbers_as_numbers_and_the_query(demo, tmp_path):
    from openpyxl import load_workbook

    pad = tmp_path / "uit.xlsx"
    query = ("select regionaam, periode, meldingen, hermelding_pct, hermelding_pct_vlag "
             "from openbaar.hermelding_regio_periode_openbaar where periode = '2025KW3' order by regionaam")
    uitkomst = runner.invoke(app, ["sql", "--excel", str(pad), query], env={"COLUMNS": "300"})
    assert uitkomst.exit_code == 0, uitkomst.output
    boek = load_workbook(pad)
    assert boek.sheetnames == ["resultaat", "query"]
    rijen = list(boek["resultaat"].iter_rows(values_only=True))
    assert rijen[0] == ("regionaam", "periode", "meldingen", "hermelding_pct", "hermelding_pct_vlag")
    data = rijen[1:]
    assert data and {r[1] for r in data} == {"2025KW03"}
    assert all(isinstance(r[2], int) for r in data if r[2] is not None)
    # numbers, not text (a whole percentage such as 40.0 comes back from Excel as the number 40)
    assert all(isinstance(r[3], (int, float)) and not isinstance(r[3], bool) for r in data if r[3] is not None)
    assert any(r[3] is not None for r in data)
    # a suppressed percentage is an empty cell (raw values), its flag says why
    assert all(r[3] is None for r in data if r[4]) and all(r[3] is not None for r in data if not r[4])
    over = dict(boek["query"].iter_rows(min_row=2, values_only=True))
    assert "'2025KW03'" in over["query"] and over["release"] == pub.current_release(demo)
    assert runner.invoke(app, ["sql", "--excel", str(tmp_path / "uit.csv"), "select 1"]).exit_code == 2


def test_csv_into_a_pipe_that_closes_early_stops_quietly(demo):
    """`hermelding sql --csv ... | head -1` printed 'ERROR [Errno 32] Broken pipe', exited 2 and logged a
    traceback; a closed output pipe ends the command quietly, as CLI tools do."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    hermelding = Path(sys.executable).with_name("hermelding")
    def logs():
        return {p for map_ in (demo.warehouse.parent, demo.marts_dir) for p in map_.rglob("*.log")}

    voor = logs()
    proces = subprocess.Popen(
        [str(hermelding), "sql", "--csv", "select * from openbaar.hermelding_regio_periode_openbaar, range(40)"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    assert proces.stdout.readline()  # the header, then the reader goes away
    proces.stdout.close()
    fout = proces.stderr.read().decode()
    proces.wait(timeout=120)
    assert "Broken pipe" not in fout and "ERROR" not in fout and "Traceback" not in fout, fout
    assert proces.returncode in (0, 141)
    assert logs() == voor  # no traceback written to a log
