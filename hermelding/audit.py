"""Audit: the quality gate between `dbt build` and publication (write-audit-publish).

Great Expectations suites (`expectations/expectations/audit_*.json`) run on the marts that will be
published and on aggregates computed in DuckDB (never on millions of raw rows): keys and completeness,
ranges, reconciliation with the staged meldingen, Kaplan-Meier curves, plausibility against the previous
release, and the disclosure rules of the public marts. A critical failure blocks publication; warnings
are reported. Results and Data Docs (HTML) are written in a GX file context under the build folder.
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

INTERNAL_MARTS = ("hermelding_regio_periode", "herhaling_cohort", "intergenerationeel_regio_periode")


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
    frames = {f"audit_{m}": con.execute(f"select * from marts.{m}").df() for m in INTERNAL_MARTS}
    frames["audit_melding_classificatie"] = con.execute("""
        select klasse, count(*) as aantal, count(*) filter (where definitie_id is null) as zonder_definitie
        from marts.melding_classificatie group by klasse
    """).df()
    frames["audit_volledigheid"] = con.execute("""
        with verwacht as (
            select g.gemeentecode, p.periode
            from marts.dim_gemeente as g
            inner join intermediate.int_perioden as p on p.regio = g.vt_regio and p.periode_compleet
        )
        select v.gemeentecode, v.periode, h.regiocode is not null as aanwezig
        from verwacht as v
        left join marts.hermelding_regio_periode as h on h.regiocode = v.gemeentecode and h.periode = v.periode
    """).df()
    frames["audit_reconciliatie"] = con.execute("""
        with gestaged as (
            select p.periode, count(*) as gestaged
            from staging.stg_ingest__meldingen as m
            inner join marts.dim_periode as p on m.datum_melding between p.periode_start and p.periode_eind
            group by p.periode
        )
        select coalesce(h.periode, g.periode) as periode, h.meldingen as in_mart, g.gestaged,
            coalesce(h.meldingen, 0) - coalesce(g.gestaged, 0) as verschil
        from (select * from marts.hermelding_regio_periode where regiotype = 'totaal') as h
        full outer join gestaged as g on g.periode = h.periode
    """).df()
    frames["audit_km_verloop"] = con.execute("""
        select definitie_id, regiocode, cohort_periode, horizon_maanden,
            cumulatief_pct - lag(cumulatief_pct) over (
                partition by definitie_id, regiocode, cohort_periode order by horizon_maanden) as stijging
        from marts.herhaling_cohort
        qualify stijging is not null
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
    waarden, relaties, omvang = [], [], []
    gemeenten = con.execute("select * from marts.dim_gemeente").df()
    for mart, spec in SPECIFICATIES.items():
        pub = con.execute(f"select * from openbaar.{mart}_openbaar").df()
        tellingen = pub[list(spec.tellingen)]
        omvang.append({"mart": mart, "cellen": int(tellingen.size), "getoond": int(tellingen.notna().sum().sum())})
        lang = pub.melt(value_vars=list(spec.tellingen), var_name="kolom", value_name="waarde").dropna()
        waarden.append(lang.assign(mart=mart, rest=lang["waarde"] % int(config.afronding)))
        # re-derive every additive relation on the published values: none may have exactly one empty cell
        cellen = lange_cellen(pub.assign(**{k: pub[k].isna().astype(int) for k in spec.tellingen}), spec)
        groepen = additieve_relaties(pub, cellen, spec, regio_ouders(pub, gemeenten))
        telling = groepen.merge(cellen[["cel", "waarde"]], on="cel").groupby("groep")["waarde"].sum()
        relaties.append(pd.DataFrame({"mart": mart, "groep": telling.index, "onderdrukt_in_relatie": telling.to_numpy()}))
    frames["audit_openbaar"] = pd.concat(waarden, ignore_index=True)
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
