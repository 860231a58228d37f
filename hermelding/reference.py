"""Reference code lists and municipalities, read from the dbt seeds (their one home)."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"


@lru_cache
def _rows(naam: str) -> tuple[dict[str, str], ...]:
    with (SEEDS_DIR / f"{naam}.csv").open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def codelijst(lijst: str) -> tuple[str, ...]:
    """The allowed codes of one list in codelijsten.csv (aard_geweld, melder, rol, geslacht, besluit)."""
    codes = tuple(r["code"] for r in _rows("codelijsten") if r["lijst"] == lijst)
    if not codes:
        raise KeyError(f"codelijsten.csv has no list '{lijst}'")
    return codes


def gemeenten(vt_regio: str | None = None) -> tuple[dict[str, str], ...]:
    """Municipality rows of gemeenten.csv, optionally of one Veilig Thuis region."""
    return tuple(r for r in _rows("gemeenten") if vt_regio is None or r["vt_regio"] == vt_regio)


def herindelingen() -> tuple[dict[str, str], ...]:
    """Mergers and partial transfers (herindelingen.csv): datum, oude_code, nieuwe_code, type."""
    return _rows("herindelingen")


def gemeentecodes() -> tuple[str, ...]:
    return tuple(r["gemeentecode"] for r in gemeenten())
