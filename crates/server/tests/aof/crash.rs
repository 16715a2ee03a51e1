//! Crash safety: a writer sends SET and INCR while the server is killed
//! with SIGKILL at a random moment; after a restart every acknowledged
//! write is there with `appendfsync always`, and with `everysec` every
//! write acknowledged well before the kill (Redis promises at most about
//! one to two seconds of loss; the test allows three).

use super::harness::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// What the writer saw acknowledged.
struct Acked {
    /// (i, when) for each `SET key:i i` answered +OK.
    sets: Vec<(u64, Instant)>,
    /// INCR replies received (the counter's value at each).
    incrs: Vec<(i64, Instant)>,
}

/// Writes until the connection breaks, one command at a time.
fn writer(port: u16) -> Acked {
    let mut acked = Acked {
        sets: Vec::new(),
        incrs: Vec::new(),
    };
    let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return acked;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut out = stream.try_clone().expect("clone");
    let mut input = BufReader::new(stream);
    let mut line = String::new();
    for i in 0u64.. {
        let key = format!("key:{i}");
        let value = i.to_string();
        let set = format!(
            "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
            key.len(),
            value.len()
        );
        if out.write_all(set.as_bytes()).is_err() {
            break;
        }
        line.clear();
        match input.read_line(&mut line) {
            Ok(n) if n > 0 && line == "+OK\r\n" => acked.sets.push((i, Instant::now())),
            _ => break,
        }
        if out
            .write_all(b"*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n")
            .is_err()
        {
            break;
        }
        line.clear();
        match input.read_line(&mut line) {
            Ok(n) if n > 0 && line.starts_with(':') => {
                let v = line[1..].trim().parse().expect("integer");
                acked.incrs.push((v, Instant::now()));
            }
            _ => break,
        }
    }
    acked
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    for (policy, slack) in [
        ("always", Duration::ZERO),
        ("everysec", Duration::from_secs(3)),
    ] {
        let dir = scratch(&format!("crash-{policy}"));
        let server = lodestone_aof(&dir, &["--appendfsync", policy]);
        let port = server.port;
        let handle = std::thread::spawn(move || writer(port));
        // Somewhere between 4 and 6 seconds in.
        let wait = Duration::from_millis(4000 + fastrand::u64(..2000));
        std::thread::sleep(wait);
        let killed_at = Instant::now();
        server.kill9();
        let acked = handle.join().expect("writer");
        assert!(acked.sets.len() > 100, "only {} writes", acked.sets.len());
        let promised = |at: &Instant| killed_at.saturating_duration_since(*at) > slack;
        let server = lodestone_aof(&dir, &["--appendfsync", policy]);
        let mut c = server.conn();
        let must: Vec<u64> = acked
            .sets
            .iter()
            .filter(|(_, at)| promised(at))
            .map(|(i, _)| *i)
            .collect();
        assert!(!must.is_empty());
        for chunk in must.chunks(1000) {
            let keys: Vec<String> = chunk.iter().map(|i| format!("key:{i}")).collect();
            let mut args = vec!["MGET"];
            args.extend(keys.iter().map(String::as_str));
            let got = text(&c.cmd(&args));
            let want: Vec<String> = chunk.iter().map(u64::to_string).collect();
            assert_eq!(got, format!("[{}]", want.join(",")), "policy {policy}");
        }
        let counter: i64 = run(&mut c, "GET counter").parse().expect("counter");
        let last_promised = acked
            .incrs
            .iter()
            .filter(|(_, at)| promised(at))
            .map(|(v, _)| *v)
            .max()
            .unwrap_or(0);
        assert!(
            counter >= last_promised,
            "policy {policy}: counter {counter} < acknowledged {last_promised}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
