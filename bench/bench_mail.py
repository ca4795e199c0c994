"""The e-mail policy's cost on the hot path (issues 14 §5 and 15): reports and status changes.

In process, through the use cases (no HTTP), on one backend per run:

1. A resident's report, against a baseline measured in the same run: the same
   report without an address (before the policy, a Dijon report with an address
   cost the same: nothing was queued at creation). With an address it now gets
   a receipt: the address's consent is looked up, a row written, the daily cap
   of an unconfirmed address counted (the limits seam) and the receipt queued.
   Measured for a new address (unconfirmed) and for one that confirmed before.
2. A status change told to the reporter and three followers (all confirmed),
   against the same change with e-mail off (``notify_transport=none``): the
   consents, the history read that keeps statuses from going backwards, the
   digest window's look-up of waiting updates, and the four messages.

    .venv/bin/python bench/bench_mail.py                      # SQLite file
    .venv/bin/python bench/bench_mail.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_x

The PostgreSQL database given is emptied and migrated (it gets Vigie's tables).
Each figure is the best of 3 rounds (the machine is shared).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import create_engine, text  # noqa: E402

from vigie.accounts.actions import do_add_user  # noqa: E402
from vigie.bootstrap import build_vigie  # noqa: E402
from vigie.migrate import upgrade  # noqa: E402
from vigie.notifications.consent import CONFIRM, do_confirm, link_code  # noqa: E402
from vigie.reports.actions import do_acknowledge, do_follow  # noqa: E402
from vigie.reports.intake import Submission, check_submission, do_submit_report  # noqa: E402
from vigie.runtime import Vigie  # noqa: E402
from vigie.settings import Settings  # noqa: E402

COUNTER = iter(range(10_000_000))


def per_call_ms(fn: Callable[[], object], n: int) -> float:
    rounds = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - start) / n * 1e3)
    return min(rounds)


def platform(url: str, data_dir: Path, **over: object) -> Vigie:
    values: dict[str, object] = {
        "environment": "test",
        "data_dir": data_dir,
        "database_url": url,
        "background_services": False,
        "anonymous_rate_limit": 0,
        "notify_transport": "file",
    }
    values.update(over)
    return build_vigie(Settings(**values))  # type: ignore[arg-type]


def report(v: Vigie, email: str = "") -> int:
    sub = Submission(
        service_code="nid-de-poule",
        channel="web",  # type: ignore[arg-type]
        description="Trou profond devant la boulangerie",
        lat=47.3220,
        long=5.0415,
        attributes={"danger_immediat": "non"},
        reporter_email=email,
        reporter_lang="fr",
    )
    row, _ = do_submit_report(v, check_submission(v, sub))
    return row.id


def confirm(v: Vigie, token: str) -> None:
    do_confirm(v, token, link_code(v.settings.secret_key, CONFIRM, token))


def run(url: str, data_dir: Path, n: int) -> None:
    v = platform(url, data_dir)
    off = platform(url, data_dir, notify_transport="none")
    try:
        # A confirmed address, for reports made by someone Vigie already knows.
        from vigie.reports.actions import get_report

        known = "known@example.org"
        confirm(v, get_report(v, report(v, known)).token)

        base = per_call_ms(lambda: report(v), n)
        new = per_call_ms(lambda: report(v, f"r{next(COUNTER)}@example.org"), n)
        again = per_call_ms(lambda: report(v, known), n)
        print(f"  report without an address (baseline)   {base:7.2f} ms")
        print(f"  report, new address: receipt          {new:7.2f} ms   ratio {new / base:5.2f}x")
        print(f"  report, confirmed address: receipt    {again:7.2f} ms   ratio {again / base:5.2f}x")

        operator = do_add_user(v.db, f"op{next(COUNTER)}@vigie.example", "operator", "pw-bench-123456")

        def told_report() -> int:
            rid = report(v, known)
            for j in range(3):
                _, token = do_follow(v, rid, email=f"f{next(COUNTER)}-{j}@example.org")
                confirm(v, token)
            return rid

        def change_cost(platform_: Vigie) -> float:
            ids = [told_report() for _ in range(n * 3)]
            it = iter(ids)
            return per_call_ms(lambda: do_acknowledge(platform_, next(it), operator), n)

        silent = change_cost(off)
        told = change_cost(v)
        print(f"  status change, e-mail off (baseline)  {silent:7.2f} ms")
        print(f"  status change told to 4 (digest 10m)  {told:7.2f} ms   ratio {told / silent:5.2f}x")
    finally:
        for p in (v, off):
            if p.limits is not None:
                p.limits.close()
            p.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200, help="reports (or changes) per round")
    parser.add_argument("--pg-url", default="")
    args = parser.parse_args()
    print(f"reproduce: {' '.join(sys.argv)}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.pg_url:
            engine = create_engine(args.pg_url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
            url = args.pg_url
            print("postgresql")
        else:
            url = f"sqlite:///{tmp}/vigie.db"
            print("sqlite")
        upgrade(url)
        run(url, Path(tmp) / "data", args.reports)
    print(f"each figure: the best of 3 rounds of {args.reports} calls")


if __name__ == "__main__":
    main()
