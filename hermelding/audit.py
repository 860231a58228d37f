"""Audit: the quality gate between `dbt build` and publication (write-audit-publish).

Great Expectations suites (`expectations/expectations/audit_*.json`) run on aggregates computed in DuckDB
(never on millions of raw rows), and only for what dbt cannot check: plausibility against the previous
release, the disclosure of the public marts as they will be published, a public release that shows (almost)
nothing, and registration-quality warnings for the operator. Model invariants (keys, completeness, ranges,
classes adding up, reconciliation with the delivered meldingen, Kaplan-Meier curves, no small public counts)
are dbt tests and are not restated here. The attacker audit (`aanvalsaudit`, hermelding/attack.py) computes by
linear programming over all public tables together the feasible interval of every suppressed cell and checks
that every public ratio is a function of the published counts; its verdicts go through GX like every other
check (suites audit_onthulling, audit_verhoudingen) and its figures into the audit summary (release.json,
laatste_run.json). A critical failure blocks publication; warnings are reported. Results and Data Docs (HTML)
are written in a GX file context under the build folder.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from hermelding import attack, gate
from hermelding.config import Config
from hermelding.disclosure import SPECIFICATIES, bevroren_frames, regio_ouders

log = logging.getLogger(__name__)

@dataclass
class AuditResult:
    kritiek: list[str] = field(default_factory=list)
    waarschuwingen: list[str] = field(default_factory=list)
    suites: dict[str, bool] = field(default_factory=dict)
    data_docs: Path | None = None
    onthulling: dict = field(default_factory=dict)  # the attacker audit's figures (release.json, run summary)

    @property
    def geslaagd(self) -> bool:
        return not self.kritiek

    def summary(self) -> dict:
        return {"geslaagd": self.geslaagd, "kritiek": self.kritiek, "waarschuwingen": self.waarschuwingen,
                "suites": self.suites, "onthulling": self.onthulling}


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
    omvang = []
    for mart, spec in SPECIFICATIES.items():
        tellingen = con.execute(f"select {', '.join(spec.tellingen)} from openbaar.{mart}_openbaar").df()
        omvang.append({"mart": mart, "cellen": int(tellingen.size), "getoond": int(tellingen.notna().sum().sum())})
    # a public release that shows (almost) nothing is refused: e.g. a threshold set far too high
    frames["audit_omvang"] = pd.DataFrame(omvang).assign(
        aandeel_onderdrukt=lambda f: 1.0 - f["getoond"] / f["cellen"].where(f["cellen"] > 0))
    frames["audit_omvang"]["aandeel_onderdrukt"] = frames["audit_omvang"]["aandeel_onderdrukt"].fillna(1.0)
    return frames


def aanvalsaudit(con, afronding: int, minimum: int, bevroren: Path | None = None,
                 memo=None, processen: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The attacker audit (hermelding/attack.py), run on the public marts exactly as they will be published,
    all tables as one linked set, independent of the suppression engine (it reads no flag and no engine
    output besides the public tables). Primary cells are found from the internal (exact) marts.

    With `bevroren` (the latest frozen release's folder) its public tables are part of the attacker's knowledge:
    a statistic unchanged since then is one cell in both (hermelding/attack.py `met_bevroren`), and its
    suppressed cells are checked too.

    `memo` (hermelding/disclosure_memo.py, the audit's own entries): a block of cells asked before with the
    same public and exact values and relations keeps the intervals computed then; any change computes it again.

    Returns (one row per suppressed cell: its feasible interval and verdict; one row per public ratio
    column: how many values are not the ratio of the published counts; figures)."""
    begin = time.perf_counter()
    gemeenten = con.execute("select * from dimensies.dim_gemeente").df()
    publiek, intern, ouders, verhoudingen = {}, {}, [], []
    for mart, spec in SPECIFICATIES.items():
        # in key order: cells are numbered in row order, and a block's memo key covers that order
        volgorde = ", ".join(spec.sleutel)
        pub = con.execute(f"select * from openbaar.{mart}_openbaar order by {volgorde}").df()
        publiek[mart] = (pub, spec)
        intern[mart] = (con.execute(f"select * from marts.{mart} order by {volgorde}").df(), spec)
        ouders.append(regio_ouders(pub, gemeenten))
        verwacht = attack.verhoudingen(pub, spec)
        for kolom in pub.columns:
            waarde = pub[kolom]
            if kolom in spec.afgeleid:
                a, b = pd.to_numeric(waarde, errors="coerce").to_numpy(dtype=float), verwacht[kolom].to_numpy()
                # a shown value must be the formula on the published counts; an empty one reveals nothing
                # (a ratio may be withheld for comparability or publishability, hermelding/comparability.py)
                afwijkend = ~np.isnan(a) & (np.isnan(b) | (np.abs(a - np.nan_to_num(b)) > 1e-9))
            elif pd.api.types.is_float_dtype(waarde):
                afwijkend = waarde.notna().to_numpy()  # a fractional column that is no ratio of public counts
            else:
                continue
            verhoudingen.append({"mart": mart, "kolom": kolom, "waarden": int(waarde.notna().sum()),
                                 "afwijkend": int(afwijkend.sum())})
    oud_publiek, oud_intern = {}, {}
    for mart, spec in SPECIFICATIES.items():
        frames = bevroren_frames(mart, str(bevroren) if bevroren else None)
        if frames is not None:  # (in key order, as the memo needs: bevroren_frames)
            oud_intern[mart], oud_publiek[mart] = (frames[0], spec), (frames[1], spec)
            ouders.append(regio_ouders(frames[1], gemeenten))
    regio_ouder = pd.concat(ouders, ignore_index=True).drop_duplicates().sort_values(["kind", "ouder"])
    regio_ouder = regio_ouder.reset_index(drop=True)
    model = attack.bouw_model(publiek, regio_ouder)
    exact = attack.bouw_model(intern, regio_ouder).cellen.set_index("sleutel")["waarde"]
    waarheid = exact.reindex(model.cellen["sleutel"]).to_numpy(dtype=float)
    getoond = model.cellen["waarde"].to_numpy(dtype=float)
    gelijk_gebleven = 0
    if oud_publiek:
        oud = attack.bouw_model(oud_publiek, regio_ouder)
        oud_exact = attack.bouw_model(oud_intern, regio_ouder)
        model, samen = attack.met_bevroren(model, waarheid, oud, oud_exact.cellen.set_index("sleutel")["waarde"],
                                           attack.afgesloten(oud_exact, oud_intern))
        waarheid, gelijk_gebleven = samen["exact"], samen["gelijk_gebleven"]
        # what either release showed, the attacker has
        getoond = model.cellen["waarde"].to_numpy(dtype=float)
        getoond = np.where(np.isnan(getoond), samen["toen"], getoond)
    primair = afronding * np.floor(waarheid / afronding + 0.5) < minimum
    doelen = np.flatnonzero(np.isnan(getoond) & ~np.isnan(waarheid))
    blok = attack._blokken(model)
    # a block too large for one LP is checked per HiTaS subtable, with the other shown cells fixed at their true
    # value: a restriction of the attacker's LP, so a cell found protected is protected (docs/openbaarmaking.md)
    iv = attack.intervallen(model, getoond, afronding // 2, doelen, eis=np.where(primair[doelen], minimum, 1),
                            anker=waarheid, memo=memo, processen=processen)
    oordeel = attack.beoordeel(iv, primair[doelen], minimum).merge(model.cellen[["cel", "mart", "kolom"]], on="cel")
    # the model itself: the true value lies in every exactly computed interval (a range proved by two joint
    # LPs is only part of the interval), and every relation holds on the exact counts
    w = waarheid[oordeel["cel"].to_numpy()]
    oordeel["waarheid_binnen"] = ~oordeel["exact"] | ((w >= oordeel["onder"] - 1e-6) & (w <= oordeel["boven"] + 1e-6))
    bekend = np.nan_to_num(waarheid)
    geschonden = int((np.abs(model.gelijk @ bekend) > 1e-9).sum() + (model.ongelijk @ bekend < -1e-9).sum())
    verhoudingen.append({"mart": "*", "kolom": "relaties (gelden op de exacte tellingen)",
                         "waarden": int(model.gelijk.shape[0] + model.ongelijk.shape[0]), "afwijkend": geschonden})
    cellen = oordeel[["mart", "kolom", "primair", "onder", "boven", "breedte", "exact", "vastgepind", "te_smal",
                      "waarheid_binnen"]]
    prim = cellen[cellen["primair"]]
    cijfers = {
        "cellen_gecontroleerd": int(len(cellen)),
        "primair": int(len(prim)),
        "getoonde_cellen": int((~np.isnan(getoond)).sum()),
        "relaties": int(model.gelijk.shape[0] + model.ongelijk.shape[0]),
        "vastgepind": int(cellen["vastgepind"].sum()),
        "te_smal": int(cellen["te_smal"].sum()),
        # a lower bound: cells that clearly pass keep the range two joint LPs proved (`exact` False)
        "smalste_interval": float(cellen["breedte"].min()) if len(cellen) else None,
        "smalste_interval_primair": float(prim["breedte"].min()) if len(prim) else None,
        "verhoudingen_gecontroleerd": int(sum(v["waarden"] for v in verhoudingen if v["mart"] != "*")),
        "verhoudingen_afwijkend": int(sum(v["afwijkend"] for v in verhoudingen if v["mart"] != "*")),
        "relaties_geschonden": geschonden,
        # cells whose verdict comes from the per-subtable check of a large block (an inner interval)
        "per_deeltabel": int((np.bincount(blok)[blok[doelen]] > attack.MAX_CELLEN_LP).sum()),
        # the latest frozen release, checked together with this one (cells unchanged since then: one cell)
        "bevroren_release": bevroren.name if oud_publiek else None,
        "bevroren_gelijk_gebleven": int(gelijk_gebleven),
        # blocks whose intervals were read from the memo (unchanged since an earlier audit) / computed now
        "blokken_uit_memo": memo.hits if memo is not None else 0,
        "blokken_berekend": memo.misses if memo is not None else None,
        "seconden": round(time.perf_counter() - begin, 1),
    }
    return cellen, pd.DataFrame(verhoudingen), cijfers


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

    from hermelding.build import memo_dir
    from hermelding.disclosure_memo import Memo
    from hermelding.publish import latest_frozen_release

    with _connect(config, build_db) as con:
        frames = _frames(con, config, vorige_release)
        try:
            onthulling, verhoudingen, cijfers = aanvalsaudit(con, int(config.afronding), int(config.minimum_telling),
                                                             latest_frozen_release(config), Memo(memo_dir(build_db)),
                                                             attack.processen(int(config.disclosure_processen)))
        except (attack.AttackerLPError, attack.InconsistentPublicTables) as exc:
            # what cannot be verified is not published
            log.error("Attacker audit: %s", exc)
            result = AuditResult(kritiek=[f"audit_onthulling: {exc}"], suites={"audit_onthulling": False},
                                    onthulling={"onbeslist": str(exc)})
            (config.build_dir / "audit.json").write_text(json.dumps(result.summary(), indent=1), encoding="utf-8")
            return result
    frames["audit_onthulling"] = onthulling
    frames["audit_verhoudingen"] = verhoudingen
    log.info("Attacker audit: %s suppressed cells checked, %s pinned, %s under-protected, narrowest %s (%ss)%s.",
             cijfers["cellen_gecontroleerd"], cijfers["vastgepind"], cijfers["te_smal"], cijfers["smalste_interval"],
             cijfers["seconden"], f", together with frozen release {cijfers['bevroren_release']}"
             if cijfers.get("bevroren_release") else "")
    context = _context(config)
    bron = context.data_sources.add_or_update_pandas("marts")
    parameters = {"minimum_telling": int(config.minimum_telling),
                  "factor_max": float(config.plausibiliteit_factor),
                  "factor_min": 1.0 / float(config.plausibiliteit_factor),
                  "max_aandeel_onderdrukt": float(config.max_aandeel_onderdrukt)}
    result = AuditResult(onthulling=cijfers)
    for naam, frame in frames.items():
        suite = context.suites.add_or_update(gate.load_suite(config, naam))
        definitie = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=naam, data=gate.batch_definition(bron, naam), suite=suite))
        uitkomst = definitie.run(batch_parameters={"dataframe": frame}, expectation_parameters=parameters)
        result.suites[naam] = bool(uitkomst.success)
        gate.sort_by_severity(naam, uitkomst.results, result.kritiek, result.waarschuwingen)
    context.build_data_docs()
    result.data_docs = config.build_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    (config.build_dir / "audit.json").write_text(json.dumps(result.summary(), indent=1), encoding="utf-8")
    return result
