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
    # the door sees a file's columns as one text, sorted and joined by '|' (DEUR_AGGREGATEN)
    params |= {f"kolommen_{soort}": ["|".join(sorted(kolommen))] for soort, kolommen in KOLOMMEN.items()}
    return params


def describe(res) -> str:
    cfg = res.expectation_config
    kolom = cfg.kwargs.get("column") or cfg.kwargs.get("column_list") or ""
    toelichting = (cfg.meta or {}).get("toelichting", "")
    aantal = res.result.get("unexpected_count") if res.result else None
    waarde = res.result.get("observed_value") if res.result else None
    # never include unexpected values: they may be data; counts and aggregates only. A suite on one row of
    # aggregates (the door) shows that row's value: an aggregate of the delivery, not a row of it
    if (cfg.meta or {}).get("aggregaat") and res.result and res.result.get("partial_unexpected_list"):
        waarde, aantal = res.result["partial_unexpected_list"][0], None
    details = (f"{aantal} rows" if aantal is not None
               else (f"observed {round(waarde, 3)}" if isinstance(waarde, (int, float)) else ""))
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


# The door's question, answered in DuckDB on the rows about to be loaded: one row of aggregates per delivery
# (its columns per file, its row counts, the shares the suite `levering` bounds). GX then validates that row, not
# every delivered row: the same verdicts, without pulling a delivery's rows into pandas three times.
DEUR_AGGREGATEN = """
    select
        (select string_agg(column_name, '|' order by column_name) from duckdb_columns()
         where table_name = 'schoon_casussen' and column_name <> 'regel') as casussen_kolommen,
        (select string_agg(column_name, '|' order by column_name) from duckdb_columns()
         where table_name = 'schoon_meldingen' and column_name <> 'regel') as meldingen_kolommen,
        (select string_agg(column_name, '|' order by column_name) from duckdb_columns()
         where table_name = 'schoon_betrokkenen' and column_name <> 'regel') as betrokkenen_kolommen,
        c.rijen as casussen_rijen, m.rijen as meldingen_rijen, b.rijen as betrokkenen_rijen,
        c.zonder_datum_veiligheidsbeoordeling / nullif(c.rijen, 0) as casussen_aandeel_zonder_datum_veiligheidsbeoordeling,
        m.aard_geweld_onbekend / nullif(m.aard_geweld_bekend_of_niet, 0) as meldingen_aandeel_aard_geweld_onbekend,
        m.melder_onbekend / nullif(m.melder_gevuld, 0) as meldingen_aandeel_melder_onbekend,
        b.rol_onbekend / nullif(b.rol_gevuld, 0) as betrokkenen_aandeel_rol_onbekend,
        b.zonder_geboortejaar / nullif(b.rijen, 0) as betrokkenen_aandeel_zonder_geboortejaar
    from (select count(*) as rijen, count(*) filter (where datum_veiligheidsbeoordeling is null)
              as zonder_datum_veiligheidsbeoordeling from schoon_casussen) as c
    cross join (select count(*) as rijen, count(aard_geweld) as aard_geweld_bekend_of_niet,
                    count(*) filter (where array_to_string(aard_geweld, '|') = 'onbekend') as aard_geweld_onbekend,
                    count(melder) as melder_gevuld, count(*) filter (where list_contains($melder_onbekend, melder)) as melder_onbekend
                from schoon_meldingen) as m
    cross join (select count(*) as rijen, count(rol) as rol_gevuld, count(*) filter (where rol = 'onbekend')
                    as rol_onbekend, count(*) filter (where geboortejaar is null) as zonder_geboortejaar
                from schoon_betrokkenen) as b
"""


def valideer_levering(con: duckdb.DuckDBPyConnection, config: Config) -> GateResult:
    """The door: the suite `levering` on one row of aggregates of the delivery about to be loaded
    (DEUR_AGGREGATEN: its columns, sizes and distributions per file)."""
    # the melder codes that mean "unknown": from the code list (codelijsten.csv), not written here
    onbekend = [code for code, naam in referentie.codelijst_namen("melder").items() if naam.lower() == "onbekend"]
    if not onbekend:
        raise KeyError("codelijsten.csv has no melder code described 'Onbekend': the door's share of unknown melders "
                       "needs it. Restore that row of the dbt seed.")
    aggregaten = con.execute(DEUR_AGGREGATEN, {"melder_onbekend": onbekend}).df()
    return validate_frame(config, "levering", aggregaten, codelijst_parameters())
