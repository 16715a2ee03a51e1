//! Invariants of the protocol parsers, checked on arbitrary input.
//!
//! Shared by the cargo-fuzz targets in `fuzz/fuzz_targets/` and by the
//! seeded property test `crates/protocol/tests/fuzz_invariants.rs` (which
//! includes this file), so CI checks the same properties without nightly.
//! Every check panics on a violation; that is how both harnesses report it.

use lodestone_protocol::frame::{self, Frame};
use lodestone_protocol::{Limits, ParseStatus, ProtocolError, RequestParser};

/// Commands parsed from one input, with the absolute offset just past each
/// one and the status the parser ended in.
#[derive(Debug)]
struct Parsed {
    commands: Vec<Vec<Vec<u8>>>,
    ends: Vec<usize>,
    status: ParseStatus,
}

/// A deterministic xorshift64 generator: chunk sizes must be reproducible
/// from the fuzz input alone.
pub struct XorShift(u64);

impl XorShift {
    /// A generator seeded with `seed` (zero is remapped: xorshift needs a
    /// non-zero state).
    pub fn new(seed: u64) -> Self {
        XorShift(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// How a request-parser input is fed: the first byte chooses the chunking
/// (0 = byte by byte, else random chunks up to `4*c*c` bytes) and whether the
/// client is unauthenticated (bit 7); the second byte chooses
/// `proto-max-bulk-len` (0 = Redis's 512 MB default, else a tiny limit so the
/// refusal path is reached). The rest is the byte stream.
struct Feed<'a> {
    limits: Limits,
    max_chunk: usize,
    seed: u64,
    input: &'a [u8],
}

fn feed(data: &[u8]) -> Feed<'_> {
    let (head, input) = if data.len() >= 2 {
        (&data[..2], &data[2..])
    } else {
        (&[0u8, 0][..], data)
    };
    let c = (head[0] & 0x7f) as usize;
    let mut limits = Limits {
        auth_required: head[0] & 0x80 != 0,
        ..Limits::default()
    };
    if head[1] != 0 {
        limits.proto_max_bulk_len = head[1] as i64 * 3;
    }
    Feed {
        limits,
        max_chunk: (4 * c * c).max(1),
        seed: u64::from(head[0]) << 8 | u64::from(head[1]) | (input.len() as u64) << 16,
        input,
    }
}

fn collect_args(p: &RequestParser, buf: &[u8]) -> Vec<Vec<u8>> {
    let mut args: Vec<&[u8]> = Vec::new();
    p.args(buf, &mut args);
    assert_eq!(args.len(), p.argc(), "args() and argc() disagree");
    args.into_iter().map(<[u8]>::to_vec).collect()
}

/// Parses `input` given all at once.
fn parse_whole(input: &[u8], limits: &Limits) -> Parsed {
    let mut p = RequestParser::new();
    let mut out = Parsed {
        commands: Vec::new(),
        ends: Vec::new(),
        status: ParseStatus::Incomplete,
    };
    loop {
        match p.parse(input, limits) {
            ParseStatus::Complete => {
                assert!(p.pos() <= input.len(), "parser moved past the buffer");
                out.commands.push(collect_args(&p, input));
                out.ends.push(p.pos());
            }
            status => {
                out.status = status;
                return out;
            }
        }
    }
}

/// Parses `input` arriving in chunks, dropping consumed bytes between
/// chunks the way the server's read loop does.
fn parse_pieces(input: &[u8], limits: &Limits, rng: &mut XorShift, max_chunk: usize) -> Parsed {
    let mut p = RequestParser::new();
    let mut out = Parsed {
        commands: Vec::new(),
        ends: Vec::new(),
        status: ParseStatus::Incomplete,
    };
    let mut buf: Vec<u8> = Vec::new();
    let (mut fed, mut dropped) = (0, 0);
    while fed < input.len() {
        let n = (1 + rng.below(max_chunk)).min(input.len() - fed);
        buf.extend_from_slice(&input[fed..fed + n]);
        fed += n;
        loop {
            match p.parse(&buf, limits) {
                ParseStatus::Complete => {
                    assert!(p.pos() <= buf.len(), "parser moved past the buffer");
                    out.commands.push(collect_args(&p, &buf));
                    out.ends.push(dropped + p.pos());
                }
                ParseStatus::Incomplete => break,
                status => {
                    out.status = status;
                    return out;
                }
            }
        }
        let done = p.consumable();
        assert!(done <= p.pos(), "consumable beyond the parse position");
        buf.drain(..done);
        p.consume(done);
        dropped += done;
    }
    out
}

/// Errors that depend on how much arrived before a line ended: Redis (and
/// Lodestone) refuse a line once 64 KB are buffered without its end.
fn is_length_limit(status: ParseStatus) -> bool {
    matches!(
        status,
        ParseStatus::Error(
            ProtocolError::TooBigInline
                | ProtocolError::TooBigMbulkCount
                | ProtocolError::TooBigBulkCount
        )
    )
}

/// The request parser never panics, gives the same commands whether the
/// input arrives at once or in pieces, and never yields a command whose
/// arguments need more bytes than the command took on the wire.
pub fn request_parser(data: &[u8]) {
    let f = feed(data);
    let whole = parse_whole(f.input, &f.limits);
    let mut rng = XorShift::new(f.seed);
    let pieces = parse_pieces(f.input, &f.limits, &mut rng, f.max_chunk);
    if whole.status == pieces.status {
        assert_eq!(
            whole.commands, pieces.commands,
            "chunking changed the commands"
        );
        assert_eq!(
            whole.ends, pieces.ends,
            "chunking changed command boundaries"
        );
    } else {
        // Only the 64 KB line limit may trip earlier when a long line
        // arrives in pieces; what came before it must agree.
        assert!(
            is_length_limit(pieces.status),
            "chunking changed the outcome: whole {:?}, pieces {:?}",
            whole.status,
            pieces.status
        );
        let n = pieces.commands.len();
        assert!(n <= whole.commands.len(), "pieces produced extra commands");
        assert_eq!(
            whole.commands[..n],
            pieces.commands[..],
            "chunking changed the commands"
        );
    }
    let mut start = 0;
    for (cmd, &end) in whole.commands.iter().zip(&whole.ends) {
        assert!(!cmd.is_empty(), "an empty command was returned");
        // Every argument takes at least its bytes plus one delimiter.
        let need: usize = cmd.iter().map(|a| a.len() + 1).sum();
        assert!(
            need <= end - start,
            "{} arguments ({need} bytes) from a {}-byte request",
            cmd.len(),
            end - start
        );
        start = end;
    }
}

/// Encodes a frame as RESP3 (nulls as `_`), for the round-trip check.
pub fn encode_frame(f: &Frame, out: &mut Vec<u8>) {
    let aggregate = |out: &mut Vec<u8>, kind: u8, items: &[Frame]| {
        out.push(kind);
        out.extend_from_slice(format!("{}\r\n", items.len()).as_bytes());
        for item in items {
            encode_frame(item, out);
        }
    };
    let line = |out: &mut Vec<u8>, kind: u8, text: &[u8]| {
        out.push(kind);
        out.extend_from_slice(text);
        out.extend_from_slice(b"\r\n");
    };
    let blob = |out: &mut Vec<u8>, kind: u8, data: &[u8]| {
        out.push(kind);
        out.extend_from_slice(format!("{}\r\n", data.len()).as_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    };
    match f {
        Frame::Simple(t) => line(out, b'+', t),
        Frame::Error(t) => line(out, b'-', t),
        Frame::Integer(n) => line(out, b':', n.to_string().as_bytes()),
        Frame::Bulk(d) => blob(out, b'$', d),
        Frame::Verbatim(d) => blob(out, b'=', d),
        Frame::Null => out.extend_from_slice(b"_\r\n"),
        Frame::Array(items) => aggregate(out, b'*', items),
        Frame::Set(items) => aggregate(out, b'~', items),
        Frame::Push(items) => aggregate(out, b'>', items),
        Frame::Map(pairs) => {
            out.extend_from_slice(format!("%{}\r\n", pairs.len()).as_bytes());
            for (k, v) in pairs {
                encode_frame(k, out);
                encode_frame(v, out);
            }
        }
        Frame::Double(t) => line(out, b',', t),
        Frame::BigNumber(t) => line(out, b'(', t),
        Frame::Boolean(b) => line(out, b'#', if *b { b"t" } else { b"f" }),
    }
}

/// `frame::parse` never panics or recurses without bound; a decoded frame
/// is found again in exactly its own bytes, every shorter prefix is merely
/// incomplete, and re-encoding it parses back to the same frame.
pub fn frame_parse(data: &[u8]) {
    let Ok(Some((f, n))) = frame::parse(data) else {
        return;
    };
    assert!(
        n > 0 && n <= data.len(),
        "frame length {n} outside the input"
    );
    assert_eq!(frame::parse(&data[..n]), Ok(Some((f.clone(), n))));
    // All prefixes of short frames, a sample of the long ones.
    let step = (n / 64).max(1);
    for k in (0..n).step_by(step).chain([n - 1]) {
        assert_eq!(frame::parse(&data[..k]), Ok(None), "prefix of {k} bytes");
    }
    let mut enc = Vec::new();
    encode_frame(&f, &mut enc);
    assert_eq!(frame::parse(&enc), Ok(Some((f, enc.len()))), "round trip");
}
