#!/usr/bin/env bash
# Server CPU per request: `portfolio serve` on DATABASE_URL under wrk, the worker's user and
# system CPU time divided by the requests answered. Used for the before/after figures of
# docs/performance.md ("The lean hot path"); with one worker the figure is exact.
#
#   DATABASE_URL=postgresql+psycopg://…/db BENCH_TOKEN=kp_… BENCH_CODES=codes.txt \
#     bench/cpu-per-request.sh project|page|rollup|cross|post|health [connections] [seconds]
#
# BENCH_CODES names a file of project codes, one a line; `post` also needs BENCH_DATES, a
# file of dates (YYYY-MM-DD) to report on.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?scenario}
connections=${2:-16}
seconds=${3:-6}
port=${BENCH_PORT:-8101}
base="http://127.0.0.1:$port"
case $scenario in
  project) args=(-s bench/wrk/get_project.lua "$base") ;;
  page) args=(-s bench/wrk/get.lua "$base/api/v1/projects?limit=50") ;;
  rollup) args=(-s bench/wrk/get.lua "$base/api/v1/rollups?by=park") ;;
  cross) args=(-s bench/wrk/get.lua "$base/api/v1/rollups?by=park,category") ;;
  post) args=(-s bench/wrk/post_report.lua "$base") ;;
  health) args=(-s bench/wrk/get.lua "$base/healthz") ;;
  *) echo "unknown scenario $scenario" >&2; exit 2 ;;
esac
export BENCH_WRK_DIR=$PWD/bench/wrk LOG_LEVEL=warning DB_POOL_SIZE=10
export RATE_LIMIT_WRITES=1000000/minute RATE_LIMIT_EXPORTS=1000000/minute
.venv/bin/portfolio serve --port "$port" --workers 1 >/dev/null 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
wrk -t2 -c"$connections" -d2s "${args[@]}" >/dev/null  # warm-up
ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
before=$(ticks)
out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "${args[@]}")
after=$(ticks)
requests=$(grep -oP '^\s*\K\d+(?= requests in)' <<<"$out")
rate=$(grep -oP 'Requests/sec:\s*\K[\d.]+' <<<"$out")
p50=$(grep -oP '^\s+50%\s+\K\S+' <<<"$out")
errors=$(grep -oP 'Non-2xx or 3xx responses: \K\d+' <<<"$out" || echo 0)
hz=$(getconf CLK_TCK)
cpu=$(python3 -c "print(round(($after - $before) * 1000 / $hz / $requests, 2))")
echo "$scenario c=$connections: $rate req/s, p50 $p50, non-2xx $errors, server CPU $cpu ms/request"
