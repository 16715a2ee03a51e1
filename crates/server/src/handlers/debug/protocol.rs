//! DEBUG PROTOCOL: one canned reply of each RESP type, byte for byte
//! Redis's, for client library tests.

use super::super::reply;
use crate::server::Server;
use lodestone_commands::{CmdError, CmdResult};

/// The double DEBUG PROTOCOL sends: Redis's test value, not an
/// approximation of pi.
#[allow(clippy::approx_constant)]
const PROTOCOL_DOUBLE: f64 = 3.141;

/// `DEBUG PROTOCOL type`: a canned reply of each RESP type.
pub(super) fn protocol(s: &mut Server, key: usize, kind: &[u8]) -> CmdResult {
    let resp3 = s.clients.get(key).is_some_and(|c| c.resp >= 3);
    let kind = String::from_utf8_lossy(kind).to_ascii_lowercase();
    if kind == "push" && !resp3 {
        return Err(CmdError::Debug(
            "RESP2 is not supported by this command".into(),
        ));
    }
    let known = [
        "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push",
        "verbatim", "true", "false",
    ];
    if !known.contains(&kind.as_str()) {
        return Err(CmdError::Debug("Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false".into()));
    }
    reply(s, key, |r| match kind.as_str() {
        "string" => r.bulk(b"Hello World"),
        "integer" => r.int(12345),
        "double" => r.double(PROTOCOL_DOUBLE),
        "bignum" => r.big_number(b"1234567999999999999999999999999999999"),
        "null" => r.null(),
        "array" | "set" => {
            if kind == "array" {
                r.array(3);
            } else {
                r.set(3);
            }
            for j in 0..3 {
                r.int(j);
            }
        }
        "map" => {
            r.map(3);
            for j in 0..3 {
                r.int(j);
                r.bool(j == 1);
            }
        }
        "attrib" => {
            if resp3 {
                r.raw(b"|1\r\n");
                r.bulk(b"key-popularity");
                r.array(2);
                r.bulk(b"key:123");
                r.int(90);
            }
            r.bulk(b"Some real reply following the attribute");
        }
        "push" => {
            r.push(2);
            r.bulk(b"server-cpu-usage");
            r.int(42);
            r.bulk(b"Some real reply following the push reply");
        }
        "verbatim" => r.verbatim("txt", b"This is a verbatim\nstring"),
        "true" => r.bool(true),
        _ => r.bool(false),
    });
    Ok(())
}
