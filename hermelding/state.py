"""The pipeline's own state beside the warehouse: the lock that keeps runs from overlapping, the
fingerprint that decides "nothing new", and where the last run's summary is written.

No orchestration engine is imported here: `hermelding ingest` or `status` take the lock or read the
summary without starting Prefect.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import filelock

from hermelding.config import Config

# Files whose change means the figures may change even without new deliveries.
CODE_PATTERNS = ("dbt_project/dbt_project.yml", "dbt_project/models/**/*", "dbt_project/macros/**/*",
                 "dbt_project/seeds/*", "dbt_project/tests/*", "expectations/expectations/*.json",
                 "hermelding/*.py", "flows/*.py")


class PipelineBusy(RuntimeError):
    """Another run holds the pipeline lock."""


def lock_path(config: Config) -> Path:
    return config.warehouse.parent / "hermelding.lock"


def last_run_path(config: Config) -> Path:
    return config.warehouse.parent / "laatste_run.json"


@contextmanager
def pipeline_lock(config: Config):
    """One run at a time, whoever started it (Prefect deployment or command line)."""
    path = lock_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(path), timeout=float(config.lock_wachttijd_seconden))
    owner_file = path.with_suffix(".eigenaar")
    try:
        lock.acquire()
    except filelock.Timeout:
        owner = owner_file.read_text(encoding="utf-8") if owner_file.exists() else "unknown"
        raise PipelineBusy(
            f"Another hermelding run is busy ({owner}); this run did nothing. It waited "
            f"{config.lock_wachttijd_seconden} s (lock_wachttijd_seconden). If no run is active, the lock file "
            f"{path} is stale only if its process is gone; the lock frees itself when that process ends.") from None
    try:
        owner_file.write_text(f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}",
                              encoding="utf-8")
        yield
    finally:
        owner_file.unlink(missing_ok=True)
        lock.release()


def fingerprint(config: Config) -> str:
    """What the figures depend on: current deliveries, code and definitions, parameters, population."""
    from hermelding.build import dbt_vars

    digest = hashlib.sha256()
    if config.warehouse.exists():
        with duckdb.connect(str(config.warehouse), read_only=True) as con:
            for (sha,) in con.execute("select inhoud_sha256 from ingest.leveringen where is_actueel "
                                      "and uitkomst = 'geladen' order by levering_id").fetchall():
                digest.update(sha.encode())
    files = sorted({p for pattern in CODE_PATTERNS for p in config.root.glob(pattern) if p.is_file()})
    for path in [*files, config.referentie_dir / "bevolking.csv"]:
        if path.exists():
            digest.update(str(path.relative_to(config.root) if path.is_relative_to(config.root) else path.name).encode())
            digest.update(path.read_bytes())
    digest.update(json.dumps(dbt_vars(config), sort_keys=True).encode())
    return digest.hexdigest()
