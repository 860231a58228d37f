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
from dataclasses import dataclass
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


class QualityFailure(RuntimeError):
    """A data-quality failure (a failing dbt test or a critical expectation): final for this night, no retry."""


class StaleBuild(RuntimeError):
    """The build database was not built from the current state (deliveries, code, parameters)."""


# Locks this process holds for the whole command (`hold_for_process`): a nested `pipeline_lock` on the
# same path in this process (the flow that the command line starts) runs inside it instead of waiting.
_PROCESS_HOLDS: dict[str, int] = {}


def lock_path(config: Config) -> Path:
    return config.warehouse.parent / "hermelding.lock"


def last_run_path(config: Config) -> Path:
    return config.warehouse.parent / "laatste_run.json"


def _owner(path: Path) -> str:
    owner_file = path.with_suffix(".eigenaar")
    try:
        return owner_file.read_text(encoding="utf-8") if owner_file.exists() else "unknown"
    except OSError:
        return "unknown"


@contextmanager
def _acquire(config: Config):
    path = lock_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(path), timeout=float(config.lock_wachttijd_seconden))
    owner_file = path.with_suffix(".eigenaar")
    try:
        lock.acquire()
    except filelock.Timeout:
        raise PipelineBusy(
            f"Another hermelding run is busy ({_owner(path)}); this run did nothing. It waited "
            f"{config.lock_wachttijd_seconden} s (lock_wachttijd_seconden). If no run is active, the lock file "
            f"{path} is stale only if its process is gone; the lock frees itself when that process ends.") from None
    from hermelding.publish import close_private_folders

    try:
        close_private_folders(config)  # every command that writes data holds this lock
        owner_file.write_text(f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}",
                              encoding="utf-8")
        yield
    finally:
        try:  # and again: a private folder the command created (the build folder of a first run) is closed too
            close_private_folders(config)
        finally:
            owner_file.unlink(missing_ok=True)
            lock.release()


@contextmanager
def pipeline_lock(config: Config):
    """One run at a time, whoever started it (Prefect deployment or command line). Inside
    `hold_for_process` of this process it does not wait for itself."""
    key = str(lock_path(config).resolve())
    if _PROCESS_HOLDS.get(key) == os.getpid():
        yield
        return
    with _acquire(config):
        yield


@contextmanager
def hold_for_process(config: Config):
    """Take the pipeline lock for a whole command, before any flow engine starts, so that a refused run
    exits at once; the flow the command starts takes the lock through `pipeline_lock` without deadlock."""
    key = str(lock_path(config).resolve())
    with _acquire(config):
        _PROCESS_HOLDS[key] = os.getpid()
        try:
            yield
        finally:
            _PROCESS_HOLDS.pop(key, None)


class WarehouseBusy(RuntimeError):
    """The warehouse is open for writing by a running command."""


@dataclass
class Delivery:
    map: str
    status: str  # wachtend (new or changed) | afgewezen (this content was rejected) | bekend (loaded or skipped)
    reden: str | None = None


def deliveries(config: Config) -> list[Delivery]:
    """Every delivery folder under raw_dir and where it stands, from the ledger (read-only). A rejected
    delivery stays listed with its reason until its folder is replaced (other content) or removed."""
    from hermelding.config import require_folder
    from hermelding.ingest import content_hash, leveringsmappen

    require_folder(config, "raw_dir")
    laatste: dict[tuple[str, str], tuple[str, str | None]] = {}
    if config.warehouse.exists():
        try:
            con = duckdb.connect(str(config.warehouse), read_only=True)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            raise WarehouseBusy(f"The warehouse {config.warehouse} is being written by a running command "
                                f"({_owner(lock_path(config))}); try again when it has finished.") from None
        with con:
            rijen = con.execute("""
                select map, inhoud_sha256, uitkomst, reden from ingest.leveringen
                qualify row_number() over (partition by map, inhoud_sha256 order by ingelezen_op desc) = 1
            """).fetchall()
        laatste = {(m, h): (u, r) for m, h, u, r in rijen}
    uit = []
    for map_ in leveringsmappen(config.raw_dir, config.referentie_dir):
        gezien = laatste.get((map_.name, content_hash(map_)))
        if gezien is None:
            uit.append(Delivery(map_.name, "wachtend"))
        elif gezien[0] == "afgewezen":
            uit.append(Delivery(map_.name, "afgewezen", gezien[1]))
        else:
            uit.append(Delivery(map_.name, "bekend"))
    return uit


def build_state_path(build_db: Path) -> Path:
    return build_db.with_name(build_db.name + ".vingerafdruk.json")


def forget_build_state(build_db: Path) -> None:
    """Before a build starts: a killed or failed build must not look like a build of the current state."""
    build_state_path(build_db).unlink(missing_ok=True)


def record_build_state(build_db: Path, afdruk: str) -> None:
    """After a build passed: the state (fingerprint) it was built from, beside the build database."""
    build_state_path(build_db).write_text(json.dumps({
        "vingerafdruk": afdruk, "gebouwd": datetime.now(UTC).isoformat(timespec="seconds")}), encoding="utf-8")


def require_current_build(config: Config, build_db: Path, afdruk: str) -> None:
    """Refuse a build that was not built from the current state (a new delivery since, a failed or killed
    build, changed code or parameters)."""
    pad = build_state_path(build_db)
    try:
        gebouwd = json.loads(pad.read_text(encoding="utf-8")).get("vingerafdruk")
    except (OSError, ValueError):
        gebouwd = None
    if gebouwd != afdruk:
        reden = ("it has no record of the state it was built from (the last build failed, was killed, or "
                 "predates this check)") if gebouwd is None else (
                 "deliveries, code, definitions or parameters changed since it was built")
        raise StaleBuild(f"The build at {build_db} is not of the current state: {reden}. Nothing was published. "
                         "Run `hermelding bouw` and then `hermelding publiceer`, or run `hermelding draai`.")


def fingerprint(config: Config) -> str:
    """What the figures depend on: current deliveries, code and definitions, parameters, population, and the
    latest frozen release (the public marts are protected together with it, hermelding/disclosure.py)."""
    from hermelding.build import dbt_vars
    from hermelding.publish import latest_frozen_release

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
    bevroren = latest_frozen_release(config)
    digest.update(f"bevroren_release={bevroren.name if bevroren else ''}".encode())
    return digest.hexdigest()
