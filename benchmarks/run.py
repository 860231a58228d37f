"""The nightly run at scale: `make bench` (national ten-year set); `--profiel smoke` is the tiny run of make test.

Generates the deliveries once (cached under benchmarks/.cache/, keyed by the generator's arguments),
then measures on this machine, each in a fresh project folder, through the real command line:

1. the whole nightly run from an empty warehouse: wall time per stage (from the run summary) and the
   peak RSS of the whole process tree;
2. a nightly run with one new half-year delivery;
3. a nightly run after a corrected delivery;
4. a nightly run with nothing new;
5. the baseline: benchmarks/baseline_d1.sql, one hand-written DuckDB script computing D1 and the counts of
   hermelding_regio_periode straight from the delivery files. Its counts must equal the pipeline's mart
   (the benchmark fails otherwise); the ratios pipeline/baseline are reported.

Writes benchmarks/results/<date>-<commit>.json and prints a Markdown table. Timings are never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "benchmarks" / ".cache"
RESULTS = REPO / "benchmarks" / "results"
BIN = Path(sys.executable).parent
COUNTS = ["meldingen", "eerste_melding", "hermelding", "hermelding_een_bekend", "hermelding_meerdere_bekend",
          "vervolgmelding", "vervolg_tijdens_vb", "vervolg_na_vb", "vervolg_tijdens_monitoring", "niet_ingedeeld"]
D1_MODEL = "int_meldingen_geclassificeerd"  # the dbt model holding the D1 classification
PROFILES = {
    "national": {"regio": "ALLE", "van": 2016, "tot": 2025, "periode": "halfjaar", "seed": 7, "schaal": 1},
    # three regions (Gooi en Vechtstreek, Groningen, Zaanstreek-Waterland, with the Eemsdelta and Purmerend mergers)
    # over ten years: blocks linked through NL01 as nationally, in minutes instead of an hour
    "drie_regios": {"regio": "VT07,VT08,VT22", "van": 2016, "tot": 2025, "periode": "halfjaar", "seed": 7, "schaal": 1},
    "smoke": {"regio": "VT02", "van": 2022, "tot": 2023, "periode": "halfjaar", "seed": 7, "schaal": 0.3},
}


# --- measuring ----------------------------------------------------------------------------------

def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (Linux)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def measure(command: list[str], env: dict[str, str], label: str) -> dict:
    """Run a command; wall time, exit code and peak RSS of its process tree (sampled every 50 ms), its CPU time
    (user + system of the tree: CPU / wall shows how many cores it kept busy) and the machine's load average when
    it ended (how busy the machine was besides: the load counts this run too)."""
    cpu_voor = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"benchmark step '{label}' failed (exit {process.returncode}):\n{output[-3000:]}")
    cpu_na = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_na.ru_utime - cpu_voor.ru_utime) + (cpu_na.ru_stime - cpu_voor.ru_stime)
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(peak[0] / 1024, 1), "cpu_s": round(cpu, 1),
            "load_1min": round(os.getloadavg()[0], 2)}


# --- the data -------------------------------------------------------------------------------------

def deliveries(profile: dict) -> Path:
    """The generated deliveries for a profile, generated once and cached."""
    key = hashlib.sha256(json.dumps(profile, sort_keys=True).encode()
                         + (REPO / "hermelding" / "generator.py").read_bytes()).hexdigest()[:12]
    folder = CACHE / key
    if (folder / "klaar").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "raw").mkdir(parents=True)
    env = project_env(folder)
    args = [str(BIN / "hermelding"), "genereer", "--stil", "--uit", str(folder / "raw"),
            *[f"--{k}={v}" for k, v in profile.items()]]
    folder_info = measure(args, env, "genereer")
    (folder / "genereer.json").write_text(json.dumps(folder_info), encoding="utf-8")
    (folder / "klaar").write_text("", encoding="utf-8")
    return folder


# a benchmark project's data folders under its own folder (code and configuration: this repository)
PROJECT_FOLDERS = (("raw_dir", "raw"), ("warehouse", "warehouse/warehouse.duckdb"), ("build_dir", "warehouse/build"),
                   ("marts_dir", "marts"), ("grondwaarheid_dir", "grondwaarheid"))


def project_env(folder: Path) -> dict[str, str]:
    """Environment for a project whose data folders all live under `folder` (code and config: this repo)."""
    env = dict(os.environ, HERMELDING_ROOT=str(REPO), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180")
    for key, sub in PROJECT_FOLDERS:
        env[f"HERMELDING_{key.upper()}"] = str(folder / sub)
    env["HERMELDING_REFERENTIE_DIR"] = str(REPO / "data" / "raw" / "referentie")
    return env


def project_config(folder: Path):
    """The project's configuration as the commands in `folder` see it (project_env), for the paths it decides."""
    from hermelding.config import load_config

    return load_config(REPO).with_overrides(**{key: str(folder / sub) for key, sub in PROJECT_FOLDERS})


def correct_delivery(folder: Path) -> str:
    """A correction: the same delivery with its last betrokkenen row removed (a new content hash)."""
    target = sorted(p for p in folder.iterdir() if p.is_dir())[-3]
    path = target / "betrokkenen.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    return target.name


# --- one benchmark run ----------------------------------------------------------------------------

def nightly(env: dict, label: str, work: Path) -> dict:
    result = measure([str(BIN / "hermelding"), "draai", "--stil"], env, label)
    summary = json.loads((work / "warehouse" / "laatste_run.json").read_text(encoding="utf-8"))
    result["status"] = summary["status"]
    result["stages_s"] = summary.get("duur_seconden", {})
    audit = (summary.get("audit") or {}).get("onthulling") or {}
    # blocks of cells the audit took from the memo (unchanged since an earlier run) and computed; memo size after
    result["audit_blocks_memo"] = audit.get("blokken_uit_memo")
    result["audit_blocks_computed"] = audit.get("blokken_berekend")
    result["memo_entries"] = memo_entries(work)
    run_results = project_config(work).dbt_target_dir / "run_results.json"
    if summary["status"] == "gepubliceerd" and run_results.exists():
        nodes = json.loads(run_results.read_text(encoding="utf-8"))["results"]
        models = [n for n in nodes if n["unique_id"].startswith("model.")]
        result["d1_model_s"] = next((round(n["execution_time"], 2) for n in models
                                     if n["unique_id"].endswith(f".{D1_MODEL}")), None)
        result["dbt_models_s"] = {n["unique_id"].split(".")[-1]: round(n["execution_time"], 2)
                                  for n in sorted(models, key=lambda n: -n["execution_time"])[:6]}
    return result


def baseline(raw: Path, lookback: int) -> tuple[dict, duckdb.DuckDBPyConnection]:
    script = (REPO / "benchmarks" / "baseline_d1.sql").read_text(encoding="utf-8")
    script = (script.replace(":raw", str(raw)).replace(":lookback", str(lookback))
              .replace(":gemeenten", str(REPO / "dbt_project" / "seeds" / "gemeenten.csv")))
    con = duckdb.connect()
    start = time.perf_counter()
    con.execute(script)
    return {"wall_s": round(time.perf_counter() - start, 2)}, con


def compare_with_mart(con: duckdb.DuckDBPyConnection, release: Path) -> int:
    """Rows where the baseline and the pipeline's internal mart disagree (municipality x half year)."""
    mart = release / "intern" / "hermelding_regio_periode.parquet"
    columns = ", ".join(COUNTS)
    return con.execute(f"""
        with pipeline as (
            select regiocode, periode, {columns} from read_parquet('{mart}')
            where regiotype = 'gemeente' and periodesoort = 'halfjaar' and meldingen > 0
        ), base as (select regiocode, periode, {columns} from bl_tellingen)
        select count(*) from ((select * from pipeline except all select * from base)
                              union all (select * from base except all select * from pipeline))
    """).fetchone()[0]


def memo_entries(work: Path) -> int:
    """Entries in the project's disclosure memo (hermelding/disclosure_memo.py)."""
    from hermelding.build import build_db, memo_dir

    return sum(1 for _ in memo_dir(build_db(project_config(work))).glob("*/*.npz"))


def differing_rows(release_a: Path, release_b: Path) -> dict[str, int]:
    """Per mart (internal and public parquet) of two releases: rows in one and not the other (with multiplicity);
    a mart missing from either counts as -1."""
    con = duckdb.connect()
    out = {}
    names = {p.relative_to(release_a).as_posix() for p in release_a.glob("*/*.parquet")}
    names |= {p.relative_to(release_b).as_posix() for p in release_b.glob("*/*.parquet")}
    for name in sorted(names):
        a, b = release_a / name, release_b / name
        if not (a.exists() and b.exists()):
            out[name] = -1
            continue
        out[name] = con.execute(f"""
            select count(*) from ((select * from read_parquet('{a}') except all select * from read_parquet('{b}'))
                union all (select * from read_parquet('{b}') except all select * from read_parquet('{a}')))
        """).fetchone()[0]
    return out


def full_rebuild(work: Path, label: str) -> dict:
    """The final state of the deliveries built from scratch, in a fresh project folder with an empty memo: every
    mart of its release must equal the incremental run's (the benchmark fails otherwise)."""
    fresh = Path(tempfile.mkdtemp(prefix="hermelding-bench-volledig-"))
    try:
        shutil.copytree(work / "raw", fresh / "raw")
        result = nightly(project_env(fresh), label, fresh)
        newest = sorted((fresh / "marts" / "releases").iterdir())[-1]
        incremental = sorted((work / "marts" / "releases").iterdir())[-1]
        result["rows_differing_per_mart"] = differing_rows(incremental, newest)
        result["marts_compared"] = len(result["rows_differing_per_mart"])
        result["rows_differing"] = sum(abs(v) for v in result["rows_differing_per_mart"].values())
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    return result


def run(profile_name: str, keep: bool, check_full: bool = False, checkpoint=None) -> dict:
    """All scenarios; `checkpoint(results)` after each, so that a national run stopped halfway keeps what it
    measured."""
    checkpoint = checkpoint or (lambda _results: None)
    profile = PROFILES[profile_name]
    data = deliveries(profile)
    work = Path(tempfile.mkdtemp(prefix=f"hermelding-bench-{profile_name}-"))
    env = project_env(work)
    alle = sorted(p for p in (data / "raw").iterdir() if p.is_dir())
    (work / "raw").mkdir(parents=True)
    for folder in alle[:-1]:
        shutil.copytree(folder, work / "raw" / folder.name)
    meldingen = sum(sum(1 for _ in open(f / "meldingen.csv", encoding="utf-8")) - 1 for f in alle)
    results: dict = {"profile": profile_name, "generator": profile, "meldingen": meldingen,
                     "deliveries": len(alle), "generate": json.loads((data / "genereer.json").read_text())}
    try:
        results["1_empty_warehouse"] = nightly(env, "empty warehouse", work)
        checkpoint(results)
        shutil.copytree(alle[-1], work / "raw" / alle[-1].name)
        results["2_one_new_delivery"] = nightly(env, "one new delivery", work)
        checkpoint(results)
        results["3_corrected_delivery"] = nightly(env, f"corrected {correct_delivery(work / 'raw')}", work)
        checkpoint(results)
        results["4_nothing_new"] = nightly(env, "nothing new", work)
        checkpoint(results)
        if check_full:
            results["6_full_rebuild"] = full_rebuild(work, "full rebuild of the final state")
            if results["6_full_rebuild"]["rows_differing"]:
                raise SystemExit("The incremental runs and a full rebuild of the same deliveries differ: "
                                 f"{results['6_full_rebuild']['rows_differing_per_mart']}")
        lookback = int(json.loads(subprocess.run(
            [str(BIN / "python"), "-c", "import json; from hermelding.config import load_config; "
             "print(json.dumps(load_config().lookback_maanden))"], env=env, capture_output=True, text=True,
            check=True).stdout))
        results["5_baseline"], con = baseline(work / "raw", lookback)
        releases = sorted((work / "marts" / "releases").iterdir())
        verschil = compare_with_mart(con, releases[-1])
        results["5_baseline"]["rows_differing_from_mart"] = verschil
        if verschil:
            raise SystemExit(f"The baseline and the pipeline's mart disagree on {verschil} rows: one of them is wrong.")
        d1 = results["1_empty_warehouse"].get("d1_model_s")
        results["ratios"] = {
            "whole_run_vs_baseline": round(results["1_empty_warehouse"]["wall_s"] / results["5_baseline"]["wall_s"], 1),
            "d1_model_vs_baseline": round(d1 / results["5_baseline"]["wall_s"], 2) if d1 else None,
        }
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return results


def machine() -> dict:
    memory_kb = next(int(line.split()[1]) for line in open("/proc/meminfo", encoding="ascii") if line.startswith("MemTotal"))
    return {"cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "duckdb": duckdb.__version__}


def markdown(results: dict) -> str:
    rows = [("generate", results["generate"]),
            ("nightly run, empty warehouse", results["1_empty_warehouse"]),
            ("nightly run, one new delivery", results["2_one_new_delivery"]),
            ("nightly run, corrected delivery", results["3_corrected_delivery"]),
            ("nightly run, nothing new", results["4_nothing_new"]),
            ("baseline: D1 + counts, one DuckDB script", results["5_baseline"])]
    if "6_full_rebuild" in results:
        rows.append(("full rebuild of the final state (must equal the incremental runs)", results["6_full_rebuild"]))
    out = [f"{results['meldingen']:,} meldingen in {results['deliveries']} deliveries; "
           f"{results['machine']['cores']} cores, {results['machine']['memory_gb']} GB; commit {results['commit']}", "",
           "| step | wall (s) | CPU (s) | peak RSS (MB) | stages (s) |", "|---|---|---|---|---|"]
    for label, r in rows:
        stages = ", ".join(f"{k} {v}" for k, v in r.get("stages_s", {}).items())
        out.append(f"| {label} | {r['wall_s']} | {r.get('cpu_s', '')} | {r.get('peak_rss_mb', '')} | {stages} |")
    ratios = results.get("ratios", {})
    out += ["", f"Whole run / baseline: {ratios.get('whole_run_vs_baseline')}×; "
            f"D1 model ({D1_MODEL}, {results['1_empty_warehouse'].get('d1_model_s')} s) / baseline: "
            f"{ratios.get('d1_model_vs_baseline')}×. "
            f"Slowest dbt models (empty warehouse): {results['1_empty_warehouse'].get('dbt_models_s')}"]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiel", choices=sorted(PROFILES), default="national",
                        help="national (make bench), drie_regios (the same scenarios in minutes) or smoke (make test)")
    parser.add_argument("--uit", type=Path, default=None, help="results JSON (default benchmarks/results/<date>-<commit>.json)")
    parser.add_argument("--bewaar", action="store_true", help="keep the benchmark's project folder")
    parser.add_argument("--vergelijk-volledig", action="store_true",
                        help="also build the final state from scratch in a fresh folder and require every mart to "
                             "equal the incremental runs' (as the smoke test does)")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                            check=False).stdout.strip() or "unknown"
    target = args.uit or RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-{commit}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    extra = {"commit": commit, "when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine()}

    def checkpoint(partial: dict) -> None:  # marked incomplete until every scenario has run
        target.write_text(json.dumps(partial | extra | {"onvolledig": True}, indent=1), encoding="utf-8")

    results = run(args.profiel, args.bewaar, args.vergelijk_volledig, checkpoint) | extra
    target.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(markdown(results))
    print(f"\nResults: {target}")


if __name__ == "__main__":
    main()
