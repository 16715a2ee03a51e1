//! Server configuration: every Redis 7.2 parameter, read from the command
//! line and a redis.conf-syntax file (`load`), changed by CONFIG SET
//! (`set`), written back by CONFIG REWRITE (`rewrite`).
//!
//! Values are held generically (one [`Val`] per parameter of the generated
//! table [`params::PARAMS`]) and shown exactly as Redis shows them. The
//! server copies the values its hot paths need into its own fields
//! (`Server::apply_all_config`) and runs the side effects some parameters
//! have (rebinding listeners, raising the file limit, ...; see `apply`).
//! Parameters whose subsystem does not exist yet are accepted, validated,
//! reported and rewritten like Redis, and take effect when it lands.

pub mod apply;
pub mod cparse;
pub mod load;
pub mod params;
pub mod registry;
pub mod rewrite;
pub mod set;
pub mod special;
pub mod value;

use registry::ParamDef;
use std::collections::HashMap;
use std::path::PathBuf;

/// The value of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// `yes` / `no`
    Bool(bool),
    /// Text (`None` when empty and the parameter treats empty as unset).
    Str(Option<String>),
    /// Enum value (or OR of flags for multi-word enums).
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
    /// Lower-case name or alias to table index.
    index: HashMap<&'static str, usize>,
    /// The configuration file given on the command line, absolute; CONFIG
    /// REWRITE writes it.
    pub file: Option<PathBuf>,
    /// Loading state (how `save` lines combine).
    load: load::LoadState,
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

impl Config {
    /// Every parameter at its default; `dir` is the current directory.
    pub fn new() -> Config {
        let mut index = HashMap::new();
        for (i, def) in params::PARAMS.iter().enumerate() {
            index.insert(def.name, i);
            if !def.alias.is_empty() {
                index.insert(def.alias, i);
            }
        }
        let mut config = Config {
            values: params::PARAMS.iter().map(value::default_of).collect(),
            index,
            file: None,
            load: load::LoadState::default(),
        };
        if let (Some(i), Ok(cwd)) = (config.lookup("dir"), std::env::current_dir()) {
            config.values[i] = Val::Special(cwd.to_string_lossy().into_owned());
        }
        config
    }

    /// The table index of a parameter by name or alias (any case).
    pub fn lookup(&self, name: &str) -> Option<usize> {
        if let Some(&i) = self.index.get(name) {
            return Some(i);
        }
        self.index.get(name.to_ascii_lowercase().as_str()).copied()
    }

    /// Every name CONFIG GET patterns are matched against, in table order:
    /// `(name, index)`, each parameter's own name followed by its alias.
    pub fn names() -> impl Iterator<Item = (&'static str, usize)> {
        params::PARAMS.iter().enumerate().flat_map(|(i, d)| {
            std::iter::once((d.name, i)).chain((!d.alias.is_empty()).then_some((d.alias, i)))
        })
    }

    /// The definition of parameter `i`.
    pub fn def(&self, i: usize) -> &'static ParamDef {
        &params::PARAMS[i]
    }

    /// The value of parameter `i`.
    pub fn value(&self, i: usize) -> &Val {
        &self.values[i]
    }

    /// Replaces the value of parameter `i` (already validated) and returns
    /// the previous one.
    pub fn replace(&mut self, i: usize, v: Val) -> Val {
        std::mem::replace(&mut self.values[i], v)
    }

    /// Parses a CONFIG SET value for parameter `i`: multi-word parameters
    /// split it at every single space, as Redis does.
    pub fn parse_set(&self, i: usize, raw: &str) -> Result<Val, String> {
        let def = &params::PARAMS[i];
        let args = if def.is_multi() {
            cparse::split_spaces(raw)
        } else {
            vec![raw.to_string()]
        };
        value::parse(def, &args, &self.values[i])
    }

    /// The value of parameter `i` as CONFIG GET shows it.
    pub fn format(&self, i: usize) -> String {
        value::format(&params::PARAMS[i], &self.values[i])
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_lookup() {
        let c = Config::new();
        assert_eq!(c.int("port"), 6379);
        assert_eq!(c.enum_name("maxmemory-policy"), "noeviction");
        assert_eq!(c.enum_name("appendfsync"), "everysec");
        assert_eq!(c.lookup("SLAVEOF"), c.lookup("replicaof"));
        assert_eq!(
            c.str("proc-title-template"),
            "{title} {listen-addr} {server-mode}"
        );
        let names: Vec<&str> = Config::names().map(|(n, _)| n).collect();
        assert!(names.contains(&"slaveof") && names.contains(&"replicaof"));
    }

    #[test]
    fn set_values() {
        let mut c = Config::new();
        let i = c.lookup("maxmemory").unwrap();
        let v = c.parse_set(i, "1gb").unwrap();
        c.replace(i, v);
        assert_eq!(c.int("maxmemory"), 1 << 30);
        let i = c.lookup("shutdown-on-sigint").unwrap();
        let v = c.parse_set(i, "nosave now").unwrap();
        c.replace(i, v);
        assert_eq!(c.format(i), "nosave now");
        assert_eq!(
            c.parse_set(i, ""),
            Err(
                "argument(s) must be one of the following: default, save, nosave, now, force"
                    .into()
            )
        );
        let i = c.lookup("hz").unwrap();
        assert_eq!(
            c.parse_set(i, "x"),
            Err("argument couldn't be parsed into an integer".into())
        );
        let i = c.lookup("active-expire-effort").unwrap();
        assert_eq!(
            c.parse_set(i, "11"),
            Err("argument must be between 1 and 10 inclusive".into())
        );
    }
}
