"""Write-audit-publish: releases, catalog, rollback, freeze, retention, crash safety and concurrent readers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from hermelding import publish as pub
from hermelding.audit import audit
from hermelding.ingest import ingest
from tests.conftest import REPO, kopieer_leveringen, suite_met_extra


@pytest.fixture(scope="module")
def gebouwd(vier_gebouwd):
    """One ingest + build + audit, shared read-only; every test publishes into its own marts folder."""
    return vier_gebouwd


@pytest.fixture
def project(gebouwd, tmp_path):
    cfg, db, samenvatting = gebouwd
    return cfg.with_overrides(marts_dir=str(tmp_path / "marts")), db, samenvatting


def omgeving(cfg) -> dict:
    """Environment that makes a child process use the same configuration."""
    env = dict(os.environ, HERMELDING_ROOT=str(REPO))
    for sleutel in ("raw_dir", "referentie_dir", "warehouse", "build_dir", "marts_dir", "grondwaarheid_dir", "bewaar_releases"):
        env[f"HERMELDING_{sleutel.upper()}"] = str(getattr(cfg, sleutel))
    return env


def views(catalogus) -> dict[str, int]:
    """Row count of every mart in a catalog (the marts are tables inside it since the catalog is self-contained)."""
    with duckdb.connect(str(catalogus), read_only=True) as con:
        namen = con.execute("select schema_name || '.' || table_name from duckdb_tables() "
                            "where not internal and table_name <> 'release_info'").fetchall()
        return {n: con.execute(f"select count(*) from {n}").fetchone()[0] for (n,) in namen}


def test_release_has_a_parquet_file_per_mart_and_a_complete_release_json(project):
    cfg, db, samenvatting = project
    release = pub.publish_build(cfg, db, samenvatting)
    info = json.loads((release.pad / "release.json").read_text())
    assert {"release_id", "tijd", "git_commit", "invoer", "definities", "marts", "validatie"} <= set(info)
    assert len(info["invoer"]) == 4 and all(len(i["inhoud_sha256"]) == 64 for i in info["invoer"])
    assert {d["definitie_id"] for d in info["definities"]} == {
        "eerdere_betrokkenheid", "herhaalde_melding", "recidive_pleger", "intergenerationeel"}
    assert info["validatie"]["geslaagd"] is True
    openbaar = {p.stem for p in (release.pad / "openbaar").glob("*.parquet")}
    intern = {p.stem for p in (release.pad / "intern").glob("*.parquet")}
    assert {"hermelding_regio_periode_openbaar", "herhaling_cohort_openbaar", "dim_gemeente"} <= openbaar
    assert {"hermelding_regio_periode", "melding_classificatie"} <= intern and not openbaar & intern
    for mart in pub.read_release(cfg, release.release_id).info["marts"].values():  # with the internal figures
        with duckdb.connect() as con:
            assert con.execute(f"select count(*) from '{release.pad / mart['bestand']}'").fetchone()[0] == mart["rijen"]


def test_release_json_is_public_and_holds_no_exact_internal_figure(project):
    """release.json is world-readable (readers need it); exact rows per delivery give a region's exact totals and
    internal row counts the exact number of meldingen, so they live in intern/release.json (owner only)."""
    cfg, db, samenvatting = project
    release = pub.publish_build(cfg, db, samenvatting)
    info = json.loads((release.pad / "release.json").read_text())
    assert all("rijen" not in m for m in info["marts"].values() if m["map"] == "intern")
    assert all(set(i) == {"levering_id", "regio", "periode", "inhoud_sha256", "quarantaine_pct"} for i in info["invoer"])
    assert info["validatie"] == {"geslaagd": True}
    exact = release.pad / "intern" / "release.json"
    assert oct(exact.stat().st_mode & 0o777) == "0o600"
    volledig = pub.read_release(cfg, release.release_id).info
    assert volledig["validatie"] == json.loads(json.dumps(samenvatting, default=str))
    assert all(i["rijen_geladen"] > 0 for i in volledig["invoer"])
    # a freeze writes the public description back without the internal figures
    pub._mark_approved(cfg, release.release_id)
    assert json.loads((release.pad / "release.json").read_text())["validatie"] == {"geslaagd": True}


def test_every_release_carries_the_dbt_docs_site_without_writing_the_build_database(project):
    """documentatie/index.html: dbt's static site (models, lineage with the report and notebooks as exposures),
    generated from a copy: the build database and the dbt target stay byte-identical; a second release of the
    same build reuses the site."""
    import hashlib

    from hermelding.build import docs_site

    cfg, db, samenvatting = project
    manifest = cfg.dbt_target_dir / "manifest.json"

    def afdruk():
        return hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns, manifest.read_bytes()

    voor = afdruk()
    release = pub.publish_build(cfg, db, samenvatting)
    assert afdruk() == voor
    info = json.loads((release.pad / "release.json").read_text())
    site = release.pad / info["documentatie_site"]
    html = site.read_text(encoding="utf-8")
    for naam in ("herhaling_curve_maand_openbaar", "kwartaalrapport", "notebook_overleving_d2_d3"):
        assert naam in html, naam
    assert "<script src=\"http" not in html and "<link href=\"http" not in html  # opens offline
    tweede = pub.publish_build(cfg, db, samenvatting)
    assert (tweede.pad / info["documentatie_site"]).read_bytes() == site.read_bytes()
    assert docs_site(cfg, db).stat().st_mtime_ns == docs_site(cfg, db).stat().st_mtime_ns

def test_catalog_shows_the_current_release_with_dbt_docs_as_comments(project):
    cfg, db, samenvatting = project
    release = pub.publish_build(cfg, db, samenvatting)
    catalogus = pub.catalog_path(cfg)
    aantallen = views(catalogus)
    assert aantallen["openbaar.hermelding_regio_periode_openbaar"] == release.info["marts"]["hermelding_regio_periode_openbaar"]["rijen"]
    manifest = json.loads((cfg.dbt_target_dir / "manifest.json").read_text())
    doc = next(n for n in manifest["nodes"].values() if n["name"] == "hermelding_regio_periode")
    # the internal marts are documented in the internal catalog (the readers' catalog does not hold them)
    with duckdb.connect(str(pub.catalog_path(cfg, intern=True)), read_only=True) as con:
        assert con.execute("select release_id from release_info").fetchone()[0] == release.release_id
        commentaar = con.execute("select comment from duckdb_tables() where table_name = 'hermelding_regio_periode'").fetchone()[0]
        kolom = con.execute("select comment from duckdb_columns() where table_name = 'hermelding_regio_periode' "
                            "and column_name = 'hermelding_pct'").fetchone()[0]
    assert commentaar == doc["description"].strip()
    assert kolom == doc["columns"]["hermelding_pct"]["description"].strip()


def test_failed_audit_publishes_nothing_and_keeps_the_previous_release(project, tmp_path, monkeypatch):
    cfg, db, samenvatting = project
    eerste = pub.publish_build(cfg, db, samenvatting)
    suite_met_extra(monkeypatch, tmp_path, "audit_plausibiliteit", {
        "type": "expect_column_values_to_be_between", "severity": "critical",
        "kwargs": {"column": "factor", "max_value": 0.5}})
    uitslag = audit(cfg, db, eerste.pad)
    assert not uitslag.geslaagd
    assert any("audit_plausibiliteit" in k and "(factor)" in k for k in uitslag.kritiek)
    assert uitslag.data_docs.exists()
    with pytest.raises(pub.PublishError):
        pub.publish_build(cfg, db, uitslag.summary())
    assert pub.current_release(cfg) == eerste.release_id
    assert [r.release_id for r in pub.all_releases(cfg)] == [eerste.release_id]


def test_rollback_makes_an_older_release_current(project):
    cfg, db, samenvatting = project
    a = pub.publish_build(cfg, db, samenvatting)
    b = pub.publish_build(cfg, db, samenvatting)
    assert pub.current_release(cfg) == b.release_id
    pub.activate(cfg, a.release_id)
    assert pub.current_release(cfg) == a.release_id
    with pytest.raises(pub.PublishError):
        pub.activate(cfg, "bestaat-niet")


def test_retention_keeps_the_last_n_and_every_frozen_release(project):
    cfg, db, samenvatting = project
    cfg = cfg.with_overrides(bewaar_releases=2)
    bevroren = pub.publish_build(cfg, db, samenvatting)
    assert pub.freeze(cfg, "2023KW4") == bevroren.release_id
    nieuw = [pub.publish_build(cfg, db, samenvatting).release_id for _ in range(3)]
    over = [r.release_id for r in pub.all_releases(cfg)]
    assert over == [bevroren.release_id, *nieuw[-2:]]
    assert pub.frozen_quarters(cfg) == {"2023KW04": bevroren.release_id}
    with pytest.raises(pub.PublishError, match="already frozen"):
        pub.freeze(cfg, "2023KW04")  # the current release is another one: a frozen quarter is never overwritten
    with pytest.raises(pub.PublishError):
        pub.freeze(cfg, "2023Q4")


PUBLICEER_SCRIPT = textwrap.dedent("""
    import json, pathlib, sys
    from hermelding.config import load_config
    from hermelding.build import build_db
    from hermelding.publish import publish_build
    cfg = load_config()
    samenvatting = json.loads(pathlib.Path(sys.argv[1]).read_text())
    print(publish_build(cfg, build_db(cfg), samenvatting).release_id)
""")


@pytest.mark.parametrize("punt", ["tijdens_export", "voor_hernoemen", "na_hernoemen", "catalogus_klaar", "na_wissel"])
def test_killed_publication_leaves_old_or_new_release_never_a_mix(project, punt, tmp_path):
    cfg, db, samenvatting = project
    oud = pub.publish_build(cfg, db, samenvatting)
    env = omgeving(cfg) | {"HERMELDING_CRASHTEST": punt}
    (tmp_path / "audit.json").write_text(json.dumps(samenvatting))
    proces = subprocess.run([sys.executable, "-c", PUBLICEER_SCRIPT, str(tmp_path / "audit.json")], env=env, check=False,
                            capture_output=True, text=True, timeout=300)
    assert proces.returncode == -9, proces.stderr[-2000:]
    huidig = pub.current_release(cfg)
    releases = {r.release_id for r in pub.all_releases(cfg)}
    assert huidig in releases
    if punt in ("tijdens_export", "voor_hernoemen", "na_hernoemen", "catalogus_klaar"):
        assert huidig == oud.release_id
    else:
        assert huidig != oud.release_id
    # the current catalog is complete: every view answers and matches its release's row counts
    info = pub.read_release(cfg, huidig).info
    aantallen = views(pub.catalog_path(cfg, intern=True))  # the internal catalog holds every mart
    assert {n.split(".")[1]: a for n, a in aantallen.items()} == {k: m["rijen"] for k, m in info["marts"].items()}
    # the next run cleans up what the killed one left, and publishes normally
    pub.publish_build(cfg, db, samenvatting)
    assert not list(cfg.marts_dir.glob(".tmp-*")) and not list(pub.releases_dir(cfg).glob(".tmp-*"))


LEZER_SCRIPT = textwrap.dedent("""
    import json, sys, time, duckdb, pathlib
    catalogus, stop = sys.argv[1], pathlib.Path(sys.argv[2])
    con = duckdb.connect(catalogus, read_only=True)
    waarnemingen = []
    print("klaar", flush=True)
    while not stop.exists():
        release = con.execute("select release_id from release_info").fetchone()[0]
        rijen = con.execute("select count(*) from openbaar.hermelding_regio_periode_openbaar").fetchone()[0]
        waarnemingen.append([release, rijen])
        time.sleep(0.01)
    print(json.dumps(waarnemingen))
""")


def test_reader_holding_the_catalog_keeps_one_consistent_release_while_new_ones_publish(project, tmp_path):
    cfg, db, samenvatting = project
    eerste = pub.publish_build(cfg, db, samenvatting)
    stop = tmp_path / "stop"
    lezer = subprocess.Popen([sys.executable, "-c", LEZER_SCRIPT, str(pub.catalog_path(cfg)), str(stop)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert lezer.stdout.readline().strip() == "klaar"
    nieuw = [pub.publish_build(cfg, db, samenvatting).release_id for _ in range(2)]
    time.sleep(0.2)
    stop.touch()
    uit, fout = lezer.communicate(timeout=60)
    assert lezer.returncode == 0, fout
    waarnemingen = json.loads(uit.strip().splitlines()[-1])
    assert len(waarnemingen) > 5
    verwacht = eerste.info["marts"]["hermelding_regio_periode_openbaar"]["rijen"]
    assert {tuple(w) for w in waarnemingen} == {(eerste.release_id, verwacht)}
    # a newly opened connection sees the newest release
    assert pub.current_release(cfg) == nieuw[-1]


def test_implausible_change_of_a_published_period_is_a_warning_not_a_block(project, tmp_path):
    cfg, db, samenvatting = project
    vorige = pub.publish_build(cfg, db, samenvatting)
    # the previously published figures of one municipality were three times lower
    nep = tmp_path / "vorige"
    (nep / "intern").mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(f"""copy (select * replace (case when regiocode = 'GM0114' then meldingen // 3 else meldingen end
                              as meldingen) from '{vorige.pad / 'intern' / 'hermelding_regio_periode.parquet'}')
                        to '{nep / 'intern' / 'hermelding_regio_periode.parquet'}' (format parquet)""")
    uitslag = audit(cfg, db, nep)
    assert uitslag.geslaagd
    assert any("audit_plausibiliteit" in w for w in uitslag.waarschuwingen)
    assert audit(cfg, db, vorige.pad).waarschuwingen == []


# --- the readers' catalog: self-contained, public only, and `hermelding sql` confined to it -------------


@pytest.fixture
def gepubliceerd(project, monkeypatch):
    """One published release; the command line configured (HERMELDING_*) to see it."""
    cfg, db, samenvatting = project
    release = pub.publish_build(cfg, db, samenvatting)
    for sleutel, waarde in omgeving(cfg).items():
        if sleutel.startswith("HERMELDING_"):
            monkeypatch.setenv(sleutel, waarde)
    return cfg, release


def test_readers_catalog_holds_only_public_marts_and_the_internal_ones_are_restricted(gepubliceerd):
    cfg, release = gepubliceerd
    with duckdb.connect(str(pub.catalog_path(cfg)), read_only=True) as con:
        schemas = {s for (s,) in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        assert con.execute("select count(*) from duckdb_views() where not internal").fetchone()[0] == 0
    assert schemas == {"openbaar", "main"}  # main: release_info
    # no intern_groep configured: the owner only
    assert oct(pub.catalog_path(cfg, intern=True).stat().st_mode & 0o777) == "0o600"
    assert oct((release.pad / "intern").stat().st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in (release.pad / "intern").iterdir()} == {"0o600"}
    assert oct(pub.catalog_path(cfg).stat().st_mode & 0o777) == "0o644"
    assert "intern.melding_classificatie" in views(pub.catalog_path(cfg, intern=True))


def test_intern_groep_owns_the_internal_data(project):
    import grp

    cfg, db, samenvatting = project
    groep = grp.getgrgid(os.getgid()).gr_name
    release = pub.publish_build(cfg.with_overrides(intern_groep=groep), db, samenvatting)
    assert pub.catalog_path(cfg, intern=True).stat().st_gid == os.getgid()
    assert all(p.stat().st_gid == os.getgid() for p in (release.pad / "intern").iterdir())
    assert oct(pub.catalog_path(cfg, intern=True).stat().st_mode & 0o777) == "0o640"
    assert oct((release.pad / "intern").stat().st_mode & 0o777) == "0o750"
    with pytest.raises(pub.PublishError, match="intern_groep"):
        pub.publish_build(cfg.with_overrides(intern_groep="geen_groep_die_bestaat"), db, samenvatting)


def test_the_catalog_keeps_working_after_data_marts_is_moved(gepubliceerd, tmp_path):
    cfg, _ = gepubliceerd
    verhuisd = tmp_path / "elders"
    shutil.copytree(cfg.marts_dir, verhuisd)
    shutil.rmtree(cfg.marts_dir)
    nieuw = cfg.with_overrides(marts_dir=str(verhuisd))
    frame = pub.query_catalog(nieuw, "select count(*) as n from openbaar.hermelding_regio_periode_openbaar")
    assert frame.n.iloc[0] > 0


ONTSNAPPINGEN = [
    "select * from read_csv('/etc/passwd')",
    "select * from read_text('/etc/hostname')",
    "copy (select 1) to '{tmp}/uit.csv'",
    "export database '{tmp}/export'",
    "attach '{warehouse}' as w",
    "select 1; select * from read_csv('/etc/passwd')",
    "install httpfs",
    "load httpfs",
    "set enable_external_access = true",
    "select * from 'https://example.org/x.parquet'",
]


@pytest.mark.parametrize("query", ONTSNAPPINGEN)
def test_sql_reads_the_catalog_and_nothing_else(gepubliceerd, tmp_path, query):
    from typer.testing import CliRunner

    from hermelding.cli import app

    cfg, _ = gepubliceerd
    uitkomst = CliRunner().invoke(app, ["sql", query.format(tmp=tmp_path, warehouse=cfg.warehouse)],
                                  env={"COLUMNS": "300"})
    assert uitkomst.exit_code == 2, uitkomst.output
    assert "root:" not in uitkomst.output and "Traceback" not in uitkomst.output
    assert any(w in uitkomst.output for w in ("nothing else", "One statement", "Only a query"))
    assert not (tmp_path / "uit.csv").exists() and not (tmp_path / "export").exists()


def test_internal_marts_need_intern_and_read_access(gepubliceerd, monkeypatch):
    from typer.testing import CliRunner

    from hermelding.cli import app

    cfg, _ = gepubliceerd
    runner = CliRunner()
    query = "select count(*) as n from intern.melding_classificatie"
    zonder = runner.invoke(app, ["sql", query], env={"COLUMNS": "300"})
    assert zonder.exit_code == 2 and "--intern" in zonder.output
    met = runner.invoke(app, ["sql", "--csv", "--intern", query])
    assert met.exit_code == 0 and int(met.output.strip().splitlines()[1]) > 0
    # a user outside owner and intern_groep (simulated: root may read anything)
    monkeypatch.setattr(pub.os, "access", lambda pad, modus: False)
    geweigerd = runner.invoke(app, ["sql", "--intern", query], env={"COLUMNS": "300"})
    assert geweigerd.exit_code == 2 and "may not read the internal catalog" in geweigerd.output


# --- stale builds, freezing, retention -------------------------------------------------------------------


def test_a_build_of_an_older_state_is_not_published(gebouwd, schone_set, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from hermelding.cli import app
    from hermelding.nightly import audit_and_publish
    from hermelding.state import StaleBuild, build_state_path, fingerprint

    bron_cfg, db, _ = gebouwd
    cfg = bron_cfg.with_overrides(warehouse=str(tmp_path / "wh" / "warehouse.duckdb"),
                                  build_dir=str(tmp_path / "build"), marts_dir=str(tmp_path / "marts"),
                                  raw_dir=str(tmp_path / "raw"))
    (tmp_path / "wh").mkdir()
    shutil.copy(bron_cfg.warehouse, cfg.warehouse)
    shutil.copytree(bron_cfg.raw_dir, cfg.raw_dir)
    kopie = cfg.build_dir / db.name
    cfg.build_dir.mkdir()
    shutil.copy(db, kopie)
    shutil.copy(build_state_path(db), build_state_path(kopie))
    assert json.loads(build_state_path(kopie).read_text())["vingerafdruk"] == fingerprint(cfg)
    # a new delivery is loaded, but not built
    kopieer_leveringen(schone_set[0], cfg, {"VT02_2024HJ01"})
    ingest(cfg)
    with pytest.raises(StaleBuild, match="hermelding bouw"):
        audit_and_publish(cfg, kopie, fingerprint(cfg))
    for sleutel, waarde in omgeving(cfg).items():
        if sleutel.startswith("HERMELDING_"):
            monkeypatch.setenv(sleutel, waarde)
    uitkomst = CliRunner().invoke(app, ["publiceer"], env={"COLUMNS": "300"})
    assert uitkomst.exit_code == 2 and "hermelding bouw" in uitkomst.output
    assert pub.current_release(cfg) is None
    # a build that was killed or failed has no record of its state: refused as well
    build_state_path(kopie).unlink()
    with pytest.raises(StaleBuild, match="no record"):
        audit_and_publish(cfg, kopie, fingerprint(cfg))


def test_only_a_frozen_complete_quarter_is_approved_for_outside_publication(project):
    from hermelding.state import fingerprint

    cfg, db, samenvatting = project
    release = pub.publish_build(cfg, db, samenvatting)
    assert pub.read_release(cfg, release.release_id).info["vrijgegeven_voor_publicatie"] is False
    with pytest.raises(pub.PublishError, match="not complete"):
        pub.freeze(cfg, "2030KW1")
    assert pub.frozen_quarters(cfg) == {}
    voor = fingerprint(cfg)
    pub.freeze(cfg, "2023KW4")
    # the next build is protected together with the frozen release: a build made before it is out of date
    assert fingerprint(cfg) != voor
    info = pub.read_release(cfg, release.release_id).info
    assert info["vrijgegeven_voor_publicatie"] is True and info["vrijgegeven_voor_kwartalen"] == ["2023KW04"]
    assert pub.unfreeze(cfg, "2023KW4") == release.release_id
    assert pub.frozen_quarters(cfg) == {}
    assert pub.read_release(cfg, release.release_id).info["vrijgegeven_voor_publicatie"] is False
    assert fingerprint(cfg) == voor
    historie = [json.loads(r) for r in (cfg.marts_dir / pub.FREEZE_HISTORY_FILE).read_text().splitlines()]
    assert [h["handeling"] for h in historie] == ["bevroren", "ontdooid"]


def test_unfreezing_from_the_command_line_needs_confirmation(gepubliceerd):
    from typer.testing import CliRunner

    from hermelding.cli import app

    cfg, release = gepubliceerd
    runner = CliRunner()
    assert runner.invoke(app, ["publiceer", "--bevries", "2030KW1"]).exit_code == 2
    assert runner.invoke(app, ["publiceer", "--bevries", "2023KW4"]).exit_code == 0
    zonder = runner.invoke(app, ["publiceer", "--ontdooi", "2023KW4"], env={"COLUMNS": "300"})
    assert zonder.exit_code == 2 and "--bevestig" in zonder.output
    assert pub.frozen_quarters(cfg) == {"2023KW04": release.release_id}
    assert runner.invoke(app, ["publiceer", "--ontdooi", "2023KW4", "--bevestig"]).exit_code == 0
    assert pub.frozen_quarters(cfg) == {}


def test_pruning_keeps_the_previous_release_until_the_next_publication(project):
    cfg, db, samenvatting = project
    cfg = cfg.with_overrides(bewaar_releases=1)
    a = pub.publish_build(cfg, db, samenvatting).release_id
    b = pub.publish_build(cfg, db, samenvatting).release_id
    assert [r.release_id for r in pub.all_releases(cfg)] == [a, b]  # a reader of a's files may still be busy
    c = pub.publish_build(cfg, db, samenvatting).release_id
    assert [r.release_id for r in pub.all_releases(cfg)] == [b, c]


def test_audit_refuses_a_public_release_that_is_mostly_suppressed(gebouwd):
    cfg, db, _ = gebouwd
    uitslag = audit(cfg.with_overrides(max_aandeel_onderdrukt=0.01), db)
    assert not uitslag.geslaagd and any("audit_omvang" in k for k in uitslag.kritiek)


def test_private_folders_are_closed_to_other_users_when_a_command_takes_the_lock(config):
    """Deliveries, ground truth, warehouse and build (with its Data Docs) hold per-melding data: no other user
    may enter them; the owner's and group's bits are the administrator's (a supplier's upload group)."""
    from hermelding.state import pipeline_lock

    for pad in (config.raw_dir, config.grondwaarheid_dir, config.build_dir):
        pad.mkdir(parents=True, exist_ok=True)
        pad.chmod(0o775)
    assert set(pub.too_open(config)) >= {config.raw_dir, config.grondwaarheid_dir, config.build_dir}
    with pipeline_lock(config):
        pass
    assert pub.too_open(config) == []
    assert oct(config.raw_dir.stat().st_mode & 0o777) == "0o770"
    assert oct(config.warehouse.parent.stat().st_mode & 0o007) == "0o0"


def test_a_private_folder_made_during_a_command_is_closed_when_it_ends(config, tmp_path):
    """A first run creates the build folder (configurable outside the warehouse folder) after the lock was taken:
    it is closed when the command ends, not only at the next one."""
    from hermelding.state import pipeline_lock

    cfg = config.with_overrides(build_dir=str(tmp_path / "elders" / "build"))
    with pipeline_lock(cfg):
        cfg.build_dir.mkdir(parents=True, mode=0o755)
        (cfg.build_dir / "hermelding_build.duckdb").write_text("exact")
        assert cfg.build_dir in pub.too_open(cfg)
    assert pub.too_open(cfg) == []
    assert oct(cfg.build_dir.stat().st_mode & 0o007) == "0o0"


def test_a_warehouse_beside_the_releases_is_closed_file_by_file(config, tmp_path):
    """warehouse = <folder>/warehouse.duckdb with the releases in <folder>/marts: the folder must stay open to
    readers, so the warehouse file itself is closed."""
    import duckdb as db_

    cfg = config.with_overrides(warehouse=str(tmp_path / "warehouse.duckdb"), marts_dir=str(tmp_path / "marts"))
    db_.connect(str(cfg.warehouse)).close()
    cfg.warehouse.chmod(0o644)
    tmp_path.chmod(0o755)
    assert cfg.warehouse in pub.too_open(cfg)
    pub.close_private_folders(cfg)
    assert oct(tmp_path.stat().st_mode & 0o777) == "0o755"
    assert oct(cfg.warehouse.stat().st_mode & 0o777) == "0o640"
