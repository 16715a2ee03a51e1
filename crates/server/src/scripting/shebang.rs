//! The `#!lua flags=...` line that opens a script and declares what it may
//! do. A script without one runs in compatibility mode: it may write, and
//! the server decides per command.

use lodestone_protocol::request::split_args;

/// What a script declared about itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScriptFlags {
    /// No shebang: Redis 6 behaviour (EVAL_COMPAT_MODE).
    pub compat: bool,
    /// `no-writes`: refuses write commands; may run on read-only paths.
    pub no_writes: bool,
    /// `allow-oom`: runs even when used memory is over `maxmemory`.
    pub allow_oom: bool,
    /// `allow-stale`: runs on a stale replica.
    pub allow_stale: bool,
    /// `no-cluster`: refuses to run in cluster mode.
    pub no_cluster: bool,
    /// `allow-cross-slot-keys`: may touch keys of several slots.
    pub allow_cross_slot: bool,
}

/// Parses the shebang of `body`: the flags and the length of the line
/// (without its newline, which stays so line numbers are kept). Errors
/// carry Redis's message.
pub fn parse(body: &[u8]) -> Result<(ScriptFlags, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((
            ScriptFlags {
                compat: true,
                ..ScriptFlags::default()
            },
            0,
        ));
    }
    // Redis reads the body as a C string: the line ends at a newline
    // before any NUL.
    let line_end = body
        .iter()
        .position(|&b| b == b'\n' || b == 0)
        .filter(|&i| body[i] == b'\n')
        .ok_or_else(|| "Invalid script shebang".to_string())?;
    let parts = split_args(&body[..line_end])
        .filter(|p| !p.is_empty())
        .ok_or_else(|| "Invalid engine in script shebang".to_string())?;
    if parts[0] != b"#!lua" {
        return Err(format!(
            "Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(&parts[0])
        ));
    }
    let mut flags = ScriptFlags::default();
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(format!(
                "Unknown lua shebang option: {}",
                String::from_utf8_lossy(part)
            ));
        };
        for flag in list.split(|&b| b == b',') {
            match flag {
                b"no-writes" => flags.no_writes = true,
                b"allow-oom" => flags.allow_oom = true,
                b"allow-stale" => flags.allow_stale = true,
                b"no-cluster" => flags.no_cluster = true,
                b"allow-cross-slot-keys" => flags.allow_cross_slot = true,
                // Redis splits "flags=" into one empty flag and accepts it
                // only when the list is empty.
                b"" if list.is_empty() => {}
                other => {
                    return Err(format!(
                        "Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(other)
                    ))
                }
            }
        }
    }
    Ok((flags, line_end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_shebang_is_compat_mode() {
        let (f, n) = parse(b"return 1").unwrap();
        assert!(f.compat);
        assert_eq!(n, 0);
    }

    #[test]
    fn flags_are_read() {
        let (f, n) = parse(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap();
        assert!(f.no_writes && f.allow_oom && !f.compat && !f.allow_stale);
        assert_eq!(n, 31);
        let (f, _) = parse(b"#!lua\nreturn 1").unwrap();
        assert_eq!(f, ScriptFlags::default());
    }

    #[test]
    fn errors_match_redis() {
        assert_eq!(parse(b"#!lua").unwrap_err(), "Invalid script shebang");
        assert_eq!(
            parse(b"#!python\n").unwrap_err(),
            "Unexpected engine in script shebang: #!python"
        );
        assert_eq!(
            parse(b"#!lua flags=no-writes,bad\n").unwrap_err(),
            "Unexpected flag in script shebang: bad"
        );
        assert_eq!(
            parse(b"#!lua name=x\n").unwrap_err(),
            "Unknown lua shebang option: name=x"
        );
    }
}
