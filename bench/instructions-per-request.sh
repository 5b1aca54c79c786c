#!/usr/bin/env bash
# Instructions the service's process executes per request: bench/inprocess.py run twice
# under valgrind's callgrind, with few and with more requests, the difference divided by
# the difference in requests (so start-up and warm-up cancel out). Counts move much less with
# what else the machine is doing than times do, though the interleaving of the database's
# answers still spreads one version's counts by a few per cent: run each version more than
# once. The database's own work is not counted. Used for before/after figures in
# docs/performance.md.
#
#   DATABASE_URL=postgresql+psycopg://…/db BENCH_TOKEN=kp_… BENCH_CODES=codes.txt \
#     bench/instructions-per-request.sh project|health|post [fewer] [more]
#
# Each run takes minutes: callgrind runs Python about fifty times slower.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?scenario}
fewer=${2:-160}
more=${3:-480}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
export LOG_LEVEL=warning DB_POOL_SIZE=10 PYTHONHASHSEED=0
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    .venv/bin/python bench/inprocess.py "$scenario" "$1" 1 2>&1 |
    grep -oP 'Collected : \K\d+'
}
a=$(count "$fewer")
b=$(count "$more")
echo "$scenario: $(((b - a) / (more - fewer))) instructions a request"
