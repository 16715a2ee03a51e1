//! Parsing, validating and formatting the value of one parameter, by type,
//! with Redis's rules and error texts (`boolConfigSet`, `enumConfigSet`,
//! `numericParseString`, `numericBoundaryCheck`, the `isValid*` checks).
//!
//! The words reach [`parse`] already split the way Redis splits them for
//! the caller (config file line, command line, CONFIG SET), so a parameter
//! that is not multi-word always gets exactly one.

use super::cparse::{memtoull, string2ll, strtoll};
use super::registry::{Kind, ParamDef, Unit};
use super::special;
use super::Val;

/// The default value of a parameter.
pub fn default_of(def: &ParamDef) -> Val {
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

/// Parses the words given for `def`. `current` is the present value (some
/// special parameters change only part of it).
pub fn parse(def: &ParamDef, args: &[String], current: &Val) -> Result<Val, String> {
    let one = args.first().map(String::as_str).unwrap_or("");
    match &def.kind {
        Kind::Bool { .. } => {
            let v = match one.to_ascii_lowercase().as_str() {
                "yes" => true,
                "no" => false,
                _ => return Err("argument must be 'yes' or 'no'".into()),
            };
            if def.name == "activedefrag" && v {
                // Lodestone has no active defragmentation; Redis refuses the
                // same way when its allocator cannot defragment.
                return Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution".into());
            }
            Ok(Val::Bool(v))
        }
        Kind::Str { empty_is_null, .. } => {
            validate_string(def.name, one)?;
            Ok(Val::Str(if one.is_empty() && *empty_is_null {
                None
            } else {
                Some(one.to_string())
            }))
        }
        Kind::Enum { values, .. } => {
            let v = parse_enum(values, args, def.is_multi())?;
            if def.name.starts_with("shutdown-on-sig") && v & 1 != 0 && v & 2 != 0 {
                return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
            }
            Ok(Val::Enum(v))
        }
        Kind::Num { min, max, unit, .. } => parse_number(one, *min, *max, *unit).map(Val::Num),
        Kind::Special => {
            let cur = match current {
                Val::Special(s) => s.as_str(),
                _ => "",
            };
            special::parse(def.name, args, cur).map(Val::Special)
        }
    }
}

/// Redis's `configEnumGetValue`: one name, or for multi-word parameters
/// one or more names OR-ed together; any case.
fn parse_enum(values: &[(&str, i64)], args: &[String], multi: bool) -> Result<i64, String> {
    let ok = !args.is_empty() && (multi || args.len() == 1);
    let mut v = 0;
    let all_known = ok
        && args.iter().all(|w| {
            let mut matched = false;
            for (name, x) in values {
                if name.eq_ignore_ascii_case(w) {
                    v |= x;
                    matched = true;
                }
            }
            matched
        });
    if all_known {
        return Ok(v);
    }
    let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
    let mut msg = format!(
        "argument(s) must be one of the following: {}",
        names.join(", ")
    );
    // Redis builds this message in a 256-byte buffer.
    msg.truncate(255);
    Err(msg)
}

/// Redis's `numericParseString` then `numericBoundaryCheck`.
fn parse_number(s: &str, min: i128, max: i128, unit: Unit) -> Result<i128, String> {
    let memory = matches!(unit, Unit::Memory | Unit::MemoryOrPercent);
    let percent = matches!(unit, Unit::Percent | Unit::MemoryOrPercent);
    let mut parsed: Option<i128> = None;
    if memory {
        // The bytes land in a C long long for every parameter whose range
        // fits one, wrapping like the C conversion.
        parsed = memtoull(s).map(|v| {
            if max > i64::MAX as i128 {
                v as i128
            } else {
                v as i64 as i128
            }
        });
    }
    if parsed.is_none() && percent && s.len() > 1 && s.ends_with('%') {
        parsed = string2ll(&s[..s.len() - 1])
            .filter(|v| *v >= 0)
            .map(|v| -(v as i128));
    }
    if parsed.is_none() && unit == Unit::Octal {
        let r = strtoll(s, 8);
        if r.consumed_all && !r.overflow {
            parsed = Some(r.value as i128);
        }
    }
    if parsed.is_none() && unit == Unit::Plain {
        parsed = string2ll(s).map(|v| v as i128);
    }
    let Some(v) = parsed else {
        return Err(match unit {
            Unit::MemoryOrPercent => "argument must be a memory or percent value",
            Unit::Memory => "argument must be a memory value",
            Unit::Octal => "argument couldn't be parsed as an octal number",
            _ => "argument couldn't be parsed into an integer",
        }
        .into());
    };
    if percent && v < 0 {
        if v < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
    } else if v < min || v > max {
        return Err(if unit == Unit::Octal {
            format!("argument must be between {min:o} and {max:o} inclusive")
        } else {
            format!("argument must be between {min} and {max} inclusive")
        });
    }
    Ok(v)
}

/// The checks Redis makes on some text parameters.
fn validate_string(name: &str, v: &str) -> Result<(), String> {
    let is_base_name = !v.contains('/') && !v.contains('\\');
    match name {
        "dbfilename" if !is_base_name => Err("dbfilename can't be a path, just a filename".into()),
        "appendfilename" if v.is_empty() => Err("appendfilename can't be empty".into()),
        "appendfilename" if !is_base_name => {
            Err("appendfilename can't be a path, just a filename".into())
        }
        "appenddirname" if v.is_empty() => Err("appenddirname can't be empty".into()),
        "appenddirname" if !is_base_name => {
            Err("appenddirname can't be a path, just a dirname".into())
        }
        "cluster-announce-hostname" if v.len() >= 256 => {
            Err("Hostnames must be less than 256 characters".into())
        }
        "cluster-announce-hostname"
            if !v
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.') =>
        {
            Err("Hostnames may only contain alphanumeric characters, hyphens or dots".into())
        }
        "cluster-announce-human-nodename"
            if v.bytes()
                .any(|c| !c.is_ascii_alphanumeric() && b"!#$%&()*+:;<>?@[]^{|}~".contains(&c)) =>
        {
            Err("Announced human node name contained invalid character".into())
        }
        "proc-title-template" if !proc_title_template_ok(v) => {
            Err("template format is invalid or contains unknown variables".into())
        }
        _ => Ok(()),
    }
}

/// Redis's `validateProcTitleTemplate`: `{variables}` must be known, `{{`
/// is a literal brace, and the expansion (with an empty title) must not be
/// blank.
fn proc_title_template_ok(t: &str) -> bool {
    let mut out = String::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if after.is_empty() {
            return false;
        }
        if let Some(tail) = after.strip_prefix('{') {
            out.push('{');
            rest = tail;
            continue;
        }
        let Some(close) = after.find('}') else {
            return false;
        };
        match &after[..close] {
            "title" | "server-mode" | "unixsocket" => {}
            "listen-addr" | "config-file" | "port" | "tls-port" => out.push('x'),
            _ => return false,
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    !out.trim_matches(' ').is_empty()
}

/// The value as CONFIG GET shows it.
pub fn format(def: &ParamDef, v: &Val) -> String {
    match (v, &def.kind) {
        (Val::Bool(b), _) => if *b { "yes" } else { "no" }.to_string(),
        (Val::Str(s), _) => s.clone().unwrap_or_default(),
        (Val::Enum(x), Kind::Enum { values, .. }) => enum_name(values, *x, def.is_multi()),
        (Val::Num(n), Kind::Num { unit, .. }) => match unit {
            Unit::Percent | Unit::MemoryOrPercent if *n < 0 => format!("{}%", -n),
            Unit::Octal => format!("{n:o}"),
            _ => n.to_string(),
        },
        (Val::Special(s), _) => special::display(def.name, s),
        (other, _) => format!("{other:?}"),
    }
}

/// Redis's `configEnumGetName`: the exact name if one matches, else (for
/// flag sets) the names of the flags in table order, else `unknown`.
pub fn enum_name(values: &[(&str, i64)], x: i64, flags: bool) -> String {
    if let Some((n, _)) = values.iter().find(|(_, v)| *v == x) {
        return n.to_string();
    }
    if flags {
        let mut left = x;
        let mut names = Vec::new();
        for (n, f) in values {
            if *f != 0 && left & f == *f {
                names.push(*n);
                left &= !f;
            }
        }
        if left == 0 && !names.is_empty() {
            return names.join(" ");
        }
    }
    "unknown".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(
            parse_number("1gb", 0, u64::MAX as i128, Unit::Memory),
            Ok(1 << 30)
        );
        assert_eq!(
            parse_number("18446744073709551615", 0, u64::MAX as i128, Unit::Memory),
            Ok(u64::MAX as i128)
        );
        assert_eq!(
            parse_number(
                "18446744073709551615",
                1048576,
                i64::MAX as i128,
                Unit::Memory
            ),
            Err("argument must be between 1048576 and 9223372036854775807 inclusive".into())
        );
        assert_eq!(
            parse_number("200%", -100, i64::MAX as i128, Unit::MemoryOrPercent),
            Err("percentage argument must be less or equal to 100".into())
        );
        assert_eq!(
            parse_number("50%", -100, i64::MAX as i128, Unit::MemoryOrPercent),
            Ok(-50)
        );
        assert_eq!(
            parse_number("x", 0, 10, Unit::Memory),
            Err("argument must be a memory value".into())
        );
        assert_eq!(
            parse_number("1k", 0, 10, Unit::Plain),
            Err("argument couldn't be parsed into an integer".into())
        );
        assert_eq!(
            parse_number("1000", 0, 0o777, Unit::Octal),
            Err("argument must be between 0 and 777 inclusive".into())
        );
        assert_eq!(parse_number("0700", 0, 0o777, Unit::Octal), Ok(0o700));
    }

    #[test]
    fn enums_and_templates() {
        let v = &[
            ("default", 0),
            ("save", 1),
            ("nosave", 2),
            ("now", 4),
            ("force", 8),
        ];
        assert_eq!(enum_name(v, 0, true), "default");
        assert_eq!(enum_name(v, 2 | 4 | 8, true), "nosave now force");
        assert_eq!(enum_name(v, 16, true), "unknown");
        assert_eq!(parse_enum(v, &["NOW".into(), "force".into()], true), Ok(12));
        assert!(parse_enum(v, &[], true).is_err());
        assert!(proc_title_template_ok(
            "{title} {listen-addr} {server-mode}"
        ));
        assert!(!proc_title_template_ok("{title}"));
        assert!(!proc_title_template_ok("{bogus}"));
        assert!(!proc_title_template_ok("x {"));
        assert!(proc_title_template_ok("{{x"));
    }
}
