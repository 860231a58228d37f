"""The disclosure memo (hermelding/disclosure_memo.py): a block of cells asked again with the same input gets the
stored result, which must be exactly what computing it gives; a block that changed in any way is computed; a
damaged entry is never trusted. The run-level check (incremental runs = a full rebuild, every mart) is in
tests/test_benchmark.py."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hermelding import attack, disclosure_milp
from hermelding.disclosure import SPECIFICATIES, openbaar, regio_ouders
from hermelding.disclosure_memo import ENV, Memo
from tests.test_openbaar_hitas import landelijke_mart

SPEC = SPECIFICATIES["hermelding_regio_periode"]


def twee_jaren(seed_2024: int, seed_2025: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two years of the two-region table: no relation links them, so each year is a block of its own."""
    a, gemeenten = landelijke_mart(np.random.default_rng(seed_2024))
    b, _ = landelijke_mart(np.random.default_rng(seed_2025))
    b["periode"] = b["periode"].str.replace("2024", "2025")
    return pd.concat([a, b], ignore_index=True), gemeenten


def bescherm(mart, gemeenten, verslag=None):
    return openbaar(mart, SPEC, regio_ouder=regio_ouders(mart, gemeenten), verslag=verslag)


@pytest.fixture
def tel_blokken(monkeypatch):
    """How many blocks the engine really computed (not read from the memo)."""
    berekend = []
    echt = disclosure_milp._kies_blok

    def spion(model, *args, **kwargs):
        berekend.append(len(model.cellen))
        return echt(model, *args, **kwargs)

    monkeypatch.setattr(disclosure_milp, "_kies_blok", spion)
    return berekend


def test_the_memo_gives_what_computing_gives_and_recomputes_only_the_changed_block(tmp_path, monkeypatch, tel_blokken):
    mart, gemeenten = twee_jaren(3, 8)
    monkeypatch.delenv(ENV, raising=False)
    zonder = bescherm(mart, gemeenten)
    assert len(tel_blokken) == 2  # one block per year
    assert zonder.filter(like="_vlag").notna().any().any()  # something is suppressed: the memo has work to keep

    monkeypatch.setenv(ENV, str(tmp_path / "memo"))
    tel_blokken.clear()
    eerste = bescherm(mart, gemeenten)
    assert len(tel_blokken) == 2 and len(list((tmp_path / "memo").glob("*/*.npz"))) == 2
    verslag: dict = {}
    tel_blokken.clear()
    tweede = bescherm(mart, gemeenten, verslag)
    assert tel_blokken == []  # both blocks read back
    pd.testing.assert_frame_equal(eerste, zonder)
    pd.testing.assert_frame_equal(tweede, zonder)
    assert verslag["secundair"] > 0 and verslag["methode"]["MILP"] == 2  # the report is the computed one's

    # another 2025: that block is computed, 2024 is read back, and the result is the computation's
    ander, _ = twee_jaren(3, 11)
    monkeypatch.delenv(ENV)
    tel_blokken.clear()
    verwacht = bescherm(ander, gemeenten)
    monkeypatch.setenv(ENV, str(tmp_path / "memo"))
    tel_blokken.clear()
    pd.testing.assert_frame_equal(bescherm(ander, gemeenten), verwacht)
    assert len(tel_blokken) == 1


def test_any_change_in_a_block_gives_another_key():
    memo = Memo("/nonexistent")
    basis = memo.key("k", 5, np.array([1.0, 2.0]), np.array([True, False]), ["a", "b"])
    for ander in (memo.key("k", 5, np.array([1.0, 3.0]), np.array([True, False]), ["a", "b"]),
                  memo.key("k", 5, np.array([1.0, 2.0]), np.array([False, True]), ["a", "b"]),
                  memo.key("k", 5, np.array([1.0, 2.0]), np.array([True, False]), ["b", "a"]),
                  memo.key("k", 10, np.array([1.0, 2.0]), np.array([True, False]), ["a", "b"]),
                  memo.key("k", 5, np.array([1, 2]), np.array([True, False]), ["a", "b"]),
                  memo.key("x", 5, np.array([1.0, 2.0]), np.array([True, False]), ["a", "b"]),
                  memo.key("k", 5, np.array([1.0, 2.0]), None, ["a", "b"])):
        assert ander != basis
    assert memo.key("k", 5, np.array([1.0, 2.0]), np.array([True, False]), ["a", "b"]) == basis
    assert Memo(None).key("k", 1) is None  # no folder: nothing stored, nothing read


def test_a_damaged_entry_is_computed_again_not_trusted(tmp_path, monkeypatch, tel_blokken, caplog):
    mart, gemeenten = twee_jaren(3, 8)
    monkeypatch.setenv(ENV, str(tmp_path / "memo"))
    verwacht = bescherm(mart, gemeenten)
    for pad in (tmp_path / "memo").glob("*/*.npz"):
        pad.write_bytes(pad.read_bytes()[:40])  # truncated, as after a full disk
    tel_blokken.clear()
    with caplog.at_level(logging.WARNING):
        pd.testing.assert_frame_equal(bescherm(mart, gemeenten), verwacht)
    assert len(tel_blokken) == 2
    assert "cannot be used" in caplog.text


def test_the_audit_intervals_from_the_memo_are_the_computed_ones(tmp_path, monkeypatch):
    mart, gemeenten = twee_jaren(5, 6)
    rng = np.random.default_rng(1)
    model = attack.bouw_model({"t": (mart, SPEC)}, regio_ouders(mart, gemeenten))
    waarde = model.cellen["waarde"].to_numpy(dtype=float)
    afgerond = 5 * np.floor(waarde / 5 + 0.5)
    onderdrukt = (afgerond < 10) | (rng.random(len(waarde)) < 0.15)
    getoond = np.where(onderdrukt, np.nan, afgerond)
    doelen = np.flatnonzero(onderdrukt)
    eis = np.where(afgerond[doelen] < 10, 10, 1)
    zonder = attack.intervallen(model, getoond, 2, doelen, eis=eis, anker=waarde)
    memo = Memo(tmp_path / "memo")
    eerste = attack.intervallen(model, getoond, 2, doelen, eis=eis, anker=waarde, memo=memo)
    assert (memo.hits, memo.misses) == (0, 2)

    def geen_lp(*args, **kwargs):
        raise AssertionError("an LP was solved for a block in the memo")

    monkeypatch.setattr(attack, "_los_lp", geen_lp)
    tweede = attack.intervallen(model, getoond, 2, doelen, eis=eis, anker=waarde, memo=memo)
    assert memo.hits == 2
    for iv in (eerste, tweede):
        pd.testing.assert_frame_equal(iv[["cel", "onder", "boven", "exact"]], zonder[["cel", "onder", "boven", "exact"]])
    # another shown value in one block: that block is asked anew (and needs its LPs)
    getoond[np.flatnonzero(~np.isnan(getoond))[0]] += 5
    with pytest.raises(AssertionError, match="an LP was solved"):
        attack.intervallen(model, getoond, 2, doelen, eis=eis, anker=waarde, memo=memo)


def test_entries_unused_for_a_month_are_removed(tmp_path):
    memo = Memo(tmp_path)
    memo.put(memo.key("k", 1), x=np.zeros(1))
    memo.put(memo.key("k", 2), x=np.zeros(1))
    oud = memo._path(memo.key("k", 1))
    twee_maanden = time.time() - 60 * 86400
    os.utime(oud, (twee_maanden, twee_maanden))
    assert memo.prune() == 1
    assert not oud.exists() and memo.get(memo.key("k", 2)) is not None


def test_a_milp_stopped_by_the_time_limit_is_said(monkeypatch, caplog):
    """The one machine-speed dependent step is logged: a block whose MILP stops at the time limit keeps the best
    pattern found so far, which a faster run could improve on (docs/openbaarmaking.md)."""
    mart, gemeenten = twee_jaren(3, 8)
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(disclosure_milp, "TIJDSLIMIET_SECONDEN", 1e-9)
    with caplog.at_level(logging.WARNING, logger="hermelding.disclosure_milp"):
        bescherm(mart, gemeenten)
    assert "stopped at the time limit" in caplog.text


def test_a_block_from_the_memo_says_again_what_its_computation_warned_of(tmp_path, monkeypatch, caplog, tel_blokken):
    """The published table rests on the stored result every night, so its warning (here: a MILP stopped at the
    time limit) is said every night, not only the night it was computed."""
    mart, gemeenten = twee_jaren(3, 8)
    monkeypatch.setenv(ENV, str(tmp_path / "memo"))
    monkeypatch.setattr(disclosure_milp, "TIJDSLIMIET_SECONDEN", 1e-9)
    with caplog.at_level(logging.WARNING, logger="hermelding.disclosure_milp"):
        eerste = bescherm(mart, gemeenten)
    berekend = [r.getMessage() for r in caplog.records if "stopped at the time limit" in r.getMessage()]
    assert berekend and len(tel_blokken) == 2
    caplog.clear()
    tel_blokken.clear()
    with caplog.at_level(logging.WARNING, logger="hermelding.disclosure_milp"):
        tweede = bescherm(mart, gemeenten)
    assert tel_blokken == []  # nothing computed: both blocks from the memo
    herhaald = [r.getMessage() for r in caplog.records if "stopped at the time limit" in r.getMessage()]
    assert len(herhaald) == len(berekend)
    assert all("unchanged since an earlier build" in m for m in herhaald)
    pd.testing.assert_frame_equal(eerste, tweede)


def test_rows_in_another_order_are_the_same_question(tmp_path, monkeypatch, tel_blokken):
    """A mart read back from the database in another row order must not look changed: every block is read back."""
    mart, gemeenten = twee_jaren(3, 8)
    monkeypatch.setenv(ENV, str(tmp_path / "memo"))
    verwacht = bescherm(mart, gemeenten)
    tel_blokken.clear()
    geschud = mart.sample(frac=1.0, random_state=4).reset_index(drop=True)
    pd.testing.assert_frame_equal(bescherm(geschud, gemeenten), verwacht)
    assert tel_blokken == []


def test_the_audit_of_the_same_tables_in_another_row_order_is_read_from_its_memo(vier_gebouwd, tmp_path):
    """The release audit reads the marts from the build database, where their row order is not fixed: the same
    tables stored in another order must be the same question to its memo (no block computed again), and give the
    same verdicts."""
    import shutil

    import duckdb

    from hermelding import audit as audit_mod

    cfg, db, _ = vier_gebouwd
    kopie = tmp_path / db.name
    shutil.copy2(db, kopie)
    memo = Memo(tmp_path / "memo")
    with audit_mod._connect(cfg, kopie) as con:
        eerst, _, cijfers = audit_mod.aanvalsaudit(con, 5, 10, None, memo)
    assert cijfers["blokken_berekend"] > 0 and cijfers["blokken_uit_memo"] == 0
    with duckdb.connect(str(kopie)) as con:  # every table rewritten in a random row order
        for mart in SPECIFICATIES:
            for tabel in (f"openbaar.{mart}_openbaar", f"marts.{mart}"):
                con.execute(f"create or replace table {tabel} as select * from {tabel} order by random()")
    memo = Memo(tmp_path / "memo")
    with audit_mod._connect(cfg, kopie) as con:
        daarna, _, cijfers = audit_mod.aanvalsaudit(con, 5, 10, None, memo)
    assert cijfers["blokken_berekend"] == 0 and cijfers["blokken_uit_memo"] > 0
    pd.testing.assert_frame_equal(daarna, eerst)


def test_an_entry_of_another_shape_or_key_is_not_trusted(tmp_path, monkeypatch, tel_blokken):
    """An entry that loads but does not fit its block (one value broadcast over the block would publish primary
    cells), or that is another key's entry under this name, is computed again."""
    mart, gemeenten = twee_jaren(3, 8)
    monkeypatch.setenv(ENV, str(tmp_path / "memo"))
    verwacht = bescherm(mart, gemeenten)
    paden = sorted((tmp_path / "memo").glob("*/*.npz"))
    for pad in paden:
        with np.load(pad) as oud:
            inhoud = {k: oud[k] for k in oud.files}
        np.savez(pad, **(inhoud | {"onderdrukt": np.array([False])}))
    tel_blokken.clear()
    pd.testing.assert_frame_equal(bescherm(mart, gemeenten), verwacht)
    assert len(tel_blokken) == 2
    # the two (now rewritten, correct) entries swapped: each names the other's key
    a, b = paden[0].read_bytes(), paden[1].read_bytes()
    paden[0].write_bytes(b)
    paden[1].write_bytes(a)
    tel_blokken.clear()
    pd.testing.assert_frame_equal(bescherm(mart, gemeenten), verwacht)
    assert len(tel_blokken) == 2


def test_a_memo_that_cannot_be_cleaned_or_touched_does_not_stop_the_build(tmp_path, monkeypatch, caplog):
    memo = Memo(tmp_path)
    sleutel = memo.key("k", 1)
    memo.put(sleutel, x=np.zeros(1))
    oud = time.time() - 60 * 86400
    os.utime(memo._path(sleutel), (oud, oud))

    def geweigerd(*args, **kwargs):
        raise PermissionError("read-only")

    monkeypatch.setattr(Path, "unlink", geweigerd)
    monkeypatch.setattr(os, "utime", geweigerd)
    with caplog.at_level(logging.WARNING):
        assert memo.prune() == 0
        assert memo.get(sleutel) is not None  # still served: only its 'last used' time could not be set
    assert "cannot be removed" in caplog.text


def test_the_model_is_the_same_under_every_python_hash_seed(tmp_path):
    """Relations were once ordered by a set's iteration, which changes with Python's hash seed per process: the
    same data was then protected differently from run to run, and no memo key matched across runs."""
    import subprocess
    import sys

    from tests.conftest import REPO

    script = (
        "import numpy as np\n"
        "from hermelding import attack\n"
        "from hermelding.disclosure import SPECIFICATIES, regio_ouders\n"
        "from hermelding.disclosure_memo import Memo\n"
        "from tests.test_openbaar_memo import twee_jaren\n"
        "mart, gemeenten = twee_jaren(3, 8)\n"
        "m = attack.bouw_model({'t': (mart, SPECIFICATIES['hermelding_regio_periode'])}, regio_ouders(mart, gemeenten))\n"
        "print(Memo('x').key('model', m.cellen['waarde'].to_numpy(), *attack.memo_delen(m)))\n")
    sleutels = {subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True,
                               env={**os.environ, "PYTHONHASHSEED": zaad}).stdout.strip() for zaad in ("1", "3", "4")}
    assert len(sleutels) == 1, sleutels
