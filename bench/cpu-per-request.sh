#!/usr/bin/env bash
# Server CPU per request: `portfolio serve` on DATABASE_URL under wrk, the user and system
# CPU time of its processes (and of the local PostgreSQL server's) divided by the requests
# answered. Used for the before/after figures of docs/performance.md ("The lean hot path").
#
#   DATABASE_URL=postgresql+psycopg://…/db BENCH_TOKEN=kp_… BENCH_CODES=codes.txt \
#     bench/cpu-per-request.sh project|page|rollup|cross|post|health [connections] [seconds]
#
# BENCH_WORKERS (default 1) sets `--workers`; the service's figure sums the supervisor and
# its workers. The PostgreSQL figure sums every `postgres` process on this host, so it
# holds only while nothing else uses the server.
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
.venv/bin/portfolio serve --port "$port" --workers "${BENCH_WORKERS:-1}" >/dev/null 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$base/healthz" >/dev/null || { echo "the service did not start on $base" >&2; exit 1; }
wrk -t2 -c"$connections" -d2s "${args[@]}" >/dev/null  # warm-up
sum_ticks() { for pid in "$@"; do awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || true; done | awk '{s += $1} END {print s + 0}'; }
ticks() { sum_ticks "$server" $(pgrep -P "$server"); }
pg_ticks() { sum_ticks $(pgrep -x postgres); }
before=$(ticks) pg_before=$(pg_ticks)
out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "${args[@]}")
after=$(ticks) pg_after=$(pg_ticks)
requests=$(grep -oP '^\s*\K\d+(?= requests in)' <<<"$out")
rate=$(grep -oP 'Requests/sec:\s*\K[\d.]+' <<<"$out")
p50=$(grep -oP '^\s+50%\s+\K\S+' <<<"$out")
errors=$(grep -oP 'Non-2xx or 3xx responses: \K\d+' <<<"$out" || echo 0)
hz=$(getconf CLK_TCK)
per_request() { python3 -c "print(round(($2 - $1) * 1000 / $hz / $requests, 2))"; }
cpu=$(per_request "$before" "$after")
pg_cpu=$(per_request "$pg_before" "$pg_after")
echo "$scenario c=$connections workers=${BENCH_WORKERS:-1}: $rate req/s, p50 $p50," \
  "non-2xx $errors, server CPU $cpu ms/request, PostgreSQL CPU $pg_cpu ms/request"
