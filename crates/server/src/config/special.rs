//! Parameters with their own syntax: `save`, `bind`, `dir`,
//! `client-output-buffer-limit`, `notify-keyspace-events`, `replicaof`,
//! `oom-score-adj-values`, `latency-tracking-info-percentiles`.
//!
//! Each is stored as its canonical text (what CONFIG GET shows); the
//! server parses that text again where it needs the structured value.

use super::parse_memory;

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

/// Parses arguments for special parameter `name` into canonical text.
/// `current` is the present value, for parameters set partially
/// (`client-output-buffer-limit pubsub ...` keeps the other classes).
pub fn parse(name: &str, args: &[String], current: &str) -> Result<String, String> {
    match name {
        "dir" => {
            let [dir] = args else {
                return Err("wrong number of arguments".into());
            };
            let path = std::fs::canonicalize(dir).map_err(|e| os_error_text(&e))?;
            if !path.is_dir() {
                return Err("Not a directory".into());
            }
            Ok(path.to_string_lossy().into_owned())
        }
        "save" => parse_save(args),
        "client-output-buffer-limit" => parse_output_limits(args, current),
        "oom-score-adj-values" => {
            let words = split_words(args);
            if words.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            let mut out = Vec::new();
            for w in words {
                match lodestone_protocol::num::parse_i64(w.as_bytes()) {
                    Some(v) if (-2000..=2000).contains(&v) => out.push(v.to_string()),
                    _ => return Err(
                        "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                            .into(),
                    ),
                }
            }
            Ok(out.join(" "))
        }
        "notify-keyspace-events" => {
            let [classes] = args else {
                return Err("wrong number of arguments".into());
            };
            match lodestone_storage::notify::parse_flags(classes.as_bytes()) {
                Some(flags) => Ok(lodestone_storage::notify::flags_to_string(flags)),
                None => Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
            }
        }
        "bind" => {
            let words = split_words(args);
            if words.len() > 16 {
                return Err("Too many bind addresses specified.".into());
            }
            Ok(words.join(" "))
        }
        "replicaof" => {
            let [host, port] = args else {
                return Err("wrong number of arguments".into());
            };
            if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
                return Ok(String::new());
            }
            match port.parse::<u16>() {
                Ok(p) => Ok(format!("{host} {p}")),
                Err(_) => Err("Invalid master port".into()),
            }
        }
        "latency-tracking-info-percentiles" => {
            let words = split_words(args);
            let mut out = Vec::new();
            for w in words {
                let v: f64 = w.parse().map_err(|_| {
                    "Invalid latency-tracking-info-percentiles parameters".to_string()
                })?;
                if !(0.0..=100.0).contains(&v) {
                    return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
                }
                let mut s = Vec::new();
                lodestone_protocol::num::push_double(&mut s, v);
                out.push(String::from_utf8_lossy(&s).into_owned());
            }
            Ok(out.join(" "))
        }
        _ => Err("unsupported parameter".into()),
    }
}

/// A single argument with spaces counts as several (CONFIG SET passes the
/// value as one argument).
fn split_words(args: &[String]) -> Vec<String> {
    args.iter()
        .flat_map(|a| a.split_whitespace().map(str::to_string))
        .collect()
}

fn os_error_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    // "No such file or directory (os error 2)" -> strerror's text.
    text.split(" (os error").next().unwrap_or(&text).to_string()
}

fn parse_save(args: &[String]) -> Result<String, String> {
    let words = split_words(args);
    if words.is_empty() {
        return Ok(String::new());
    }
    if !words.len().is_multiple_of(2) {
        return Err("Invalid save parameters".into());
    }
    let mut out = Vec::new();
    for w in &words {
        match lodestone_protocol::num::parse_i64(w.as_bytes()) {
            Some(v) if v >= 0 => out.push(v.to_string()),
            _ => return Err("Invalid save parameters".into()),
        }
    }
    Ok(out.join(" "))
}

/// Save points `(seconds, changes)` from the canonical `save` text.
pub fn save_points(text: &str) -> Vec<(u64, u64)> {
    let nums: Vec<u64> = text
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

const CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

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

fn parse_output_limits(args: &[String], current: &str) -> Result<String, String> {
    let words = split_words(args);
    if words.is_empty() || !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut limits = output_limits(if current.is_empty() {
        default_of("client-output-buffer-limit")
    } else {
        current
    });
    for chunk in words.chunks(4) {
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
        let hard = parse_memory(&chunk[1]).ok_or_else(bad)?;
        let soft = parse_memory(&chunk[2]).ok_or_else(bad)?;
        let secs = lodestone_protocol::num::parse_i64(chunk[3].as_bytes())
            .filter(|v| *v >= 0)
            .ok_or_else(bad)?;
        limits[class] = OutputLimit {
            hard_bytes: hard as u64,
            soft_bytes: soft as u64,
            soft_seconds: secs as u64,
        };
    }
    Ok(CLASSES
        .iter()
        .zip(limits.iter())
        .map(|(c, l)| format!("{c} {} {} {}", l.hard_bytes, l.soft_bytes, l.soft_seconds))
        .collect::<Vec<_>>()
        .join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_limits_roundtrip() {
        let cur = default_of("client-output-buffer-limit");
        let s = parse(
            "client-output-buffer-limit",
            &["pubsub 1mb 512kb 10".into()],
            cur,
        )
        .unwrap();
        assert_eq!(
            s,
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 10"
        );
        assert_eq!(output_limits(&s)[2].soft_seconds, 10);
    }

    #[test]
    fn save_and_events() {
        assert_eq!(
            parse("save", &["900 1 300 10".into()], "").unwrap(),
            "900 1 300 10"
        );
        assert_eq!(save_points("900 1 300 10"), vec![(900, 1), (300, 10)]);
        assert!(parse("save", &["900".into()], "").is_err());
        assert_eq!(
            parse("notify-keyspace-events", &["KEA".into()], "").unwrap(),
            "AKE"
        );
    }
}
