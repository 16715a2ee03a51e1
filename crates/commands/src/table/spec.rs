//! The static description of a command: everything `COMMAND INFO`,
//! `COMMAND DOCS`, `COMMAND GETKEYS`, ACL categories and cluster routing need.
//!
//! The values are Redis 7.2's (clients route and display by them), held in
//! [`super::defs`], which `scripts/gen-command-table.py` writes from Redis's
//! command metadata.

/// Static metadata of one command or subcommand.
#[derive(Debug)]
pub struct CommandDef {
    /// Lower-case name (`get`, or `kill` for `client|kill`).
    pub name: &'static str,
    /// Lower-case name of the parent command for subcommands, else `""`.
    pub container: &'static str,
    /// One-line description.
    pub summary: &'static str,
    /// Redis version that introduced the command.
    pub since: &'static str,
    /// Command group (`string`, `generic`, `sorted-set`, ...).
    pub group: &'static str,
    /// Time complexity text.
    pub complexity: &'static str,
    /// Arity: exact argument count including the name, or `-n` for "at least n".
    pub arity: i32,
    /// `CMD_*` flags (see [`flags`]).
    pub flags: u64,
    /// Explicit ACL categories (see [`acl`]); implied ones are added at load.
    pub acl_categories: u64,
    /// Documentation flags: bit 0 deprecated, bit 1 syscmd.
    pub doc_flags: u8,
    /// Version that deprecated the command, or `""`.
    pub deprecated_since: &'static str,
    /// Replacement for a deprecated command, or `""`.
    pub replaced_by: &'static str,
    /// `(version, change)` pairs.
    pub history: &'static [(&'static str, &'static str)],
    /// Hints for clients and proxies (`nondeterministic_output`, ...).
    pub tips: &'static [&'static str],
    /// Where the keys are in the arguments.
    pub key_specs: &'static [KeySpec],
    /// Argument syntax.
    pub args: &'static [Arg],
}

/// How to find one group of keys among a command's arguments.
#[derive(Debug)]
pub struct KeySpec {
    /// Free-text notes, or `""`.
    pub notes: &'static str,
    /// `CMD_KEY_*` flags (see [`key_flags`]).
    pub flags: u32,
    /// Where the search starts.
    pub begin_search: BeginSearch,
    /// How keys are found from there.
    pub find_keys: FindKeys,
}

/// First step of a key spec.
#[derive(Debug)]
pub enum BeginSearch {
    /// At argument `pos`.
    Index(i32),
    /// After the argument equal to `keyword`, searching from `startfrom`
    /// (negative: from the end).
    Keyword {
        /// The keyword, upper case.
        keyword: &'static str,
        /// Index to start searching at.
        startfrom: i32,
    },
    /// Unknown: the command computes its keys itself.
    Unknown,
}

/// Second step of a key spec.
#[derive(Debug)]
pub enum FindKeys {
    /// Keys up to `lastkey` (relative; negative counts from the end), every
    /// `step`; `limit` > 1 means "a 1/limit share of the remaining args".
    Range {
        /// Last key index relative to the first.
        lastkey: i32,
        /// Step between keys.
        step: i32,
        /// Limit divisor.
        limit: i32,
    },
    /// The number of keys is at `keynumidx`, the first at `firstkey`
    /// (both relative to the begin search), every `step`.
    Keynum {
        /// Index of the key count.
        keynumidx: i32,
        /// Index of the first key.
        firstkey: i32,
        /// Step between keys.
        step: i32,
    },
    /// Unknown.
    Unknown,
}

/// One argument in a command's syntax.
#[derive(Debug)]
pub struct Arg {
    /// Lower-case name.
    pub name: &'static str,
    /// Type name as COMMAND DOCS shows it (`key`, `string`, `oneof`, ...).
    pub kind: &'static str,
    /// Display text, or `""` to use the name.
    pub display: &'static str,
    /// Index of the key spec this argument belongs to, or -1.
    pub key_spec_index: i32,
    /// Token preceding the argument (upper case), or `""`.
    pub token: &'static str,
    /// Version that added the argument, or `""`.
    pub since: &'static str,
    /// Version that deprecated it, or `""`.
    pub deprecated_since: &'static str,
    /// Bit 0 optional, bit 1 multiple, bit 2 multiple_token.
    pub flags: u8,
    /// Sub-arguments of `oneof` and `block` arguments.
    pub args: &'static [Arg],
}

/// Command flags (Redis's `CMD_*`), in the order COMMAND INFO lists them.
pub mod flags {
    /// May modify the keyspace.
    pub const WRITE: u64 = 1 << 0;
    /// Only reads.
    pub const READONLY: u64 = 1 << 1;
    /// May grow memory: refused when over maxmemory.
    pub const DENYOOM: u64 = 1 << 2;
    /// Module command.
    pub const MODULE: u64 = 1 << 3;
    /// Administrative.
    pub const ADMIN: u64 = 1 << 4;
    /// Pub/Sub related.
    pub const PUBSUB: u64 = 1 << 5;
    /// Not allowed in scripts.
    pub const NOSCRIPT: u64 = 1 << 6;
    /// May block the client.
    pub const BLOCKING: u64 = 1 << 7;
    /// Allowed while loading the dataset.
    pub const LOADING: u64 = 1 << 8;
    /// Allowed on a replica with stale data.
    pub const STALE: u64 = 1 << 9;
    /// Not shown in MONITOR.
    pub const SKIP_MONITOR: u64 = 1 << 10;
    /// Not logged in SLOWLOG.
    pub const SKIP_SLOWLOG: u64 = 1 << 11;
    /// Cluster: accepted on an importing slot after ASKING.
    pub const ASKING: u64 = 1 << 12;
    /// O(1) or O(log N) and never blocks.
    pub const FAST: u64 = 1 << 13;
    /// Allowed before authentication.
    pub const NO_AUTH: u64 = 1 << 14;
    /// May replicate even if read-only (hidden in COMMAND INFO).
    pub const MAY_REPLICATE: u64 = 1 << 15;
    /// Sentinel command (hidden).
    pub const SENTINEL: u64 = 1 << 16;
    /// Only in sentinel (hidden).
    pub const ONLY_SENTINEL: u64 = 1 << 17;
    /// Keys are optional.
    pub const NO_MANDATORY_KEYS: u64 = 1 << 18;
    /// Protected: needs enable-*-command (hidden).
    pub const PROTECTED: u64 = 1 << 19;
    /// Refused during async loading.
    pub const NO_ASYNC_LOADING: u64 = 1 << 20;
    /// Not allowed inside MULTI.
    pub const NO_MULTI: u64 = 1 << 21;
    /// Keys cannot be found from the legacy range alone (computed).
    pub const MOVABLE_KEYS: u64 = 1 << 22;
    /// Allowed while a script is busy.
    pub const ALLOW_BUSY: u64 = 1 << 23;
    /// May touch keys not in its arguments (hidden).
    pub const TOUCHES_ARBITRARY_KEYS: u64 = 1 << 24;

    /// Names shown by COMMAND INFO, in order; hidden flags are absent.
    pub const SHOWN: &[(u64, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (MODULE, "module"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories, in the order Redis lists them.
pub mod acl {
    /// Names with their bit, index = bit number.
    pub const NAMES: &[&str] = &[
        "keyspace",
        "read",
        "write",
        "set",
        "sortedset",
        "list",
        "hash",
        "string",
        "bitmap",
        "hyperloglog",
        "geo",
        "stream",
        "pubsub",
        "admin",
        "fast",
        "slow",
        "blocking",
        "dangerous",
        "connection",
        "transaction",
        "scripting",
    ];
    /// `@keyspace`
    pub const KEYSPACE: u64 = 1 << 0;
    /// `@read`
    pub const READ: u64 = 1 << 1;
    /// `@write`
    pub const WRITE: u64 = 1 << 2;
    /// `@set`
    pub const SET: u64 = 1 << 3;
    /// `@sortedset`
    pub const SORTEDSET: u64 = 1 << 4;
    /// `@list`
    pub const LIST: u64 = 1 << 5;
    /// `@hash`
    pub const HASH: u64 = 1 << 6;
    /// `@string`
    pub const STRING: u64 = 1 << 7;
    /// `@bitmap`
    pub const BITMAP: u64 = 1 << 8;
    /// `@hyperloglog`
    pub const HYPERLOGLOG: u64 = 1 << 9;
    /// `@geo`
    pub const GEO: u64 = 1 << 10;
    /// `@stream`
    pub const STREAM: u64 = 1 << 11;
    /// `@pubsub`
    pub const PUBSUB: u64 = 1 << 12;
    /// `@admin`
    pub const ADMIN: u64 = 1 << 13;
    /// `@fast`
    pub const FAST: u64 = 1 << 14;
    /// `@slow`
    pub const SLOW: u64 = 1 << 15;
    /// `@blocking`
    pub const BLOCKING: u64 = 1 << 16;
    /// `@dangerous`
    pub const DANGEROUS: u64 = 1 << 17;
    /// `@connection`
    pub const CONNECTION: u64 = 1 << 18;
    /// `@transaction`
    pub const TRANSACTION: u64 = 1 << 19;
    /// `@scripting`
    pub const SCRIPTING: u64 = 1 << 20;
}

/// Key spec flags (Redis's `CMD_KEY_*`), in COMMAND INFO order.
pub mod key_flags {
    /// Read-only access.
    pub const RO: u32 = 1 << 0;
    /// Read-write.
    pub const RW: u32 = 1 << 1;
    /// Overwrite.
    pub const OW: u32 = 1 << 2;
    /// Remove.
    pub const RM: u32 = 1 << 3;
    /// Returns or copies user data.
    pub const ACCESS: u32 = 1 << 4;
    /// Updates existing data.
    pub const UPDATE: u32 = 1 << 5;
    /// Adds data.
    pub const INSERT: u32 = 1 << 6;
    /// Deletes data.
    pub const DELETE: u32 = 1 << 7;
    /// Not a key (a channel, for example).
    pub const NOT_KEY: u32 = 1 << 8;
    /// May not find all keys.
    pub const INCOMPLETE: u32 = 1 << 9;
    /// Flags depend on arguments.
    pub const VARIABLE_FLAGS: u32 = 1 << 10;

    /// Names shown by COMMAND INFO, in order.
    pub const SHOWN: &[(u32, &str)] = &[
        (RO, "RO"),
        (RW, "RW"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
        (NOT_KEY, "not_key"),
        (INCOMPLETE, "incomplete"),
        (VARIABLE_FLAGS, "variable_flags"),
    ];
}
