"""Sensitivity runs (`hermelding gevoeligheid`): the definitions computed with other parameters through the same
dbt models, into a scratch folder, compared side by side. The operator's state is only read.

    <warehouse folder>/gevoeligheid/<UTC time>/
      vergelijking.csv, vergelijking.xlsx   hermelding % per region and period, one column per look-back
                                            (with --horizons also D2's, D3's and D4(b)'s cumulative % per
                                            horizon, empty for a cohort not yet followed for the whole horizon)
      gevoeligheid.json                     parameters, source warehouse, when, which mart
      build_<label>.duckdb                  the scratch builds (kept only with `bewaar_builds`)
      disclosure_memo/                      their disclosure memo (kept only with `bewaar_builds`)

What it never touches: the warehouse (its ledger), the releases, the catalogs, the freezes, the last-run
summary (laatste_run.json), the operator's build database and its fingerprint record, nor the project's dbt target
(the manifest a publication reads): dbt's target and logs go into the scratch folder too.

Concurrency with the nightly run. The pipeline lock is held only while the warehouse is copied into the scratch
folder (a consistent snapshot: no ingest writes meanwhile); the dbt builds then read the copy, so the nightly
run can ingest, build and publish while a sensitivity run is busy. A sensitivity run that meets a running
pipeline waits `lock_wachttijd_seconden` and is refused as busy (exit 3); a nightly run that starts during the
few seconds of the copy is refused the same way (cron runs it again the next night; or set
`lock_wachttijd_seconden` to a minute). The snapshot is removed when the run ends.

The scratch folder holds per-melding data (the builds) and is readable by the owner and `intern_groep` only,
like the internal marts. The comparison uses the public, disclosure-controlled mart by default (as every
reader does); with `intern` the exact internal mart.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from hermelding.build import BuildFailed, build, build_db, dbt_vars
from hermelding.config import Config, load_config

SCRATCH = "gevoeligheid"
# the Kaplan-Meier definitions --horizons applies to, with their dbt var (hermelding.toml key)
KM_DEFINITIES = {"herhaalde_melding": "horizons_maanden", "recidive_pleger": "horizons_pleger",
                 "intergenerationeel": "horizons_intergenerationeel"}


class SensitivityError(RuntimeError):
    """A sensitivity run could not be made: the message says why and what to do."""


@dataclass
class SensitivityResult:
    folder: Path
    lookbacks: list[int]
    horizons: list[int]
    vergelijking: pd.DataFrame            # one row per region and period, a column per parameter value
    bestanden: list[Path] = field(default_factory=list)


def label(lookback: int) -> str:
    return "onbeperkt" if lookback == 0 else f"{lookback}_mnd"


def scratch_root(config: Config) -> Path:
    return config.warehouse.parent / SCRATCH


def latest_comparison(config: Config | None = None, intern: bool = False
                      ) -> tuple[Path, dict, pd.DataFrame] | None:
    """The newest saved sensitivity run (its folder, gevoeligheid.json, vergelijking.csv), or None when there is
    none. Public by default: with intern=False a run made from the internal marts (--intern, exact counts) is
    skipped."""
    root = scratch_root(config or load_config())
    for folder in sorted(root.iterdir() if root.is_dir() else [], reverse=True):  # names are UTC times
        info_pad, csv = folder / "gevoeligheid.json", folder / "vergelijking.csv"
        if not (info_pad.is_file() and csv.is_file()):
            continue  # a run that failed or is still running
        info = json.loads(info_pad.read_text(encoding="utf-8"))
        if not intern and str(info.get("mart", "")).startswith("intern"):
            continue
        return folder, info, pd.read_csv(csv)
    return None


def _snapshot(config: Config, doel: Path) -> Path:
    """A consistent copy of the warehouse, taken under the pipeline lock (no ingest writes meanwhile)."""
    from hermelding.state import pipeline_lock

    if not config.warehouse.exists():
        raise SensitivityError(f"No warehouse at {config.warehouse}: run `hermelding draai` (or `inlezen`) first.")
    kopie = doel / "warehouse_kopie.duckdb"
    with pipeline_lock(config):
        shutil.copy2(config.warehouse, kopie)
        wal = config.warehouse.with_name(config.warehouse.name + ".wal")
        if wal.exists():
            shutil.copy2(wal, kopie.with_name(kopie.name + ".wal"))
    return kopie


def _compare(builds: dict[str, Path], intern: bool, d2_builds: dict[int, Path]) -> pd.DataFrame:
    """One frame: hermelding % per region and period for each look-back (and D2, D3, D4(b) per horizon), set-based in DuckDB
    over the attached scratch builds."""
    tabel = "marts.hermelding_regio_periode" if intern else "openbaar.hermelding_regio_periode_openbaar"
    cohort = "marts.herhaling_cohort" if intern else "openbaar.herhaling_cohort_openbaar"
    with duckdb.connect() as con:
        delen = []
        for i, (naam, pad) in enumerate(builds.items()):
            con.execute(f"attach '{pad}' as b{i} (read_only)")
            delen.append(f"select '{naam}' as terugkijk, regiotype, regiocode, regionaam, periode, periodesoort, "
                         f"periode_compleet, meldingen, hermelding_pct from b{i}.{tabel}")
        kolommen = ", ".join(f"max(hermelding_pct) filter (where terugkijk = '{naam}') as \"hermelding_pct_{naam}\""
                             for naam in builds)
        eerste = next(iter(builds))
        query = f"""
            with alle as ({' union all '.join(delen)})
            select regiotype, regiocode, regionaam, periode, periodesoort,
                bool_and(periode_compleet) as periode_compleet,
                max(meldingen) filter (where terugkijk = '{eerste}') as meldingen, {kolommen}
            from alle group by all
        """
        if d2_builds:
            for horizon, pad in d2_builds.items():
                if pad not in builds.values():
                    con.execute(f"attach '{pad}' as h{horizon} (read_only)")
            schema_van = {pad: f"b{i}" for i, pad in enumerate(builds.values())}
            schema_van |= {pad: f"h{h}" for h, pad in d2_builds.items() if pad not in schema_van}
            km = " union all ".join(
                f"select definitie_id, regiotype, regiocode, cohort_periode as periode, {h} as horizon, "
                # a cohort not yet followed for the whole horizon has no figure at that horizon
                f"case when volledige_followup then cumulatief_pct end as cumulatief_pct "
                f"from {schema_van[pad]}.{cohort} where horizon_maanden = {h}"
                for h, pad in d2_builds.items())
            km_kolommen = ", ".join(
                f"max(cumulatief_pct) filter (where definitie_id = '{d}' and horizon = {h}) as \"{d}_pct_{h}_mnd\""
                for d in KM_DEFINITIES for h in d2_builds)
            query = f"""
                with d1 as ({query}),
                km as (select regiotype, regiocode, periode, {km_kolommen} from ({km}) group by all)
                select * from d1 left join km using (regiotype, regiocode, periode)
            """
        return con.execute(query + " order by regiotype desc, periodesoort, periode, regiocode").df()


def run_sensitivity(config: Config, lookbacks: list[int], horizons: list[int] | None = None, intern: bool = False,
                    uit: Path | None = None, bewaar_builds: bool = False, progress=None) -> SensitivityResult:
    """Build the definitions once per look-back (0 = unlimited; and, with `horizons`, D2, D3 and D4(b) with those
    horizons)
    through the project's dbt models into a scratch folder, and write the comparison there."""
    from hermelding.publish import restrict

    if not lookbacks or any(lb < 0 for lb in lookbacks):
        raise SensitivityError("--lookback needs one or more look-backs in months, 0 for unlimited, e.g. 12,24,36,0.")
    if horizons is not None and (not horizons or any(h <= 0 for h in horizons)):
        raise SensitivityError("--horizons needs one or more positive numbers of months, e.g. 6,12,24,36.")
    lookbacks = list(dict.fromkeys(lookbacks))
    folder = Path(uit) if uit else scratch_root(config) / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=False)
    folder.chmod(0o700)
    operator_db = build_db(config).resolve()
    try:
        kopie = _snapshot(config, folder)
    except BaseException:  # busy, or no warehouse: leave no empty scratch folder behind
        shutil.rmtree(folder, ignore_errors=True)
        raise
    scratch = config.with_overrides(warehouse=str(kopie))
    builds: dict[str, Path] = {}
    d2_builds: dict[int, Path] = {}
    geslaagd = False
    try:
        for i, lookback in enumerate(lookbacks):
            doel = folder / f"build_{label(lookback)}.duckdb"
            assert doel.resolve() != operator_db  # a scratch build never replaces the operator's
            parameters = dbt_vars(config) | {"lookback_maanden": lookback or None}
            if horizons and i == 0:
                for var in KM_DEFINITIES.values():
                    parameters[var] = sorted(set(horizons))
            if progress:
                progress(f"dbt build, look-back {label(lookback)}")
            try:
                build(scratch, doel=doel, vars_=parameters, work_dir=folder / "dbt")
            except BuildFailed as exc:
                raise SensitivityError(f"The scratch build with look-back {label(lookback)} failed ({exc}). dbt's log: "
                                       f"{folder / 'dbt' / 'logs' / 'dbt.log'}. The operator's state is untouched.") from None
            builds[label(lookback)] = doel
            if horizons and i == 0:
                d2_builds = {h: doel for h in sorted(set(horizons))}
        vergelijking = _compare(builds, intern, d2_builds)
        geslaagd = True
    finally:
        for pad in (kopie, kopie.with_name(kopie.name + ".wal")):
            pad.unlink(missing_ok=True)
        if not bewaar_builds:
            for pad in builds.values():
                pad.unlink(missing_ok=True)
            # the scratch builds' own disclosure memo (hermelding/disclosure_memo.py): the look-backs share the blocks
            # they do not change (D2-D4), then it goes with the builds
            shutil.rmtree(folder / "disclosure_memo", ignore_errors=True)
        if geslaagd and not bewaar_builds:  # a failed run keeps dbt's logs for the message above
            shutil.rmtree(folder / "dbt", ignore_errors=True)
    csv = folder / "vergelijking.csv"
    vergelijking.to_csv(csv, index=False)
    excel = folder / "vergelijking.xlsx"
    with pd.ExcelWriter(excel, engine="openpyxl") as writer:
        vergelijking.to_excel(writer, sheet_name="vergelijking", index=False)
        writer.sheets["vergelijking"].freeze_panes = "F2"
    info = folder / "gevoeligheid.json"
    info.write_text(json.dumps({
        "tijd": datetime.now(UTC).isoformat(timespec="seconds"), "lookback_maanden": lookbacks,
        "horizons_maanden": {d: sorted(set(horizons)) for d in KM_DEFINITIES} if horizons else None,
        "mart": "intern (exact)" if intern else "openbaar (disclosure-controlled)",
        "bron_warehouse": str(config.warehouse), "overige_parameters": dbt_vars(config),
        "builds_bewaard": bewaar_builds}, indent=1), encoding="utf-8")
    restrict(config, folder)
    return SensitivityResult(folder, lookbacks, sorted(set(horizons)) if horizons else [], vergelijking,
                             [csv, excel, info])
