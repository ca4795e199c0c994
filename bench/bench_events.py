"""The message bus on a report's intake (issue 15, "events after commit"): what it adds.

Intake publishes through ``Vigie.messages`` (the subscribers wired by
``vigie.bootstrap``) where it used to call the live bus and the alarms itself.
Measured in process on a real platform (SQLite file, the Dijon profile and its
alarm rules), per report, best of three rounds:

1. after commit: ``messages.publish([report.created, ReportCreated])`` against
   the direct calls it replaced (``bus.publish`` then the alarms' link of a new
   report), for a pothole (no alarm rule links it: no database work);
2. the one-statement test: ``messages.needs_transaction(ReportCreated)``
   against the direct ``notifications.actions.creation_announced``;
3. for scale, a whole ``do_submit_report`` (check, insert, commit, publish).

    .venv/bin/python bench/bench_events.py             # --n 20000 --reports 2000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from vigie.alarms.actions import on_report_created  # noqa: E402
from vigie.bootstrap import build_vigie  # noqa: E402
from vigie.events.changes import ReportCreated  # noqa: E402
from vigie.migrate import upgrade  # noqa: E402
from vigie.notifications.actions import creation_announced  # noqa: E402
from vigie.reports.actions import report_event  # noqa: E402
from vigie.reports.intake import Submission, check_submission, do_submit_report  # noqa: E402
from vigie.settings import Settings  # noqa: E402


def per_call_us(fn: Callable[[], object], n: int) -> float:
    """Wall time per call in microseconds, best of three rounds (the machine is shared)."""
    rounds = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - start) / n * 1e6)
    return min(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="calls per round of the dispatch figures")
    parser.add_argument("--reports", type=int, default=2_000, help="reports per round of the intake figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        settings = Settings(
            database_url=url, data_dir=Path(tmp), environment="development", notify_transport="file"
        )
        v = build_vigie(settings)
        try:
            run(v, args.n, args.reports)
        finally:
            v.db.dispose()


def run(v, n: int, reports: int) -> None:  # type: ignore[no-untyped-def]
    sub = Submission(
        service_code="nid-de-poule",
        channel="web",
        description="Trou profond",
        lat=47.3220,
        long=5.0415,
        attributes={"danger_immediat": "non"},
        reporter_email="habitant@example.org",
    )
    row, _ = do_submit_report(v, check_submission(v, sub))
    event = report_event(v, "report.created", row)

    def through_bus() -> None:
        v.messages.publish([event, ReportCreated(row)])

    def direct() -> None:
        v.bus.publish([event])
        on_report_created(v, row.id, row.service_code, row.service_group)

    bus_us, direct_us = per_call_us(through_bus, n), per_call_us(direct, n)
    need_us = per_call_us(lambda: v.messages.needs_transaction(ReportCreated(row)), n)
    announced_us = per_call_us(lambda: creation_announced(v, row), n)
    intake_us = per_call_us(lambda: do_submit_report(v, check_submission(v, sub)), reports)
    added = (bus_us - direct_us) + (need_us - announced_us)
    print(
        f"after commit   bus {bus_us:7.2f} µs   direct calls {direct_us:7.2f} µs"
        f"   ratio {bus_us / direct_us:5.2f}x"
    )
    print(
        f"one-statement  needs_transaction {need_us:7.2f} µs   creation_announced {announced_us:7.2f} µs"
        f"   ratio {need_us / announced_us:5.2f}x"
    )
    print(f"whole intake   do_submit_report {intake_us:8.1f} µs per report (SQLite, one at a time)")
    print(f"the bus adds {added:+.2f} µs per report: {added / intake_us:+.2%} of a report's intake")


if __name__ == "__main__":
    main()
