#!/usr/bin/env bash
# Measures the peak memory of a BGSAVE under write load, Lodestone against
# redis-server, with the same data and the same load:
#
# 1. loads KEYS keys (default 2,000,000) of VALUE bytes (default 1000):
#    ~2 GB, named key:%012d as redis-benchmark's __rand_int__ names them,
#    through EVAL batches (identical on both servers);
# 2. starts a steady, rate-limited write load (RATE SETs per second,
#    default 20000, pipelined every 10 ms, random keys of the data set:
#    every write may dirty a page the fork child shares);
# 3. runs BGSAVE and, every 50 ms until it ends, sums over the process
#    tree (server + fork child) VmRSS (/proc/<pid>/status; pages shared
#    copy-on-write are counted in both processes), and every PSS_EVERY
#    samples (default 10) Pss (/proc/<pid>/smaps_rollup; shared pages
#    split between them, the figure that adds up to real memory use;
#    reading it walks every page table, too slow to do at 20 Hz on GBs);
# 4. prints each server's baseline, peaks and BGSAVE time, and the ratios.
#
# The servers run one after the other (the machine may be small), with
# rdbcompression off by default (COMPRESSION=yes to change): the
# snapshot's size then does not depend on how well the data compresses.
#
# Usage: scripts/bgsave_peak.sh
# Environment: KEYS VALUE RATE PSS_EVERY COMPRESSION PORT_L PORT_R
#   LODESTONE (default $CARGO_TARGET_DIR or target, release build)
#   REDIS_SERVER (default /usr/bin/redis-server)
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${KEYS:-2000000}
VALUE=${VALUE:-1000}
RATE=${RATE:-20000}
PSS_EVERY=${PSS_EVERY:-10}
COMPRESSION=${COMPRESSION:-no}
PORT_L=${PORT_L:-7460}
PORT_R=${PORT_R:-7461}
TARGET=${CARGO_TARGET_DIR:-target}
LODESTONE=${LODESTONE:-$TARGET/release/lodestone-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
[ -x "$LODESTONE" ] || cargo build --release -q -p lodestone-server

server_pid=""
tmp=$(mktemp -d)
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# measure NAME BINARY PORT: prints one result line "NAME key=value ...".
measure() {
  local name=$1 bin=$2 port=$3 dir="$tmp/$1"
  mkdir -p "$dir"
  "$bin" --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --rdbcompression "$COMPRESSION" --dir "$dir" --logfile "$dir/log" >/dev/null 2>&1 &
  server_pid=$!
  until redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; do sleep 0.1; done
  python3 - "$name" "$port" "$server_pid" "$KEYS" "$VALUE" "$RATE" "$dir" "$PSS_EVERY" <<'PY'
import os, random, socket, sys, threading, time

name, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
keys, value_len, rate = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
data_dir = sys.argv[7]
PSS_EVERY = int(sys.argv[8])

def enc(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

class Conn:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""
    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(1 << 16)
            if not chunk:
                raise EOFError
            self.buf += chunk
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l
    def reply(self):
        l = self.line()
        if l[:1] == b"$":
            n = int(l[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.s.recv(1 << 16)
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        if l[:1] == b"-":
            raise RuntimeError(l.decode())
        return l
    def cmd(self, *args):
        self.s.sendall(enc(*args))
        return self.reply()

c = Conn()
value = b"x" * value_len
script = ("for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do "
          "redis.call('SET', string.format('key:%012d', i), ARGV[3]) end")
batch = 50000
for lo in range(0, keys, batch):
    c.cmd("EVAL", script, 0, lo, min(lo + batch, keys) - 1, value)
assert int(c.cmd("DBSIZE")[1:]) == keys

def tree(root):
    pids, todo = [], [root]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return pids

def kib(path, field):
    try:
        with open(path) as f:
            for l in f:
                if l.startswith(field + ":"):
                    return int(l.split()[1])
    except OSError:
        pass
    return 0

def info(conn, field):
    for l in conn.cmd("INFO", "persistence").decode().splitlines():
        if l.startswith(field + ":"):
            return l.split(":", 1)[1]

time.sleep(1)
baseline_rss = kib(f"/proc/{pid}/status", "VmRSS")
baseline_pss = kib(f"/proc/{pid}/smaps_rollup", "Pss")

# The write load: RATE SETs per second in batches every 10 ms.
stop = threading.Event()
written = [0]
def writer():
    w = Conn()
    per_tick = max(1, rate // 100)
    next_t = time.monotonic()
    while not stop.is_set():
        payload = b"".join(enc("SET", "key:%012d" % random.randrange(keys), value)
                           for _ in range(per_tick))
        w.s.sendall(payload)
        for _ in range(per_tick):
            w.reply()
        written[0] += per_tick
        next_t += 0.01
        delay = next_t - time.monotonic()
        if delay > 0:
            time.sleep(delay)
t = threading.Thread(target=writer, daemon=True)
t.start()
time.sleep(2)

before = written[0]
started = time.monotonic()
assert c.cmd("BGSAVE").startswith(b"+Background saving started")
peak_rss = peak_pss = peak_child_rss = samples = pss_samples = 0
next_info = 0.0
while True:
    procs = tree(pid)
    rss = sum(kib(f"/proc/{p}/status", "VmRSS") for p in procs)
    child = sum(kib(f"/proc/{p}/status", "VmRSS") for p in procs if p != pid)
    peak_rss, peak_child_rss = max(peak_rss, rss), max(peak_child_rss, child)
    if samples % PSS_EVERY == 0:
        # smaps_rollup walks every page table: costly on GBs, and it
        # holds the memory map lock the server's page faults need.
        pss = sum(kib(f"/proc/{p}/smaps_rollup", "Pss") for p in procs)
        peak_pss = max(peak_pss, pss)
        pss_samples += 1
    samples += 1
    now = time.monotonic()
    if now >= next_info:
        next_info = now + 0.2
        if info(c, "rdb_bgsave_in_progress") == "0" and len(procs) == 1:
            break
    time.sleep(0.05)
secs = time.monotonic() - started
writes = written[0] - before
stop.set()
t.join()
status = info(c, "rdb_last_bgsave_status")
rdb_bytes = os.path.getsize(os.path.join(data_dir, "dump.rdb"))
print(f"{name} baseline_rss_mib={baseline_rss // 1024} baseline_pss_mib={baseline_pss // 1024} "
      f"peak_rss_sum_mib={peak_rss // 1024} peak_pss_sum_mib={peak_pss // 1024} "
      f"peak_child_rss_mib={peak_child_rss // 1024} bgsave_secs={secs:.1f} "
      f"writes_during_bgsave={writes} samples={samples} pss_samples={pss_samples} status={status} rdb_mib={rdb_bytes >> 20}")
PY
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  rm -rf "$dir"
}

echo "BGSAVE peak memory: $KEYS keys x $VALUE bytes, $RATE SET/s during BGSAVE, rdbcompression $COMPRESSION"
measure lodestone "$LODESTONE" "$PORT_L" >"$tmp/lodestone.out"
ours=$(cat "$tmp/lodestone.out")
echo "$ours"
if [ -x "$REDIS_SERVER" ]; then
  measure redis "$REDIS_SERVER" "$PORT_R" >"$tmp/redis.out"
  theirs=$(cat "$tmp/redis.out")
  echo "$theirs ($("$REDIS_SERVER" --version | awk '{print $3}'))"
  field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1"; }
  for f in peak_rss_sum_mib peak_pss_sum_mib; do
    awk -v a="$(field "$ours" $f)" -v b="$(field "$theirs" $f)" -v f=$f \
      'BEGIN { printf "%s ratio lodestone/redis: %.2f\n", f, a / b }'
  done
else
  echo "$REDIS_SERVER not found: measured Lodestone only"
fi
