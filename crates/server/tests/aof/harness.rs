//! Servers on a shared directory, restarted at will, with their log in a
//! file: what the AOF tests need beyond `common`.

use crate::common::{free_port, Conn};
use lodestone_protocol::frame::Frame;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Lodestone's binary.
pub const LODESTONE: &str = env!("CARGO_BIN_EXE_lodestone-server");
/// The redis-server CI has (7.0).
pub const REDIS: &str = "/usr/bin/redis-server";

/// A server process, killed on drop.
pub struct Proc {
    /// The process.
    pub child: Child,
    /// Its port.
    pub port: u16,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// A new connection.
    pub fn conn(&self) -> Conn {
        Conn::connect(self.port)
    }

    /// Stops the process with SIGKILL (no shutdown work at all).
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SHUTDOWN NOSAVE, then waits for the process to exit.
    pub fn shutdown(mut self) {
        let mut c = self.conn();
        c.send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
        let _ = c.is_closed();
        let _ = wait_exit(&mut self.child, Duration::from_secs(20));
    }
}

/// A fresh scratch directory.
pub fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lodestone-aof-{tag}-{}-{}",
        std::process::id(),
        free_port()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The log file of servers started in `dir`.
pub fn log_path(dir: &Path) -> PathBuf {
    dir.join("server.log")
}

/// The log so far.
pub fn log(dir: &Path) -> String {
    std::fs::read_to_string(log_path(dir)).unwrap_or_default()
}

fn wait_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// Starts `bin` on `dir` with `extra` arguments; `Err` with its exit
/// status when it exits instead of serving.
pub fn try_start(bin: &str, dir: &Path, extra: &[&str]) -> Result<Proc, ExitStatus> {
    let port = free_port();
    let mut child = Command::new(bin)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--enable-debug-command", "yes"])
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(log_path(dir))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(status);
        }
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = s.write_all(b"PING\r\n");
            let mut buf = [0u8; 7];
            if s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n" {
                return Ok(Proc { child, port });
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not start: {}", log(dir));
}

/// Starts `bin` on `dir`, which must succeed.
pub fn start(bin: &str, dir: &Path, extra: &[&str]) -> Proc {
    try_start(bin, dir, extra).unwrap_or_else(|s| panic!("server exited ({s}):\n{}", log(dir)))
}

/// Starts Lodestone with the AOF on.
pub fn lodestone_aof(dir: &Path, extra: &[&str]) -> Proc {
    let mut args = vec!["--appendonly", "yes"];
    args.extend_from_slice(extra);
    start(LODESTONE, dir, &args)
}

/// Starts `bin` expecting it to refuse; returns the log.
pub fn refuses_to_start(bin: &str, dir: &Path, extra: &[&str]) -> String {
    match try_start(bin, dir, extra) {
        Ok(_) => panic!("server started:\n{}", log(dir)),
        Err(status) => assert!(!status.success(), "exit status {status}"),
    }
    log(dir)
}

/// True when redis-server is installed (prints why a part is skipped
/// otherwise).
pub fn have_redis() -> bool {
    let ok = Path::new(REDIS).exists();
    if !ok {
        eprintln!("SKIPPED: {REDIS} is not installed");
    }
    ok
}

/// A reply as text: strings and integers as they are, nil, arrays as
/// `[a,b]`.
pub fn text(f: &Frame) -> String {
    match f {
        Frame::Simple(b) | Frame::Bulk(b) | Frame::Error(b) => String::from_utf8_lossy(b).into(),
        Frame::Integer(n) => n.to_string(),
        Frame::Null => "nil".into(),
        Frame::Array(items) => {
            let parts: Vec<String> = items.iter().map(text).collect();
            format!("[{}]", parts.join(","))
        }
        other => format!("{other:?}"),
    }
}

/// Runs a command given as one string split on spaces.
pub fn run(c: &mut Conn, line: &str) -> String {
    let args: Vec<&str> = line.split(' ').collect();
    text(&c.cmd(&args))
}

/// DEBUG DIGEST.
pub fn digest(c: &mut Conn) -> String {
    run(c, "DEBUG DIGEST")
}

/// A field of INFO persistence.
pub fn info(c: &mut Conn, field: &str) -> String {
    let all = run(c, "INFO persistence");
    all.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO"))
        .to_string()
}

/// Polls `cond` for up to 30 s.
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

/// Waits until no rewrite runs or is scheduled.
pub fn wait_rewrite(c: &mut Conn) {
    wait_until("the AOF rewrite", || {
        info(c, "aof_rewrite_in_progress") == "0" && info(c, "aof_rewrite_scheduled") == "0"
    });
}

/// The manifest's text.
pub fn manifest(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).expect("manifest")
}

/// The names of the files in the AOF directory, sorted.
pub fn aof_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("appendonlydir"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The path of a file in the AOF directory.
pub fn aof_file(dir: &Path, name: &str) -> PathBuf {
    dir.join("appendonlydir").join(name)
}

/// Fills a server with every type but streams, several databases, a TTL
/// and a function library; both servers accept every command.
pub fn fill(c: &mut Conn) {
    let big = "x".repeat(100);
    for line in [
        "SET s hello",
        "SET n 12345",
        "SET ttl v PX 100000",
        "RPUSH l a b c",
        "HSET h f v g w",
        "SADD si 1 2 3",
        "SADD ss a b",
        "ZADD z 1.5 a 2 b -3.25 c",
        "PFADD hll a b c",
        "INCRBYFLOAT f 1.5",
        "SELECT 3",
        "SET other-db 1",
        "EXPIRE other-db 1000",
        "SELECT 0",
    ] {
        run(c, line);
    }
    for i in 0..150 {
        let (i, m) = (i.to_string(), format!("{big}{i}"));
        c.cmd(&["RPUSH", "ql", &m]);
        c.cmd(&["HSET", "hh", &m, &i]);
        c.cmd(&["SADD", "sh", &m]);
        c.cmd(&["ZADD", "zs", &i, &m]);
    }
    c.cmd(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=lib\nredis.register_function('f', function() return 42 end)",
    ]);
}
