"""Demo: `vigie demo` on a fresh database (migrated first, not timed), as a subprocess.

Target: ≤ 20 s on a fresh SQLite database. Baseline in the same run: a fresh Python
process that creates a one-table database and inserts as many rows through
SQLAlchemy on the same backend (bench/baseline_app.py bulk-insert), printed as a ratio.

    .venv/bin/python bench/bench_demo.py
    .venv/bin/python bench/bench_demo.py --backend postgres
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time

from common import (
    BENCH,
    PG_PREFIX,
    PYTHON,
    RESULTS,
    VIGIE,
    add_backend_arg,
    banner,
    count_rows,
    fresh_database,
    log,
    pg_recreate,
    ratio,
    reproduce,
    save_result,
    verdict,
    vigie_env,
)

TARGET_S = 20.0


def timed_run(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    elapsed = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return elapsed, out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backend_arg(parser)
    parser.add_argument("--timeout", type=float, default=170, help="give up after this many s")
    args = parser.parse_args()

    url, data_dir = fresh_database(args.backend, "demo")
    env = vigie_env(url, data_dir, 0)
    log(f"vigie demo on a fresh {args.backend} database")
    demo_s, stdout = timed_run([str(VIGIE), "demo"], env, args.timeout)
    reports = count_rows(url, "reports")
    startup_s, _ = timed_run([str(VIGIE), "--help"], env, 60)

    if args.backend == "sqlite":
        base_file = RESULTS / "run" / "demo-baseline.db"
        for suffix in ("", "-wal", "-shm"):
            base_file.with_name(base_file.name + suffix).unlink(missing_ok=True)
        base_url = f"sqlite:///{base_file.as_posix()}"
    else:
        base_url = pg_recreate(f"{PG_PREFIX}_baseline")
    log(f"baseline: a fresh process inserting {reports} rows")
    base_s, _ = timed_run(
        [
            str(PYTHON),
            str(BENCH / "baseline_app.py"),
            "bulk-insert",
            "--url",
            base_url,
            "--count",
            str(reports),
        ],
        dict(os.environ),
        args.timeout,
    )

    banner(f"vigie demo, fresh {args.backend} database")
    print(f"vigie demo                 {demo_s:7.2f} s  ({reports} reports created)")
    print(f"baseline ({reports} inserts)   {base_s:7.2f} s  — ratio {ratio(demo_s, base_s)}")
    print(f"vigie --help (start-up)    {startup_s:7.2f} s  (reference)")
    print(f"target ≤ {TARGET_S:.0f} s: {verdict(demo_s <= TARGET_S)} ({demo_s:.2f} s)")
    print(
        "demo output: " + " | ".join(line for line in stdout.splitlines() if line.startswith("demo reports"))
    )
    saved = save_result(
        f"bench_demo-{args.backend}",
        {
            "demo_s": demo_s,
            "baseline_s": base_s,
            "startup_s": startup_s,
            "reports": reports,
            "args": vars(args),
        },
    )
    print(f"reproduce: {reproduce('bench_demo.py')}")
    print(f"raw results: {saved.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
