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


def test_reports_versioned_serves_the_previous_minute_while_this_one_is_computed(vigie):
    cache = VersionedCache()
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "12:01"

    with vigie.db.engine.connect() as conn:
        assert cache.get(conn, ("overdue", "12:00"), lambda: "12:00") == "12:00"
    first: list[str] = []

    def ask_first() -> None:
        with vigie.db.engine.connect() as conn:
            first.append(cache.get(conn, ("overdue", "12:01"), slow, ("overdue", "12:00")))

    computing = threading.Thread(target=ask_first)
    computing.start()
    assert started.wait(5)
    with vigie.db.engine.connect() as conn:
        # Asked while the first request computes: the previous minute's answer, at once.
        assert cache.get(conn, ("overdue", "12:01"), lambda: "again", ("overdue", "12:00")) == "12:00"
        # Without a previous answer to stand in, nothing is served stale.
        assert cache.get(conn, ("due_soon", "12:01"), lambda: "due", ("due_soon", "12:00")) == "due"
    release.set()
    computing.join()
    with vigie.db.engine.connect() as conn:
        assert first == ["12:01"] and cache.get(conn, ("overdue", "12:01"), lambda: "again") == "12:01"
