//! Function libraries (FUNCTION LOAD/DELETE/LIST/FLUSH/DUMP/RESTORE/STATS/
//! KILL, FCALL, FCALL_RO), differentially against redis-server where the
//! two agree byte for byte, plus what only Lodestone can show: payloads
//! moving between the servers, busy functions and their kill rules.
//!
//! Script syntax (see `common::parse_script_line`): one command per line
//! in redis-cli quoting.

mod common;

use common::{differential_script, err, send, start_lodestone, start_redis, wait_busy, Conn};
use lodestone_protocol::frame::Frame;

#[test]
fn load_and_call() {
    differential_script(
        r##"
        FUNCTION LOAD "#!lua name=lib\nredis.register_function('hello', function(keys, args) return 'hello' end)"
        FCALL hello 0
        FCALL HELLO 0
        FUNCTION LOAD "#!lua name=lib\nredis.register_function('other', function() return 1 end)"
        FUNCTION LOAD REPLACE "#!lua name=lib\nredis.register_function('echo', function(keys, args) return {keys[1], args[1], #keys, #args} end)"
        FCALL hello 0
        FCALL echo 1 k1 a1 a2
        FCALL echo 0
        FCALL echo x
        FCALL echo 3 a
        FCALL echo -1
        FCALL nosuch 0
        FUNCTION LOAD "#!LUA NAME=\"quoted\"\nredis.register_function('q', function() return redis.call('ping') end)"
        FCALL q 0
        FUNCTION LOAD "#!lua name=writer\nredis.register_function('w', function(keys, args) return redis.call('set', keys[1], args[1]) end)"
        FCALL w 1 key value
        GET key
        FCALL_RO w 1 key value
        FUNCTION LOAD "#!lua name=reader\nredis.register_function{function_name='r', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}"
        FCALL_RO r 1 key
        FUNCTION LOAD "#!lua name=sneaky\nredis.register_function{function_name='s', callback=function(keys) return redis.call('set', keys[1], 'x') end, flags={'NO-WRITES'}}"
        FCALL s 1 key
        FUNCTION LOAD "#!lua name=resp3\nredis.register_function('m', function() redis.setresp(3); return redis.call('hgetall', 'h') end)"
        HSET h f v
        FCALL m 0
        FLUSHALL
        SCRIPT FLUSH
        FCALL hello 0
        FUNCTION DELETE writer
        FCALL w 1 key value
        FUNCTION DELETE writer
        FUNCTION STATS
        FUNCTION FLUSH
        FUNCTION STATS
        FUNCTION LIST
        FCALL hello 0
        "##,
    );
}

#[test]
fn load_errors_match_redis() {
    differential_script(
        r##"
        FUNCTION LOAD "return 1"
        FUNCTION LOAD "#!lua name=x"
        FUNCTION LOAD "#!lua\nreturn 1"
        FUNCTION LOAD "#!lua name=a name=b\n"
        FUNCTION LOAD "#!lua name=x foo=bar\n"
        FUNCTION LOAD "#! name=x\n"
        FUNCTION LOAD "#!js name=x\n"
        FUNCTION LOAD "#!lua name=bad-name\n"
        FUNCTION LOAD "#!lua name=x\nbad code"
        FUNCTION LOAD "#!lua name=x\nreturn 1"
        FUNCTION LOAD "#!lua name=x\nreturn math.random()"
        FUNCTION LOAD "#!lua name=x\nredis.call('ping')"
        FUNCTION LOAD "#!lua name=x\nredis.setresp(3)"
        FUNCTION LOAD "#!lua name=x\nx = 1"
        FUNCTION LOAD "#!lua name=x\nlocal t = getmetatable(_G)"
        FUNCTION LOAD "#!lua name=x\nredis.math.random()"
        FUNCTION LOAD "#!lua name=x\nlocal a = 1\nwhile 1 do a = a + 1 end"
        FUNCTION LOAD "#!lua name=x\nredis.register_function()"
        FUNCTION LOAD "#!lua name=x\nredis.register_function('a', function() end, 3)"
        FUNCTION LOAD "#!lua name=x\nredis.register_function('f')"
        FUNCTION LOAD "#!lua name=x\nredis.register_function({}, function() end)"
        FUNCTION LOAD "#!lua name=x\nredis.register_function('f', 1)"
        FUNCTION LOAD "#!lua name=x\nredis.register_function('', function() end)"
        FUNCTION LOAD "#!lua name=x\nredis.register_function('a-b', function() end)"
        FUNCTION LOAD "#!lua name=x\nredis.register_function('f', function() end)\nredis.register_function('f', function() end)"
        FUNCTION LOAD "#!lua name=x\nredis.register_function(1)"
        FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='f'}"
        FUNCTION LOAD "#!lua name=x\nredis.register_function{callback=function() end}"
        FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='f', callback=1}"
        FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name={}, callback=function() end}"
        FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, description={}}"
        FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags='no-writes'}"
        FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'bad'}}"
        FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={{}}}"
        FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, other=1}"
        FUNCTION LOAD "#!lua name=x\nredis.log(redis.LOG_NOTICE, 'loading')\nredis.register_function('f', function() return redis.REDIS_VERSION_NUM > 0 end)"
        FCALL f 0
        FUNCTION LOAD "#!lua name=x\nredis.register_function('g', function() end)"
        FUNCTION LOAD "#!lua name=y\nredis.register_function('F', function() end)"
        FUNCTION LOAD "#!lua name=x\nredis.register_function('f', function() end)"
        FUNCTION LOAD REPLACE "#!lua name=y\nredis.register_function('F', function() end)"
        FUNCTION LOAD REPLACE "#!lua name=x\nbad code"
        FCALL f 0
        FUNCTION LOAD foo "#!lua name=z\nredis.register_function('z', function() end)"
        FUNCTION LOAD REPLACE
        FUNCTION STATS
        "##,
    );
}

#[test]
fn runtime_errors_and_sandbox() {
    differential_script(
        r##"
        FUNCTION LOAD "#!lua name=lib\nlocal lib = redis\nredis.register_function('a', function() return x end)\nredis.register_function('b', function() return redis.call('nosuch') end)\nredis.register_function('c', function() lib.redis = redis end)\nredis.register_function('d', function() lib.register_function('e', function() end) end)\nredis.register_function('e', function() redis.register_function('z', function() end) end)\nredis.register_function('f', function() y = 1 end)\nredis.register_function('g', function() return KEYS end)\nredis.register_function('h', function() return redis.pcall('incr', 's') end)\nredis.register_function('i', function() return bit.band(7, 3) + cjson.decode('[1]')[1] end)"
        SET s notanumber
        FCALL a 0
        FCALL b 0
        FCALL c 0
        FCALL d 0
        FCALL e 0
        FCALL f 0
        FCALL g 0
        FCALL h 0
        FCALL i 0
        "##,
    );
}

#[test]
fn list_and_admin_errors() {
    differential_script(
        r##"
        FUNCTION LOAD "#!lua name=mylib\nredis.register_function{function_name='f1', callback=function() return 1 end, description='the first', flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}"
        FUNCTION LIST
        FUNCTION LIST WITHCODE
        FUNCTION LIST LIBRARYNAME my*
        FUNCTION LIST LIBRARYNAME MY* WITHCODE
        FUNCTION LIST LIBRARYNAME other*
        FUNCTION LIST LIBRARYNAME
        FUNCTION LIST WITHCODE WITHCODE
        FUNCTION LIST LIBRARYNAME a LIBRARYNAME b
        FUNCTION LIST bad
        FUNCTION DELETE nosuch
        FUNCTION KILL
        FUNCTION FLUSH bad
        FUNCTION FLUSH SYNC extra
        FUNCTION FLUSH ASYNC
        FUNCTION RESTORE bad_payload
        FUNCTION RESTORE a b c d
        FUNCTION RESTORE a bad
        FUNCTION NOSUCH
        "##,
    );
}

/// The payload of FUNCTION DUMP on `c`'s server.
fn dump(c: &mut Conn) -> Vec<u8> {
    match c.cmd(&["FUNCTION", "DUMP"]) {
        Frame::Bulk(p) => p,
        other => panic!("FUNCTION DUMP replied {other:?}"),
    }
}

fn restore(c: &mut Conn, payload: &[u8], policy: &[u8]) -> Frame {
    let mut args: Vec<&[u8]> = vec![b"FUNCTION", b"RESTORE", payload];
    if !policy.is_empty() {
        args.push(policy);
    }
    let raw = c.cmd_bytes(&args);
    lodestone_protocol::frame::parse(&raw)
        .expect("reply")
        .expect("complete")
        .0
}

/// Libraries travel by FUNCTION DUMP / RESTORE with every policy, and a
/// payload written by redis-server restores here to the same libraries.
#[test]
fn dump_and_restore() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let code = "#!lua name=lib1\nredis.register_function('f1', function() return 'one' end)\n-- padding so that the code is long enough to be compressed, padding padding padding";
    c.cmd(&["FUNCTION", "LOAD", code]);
    let payload = dump(&mut c);
    assert_eq!(payload[0], 245, "FUNCTION2 opcode");
    assert_eq!(
        restore(&mut c, &payload, b""),
        err("ERR Library lib1 already exists")
    );
    assert_eq!(restore(&mut c, &payload, b"REPLACE"), common::simple("OK"));
    c.cmd(&["FUNCTION", "FLUSH"]);
    assert_eq!(c.cmd(&["FUNCTION", "LIST"]), Frame::Array(vec![]));
    assert_eq!(restore(&mut c, &payload, b"APPEND"), common::simple("OK"));
    assert_eq!(c.cmd(&["FCALL", "f1", "0"]), common::bulk("one"));
    // A function name another library owns fails the whole restore.
    c.cmd(&["FUNCTION", "DELETE", "lib1"]);
    c.cmd(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=lib2\nredis.register_function('f1', function() return 'two' end)",
    ]);
    assert_eq!(
        restore(&mut c, &payload, b"REPLACE"),
        err("ERR Function f1 already exists")
    );
    assert_eq!(c.cmd(&["FCALL", "f1", "0"]), common::bulk("two"));
    assert_eq!(restore(&mut c, &payload, b"FLUSH"), common::simple("OK"));
    assert_eq!(c.cmd(&["FCALL", "f1", "0"]), common::bulk("one"));
    // A corrupted payload changes nothing.
    let mut bad = payload.clone();
    bad[3] ^= 0xFF;
    assert_eq!(
        restore(&mut c, &bad, b"FLUSH"),
        err("ERR DUMP payload version or checksum are wrong")
    );
    assert_eq!(c.cmd(&["FCALL", "f1", "0"]), common::bulk("one"));

    let Some(redis) = start_redis(&[]) else {
        return;
    };
    let mut r = Conn::connect(redis.port);
    r.cmd(&["FUNCTION", "LOAD", code]);
    r.cmd(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=lib3\nredis.register_function{function_name='f3', callback=function() return 3 end, flags={'no-writes'}, description='three'}",
    ]);
    let theirs = dump(&mut r);
    assert_eq!(restore(&mut c, &theirs, b"FLUSH"), common::simple("OK"));
    for name in ["lib1", "lib3"] {
        let list = ["FUNCTION", "LIST", "LIBRARYNAME", name, "WITHCODE"];
        assert_eq!(c.cmd(&list), r.cmd(&list), "{name}");
    }
    assert_eq!(c.cmd(&["FCALL_RO", "f3", "0"]), Frame::Integer(3));
}

/// A function past `busy-reply-threshold`: other clients get the function
/// flavour of BUSY, FUNCTION STATS shows it, SCRIPT KILL refuses it and
/// FUNCTION KILL stops it.
#[test]
fn busy_function_is_killed_by_function_kill() {
    let server = start_lodestone(&["--busy-reply-threshold", "50"]);
    let mut runner = Conn::connect(server.port);
    let mut probe = Conn::connect(server.port);
    runner.cmd(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=spin\nredis.register_function('spin', function() local a = 1 while true do a = a + 1 end end)",
    ]);
    send(&mut runner, &["FCALL", "spin", "0"]);
    assert_eq!(
        wait_busy(&mut probe),
        err("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
    );
    let Frame::Array(stats) = probe.cmd(&["FUNCTION", "STATS"]) else {
        panic!("FUNCTION STATS is not an array");
    };
    let Frame::Array(running) = &stats[1] else {
        panic!("no running_script: {stats:?}");
    };
    assert_eq!(running[1], common::bulk("spin"));
    assert_eq!(
        running[3],
        Frame::Array(vec![
            common::bulk("FCALL"),
            common::bulk("spin"),
            common::bulk("0")
        ])
    );
    assert!(matches!(running[5], Frame::Integer(ms) if ms >= 50));
    assert_eq!(
        probe.cmd(&["SCRIPT", "KILL"]),
        err("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
    );
    assert_eq!(probe.cmd(&["FUNCTION", "KILL"]), common::simple("OK"));
    match runner.read() {
        Frame::Error(e) => {
            let text = String::from_utf8_lossy(&e);
            assert!(
                text.starts_with("ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:"),
                "{text}"
            );
        }
        other => panic!("killed function replied {other:?}"),
    }
    assert_eq!(probe.cmd(&["PING"]), common::simple("PONG"));
}

/// FUNCTION KILL does not stop an EVAL script, and FUNCTION STATS refuses
/// to run while one is busy, as in Redis.
#[test]
fn function_kill_leaves_eval_scripts_alone() {
    let server = start_lodestone(&["--busy-reply-threshold", "50"]);
    let mut runner = Conn::connect(server.port);
    let mut probe = Conn::connect(server.port);
    send(&mut runner, &["EVAL", "while true do end", "0"]);
    wait_busy(&mut probe);
    let busy_eval = err(
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
    );
    assert_eq!(probe.cmd(&["FUNCTION", "KILL"]), busy_eval);
    assert_eq!(probe.cmd(&["FUNCTION", "STATS"]), busy_eval);
    assert_eq!(probe.cmd(&["SCRIPT", "KILL"]), common::simple("OK"));
    assert!(matches!(runner.read(), Frame::Error(_)));
}

/// INFO memory counts libraries and functions.
#[test]
fn info_counts_functions() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    c.cmd(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=lib\nredis.register_function('a', function() end)\nredis.register_function('b', function() end)",
    ]);
    let Frame::Bulk(info) = c.cmd(&["INFO", "memory"]) else {
        panic!("INFO is not a bulk string");
    };
    let info = String::from_utf8_lossy(&info);
    assert!(info.contains("number_of_functions:2\r\n"), "{info}");
    assert!(info.contains("number_of_libraries:1\r\n"), "{info}");
    let vm: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory_vm_functions:"))
        .and_then(|v| v.parse().ok())
        .expect("used_memory_vm_functions");
    assert!(vm > 0);
}
