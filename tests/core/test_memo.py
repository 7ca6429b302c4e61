"""The memo computes each key once, even when many threads ask at the same moment."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from dashboard.core.memo import Memo
from dashboard.core.query import FILTER_MEMO_SIZE, View, filter_events
from dashboard.io.formats import load_timeline


def test_concurrent_requests_for_one_key_compute_it_once():
    memo = Memo(4)
    calls = []
    started = threading.Barrier(8)

    def compute():
        calls.append(1)
        time.sleep(0.2)
        return "value"

    def ask(_):
        started.wait()
        return memo.get("k", compute)

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(ask, range(8))) == ["value"] * 8
    assert len(calls) == 1


def test_least_recently_used_results_are_forgotten():
    memo = Memo(2)
    memo.get("a", lambda: 1)
    memo.get("b", lambda: 2)
    memo.get("a", lambda: 99)  # a is used again: b is now the oldest
    memo.get("c", lambda: 3)
    assert memo.get("a", lambda: 99) == 1 and memo.get("b", lambda: 22) == 22 and len(memo) == 2


def test_a_failed_computation_is_not_remembered_and_others_retry():
    memo = Memo(2)
    with pytest.raises(ValueError):
        memo.get("k", lambda: (_ for _ in ()).throw(ValueError("no")))
    assert memo.get("k", lambda: 5) == 5


def test_filters_share_the_memo_bounded(small_csv):
    tl = load_timeline(small_csv)
    first = filter_events(tl, View(text="treaty"))
    assert filter_events(tl, View(text="TREATY  treaty")) is first  # the same search, remembered
    for year in range(1800, 1800 + 3 * FILTER_MEMO_SIZE):
        filter_events(tl, View(start=str(year)))
    assert len(tl.memo["filters"]) == FILTER_MEMO_SIZE
    assert isinstance(first, np.ndarray)
