//! DEBUG MALLCTL and MALLCTL-STR: reading and setting jemalloc controls by
//! name, with Redis's fallbacks (smaller integer sizes, write-only
//! controls) and its replies (the value, `OK`, or the C error text).

use std::ffi::{c_char, c_void, CStr, CString};

/// What a control call produced.
pub enum Outcome {
    /// The (previous) integer value.
    Int(i64),
    /// The (previous) string value.
    Str(Vec<u8>),
    /// Written without reading.
    Written,
    /// Failed with this `errno`.
    Failed(i32),
}

/// `mallctl(name, old, oldlen, new, newlen)` with raw buffers.
///
/// # Safety
/// `old`/`oldlen` must be null or describe a writable buffer of
/// `*oldlen` bytes; `new` must be null or point to `newlen` readable
/// bytes of the type the control expects.
unsafe fn ctl(
    name: &CStr,
    old: *mut c_void,
    oldlen: *mut usize,
    new: *mut c_void,
    newlen: usize,
) -> i32 {
    // SAFETY: forwarded from the caller's contract; `name` is NUL-terminated.
    unsafe { tikv_jemalloc_sys::mallctl(name.as_ptr(), old, oldlen, new, newlen) }
}

/// A control name as C wants it; `None` if it holds a NUL byte.
pub fn name(bytes: &[u8]) -> Option<CString> {
    CString::new(bytes).ok()
}

/// Reads an integer control, writing `value` at the same time when given.
/// Tries 8-, 4-, 2- then 1-byte integers, as the control's type is not
/// known; a write-only control is just written.
pub fn int(name: &CStr, value: Option<i64>) -> Outcome {
    let mut size = std::mem::size_of::<i64>();
    while size > 0 {
        let mut old: i64 = 0;
        let mut old_len = size;
        let mut new = value.unwrap_or(0);
        let new_ptr = match value {
            Some(_) => &mut new as *mut i64 as *mut c_void,
            None => std::ptr::null_mut(),
        };
        let new_len = if value.is_some() { size } else { 0 };
        // SAFETY: `old` has 8 writable bytes and `old_len <= 8`; `new`
        // has 8 readable bytes and `new_len <= 8`. Little-endian: the
        // low bytes hold smaller integers.
        let ret = unsafe {
            ctl(
                name,
                &mut old as *mut i64 as *mut c_void,
                &mut old_len,
                new_ptr,
                new_len,
            )
        };
        if ret == 0 {
            return Outcome::Int(old);
        }
        if ret == libc::EPERM && value.is_some() {
            // SAFETY: as above, without reading.
            let written = unsafe {
                ctl(
                    name,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    new_ptr,
                    new_len,
                )
            };
            if written == 0 {
                return Outcome::Written;
            }
        }
        if ret != libc::EINVAL {
            return Outcome::Failed(ret);
        }
        size /= 2;
    }
    Outcome::Failed(libc::EINVAL)
}

/// True for the controls jemalloc types as strings: only those may be
/// read as a string pointer (reading another 8-byte control that way
/// would dereference a number).
fn is_string_control(name: &[u8]) -> bool {
    const NAMES: &[&[u8]] = &[
        b"version",
        b"config.malloc_conf",
        b"opt.hpa_hugify_style",
        b"opt.metadata_thp",
        b"opt.dss",
        b"opt.percpu_arena",
        b"opt.stats_print_opts",
        b"opt.stats_interval_opts",
        b"opt.junk",
        b"opt.thp",
        b"opt.prof_prefix",
        b"opt.prof_time_res",
        b"opt.zero_realloc",
        b"opt.malloc_conf.symlink",
        b"opt.malloc_conf.env_var",
        b"opt.malloc_conf.global_var",
        b"thread.prof.name",
    ];
    let indexed_dss = |prefix: &[u8]| {
        name.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(b".dss"))
            .is_some_and(|i| !i.is_empty() && i.iter().all(u8::is_ascii_digit))
    };
    NAMES.contains(&name) || indexed_dss(b"arena.") || indexed_dss(b"stats.arenas.")
}

/// Reads a string control, then writes `value` when given (`VOID` writes
/// nothing, for action controls like `thread.tcache.flush`).
pub fn string(name: &CStr, value: Option<&[u8]>) -> Outcome {
    let read = if is_string_control(name.to_bytes()) {
        let mut old: *const c_char = std::ptr::null();
        let mut len = std::mem::size_of::<*const c_char>();
        // SAFETY: a string control stores a `const char *` in `old`.
        let ret = unsafe {
            ctl(
                name,
                &mut old as *mut *const c_char as *mut c_void,
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        match ret {
            // SAFETY: jemalloc returned a NUL-terminated static string.
            0 if !old.is_null() => Ok(unsafe { CStr::from_ptr(old) }.to_bytes().to_vec()),
            0 => Ok(Vec::new()),
            e => Err(e),
        }
    } else {
        // Probe without taking the value: a 1-byte buffer tells unknown
        // (ENOENT), action (EPERM) and other controls (EINVAL) apart.
        let mut probe = 0u8;
        let mut len = 1usize;
        // SAFETY: one writable byte.
        let ret = unsafe {
            ctl(
                name,
                &mut probe as *mut u8 as *mut c_void,
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        Err(if ret == 0 { libc::EINVAL } else { ret })
    };
    if let Err(e) = read {
        if !(e == libc::EPERM && value.is_some()) {
            return Outcome::Failed(e);
        }
    }
    let mut written = 0;
    if let Some(v) = value {
        written = if v == b"VOID" {
            // SAFETY: an action control called with no buffers.
            unsafe {
                ctl(
                    name,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    0,
                )
            }
        } else {
            match CString::new(v) {
                Ok(text) => {
                    let mut ptr: *const c_char = text.as_ptr();
                    // SAFETY: the control reads one `const char *`, which
                    // stays valid for the call (jemalloc copies it).
                    unsafe {
                        ctl(
                            name,
                            std::ptr::null_mut(),
                            std::ptr::null_mut(),
                            &mut ptr as *mut *const c_char as *mut c_void,
                            std::mem::size_of::<*const c_char>(),
                        )
                    }
                }
                Err(_) => libc::EINVAL,
            }
        };
    }
    match read {
        Ok(old) => Outcome::Str(old),
        Err(_) if written != 0 => Outcome::Failed(written),
        Err(_) => Outcome::Written,
    }
}

/// C's `strerror` text for `errno`.
pub fn strerror(errno: i32) -> String {
    crate::config::special::os_error_text(&std::io::Error::from_raw_os_error(errno))
}
