//! [`Value`]: what a key holds, in the encodings `OBJECT ENCODING` reports.
//!
//! Strings follow Redis's rules so that `OBJECT ENCODING` and memory use
//! match: a string that is the canonical text of a 64-bit integer is stored
//! as the integer (`int`); other strings up to 44 bytes written by `SET` and
//! friends are `embstr` (kept inline in the entry when up to 22 bytes);
//! longer strings, and any string modified in place by `APPEND` or
//! `SETRANGE`, are `raw`, with spare capacity for further appends.

use crate::bytes::SmallBytes;
use crate::hash::Hash;
use crate::list::List;
use crate::set::Set;
use crate::stream::Stream;
use crate::zset::ZSet;
use lodestone_protocol::num::parse_i64;

/// Longest string Redis stores as `embstr`.
pub const EMBSTR_SIZE_LIMIT: usize = 44;
/// Longest text that can be the canonical form of an `i64`.
const MAX_INT_TEXT: usize = 20;
/// Above this many allocations, freeing a value is sent to the lazy-free
/// thread rather than done on the event loop (Redis's `LAZYFREE_THRESHOLD`).
pub const LAZYFREE_THRESHOLD: usize = 64;

/// The data type of a value, as `TYPE` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `string`
    String,
    /// `hash`
    Hash,
    /// `list`
    List,
    /// `set`
    Set,
    /// `zset`
    ZSet,
    /// `stream`
    Stream,
}

impl Kind {
    /// The type named `name` (any case), as SCAN TYPE accepts it; `None` for
    /// a name of no type (which then matches no key).
    pub fn by_name(name: &[u8]) -> Option<Kind> {
        [
            Kind::String,
            Kind::Hash,
            Kind::List,
            Kind::Set,
            Kind::ZSet,
            Kind::Stream,
        ]
        .into_iter()
        .find(|k| name.eq_ignore_ascii_case(k.name().as_bytes()))
    }

    /// The name `TYPE` replies with.
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Hash => "hash",
            Kind::List => "list",
            Kind::Set => "set",
            Kind::ZSet => "zset",
            Kind::Stream => "stream",
        }
    }
}

/// A value stored under a key. 24 bytes.
#[derive(Clone, Debug)]
pub enum Value {
    /// A string holding the canonical decimal text of this integer (`int`).
    Int(i64),
    /// A short string (`embstr`).
    Emb(SmallBytes),
    /// A long or in-place-modified string (`raw`).
    Raw(Box<Vec<u8>>),
    /// A hash (`listpack` or `hashtable`), held inline: see [`Hash`].
    Hash(Hash),
    /// A list (`listpack` or `quicklist`), held inline: see [`List`].
    List(List),
    /// A set (`intset`, `listpack` or `hashtable`), held inline: see [`Set`].
    Set(Set),
    /// A sorted set (`listpack` or `skiplist`), held inline: see [`ZSet`].
    ZSet(ZSet),
    /// A stream (`stream`), boxed to keep `Value` at 24 bytes.
    Stream(Box<Stream>),
}

impl Value {
    /// A string value encoded the way `SET` stores its argument
    /// (Redis's `tryObjectEncoding`): `int`, `embstr` or `raw`.
    pub fn string(bytes: &[u8]) -> Value {
        if bytes.len() <= MAX_INT_TEXT {
            if let Some(n) = parse_i64(bytes) {
                return Value::Int(n);
            }
        }
        Value::plain_string(bytes)
    }

    /// A string value that is never integer-encoded (Redis's
    /// `createStringObject`): `embstr` up to 44 bytes, `raw` beyond.
    pub fn plain_string(bytes: &[u8]) -> Value {
        if bytes.len() <= EMBSTR_SIZE_LIMIT {
            Value::Emb(SmallBytes::new(bytes))
        } else {
            Value::Raw(Box::new(bytes.to_vec()))
        }
    }

    /// Like [`Value::string`], taking ownership of the bytes.
    pub fn string_from_vec(bytes: Vec<u8>) -> Value {
        if bytes.len() <= EMBSTR_SIZE_LIMIT {
            Value::string(&bytes)
        } else {
            Value::Raw(Box::new(bytes))
        }
    }

    /// The data type.
    pub fn kind(&self) -> Kind {
        match self {
            Value::Int(_) | Value::Emb(_) | Value::Raw(_) => Kind::String,
            Value::Hash(_) => Kind::Hash,
            Value::List(_) => Kind::List,
            Value::Set(_) => Kind::Set,
            Value::ZSet(_) => Kind::ZSet,
            Value::Stream(_) => Kind::Stream,
        }
    }

    /// The encoding name `OBJECT ENCODING` replies with.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Emb(_) => "embstr",
            Value::Raw(_) => "raw",
            Value::Hash(h) => h.encoding_name(),
            Value::List(l) => l.encoding_name(),
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
            Value::Stream(_) => "stream",
        }
    }

    /// True for string values.
    pub fn is_string(&self) -> bool {
        self.kind() == Kind::String
    }

    /// The bytes of a string value; integers are formatted into `scratch`.
    /// Returns `None` for non-string values.
    pub fn string_bytes<'a>(&'a self, scratch: &'a mut itoa::Buffer) -> Option<&'a [u8]> {
        match self {
            Value::Int(n) => Some(scratch.format(*n).as_bytes()),
            Value::Emb(b) => Some(b.as_slice()),
            Value::Raw(v) => Some(v.as_slice()),
            Value::Hash(_) | Value::List(_) | Value::Set(_) | Value::ZSet(_) | Value::Stream(_) => {
                None
            }
        }
    }

    /// Copies the bytes of a string value.
    pub fn to_string_vec(&self) -> Option<Vec<u8>> {
        let mut scratch = itoa::Buffer::new();
        self.string_bytes(&mut scratch).map(|b| b.to_vec())
    }

    /// Length in bytes of a string value.
    pub fn string_len(&self) -> Option<usize> {
        let mut scratch = itoa::Buffer::new();
        self.string_bytes(&mut scratch).map(|b| b.len())
    }

    /// Turns a string value into `raw` form and returns its buffer for
    /// in-place modification (Redis's `dbUnshareStringValue`).
    pub fn make_raw(&mut self) -> Option<&mut Vec<u8>> {
        if !self.is_string() {
            return None;
        }
        if !matches!(self, Value::Raw(_)) {
            let bytes = self.to_string_vec().unwrap_or_default();
            *self = Value::Raw(Box::new(bytes));
        }
        match self {
            Value::Raw(v) => Some(v),
            _ => None,
        }
    }

    /// Starts loading the value's first heap block (a `raw` string's
    /// buffer), so that a walk over many keys overlaps those waits.
    pub fn prefetch(&self) {
        if let Value::Raw(v) = self {
            crate::dict::prefetch_line(v.as_ptr().cast());
        }
    }

    /// How many allocations freeing this value takes; values above
    /// [`LAZYFREE_THRESHOLD`] are freed off the event loop.
    pub fn free_effort(&self) -> usize {
        match self {
            Value::Int(_) | Value::Emb(_) | Value::Raw(_) => 1,
            Value::Hash(h) => h.free_effort(),
            Value::List(l) => l.free_effort(),
            Value::Set(s) => s.free_effort(),
            Value::ZSet(z) => z.free_effort(),
            Value::Stream(s) => s.free_effort(),
        }
    }

    /// Approximate heap bytes owned by this value (for `MEMORY USAGE` and
    /// `DEBUG OBJECT`).
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Int(_) => 0,
            Value::Emb(b) => b.heap_size(),
            Value::Raw(v) => v.capacity() + std::mem::size_of::<Vec<u8>>(),
            Value::Hash(h) => h.heap_size(),
            Value::List(l) => l.heap_size(),
            Value::Set(s) => s.heap_size(),
            Value::ZSet(z) => z.heap_size(),
            Value::Stream(s) => s.heap_size(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_24_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    #[test]
    fn string_encodings_follow_redis() {
        assert_eq!(Value::string(b"12345").encoding_name(), "int");
        assert_eq!(Value::string(b"-0").encoding_name(), "embstr");
        assert_eq!(Value::string(b"012").encoding_name(), "embstr");
        assert_eq!(Value::string(&[b'a'; 44]).encoding_name(), "embstr");
        assert_eq!(Value::string(&[b'a'; 45]).encoding_name(), "raw");
        assert_eq!(Value::plain_string(b"7").encoding_name(), "embstr");
        let mut v = Value::string(b"42");
        v.make_raw().unwrap().push(b'!');
        assert_eq!(v.encoding_name(), "raw");
        assert_eq!(v.to_string_vec().unwrap(), b"42!");
    }
}
