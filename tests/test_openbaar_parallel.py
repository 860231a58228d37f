"""Disclosure blocks in worker processes (hermelding/attack.py `per_proces`): the engine's pattern and the audit's
intervals are the same whether the blocks ran in this process or in workers, and what a worker logs reaches the
operator's log once."""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd
import pytest

from hermelding import attack
from hermelding.disclosure import SPECIFICATIES, regio_ouders
from hermelding.disclosure_memo import ENV, Memo
from tests.test_openbaar_memo import bescherm, twee_jaren


@pytest.fixture
def werkers(monkeypatch):
    """Two workers for any number of cells; records whether a call really used them."""
    monkeypatch.setattr(attack, "PARALLEL_MIN_CELLEN", 0)
    monkeypatch.setenv(attack.PROCESSEN_ENV, "2")
    gebruikt = []
    echt = attack.per_proces

    def spion(*args, **kwargs):
        uit = echt(*args, **kwargs)
        gebruikt.append(uit[1])
        return uit

    monkeypatch.setattr(attack, "per_proces", spion)
    return gebruikt


def test_the_engine_in_workers_chooses_what_it_chooses_in_one_process(monkeypatch, werkers):
    mart, gemeenten = twee_jaren(3, 8)
    monkeypatch.delenv(ENV, raising=False)
    parallel = bescherm(mart, gemeenten)
    assert werkers == [True]
    monkeypatch.setenv(attack.PROCESSEN_ENV, "1")
    werkers.clear()
    enkel = bescherm(mart, gemeenten)
    assert werkers == [False]
    assert parallel.filter(like="_vlag").notna().any().any()
    pd.testing.assert_frame_equal(parallel, enkel)


def test_the_audit_in_workers_finds_the_intervals_it_finds_in_one_process(tmp_path, werkers):
    mart, gemeenten = twee_jaren(3, 8)
    publiek = bescherm(mart, gemeenten)
    werkers.clear()

    spec = SPECIFICATIES["hermelding_regio_periode"]
    ouders = regio_ouders(mart, gemeenten)
    model = attack.bouw_model({"hermelding_regio_periode": (publiek, spec)}, ouders)
    anker = attack.bouw_model({"hermelding_regio_periode": (mart, spec)}, ouders).cellen["waarde"].to_numpy(float)
    getoond = model.cellen["waarde"].to_numpy(dtype=float)
    doelen = np.flatnonzero(np.isnan(getoond))
    uit = [attack.intervallen(model, getoond, 2, doelen, eis=10, anker=anker, memo=Memo(tmp_path / f"memo{n}"),
                              processen=n) for n in (2, 1)]
    assert werkers == [True, False]
    assert len(uit[0]) == len(doelen) > 0
    pd.testing.assert_frame_equal(uit[0], uit[1])


def logt_in_een_werker(taak):
    """Module level, so that a worker can run it: logs at two levels and returns its records as the engine does."""
    with attack.logs_kept() as records:
        logging.getLogger("hermelding.disclosure_milp").warning("block %s: stopped at the time limit", taak)
        logging.getLogger("hermelding.disclosure_milp").debug("block %s: detail", taak)
    return taak * 2, records


def test_what_a_worker_logs_is_logged_once_by_the_parent(monkeypatch, caplog):
    monkeypatch.setattr(attack, "PARALLEL_MIN_CELLEN", 0)
    with caplog.at_level(logging.INFO, logger="hermelding"):
        uit, in_werkers = attack.per_proces(logt_in_een_werker, [1, 2, 3], [1, 1, 1], 2)
        assert in_werkers and [u for u, _ in uit] == [2, 4, 6]
        # the worker itself logged nothing where the operator reads (its records came back with the results)
        assert "stopped at the time limit" not in caplog.text
        for _, records in uit:
            attack.log_again(logging.getLogger("hermelding.disclosure_milp"), records)
    meldingen = [r.getMessage() for r in caplog.records]
    assert meldingen == [f"block {i}: stopped at the time limit" for i in (1, 2, 3)]  # INFO level: no debug


def test_one_process_unless_there_is_enough_to_share():
    assert attack.per_proces(abs, [-1, -2], [10, 10], 2) == ([1, 2], False)  # too few cells for workers
    assert attack.per_proces(abs, [-1], [10**6], 2) == ([1], False)  # one block
    kernen = os.cpu_count() or 1
    assert attack.processen(0) == kernen and attack.processen(1) == 1
    assert attack.processen(10**6) == kernen  # more workers than cores gain nothing


def test_what_another_thread_logs_meanwhile_is_not_kept_with_this_block():
    """dbt runs two Python models in two threads: a warning of the other model must not be stored with this
    block's result (the memo would repeat it as this block's, every night)."""
    import threading

    logger = logging.getLogger("hermelding.disclosure_milp")
    with attack.logs_kept() as records:
        ander = threading.Thread(target=logger.warning, args=("another model's block: stopped at the time limit",))
        ander.start()
        ander.join()
        logger.warning("this block: stopped at the time limit")
    assert [tekst for _, tekst in records] == ["this block: stopped at the time limit"]
