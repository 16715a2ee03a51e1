//! A buffered append-only file that knows its read position and size:
//! what the loader (`load.rs`) and `lodestone-check-aof` (`check.rs`)
//! both read a file through, line by line as Redis's C code does with
//! `fgets`, so the two agree on where every line ends and at which offset
//! a problem is.

use std::fs::File;
use std::io::{self, BufRead, BufReader};

/// A file being read, with its position.
pub struct FileCursor {
    /// The buffered file; whoever reads through it directly advances
    /// `pos` by what it read.
    pub r: BufReader<File>,
    /// Offset of the next byte to read.
    pub pos: u64,
    /// The file's length when it was opened.
    pub size: u64,
}

impl FileCursor {
    /// A cursor at the start of `file`, whose length is `size`, reading
    /// through a buffer of `capacity` bytes.
    pub fn new(file: File, size: u64, capacity: usize) -> FileCursor {
        FileCursor {
            r: BufReader::with_capacity(capacity, file),
            pos: 0,
            size,
        }
    }

    /// C's `fgets` with a `cap`-byte buffer: up to a newline (included) or
    /// `cap - 1` bytes; `None` at the end of the file.
    pub fn fgets(&mut self, cap: usize) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        loop {
            let buf = match self.r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok((!line.is_empty()).then_some(line));
            }
            let room = cap - 1 - line.len();
            let window = &buf[..buf.len().min(room)];
            let (n, done) = match window.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (window.len(), window.len() == room),
            };
            line.extend_from_slice(&window[..n]);
            self.r.consume(n);
            self.pos += n as u64;
            if done {
                return Ok(Some(line));
            }
        }
    }

    /// The next byte, without consuming it.
    pub fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.r.fill_buf()?.first().copied())
    }
}
