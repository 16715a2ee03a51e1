#!/usr/bin/env python3
"""Writes crates/server/src/config/params.rs: the name, alias, type, bounds,
default and flags of every Redis 7.2 configuration parameter.

CONFIG GET/SET/REWRITE must accept the same names, refuse the same values
and report the same defaults as Redis, so the facts come from Redis's own
parameter table (src/config.c of a Redis 7.2 checkout, not part of this
repository):

    scripts/gen-config-table.py /path/to/redis-7.2 > crates/server/src/config/params.rs
"""
import glob
import os
import re
import sys

FLAG_NAMES = ["IMMUTABLE_CONFIG", "SENSITIVE_CONFIG", "DEBUG_CONFIG", "MULTI_ARG_CONFIG", "HIDDEN_CONFIG",
              "PROTECTED_CONFIG", "DENY_LOADING_CONFIG", "ALIAS_CONFIG", "MODULE_CONFIG", "VOLATILE_CONFIG"]


def strip_comments(s):
    s = re.sub(r"/\*.*?\*/", "", s, flags=re.S)
    return re.sub(r"//[^\n]*", "", s)


def split_args(s):
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def load_constants(root):
    consts = {"LONG_MAX": 2**63 - 1, "LONG_MIN": -2**63, "LLONG_MAX": 2**63 - 1, "LLONG_MIN": -2**63,
              "INT_MAX": 2**31 - 1, "INT_MIN": -2**31, "UINT_MAX": 2**32 - 1, "ULONG_MAX": 2**64 - 1,
              "ULLONG_MAX": 2**64 - 1, "SIZE_MAX": 2**64 - 1, "SSIZE_MAX": 2**63 - 1, "LOG_LOCAL0": 16 << 3,
              "LOG_USER": 1 << 3, "LOG_LOCAL1": 17 << 3, "LOG_LOCAL2": 18 << 3, "LOG_LOCAL3": 19 << 3,
              "LOG_LOCAL4": 20 << 3, "LOG_LOCAL5": 21 << 3, "LOG_LOCAL6": 22 << 3, "LOG_LOCAL7": 23 << 3,
              "NULL": 0}
    raw = {}
    for path in glob.glob(os.path.join(root, "src", "*.h")) + [os.path.join(root, "src", "config.c")]:
        text = strip_comments(open(path, errors="replace").read())
        for m in re.finditer(r"^\s*#define\s+([A-Z_][A-Z0-9_]*)\s+(.+)$", text, re.M):
            raw.setdefault(m.group(1), m.group(2).strip())
        for m in re.finditer(r"enum\s*\w*\s*\{([^}]*)\}", text):
            val = -1
            for item in m.group(1).split(","):
                item = item.strip()
                if not item:
                    continue
                if "=" in item:
                    name, expr = [x.strip() for x in item.split("=", 1)]
                    raw[name] = expr
                    try:
                        val = evaluate(expr, consts, raw)
                    except Exception:
                        val = None
                else:
                    name = item
                    val = None if val is None else val + 1
                    if val is not None:
                        consts.setdefault(name, val)
    consts["__raw__"] = raw
    return consts


def evaluate(expr, consts, raw=None, depth=0):
    raw = raw if raw is not None else consts.get("__raw__", {})
    e = expr.strip()
    e = re.sub(r"\(\s*(unsigned\s+)?(long long|long|int|size_t|ssize_t|off_t|time_t|uint64_t|int64_t)\s*\)", "", e)
    e = re.sub(r"(?<=[0-9])(ULL|LL|UL|L|U|ull|ll|ul|l|u)\b", "", e)
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", e))
    env = {}
    for n in names:
        if n in consts:
            env[n] = consts[n]
        elif n in raw and depth < 20:
            env[n] = consts[n] = evaluate(raw[n], consts, raw, depth + 1)
        else:
            raise ValueError(f"unknown constant {n} in {expr}")
    e = re.sub(r"\b0([0-7]+)\b", r"0o\1", e)
    e = e.replace("/", "//")
    return int(eval(e, {"__builtins__": {}}, env))


def rust_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    root = sys.argv[1]
    consts = load_constants(root)
    text = strip_comments(open(os.path.join(root, "src", "config.c")).read())
    enums = {}
    for m in re.finditer(r"configEnum\s+(\w+)\[\]\s*=\s*\{(.*?)\};", text, re.S):
        items = []
        for im in re.finditer(r'\{\s*"([^"]+)"\s*,\s*([^}]+)\}', m.group(2)):
            items.append((im.group(1), evaluate(im.group(2), consts)))
        enums[m.group(1)] = items
    body = text[text.index("standardConfig static_configs[]"):]
    body = body[:body.index("};")]
    out = []
    for m in re.finditer(r"create(\w+)Config\(", body):
        kind = m.group(1)
        start = m.end()
        depth, i = 1, start
        while depth:
            depth += {"(": 1, ")": -1}.get(body[i], 0)
            i += 1
        a = split_args(body[start:i - 1])
        name = a[0].strip('"')
        alias = "" if a[1] == "NULL" else a[1].strip('"')
        flags = 0
        for f in re.split(r"\s*\|\s*", a[2]):
            if f in FLAG_NAMES:
                flags |= 1 << FLAG_NAMES.index(f)
            elif f not in ("MODIFIABLE_CONFIG", "0"):
                raise ValueError(f"flag {f}")
        if kind == "Bool":
            k = f"Kind::Bool {{ default: {'true' if evaluate(a[4], consts) else 'false'} }}"
        elif kind in ("String", "SDS"):
            default = a[5]
            if re.fullmatch(r"[A-Z_][A-Z0-9_]*", default) and default != "NULL":
                # A macro naming a string literal (CONFIG_DEFAULT_PROC_TITLE_TEMPLATE).
                default = consts["__raw__"][default]
            default = "" if default == "NULL" else default.strip('"')
            empty_null = a[3] == "EMPTY_STRING_IS_NULL"
            k = f"Kind::Str {{ default: {rust_str(default)}, empty_is_null: {'true' if empty_null else 'false'} }}"
        elif kind == "Enum":
            items = enums[a[3]]
            dv = evaluate(a[5], consts)
            names = ", ".join(f"({rust_str(n)}, {v})" for n, v in items)
            k = f"Kind::Enum {{ values: &[{names}], default: {dv} }}"
        elif kind == "Special":
            k = "Kind::Special"
        else:
            lower, upper, default = evaluate(a[3], consts), evaluate(a[4], consts), evaluate(a[6], consts)
            conf_type = a[7]
            unit = {"INTEGER_CONFIG": "Unit::Plain", "MEMORY_CONFIG": "Unit::Memory",
                    "PERCENT_CONFIG": "Unit::Percent", "OCTAL_CONFIG": "Unit::Octal"}
            units = [unit[u.strip()] for u in conf_type.split("|")]
            u = units[0] if len(units) == 1 else "Unit::MemoryOrPercent"
            signed = kind in ("Int", "LongLong", "SSizeT", "TimeT", "OffT")
            lower = max(lower, -2**63)
            upper = min(upper, 2**63 - 1) if signed or upper < 2**63 else upper
            k = (f"Kind::Num {{ min: {lower}, max: {upper if upper < 2**63 else 'i128::from(u64::MAX)'}, "
                 f"default: {default}, unit: {u} }}").replace("i128::from(u64::MAX)", "18446744073709551615")
        out.append(f"    ParamDef {{ name: {rust_str(name)}, alias: {rust_str(alias)}, flags: {flags}, kind: {k} }},\n")
    w = sys.stdout.write
    w("// @generated by scripts/gen-config-table.py from Redis 7.2's parameter table.\n")
    w("// Do not edit by hand; regenerate instead.\n\n")
    w("use super::registry::{Kind, ParamDef, Unit};\n\n")
    w("/// Every Redis 7.2 configuration parameter.\n")
    w("pub static PARAMS: &[ParamDef] = &[\n")
    w("".join(out))
    w("];\n")


if __name__ == "__main__":
    main()
