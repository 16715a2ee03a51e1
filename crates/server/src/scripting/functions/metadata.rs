//! The first line of a function library, `#!<engine> name=<library>`,
//! which names the library and the engine that runs it.

use lodestone_protocol::request::split_args;

/// What a library's first line declares.
#[derive(Debug, PartialEq, Eq)]
pub struct LibraryMeta {
    /// Engine name as written (`lua`, compared case-insensitively).
    pub engine: Vec<u8>,
    /// Library name (unquoted as `sdssplitargs` unquotes it).
    pub name: Vec<u8>,
    /// Where the code after the first line starts: its newline, so the
    /// engine sees the same line numbers as the whole text.
    pub code_start: usize,
}

/// Reads the metadata line of `code`. Errors carry Redis's message.
pub fn parse(code: &[u8]) -> Result<LibraryMeta, String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    // Redis reads the code as a C string: a NUL ends it.
    let line_end = code
        .iter()
        .position(|&b| b == b'\n' || b == 0)
        .filter(|&i| code[i] == b'\n')
        .ok_or("Invalid library metadata")?;
    let parts = split_args(&code[..line_end])
        .filter(|p| !p.is_empty())
        .ok_or("Invalid library metadata")?;
    let engine = parts[0][2..].to_vec();
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(format!(
            "Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        ));
    }
    let name = name.ok_or("Library name was not given")?;
    Ok(LibraryMeta {
        engine,
        name,
        code_start: line_end,
    })
}

/// Whether `name` is a valid library or function name: one or more ASCII
/// letters, digits or underscores.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_engine_and_name() {
        let m = parse(b"#!lua name=mylib\nreturn 1").unwrap();
        assert_eq!(m.engine, b"lua");
        assert_eq!(m.name, b"mylib");
        assert_eq!(m.code_start, 16);
        let m = parse(b"#!LUA NAME=\"quoted\"\n").unwrap();
        assert_eq!(m.name, b"quoted");
        assert_eq!(parse(b"#! name=x\n").unwrap().engine, b"");
    }

    #[test]
    fn errors_match_redis() {
        assert_eq!(parse(b"return 1").unwrap_err(), "Missing library metadata");
        assert_eq!(
            parse(b"#!lua name=x").unwrap_err(),
            "Invalid library metadata"
        );
        assert_eq!(parse(b"#!lua\n").unwrap_err(), "Library name was not given");
        assert_eq!(
            parse(b"#!lua name=x foo=bar\n").unwrap_err(),
            "Invalid metadata value given: foo=bar"
        );
        assert_eq!(
            parse(b"#!lua name=a name=b\n").unwrap_err(),
            "Invalid metadata value, name argument was given multiple times"
        );
    }

    #[test]
    fn names_are_word_characters() {
        assert!(valid_name(b"my_lib2"));
        assert!(!valid_name(b""));
        assert!(!valid_name(b"a-b"));
        assert!(!valid_name(b"a\0b"));
    }
}
