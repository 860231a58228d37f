"""Prefect flows: the nightly run composes the project's modules (ingest, build, audit, publiceer);
the logic lives in those modules. Each stage is a task usable on its own.

    nachtelijke_run = ingest -> (nothing new? stop) -> dbt build -> audit -> publish -> summary
"""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import filelock
import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows import publiceer as publicatie
from flows.audit import AuditResultaat, audit
from flows.build import BuildMislukt, build, dbt_vars, kerncijfers
from flows.config import Config, load_config
from flows.ingest import LeveringVerslag, ingest

os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no network here, and none needed


class KwaliteitsFout(RuntimeError):
    """A data-quality failure (a failing dbt test or a critical expectation): final for this night, no retry."""


class PijplijnBezet(RuntimeError):
    """Another run holds the pipeline lock."""


# Files whose change means the figures may change even without new deliveries.
CODE_PATRONEN = ("dbt_project/dbt_project.yml", "dbt_project/models/**/*", "dbt_project/macros/**/*",
                 "dbt_project/seeds/*", "dbt_project/tests/*", "expectations/expectations/*.json", "flows/*.py")

VOORTGANG = None  # optional callable(stage: str) set by the command line for a progress display


def _stap(naam: str) -> None:
    if VOORTGANG:
        VOORTGANG(naam)


@dataclass
class RunResultaat:
    status: str  # gepubliceerd | niets_nieuw | geweigerd | mislukt
    bericht: str
    gestart: str
    geeindigd: str = ""
    release_id: str | None = None
    leveringen: list[dict] = field(default_factory=list)
    audit: dict | None = None
    data_docs: str | None = None
    afgewezen_leveringen: list[str] = field(default_factory=list)
    kerncijfers: list[dict] = field(default_factory=list)  # hermelding % per municipality, latest complete half year

    @property
    def exit_code(self) -> int:
        return 0 if self.status in ("gepubliceerd", "niets_nieuw") and not self.afgewezen_leveringen else 1


def lock_pad(config: Config) -> Path:
    return config.warehouse.parent / "hermelding.lock"


def laatste_run_pad(config: Config) -> Path:
    return config.warehouse.parent / "laatste_run.json"


@contextmanager
def pijplijn_slot(config: Config):
    """One run at a time, whoever started it (Prefect deployment or command line)."""
    pad = lock_pad(config)
    pad.parent.mkdir(parents=True, exist_ok=True)
    slot = filelock.FileLock(str(pad), timeout=float(config.lock_wachttijd_seconden))
    info = pad.with_suffix(".eigenaar")
    try:
        slot.acquire()
    except filelock.Timeout:
        eigenaar = info.read_text(encoding="utf-8") if info.exists() else "unknown"
        raise PijplijnBezet(
            f"Another hermelding run is busy ({eigenaar}); this run did nothing. It waited "
            f"{config.lock_wachttijd_seconden} s (lock_wachttijd_seconden). If no run is active, the lock file "
            f"{pad} is stale only if its process is gone; the lock frees itself when that process ends.") from None
    try:
        info.write_text(f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}", encoding="utf-8")
        yield
    finally:
        info.unlink(missing_ok=True)
        slot.release()


def vingerafdruk(config: Config) -> str:
    """What the figures depend on: current deliveries, code and definitions, parameters, population."""
    h = hashlib.sha256()
    if config.warehouse.exists():
        with duckdb.connect(str(config.warehouse), read_only=True) as con:
            for (sha,) in con.execute("select inhoud_sha256 from ingest.leveringen where is_actueel "
                                      "and uitkomst = 'geladen' order by levering_id").fetchall():
                h.update(sha.encode())
    bestanden = sorted({p for patroon in CODE_PATRONEN for p in config.root.glob(patroon) if p.is_file()})
    for pad in [*bestanden, config.referentie_dir / "bevolking.csv"]:
        if pad.exists():
            h.update(str(pad.relative_to(config.root) if pad.is_relative_to(config.root) else pad.name).encode())
            h.update(pad.read_bytes())
    h.update(json.dumps(dbt_vars(config), sort_keys=True).encode())
    return h.hexdigest()


def _tijdelijk(task, task_run, state) -> bool:
    """Retry only transient failures (I/O, a database file lock); never a data-quality failure."""
    try:
        state.result()
    except (KwaliteitsFout, BuildMislukt):
        return False
    except (OSError, duckdb.IOException, filelock.Timeout):
        return True
    except Exception:  # noqa: BLE001 - anything else is not known to be transient
        return False
    return False


@task(name="ingest", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10, retry_condition_fn=_tijdelijk)
def ingest_taak(config: Config) -> list[LeveringVerslag]:
    logger = get_run_logger()
    verslagen = ingest(config)
    for v in verslagen:
        if v.uitkomst == "geladen":
            logger.info("Delivery %s loaded: %s rows, %s quarantined (%s).", v.map, v.rijen_geladen,
                        v.rijen_quarantaine, ", ".join(f"{k} {n}" for k, n in v.quarantaine_per_regel.items()) or "none")
        elif v.uitkomst == "afgewezen":
            logger.error("Delivery %s REJECTED and not loaded: %s", v.map, v.reden)
    return verslagen


@task(name="dbt build", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=10, retry_condition_fn=_tijdelijk)
def build_taak(config: Config) -> Path:
    try:
        return build(config).build_db
    except BuildMislukt as exc:
        raise KwaliteitsFout(str(exc)) from None


@task(name="audit", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=10, retry_condition_fn=_tijdelijk)
def audit_taak(config: Config, db: Path) -> AuditResultaat:
    huidig = publicatie.huidige_release(config)
    vorige = publicatie.releases_dir(config) / huidig if huidig else None
    return audit(config, db, vorige)


@task(name="publiceer", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10, retry_condition_fn=_tijdelijk)
def publiceer_taak(config: Config, db: Path, resultaat: AuditResultaat, afdruk: str) -> str:
    return publicatie.publiceer(config, db, resultaat.samenvatting(), {"vingerafdruk": afdruk}).release_id


def _markdown(resultaat: RunResultaat, config: Config, kern) -> str:
    regels = [f"# hermelding: nachtelijke run — {resultaat.status}", "", resultaat.bericht, ""]
    if resultaat.leveringen:
        regels += ["## Leveringen", "", "| levering | uitkomst | geladen | quarantaine | per regel / reden |", "|---|---|---|---|---|"]
        for v in resultaat.leveringen:
            detail = ", ".join(f"{k} {n}" for k, n in v["quarantaine_per_regel"].items()) or (v.get("reden") or "")
            regels.append(f"| {v['map']} | {v['uitkomst']} | {v['rijen_geladen']} | {v['rijen_quarantaine']} | {detail} |")
        regels.append("")
    if resultaat.audit:
        a = resultaat.audit
        regels += ["## Kwaliteitspoort", "", "geslaagd" if a["geslaagd"] else "**GEWEIGERD** — niets gepubliceerd", ""]
        regels += [f"- kritiek: {k}" for k in a["kritiek"]] + [f"- waarschuwing: {w}" for w in a["waarschuwingen"]]
        if resultaat.data_docs:
            regels += ["", f"Details: Data Docs {resultaat.data_docs}"]
        regels.append("")
    if resultaat.release_id:
        regels += ["## Release", "", f"{resultaat.release_id} — catalogus {publicatie.catalogus_pad(config)}", ""]
    if kern is not None and not kern.empty:
        regels += [f"## Hermelding % per gemeente, {kern.periode.iloc[0]}", "", "| regio | meldingen | hermelding | % |", "|---|---|---|---|"]
        def cel(waarde, opmaak="{:.0f}"):
            return "." if pd.isna(waarde) else opmaak.format(waarde)  # "." = suppressed, as in CBS tables

        regels += [f"| {r.regionaam} | {cel(r.meldingen)} | {cel(r.hermelding)} | {cel(r.hermelding_pct, '{:.1f}')} |"
                   for r in kern.itertuples()]
    return "\n".join(regels)


def _rapporteer(config: Config, resultaat: RunResultaat, kern=None) -> RunResultaat:
    resultaat.geeindigd = datetime.now(UTC).isoformat(timespec="seconds")
    if kern is not None:
        resultaat.kerncijfers = kern.astype(object).where(kern.notna(), None).to_dict(orient="records")
    publicatie._schrijf_atomisch(laatste_run_pad(config), json.dumps(asdict(resultaat), indent=1, default=str))
    try:
        create_markdown_artifact(_markdown(resultaat, config, kern), key="hermelding-run",
                                 description="Samenvatting van de nachtelijke run")
        if resultaat.leveringen:
            create_table_artifact([{k: v[k] for k in ("map", "uitkomst", "rijen_geladen", "rijen_quarantaine")}
                                   for v in resultaat.leveringen], key="hermelding-leveringen")
        if kern is not None and not kern.empty:
            tabel = kern[["regionaam", "periode", "meldingen", "hermelding", "hermelding_pct"]].round(1)
            create_table_artifact(tabel.astype(object).where(tabel.notna(), None).to_dict(orient="records"),
                                  key="hermelding-kerncijfers")
    except Exception as exc:  # noqa: BLE001 - an artifact must never fail the run it reports on
        get_run_logger().warning("Could not write the run summary artifact: %s", exc)
    return resultaat


def _verslag_dict(v: LeveringVerslag) -> dict:
    return {"map": v.map, "uitkomst": v.uitkomst, "rijen_geladen": v.rijen_geladen,
            "rijen_quarantaine": v.rijen_quarantaine, "quarantaine_per_regel": v.quarantaine_per_regel,
            "reden": v.reden}


@flow(name="nachtelijke_run", log_prints=True)
def nachtelijke_run(forceer: bool = False) -> RunResultaat:
    """Ingest new deliveries, build the definitions, audit, publish; or report 'nothing new'."""
    logger = get_run_logger()
    config = load_config()
    resultaat = RunResultaat("mislukt", "", datetime.now(UTC).isoformat(timespec="seconds"))
    with pijplijn_slot(config):
        publicatie.opruimen(config)
        _stap("ingest")
        verslagen = ingest_taak(config)
        resultaat.leveringen = [_verslag_dict(v) for v in verslagen]
        resultaat.afgewezen_leveringen = [v.map for v in verslagen if v.uitkomst == "afgewezen"]
        afdruk = vingerafdruk(config)
        huidig = publicatie.huidige_release(config)
        if not forceer and huidig and publicatie.lees_release(config, huidig).info.get("vingerafdruk") == afdruk:
            resultaat.status, resultaat.release_id = "niets_nieuw", huidig
            resultaat.bericht = (f"Nothing new: no new or changed delivery and no change in code, definitions or "
                                 f"parameters. Release {huidig} stays current; nothing was rebuilt.")
            logger.info(resultaat.bericht)
            return _rapporteer(config, resultaat)
        _stap("dbt build")
        try:
            db = build_taak(config)
        except KwaliteitsFout as exc:
            resultaat.status = "geweigerd"
            resultaat.bericht = (f"NOT PUBLISHED: the dbt build failed ({exc}). Release {huidig or '(none)'} stays "
                                 "current. This is final for tonight; see dbt_project/logs/dbt.log and the "
                                 "testfouten schema of the build database for the offending rows.")
            logger.error(resultaat.bericht)
            _rapporteer(config, resultaat)
            raise KwaliteitsFout(resultaat.bericht) from None
        _stap("audit")
        uitslag = audit_taak(config, db)
        resultaat.audit = uitslag.samenvatting()
        resultaat.data_docs = str(uitslag.data_docs)
        kern = kerncijfers(db)
        if not uitslag.geslaagd:
            resultaat.status = "geweigerd"
            resultaat.bericht = (f"NOT PUBLISHED: {len(uitslag.kritiek)} critical expectation(s) failed: "
                                 f"{'; '.join(uitslag.kritiek)}. Release {huidig or '(none)'} stays current. "
                                 f"Details: {uitslag.data_docs}")
            logger.error(resultaat.bericht)
            _rapporteer(config, resultaat, kern)
            raise KwaliteitsFout(resultaat.bericht)
        for w in uitslag.waarschuwingen:
            logger.warning("Quality warning (published anyway): %s", w)
        _stap("publiceer")
        resultaat.release_id = publiceer_taak(config, db, uitslag, afdruk)
        resultaat.status = "gepubliceerd"
        resultaat.bericht = f"Published release {resultaat.release_id}; catalog {publicatie.catalogus_pad(config)}."
        if resultaat.afgewezen_leveringen:
            resultaat.bericht += (" Rejected deliveries were left out: " + ", ".join(resultaat.afgewezen_leveringen)
                                  + ". Ask the supplier for a corrected delivery.")
        logger.info(resultaat.bericht)
        return _rapporteer(config, resultaat, kern)


def deployment(config: Config):
    """The nightly deployment: cron schedule in the configured timezone, at most one run at a time."""
    from prefect.schedules import Cron

    return nachtelijke_run.to_deployment(
        name="nachtelijk",
        schedules=[Cron(config.schema_cron, timezone=config.tijdzone)],
        concurrency_limit=1,
        description="hermelding: ingest -> dbt build -> audit -> publish, every night.",
        tags=["hermelding"],
    )
