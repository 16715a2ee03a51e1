//! `cjson.decode`: JSON text to Lua values, with Lua CJSON's tokenizer and
//! its error texts ("Expected X but found Y at character N").
//!
//! The C library reads the text as a C string: a zero byte ends it. It
//! reads numbers with `strtod`, so by default (`decode_invalid_numbers`
//! on) it also takes `+1`, `0x1F`, `Infinity` and `NaN`; [`strtod`]
//! accepts what glibc's does. `null` becomes `cjson.null` (a NULL light
//! userdata). Nesting is bounded by `decode_max_depth` and by the stack
//! slots the C decoder would hold, whichever comes first.

use super::cjson::{Config, MAX_C_STACK};
use super::native::{error, Raise};
use mlua::{LightUserData, Lua, Value};

/// What the tokenizer found.
enum Token {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Number(f64),
    Boolean(bool),
    Null,
    Colon,
    Comma,
    End,
    /// A malformed token, with the reason.
    Error(&'static str),
}

impl Token {
    /// The name errors give a token.
    fn name(&self) -> &'static str {
        match self {
            Token::ObjBegin => "T_OBJ_BEGIN",
            Token::ObjEnd => "T_OBJ_END",
            Token::ArrBegin => "T_ARR_BEGIN",
            Token::ArrEnd => "T_ARR_END",
            Token::Str(_) => "T_STRING",
            Token::Number(_) => "T_NUMBER",
            Token::Boolean(_) => "T_BOOLEAN",
            Token::Null => "T_NULL",
            Token::Colon => "T_COLON",
            Token::Comma => "T_COMMA",
            Token::End => "T_END",
            Token::Error(reason) => reason,
        }
    }
}

/// Decodes `json` into a Lua value.
pub fn decode(lua: &Lua, json: &[u8], cfg: &Config) -> Result<Value, Raise> {
    if json.len() >= 2 && (json[0] == 0 || json[1] == 0) {
        return Err(error("JSON parser does not support UTF-16 or UTF-32"));
    }
    let end = json.iter().position(|&b| b == 0).unwrap_or(json.len());
    let mut p = Parser {
        lua,
        data: &json[..end],
        pos: 0,
        cfg,
        depth: 0,
        // The C function's stack holds its argument.
        used: 1,
        open: lua.create_table()?,
    };
    let (tok, at) = p.next_token();
    let v = p.value(tok, at)?;
    let (tok, at) = p.next_token();
    if !matches!(tok, Token::End) {
        return Err(p.unexpected("the end", &tok, at));
    }
    Ok(v)
}

/// The parse state.
struct Parser<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    cfg: &'a Config,
    /// Containers open.
    depth: i32,
    /// Stack slots the C decoder would hold.
    used: usize,
    /// The containers being filled (at twice their depth) and the key
    /// whose value is being read (next to its object): kept in Lua rather
    /// than as Rust handles, which mlua can hold only some thousands of.
    open: mlua::Table,
}

impl Parser<'_> {
    /// The byte at `i`, 0 past the end (the C string's terminator).
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    /// "Expected WHAT but found TOKEN at character N".
    fn unexpected(&self, what: &str, tok: &Token, at: usize) -> Raise {
        error(format!(
            "Expected {what} but found {} at character {}",
            tok.name(),
            at + 1
        ))
    }

    /// The next token and where it starts.
    fn next_token(&mut self) -> (Token, usize) {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let single = match self.at(start) {
            b'{' => Some(Token::ObjBegin),
            b'}' => Some(Token::ObjEnd),
            b'[' => Some(Token::ArrBegin),
            b']' => Some(Token::ArrEnd),
            b',' => Some(Token::Comma),
            b':' => Some(Token::Colon),
            0 => return (Token::End, start),
            _ => None,
        };
        if let Some(tok) = single {
            self.pos += 1;
            return (tok, start);
        }
        let ch = self.at(start);
        let rest = &self.data[start..];
        let tok = match ch {
            b'"' => return self.string(),
            b'-' | b'0'..=b'9' => {
                if !self.cfg.decode_invalid_numbers && invalid_number(rest) {
                    return (Token::Error("invalid number"), start);
                }
                self.number()
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => {
                if rest.starts_with(b"true") {
                    self.pos += 4;
                    Token::Boolean(true)
                } else if rest.starts_with(b"false") {
                    self.pos += 5;
                    Token::Boolean(false)
                } else if rest.starts_with(b"null") {
                    self.pos += 4;
                    Token::Null
                } else if self.cfg.decode_invalid_numbers && invalid_number(rest) {
                    self.number()
                } else {
                    Token::Error("invalid token")
                }
            }
            _ => Token::Error("invalid token"),
        };
        (tok, start)
    }

    /// A number token at the cursor, read as `strtod` reads it.
    fn number(&mut self) -> Token {
        let (n, len) = strtod(&self.data[self.pos..]);
        if len == 0 {
            return Token::Error("invalid number");
        }
        self.pos += len;
        Token::Number(n)
    }

    /// A string token (the cursor is on its opening quote).
    fn string(&mut self) -> (Token, usize) {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let ch = self.at(self.pos);
            match ch {
                b'"' => break,
                0 => return (Token::Error("unexpected end of string"), self.pos),
                b'\\' => {
                    let esc = match self.at(self.pos + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => b'\x08',
                        b't' => b'\t',
                        b'n' => b'\n',
                        b'f' => b'\x0c',
                        b'r' => b'\r',
                        b'u' => {
                            if !self.unicode_escape(&mut out) {
                                return (Token::Error("invalid unicode escape code"), self.pos);
                            }
                            continue;
                        }
                        _ => return (Token::Error("invalid escape code"), self.pos),
                    };
                    out.push(esc);
                    self.pos += 2;
                }
                _ => {
                    out.push(ch);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        (Token::Str(out), start)
    }

    /// Four hex digits at `i`, `None` when any is not one.
    fn hex4(&self, i: usize) -> Option<u32> {
        (i..i + 4).try_fold(0u32, |acc, j| {
            char::from(self.at(j)).to_digit(16).map(|d| (acc << 4) | d)
        })
    }

    /// A `\uXXXX` escape (or a surrogate pair of them) at the cursor,
    /// appended as UTF-8; false when malformed.
    fn unicode_escape(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(mut cp) = self.hex4(self.pos + 2) else {
            return false;
        };
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 || self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return false;
            }
            let Some(low) = self.hex4(self.pos + 8) else {
                return false;
            };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        let mut buf = [0u8; 4];
        match char::from_u32(cp) {
            Some(c) => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
            None => return false,
        }
        self.pos += len;
        true
    }

    /// Enters a container needing `slots` stack slots, failing as the C
    /// decoder does past its depth or stack limit.
    fn descend(&mut self, slots: usize) -> Result<(), Raise> {
        self.depth += 1;
        if self.depth <= self.cfg.decode_max_depth && self.used + slots <= MAX_C_STACK {
            return Ok(());
        }
        Err(error(format!(
            "Found too many nested data structures ({}) at character {}",
            self.depth, self.pos
        )))
    }

    /// The value starting with `tok` (found at `at`).
    fn value(&mut self, tok: Token, at: usize) -> Result<Value, Raise> {
        Ok(match tok {
            Token::Str(s) => Value::String(self.lua.create_string(s)?),
            Token::Number(n) => Value::Number(n),
            Token::Boolean(b) => Value::Boolean(b),
            Token::Null => Value::LightUserData(LightUserData(std::ptr::null_mut())),
            Token::ObjBegin => self.object()?,
            Token::ArrBegin => self.array()?,
            tok => return Err(self.unexpected("value", &tok, at)),
        })
    }

    /// An object; the cursor is after its `{`.
    fn object(&mut self) -> Result<Value, Raise> {
        self.descend(3)?;
        let slot = 2 * i64::from(self.depth);
        self.open.raw_set(slot, self.lua.create_table()?)?;
        // The table, then each key while its value is read.
        self.used += 2;
        let (mut tok, mut at) = self.next_token();
        if !matches!(tok, Token::ObjEnd) {
            loop {
                let Token::Str(key) = tok else {
                    return Err(self.unexpected("object key string", &tok, at));
                };
                self.open.raw_set(slot + 1, self.lua.create_string(key)?)?;
                let (colon, colon_at) = self.next_token();
                if !matches!(colon, Token::Colon) {
                    return Err(self.unexpected("colon", &colon, colon_at));
                }
                let (vt, vat) = self.next_token();
                let v = self.value(vt, vat)?;
                let t: mlua::Table = self.open.raw_get(slot)?;
                t.raw_set(self.open.raw_get::<Value>(slot + 1)?, v)?;
                let (sep, sep_at) = self.next_token();
                if matches!(sep, Token::ObjEnd) {
                    break;
                }
                if !matches!(sep, Token::Comma) {
                    return Err(self.unexpected("comma or object end", &sep, sep_at));
                }
                (tok, at) = self.next_token();
            }
        }
        self.used -= 2;
        self.close(slot)
    }

    /// An array; the cursor is after its `[`.
    fn array(&mut self) -> Result<Value, Raise> {
        self.descend(2)?;
        let slot = 2 * i64::from(self.depth);
        self.open.raw_set(slot, self.lua.create_table()?)?;
        self.used += 1;
        let (mut tok, mut at) = self.next_token();
        if !matches!(tok, Token::ArrEnd) {
            let mut i: i64 = 1;
            loop {
                let v = self.value(tok, at)?;
                let t: mlua::Table = self.open.raw_get(slot)?;
                t.raw_set(i, v)?;
                i += 1;
                let (sep, sep_at) = self.next_token();
                if matches!(sep, Token::ArrEnd) {
                    break;
                }
                if !matches!(sep, Token::Comma) {
                    return Err(self.unexpected("comma or array end", &sep, sep_at));
                }
                (tok, at) = self.next_token();
            }
        }
        self.used -= 1;
        self.close(slot)
    }

    /// Leaves the container at `slot`, returning it.
    fn close(&mut self, slot: i64) -> Result<Value, Raise> {
        let t = self.open.raw_get(slot)?;
        self.open.raw_set(slot, Value::Nil)?;
        self.open.raw_set(slot + 1, Value::Nil)?;
        self.depth -= 1;
        Ok(t)
    }
}

/// True for number texts strict JSON forbids but `strtod` reads: a
/// leading `+`, hex, leading zeros, `inf` and `nan`.
fn invalid_number(s: &[u8]) -> bool {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    if at(0) == b'+' {
        return true;
    }
    let p = usize::from(at(0) == b'-');
    if at(p) == b'0' {
        let next = at(p + 1);
        return next | 0x20 == b'x' || next.is_ascii_digit();
    }
    if at(p) <= b'9' {
        return false;
    }
    let word = |w: &[u8]| s.len() >= p + 3 && s[p..p + 3].eq_ignore_ascii_case(w);
    word(b"inf") || word(b"nan")
}

/// glibc's `strtod` on `s` (no leading spaces): the value and the bytes
/// it used, 0 when `s` starts no number.
pub fn strtod(s: &[u8]) -> (f64, usize) {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = 0;
    let negative = at(0) == b'-';
    if matches!(at(0), b'+' | b'-') {
        i = 1;
    }
    let sign = if negative { -1.0 } else { 1.0 };
    let word = |from: usize, w: &[u8]| {
        s.len() >= from + w.len() && s[from..from + w.len()].eq_ignore_ascii_case(w)
    };
    if word(i, b"inf") {
        let len = if word(i, b"infinity") { i + 8 } else { i + 3 };
        return (sign * f64::INFINITY, len);
    }
    if word(i, b"nan") {
        let mut len = i + 3;
        if at(len) == b'(' {
            let close = (len + 1..).find(|&j| !(at(j).is_ascii_alphanumeric() || at(j) == b'_'));
            if let Some(j) = close.filter(|&j| at(j) == b')') {
                len = j + 1;
            }
        }
        return (sign * f64::NAN, len);
    }
    if at(i) == b'0' && at(i + 1) | 0x20 == b'x' {
        let digits_at = i + 2;
        let hex_start = at(digits_at).is_ascii_hexdigit()
            || (at(digits_at) == b'.' && at(digits_at + 1).is_ascii_hexdigit());
        if hex_start {
            let (v, len) = hex_float(&s[digits_at..]);
            return (sign * v, digits_at + len);
        }
        // Only the "0" is a number.
        return (sign * 0.0, i + 1);
    }
    let int_start = i;
    while at(i).is_ascii_digit() {
        i += 1;
    }
    let int_part = &s[int_start..i];
    let mut frac_part: &[u8] = &[];
    if at(i) == b'.' {
        let f = i + 1;
        let mut j = f;
        while at(j).is_ascii_digit() {
            j += 1;
        }
        if int_part.is_empty() && j == f {
            return (0.0, 0);
        }
        frac_part = &s[f..j];
        i = j;
    } else if int_part.is_empty() {
        return (0.0, 0);
    }
    let mut exp: &[u8] = b"0";
    if at(i) | 0x20 == b'e' {
        let mut j = i + 1;
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        let digits = j;
        while at(j).is_ascii_digit() {
            j += 1;
        }
        if j > digits {
            exp = &s[i + 1..j];
            i = j;
        }
    }
    let mut text = Vec::with_capacity(int_part.len() + frac_part.len() + exp.len() + 4);
    text.extend_from_slice(if int_part.is_empty() { b"0" } else { int_part });
    if !frac_part.is_empty() {
        text.push(b'.');
        text.extend_from_slice(frac_part);
    }
    text.push(b'e');
    text.extend_from_slice(exp);
    let v = std::str::from_utf8(&text)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .unwrap_or(0.0);
    (sign * v, i)
}

/// A hex float's digits after `0x` (`h.hhhp±d`): its value and length.
fn hex_float(s: &[u8]) -> (f64, usize) {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut mantissa: u64 = 0;
    let mut exp: i64 = 0;
    let mut sticky = false;
    let mut i = 0;
    let mut seen_point = false;
    loop {
        let c = at(i);
        if c == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(d) = char::from(c).to_digit(16) {
            if mantissa >> 60 == 0 {
                mantissa = (mantissa << 4) | u64::from(d);
                if seen_point {
                    exp -= 4;
                }
            } else {
                sticky |= d != 0;
                if !seen_point {
                    exp += 4;
                }
            }
        } else {
            break;
        }
        i += 1;
    }
    if at(i) | 0x20 == b'p' {
        let mut j = i + 1;
        let neg = at(j) == b'-';
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        let digits = j;
        let mut e: i64 = 0;
        while at(j).is_ascii_digit() {
            e = (e * 10 + i64::from(at(j) - b'0')).min(1 << 20);
            j += 1;
        }
        if j > digits {
            exp += if neg { -e } else { e };
            i = j;
        }
    }
    let m = (mantissa | u64::from(sticky)) as f64;
    (m * 2f64.powi(exp.clamp(-2000, 2000) as i32), i)
}

#[cfg(test)]
mod tests {
    use super::strtod;

    #[test]
    fn strtod_reads_what_glibc_reads() {
        assert_eq!(strtod(b"1.5,"), (1.5, 3));
        assert_eq!(strtod(b"-0.3e-3]"), (-0.0003, 7));
        assert_eq!(strtod(b"1e"), (1.0, 1));
        assert_eq!(strtod(b"0x1F"), (31.0, 4));
        assert_eq!(strtod(b"0x"), (0.0, 1));
        assert_eq!(strtod(b"Infinity"), (f64::INFINITY, 8));
        assert_eq!(strtod(b"-inf"), (f64::NEG_INFINITY, 4));
        assert_eq!(strtod(b"nan").1, 3);
        assert_eq!(strtod(b"-"), (0.0, 0));
        assert_eq!(strtod(b".5"), (0.5, 2));
        assert_eq!(strtod(b"5."), (5.0, 2));
        assert_eq!(strtod(b"."), (0.0, 0));
    }
}
