//! Loading the configuration at startup, as `redis-server` does: the
//! command line `[config-file] [--name value ...] [-]` becomes one text
//! (file, then standard input, then the options as lines) read line by line
//! with `include`, quoting, and Redis's fatal error report.

use super::cparse::split_args;
use super::{params, value, Config, Val};
use std::io::Read;
use std::path::{Path, PathBuf};

/// How `save` lines combine while a file is read: the first one replaces
/// the defaults, later ones add save points.
#[derive(Clone, Debug, Default)]
pub struct LoadState {
    /// A `save` line was already read (for the whole process, as in Redis).
    save_loaded: bool,
    /// True while configuration text is being read.
    reading_file: bool,
}

/// Directives of old versions that are accepted (with one value) and
/// ignored.
const DEPRECATED: &[&str] = &[
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

impl Config {
    /// Builds the configuration from `redis-server` style arguments (the
    /// program name excluded): an optional configuration file first, then
    /// `--name value...` options, and `-` (first or last) to also read the
    /// configuration from standard input. Options come after the file and
    /// standard input, so they win. The error is the text to print before
    /// exiting with status 1.
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut config = Config::new();
        let mut j = 0;
        if let Some(first) = args.first() {
            if !first.starts_with('-') {
                config.file = Some(std::path::absolute(first).unwrap_or_else(|_| first.into()));
                j = 1;
            }
        }
        let (options, from_stdin) = options_text(args, j);
        let mut text = String::new();
        if let Some(path) = &config.file {
            text = read_config_file(path)?;
        }
        if from_stdin {
            let mut input = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut input);
            text.push_str(&String::from_utf8_lossy(&input));
        }
        text.push('\n');
        text.push_str(&options);
        config.load_text(&text)?;
        super::apply::init_process(&mut config)?;
        Ok(config)
    }

    /// Applies configuration text: one directive per line, `#` comments,
    /// quoted words, `include`. The error is Redis's fatal report.
    pub fn load_text(&mut self, text: &str) -> Result<(), String> {
        self.load.reading_file = true;
        let result = self.load_lines(text);
        self.load.reading_file = false;
        result?;
        self.check_loaded()
    }

    fn load_lines(&mut self, text: &str) -> Result<(), String> {
        for (n, raw) in text.split('\n').enumerate() {
            let line = raw.trim_matches([' ', '\t', '\r', '\n']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |reason: &str| fatal(Some((n + 1, line)), reason);
            let Some(argv) = split_args(line) else {
                return Err(fail("Unbalanced quotes in configuration line"));
            };
            let Some((name, args)) = argv.split_first() else {
                continue;
            };
            let name = name.to_ascii_lowercase();
            if let Some(i) = self.lookup(&name) {
                let def = &params::PARAMS[i];
                if !def.is_multi() && args.len() != 1 {
                    return Err(fail("wrong number of arguments"));
                }
                // `--save "900 1"`: one non-empty word of a multi-word
                // parameter is split again.
                let words = match args {
                    [one] if def.is_multi() && !one.is_empty() => split_args(one)
                        .ok_or_else(|| fail("Unbalanced quotes in configuration line"))?,
                    _ => args.to_vec(),
                };
                self.set_loaded(i, &words).map_err(|reason| fail(&reason))?;
                continue;
            }
            if DEPRECATED.contains(&name.as_str()) && args.len() == 1 {
                continue;
            }
            match (name.as_str(), args.len()) {
                ("include", 1) => self.include(&args[0])?,
                ("rename-command", 2) => {
                    return Err(fail("rename-command is not supported by Lodestone"))
                }
                ("user", n) if n >= 1 => return Err(fail(
                    "user directives are not supported by Lodestone (only the default user exists)",
                )),
                ("loadmodule", n) if n >= 1 => {
                    return Err(fail("modules are not supported by Lodestone"))
                }
                (module_config, n) if module_config.contains('.') => {
                    return Err(fail(if n < 1 {
                        "Module config specified without value"
                    } else {
                        "Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting"
                    }));
                }
                ("sentinel", 0) => {}
                ("sentinel", _) => {
                    return Err(fail("sentinel directive while not in sentinel mode"))
                }
                _ => return Err(fail("Bad directive or wrong number of arguments")),
            }
        }
        Ok(())
    }

    /// Stores a value read from configuration text. `save` lines add up
    /// while a file is read; `dir` changes directory at once, so later
    /// relative paths (includes, the log file) start there, as in Redis.
    fn set_loaded(&mut self, i: usize, words: &[String]) -> Result<(), String> {
        let def = &params::PARAMS[i];
        let mut v = value::parse(def, words, &self.values[i])?;
        if def.name == "save" && self.load.reading_file {
            let clear = matches!(words, [only] if only.is_empty());
            if self.load.save_loaded && !clear {
                if let (Val::Special(old), Val::Special(new)) = (&self.values[i], &v) {
                    if !old.is_empty() {
                        v = Val::Special(format!("{old} {new}"));
                    }
                }
            }
            self.load.save_loaded = true;
        }
        if def.name == "dir" {
            if let Val::Special(path) = &v {
                std::env::set_current_dir(path).map_err(|e| super::special::os_error_text(&e))?;
            }
        }
        self.values[i] = v;
        Ok(())
    }

    /// `include <path>`: a file, or every file a glob pattern matches
    /// (none is fine), read as one text.
    fn include(&mut self, pattern: &str) -> Result<(), String> {
        if pattern.contains(['*', '?', '[']) {
            let mut text = String::new();
            for path in glob_paths(pattern) {
                text.push_str(&read_config_file(&path)?);
            }
            self.load_text(&text)
        } else {
            let text = read_config_file(Path::new(pattern))?;
            self.load_text(&text)
        }
    }

    /// Checks made once a text is read: the log file must be writable, no
    /// replica in cluster mode; `hz` is brought within 1..=500.
    fn check_loaded(&mut self) -> Result<(), String> {
        let logfile = self.str("logfile");
        if !logfile.is_empty() {
            if let Err(e) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&logfile)
            {
                return Err(fatal(
                    None,
                    &format!(
                        "Can't open the log file: {}",
                        super::special::os_error_text(&e)
                    ),
                ));
            }
        }
        if self.bool("cluster-enabled") {
            // Accepting it would leave clients believing they talk to a
            // cluster node; the cluster bus and slots are not built yet.
            return Err(fatal(
                None,
                "cluster-enabled yes: Lodestone does not support cluster mode yet",
            ));
        }
        if let Some(i) = self.lookup("hz") {
            if let Val::Num(hz) = self.values[i] {
                self.values[i] = Val::Num(hz.clamp(1, 500));
            }
        }
        Ok(())
    }
}

/// Turns command line options into configuration lines exactly as
/// `redis-server` does: `--name` starts a line, the words after it are
/// quoted values; a word starting with `--` right after a bare `--name` is
/// a value, not a name; `--save` with no value means `save ""`. Returns the
/// text and whether `-` asked to read standard input.
fn options_text(args: &[String], start: usize) -> (String, bool) {
    let mut options = String::new();
    let mut from_stdin = false;
    let mut handled_last = true;
    let last = args.len().saturating_sub(1);
    for j in start..args.len() {
        let arg = &args[j];
        if arg == "-" && (j == 0 || j == last) {
            from_stdin = true;
        } else if handled_last && arg.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&arg[2..]);
            options.push(' ');
            let words = split_args(arg).map_or(1, |w| w.len());
            if words == 1 {
                handled_last = false;
                let next_is_option = j != last && args[j + 1].starts_with("--");
                if arg.eq_ignore_ascii_case("--save") && (next_is_option || j == last) {
                    options.push_str("\"\"");
                    handled_last = next_is_option;
                } else if arg.eq_ignore_ascii_case("--sentinel") && next_is_option {
                    handled_last = true;
                }
            } else {
                handled_last = true;
            }
        } else {
            options.push_str(&super::cparse::repr(arg));
            options.push(' ');
            handled_last = true;
        }
    }
    (options, from_stdin)
}

/// Reads a configuration file (any bytes; invalid UTF-8 is replaced).
fn read_config_file(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "Fatal error, can't open config file '{}': {}",
            path.display(),
            super::special::os_error_text(&e)
        )
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The files a glob pattern matches, sorted, like glob(3): wildcards may
/// appear in any path component; names starting with `.` only match a
/// component that starts with `.`.
fn glob_paths(pattern: &str) -> Vec<PathBuf> {
    let absolute = pattern.starts_with('/');
    let mut found: Vec<PathBuf> = vec![if absolute {
        PathBuf::from("/")
    } else {
        PathBuf::new()
    }];
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    for part in parts {
        let mut next = Vec::new();
        for base in &found {
            if !part.contains(['*', '?', '[']) {
                next.push(base.join(part));
                continue;
            }
            let dir = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base.as_path()
            };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.') || part.starts_with('.'))
                .filter(|n| lodestone_commands::glob::matches(part.as_bytes(), n.as_bytes(), false))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| base.join(n)));
        }
        found = next;
    }
    found.retain(|p| p.exists());
    found
}

/// Redis's fatal configuration error report.
fn fatal(at: Option<(usize, &str)>, reason: &str) -> String {
    let mut out = format!(
        "\n*** FATAL CONFIG FILE ERROR (Lodestone {}) ***\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some((n, line)) = at {
        out.push_str(&format!(
            "Reading the configuration file, at line {n}\n>>> '{line}'\n"
        ));
    }
    out.push_str(reason);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_like_redis_server() {
        let (o, stdin) = options_text(
            &args(&["--port", "7000", "--save", "--loglevel", "verbose"]),
            0,
        );
        assert_eq!(o, "port \"7000\" \nsave \"\"\nloglevel \"verbose\" ");
        assert!(!stdin);
        let (o, _) = options_text(&args(&["--port", "--bla", "--loglevel", "verbose"]), 0);
        assert_eq!(o, "port \"--bla\" \nloglevel \"verbose\" ");
        let (o, _) = options_text(&args(&["--maxmemory 700mb", "--save"]), 0);
        assert_eq!(o, "maxmemory 700mb \nsave \"\"");
        let (_, stdin) = options_text(&args(&["--port", "1", "-"]), 0);
        assert!(stdin);
    }

    #[test]
    fn command_line() {
        let c = Config::from_args(&args(&[
            "--port",
            "7000",
            "--save",
            "",
            "--appendonly",
            "yes",
        ]))
        .unwrap();
        assert_eq!(c.int("port"), 7000);
        assert!(c.bool("appendonly"));
        assert_eq!(c.str("save"), "");
        let c = Config::from_args(&args(&[
            "--shutdown-on-sigint",
            "nosave",
            "force",
            "now",
            "--shutdown-on-sigterm",
            "nosave force",
        ]))
        .unwrap();
        assert_eq!(c.str("shutdown-on-sigint"), "nosave now force");
        assert_eq!(c.str("shutdown-on-sigterm"), "nosave force");
    }

    #[test]
    fn errors_like_redis_server() {
        let e = Config::from_args(&args(&["--port", "6379", "6380"])).unwrap_err();
        assert!(
            e.contains(">>> 'port \"6379\" \"6380\"'\nwrong number of arguments"),
            "{e}"
        );
        let e = Config::from_args(&args(&["--invalid"])).unwrap_err();
        assert!(
            e.contains("Bad directive or wrong number of arguments"),
            "{e}"
        );
        let e =
            Config::from_args(&args(&["--port", "--bla", "--loglevel", "verbose"])).unwrap_err();
        assert!(
            e.contains("'port \"--bla\"'\nargument couldn't be parsed into an integer"),
            "{e}"
        );
        let e = Config::from_args(&args(&["--shutdown-on-sigint"])).unwrap_err();
        assert!(
            e.contains("'shutdown-on-sigint'\nargument(s) must be one of the following"),
            "{e}"
        );
        let e = Config::from_args(&args(&["--replicaof", "--127.0.0.1", "--abc"])).unwrap_err();
        assert!(
            e.contains("'replicaof \"--127.0.0.1\"'\nwrong number of arguments"),
            "{e}"
        );
    }

    #[test]
    fn save_lines_add_up() {
        let mut c = Config::new();
        c.load_text("save 900 1\nsave 300 10\n").unwrap();
        assert_eq!(c.str("save"), "900 1 300 10");
        c.load_text("save \"\"\n").unwrap();
        assert_eq!(c.str("save"), "");
        let mut c = Config::new();
        c.load_text("# nothing\n").unwrap();
        assert_eq!(c.str("save"), "3600 1 300 100 60 10000");
        c.load_text("hz 0\nslaveof 127.0.0.1 7000\nlist-max-ziplist-entries 5\n")
            .unwrap();
        assert_eq!(c.int("hz"), 1);
        assert_eq!(c.str("replicaof"), "127.0.0.1 7000");
        assert!(c
            .load_text("a \"b")
            .unwrap_err()
            .contains("Unbalanced quotes"));
    }

    #[test]
    fn save_lines_after_include_replace() {
        // Redis stops adding up `save` lines once an included file was
        // read (its loader clears the "reading a file" flag on return).
        let inc = std::env::temp_dir().join(format!("lodestone-inc-{}.conf", std::process::id()));
        std::fs::write(&inc, "timeout 3\n").unwrap();
        let mut c = Config::new();
        let text = format!(
            "save 900 1\ninclude {}\nsave 300 10\nsave 60 5\n",
            inc.display()
        );
        c.load_text(&text).unwrap();
        let _ = std::fs::remove_file(&inc);
        assert_eq!(c.int("timeout"), 3);
        assert_eq!(c.str("save"), "60 5");
    }
}
