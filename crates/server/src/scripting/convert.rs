//! Conversions between RESP replies and Lua values, with Redis's rules:
//! a command's reply becomes a Lua value for `redis.call`, and the value a
//! script returns becomes the client's reply.

use super::error_table;
use lodestone_protocol::frame::Frame;
use lodestone_protocol::Reply;
use mlua::{Lua, Table, Value};

/// Deepest table nesting a script may return; deeper levels become an
/// error element, as Redis answers when the Lua stack runs out.
const MAX_REPLY_DEPTH: usize = 1000;

/// The Lua value of a command reply. `resp` is the protocol the script
/// asked for (`redis.setresp`): RESP2 nulls are `false`, RESP3 nulls `nil`.
pub fn frame_to_lua(lua: &Lua, frame: Frame, resp: u8) -> mlua::Result<Value> {
    let tagged = |tag: &str, v: Value| -> mlua::Result<Value> {
        let t = lua.create_table()?;
        t.raw_set(tag, v)?;
        Ok(Value::Table(t))
    };
    Ok(match frame {
        Frame::Integer(n) => Value::Number(n as f64),
        Frame::Bulk(b) => Value::String(lua.create_string(&b)?),
        Frame::Null if resp == 2 => Value::Boolean(false),
        Frame::Null => Value::Nil,
        Frame::Simple(s) => tagged("ok", Value::String(lua.create_string(&s)?))?,
        Frame::Error(e) => {
            let mut text = Vec::with_capacity(e.len() + 1);
            text.push(b'-');
            text.extend_from_slice(&e);
            let t = error_table(lua, &text)?;
            // The command already counted this error.
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        Frame::Array(items) | Frame::Push(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.into_iter().enumerate() {
                t.raw_set(i + 1, frame_to_lua(lua, item, resp)?)?;
            }
            Value::Table(t)
        }
        Frame::Map(pairs) => {
            let m = lua.create_table_with_capacity(0, pairs.len())?;
            for (k, v) in pairs {
                m.raw_set(frame_to_lua(lua, k, resp)?, frame_to_lua(lua, v, resp)?)?;
            }
            tagged("map", Value::Table(m))?
        }
        Frame::Set(items) => {
            let s = lua.create_table_with_capacity(0, items.len())?;
            for item in items {
                s.raw_set(frame_to_lua(lua, item, resp)?, true)?;
            }
            tagged("set", Value::Table(s))?
        }
        Frame::Double(text) => {
            let d = parse_double(&text);
            tagged("double", Value::Number(d))?
        }
        Frame::Boolean(b) => Value::Boolean(b),
        Frame::BigNumber(digits) => {
            tagged("big_number", Value::String(lua.create_string(&digits)?))?
        }
        Frame::Verbatim(body) => {
            let (format, text) = if body.len() >= 4 && body[3] == b':' {
                (&body[..3], &body[4..])
            } else {
                (&b"txt"[..], &body[..])
            };
            let v = lua.create_table()?;
            v.raw_set("format", lua.create_string(format)?)?;
            v.raw_set("string", lua.create_string(text)?)?;
            tagged("verbatim_string", Value::Table(v))?
        }
    })
}

/// A RESP3 double's text as a number.
fn parse_double(text: &[u8]) -> f64 {
    match text {
        b"inf" => f64::INFINITY,
        b"-inf" => f64::NEG_INFINITY,
        b"nan" => f64::NAN,
        _ => std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0),
    }
}

/// Writes the value a script returned as the client's reply. `script_resp`
/// is the protocol the script chose: it decides how booleans are sent.
/// Returns how many of the errors written were already counted in the
/// error statistics (tables flagged `ignore_error_stats_update`: errors of
/// commands the script called), which must not be counted again.
pub fn lua_to_reply(v: &Value, out: &mut Reply, script_resp: u8) -> u32 {
    let mut counted = 0;
    write_value(v, out, script_resp, 0, &mut counted);
    counted
}

/// A string field of a table, raw (no metamethods).
fn str_field(t: &Table, name: &str) -> Option<mlua::String> {
    match t.raw_get::<Value>(name) {
        Ok(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn write_value(v: &Value, out: &mut Reply, script_resp: u8, depth: usize, counted: &mut u32) {
    if depth > MAX_REPLY_DEPTH {
        out.error("ERR reached lua stack limit");
        return;
    }
    match v {
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if script_resp == 2 {
                if *b {
                    out.int(1);
                } else {
                    out.null();
                }
            } else {
                out.bool(*b);
            }
        }
        Value::Integer(n) => out.int(*n),
        Value::Number(n) => out.int(lua_number_to_i64(*n)),
        Value::Table(t) => write_table(t, out, script_resp, depth, counted),
        _ => out.null(),
    }
}

/// C's `(long long)` cast of a Lua number as x86-64 performs it (Redis's
/// reply): NaN and values outside the 64-bit range become `i64::MIN`.
fn lua_number_to_i64(n: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

/// The bytes of `s` with CR and LF turned into spaces, as Redis sends
/// status and big-number texts a script returns.
fn blank_line_breaks(s: &mlua::String) -> Vec<u8> {
    s.as_bytes()
        .iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect()
}

fn write_table(t: &Table, out: &mut Reply, script_resp: u8, depth: usize, counted: &mut u32) {
    if let Some(err) = str_field(t, "err") {
        out.error_bytes(&err.as_bytes());
        if matches!(
            t.raw_get::<Value>("ignore_error_stats_update"),
            Ok(Value::Boolean(true))
        ) {
            *counted += 1;
        }
        return;
    }
    if let Some(ok) = str_field(t, "ok") {
        out.simple_bytes(&blank_line_breaks(&ok));
        return;
    }
    if let Ok(Value::Number(d)) = t.raw_get::<Value>("double") {
        out.double(d);
        return;
    }
    if let Ok(Value::Integer(d)) = t.raw_get::<Value>("double") {
        out.double(d as f64);
        return;
    }
    if let Some(big) = str_field(t, "big_number") {
        out.big_number(&blank_line_breaks(&big));
        return;
    }
    if let Ok(Value::Table(v)) = t.raw_get::<Value>("verbatim_string") {
        if let (Some(format), Some(text)) = (str_field(&v, "format"), str_field(&v, "string")) {
            let format = String::from_utf8_lossy(&format.as_bytes()).into_owned();
            out.verbatim(&format, &text.as_bytes());
            return;
        }
    }
    if let Ok(Value::Table(m)) = t.raw_get::<Value>("map") {
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().filter_map(Result::ok).collect();
        out.map(pairs.len());
        for (k, v) in &pairs {
            write_value(k, out, script_resp, depth + 1, counted);
            write_value(v, out, script_resp, depth + 1, counted);
        }
        return;
    }
    if let Ok(Value::Table(s)) = t.raw_get::<Value>("set") {
        let members: Vec<Value> = s
            .pairs::<Value, Value>()
            .filter_map(|p| p.ok().map(|(k, _)| k))
            .collect();
        out.set(members.len());
        for m in &members {
            write_value(m, out, script_resp, depth + 1, counted);
        }
        return;
    }
    // An array: elements 1.. up to the first nil.
    let mut items = Vec::new();
    loop {
        match t.raw_get::<Value>(items.len() + 1) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(v),
        }
    }
    out.array(items.len());
    for item in &items {
        write_value(item, out, script_resp, depth + 1, counted);
    }
}
