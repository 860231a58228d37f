"""Great Expectations gates, on pandas frames taken from DuckDB (GX's SQL route is broken on current
DuckDB). Suites are JSON files in expectations/expectations/; each expectation carries a GX severity:
`critical` blocks (the delivery or the release), `warning` is reported and lets it pass.

Value sets that are code lists are suite parameters (`{"$PARAMETER": "codes_melder"}`) filled from
the dbt seeds at run time, so a code list is written down once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from hermelding import reference as referentie
from hermelding.config import Config

log = logging.getLogger(__name__)


@dataclass
class GateResult:
    kritiek: list[str] = field(default_factory=list)
    waarschuwingen: list[str] = field(default_factory=list)
    aantal: int = 0
    resultaten: list = field(default_factory=list)

    @property
    def geslaagd(self) -> bool:
        return not self.kritiek


def quiet_gx_logging() -> None:
    """GX logs every step at INFO; the pipeline reports results itself."""
    import great_expectations  # noqa: F401 - its loggers exist once it is imported

    for naam in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")] + ["great_expectations"]:
        logging.getLogger(naam).setLevel(logging.ERROR)


@lru_cache
def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    quiet_gx_logging()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def suite_path(config: Config, naam: str) -> Path:
    return config.expectations_dir / "expectations" / f"{naam}.json"


def load_suite(config: Config, naam: str):
    import great_expectations as gx

    pad = suite_path(config, naam)
    try:
        return gx.ExpectationSuite(**json.loads(pad.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise FileNotFoundError(f"Expectation suite {pad} is missing; it is part of the repository.") from None


def codelijst_parameters() -> dict[str, list[str]]:
    """Suite parameters from their one home: code lists and municipalities (dbt seeds), columns (contract)."""
    from hermelding.contract import KOLOMMEN

    params = {f"codes_{lijst}": list(referentie.codelijst(lijst))
              for lijst in ("aard_geweld", "melder", "rol", "geslacht", "besluit")}
    params["gemeentecodes"] = list(referentie.gemeentecodes())
    params |= {f"kolommen_{soort}": list(kolommen) for soort, kolommen in KOLOMMEN.items()}
    return params


def describe(res) -> str:
    cfg = res.expectation_config
    kolom = cfg.kwargs.get("column") or cfg.kwargs.get("column_list") or ""
    toelichting = (cfg.meta or {}).get("toelichting", "")
    aantal = res.result.get("unexpected_count") if res.result else None
    waarde = res.result.get("observed_value") if res.result else None
    # never include unexpected values: they may be data; counts and aggregates only
    details = f"{aantal} rows" if aantal is not None else (f"observed {waarde}" if isinstance(waarde, (int, float)) else "")
    return f"{cfg.type}({kolom}){': ' + toelichting if toelichting else ''}{' [' + details + ']' if details else ''}"


def validate_frame(config: Config, suite_naam: str, frame: pd.DataFrame,
                   parameters: dict | None = None) -> GateResult:
    context = _context()
    try:
        databron = context.data_sources.get("hermelding")
    except (KeyError, ValueError, LookupError):
        databron = context.data_sources.add_pandas("hermelding")
    batch = batch_definition(databron, f"frame_{suite_naam}").get_batch(batch_parameters={"dataframe": frame})
    resultaat = batch.validate(load_suite(config, suite_naam), expectation_parameters=parameters or {})
    uit = GateResult(aantal=len(resultaat.results), resultaten=[resultaat])
    sort_by_severity(suite_naam, resultaat.results, uit.kritiek, uit.waarschuwingen)
    return uit


def batch_definition(databron, naam: str):
    """The whole-dataframe batch definition of a pandas asset, created on first use."""
    try:
        asset = databron.get_asset(naam)
    except LookupError:
        asset = databron.add_dataframe_asset(naam)
    return asset.batch_definitions[0] if asset.batch_definitions else asset.add_batch_definition_whole_dataframe("geheel")


def sort_by_severity(suite_naam: str, resultaten, kritiek: list[str], waarschuwingen: list[str]) -> None:
    """Sort failed expectations by their GX severity: critical blocks, warning is reported."""
    for res in resultaten:
        if not res.success:
            tekst = f"{suite_naam}: {describe(res)}"
            (kritiek if str(res.expectation_config.severity.value) == "critical" else waarschuwingen).append(tekst)


def valideer_levering(con: duckdb.DuckDBPyConnection, config: Config) -> GateResult:
    """The door: one suite per file kind on the rows of one delivery that are about to be loaded."""
    params = codelijst_parameters()
    totaal = GateResult()
    for soort in ("casussen", "meldingen", "betrokkenen"):
        kolommen = "* exclude (regel, aard_geweld), array_to_string(aard_geweld, '|') as aard_geweld" \
            if soort == "meldingen" else "* exclude (regel)"
        frame = con.execute(f"select {kolommen} from schoon_{soort}").df()
        r = validate_frame(config, f"levering_{soort}", frame, params)
        totaal.kritiek += r.kritiek
        totaal.waarschuwingen += r.waarschuwingen
        totaal.aantal += r.aantal
    return totaal
