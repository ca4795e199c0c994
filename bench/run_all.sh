#!/usr/bin/env bash
# Run every benchmark on SQLite, then on PostgreSQL (skipped when it is unreachable).
#   bench/run_all.sh            # both backends
#   bench/run_all.sh sqlite     # one backend
# Prerequisites: .venv with the dev extras (datasette), wrk (apt-get install -y wrk),
# and for PostgreSQL a server at BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432).
# The full log goes to bench/results/run_all-<date>.log.
# BENCH_WAIT_QUIET=1.0 waits (at most 10 min) before each script until the
# 1-minute load average is below that value, for machines shared with other work.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
command -v wrk >/dev/null || { echo "wrk is required: apt-get update && apt-get install -y wrk" >&2; exit 1; }
backends=("${@:-sqlite postgres}")
read -r -a backends <<<"${backends[*]}"
mkdir -p bench/results
log="bench/results/run_all-$(date +%Y%m%d-%H%M%S).log"
quiet() {
  [ -n "${BENCH_WAIT_QUIET:-}" ] || return 0
  for _ in $(seq 120); do
    awk -v max="$BENCH_WAIT_QUIET" '{exit !($1 < max)}' /proc/loadavg && return 0
    sleep 5
  done
  echo "load average still $(cut -d' ' -f1-3 /proc/loadavg) after 10 min; going on"
}
{
  echo "run_all started $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  quiet; $PY bench/bench_procedures.py
  for b in "${backends[@]}"; do
    if [ "$b" = postgres ] && ! $PY -c "import sys; sys.path.insert(0, 'bench'); import common; common.pg_version() != 'unreachable' or sys.exit(1)"; then
      echo "PostgreSQL unreachable: skipping the postgres runs"; continue
    fi
    quiet; $PY bench/bench_demo.py --backend "$b"
    quiet; $PY bench/bench_intake.py --backend "$b"
    quiet; $PY bench/bench_sse.py --backend "$b"
    quiet; $PY bench/bench_ingest.py --backend "$b"
    quiet; $PY bench/bench_geojson.py --backend "$b"
    quiet; $PY bench/bench_query.py --backend "$b"
  done
  echo "run_all finished $(date -u '+%Y-%m-%d %H:%M UTC')"
} 2>&1 | tee "$log"
