"""The benchmark cannot rot: its smoke profile runs the same code as `make bench`, on a tiny set.
Timings are never asserted; what is asserted is that every scenario ran as intended, that the
hand-written baseline gives the pipeline's figures, and that the runs after a new and a corrected delivery
(which reuse the disclosure work of unchanged blocks, hermelding/disclosure_memo.py) publish exactly what a
full rebuild of the same deliveries from scratch publishes, in every internal and public mart."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO


def test_benchmark_smoke_profile_runs_every_scenario_and_the_baseline_agrees(tmp_path):
    uit = tmp_path / "resultaat.json"
    proces = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--profiel", "smoke", "--uit", str(uit),
                             "--vergelijk-volledig"],
                            capture_output=True, text=True, timeout=900, check=False)
    assert proces.returncode == 0, proces.stdout[-3000:] + proces.stderr[-3000:]
    r = json.loads(uit.read_text())
    assert [r[k]["status"] for k in ("1_empty_warehouse", "2_one_new_delivery", "3_corrected_delivery",
                                     "4_nothing_new")] == ["gepubliceerd", "gepubliceerd", "gepubliceerd", "niets_nieuw"]
    assert r["5_baseline"]["rows_differing_from_mart"] == 0
    for stap in ("ingest", "dbt build", "audit", "publiceer"):
        assert r["1_empty_warehouse"]["stages_s"][stap] >= 0
    assert r["1_empty_warehouse"]["peak_rss_mb"] > 0 and r["machine"]["cores"] >= 1
    # the CPU time of the process tree is measured (dbt runs inside the draai process: it is most of it)
    assert r["1_empty_warehouse"]["cpu_s"] > r["1_empty_warehouse"]["stages_s"]["dbt build"] / 4
    assert r["1_empty_warehouse"]["d1_model_s"] > 0 and r["ratios"]["d1_model_vs_baseline"] > 0
    assert "| nightly run, nothing new |" in proces.stdout
    # incremental = full rebuild, in every mart of the release (and the memo was used: otherwise this proves nothing)
    volledig = r["6_full_rebuild"]
    assert volledig["status"] == "gepubliceerd" and volledig["marts_compared"] >= 12
    assert volledig["rows_differing"] == 0, volledig["rows_differing_per_mart"]
    assert r["1_empty_warehouse"]["audit_blocks_memo"] == 0 and volledig["audit_blocks_memo"] == 0
    assert r["2_one_new_delivery"]["audit_blocks_memo"] > 0 and r["3_corrected_delivery"]["audit_blocks_memo"] > 0
    assert r["2_one_new_delivery"]["memo_entries"] > r["1_empty_warehouse"]["memo_entries"] > 0
