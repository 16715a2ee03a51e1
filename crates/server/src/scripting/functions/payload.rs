//! The FUNCTION DUMP / FUNCTION RESTORE payload, byte-compatible with
//! Redis: each library's code as an RDB string after the `FUNCTION2`
//! opcode, then the RDB version and CRC-64 footer.

use super::Libraries;
use lodestone_storage::rdb::{
    seal_payload, verify_payload, write_string, Reader, OPCODE_FUNCTION2, OPCODE_FUNCTION_PRE_GA,
};

/// Why a payload could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum PayloadError {
    /// Footer version or checksum wrong (`DUMP payload version or
    /// checksum are wrong`).
    Footer,
    /// A problem inside; carries Redis's message.
    Body(&'static str),
}

/// The payload of every library in `libs` (FUNCTION DUMP).
pub fn dump(libs: &Libraries) -> Vec<u8> {
    let mut out = Vec::new();
    for lib in libs.iter() {
        out.push(OPCODE_FUNCTION2);
        write_string(&mut out, &lib.code, true);
    }
    seal_payload(&mut out);
    out
}

/// The library codes in a payload, in order.
pub fn codes(payload: &[u8]) -> Result<Vec<Vec<u8>>, PayloadError> {
    let (_, body) = verify_payload(payload, false).ok_or(PayloadError::Footer)?;
    let mut r = Reader::new(body);
    let mut codes = Vec::new();
    while !r.at_end() {
        match r.u8() {
            Ok(OPCODE_FUNCTION2) => {}
            Ok(OPCODE_FUNCTION_PRE_GA) => {
                return Err(PayloadError::Body("Pre-GA function format not supported"))
            }
            Ok(_) => return Err(PayloadError::Body("given type is not a function")),
            Err(_) => return Err(PayloadError::Body("can not read data type")),
        }
        let code = r
            .string()
            .map_err(|_| PayloadError::Body("Failed loading library payload"))?;
        codes.push(code);
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_dump_round_trips() {
        let p = dump(&Libraries::default());
        assert_eq!(p.len(), 10);
        assert_eq!(codes(&p), Ok(vec![]));
    }

    #[test]
    fn bad_payloads_are_refused() {
        assert_eq!(codes(b"bad_payload"), Err(PayloadError::Footer));
        let mut p = vec![0u8];
        seal_payload(&mut p);
        assert_eq!(
            codes(&p),
            Err(PayloadError::Body("given type is not a function"))
        );
        let mut p = vec![OPCODE_FUNCTION2, 0x80, 0xFF, 0xFF, 0xFF, 0xFF];
        seal_payload(&mut p);
        assert_eq!(
            codes(&p),
            Err(PayloadError::Body("Failed loading library payload"))
        );
    }
}
