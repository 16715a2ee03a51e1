//! Shared test harness: starts the real `lodestone-server` binary (and,
//! for differential tests, a real `redis-server`) on ephemeral ports and
//! talks RESP to them over TCP.
#![allow(dead_code)]

pub mod in_dir;
pub mod sync;

use lodestone_protocol::frame::{self, Frame};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A running server process, killed on drop.
pub struct ServerProcess {
    /// Port it listens on.
    pub port: u16,
    /// The process.
    pub child: Child,
    /// Its scratch directory.
    pub dir: PathBuf,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lodestone-test-{tag}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn wait_ready(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server exited early: {status}");
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"PING\r\n");
            let mut buf = [0u8; 7];
            if s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n" {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("server on port {port} did not become ready");
}

/// Starts `lodestone-server` with extra arguments.
pub fn start_lodestone(extra: &[&str]) -> ServerProcess {
    let port = free_port();
    let dir = scratch_dir("lodestone");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lodestone-server"))
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
        ])
        .arg(&dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lodestone-server");
    wait_ready(port, &mut child);
    ServerProcess { port, child, dir }
}

/// Starts a real `redis-server` (the oracle), or returns `None` with a
/// printed reason when it is not installed.
pub fn start_redis(extra: &[&str]) -> Option<ServerProcess> {
    let bin = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(bin) = bin else {
        eprintln!("SKIPPED: redis-server is not installed; differential test not run");
        return None;
    };
    Some(start_redis_binary(bin, extra))
}

/// Starts the Redis 7.2 build named by `REDIS72_SERVER`, for behaviour
/// that changed after 7.0 (the version CI installs), or returns `None`
/// with a printed reason when the variable is not set.
pub fn start_redis72(extra: &[&str]) -> Option<ServerProcess> {
    match std::env::var("REDIS72_SERVER") {
        Ok(bin) if std::path::Path::new(&bin).exists() => Some(start_redis_binary(&bin, extra)),
        _ => {
            eprintln!("SKIPPED: REDIS72_SERVER does not name a redis-server 7.2; 7.2-only comparison not run");
            None
        }
    }
}

/// Starts the redis-server binary `bin` on a free port.
fn start_redis_binary(bin: &str, extra: &[&str]) -> ServerProcess {
    let port = free_port();
    let dir = scratch_dir("redis");
    let mut child = Command::new(bin)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
        ])
        .arg(&dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-server");
    wait_ready(port, &mut child);
    ServerProcess { port, child, dir }
}

/// A raw RESP connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// Encodes a command as a RESP multibulk request.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

impl Conn {
    /// Connects to a server on localhost.
    pub fn connect(port: u16) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Reads exactly `n` bytes (after what is buffered), for payloads that
    /// are not RESP replies (SYNC's RDB).
    pub fn read_bytes(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            let mut chunk = [0u8; 65536];
            let got = self.stream.read(&mut chunk).expect("read");
            assert!(got > 0, "connection closed while reading");
            self.buf.extend_from_slice(&chunk[..got]);
        }
        self.buf.drain(..n).collect()
    }

    /// Reads one line, CRLF excluded.
    pub fn read_line(&mut self) -> Vec<u8> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..end + 2).collect();
                return line[..end].to_vec();
            }
            let mut chunk = [0u8; 65536];
            let got = self.stream.read(&mut chunk).expect("read");
            assert!(got > 0, "connection closed while reading");
            self.buf.extend_from_slice(&chunk[..got]);
        }
    }

    /// Reads one reply and returns its exact bytes.
    pub fn read_raw(&mut self) -> Vec<u8> {
        loop {
            if let Ok(Some((_, n))) = frame::parse(&self.buf) {
                return self.buf.drain(..n).collect();
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).expect("read");
            assert!(n > 0, "connection closed while waiting for a reply");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads one reply, decoded.
    pub fn read(&mut self) -> Frame {
        let raw = self.read_raw();
        frame::parse(&raw)
            .expect("valid reply")
            .expect("complete reply")
            .0
    }

    /// Sends a command and returns the exact reply bytes.
    pub fn cmd_raw(&mut self, args: &[&str]) -> Vec<u8> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.send_raw(&encode(&a));
        self.read_raw()
    }

    /// Sends a command and returns the decoded reply.
    pub fn cmd(&mut self, args: &[&str]) -> Frame {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.send_raw(&encode(&a));
        self.read()
    }

    /// True when the server closed the connection (reads EOF).
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.stream.read(&mut b), Ok(0))
    }
}

/// Shorthand for a bulk string frame.
pub fn bulk(s: &str) -> Frame {
    Frame::Bulk(s.as_bytes().to_vec())
}

/// Shorthand for a simple string frame.
pub fn simple(s: &str) -> Frame {
    Frame::Simple(s.as_bytes().to_vec())
}

/// Shorthand for an error frame.
pub fn err(s: &str) -> Frame {
    Frame::Error(s.as_bytes().to_vec())
}

/// Runs the same commands on both servers and asserts identical reply
/// bytes, command by command.
pub fn assert_same_replies(ours: &mut Conn, oracle: &mut Conn, script: &[Vec<&str>]) {
    for cmd in script {
        let a = ours.cmd_raw(cmd);
        let b = oracle.cmd_raw(cmd);
        assert_eq!(
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b),
            "reply differs for {cmd:?}"
        );
    }
}

/// How [`Conn::read_until_closed_or`] stopped.
#[derive(Debug, PartialEq, Eq)]
pub struct Drained {
    /// Every byte received.
    pub bytes: Vec<u8>,
    /// True when the server closed the connection.
    pub closed: bool,
}

impl Conn {
    /// Connects with `TCP_NODELAY`, so each small write leaves as its own
    /// segment (byte-by-byte tests).
    pub fn connect_nodelay(port: u16) -> Conn {
        let c = Conn::connect(port);
        c.stream.set_nodelay(true).expect("nodelay");
        c
    }

    /// Reads until the server closes the connection or, when `suffix` is
    /// given, until the bytes received end with it. Panics after the read
    /// timeout (10 s) with what arrived so far.
    pub fn read_until_closed_or(&mut self, suffix: Option<&[u8]>) -> Drained {
        let mut bytes = std::mem::take(&mut self.buf);
        loop {
            if suffix.is_some_and(|s| bytes.ends_with(s)) {
                return Drained {
                    bytes,
                    closed: false,
                };
            }
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    return Drained {
                        bytes,
                        closed: true,
                    }
                }
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
                // A reset after the server closed counts as closed.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return Drained {
                        bytes,
                        closed: true,
                    }
                }
                Err(e) => panic!(
                    "read failed ({e}) after {:?}",
                    String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(200)..])
                ),
            }
        }
    }

    /// Sends a command given as raw byte arguments and returns the exact
    /// reply bytes (for binary-safe arguments).
    pub fn cmd_bytes(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send_raw(&encode(args));
        self.read_raw()
    }
}

/// A size field of `/proc/<pid>/status` in KiB, e.g. `VmRSS` (resident)
/// or `VmSize` (virtual: also shows memory reserved but never touched).
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// How one script line's replies are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// Byte for byte.
    Exact,
    /// Integers equal, or both non-negative and within 1% (at least 2
    /// units), inside arrays too: times measured milliseconds apart.
    Approx,
    /// The elements of a top-level aggregate in any order (KEYS).
    Unordered,
    /// A whole SCAN-style iteration: the union of keys over all cursors.
    ScanUnion,
}

/// Splits a script line into its comparison mode and arguments. A leading
/// `~` means [`Compare::Approx`], `!` [`Compare::Unordered`], `%`
/// [`Compare::ScanUnion`]; arguments follow Redis's inline syntax (quotes,
/// `\xHH` escapes), so binary values can be written.
pub fn parse_script_line(line: &str) -> Option<(Compare, Vec<Vec<u8>>)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (mode, rest) = match line.as_bytes()[0] {
        b'~' => (Compare::Approx, &line[1..]),
        b'!' => (Compare::Unordered, &line[1..]),
        b'%' => (Compare::ScanUnion, &line[1..]),
        _ => (Compare::Exact, line),
    };
    let args = lodestone_protocol::request::split_args(rest.as_bytes())
        .unwrap_or_else(|| panic!("bad script line {line:?}"));
    Some((mode, args))
}

fn frame_of(raw: &[u8]) -> Frame {
    frame::parse(raw)
        .expect("valid reply")
        .expect("complete reply")
        .0
}

fn approx_equal(a: &Frame, b: &Frame) -> bool {
    match (a, b) {
        (Frame::Integer(x), Frame::Integer(y)) if *x >= 0 && *y >= 0 => {
            x.abs_diff(*y) <= (x.max(y) / 100).max(2) as u64
        }
        // Times inside aggregates (XPENDING idle times) too.
        (Frame::Array(xs), Frame::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| approx_equal(x, y))
        }
        _ => a == b,
    }
}

/// The elements of an aggregate reply as sortable text, with its kind.
fn sorted_elements(raw: &[u8]) -> (u8, Vec<String>) {
    let items = match frame_of(raw) {
        Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => v,
        // A map's entries, each compared as a whole (HGETALL in RESP3).
        Frame::Map(pairs) => pairs
            .into_iter()
            .map(|(k, v)| Frame::Array(vec![k, v]))
            .collect(),
        other => vec![other],
    };
    let mut text: Vec<String> = items.iter().map(|f| format!("{f:?}")).collect();
    text.sort();
    (raw[0], text)
}

/// Runs a SCAN-like command to completion and returns the sorted union of
/// the elements it returned, or the first error's bytes. The cursor is
/// argument 1 for SCAN and argument 2 (after the key) for HSCAN, SSCAN
/// and ZSCAN.
pub fn scan_union(conn: &mut Conn, args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, Vec<u8>> {
    let mut args = args.to_vec();
    let cursor_at = if args[0].eq_ignore_ascii_case(b"scan") {
        1
    } else {
        2
    };
    let mut keys = std::collections::BTreeSet::new();
    for _ in 0..100_000 {
        let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let raw = conn.cmd_bytes(&refs);
        let Frame::Array(parts) = frame_of(&raw) else {
            return Err(raw);
        };
        let [Frame::Bulk(cursor), Frame::Array(batch)] = &parts[..] else {
            panic!("unexpected SCAN reply {}", String::from_utf8_lossy(&raw));
        };
        for k in batch {
            match k {
                Frame::Bulk(k) => keys.insert(k.clone()),
                other => panic!("unexpected SCAN element {other:?}"),
            };
        }
        if cursor == b"0" {
            return Ok(keys.into_iter().collect());
        }
        args[cursor_at] = cursor.clone();
    }
    panic!("SCAN did not finish in 100000 calls");
}

/// Runs one command on both servers and asserts their replies agree as
/// `mode` says. `what` names the step in the failure message.
pub fn assert_same_reply(
    ours: &mut Conn,
    oracle: &mut Conn,
    mode: Compare,
    args: &[Vec<u8>],
    what: &str,
) {
    let show = |raw: &[u8]| String::from_utf8_lossy(raw).into_owned();
    if mode == Compare::ScanUnion {
        let a = scan_union(ours, args);
        let b = scan_union(oracle, args);
        assert_eq!(a, b, "{what}: SCAN iteration differs");
        return;
    }
    let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    let a = ours.cmd_bytes(&refs);
    let b = oracle.cmd_bytes(&refs);
    match mode {
        Compare::Approx => assert!(
            approx_equal(&frame_of(&a), &frame_of(&b)),
            "{what}: {:?} is not close to redis-server's {:?}",
            show(&a),
            show(&b)
        ),
        Compare::Unordered => assert_eq!(
            sorted_elements(&a),
            sorted_elements(&b),
            "{what}: elements differ"
        ),
        _ => assert_eq!(show(&a), show(&b), "{what}: reply differs"),
    }
}

/// Runs a script (one command per line, see [`parse_script_line`]) on
/// both connections, comparing each reply. A line `@sleep MS` pauses, so
/// a key set with a 1 ms TTL has surely expired on both servers.
pub fn assert_script(ours: &mut Conn, oracle: &mut Conn, script: &str) {
    for (n, line) in script.lines().enumerate() {
        if let Some(ms) = line.trim().strip_prefix("@sleep ") {
            let ms = ms.parse().expect("@sleep takes milliseconds");
            std::thread::sleep(Duration::from_millis(ms));
        } else if let Some((mode, args)) = parse_script_line(line) {
            let what = format!("script line {}: {}", n + 1, line.trim());
            assert_same_reply(ours, oracle, mode, &args, &what);
        }
    }
}

/// A fresh Lodestone and redis-server with a connection to each: what
/// every differential test starts from.
pub struct Pair {
    /// Connection to Lodestone.
    pub ours: Conn,
    /// Connection to redis-server.
    pub oracle: Conn,
    /// The Lodestone process.
    pub lodestone: ServerProcess,
    /// The redis-server process.
    pub redis: ServerProcess,
}

/// Starts a pair (`ours_extra`: Lodestone's extra arguments), both
/// connections switched to RESP3 when `resp3`; `None` with a printed
/// SKIPPED reason when redis-server is missing.
pub fn start_pair(ours_extra: &[&str], resp3: bool) -> Option<Pair> {
    let redis = start_redis(&[])?;
    let lodestone = start_lodestone(ours_extra);
    let mut ours = Conn::connect(lodestone.port);
    let mut oracle = Conn::connect(redis.port);
    if resp3 {
        // The HELLO replies differ (server name, version, id): not compared.
        ours.cmd(&["HELLO", "3"]);
        oracle.cmd(&["HELLO", "3"]);
    }
    Some(Pair {
        ours,
        oracle,
        lodestone,
        redis,
    })
}

/// Starts a fresh Lodestone and redis-server pair for each protocol
/// version (RESP2, then RESP3 after `HELLO 3`) and runs `script` on both.
/// Prints a SKIPPED reason and returns when redis-server is missing.
pub fn differential_script(script: &str) {
    for resp3 in [false, true] {
        let Some(mut p) = start_pair(&[], resp3) else {
            return;
        };
        eprintln!("running script with RESP{}", if resp3 { 3 } else { 2 });
        assert_script(&mut p.ours, &mut p.oracle, script);
    }
}

/// Sends a command without waiting for its reply.
pub fn send(c: &mut Conn, args: &[&str]) {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    c.send_raw(&encode(&a));
}

/// A field of `INFO clients`.
pub fn clients_field(c: &mut Conn, name: &str) -> i64 {
    let Frame::Bulk(info) = c.cmd(&["INFO", "clients"]) else {
        panic!("INFO failed");
    };
    String::from_utf8_lossy(&info)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in INFO clients"))
}

/// Waits until `INFO clients` reports `n` blocked clients.
pub fn wait_blocked(c: &mut Conn, n: i64) {
    for _ in 0..1000 {
        if clients_field(c, "blocked_clients") == n {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("blocked_clients never reached {n}");
}

pub fn text(raw: Vec<u8>) -> String {
    String::from_utf8_lossy(&raw).into_owned()
}

/// Runs `scenario` on a fresh Lodestone and a fresh redis-server and
/// compares the transcripts it returns.
pub fn on_both(scenario: impl Fn(u16) -> Vec<String>) {
    let server = start_lodestone(&[]);
    let ours = scenario(server.port);
    assert!(!ours.is_empty());
    let Some(redis) = start_redis(&[]) else {
        return;
    };
    assert_eq!(ours, scenario(redis.port));
}

/// Enables the keyspace event `classes`, subscribes to every keyevent and
/// returns the (event, key) pairs received after running `commands`.
pub fn keyevents(port: u16, classes: &str, commands: &[&[&str]]) -> Vec<(String, String)> {
    let mut admin = Conn::connect(port);
    admin.cmd(&["CONFIG", "SET", "notify-keyspace-events", classes]);
    let mut sub = Conn::connect(port);
    sub.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    for c in commands {
        admin.cmd(c);
    }
    // A marker event ends the stream.
    admin.cmd(&["SET", "end-marker", "1"]);
    let mut out = Vec::new();
    loop {
        let (Frame::Array(parts) | Frame::Push(parts)) = sub.read() else {
            panic!("unexpected message");
        };
        let (Some(Frame::Bulk(channel)), Some(Frame::Bulk(key))) = (parts.get(2), parts.get(3))
        else {
            panic!("unexpected message {parts:?}");
        };
        let event = String::from_utf8_lossy(channel)
            .trim_start_matches("__keyevent@0__:")
            .to_string();
        let key = String::from_utf8_lossy(key).to_string();
        if key == "end-marker" {
            return out;
        }
        out.push((event, key));
    }
}

/// Waits until `probe` answers BUSY (the script is over its threshold).
pub fn wait_busy(probe: &mut Conn) -> Frame {
    for _ in 0..500 {
        let r = probe.cmd(&["GET", "x"]);
        if matches!(&r, Frame::Error(e) if e.starts_with(b"BUSY")) {
            return r;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the server never reported the script busy");
}
