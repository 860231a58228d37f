"""The `hermelding` command line: a thin layer over the library (parse options, call one library
function, print its result). Command and option names are Dutch (docs/conventions.md); the earlier
English spellings still work as hidden aliases.

Exit codes: 0 success (or nothing new), 1 data-quality failure (a rejected delivery or a failed gate),
2 usage, configuration or environment problem (the operator must fix something: a key, a folder, a
permission), 3 another run is busy (nothing done), 4 unexpected internal error (a bug: the traceback is in
the log file whose path is printed)."""

from __future__ import annotations

import functools
import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hermelding.config import ConfigError, load_config

EXIT_OK, EXIT_KWALITEIT, EXIT_INVOER, EXIT_BEZET, EXIT_FOUT = 0, 1, 2, 3, 4
EXIT_PIJP = 141  # 128 + SIGPIPE: the output pipe was closed by its reader, as `yes | head` ends

app = typer.Typer(
    help="hermelding: Veilig Thuis deliveries -> warehouse -> definitions -> quality gate -> releases.",
    no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
)
console = Console()
err = Console(stderr=True, soft_wrap=True)  # one message, one line (cron mails, log greps)


def _config():
    try:
        return load_config()
    except ConfigError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(EXIT_INVOER) from None


def _logging(quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("great_expectations", "httpx", "prefect"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextmanager
def _alleen(config):
    """Hold the pipeline lock for a command that writes; exit 3 with the lock owner when another run is busy."""
    from hermelding.state import PipelineBusy, pipeline_lock

    try:
        with pipeline_lock(config):
            yield
    except PipelineBusy as exc:
        err.print(f"[yellow]BUSY[/yellow] {escape(str(exc))}")
        raise typer.Exit(EXIT_BEZET) from None


def _stil():
    from contextlib import nullcontext

    return nullcontext()


QuietOpt = Annotated[bool, typer.Option("--stil", "--quiet", "-q", help="Only print problems (for cron).")]


def _log_file(exc: BaseException) -> str:
    """Write the traceback to data/warehouse/logs/hermelding-<time>.log (else the temp folder); its path."""
    import os
    import tempfile
    import traceback
    from datetime import UTC, datetime

    tekst = "".join(traceback.format_exception(exc))
    naam = f"hermelding-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}.log"
    mappen = []
    try:
        mappen.append(load_config().warehouse.parent / "logs")
    except Exception:  # noqa: BLE001 - the configuration may be what is broken
        pass
    mappen.append(Path(tempfile.gettempdir()) / "hermelding-logs")
    for map_ in mappen:
        try:
            map_.mkdir(parents=True, exist_ok=True)
            pad = map_ / naam
            fd = os.open(pad, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(tekst)
            return str(pad)
        except OSError:
            continue
    return "(no writable log folder)"


def _exit_code(exc: BaseException) -> int:
    """Which exit code an exception that reached the command line means (README, docs/bediening.md)."""
    import duckdb

    from hermelding.nightly import QualityFailure
    from hermelding.publish import PublishError
    from hermelding.state import PipelineBusy, StaleBuild, WarehouseBusy

    if isinstance(exc, QualityFailure):
        return EXIT_KWALITEIT
    if isinstance(exc, PipelineBusy | WarehouseBusy):
        return EXIT_BEZET
    if isinstance(exc, ConfigError | StaleBuild | PublishError | OSError | duckdb.IOException
                  | duckdb.PermissionException):
        return EXIT_INVOER
    return EXIT_FOUT


def _foreseen(exc: BaseException) -> bool:
    """Errors the library raises with a message written for the operator (no traceback needed)."""
    from hermelding.nightly import QualityFailure
    from hermelding.publish import PublishError
    from hermelding.state import PipelineBusy, StaleBuild, WarehouseBusy

    return isinstance(exc, ConfigError | StaleBuild | PublishError | PipelineBusy | WarehouseBusy | QualityFailure)


def _guarded(function):
    """Every command: an unexpected error ends in one line for the operator, the right exit code, and the
    traceback in a log file (never a wall of traceback on the terminal or in a cron mail)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            # the reader of our output stopped (`hermelding sql --csv ... | head -1`): stop quietly, as CLI tools
            # do; point stdout at /dev/null so the interpreter's final flush does not fail again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(EXIT_PIJP) from None
        except Exception as exc:  # noqa: BLE001 - this is the one place that turns errors into exit codes
            code = _exit_code(exc)
            soort = {EXIT_INVOER: "ERROR", EXIT_BEZET: "BUSY", EXIT_KWALITEIT: "NOT PUBLISHED"}.get(code, "INTERNAL ERROR")
            bericht = escape(" ".join(str(exc).split()) or type(exc).__name__)
            if _foreseen(exc):  # the message says it all: what, where, what to do
                err.print(f"[red]{soort}[/red] {bericht}", highlight=False)
            else:
                hint = " This is a bug: please report it with the log file." if code == EXIT_FOUT else ""
                err.print(f"[red]{soort}[/red] {bericht} ({type(exc).__name__}; traceback: {_log_file(exc)}).{hint}",
                          highlight=False)
            raise typer.Exit(code) from None
    return wrapper


def command(name: str, *aliases: str):
    """Register a command under its Dutch name, and under earlier spellings as hidden aliases."""
    def register(function):
        guarded = _guarded(function)
        app.command(name)(guarded)
        for alias in aliases:
            app.command(alias, hidden=True)(guarded)
        return function
    return register


@command("genereer")
def genereer(
    regio: Annotated[str, typer.Option(help="Veilig Thuis region code (VT02 = Drenthe), a comma-separated list, "
                                           "or ALLE for all 25 regions (volumes in proportion to population).")] = "VT02",
    van: Annotated[int, typer.Option(help="First year.")] = 2019,
    tot: Annotated[int, typer.Option(help="Last year (inclusive).")] = 2025,
    periode: Annotated[str, typer.Option(help="Delivery period: jaar, halfjaar, kwartaal or maand.")] = "halfjaar",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 1,
    uit: Annotated[Path | None, typer.Option(help="Folder for the deliveries (default: raw_dir).")] = None,
    schaal: Annotated[float, typer.Option(help="Volume multiplier; national scale is about 65.")] = 1.0,
    fouten: Annotated[bool, typer.Option("--fouten", help="Inject realistic defects and rejectable deliveries.")] = False,
    formaat: Annotated[str, typer.Option(help="File format: csv or parquet.")] = "csv",
    quiet: QuietOpt = False,
) -> None:
    """Write synthetic Veilig Thuis deliveries in the export-contract format, plus the planted ground truth.

    Example: [bold]hermelding genereer --regio VT02 --van 2019 --tot 2025 --periode halfjaar --seed 1 --uit data/raw[/bold]
    """
    from hermelding.generator import genereer as _genereer
    from hermelding.periode import GRANULARITEIT
    from hermelding.publish import close_private_folders

    config = _config()
    if periode not in GRANULARITEIT:
        err.print(f"[red]--periode must be one of {', '.join(GRANULARITEIT)}[/red]")
        raise typer.Exit(EXIT_INVOER)
    if formaat not in ("csv", "parquet"):
        err.print("[red]--formaat must be csv or parquet[/red]")
        raise typer.Exit(EXIT_INVOER)
    try:
        with console.status("generating deliveries…") if not quiet else _stil():
            res = _genereer(regio, van, tot, periode, seed, uit or config.raw_dir, config.grondwaarheid_dir,
                            schaal=schaal, fouten=fouten, formaat=formaat, referentie_dir=config.referentie_dir)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_INVOER) from None
    close_private_folders(config)
    if not quiet:
        klassen = ", ".join(f"{k} {v}" for k, v in sorted(res.klassen.items()))
        console.print(f"Wrote {len(res.leveringen)} deliveries ({res.aantal_meldingen} meldingen; planted classes: "
                      f"{klassen}) to {uit or config.raw_dir}")
        if res.afgekeurde_leveringen:
            console.print(f"Plus {len(res.afgekeurde_leveringen)} deliveries that must be rejected: "
                          + ", ".join(p.name for p in res.afgekeurde_leveringen))
        console.print(f"Ground truth: {res.grondwaarheid}")


def print_ingest(verslagen, quiet: bool = False) -> None:
    tabel = Table(title="Ingest per delivery", show_lines=False)
    for kolom in ("delivery", "outcome", "rows loaded", "quarantined", "by rule / reason"):
        tabel.add_column(kolom)
    for v in verslagen:
        if quiet and v.uitkomst != "afgewezen":
            continue
        geladen = v.uitkomst in ("geladen", "hersteld")  # a restore is loaded and validated like a new delivery
        detail = ", ".join(f"{k} {n}" for k, n in v.quarantaine_per_regel.items()) if geladen else (
            f"rule {v.regelcode}" if v.uitkomst == "afgewezen" else (v.reden or ""))
        if v.vervangt:
            detail = f"replaces {v.vervangt}; " + detail
        kleur = {"afgewezen": "red", "geladen": "green"}.get(v.uitkomst, "dim")
        tabel.add_row(v.map, f"[{kleur}]{v.uitkomst}[/{kleur}]", str(v.rijen_geladen) if v.bestanden else "",
                      str(v.rijen_quarantaine) if geladen else "", detail)
    if tabel.row_count:
        console.print(tabel)
    for v in verslagen:
        if v.uitkomst == "afgewezen":
            err.print(f"[red]REJECTED[/red] {v.reden}")
        for w in v.waarschuwingen:
            err.print(f"[yellow]warning[/yellow] {v.map}: {w}")


@command("inlezen", "ingest")
def inlezen(quiet: QuietOpt = False) -> None:
    """Load every new or changed delivery under raw_dir into the warehouse.

    Unchanged deliveries are skipped; a changed delivery for a period replaces the earlier one.
    Exit code 1 when a delivery was rejected (the others still load).

    Example: [bold]hermelding inlezen[/bold]
    """
    from rich.progress import Progress

    from hermelding.config import require_folder
    from hermelding.ingest import ingest as _ingest

    _logging(quiet)
    config = _config()
    require_folder(config, "raw_dir")
    with _alleen(config), Progress(console=console, transient=True, disable=quiet) as voortgang:
        taak = voortgang.add_task("ingest", total=None)

        def stap(naam, i, n):
            voortgang.update(taak, description=f"ingest {naam}", completed=i, total=n)

        verslagen = _ingest(config, voortgang=stap)
    print_ingest(verslagen, quiet)
    if not quiet:
        console.print(f"Warehouse: {config.warehouse}")
    if any(v.uitkomst == "afgewezen" for v in verslagen):
        raise typer.Exit(EXIT_KWALITEIT)


def print_key_figures(frame) -> None:
    if frame.empty:
        console.print("No complete half year in the data yet: no headline figures.")
        return
    import pandas as pd

    def getal(waarde, opmaak="{:.0f}"):
        return "." if pd.isna(waarde) else opmaak.format(waarde)  # "." = suppressed, as in CBS tables

    tabel = Table(title=f"Hermelding % (CBS-definitie), {frame.periode.iloc[0]} — openbare cijfers")
    for kolom in ("regio", "meldingen", "hermelding", "%", "95%-interval"):
        tabel.add_column(kolom, justify="left" if kolom == "regio" else "right")
    for r in frame.itertuples():
        interval = "." if pd.isna(r.hermelding_pct_ci_onder) else \
            f"{r.hermelding_pct_ci_onder:.1f}-{r.hermelding_pct_ci_boven:.1f}"
        tabel.add_row(r.regionaam, getal(r.meldingen), getal(r.hermelding), getal(r.hermelding_pct, "{:.1f}"),
                      interval, style="bold" if r.regiotype == "vt_regio" else None)
    console.print(tabel)


@command("bouw", "build")
def bouw(quiet: QuietOpt = False) -> None:
    """Build the definitions and marts with dbt (models, data tests, unit tests) into the private build database.

    Exit code 1 when a model or a test fails; nothing is published by this command.

    Example: [bold]hermelding bouw[/bold]
    """
    from hermelding.build import BuildFailed, kerncijfers
    from hermelding.build import build as _build

    _logging(quiet)
    config = _config()
    try:
        with _alleen(config), console.status("dbt build…") if not quiet else _stil():
            result = _build(config)
    except BuildFailed as exc:
        err.print(f"[red]BUILD FAILED[/red] {exc}")
        raise typer.Exit(EXIT_KWALITEIT) from None
    if not quiet:
        console.print(f"dbt build passed ({', '.join(f'{n} {k}' for k, n in sorted(result.aantal.items()))}); "
                      f"build database: {result.build_db}")
        print_key_figures(kerncijfers(result.build_db))


def _flows_module(config):
    from hermelding.nightly import flows_module

    try:
        return flows_module(config)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_INVOER) from None


@command("draai", "run")
def draai(
    forceer: Annotated[bool, typer.Option("--forceer", help="Rebuild and republish even when nothing is new.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Run the whole nightly flow once: ingest -> dbt build -> audit -> publish -> summary.

    Needs no Prefect server (it uses Prefect's temporary local API). For cron:
    [bold]0 2 * * * cd /srv/hermelding && .venv/bin/hermelding draai --stil[/bold]

    Exit codes: 0 published or nothing new; 1 not published (gate or dbt test failed) or a delivery
    was rejected; 2 usage, configuration or environment problem; 3 another run is busy (decided before
    Prefect starts); 4 unexpected internal error (traceback in data/warehouse/logs/).

    Example: [bold]hermelding draai[/bold]
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from hermelding.config import require_folder, tool_environment
    from hermelding.state import PipelineBusy, QualityFailure, hold_for_process, last_run_path

    _logging(quiet)
    config = _config()
    require_folder(config, "raw_dir")
    try:
        # the lock first, and 'nothing new' decided, before any flow engine starts (or the audit's solvers are
        # imported): a refused or idle run is quick
        with hold_for_process(config):
            from hermelding.nightly import nothing_new, report_nothing_new

            huidig = None if forceer else nothing_new(config)
            if huidig:
                result = report_nothing_new(config, huidig)
            else:
                # Prefect reads its logging level when it is imported: set it before the flow module loads
                with tool_environment({"PREFECT_LOGGING_LEVEL": "WARNING"} if quiet else {}), \
                        Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=console, transient=True, disable=quiet) as voortgang:
                    flows = _flows_module(config)
                    taak = voortgang.add_task("nachtelijke run: starten", total=None)
                    result = flows.nachtelijke_run(forceer=forceer, progress=lambda stap: voortgang.update(
                        taak, description=f"nachtelijke run: {stap}"))
    except PipelineBusy as exc:
        err.print(f"[yellow]BUSY[/yellow] {escape(str(exc))}")
        raise typer.Exit(EXIT_BEZET) from None
    except QualityFailure as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")  # the message starts with NOT PUBLISHED
        err.print(f"Run summary: {last_run_path(config)}")
        raise typer.Exit(EXIT_KWALITEIT) from None
    if not quiet or result.exit_code:
        console.print(result.bericht)
        if result.status == "gepubliceerd":
            from hermelding.publish import catalog_path, releases_dir

            console.print(f"Release:    {releases_dir(config) / result.release_id}")
            console.print(f"Catalog:    {catalog_path(config)}  (open read-only)")
            console.print(f"Data Docs:  {result.data_docs}")
            if not quiet:
                import pandas as pd

                print_key_figures(pd.DataFrame(result.kerncijfers))
        console.print(f"Run summary: {last_run_path(config)}")
    raise typer.Exit(result.exit_code)


@command("serveer", "serve")
def serveer() -> None:
    """Serve the nightly deployment (cron schedule from hermelding.toml, at most one run at a time).

    Needs a running Prefect server: [bold]prefect server start[/bold] in another terminal, and
    PREFECT_API_URL=http://127.0.0.1:4200/api. Without a server, use cron with `hermelding draai`.

    Example: [bold]PREFECT_API_URL=http://127.0.0.1:4200/api hermelding serveer[/bold]
    """
    config = _config()
    if not config.environment.get("prefect_api_url"):
        err.print("[red]No Prefect server configured.[/red] Schedules only fire on a running server: start one with "
                  "`prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api, or schedule "
                  "`hermelding draai --stil` with cron or a systemd timer (README).")
        raise typer.Exit(EXIT_INVOER)
    import httpx

    url = config.environment["prefect_api_url"].rstrip("/")
    try:
        httpx.get(f"{url}/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        err.print(f"[red]No Prefect server reachable at PREFECT_API_URL={escape(url)}[/red] ({type(exc).__name__}). "
                  "Start it with `prefect server start` (or check the URL), or schedule `hermelding draai --stil` "
                  "with cron or a systemd timer (README).")
        raise typer.Exit(EXIT_INVOER) from None
    from prefect import serve as prefect_serve

    flows = _flows_module(config)
    console.print(f"Serving 'nachtelijke_run/nachtelijk': cron '{config.schema_cron}' ({config.tijdzone}), "
                  "concurrency limit 1. Stop with Ctrl-C.")
    prefect_serve(flows.deployment(config))


@command("status")
def status() -> None:
    """Current release, last run and its outcome, deliveries waiting, and the effective configuration.

    Example: [bold]hermelding status[/bold]
    """
    import json

    from hermelding.publish import current_release, too_open
    from hermelding.state import WarehouseBusy, deliveries, last_run_path

    config = _config()
    console.print(f"Current release: {current_release(config) or '(none published yet)'}")
    pad = last_run_path(config)
    if pad.exists():
        laatste = json.loads(pad.read_text(encoding="utf-8"))
        console.print(f"Last run: {laatste['gestart']} -> {laatste['status']}: {laatste['bericht']}")
    else:
        console.print("Last run: (none)")
    try:
        mappen = deliveries(config)
    except WarehouseBusy as exc:
        console.print(f"Deliveries waiting: unknown now. {escape(str(exc))}")
        mappen = None
    if mappen is not None:
        wachtend = [d.map for d in mappen if d.status == "wachtend"]
        console.print(f"Deliveries waiting: {', '.join(wachtend) if wachtend else 'none'}")
        for d in mappen:
            if d.status == "afgewezen":
                console.print(f"[red]Rejected[/red] {d.map} (stays rejected until its folder is replaced or "
                              f"removed): {escape(d.reden or '')}", soft_wrap=True)
    for pad in too_open(config):
        console.print(f"[red]Readable by other users[/red]: {pad} holds per-melding data. Fix: chmod o-rwx {pad} "
                      "(hermelding does this itself on its next run when it owns the folder).", soft_wrap=True)
    tabel = Table(title="Effective configuration")
    for kolom in ("key", "value", "from"):
        tabel.add_column(kolom)
    for sleutel in config.values:
        tabel.add_row(sleutel, str(getattr(config, sleutel)), config.sources.get(sleutel, ""))
    console.print(tabel)


@command("releases")
def releases() -> None:
    """List the published releases with their status (actueel, bevroren for a quarter, beschikbaar).

    Example: [bold]hermelding releases[/bold]
    """
    from hermelding.publish import release_statuses

    config = _config()
    rijen = release_statuses(config)
    if not rijen:
        console.print("No releases yet.")
        return
    tabel = Table(title=f"Releases in {config.marts_dir}")
    tabel.add_column("release", no_wrap=True)
    for kolom in ("time (UTC)", "status", "frozen for", "approved", "git", "warnings"):
        tabel.add_column(kolom)
    for r in rijen:
        tabel.add_row(r["release_id"], r["tijd"][:16].replace("T", " "), r["status"], r["bevroren"],
                      "yes" if r["vrijgegeven"] else "no", r["git_commit"], str(r["waarschuwingen"]))
    console.print(tabel)
    console.print("approved: for publication outside the organisation; only frozen releases are (README, Releases).")


@command("terugzetten", "rollback")
def terugzetten(release_id: Annotated[str, typer.Argument(help="The release to make current again.")]) -> None:
    """Make an older release current again (atomic switch of the catalog).

    Example: [bold]hermelding terugzetten 20261128T020000123456Z[/bold]
    """
    from hermelding.publish import PublishError, activate

    config = _config()
    try:
        with _alleen(config):
            activate(config, release_id)
    except PublishError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_INVOER) from None
    console.print(f"Release {release_id} is current again.")


@command("publiceer")
def publiceer(
    bevries: Annotated[str | None, typer.Option(help="Mark the current release as the official figures of this quarter, e.g. 2025KW3 (approved for publication outside the organisation).")] = None,
    ontdooi: Annotated[str | None, typer.Option(help="Undo the freeze of this quarter (needs --bevestig).")] = None,
    bevestig: Annotated[bool, typer.Option("--bevestig", help="Confirm --ontdooi.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Audit the current build and publish it if it passes; or, with --bevries, freeze the current release.

    Refused when the build is not of the current state (a delivery, code or parameter changed since
    `hermelding bouw`). A frozen release is never pruned or overwritten, and only a frozen release is
    approved for publication outside the organisation; the quarterly report is made from it. A quarter
    is frozen only when it is complete in the data. --ontdooi undoes a freeze (recorded).

    Examples: [bold]hermelding publiceer[/bold]   [bold]hermelding publiceer --bevries 2025KW3[/bold]   [bold]hermelding publiceer --ontdooi 2025KW3 --bevestig[/bold]
    """
    from hermelding.build import build_db
    from hermelding.nightly import audit_and_publish
    from hermelding.publish import freeze, unfreeze
    from hermelding.state import fingerprint

    _logging(quiet)
    config = _config()
    if bevries and ontdooi:
        err.print("[red]Use --bevries or --ontdooi, not both.[/red]")
        raise typer.Exit(EXIT_INVOER)
    if ontdooi and not bevestig:
        err.print(f"[red]Unfreezing {escape(ontdooi)} withdraws its official figures[/red]: the release may then be "
                  f"pruned and is no longer approved for outside publication. Repeat with --bevestig: "
                  f"hermelding publiceer --ontdooi {escape(ontdooi)} --bevestig")
        raise typer.Exit(EXIT_INVOER)
    with _alleen(config):
        if ontdooi:
            release_id = unfreeze(config, ontdooi)
            console.print(f"{ontdooi} is no longer frozen (it was release {release_id}).")
            return
        if bevries:
            release_id = freeze(config, bevries)
            console.print(f"Release {release_id} holds the official figures for {bevries}; it is approved for "
                          "publication outside the organisation.")
            return
        db = build_db(config)
        if not db.exists():
            err.print(f"[red]No build at {db}: run `hermelding bouw` first.[/red]")
            raise typer.Exit(EXIT_INVOER)
        uitslag, release_id = audit_and_publish(config, db, fingerprint(config))
        if release_id is None:
            err.print(f"[red]NOT PUBLISHED[/red]: {escape('; '.join(uitslag.kritiek))}. Details: {uitslag.data_docs}")
            raise typer.Exit(EXIT_KWALITEIT)
        console.print(f"Published release {release_id} (an internal working version; freeze a complete quarter "
                      f"to approve it for outside publication). Data Docs: {uitslag.data_docs}")


@command("rapport")
def rapport(
    kwartaal: Annotated[str | None, typer.Option(help="Quarter, e.g. 2025KW3 or 2025KW03 (default: the latest complete quarter).")] = None,
    regio: Annotated[str | None, typer.Option(help="Veilig Thuis region code, when the release holds several.")] = None,
    release: Annotated[str | None, typer.Option(help="Use this release instead of the one frozen for the quarter.")] = None,
) -> None:
    """Write the quarterly report: a self-contained Dutch HTML file and an Excel workbook, public figures only.

    From the release frozen for the quarter (`publiceer --bevries`), else the current release (the report
    says so on its first page). Output: <marts_dir>/rapporten/<quarter>/.

    Example: [bold]hermelding rapport --kwartaal 2025KW3[/bold]
    """
    from hermelding.reader import ReleaseNotFound
    from hermelding.report import ReportError, make_report

    config = _config()
    try:
        result = make_report(config, kwartaal, regio, release)
    except (ReportError, ReleaseNotFound) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_INVOER) from None
    if not result.bevroren:
        err.print(f"[yellow]note[/yellow] no release is frozen for {result.kwartaal}: the report uses release "
                  f"{result.release_id} and says so on its first page.", soft_wrap=True)
    console.print(f"Report {result.kwartaal} ({result.regiocode}) from release {result.release_id}:", soft_wrap=True)
    console.print(f"  Excel: {result.excel}", soft_wrap=True)
    console.print(f"  HTML:  {result.html}", soft_wrap=True)


def _page(tekst: str) -> None:
    """Print text in full; on a terminal, through `less -S` (scroll sideways, no wrapping) when it is wider or
    longer than the screen. Never cut: a file or a pipe gets every column and every row."""
    import shutil
    import subprocess
    import sys

    regels = tekst.splitlines() or [""]
    if console.is_terminal and shutil.which("less") and (
            len(regels) > console.height - 2 or max(map(len, regels)) > console.width):
        subprocess.run(["less", "-S", "-F", "-X", "-K"], input=tekst + "\n", text=True, check=False)
    else:
        sys.stdout.write(tekst + "\n")
        sys.stdout.flush()


@command("sql")
def sql(
    query: Annotated[str, typer.Argument(help="One read-only SQL query (select) on the release.")],
    release: Annotated[str | None, typer.Option(help="Query this release (`hermelding releases` lists them) instead of the current one.")] = None,
    kwartaal: Annotated[str | None, typer.Option(help="Query the release frozen for this quarter (official figures), e.g. 2025KW3.")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV (for machines) instead of a table.")] = False,
    excel: Annotated[Path | None, typer.Option(help="Also write the result to this .xlsx file (for people): raw values, numbers as numbers.")] = None,
    intern: Annotated[bool, typer.Option("--intern", help="Query the internal marts too (exact counts, per-melding rows; owner and intern_groep only).")] = False,
) -> None:
    """Query a release: the current one, a named one (--release) or the one frozen for a quarter (--kwartaal).

    Reads the release's public marts and dimensions (with --intern also the internal marts) and nothing else:
    no files, no other databases, no extensions, one select per call. Short period codes in string literals
    ('2025KW3') are read as CBS codes ('2025KW03') and the rewrite is reported; a period the release does not
    have is named with the codes it does have. Tables print in full (through `less -S` on a terminal).
    Questions with their queries: docs/sql.md.

    Example: [bold]hermelding sql --kwartaal 2025KW3 "select regionaam, hermelding_pct from openbaar.hermelding_regio_periode_openbaar where periode = '2025KW3'"[/bold]
    """
    from hermelding.publish import QueryRefused
    from hermelding.query import render_text, run_query, write_excel

    config = _config()
    if release and kwartaal:
        err.print("[red]Use --release or --kwartaal, not both.[/red]")
        raise typer.Exit(EXIT_INVOER)
    try:
        result = run_query(config, query, release=release, kwartaal=kwartaal, intern=intern)
        if excel:
            write_excel(result.frame, excel, result)
    except QueryRefused as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(EXIT_INVOER) from None
    for kort, code in result.rewrites.items():
        err.print(f"[yellow]note[/yellow] '{kort}' read as '{code}' (CBS period code).", highlight=False)
    frame = result.frame
    if csv:
        frame.to_csv(sys.stdout, index=False)
    elif not excel and frame.empty:  # pandas' "Empty DataFrame / Index: []" says nothing to a reader
        console.print(f"Columns: {', '.join(map(str, frame.columns))}", highlight=False, soft_wrap=True)
    elif not excel:
        _page(render_text(frame))
    aantal = f"{len(frame)} row{'' if len(frame) == 1 else 's'} (release {result.release_id})"
    if excel:
        err.print(f"{aantal} written to {excel}", highlight=False, soft_wrap=True)
    elif csv:
        if frame.empty:
            err.print(aantal, highlight=False)
    else:
        console.print(aantal, highlight=False)
    for opmerking in result.notes:
        err.print(f"[yellow]note[/yellow] {escape(opmerking)}", highlight=False)


def _months(tekst: str | None, optie: str) -> list[int] | None:
    if tekst is None:
        return None
    try:
        return [int(x) for x in tekst.replace(" ", "").split(",") if x != ""]
    except ValueError:
        err.print(f"[red]{optie} takes whole numbers of months separated by commas, e.g. 12,24,36,0[/red]")
        raise typer.Exit(EXIT_INVOER) from None


@command("gevoeligheid")
def gevoeligheid(
    lookback: Annotated[str, typer.Option(help="Look-backs in months to compare, comma-separated; 0 = unlimited.")] = "12,24,36,0",
    horizons: Annotated[str | None, typer.Option(help="Also D2 (re-report after closure), D3 (perpetrator recidive) and D4(b) (minors later adult victim or perpetrator) with these horizons in months, e.g. 6,12,24,36.")] = None,
    intern: Annotated[bool, typer.Option("--intern", help="Compare the exact internal figures instead of the public, disclosure-controlled ones.")] = False,
    uit: Annotated[Path | None, typer.Option(help="Scratch folder (new; default <warehouse folder>/gevoeligheid/<time>).")] = None,
    bewaar_builds: Annotated[bool, typer.Option("--bewaar-builds", help="Keep the scratch dbt builds (per-melding data) for further digging.")] = False,
) -> None:
    """Sensitivity run: the definitions computed with other parameters through the same dbt models, compared.

    Builds once per look-back into a scratch folder and writes vergelijking.csv and .xlsx there: the hermelding
    % per region and period, a column per look-back. Only reads the operator's state: the warehouse is copied
    under the pipeline lock (seconds), and the warehouse, releases, catalogs, last-run summary and build
    database are left byte-identical. Researchers: notebooks/README.md.

    Example: [bold]hermelding gevoeligheid --lookback 12,24,36,0 --horizons 6,12,24,36[/bold]
    """
    from hermelding.build import BuildFailed
    from hermelding.sensitivity import SensitivityError, run_sensitivity

    _logging(True)
    config = _config()
    try:
        with console.status("sensitivity run…") as status:
            result = run_sensitivity(config, _months(lookback, "--lookback"), _months(horizons, "--horizons"),
                                        intern=intern, uit=uit, bewaar_builds=bewaar_builds,
                                        progress=lambda stap: status.update(f"sensitivity run: {stap}"))
    except (SensitivityError, BuildFailed, FileExistsError) as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(EXIT_INVOER) from None
    frame = result.vergelijking
    pct = [k for k in frame.columns if k.startswith(("hermelding_pct_", "herhaalde_melding_pct_", "recidive_pleger_pct_",
                                                      "intergenerationeel_pct_"))]
    regio = frame.loc[(frame.regiotype == "vt_regio") & (frame.periodesoort == "jaar"),
                      ["regiocode", "periode", "meldingen", *pct]]
    regio = regio.rename(columns=lambda k: k.replace("hermelding_pct_", "D1 ").replace("herhaalde_melding_pct_", "D2 ")
                         .replace("recidive_pleger_pct_", "D3 ").replace("intergenerationeel_pct_", "D4b "))
    console.print("Hermelding % (D1) per look-back" + (", and D2, D3 and D4(b) cumulative % per horizon"
                                                       if result.horizons else "")
                  + f", region, per year ({'exact internal' if intern else 'public'} figures; '.' = suppressed):")
    _page(regio.to_string(index=False, na_rep=".", float_format=lambda x: f"{x:.1f}"))
    console.print(f"Comparison of every region and period: {result.bestanden[0]} and {result.bestanden[1].name}",
                  soft_wrap=True)


@command("documentatie", "docs")
def documentatie() -> None:
    """Generate the dbt documentation site (dbt docs generate) without opening the build database for writing.

    dbt runs against a copy of the build database, taken under the pipeline lock; the site lands in
    the project's dbt target, data/warehouse/build/dbt/target (serve it with `cd dbt_project && ../.venv/bin/dbt docs
    serve --profiles-dir . --target-path ../data/warehouse/build/dbt/target`).
    Every release already carries the site as one file: data/marts/releases/<id>/documentatie/index.html.

    Example: [bold]hermelding documentatie[/bold]
    """
    from hermelding.build import BuildFailed, generate_docs

    config = _config()
    try:
        with _alleen(config), console.status("dbt docs generate…"):
            doel = generate_docs(config)
    except BuildFailed as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(EXIT_INVOER) from None
    console.print(f"dbt docs generated in {doel} (from a copy of the build database).")


if __name__ == "__main__":
    app()
