//! Incremental parser for client requests: RESP multibulk (`*2\r\n$3\r\nGET\r\n...`)
//! and inline commands (`GET key\r\n`, so `telnet` and `nc` work).
//!
//! The parser keeps its position between calls, so a request that arrives in
//! many reads is scanned once, not re-parsed from the start each time. It never
//! allocates the length a client claims: a `$536870912` header only records the
//! number; the caller's buffer grows as bytes really arrive.

use std::fmt;
use std::ops::Range;

/// Longest inline request, and longest `*`/`$` header line, Redis accepts (64 KB).
pub const INLINE_MAX_SIZE: usize = 64 * 1024;
/// Most arguments an unauthenticated client may send in one request.
const UNAUTH_MAX_ARGS: i64 = 10;
/// Largest bulk an unauthenticated client may send.
const UNAUTH_MAX_BULK: i64 = 16 * 1024;

/// Limits applied while parsing; they come from configuration and client state.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`: the largest single argument accepted.
    pub proto_max_bulk_len: i64,
    /// True while the client must still authenticate: requests are then capped
    /// tightly so an anonymous peer cannot make the server buffer much.
    pub auth_required: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            proto_max_bulk_len: 512 * 1024 * 1024,
            auth_required: false,
        }
    }
}

/// A malformed request. Redis answers each with `-ERR Protocol error: ...` and
/// closes the connection once the reply is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    /// An inline request line longer than [`INLINE_MAX_SIZE`].
    TooBigInline,
    /// Inline request with an unterminated or badly closed quote.
    UnbalancedQuotes,
    /// A `*` header line longer than [`INLINE_MAX_SIZE`].
    TooBigMbulkCount,
    /// A `*` count that is not an integer or exceeds `i32::MAX`.
    InvalidMultibulkLength,
    /// More than 10 arguments from an unauthenticated client.
    UnauthenticatedMultibulkLength,
    /// A `$` header line longer than [`INLINE_MAX_SIZE`].
    TooBigBulkCount,
    /// Something other than `$` where a bulk header must start.
    ExpectedDollar(u8),
    /// A `$` length that is negative, not an integer or above `proto-max-bulk-len`.
    InvalidBulkLength,
    /// A bulk over 16 KB from an unauthenticated client.
    UnauthenticatedBulkLength,
}

impl ProtocolError {
    /// The short reason Redis writes to its log for this error.
    pub fn log_reason(&self) -> &'static str {
        match self {
            ProtocolError::TooBigInline => "too big inline request",
            ProtocolError::UnbalancedQuotes => "unbalanced quotes in inline request",
            ProtocolError::TooBigMbulkCount => "too big mbulk count string",
            ProtocolError::InvalidMultibulkLength => "invalid mbulk count",
            ProtocolError::UnauthenticatedMultibulkLength => "unauth mbulk count",
            ProtocolError::TooBigBulkCount => "too big bulk count string",
            ProtocolError::ExpectedDollar(_) => "expected $ but got something else",
            ProtocolError::InvalidBulkLength => "invalid bulk length",
            ProtocolError::UnauthenticatedBulkLength => "unauth bulk length",
        }
    }
}

impl fmt::Display for ProtocolError {
    /// The exact error text Redis replies with, without the `ERR ` prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Protocol error: ")?;
        match self {
            ProtocolError::TooBigInline => f.write_str("too big inline request"),
            ProtocolError::UnbalancedQuotes => f.write_str("unbalanced quotes in request"),
            ProtocolError::TooBigMbulkCount => f.write_str("too big mbulk count string"),
            ProtocolError::InvalidMultibulkLength => f.write_str("invalid multibulk length"),
            ProtocolError::UnauthenticatedMultibulkLength => {
                f.write_str("unauthenticated multibulk length")
            }
            ProtocolError::TooBigBulkCount => f.write_str("too big bulk count string"),
            ProtocolError::ExpectedDollar(c) => write!(f, "expected '$', got '{}'", *c as char),
            ProtocolError::InvalidBulkLength => f.write_str("invalid bulk length"),
            ProtocolError::UnauthenticatedBulkLength => f.write_str("unauthenticated bulk length"),
        }
    }
}

/// Outcome of one [`RequestParser::parse`] call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseStatus {
    /// A whole command is ready; read it with [`RequestParser::args`].
    Complete,
    /// More bytes are needed.
    Incomplete,
    /// The input is malformed; the connection must be answered and closed.
    Error(ProtocolError),
}

#[derive(Clone, Copy, Debug)]
enum State {
    /// Between requests.
    Idle,
    /// Inside a multibulk request with `remaining` bulks to go; `bulk_len` is
    /// the length of the bulk whose header was already read.
    Multibulk {
        remaining: usize,
        bulk_len: Option<usize>,
    },
}

/// Where the arguments of the last complete command are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    Multibulk,
    Inline,
}

/// Argument slots a parser keeps between requests; a table grown past
/// this by a request with more arguments is freed before the next one.
const RANGES_KEEP_MAX: usize = 1024;

/// Stateful request parser for one connection.
///
/// Positions are offsets into the caller's buffer. After the caller removes a
/// prefix of the buffer it calls [`RequestParser::consume`] so the parser's
/// offsets follow.
#[derive(Debug)]
pub struct RequestParser {
    state: State,
    pos: usize,
    /// Where the last command began, for [`RequestParser::rewind_last`].
    cmd_start: usize,
    ranges: Vec<Range<usize>>,
    inline_args: Vec<Vec<u8>>,
    form: Form,
}

impl Default for RequestParser {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestParser {
    /// A parser positioned at the start of an empty buffer.
    pub fn new() -> Self {
        RequestParser {
            state: State::Idle,
            pos: 0,
            cmd_start: 0,
            ranges: Vec::new(),
            inline_args: Vec::new(),
            form: Form::Multibulk,
        }
    }

    /// Offset of the first byte not yet consumed by a complete command or a
    /// header; everything before it may be dropped once the command ran.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// True when no request is partially parsed.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle)
    }

    /// Bytes still missing for the bulk being read, so the caller can size
    /// its next read; zero when unknown.
    pub fn bulk_bytes_missing(&self, buf_len: usize) -> usize {
        match self.state {
            State::Multibulk {
                bulk_len: Some(len),
                ..
            } => (self.pos + len + 2).saturating_sub(buf_len),
            _ => 0,
        }
    }

    /// How many bytes at the front of the buffer the caller may drop: all
    /// parsed ones when between requests, else those before the request
    /// being assembled (its arguments still point into the buffer).
    pub fn consumable(&self) -> usize {
        match self.state {
            State::Idle => self.pos,
            State::Multibulk { .. } => self.cmd_start,
        }
    }

    /// Tells the parser that the caller removed `n` bytes from the front of
    /// its buffer. `n` must not exceed [`RequestParser::consumable`].
    pub fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.consumable());
        self.pos -= n;
        self.cmd_start = self.cmd_start.saturating_sub(n);
        if matches!(self.state, State::Multibulk { .. }) {
            for r in &mut self.ranges {
                *r = r.start - n..r.end - n;
            }
        }
    }

    /// Moves back to the start of the last complete command so the next
    /// [`RequestParser::parse`] returns it again (a command postponed by
    /// CLIENT PAUSE stays in the buffer).
    pub fn rewind_last(&mut self) {
        self.state = State::Idle;
        self.pos = self.cmd_start;
    }

    /// Forgets any partial request, e.g. when the buffer is discarded.
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.cmd_start = 0;
        self.pos = 0;
        self.ranges.clear();
        self.inline_args.clear();
    }

    /// Number of arguments of the last complete command.
    pub fn argc(&self) -> usize {
        match self.form {
            Form::Multibulk => self.ranges.len(),
            Form::Inline => self.inline_args.len(),
        }
    }

    /// Argument `i` of the last complete command; `buf` must be the buffer
    /// that was parsed.
    pub fn arg<'a>(&'a self, buf: &'a [u8], i: usize) -> &'a [u8] {
        match self.form {
            Form::Multibulk => &buf[self.ranges[i].clone()],
            Form::Inline => &self.inline_args[i],
        }
    }

    /// Frees the argument table if a request with many arguments grew it
    /// past what is kept between requests: an idle connection must not
    /// hold megabytes for a command that already ran (Redis frees a big
    /// argv array the same way). Call it once the command's arguments are
    /// no longer needed.
    pub fn release_argument_table(&mut self) {
        if self.ranges.capacity() > RANGES_KEEP_MAX {
            self.ranges = Vec::new();
        }
    }

    /// Appends the arguments of the last complete command to `out`.
    pub fn args<'a>(&'a self, buf: &'a [u8], out: &mut impl Extend<&'a [u8]>) {
        match self.form {
            Form::Multibulk => out.extend(self.ranges.iter().map(|r| &buf[r.clone()])),
            Form::Inline => out.extend(self.inline_args.iter().map(|a| a.as_slice())),
        }
    }

    /// Parses the next command in `buf`, starting where the last call stopped.
    /// Empty requests (`*0`, blank inline lines) are skipped as Redis does.
    pub fn parse(&mut self, buf: &[u8], limits: &Limits) -> ParseStatus {
        loop {
            if let State::Idle = self.state {
                if self.pos >= buf.len() {
                    return ParseStatus::Incomplete;
                }
                self.cmd_start = self.pos;
                if buf[self.pos] != b'*' {
                    match self.parse_inline(buf) {
                        Step::Done => return ParseStatus::Complete,
                        Step::Empty => continue,
                        Step::More => return ParseStatus::Incomplete,
                        Step::Fail(e) => return ParseStatus::Error(e),
                    }
                }
                match self.parse_multibulk_header(buf, limits) {
                    Step::Done => {}
                    Step::Empty => continue,
                    Step::More => return ParseStatus::Incomplete,
                    Step::Fail(e) => return ParseStatus::Error(e),
                }
            }
            return match self.parse_bulks(buf, limits) {
                Step::Done => ParseStatus::Complete,
                Step::More => ParseStatus::Incomplete,
                Step::Fail(e) => ParseStatus::Error(e),
                Step::Empty => unreachable!("bulks never form an empty request"),
            };
        }
    }

    fn parse_inline(&mut self, buf: &[u8]) -> Step {
        let rest = &buf[self.pos..];
        let Some(nl) = c_strchr(b'\n', rest) else {
            return if rest.len() > INLINE_MAX_SIZE {
                Step::Fail(ProtocolError::TooBigInline)
            } else {
                Step::More
            };
        };
        let mut line = &rest[..nl];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        let Some(args) = split_args(line) else {
            return Step::Fail(ProtocolError::UnbalancedQuotes);
        };
        self.pos += nl + 1;
        if args.is_empty() {
            return Step::Empty;
        }
        self.inline_args = args;
        self.form = Form::Inline;
        Step::Done
    }

    fn parse_multibulk_header(&mut self, buf: &[u8], limits: &Limits) -> Step {
        let count = match header_line(buf, self.pos) {
            Header::Missing if buf.len() - self.pos > INLINE_MAX_SIZE => {
                return Step::Fail(ProtocolError::TooBigMbulkCount)
            }
            Header::Missing => return Step::More,
            Header::Line(cr) => {
                let count = match crate::num::parse_i64(&buf[self.pos + 1..cr]) {
                    Some(n) if n <= i32::MAX as i64 => n,
                    _ => return Step::Fail(ProtocolError::InvalidMultibulkLength),
                };
                if count > UNAUTH_MAX_ARGS && limits.auth_required {
                    return Step::Fail(ProtocolError::UnauthenticatedMultibulkLength);
                }
                self.pos = cr + 2;
                count
            }
        };
        if count <= 0 {
            return Step::Empty;
        }
        self.release_argument_table();
        self.ranges.clear();
        self.ranges.reserve((count as usize).min(RANGES_KEEP_MAX));
        self.form = Form::Multibulk;
        self.state = State::Multibulk {
            remaining: count as usize,
            bulk_len: None,
        };
        Step::Done
    }

    fn parse_bulks(&mut self, buf: &[u8], limits: &Limits) -> Step {
        while let State::Multibulk {
            remaining,
            bulk_len,
        } = self.state
        {
            let len = match bulk_len {
                Some(len) => len,
                None => match header_line(buf, self.pos) {
                    Header::Missing if buf.len() - self.pos > INLINE_MAX_SIZE => {
                        return Step::Fail(ProtocolError::TooBigBulkCount)
                    }
                    Header::Missing => return Step::More,
                    Header::Line(cr) => {
                        if buf[self.pos] != b'$' {
                            return Step::Fail(ProtocolError::ExpectedDollar(buf[self.pos]));
                        }
                        let len = match crate::num::parse_i64(&buf[self.pos + 1..cr]) {
                            Some(n) if n >= 0 && n <= limits.proto_max_bulk_len => n,
                            _ => return Step::Fail(ProtocolError::InvalidBulkLength),
                        };
                        if len > UNAUTH_MAX_BULK && limits.auth_required {
                            return Step::Fail(ProtocolError::UnauthenticatedBulkLength);
                        }
                        self.pos = cr + 2;
                        self.state = State::Multibulk {
                            remaining,
                            bulk_len: Some(len as usize),
                        };
                        len as usize
                    }
                },
            };
            // The two bytes after the bulk are skipped unchecked, as Redis does.
            if buf.len() - self.pos < len + 2 {
                return Step::More;
            }
            self.ranges.push(self.pos..self.pos + len);
            self.pos += len + 2;
            self.state = if remaining == 1 {
                State::Idle
            } else {
                State::Multibulk {
                    remaining: remaining - 1,
                    bulk_len: None,
                }
            };
        }
        Step::Done
    }
}

enum Step {
    Done,
    Empty,
    More,
    Fail(ProtocolError),
}

enum Header {
    /// No complete `...\r\n` line yet.
    Missing,
    /// The line ends with the `\r` at this offset.
    Line(usize),
}

/// Finds the header line starting at `start`: Redis looks for `\r` and needs
/// one more byte after it before it trusts the line.
fn header_line(buf: &[u8], start: usize) -> Header {
    match c_strchr(b'\r', &buf[start..]) {
        Some(i) if start + i + 2 <= buf.len() => Header::Line(start + i),
        _ => Header::Missing,
    }
}

/// Finds `needle` the way C's `strchr` does on Redis's query buffer: the
/// search stops at a NUL byte, so a line with a NUL before its end counts as
/// unfinished, exactly as in Redis.
fn c_strchr(needle: u8, hay: &[u8]) -> Option<usize> {
    let i = hay.iter().position(|&b| b == needle || b == 0)?;
    (hay[i] == needle).then_some(i)
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits an inline request line into arguments the way redis-cli and Redis
/// do: whitespace separates, `"..."` takes `\n \r \t \b \a \xHH` escapes,
/// `'...'` takes `\'`, and a closing quote must be followed by a space or the
/// end of the line. Returns `None` for unbalanced quotes. A NUL byte ends the
/// line, as it does for Redis's C-string based splitter.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let end = memchr(0, line).unwrap_or(line.len());
    let line = &line[..end];
    let at = |i: usize| line.get(i).copied();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && is_c_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Some(args);
        }
        let mut current = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = at(i);
            if in_double {
                match c {
                    None => return None,
                    Some(b'\\') if at(i + 1) == Some(b'x') => {
                        match (at(i + 2).and_then(hex_value), at(i + 3).and_then(hex_value)) {
                            (Some(h), Some(l)) => {
                                current.push(h * 16 + l);
                                i += 4;
                            }
                            _ => {
                                current.push(b'x');
                                i += 2;
                            }
                        }
                    }
                    Some(b'\\') if at(i + 1).is_some() => {
                        let e = at(i + 1).unwrap_or_default();
                        current.push(match e {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 0x08,
                            b'a' => 0x07,
                            other => other,
                        });
                        i += 2;
                    }
                    Some(b'"') => {
                        if at(i + 1).is_some_and(|n| !is_c_space(n)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        current.push(other);
                        i += 1;
                    }
                }
            } else if in_single {
                match c {
                    None => return None,
                    Some(b'\\') if at(i + 1) == Some(b'\'') => {
                        current.push(b'\'');
                        i += 2;
                    }
                    Some(b'\'') => {
                        if at(i + 1).is_some_and(|n| !is_c_space(n)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        current.push(other);
                        i += 1;
                    }
                }
            } else {
                match c {
                    None | Some(b' ' | b'\n' | b'\r' | b'\t') => break,
                    Some(b'"') => {
                        in_double = true;
                        i += 1;
                    }
                    Some(b'\'') => {
                        in_single = true;
                        i += 1;
                    }
                    Some(other) => {
                        current.push(other);
                        i += 1;
                    }
                }
            }
        }
        args.push(current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> (Vec<Vec<Vec<u8>>>, ParseStatus) {
        let mut p = RequestParser::new();
        let mut cmds = Vec::new();
        loop {
            match p.parse(input, &Limits::default()) {
                ParseStatus::Complete => {
                    let mut v: Vec<&[u8]> = Vec::new();
                    p.args(input, &mut v);
                    cmds.push(v.into_iter().map(|a| a.to_vec()).collect());
                }
                other => return (cmds, other),
            }
        }
    }

    #[test]
    fn a_large_argument_table_is_released_after_its_command() {
        let mut req = b"*5000\r\n".to_vec();
        for _ in 0..5000 {
            req.extend_from_slice(b"$1\r\nx\r\n");
        }
        req.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        let mut p = RequestParser::new();
        assert_eq!(p.parse(&req, &Limits::default()), ParseStatus::Complete);
        assert_eq!(p.argc(), 5000);
        p.release_argument_table();
        assert!(p.ranges.capacity() <= RANGES_KEEP_MAX);
        assert_eq!(p.parse(&req, &Limits::default()), ParseStatus::Complete);
        assert_eq!(p.arg(&req, 0), b"PING");
    }

    #[test]
    fn multibulk_and_inline_pipeline() {
        let (cmds, st) =
            parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\nset a 'b c'\n*0\r\n\r\n");
        assert_eq!(st, ParseStatus::Incomplete);
        assert_eq!(cmds.len(), 3);
        assert_eq!(cmds[0], vec![b"GET".to_vec(), b"k".to_vec()]);
        assert_eq!(cmds[1], vec![b"PING".to_vec()]);
        assert_eq!(
            cmds[2],
            vec![b"set".to_vec(), b"a".to_vec(), b"b c".to_vec()]
        );
    }

    #[test]
    fn byte_at_a_time_gives_same_result() {
        let input = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
        let mut p = RequestParser::new();
        for end in 1..input.len() {
            assert_eq!(
                p.parse(&input[..end], &Limits::default()),
                ParseStatus::Incomplete
            );
        }
        assert_eq!(p.parse(input, &Limits::default()), ParseStatus::Complete);
        assert_eq!(p.argc(), 3);
        assert_eq!(p.arg(input, 2), b"value");
        assert_eq!(p.pos(), input.len());
    }

    #[test]
    fn consume_shifts_partial_request() {
        let input = b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi";
        let mut p = RequestParser::new();
        assert_eq!(p.parse(input, &Limits::default()), ParseStatus::Complete);
        assert_eq!(p.parse(input, &Limits::default()), ParseStatus::Incomplete);
        // Only the finished PING may go; ECHO's parsed parts must stay.
        let done = p.consumable();
        assert_eq!(done, 14);
        let mut buf = input[done..].to_vec();
        p.consume(done);
        buf.extend_from_slice(b"\r\n");
        assert_eq!(p.parse(&buf, &Limits::default()), ParseStatus::Complete);
        assert_eq!(p.arg(&buf, 1), b"hi");
    }

    #[test]
    fn protocol_errors_have_redis_text() {
        let cases: &[(&[u8], &str)] = &[
            (b"*abc\r\n", "Protocol error: invalid multibulk length"),
            (
                b"*3000000000\r\n",
                "Protocol error: invalid multibulk length",
            ),
            (b"*1\r\nfoo\r\n", "Protocol error: expected '$', got 'f'"),
            (b"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
            (
                b"*1\r\n$2000000000\r\n",
                "Protocol error: invalid bulk length",
            ),
            (
                b"set \"a\r\n",
                "Protocol error: unbalanced quotes in request",
            ),
        ];
        for (input, text) in cases {
            let (_, st) = parse_all(input);
            match st {
                ParseStatus::Error(e) => assert_eq!(e.to_string(), *text),
                other => panic!("{other:?} for {input:?}"),
            }
        }
    }

    #[test]
    fn nul_before_line_end_means_unfinished() {
        assert_eq!(parse_all(b"GET a\0\r\n").1, ParseStatus::Incomplete);
        assert_eq!(parse_all(b"*1\0\r\n").1, ParseStatus::Incomplete);
        // NUL bytes inside bulk data are ordinary bytes.
        let (cmds, _) = parse_all(b"*1\r\n$3\r\na\0b\r\n");
        assert_eq!(cmds[0][0], b"a\0b");
    }

    #[test]
    fn oversized_lines_are_refused() {
        let big = vec![b'a'; INLINE_MAX_SIZE + 1];
        assert_eq!(
            parse_all(&big).1,
            ParseStatus::Error(ProtocolError::TooBigInline)
        );
        let mut mb = b"*".to_vec();
        mb.extend(std::iter::repeat_n(b'1', INLINE_MAX_SIZE + 1));
        assert_eq!(
            parse_all(&mb).1,
            ParseStatus::Error(ProtocolError::TooBigMbulkCount)
        );
    }

    #[test]
    fn unauthenticated_limits() {
        let limits = Limits {
            auth_required: true,
            ..Limits::default()
        };
        let mut p = RequestParser::new();
        assert_eq!(
            p.parse(b"*11\r\n", &limits),
            ParseStatus::Error(ProtocolError::UnauthenticatedMultibulkLength)
        );
        let mut p = RequestParser::new();
        assert_eq!(
            p.parse(b"*1\r\n$16385\r\n", &limits),
            ParseStatus::Error(ProtocolError::UnauthenticatedBulkLength)
        );
    }

    #[test]
    fn split_args_quoting() {
        assert_eq!(
            split_args(b"a \"b\\x41\\n\" 'c\\'d'").unwrap(),
            vec![b"a".to_vec(), b"bA\n".to_vec(), b"c'd".to_vec()]
        );
        assert!(split_args(b"\"a\"b").is_none());
        assert!(split_args(b"'abc").is_none());
        assert_eq!(split_args(b"  ").unwrap(), Vec::<Vec<u8>>::new());
    }
}
