"""Publish: immutable releases and atomically switched, self-contained, read-only catalogs.

    data/marts/
      releases/<release_id>/openbaar/<mart>.parquet   disclosure-controlled marts and dimensions
      releases/<release_id>/intern/<mart>.parquet     exact counts, per-melding rows (owner + intern_groep only)
      releases/<release_id>/documentatie/index.html   the dbt documentation site (static, lineage, no data)
      releases/<release_id>/release.json              id, time, git commit, deliveries (no row counts),
                                                      definitions, public marts, audit passed, documentation,
                                                      vrijgegeven_voor_publicatie (true only when frozen)
      releases/<release_id>/intern/release.json       exact figures: rows per delivery and internal mart, the
                                                      audit's details (owner + intern_groep only)
      hermelding.duckdb                               readers' catalog: the public marts and dimensions (tables)
      hermelding_intern.duckdb                        internal catalog: everything (owner + intern_groep only)
      bevriezingen.json                               quarter -> release with the official figures

The catalogs hold the data as tables (no paths into the release folders), so `data/marts` can be moved or
copied, and a reader holding a catalog open keeps its release even after the folder is pruned. A release
folder is written under a temporary name and renamed when complete; a catalog is written to a temporary
file and moved over the old one with an atomic rename (the public one last). A reader holding the old
catalog keeps reading the old file; a new connection sees the new one. A killed run leaves only temporary
names, which the next run removes.

Nightly releases are internal working versions. Only a release frozen for a quarter (`publiceer --bevries`)
is marked `vrijgegeven_voor_publicatie` in its release.json: the figures that may leave the organisation.
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
INTERN_INFO_FILE = "intern/release.json"  # in a release folder
INTERN_CATALOG_FILE = "hermelding_intern.duckdb"
FREEZE_HISTORY_FILE = "bevriezingen_historie.jsonl"
RELEASES = "releases"
FREEZES_FILE = "bevriezingen.json"
TMP_PREFIX = ".tmp-"
DOCS_DIR = "documentatie"  # in a release: the dbt documentation site (one static HTML file)
# Build schemas by release folder: the disclosure-controlled marts and the dimensions are public.
OPENBARE_SCHEMAS = ("openbaar", "dimensies")
INTERNE_SCHEMAS = ("marts",)


class PublishError(RuntimeError):
    """Publication refused: the message says what and what to do."""


class QueryRefused(PublishError):
    """`hermelding sql` refused a query or could not answer it: the message says why."""


# `hermelding sql`: the catalog and nothing else. No files, no other databases, no extensions, and the
# settings cannot be changed back from inside the query.
CONFINED = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}
QUERY_TYPES = {"SELECT", "EXPLAIN"}  # what `hermelding sql` runs; COPY, EXPORT, ATTACH, LOAD, SET, CALL... not


def _crash_point(config: Config, naam: str) -> None:
    """Test hook for the crash-safety tests: HERMELDING_CRASHTEST=<name> kills the process here."""
    if config.environment.get("crashtest") == naam:
        os.kill(os.getpid(), signal.SIGKILL)


def releases_dir(config: Config) -> Path:
    return config.marts_dir / RELEASES


def catalog_path(config: Config, intern: bool = False) -> Path:
    return config.marts_dir / (INTERN_CATALOG_FILE if intern else CATALOG_FILE)


def query_catalog(config: Config, query: str, intern: bool = False):
    """Run one read-only query on the current release's catalog (the internal one with `intern`) in a
    confined DuckDB session; a pandas frame. Raises QueryRefused with a message for the user."""
    pad = catalog_path(config, intern)
    if not pad.exists():
        raise QueryRefused(f"No release published yet ({pad} does not exist): run `hermelding draai` first.")
    geen_toegang = QueryRefused(
        f"You may not read the internal catalog {pad}: only its owner and the group "
        f"'{config.intern_groep or '(none configured)'}' (intern_groep) may. Ask the administrator for membership "
        "of that group, or query the public figures without --intern.")
    if intern and not os.access(pad, os.R_OK):
        raise geen_toegang
    try:
        con = duckdb.connect(str(pad), read_only=True, config=CONFINED)
    except duckdb.IOException as exc:
        if "permission denied" in str(exc).lower():
            raise (geen_toegang if intern else QueryRefused(f"You may not read the catalog {pad}.")) from None
        raise
    with con:
        return execute_confined(config, con, query, intern)


def execute_confined(config: Config, con: duckdb.DuckDBPyConnection, query: str, intern: bool = False):
    """Run one read-only query on a confined connection (CONFINED settings, locked): one statement, a SELECT
    (or EXPLAIN), nothing else; a pandas frame. Raises QueryRefused with a message for the user. The one
    gate of `hermelding sql`, whether it reads the catalog or a named release (hermelding/query.py)."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryRefused(f"Query failed: {exc}") from None
    if len(statements) != 1:
        raise QueryRefused(f"One statement per call, this has {len(statements)}: run them one at a time.")
    soort = statements[0].type.name
    if soort not in QUERY_TYPES:
        raise QueryRefused(f"Only a query (select) is allowed, not {soort}: `hermelding sql` reads the catalog "
                           "and nothing else (no files, no other databases, no extensions, no settings).")
    try:
        return con.execute(query).df()
    except duckdb.PermissionException:
        raise QueryRefused("Refused: `hermelding sql` reads the catalog and nothing else; files, other "
                           "databases and extensions are out of reach. Query the tables of the catalog "
                           "(`hermelding sql \"show all tables\"`).") from None
    except duckdb.CatalogException as exc:
        if not intern and _mentions_internal(config, con, query):
            raise QueryRefused("The internal marts (schema intern) are not in the readers' catalog. Use "
                               "`hermelding sql --intern \"...\"` if you are allowed to read them "
                               "(owner and the intern_groep group only).") from None
        raise QueryRefused(f"Query failed: {exc}") from None
    except duckdb.Error as exc:
        raise QueryRefused(f"Query failed: {exc}") from None


def _mentions_internal(config: Config, con: duckdb.DuckDBPyConnection, query: str) -> bool:
    """Whether a query names the intern schema or an internal mart of the release the catalog shows."""
    import re

    namen = {"intern"}
    try:
        huidig = con.execute("select release_id from release_info").fetchone()[0]
        namen |= {t for t, m in read_release(config, huidig).info["marts"].items() if m["map"] == "intern"}
    except (duckdb.Error, PublishError, OSError, KeyError, TypeError):
        pass
    woorden = set(re.findall(r"[a-z_][a-z0-9_]*", query.lower()))
    return bool(woorden & namen)


def _intern_group(config: Config) -> int:
    """The group id of `intern_groep` (-1: leave the group as it is, owner only)."""
    naam = str(config.intern_groep).strip()
    if not naam:
        return -1
    import grp

    try:
        return grp.getgrnam(naam).gr_gid
    except KeyError:
        raise PublishError(f"intern_groep = '{naam}' ({config.sources.get('intern_groep', 'hermelding.toml')}) is not "
                           "a group on this machine: create it or correct intern_groep. Nothing was published.") from None


def restrict(config: Config, pad: Path) -> None:
    """Internal data: owner read/write, `intern_groep` read, nobody else (files 0640, folders 0750); with
    no `intern_groep` the owner only (0600, 0700), not whatever group the owner happens to have."""
    gid = _intern_group(config)
    bestand, map_ = (0o640, 0o750) if gid != -1 else (0o600, 0o700)
    for item in [pad, *pad.rglob("*")] if pad.is_dir() else [pad]:
        os.chmod(item, map_ if item.is_dir() else bestand)
        if gid != -1:
            try:
                os.chown(item, -1, gid)
            except PermissionError:
                raise PublishError(f"Cannot give group '{config.intern_groep}' (intern_groep) to {item}: the user "
                                   "running hermelding must be a member of that group.") from None


def private_folders(config: Config) -> list[Path]:
    """The folders that hold per-melding data before disclosure control: deliveries, the generator's ground
    truth, the warehouse (with the build database and its Data Docs). Readers get releases only."""
    return [config.raw_dir, config.grondwaarheid_dir, config.warehouse.parent, config.build_dir]


def too_open(config: Config) -> list[Path]:
    """Private folders (and the warehouse file) that other users (not owner, not group) can enter or read. A
    folder that also holds the releases (say warehouse = data/warehouse.duckdb) cannot be closed; then its
    private files are listed instead."""
    marts = config.marts_dir.resolve()
    kandidaten = []
    for pad in private_folders(config):
        if pad.is_dir() and (pad.resolve() == marts or pad.resolve() in marts.parents):
            kandidaten += [config.warehouse, config.warehouse.with_name(config.warehouse.name + ".wal")]
        else:
            kandidaten.append(pad)
    return [p for p in dict.fromkeys(kandidaten) if p.exists() and p.stat().st_mode & 0o007]


def close_private_folders(config: Config) -> None:
    """Take 'other' users' access away from the private folders (chmod o-rwx on the folder, so nothing inside
    can be reached whatever the files' own modes). Owner and group bits stay as the administrator set them:
    a supplier's upload group may still write deliveries. Folders of another owner are left alone (and
    `hermelding status` names them)."""
    for pad in too_open(config):
        if pad.stat().st_uid == os.getuid():
            os.chmod(pad, pad.stat().st_mode & 0o7770)


def _fsync_dir(pad: Path) -> None:
    fd = os.open(pad, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


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


def latest_frozen_release(config: Config) -> Path | None:
    """The folder of the release frozen for the latest quarter (bevriezingen.json), if it is still there: a new
    release is protected together with it (docs/openbaarmaking.md, 'Twee releases samen')."""
    bevroren = frozen_quarters(config)
    if not bevroren:
        return None
    pad = releases_dir(config) / bevroren[max(bevroren)]
    return pad if (pad / "release.json").exists() else None


@dataclass
class Release:
    release_id: str
    pad: Path
    info: dict


def read_release(config: Config, release_id: str, intern: bool = True) -> Release:
    """A release's description; with `intern` and where this user may read it, completed with the exact
    figures of intern/release.json (rows per delivery and internal mart, the audit's details)."""
    pad = releases_dir(config) / release_id
    info_pad = pad / "release.json"
    if not info_pad.exists():
        raise PublishError(f"Release '{release_id}' does not exist in {releases_dir(config)} "
                             "(`hermelding releases` lists them).")
    info = json.loads(info_pad.read_text(encoding="utf-8"))
    intern_pad = pad / INTERN_INFO_FILE
    if intern and os.access(intern_pad, os.R_OK):
        exact = json.loads(intern_pad.read_text(encoding="utf-8"))
        info["invoer"], info["validatie"] = exact["invoer"], exact["validatie"]
        for tabel, rijen in exact["rijen"].items():
            info["marts"][tabel]["rijen"] = rijen
    return Release(release_id, pad, info)


def all_releases(config: Config) -> list[Release]:
    if not releases_dir(config).is_dir():
        return []
    return [read_release(config, p.name) for p in sorted(releases_dir(config).iterdir())
            if p.is_dir() and not p.name.startswith(TMP_PREFIX) and (p / "release.json").exists()]


def _model_docs(config: Config) -> dict[str, dict]:
    """Model and column descriptions from the dbt manifest of the build (the dbt docs)."""
    manifest = config.dbt_target_dir / "manifest.json"
    if not manifest.exists():
        return {}
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    return {n["name"]: {"beschrijving": n.get("description", ""),
                        "kolommen": {k: v.get("description", "") for k, v in n.get("columns", {}).items()}}
            for n in nodes.values() if n.get("resource_type") == "model"}


def _inputs(config: Config) -> list[dict]:
    """The deliveries a release is built from, with the rows loaded and quarantined per delivery (summed over
    its files). Exact row counts are internal (they give a region's exact totals); `_public_inputs` is what
    readers get."""
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


def _public_inputs(invoer: list[dict]) -> list[dict]:
    """Per delivery what a reader may know: which delivery, and the share of its rows quarantined (1 decimal)."""
    return [{**{k: i[k] for k in ("levering_id", "regio", "periode", "inhoud_sha256")},
             "quarantaine_pct": round(100 * i["rijen_quarantaine"] / max(i["rijen_geladen"] + i["rijen_quarantaine"], 1), 1)}
            for i in invoer]


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
            where list_contains($schemas, table_schema) order by table_schema, table_name
        """, {"schemas": [*INTERNE_SCHEMAS, *OPENBARE_SCHEMAS]}).fetchall()
        for i, (schema, tabel) in enumerate(tabellen):
            map_ = "openbaar" if schema in OPENBARE_SCHEMAS else "intern"
            doel = tmp / map_ / f"{tabel}.parquet"
            con.execute(f"copy (select * from {schema}.{tabel}) to '{doel}' (format parquet)")
            rijen = con.execute(f"select count(*) from {schema}.{tabel}").fetchone()[0]
            marts[tabel] = {"map": map_, "bestand": f"{map_}/{tabel}.parquet", "rijen": rijen,
                            "sha256": hashlib.sha256(doel.read_bytes()).hexdigest()}
            if i == 0:
                _crash_point(config, "tijdens_export")
        definities = con.execute(
            "select definitie_id, versie, parameters, parameterwaarden, startpunt from dimensies.dim_definitie").df()
    # the dbt documentation site (models, columns, lineage with the report and notebooks as exposures), generated
    # from a copy of the build database: readable with the public figures, it holds no data
    from hermelding.build import BuildFailed, docs_site

    try:
        site = docs_site(config, build_db)
    except BuildFailed as exc:
        shutil.rmtree(tmp)
        raise PublishError(str(exc)) from None
    (tmp / DOCS_DIR).mkdir()
    shutil.copy2(site, tmp / DOCS_DIR / site.name)
    invoer = _inputs(config)
    exact = {"invoer": invoer, "validatie": audit_samenvatting,
             "rijen": {t: m.pop("rijen") for t, m in marts.items() if m["map"] == "intern"}}
    (tmp / INTERN_INFO_FILE).write_text(json.dumps(exact, indent=1, default=str), encoding="utf-8")
    info = {
        "release_id": release_id,
        "tijd": nu.isoformat(),
        "git_commit": git_commit(config.root),
        "invoer": _public_inputs(invoer),
        "definities": definities.to_dict(orient="records"),
        "marts": marts,
        "validatie": {"geslaagd": bool(audit_samenvatting.get("geslaagd"))},
        "documentatie": _model_docs(config),
        "documentatie_site": f"{DOCS_DIR}/{site.name}",
        # nightly releases are internal working versions; `publiceer --bevries` approves one for outside use
        "vrijgegeven_voor_publicatie": False,
        **(extra or {}),
    }
    (tmp / "release.json").write_text(json.dumps(info, indent=1, default=str), encoding="utf-8")
    restrict(config, tmp / "intern")
    for bestand in tmp.rglob("*"):
        if bestand.is_file():
            with bestand.open("rb") as f:
                os.fsync(f.fileno())
    _crash_point(config, "voor_hernoemen")
    doel = releases_dir(config) / release_id
    os.rename(tmp, doel)
    _fsync_dir(releases_dir(config))
    _crash_point(config, "na_hernoemen")
    vorige = current_release(config)
    activate(config, release_id)
    prune_releases(config, keep=vorige)
    return Release(release_id, doel, info)


def _sql_literal(tekst: str) -> str:
    return "'" + (tekst or "").replace("'", "''") + "'"


def _write_catalog(config: Config, release: Release, doel: Path, intern: bool) -> Path:
    """A self-contained catalog of one release under a temporary name: the marts as tables, their dbt
    documentation as comments, and `release_info`. The public one holds only the public marts."""
    tmp = config.marts_dir / f"{TMP_PREFIX}{doel.name}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    docs = release.info.get("documentatie", {})
    with duckdb.connect(str(tmp)) as con:
        con.execute("create schema openbaar")
        if intern:
            con.execute("create schema intern")
        for tabel, mart in release.info["marts"].items():
            if mart["map"] == "intern" and not intern:
                continue
            pad = (release.pad / mart["bestand"]).resolve()
            naam = f"{mart['map']}.{tabel}"
            con.execute(f"create table {naam} as select * from read_parquet({_sql_literal(str(pad))})")
            doc = docs.get(tabel, {})
            if doc.get("beschrijving"):
                con.execute(f"comment on table {naam} is {_sql_literal(doc['beschrijving'].strip())}")
            kolommen = {r[0] for r in con.execute(f"select column_name from (describe {naam})").fetchall()}
            for kolom, tekst in doc.get("kolommen", {}).items():
                if tekst and kolom in kolommen:
                    con.execute(f"comment on column {naam}.{kolom} is {_sql_literal(tekst.strip())}")
        con.execute("create table release_info (release_id varchar, tijd varchar, git_commit varchar)")
        con.execute("insert into release_info values (?, ?, ?)",
                    [release.release_id, release.info["tijd"], release.info.get("git_commit")])
        con.execute("comment on table release_info is 'The release this catalog shows.'")
        con.execute("checkpoint")
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    if intern:
        restrict(config, tmp)
    else:
        os.chmod(tmp, 0o644)
    return tmp


def activate(config: Config, release_id: str) -> None:
    """Make a release current: write both catalogs under temporary names, then rename each over the old one
    (the internal catalog first, the readers' catalog last: the public one names the current release)."""
    release = read_release(config, release_id)
    intern_tmp = _write_catalog(config, release, catalog_path(config, intern=True), intern=True)
    openbaar_tmp = _write_catalog(config, release, catalog_path(config), intern=False)
    _crash_point(config, "catalogus_klaar")
    os.replace(intern_tmp, catalog_path(config, intern=True))
    os.replace(openbaar_tmp, catalog_path(config))
    _fsync_dir(config.marts_dir)
    _crash_point(config, "na_wissel")


def _quarter_code(kwartaal: str) -> str:
    import re

    match = re.fullmatch(r"(\d{4})KW0?([1-4])", kwartaal.strip().upper())
    if not match:
        raise PublishError(f"'{kwartaal}' is not a quarter: use e.g. 2025KW3 or 2025KW03.")
    return f"{match[1]}KW0{match[2]}"


def _quarter_complete(release: Release, code: str) -> bool:
    """Whether the release holds the quarter as complete in the data (every day covered by a delivery)."""
    mart = release.info["marts"].get("hermelding_regio_periode_openbaar")
    if not mart:
        return False
    with duckdb.connect() as con:
        return bool(con.execute(
            f"select coalesce(bool_and(periode_compleet), false) from read_parquet("
            f"{_sql_literal(str(release.pad / mart['bestand']))}) where periode = ? and regiotype = 'vt_regio'",
            [code]).fetchone()[0])


def _mark_approved(config: Config, release_id: str) -> None:
    """release.json: `vrijgegeven_voor_publicatie` is true exactly when some quarter is frozen to the release."""
    release = read_release(config, release_id, intern=False)  # the public description, written back as it was
    kwartalen = sorted(k for k, r in frozen_quarters(config).items() if r == release_id)
    release.info["vrijgegeven_voor_publicatie"] = bool(kwartalen)
    release.info["vrijgegeven_voor_kwartalen"] = kwartalen
    write_atomic(release.pad / "release.json", json.dumps(release.info, indent=1, default=str))


def _history(config: Config, handeling: str, code: str, release_id: str) -> None:
    regel = json.dumps({"tijd": datetime.now(UTC).isoformat(timespec="seconds"), "handeling": handeling,
                        "kwartaal": code, "release_id": release_id, "gebruiker": _user()})
    with (config.marts_dir / FREEZE_HISTORY_FILE).open("a", encoding="utf-8") as f:
        f.write(regel + "\n")


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def freeze(config: Config, kwartaal: str) -> str:
    """Mark the current release as the official figures of a quarter (e.g. 2025KW3 or 2025KW03), approved
    for publication outside the organisation. Refused for a quarter that is not complete in the data."""
    code = _quarter_code(kwartaal)
    huidig = current_release(config)
    if not huidig:
        raise PublishError("There is no current release to freeze: run the pipeline first.")
    bestaand = frozen_quarters(config)
    if code in bestaand and bestaand[code] != huidig:
        raise PublishError(f"{code} is already frozen as release {bestaand[code]}; a frozen quarter is never "
                             "overwritten (unfreeze it first: `hermelding publiceer --ontdooi "
                             f"{code} --bevestig`).")
    if not _quarter_complete(read_release(config, huidig), code):
        raise PublishError(f"{code} is not complete in the data of the current release {huidig}: every day of the "
                           "quarter must be covered by a loaded delivery. Nothing was frozen; load the missing "
                           "deliveries, run `hermelding draai`, then freeze.")
    bestaand[code] = huidig
    write_atomic(config.marts_dir / FREEZES_FILE, json.dumps(bestaand, indent=1, sort_keys=True))
    _mark_approved(config, huidig)
    _history(config, "bevroren", code, huidig)
    return huidig


def unfreeze(config: Config, kwartaal: str) -> str:
    """Undo a freeze (e.g. frozen by mistake): the quarter can be frozen again, the release may be pruned
    again, and it is no longer approved for outside publication unless another quarter is frozen to it.
    Recorded in bevriezingen_historie.jsonl."""
    code = _quarter_code(kwartaal)
    bestaand = frozen_quarters(config)
    if code not in bestaand:
        raise PublishError(f"{code} is not frozen (frozen: {', '.join(sorted(bestaand)) or 'none'}).")
    release_id = bestaand.pop(code)
    write_atomic(config.marts_dir / FREEZES_FILE, json.dumps(bestaand, indent=1, sort_keys=True))
    if (releases_dir(config) / release_id / "release.json").exists():
        _mark_approved(config, release_id)
    _history(config, "ontdooid", code, release_id)
    return release_id


def prune_releases(config: Config, keep: str | None = None) -> list[str]:
    """Keep the newest `bewaar_releases`, the current one, `keep` (the release that was current until this
    publication: a long-lived reader of its files may still use it) and every frozen one; remove the rest."""
    alle = [r.release_id for r in all_releases(config)]
    behouden = set(alle[-int(config.bewaar_releases):]) | set(frozen_quarters(config).values())
    huidig = current_release(config)
    behouden |= {r for r in (huidig, keep) if r}
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
        "vrijgegeven": bool(r.info.get("vrijgegeven_voor_publicatie")),
        "bevroren": ", ".join(sorted(bevroren.get(r.release_id, []))),
        "git_commit": (r.info.get("git_commit") or "")[:10] + ("-dirty" if (r.info.get("git_commit") or "").endswith("-dirty") else ""),
        "rijen": sum(m.get("rijen", 0) for m in r.info["marts"].values()),
        "audit": "geslaagd" if r.info.get("validatie", {}).get("geslaagd") else "?",
        "waarschuwingen": len(r.info.get("validatie", {}).get("waarschuwingen", [])),
    } for r in all_releases(config)]
