//! Parameters with their own syntax: `dir`, `save`,
//! `client-output-buffer-limit`, `oom-score-adj-values`,
//! `notify-keyspace-events`, `bind`, `replicaof`,
//! `latency-tracking-info-percentiles`.
//!
//! Each is stored as its canonical text (exactly what CONFIG GET shows);
//! the server parses that text again where it needs the structured value
//! ([`save_points`], [`output_limits`], ...). The parsers receive the words
//! the way Redis hands them to its setters (already split, see
//! `Config::parse_set` and the file loader) and refuse what Redis refuses
//! with its error texts.

use super::cparse::{format_percentile, memtoull, string2d, strtoll, strtoll_whole};

/// Default canonical text of special parameter `name`.
pub fn default_of(name: &str) -> &'static str {
    match name {
        "save" => "3600 1 300 100 60 10000",
        "client-output-buffer-limit" => {
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        }
        "oom-score-adj-values" => "0 200 800",
        "bind" => "* -::*",
        "latency-tracking-info-percentiles" => "50 99 99.9",
        _ => "",
    }
}

/// The stored text of `notify-keyspace-events`: Redis's text, plus `n`
/// when `A` hides it. Redis keeps the flags as a number and its text drops
/// the new-key class (`n`, not part of `A`) next to `A`; storing the text
/// losslessly keeps the class in force, and [`display`] shows Redis's text.
fn notify_stored_text(flags: u32) -> String {
    use lodestone_storage::notify::{flags_to_string, ALL, NEW};
    let mut text = flags_to_string(flags);
    if flags & ALL == ALL && flags & NEW != 0 {
        text.push('n');
    }
    text
}

/// How CONFIG GET and CONFIG REWRITE show the stored text of special
/// parameter `name`.
pub fn display(name: &str, stored: &str) -> String {
    match name {
        "notify-keyspace-events" => lodestone_storage::notify::parse_flags(stored.as_bytes())
            .map(lodestone_storage::notify::flags_to_string)
            .unwrap_or_else(|| stored.to_string()),
        _ => stored.to_string(),
    }
}

/// Parses the words given to special parameter `name` into its canonical
/// text. `current` is the present value, for parameters set partially
/// (`client-output-buffer-limit pubsub ...` keeps the other classes).
pub fn parse(name: &str, args: &[String], current: &str) -> Result<String, String> {
    match name {
        "dir" => parse_dir(args),
        "save" => parse_save(args),
        "client-output-buffer-limit" => parse_output_limits(args, current),
        "oom-score-adj-values" => parse_oom_values(args),
        "notify-keyspace-events" => {
            let [classes] = args else {
                return Err("wrong number of arguments".into());
            };
            match lodestone_storage::notify::parse_flags(classes.as_bytes()) {
                Some(flags) => Ok(notify_stored_text(flags)),
                None => Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
            }
        }
        "bind" => {
            if args.len() > 16 {
                return Err("Too many bind addresses specified.".into());
            }
            if let [only] = args {
                if only.is_empty() {
                    return Ok(String::new());
                }
            }
            Ok(args.join(" "))
        }
        "replicaof" => parse_replicaof(args),
        "latency-tracking-info-percentiles" => parse_percentiles(args),
        _ => Err(format!("no parser for special parameter {name}")),
    }
}

/// `strerror` text of an OS error ("No such file or directory").
pub fn os_error_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    text.split(" (os error").next().unwrap_or(&text).to_string()
}

/// `dir`: the directory must exist and be enterable; its absolute physical
/// path (what `getcwd` reports once the server changed into it) is stored.
fn parse_dir(args: &[String]) -> Result<String, String> {
    let [dir] = args else {
        return Err("wrong number of arguments".into());
    };
    let path = std::fs::canonicalize(dir).map_err(|e| os_error_text(&e))?;
    if !path.is_dir() {
        return Err("Not a directory".into());
    }
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| "Invalid argument".to_string())?;
    // SAFETY: access(2) reads a NUL-terminated path we own.
    if unsafe { libc::access(c_path.as_ptr(), libc::X_OK) } != 0 {
        return Err(os_error_text(&std::io::Error::last_os_error()));
    }
    Ok(path.to_string_lossy().into_owned())
}

/// `save`: pairs of seconds (at least 1) and changes (at least 0); a single
/// empty word means no save points.
fn parse_save(args: &[String]) -> Result<String, String> {
    let args: &[String] = match args {
        [only] if only.is_empty() => &[],
        _ => args,
    };
    if !args.len().is_multiple_of(2) {
        return Err("Invalid save parameters".into());
    }
    let mut out = Vec::new();
    for pair in args.chunks(2) {
        let (Some(seconds), Some(changes)) = (strtoll_whole(&pair[0]), strtoll_whole(&pair[1]))
        else {
            return Err("Invalid save parameters".into());
        };
        if seconds < 1 || changes < 0 {
            return Err("Invalid save parameters".into());
        }
        // Redis keeps the number of changes in a C int.
        out.push(format!("{seconds} {}", changes as i32));
    }
    Ok(out.join(" "))
}

/// Save points `(seconds, changes)` from the canonical `save` text.
pub fn save_points(text: &str) -> Vec<(i64, i64)> {
    let nums: Vec<i64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    nums.chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| (c[0], c[1]))
        .collect()
}

/// Output buffer limits of one client class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutputLimit {
    /// Disconnect as soon as the buffer exceeds this (0: no limit).
    pub hard_bytes: u64,
    /// Disconnect if over this for `soft_seconds` (0: no limit).
    pub soft_bytes: u64,
    /// How long the soft limit may be exceeded.
    pub soft_seconds: u64,
}

/// Class names in the order of the canonical text.
pub const CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// Limits for the normal, replica and pubsub classes from canonical text.
pub fn output_limits(text: &str) -> [OutputLimit; 3] {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = [OutputLimit::default(); 3];
    for chunk in words.chunks(4) {
        if let [class, hard, soft, secs] = chunk {
            if let Some(i) = CLASSES.iter().position(|c| c == class) {
                out[i] = OutputLimit {
                    hard_bytes: hard.parse().unwrap_or(0),
                    soft_bytes: soft.parse().unwrap_or(0),
                    soft_seconds: secs.parse().unwrap_or(0),
                };
            }
        }
    }
    out
}

/// Canonical text of the three classes' limits.
pub fn format_output_limits(limits: &[OutputLimit; 3]) -> String {
    CLASSES
        .iter()
        .zip(limits.iter())
        .map(|(c, l)| format!("{c} {} {} {}", l.hard_bytes, l.soft_bytes, l.soft_seconds))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `client-output-buffer-limit`: groups of `<class> <hard> <soft> <seconds>`;
/// classes not named keep their limits. All groups are checked before any
/// is taken, so a bad group changes nothing.
fn parse_output_limits(args: &[String], current: &str) -> Result<String, String> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut limits = output_limits(if current.is_empty() {
        default_of("client-output-buffer-limit")
    } else {
        current
    });
    for chunk in args.chunks(4) {
        let class = match chunk[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let bad = || {
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.".to_string()
        };
        let hard = memtoull(&chunk[1]).ok_or_else(bad)?;
        let soft = memtoull(&chunk[2]).ok_or_else(bad)?;
        // Redis reads the seconds into a C int.
        let secs = strtoll_whole(&chunk[3]).ok_or_else(bad)? as i32;
        if secs < 0 {
            return Err(bad());
        }
        limits[class] = OutputLimit {
            hard_bytes: hard,
            soft_bytes: soft,
            soft_seconds: secs as u64,
        };
    }
    Ok(format_output_limits(&limits))
}

/// `oom-score-adj-values`: three integers in [-2000, 2000].
fn parse_oom_values(args: &[String]) -> Result<String, String> {
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut out = Vec::new();
    for w in args {
        match strtoll_whole(w) {
            Some(v) if (-2000..=2000).contains(&v) => out.push(v.to_string()),
            _ => {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into(),
                )
            }
        }
    }
    Ok(out.join(" "))
}

/// `replicaof <host> <port>` or `replicaof no one`.
fn parse_replicaof(args: &[String]) -> Result<String, String> {
    let [host, port] = args else {
        return Err("wrong number of arguments".into());
    };
    if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
        return Ok(String::new());
    }
    let p = strtoll(port, 10);
    if !p.consumed_all || !(0..=65535).contains(&p.value) {
        return Err("Invalid master port".into());
    }
    Ok(format!("{host} {}", p.value))
}

/// `latency-tracking-info-percentiles`: numbers in [0, 100]; a single empty
/// word means none.
fn parse_percentiles(args: &[String]) -> Result<String, String> {
    let args: &[String] = match args {
        [only] if only.is_empty() => &[],
        _ => args,
    };
    let mut out = Vec::new();
    for w in args {
        let v = string2d(w)
            .ok_or_else(|| "Invalid latency-tracking-info-percentiles parameters".to_string())?;
        if !(0.0..=100.0).contains(&v) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        out.push(format_percentile(v));
    }
    Ok(out.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        super::super::cparse::split_spaces(s)
    }

    #[test]
    fn output_limits_roundtrip() {
        let cur = default_of("client-output-buffer-limit");
        let s = parse(
            "client-output-buffer-limit",
            &words("pubsub 1mb 512kb 10"),
            cur,
        )
        .unwrap();
        assert_eq!(
            s,
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 10"
        );
        assert_eq!(output_limits(&s)[2].soft_seconds, 10);
        assert_eq!(
            parse("client-output-buffer-limit", &[], cur).unwrap(),
            cur,
            "no words change nothing"
        );
        assert!(parse("client-output-buffer-limit", &words("master 1 1 1"), cur).is_err());
    }

    #[test]
    fn save_and_events() {
        assert_eq!(
            parse("save", &words("900 1 300 10"), "").unwrap(),
            "900 1 300 10"
        );
        assert_eq!(save_points("900 1 300 10"), vec![(900, 1), (300, 10)]);
        assert!(parse("save", &words("900"), "").is_err());
        assert!(parse("save", &words("0 1"), "").is_err());
        assert_eq!(parse("save", &[String::new()], "").unwrap(), "");
        assert_eq!(
            parse("notify-keyspace-events", &["KEA".into()], "").unwrap(),
            "AKE"
        );
    }

    #[test]
    fn others() {
        assert_eq!(
            parse(
                "latency-tracking-info-percentiles",
                &words("50 99.9 100"),
                ""
            )
            .unwrap(),
            "50 99.9 100"
        );
        assert!(parse("latency-tracking-info-percentiles", &words("101"), "").is_err());
        assert_eq!(
            parse("replicaof", &words("host +007"), "").unwrap(),
            "host 7"
        );
        assert_eq!(parse("replicaof", &words("NO ONE"), "").unwrap(), "");
        assert_eq!(
            parse("oom-score-adj-values", &words("0 200 800"), "").unwrap(),
            "0 200 800"
        );
        assert_eq!(parse("bind", &[String::new()], "").unwrap(), "");
    }
}
