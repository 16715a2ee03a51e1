#!/usr/bin/env bash
# Throughput, CPU cost and memory of Lodestone next to redis-server.
#
# Both servers run with the same settings (no persistence, loopback, ports
# BASE and BASE+1), each pinned to CPU 1 while redis-benchmark runs on CPU 0,
# so the server under test never competes with the load generator. Each row
# of the throughput table runs on the two servers alternately for ROUNDS
# rounds and reports the median; CPU time per operation comes from the
# server's utime+stime in /proc/<pid>/stat around each run. Then a dataset is
# loaded into each server and used_memory / RSS are compared.
#
# Usage: scripts/bench.sh            (environment knobs below)
#   ROUNDS=3            rounds per row (median is reported)
#   REQUESTS=200000     requests per run at -P 1 (scaled up for pipelines)
#   CLIENTS=50          redis-benchmark -c
#   KEYSPACE=100000     redis-benchmark -r for rows that randomize keys
#   BASE_PORT=17400     Lodestone on BASE_PORT, redis-server on BASE_PORT+1
#   REDIS_SERVER=redis-server  the reference server binary
#   SKIP_BUILD=1        use the existing target/release binary
#   ONLY=REGEX          run only the throughput rows whose name matches
#   SKIP_MEMORY=1       skip the memory datasets
#   ONLY_DATASETS=REGEX load only the memory datasets whose name matches
#   LODESTONE_BIN=PATH  the Lodestone binary (default target/release)
#   SKIP_AOF=1          skip the SET rows with appendonly yes (everysec)
#   SKIP_PERSISTENCE=1  skip the persistence measurements
#   PERSIST_DATASETS="strings_1m hashes_100k zset_1m"  data set saved and
#                       reloaded by the persistence measurements
#
# To add a benchmark row, append "NAME|redis-benchmark arguments" to ROWS
# (a -t test or a custom command after the options). To add a memory
# dataset, write a function dataset_NAME that prints RESP commands on stdout
# and append NAME to DATASETS.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
BASE_PORT=${BASE_PORT:-17400}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
PIPELINES=(1 16)

# The lock-release script of the distributed-lock pattern (delete the lock
# only if it still holds our token); SCRIPT LOADed into both servers, and
# run by SHA like clients do.
LOCK_RELEASE="if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
LOCK_RELEASE_SHA=$(printf '%s' "$LOCK_RELEASE" | sha1sum | cut -d' ' -f1)

# Benchmark rows: name | redis-benchmark arguments (besides -n -c -P -p).
ROWS=(
    "PING_MBULK|-t ping_mbulk"
    "SET|-t set -r $KEYSPACE"
    "GET|-t get -r $KEYSPACE"
    "INCR|-t incr -r $KEYSPACE"
    "MSET|-t mset"
    "LPUSH|-t lpush"
    "LPOP|-t lpop"
    "HSET|-t hset -r $KEYSPACE"
    "SADD|-t sadd -r $KEYSPACE"
    "ZADD|-t zadd -r $KEYSPACE"
    # The top ten of the sorted set the ZADD row filled (up to 100k members).
    "ZRANGE|ZRANGE myzset 0 9 WITHSCORES"
    # Lock release on random lock keys (most are free: the GET path).
    "EVALSHA|-r $KEYSPACE EVALSHA $LOCK_RELEASE_SHA 1 lock:__rand_int__ token"
    # An event queue: one small entry per XADD with an automatic ID.
    "XADD|XADD mystream * field value"
)

# Memory datasets: each dataset_NAME function prints RESP on stdout.
DATASETS=(strings_1m hashes_100k lists_10k sets_100k zsets_100k zset_1m stream_1m)

# 1,000,000 string keys "key:000000000000".."key:000000999999" holding the
# 3-byte value "xxx": the same keys on both servers (unlike -r, which draws
# random keys and so gives slightly different key counts).
dataset_strings_1m() {
    awk 'BEGIN { for (i = 0; i < 1000000; i++) {
        k = sprintf("key:%012d", i);
        printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nxxx\r\n", length(k), k } }'
}

# 100,000 hashes "hash:000000".."hash:099999" of 10 fields "field:0".."field:9"
# with short values "value:N" (N < 1000): listpack-encoded on both servers.
dataset_hashes_100k() {
    awk 'BEGIN { for (i = 0; i < 100000; i++) {
        k = sprintf("hash:%06d", i);
        printf "*22\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n", length(k), k;
        for (f = 0; f < 10; f++) {
            n = sprintf("field:%d", f); v = sprintf("value:%d", (i * 7 + f) % 1000);
            printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(n), n, length(v), v } } }'
}

# 10,000 lists "list:000000".."list:009999" of 100 items "item-N"
# (N < 100000), pushed one RPUSH per item as a work queue fills:
# listpack-encoded in Redis 7.2 and Lodestone, quicklists in 7.0.
dataset_lists_10k() {
    awk 'BEGIN { for (i = 0; i < 10000; i++) {
        k = sprintf("list:%06d", i);
        for (j = 0; j < 100; j++) {
            v = sprintf("item-%d", (i * 100 + j) * 7919 % 100000);
            printf "*3\r\n$5\r\nRPUSH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } } }'
}

# 100,000 sets "set:000000".."set:099999" of 10 integers below 30000, one
# SADD each: intset-encoded (2-byte members) on both servers.
dataset_sets_100k() {
    awk 'BEGIN { for (i = 0; i < 100000; i++) {
        k = sprintf("set:%06d", i);
        printf "*12\r\n$4\r\nSADD\r\n$%d\r\n%s\r\n", length(k), k;
        for (j = 0; j < 10; j++) {
            m = sprintf("%d", (i * 7 + j * 1009) % 30000);
            printf "$%d\r\n%s\r\n", length(m), m } } }'
}

# 100,000 sorted sets "zset:000000".."zset:099999" of 10 members
# "member:0".."member:9" scored 0, 1.5, 2, 3.5, ... (integers and halves),
# one ZADD each: listpack-encoded on both servers.
dataset_zsets_100k() {
    awk 'BEGIN { for (i = 0; i < 100000; i++) {
        k = sprintf("zset:%06d", i);
        printf "*22\r\n$4\r\nZADD\r\n$%d\r\n%s\r\n", length(k), k;
        for (j = 0; j < 10; j++) {
            s = (j % 2) ? sprintf("%d.5", j) : sprintf("%d", j);
            m = sprintf("member:%d", j);
            printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(s), s, length(m), m } } }'
}

# One sorted set "bigzset" of 1,000,000 members "member:0000000".. with
# scores spread over [0, 1000003) in a scrambled order (a leaderboard
# filled over time), 100 members per ZADD: skiplist-encoded on both.
dataset_zset_1m() {
    awk 'BEGIN { n = 0; for (b = 0; b < 10000; b++) {
        printf "*202\r\n$4\r\nZADD\r\n$7\r\nbigzset\r\n";
        for (j = 0; j < 100; j++) {
            s = sprintf("%d", (n * 7919) % 1000003); m = sprintf("member:%07d", n); n++;
            printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(s), s, length(m), m } } }'
}

# One stream "events" of 1,000,000 small entries (fields "type" and "n",
# a short value and a number below 100000), ten per millisecond with
# explicit IDs as a busy producer's automatic IDs look, one XADD each.
dataset_stream_1m() {
    awk 'BEGIN { for (i = 0; i < 1000000; i++) {
        id = sprintf("%d-%d", 1000000000 + int(i / 10), i % 10);
        t = (i % 3) ? "click" : "view"; n = sprintf("%d", (i * 7919) % 100000);
        printf "*7\r\n$4\r\nXADD\r\n$6\r\nevents\r\n$%d\r\n%s\r\n$4\r\ntype\r\n$%d\r\n%s\r\n$1\r\nn\r\n$%d\r\n%s\r\n",
            length(id), id, length(t), t, length(n), n } }'
}

LODESTONE_PORT=$BASE_PORT
REDIS_PORT=$((BASE_PORT + 1))
WORK=$(mktemp -d /tmp/lodestone-bench.XXXXXX)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in redis-benchmark redis-cli "$REDIS_SERVER"; do
    command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done

# CPU pinning: servers on CPU 1, the load generator on CPU 0.
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    PIN_SERVER=(taskset -c 1)
    PIN_CLIENT=(taskset -c 0)
    PINNING="servers on CPU 1, redis-benchmark on CPU 0"
else
    PIN_SERVER=()
    PIN_CLIENT=()
    PINNING="none (fewer than 2 CPUs or no taskset)"
fi

echo "== Lodestone vs Redis benchmark"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "lodestone: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (work tree modified)')"
echo "redis:   $("$REDIS_SERVER" --version | head -1)"
echo "pinning: $PINNING"
echo "rounds:  $ROUNDS, clients: $CLIENTS, requests per run: $REQUESTS at -P 1, $((REQUESTS * 5)) pipelined"
echo

if [ -z "${SKIP_BUILD:-}" ]; then
    cargo build --release -p lodestone-server >&2
fi
LODESTONE_BIN=${LODESTONE_BIN:-$PWD/target/release/lodestone-server}

wait_ready() {
    local port=$1
    for _ in $(seq 1 200); do
        if [ "$(redis-cli -p "$port" PING 2>/dev/null)" = "PONG" ]; then
            return 0
        fi
        sleep 0.05
    done
    echo "bench: server on port $port did not start" >&2
    exit 1
}

# launch_server NAME BINARY PORT [ARGS...]: starts a server (no persistence
# unless ARGS say otherwise) in $WORK/NAME, sets <NAME>_PID; does not wait.
launch_server() {
    local name=$1 bin=$2 port=$3
    shift 3
    mkdir -p "$WORK/$name"
    "${PIN_SERVER[@]}" "$bin" --port "$port" --bind 127.0.0.1 --save '' \
        --appendonly no --dir "$WORK/$name" "$@" >>"$WORK/$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    printf -v "${name}_PID" '%s' "$pid"
}

# start_server NAME BINARY PORT [ARGS...]: launch_server, then wait until
# it answers.
start_server() {
    launch_server "$@"
    wait_ready "$3"
}

# cpu_ticks PID: utime+stime of the process (all threads), in clock ticks.
cpu_ticks() {
    # Fields after the parenthesized command name; utime and stime are
    # fields 14 and 15 of the whole line.
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

CLK_TCK=$(getconf CLK_TCK)

median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# run_one PORT PID PIPELINE ARGS...: prints "ops_per_sec us_per_op".
run_one() {
    local port=$1 pid=$2 pipeline=$3
    shift 3
    local n=$((REQUESTS * (pipeline > 1 ? 5 : 1)))
    local before after out rps
    before=$(cpu_ticks "$pid")
    out=$("${PIN_CLIENT[@]}" redis-benchmark -p "$port" -c "$CLIENTS" -n "$n" \
        -P "$pipeline" --csv "$@" 2>/dev/null)
    after=$(cpu_ticks "$pid")
    rps=$(printf '%s\n' "$out" | awk -F'","' 'NR == 2 { print $2 }')
    awk -v rps="${rps:-0}" -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$n" \
        'BEGIN { printf "%.0f %.3f\n", rps, t / hz * 1e6 / n }'
}

start_server LODESTONE "$LODESTONE_BIN" "$LODESTONE_PORT"
start_server REDIS "$(command -v "$REDIS_SERVER")" "$REDIS_PORT"
for port in "$LODESTONE_PORT" "$REDIS_PORT"; do
    redis-cli -p "$port" SCRIPT LOAD "$LOCK_RELEASE" >/dev/null
done

# bench_row LPORT LPID RPORT RPID NAME PIPELINE ARGS...: runs one row on
# the two servers alternately for ROUNDS rounds and prints the medians.
bench_row() {
    local lport=$1 lpid=$2 rport=$3 rpid=$4 name=$5 pipeline=$6
    shift 6
    : >"$WORK/l.txt"
    : >"$WORK/r.txt"
    for _ in $(seq 1 "$ROUNDS"); do
        run_one "$lport" "$lpid" "$pipeline" "$@" >>"$WORK/l.txt"
        run_one "$rport" "$rpid" "$pipeline" "$@" >>"$WORK/r.txt"
    done
    local l_ops r_ops l_cpu r_cpu
    l_ops=$(cut -d' ' -f1 "$WORK/l.txt" | median)
    r_ops=$(cut -d' ' -f1 "$WORK/r.txt" | median)
    l_cpu=$(cut -d' ' -f2 "$WORK/l.txt" | median)
    r_cpu=$(cut -d' ' -f2 "$WORK/r.txt" | median)
    awk -v name="$name P$pipeline" -v lo="$l_ops" -v ro="$r_ops" -v lc="$l_cpu" -v rc="$r_cpu" \
        'BEGIN { printf "%-16s %14.0f %14.0f %8.2f %12.3f %12.3f %8.2f\n",
            name, lo, ro, (ro > 0 ? lo / ro : 0), lc, rc, (rc > 0 ? lc / rc : 0) }'
}

ROW_HEADER=$(printf '%-16s %14s %14s %8s %12s %12s %8s' \
    "test" "lodestone op/s" "redis op/s" "ratio" "lode us/op" "redis us/op" "cpu x")
echo "$ROW_HEADER"
for row in "${ROWS[@]}"; do
    name=${row%%|*}
    if [ -n "${ONLY:-}" ] && ! [[ $name =~ $ONLY ]]; then
        continue
    fi
    read -r -a args <<<"${row#*|}"
    for pipeline in "${PIPELINES[@]}"; do
        bench_row "$LODESTONE_PORT" "$LODESTONE_PID" "$REDIS_PORT" "$REDIS_PID" \
            "$name" "$pipeline" "${args[@]}"
    done
done
echo

# Writes with the append-only file on (appendfsync everysec, Redis's
# default durability for banks), on a second pair of servers whose files
# live in $WORK: every acknowledged SET is written to the file first.
if [ -z "${SKIP_AOF:-}" ]; then
    echo "append-only file: appendonly yes, appendfsync everysec"
    echo "$ROW_HEADER"
    AOF_ARGS=(--appendonly yes --appendfsync everysec)
    start_server AOF_LODESTONE "$LODESTONE_BIN" $((BASE_PORT + 2)) "${AOF_ARGS[@]}"
    start_server AOF_REDIS "$(command -v "$REDIS_SERVER")" $((BASE_PORT + 3)) "${AOF_ARGS[@]}"
    for pipeline in "${PIPELINES[@]}"; do
        bench_row $((BASE_PORT + 2)) "$AOF_LODESTONE_PID" $((BASE_PORT + 3)) "$AOF_REDIS_PID" \
            "SET aof" "$pipeline" -t set -r "$KEYSPACE"
    done
    kill "$AOF_LODESTONE_PID" "$AOF_REDIS_PID" 2>/dev/null || true
    echo
fi

# used_memory PORT: from INFO memory, or "n/a" when the server lacks it.
used_memory() {
    local v
    v=$(redis-cli -p "$1" INFO memory 2>/dev/null | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }')
    echo "${v:-n/a}"
}

# rss_bytes PID: resident set size from /proc.
rss_bytes() {
    awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }'
}

mib() {
    awk -v v="$1" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.1f MiB", v / 1048576; else print v }'
}

if [ -n "${SKIP_MEMORY:-}" ]; then
    DATASETS=()
fi
# load_into PORT FILE WHAT: empties the server, then pipes FILE (RESP
# commands) into it; stops the script if any command failed.
load_into() {
    redis-cli -p "$1" FLUSHALL >/dev/null
    redis-cli -p "$1" --pipe <"$2" >"$WORK/pipe.log" 2>&1 ||
        { echo "bench: loading $3 failed:" >&2; cat "$WORK/pipe.log" >&2; exit 1; }
}

printf '%-14s %-10s %12s %14s %14s\n' "dataset" "server" "keys" "used_memory" "rss"
for ds in "${DATASETS[@]}"; do
    if [ -n "${ONLY_DATASETS:-}" ] && ! [[ $ds =~ $ONLY_DATASETS ]]; then
        continue
    fi
    "dataset_$ds" >"$WORK/$ds.resp"
    declare -A mem=() rss=()
    for server in LODESTONE REDIS; do
        port_var=${server}_PORT
        pid_var=${server}_PID
        port=${!port_var}
        pid=${!pid_var}
        load_into "$port" "$WORK/$ds.resp" "$ds into $server"
        keys=$(redis-cli -p "$port" DBSIZE)
        mem[$server]=$(used_memory "$port")
        rss[$server]=$(rss_bytes "$pid")
        printf '%-14s %-10s %12s %14s %14s\n' "$ds" "${server,,}" "$keys" \
            "$(mib "${mem[$server]}")" "$(mib "${rss[$server]}")"
    done
    printf '%-14s %-10s %12s %14s %14s\n' "$ds" "ratio" "" \
        "$(ratio "${mem[LODESTONE]}" "${mem[REDIS]}")" "$(ratio "${rss[LODESTONE]}" "${rss[REDIS]}")"
    unset mem rss
    redis-cli -p "$LODESTONE_PORT" FLUSHALL >/dev/null
    redis-cli -p "$REDIS_PORT" FLUSHALL >/dev/null
done

# Persistence: the same data set (PERSIST_DATASETS, loaded together) in
# both servers; SAVE's duration (wall clock of the command), the RDB file's
# size, and the time from starting the server on that file until it
# answers PING with PONG (Redis and Lodestone answer -LOADING before).
if [ -z "${SKIP_PERSISTENCE:-}" ]; then
    echo
    PERSIST_DATASETS=${PERSIST_DATASETS:-strings_1m hashes_100k zset_1m}
    echo "persistence data set: $PERSIST_DATASETS"
    : >"$WORK/persist.resp"
    for ds in $PERSIST_DATASETS; do
        "dataset_$ds" >>"$WORK/persist.resp"
    done
    ms_now() { date +%s%3N; }
    declare -A save_ms=() rdb_bytes=() ready_ms=()
    for server in LODESTONE REDIS; do
        port_var=${server}_PORT
        pid_var=${server}_PID
        port=${!port_var}
        pid=${!pid_var}
        load_into "$port" "$WORK/persist.resp" "into $server"
        t0=$(ms_now)
        redis-cli -p "$port" SAVE >/dev/null
        save_ms[$server]=$(($(ms_now) - t0))
        rdb_bytes[$server]=$(stat -c %s "$WORK/$server/dump.rdb")
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        if [ "$server" = LODESTONE ]; then bin=$LODESTONE_BIN; else bin=$(command -v "$REDIS_SERVER"); fi
        t0=$(ms_now)
        launch_server "$server" "$bin" "$port"
        for _ in $(seq 1 60000); do
            [ "$(redis-cli -p "$port" PING 2>/dev/null)" = "PONG" ] && break
            sleep 0.01
        done
        ready_ms[$server]=$(($(ms_now) - t0))
    done
    printf '%-22s %14s %14s %8s\n' "persistence" "lodestone" "redis" "ratio"
    printf '%-22s %14s %14s %8s\n' "SAVE (ms)" "${save_ms[LODESTONE]}" "${save_ms[REDIS]}" \
        "$(ratio "${save_ms[LODESTONE]}" "${save_ms[REDIS]}")"
    printf '%-22s %14s %14s %8s\n' "RDB size" "$(mib "${rdb_bytes[LODESTONE]}")" \
        "$(mib "${rdb_bytes[REDIS]}")" "$(ratio "${rdb_bytes[LODESTONE]}" "${rdb_bytes[REDIS]}")"
    printf '%-22s %14s %14s %8s\n' "restart to ready (ms)" "${ready_ms[LODESTONE]}" \
        "${ready_ms[REDIS]}" "$(ratio "${ready_ms[LODESTONE]}" "${ready_ms[REDIS]}")"
fi
