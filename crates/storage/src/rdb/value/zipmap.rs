//! Zipmaps, the hash encoding of Redis 2.4 and earlier, which Redis 7.2
//! still loads: validated in full and read into field/value pairs.
//!
//! Layout: a count byte (254 or more meaning "count them"), then per pair
//! the field length, the field, the value length, a "free" byte, the value
//! and that many unused bytes, and finally the terminator 0xFF. A length
//! is one byte below 254, else 254 and a u32 LE.

/// The terminator.
const END: u8 = 0xFF;
/// First length byte of the 5-byte length form.
const BIG_LEN: u8 = 254;

/// The (field, value) pairs of a zipmap, or `None` when it is malformed
/// (a length past the end, trailing bytes, a count that disagrees), as
/// Redis's `zipmapValidateIntegrity` checks.
pub(super) fn pairs(zm: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let (&count, rest) = zm.split_first()?;
    let mut pos = 0usize;
    let mut out = Vec::new();
    loop {
        if *rest.get(pos)? == END {
            pos += 1;
            break;
        }
        let (flen, n) = length(rest, pos)?;
        pos += n;
        let field = rest.get(pos..pos.checked_add(flen)?)?;
        pos += flen;
        let (vlen, n) = length(rest, pos)?;
        pos += n;
        let free = *rest.get(pos)? as usize;
        pos += 1;
        let value = rest.get(pos..pos.checked_add(vlen)?)?;
        pos = pos.checked_add(vlen)?.checked_add(free)?;
        out.push((field, value));
    }
    if pos != rest.len() || (count < BIG_LEN && count as usize != out.len()) {
        return None;
    }
    Some(out)
}

/// A length at `pos` and the bytes it took.
fn length(b: &[u8], pos: usize) -> Option<(usize, usize)> {
    match *b.get(pos)? {
        BIG_LEN => {
            let x = b.get(pos + 1..pos + 5)?;
            Some((u32::from_le_bytes([x[0], x[1], x[2], x[3]]) as usize, 5))
        }
        END => None,
        n => Some((n as usize, 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_validates() {
        // {"a": "xy", "bc": ""} with one free byte after "xy".
        let zm = b"\x02\x01a\x02\x01xy?\x02bc\x00\x00\xff";
        assert_eq!(
            pairs(zm).unwrap(),
            vec![(&b"a"[..], &b"xy"[..]), (&b"bc"[..], &b""[..])]
        );
        assert!(pairs(b"\x00\xff").unwrap().is_empty());
        assert!(pairs(b"\xfe\x01a\x00\x00\xff").is_some(), "uncounted");
        assert!(pairs(b"\x02\x01a\x00\x00\xff").is_none(), "count");
        assert!(pairs(b"\x01\x01a\x00\x00\xff\x00").is_none(), "trailing");
        assert!(pairs(b"\x01\x05a\x00\x00\xff").is_none(), "overrun");
        assert!(pairs(b"\x01\x01a\x00\x09\xff").is_none(), "free overrun");
        assert!(pairs(b"").is_none());
    }
}
