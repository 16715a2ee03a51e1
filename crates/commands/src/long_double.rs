//! Safe wrapper over the C long double increment (see `csrc/long_double.c`).

use crate::error::CmdError;

extern "C" {
    fn lodestone_long_double_incr(
        current: *const u8,
        current_len: usize,
        has_current: i32,
        incr: *const u8,
        incr_len: usize,
        out: *mut u8,
        out_cap: usize,
        out_len: *mut usize,
    ) -> i32;
}

/// Largest text the result can have (Redis's `MAX_LONG_DOUBLE_CHARS`).
const MAX_CHARS: usize = 5 * 1024;

/// Adds `incr` to `current` (0 when `None`) in extended precision and
/// returns the result as Redis prints it (`%.17Lf`, trailing zeros removed).
pub fn incr(current: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, CmdError> {
    let mut out = vec![0u8; MAX_CHARS];
    let mut len = 0usize;
    let (cur_ptr, cur_len) = current.map_or((std::ptr::null(), 0), |c| (c.as_ptr(), c.len()));
    // SAFETY: every pointer is valid for the length passed with it, `out` is
    // writable for `MAX_CHARS` bytes and `len` is a valid place to write.
    let rc = unsafe {
        lodestone_long_double_incr(
            cur_ptr,
            cur_len,
            current.is_some() as i32,
            incr.as_ptr(),
            incr.len(),
            out.as_mut_ptr(),
            out.len(),
            &mut len,
        )
    };
    match rc {
        0 => {
            out.truncate(len);
            Ok(out)
        }
        1 | 2 => Err(CmdError::NotFloat),
        _ => Err(CmdError::NanOrInfinity),
    }
}

#[cfg(test)]
mod tests {
    use super::incr;

    fn s(v: Option<&str>, i: &str) -> String {
        String::from_utf8(incr(v.map(str::as_bytes), i.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn matches_redis_text() {
        assert_eq!(s(Some("1"), "0.1"), "1.1");
        assert_eq!(s(None, "10.5"), "10.5");
        assert_eq!(s(Some("10.50"), "0.1"), "10.6");
        assert_eq!(s(Some("5.0e3"), "2.0e2"), "5200");
        assert_eq!(s(Some("-1"), "1"), "0");
        assert!(incr(Some(b"abc"), b"1").is_err());
        assert!(incr(Some(b"1"), b" 1").is_err());
        assert!(incr(Some(b"1"), b"nan").is_err());
        assert!(
            incr(Some(b"1\x002"), b"1").is_err(),
            "an embedded NUL is not the end of the number"
        );
        assert!(incr(Some(b"1e4932"), b"1e4932").is_err());
    }
}
