#!/usr/bin/env bash
# PostgreSQL alone: the statements of a progress report (bench/pgbench/report.sql) sent by
# pgbench, a C client, so the figure is the database's ceiling on this machine with nothing
# of the service in front. It writes: run it on a scratch database (a `portfolio synth` one),
# and it deletes the entries it added afterwards.
#
#   bench/report-ceiling.sh postgresql://postgres@127.0.0.1:5432/db [clients] [seconds]
set -euo pipefail
cd "$(dirname "$0")"
url=${1:?database URL (postgresql://…)}
clients=${2:-16}
seconds=${3:-10}
max_id=$(psql "$url" -Atc "SELECT max(id) FROM project")
for protocol in prepared extended; do
  out=$(pgbench "$url" -n -f pgbench/report.sql -D max_project_id="$max_id" \
    -c "$clients" -j 2 -T "$seconds" -M "$protocol")
  tps=$(grep -oP 'tps = \K[\d.]+' <<<"$out")
  latency=$(grep -oP 'latency average = \K[\d.]+' <<<"$out")
  echo "report transaction, $protocol protocol, c=$clients: $tps per second, mean latency $latency ms"
done
psql "$url" -qc "DELETE FROM progress_entry WHERE reporter_name = 'pgbench'"
