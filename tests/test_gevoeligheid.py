"""`hermelding gevoeligheid`: other parameters through the same dbt models into a scratch folder, compared; the
operator's state (warehouse, releases, catalogs, last-run summary, build database, dbt manifest) untouched."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
from typer.testing import CliRunner

from hermelding.cli import app
from hermelding.reader import open_release
from tests.test_sql import _gebruik


def _state(cfg) -> dict[str, tuple[str, int]]:
    """Content and modification time of every file of the operator's state (the scratch folder and the lock
    file, which is the lock's own mechanism, excepted)."""
    bestanden = [p for p in cfg.warehouse.parent.rglob("*") if p.is_file() and "gevoeligheid" not in p.parts
                 and p.name not in ("hermelding.lock", "hermelding.eigenaar")]
    bestanden += [p for p in cfg.marts_dir.rglob("*") if p.is_file()]
    bestanden += [p for p in cfg.dbt_target_dir.glob("*.json")]  # (inside the warehouse folder; said explicitly)
    return {str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in bestanden}


def test_a_sensitivity_run_compares_through_the_same_models_and_leaves_the_operators_state_alone(
        demo_release, monkeypatch):
    cfg = _gebruik(monkeypatch, demo_release)
    from hermelding.state import last_run_path

    if not last_run_path(cfg).exists():  # the demo was published without the flow: give it a last-run summary
        last_run_path(cfg).write_text('{"status": "gepubliceerd"}', encoding="utf-8")
    voor = _state(cfg)
    for naam in ("warehouse.duckdb", "laatste_run.json", "hermelding_build.duckdb", ".vingerafdruk.json",
                 "release.json", "hermelding.duckdb", "manifest.json"):
        assert any(p.endswith(naam) for p in voor), naam
    eerder = set((cfg.warehouse.parent / "gevoeligheid").glob("*"))
    uitkomst = CliRunner().invoke(app, ["gevoeligheid", "--lookback", f"{cfg.lookback_maanden},0", "--horizons", "12"],
                                  env={"COLUMNS": "200"})
    assert uitkomst.exit_code == 0, uitkomst.output
    assert _state(cfg) == voor  # byte-identical, not even rewritten

    (map_,) = set((cfg.warehouse.parent / "gevoeligheid").iterdir()) - eerder
    assert sorted(p.name for p in map_.iterdir()) == ["gevoeligheid.json", "vergelijking.csv", "vergelijking.xlsx"]
    vergelijking = pd.read_csv(map_ / "vergelijking.csv", dtype={"periode": str})
    # the configured look-back through the same models gives exactly the release's figures
    release = open_release(root=cfg).table("hermelding_regio_periode_openbaar")
    samen = vergelijking.merge(release, on=["regiotype", "regiocode", "periode"], validate="one_to_one")
    assert len(samen) == len(release)
    pd.testing.assert_series_equal(samen[f"hermelding_pct_{cfg.lookback_maanden}_mnd"], samen.hermelding_pct,
                                   check_names=False, atol=1e-9)
    # an unlimited look-back never has its full look-back in the data (docs/methode.md), so the public mart
    # withholds its hermelding % everywhere: the comparison says so instead of showing warm-up figures
    assert vergelijking[f"hermelding_pct_{cfg.lookback_maanden}_mnd"].notna().any()
    assert vergelijking["hermelding_pct_onbeperkt"].isna().all()
    # D2 at the asked horizon equals the release's (the horizon reached the models)
    cohort = open_release(root=cfg).table("herhaling_cohort_openbaar")
    d2 = cohort[(cohort.definitie_id == "herhaalde_melding") & (cohort.horizon_maanden == 12)
                & cohort.volledige_followup]
    d2 = d2.merge(vergelijking, left_on=["regiotype", "regiocode", "cohort_periode"],
                  right_on=["regiotype", "regiocode", "periode"])
    assert len(d2) and ((d2.cumulatief_pct - d2.herhaalde_melding_pct_12_mnd).abs().fillna(0) < 1e-9).all()
    # a cohort not followed for the whole horizon has no figure at that horizon
    onvolledig = cohort[(cohort.definitie_id == "herhaalde_melding") & (cohort.horizon_maanden == 12)
                        & ~cohort.volledige_followup.astype(bool)]
    onvolledig = onvolledig.merge(vergelijking, left_on=["regiotype", "regiocode", "cohort_periode"],
                                  right_on=["regiotype", "regiocode", "periode"])
    assert len(onvolledig) and onvolledig.herhaalde_melding_pct_12_mnd.isna().all()
    # --horizons reaches D3 and D4(b) too: at 12 months (a configured horizon of both) the release's figures
    for definitie in ("recidive_pleger", "intergenerationeel"):
        kolom = f"{definitie}_pct_12_mnd"
        d = cohort[(cohort.definitie_id == definitie) & (cohort.horizon_maanden == 12) & cohort.volledige_followup
                   & cohort.cumulatief_pct.notna()]
        d = d.merge(vergelijking, left_on=["regiotype", "regiocode", "cohort_periode"],
                    right_on=["regiotype", "regiocode", "periode"])
        assert kolom in vergelijking, definitie
        if definitie == "recidive_pleger":  # D4(b)'s public 12-month percentages are all withheld on the demo
            assert len(d) and d[kolom].notna().any()
        assert ((d.cumulatief_pct - d[kolom]).abs().fillna(0) < 1e-9).all(), definitie
    info = json.loads((map_ / "gevoeligheid.json").read_text())
    assert info["horizons_maanden"] == {d: [12] for d in ("herhaalde_melding", "recidive_pleger", "intergenerationeel")}
    assert oct(map_.stat().st_mode & 0o777) == "0o700"  # per-melding work: the owner (and intern_groep) only


def test_bad_lookbacks_are_refused_before_anything_is_built(demo_release, monkeypatch):
    cfg = _gebruik(monkeypatch, demo_release)
    eerder = set((cfg.warehouse.parent / "gevoeligheid").glob("*"))
    for args in (["--lookback", "12,twee"], ["--lookback", "-12"], ["--lookback", "12", "--horizons", "0"]):
        uitkomst = CliRunner().invoke(app, ["gevoeligheid", *args], env={"COLUMNS": "200"})
        assert uitkomst.exit_code == 2, uitkomst.output
    assert set((cfg.warehouse.parent / "gevoeligheid").glob("*")) == eerder


def test_while_the_pipeline_runs_a_sensitivity_run_is_refused_as_busy_and_leaves_nothing(demo_release, monkeypatch):
    from hermelding.state import pipeline_lock

    cfg = _gebruik(monkeypatch, demo_release)
    eerder = set((cfg.warehouse.parent / "gevoeligheid").glob("*"))
    with pipeline_lock(cfg):  # the nightly run holds the lock
        uitkomst = CliRunner().invoke(app, ["gevoeligheid", "--lookback", "12"], env={"COLUMNS": "200"})
    assert uitkomst.exit_code == 3 and "busy" in uitkomst.output, uitkomst.output
    assert set((cfg.warehouse.parent / "gevoeligheid").glob("*")) == eerder


def test_latest_comparison_is_the_newest_complete_public_run_unless_intern_is_asked(tmp_path):
    from hermelding.sensitivity import latest_comparison, scratch_root
    from tests.conftest import project_config

    cfg = project_config(tmp_path)
    assert latest_comparison(cfg) is None  # no run yet: the notebook says how to make one
    for naam, mart, compleet in [("20250101T000000Z", "openbaar (disclosure-controlled)", True),
                                 ("20250102T000000Z", "intern (exact)", True),
                                 ("20250103T000000Z", "openbaar (disclosure-controlled)", False)]:
        folder = scratch_root(cfg) / naam
        folder.mkdir(parents=True)
        (folder / "gevoeligheid.json").write_text(json.dumps({"mart": mart}), encoding="utf-8")
        if compleet:
            pd.DataFrame({"periode": [naam]}).to_csv(folder / "vergelijking.csv", index=False)
    folder, info, vergelijking = latest_comparison(cfg)
    assert folder.name == "20250101T000000Z" and info["mart"].startswith("openbaar")
    assert list(vergelijking.periode) == ["20250101T000000Z"]
    assert latest_comparison(cfg, intern=True)[0].name == "20250102T000000Z"
