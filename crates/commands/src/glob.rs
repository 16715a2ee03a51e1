//! Glob-style pattern matching as Redis does it for KEYS, SCAN MATCH,
//! PSUBSCRIBE and CONFIG GET: `*`, `?`, `[abc]`, `[^a-z]`, `\x` escapes.
//!
//! The pattern is compiled into tokens and matched with the two-pointer
//! algorithm (backtracking only to the last `*`), so a hostile pattern like
//! `a*a*a*...b` costs O(len(pattern) * len(text)), never exponential time.

#[derive(Debug)]
enum Token {
    Star,
    Any,
    Literal(u8),
    Class { negate: bool, items: Vec<ClassItem> },
}

#[derive(Debug)]
enum ClassItem {
    /// An escaped character: always compared case-sensitively, as Redis does.
    Exact(u8),
    Char(u8),
    Range(u8, u8),
}

fn compile(pattern: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'*' => {
                if !matches!(tokens.last(), Some(Token::Star)) {
                    tokens.push(Token::Star);
                }
                i += 1;
            }
            b'?' => {
                tokens.push(Token::Any);
                i += 1;
            }
            b'[' => {
                i += 1;
                let negate = pattern.get(i) == Some(&b'^');
                if negate {
                    i += 1;
                }
                let mut items = Vec::new();
                while i < pattern.len() {
                    let c = pattern[i];
                    if c == b'\\' && i + 1 < pattern.len() {
                        items.push(ClassItem::Exact(pattern[i + 1]));
                        i += 2;
                    } else if c == b']' {
                        i += 1;
                        break;
                    } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' {
                        let (a, b) = (c, pattern[i + 2]);
                        items.push(ClassItem::Range(a.min(b), a.max(b)));
                        i += 3;
                    } else {
                        items.push(ClassItem::Char(c));
                        i += 1;
                    }
                }
                tokens.push(Token::Class { negate, items });
            }
            b'\\' if i + 1 < pattern.len() => {
                tokens.push(Token::Literal(pattern[i + 1]));
                i += 2;
            }
            c => {
                tokens.push(Token::Literal(c));
                i += 1;
            }
        }
    }
    tokens
}

fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

fn token_matches(t: &Token, c: u8, nocase: bool) -> bool {
    match t {
        Token::Star => true,
        Token::Any => true,
        Token::Literal(l) => fold(*l, nocase) == fold(c, nocase),
        Token::Class { negate, items } => {
            let hit = items.iter().any(|item| match *item {
                ClassItem::Exact(e) => e == c,
                ClassItem::Char(ch) => fold(ch, nocase) == fold(c, nocase),
                ClassItem::Range(lo, hi) => {
                    let (lo, hi, c) = (fold(lo, nocase), fold(hi, nocase), fold(c, nocase));
                    c >= lo && c <= hi
                }
            });
            hit != *negate
        }
    }
}

/// Redis gives up (no match) when a pattern makes it recurse through more
/// than this many `*` groups; patterns behave the same here.
const MAX_STAR_NESTING: usize = 1000;

/// A compiled pattern, for matching many strings against one pattern.
pub struct Pattern {
    tokens: Vec<Token>,
    /// For each token, how many `*` groups precede it (itself included).
    star_ordinals: Vec<usize>,
    nocase: bool,
}

impl Pattern {
    /// Compiles `pattern`; `nocase` folds ASCII case.
    pub fn new(pattern: &[u8], nocase: bool) -> Pattern {
        let tokens = compile(pattern);
        let mut seen = 0;
        let star_ordinals = tokens
            .iter()
            .map(|t| {
                if matches!(t, Token::Star) {
                    seen += 1;
                }
                seen
            })
            .collect();
        Pattern {
            tokens,
            star_ordinals,
            nocase,
        }
    }

    /// True when the pattern is just `*` (matches everything).
    pub fn is_match_all(&self) -> bool {
        matches!(self.tokens.as_slice(), [Token::Star])
    }

    /// True when `text` matches.
    pub fn matches(&self, text: &[u8]) -> bool {
        let toks = &self.tokens;
        let (mut t, mut s) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while s < text.len() {
            if t < toks.len() {
                if let Token::Star = toks[t] {
                    // A star with more pattern after it makes Redis recurse;
                    // past the nesting limit it reports no match.
                    if t + 1 < toks.len() && self.star_ordinals[t] > MAX_STAR_NESTING {
                        return false;
                    }
                    star = Some((t, s));
                    t += 1;
                    continue;
                }
                if token_matches(&toks[t], text[s], self.nocase) {
                    t += 1;
                    s += 1;
                    continue;
                }
            }
            match star {
                Some((st, ss)) => {
                    t = st + 1;
                    s = ss + 1;
                    star = Some((st, ss + 1));
                }
                None => return false,
            }
        }
        toks[t..].iter().all(|tok| matches!(tok, Token::Star))
    }
}

/// True when `text` matches `pattern` (compiles the pattern each call).
pub fn matches(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    Pattern::new(pattern, nocase).matches(text)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn redis_glob_semantics() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything", true),
            ("h?llo", "hello", true),
            ("h?llo", "hllo", false),
            ("h*llo", "heeeello", true),
            ("h[ae]llo", "hallo", true),
            ("h[ae]llo", "hillo", false),
            ("h[^e]llo", "hallo", true),
            ("h[^e]llo", "hello", false),
            ("h[a-b]llo", "hbllo", true),
            ("h[b-a]llo", "hbllo", true),
            ("h\\*llo", "h*llo", true),
            ("h\\*llo", "hello", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("[abc", "b", true),
            ("foo*", "foo", true),
            (
                "*a*a*a*a*a*a*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
        ];
        for (p, s, expect) in cases {
            assert_eq!(
                matches(p.as_bytes(), s.as_bytes(), false),
                *expect,
                "{p} ~ {s}"
            );
        }
        assert!(matches(b"MAXMEM*", b"maxmemory", true));
        // Redis's recursion limit: 50,000 "*?" groups never match.
        let long = b"*?".repeat(50_000);
        assert!(!matches(&long, &vec![b'a'; 50_000], false));
        let ok = b"*?".repeat(999);
        assert!(matches(&ok, &vec![b'a'; 2_000], false));
        assert!(!matches(b"MAXMEM*", b"maxmemory", false));
    }
}
