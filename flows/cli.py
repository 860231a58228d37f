"""The `hermelding` command line. Exit codes: 0 success, 1 data-quality failure (a rejected delivery
or a failed gate), 2 usage or input error."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flows.config import ConfigError, load_config

EXIT_OK, EXIT_KWALITEIT, EXIT_INVOER = 0, 1, 2

app = typer.Typer(
    help="hermelding: Veilig Thuis deliveries -> warehouse -> definitions -> quality gate -> releases.",
    no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
)
console = Console()
err = Console(stderr=True)


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


QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only print problems (for cron).")]


@app.command()
def genereer(
    regio: Annotated[str, typer.Option(help="Veilig Thuis region code, e.g. VT02 (Drenthe).")] = "VT02",
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
    from flows.genereer import genereer as _genereer
    from flows.periode import GRANULARITEIT

    config = _config()
    if periode not in GRANULARITEIT:
        err.print(f"[red]--periode must be one of {', '.join(GRANULARITEIT)}[/red]")
        raise typer.Exit(EXIT_INVOER)
    if formaat not in ("csv", "parquet"):
        err.print("[red]--formaat must be csv or parquet[/red]")
        raise typer.Exit(EXIT_INVOER)
    try:
        res = _genereer(regio, van, tot, periode, seed, uit or config.raw_dir, config.grondwaarheid_dir,
                        schaal=schaal, fouten=fouten, formaat=formaat, referentie_dir=config.referentie_dir)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_INVOER) from None
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
        detail = ", ".join(f"{k} {n}" for k, n in v.quarantaine_per_regel.items()) if v.uitkomst == "geladen" else (
            f"rule {v.regelcode}" if v.uitkomst == "afgewezen" else (v.reden or ""))
        if v.vervangt:
            detail = f"replaces {v.vervangt}; " + detail
        kleur = {"afgewezen": "red", "geladen": "green"}.get(v.uitkomst, "dim")
        tabel.add_row(v.map, f"[{kleur}]{v.uitkomst}[/{kleur}]", str(v.rijen_geladen) if v.bestanden else "",
                      str(v.rijen_quarantaine) if v.uitkomst == "geladen" else "", detail)
    if tabel.row_count:
        console.print(tabel)
    for v in verslagen:
        if v.uitkomst == "afgewezen":
            err.print(f"[red]REJECTED[/red] {v.reden}")
        for w in v.waarschuwingen:
            err.print(f"[yellow]warning[/yellow] {v.map}: {w}")


@app.command()
def ingest(quiet: QuietOpt = False) -> None:
    """Load every new or changed delivery under raw_dir into the warehouse.

    Unchanged deliveries are skipped; a changed delivery for a period replaces the earlier one.
    Exit code 1 when a delivery was rejected (the others still load).

    Example: [bold]hermelding ingest[/bold]
    """
    from flows.ingest import ingest as _ingest

    _logging(quiet)
    config = _config()
    verslagen = _ingest(config)
    print_ingest(verslagen, quiet)
    if not quiet:
        console.print(f"Warehouse: {config.warehouse}")
    if any(v.uitkomst == "afgewezen" for v in verslagen):
        raise typer.Exit(EXIT_KWALITEIT)


def print_kerncijfers(frame) -> None:
    if frame.empty:
        console.print("No complete half year in the data yet: no headline figures.")
        return
    tabel = Table(title=f"Hermelding % (CBS-definitie), {frame.periode.iloc[0]}")
    for kolom in ("regio", "meldingen", "hermelding", "%", "95%-interval"):
        tabel.add_column(kolom, justify="left" if kolom == "regio" else "right")
    for r in frame.itertuples():
        tabel.add_row(r.regionaam, str(r.meldingen), str(r.hermelding), f"{r.hermelding_pct:.1f}",
                      f"{r.hermelding_pct_ci_onder:.1f}-{r.hermelding_pct_ci_boven:.1f}",
                      style="bold" if r.regiotype == "vt_regio" else None)
    console.print(tabel)


@app.command()
def build(quiet: QuietOpt = False) -> None:
    """Build the definitions and marts with dbt (models, data tests, unit tests) into the private build database.

    Exit code 1 when a model or a test fails; nothing is published by this command.

    Example: [bold]hermelding build[/bold]
    """
    from flows.build import BuildMislukt, kerncijfers
    from flows.build import build as _build

    _logging(quiet)
    config = _config()
    try:
        resultaat = _build(config)
    except BuildMislukt as exc:
        err.print(f"[red]BUILD FAILED[/red] {exc}")
        raise typer.Exit(EXIT_KWALITEIT) from None
    if not quiet:
        console.print(f"dbt build passed ({', '.join(f'{n} {k}' for k, n in sorted(resultaat.aantal.items()))}); "
                      f"build database: {resultaat.build_db}")
        print_kerncijfers(kerncijfers(resultaat.build_db))


if __name__ == "__main__":
    app()
