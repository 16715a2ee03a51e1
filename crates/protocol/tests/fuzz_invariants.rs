//! Seeded property tests over random and mutated inputs: the same
//! invariants the cargo-fuzz targets check (see `fuzz/`), run on stable so
//! CI exercises them on every build. cargo-fuzz explores far more inputs;
//! this keeps a fixed, reproducible sample in the regular test suite.

#[path = "../../../fuzz/src/checks.rs"]
mod checks;

use checks::XorShift;
use lodestone_protocol::frame::Frame;

/// Inputs per property; each takes microseconds.
const CASES: usize = 100_000;
/// Bytes that matter to the parsers, to bias random input towards them.
const INTERESTING: &[u8] = b"*$%~>+-:,(#_=\r\n\r\n0123456789-\"' \\\t\0xaftk";

fn random_bytes(rng: &mut XorShift, max: usize, out: &mut Vec<u8>) {
    for _ in 0..rng.below(max + 1) {
        out.push(if rng.below(4) == 0 {
            rng.next_u64() as u8
        } else {
            INTERESTING[rng.below(INTERESTING.len())]
        });
    }
}

/// A random small argument, sometimes containing CR/LF or quotes.
fn random_arg(rng: &mut XorShift) -> Vec<u8> {
    let mut a = Vec::new();
    random_bytes(rng, 10, &mut a);
    a
}

/// One request-stream fragment: a valid multibulk command, an inline
/// line, an empty request, a malformed header or noise.
fn request_fragment(rng: &mut XorShift, out: &mut Vec<u8>) {
    match rng.below(10) {
        0..=2 => {
            let args: Vec<Vec<u8>> = (0..1 + rng.below(4)).map(|_| random_arg(rng)).collect();
            out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
            for a in args {
                out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                out.extend_from_slice(&a);
                out.extend_from_slice(b"\r\n");
            }
        }
        3..=5 => {
            const WORDS: &[&[u8]] = &[
                b"SET",
                b"get",
                b"k",
                b"\"a b\"",
                b"'c\\'d'",
                b"\"\\x41\\n\"",
                b"\"\\x4\"",
                b"\"\"",
                b"''",
                b"\\",
                b"\t",
                b"  ",
            ];
            // Unbalanced quoting ends the stream with an error: kept rare so
            // most inputs go on past their inline lines.
            const UNBALANCED: &[&[u8]] = &[b"\"unbalanced", b"'x'y", b"\"a\"b"];
            for _ in 0..1 + rng.below(4) {
                let word = if rng.below(20) == 0 {
                    UNBALANCED[rng.below(UNBALANCED.len())]
                } else {
                    WORDS[rng.below(WORDS.len())]
                };
                out.extend_from_slice(word);
                out.push(b' ');
            }
            out.extend_from_slice(if rng.below(2) == 0 { b"\r\n" } else { b"\n" });
        }
        6 => {
            const EMPTY: &[&[u8]] = &[
                b"*0\r\n", b"*-1\r\n", b"\r\n", b"\n", b"   \r\n", b"*-5\r\n",
            ];
            out.extend_from_slice(EMPTY[rng.below(EMPTY.len())]);
        }
        7 => {
            const BAD: &[&[u8]] = &[
                b"*abc\r\n",
                b"*1\r\n$-3\r\n",
                b"*1\r\n:5\r\n",
                b"*2\r\n$3\r\nfoo\r\n$99999999999\r\n",
                b"*3000000000\r\n",
                b"*1\r\n$536870912\r\nabc",
                b"*1\r\n$+3\r\nabc\r\n",
                b"*12\r\n",
                b"*1\r\n$16385\r\n",
                b"*1\r\n$ 3\r\n",
            ];
            out.extend_from_slice(BAD[rng.below(BAD.len())]);
        }
        _ => random_bytes(rng, 16, out),
    }
}

/// Flips, deletes, inserts or duplicates a few bytes.
fn mutate(rng: &mut XorShift, buf: &mut Vec<u8>) {
    for _ in 0..rng.below(4) {
        if buf.is_empty() {
            return;
        }
        let i = rng.below(buf.len());
        match rng.below(4) {
            0 => buf[i] = INTERESTING[rng.below(INTERESTING.len())],
            1 => {
                buf.remove(i);
            }
            2 => buf.insert(i, INTERESTING[rng.below(INTERESTING.len())]),
            _ => {
                let end = (i + 1 + rng.below(16)).min(buf.len());
                let copy = buf[i..end].to_vec();
                buf.splice(i..i, copy);
            }
        }
    }
}

/// The two header bytes `checks::request_parser` reads: chunking and
/// authentication, then the bulk length limit.
fn feed_header(rng: &mut XorShift, long_line: bool) -> [u8; 2] {
    let chunking = if long_line {
        0x7f
    } else if rng.below(4) == 0 {
        0
    } else {
        1 + rng.below(127) as u8
    };
    let unauth = if rng.below(8) == 0 { 0x80 } else { 0 };
    let limit = if rng.below(4) == 0 {
        1 + rng.below(255) as u8
    } else {
        0
    };
    [chunking | unauth, limit]
}

#[test]
fn request_parser_invariants_hold_on_random_input() {
    let mut rng = XorShift::new(0x5eed_0001);
    for case in 0..CASES {
        // A rare case crosses the 64 KB line limit; it is fed in big chunks
        // so the test stays fast.
        let long_line = case % 2000 == 1999;
        let mut input = feed_header(&mut rng, long_line).to_vec();
        for _ in 0..1 + rng.below(8) {
            request_fragment(&mut rng, &mut input);
        }
        if long_line {
            // An inline line, a `*` count and a `$` length, each too long.
            const LONG: &[(&[u8], u8)] = &[(b"", b'a'), (b"*", b'1'), (b"*1\r\n$", b'1')];
            let (prefix, fill) = LONG[rng.below(LONG.len())];
            input.extend_from_slice(prefix);
            input.resize(input.len() + 70_000, fill);
        }
        mutate(&mut rng, &mut input);
        checks::request_parser(&input);
    }
}

/// A random reply frame, nested up to `depth` levels.
fn random_frame(rng: &mut XorShift, depth: usize) -> Frame {
    let items = |rng: &mut XorShift| -> Vec<Frame> {
        (0..rng.below(4))
            .map(|_| random_frame(rng, depth - 1))
            .collect()
    };
    let text = |rng: &mut XorShift| -> Vec<u8> {
        let mut t = random_arg(rng);
        t.retain(|&b| b != b'\r' && b != b'\n');
        t
    };
    match rng.below(if depth == 0 { 9 } else { 13 }) {
        0 => Frame::Simple(text(rng)),
        1 => Frame::Error(text(rng)),
        2 => Frame::Integer(rng.next_u64() as i64 >> rng.below(64)),
        3 => Frame::Bulk(random_arg(rng)),
        4 => Frame::Verbatim(random_arg(rng)),
        5 => Frame::Null,
        6 => Frame::Double(text(rng)),
        7 => Frame::BigNumber(text(rng)),
        8 => Frame::Boolean(rng.below(2) == 0),
        9 => Frame::Array(items(rng)),
        10 => Frame::Set(items(rng)),
        11 => Frame::Push(items(rng)),
        _ => {
            let keys = items(rng);
            Frame::Map(
                keys.into_iter()
                    .map(|k| (k, random_frame(rng, depth - 1)))
                    .collect(),
            )
        }
    }
}

#[test]
fn frame_parser_invariants_hold_on_random_input() {
    let mut rng = XorShift::new(0x5eed_0002);
    for case in 0..CASES {
        let mut input = Vec::new();
        if case % 3 == 0 {
            random_bytes(&mut rng, 40, &mut input);
        } else {
            checks::encode_frame(&random_frame(&mut rng, 3), &mut input);
            // RESP2 nulls decode as Null too.
            if rng.below(8) == 0 {
                input.extend_from_slice(if rng.below(2) == 0 {
                    b"$-1\r\n"
                } else {
                    b"*-1\r\n"
                });
            }
            mutate(&mut rng, &mut input);
        }
        checks::frame_parse(&input);
    }
    // Deep nesting is refused, not recursed into without bound.
    let deep = b"*1\r\n".repeat(100_000);
    checks::frame_parse(&deep);
}
