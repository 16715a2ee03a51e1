//! Shared test harness: starts the real `lodestone-server` binary (and,
//! for differential tests, a real `redis-server`) on ephemeral ports and
//! talks RESP to them over TCP.
#![allow(dead_code)]

use lodestone_protocol::frame::{self, Frame};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
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
    let dir = std::env::temp_dir().join(format!("lodestone-test-{tag}-{}-{}", std::process::id(), free_port()));
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
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--dir"])
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
    let bin = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].into_iter().find(|p| std::path::Path::new(p).exists());
    let Some(bin) = bin else {
        eprintln!("SKIPPED: redis-server is not installed; differential test not run");
        return None;
    };
    let port = free_port();
    let dir = scratch_dir("redis");
    let mut child = Command::new(bin)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir"])
        .arg(&dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-server");
    wait_ready(port, &mut child);
    Some(ServerProcess { port, child, dir })
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
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        Conn { stream, buf: Vec::new() }
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
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
        frame::parse(&raw).expect("valid reply").expect("complete reply").0
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
