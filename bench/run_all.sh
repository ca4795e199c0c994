#!/usr/bin/env bash
# Run every benchmark on SQLite, then on PostgreSQL (skipped when it is unreachable).
#   bench/run_all.sh            # both backends
#   bench/run_all.sh sqlite     # one backend
# Prerequisites: .venv with the dev extras (datasette), wrk (apt-get install -y wrk),
# and for PostgreSQL a server at BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432).
# The full log goes to bench/results/run_all-<date>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
command -v wrk >/dev/null || { echo "wrk is required: apt-get update && apt-get install -y wrk" >&2; exit 1; }
backends=("${@:-sqlite postgres}")
read -r -a backends <<<"${backends[*]}"
mkdir -p bench/results
log="bench/results/run_all-$(date +%Y%m%d-%H%M%S).log"
{
  echo "run_all started $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  $PY bench/bench_procedures.py
  for b in "${backends[@]}"; do
    if [ "$b" = postgres ] && ! $PY -c "import sys; sys.path.insert(0, 'bench'); import common; common.pg_version() != 'unreachable' or sys.exit(1)"; then
      echo "PostgreSQL unreachable: skipping the postgres runs"; continue
    fi
    $PY bench/bench_demo.py --backend "$b"
    $PY bench/bench_intake.py --backend "$b"
    $PY bench/bench_sse.py --backend "$b"
    $PY bench/bench_query.py --backend "$b"
  done
  echo "run_all finished $(date -u '+%Y-%m-%d %H:%M UTC')"
} 2>&1 | tee "$log"
