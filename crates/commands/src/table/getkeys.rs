//! Finding the key arguments of a request, as Redis's
//! `getKeysFromCommandWithSpecs` does for `COMMAND GETKEYS`, ACL key
//! permissions and cluster routing.
//!
//! Key specs describe most commands completely. Where they cannot (keys
//! behind a keyword that may appear anywhere, flags that depend on the
//! options, a key count of zero), Redis falls back to a per-command
//! function; [`command_keys`] below is the equivalent for every command
//! Redis gives one, keyed by name, so a command gets its fallback as soon
//! as it is registered.

use super::spec::{key_flags, BeginSearch, CommandDef, FindKeys, KeySpec};
use lodestone_protocol::num::parse_i64;

/// A key argument: its position in the request and its key spec flags
/// (`0` when the fallback cannot tell, as in Redis).
pub type KeyRef = (usize, u32);

/// True when a command can have key arguments at all: a spec that is not
/// `not_key`, or a fallback function (Redis's `doesCommandHaveKeys`).
pub fn has_keys(def: &CommandDef) -> bool {
    def.key_specs
        .iter()
        .any(|s| s.flags & key_flags::NOT_KEY == 0)
        || has_fallback(def)
}

/// The key arguments of `args` (name at 0) for `def`. Empty when the
/// command has no keys or the arguments are malformed.
pub fn find_keys(def: &CommandDef, args: &[&[u8]]) -> Vec<KeyRef> {
    let has_keyspec = def
        .key_specs
        .iter()
        .any(|s| s.flags & key_flags::NOT_KEY == 0);
    let variable_flags = def
        .key_specs
        .iter()
        .any(|s| s.flags & key_flags::VARIABLE_FLAGS != 0);
    if has_keyspec && !variable_flags {
        if let Some(keys) = keys_from_specs(def.key_specs, args) {
            return keys;
        }
    }
    command_keys(def, args).unwrap_or_default()
}

/// Keys from the specs alone; `None` when a spec cannot be applied (it is
/// unknown or incomplete, or the arguments do not fit it).
fn keys_from_specs(specs: &[KeySpec], args: &[&[u8]]) -> Option<Vec<KeyRef>> {
    let argc = args.len() as i64;
    let mut out = Vec::new();
    for spec in specs {
        if spec.flags & key_flags::NOT_KEY != 0 {
            continue;
        }
        let first = match spec.begin_search {
            BeginSearch::Index(pos) => pos as i64,
            BeginSearch::Keyword { keyword, startfrom } => {
                match find_keyword(args, keyword.as_bytes(), startfrom as i64) {
                    Some(i) => i + 1,
                    None => continue,
                }
            }
            BeginSearch::Unknown => return None,
        };
        let (first, last, step) = match spec.find_keys {
            FindKeys::Range {
                lastkey,
                step,
                limit,
            } => {
                let (lastkey, limit) = (lastkey as i64, limit as i64);
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + (argc - first) / limit + lastkey
                };
                (first, last, step as i64)
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                step,
            } => {
                let idx = first + keynumidx as i64;
                if idx >= argc {
                    return None;
                }
                let numkeys = parse_i64(args[idx as usize]).filter(|&n| n >= 0)?;
                let first = first + firstkey as i64;
                (first, first.saturating_add(numkeys) - 1, step as i64)
            }
            FindKeys::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc || step <= 0 {
            return None;
        }
        let mut i = first;
        while i <= last {
            out.push((i as usize, spec.flags));
            i += step;
        }
        if spec.flags & key_flags::INCOMPLETE != 0 {
            return None;
        }
    }
    Some(out)
}

/// Position of `keyword` (any case) searched from `startfrom` towards the
/// end, or from `argc + startfrom` towards the start when negative. As in
/// Redis the search never looks at the name nor at the argument where it
/// would stop (a keyword there could not be followed by a key).
fn find_keyword(args: &[&[u8]], keyword: &[u8], startfrom: i64) -> Option<i64> {
    let argc = args.len() as i64;
    let (start, end) = if startfrom > 0 {
        (startfrom, argc - 1)
    } else {
        (argc + startfrom, 1)
    };
    let step = if start <= end { 1 } else { -1 };
    let mut i = start;
    while i != end {
        if i >= argc || i < 1 {
            return None;
        }
        if args[i as usize].eq_ignore_ascii_case(keyword) {
            return Some(i);
        }
        i += step;
    }
    None
}

/// Commands with their own key finding, by name.
const FALLBACKS: &[&str] = &[
    "set",
    "bitfield",
    "sort",
    "sort_ro",
    "migrate",
    "georadius",
    "georadiusbymember",
    "xread",
    "xreadgroup",
    "eval",
    "evalsha",
    "eval_ro",
    "evalsha_ro",
    "fcall",
    "fcall_ro",
    "sintercard",
    "zinter",
    "zunion",
    "zdiff",
    "zintercard",
    "zinterstore",
    "zunionstore",
    "zdiffstore",
    "lmpop",
    "zmpop",
    "blmpop",
    "bzmpop",
];

fn has_fallback(def: &CommandDef) -> bool {
    def.container.is_empty() && FALLBACKS.contains(&def.name)
}

/// The per-command key finding Redis uses when the specs do not suffice;
/// `None` for commands without one.
fn command_keys(def: &CommandDef, args: &[&[u8]]) -> Option<Vec<KeyRef>> {
    if !def.container.is_empty() {
        return None;
    }
    use key_flags::*;
    let keys = match def.name {
        "set" => {
            let get = args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
            let flags = if get {
                RW | ACCESS | UPDATE
            } else {
                OW | UPDATE
            };
            vec![(1, flags)]
        }
        "bitfield" => vec![(1, bitfield_flags(args))],
        "sort_ro" => vec![(1, RO | ACCESS)],
        "sort" => sort_keys(args),
        "migrate" => migrate_keys(args),
        "georadius" | "georadiusbymember" => georadius_keys(args),
        "xread" | "xreadgroup" => xread_keys(args),
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" | "blmpop"
        | "bzmpop" => numkeys_keys(args, None, 2, 3),
        "sintercard" | "zinter" | "zunion" | "zdiff" | "zintercard" | "lmpop" | "zmpop" => {
            numkeys_keys(args, None, 1, 2)
        }
        "zinterstore" | "zunionstore" | "zdiffstore" => numkeys_keys(args, Some(1), 2, 3),
        _ => return None,
    };
    Some(keys)
}

/// `[dest] numkeys key ...`: the keys counted at `count_at` starting at
/// `first`, then the destination; nothing when the count is out of range
/// (the command will reply with an error). The count is read leniently,
/// like C's `atoi`, as Redis does here.
fn numkeys_keys(args: &[&[u8]], dest: Option<usize>, count_at: usize, first: usize) -> Vec<KeyRef> {
    let Some(count) = args.get(count_at) else {
        return Vec::new();
    };
    let num = atoi(count) as i64;
    let available = args.len() as i64 - first as i64;
    if num < 1 || num > available {
        return Vec::new();
    }
    let mut keys: Vec<KeyRef> = (0..num as usize).map(|i| (first + i, 0)).collect();
    if let Some(d) = dest {
        keys.push((d, 0));
    }
    keys
}

/// C's `atoi` as glibc implements it: optional spaces and sign, the
/// leading digits, saturated to a `long`, then truncated to an `int`.
/// Redis reads some numeric arguments this leniently (key counts here,
/// DEBUG switches).
pub fn atoi(s: &[u8]) -> i32 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let negative = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let mut v: i64 = 0;
    for &d in s[i..].iter().take_while(|d| d.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add((d - b'0') as i64);
    }
    (if negative { -v } else { v }) as i32
}

/// BITFIELD is read-only when it only has GET (and OVERFLOW) operations.
fn bitfield_flags(args: &[&[u8]]) -> u32 {
    use key_flags::*;
    let mut i = 2;
    while i < args.len() {
        let remaining = args.len() - i - 1;
        let a = args[i];
        if a.eq_ignore_ascii_case(b"get") && remaining >= 2 {
            i += 3;
        } else if a.eq_ignore_ascii_case(b"overflow") && remaining >= 1 {
            i += 2;
        } else {
            return RW | ACCESS | UPDATE;
        }
    }
    RO | ACCESS
}

/// SORT: the sorted key and the last STORE destination, skipping the
/// arguments of LIMIT, GET and BY.
fn sort_keys(args: &[&[u8]]) -> Vec<KeyRef> {
    use key_flags::*;
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        let a = args[i];
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    let mut keys = vec![(1, RO | ACCESS)];
    keys.extend(store.map(|s| (s, OW | UPDATE)));
    keys
}

/// MIGRATE: the key argument, or with `KEYS` every argument after it (the
/// key argument must then be empty, otherwise no key).
fn migrate_keys(args: &[&[u8]]) -> Vec<KeyRef> {
    use key_flags::*;
    let flags = RW | ACCESS | DELETE;
    let (mut first, mut num) = (3, 1);
    let mut i = 6;
    while args.len() > 6 && i < args.len() {
        let a = args[i];
        if a.eq_ignore_ascii_case(b"keys") {
            if args[3].is_empty() {
                first = i + 1;
                num = args.len() - first;
            } else {
                num = 0;
            }
            break;
        }
        if a.eq_ignore_ascii_case(b"auth") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"auth2") {
            i += 2;
        }
        i += 1;
    }
    (first..first + num)
        .filter(|&p| p < args.len())
        .map(|p| (p, flags))
        .collect()
}

/// GEORADIUS[BYMEMBER]: the key and the last STORE/STOREDIST destination.
fn georadius_keys(args: &[&[u8]]) -> Vec<KeyRef> {
    let mut stored = None;
    let mut i = 5;
    while i < args.len() {
        let a = args[i];
        if (a.eq_ignore_ascii_case(b"store") || a.eq_ignore_ascii_case(b"storedist"))
            && i + 1 < args.len()
        {
            stored = Some(i + 1);
            i += 1;
        }
        i += 1;
    }
    let mut keys = vec![(1, 0)];
    keys.extend(stored.map(|s| (s, 0)));
    keys
}

/// XREAD[GROUP]: the first half of the arguments after STREAMS, which must
/// come after the known options.
fn xread_keys(args: &[&[u8]]) -> Vec<KeyRef> {
    let mut streams = None;
    let mut i = 1;
    while i < args.len() {
        let a = args[i];
        if a.eq_ignore_ascii_case(b"block") || a.eq_ignore_ascii_case(b"count") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"group") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"streams") {
            streams = Some(i);
            break;
        } else if !a.eq_ignore_ascii_case(b"noack") {
            break;
        }
        i += 1;
    }
    let Some(pos) = streams else {
        return Vec::new();
    };
    let num = args.len() - pos - 1;
    if num == 0 || !num.is_multiple_of(2) {
        return Vec::new();
    }
    (pos + 1..pos + 1 + num / 2).map(|p| (p, 0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str) -> &'static CommandDef {
        super::super::defs::DEFS
            .iter()
            .find(|d| d.container.is_empty() && d.name == name)
            .unwrap()
    }

    fn positions(name: &str, args: &[&str]) -> Vec<usize> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        find_keys(def(name), &args)
            .into_iter()
            .map(|k| k.0)
            .collect()
    }

    #[test]
    fn specs_and_fallbacks_agree_with_redis() {
        assert_eq!(positions("get", &["get", "k"]), vec![1]);
        assert_eq!(positions("mset", &["mset", "a", "1", "b", "2"]), vec![1, 3]);
        assert_eq!(positions("eval", &["eval", "s", "1", "k"]), vec![3]);
        assert!(positions("eval", &["eval", "s", "0"]).is_empty());
        assert_eq!(
            positions("zunionstore", &["zunionstore", "d", "2", "a", "b"]),
            vec![1, 3, 4]
        );
        // Too few keys for the count: the spec fails, so does the fallback.
        assert!(positions("zunionstore", &["zunionstore", "d", "2", "a"]).is_empty());
        assert_eq!(positions("sort", &["sort", "k", "store", "d"]), vec![1, 3]);
        assert_eq!(
            positions("sort", &["sort", "k", "by", "store", "limit", "0", "1"]),
            vec![1]
        );
        assert_eq!(
            positions(
                "migrate",
                &["migrate", "h", "p", "", "0", "5", "KEYS", "a", "b"]
            ),
            vec![7, 8]
        );
        assert_eq!(
            positions(
                "xread",
                &["xread", "COUNT", "2", "STREAMS", "a", "b", "0", "0"]
            ),
            vec![4, 5]
        );
        // An odd count still fits the spec: Redis answers from it.
        assert_eq!(
            positions("xread", &["xread", "STREAMS", "a", "b", "0"]),
            vec![2]
        );
        // Not a strict integer: the spec fails, the lenient fallback reads 3.
        assert_eq!(
            positions("eval", &["eval", "s", "3abc", "a", "b", "c"]),
            vec![3, 4, 5]
        );
    }

    #[test]
    fn flags_that_depend_on_arguments() {
        let args: Vec<&[u8]> = vec![b"set", b"k", b"v", b"GET"];
        assert_eq!(
            find_keys(def("set"), &args),
            vec![(1, key_flags::RW | key_flags::ACCESS | key_flags::UPDATE)]
        );
        let args: Vec<&[u8]> = vec![b"bitfield", b"k", b"GET", b"u8", b"0"];
        assert_eq!(
            find_keys(def("bitfield"), &args),
            vec![(1, key_flags::RO | key_flags::ACCESS)]
        );
    }

    #[test]
    fn lenient_count_parsing() {
        assert_eq!(atoi(b" 12abc"), 12);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(atoi(b"x"), 0);
    }
}
