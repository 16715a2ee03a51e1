//! Server configuration: every Redis 7.2 parameter, read from the command
//! line and a redis.conf-syntax file, changed by `CONFIG SET`.
//!
//! Values are held generically (one [`Val`] per parameter of the generated
//! table [`params::PARAMS`]); the server copies the ones hot paths need into
//! its own fields whenever they change (see `Server::apply_config`).
//! Parameters whose subsystem does not exist yet are accepted, validated and
//! reported like Redis, and take effect when that subsystem lands.

pub mod params;
pub mod registry;
pub mod special;

use registry::{Kind, ParamDef, Unit};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The value of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// `yes` / `no`
    Bool(bool),
    /// Text (`None` when empty and the parameter treats empty as unset).
    Str(Option<String>),
    /// Enum value (or OR of flags for multi-arg enums).
    Enum(i64),
    /// Number (percentages stored negative).
    Num(i128),
    /// Canonical text of a special parameter.
    Special(String),
}

/// All configuration values.
#[derive(Clone, Debug)]
pub struct Config {
    values: Vec<Val>,
    index: HashMap<&'static str, usize>,
    /// The configuration file given on the command line, absolute.
    pub file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a configuration line or CONFIG SET argument was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// No such parameter.
    Unknown,
    /// The value is invalid; carries Redis's reason text.
    Invalid(String),
}

fn default_of(def: &ParamDef) -> Val {
    match &def.kind {
        Kind::Bool { default } => Val::Bool(*default),
        Kind::Str {
            default,
            empty_is_null,
        } => Val::Str(if default.is_empty() && *empty_is_null {
            None
        } else {
            Some(default.to_string())
        }),
        Kind::Enum { default, .. } => Val::Enum(*default),
        Kind::Num { default, .. } => Val::Num(*default),
        Kind::Special => Val::Special(special::default_of(def.name).to_string()),
    }
}

impl Config {
    /// Every parameter at its default.
    pub fn new() -> Config {
        let mut index = HashMap::new();
        for (i, def) in params::PARAMS.iter().enumerate() {
            index.insert(def.name, i);
            if !def.alias.is_empty() {
                index.insert(def.alias, i);
            }
        }
        let mut config = Config {
            values: params::PARAMS.iter().map(default_of).collect(),
            index,
            file: None,
        };
        // `dir` defaults to the directory the server was started in.
        if let (Some(i), Ok(cwd)) = (config.lookup("dir"), std::env::current_dir()) {
            config.values[i] = Val::Special(cwd.to_string_lossy().into_owned());
        }
        config
    }

    /// Builds the configuration from redis-server style arguments:
    /// `[config-file] [--name value ...]`. Later settings win.
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut config = Config::new();
        let mut rest = args;
        if let Some(first) = args.first() {
            if !first.starts_with("--") {
                let path = Path::new(first);
                let abs = std::fs::canonicalize(path)
                    .map_err(|e| format!("Fatal error, can't open config file '{first}': {e}"))?;
                let text = std::fs::read_to_string(&abs)
                    .map_err(|e| format!("Fatal error, can't open config file '{first}': {e}"))?;
                config.load_text(&text)?;
                config.file = Some(abs);
                rest = &args[1..];
            }
        }
        // `--name v1 v2 --other v` becomes the lines `name v1 v2` and `other v`.
        let mut i = 0;
        while i < rest.len() {
            let Some(name) = rest[i].strip_prefix("--") else {
                return Err(format!(
                    "Invalid argument '{}': options must start with --",
                    rest[i]
                ));
            };
            let mut words = Vec::new();
            i += 1;
            while i < rest.len() && !rest[i].starts_with("--") {
                words.push(rest[i].clone());
                i += 1;
            }
            // A single argument holding spaces is split like a config line,
            // so `--save "900 1"` and `--save 900 1` mean the same.
            let words: Vec<String> = if words.len() == 1 && words[0].contains(' ') {
                words[0].split_whitespace().map(str::to_string).collect()
            } else {
                words
            };
            config
                .set_startup(name, &words)
                .map_err(|e| startup_error(name, &words, e))?;
        }
        Ok(config)
    }

    /// Applies the lines of a configuration file.
    pub fn load_text(&mut self, text: &str) -> Result<(), String> {
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let Some(words) = lodestone_protocol::request::split_args(trimmed.as_bytes()) else {
                return Err(file_error(
                    n + 1,
                    line,
                    "Unbalanced quotes in configuration line",
                ));
            };
            let words: Vec<String> = words
                .into_iter()
                .map(|w| String::from_utf8_lossy(&w).into_owned())
                .collect();
            let Some((name, args)) = words.split_first() else {
                continue;
            };
            let name = name.to_ascii_lowercase();
            if name == "include" {
                let [path] = args else {
                    return Err(file_error(
                        n + 1,
                        line,
                        "Bad directive or wrong number of arguments",
                    ));
                };
                let included = std::fs::read_to_string(path).map_err(|e| {
                    file_error(n + 1, line, &format!("Can't open included file: {e}"))
                })?;
                self.load_text(&included)?;
                continue;
            }
            self.set_startup(&name, args).map_err(|e| match e {
                ConfigError::Unknown => {
                    file_error(n + 1, line, "Bad directive or wrong number of arguments")
                }
                ConfigError::Invalid(reason) => file_error(n + 1, line, &reason),
            })?;
        }
        Ok(())
    }

    /// Sets a parameter at startup (immutable ones included).
    pub fn set_startup(&mut self, name: &str, args: &[String]) -> Result<(), ConfigError> {
        let i = self.lookup(name).ok_or(ConfigError::Unknown)?;
        let def = &params::PARAMS[i];
        if def.flags & registry::MULTI_ARG == 0 && args.len() != 1 {
            return Err(ConfigError::Unknown);
        }
        let current = self.format(i);
        self.values[i] = parse_value(def, args, &current).map_err(ConfigError::Invalid)?;
        Ok(())
    }

    /// The table index of a parameter by name or alias (any case).
    pub fn lookup(&self, name: &str) -> Option<usize> {
        self.index.get(name.to_ascii_lowercase().as_str()).copied()
    }

    /// The definition of parameter `i`.
    pub fn def(&self, i: usize) -> &'static ParamDef {
        &params::PARAMS[i]
    }

    /// The value of parameter `i`.
    pub fn value(&self, i: usize) -> &Val {
        &self.values[i]
    }

    /// Replaces the value of parameter `i` (already validated).
    pub fn replace(&mut self, i: usize, v: Val) -> Val {
        std::mem::replace(&mut self.values[i], v)
    }

    /// Parses a value for parameter `i` without storing it.
    pub fn parse(&self, i: usize, args: &[String]) -> Result<Val, String> {
        parse_value(&params::PARAMS[i], args, &self.format(i))
    }

    fn val(&self, name: &str) -> &Val {
        let i = self
            .lookup(name)
            .unwrap_or_else(|| panic!("no config parameter {name}"));
        &self.values[i]
    }

    /// A boolean parameter.
    pub fn bool(&self, name: &str) -> bool {
        matches!(self.val(name), Val::Bool(true))
    }

    /// A numeric parameter (percentages are negative).
    pub fn num(&self, name: &str) -> i128 {
        match self.val(name) {
            Val::Num(n) => *n,
            Val::Enum(n) => *n as i128,
            _ => 0,
        }
    }

    /// A numeric parameter as i64, saturating.
    pub fn int(&self, name: &str) -> i64 {
        self.num(name).clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    /// A text parameter (empty when unset).
    pub fn str(&self, name: &str) -> String {
        match self.val(name) {
            Val::Str(s) => s.clone().unwrap_or_default(),
            Val::Special(s) => s.clone(),
            _ => self.format(self.lookup(name).unwrap_or_default()),
        }
    }

    /// The name of an enum parameter's value.
    pub fn enum_name(&self, name: &str) -> String {
        self.format(self.lookup(name).unwrap_or_default())
    }

    /// The value of parameter `i` as CONFIG GET shows it.
    pub fn format(&self, i: usize) -> String {
        format_value(&params::PARAMS[i], &self.values[i])
    }
}

fn startup_error(name: &str, words: &[String], e: ConfigError) -> String {
    let line = format!("{name} {}", words.join(" "));
    match e {
        ConfigError::Unknown => file_error(0, &line, "Bad directive or wrong number of arguments"),
        ConfigError::Invalid(reason) => file_error(0, &line, &reason),
    }
}

fn file_error(line_no: usize, line: &str, reason: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Lodestone {}) ***\nReading the configuration file, at line {line_no}\n>>> '{line}'\n{reason}",
        env!("CARGO_PKG_VERSION")
    )
}

/// Parses memory sizes: digits with an optional `b`, `k`, `kb`, `m`, `mb`,
/// `g` or `gb` unit (any case), as Redis's `memtoull`.
pub fn parse_memory(s: &str) -> Option<u128> {
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(digits_end);
    let mul: u128 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.is_empty() {
        return Some(0);
    }
    let v: u128 = digits.parse().ok()?;
    if v > u64::MAX as u128 {
        return None;
    }
    v.checked_mul(mul).filter(|v| *v <= u64::MAX as u128)
}

fn parse_value(def: &ParamDef, args: &[String], current: &str) -> Result<Val, String> {
    let one = args.first().map(String::as_str).unwrap_or("");
    match &def.kind {
        Kind::Bool { .. } => match one.to_ascii_lowercase().as_str() {
            "yes" => Ok(Val::Bool(true)),
            "no" => Ok(Val::Bool(false)),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Str { empty_is_null, .. } => Ok(Val::Str(if one.is_empty() && *empty_is_null {
            None
        } else {
            Some(one.to_string())
        })),
        Kind::Enum { values, .. } => {
            let multi = def.flags & registry::MULTI_ARG != 0;
            let words: Vec<&str> = if multi {
                args.iter().map(String::as_str).collect()
            } else {
                vec![one]
            };
            let mut v = 0i64;
            for w in &words {
                match values.iter().find(|(n, _)| n.eq_ignore_ascii_case(w)) {
                    Some((_, x)) if multi => v |= x,
                    Some((_, x)) => v = *x,
                    None => {
                        let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
                        return Err(format!(
                            "argument(s) must be one of the following: {}",
                            names.join(", ")
                        ));
                    }
                }
            }
            if multi && words.is_empty() {
                return Err("argument(s) must be one of the following: ".to_string()
                    + &values
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", "));
            }
            Ok(Val::Enum(v))
        }
        Kind::Num { min, max, unit, .. } => {
            let parsed: Option<i128> = match unit {
                Unit::Memory => parse_memory(one).map(|v| v as i128),
                Unit::Percent => parse_percent(one),
                Unit::MemoryOrPercent => parse_memory(one)
                    .map(|v| v as i128)
                    .or_else(|| parse_percent(one)),
                Unit::Octal => i128::from_str_radix(one, 8)
                    .ok()
                    .filter(|_| !one.is_empty()),
                Unit::Plain => {
                    lodestone_protocol::num::parse_i64(one.as_bytes()).map(|v| v as i128)
                }
            };
            let Some(v) = parsed else {
                return Err(match unit {
                    Unit::MemoryOrPercent => "argument must be a memory or percent value",
                    Unit::Memory => "argument must be a memory value",
                    Unit::Octal => "argument couldn't be parsed as an octal number",
                    _ => "argument couldn't be parsed into an integer",
                }
                .into());
            };
            let percent = matches!(unit, Unit::Percent | Unit::MemoryOrPercent) && v < 0;
            if percent {
                if v < *min {
                    return Err(format!(
                        "percentage argument must be less or equal to {}",
                        -min
                    ));
                }
            } else if v < *min || v > *max {
                return Err(if *unit == Unit::Octal {
                    format!("argument must be between {min:o} and {max:o} inclusive")
                } else {
                    format!("argument must be between {min} and {max} inclusive")
                });
            }
            Ok(Val::Num(v))
        }
        Kind::Special => special::parse(def.name, args, current).map(Val::Special),
    }
}

fn parse_percent(s: &str) -> Option<i128> {
    let digits = s.strip_suffix('%')?;
    let v = lodestone_protocol::num::parse_i64(digits.as_bytes())?;
    (v >= 0).then_some(-(v as i128))
}

fn format_value(def: &ParamDef, v: &Val) -> String {
    match (v, &def.kind) {
        (Val::Bool(b), _) => if *b { "yes" } else { "no" }.to_string(),
        (Val::Str(s), _) => s.clone().unwrap_or_default(),
        (Val::Enum(x), Kind::Enum { values, .. }) => {
            if def.flags & registry::MULTI_ARG != 0 {
                if *x == 0 {
                    return values
                        .iter()
                        .find(|(_, v)| *v == 0)
                        .map(|(n, _)| n.to_string())
                        .unwrap_or_default();
                }
                values
                    .iter()
                    .filter(|(_, f)| *f != 0 && x & f == *f)
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                values
                    .iter()
                    .find(|(_, f)| f == x)
                    .map(|(n, _)| n.to_string())
                    .unwrap_or_default()
            }
        }
        (Val::Num(n), Kind::Num { unit, .. }) => match unit {
            Unit::Percent | Unit::MemoryOrPercent if *n < 0 => format!("{}%", -n),
            Unit::Octal => format!("{n:o}"),
            _ => n.to_string(),
        },
        (Val::Special(s), _) => s.clone(),
        (other, _) => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_parsing() {
        let mut c = Config::new();
        assert_eq!(c.int("port"), 6379);
        assert_eq!(c.enum_name("maxmemory-policy"), "noeviction");
        assert_eq!(c.enum_name("appendfsync"), "everysec");
        c.set_startup("maxmemory", &["1gb".into()]).unwrap();
        assert_eq!(c.int("maxmemory"), 1 << 30);
        assert_eq!(
            c.set_startup("hz", &["x".into()]),
            Err(ConfigError::Invalid(
                "argument couldn't be parsed into an integer".into()
            ))
        );
        assert_eq!(
            c.set_startup("active-expire-effort", &["11".into()]),
            Err(ConfigError::Invalid(
                "argument must be between 1 and 10 inclusive".into()
            ))
        );
        c.set_startup("slaveof", &["127.0.0.1".into(), "7000".into()])
            .unwrap();
        assert_eq!(c.str("replicaof"), "127.0.0.1 7000");
    }

    #[test]
    fn command_line() {
        let args: Vec<String> = ["--port", "7000", "--save", "", "--appendonly", "yes"]
            .map(String::from)
            .to_vec();
        let c = Config::from_args(&args).unwrap();
        assert_eq!(c.int("port"), 7000);
        assert!(c.bool("appendonly"));
        assert_eq!(c.str("save"), "");
    }
}
