//! [`Ctx`]: what a keyspace command handler gets to work with.
//!
//! A handler parses its arguments, asks the engine for the shard of each
//! key, reads or changes values there, and writes its reply. It sees no
//! sockets, no other clients and no server state: those belong to the
//! server layer, which builds a `Ctx` per command.

use lodestone_protocol::Reply;
use lodestone_storage::{Engine, Keyspace};

/// Configuration values command handlers read. The server copies them from
/// its configuration whenever it changes.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `proto-max-bulk-len`: the largest string a command may build.
    pub proto_max_bulk_len: i64,
    /// `lazyfree-lazy-user-del`: DEL behaves like UNLINK.
    pub lazyfree_lazy_user_del: bool,
    /// `lazyfree-lazy-user-flush`: FLUSHDB/FLUSHALL default to ASYNC.
    pub lazyfree_lazy_user_flush: bool,
    /// True when `maxmemory-policy` lets integer values be shared (affects
    /// only `OBJECT REFCOUNT`).
    pub shared_integers: bool,
    /// `hll-sparse-max-bytes`: the size past which a sparse HyperLogLog
    /// becomes dense.
    pub hll_sparse_max_bytes: usize,
    /// `stream-node-max-bytes` and `stream-node-max-entries`: when XADD
    /// opens a new block.
    pub stream_limits: lodestone_storage::stream::StreamLimits,
    /// `rdbcompression`: DUMP compresses long strings with LZF.
    pub rdb_compression: bool,
    /// `DEBUG SET-SKIP-CHECKSUM-VALIDATION`: RESTORE ignores the payload's
    /// CRC-64 (the RDB version is still checked).
    pub skip_checksum_validation: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            proto_max_bulk_len: 512 * 1024 * 1024,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            shared_integers: true,
            hll_sparse_max_bytes: lodestone_storage::hll::DEFAULT_SPARSE_MAX_BYTES,
            stream_limits: Default::default(),
            rdb_compression: true,
            skip_checksum_validation: false,
        }
    }
}

/// What a blocking command (BLPOP, BZPOPMIN, ...) waits for when it
/// finds nothing to serve: the server parks the client and re-runs the
/// command when one of the keys receives data, or replies null at the
/// deadline.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockRequest {
    /// Keys to wait on (in the client's selected database).
    pub keys: Vec<Vec<u8>>,
    /// Absolute deadline (Unix ms), or `None` to wait forever.
    pub deadline_ms: Option<i64>,
    /// The value type that can serve the client; keys of other types do
    /// not wake it.
    pub kind: lodestone_storage::Kind,
    /// Also wake the client when a key is deleted or changes type
    /// (XREADGROUP, whose group goes with the key).
    pub wake_on_delete: bool,
    /// Arguments to run again instead of the original ones, for a command
    /// that resolved something at blocking time (XREAD's `$`).
    pub rewritten_args: Option<Vec<Vec<u8>>>,
}

/// The context of one command execution.
pub struct Ctx<'a, 'r> {
    /// All shards.
    pub engine: &'a mut Engine,
    /// The client's selected database.
    pub db: usize,
    /// Where the reply goes.
    pub out: &'a mut Reply<'r>,
    /// Configuration relevant to commands.
    pub settings: &'a Settings,
    /// Full name of the running command (`set`, `object|encoding`), for error texts.
    pub cmd: &'a str,
    /// False inside MULTI/EXEC and scripts: blocking commands then behave
    /// as their non-blocking forms and reply null at once.
    pub may_block: bool,
    /// Set by a blocking command that must wait; it writes no reply then.
    pub block: Option<BlockRequest>,
    /// The command runs from a Lua script: replies whose order would
    /// otherwise be arbitrary (SORT of a set without sorting) are made
    /// deterministic, as Redis makes them for scripts.
    pub from_script: bool,
    /// The command comes from a source the server must obey as is (the
    /// append-only file being loaded; Redis's `mustObeyClient`): it was
    /// propagated by a server, so forms a client may not send (XADD with
    /// LIMIT and an exact trim) are applied.
    pub must_obey: bool,
    /// Set by a write whose effect is propagated (AOF, replicas) as other
    /// commands than the request: absolute expire times instead of
    /// relative ones, DEL for a GETDEL, SET for an INCRBYFLOAT (Redis's
    /// `rewriteClientCommandVector`). `None` propagates the request.
    pub propagate_as: Option<Vec<Vec<Vec<u8>>>>,
    /// Whether anything consumes what this command propagates (the AOF,
    /// replicas): when false `propagate_as` is ignored, so a command may
    /// skip building it (XADD's rewrite with the generated ID).
    pub propagating: bool,
    /// Set by a command that is propagated even when it changed nothing
    /// (FLUSHDB of an empty database: Redis's `forceCommandPropagation`,
    /// so the AOF and replicas see every FLUSHDB).
    pub force_propagation: bool,
    /// Set by [`Ctx::also_propagate`]: the commands go to every consumer
    /// even in a script that chose others with `redis.set_repl`, as
    /// Redis's `alsoPropagate` ignores that choice.
    pub propagate_everywhere: bool,
}

impl<'a, 'r> Ctx<'a, 'r> {
    /// The shard that owns `key`.
    pub fn ks(&mut self, key: &[u8]) -> &mut Keyspace {
        self.engine.shard_for(key)
    }

    /// Propagates this command's effect as `args` (see `propagate_as`).
    pub fn propagate_as(&mut self, args: &[&[u8]]) {
        self.propagate_as = Some(vec![args.iter().map(|a| a.to_vec()).collect()]);
    }

    /// Keeps the request itself from being propagated (Redis's
    /// `preventCommandPropagation`): only what [`Ctx::also_propagate`]
    /// adds is, for a command whose effect the request would not
    /// reproduce (XREADGROUP, XCLAIM).
    pub fn prevent_propagation(&mut self) {
        self.propagate_as.get_or_insert_with(Vec::new);
    }

    /// Adds `args` to what this command propagates instead of its request
    /// (Redis's `alsoPropagate`, see `propagate_everywhere`); several
    /// commands form one execution unit, which consumers apply atomically.
    pub fn also_propagate(&mut self, args: Vec<Vec<u8>>) {
        self.propagate_as.get_or_insert_with(Vec::new).push(args);
        self.propagate_everywhere = true;
    }
}
