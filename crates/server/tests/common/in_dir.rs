//! Servers started in a directory the test owns and keeps across
//! restarts (persistence tests), ready as soon as they accept
//! connections: a server still loading its data set answers LOADING.

use super::{free_port, text, Conn};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

/// The Lodestone server binary.
pub const LODESTONE: &str = env!("CARGO_BIN_EXE_lodestone-server");
/// The oracle, where CI installs it.
pub const REDIS: &str = "/usr/bin/redis-server";

/// A server process, killed on drop (its directory stays).
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

/// Starts `bin` in `dir` (log in `dir/log`, stderr in `dir/stderr`, no save points, no AOF,
/// DEBUG enabled, then `extra`) and waits until it accepts connections.
pub fn spawn(bin: &str, dir: &Path, extra: &[&str]) -> Proc {
    try_spawn(bin, dir, extra).unwrap_or_else(|status| panic!("server exited: {status}"))
}

/// Like [`spawn`], but a server that exits first (refusing its data
/// file) is an `Err` with its exit status.
pub fn try_spawn(bin: &str, dir: &Path, extra: &[&str]) -> Result<Proc, ExitStatus> {
    let port = free_port();
    let mut child = Command::new(bin)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args([
            "--enable-debug-command",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--logfile")
        .arg(dir.join("log"))
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        // A crash leaves its panic message here for the failing test.
        .stderr(
            std::fs::File::create(dir.join("stderr"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
        )
        .spawn()
        .expect("spawn server");
    for _ in 0..1000 {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(status);
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(Proc { child, port });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("server did not start");
}

/// A fresh scratch directory.
pub fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lodestone-dir-{tag}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A field of an INFO section.
pub fn info_field(c: &mut Conn, section: &str, name: &str) -> Option<String> {
    let info = text(c.cmd_raw(&["INFO", section]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
}

/// Waits until the server answers PING (its load is over).
pub fn wait_loaded(c: &mut Conn) {
    for _ in 0..2000 {
        if text(c.cmd_raw(&["PING"])) == "+PONG\r\n" {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the load never ended");
}

/// Waits until no BGSAVE runs.
pub fn wait_bgsave_done(c: &mut Conn) {
    for _ in 0..1000 {
        if info_field(c, "persistence", "rdb_bgsave_in_progress").as_deref() == Some("0") {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("BGSAVE never ended");
}
