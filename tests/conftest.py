"""Shared fixtures: a private copy of every data folder per test, the real repository config otherwise."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from hermelding.config import load_config
from hermelding.generator import genereer

REPO = Path(__file__).resolve().parent.parent
VIER_LEVERINGEN = {f"VT02_{j}HJ0{h}" for j in (2022, 2023) for h in (1, 2)}

# The command line's tables have one width whatever terminal (or none, in a pytest-xdist worker) the tests run
# in: rich reads COLUMNS when hermelding.cli creates its console at import.
os.environ["COLUMNS"] = "200"
# `make test` runs the modules on two pytest-xdist workers: each gets its own Prefect home (settings and the
# temporary server's SQLite database), so that two flows running at once never share one database file.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix=f"hermelding-prefect-{os.environ['PYTEST_XDIST_WORKER']}-")


def project_config(tmp: Path):
    """The repository's configuration with every data folder moved under `tmp`."""
    config = load_config(REPO)
    referentie = tmp / "raw" / "referentie"
    referentie.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "data" / "raw" / "referentie" / "bevolking.csv", referentie / "bevolking.csv")
    return config.with_overrides(
        raw_dir=str(tmp / "raw"), referentie_dir=str(referentie), warehouse=str(tmp / "warehouse" / "warehouse.duckdb"),
        build_dir=str(tmp / "warehouse" / "build"), marts_dir=str(tmp / "marts"),
        grondwaarheid_dir=str(tmp / "grondwaarheid"))


@pytest.fixture
def config(tmp_path):
    return project_config(tmp_path)


@pytest.fixture(scope="session")
def schone_set(tmp_path_factory):
    """Clean Drenthe deliveries 2019-2025, half-yearly, seed 1 (generated once, copied per test)."""
    tmp = tmp_path_factory.mktemp("schoon")
    cfg = project_config(tmp)
    res = genereer("VT02", 2019, 2025, "halfjaar", 1, cfg.raw_dir, cfg.grondwaarheid_dir,
                   referentie_dir=cfg.referentie_dir)
    return cfg, res


@pytest.fixture(scope="session")
def fouten_set(tmp_path_factory):
    """The same with injected defects and rejectable deliveries."""
    tmp = tmp_path_factory.mktemp("fouten")
    cfg = project_config(tmp)
    res = genereer("VT02", 2019, 2022, "halfjaar", 3, cfg.raw_dir, cfg.grondwaarheid_dir, fouten=True,
                   referentie_dir=cfg.referentie_dir)
    return cfg, res


def geleverd(cfg, soort: str, dtype=str) -> pd.DataFrame:
    """Every delivered file of one kind (meldingen, casussen, betrokkenen) as text, each row with its `levering`
    (delivery folder): the independent computations in the tests start from these."""
    return pd.concat([pd.read_csv(p, dtype=dtype, keep_default_na=False).assign(levering=p.parent.name)
                      for p in sorted(cfg.raw_dir.glob(f"VT*/{soort}.csv"))], ignore_index=True)


def query(db, sql):
    """A query on a build database, read-only (a test never writes the shared builds)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


def laad_flows():
    """flows/nachtelijk.py (not an installed package), loaded as the command line and Prefect load it."""
    from hermelding.nightly import flows_module

    return flows_module(load_config(REPO))


def kopieer_leveringen(bron_cfg, doel_cfg, namen=None):
    """Copy (some) delivery folders of a generated set into a test's own raw_dir."""
    for map_ in sorted(bron_cfg.raw_dir.iterdir()):
        if map_.name != "referentie" and (namen is None or map_.name in namen):
            shutil.copytree(map_, doel_cfg.raw_dir / map_.name)


def suite_met_extra(monkeypatch, tmp_path, suite_naam: str, expectation: dict) -> None:
    """Make one Great Expectations suite carry an extra expectation, for this test only."""
    import json

    from hermelding import gate

    origineel = gate.suite_path

    def pad(config, naam):
        bron = origineel(config, naam)
        if naam != suite_naam:
            return bron
        suite = json.loads(bron.read_text())
        suite["expectations"].append(expectation)
        doel = tmp_path / f"{naam}.json"
        doel.write_text(json.dumps(suite))
        return doel

    monkeypatch.setattr(gate, "suite_path", pad)


def kopieer_project(bron, tmp: Path):
    """A private copy of a project's data (deliveries, warehouse, build folder, releases and catalogs), for a
    test that changes it: copying files costs a fraction of ingesting and building again."""
    cfg = project_config(tmp)
    kopieer_leveringen(bron, cfg)
    if bron.warehouse.parent.exists():
        shutil.copytree(bron.warehouse.parent, cfg.warehouse.parent, dirs_exist_ok=True)
    if bron.marts_dir.exists():
        shutil.copytree(bron.marts_dir, cfg.marts_dir)  # the catalogs are self-contained: no path to rewrite
    return cfg


@pytest.fixture(scope="session")
def demo_gebouwd(schone_set, tmp_path_factory):
    """The demo data (schone_set: Drenthe 2019-2025) ingested and built by dbt once, nothing published: (config,
    build database, generator result). Shared and read-only: a test that changes it copies it (kopieer_project)."""
    from hermelding.build import build
    from hermelding.ingest import ingest

    bron, res = schone_set
    cfg = project_config(tmp_path_factory.mktemp("demo_gebouwd"))
    kopieer_leveringen(bron, cfg)
    ingest(cfg)
    return cfg, build(cfg).build_db, res


@pytest.fixture(scope="session")
def demo_release(demo_gebouwd, tmp_path_factory):
    """The demo build (demo_gebouwd, copied) audited and published, as `make demo` does without Prefect.
    Shared and read-only: a test that freezes or publishes copies it (kopieer_marts)."""
    from hermelding.build import build_db
    from hermelding.nightly import audit_and_publish
    from hermelding.state import fingerprint

    cfg = kopieer_project(demo_gebouwd[0], tmp_path_factory.mktemp("demo"))
    uitslag, release_id = audit_and_publish(cfg, build_db(cfg), fingerprint(cfg))
    assert release_id, uitslag.kritiek
    return cfg


@pytest.fixture(scope="session")
def vier_gebouwd(schone_set, tmp_path_factory):
    """The four half-year deliveries of 2022-2023 ingested, built and audited once: (config, build database,
    audit summary). Shared and read-only: a test publishes into its own marts folder or copies the project."""
    from hermelding.audit import audit
    from hermelding.build import build
    from hermelding.ingest import ingest

    bron, _ = schone_set
    cfg = project_config(tmp_path_factory.mktemp("vier"))
    kopieer_leveringen(bron, cfg, VIER_LEVERINGEN)
    ingest(cfg)
    db = build(cfg).build_db
    uitslag = audit(cfg, db)
    assert uitslag.geslaagd, uitslag.kritiek
    return cfg, db, uitslag.summary()


def kopieer_marts(cfg, tmp: Path):
    """A private copy of a project's published releases (and catalog), for a test that changes them."""
    from hermelding.publish import activate, current_release

    huidig = current_release(cfg)
    shutil.copytree(cfg.marts_dir, tmp / "marts")
    kopie = cfg.with_overrides(marts_dir=str(tmp / "marts"))
    activate(kopie, huidig)  # the catalog's views point into the copy
    return kopie
