//! Types describing configuration parameters (see `params.rs` for the table).

/// `CONFIG SET` refuses the parameter after startup.
pub const IMMUTABLE: u32 = 1 << 0;
/// The value is a secret (passwords): never logged.
pub const SENSITIVE: u32 = 1 << 1;
/// A debugging aid.
pub const DEBUG: u32 = 1 << 2;
/// The value is a list of words.
pub const MULTI_ARG: u32 = 1 << 3;
/// Not matched by `CONFIG GET` glob patterns.
pub const HIDDEN: u32 = 1 << 4;
/// Settable only with `enable-protected-configs`.
pub const PROTECTED: u32 = 1 << 5;
/// Refused while loading data.
pub const DENY_LOADING: u32 = 1 << 6;
/// Setting it always counts as a change, even to the same text (its value
/// names a file whose content may have changed: TLS certificates).
pub const VOLATILE: u32 = 1 << 9;

/// How a numeric parameter is written and read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A plain integer.
    Plain,
    /// Bytes; accepts `1k`, `5mb`, `2gb`, ... on input.
    Memory,
    /// A percentage written `N%`, stored negative.
    Percent,
    /// Bytes or a percentage.
    MemoryOrPercent,
    /// An octal number (file permissions).
    Octal,
}

/// Type, bounds and default of a parameter.
#[derive(Debug)]
pub enum Kind {
    /// `yes` / `no`.
    Bool {
        /// Default value.
        default: bool,
    },
    /// Free text.
    Str {
        /// Default value.
        default: &'static str,
        /// An empty string means "unset".
        empty_is_null: bool,
    },
    /// One of a set of names (or, for multi-arg enums, a combination of flags).
    Enum {
        /// Names and their values.
        values: &'static [(&'static str, i64)],
        /// Default value.
        default: i64,
    },
    /// A number within bounds.
    Num {
        /// Smallest accepted value.
        min: i128,
        /// Largest accepted value.
        max: i128,
        /// Default value.
        default: i128,
        /// Input and output format.
        unit: Unit,
    },
    /// A parameter with its own syntax (`save`, `bind`, `dir`, ...).
    Special,
}

/// One configuration parameter.
#[derive(Debug)]
pub struct ParamDef {
    /// Canonical name.
    pub name: &'static str,
    /// Old name still accepted (`slaveof` for `replicaof`), or `""`.
    pub alias: &'static str,
    /// Flags (see the constants of this module).
    pub flags: u32,
    /// Type, bounds and default.
    pub kind: Kind,
}

impl ParamDef {
    /// True when the parameter has flag `f`.
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// True for parameters whose value is a list of words (`save`, `bind`,
    /// `shutdown-on-sigint`, ...).
    pub fn is_multi(&self) -> bool {
        self.has(MULTI_ARG)
    }
}
