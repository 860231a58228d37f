"""Reference data read from the dbt project (its one home): code lists and municipalities (seeds), and the
structure of D1's counts (the var `d1_tellingen` of dbt_project.yml)."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"


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


@lru_cache
def d1_tellingen() -> tuple[dict[str, str], ...]:
    """D1's count columns in order, each with the class or subclass it counts and the total it is part of
    (`deel_van`): the var `d1_tellingen` of dbt_project.yml, which the dbt models and tests read too."""
    import yaml

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return tuple(project["vars"]["d1_tellingen"])


def d1_groepen() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each D1 total with its parts, in order: (("meldingen", ("eerste_melding", ...)), ...)."""
    groepen: dict[str, list[str]] = {}
    for telling in d1_tellingen():
        if telling.get("deel_van"):
            groepen.setdefault(telling["deel_van"], []).append(telling["kolom"])
    return tuple((totaal, tuple(delen)) for totaal, delen in groepen.items())


@lru_cache
def d2_besluit_delen() -> tuple[str, ...]:
    """The besluit codes D2's breakdown by besluit shows as columns (the var `d2_besluit_delen` of
    dbt_project.yml, which herhaling_besluit reads too); every other code is the residual `overig`."""
    import yaml

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    delen = tuple(project["vars"]["d2_besluit_delen"])
    onbekend = sorted(set(delen) - set(codelijst("besluit")))
    if onbekend:
        raise KeyError(f"dbt_project.yml var d2_besluit_delen names code(s) not in codelijsten.csv list besluit: "
                       f"{', '.join(onbekend)}")
    return delen


def codelijst_namen(lijst: str) -> dict[str, str]:
    """Code -> Dutch description of one list in codelijsten.csv (for reports)."""
    return {r["code"]: r["omschrijving"] for r in _rows("codelijsten") if r["lijst"] == lijst}
