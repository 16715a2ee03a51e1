//! [`CmdError`]: every error a command can answer with, and the one function
//! ([`CmdError::message`]) that turns each into Redis's exact text.
//!
//! Clients and tests match on these strings (`WRONGTYPE`, `value is not an
//! integer or out of range`, ...), so command code never formats an error
//! itself: it returns a variant and the dispatcher writes the text.

use std::borrow::Cow;

/// A failed command, by cause.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CmdError {
    /// The key holds a value of another type.
    WrongType,
    /// An argument or value is not a 64-bit integer.
    NotInteger,
    /// An argument or value is not a valid float.
    NotFloat,
    /// Unknown option or malformed arguments.
    Syntax,
    /// The key does not exist where it must.
    NoSuchKey,
    /// Source and destination are the same key or database.
    SameObject,
    /// An index argument is outside the value.
    IndexOutOfRange,
    /// An integer increment would overflow.
    Overflow,
    /// DECRBY by the smallest integer (its negation overflows).
    DecrementOverflow,
    /// LCS with both LEN and IDX.
    LcsLenAndIdx,
    /// LCS input beyond 4 GB.
    LcsTooLong,
    /// LCS table larger than `proto-max-bulk-len`.
    LcsTooMuchMemory,
    /// SCAN cursor that is not an unsigned integer.
    InvalidCursor,
    /// EXPIRE family option that is not NX/XX/GT/LT; carries it.
    UnsupportedOption(String),
    /// OBJECT IDLETIME under an LFU policy.
    LfuPolicySelected,
    /// OBJECT FREQ without an LFU policy.
    LfuPolicyNotSelected,
    /// A float increment would give NaN or infinity.
    NanOrInfinity,
    /// HINCRBYFLOAT with an infinite increment.
    ValueNanOrInfinity,
    /// HINCRBY on a field whose value is not an integer.
    HashValueNotInteger,
    /// HINCRBYFLOAT on a field whose value is not a float.
    HashValueNotFloat,
    /// SORT (numeric) met a weight that is not a number.
    SortNotDouble,
    /// A reply of random picks with repeats (HRANDFIELD with a negative
    /// count) grew past `proto-max-bulk-len`; Redis has no such limit and
    /// would exhaust memory instead.
    ReplyTooLarge,
    /// ZADD with both NX and XX.
    ZaddNxXx,
    /// ZADD with GT and LT, or either with NX.
    ZaddGtLtNx,
    /// ZADD INCR with more than one score/member pair.
    ZaddIncrPair,
    /// ZADD INCR / ZINCRBY whose result is NaN (`inf` plus `-inf`).
    ScoreNan,
    /// A score range bound that is not a number.
    MinMaxNotFloat,
    /// A lex range bound that is not `-`, `+`, `[member` or `(member`.
    MinMaxNotLexRange,
    /// ZUNIONSTORE/ZINTERSTORE weight that is not a number.
    WeightNotFloat,
    /// A numkeys below 1 for a multi-key sorted set command; carries the
    /// command's full name.
    AtLeastOneInputKey(String),
    /// ZINTERCARD / SINTERCARD LIMIT that is negative or not a number.
    LimitNegative,
    /// A longitude/latitude pair outside the storable limits; carries the
    /// two values' bit patterns (floats have no `Eq`), printed as `%f`.
    InvalidLonLat(u64, u64),
    /// A distance unit other than m, km, ft, mi.
    UnsupportedUnit,
    /// A radius, width or height that is not a number; names which.
    NeedNumeric(&'static str),
    /// A negative search radius.
    NegativeRadius,
    /// A negative box width or height.
    NegativeBox,
    /// A geo search COUNT below 1.
    CountNotPositive,
    /// The member a geo search is centred on is not in the sorted set.
    GeoMemberMissing,
    /// STORE / GEOSEARCHSTORE with WITHDIST, WITHHASH or WITHCOORD; names
    /// the offending form.
    GeoStoreWithOptions(&'static str),
    /// GEOSEARCH without FROMMEMBER or FROMLONLAT; carries the command
    /// name as the client typed it.
    GeoNeedsFrom(String),
    /// GEOSEARCH without BYRADIUS or BYBOX; carries the command name as
    /// the client typed it.
    GeoNeedsBy(String),
    /// ANY without COUNT.
    AnyNeedsCount,
    /// ZRANGE by rank with LIMIT.
    LimitNeedsByScoreOrLex,
    /// ZRANGE BYLEX with WITHSCORES.
    WithscoresWithByLex,
    /// HELLO protocol version that is not an integer.
    ProtocolVersionNotInteger,
    /// HELLO with an unknown option; carries it.
    HelloSyntax(String),
    /// HELLO before authenticating, without AUTH.
    HelloNoAuth,
    /// FUNCTION FLUSH with a mode other than ASYNC or SYNC.
    FunctionFlushMode,
    /// SHUTDOWN ABORT with no shutdown in progress.
    NoShutdownInProgress,
    /// SHUTDOWN could not complete (saving failed).
    ShutdownFailed,
    /// An expire time is not positive or overflows; carries the command name.
    InvalidExpireTime(String),
    /// A string would exceed `proto-max-bulk-len`.
    StringTooLong,
    /// SETRANGE/GETRANGE style offset out of range.
    OffsetOutOfRange,
    /// A bit offset that is negative, not an integer, or past
    /// `proto-max-bulk-len` (SETBIT, GETBIT, BITFIELD).
    BitOffset,
    /// SETBIT with a value other than 0 or 1.
    BitValue,
    /// BITPOS looking for a bit other than 0 or 1.
    BitNotBinary,
    /// BITOP NOT with other than one source key.
    BitopNotOneKey,
    /// BITFIELD type other than `i1`..`i64` or `u1`..`u63`.
    BitfieldType,
    /// BITFIELD OVERFLOW with a mode other than WRAP, SAT or FAIL.
    BitfieldOverflowType,
    /// BITFIELD_RO with SET or INCRBY.
    BitfieldReadOnly,
    /// A database number outside `databases`.
    DbIndexOutOfRange,
    /// A numeric argument must be positive.
    MustBePositive,
    /// A numeric argument is outside the allowed range; carries the message tail.
    ValueOutOfRange(&'static str),
    /// An integer argument outside `min..=max` (Redis's
    /// `getRangeLongFromObjectOrReply` without a custom message).
    OutOfRangeBetween(i64, i64),
    /// Wrong number of arguments; carries the command's full name.
    WrongArity(String),
    /// Unknown command; build it with [`CmdError::unknown_command`]. Holds
    /// the client's raw bytes (Redis echoes them unchanged).
    UnknownCommand {
        /// The command name, as Redis prints it (`%.128s`).
        name: Vec<u8>,
        /// `'a' 'b' ` as Redis lists them.
        args: Vec<u8>,
    },
    /// Unknown subcommand of a container; see [`CmdError::unknown_subcommand`].
    UnknownSubcommand {
        /// The subcommand as Redis prints it (`%.128s`).
        sub: Vec<u8>,
        /// The container, upper case.
        cmd: Vec<u8>,
    },
    /// Unknown subcommand or wrong arguments, detected by the command itself;
    /// see [`CmdError::subcommand_syntax`].
    SubcommandSyntax {
        /// The subcommand as Redis prints it (`%.128s`).
        sub: Vec<u8>,
        /// The container, upper case.
        cmd: Vec<u8>,
    },
    /// EXPIRE family: NX with XX/GT/LT.
    ExpireNxConflict,
    /// EXPIRE family: GT with LT.
    ExpireGtLtConflict,
    /// The target key exists (COPY/RESTORE without REPLACE).
    BusyKey,
    /// Authentication is required first.
    NoAuth,
    /// EXEC after a queuing error.
    ExecAbort,
    /// Command refused because memory is over `maxmemory`.
    OutOfMemory,
    /// A script or function that declared flags without `allow-oom` (or
    /// `no-writes`) while memory is over `maxmemory`.
    ScriptOutOfMemory,
    /// A write refused because the last background save failed
    /// (`stop-writes-on-bgsave-error`).
    MisconfRdb,
    /// A command without the `loading` flag while the data set loads.
    Loading,
    /// EXEC refused before running (Redis's `execCommandAbort`): the
    /// transaction is discarded, and the reply names the refusal.
    ExecRefused(Box<CmdError>),
    /// A command flagged `no-multi` inside MULTI.
    NotAllowedInMulti,
    /// MULTI inside MULTI.
    NestedMulti,
    /// EXEC without MULTI.
    ExecWithoutMulti,
    /// DISCARD without MULTI.
    DiscardWithoutMulti,
    /// WATCH inside MULTI.
    WatchInMulti,
    /// A command not allowed while subscribed (RESP2); carries its name.
    OnlySubscribeAllowed(String),
    /// HELLO with an unsupported protocol version.
    NoProto,
    /// AUTH with bad credentials.
    WrongPass,
    /// AUTH with a password while none is configured.
    AuthNotConfigured,
    /// CLIENT command on a client id that does not exist.
    NoSuchClient,
    /// CLIENT SETNAME / SETINFO value with forbidden characters.
    InvalidClientName,
    /// CLIENT SETINFO attribute value with forbidden characters; carries the attribute.
    InvalidClientInfo(String),
    /// CLIENT SETINFO unknown attribute; carries it.
    UnknownClientInfoAttribute(String),
    /// REPLCONF rdb-filter-only with a filter Redis does not know.
    UnsupportedRdbFilter(String),
    /// A timeout argument is negative or not a number.
    InvalidTimeout,
    /// A blocking command's timeout (seconds) that is not a number.
    TimeoutNotFloat,
    /// A timeout argument below zero.
    NegativeTimeout,
    /// A timeout so large the deadline overflows.
    TimeoutOutOfRange,
    /// WAITAOF asking for a local fsync while `appendonly` is off.
    WaitAofAppendOnlyOff,
    /// CLIENT LIST/KILL TYPE with an unknown type; carries it.
    UnknownClientType(String),
    /// CLIENT LIST ID with an id that is not an integer.
    InvalidClientId,
    /// CLIENT KILL ID with an id that is not a positive integer.
    ClientIdNotPositive,
    /// CLIENT KILL USER naming no ACL user; carries it.
    NoSuchUser(String),
    /// CLIENT PAUSE with a mode other than WRITE or ALL.
    PauseMode,
    /// CLIENT UNBLOCK with a reason other than TIMEOUT or ERROR.
    UnblockReason,
    /// CLIENT TRACKING with REDIRECT given twice.
    TrackingRedirectTwice,
    /// CLIENT TRACKING REDIRECT to a client id that is not connected.
    TrackingRedirectMissing,
    /// CLIENT TRACKING ON with PREFIX but without BCAST.
    TrackingPrefixWithoutBcast,
    /// CLIENT TRACKING ON switching BCAST on or off while tracking.
    TrackingBcastSwitch,
    /// CLIENT TRACKING ON with BCAST and OPTIN or OPTOUT.
    TrackingOptWithBcast,
    /// CLIENT TRACKING ON with both OPTIN and OPTOUT.
    TrackingOptInAndOut,
    /// CLIENT TRACKING ON switching between OPTIN and OPTOUT while tracking.
    TrackingOptSwitch,
    /// CLIENT TRACKING BCAST prefix overlapping one the client tracks:
    /// (new prefix, existing prefix).
    TrackingPrefixOverlapsExisting(Vec<u8>, Vec<u8>),
    /// CLIENT TRACKING BCAST prefixes overlapping each other: (first, second).
    TrackingPrefixOverlapsGiven(Vec<u8>, Vec<u8>),
    /// CLIENT CACHING without tracking on.
    CachingWithoutTracking,
    /// CLIENT CACHING YES outside OPTIN mode.
    CachingYesWithoutOptin,
    /// CLIENT CACHING NO outside OPTOUT mode.
    CachingNoWithoutOptout,
    /// CONFIG SET/GET/... error with the exact text Redis builds for it.
    Config(String),
    /// CONFIG SET of an unknown parameter; carries the name as given.
    ConfigSetUnknown(String),
    /// CONFIG SET refused or failed for a parameter.
    ConfigSetFailed {
        /// The parameter concerned.
        arg: String,
        /// Why (Redis's reason text).
        reason: String,
    },
    /// CONFIG REWRITE without a configuration file.
    NoConfigFile,
    /// CONFIG REWRITE could not write the file; carries the OS error text.
    ConfigRewriteFailed(String),
    /// A DEBUG subcommand or option failed; carries Redis's text.
    Debug(String),
    /// The command is disabled by configuration (`enable-debug-command` ...).
    CommandDisabled(String),
    /// SHUTDOWN refused (errors saving, etc.); carries Redis's text.
    Shutdown(String),
    /// LCS arguments are not strings.
    LcsNotStrings,
    /// An HLL command on a string that is not a HyperLogLog.
    HllNotValid,
    /// A HyperLogLog whose sparse registers do not decode (`INVALIDOBJ`).
    HllCorrupt,
    /// PFDEBUG on a key that does not exist.
    HllNoSuchKey,
    /// PFDEBUG DECODE of a dense HyperLogLog.
    HllNotSparse,
    /// PFDEBUG with an unknown subcommand; carries it as the client sent it.
    PfdebugUnknownSubcommand(Vec<u8>),
    /// PFSELFTEST found a fault; carries Redis's `TESTFAILED ...` text.
    HllSelfTestFailed(String),
    /// A pattern or value too long for what the command accepts; carries the text.
    InvalidArgument(String),
    /// COMMAND GETKEYS on a command without keys.
    NoKeyArguments,
    /// COMMAND GETKEYS with bad arguments for the command.
    InvalidKeyArguments,
    /// COMMAND GETKEYS of an unknown command.
    InvalidCommandSpecified,
    /// COMMAND GETKEYS with an argument count the command does not accept.
    InvalidKeyArgumentCount,
    /// LATENCY GRAPH of an event without samples; carries the event name.
    NoLatencySamples(String),
    /// MEMORY PURGE could not release the allocator's dirty pages.
    MemoryPurgeFailed,
    /// A cluster command on a server not running in cluster mode.
    ClusterDisabled,
    /// MODULE LOAD/LOADEX: Lodestone loads no Redis modules.
    ModuleLoadFailed,
    /// MODULE UNLOAD of a name no loaded module has.
    NoSuchModule,
    /// An error whose whole text, code included, the client chose (DEBUG
    /// ERROR); CR and LF are sent as spaces.
    Verbatim(String),
    /// EVALSHA of a script not in the cache.
    NoScript,
    /// EVAL numkeys above the number of arguments.
    NumKeysTooMany,
    /// EVAL numkeys below zero.
    NumKeysNegative,
    /// EVAL_RO/EVALSHA_RO of a script whose shebang allows writes.
    WriteScriptReadOnlyCommand,
    /// SCRIPT FLUSH with a mode other than SYNC/ASYNC.
    ScriptFlushMode,
    /// SCRIPT KILL / FUNCTION KILL with no script running.
    NotBusy,
    /// A command other than SCRIPT KILL / SHUTDOWN NOSAVE while an EVAL
    /// script is over `busy-reply-threshold`.
    BusyScript,
    /// The same while a function runs.
    BusyFunction,
    /// SCRIPT KILL of a script that already wrote.
    Unkillable,
    /// SAVE or BGSAVE while a BGSAVE runs.
    BackgroundSaveInProgress,
    /// A failure Redis reports with its bare `-ERR` (a failed SAVE).
    Failed,
    /// DEBUG RELOAD with an option it does not take.
    DebugReloadOption,
    /// DEBUG RELOAD could not load the file back.
    DebugReloadFailed,
    /// DEBUG LOADAOF could not load the append-only file.
    DebugLoadAofFailed,
    /// A write refused because the append-only file cannot be written;
    /// carries the system's text for the error (`strerror`).
    AofWriteError(String),
    /// BGREWRITEAOF while a rewrite runs.
    AofRewriteInProgress,
    /// BGREWRITEAOF could not start the rewrite.
    AofRewriteFailed,
    /// BGSAVE (without SCHEDULE) while an AOF rewrite runs.
    OtherChildActive,
    /// FCALL of a function no library registered.
    FunctionNotFound,
    /// FCALL numkeys that is not an integer.
    BadNumKeys,
    /// FUNCTION DELETE of a library that is not loaded.
    LibraryNotFound,
    /// FUNCTION RESTORE policy other than FLUSH/APPEND/REPLACE.
    RestorePolicy,
    /// A DUMP payload whose footer (RDB version, CRC-64) is wrong.
    BadDumpPayload,
    /// A RESTORE payload whose value cannot be read.
    BadDataFormat,
    /// RESTORE with a negative TTL.
    NegativeTtl,
    /// RESTORE IDLETIME below zero.
    NegativeIdletime,
    /// RESTORE FREQ outside 0..=255.
    FreqOutOfRange,
    /// FUNCTION LOAD option other than REPLACE; carries it.
    FunctionLoadOption(Vec<u8>),
    /// FUNCTION LOAD without code.
    FunctionCodeMissing,
    /// FUNCTION LIST argument it does not take; carries it.
    FunctionListArgument(Vec<u8>),
    /// FUNCTION LIST LIBRARYNAME without a pattern.
    FunctionListNoPattern,
    /// A library could not be loaded or restored; carries the reason in
    /// Redis's words (they name the library or function at fault).
    Library(String),
    /// A script failed; carries the whole error text, code included, as
    /// the script or the Lua runtime produced it (bytes, as Lua strings).
    Script(Vec<u8>),
    /// An option was given twice or with its incompatible twin; carries Redis's text.
    Conflict(&'static str),
    /// The server refuses writes (replica, MISCONF, ...); carries Redis's text.
    Refused(String),
    /// A stream ID argument that does not parse.
    StreamInvalidId,
    /// XADD with the explicit ID 0-0.
    XaddIdZero,
    /// XADD on a stream whose last ID is the largest possible.
    StreamExhausted,
    /// XADD with an ID not above the stream's last one.
    XaddIdTooSmall,
    /// XADD whose fields and values exceed what a block can hold.
    StreamElementsTooLarge,
    /// Both MAXLEN and MINID given.
    TrimBothStrategies,
    /// A negative MAXLEN.
    MaxlenNegative,
    /// A negative trimming LIMIT.
    TrimLimitNegative,
    /// LIMIT without MAXLEN or MINID.
    LimitWithoutStrategy,
    /// XTRIM without MAXLEN or MINID.
    XtrimNoStrategy,
    /// LIMIT with exact (`=`) trimming.
    LimitWithoutApprox,
    /// An exclusive start ID that has no successor.
    InvalidStartId,
    /// An exclusive end ID that has no predecessor.
    InvalidEndId,
    /// XREAD/XREADGROUP BLOCK inside a script; carries the command name as
    /// typed.
    StreamBlockInScript(Vec<u8>),
    /// An odd number of arguments after STREAMS; carries the command name
    /// and the special ID it accepts.
    UnbalancedStreams(&'static str, char),
    /// GROUP given to XREAD.
    GroupOnlyInXreadgroup,
    /// NOACK given to XREAD.
    NoackOnlyInXreadgroup,
    /// XREADGROUP without GROUP.
    MissingGroupOption,
    /// XREADGROUP on a missing key or group; carries both names.
    NoGroupInXreadgroup(Vec<u8>, Vec<u8>),
    /// `$` given to XREADGROUP.
    DollarInXreadgroup,
    /// `>` given to XREAD.
    GreaterThanInXread,
    /// ENTRIESREAD below -1.
    EntriesReadNegative,
    /// XGROUP on a missing key without MKSTREAM.
    XgroupNoKey,
    /// A consumer group that does not exist; carries group and key names.
    NoSuchGroup(Vec<u8>, Vec<u8>),
    /// XGROUP CREATE of a group that exists.
    BusyGroup,
    /// A negative XSETID ENTRIESADDED.
    EntriesAddedNegative,
    /// XSETID below its own MAXDELETEDID.
    XsetidBelowGivenMaxDeleted,
    /// XSETID below the stream's largest deleted ID.
    XsetidBelowMaxDeleted,
    /// XSETID below the stream's last entry.
    XsetidBelowTop,
    /// XSETID ENTRIESADDED below the stream's length.
    XsetidEntriesAddedBelowLength,
    /// XPENDING/XCLAIM/XAUTOCLAIM on a missing key or group; carries key
    /// and group names.
    NoKeyOrGroup(Vec<u8>, Vec<u8>),
    /// A stream command's integer argument with its own message (`Invalid
    /// IDLE option argument for XCLAIM`, ...).
    StreamIntArg(&'static str),
    /// An XCLAIM option it does not know; carries it.
    XclaimUnknownOption(Vec<u8>),
}

/// The part of a C string Redis's `%s` / `%.Ns` prints: up to the first NUL,
/// at most `max` bytes.
fn c_str(bytes: &[u8], max: usize) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end.min(max)]
}

/// Result of a command handler: the reply is already written on success.
pub type CmdResult = Result<(), CmdError>;

impl CmdError {
    /// The error for an unknown command: its name and the beginning of its
    /// arguments, quoted and cut the way Redis cuts them (128 bytes).
    pub fn unknown_command(args: &[&[u8]]) -> CmdError {
        let mut listed = Vec::new();
        for a in &args[1..] {
            if listed.len() >= 128 {
                break;
            }
            let room = 128 - listed.len();
            listed.push(b'\'');
            listed.extend_from_slice(c_str(a, room));
            listed.extend_from_slice(b"' ");
        }
        CmdError::UnknownCommand {
            name: c_str(args[0], 128).to_vec(),
            args: listed,
        }
    }

    /// The error for a container command whose subcommand (`args[1]`) does
    /// not exist.
    pub fn unknown_subcommand(args: &[&[u8]]) -> CmdError {
        CmdError::UnknownSubcommand {
            sub: c_str(args[1], 128).to_vec(),
            cmd: c_str(args[0], usize::MAX).to_ascii_uppercase(),
        }
    }

    /// Redis's `addReplySubcommandSyntaxError`: unknown subcommand or wrong
    /// number of arguments, detected by the command itself.
    pub fn subcommand_syntax(args: &[&[u8]]) -> CmdError {
        CmdError::SubcommandSyntax {
            sub: c_str(args.get(1).copied().unwrap_or_default(), 128).to_vec(),
            cmd: c_str(args[0], usize::MAX).to_ascii_uppercase(),
        }
    }

    /// The exact error bytes (starting with the error code). Texts that
    /// quote client arguments keep their raw bytes, as Redis does.
    pub fn message_bytes(&self) -> Cow<'static, [u8]> {
        let join = |parts: &[&[u8]]| Cow::Owned(parts.concat());
        match self {
            CmdError::UnknownCommand { name, args } => join(&[
                b"ERR unknown command '",
                name,
                b"', with args beginning with: ",
                args,
            ]),
            CmdError::UnknownSubcommand { sub, cmd } => {
                join(&[b"ERR unknown subcommand '", sub, b"'. Try ", cmd, b" HELP."])
            }
            CmdError::SubcommandSyntax { sub, cmd } => join(&[
                b"ERR unknown subcommand or wrong number of arguments for '",
                sub,
                b"'. Try ",
                cmd,
                b" HELP.",
            ]),
            CmdError::StreamBlockInScript(cmd) => join(&[
                b"ERR ",
                c_str(cmd, usize::MAX),
                b" command is not allowed with BLOCK option from scripts",
            ]),
            CmdError::NoGroupInXreadgroup(key, group) => join(&[
                b"NOGROUP No such key '",
                c_str(key, usize::MAX),
                b"' or consumer group '",
                c_str(group, usize::MAX),
                b"' in XREADGROUP with GROUP option",
            ]),
            CmdError::NoSuchGroup(group, key) => join(&[
                b"NOGROUP No such consumer group '",
                c_str(group, usize::MAX),
                b"' for key name '",
                c_str(key, usize::MAX),
                b"'",
            ]),
            CmdError::NoKeyOrGroup(key, group) => join(&[
                b"NOGROUP No such key '",
                c_str(key, usize::MAX),
                b"' or consumer group '",
                c_str(group, usize::MAX),
                b"'",
            ]),
            CmdError::XclaimUnknownOption(opt) => join(&[
                b"ERR Unrecognized XCLAIM option '",
                c_str(opt, usize::MAX),
                b"'",
            ]),
            CmdError::TrackingPrefixOverlapsExisting(new, existing) => join(&[
                b"ERR Prefix '",
                c_str(new, usize::MAX),
                b"' overlaps with an existing prefix '",
                c_str(existing, usize::MAX),
                b"'. Prefixes for a single client must not overlap.",
            ]),
            CmdError::TrackingPrefixOverlapsGiven(first, second) => join(&[
                b"ERR Prefix '",
                c_str(first, usize::MAX),
                b"' overlaps with another provided prefix '",
                c_str(second, usize::MAX),
                b"'. Prefixes for a single client must not overlap.",
            ]),
            CmdError::Script(text) => Cow::Owned(text.clone()),
            CmdError::ExecRefused(cause) => join(&[
                b"EXECABORT Transaction discarded because of: ",
                &cause.message_bytes(),
            ]),
            CmdError::FunctionLoadOption(arg) => {
                join(&[b"ERR Unknown option given: ", c_str(arg, usize::MAX)])
            }
            CmdError::FunctionListArgument(arg) => {
                join(&[b"ERR Unknown argument ", c_str(arg, usize::MAX)])
            }
            CmdError::PfdebugUnknownSubcommand(sub) => join(&[
                b"ERR Unknown PFDEBUG subcommand '",
                c_str(sub, usize::MAX),
                b"'",
            ]),
            other => match other.message() {
                Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
                Cow::Owned(s) => Cow::Owned(s.into_bytes()),
            },
        }
    }

    /// Redis's exact error text, starting with the error code.
    pub fn message(&self) -> Cow<'static, str> {
        use CmdError::*;
        match self {
            WrongType => "WRONGTYPE Operation against a key holding the wrong kind of value".into(),
            NotInteger => "ERR value is not an integer or out of range".into(),
            NotFloat => "ERR value is not a valid float".into(),
            Syntax => "ERR syntax error".into(),
            NoSuchKey => "ERR no such key".into(),
            SameObject => "ERR source and destination objects are the same".into(),
            IndexOutOfRange => "ERR index out of range".into(),
            Overflow => "ERR increment or decrement would overflow".into(),
            NanOrInfinity => "ERR increment would produce NaN or Infinity".into(),
            ValueNanOrInfinity => "ERR value is NaN or Infinity".into(),
            HashValueNotInteger => "ERR hash value is not an integer".into(),
            HashValueNotFloat => "ERR hash value is not a float".into(),
            SortNotDouble => "ERR One or more scores can't be converted into double".into(),
            ReplyTooLarge => "ERR reply exceeds proto-max-bulk-len".into(),
            ZaddNxXx => "ERR XX and NX options at the same time are not compatible".into(),
            ZaddGtLtNx => "ERR GT, LT, and/or NX options at the same time are not compatible".into(),
            ZaddIncrPair => "ERR INCR option supports a single increment-element pair".into(),
            ScoreNan => "ERR resulting score is not a number (NaN)".into(),
            MinMaxNotFloat => "ERR min or max is not a float".into(),
            InvalidLonLat(lon, lat) => format!(
                "ERR invalid longitude,latitude pair {:.6},{:.6}",
                f64::from_bits(*lon),
                f64::from_bits(*lat)
            )
            .into(),
            UnsupportedUnit => "ERR unsupported unit provided. please use M, KM, FT, MI".into(),
            NeedNumeric(what) => format!("ERR need numeric {what}").into(),
            NegativeRadius => "ERR radius cannot be negative".into(),
            NegativeBox => "ERR height or width cannot be negative".into(),
            CountNotPositive => "ERR COUNT must be > 0".into(),
            GeoMemberMissing => "ERR could not decode requested zset member".into(),
            GeoStoreWithOptions(form) => {
                format!("ERR {form} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
                    .into()
            }
            GeoNeedsFrom(cmd) => {
                format!("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {cmd}")
                    .into()
            }
            GeoNeedsBy(cmd) => {
                format!("ERR exactly one of BYRADIUS and BYBOX can be specified for {cmd}").into()
            }
            AnyNeedsCount => "ERR the ANY argument requires COUNT argument".into(),
            MinMaxNotLexRange => "ERR min or max not valid string range item".into(),
            WeightNotFloat => "ERR weight value is not a float".into(),
            AtLeastOneInputKey(cmd) => format!("ERR at least 1 input key is needed for '{cmd}' command").into(),
            LimitNegative => "ERR LIMIT can't be negative".into(),
            LimitNeedsByScoreOrLex => {
                "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX".into()
            }
            WithscoresWithByLex => "ERR syntax error, WITHSCORES not supported in combination with BYLEX".into(),
            InvalidCursor => "ERR invalid cursor".into(),
            ProtocolVersionNotInteger => "ERR Protocol version is not an integer or out of range".into(),
            HelloSyntax(opt) => format!("ERR Syntax error in HELLO option '{opt}'").into(),
            HelloNoAuth => "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into(),
            FunctionFlushMode => "ERR FUNCTION FLUSH only supports SYNC|ASYNC option".into(),
            NoShutdownInProgress => "ERR No shutdown in progress.".into(),
            ShutdownFailed => "ERR Errors trying to SHUTDOWN. Check logs.".into(),
            UnsupportedOption(opt) => format!("ERR Unsupported option {opt}").into(),
            LfuPolicySelected => "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.".into(),
            LfuPolicyNotSelected => "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.".into(),
            DecrementOverflow => "ERR decrement would overflow".into(),
            LcsLenAndIdx => "ERR If you want both the length and indexes, please just use IDX.".into(),
            LcsTooLong => "ERR String too long for LCS".into(),
            LcsTooMuchMemory => {
                "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len".into()
            }
            InvalidExpireTime(cmd) => format!("ERR invalid expire time in '{cmd}' command").into(),
            StringTooLong => "ERR string exceeds maximum allowed size (proto-max-bulk-len)".into(),
            OffsetOutOfRange => "ERR offset is out of range".into(),
            BitOffset => "ERR bit offset is not an integer or out of range".into(),
            BitValue => "ERR bit is not an integer or out of range".into(),
            BitNotBinary => "ERR The bit argument must be 1 or 0.".into(),
            BitopNotOneKey => "ERR BITOP NOT must be called with a single source key.".into(),
            BitfieldType => "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.".into(),
            BitfieldOverflowType => "ERR Invalid OVERFLOW type specified".into(),
            BitfieldReadOnly => "ERR BITFIELD_RO only supports the GET subcommand".into(),
            DbIndexOutOfRange => "ERR DB index is out of range".into(),
            MustBePositive => "ERR value is out of range, must be positive".into(),
            ValueOutOfRange(tail) => format!("ERR {tail}").into(),
            OutOfRangeBetween(min, max) => {
                format!("ERR value is out of range, value must between {min} and {max}").into()
            }
            WrongArity(cmd) => format!("ERR wrong number of arguments for '{cmd}' command").into(),
            UnknownCommand { .. }
            | UnknownSubcommand { .. }
            | SubcommandSyntax { .. }
            | PfdebugUnknownSubcommand(_)
            | FunctionLoadOption(_)
            | FunctionListArgument(_)
            | ExecRefused(_) => {
                String::from_utf8_lossy(&self.message_bytes()).into_owned().into()
            }
            ExpireNxConflict => "ERR NX and XX, GT or LT options at the same time are not compatible".into(),
            ExpireGtLtConflict => "ERR GT and LT options at the same time are not compatible".into(),
            BusyKey => "BUSYKEY Target key name already exists.".into(),
            NoAuth => "NOAUTH Authentication required.".into(),
            ExecAbort => "EXECABORT Transaction discarded because of previous errors.".into(),
            OutOfMemory => "OOM command not allowed when used memory > 'maxmemory'.".into(),
            ScriptOutOfMemory => "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'".into(),
            MisconfRdb => "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.".into(),
            Loading => "LOADING Redis is loading the dataset in memory".into(),
            NotAllowedInMulti => "ERR Command not allowed inside a transaction".into(),
            NestedMulti => "ERR MULTI calls can not be nested".into(),
            ExecWithoutMulti => "ERR EXEC without MULTI".into(),
            DiscardWithoutMulti => "ERR DISCARD without MULTI".into(),
            WatchInMulti => "ERR WATCH inside MULTI is not allowed".into(),
            OnlySubscribeAllowed(cmd) => format!(
                "ERR Can't execute '{cmd}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            )
            .into(),
            NoProto => "NOPROTO unsupported protocol version".into(),
            WrongPass => "WRONGPASS invalid username-password pair or user is disabled.".into(),
            AuthNotConfigured => "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?".into(),
            NoSuchClient => "ERR No such client".into(),
            InvalidClientName => "ERR Client names cannot contain spaces, newlines or special characters.".into(),
            InvalidClientInfo(attr) => {
                format!("ERR {attr} cannot contain spaces, newlines or special characters.").into()
            }
            UnknownClientInfoAttribute(attr) => format!("ERR Unrecognized option '{attr}'").into(),
            UnsupportedRdbFilter(f) => format!("ERR Unsupported rdb-filter-only option: {f}").into(),
            StreamInvalidId => "ERR Invalid stream ID specified as stream command argument".into(),
            XaddIdZero => "ERR The ID specified in XADD must be greater than 0-0".into(),
            StreamExhausted => {
                "ERR The stream has exhausted the last possible ID, unable to add more items".into()
            }
            XaddIdTooSmall => {
                "ERR The ID specified in XADD is equal or smaller than the target stream top item"
                    .into()
            }
            StreamElementsTooLarge => "ERR Elements are too large to be stored".into(),
            TrimBothStrategies => {
                "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
                    .into()
            }
            MaxlenNegative => "ERR The MAXLEN argument must be >= 0.".into(),
            TrimLimitNegative => "ERR The LIMIT argument must be >= 0.".into(),
            LimitWithoutStrategy => {
                "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
                    .into()
            }
            XtrimNoStrategy => "ERR syntax error, XTRIM must be called with a trimming strategy".into(),
            LimitWithoutApprox => {
                "ERR syntax error, LIMIT cannot be used without the special ~ option".into()
            }
            InvalidStartId => "ERR invalid start ID for the interval".into(),
            InvalidEndId => "ERR invalid end ID for the interval".into(),
            UnbalancedStreams(cmd, symbol) => format!(
                "ERR Unbalanced '{cmd}' list of streams: for each stream key an ID or '{symbol}' must be specified."
            )
            .into(),
            GroupOnlyInXreadgroup => {
                "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
                    .into()
            }
            NoackOnlyInXreadgroup => {
                "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
                    .into()
            }
            MissingGroupOption => "ERR Missing GROUP option for XREADGROUP".into(),
            DollarInXreadgroup => "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.".into(),
            GreaterThanInXread => "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.".into(),
            EntriesReadNegative => "ERR value for ENTRIESREAD must be positive or -1".into(),
            XgroupNoKey => "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.".into(),
            BusyGroup => "BUSYGROUP Consumer Group name already exists".into(),
            EntriesAddedNegative => "ERR entries_added must be positive".into(),
            XsetidBelowGivenMaxDeleted => "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id".into(),
            XsetidBelowMaxDeleted => "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id".into(),
            XsetidBelowTop => "ERR The ID specified in XSETID is smaller than the target stream top item".into(),
            XsetidEntriesAddedBelowLength => "ERR The entries_added specified in XSETID is smaller than the target stream length".into(),
            StreamIntArg(text) => format!("ERR {text}").into(),
            StreamBlockInScript(_)
            | NoGroupInXreadgroup(..)
            | NoSuchGroup(..)
            | NoKeyOrGroup(..)
            | XclaimUnknownOption(_) => String::from_utf8_lossy(&self.message_bytes()).into_owned().into(),
            InvalidTimeout => "ERR timeout is not an integer or out of range".into(),
            TimeoutNotFloat => "ERR timeout is not a float or out of range".into(),
            NegativeTimeout => "ERR timeout is negative".into(),
            TimeoutOutOfRange => "ERR timeout is out of range".into(),
            WaitAofAppendOnlyOff => {
                "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.".into()
            }
            UnknownClientType(t) => format!("ERR Unknown client type '{t}'").into(),
            InvalidClientId => "ERR Invalid client ID".into(),
            ClientIdNotPositive => "ERR client-id should be greater than 0".into(),
            NoSuchUser(u) => format!("ERR No such user '{u}'").into(),
            PauseMode => "ERR CLIENT PAUSE mode must be WRITE or ALL".into(),
            UnblockReason => "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into(),
            TrackingRedirectTwice => "ERR A client can only redirect to a single other client".into(),
            TrackingRedirectMissing => "ERR The client ID you want redirect to does not exist".into(),
            TrackingPrefixWithoutBcast => "ERR PREFIX option requires BCAST mode to be enabled".into(),
            TrackingBcastSwitch => "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.".into(),
            TrackingOptWithBcast => "ERR OPTIN and OPTOUT are not compatible with BCAST".into(),
            TrackingOptInAndOut => "ERR You can't specify both OPTIN mode and OPTOUT mode".into(),
            TrackingOptSwitch => "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.".into(),
            TrackingPrefixOverlapsExisting(..) | TrackingPrefixOverlapsGiven(..) => {
                String::from_utf8_lossy(&self.message_bytes()).into_owned().into()
            }
            CachingWithoutTracking => "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled".into(),
            CachingYesWithoutOptin => "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.".into(),
            CachingNoWithoutOptout => "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.".into(),
            Config(text) | Debug(text) | Shutdown(text) | InvalidArgument(text) | Refused(text) => {
                format!("ERR {text}").into()
            }
            CommandDisabled(text) => format!("ERR {text}").into(),
            ConfigSetUnknown(name) => {
                format!("ERR Unknown option or number of arguments for CONFIG SET - '{name}'").into()
            }
            ConfigSetFailed { arg, reason } => {
                format!("ERR CONFIG SET failed (possibly related to argument '{arg}') - {reason}").into()
            }
            NoConfigFile => "ERR The server is running without a config file".into(),
            ConfigRewriteFailed(reason) => format!("ERR Rewriting config file: {reason}").into(),
            LcsNotStrings => "ERR The specified keys must contain string values".into(),
            HllNotValid => "WRONGTYPE Key is not a valid HyperLogLog string value.".into(),
            HllCorrupt => "INVALIDOBJ Corrupted HLL object detected".into(),
            HllNoSuchKey => "ERR The specified key does not exist".into(),
            HllNotSparse => "ERR HLL encoding is not sparse".into(),
            HllSelfTestFailed(text) => format!("ERR {text}").into(),
            NoKeyArguments => "ERR The command has no key arguments".into(),
            InvalidKeyArguments => "ERR Invalid arguments specified for command".into(),
            InvalidCommandSpecified => "ERR Invalid command specified".into(),
            InvalidKeyArgumentCount => "ERR Invalid number of arguments specified for command".into(),
            NoLatencySamples(event) => format!("ERR No samples available for event '{event}'").into(),
            MemoryPurgeFailed => "ERR Error purging dirty pages".into(),
            ClusterDisabled => "ERR This instance has cluster support disabled".into(),
            ModuleLoadFailed => {
                "ERR Error loading the extension. Please check the server logs.".into()
            }
            NoSuchModule => "ERR Error unloading module: no such module with that name".into(),
            // The writer strips one leading '-': keep the client's own.
            Verbatim(text) => format!("-{text}").into(),
            Conflict(text) => format!("ERR {text}").into(),
            NoScript => "NOSCRIPT No matching script. Please use EVAL.".into(),
            NumKeysTooMany => "ERR Number of keys can't be greater than number of args".into(),
            NumKeysNegative => "ERR Number of keys can't be negative".into(),
            WriteScriptReadOnlyCommand => {
                "ERR Can not execute a script with write flag using *_ro command.".into()
            }
            ScriptFlushMode => "ERR SCRIPT FLUSH only support SYNC|ASYNC option".into(),
            NotBusy => "NOTBUSY No scripts in execution right now.".into(),
            BusyScript => "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.".into(),
            BusyFunction => "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.".into(),
            Unkillable => "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.".into(),
            Script(text) => String::from_utf8_lossy(text).into_owned().into(),
            BackgroundSaveInProgress => "ERR Background save already in progress".into(),
            Failed => "ERR".into(),
            DebugReloadOption => "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.".into(),
            DebugReloadFailed => "ERR Error trying to load the RDB dump, check server logs.".into(),
            DebugLoadAofFailed => "ERR Error trying to load the AOF files, check server logs.".into(),
            AofWriteError(reason) => format!("MISCONF Errors writing to the AOF file: {reason}").into(),
            AofRewriteInProgress => "ERR Background append only file rewriting already in progress".into(),
            AofRewriteFailed => "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.".into(),
            OtherChildActive => "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.".into(),
            FunctionNotFound => "ERR Function not found".into(),
            BadNumKeys => "ERR Bad number of keys provided".into(),
            LibraryNotFound => "ERR Library not found".into(),
            RestorePolicy => "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.".into(),
            BadDumpPayload => "ERR DUMP payload version or checksum are wrong".into(),
            BadDataFormat => "ERR Bad data format".into(),
            NegativeTtl => "ERR Invalid TTL value, must be >= 0".into(),
            NegativeIdletime => "ERR Invalid IDLETIME value, must be >= 0".into(),
            FreqOutOfRange => "ERR Invalid FREQ value, must be >= 0 and <= 255".into(),
            FunctionCodeMissing => "ERR Function code is missing".into(),
            FunctionListNoPattern => "ERR library name argument was not given".into(),
            Library(msg) => format!("ERR {msg}").into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_match_redis() {
        assert_eq!(
            CmdError::WrongType.message(),
            "WRONGTYPE Operation against a key holding the wrong kind of value"
        );
        assert_eq!(
            CmdError::WrongArity("get".into()).message(),
            "ERR wrong number of arguments for 'get' command"
        );
        assert_eq!(
            CmdError::InvalidExpireTime("set".into()).message(),
            "ERR invalid expire time in 'set' command"
        );
    }
}
