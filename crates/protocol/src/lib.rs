//! The wire protocol layer of Lodestone: RESP2/RESP3 request parsing, reply
//! encoding and the number formats Redis uses on the wire.
//!
//! Architecture invariant: this crate performs no I/O and knows nothing about
//! sockets, the keyspace or commands. It turns bytes into requests and values
//! into bytes, so it can be fuzzed and tested in isolation.

pub mod frame;
pub mod num;
pub mod reply;
pub mod request;

pub use reply::Reply;
pub use request::{Limits, ParseStatus, ProtocolError, RequestParser};
