"""dbt build (in-process, through dbt's Python API) into the private build database."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from hermelding.config import Config, tool_environment

log = logging.getLogger(__name__)
BUILD_DB_NAME = "hermelding_build.duckdb"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class BuildFailed(RuntimeError):
    """dbt build failed: a model error or a failing data/unit test."""


@dataclass
class BuildResult:
    build_db: Path
    geslaagd: bool
    fouten: list[str] = field(default_factory=list)
    aantal: dict[str, int] = field(default_factory=dict)


def build_db(config: Config) -> Path:
    return config.build_dir / BUILD_DB_NAME


def dbt_vars(config: Config) -> dict:
    """Definition parameters from hermelding.toml, passed to dbt as vars (their one place)."""
    return {
        "lookback_maanden": config.lookback_maanden or None,
        "horizons_maanden": list(config.horizons_maanden),
        "horizons_pleger": list(config.horizons_pleger),
        "horizons_intergenerationeel": list(config.horizons_intergenerationeel),
        "historie_intergenerationeel_maanden": int(config.historie_intergenerationeel_maanden),
        "recidive_pleger_start": config.recidive_pleger_start,
        "km_minimum_at_risk": int(config.km_minimum_at_risk),
        "afronding": int(config.afronding),
        "minimum_telling": int(config.minimum_telling),
    }


def memo_dir(build_database: Path) -> Path:
    """The disclosure memo of a build database (hermelding/disclosure_memo.py): next to it, so a scratch build
    (`hermelding gevoeligheid`) has its own and never touches the operator's."""
    return build_database.parent / "disclosure_memo"


def dbt_environment(config: Config, target: Path):
    """The paths dbt's profile reads (profiles.yml), from the configuration, and the disclosure memo and worker
    processes the public models use."""
    from hermelding.attack import PROCESSEN_ENV, processen
    from hermelding.disclosure_memo import ENV

    return tool_environment({
        "HERMELDING_BUILD_DB": str(target), "HERMELDING_WAREHOUSE": str(config.warehouse),
        "HERMELDING_REFERENTIE_DIR": str(config.referentie_dir), ENV: str(memo_dir(target)),
        PROCESSEN_ENV: str(processen(int(config.disclosure_processen))),
    })


def dbt(config: Config, args: list[str], doel: Path | None = None, vars_: dict | None = None,
        work_dir: Path | None = None):
    """Run dbt in-process. dbt's target (manifest, compiled SQL, run results) and logs go to the project's
    `config.dbt_target_dir` and `dbt_log_dir` (beside the build database), or with `work_dir` into that folder,
    so a scratch build leaves the operator's manifest alone."""
    from dbt.cli.main import dbtRunner

    from hermelding.publish import latest_frozen_release

    bevroren = latest_frozen_release(config)
    # not a parameter of the definitions (so not in dbt_vars or hermelding.toml): the public marts are protected
    # together with the latest frozen release
    vars_ = (vars_ if vars_ is not None else dbt_vars(config)) | {"bevroren_release": str(bevroren or "")}
    doel = doel or build_db(config)
    doel.parent.mkdir(parents=True, exist_ok=True)
    project = str(config.dbt_project_dir)
    target, logs = ((work_dir / "target", work_dir / "logs") if work_dir is not None
                    else (config.dbt_target_dir, config.dbt_log_dir))
    volledige_args = [*args, "--project-dir", project, "--profiles-dir", project,
                      "--vars", json.dumps(vars_), "--quiet", "--target-path", str(target), "--log-path", str(logs)]
    with dbt_environment(config, doel):
        return dbtRunner().invoke(volledige_args)


def build(config: Config, doel: Path | None = None, vars_: dict | None = None,
          work_dir: Path | None = None) -> BuildResult:
    """`dbt build` (seeds, models, data and unit tests). Raises BuildFailed naming what failed.
    With `vars_` (other parameters) no build state is recorded; with `work_dir` dbt's target and logs go there."""
    from hermelding.state import fingerprint, forget_build_state, record_build_state

    doel = doel or build_db(config)
    if not config.warehouse.exists():
        raise BuildFailed(f"No warehouse at {config.warehouse}: run `hermelding ingest` first.")
    afdruk = fingerprint(config) if vars_ is None else None  # the state this build is made from
    forget_build_state(doel)
    # every build starts from an empty database: a model that was removed or moved to another schema must not
    # linger there and be published with the next release
    for oud in (doel, doel.with_name(doel.name + ".wal")):
        oud.unlink(missing_ok=True)
    from hermelding.disclosure_memo import Memo

    Memo(memo_dir(doel)).prune()  # entries no build has used for a month
    res = dbt(config, ["build"], doel, vars_, work_dir)
    uit = BuildResult(doel, bool(res.success))
    if res.result is not None:
        for r in res.result:
            status = str(r.status)
            uit.aantal[status] = uit.aantal.get(status, 0) + 1
            if status in ("error", "fail"):
                bericht = ANSI.sub("", r.message or "").strip()[:300]  # dbt colours its messages for a terminal
                uit.fouten.append(f"{r.node.resource_type} {r.node.name}: {status} ({bericht})")
    elif res.exception is not None:
        uit.fouten.append(f"dbt could not run: {res.exception}")
    if not uit.geslaagd:
        raise BuildFailed("dbt build failed: " + "; ".join(uit.fouten or [f"see {config.dbt_log_dir / 'dbt.log'}"]))
    if afdruk:
        record_build_state(doel, afdruk)
    return uit


def generate_docs(config: Config) -> Path:
    """`dbt docs generate` against a throw-away copy of the build database, so that the real one is never
    opened for writing outside a build (dbt-duckdb opens its target read-write). Call it under the lock."""
    import shutil
    import tempfile

    bron = build_db(config)
    if not bron.exists():
        raise BuildFailed(f"No build at {bron}: run `hermelding bouw` first.")
    with tempfile.TemporaryDirectory(prefix="hermelding-docs-") as tmp:
        kopie = Path(tmp) / bron.name
        shutil.copy2(bron, kopie)
        res = dbt(config, ["docs", "generate"], kopie)
    if not res.success:
        log_file = config.dbt_log_dir / "dbt.log"
        raise BuildFailed(f"dbt docs generate failed: {res.exception or f'see {log_file}'}")
    return config.dbt_target_dir


DOCS_SITE = "index.html"


def _zonder_tijden(waarde):
    """A manifest without its parse times (`created_at` differs between two parses of the same code)."""
    if isinstance(waarde, dict):
        return {k: _zonder_tijden(v) for k, v in waarde.items() if k != "created_at"}
    if isinstance(waarde, list):
        return [_zonder_tijden(v) for v in waarde]
    return waarde


def docs_site(config: Config, bron: Path) -> Path:
    """The dbt documentation site of a build as one self-contained HTML file (`dbt docs generate --static`:
    models, columns, tests, lineage with the exposures), for a release. dbt runs against a throw-away copy of the
    build database `bron` and writes its target and logs into a temporary folder, so neither the build database
    nor the project's dbt target is touched. It reuses the build's manifest (`config.dbt_target_dir`, written
    by `dbt build`) and skips compiling; without one it compiles. The site depends only on the code and the
    tables' columns, not on the data, so it is kept in the build folder and reused while the manifest's nodes are
    the same (several releases of one build, or of the same code). Returns the HTML file."""
    import hashlib
    import shutil
    import tempfile

    manifest = config.dbt_target_dir / "manifest.json"
    inhoud = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else None
    sleutel = None
    if inhoud:
        vast = _zonder_tijden({k: v for k, v in inhoud.items() if k != "metadata"})
        sleutel = hashlib.sha256(json.dumps(vast, sort_keys=True, default=str).encode()).hexdigest()[:16]
    cache = config.build_dir / "dbt_docs"
    if sleutel and (cache / sleutel / DOCS_SITE).exists():
        return cache / sleutel / DOCS_SITE
    with tempfile.TemporaryDirectory(prefix="hermelding-docs-") as tmp:
        kopie = Path(tmp) / bron.name
        shutil.copy2(bron, kopie)
        werk = Path(tmp) / "dbt"
        args = ["docs", "generate", "--static"]
        if inhoud:
            (werk / "target").mkdir(parents=True)
            shutil.copy2(manifest, werk / "target" / "manifest.json")
            args.append("--no-compile")
        res = dbt(config, args, kopie, work_dir=werk)
        site = werk / "target" / "static_index.html"
        if not res.success or not site.exists():
            raise BuildFailed(f"dbt docs generate --static failed: {res.exception or 'no static_index.html'}. "
                              "Run `hermelding documentatie` to see dbt's message; nothing was published.")
        doel = cache / (sleutel or "zonder-manifest")
        if cache.exists():
            shutil.rmtree(cache)
        doel.mkdir(parents=True)
        shutil.copy2(site, doel / DOCS_SITE)
    return doel / DOCS_SITE


def kerncijfers(db: Path):
    """Hermelding % per municipality and for the region, latest complete half year (a small frame).
    Taken from the public, disclosure-controlled mart: these figures end up in logs and Prefect artifacts."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("""
            with laatste as (
                select max(periode) as periode from openbaar.hermelding_regio_periode_openbaar
                where periodesoort = 'halfjaar' and periode_compleet and regiotype = 'vt_regio'
            )
            select h.regiotype, h.regiocode, h.regionaam, h.periode, h.meldingen, h.hermelding,
                h.hermelding_pct, h.hermelding_pct_ci_onder, h.hermelding_pct_ci_boven
            from openbaar.hermelding_regio_periode_openbaar as h
            inner join laatste using (periode)
            where h.regiotype in ('gemeente', 'vt_regio')
            order by h.regiotype desc, h.regionaam
        """).df()
