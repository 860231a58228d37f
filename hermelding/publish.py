"""Publish: immutable releases and an atomically switched, read-only catalog.

    data/marts/
      releases/<release_id>/openbaar/<mart>.parquet   disclosure-controlled marts and dimensions
      releases/<release_id>/intern/<mart>.parquet     exact counts, per-melding rows (restricted access)
      releases/<release_id>/release.json              id, time, git commit, inputs, definitions, counts, audit
      hermelding.duckdb                               catalog: views over the current release's Parquet
      bevriezingen.json                               quarter -> release with the official figures

A release folder is written under a temporary name and renamed when complete; the catalog is written to a
temporary file and moved over the old one with an atomic rename. A reader holding the old catalog keeps its
(still existing) release; a new connection sees the new one. A killed run leaves only temporary names, which
the next run removes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from hermelding.config import Config

CATALOG_FILE = "hermelding.duckdb"
RELEASES = "releases"
FREEZES_FILE = "bevriezingen.json"
TMP_PREFIX = ".tmp-"
OPENBARE_SCHEMAS = ("openbaar",)
DIMENSIES = ("dim_gemeente", "dim_periode", "dim_definitie")


class PublishError(RuntimeError):
    """Publication refused: the message says what and what to do."""


def _crash_point(config: Config, naam: str) -> None:
    """Test hook for the crash-safety tests: HERMELDING_CRASHTEST=<name> kills the process here."""
    if config.environment.get("crashtest") == naam:
        os.kill(os.getpid(), signal.SIGKILL)


def releases_dir(config: Config) -> Path:
    return config.marts_dir / RELEASES


def catalog_path(config: Config) -> Path:
    return config.marts_dir / CATALOG_FILE


def _fsync_dir(pad: Path) -> None:
    fd = os.open(pad, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(pad: Path, tekst: str) -> None:
    tmp = pad.with_name(f"{TMP_PREFIX}{pad.name}.{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(tekst)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, pad)
    _fsync_dir(pad.parent)


def remove_temporary(config: Config) -> list[str]:
    """Remove what a killed run left: temporary release folders and catalog files."""
    weg = []
    for map_ in (releases_dir(config), config.marts_dir):
        if map_.is_dir():
            for pad in map_.glob(f"{TMP_PREFIX}*"):
                shutil.rmtree(pad) if pad.is_dir() else pad.unlink()
                weg.append(pad.name)
    return weg


def git_commit(root: Path) -> str | None:
    """The code's commit; suffixed '-dirty' when tracked files differ from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10, check=False).stdout.strip()
        gewijzigd = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                   capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (commit + ("-dirty" if gewijzigd else "")) if commit else None


def current_release(config: Config) -> str | None:
    pad = catalog_path(config)
    if not pad.exists():
        return None
    with duckdb.connect(str(pad), read_only=True) as con:
        return con.execute("select release_id from release_info").fetchone()[0]


def frozen_quarters(config: Config) -> dict[str, str]:
    pad = config.marts_dir / FREEZES_FILE
    return json.loads(pad.read_text(encoding="utf-8")) if pad.exists() else {}


@dataclass
class Release:
    release_id: str
    pad: Path
    info: dict


def read_release(config: Config, release_id: str) -> Release:
    pad = releases_dir(config) / release_id
    info_pad = pad / "release.json"
    if not info_pad.exists():
        raise PublishError(f"Release '{release_id}' does not exist in {releases_dir(config)} "
                             "(`hermelding releases` lists them).")
    return Release(release_id, pad, json.loads(info_pad.read_text(encoding="utf-8")))


def all_releases(config: Config) -> list[Release]:
    if not releases_dir(config).is_dir():
        return []
    return [read_release(config, p.name) for p in sorted(releases_dir(config).iterdir())
            if p.is_dir() and not p.name.startswith(TMP_PREFIX) and (p / "release.json").exists()]


def _model_docs(config: Config) -> dict[str, dict]:
    """Model and column descriptions from the dbt manifest of the build (the dbt docs)."""
    manifest = config.dbt_project_dir / "target" / "manifest.json"
    if not manifest.exists():
        return {}
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    return {n["name"]: {"beschrijving": n.get("description", ""),
                        "kolommen": {k: v.get("description", "") for k, v in n.get("columns", {}).items()}}
            for n in nodes.values() if n.get("resource_type") == "model"}


def _inputs(config: Config) -> list[dict]:
    """The deliveries a release is built from, with the rows loaded and quarantined per delivery (summed over
    its files), so that readers of the release can report data completeness without the warehouse."""
    kolommen = ("levering_id", "regio", "periode", "inhoud_sha256", "rijen_geladen", "rijen_quarantaine")
    with duckdb.connect(str(config.warehouse), read_only=True) as con:
        rijen = con.execute("""
            select l.levering_id, l.regio, l.periode, l.inhoud_sha256,
                coalesce(sum(b.rijen_geladen), 0)::bigint, coalesce(sum(b.rijen_quarantaine), 0)::bigint
            from ingest.leveringen as l
            left join ingest.leveringsbestanden as b on b.levering_id = l.levering_id
            where l.is_actueel and l.uitkomst = 'geladen'
            group by l.levering_id, l.regio, l.periode, l.inhoud_sha256, l.periode_start
            order by l.regio, l.periode_start
        """).fetchall()
    return [dict(zip(kolommen, r, strict=True)) for r in rijen]


def publish_build(config: Config, build_db: Path, audit_samenvatting: dict, extra: dict | None = None) -> Release:
    """Write a passing build as a new immutable release and make it current."""
    if not audit_samenvatting.get("geslaagd"):
        raise PublishError("The audit did not pass: nothing is published (the previous release stays current).")
    remove_temporary(config)
    nu = datetime.now(UTC)
    release_id = nu.strftime("%Y%m%dT%H%M%S%fZ")
    tmp = releases_dir(config) / f"{TMP_PREFIX}{release_id}"
    (tmp / "openbaar").mkdir(parents=True)
    (tmp / "intern").mkdir()
    marts: dict[str, dict] = {}
    with duckdb.connect(str(build_db), read_only=True) as con:
        tabellen = con.execute("""
            select table_schema, table_name from information_schema.tables
            where table_schema in ('marts', 'openbaar') order by table_schema, table_name
        """).fetchall()
        for i, (schema, tabel) in enumerate(tabellen):
            map_ = "openbaar" if schema in OPENBARE_SCHEMAS or tabel in DIMENSIES else "intern"
            doel = tmp / map_ / f"{tabel}.parquet"
            con.execute(f"copy (select * from {schema}.{tabel}) to '{doel}' (format parquet)")
            rijen = con.execute(f"select count(*) from {schema}.{tabel}").fetchone()[0]
            marts[tabel] = {"map": map_, "bestand": f"{map_}/{tabel}.parquet", "rijen": rijen,
                            "sha256": hashlib.sha256(doel.read_bytes()).hexdigest()}
            if i == 0:
                _crash_point(config, "tijdens_export")
        definities = con.execute("select definitie_id, versie, parameters, parameterwaarden from marts.dim_definitie").df()
    info = {
        "release_id": release_id,
        "tijd": nu.isoformat(),
        "git_commit": git_commit(config.root),
        "invoer": _inputs(config),
        "definities": definities.to_dict(orient="records"),
        "marts": marts,
        "validatie": audit_samenvatting,
        "documentatie": _model_docs(config),
        **(extra or {}),
    }
    (tmp / "release.json").write_text(json.dumps(info, indent=1, default=str), encoding="utf-8")
    for bestand in tmp.rglob("*"):
        if bestand.is_file():
            with bestand.open("rb") as f:
                os.fsync(f.fileno())
    _crash_point(config, "voor_hernoemen")
    doel = releases_dir(config) / release_id
    os.rename(tmp, doel)
    _fsync_dir(releases_dir(config))
    _crash_point(config, "na_hernoemen")
    activate(config, release_id)
    prune_releases(config)
    return Release(release_id, doel, info)


def _sql_literal(tekst: str) -> str:
    return "'" + (tekst or "").replace("'", "''") + "'"


def activate(config: Config, release_id: str) -> None:
    """Make a release current: build its catalog under a temporary name, then rename it over the old one."""
    release = read_release(config, release_id)
    tmp = config.marts_dir / f"{TMP_PREFIX}{CATALOG_FILE}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    docs = release.info.get("documentatie", {})
    with duckdb.connect(str(tmp)) as con:
        con.execute("create schema openbaar; create schema intern;")
        for tabel, mart in release.info["marts"].items():
            pad = (release.pad / mart["bestand"]).resolve()
            naam = f"{mart['map']}.{tabel}"
            con.execute(f"create view {naam} as select * from read_parquet({_sql_literal(str(pad))})")
            doc = docs.get(tabel, {})
            if doc.get("beschrijving"):
                con.execute(f"comment on view {naam} is {_sql_literal(doc['beschrijving'].strip())}")
            kolommen = {r[0] for r in con.execute(f"select column_name from (describe {naam})").fetchall()}
            for kolom, tekst in doc.get("kolommen", {}).items():
                if tekst and kolom in kolommen:
                    con.execute(f"comment on column {naam}.{kolom} is {_sql_literal(tekst.strip())}")
        con.execute("create table release_info (release_id varchar, tijd varchar, git_commit varchar)")
        con.execute("insert into release_info values (?, ?, ?)",
                    [release_id, release.info["tijd"], release.info.get("git_commit")])
        con.execute("comment on table release_info is 'The release this catalog shows.'")
    _crash_point(config, "catalogus_klaar")
    os.replace(tmp, catalog_path(config))
    _fsync_dir(config.marts_dir)
    _crash_point(config, "na_wissel")


def freeze(config: Config, kwartaal: str) -> str:
    """Mark the current release as the official figures of a quarter (e.g. 2025KW3 or 2025KW03)."""
    import re

    match = re.fullmatch(r"(\d{4})KW0?([1-4])", kwartaal.strip().upper())
    if not match:
        raise PublishError(f"'{kwartaal}' is not a quarter: use e.g. 2025KW3 or 2025KW03.")
    code = f"{match[1]}KW0{match[2]}"
    huidig = current_release(config)
    if not huidig:
        raise PublishError("There is no current release to freeze: run the pipeline first.")
    bestaand = frozen_quarters(config)
    if code in bestaand and bestaand[code] != huidig:
        raise PublishError(f"{code} is already frozen as release {bestaand[code]}; a frozen quarter is never "
                             "overwritten.")
    bestaand[code] = huidig
    write_atomic(config.marts_dir / FREEZES_FILE, json.dumps(bestaand, indent=1, sort_keys=True))
    return huidig


def prune_releases(config: Config) -> list[str]:
    """Keep the newest `bewaar_releases`, the current one and every frozen one; remove the rest."""
    alle = [r.release_id for r in all_releases(config)]
    behouden = set(alle[-int(config.bewaar_releases):]) | set(frozen_quarters(config).values())
    huidig = current_release(config)
    if huidig:
        behouden.add(huidig)
    weg = [r for r in alle if r not in behouden]
    for release_id in weg:
        shutil.rmtree(releases_dir(config) / release_id)
    return weg


def release_statuses(config: Config) -> list[dict]:
    huidig = current_release(config)
    bevroren: dict[str, list[str]] = {}
    for kwartaal, release_id in frozen_quarters(config).items():
        bevroren.setdefault(release_id, []).append(kwartaal)
    return [{
        "release_id": r.release_id,
        "tijd": r.info["tijd"],
        "status": "actueel" if r.release_id == huidig else "beschikbaar",
        "bevroren": ", ".join(sorted(bevroren.get(r.release_id, []))),
        "git_commit": (r.info.get("git_commit") or "")[:10] + ("-dirty" if (r.info.get("git_commit") or "").endswith("-dirty") else ""),
        "rijen": sum(m["rijen"] for m in r.info["marts"].values()),
        "audit": "geslaagd" if r.info.get("validatie", {}).get("geslaagd") else "?",
        "waarschuwingen": len(r.info.get("validatie", {}).get("waarschuwingen", [])),
    } for r in all_releases(config)]
