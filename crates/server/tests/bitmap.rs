//! Bitmap commands, differentially against redis-server: SETBIT, GETBIT,
//! BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO with every option,
//! their error texts and the order errors are found in, offsets at the
//! `proto-max-bulk-len` limit, encodings, TTLs, keyspace events, WATCH,
//! the dirty counter, long strings (the word-at-a-time loops), and a
//! seeded random sequence.
//!
//! Reproduce a failure of the random test with the printed seed:
//! `LODESTONE_BITMAP_SEED=<seed> cargo test -p lodestone-server --test bitmap`
//! (`LODESTONE_BITMAP_STEPS` changes the number of commands).

mod common;

use common::{differential_script, start_lodestone, start_pair, Conn, Pair};
use lodestone_protocol::frame::Frame;

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned()
}

fn show_args(args: &[&[u8]]) -> Vec<String> {
    args.iter().map(|a| show(&a[..a.len().min(60)])).collect()
}

impl Pair {
    /// Runs one command on both servers, asserts identical reply bytes and
    /// returns them.
    fn same(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let a = self.ours.cmd_bytes(args);
        let b = self.oracle.cmd_bytes(args);
        assert!(
            a == b,
            "reply differs for {:?}:\n  ours:  {:?}\n  redis: {:?}",
            show_args(args),
            show(&a),
            show(&b)
        );
        a
    }

    /// [`Pair::same`] with text arguments.
    fn same_str(&mut self, args: &[&str]) -> Vec<u8> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.same(&args)
    }

    /// Another connection to each server.
    fn second(&self) -> (Conn, Conn) {
        (
            Conn::connect(self.lodestone.port),
            Conn::connect(self.redis.port),
        )
    }
}

#[test]
fn setbit_and_getbit_match_redis() {
    differential_script(
        r#"
        SETBIT k 7 1
        GET k
        SETBIT k 7 1
        SETBIT k 7 0
        GETBIT k 7
        SETBIT k 1 1
        GETBIT k 1
        GETBIT k 8
        GETBIT k 100000
        GETBIT k 4294967295
        GETBIT missing 5
        EXISTS missing
        SETBIT k 100 1
        STRLEN k
        GET k
        OBJECT ENCODING k
        SET n 12345
        GETBIT n 2
        GETBIT n 3
        GETBIT n 39
        GETBIT n 40
        OBJECT ENCODING n
        SETBIT n 6 1
        GET n
        OBJECT ENCODING n
        SET e foo
        OBJECT ENCODING e
        SETBIT e 0 0
        OBJECT ENCODING e
        GET e
        SETBIT fresh 0 0
        EXISTS fresh
        GET fresh
        OBJECT ENCODING fresh
        SETBIT fresh 23 0
        GET fresh
        SETBIT k -1 1
        SETBIT k 4294967296 1
        SETBIT k 9223372036854775807 1
        SETBIT k 9223372036854775808 1
        SETBIT k 4294967295 2
        SETBIT k abc 1
        SETBIT k 1.5 1
        SETBIT k "" 1
        SETBIT k #1 1
        SETBIT k " 1" 1
        SETBIT k 01 1
        SETBIT k 0 -1
        SETBIT k 0 2
        SETBIT k 0 3
        SETBIT k 0 abc
        SETBIT k 0 ""
        SETBIT k 0 01
        SETBIT k 0 1.0
        GETBIT k -1
        GETBIT k 4294967296
        GETBIT k abc
        GETBIT k #0
        LPUSH l a
        SETBIT l 0 1
        GETBIT l 0
        SETBIT l -1 1
        SETBIT l 0 5
        GETBIT l -1
        SETEX t 1000 a
        SETBIT t 0 1
        TTL t
        GET t
        setbit lower 3 1
        GET lower
        SETBIT
        SETBIT k 1
        GETBIT k
        GETBIT k 1 2
        "#,
    );
}

#[test]
fn bitcount_matches_redis() {
    differential_script(
        r#"
        BITCOUNT missing
        BITCOUNT missing 0
        BITCOUNT missing 0 1 hello
        BITCOUNT missing a b
        BITCOUNT missing 0 1000 bit
        SET s foobar
        BITCOUNT s
        BITCOUNT s 0 -1
        BITCOUNT s 1 -2
        BITCOUNT s -2 1
        BITCOUNT s 0 1000
        BITCOUNT s -1000 -1
        BITCOUNT s -1000 -1000
        BITCOUNT s 4 10
        BITCOUNT s -6 -7
        BITCOUNT s -6 -7 hello
        BITCOUNT s -6 -7 bit
        BITCOUNT s -6 -15 bit
        BITCOUNT s 0 -1 bit
        BITCOUNT s 10 14 BIT
        BITCOUNT s 3 14 bit
        BITCOUNT s 3 29 bit
        BITCOUNT s 10 -34 bit
        BITCOUNT s 3 -19 bit
        BITCOUNT s -2 1 bit
        BITCOUNT s 0 1000 bit
        BITCOUNT s 32 87 bit
        BITCOUNT s 5 5 bit
        BITCOUNT s 47 47 bit
        BITCOUNT s 48 48 bit
        BITCOUNT s 0 -1 byte
        BITCOUNT s 0 -1 BYTE
        BITCOUNT s 0 -1 "bit\x00zz"
        BITCOUNT s 0
        BITCOUNT s 0 1 hello
        BITCOUNT s 0 1 bit extra
        BITCOUNT s 0 1 2 3 4
        BITCOUNT s a 1
        BITCOUNT s 0 b
        BITCOUNT s 1.5 2
        BITCOUNT s 0 9223372036854775807
        BITCOUNT s -9223372036854775808 -1
        BITCOUNT s -9223372036854775808 9223372036854775807 bit
        BITCOUNT s 9223372036854775807 -9223372036854775808 bit
        BITCOUNT s 0 4294967296
        SET n 1234567
        BITCOUNT n
        BITCOUNT n 1 2 bit
        BITCOUNT n -2 -1
        SET empty ""
        BITCOUNT empty
        BITCOUNT empty 0 -1
        BITCOUNT empty 0 -1 bit
        BITCOUNT empty -1 -1
        LPUSH l a
        BITCOUNT l
        BITCOUNT l 0
        BITCOUNT l a b
        SET misaligned "__PPxxxxxxxxxxxxxxxxRR__"
        BITCOUNT misaligned 2 -3
        BITCOUNT misaligned 2 -3 bit
        BITCOUNT misaligned 13 170 bit
        SET str ab
        BITCOUNT str 1 -1
        SET bin "\xaa\x00\xff\x55\x01\x80\xfe\x7f\xff\xff\xff\xff\xff\xff\xff\xff\xff\x0f"
        BITCOUNT bin
        BITCOUNT bin 1 16
        BITCOUNT bin 3 141 bit
        BITCOUNT bin 7 8 bit
        BITCOUNT
        "#,
    );
}

#[test]
fn bitpos_matches_redis() {
    differential_script(
        r#"
        BITPOS missing 0
        BITPOS missing 1
        BITPOS missing 1 0 -1
        BITPOS missing 0 0 -1 bit
        BITPOS missing 1 x y z
        BITPOS missing 2
        BITPOS missing -1
        BITPOS missing x
        BITPOS missing 01
        SET s "\xff\xf0\x00"
        BITPOS s 0
        BITPOS s 1
        BITPOS s 0 1
        BITPOS s 0 0 -1 bit
        BITPOS s 0 1 -1 bit
        BITPOS s 0 12 12 bit
        BITPOS s 0 11 11 bit
        BITPOS s 1 2
        BITPOS s 1 2 -1
        BITPOS s 0 2 -1
        BITPOS s 1 -1
        BITPOS s 1 -100
        BITPOS s 0 100
        SET ones "\xff\xff\xff"
        BITPOS ones 0
        BITPOS ones 0 0
        BITPOS ones 0 2
        BITPOS ones 0 3
        BITPOS ones 0 -1
        BITPOS ones 0 0 -1
        BITPOS ones 0 0 -1 bit
        BITPOS ones 0 0 -1 byte
        BITPOS ones 0 0 100
        BITPOS ones 0 5 10 bit
        BITPOS ones 1 5 10 bit
        BITPOS ones 1 23 23 bit
        BITPOS ones 0 23 100 bit
        SET str "\x00\xff\x00"
        BITPOS str 0 0 -1
        BITPOS str 0 1 -1
        BITPOS str 0 2 -1
        BITPOS str 0 2 200
        BITPOS str 0 1 1
        BITPOS str 1 0 -1
        BITPOS str 1 1 -1
        BITPOS str 1 2 -1
        BITPOS str 1 2 200
        BITPOS str 1 1 1
        BITPOS str 0 8 8 bit
        BITPOS str 1 8 8 bit
        BITPOS str 1 16 200 bit
        BITPOS str 0 16 200 bit
        BITPOS str 0 8 -1 bit
        BITPOS str 0 -3 -2 bit
        BITPOS str 1 -20 -9 bit
        BITPOS str 1 -20 -10 bit
        BITPOS str 1 3 1
        BITPOS str 1 -1 -2
        BITPOS str 0 -1 -2
        BITPOS str 1 9 14 bit
        BITPOS str 0 9 14 bit
        BITPOS str 0 7 16 bit
        BITPOS str 1 7 16 bit
        BITPOS str 1 -9223372036854775808 9223372036854775807 bit
        BITPOS str 0 9223372036854775807
        SET empty ""
        BITPOS empty 0
        BITPOS empty 1
        BITPOS empty 0 0
        BITPOS empty 0 0 -1 bit
        BITPOS empty 1 0 -1 bit
        BITPOS str 1 0 -1 hello
        BITPOS str 1 0 x hello
        BITPOS str 1 x 1 hello
        BITPOS str 1 0 x
        BITPOS str 1 x
        BITPOS str 1 0 1 bit extra
        BITPOS str 1 0 1 "BIT\x00x"
        BITPOS str 3
        LPUSH l a
        BITPOS l 1
        BITPOS l 0 x
        BITPOS l 2
        SET n 1234
        BITPOS n 1
        BITPOS n 0
        BITPOS n 0 1 2
        SET z "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
        BITPOS z 1
        BITPOS z 0
        BITPOS z 1 3
        BITPOS z 1 3 25
        BITPOS z 1 3 -1 bit
        BITPOS z 1 3 214 bit
        BITPOS z 1 3 215 bit
        SET f "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x0f"
        BITPOS f 0
        BITPOS f 0 1
        BITPOS f 0 9 -1 bit
        BITPOS f 0 9 183 bit
        BITPOS f 0 9 184 bit
        BITPOS f 0 9 22
        BITPOS f 1 23
        BITPOS
        BITPOS f
        "#,
    );
}

#[test]
fn bitop_matches_redis() {
    differential_script(
        r#"
        SET a "\x01\x02\xff\xff"
        SET b "\x01\x02\xff"
        BITOP AND dest a b
        GET dest
        OBJECT ENCODING dest
        BITOP or dest a b
        GET dest
        BITOP XoR dest a b
        GET dest
        BITOP NOT dest a
        GET dest
        BITOP AND dest a
        GET dest
        BITOP NOT dest a b
        BITOP NOT dest
        BITOP AND dest
        BITOP NAND dest a
        BITOP "and\x00x" dest a
        BITOP "" dest a
        BITOP AND dest missing a
        GET dest
        BITOP OR dest missing a missing2
        GET dest
        BITOP XOR dest missing a
        GET dest
        BITOP OR dest missing missing2
        EXISTS dest
        BITOP OR dest missing
        EXISTS dest
        SET n1 1
        SET n2 2
        BITOP XOR dest n1 n2 n1
        GET dest
        OBJECT ENCODING dest
        SET big 123456789012345
        BITOP AND dest big a
        GET dest
        LPUSH l x
        BITOP AND dest a l
        BITOP AND dest l missing
        BITOP NOT dest l
        GET dest
        BITOP AND l a
        TYPE l
        GET l
        SETEX ttl 1000 x
        BITOP OR ttl a
        TTL ttl
        GET ttl
        BITOP NOT a a
        GET a
        SET e ""
        BITOP NOT dest e
        EXISTS dest
        BITOP AND dest e e
        SET x "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
        BITOP OR dest x missing
        GET dest
        SET p "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
        SET q "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba9876543210"
        BITOP AND dest p q
        GET dest
        BITOP OR dest p q a
        GET dest
        BITOP XOR dest p q p q p
        GET dest
        BITOP NOT dest p
        GET dest
        BITOP AND dest p q missing
        GET dest
        BITOP
        BITOP AND
        "#,
    );
}

#[test]
fn bitfield_matches_redis() {
    differential_script(
        r#"
        BITFIELD bits SET i8 0 -100
        BITFIELD bits SET i8 0 101
        BITFIELD bits GET i8 0
        BITFIELD bits set u8 0 255 incrby u8 0 100 get u8 0
        BITFIELD bits set i8 0 255 set i8 0 100 get i8 0
        OBJECT ENCODING bits
        BITFIELD bits
        BITFIELD_RO bits
        BITFIELD nokey
        EXISTS nokey
        BITFIELD nokey GET u8 0 GET i64 100 GET u63 #7
        EXISTS nokey
        BITFIELD nokey OVERFLOW FAIL OVERFLOW SAT
        EXISTS nokey
        BITFIELD_RO nokey GET u8 0
        BITFIELD abc SET u8 #0 65 SET u8 #1 66 SET u8 #2 67
        GET abc
        BITFIELD abc GET u8 #1 GET i4 #3 GET u16 #1 GET u2 #0
        BITFIELD o SET u8 #0 100
        BITFIELD o OVERFLOW WRAP INCRBY u8 #0 257
        BITFIELD o GET u8 #0
        BITFIELD o OVERFLOW wrap INCRBY u8 #0 255
        BITFIELD o OVERFLOW SAT INCRBY u8 #0 257
        BITFIELD o OVERFLOW sat INCRBY u8 #0 -300
        BITFIELD o OVERFLOW FAIL INCRBY u8 #0 256 GET u8 #0
        BITFIELD o OVERFLOW fail INCRBY u8 #0 -1 INCRBY u8 #0 1 OVERFLOW SAT INCRBY u8 #0 -5 OVERFLOW WRAP INCRBY u8 #0 -5
        BITFIELD s SET i8 #0 100
        BITFIELD s OVERFLOW WRAP INCRBY i8 #0 257
        BITFIELD s OVERFLOW WRAP INCRBY i8 #0 255
        BITFIELD s OVERFLOW SAT INCRBY i8 #0 257 INCRBY i8 #0 -255
        BITFIELD s OVERFLOW FAIL INCRBY i8 #0 -1 INCRBY i8 #0 300 GET i8 #0
        BITFIELD x SET i64 0 9223372036854775807
        BITFIELD x INCRBY i64 0 1
        BITFIELD x OVERFLOW SAT INCRBY i64 0 -1 INCRBY i64 0 -9223372036854775808
        BITFIELD x OVERFLOW FAIL INCRBY i64 0 -9223372036854775808
        BITFIELD x OVERFLOW SAT INCRBY i64 0 9223372036854775807 INCRBY i64 0 9223372036854775807
        BITFIELD x OVERFLOW FAIL INCRBY i64 0 1
        BITFIELD x SET i64 0 -9223372036854775808 GET i64 0 GET u63 0 GET u63 1
        BITFIELD x OVERFLOW SAT SET i8 0 -9223372036854775808
        BITFIELD x OVERFLOW SAT SET i8 0 9223372036854775807
        BITFIELD x OVERFLOW WRAP SET i8 0 -9223372036854775808
        BITFIELD x OVERFLOW FAIL SET i8 0 -9223372036854775808
        BITFIELD x OVERFLOW SAT SET i8 0 -129 SET i8 0 128 SET i8 0 -128
        BITFIELD x OVERFLOW SAT SET u8 0 -1
        BITFIELD x OVERFLOW WRAP SET u8 0 -1
        BITFIELD x OVERFLOW FAIL SET u8 0 -1 SET u8 0 256 SET u8 0 255
        BITFIELD x SET u63 0 9223372036854775807 GET u63 0 INCRBY u63 0 1
        BITFIELD x OVERFLOW SAT INCRBY u63 0 9223372036854775807 INCRBY u63 0 -9223372036854775808
        BITFIELD x OVERFLOW FAIL INCRBY u63 0 -1 INCRBY u63 0 -9223372036854775808
        BITFIELD x SET i1 0 -1 GET i1 0 SET u1 0 1 INCRBY i1 0 1 INCRBY u1 0 1
        BITFIELD x OVERFLOW SAT INCRBY i1 0 5 INCRBY i1 0 -5 INCRBY u1 0 5 INCRBY u1 0 -5
        BITFIELD x OVERFLOW FAIL INCRBY i1 0 1 INCRBY i1 0 -1 SET i1 0 1 SET i1 0 -2
        BITFIELD x SET i64 3 -2 GET i64 3 GET u63 4 GET i8 66
        GET x
        BITFIELD y SET i13 5 -1000 GET i13 5 GET u13 5 GET u7 9
        GET y
        BITFIELD y INCRBY i13 5 0 INCRBY u2 200 1
        GET y
        BITFIELD e GET u64 0
        BITFIELD e GET i65 0
        BITFIELD e GET i0 0
        BITFIELD e GET u-1 0
        BITFIELD e GET x8 0
        BITFIELD e GET I8 0
        BITFIELD e GET U8 0
        BITFIELD e GET u 0
        BITFIELD e GET "" 0
        BITFIELD e GET i08 0
        BITFIELD e GET "i8\x00z" 0
        BITFIELD e GET "i\x008" 0
        BITFIELD e GET u8 -1
        BITFIELD e GET u8 #-1
        BITFIELD e GET u8 ##1
        BITFIELD e GET u8 #
        BITFIELD e GET u8 ""
        BITFIELD e GET u8 1.0
        BITFIELD e GET u8 4294967295
        BITFIELD e GET u8 4294967296
        BITFIELD e GET u8 #536870911
        BITFIELD e GET u8 #536870912
        BITFIELD e GET i64 #67108863
        BITFIELD e GET i64 #67108864
        BITFIELD e GET i64 #9223372036854775807
        BITFIELD e GET u8 #2305843009213693952
        BITFIELD e GET u8 #2305843009213693953
        BITFIELD e SET u8 0 abc
        BITFIELD e SET u8 0 9223372036854775808
        BITFIELD e SET u8 0
        BITFIELD e INCRBY u8 0 1.5
        BITFIELD e INCRBY u8 0
        BITFIELD e GET u8
        BITFIELD e GET
        BITFIELD e OVERFLOW
        BITFIELD e OVERFLOW BAD
        BITFIELD e OVERFLOW BAD GET u8 x
        BITFIELD e OVERFLOW "sat\x00x" GET u8 0
        BITFIELD e "get\x00x" u8 0
        BITFIELD e FOO
        BITFIELD e GET u8 0 FOO
        BITFIELD e GET u8 0 SET u8 x 1
        BITFIELD e SET u8 0 1 GET u9 0 SET u8 0
        EXISTS e
        LPUSH l a
        BITFIELD l GET u8 0
        BITFIELD l SET u8 0 1
        BITFIELD l
        BITFIELD l OVERFLOW SAT
        BITFIELD l GET x8 0
        BITFIELD_RO l GET u8 0
        BITFIELD_RO l SET u8 0 1
        BITFIELD_RO bits SET u8 0 100 GET u8 0
        BITFIELD_RO bits INCRBY u8 0 1
        BITFIELD_RO bits OVERFLOW SAT GET u8 0
        BITFIELD_RO bits SET u8 0 1 GET x8 0
        BITFIELD_RO bits GET u8 0 GET i4 4
        BITFIELD_RO bits FOO
        BITFIELD f OVERFLOW FAIL SET u2 0 10
        EXISTS f
        GET f
        BITFIELD f2 OVERFLOW FAIL INCRBY i4 100 -9
        GET f2
        SET num 12345
        BITFIELD num GET u8 0 GET u8 8 GET u8 40
        OBJECT ENCODING num
        BITFIELD_RO num GET u16 0
        OBJECT ENCODING num
        BITFIELD num SET u8 0 49
        OBJECT ENCODING num
        GET num
        SETEX t 1000 a
        BITFIELD t SET u8 8 66
        TTL t
        GET t
        BITFIELD mystring SET i8 0 10 SET i8 64 10 INCRBY i8 10 99900
        GET mystring
        SET one 1
        BITFIELD one GET u1 0
        BITFIELD
        BITFIELD_RO
        "#,
    );
}

#[test]
fn offsets_at_the_limit_match_redis() {
    differential_script(
        r#"
        CONFIG SET proto-max-bulk-len 1048576
        SETBIT k 8388608 1
        GETBIT k 8388608
        SETBIT k 8388607 1
        STRLEN k
        GETBIT k 8388607
        BITCOUNT k
        BITPOS k 1
        BITPOS k 0 -1
        BITPOS k 1 -1 -1 bit
        BITFIELD k GET u8 #1048575 SET i64 8388607 -1
        STRLEN k
        BITCOUNT k
        BITCOUNT k -9 -1
        BITFIELD k GET u8 #1048576
        BITFIELD k GET i64 #131071 GET i64 #131072
        BITFIELD k SET i64 #131071 5
        BITFIELD k SET u8 #1048576 5
        BITFIELD k2 SET i64 8388607 -1
        STRLEN k2
        BITFIELD k3 INCRBY u63 8388600 1
        STRLEN k3
        GETBIT k3 8388662
        BITOP NOT k4 k3
        BITCOUNT k4
        BITPOS k4 0
        CONFIG SET proto-max-bulk-len 536870912
        GETBIT k 4294967295
        GETBIT k 4294967296
        BITFIELD k GET u8 4294967295 GET u8 #536870911
        "#,
    );
}

/// SETBIT to the last bit the default `proto-max-bulk-len` allows makes a
/// 512 MB string, which the other commands then read in full.
#[test]
fn setbit_reaches_the_last_allowed_bit() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let int = |f: Frame| match f {
        Frame::Integer(n) => n,
        other => panic!("expected an integer, got {other:?}"),
    };
    assert_eq!(int(c.cmd(&["SETBIT", "big", "4294967295", "1"])), 0);
    assert_eq!(int(c.cmd(&["STRLEN", "big"])), 536_870_912);
    assert_eq!(int(c.cmd(&["GETBIT", "big", "4294967295"])), 1);
    assert_eq!(int(c.cmd(&["BITCOUNT", "big"])), 1);
    assert_eq!(int(c.cmd(&["BITPOS", "big", "1"])), 4_294_967_295);
    assert_eq!(int(c.cmd(&["BITPOS", "big", "0", "-1"])), 4_294_967_288);
    assert_eq!(
        c.cmd(&["SETBIT", "big", "4294967296", "1"]),
        common::err("ERR bit offset is not an integer or out of range")
    );
    assert_eq!(int(c.cmd(&["BITOP", "NOT", "big", "big"])), 536_870_912);
    assert_eq!(int(c.cmd(&["BITCOUNT", "big"])), 4_294_967_295);
    assert_eq!(int(c.cmd(&["DEL", "big"])), 1);
}

/// Bytes that exercise word boundaries: long runs of zeros and ones with
/// a few scattered bytes.
fn pattern(len: usize, rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let run = rng.usize(1..5000).min(len - out.len());
        let fill = match rng.u8(..3) {
            0 => 0x00,
            1 => 0xFF,
            _ => rng.u8(..),
        };
        out.extend(std::iter::repeat_n(fill, run));
        if out.len() < len {
            out.push(rng.u8(..));
        }
    }
    out
}

/// BITCOUNT, BITPOS and BITOP over strings of about a megabyte (where the
/// word-at-a-time loops do the work), at ranges of every alignment.
#[test]
fn long_strings_match_redis() {
    let Some(mut p) = start_pair(&[], false) else {
        return;
    };
    let mut rng = fastrand::Rng::with_seed(0xB175);
    let lens = [1_048_576usize, 1_000_003, 777_777];
    for (i, len) in lens.iter().enumerate() {
        let value = pattern(*len, &mut rng);
        let key = format!("long{i}");
        p.same(&[b"SET", key.as_bytes(), &value]);
    }
    // Mostly ones, with the first zero deep inside; and the reverse.
    let mut ones = vec![0xFFu8; 600_001];
    ones[599_990] = 0xFB;
    p.same(&[b"SET", b"ones", &ones]);
    let mut zeros = vec![0u8; 600_001];
    zeros[599_993] = 0x04;
    p.same(&[b"SET", b"zeros", &zeros]);
    for key in ["long0", "long1", "long2", "ones", "zeros"] {
        p.same_str(&["BITCOUNT", key]);
        p.same_str(&["BITPOS", key, "0"]);
        p.same_str(&["BITPOS", key, "1"]);
        for _ in 0..40 {
            let a = rng.i64(-1_100_000..1_100_000).to_string();
            let b = rng.i64(-1_100_000..1_100_000).to_string();
            let abit = rng.i64(-9_000_000..9_000_000).to_string();
            let bbit = rng.i64(-9_000_000..9_000_000).to_string();
            p.same_str(&["BITCOUNT", key, &a, &b]);
            p.same_str(&["BITCOUNT", key, &abit, &bbit, "BIT"]);
            p.same_str(&["BITPOS", key, "1", &a]);
            p.same_str(&["BITPOS", key, "0", &a, &b]);
            p.same_str(&["BITPOS", key, "1", &abit, &bbit, "BIT"]);
            p.same_str(&["BITPOS", key, "0", &abit, &bbit, "BIT"]);
        }
    }
    for op in ["AND", "OR", "XOR"] {
        p.same_str(&["BITOP", op, "dest", "long0", "long1", "missing", "long2"]);
        p.same_str(&["BITCOUNT", "dest"]);
        p.same_str(&["GET", "dest"]);
        p.same_str(&["BITOP", op, "dest", "long2", "ones", "zeros"]);
        p.same_str(&["GET", "dest"]);
    }
    p.same_str(&["BITOP", "NOT", "dest", "long1"]);
    p.same_str(&["GET", "dest"]);
    p.same_str(&["BITOP", "NOT", "long1", "long1"]);
    p.same_str(&["GET", "long1"]);
}

/// Reads pub/sub messages until the keyevent of `SET <sentinel>`, and
/// returns (channel, payload) of each notification before it.
fn drain_events(sub: &mut Conn, sentinel: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut events = Vec::new();
    loop {
        let Frame::Array(parts) = sub.read() else {
            panic!("expected a pub/sub message");
        };
        let [_, _, Frame::Bulk(channel), Frame::Bulk(payload)] = &parts[..] else {
            panic!("unexpected message {parts:?}");
        };
        if channel.ends_with(b":set") && payload == sentinel.as_bytes() {
            return events;
        }
        events.push((channel.clone(), payload.clone()));
    }
}

/// Keyspace events: `setbit` only when a bit or the length changes, `set`
/// and `del` for BITOP's destination, `new` for created keys, none for
/// reads or failed writes.
#[test]
fn keyspace_events_match_redis() {
    let Some(mut p) = start_pair(&[], false) else {
        return;
    };
    p.same_str(&["CONFIG", "SET", "notify-keyspace-events", "KEg$n"]);
    let (mut sub_ours, mut sub_oracle) = p.second();
    for sub in [&mut sub_ours, &mut sub_oracle] {
        sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
    }
    let script: &[&[&str]] = &[
        &["SETBIT", "k", "3", "1"],
        &["SETBIT", "k", "3", "1"],
        &["SETBIT", "k", "3", "0"],
        &["SETBIT", "k", "100", "0"],
        &["SETBIT", "k", "-1", "0"],
        &["GETBIT", "k", "3"],
        &["BITCOUNT", "k"],
        &["BITPOS", "k", "1"],
        &["BITOP", "OR", "d", "k", "missing"],
        &["BITOP", "OR", "d", "missing"],
        &["BITOP", "OR", "d", "missing"],
        &["BITFIELD", "f", "GET", "u8", "0"],
        &["BITFIELD", "f", "SET", "u8", "0", "0"],
        &["BITFIELD", "f", "SET", "u8", "0", "0"],
        &[
            "BITFIELD", "f", "SET", "u8", "0", "1", "INCRBY", "u8", "0", "1",
        ],
        &[
            "BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "-5",
        ],
        &[
            "BITFIELD", "g", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "-5",
        ],
        &["BITFIELD_RO", "f", "GET", "u8", "0"],
        &["BITFIELD", "f", "INCRBY", "u8", "0", "0"],
    ];
    for (i, cmd) in script.iter().enumerate() {
        p.same_str(cmd);
        let sentinel = format!("sentinel{i}");
        p.same_str(&["SET", &sentinel, "x"]);
        let ours = drain_events(&mut sub_ours, &sentinel);
        let theirs = drain_events(&mut sub_oracle, &sentinel);
        assert_eq!(
            ours,
            theirs,
            "events differ after {cmd:?}: ours {:?}",
            ours.iter()
                .map(|(c, p)| show(c) + " " + &show(p))
                .collect::<Vec<_>>()
        );
    }
}

/// WATCH sees only real changes: a SETBIT or BITFIELD that changes no bit
/// and no length leaves the transaction alone.
#[test]
fn watch_matches_redis() {
    let Some(mut p) = start_pair(&[], false) else {
        return;
    };
    let (mut other_ours, mut other_oracle) = p.second();
    p.same_str(&["SET", "w", "abc"]);
    let writes: &[&[&str]] = &[
        &["SETBIT", "w", "0", "0"],
        &["SETBIT", "w", "0", "1"],
        &["BITFIELD", "w", "SET", "u8", "#1", "98"],
        &["BITFIELD", "w", "SET", "u8", "#1", "99"],
        &["BITFIELD", "w", "GET", "u8", "#1"],
        &[
            "BITFIELD", "w", "OVERFLOW", "FAIL", "INCRBY", "u8", "#1", "1000",
        ],
        &["SETBIT", "w", "40", "0"],
        &["BITOP", "AND", "w", "w"],
        &["BITOP", "AND", "nothing", "missing"],
        &["BITOP", "AND", "w", "missing"],
        // Creates the key but changes no field: Redis signals nothing.
        &[
            "BITFIELD", "g", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "-5",
        ],
        &[
            "BITFIELD", "g", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "5",
        ],
    ];
    for write in writes {
        p.same_str(&["WATCH", "w", "nothing", "g"]);
        p.same_str(&["MULTI"]);
        p.same_str(&["PING"]);
        let args: Vec<&[u8]> = write.iter().map(|a| a.as_bytes()).collect();
        let a = other_ours.cmd_bytes(&args);
        let b = other_oracle.cmd_bytes(&args);
        assert_eq!(show(&a), show(&b), "{write:?}");
        p.same_str(&["EXEC"]);
    }
}

/// `rdb_changes_since_last_save` from INFO.
fn changes(c: &mut Conn) -> i64 {
    let Frame::Bulk(info) = c.cmd(&["INFO", "persistence"]) else {
        panic!("INFO did not reply with a bulk string");
    };
    let text = String::from_utf8_lossy(&info).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("rdb_changes_since_last_save in INFO")
}

/// The dirty counter grows as Redis's does: by one per SETBIT that
/// changes something, by one per changing BITFIELD write, once per BITOP.
#[test]
fn dirty_counter_matches_redis() {
    let Some(mut p) = start_pair(&[], false) else {
        return;
    };
    let script: &[&[&str]] = &[
        &["SETBIT", "foo", "0", "0"],
        &["SETBIT", "foo", "0", "0"],
        &["SETBIT", "foo", "0", "1"],
        &["SETBIT", "foo", "90", "0"],
        &["BITFIELD", "foo2", "SET", "i5", "0", "0"],
        &["BITFIELD", "foo2", "SET", "i5", "0", "0"],
        &[
            "BITFIELD", "foo2", "SET", "i5", "0", "1", "SET", "i5", "0", "1",
        ],
        &[
            "BITFIELD", "foo2", "SET", "i5", "90", "0", "SET", "i5", "0", "0",
        ],
        &[
            "BITFIELD", "foo3", "INCRBY", "i5", "0", "1", "INCRBY", "i5", "0", "1",
        ],
        &[
            "BITFIELD", "foo3", "INCRBY", "i5", "0", "0", "GET", "u8", "0",
        ],
        &[
            "BITFIELD", "foo4", "OVERFLOW", "FAIL", "SET", "u2", "0", "9",
        ],
        &["BITOP", "AND", "d", "foo", "foo2"],
        &["BITOP", "AND", "d", "missing"],
        &["BITOP", "AND", "d", "missing"],
        &["BITCOUNT", "foo"],
    ];
    for cmd in script {
        let before = (changes(&mut p.ours), changes(&mut p.oracle));
        p.same_str(cmd);
        let after = (changes(&mut p.ours), changes(&mut p.oracle));
        assert_eq!(
            after.0 - before.0,
            after.1 - before.1,
            "dirty delta differs for {cmd:?}"
        );
    }
}

/// Random choices for the random test.
struct Draw {
    rng: fastrand::Rng,
}

impl Draw {
    fn key(&mut self) -> String {
        format!("b{}", self.rng.usize(..5))
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.rng.usize(..options.len())]
    }

    /// A bit offset: mostly small, sometimes past the strings, rarely bad.
    fn bit_offset(&mut self) -> String {
        match self.rng.u8(..40) {
            0 => "-1".into(),
            1 => "x".into(),
            2..=4 => self.rng.u64(200..3000).to_string(),
            _ => self.rng.u64(..200).to_string(),
        }
    }

    /// A range index, in bytes or bits.
    fn index(&mut self, bits: bool) -> String {
        let span = if bits { 260 } else { 34 };
        match self.rng.u8(..50) {
            0 => "9223372036854775807".into(),
            1 => "-9223372036854775808".into(),
            2 => "y".into(),
            _ => self.rng.i64(-span..span).to_string(),
        }
    }

    /// A BITFIELD type, sometimes an invalid one.
    fn field_type(&mut self) -> String {
        match self.rng.u8(..30) {
            0 => "u64".into(),
            1 => "i0".into(),
            _ if self.rng.bool() => format!("i{}", self.rng.u32(1..=64)),
            _ => format!("u{}", self.rng.u32(1..=63)),
        }
    }

    /// A BITFIELD value: small, near a power of two, or an i64 extreme.
    fn field_value(&mut self) -> String {
        match self.rng.u8(..12) {
            0 => i64::MAX.to_string(),
            1 => i64::MIN.to_string(),
            2 | 3 => {
                let p = 1i64 << self.rng.u32(0..63);
                (p + self.rng.i64(-2..=2)).to_string()
            }
            4 | 5 => (-(1i64 << self.rng.u32(0..63)) + self.rng.i64(-2..=2)).to_string(),
            _ => self.rng.i64(-300..300).to_string(),
        }
    }

    /// A string value: binary, text, an integer, or empty.
    fn value(&mut self) -> Vec<u8> {
        match self.rng.u8(..6) {
            0 => Vec::new(),
            1 => self.rng.i64(..).to_string().into_bytes(),
            2 => b"foobar".to_vec(),
            _ => {
                let len = self.rng.usize(1..40);
                (0..len)
                    .map(|_| match self.rng.u8(..4) {
                        0 => 0,
                        1 => 0xFF,
                        _ => self.rng.u8(..),
                    })
                    .collect()
            }
        }
    }

    fn step(&mut self) -> Vec<Vec<u8>> {
        let mut s: Vec<String> = Vec::new();
        match self.rng.u8(..22) {
            0..=3 => {
                let bit = self.pick(&["0", "1", "1", "1", "2"]);
                s.extend(["SETBIT".into(), self.key(), self.bit_offset(), bit.into()]);
            }
            4 | 5 => s.extend(["GETBIT".into(), self.key(), self.bit_offset()]),
            6 | 7 => {
                s.extend(["BITCOUNT".into(), self.key()]);
                if self.rng.u8(..4) > 0 {
                    let bits = self.rng.bool();
                    s.extend([self.index(bits), self.index(bits)]);
                    if bits || self.rng.bool() {
                        s.push(self.pick(&["BIT", "byte", "bit", "BYTE"]).into());
                    }
                }
            }
            8..=10 => {
                let bit = self.pick(&["0", "1", "0", "1", "3"]);
                s.extend(["BITPOS".into(), self.key(), bit.into()]);
                let bits = self.rng.u8(..3) == 0;
                let extra = if bits { 3 } else { self.rng.usize(..3) };
                if extra >= 1 {
                    s.push(self.index(bits));
                }
                if extra >= 2 {
                    s.push(self.index(bits));
                }
                if extra == 3 {
                    s.push(self.pick(&["BIT", "BYTE", "bit"]).into());
                }
            }
            11 | 12 => {
                let op = self.pick(&["AND", "OR", "XOR", "NOT", "and"]);
                s.extend(["BITOP".into(), op.into(), self.key()]);
                let n = if op == "NOT" && self.rng.u8(..8) > 0 {
                    1
                } else {
                    self.rng.usize(1..4)
                };
                for _ in 0..n {
                    s.push(self.key());
                }
            }
            13..=16 => {
                s.extend([
                    self.pick(&["BITFIELD", "BITFIELD", "BITFIELD_RO"]).into(),
                    self.key(),
                ]);
                for _ in 0..self.rng.usize(..4) {
                    let t = self.field_type();
                    let at = if self.rng.u8(..4) == 0 {
                        format!("#{}", self.rng.u32(..20))
                    } else {
                        self.rng.u32(..180).to_string()
                    };
                    match self.rng.u8(..7) {
                        0 => {
                            let mode = self.pick(&["WRAP", "SAT", "FAIL", "fail", "sat"]);
                            s.extend(["OVERFLOW".into(), mode.into()]);
                        }
                        1 | 2 => s.extend(["GET".into(), t, at]),
                        3 | 4 => s.extend(["SET".into(), t, at, self.field_value()]),
                        _ => s.extend(["INCRBY".into(), t, at, self.field_value()]),
                    }
                }
            }
            17 => {
                let (a, b) = (self.index(false), self.index(false));
                s.extend(["GETRANGE".into(), self.key(), a, b]);
            }
            18 => {
                let mut args = vec![b"SET".to_vec(), self.key().into_bytes(), self.value()];
                if self.rng.u8(..5) == 0 {
                    args[0] = b"APPEND".to_vec();
                }
                return args;
            }
            19 => s.extend(["GET".into(), self.key()]),
            20 => s.extend(["DEL".into(), self.key()]),
            _ => {
                if self.rng.u8(..4) == 0 {
                    s.extend(["RPUSH".into(), self.key(), "x".into()]);
                } else {
                    s.extend(["STRLEN".into(), self.key()]);
                }
            }
        }
        s.into_iter().map(String::into_bytes).collect()
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn run_random(seed: u64, steps: usize, resp3: bool) {
    let Some(mut p) = start_pair(&[], resp3) else {
        return;
    };
    eprintln!(
        "bitmap random: seed {seed}, {steps} steps, RESP{}",
        if resp3 { 3 } else { 2 }
    );
    let mut d = Draw {
        rng: fastrand::Rng::with_seed(seed),
    };
    let mut history: Vec<Vec<String>> = Vec::new();
    let mut errors = 0;
    for i in 0..steps {
        let args = d.step();
        let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        history.push(show_args(&refs));
        let a = p.ours.cmd_bytes(&refs);
        let b = p.oracle.cmd_bytes(&refs);
        if a != b {
            let recent = &history[history.len().saturating_sub(15)..];
            panic!(
                "seed {seed} step {i}: reply differs for {:?}\n  ours:  {:?}\n  redis: {:?}\nrecent commands:\n  {recent:?}",
                show_args(&refs),
                show(&a),
                show(&b)
            );
        }
        errors += usize::from(a.starts_with(b"-"));
    }
    eprintln!("bitmap random: {errors} of {steps} replies were errors");
    // The values left behind are the same too.
    for k in 0..5 {
        p.same_str(&["GET", &format!("b{k}")]);
    }
}

#[test]
fn random_bitmap_commands_match_redis() {
    let seed = env_or("LODESTONE_BITMAP_SEED", 0xB17_5EED_u64);
    let steps = env_or("LODESTONE_BITMAP_STEPS", 4000usize);
    run_random(seed, steps, false);
    run_random(seed.wrapping_add(1), steps / 2, true);
}
