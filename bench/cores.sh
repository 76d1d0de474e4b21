#!/usr/bin/env bash
# One contest on every core (issue 17's target: delivery p99 at 19,000 phones on 8 cores at
# most half the 2-core figure). The same build, on SQLite, with W HTTP workers pinned to
# cores 0..W-1 and the generator on core W, for each W in BENCH_CORES (default "2 8"),
# REPS times each, alternating. Prints one line per run.
#
#   bench/cores.sh [PHONES] [REPS]             # default 19000 phones, 2 runs per W
#   BENCH_CORES="1" bench/cores.sh 2000 1       # a quick check of the script itself
#
# Needs max(W)+1 cores. Build first: cargo build --release --workspace (or set BENCH_BIN
# and BENCH_LOAD_BIN to stripped copies, as on a borrowed machine).
set -euo pipefail
cd "$(dirname "$0")/.."
phones=${1:-19000}; reps=${2:-2}
cores=${BENCH_CORES:-2 8}
teams=$((phones / 5))
max=0; for w in $cores; do [ "$w" -gt "$max" ] && max=$w; done
have=$(nproc)
if [ "$have" -le "$max" ]; then
  echo "bench/cores.sh: needs $((max + 1)) cores (workers on 0..$((max - 1)), the generator on $max); this machine has $have" >&2
  exit 2
fi
field() { grep -o "\"$1\":[0-9.]*" <<<"$2" | head -n1 | cut -d: -f2; }
echo "workers phones delivery_p50_ms delivery_p99_ms ack_p99_ms board_p99_ms received_after_open acked stored errors server_cpu_s"
for rep in $(seq 1 "$reps"); do
  for w in $cores; do
    out=$(BENCH_WORKERS=$w BENCH_SERVER_CPUS=0-$((w - 1)) BENCH_LOAD_CPUS=$w BENCH_PORT=$((18480 + w)) \
      bench/run.sh sqlite "$phones" "$teams" 5 1000 1 2>/dev/null | tail -n1)
    echo "$w $phones $(field delivery_p50_ms "$out") $(field delivery_p99_ms "$out") $(field ack_p99_ms "$out")" \
      "$(field scoreboard_after_close_p99_ms "$out") $(field received_after_open "$out") $(field answers_acked "$out")" \
      "$(field answers_stored "$out") $(field errors "$out") $(field server_cpu_s "$out")"
  done
done
