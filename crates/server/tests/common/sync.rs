//! The replication stream as a replica sees it: SYNC, the snapshot
//! skipped, then the propagated commands one at a time, exactly as sent
//! (Lodestone and redis-server alike, so streams can be compared).

use super::Conn;
use lodestone_protocol::frame::Frame;

/// A connection that sent SYNC and now receives the stream.
pub struct ReplicationStream {
    conn: Conn,
}

impl ReplicationStream {
    /// Attaches to the server on `port`: sends SYNC and skips the
    /// snapshot (and the newlines Redis sends while it prepares it).
    pub fn attach(port: u16) -> ReplicationStream {
        let mut conn = Conn::connect(port);
        conn.send_raw(b"SYNC\r\n");
        let header = conn.read_line();
        let header: Vec<u8> = header.into_iter().skip_while(|&b| b == b'\n').collect();
        assert_eq!(header.first(), Some(&b'$'), "SYNC answered {header:?}");
        let len: usize = std::str::from_utf8(&header[1..])
            .ok()
            .and_then(|s| s.parse().ok())
            .expect("snapshot length");
        conn.read_bytes(len);
        ReplicationStream { conn }
    }

    /// The next command (PINGs skipped), its arguments as text.
    pub fn next(&mut self) -> Vec<String> {
        loop {
            let Frame::Array(parts) = self.conn.read() else {
                panic!("the replication stream sent something other than a command");
            };
            let args: Vec<String> = parts
                .into_iter()
                .map(|p| match p {
                    Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                    other => panic!("unexpected argument {other:?}"),
                })
                .collect();
            if !args[0].eq_ignore_ascii_case("ping") {
                return args;
            }
        }
    }

    /// Every command up to `SET <marker> 1`, which the caller sends to
    /// mark the end of what it wants to read (the marker is not returned).
    pub fn until_marker(&mut self, marker: &str) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        loop {
            let cmd = self.next();
            if cmd.len() == 3 && cmd[0].eq_ignore_ascii_case("set") && cmd[1] == marker {
                return out;
            }
            out.push(cmd);
        }
    }
}
