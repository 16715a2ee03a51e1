#!/usr/bin/env bash
# Measures the worst single-command latency while loading many keys, to
# show that the main hash table grows incrementally (no whole-table rehash
# stalls). Loads N keys (default 10,000,000) with redis-benchmark into
# Lodestone and, for comparison, redis-server, with the latency monitor
# recording every command slower than 1 ms, then prints each server's
# worst observed command latency (LATENCY LATEST) and the client-side max.
#
# Usage: scripts/load-latency.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000000}
PORT_L=${PORT_L:-7301}
PORT_R=${PORT_R:-7302}
cargo build --release -q -p lodestone-server
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
tmp=$(mktemp -d)
./target/release/lodestone-server --port "$PORT_L" --save '' --dir "$tmp" --latency-monitor-threshold 1 >/dev/null &
pids+=($!)
if command -v redis-server >/dev/null; then
  redis-server --port "$PORT_R" --save '' --appendonly no --dir "$tmp" --latency-monitor-threshold 1 >/dev/null &
  pids+=($!)
  ports="$PORT_L $PORT_R"
else
  echo "redis-server not installed: measuring Lodestone only"
  ports="$PORT_L"
fi
sleep 1
for port in $ports; do
  name=$([ "$port" = "$PORT_L" ] && echo lodestone || echo redis-server)
  out=$(redis-benchmark -p "$port" -t set -n "$N" -r 100000000000 -d 3 -P 16 -c 50 -q --precision 3 2>&1 | tr '\r' '\n' | grep -a "requests per second" | tail -1)
  keys=$(redis-cli -p "$port" dbsize)
  worst=$(redis-cli -p "$port" latency latest | awk 'NR%4==3' | sort -n | tail -1)
  echo "$name: keys=$keys; worst server-side command latency: ${worst:-<1} ms (LATENCY LATEST, threshold 1 ms); client: $out"
done
