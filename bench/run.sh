#!/usr/bin/env bash
# One benchmark run: a fresh database, the release server pinned to core 0, the load
# generator pinned to core 1. Prints the generator's JSON line.
#
#   bench/run.sh sqlite|postgres PHONES TEAMS [QUESTIONS] [WINDOW_MS] [READING_S]
#   BENCH_MODE=buzzer bench/run.sh sqlite 1000 200 5 50    # the buzzer part
#   BENCH_MODE=elimination bench/run.sh sqlite 10000 2000 10 1000 1    # an elimination part
#   BENCH_WORKERS=2 BENCH_SERVER_CPUS=0,1 BENCH_LOAD_CPUS=0,1 bench/run.sh sqlite 19000 3800 5 1000 1
#                                     # two HTTP workers (the sharded fan-out), cores shared;
#                                     # BENCH_BIN=path runs another build of the server
#                                     # (BENCH_LOAD_BIN another generator)
#
# Build first: cargo build --release --workspace
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:?sqlite or postgres}; phones=${2:?phones}; teams=${3:?teams}
questions=${4:-10}; window=${5:-1000}; reading=${6:-0}
port=${BENCH_PORT:-18480}
pw=bench-password-123
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/hoithi-bench.XXXX)
case "$db" in
  sqlite) url="sqlite://$work/hoithi.db?mode=rwc" ;;
  postgres)
    name="hoithi_bench_$$"
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    url="postgres://postgres@127.0.0.1:5432/$name" ;;
  *) echo "unknown database $db" >&2; exit 2 ;;
esac
HOITHI_LOG=${HOITHI_LOG:-warn} HOITHI_ADMIN_PASSWORD=$pw DATABASE_URL=$url \
  taskset -c "${BENCH_SERVER_CPUS:-0}" "${BENCH_BIN:-target/release/hoithi}" ${BENCH_WORKERS:+--workers "$BENCH_WORKERS"} --bind 127.0.0.1:$port --data-dir "$work" > "${BENCH_LOG:-$work/server.log}" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; [ "$db" = postgres ] && psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
taskset -c "${BENCH_LOAD_CPUS:-1}" "${BENCH_LOAD_BIN:-target/release/hoithi-load}" --url "http://127.0.0.1:$port" --phones "$phones" --teams "$teams" \
  --questions "$questions" --window-ms "$window" --reading-s "$reading" --admin-user admin --admin-password "$pw" --server-pid "$server" \
  --mode "${BENCH_MODE:-quiz}"
