//! Test-only oracle: a real `redis-server` whose `DUMP` payloads show the
//! exact listpack, intset and LZF bytes Redis produces, so the encoders in
//! this crate can be compared with it byte for byte. Shared by the
//! listpack, intset and LZF tests.
//!
//! The server listens only on a Unix socket in a scratch directory, so
//! parallel tests never race for ports. When `redis-server` is absent,
//! [`Redis::start`] prints a SKIPPED line and returns `None`.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lodestone_protocol::frame::{self, Frame};

/// RDB type byte of a plain string.
pub(crate) const RDB_TYPE_STRING: u8 = 0;
/// RDB type byte of an intset-encoded set.
pub(crate) const RDB_TYPE_SET_INTSET: u8 = 11;
/// RDB type byte of a listpack-encoded hash.
pub(crate) const RDB_TYPE_HASH_LISTPACK: u8 = 16;
/// RDB type byte of a quicklist of listpacks.
pub(crate) const RDB_TYPE_LIST_QUICKLIST_2: u8 = 18;
/// RDB version written into payloads we build (Redis 7.0's).
const RDB_VERSION: u16 = 10;

/// A running `redis-server`, killed on drop.
pub(crate) struct Redis {
    child: Child,
    dir: PathBuf,
    conn: UnixStream,
    pending: Vec<u8>,
}

impl Redis {
    /// Starts a private `redis-server`, or returns `None` (printing why)
    /// when none is installed.
    pub fn start(tag: &str) -> Option<Redis> {
        let Some(bin) = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
        else {
            eprintln!("SKIPPED: redis-server is not installed; {tag} oracle test not run");
            return None;
        };
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "lodestone-storage-{tag}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let sock = dir.join("redis.sock");
        let mut child = Command::new(bin)
            .args(["--port", "0", "--unixsocket"])
            .arg(&sock)
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        let conn = loop {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("redis-server exited early: {status}");
            }
            if let Ok(c) = UnixStream::connect(&sock) {
                break c;
            }
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut redis = Redis {
            child,
            dir,
            conn,
            pending: Vec::new(),
        };
        assert_eq!(redis.cmd(&[b"PING"]), Frame::Simple(b"PONG".to_vec()));
        Some(redis)
    }

    /// Sends one command and returns its reply.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Frame {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.conn.write_all(&out).expect("write to redis");
        loop {
            if let Some((f, used)) = frame::parse(&self.pending).expect("valid reply") {
                self.pending.drain(..used);
                return f;
            }
            let mut chunk = [0u8; 65536];
            let n = self.conn.read(&mut chunk).expect("read from redis");
            assert!(n > 0, "redis closed the connection");
            self.pending.extend_from_slice(&chunk[..n]);
        }
    }

    /// Sends a command that must not fail.
    pub fn ok(&mut self, args: &[&[u8]]) -> Frame {
        let reply = self.cmd(args);
        if let Frame::Error(e) = &reply {
            panic!("redis error: {}", String::from_utf8_lossy(e));
        }
        reply
    }

    /// `CONFIG SET name value`.
    pub fn config(&mut self, name: &str, value: &str) {
        self.ok(&[b"CONFIG", b"SET", name.as_bytes(), value.as_bytes()]);
    }

    /// `DUMP key`, split into its RDB type byte and object body.
    pub fn dump(&mut self, key: &[u8]) -> (u8, Vec<u8>) {
        match self.ok(&[b"DUMP", key]) {
            Frame::Bulk(payload) => {
                assert!(payload.len() > 11, "short DUMP payload");
                let body = payload[1..payload.len() - 10].to_vec();
                (payload[0], body)
            }
            other => panic!("DUMP returned {other:?}"),
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One string read from an RDB object body.
#[derive(Debug)]
pub(crate) struct RdbString {
    /// The string's bytes (decompressed with `decompress` when it was LZF).
    pub bytes: Vec<u8>,
    /// For LZF strings: the compressed bytes as Redis wrote them.
    pub lzf: Option<Vec<u8>>,
}

/// Reads RDB length-prefixed values from a DUMP body.
pub(crate) struct RdbReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> RdbReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        RdbReader { bytes, pos: 0 }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        s
    }

    /// A length; `Err(kind)` for the special string encodings (0xC0|kind).
    pub fn len(&mut self) -> Result<usize, u8> {
        let first = self.take(1)[0];
        match first >> 6 {
            0 => Ok((first & 0x3F) as usize),
            1 => Ok((((first & 0x3F) as usize) << 8) | self.take(1)[0] as usize),
            2 if first == 0x80 => {
                let b = self.take(4);
                Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            }
            2 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(self.take(8));
                Ok(u64::from_be_bytes(b) as usize)
            }
            _ => Err(first & 0x3F),
        }
    }

    /// A string, using `decompress(compressed, len)` for LZF ones.
    pub fn string(&mut self, decompress: impl Fn(&[u8], usize) -> Vec<u8>) -> RdbString {
        match self.len() {
            Ok(n) => RdbString {
                bytes: self.take(n).to_vec(),
                lzf: None,
            },
            Err(3) => {
                let clen = self.len().expect("clen");
                let len = self.len().expect("len");
                let compressed = self.take(clen).to_vec();
                RdbString {
                    bytes: decompress(&compressed, len),
                    lzf: Some(compressed),
                }
            }
            Err(kind) => panic!("integer-encoded RDB string (kind {kind}) not expected here"),
        }
    }

    /// Whether everything was consumed.
    pub fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

/// Encodes an RDB length.
pub(crate) fn rdb_len(out: &mut Vec<u8>, n: usize) {
    if n < 64 {
        out.push(n as u8);
    } else if n < 16384 {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// A RESTORE payload: type byte, object body, RDB version and CRC64.
pub(crate) fn restore_payload(rdb_type: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![rdb_type];
    out.extend_from_slice(body);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crate::rdb::crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}
