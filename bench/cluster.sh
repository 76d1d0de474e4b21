#!/usr/bin/env bash
# Several instances (README, "Several instances"): three release servers on one fresh
# PostgreSQL database, HAProxy in front with the shipped deploy/haproxy.cfg, and
# hoithi-load's phones spread over the balancers. Prints the generator's JSON line.
#
#   bench/cluster.sh PHONES TEAMS [QUESTIONS] [WINDOW_MS] [READING_S]
#   BENCH_BALANCERS=2 bench/cluster.sh 18000 3600 5 1000 1   # two HAProxy processes
#   BENCH_BALANCERS=0 bench/cluster.sh 18000 3600 5 1000 1   # phones straight to the instances
#   BENCH_KEEP=1 …    # keeps the instances' logs and the database
#
# One HAProxy process holds two descriptors per phone, and no process here may open more
# than `ulimit -Hn` (20,000 on the benchmark machine): BENCH_BALANCERS (default 2) HAProxy
# processes share the phones, as a hall's DNS round robin over two balancers would.
# Every process shares the machine's cores (no pinning: there are five of them).
#
# Build first: cargo build --release --workspace
set -euo pipefail
cd "$(dirname "$0")/.."
phones=${1:?phones}; teams=${2:?teams}
questions=${3:-10}; window=${4:-1000}; reading=${5:-0}
balancers=${BENCH_BALANCERS:-2}
base=${BENCH_PORT:-18680}
pw=bench-password-123
secret=bench-cluster-signing-secret-0123456789abcdef
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/hoithi-cluster.XXXX)
name="hoithi_cluster_$$"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
url="postgres://postgres@127.0.0.1:5432/$name"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "${BENCH_KEEP:-}" ]; then
    echo "logs kept in $work, database $name kept" >&2
  else
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1 || true
    rm -rf "$work"
  fi
}
trap cleanup EXIT
ready() { for _ in $(seq 1 600); do curl -sf "$1/readyz" >/dev/null && return 0; sleep 0.1; done; echo "$1 never became ready" >&2; exit 1; }

servers=(); instance_urls=()
for i in 1 2 3; do
  port=$((base + i)); mkdir -p "$work/instance-$i"
  HOITHI_LOG=${HOITHI_LOG:-warn} HOITHI_ADMIN_PASSWORD=$pw HOITHI_JWT_SECRET=$secret HOITHI_BACKUP_EVERY_MIN=0 \
    DATABASE_URL=$url "${BENCH_BIN:-target/release/hoithi}" --bind 127.0.0.1:$port --data-dir "$work/instance-$i" \
    --trusted-proxy 127.0.0.1 > "$work/instance-$i/server.log" 2>&1 &
  pids+=($!); servers+=($!)
  instance_urls+=("http://127.0.0.1:$port")
  ready "http://127.0.0.1:$port"   # one after the other: the first migrates and loads the banks
done

phone_urls=("${instance_urls[@]}")
if [ "$balancers" -gt 0 ]; then
  phone_urls=()
  for b in $(seq 1 "$balancers"); do
    lb=$((base - b))
    sed -e "s/    bind :80/    bind 127.0.0.1:$lb/" \
        -e "s/127.0.0.1:8081/127.0.0.1:$((base + 1))/" -e "s/127.0.0.1:8082/127.0.0.1:$((base + 2))/" \
        -e "s/127.0.0.1:8083/127.0.0.1:$((base + 3))/" deploy/haproxy.cfg > "$work/haproxy-$b.cfg"
    haproxy -db -f "$work/haproxy-$b.cfg" > "$work/haproxy-$b.log" 2>&1 &
    pids+=($!)
    phone_urls+=("http://127.0.0.1:$lb")
  done
  for u in "${phone_urls[@]}"; do ready "$u"; done
  sleep 2.5   # HAProxy counts a server up after two checks a second apart
fi
join() { local IFS=,; echo "$*"; }
target/release/hoithi-load --url "${phone_urls[0]}" --urls "$(join "${phone_urls[@]}")" --phones "$phones" --teams "$teams" \
  --questions "$questions" --window-ms "$window" --reading-s "$reading" --admin-user admin --admin-password "$pw" \
  --server-pid "$(join "${servers[@]}")" --mode "${BENCH_MODE:-quiz}"
