//! The effects stream: the write commands that changed the data set, in
//! the order they did, grouped into execution units, for the consumers
//! that keep a copy of the data (the AOF, replicas).
//!
//! As in Redis 7, what is propagated is effects, not requests: a script
//! or a transaction is not sent itself; the write commands it ran are, and
//! when one unit (a top-level command with everything it ran) wrote more
//! than once, its writes are wrapped in MULTI/EXEC so that consumers apply
//! them atomically. A command is recorded when it changed the data set
//! (its shard's `dirty` counter moved), so failed writes and no-ops are
//! never sent. Scripts choose targets with `redis.set_repl`.
//!
//! Nothing is recorded while no consumer is registered, so the stream
//! costs nothing until persistence or replication asks for it.

/// The effect goes to the append-only file (`redis.REPL_AOF`).
pub const TARGET_AOF: u8 = 1;
/// The effect goes to replicas (`redis.REPL_REPLICA`).
pub const TARGET_REPLICAS: u8 = 2;
/// Both (`redis.REPL_ALL`), the default.
pub const TARGET_ALL: u8 = TARGET_AOF | TARGET_REPLICAS;

/// Commands whose own request is never propagated: the writes they run
/// are, one by one (Redis marks them `CLIENT_PREVENT_PROP`).
const PROPAGATE_INNER_WRITES_ONLY: &[&str] = &[
    "exec",
    "eval",
    "evalsha",
    "eval_ro",
    "evalsha_ro",
    "fcall",
    "fcall_ro",
];

/// One propagated command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    /// The database it applies to; `None` for MULTI and EXEC, which need
    /// no SELECT before them.
    pub db: Option<usize>,
    /// Its arguments, command name first.
    pub args: Vec<Vec<u8>>,
    /// Which consumers get it (`TARGET_*` bits).
    pub targets: u8,
}

/// A consumer of the effects stream.
pub trait EffectSink {
    /// The `TARGET_*` bit this consumer stands for.
    fn target(&self) -> u8;
    /// One execution unit, already wrapped in MULTI/EXEC when it holds
    /// several writes; only the effects meant for this consumer.
    fn feed(&mut self, unit: &[Effect]);
}

/// The stream: registered consumers and the unit being built.
#[derive(Default)]
pub struct Effects {
    sinks: Vec<Box<dyn EffectSink>>,
    pending: Vec<Effect>,
    suspended: bool,
    /// The replication offset (Redis's `master_repl_offset`): bytes of
    /// the replicas' stream once one attached, before that one per
    /// command propagated (what WAIT and WAITAOF compare with).
    repl_offset: i64,
}

impl Effects {
    /// Registers a consumer; it gets every unit that ends from now on.
    pub fn add_sink(&mut self, sink: Box<dyn EffectSink>) {
        self.sinks.push(sink);
    }

    /// Unregisters the consumers of `target` (the AOF turned off).
    pub fn remove_sinks(&mut self, target: u8) {
        self.sinks.retain(|s| s.target() != target);
    }

    /// Whether a consumer of `target` is registered.
    pub fn has_sink(&self, target: u8) -> bool {
        self.sinks.iter().any(|s| s.target() == target)
    }

    /// Stops (or resumes) recording: while an append-only file is replayed
    /// its commands must not be propagated again, as Redis turns the AOF
    /// off while loading.
    pub fn set_suspended(&mut self, suspended: bool) {
        self.suspended = suspended;
        self.pending.clear();
    }

    /// The replication offset after everything propagated so far.
    pub fn repl_offset(&self) -> i64 {
        self.repl_offset
    }

    /// Moves the replication offset on by `n` (bytes the replicas' stream
    /// received, or one command fed while no replica stream exists).
    pub fn advance_repl_offset(&mut self, n: i64) {
        self.repl_offset += n;
    }

    /// Whether anyone consumes the stream (recording is skipped if not).
    pub fn active(&self) -> bool {
        !self.sinks.is_empty() && !self.suspended
    }

    /// Whether `command`'s own request is propagated when it writes
    /// (false for EXEC and the script commands, whose inner writes are).
    pub fn propagates_itself(command: &str) -> bool {
        !PROPAGATE_INNER_WRITES_ONLY.contains(&command)
    }

    /// Adds a write to the current unit (Redis's `alsoPropagate`).
    pub fn record(&mut self, db: usize, args: &[&[u8]], targets: u8) {
        if !self.active() || targets == 0 {
            return;
        }
        self.pending.push(Effect {
            db: Some(db),
            args: args.iter().map(|a| a.to_vec()).collect(),
            targets,
        });
    }

    /// Ends the current unit and hands it to the consumers (Redis's
    /// `propagatePendingCommands`): wrapped in MULTI/EXEC when it holds
    /// several writes, unless `atomic` is false (a command touching
    /// arbitrary keys run on its own, whose writes need no transaction).
    pub fn end_unit(&mut self, atomic: bool) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let wrap = atomic && pending.len() > 1;
        let marker = |name: &[u8]| Effect {
            db: None,
            args: vec![name.to_vec()],
            targets: TARGET_ALL,
        };
        if !self.has_sink(TARGET_REPLICAS) {
            // Without a replica stream Redis still counts each command
            // meant for replicas (MULTI and EXEC included) in the offset,
            // so WAITAOF can tell which writes an fsync covered.
            let n = pending
                .iter()
                .filter(|e| e.targets & TARGET_REPLICAS != 0)
                .count() as i64;
            self.repl_offset += n + if wrap { 2 } else { 0 };
        }
        for sink in &mut self.sinks {
            let target = sink.target();
            let mut unit: Vec<Effect> = Vec::with_capacity(pending.len() + 2);
            unit.extend(pending.iter().filter(|e| e.targets & target != 0).cloned());
            if unit.is_empty() {
                continue;
            }
            if wrap && unit.len() > 1 {
                unit.insert(0, marker(b"MULTI"));
                unit.push(marker(b"EXEC"));
            }
            sink.feed(&unit);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Units as text, one line per effect, shared with the test.
    pub(crate) type Units = Rc<RefCell<Vec<Vec<String>>>>;

    /// A consumer that keeps every unit it gets, as text.
    pub(crate) struct Recorder {
        pub target: u8,
        pub units: Units,
    }

    impl EffectSink for Recorder {
        fn target(&self) -> u8 {
            self.target
        }
        fn feed(&mut self, unit: &[Effect]) {
            let text = unit
                .iter()
                .map(|e| {
                    let args: Vec<String> = e
                        .args
                        .iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect();
                    match e.db {
                        Some(db) => format!("{db}: {}", args.join(" ")),
                        None => args.join(" "),
                    }
                })
                .collect();
            self.units.borrow_mut().push(text);
        }
    }

    /// A recorder for `target` and the units it will collect.
    pub(crate) fn recorder(target: u8) -> (Box<Recorder>, Units) {
        let units = Rc::new(RefCell::new(Vec::new()));
        let r = Recorder {
            target,
            units: units.clone(),
        };
        (Box::new(r), units)
    }

    #[test]
    fn units_of_several_writes_are_wrapped() {
        let mut fx = Effects::default();
        fx.record(0, &[b"SET", b"a", b"1"], TARGET_ALL);
        assert!(fx.pending.is_empty(), "nothing recorded without consumers");
        let (aof, aof_units) = recorder(TARGET_AOF);
        let (repl, repl_units) = recorder(TARGET_REPLICAS);
        fx.add_sink(aof);
        fx.add_sink(repl);
        fx.record(0, &[b"SET", b"a", b"1"], TARGET_ALL);
        fx.end_unit(true);
        fx.record(0, &[b"SET", b"a", b"1"], TARGET_ALL);
        fx.record(3, &[b"DEL", b"b"], TARGET_AOF);
        fx.end_unit(true);
        fx.end_unit(true);
        assert_eq!(
            *aof_units.borrow(),
            vec![
                vec!["0: SET a 1".to_string()],
                vec![
                    "MULTI".to_string(),
                    "0: SET a 1".to_string(),
                    "3: DEL b".to_string(),
                    "EXEC".to_string()
                ],
            ]
        );
        // Replicas see only what was meant for them: one write, unwrapped.
        assert_eq!(
            *repl_units.borrow(),
            vec![
                vec!["0: SET a 1".to_string()],
                vec!["0: SET a 1".to_string()]
            ]
        );
    }

    #[test]
    fn arbitrary_key_commands_are_not_wrapped() {
        let mut fx = Effects::default();
        let (aof, units) = recorder(TARGET_AOF);
        fx.add_sink(aof);
        fx.record(0, &[b"DEL", b"a"], TARGET_ALL);
        fx.record(0, &[b"DEL", b"b"], TARGET_ALL);
        fx.end_unit(false);
        assert_eq!(units.borrow()[0].len(), 2);
    }
}

#[cfg(test)]
mod server_tests {
    use super::tests::recorder;
    use super::*;
    use crate::client::Client;
    use crate::config::Config;
    use crate::server::Server;

    /// A server with one client (on a real loopback socket) and a
    /// recorder for `target`; runs `commands` and returns the units.
    fn units_after(target: u8, commands: &[&[&str]]) -> Vec<Vec<String>> {
        let mut server = Server::new(Config::new()).expect("server");
        let (sink, units) = recorder(target);
        server.effects.add_sink(sink);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
        let _peer = std::net::TcpStream::connect(listener.local_addr().expect("addr"));
        let (stream, _) = listener.accept().expect("accept");
        let stream = mio::net::TcpStream::from_std(stream);
        let mut client = Client::new(1, stream, String::new(), String::new(), 0);
        client.authenticated = true;
        let key = server.clients.insert(client);
        for cmd in commands {
            let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
            server.run_command(key, &args);
        }
        let out = units.borrow().clone();
        out
    }

    fn unit(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn writes_are_propagated_once_and_only_when_they_change_data() {
        let units = units_after(
            TARGET_AOF,
            &[
                &["SET", "a", "1"],
                &["GET", "a"],
                &["SET", "b", "2", "NX"],
                &["SET", "b", "3", "NX"],
                &["INCR", "a"],
                &["INCR", "b", "extra"],
                &["SELECT", "5"],
                &["DEL", "nosuch"],
                &["SADD", "s", "x"],
            ],
        );
        assert_eq!(
            units,
            vec![
                unit(&["0: SET a 1"]),
                unit(&["0: SET b 2 NX"]),
                unit(&["0: INCR a"]),
                unit(&["5: SADD s x"]),
            ]
        );
    }

    #[test]
    fn transactions_and_scripts_propagate_their_effects_atomically() {
        let units = units_after(
            TARGET_ALL,
            &[
                &["MULTI"],
                &["SET", "a", "1"],
                &["GET", "a"],
                &["SELECT", "2"],
                &["LPUSH", "l", "x"],
                &["EXEC"],
                &["MULTI"],
                &["INCR", "n"],
                &["EXEC"],
                &["EVAL", "redis.call('set', KEYS[1], 'v'); redis.call('get', KEYS[1]); return redis.call('del', 'k2')", "1", "k1"],
                &["EVAL", "redis.set_repl(redis.REPL_NONE); redis.call('set', 'hidden', 1); redis.set_repl(redis.REPL_ALL); return redis.call('set', 'shown', 1)", "0"],
                &["EVAL", "return redis.call('get', 'a')", "0"],
            ],
        );
        assert_eq!(
            units,
            vec![
                unit(&["MULTI", "0: SET a 1", "2: LPUSH l x", "EXEC"]),
                unit(&["2: INCR n"]),
                unit(&["2: set k1 v"]),
                unit(&["2: set shown 1"]),
            ]
        );
    }

    #[test]
    fn group_reads_in_scripts_reach_every_consumer() {
        // Redis's alsoPropagate ignores redis.set_repl: the XCLAIM a read
        // is sent as goes everywhere, the hidden XADD nowhere.
        let script = "redis.set_repl(redis.REPL_REPLICA); redis.call('xadd', 's', '1-1', 'f', 'v'); return redis.call('xreadgroup', 'group', 'g', 'c', 'streams', 's', '>')";
        let units = units_after(
            TARGET_AOF,
            &[
                &["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"],
                &["EVAL", script, "0"],
            ],
        );
        assert_eq!(units.len(), 2);
        assert!(
            units[1][0].starts_with("0: XCLAIM s g c 0 1-1 TIME "),
            "{units:?}"
        );
        assert!(units[1][0].ends_with(" RETRYCOUNT 1 FORCE JUSTID LASTID 1-1"));
    }

    #[test]
    fn script_targets_reach_only_their_consumers() {
        let script = "redis.set_repl(redis.REPL_REPLICA); redis.call('set', 'r', 1); redis.set_repl(redis.REPL_AOF); redis.call('set', 'f', 1)";
        let aof = units_after(TARGET_AOF, &[&["EVAL", script, "0"]]);
        assert_eq!(aof, vec![unit(&["0: set f 1"])]);
        let replicas = units_after(TARGET_REPLICAS, &[&["EVAL", script, "0"]]);
        assert_eq!(replicas, vec![unit(&["0: set r 1"])]);
    }
}
