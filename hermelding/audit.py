"""Audit: the quality gate between `dbt build` and publication (write-audit-publish).

Great Expectations suites (`expectations/expectations/audit_*.json`) run on aggregates computed in DuckDB
(never on millions of raw rows), and only for what dbt cannot check: plausibility against the previous
release, re-deriving disclosure on the public marts as they will be published, and registration-quality
warnings for the operator. Model invariants (keys, completeness, ranges, classes adding up, reconciliation
with the delivered meldingen, Kaplan-Meier curves, no small public counts) are dbt tests and are not
restated here. A critical failure blocks publication; warnings are reported. Results and Data Docs (HTML)
are written in a GX file context under the build folder.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from hermelding import gate
from hermelding.config import Config
from hermelding.disclosure import SPECIFICATIES, additieve_relaties, lange_cellen, regio_ouders

log = logging.getLogger(__name__)

@dataclass
class AuditResult:
    kritiek: list[str] = field(default_factory=list)
    waarschuwingen: list[str] = field(default_factory=list)
    suites: dict[str, bool] = field(default_factory=dict)
    data_docs: Path | None = None

    @property
    def geslaagd(self) -> bool:
        return not self.kritiek

    def summary(self) -> dict:
        return {"geslaagd": self.geslaagd, "kritiek": self.kritiek, "waarschuwingen": self.waarschuwingen,
                "suites": self.suites}


def _connect(config: Config, build_db: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(build_db), read_only=True)
    con.execute(f"attach '{config.warehouse}' as warehouse (read_only)")  # staging views read it
    return con


def _frames(con, config: Config, vorige_release: Path | None) -> dict[str, pd.DataFrame]:
    frames = {}
    # role recording is known to be incomplete: warn when D3's figures rest on too little of it
    frames["audit_registratiekwaliteit"] = con.execute("""
        select regiocode, cohort_periode, max(rol_onbekend_pct) as rol_onbekend_pct
        from marts.herhaling_cohort
        where definitie_id = 'recidive_pleger'
        group by regiocode, cohort_periode
    """).df()
    vorige = vorige_release / "intern" / "hermelding_regio_periode.parquet" if vorige_release else None
    if vorige and vorige.exists():
        frames["audit_plausibiliteit"] = con.execute(f"""
            select n.regiocode, n.periode, o.meldingen as gepubliceerd, n.meldingen as nieuw,
                (n.meldingen + 1.0) / (o.meldingen + 1.0) as factor
            from marts.hermelding_regio_periode as n
            inner join read_parquet('{vorige}') as o on o.regiocode = n.regiocode and o.periode = n.periode
            where n.regiotype = 'gemeente' and o.periode_compleet
        """).df()
    else:
        frames["audit_plausibiliteit"] = pd.DataFrame({"factor": pd.Series(dtype=float)})
    relaties, omvang = [], []
    gemeenten = con.execute("select * from dimensies.dim_gemeente").df()
    for mart, spec in SPECIFICATIES.items():
        pub = con.execute(f"select * from openbaar.{mart}_openbaar").df()
        tellingen = pub[list(spec.tellingen)]
        omvang.append({"mart": mart, "cellen": int(tellingen.size), "getoond": int(tellingen.notna().sum().sum())})
        # re-derive every additive relation on the published values: none may have exactly one empty cell
        cellen = lange_cellen(pub.assign(**{k: pub[k].isna().astype(int) for k in spec.tellingen}), spec)
        groepen = additieve_relaties(pub, cellen, spec, regio_ouders(pub, gemeenten))
        telling = groepen.merge(cellen[["cel", "waarde"]], on="cel").groupby("groep")["waarde"].sum()
        relaties.append(pd.DataFrame({"mart": mart, "groep": telling.index, "onderdrukt_in_relatie": telling.to_numpy()}))
    frames["audit_onthulling"] = pd.concat(relaties, ignore_index=True)
    # a public release that shows (almost) nothing is refused: e.g. a threshold set far too high
    frames["audit_omvang"] = pd.DataFrame(omvang).assign(
        aandeel_onderdrukt=lambda f: 1.0 - f["getoond"] / f["cellen"].where(f["cellen"] > 0))
    frames["audit_omvang"]["aandeel_onderdrukt"] = frames["audit_omvang"]["aandeel_onderdrukt"].fillna(1.0)
    return frames


def _context(config: Config):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    gate.quiet_gx_logging()
    root = config.build_dir / "gx"
    root.mkdir(parents=True, exist_ok=True)
    yml = root / "great_expectations.yml"
    if not yml.exists():
        shutil.copy(config.expectations_dir / "great_expectations.yml", yml)
    context = gx.get_context(mode="file", context_root_dir=str(root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def audit(config: Config, build_db: Path, vorige_release: Path | None = None) -> AuditResult:
    import great_expectations as gx

    with _connect(config, build_db) as con:
        frames = _frames(con, config, vorige_release)
    context = _context(config)
    bron = context.data_sources.add_or_update_pandas("marts")
    parameters = {"minimum_telling": int(config.minimum_telling),
                  "factor_max": float(config.plausibiliteit_factor),
                  "factor_min": 1.0 / float(config.plausibiliteit_factor),
                  "max_aandeel_onderdrukt": float(config.max_aandeel_onderdrukt)}
    resultaat = AuditResult()
    for naam, frame in frames.items():
        suite = context.suites.add_or_update(gate.load_suite(config, naam))
        definitie = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=naam, data=gate.batch_definition(bron, naam), suite=suite))
        uitkomst = definitie.run(batch_parameters={"dataframe": frame}, expectation_parameters=parameters)
        resultaat.suites[naam] = bool(uitkomst.success)
        gate.sort_by_severity(naam, uitkomst.results, resultaat.kritiek, resultaat.waarschuwingen)
    context.build_data_docs()
    resultaat.data_docs = config.build_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    (config.build_dir / "audit.json").write_text(json.dumps(resultaat.summary(), indent=1), encoding="utf-8")
    return resultaat
