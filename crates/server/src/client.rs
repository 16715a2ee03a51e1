//! [`Client`]: the state of one connection.
//!
//! A client owns its socket, its input buffer (with the incremental request
//! parser) and its output buffer. Replies are appended to `out`; the event
//! loop writes `out` to the socket once per iteration, so a pipeline of
//! commands costs one write. Everything else here is the per-connection
//! state commands read and change: selected database, protocol version,
//! name, transaction, subscriptions, client-side caching, flags.

use lodestone_protocol::RequestParser;
use mio::net::TcpStream;
use std::collections::HashSet;

/// The id CLIENT ID reports; unique for the life of the process.
pub type ClientId = u64;

/// Bytes and parser state of what a client sent and we have not run yet.
#[derive(Default)]
pub struct Input {
    /// Bytes read from the socket, starting at the first unprocessed one.
    pub buf: Vec<u8>,
    /// Parser positioned within `buf`.
    pub parser: RequestParser,
}

/// CLIENT REPLY mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    /// Replies are sent.
    On,
    /// Replies are dropped until `CLIENT REPLY ON`.
    Off,
    /// The reply of the next command is dropped.
    SkipNext,
    /// The reply of the current command is dropped (SkipNext after one command).
    Skip,
}

/// A queued command of a MULTI transaction.
pub struct QueuedCommand {
    /// The command's id in the command table.
    pub cmd: usize,
    /// Its arguments, owned.
    pub args: Vec<Vec<u8>>,
}

/// A client parked by a blocking command until a key receives data or the
/// deadline passes.
pub struct Blocked {
    /// The command to run again.
    pub cmd: usize,
    /// Its arguments.
    pub args: Vec<Vec<u8>>,
    /// The database the keys are in.
    pub db: usize,
    /// Keys waited on.
    pub keys: Vec<Vec<u8>>,
    /// Absolute deadline (Unix ms), `None` for forever.
    pub deadline_ms: Option<i64>,
    /// Value type that can serve the client.
    pub kind: lodestone_storage::Kind,
    /// Run the command again also when a key is deleted or changes type
    /// (XREADGROUP, which then fails with NOGROUP).
    pub wake_on_delete: bool,
    /// WAIT or WAITAOF: what acknowledgements it waits for (no keys then).
    pub acks: Option<AckWait>,
}

/// What a client blocked in WAIT or WAITAOF waits for (Redis's
/// `bstate.reploffset`, `numreplicas`, `numlocal`).
#[derive(Clone, Copy, Debug)]
pub struct AckWait {
    /// The replication offset of its last write.
    pub offset: i64,
    /// Replicas that must acknowledge it.
    pub numreplicas: i64,
    /// WAITAOF: whether the local AOF must have fsynced it; `None` for
    /// WAIT (replicas' processing, not their fsync, is counted).
    pub numlocal: Option<bool>,
}

/// MULTI state.
#[derive(Default)]
pub struct Multi {
    /// Commands queued so far.
    pub queued: Vec<QueuedCommand>,
    /// A command failed to queue: EXEC must answer EXECABORT.
    pub aborted: bool,
    /// Bytes of queued arguments (`multi-mem` in CLIENT LIST).
    pub bytes: usize,
    /// A queued command is `denyoom`: EXEC is refused while memory is over
    /// `maxmemory`.
    pub denyoom: bool,
}

/// Flags of a client (Redis's `CLIENT_*` where they exist).
pub mod flags {
    /// Close once the output buffer is written (QUIT, protocol error).
    pub const CLOSE_AFTER_REPLY: u32 = 1 << 0;
    /// Close at the next opportunity without writing (CLIENT KILL, limits).
    pub const CLOSE_ASAP: u32 = 1 << 1;
    /// In MONITOR mode.
    pub const MONITOR: u32 = 1 << 2;
    /// CLIENT NO-EVICT on.
    pub const NO_EVICT: u32 = 1 << 3;
    /// CLIENT NO-TOUCH on.
    pub const NO_TOUCH: u32 = 1 << 4;
    /// The protocol error made this client unusable; its input is discarded.
    pub const PROTOCOL_ERROR: u32 = 1 << 5;
    /// Waiting for CLIENT PAUSE to end before running its next command.
    pub const PAUSED: u32 = 1 << 6;
    /// Blocked by a blocking command.
    pub const BLOCKED: u32 = 1 << 7;
    /// Connected through a Unix socket.
    pub const UNIX_SOCKET: u32 = 1 << 8;
    /// A replica attached by SYNC/PSYNC: it receives the write stream.
    pub const REPLICA: u32 = 1 << 9;
    /// CLIENT TRACKING on: keys it reads (or BCAST prefixes) are tracked.
    pub const TRACKING: u32 = 1 << 10;
    /// The client its invalidations are redirected to is gone.
    pub const TRACKING_BROKEN_REDIR: u32 = 1 << 11;
    /// Tracking in BCAST mode (prefixes, nothing remembered per key).
    pub const TRACKING_BCAST: u32 = 1 << 12;
    /// Tracking in OPTIN mode: only reads after CLIENT CACHING YES count.
    pub const TRACKING_OPTIN: u32 = 1 << 13;
    /// Tracking in OPTOUT mode: reads after CLIENT CACHING NO do not count.
    pub const TRACKING_OPTOUT: u32 = 1 << 14;
    /// CLIENT CACHING was given for the next command or transaction.
    pub const TRACKING_CACHING: u32 = 1 << 15;
    /// Tracking with NOLOOP: no invalidations for the client's own writes.
    pub const TRACKING_NOLOOP: u32 = 1 << 16;
    /// Every tracking flag, cleared together when tracking is turned off.
    pub const TRACKING_ALL: u32 = TRACKING
        | TRACKING_BROKEN_REDIR
        | TRACKING_BCAST
        | TRACKING_OPTIN
        | TRACKING_OPTOUT
        | TRACKING_CACHING
        | TRACKING_NOLOOP;
    /// Never blocks: a blocking command answers as if it timed out (the
    /// append-only file's fake client, Redis's `CLIENT_DENY_BLOCKING`).
    pub const DENY_BLOCKING: u32 = 1 << 17;
    /// Its commands were propagated by a server and are applied as they
    /// are (the append-only file's fake client; Redis's `mustObeyClient`).
    pub const MUST_OBEY: u32 = 1 << 18;
}

/// One connection.
pub struct Client {
    /// CLIENT ID.
    pub id: ClientId,
    /// The socket; `None` for the fake client that replays an append-only
    /// file (its replies are discarded).
    pub stream: Option<TcpStream>,
    /// The socket's file descriptor (CLIENT LIST `fd`).
    pub fd: i32,
    /// Peer address `ip:port`.
    pub addr: String,
    /// Local address `ip:port`.
    pub laddr: String,
    /// What the client sent and we have not run yet.
    pub input: Input,
    /// Replies not yet written to the socket.
    pub out: Vec<u8>,
    /// How much of `out` is already written.
    pub out_sent: usize,
    /// True while the client is in the server's pending-write list.
    pub pending_write: bool,
    /// Selected database.
    pub db: usize,
    /// Protocol version (2 or 3).
    pub resp: u8,
    /// CLIENT SETNAME.
    pub name: Option<Vec<u8>>,
    /// CLIENT SETINFO LIB-NAME.
    pub lib_name: Option<Vec<u8>>,
    /// CLIENT SETINFO LIB-VER.
    pub lib_ver: Option<Vec<u8>>,
    /// Flags (see [`flags`]).
    pub flags: u32,
    /// True once AUTH succeeded (or when no password is required).
    pub authenticated: bool,
    /// The ACL user.
    pub user: String,
    /// When the connection was accepted (ms).
    pub created_ms: i64,
    /// Last time a command ran or data arrived (ms).
    pub last_interaction_ms: i64,
    /// MULTI state, while in a transaction.
    pub multi: Option<Multi>,
    /// Keys this client WATCHes: (db, key).
    pub watched: Vec<(usize, Vec<u8>)>,
    /// Channels subscribed with SUBSCRIBE.
    pub channels: HashSet<Vec<u8>>,
    /// Patterns subscribed with PSUBSCRIBE.
    pub patterns: HashSet<Vec<u8>>,
    /// Shard channels subscribed with SSUBSCRIBE.
    pub shard_channels: HashSet<Vec<u8>>,
    /// CLIENT REPLY mode.
    pub reply_mode: ReplyMode,
    /// Id of the last command run (CLIENT LIST `cmd`).
    pub last_cmd: Option<usize>,
    /// Since when the output buffer is over the soft limit (ms).
    pub soft_limit_since: Option<i64>,
    /// Largest input buffer size seen recently (for shrinking it).
    pub input_peak: usize,
    /// Length and capacity of the input buffer when its commands started
    /// running: the buffer is moved out of the client meanwhile, and CLIENT
    /// LIST reports it for the running client (`qbuf`, `qbuf-free`).
    pub running_input: (usize, usize),
    /// Blocking-command state while blocked.
    pub blocked: Option<Blocked>,
    /// Push messages for this client produced while its own command runs
    /// (and any push while its replies are off); appended to `out` after
    /// the reply of its top-level command.
    pub set_aside_pushes: Vec<u8>,
    /// Push data for this client produced while its own command runs
    /// (a message it published to itself, an invalidation redirected to
    /// it): Redis 7.2 sends it after the command's reply, so it waits here
    /// until the outermost command of the client ends.
    pub deferred_pushes: Vec<u8>,
    /// While a script's command runs for this client, `resp` holds the
    /// script's protocol and this the connection's own, which pushes to
    /// the connection use.
    pub script_saved_resp: Option<u8>,
    /// CLIENT TRACKING REDIRECT: id of the client receiving this client's
    /// invalidations (0: none). Kept after tracking is turned off, as
    /// Redis does, but only reported while tracking is on.
    pub tracking_redirect: ClientId,
    /// CLIENT TRACKING BCAST prefixes, in byte order.
    pub tracking_prefixes: std::collections::BTreeSet<Vec<u8>>,
    /// The replication offset after its last command that propagated
    /// something (Redis's `woff`): what WAIT and WAITAOF wait for.
    pub woff: i64,
    /// A replica: the offset it acknowledged processing (REPLCONF ACK).
    pub repl_ack_off: i64,
    /// A replica: the offset it acknowledged fsyncing to its AOF
    /// (REPLCONF ACK ... FACK).
    pub repl_aof_off: i64,
    /// A replica: when it last acknowledged (Unix ms), for INFO's `lag`.
    pub repl_ack_time_ms: i64,
    /// The port the replica says it listens on (REPLCONF
    /// listening-port), shown by INFO replication.
    pub repl_listening_port: i64,
    /// REPLCONF rdb-only 1: the client wants the snapshot only, not the
    /// command stream after it (`redis-cli --rdb`).
    pub repl_rdb_only: bool,
    /// REPLCONF rdb-filter-only: which parts the snapshot keeps (`None`:
    /// everything).
    pub repl_rdb_parts: Option<crate::persistence::save::SnapshotParts>,
}

impl Client {
    /// A freshly accepted client.
    pub fn new(
        id: ClientId,
        stream: TcpStream,
        addr: String,
        laddr: String,
        now_ms: i64,
    ) -> Client {
        use std::os::fd::AsRawFd;
        let fd = stream.as_raw_fd();
        Client::with_stream(id, Some(stream), fd, addr, laddr, now_ms)
    }

    /// A client without a connection, as Redis's `createClient(NULL)`:
    /// what runs the commands of an append-only file while it loads. It
    /// never blocks and its replies are thrown away.
    pub fn fake(id: ClientId, now_ms: i64) -> Client {
        let mut c = Client::with_stream(id, None, -1, String::new(), String::new(), now_ms);
        c.authenticated = true;
        c.flags |= flags::DENY_BLOCKING | flags::MUST_OBEY;
        c
    }

    fn with_stream(
        id: ClientId,
        stream: Option<TcpStream>,
        fd: i32,
        addr: String,
        laddr: String,
        now_ms: i64,
    ) -> Client {
        Client {
            id,
            stream,
            fd,
            addr,
            laddr,
            input: Input::default(),
            out: Vec::new(),
            out_sent: 0,
            pending_write: false,
            db: 0,
            resp: 2,
            name: None,
            lib_name: None,
            lib_ver: None,
            flags: 0,
            authenticated: false,
            user: "default".to_string(),
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            multi: None,
            watched: Vec::new(),
            channels: HashSet::new(),
            patterns: HashSet::new(),
            shard_channels: HashSet::new(),
            reply_mode: ReplyMode::On,
            last_cmd: None,
            soft_limit_since: None,
            input_peak: 0,
            running_input: (0, 0),
            blocked: None,
            set_aside_pushes: Vec::new(),
            deferred_pushes: Vec::new(),
            script_saved_resp: None,
            tracking_redirect: 0,
            tracking_prefixes: std::collections::BTreeSet::new(),
            woff: 0,
            repl_ack_off: 0,
            repl_aof_off: 0,
            repl_ack_time_ms: 0,
            repl_listening_port: 0,
            repl_rdb_only: false,
            repl_rdb_parts: None,
        }
    }

    /// True when any flag of `f` is set.
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// Number of Pub/Sub subscriptions of all kinds.
    pub fn subscription_count(&self) -> usize {
        self.channels.len() + self.patterns.len() + self.shard_channels.len()
    }

    /// True in RESP2 subscribed mode, where only (un)subscribe commands,
    /// PING, QUIT and RESET are allowed.
    pub fn in_resp2_pubsub(&self) -> bool {
        self.resp == 2 && self.subscription_count() > 0
    }

    /// Bytes waiting to be written.
    pub fn pending_output(&self) -> usize {
        self.out.len() - self.out_sent
    }

    /// The protocol the connection speaks (HELLO), even while a script's
    /// command replies in the script's protocol: pushes are written in it.
    pub fn connection_resp(&self) -> u8 {
        self.script_saved_resp.unwrap_or(self.resp)
    }

    /// Whether a command's reply should be kept given CLIENT REPLY.
    pub fn replies_enabled(&self) -> bool {
        self.reply_mode == ReplyMode::On
    }
}
