"""Prefect: the nightly flow and its deployment. Only orchestration lives here; every stage is a
function of the `hermelding` library (hermelding/nightly.py holds the sequence).

    nachtelijke_run = ingest -> (nothing new? stop) -> dbt build -> audit -> publish -> summary

Deployment entrypoint: flows/nachtelijk.py:nachtelijke_run (`hermelding serveer`).
"""

from __future__ import annotations

import errno
import os

# No network here, and none needed; the first start of the temporary API migrates its database.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
# the library logs through the standard `hermelding` loggers; show them in the Prefect UI too
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "hermelding")
# dbt runs its Python models (the disclosure engine) in its own threads, outside the flow run's context: their
# records still reach the console and the run log, but Prefect warned once per record that it could not send
# them to the API (651 warnings in a national run)
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")

from collections.abc import Callable  # noqa: E402 - after the Prefect settings above

import duckdb  # noqa: E402
import filelock  # noqa: E402
from prefect import flow, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact, create_table_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.states import Failed  # noqa: E402

from hermelding import nightly  # noqa: E402
from hermelding.config import Config, load_config  # noqa: E402

# OSErrors that another try cannot fix: permissions, a read-only or full file system, a missing path.
PERMANENT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOENT, errno.ENOTDIR,
                    errno.EISDIR}


def transient(task, task_run, state) -> bool:
    """Retry only transient failures (I/O, a database file lock); never a data-quality failure, nor an
    environment problem such as a read-only folder (retrying only delays the message)."""
    try:
        state.result()
    except nightly.QualityFailure:
        return False
    except OSError as exc:
        return exc.errno not in PERMANENT_ERRNOS
    except duckdb.IOException as exc:
        return "lock" in str(exc).lower()
    except filelock.Timeout:
        return True
    except Exception:  # noqa: BLE001 - anything else is not known to be transient
        return False
    return False


def _task(name: str, function: Callable, retries: int):
    return task(name=name, cache_policy=NO_CACHE, retries=retries, retry_delay_seconds=10,
                retry_condition_fn=transient)(function)


TASKS = {
    "ingest": _task("ingest", nightly.ingest_stage, retries=2),
    "dbt build": _task("dbt build", nightly.build_stage, retries=1),
    "audit": _task("audit", nightly.audit_stage, retries=1),
    "publiceer": _task("publiceer", nightly.publish_stage, retries=2),
}


def run_as_task(name: str, function: Callable, *args):
    return TASKS[name](*args)


def artifacts(result: nightly.RunResult, config: Config, kern) -> None:
    """The run summary as Prefect artifacts: markdown, deliveries, headline figures (public marts only)."""
    create_markdown_artifact(nightly.summary_markdown(result, config, kern), key="hermelding-run",
                             description="Samenvatting van de nachtelijke run")
    if result.leveringen:
        create_table_artifact([{k: v[k] for k in ("map", "uitkomst", "rijen_geladen", "rijen_quarantaine")}
                               for v in result.leveringen], key="hermelding-leveringen")
    if kern is not None and not kern.empty:
        tabel = kern[["regionaam", "periode", "meldingen", "hermelding", "hermelding_pct"]].round(1)
        create_table_artifact(tabel.astype(object).where(tabel.notna(), None).to_dict(orient="records"),
                              key="hermelding-kerncijfers")


@flow(name="nachtelijke_run", log_prints=True)
def nachtelijke_run(forceer: bool = False, progress: Callable[[str], None] | None = None) -> nightly.RunResult:
    """Ingest new deliveries, build the definitions, audit, publish; or report 'nothing new'.

    A refusal (dbt test or gate) ends the flow run Failed with the refusal as its message, without a traceback
    in the log (it is the outcome, not a crash); calling the flow raises the QualityFailure."""
    try:
        return nightly.run(load_config(), forceer=forceer, progress=progress, stage=run_as_task, artifacts=artifacts)
    except nightly.QualityFailure as exc:
        return Failed(message=str(exc), data=exc)


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
