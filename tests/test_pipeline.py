"""The nightly flow under Prefect's test harness, the lock, the schedule, and the command line."""

from __future__ import annotations

import json
import shutil
import threading

import pytest
from prefect.testing.utilities import prefect_test_harness
from typer.testing import CliRunner

from hermelding import nightly
from hermelding import publish as pub
from hermelding.cli import app
from hermelding.config import load_config
from hermelding.state import last_run_path, pipeline_lock
from tests.conftest import (
    REPO,
    VIER_LEVERINGEN,
    kopieer_leveringen,
    kopieer_project,
    laad_flows,
    project_config,
    suite_met_extra,
)

flows = laad_flows()

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def prefect_api():
    with prefect_test_harness(server_startup_timeout=180):
        yield


def _gebruik(cfg, monkeypatch):
    """The project configured through HERMELDING_* variables, as the command line and the flow read it."""
    monkeypatch.setenv("HERMELDING_ROOT", str(REPO))
    for sleutel in ("raw_dir", "referentie_dir", "warehouse", "build_dir", "marts_dir", "grondwaarheid_dir"):
        monkeypatch.setenv(f"HERMELDING_{sleutel.upper()}", str(getattr(cfg, sleutel)))
    return load_config()


@pytest.fixture
def omgeving(schone_set, tmp_path, monkeypatch):
    """A project whose data folders are private to the test, with four deliveries waiting and nothing run yet."""
    bron, _ = schone_set
    cfg = project_config(tmp_path)
    kopieer_leveringen(bron, cfg, VIER_LEVERINGEN)
    return _gebruik(cfg, monkeypatch)


@pytest.fixture(scope="module")
def na_eerste_run_sjabloon(vier_gebouwd, tmp_path_factory):
    """The same four deliveries ingested, built, audited and published, as a first nightly run leaves them
    (the same library stages, without Prefect; the flow's own first run is tested above). Copied per test."""
    from hermelding.build import build_db
    from hermelding.state import fingerprint, require_current_build

    bron, _, samenvatting = vier_gebouwd
    cfg = kopieer_project(bron, tmp_path_factory.mktemp("na_eerste_run"))
    afdruk = fingerprint(cfg)
    require_current_build(cfg, build_db(cfg), afdruk)
    pub.publish_build(cfg, build_db(cfg), samenvatting, {"vingerafdruk": afdruk})
    return cfg


@pytest.fixture
def na_eerste_run(na_eerste_run_sjabloon, tmp_path, monkeypatch):
    """A private copy of a project after its first nightly run (release published, nothing waiting): for tests
    of what a later run or command does, without a first run of their own."""
    return _gebruik(kopieer_project(na_eerste_run_sjabloon, tmp_path), monkeypatch)


def test_nightly_flow_end_to_end_then_nothing_new(omgeving):
    cfg = omgeving
    eerste = flows.nachtelijke_run()
    assert eerste.status == "gepubliceerd" and eerste.exit_code == 0
    assert pub.current_release(cfg) == eerste.release_id
    assert [v["uitkomst"] for v in eerste.leveringen] == ["geladen"] * 4
    laatste = json.loads(last_run_path(cfg).read_text())
    assert laatste["status"] == "gepubliceerd" and laatste["release_id"] == eerste.release_id

    from prefect.artifacts import Artifact

    artefact = Artifact.get("hermelding-run")
    assert artefact is not None and eerste.release_id in artefact.data and "Hermelding % per gemeente" in artefact.data

    tweede = flows.nachtelijke_run()
    assert tweede.status == "niets_nieuw" and tweede.release_id == eerste.release_id
    assert [r.release_id for r in pub.all_releases(cfg)] == [eerste.release_id]
    assert not (cfg.build_dir / "hermelding_build.duckdb").stat().st_mtime > last_run_path(cfg).stat().st_mtime


def test_new_delivery_is_published_as_a_new_release(na_eerste_run, schone_set):
    cfg = na_eerste_run
    eerste = pub.current_release(cfg)
    kopieer_leveringen(schone_set[0], cfg, {"VT02_2024HJ01"})
    tweede = flows.nachtelijke_run()
    assert tweede.status == "gepubliceerd" and tweede.release_id != eerste
    assert [v["map"] for v in tweede.leveringen if v["uitkomst"] == "geladen"] == ["VT02_2024HJ01"]


def test_gate_failure_exits_1_and_keeps_the_previous_release(na_eerste_run, monkeypatch, tmp_path, capfd):
    cfg = na_eerste_run
    eerste = pub.current_release(cfg)
    suite_met_extra(monkeypatch, tmp_path, "audit_onthulling", {
        "type": "expect_table_row_count_to_be_between", "severity": "critical", "kwargs": {"max_value": 0}})
    capfd.readouterr()
    uitkomst = runner.invoke(app, ["draai", "--forceer", "--stil"])
    assert uitkomst.exit_code == 1, uitkomst.output
    assert uitkomst.output.count("NOT PUBLISHED") == 1 and "audit_onthulling" in uitkomst.output
    # a refusal is an outcome, not a crash: no traceback from the flow engine, no solver banner (cron mails it)
    buiten = capfd.readouterr()
    assert "Traceback" not in buiten.err and "Running HiGHS" not in buiten.out + buiten.err
    assert pub.current_release(cfg) == eerste
    assert json.loads(last_run_path(cfg).read_text())["status"] == "geweigerd"


def test_rejected_delivery_still_publishes_the_rest_but_exits_1(omgeving):
    cfg = omgeving
    map_ = cfg.raw_dir / "VT02_2024HJ01"
    map_.mkdir()
    (map_ / "meldingen.csv").write_text("melding_id\nM1\n")
    uitkomst = runner.invoke(app, ["draai", "--stil"])
    assert uitkomst.exit_code == 1
    assert "VT02_2024HJ01" in uitkomst.output
    assert pub.current_release(cfg) is not None


@pytest.mark.parametrize("commando", ["draai", "inlezen", "bouw", "publiceer"])
def test_a_second_run_is_refused_while_one_is_busy(omgeving, commando):
    with pipeline_lock(omgeving):
        uitkomst = runner.invoke(app, [commando, "--stil"])
    assert uitkomst.exit_code == 3
    assert "busy" in uitkomst.output and "did nothing" in uitkomst.output
    assert pub.current_release(omgeving) is None


def test_a_refused_run_is_decided_before_solvers_or_the_flow_engine_are_imported(omgeving):
    """A run refused by the lock answers at once: it must not import the audit's solvers or Prefect first."""
    import os
    import subprocess
    import sys

    code = ("import sys; from typer.testing import CliRunner; from hermelding.cli import app; "
            "r = CliRunner().invoke(app, ['draai', '--stil']); "
            "print(r.exit_code, 'scipy' in sys.modules, 'prefect' in sys.modules)")
    with pipeline_lock(omgeving):
        uit = subprocess.run([sys.executable, "-c", code], env=os.environ, capture_output=True, text=True, check=True)
    assert uit.stdout.split()[-3:] == ["3", "False", "False"], uit.stdout + uit.stderr


def test_a_second_run_waits_for_the_lock_when_configured(omgeving):
    cfg = omgeving.with_overrides(lock_wachttijd_seconden=30)
    vastgepakt, los = threading.Event(), threading.Event()
    volgorde: list[str] = []

    def eerste_run():
        with pipeline_lock(cfg):
            vastgepakt.set()
            los.wait(10)
            volgorde.append("eerste klaar")

    draad = threading.Thread(target=eerste_run)
    draad.start()
    assert vastgepakt.wait(10)
    threading.Timer(0.3, los.set).start()
    with pipeline_lock(cfg):  # blocks until the first run lets go, instead of refusing
        volgorde.append("tweede begint")
    draad.join()
    assert volgorde == ["eerste klaar", "tweede begint"]


def test_retries_only_for_transient_failures():
    class Toestand:
        def __init__(self, fout):
            self.fout = fout

        def result(self):
            raise self.fout

    assert flows.transient(None, None, Toestand(OSError("I/O error")))
    assert not flows.transient(None, None, Toestand(nightly.QualityFailure("gate")))
    assert not flows.transient(None, None, Toestand(ValueError("bug")))


def test_deployment_carries_the_configured_schedule(omgeving, monkeypatch):
    monkeypatch.setenv("HERMELDING_SCHEMA_CRON", "30 3 * * 1-5")
    cfg = load_config()
    deployment = flows.deployment(cfg)
    [schema] = deployment.schedules
    assert schema.schedule.cron == "30 3 * * 1-5" and schema.schedule.timezone == "Europe/Amsterdam"
    assert deployment.concurrency_limit == 1


def test_status_shows_release_last_run_waiting_deliveries_and_config_sources(omgeving, monkeypatch):
    monkeypatch.setenv("HERMELDING_BEWAAR_RELEASES", "4")
    uitkomst = runner.invoke(app, ["status"], env={"COLUMNS": "200"})
    assert uitkomst.exit_code == 0
    for woord in ("none published yet", "VT02_2022HJ01", "bewaar_releases", "env HERMELDING_BEWAAR_RELEASES"):
        assert woord in uitkomst.output


def test_sql_reads_the_current_release(na_eerste_run):
    query = ("select regiocode, meldingen from openbaar.hermelding_regio_periode_openbaar "
             "where periode = '2023JJ00' and regiotype = 'vt_regio'")
    uitkomst = runner.invoke(app, ["sql", "--csv", query])
    assert uitkomst.exit_code == 0
    kop, rij = uitkomst.output.strip().splitlines()
    assert kop == "regiocode,meldingen" and rij.startswith("VT02,")
    assert runner.invoke(app, ["sql", "select * from bestaat_niet"]).exit_code == 2


COMMANDS = ["genereer", "inlezen", "bouw", "draai", "serveer", "status", "releases", "terugzetten", "publiceer", "sql",
            "gevoeligheid",
            "documentatie", "rapport"]


@pytest.mark.parametrize("commando", COMMANDS)
def test_every_command_has_help_with_an_example(commando):
    uitkomst = runner.invoke(app, [commando, "--help"], env={"COLUMNS": "200"})
    assert uitkomst.exit_code == 0
    assert "Example" in uitkomst.output


def test_the_command_list_shows_dutch_names_only_and_old_spellings_still_work():
    import re

    lijst = set(re.findall(r"^│ (\w+)\s", runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output, re.M))
    assert lijst == set(COMMANDS)  # the English spellings are hidden aliases
    for oud, nieuw in {"ingest": "inlezen", "build": "bouw", "run": "draai", "serve": "serveer",
                       "rollback": "terugzetten"}.items():
        hulp = runner.invoke(app, [oud, "--help"], env={"COLUMNS": "200"})
        assert hulp.exit_code == 0 and f"hermelding {nieuw}" in hulp.output


def test_serve_without_a_server_explains_both_ways(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    uitkomst = runner.invoke(app, ["serveer"])
    assert uitkomst.exit_code == 2 and "prefect server start" in uitkomst.output and "cron" in uitkomst.output


# --- operator-facing behaviour: busy, nothing new, errors, rejected deliveries, missing folders --------------


def _geen_flow_engine(monkeypatch):
    """Make starting the Prefect flow fail loudly: what the test checks must be decided before it."""
    def weigeren(config):
        raise AssertionError("the flow engine was started")

    monkeypatch.setattr(nightly, "flows_module", weigeren)


def test_a_busy_run_is_refused_before_prefect_starts_in_one_line(omgeving, monkeypatch):
    _geen_flow_engine(monkeypatch)
    with pipeline_lock(omgeving):
        uitkomst = runner.invoke(app, ["draai", "--stil"])
    assert uitkomst.exit_code == 3, uitkomst.output
    assert len(uitkomst.output.strip().splitlines()) == 1 and "busy" in uitkomst.output


def test_nothing_new_is_decided_before_prefect_starts_and_reported_in_the_summary(na_eerste_run, monkeypatch):
    eerste = pub.current_release(na_eerste_run)
    _geen_flow_engine(monkeypatch)
    uitkomst = runner.invoke(app, ["draai", "--stil"])
    assert uitkomst.exit_code == 0, uitkomst.output
    laatste = json.loads(last_run_path(na_eerste_run).read_text())
    assert laatste["status"] == "niets_nieuw" and laatste["release_id"] == eerste


def test_the_flow_run_inside_the_commands_lock_does_not_wait_for_itself(omgeving):
    from hermelding.state import hold_for_process

    with hold_for_process(omgeving):
        resultaat = flows.nachtelijke_run()
    assert resultaat.status == "gepubliceerd"


def test_a_rejected_delivery_stays_listed_in_status_until_it_is_replaced(na_eerste_run):
    cfg = na_eerste_run
    map_ = cfg.raw_dir / "VT02_2024HJ01"
    map_.mkdir()
    (map_ / "meldingen.csv").write_text("melding_id\nM1\n")
    assert runner.invoke(app, ["draai", "--stil"]).exit_code == 1
    assert runner.invoke(app, ["draai", "--stil"]).exit_code == 0  # nothing new: the rejection is not retried
    status = runner.invoke(app, ["status"], env={"COLUMNS": "300"})
    assert status.exit_code == 0
    regel = next(r for r in status.output.splitlines() if "VT02_2024HJ01" in r)
    assert regel.startswith("Rejected") and "bestand_ontbreekt" in regel
    shutil.rmtree(map_)
    assert "VT02_2024HJ01" not in runner.invoke(app, ["status"], env={"COLUMNS": "300"}).output


@pytest.mark.parametrize("commando", ["draai", "inlezen", "status"])
def test_a_missing_raw_dir_is_an_error_not_nothing_waiting(omgeving, monkeypatch, tmp_path, commando):
    monkeypatch.setenv("HERMELDING_RAW_DIR", str(tmp_path / "bestaat_niet"))
    uitkomst = runner.invoke(app, [commando], env={"COLUMNS": "300"})
    assert uitkomst.exit_code == 2 and "raw_dir" in uitkomst.output and "does not exist" in uitkomst.output


def test_status_while_an_ingest_writes_the_warehouse_says_busy(na_eerste_run):
    import subprocess
    import sys

    schrijver = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('klaar', flush=True); "
         "sys.stdin.read()", str(na_eerste_run.warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert schrijver.stdout.readline().strip() == "klaar"
        uitkomst = runner.invoke(app, ["status"], env={"COLUMNS": "300"})
    finally:
        schrijver.communicate("", timeout=60)
    assert uitkomst.exit_code == 0, uitkomst.output
    assert "unknown now" in uitkomst.output and "being written" in uitkomst.output
    assert "Current release: " in uitkomst.output and "Traceback" not in uitkomst.output


def test_a_permission_error_is_one_line_exit_2_with_the_traceback_in_a_log(omgeving, monkeypatch):
    import errno
    import re
    from pathlib import Path

    def alleen_lezen(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(omgeving.marts_dir / "releases"))

    monkeypatch.setattr(pub, "publish_build", alleen_lezen)
    uitkomst = runner.invoke(app, ["draai", "--stil"])
    assert uitkomst.exit_code == 2, uitkomst.output
    assert len(uitkomst.output.strip().splitlines()) == 1 and "Permission denied" in uitkomst.output
    log = Path(re.search(r"traceback: (\S+\.log)", uitkomst.output)[1])
    assert log.parent == omgeving.warehouse.parent / "logs" and "Traceback" in log.read_text()
    assert json.loads(last_run_path(omgeving).read_text())["status"] == "mislukt"


def test_permission_and_read_only_errors_are_not_retried():
    import errno

    class Toestand:
        def __init__(self, fout):
            self.fout = fout

        def result(self):
            raise self.fout

    for code in (errno.EACCES, errno.EROFS, errno.ENOSPC):
        assert not flows.transient(None, None, Toestand(OSError(code, "nee")))
    assert flows.transient(None, None, Toestand(OSError(errno.EIO, "I/O error")))


def test_an_unexpected_error_is_exit_4_with_a_log_not_a_traceback(omgeving, monkeypatch):
    def kapot(config):
        raise KeyError("release.json mist een veld")

    monkeypatch.setattr(pub, "release_statuses", kapot)
    uitkomst = runner.invoke(app, ["releases"])
    assert uitkomst.exit_code == 4
    assert "INTERNAL ERROR" in uitkomst.output and ".log" in uitkomst.output and "Traceback" not in uitkomst.output


def test_serve_with_no_reachable_server_is_one_line_exit_2(monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    uitkomst = runner.invoke(app, ["serveer"])
    assert uitkomst.exit_code == 2, uitkomst.output
    assert len(uitkomst.output.strip().splitlines()) == 1 and "No Prefect server reachable" in uitkomst.output


def test_docs_are_generated_without_writing_the_build_database(na_eerste_run):
    import hashlib

    from hermelding.build import build_db

    db = build_db(na_eerste_run)
    voor = hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns
    uitkomst = runner.invoke(app, ["documentatie"])
    assert uitkomst.exit_code == 0, uitkomst.output
    assert (hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns) == voor
    assert (na_eerste_run.dbt_target_dir / "catalog.json").exists()



def test_library_records_outside_a_flow_run_give_no_prefect_warning():
    """dbt runs the disclosure engine's Python models in its own threads, outside the flow run's context: their
    records are logged (console, run log) without a Prefect warning for each (651 in a national run). In a fresh
    interpreter, as the command line starts: Prefect sets up its log handlers when it is first imported."""
    import os
    import subprocess
    import sys

    omgeving = {k: v for k, v in os.environ.items() if k != "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW"}
    uit = subprocess.run([sys.executable, "-W", "always", "-c",
                          "import flows.nachtelijk, logging; logging.getLogger('hermelding.disclosure_milp').warning('proef')"],
                         cwd=REPO, env=omgeving, capture_output=True, text=True, timeout=120, check=True)
    assert "proef" in uit.stderr  # the record itself is logged
    assert "attempted to send logs" not in uit.stderr


def test_a_report_on_two_years_of_data_says_the_definitions_cannot_be_put_side_by_side_yet(na_eerste_run):
    """The trial's `rapport` on a two-year national release exited 2: no D2 year cohort had been followed for its
    longest horizon. The report is written, and the two sections that need such a year say why they are empty."""
    from html import unescape

    from openpyxl import load_workbook

    from hermelding.report import NOG_GEEN_JAAR

    cfg = na_eerste_run
    uit = runner.invoke(app, ["rapport"])
    assert uit.exit_code == 0, uit.output
    html = next(cfg.marts_dir.glob("rapporten/*/*.html"))
    tekst = unescape(html.read_text(encoding="utf-8"))
    assert tekst.count(NOG_GEEN_JAAR) == 2  # side by side; D2 by besluit
    assert "jaarcohort –" not in tekst and "jaarcohort None" not in tekst
    blad = load_workbook(html.with_suffix(".xlsx"))["Definities naast elkaar"]
    assert NOG_GEEN_JAAR in [c.value for rij in blad.iter_rows() for c in rij]
