"""Answers kept until the reports change, computed once however many ask at the same time."""

from __future__ import annotations

import threading
import time

import pytest

from tests.reports.helpers import submit_report
from vigie.reports.versioned import VersionedCache


def test_reports_versioned_computes_an_answer_once_for_concurrent_askers(vigie):
    cache = VersionedCache()
    calls: list[int] = []
    answers: list[int] = []

    def compute() -> int:
        calls.append(1)
        time.sleep(0.2)  # long enough for every asker to arrive while it runs
        return 42

    def ask() -> None:
        with vigie.db.engine.connect() as conn:
            answers.append(cache.get(conn, "city map", compute))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [42] * 6 and len(calls) == 1


def test_reports_versioned_computes_again_after_a_change_and_after_a_failure(vigie):
    cache = VersionedCache()
    values = iter([1, 2])

    def failing() -> int:
        raise RuntimeError("database gone")

    with vigie.db.engine.connect() as conn:
        with pytest.raises(RuntimeError):
            cache.get(conn, "count", failing)
        assert cache.get(conn, "count", lambda: next(values)) == 1
        assert cache.get(conn, "count", lambda: next(values)) == 1
    submit_report(vigie)
    with vigie.db.engine.connect() as conn:
        assert cache.get(conn, "count", lambda: next(values)) == 2
