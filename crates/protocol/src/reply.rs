//! Reply encoding for RESP2 and RESP3.
//!
//! Commands describe replies in RESP3 terms (map, set, double, null, push);
//! [`Reply`] writes them in whichever protocol the client chose with `HELLO`,
//! downgrading RESP3 types exactly as Redis does for RESP2 clients (a map
//! becomes a flat array, a double a bulk string, null `$-1` or `*-1`).
//! Replies go straight into the connection's output buffer: no reply tree is
//! built, so a pipeline of small commands costs one buffer append each.

use crate::num::{push_double, push_i64};

/// Appends `text` with CR and LF replaced by spaces, so a simple string or
/// error line can never break the protocol (the common case, no CR/LF, is a
/// plain copy).
fn push_line_safe(buf: &mut Vec<u8>, text: &[u8]) {
    if text.iter().any(|&b| b == b'\r' || b == b'\n') {
        buf.extend(
            text.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
    } else {
        buf.extend_from_slice(text);
    }
}

/// Writer of replies into a byte buffer in the client's protocol version.
pub struct Reply<'a> {
    buf: &'a mut Vec<u8>,
    resp3: bool,
    errors: u32,
    first_error_code: [u8; 32],
    first_error_code_len: u8,
}

impl<'a> Reply<'a> {
    /// A writer appending to `buf`; `resp` is 2 or 3.
    pub fn new(buf: &'a mut Vec<u8>, resp: u8) -> Self {
        Reply {
            buf,
            resp3: resp >= 3,
            errors: 0,
            first_error_code: [0; 32],
            first_error_code_len: 0,
        }
    }

    /// Protocol version being written (2 or 3).
    pub fn resp(&self) -> u8 {
        if self.resp3 {
            3
        } else {
            2
        }
    }

    /// Number of error replies written so far; the dispatcher uses it for
    /// `failed_calls` and `errorstats`.
    pub fn error_count(&self) -> u32 {
        self.errors
    }

    /// The code (first word, e.g. `ERR`, `WRONGTYPE`) of the first error written.
    pub fn first_error_code(&self) -> &[u8] {
        &self.first_error_code[..self.first_error_code_len as usize]
    }

    /// Bytes written so far into the underlying buffer (including earlier content).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when the underlying buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Drops everything written after offset `len` (used to undo a reply).
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    /// Direct access to the buffer, for callers that splice pre-encoded replies.
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        self.buf
    }

    /// Appends already-encoded protocol bytes.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn header(&mut self, prefix: u8, n: i64) {
        self.buf.push(prefix);
        push_i64(self.buf, n);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string (`+text`); `text` must not contain CR or LF.
    pub fn simple(&mut self, text: &str) {
        self.simple_bytes(text.as_bytes());
    }

    /// A simple string from bytes; CR and LF are replaced by spaces.
    pub fn simple_bytes(&mut self, text: &[u8]) {
        self.buf.push(b'+');
        push_line_safe(self.buf, text);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply. `text` starts with its code (`ERR ...`, `WRONGTYPE ...`);
    /// a leading `-` is accepted. CR/LF inside become spaces so the protocol
    /// stays well formed whatever the message carries.
    pub fn error(&mut self, text: &str) {
        self.error_bytes(text.as_bytes());
    }

    /// An error reply from raw bytes (texts quoting client arguments keep
    /// them byte for byte); same rules as [`Reply::error`].
    pub fn error_bytes(&mut self, text: &[u8]) {
        let text = text.strip_prefix(b"-").unwrap_or(text);
        if self.errors == 0 {
            let code = text.split(|&b| b == b' ').next().unwrap_or_default();
            let n = code.len().min(self.first_error_code.len());
            self.first_error_code[..n].copy_from_slice(&code[..n]);
            self.first_error_code_len = n as u8;
        }
        self.errors += 1;
        self.buf.push(b'-');
        push_line_safe(self.buf, text);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer (`:n`).
    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    /// A bulk string.
    pub fn bulk(&mut self, data: &[u8]) {
        self.header(b'$', data.len() as i64);
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal form of `n`.
    pub fn bulk_i64(&mut self, n: i64) {
        let mut text = itoa::Buffer::new();
        self.bulk(text.format(n).as_bytes());
    }

    /// The null reply: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// The null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    /// Header of an array of `n` elements.
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// Header of a map of `n` pairs (a flat array of `2n` in RESP2).
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// Header of a set of `n` elements (an array in RESP2).
    pub fn set(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n as i64);
    }

    /// Header of an out-of-band push message of `n` elements (an array in RESP2).
    pub fn push(&mut self, n: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, n as i64);
    }

    /// A double: `,d` in RESP3, a bulk string in RESP2.
    pub fn double(&mut self, d: f64) {
        let mut text = Vec::with_capacity(24);
        push_double(&mut text, d);
        if self.resp3 {
            self.buf.push(b',');
            self.buf.extend_from_slice(&text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(&text);
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn bool(&mut self, b: bool) {
        if self.resp3 {
            self.buf
                .extend_from_slice(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(b as i64);
        }
    }

    /// A verbatim string with a three-letter format (`txt`, `mkd`): `=` in
    /// RESP3, a plain bulk string in RESP2.
    pub fn verbatim(&mut self, format: &str, text: &[u8]) {
        if self.resp3 {
            self.header(b'=', (text.len() + 4) as i64);
            self.buf.extend_from_slice(format.as_bytes());
            self.buf.push(b':');
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// A big number given as decimal text: `(` in RESP3, bulk in RESP2.
    pub fn big_number(&mut self, digits: &[u8]) {
        if self.resp3 {
            self.buf.push(b'(');
            self.buf.extend_from_slice(digits);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(digits);
        }
    }

    /// An array of bulk strings.
    pub fn bulk_array<I, T>(&mut self, items: I)
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
        T: AsRef<[u8]>,
    {
        let items = items.into_iter();
        self.array(items.len());
        for item in items {
            self.bulk(item.as_ref());
        }
    }

    /// Marks where an aggregate whose length is not yet known starts; finish
    /// it with [`Reply::end_deferred`].
    pub fn begin_deferred(&self) -> usize {
        self.buf.len()
    }

    /// Inserts the header of an aggregate begun at `mark` now that its length
    /// `n` is known. `kind` is one of `*` (array), `%` (map), `~` (set).
    pub fn end_deferred(&mut self, mark: usize, kind: u8, n: usize) {
        let (prefix, count) = match kind {
            b'%' if !self.resp3 => (b'*', 2 * n),
            b'~' if !self.resp3 => (b'*', n),
            other => (other, n),
        };
        let mut header = Vec::with_capacity(16);
        header.push(prefix);
        push_i64(&mut header, count as i64);
        header.extend_from_slice(b"\r\n");
        self.buf.splice(mark..mark, header);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_downgrades_resp3_types() {
        let mut buf = Vec::new();
        let mut r = Reply::new(&mut buf, 2);
        r.map(1);
        r.bulk(b"a");
        r.double(1.5);
        r.null();
        r.null_array();
        r.bool(true);
        assert_eq!(buf, b"*2\r\n$1\r\na\r\n$3\r\n1.5\r\n$-1\r\n*-1\r\n:1\r\n");
    }

    #[test]
    fn resp3_types() {
        let mut buf = Vec::new();
        let mut r = Reply::new(&mut buf, 3);
        r.map(1);
        r.bulk(b"a");
        r.double(1.5);
        r.null();
        r.bool(false);
        r.verbatim("txt", b"hi");
        assert_eq!(buf, b"%1\r\n$1\r\na\r\n,1.5\r\n_\r\n#f\r\n=6\r\ntxt:hi\r\n");
    }

    #[test]
    fn errors_are_counted_and_sanitized() {
        let mut buf = Vec::new();
        let mut r = Reply::new(&mut buf, 2);
        r.error("WRONGTYPE bad\r\nthing");
        r.error("-ERR x");
        assert_eq!(r.error_count(), 2);
        assert_eq!(r.first_error_code(), b"WRONGTYPE");
        assert_eq!(buf, b"-WRONGTYPE bad  thing\r\n-ERR x\r\n");
    }

    #[test]
    fn deferred_lengths() {
        let mut buf = b"+x\r\n".to_vec();
        let mut r = Reply::new(&mut buf, 2);
        let mark = r.begin_deferred();
        r.bulk(b"k");
        r.int(1);
        r.end_deferred(mark, b'%', 1);
        assert_eq!(buf, b"+x\r\n*2\r\n$1\r\nk\r\n:1\r\n");
    }
}
