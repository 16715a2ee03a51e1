//! Parsing of RESP2/RESP3 replies, for the client side of the protocol:
//! replicas reading their master, tools and tests reading the server.
//!
//! Nesting is bounded by [`MAX_DEPTH`] so hostile input cannot exhaust the
//! stack.

/// Deepest aggregate nesting accepted.
pub const MAX_DEPTH: usize = 512;

/// One decoded RESP value.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// `+text`
    Simple(Vec<u8>),
    /// `-CODE message`
    Error(Vec<u8>),
    /// `:n`
    Integer(i64),
    /// `$n` bulk string
    Bulk(Vec<u8>),
    /// `$-1`, `*-1` or RESP3 `_`
    Null,
    /// `*n`
    Array(Vec<Frame>),
    /// RESP3 `%n`
    Map(Vec<(Frame, Frame)>),
    /// RESP3 `~n`
    Set(Vec<Frame>),
    /// RESP3 `>n`
    Push(Vec<Frame>),
    /// RESP3 `,d` (kept as text so it round-trips exactly)
    Double(Vec<u8>),
    /// RESP3 `#t` / `#f`
    Boolean(bool),
    /// RESP3 `=n` verbatim string (format and text)
    Verbatim(Vec<u8>),
    /// RESP3 `(digits`
    BigNumber(Vec<u8>),
}

/// Why a reply could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// An unknown type byte or a malformed header.
    Malformed,
    /// Aggregates nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// Decodes one reply from the start of `buf`. Returns the frame and the
/// number of bytes it took, or `Ok(None)` when `buf` holds only part of it.
pub fn parse(buf: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
    let mut pos = 0;
    match parse_at(buf, &mut pos, 0)? {
        Some(f) => Ok(Some((f, pos))),
        None => Ok(None),
    }
}

fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let start = *pos;
    let rel = buf[start..].windows(2).position(|w| w == b"\r\n")?;
    *pos = start + rel + 2;
    Some(&buf[start..start + rel])
}

fn int(text: &[u8]) -> Result<i64, FrameError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(FrameError::Malformed)
}

fn parse_at(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Option<Frame>, FrameError> {
    if depth > MAX_DEPTH {
        return Err(FrameError::TooDeep);
    }
    if *pos >= buf.len() {
        return Ok(None);
    }
    let kind = buf[*pos];
    *pos += 1;
    let Some(head) = line(buf, pos) else {
        return Ok(None);
    };
    let frame = match kind {
        b'+' => Frame::Simple(head.to_vec()),
        b'-' => Frame::Error(head.to_vec()),
        b':' => Frame::Integer(int(head)?),
        b',' => Frame::Double(head.to_vec()),
        b'(' => Frame::BigNumber(head.to_vec()),
        b'_' => Frame::Null,
        b'#' => match head {
            b"t" => Frame::Boolean(true),
            b"f" => Frame::Boolean(false),
            _ => return Err(FrameError::Malformed),
        },
        b'$' | b'=' => {
            let n = int(head)?;
            if n < 0 {
                return Ok(Some(Frame::Null));
            }
            let n = n as usize;
            if buf.len() - *pos < n + 2 {
                return Ok(None);
            }
            let data = buf[*pos..*pos + n].to_vec();
            *pos += n + 2;
            if kind == b'$' {
                Frame::Bulk(data)
            } else {
                Frame::Verbatim(data)
            }
        }
        b'*' | b'~' | b'>' | b'%' => {
            let n = int(head)?;
            if n < 0 {
                return Ok(Some(Frame::Null));
            }
            let count = if kind == b'%' {
                n as usize * 2
            } else {
                n as usize
            };
            // Never trust the count for allocation: each element needs >= 3 bytes.
            let mut items = Vec::with_capacity(count.min((buf.len() - *pos) / 3));
            for _ in 0..count {
                match parse_at(buf, pos, depth + 1)? {
                    Some(f) => items.push(f),
                    None => return Ok(None),
                }
            }
            match kind {
                b'*' => Frame::Array(items),
                b'~' => Frame::Set(items),
                b'>' => Frame::Push(items),
                _ => {
                    let mut pairs = Vec::with_capacity(items.len() / 2);
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs.push((k, v));
                    }
                    Frame::Map(pairs)
                }
            }
        }
        b'|' => {
            // An attribute: metadata pairs before the reply they describe.
            // Nothing consumes them yet, so they are skipped and the reply
            // itself is returned (Redis's scripts see it the same way).
            let pairs = usize::try_from(int(head)?).map_err(|_| FrameError::Malformed)?;
            for _ in 0..pairs.saturating_mul(2) {
                if parse_at(buf, pos, depth + 1)?.is_none() {
                    return Ok(None);
                }
            }
            return parse_at(buf, pos, depth + 1);
        }
        _ => return Err(FrameError::Malformed),
    };
    Ok(Some(frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_skipped() {
        let input = b"|1\r\n$3\r\nkey\r\n*1\r\n:9\r\n$4\r\nreal\r\n";
        let (f, n) = parse(input).unwrap().unwrap();
        assert_eq!((f, n), (Frame::Bulk(b"real".to_vec()), input.len()));
        assert_eq!(parse(&input[..12]).unwrap(), None);
        assert_eq!(parse(b"|-1\r\n"), Err(FrameError::Malformed));
    }

    #[test]
    fn nested_and_partial() {
        let input = b"*2\r\n$3\r\nfoo\r\n%1\r\n+a\r\n:1\r\n";
        let (f, n) = parse(input).unwrap().unwrap();
        assert_eq!(n, input.len());
        assert_eq!(
            f,
            Frame::Array(vec![
                Frame::Bulk(b"foo".to_vec()),
                Frame::Map(vec![(Frame::Simple(b"a".to_vec()), Frame::Integer(1))])
            ])
        );
        for end in 0..input.len() {
            assert_eq!(parse(&input[..end]).unwrap(), None);
        }
    }

    #[test]
    fn depth_is_bounded() {
        let input = b"*1\r\n".repeat(MAX_DEPTH + 2);
        assert_eq!(parse(&input), Err(FrameError::TooDeep));
    }
}
