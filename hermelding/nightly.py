"""The nightly run, as one sequence of library stages:

    ingest -> (nothing new? stop) -> dbt build -> audit -> publish -> summary

Each stage is a plain function. `run` takes a `stage` runner so that an orchestrator can wrap every
stage (flows/nachtelijk.py makes them Prefect tasks with retries) without a second copy of the sequence,
and an `artifacts` callback for the orchestrator's own reporting. `hermelding publiceer` uses
`audit_and_publish`, the same gate the nightly run uses.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from hermelding import publish
from hermelding.audit import AuditResult, audit
from hermelding.build import BuildFailed, build, kerncijfers
from hermelding.config import Config, require_folder
from hermelding.ingest import LeveringVerslag, ingest
from hermelding.state import (  # noqa: F401 - QualityFailure is part of this module's interface
    QualityFailure,
    deliveries,
    fingerprint,
    last_run_path,
    pipeline_lock,
    require_current_build,
)

log = logging.getLogger("hermelding.nightly")

Progress = Callable[[str], None]
StageRunner = Callable[..., Any]  # stage(name, function, *args) -> the function's result


@dataclass
class RunResult:
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
    duur_seconden: dict[str, float] = field(default_factory=dict)  # wall time per stage, for operators and benchmarks

    @property
    def exit_code(self) -> int:
        return 0 if self.status in ("gepubliceerd", "niets_nieuw") and not self.afgewezen_leveringen else 1


def flows_module(config: Config):
    """The project's flows/nachtelijk.py (the Prefect flow and deployment; not an installed package),
    imported the way Prefect imports a deployment entrypoint."""
    import importlib.util
    import sys

    path = config.root / "flows" / "nachtelijk.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: it holds the nightly flow. Restore it from the repository.")
    name = "hermelding_flows_nachtelijk"
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # Prefect finds a deployment's entrypoint through the module
    spec.loader.exec_module(module)
    return module


def run_directly(name: str, function: Callable, *args):
    """The default stage runner: call the stage."""
    return function(*args)


# --- the stages -------------------------------------------------------------------------------


def ingest_stage(config: Config) -> list[LeveringVerslag]:
    verslagen = ingest(config)
    for v in verslagen:
        if v.uitkomst in ("geladen", "hersteld"):
            log.info("Delivery %s %s: %s rows, %s quarantined (%s).", v.map,
                     "loaded" if v.uitkomst == "geladen" else "restored and loaded again", v.rijen_geladen,
                     v.rijen_quarantaine, ", ".join(f"{k} {n}" for k, n in v.quarantaine_per_regel.items()) or "none")
        elif v.uitkomst == "afgewezen":
            log.error("Delivery %s REJECTED and not loaded: %s", v.map, v.reden)
    return verslagen


def build_stage(config: Config) -> Path:
    try:
        return build(config).build_db
    except BuildFailed as exc:
        raise QualityFailure(str(exc)) from None


def audit_stage(config: Config, db: Path) -> AuditResult:
    current = publish.current_release(config)
    return audit(config, db, publish.releases_dir(config) / current if current else None)


def publish_stage(config: Config, db: Path, result: AuditResult, current_fingerprint: str) -> str:
    return publish.publish_build(config, db, result.summary(), {"vingerafdruk": current_fingerprint}).release_id


def audit_and_publish(config: Config, db: Path, current_fingerprint: str,
                      stage: StageRunner = run_directly) -> tuple[AuditResult, str | None]:
    """The gate: audit the build and publish it only if it was built from the current state (`current_fingerprint`;
    else StaleBuild) and no critical expectation failed. Returns the audit and the new release id (None
    when refused)."""
    require_current_build(config, db, current_fingerprint)
    outcome = stage("audit", audit_stage, config, db)
    if not outcome.geslaagd:
        return outcome, None
    return outcome, stage("publiceer", publish_stage, config, db, outcome, current_fingerprint)


# --- the summary ------------------------------------------------------------------------------


def summary_markdown(result: RunResult, config: Config, kern) -> str:
    regels = [f"# hermelding: nachtelijke run — {result.status}", "", result.bericht, ""]
    if result.leveringen:
        regels += ["## Leveringen", "", "| levering | uitkomst | geladen | quarantaine | per regel / reden |",
                   "|---|---|---|---|---|"]
        for v in result.leveringen:
            detail = ", ".join(f"{k} {n}" for k, n in v["quarantaine_per_regel"].items()) or (v.get("reden") or "")
            regels.append(f"| {v['map']} | {v['uitkomst']} | {v['rijen_geladen']} | {v['rijen_quarantaine']} | {detail} |")
        regels.append("")
    if result.audit:
        a = result.audit
        regels += ["## Kwaliteitspoort", "", "geslaagd" if a["geslaagd"] else "**GEWEIGERD** — niets gepubliceerd", ""]
        regels += [f"- kritiek: {k}" for k in a["kritiek"]] + [f"- waarschuwing: {w}" for w in a["waarschuwingen"]]
        if a.get("onthulling", {}).get("onbeslist"):
            regels += ["", f"Aanvalsaudit niet uitgevoerd: {a['onthulling']['onbeslist']}"]
        elif a.get("onthulling"):
            o = a["onthulling"]
            regels += ["", f"Aanvalsaudit (alle openbare tabellen samen): {o['cellen_gecontroleerd']} onderdrukte cellen "
                       f"gecontroleerd ({o['primair']} primair), {o['vastgepind']} vastgepind, {o['te_smal']} te smal "
                       f"beschermd; smalste interval {o['smalste_interval']}, van een primaire cel "
                       f"{o['smalste_interval_primair']}; {o['verhoudingen_afwijkend']} van "
                       f"{o['verhoudingen_gecontroleerd']} verhoudingen niet uit de gepubliceerde tellingen"
                       + (f"; {o['per_deeltabel']} cellen per deeltabel gecontroleerd (binneninterval)"
                          if o.get("per_deeltabel") else "")
                       + (f"; samen met de bevroren release {o['bevroren_release']} ({o['bevroren_gelijk_gebleven']} "
                          "cellen daarvan ongewijzigd)" if o.get("bevroren_release") else "")
                       + (f"; {o['blokken_uit_memo']} blokken ongewijzigd sinds een eerdere run (uitkomst hergebruikt), "
                          f"{o['blokken_berekend']} berekend" if o.get("blokken_berekend") is not None else "") + "."]
        if result.data_docs:
            regels += ["", f"Details: Data Docs {result.data_docs}"]
        regels.append("")
    if result.release_id:
        regels += ["## Release", "", f"{result.release_id} — catalogus {publish.catalog_path(config)}", ""]
    if kern is not None and not kern.empty:
        regels += [f"## Hermelding % per gemeente, {kern.periode.iloc[0]}", "",
                   "| regio | meldingen | hermelding | % |", "|---|---|---|---|"]

        def cel(waarde, opmaak="{:.0f}"):
            return "." if pd.isna(waarde) else opmaak.format(waarde)  # "." = suppressed, as in CBS tables

        regels += [f"| {r.regionaam} | {cel(r.meldingen)} | {cel(r.hermelding)} | {cel(r.hermelding_pct, '{:.1f}')} |"
                   for r in kern.itertuples()]
    return "\n".join(regels)


def write_summary(config: Config, result: RunResult, kern=None,
                  artifacts: Callable[[RunResult, Config, Any], None] | None = None) -> RunResult:
    """laatste_run.json always; the orchestrator's artifacts when given (they never fail the run)."""
    result.geeindigd = datetime.now(UTC).isoformat(timespec="seconds")
    if kern is not None:
        result.kerncijfers = kern.astype(object).where(kern.notna(), None).to_dict(orient="records")
    publish.write_atomic(last_run_path(config), json.dumps(asdict(result), indent=1, default=str))
    if artifacts:
        try:
            artifacts(result, config, kern)
        except Exception as exc:  # noqa: BLE001 - an artifact must never fail the run it reports on
            log.warning("Could not write the run summary artifact: %s", exc)
    return result


def _verslag_dict(v: LeveringVerslag) -> dict:
    return {"map": v.map, "uitkomst": v.uitkomst, "rijen_geladen": v.rijen_geladen,
            "rijen_quarantaine": v.rijen_quarantaine, "quarantaine_per_regel": v.quarantaine_per_regel,
            "reden": v.reden}


def _timed(stage: StageRunner, durations: dict[str, float]) -> StageRunner:
    """The stage runner, recording each stage's wall time."""
    def run_stage(name: str, function: Callable, *args):
        started = time.perf_counter()
        try:
            return stage(name, function, *args)
        finally:
            durations[name] = round(time.perf_counter() - started, 3)
    return run_stage


# --- the sequence -----------------------------------------------------------------------------


def nothing_new(config: Config) -> str | None:
    """Before any work (and before a flow engine starts): the current release id when no delivery folder is
    new or changed and the fingerprint (code, definitions, parameters, population) equals the current
    release's; None when there is something to do. Call it holding the pipeline lock."""
    huidig = publish.current_release(config)
    if not huidig or any(d.status == "wachtend" for d in deliveries(config)):
        return None
    return huidig if publish.read_release(config, huidig).info.get("vingerafdruk") == fingerprint(config) else None


def report_nothing_new(config: Config, huidig: str, result: RunResult | None = None, artifacts=None) -> RunResult:
    """The 'nothing new' outcome in laatste_run.json, whether the command line or the flow found it."""
    result = result or RunResult("niets_nieuw", "", datetime.now(UTC).isoformat(timespec="seconds"))
    result.status, result.release_id = "niets_nieuw", huidig
    result.bericht = (f"Nothing new: no new or changed delivery and no change in code, definitions or "
                      f"parameters. Release {huidig} stays current; nothing was rebuilt.")
    log.info(result.bericht)
    return write_summary(config, result, artifacts=artifacts)


def run(config: Config, forceer: bool = False, progress: Progress | None = None,
        stage: StageRunner = run_directly, artifacts=None) -> RunResult:
    """Ingest new deliveries, build the definitions, audit, publish; or report 'nothing new'.
    Raises QualityFailure (after writing the summary) when the build or the gate refuses; any other
    failure is recorded in the summary as 'mislukt' and raised."""
    result = RunResult("mislukt", "", datetime.now(UTC).isoformat(timespec="seconds"))
    with pipeline_lock(config):
        try:
            return _run_locked(config, result, forceer, progress, stage, artifacts)
        except QualityFailure:
            raise
        except Exception as exc:
            result.status = "mislukt"
            result.bericht = (f"FAILED ({type(exc).__name__}): {exc}. Nothing new was published; the current "
                              "release stays current.")
            try:
                write_summary(config, result, artifacts=artifacts)
            except Exception:  # noqa: BLE001 - the original failure is what the operator must see
                log.exception("Could not write the run summary")
            raise


def _run_locked(config: Config, result: RunResult, forceer: bool, progress: Progress | None,
                stage: StageRunner, artifacts) -> RunResult:
    def step(naam: str) -> None:
        if progress:
            progress(naam)

    stage = _timed(stage, result.duur_seconden)
    require_folder(config, "raw_dir")
    publish.remove_temporary(config)
    step("ingest")
    verslagen = stage("ingest", ingest_stage, config)
    result.leveringen = [_verslag_dict(v) for v in verslagen]
    result.afgewezen_leveringen = [v.map for v in verslagen if v.uitkomst == "afgewezen"]
    current_fingerprint = fingerprint(config)
    huidig = publish.current_release(config)
    if not forceer and huidig and publish.read_release(config, huidig).info.get("vingerafdruk") == current_fingerprint:
        return report_nothing_new(config, huidig, result, artifacts)
    step("dbt build")
    try:
        db = stage("dbt build", build_stage, config)
    except QualityFailure as exc:
        result.status = "geweigerd"
        result.bericht = (f"NOT PUBLISHED: the dbt build failed ({exc}). Release {huidig or '(none)'} stays "
                          f"current. This is final for tonight; see {config.dbt_log_dir / 'dbt.log'} and the "
                          "testfouten schema of the build database for the offending rows.")
        log.error(result.bericht)
        write_summary(config, result, artifacts=artifacts)
        raise QualityFailure(result.bericht) from None
    step("audit")

    def publish_step(name, function, *args):
        if name == "publiceer":
            step("publiceer")
        return stage(name, function, *args)

    outcome, release_id = audit_and_publish(config, db, current_fingerprint, publish_step)
    result.audit = outcome.summary()
    result.data_docs = str(outcome.data_docs)
    kern = kerncijfers(db)
    if release_id is None:
        result.status = "geweigerd"
        result.bericht = (f"NOT PUBLISHED: {len(outcome.kritiek)} critical expectation(s) failed: "
                          f"{'; '.join(outcome.kritiek)}. Release {huidig or '(none)'} stays current. "
                          f"Details: {outcome.data_docs}")
        log.error(result.bericht)
        write_summary(config, result, kern, artifacts)
        raise QualityFailure(result.bericht)
    for w in outcome.waarschuwingen:
        log.warning("Quality warning (published anyway): %s", w)
    result.release_id = release_id
    result.status = "gepubliceerd"
    result.bericht = f"Published release {release_id}; catalog {publish.catalog_path(config)}."
    if result.afgewezen_leveringen:
        result.bericht += (" Rejected deliveries were left out: " + ", ".join(result.afgewezen_leveringen)
                           + ". Ask the supplier for a corrected delivery.")
    log.info(result.bericht)
    return write_summary(config, result, kern, artifacts)
