//! String commands, differentially against redis-server in RESP2 and RESP3:
//! every option of GET/SET and their invalid combinations, the SET
//! variants, GETEX/GETDEL/GETSET, MGET/MSET/MSETNX, APPEND, STRLEN,
//! SETRANGE/GETRANGE/SUBSTR, the counters, INCRBYFLOAT, LCS and the
//! int/embstr/raw encodings OBJECT ENCODING reports.
//!
//! Script syntax (see `common::parse_script_line`): one command per line
//! in redis-cli quoting; `~` compares integers with a tolerance (TTLs).

mod common;

use common::differential_script;

#[test]
fn get_and_set_options() {
    differential_script(
        r#"
        GET missing
        SET k v
        GET k
        SET k ""
        GET k
        SET "bin\x00ary" "v\x00\xff\r\n"
        GET "bin\x00ary"
        set k lower
        get k
        # NX and XX
        SET nx1 a NX
        SET nx1 b NX
        GET nx1
        SET xx1 a XX
        GET xx1
        SET nx1 c XX
        GET nx1
        SET nx1 c xx
        SET k v NX XX
        SET k v XX NX
        SET k v NX NX
        SET k v XX XX
        # GET
        SET g1 old GET
        SET g1 new GET
        GET g1
        SET g1 newer NX GET
        GET g1
        SET g1 x XX GET
        SET gmiss x XX GET
        GET gmiss
        SET gmiss2 x NX GET
        GET gmiss2
        SET g1 y GET GET
        SET g1 12 GET
        SET g1 13 GET
        # Relative and absolute expiry
        SET e1 v EX 100
        ~TTL e1
        SET e1 v PX 100000
        ~PTTL e1
        SET e1 v EXAT 4102444800
        EXPIRETIME e1
        SET e1 v PXAT 4102444800123
        PEXPIRETIME e1
        SET e1 v2 KEEPTTL
        PEXPIRETIME e1
        GET e1
        SET e1 v3
        TTL e1
        SET e1 v ex 100
        ~TTL e1
        SET e1 v EX 10 EX 200
        ~TTL e1
        SET e1 v PX 10 PX 200000
        ~PTTL e1
        SET e1 v EX 100 GET
        SET e1 v GET PX 100000 NX
        SET e1 v GET PX 100000 XX
        ~PTTL e1
        # Expired on arrival: OK, and the key is gone
        SET past v EXAT 1
        GET past
        EXISTS past
        SET past v PXAT 1
        GET past
        SET e1 v PXAT 1 XX GET
        GET e1
        # Invalid expiry values
        SET e2 v EX 0
        SET e2 v EX -1
        SET e2 v PX 0
        SET e2 v PX -100
        SET e2 v EXAT 0
        SET e2 v PXAT -1
        SET e2 v EX abc
        SET e2 v EX 1.5
        SET e2 v EX ""
        SET e2 v EX 9223372036854775807
        SET e2 v EX 9223372036854776
        SET e2 v PX 9223372036854775807
        SET e2 v EXAT 9223372036854775807
        SET e2 v PXAT 9223372036854775807
        SET e2 v EX 99999999999999999999
        GET e2
        # Invalid combinations
        SET e2 v EX
        SET e2 v PX
        SET e2 v EX 100 PX 100
        SET e2 v PX 100 EX 100
        SET e2 v EX 100 EXAT 4102444800
        SET e2 v PXAT 4102444800000 EXAT 4102444800
        SET e2 v EX 100 KEEPTTL
        SET e2 v KEEPTTL EX 100
        SET e2 v KEEPTTL PXAT 4102444800000
        SET e2 v KEEPTTL KEEPTTL
        SET e2 v PERSIST
        SET e2 v badopt
        SET e2 v NX badopt
        SET e2 v EX 100 extra
        SET e2 v GET GET EX 100 NX
        GET e2
        SET e2
        GET
        GET a b
        "#,
    );
}

#[test]
fn set_variants() {
    differential_script(
        r#"
        SETNX n1 a
        SETNX n1 b
        GET n1
        SETNX
        SETEX s1 100 v
        ~TTL s1
        GET s1
        SETEX s1 0 v
        SETEX s1 -5 v
        SETEX s1 abc v
        SETEX s1 9223372036854775807 v
        SETEX s1 100
        PSETEX p1 100000 v
        ~PTTL p1
        GET p1
        PSETEX p1 0 v
        PSETEX p1 -1 v
        PSETEX p1 1.5 v
        PSETEX p1 9223372036854775807 v
        # GETSET replaces value and drops the TTL
        GETSET gs1 a
        GETSET gs1 b
        SET gs1 c EX 100
        GETSET gs1 d
        TTL gs1
        GETSET gs1
        # GETDEL
        SET gd v
        GETDEL gd
        GETDEL gd
        EXISTS gd
        SET gd 42
        GETDEL gd
        GETDEL
        "#,
    );
}

#[test]
fn getex_options() {
    differential_script(
        r#"
        GETEX missing
        GETEX missing EX 100
        GETEX missing PERSIST
        GETEX missing EX 0
        GETEX missing EX abc
        GETEX missing badopt
        SET k v
        GETEX k
        TTL k
        GETEX k EX 100
        ~TTL k
        GETEX k PX 200000
        ~PTTL k
        GETEX k EXAT 4102444800
        EXPIRETIME k
        GETEX k PXAT 4102444800555
        PEXPIRETIME k
        GETEX k PERSIST
        TTL k
        GETEX k PERSIST
        GETEX k ex 50
        ~TTL k
        GETEX k EX 10 EX 20
        ~TTL k
        # Invalid values and combinations
        GETEX k EX 0
        GETEX k EX -1
        GETEX k PX 0
        GETEX k EXAT 0
        GETEX k EX abc
        GETEX k EX 9223372036854775807
        GETEX k PX 9223372036854775807
        GETEX k EX
        GETEX k EX 10 PX 10
        GETEX k EX 10 PERSIST
        GETEX k PERSIST EX 10
        GETEX k PERSIST PERSIST
        GETEX k KEEPTTL
        GETEX k NX
        GETEX k GET
        GETEX k badopt
        ~TTL k
        # An absolute time in the past deletes the key
        GETEX k EXAT 1
        EXISTS k
        SET k2 12
        GETEX k2 PXAT 1
        GET k2
        SET k3 v
        GETEX k3 PX 1 PERSIST
        GETEX
        "#,
    );
}

#[test]
fn multi_key_strings() {
    differential_script(
        r#"
        MGET a b c
        MSET a 1 b 2
        MGET a b c a
        MSET a x a y
        GET a
        MSET a
        MSET a 1 b
        MSET
        MSETNX c 3 d 4
        MGET c d
        MSETNX d 5 e 6
        MGET d e
        MSETNX e 1 e 2
        GET e
        MSETNX f
        MSETNX f 1 g
        SET t v EX 100
        MSET t w
        TTL t
        "#,
    );
}

#[test]
fn append_strlen_and_ranges() {
    differential_script(
        r#"
        APPEND a hello
        APPEND a " world"
        GET a
        STRLEN a
        STRLEN missing
        APPEND n 12
        APPEND n 34
        GET n
        SET i 100
        APPEND i 5
        GET i
        STRLEN i
        SET big 12345678901234567890
        STRLEN big
        APPEND e ""
        GET e
        EXISTS e
        SET t v EX 100
        APPEND t x
        ~TTL t
        # SETRANGE
        SETRANGE s 0 abc
        SETRANGE s 5 xyz
        GET s
        SETRANGE s 1 ""
        SETRANGE missing 5 ""
        EXISTS missing
        SETRANGE missing 0 ""
        SETRANGE s -1 x
        SETRANGE s abc x
        SETRANGE s 536870911 x
        SETRANGE s 536870912 x
        SETRANGE s 9223372036854775807 x
        SETRANGE s 1.5 x
        SET n2 12345
        SETRANGE n2 2 X
        GET n2
        SETRANGE s 2
        # GETRANGE and SUBSTR
        SET r "Hello World"
        GETRANGE r 0 4
        GETRANGE r -5 -1
        GETRANGE r 0 -1
        GETRANGE r 0 100
        GETRANGE r 5 2
        GETRANGE r -1 -5
        GETRANGE r -100 -50
        GETRANGE r -100 2
        GETRANGE r 3 -100
        GETRANGE r 100 200
        GETRANGE r -1 0
        GETRANGE r 0 0
        GETRANGE r 10 10
        GETRANGE r 11 11
        GETRANGE r 9223372036854775807 -9223372036854775808
        GETRANGE r -9223372036854775808 9223372036854775807
        GETRANGE missing 0 -1
        GETRANGE r a 1
        GETRANGE r 0 b
        SET num 123456
        GETRANGE num 1 3
        GETRANGE num -2 -1
        SET empty ""
        GETRANGE empty 0 -1
        GETRANGE empty -1 0
        SUBSTR r 0 4
        SUBSTR r -3 -1
        SUBSTR r x 1
        GETRANGE r 0
        "#,
    );
}

#[test]
fn integer_counters() {
    differential_script(
        r#"
        INCR c
        INCR c
        DECR c
        DECR c
        DECR c
        INCRBY c 10
        INCRBY c -20
        DECRBY c 5
        DECRBY c -5
        GET c
        INCRBY c abc
        INCRBY c 1.5
        INCRBY c ""
        INCRBY c " 1"
        INCRBY c "1 "
        INCRBY c +1
        INCRBY c 9223372036854775808
        DECRBY c -9223372036854775808
        DECRBY c abc
        SET max 9223372036854775807
        INCR max
        INCRBY max 0
        DECR max
        INCR max
        SET min -9223372036854775808
        DECR min
        INCRBY min -1
        DECRBY min 1
        DECRBY x -9223372036854775807
        DECRBY x 9223372036854775807
        SET s hello
        INCR s
        DECR s
        INCRBY s 1
        SET sp " 1"
        INCR sp
        SET lead 01
        INCR lead
        SET neg0 -0
        INCR neg0
        SET plus +5
        INCR plus
        SET f 1.5
        INCR f
        SET e ""
        INCR e
        SET long 123456789012345678901
        INCR long
        SET t 5 EX 100
        INCR t
        ~TTL t
        INCR
        INCRBY c
        DECRBY c
        "#,
    );
}

#[test]
fn incrbyfloat() {
    differential_script(
        r#"
        INCRBYFLOAT f 10.5
        INCRBYFLOAT f 0.1
        INCRBYFLOAT f -5
        INCRBYFLOAT f 1e3
        INCRBYFLOAT f 5.0e3
        INCRBYFLOAT f -1.5E2
        GET f
        INCRBYFLOAT g 3.0
        GET g
        INCRBYFLOAT h 0.1
        INCRBYFLOAT h 0.2
        INCRBYFLOAT h 1e-20
        INCRBYFLOAT i 1.23456789012345678
        INCRBYFLOAT j 1e300
        INCRBYFLOAT j 1e300
        INCRBYFLOAT k 1.7976931348623157e308
        INCRBYFLOAT k 1.7976931348623157e308
        GET k
        INCRBYFLOAT l -0
        INCRBYFLOAT l 0
        INCRBYFLOAT f abc
        INCRBYFLOAT f ""
        INCRBYFLOAT f " 1"
        INCRBYFLOAT f "1 "
        INCRBYFLOAT f inf
        INCRBYFLOAT f -inf
        INCRBYFLOAT f +inf
        INCRBYFLOAT f nan
        INCRBYFLOAT f 0x10
        INCRBYFLOAT f 1e
        INCRBYFLOAT f .5
        INCRBYFLOAT f 5.
        INCRBYFLOAT f +.5e1
        GET f
        SET s hello
        INCRBYFLOAT s 1
        SET n 10
        INCRBYFLOAT n 0.5
        SET n2 " 10"
        INCRBYFLOAT n2 1
        SET n3 "10 "
        INCRBYFLOAT n3 1
        SET n4 1e5
        INCRBYFLOAT n4 1
        SET n5 inf
        INCRBYFLOAT n5 1
        SET n6 9223372036854775807
        INCRBYFLOAT n6 1
        SET n7 -0.000
        INCRBYFLOAT n7 0
        SET t 1 EX 100
        INCRBYFLOAT t 1
        ~TTL t
        INCRBYFLOAT
        INCRBYFLOAT f
        "#,
    );
}

#[test]
fn lcs() {
    differential_script(
        r#"
        MSET key1 ohmytext key2 mynewtext
        LCS key1 key2
        LCS key1 key2 LEN
        LCS key1 key2 IDX
        LCS key1 key2 IDX MINMATCHLEN 4
        LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN
        LCS key1 key2 IDX WITHMATCHLEN
        LCS key1 key2 WITHMATCHLEN
        LCS key1 key2 MINMATCHLEN 2
        LCS key1 key2 idx minmatchlen -5 withmatchlen
        LCS key1 key2 IDX MINMATCHLEN 0
        LCS key1 key2 IDX MINMATCHLEN 100
        LCS key1 key2 LEN IDX
        LCS key1 key2 IDX LEN
        LCS key1 key2 LEN LEN
        LCS key1 key2 MINMATCHLEN
        LCS key1 key2 MINMATCHLEN abc
        LCS key1 key2 badopt
        LCS key1 missing
        LCS missing1 missing2 IDX
        LCS missing1 missing2 LEN
        LCS key1 key1 IDX WITHMATCHLEN
        MSET a 1234567890 b 0987654321
        LCS a b IDX WITHMATCHLEN
        MSET x "rosetta code" y "raisethysword"
        LCS x y
        LCS x y IDX WITHMATCHLEN
        MSET p "" q abc
        LCS p q
        LCS p q IDX
        LCS key1
        "#,
    );
}

#[test]
fn object_encoding_transitions() {
    differential_script(
        r#"
        OBJECT ENCODING missing
        SET k 123
        OBJECT ENCODING k
        SET k -123
        OBJECT ENCODING k
        SET k 9223372036854775807
        OBJECT ENCODING k
        SET k 9223372036854775808
        OBJECT ENCODING k
        SET k -9223372036854775808
        OBJECT ENCODING k
        SET k 0123
        OBJECT ENCODING k
        SET k -0
        OBJECT ENCODING k
        SET k "+1"
        OBJECT ENCODING k
        SET k " 1"
        OBJECT ENCODING k
        SET k 1.5
        OBJECT ENCODING k
        SET k hello
        OBJECT ENCODING k
        SET k ""
        OBJECT ENCODING k
        # The 44/45 byte embstr boundary
        SET k 12345678901234567890123456789012345678901234
        OBJECT ENCODING k
        SET k 123456789012345678901234567890123456789012345
        OBJECT ENCODING k
        SET k aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        OBJECT ENCODING k
        SET k aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        OBJECT ENCODING k
        # In-place modification makes raw; counters make int
        SET k abc
        APPEND k d
        OBJECT ENCODING k
        SET k 12
        APPEND k 3
        OBJECT ENCODING k
        GET k
        INCR k
        OBJECT ENCODING k
        SET k abc
        SETRANGE k 0 x
        OBJECT ENCODING k
        SETRANGE fresh 0 x
        OBJECT ENCODING fresh
        APPEND fresh2 abc
        OBJECT ENCODING fresh2
        APPEND fresh3 123
        OBJECT ENCODING fresh3
        SET k "10"
        INCRBY k 5
        OBJECT ENCODING k
        INCRBYFLOAT k 1.5
        OBJECT ENCODING k
        INCRBYFLOAT k 0.5
        OBJECT ENCODING k
        SET k 5
        INCRBYFLOAT k 1
        OBJECT ENCODING k
        GETSET k 77
        OBJECT ENCODING k
        MSET m1 1 m2 abc m3 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        OBJECT ENCODING m1
        OBJECT ENCODING m2
        OBJECT ENCODING m3
        SETNX sn 42
        OBJECT ENCODING sn
        SETEX se 100 42
        OBJECT ENCODING se
        SET k 1
        COPY k k2
        OBJECT ENCODING k2
        RENAME k2 k3
        OBJECT ENCODING k3
        OBJECT ENCODING
        OBJECT ENCODING a b
        "#,
    );
}

#[test]
fn wrong_type_errors() {
    differential_script(
        r#"
        HSET h f v
        GET h
        SET h v GET
        GET h
        HSET h f v
        SET h v NX GET
        SET h v XX GET
        GETEX h
        GETEX h EX 100
        GETEX h PERSIST
        GETDEL h
        GETSET h v
        HSET h2 f v
        MGET h2 missing
        MSETNX h2 v
        APPEND h2 x
        STRLEN h2
        SETRANGE h2 0 x
        SETRANGE h2 0 ""
        GETRANGE h2 0 -1
        SUBSTR h2 0 -1
        INCR h2
        DECR h2
        INCRBY h2 1
        DECRBY h2 1
        INCRBY h2 abc
        INCRBYFLOAT h2 1
        INCRBYFLOAT h2 abc
        SET s v
        LCS h2 s
        LCS s h2
        LCS h2 missing LEN
        SETNX h2 v
        TYPE h2
        SET h2 v
        TYPE h2
        "#,
    );
}
