#!/usr/bin/env bash
# Failover (README, "Several instances"): three release servers on one fresh PostgreSQL
# database behind HAProxy (the shipped deploy/haproxy.cfg); the instance running the
# contest's engine is killed with SIGKILL mid-question KILLS times. Prints hoithi-failover's
# JSON line: takeover, phones back on the question and answers acknowledged again, per kill.
#
#   bench/failover.sh [KILLS] [PHONES] [TEAMS]
#
# Build first: cargo build --release --workspace
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-10}; phones=${2:-300}; teams=${3:-100}
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/hoithi-failover.XXXX)
name="hoithi_failover_$$"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
trap 'psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1 || true; [ -n "${BENCH_KEEP:-}" ] && echo "logs kept in $work" >&2 || rm -rf "$work"' EXIT
target/release/hoithi-failover --database-url "postgres://postgres@127.0.0.1:5432/$name" \
  --server-bin "${BENCH_BIN:-target/release/hoithi}" --work-dir "$work" \
  --kills "$kills" --phones "$phones" --teams "$teams"
