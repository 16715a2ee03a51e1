//! The `struct` library (Roberto Ierusalimschy's, as Redis embeds it):
//! packs Lua values into binary strings and back by a format such as
//! `"<i4 h c3"`, for scripts that read or write binary key formats.
//!
//! Formats: `b/B h/H l/L T i/In I/In` integers (lower case signed), `f`
//! and `d` floats, `cN` a fixed string (`c0`: its length from the string,
//! or when unpacking from the previous result), `s` a zero-terminated
//! string, `x` a padding byte, `<`/`>` little/big endian (Redis's copy has no
//! `=`), `!N` maximum alignment and spaces. The sizes are those of x86-64 (`long`
//! and `size_t` 8 bytes, native order little endian, alignment 8).

use super::native::{c_to_i64, c_to_u64, error, native, one, Args, Outcome, Raise, Ret};
use mlua::{Lua, Table, Value};

/// Largest integer size (`iN`/`IN`) in bytes.
const MAX_INT_SIZE: usize = 32;
/// Default maximum alignment for `!` without a number.
const MAX_ALIGN: usize = 8;
/// Stack slots a C function may use (LUAI_MAXCSTACK), which bounds the
/// number of results `unpack` can return.
const MAX_C_STACK: usize = 8000;

/// Builds the `struct` table.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", native(lua, pack)?)?;
    t.set("unpack", native(lua, unpack)?)?;
    t.set("size", native(lua, size)?)?;
    Ok(t)
}

/// Byte order and maximum alignment, as set by the control options.
struct Header {
    little: bool,
    align: usize,
}

impl Header {
    fn new() -> Header {
        Header {
            little: true,
            align: 1,
        }
    }
}

/// The format string up to its first zero byte (it is read as a C string).
struct Format {
    bytes: Vec<u8>,
    at: usize,
}

impl Format {
    fn new(a: &Args) -> Result<Format, Raise> {
        let s = a.check_string(1)?;
        let s = s.as_bytes();
        let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
        Ok(Format {
            bytes: s[..end].to_vec(),
            at: 0,
        })
    }

    fn next_opt(&mut self) -> Option<u8> {
        let b = self.bytes.get(self.at).copied();
        self.at += 1;
        b
    }

    /// A decimal count after an option, or `default` when none follows.
    fn number(&mut self, default: usize) -> Result<usize, Raise> {
        let mut value: i32 = 0;
        let mut any = false;
        while let Some(&d) = self.bytes.get(self.at).filter(|b| b.is_ascii_digit()) {
            let digit = i32::from(d - b'0');
            if value > i32::MAX / 10 || value * 10 > i32::MAX - digit {
                return Err(error("integral size overflow"));
            }
            value = value * 10 + digit;
            self.at += 1;
            any = true;
        }
        Ok(if any { value as usize } else { default })
    }

    /// The size of option `opt` (reading its count), 0 for options with
    /// no size.
    fn size(&mut self, opt: u8) -> Result<usize, Raise> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'f' => 4,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'c' => self.number(1)?,
            b'i' | b'I' => {
                let n = self.number(4)?;
                if n > MAX_INT_SIZE {
                    return Err(error(format!(
                        "integral size {n} is larger than limit of {MAX_INT_SIZE}"
                    )));
                }
                n
            }
            _ => 0,
        })
    }

    /// Applies a control option (endianness, alignment, space); anything
    /// else is an invalid option.
    fn control(&mut self, opt: u8, h: &mut Header) -> Result<(), Raise> {
        match opt {
            b' ' => {}
            b'>' => h.little = false,
            b'<' => h.little = true,
            b'!' => {
                let a = self.number(MAX_ALIGN)?;
                if !a.is_power_of_two() {
                    return Err(error(format!("alignment {a} is not a power of 2")));
                }
                h.align = a;
            }
            _ => {
                let mut msg = b"invalid format option '".to_vec();
                msg.push(opt);
                msg.push(b'\'');
                return Err(Raise::Arg(1, msg));
            }
        }
        Ok(())
    }
}

/// Padding bytes needed before an item of `size` at offset `len`.
fn padding(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    size.wrapping_sub(len & size.wrapping_sub(1)) & size.wrapping_sub(1)
}

/// `struct.pack(fmt, ...)`.
fn pack(lua: &Lua, mut a: Args) -> Outcome {
    let mut fmt = Format::new(&a)?;
    let mut h = Header::new();
    let mut arg = 2;
    let mut out = CBuffer::new(&mut a);
    while let Some(opt) = fmt.next_opt() {
        let size = fmt.size(opt)?;
        let pad = padding(out.bytes.len(), &h, opt, size);
        out.add(lua, &mut a, &vec![0; pad])?;
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = a.check_number(arg)?;
                arg += 1;
                let mut value = if n < 0.0 {
                    c_to_i64(n) as u64
                } else {
                    c_to_u64(n)
                };
                let mut bytes = [0u8; MAX_INT_SIZE];
                for b in bytes[..size].iter_mut() {
                    *b = value as u8;
                    value >>= 8;
                }
                if !h.little {
                    bytes[..size].reverse();
                }
                out.add(lua, &mut a, &bytes[..size])?;
            }
            b'x' => out.add(lua, &mut a, &[0])?,
            b'f' => {
                let f = a.check_number(arg)? as f32;
                arg += 1;
                let bytes = if h.little {
                    f.to_le_bytes()
                } else {
                    f.to_be_bytes()
                };
                out.add(lua, &mut a, &bytes)?;
            }
            b'd' => {
                let d = a.check_number(arg)?;
                arg += 1;
                let bytes = if h.little {
                    d.to_le_bytes()
                } else {
                    d.to_be_bytes()
                };
                out.add(lua, &mut a, &bytes)?;
            }
            b'c' | b's' => {
                let s = a.check_string(arg)?;
                arg += 1;
                let s = s.as_bytes();
                let take = if size == 0 { s.len() } else { size };
                if s.len() < take {
                    return Err(Raise::Arg(arg as i32, b"string too short".to_vec()));
                }
                out.add(lua, &mut a, &s[..take])?;
                if opt == b's' {
                    out.add(lua, &mut a, &[0])?;
                }
            }
            _ => fmt.control(opt, &mut h)?,
        }
    }
    one(Value::String(lua.create_string(&out.bytes)?))
}

/// Size of C's `luaL_Buffer` (BUFSIZ on glibc).
const C_BUFFER_SIZE: usize = 8192;

/// The output of `pack`, with the pieces C's `luaL_Buffer` would have
/// pushed on the stack so far. The C function first pushes a nil after its
/// arguments, then the buffer pushes a string each time it fills (merging
/// them as `adjuststack` does); a format asking for more arguments than
/// were given reads those instead of "no value".
struct CBuffer {
    bytes: Vec<u8>,
    /// Lengths of the pieces on the stack, bottom first.
    pieces: Vec<usize>,
    /// Bytes in the C buffer, not yet pushed.
    pending: usize,
}

impl CBuffer {
    fn new(a: &mut Args) -> CBuffer {
        a.stack_mut().push(Value::Nil);
        CBuffer {
            bytes: Vec::new(),
            pieces: Vec::new(),
            pending: 0,
        }
    }

    /// Appends `data`, pushing pieces as the C buffer would.
    fn add(&mut self, lua: &Lua, a: &mut Args, data: &[u8]) -> mlua::Result<()> {
        let mut rest = data;
        let mut pushed = false;
        while !rest.is_empty() {
            if self.pending == C_BUFFER_SIZE {
                self.pieces.push(self.pending);
                self.pending = 0;
                self.merge_pieces();
                pushed = true;
            }
            let take = rest.len().min(C_BUFFER_SIZE - self.pending);
            self.bytes.extend_from_slice(&rest[..take]);
            self.pending += take;
            rest = &rest[take..];
        }
        if pushed {
            let stack = a.stack_mut();
            stack.truncate(1);
            let mut start = 0;
            for &len in &self.pieces {
                stack.push(Value::String(
                    lua.create_string(&self.bytes[start..start + len])?,
                ));
                start += len;
            }
        }
        Ok(())
    }

    /// `adjuststack`: concatenates the top pieces while there are too
    /// many or the top one is longer than the one below.
    fn merge_pieces(&mut self) {
        const LIMIT: usize = 10;
        let levels = self.pieces.len();
        if levels <= 1 {
            return;
        }
        let mut toget = 1;
        let mut toplen = self.pieces[levels - 1];
        while toget < levels {
            let l = self.pieces[levels - toget - 1];
            if levels - toget + 1 >= LIMIT || toplen > l {
                toplen += l;
                toget += 1;
            } else {
                break;
            }
        }
        self.pieces.truncate(levels - toget);
        self.pieces.push(toplen);
    }
}

/// The integer of `size` bytes at the start of `bytes`; bytes beyond the
/// eighth shift the earlier ones out, as in a 64-bit C accumulator.
fn read_integer(bytes: &[u8], little: bool, signed: bool, size: usize) -> f64 {
    let mut l: u64 = 0;
    let mut push = |b: u8| l = (l << 8) | u64::from(b);
    if little {
        bytes[..size].iter().rev().for_each(|&b| push(b));
    } else {
        bytes[..size].iter().for_each(|&b| push(b));
    }
    if !signed {
        return l as f64;
    }
    // The sign bit's mask; the shift count wraps modulo 64 as x86 does.
    let mask = u64::MAX.wrapping_shl((size as u32).wrapping_mul(8).wrapping_sub(1));
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

/// `struct.unpack(fmt, data [, pos])`: the values, then the position
/// after them.
fn unpack(lua: &Lua, a: Args) -> Outcome {
    let mut fmt = Format::new(&a)?;
    let data = a.check_string(2)?;
    let data = data.as_bytes();
    let ld = data.len();
    let mut pos = a.opt_integer(3, 1)? as usize;
    if pos == 0 {
        return Err(Raise::Arg(3, b"offset must be 1 or greater".to_vec()));
    }
    pos -= 1;
    let too_short = || Raise::Arg(2, b"data string too short".to_vec());
    let mut h = Header::new();
    // Built in a table: unpack can return thousands of values.
    let results = lua.create_table()?;
    let mut n: usize = 0;
    while let Some(opt) = fmt.next_opt() {
        let mut size = fmt.size(opt)?;
        pos = pos.wrapping_add(padding(pos, &h, opt, size));
        if size > ld || pos > ld - size {
            return Err(too_short());
        }
        if a.len() + n + 2 > MAX_C_STACK {
            return Err(error("stack overflow (too many results)"));
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let v = read_integer(&data[pos..], h.little, opt.is_ascii_lowercase(), size);
                n += 1;
                results.raw_set(n, v)?;
            }
            b'x' => {}
            b'f' => {
                let b: [u8; 4] = read_array(&data[pos..]);
                let f = if h.little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                n += 1;
                results.raw_set(n, f64::from(f))?;
            }
            b'd' => {
                let b: [u8; 8] = read_array(&data[pos..]);
                let d = if h.little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                n += 1;
                results.raw_set(n, d)?;
            }
            b'c' => {
                if size == 0 {
                    let prev = match n {
                        0 => None,
                        _ => lua.coerce_number(results.raw_get::<Value>(n)?)?,
                    };
                    let Some(prev) = prev else {
                        return Err(error("format 'c0' needs a previous size"));
                    };
                    size = c_to_u64(prev) as usize;
                    results.raw_set(n, Value::Nil)?;
                    n -= 1;
                    if size > ld || pos > ld - size {
                        return Err(too_short());
                    }
                }
                n += 1;
                results.raw_set(n, lua.create_string(&data[pos..pos + size])?)?;
            }
            b's' => {
                let rest = &data[pos..];
                let Some(end) = rest.iter().position(|&b| b == 0) else {
                    return Err(error("unfinished string in data"));
                };
                size = end + 1;
                n += 1;
                results.raw_set(n, lua.create_string(&rest[..end])?)?;
            }
            _ => fmt.control(opt, &mut h)?,
        }
        pos = pos.wrapping_add(size);
    }
    n += 1;
    results.raw_set(n, pos.wrapping_add(1) as i64)?;
    Ok(Ret::Spread(results, n))
}

/// The first `N` bytes of `bytes` (the caller checked the length).
fn read_array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[..N]);
    out
}

/// `struct.size(fmt)`: the bytes `pack` would produce for `fmt`.
fn size(_: &Lua, a: Args) -> Outcome {
    let mut fmt = Format::new(&a)?;
    let mut h = Header::new();
    let mut pos: usize = 0;
    while let Some(opt) = fmt.next_opt() {
        let size = fmt.size(opt)?;
        pos = pos.wrapping_add(padding(pos, &h, opt, size));
        if opt == b's' {
            return Err(Raise::Arg(1, b"option 's' has no fixed size".to_vec()));
        } else if opt == b'c' && size == 0 {
            return Err(Raise::Arg(1, b"option 'c0' has no fixed size".to_vec()));
        }
        if !opt.is_ascii_alphanumeric() {
            fmt.control(opt, &mut h)?;
        }
        pos = pos.wrapping_add(size);
    }
    one(Value::Integer(pos as i64))
}
