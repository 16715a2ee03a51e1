//! Lua scripting (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT),
//! differentially against redis-server in RESP2 and RESP3: conversions in
//! both directions, error texts with script names and lines, the sandbox,
//! the `redis.*` API, the script cache, shebang flags, and the
//! coordination patterns applications build with scripts.
//!
//! Script syntax (see `common::parse_script_line`): one command per line
//! in redis-cli quoting.

mod common;

use common::{differential_script, send, start_lodestone, wait_blocked, wait_busy, Conn};
use lodestone_protocol::frame::Frame;

#[test]
fn lua_to_resp_conversions() {
    differential_script(
        r#"
        EVAL "return 1" 0
        EVAL "return -3.99" 0
        EVAL "return 'str'" 0
        EVAL "return true" 0
        EVAL "return false" 0
        EVAL "return nil" 0
        EVAL "return {1,2,3,'four',{5,{6}}}" 0
        EVAL "return {1,2,nil,4}" 0
        EVAL "return {}" 0
        EVAL "return {ok='fine'}" 0
        EVAL "return {ok='line\r\nbreak'}" 0
        EVAL "return {err='My Error'}" 0
        EVAL "return {err='CODE with code'}" 0
        EVAL "return redis.status_reply('STATUS')" 0
        EVAL "return redis.error_reply('ERR custom')" 0
        EVAL "return redis.error_reply('-NOCODE')" 0
        EVAL "return redis.error_reply('no code here')" 0
        EVAL "return redis.error_reply(1)" 0
        EVAL "return redis.status_reply()" 0
        EVAL "return {1, {err='nested error'}, 3}" 0
        EVAL "return 1e20" 0
        EVAL "return function() end" 0
        "#,
    );
}

#[test]
fn resp_to_lua_conversions() {
    differential_script(
        r#"
        SET s hello
        RPUSH l a b c
        HSET h f v
        EVAL "return redis.call('incr', KEYS[1])" 1 counter
        EVAL "local r = redis.call('incr', KEYS[1]); return type(r)" 1 counter
        EVAL "return redis.call('get', KEYS[1])" 1 s
        EVAL "local r = redis.call('get', 'missing'); return type(r) .. tostring(r)" 0
        EVAL "return redis.call('lrange', KEYS[1], 0, -1)" 1 l
        EVAL "local r = redis.call('set', 'x', 'y'); return {type(r), r.ok}" 0
        EVAL "local r = redis.pcall('incr', KEYS[1]); return {type(r), r.err}" 1 s
        EVAL "return redis.pcall('incr', KEYS[1])" 1 s
        EVAL "return redis.call('incr', KEYS[1])" 1 s
        EVAL "redis.call('incr', KEYS[1])" 1 s
        EVAL "return redis.call('hgetall', KEYS[1])" 1 h
        EVAL "redis.setresp(3); return redis.call('hgetall', KEYS[1])" 1 h
        EVAL "redis.setresp(3); local r = redis.call('hgetall', KEYS[1]); return r.map.f" 1 h
        EVAL "redis.setresp(3); return redis.call('get', 'missing')" 0
        EVAL "redis.setresp(3); return redis.call('zscore', 'missing', 'm')" 0
        ZADD z 1.5 m
        EVAL "redis.setresp(3); local r = redis.call('zscore', 'z', 'm'); return {type(r), tostring(r.double)}" 0
        EVAL "redis.setresp(3); return redis.call('zscore', 'z', 'm')" 0
        EVAL "redis.setresp(3); return true" 0
        EVAL "redis.setresp(3); return false" 0
        EVAL "redis.setresp(3); return {double=3.25}" 0
        EVAL "redis.setresp(3); return {map={a=1}}" 0
        EVAL "redis.setresp(3); return {set={a=true}}" 0
        EVAL "redis.setresp(3); return {big_number='12345678901234567890'}" 0
        EVAL "redis.setresp(3); return {verbatim_string={format='txt', string='hello'}}" 0
        EVAL "redis.setresp(4)" 0
        EVAL "redis.setresp()" 0
        EVAL "return redis.call('set', 'n', 3.5)" 0
        GET n
        EVAL "return redis.call('set', 'n', 100000000000)" 0
        GET n
        EVAL "return redis.call('set', 'n', {})" 0
        EVAL "return redis.call()" 0
        "#,
    );
}

#[test]
fn errors_name_the_script_and_line() {
    differential_script(
        r#"
        EVAL "return x" 0
        EVAL "x = 1" 0
        EVAL "redis.call = nil" 0
        EVAL "string.upper = nil" 0
        EVAL "\n\nerror('boom')" 0
        EVAL "error({err='TABLE error'})" 0
        EVAL "error('plain')" 0
        EVAL "return redis.call('nosuch')" 0
        EVAL "return redis.call('get')" 0
        EVAL "return redis.call('eval', 'return 1', 0)" 0
        EVAL "return redis.call('multi')" 0
        EVAL "return redis.sha1hex()" 0
        EVAL "return 'unterminated" 0
        EVAL "return pcall(function() redis.call('nosuch') end)" 0
        EVAL "return {pcall(function() error('x') end)}" 0
        EVAL "return loadstring('return 5')()" 0
        EVAL "return os" 0
        EVAL "return io" 0
        EVAL "return dofile" 0
        EVAL "return debug" 0
        EVAL "return type(print)" 0
        EVAL "return 1" -1
        EVAL "return 1" 2 a
        EVAL "return 1" x
        "#,
    );
}

#[test]
fn redis_api_and_libraries() {
    differential_script(
        r#"
        EVAL "return redis.sha1hex('')" 0
        EVAL "return redis.sha1hex('abc')" 0
        EVAL "return redis.sha1hex(1.5)" 0
        EVAL "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}" 0
        EVAL "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_REPLICA, redis.REPL_SLAVE, redis.REPL_ALL}" 0
        EVAL "redis.log(redis.LOG_DEBUG, 'from a script')" 0
        EVAL "redis.log('x', 'y')" 0
        EVAL "redis.log(9, 'y')" 0
        EVAL "redis.log(1)" 0
        EVAL "redis.set_repl(redis.REPL_ALL)" 0
        EVAL "redis.set_repl(8)" 0
        EVAL "return redis.replicate_commands()" 0
        EVAL "return redis.acl_check_cmd('get', 'k')" 0
        EVAL "return redis.acl_check_cmd('nosuch')" 0
        EVAL "return {math.random(10), math.random(5, 6)}" 0
        EVAL "math.randomseed(42); return {math.random(1000), math.random(1000)}" 0
        EVAL "return string.format('%d-%s', 5, 'x')" 0
        EVAL "return table.concat({'a','b'}, ',')" 0
        EVAL "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}" 2 k1 k2 a1 a2
        EVAL "return _G.redis ~= nil" 0
        SET k v
        SELECT 1
        EVAL "return redis.call('get', 'k')" 0
        SELECT 0
        EVAL "redis.call('select', 1); return redis.call('set', 'k', 'in db 1')" 0
        GET k
        "#,
    );
}

#[test]
fn script_cache_and_flags() {
    differential_script(
        r##"
        SCRIPT FLUSH
        SCRIPT LOAD "return 'cached'"
        EVALSHA 2f31ba2bb6d6a0f42cc159d2e2dad55440778de3 0
        EVALSHA 2F31BA2BB6D6A0F42CC159D2E2DAD55440778DE3 0
        SCRIPT EXISTS 2f31ba2bb6d6a0f42cc159d2e2dad55440778de3 ffffffffffffffffffffffffffffffffffffffff
        SCRIPT EXISTS 2F31BA2BB6D6A0F42CC159D2E2DAD55440778DE3
        EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
        EVALSHA short 0
        SCRIPT LOAD "return 'x"
        SCRIPT FLUSH ASYNC
        SCRIPT FLUSH SYNC
        SCRIPT FLUSH BAD
        SCRIPT EXISTS 2f31ba2bb6d6a0f42cc159d2e2dad55440778de3
        EVALSHA 2f31ba2bb6d6a0f42cc159d2e2dad55440778de3 0
        SCRIPT KILL
        EVAL_RO "return redis.call('get', 'k')" 1 k
        EVAL_RO "return redis.call('set', 'k', 'v')" 1 k
        EVAL_RO "return redis.call('publish', 'c', 'm')" 0
        EVAL "#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')" 1 k
        EVAL "#!lua flags=no-writes\nreturn redis.call('get', 'k')" 1 k
        EVAL "#!lua\nreturn redis.call('set', 'k', 'v')" 1 k
        EVAL_RO "#!lua\nreturn 1" 0
        EVAL_RO "#!lua flags=no-writes\nreturn 1" 0
        EVAL "#!lua flags=bogus\nreturn 1" 0
        EVAL "#!lua name=x\nreturn 1" 0
        EVAL "#!python\nreturn 1" 0
        EVAL "#!lua" 0
        EVAL "#!lua flags=allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 2" 0
        SCRIPT LOAD "#!lua flags=no-writes\nreturn 3"
        EVALSHA_RO 50ad2340de91fe7294d5c746ad721ff185c16fc5 0
        "##,
    );
}

#[test]
fn coordination_patterns() {
    differential_script(
        r#"
        # Distributed lock: SET NX PX, then compare-and-delete.
        SET lock:order:42 token-a NX PX 30000
        SET lock:order:42 token-b NX PX 30000
        EVAL "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end" 1 lock:order:42 token-b
        EVAL "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end" 1 lock:order:42 token-a
        EXISTS lock:order:42
        # Fixed-window rate limiter.
        SCRIPT LOAD "local n = redis.call('incr', KEYS[1]); if n == 1 then redis.call('expire', KEYS[1], ARGV[2]) end; if n > tonumber(ARGV[1]) then return 0 end; return 1"
        EVALSHA bd8105bf2706eb3793d718fd510a06067b9674b9 1 rl:user:1 2 60
        EVALSHA bd8105bf2706eb3793d718fd510a06067b9674b9 1 rl:user:1 2 60
        EVALSHA bd8105bf2706eb3793d718fd510a06067b9674b9 1 rl:user:1 2 60
        TTL rl:user:1
        # Idempotency: set once, report the first result.
        EVAL "if redis.call('set', KEYS[1], ARGV[1], 'NX', 'EX', 86400) then return 'new' else return redis.call('get', KEYS[1]) end" 1 idem:pay:9 charged
        EVAL "if redis.call('set', KEYS[1], ARGV[1], 'NX', 'EX', 86400) then return 'new' else return redis.call('get', KEYS[1]) end" 1 idem:pay:9 charged-again
        # Sliding-window limiter on a sorted set.
        EVAL "redis.call('zremrangebyscore', KEYS[1], 0, ARGV[1] - ARGV[2]); if redis.call('zcard', KEYS[1]) < tonumber(ARGV[3]) then redis.call('zadd', KEYS[1], ARGV[1], ARGV[4]); return 1 end; return 0" 1 sw 1000 100 2 r1
        EVAL "redis.call('zremrangebyscore', KEYS[1], 0, ARGV[1] - ARGV[2]); if redis.call('zcard', KEYS[1]) < tonumber(ARGV[3]) then redis.call('zadd', KEYS[1], ARGV[1], ARGV[4]); return 1 end; return 0" 1 sw 1010 100 2 r2
        EVAL "redis.call('zremrangebyscore', KEYS[1], 0, ARGV[1] - ARGV[2]); if redis.call('zcard', KEYS[1]) < tonumber(ARGV[3]) then redis.call('zadd', KEYS[1], ARGV[1], ARGV[4]); return 1 end; return 0" 1 sw 1020 100 2 r3
        EVAL "redis.call('zremrangebyscore', KEYS[1], 0, ARGV[1] - ARGV[2]); if redis.call('zcard', KEYS[1]) < tonumber(ARGV[3]) then redis.call('zadd', KEYS[1], ARGV[1], ARGV[4]); return 1 end; return 0" 1 sw 1200 100 2 r4
        ZRANGE sw 0 -1 WITHSCORES
        "#,
    );
}

/// A flash sale: 200 concurrent clients try to buy from a stock of 50 with
/// an atomic check-and-decrement script; exactly 50 succeed.
#[test]
fn inventory_decrement_under_concurrency() {
    let server = start_lodestone(&[]);
    let mut setup = Conn::connect(server.port);
    setup.cmd(&["SET", "stock", "50"]);
    let sha = match setup.cmd(&[
        "SCRIPT",
        "LOAD",
        "local n = tonumber(redis.call('get', KEYS[1])); if n > 0 then redis.call('decr', KEYS[1]); return 1 end; return 0",
    ]) {
        Frame::Bulk(b) => String::from_utf8(b).expect("hex sha"),
        other => panic!("SCRIPT LOAD replied {other:?}"),
    };
    let port = server.port;
    let buyers: Vec<_> = (0..200)
        .map(|_| {
            let sha = sha.clone();
            std::thread::spawn(move || {
                let mut c = Conn::connect(port);
                c.cmd(&["EVALSHA", &sha, "1", "stock"])
            })
        })
        .collect();
    let sold = buyers
        .into_iter()
        .map(|h| h.join().expect("buyer thread"))
        .filter(|r| *r == Frame::Integer(1))
        .count();
    assert_eq!(sold, 50);
    assert_eq!(setup.cmd(&["GET", "stock"]), Frame::Bulk(b"0".to_vec()));
}

/// A script's writes wake clients blocked on the key only after the
/// script ends, and the woken client sees the script's final state.
#[test]
fn blocked_clients_wake_after_the_script() {
    let server = start_lodestone(&[]);
    let mut blocked = Conn::connect(server.port);
    let mut writer = Conn::connect(server.port);
    send(&mut blocked, &["BLPOP", "q", "0"]);
    wait_blocked(&mut writer, 1);
    let r = writer.cmd(&[
        "EVAL",
        "redis.call('rpush', KEYS[1], 'a'); redis.call('rpush', KEYS[1], 'b'); redis.call('lpop', KEYS[1]); return redis.call('llen', KEYS[1])",
        "1",
        "q",
    ]);
    assert_eq!(r, Frame::Integer(1));
    assert_eq!(
        blocked.read(),
        Frame::Array(vec![Frame::Bulk(b"q".to_vec()), Frame::Bulk(b"b".to_vec())])
    );
}

/// A script returning a table that contains itself gets a bounded reply
/// ending in Redis's stack-limit error, and the connection stays usable.
#[test]
fn recursive_table_reply_is_bounded() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    send(
        &mut c,
        &[
            "EVAL",
            "local a = {}; local b = {a}; a[1] = b; return a",
            "0",
        ],
    );
    let drained = c.read_until_closed_or(Some(b"-ERR reached lua stack limit\r\n"));
    assert!(!drained.closed);
    let body = &drained.bytes[..drained.bytes.len() - b"-ERR reached lua stack limit\r\n".len()];
    assert!(!body.is_empty() && body.chunks(4).all(|c| c == b"*1\r\n"));
    assert_eq!(c.cmd(&["PING"]), Frame::Simple(b"PONG".to_vec()));
}

/// A script past `busy-reply-threshold` does not make the server
/// unresponsive: other clients get BUSY, SCRIPT KILL stops a script that
/// has not written, and the killed script's caller gets Redis's error.
#[test]
fn busy_script_can_be_killed() {
    let server = start_lodestone(&["--busy-reply-threshold", "50"]);
    let mut runner = Conn::connect(server.port);
    let mut probe = Conn::connect(server.port);
    assert_eq!(
        probe.cmd(&["SCRIPT", "KILL"]),
        common::err("NOTBUSY No scripts in execution right now.")
    );
    send(&mut runner, &["EVAL", "while true do end", "0"]);
    assert_eq!(
        wait_busy(&mut probe),
        common::err("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
    );
    assert_eq!(
        probe.cmd(&["SCRIPT", "KILL"]),
        Frame::Simple(b"OK".to_vec())
    );
    match runner.read() {
        Frame::Error(e) => {
            let text = String::from_utf8_lossy(&e);
            assert!(
                text.starts_with("ERR Script killed by user with SCRIPT KILL... script: ")
                    && text.ends_with(", on @user_script:1."),
                "{text}"
            );
        }
        other => panic!("killed script replied {other:?}"),
    }
    assert_eq!(probe.cmd(&["PING"]), Frame::Simple(b"PONG".to_vec()));
    assert_eq!(runner.cmd(&["PING"]), Frame::Simple(b"PONG".to_vec()));
}

/// A busy script that already wrote cannot be killed; SHUTDOWN NOSAVE
/// still stops the server.
#[test]
fn busy_script_that_wrote_is_unkillable() {
    let server = start_lodestone(&["--busy-reply-threshold", "50"]);
    let mut runner = Conn::connect(server.port);
    let mut probe = Conn::connect(server.port);
    send(
        &mut runner,
        &[
            "EVAL",
            "redis.call('set', 'x', '1'); while true do end",
            "0",
        ],
    );
    wait_busy(&mut probe);
    match probe.cmd(&["SCRIPT", "KILL"]) {
        Frame::Error(e) => {
            assert!(e.starts_with(b"UNKILLABLE Sorry the script already executed write commands"))
        }
        other => panic!("SCRIPT KILL replied {other:?}"),
    }
    send(&mut probe, &["SHUTDOWN", "NOSAVE"]);
    assert!(probe.read_until_closed_or(None).closed);
    assert!(runner.read_until_closed_or(None).closed);
}

/// Scripts that try to escape SCRIPT KILL are stopped anyway: a loop
/// inside a coroutine (Lua copies the hook into coroutines) and a loop
/// that catches the kill error with `pcall` (after a kill the hook raises
/// on every line, as Redis's does).
#[test]
fn busy_scripts_cannot_dodge_script_kill() {
    let server = start_lodestone(&["--busy-reply-threshold", "50"]);
    let mut probe = Conn::connect(server.port);
    for script in [
        "local co = coroutine.create(function() while true do end end) return coroutine.resume(co)",
        "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end",
    ] {
        let mut runner = Conn::connect(server.port);
        send(&mut runner, &["EVAL", script, "0"]);
        wait_busy(&mut probe);
        assert_eq!(
            probe.cmd(&["SCRIPT", "KILL"]),
            Frame::Simple(b"OK".to_vec()),
            "{script}"
        );
        runner.read();
        assert_eq!(runner.cmd(&["PING"]), Frame::Simple(b"PONG".to_vec()));
        assert_eq!(probe.cmd(&["PING"]), Frame::Simple(b"PONG".to_vec()));
    }
}

/// What a script can reach is read-only for every later script, as in
/// Redis: `rawset` and `setmetatable` on protected tables, the strings'
/// metatable, the globals' metatable; precompiled chunks are refused
/// (crafted bytecode can corrupt the interpreter).
#[test]
fn sandbox_cannot_be_tampered_with() {
    differential_script(
        r#"
        EVAL "rawset(redis, 'call', function() return 'hijacked' end) return 1" 0
        EVAL "return redis.call('ping')" 0
        EVAL "getmetatable('').__index = {} return 1" 0
        EVAL "return ('x'):upper()" 0
        EVAL "setmetatable(_G, {})" 0
        EVAL "local g = getmetatable(_G) g.__index = {}" 0
        EVAL "rawset(_G, 'x', 1)" 0
        EVAL "rawset(string, 'x', 1)" 0
        EVAL "return loadstring(string.dump(function() return 1 end))()" 0
        EVAL "\x1bLua\x51\x00" 0
        EVAL "local t = {} rawset(t, 'a', 1) setmetatable(t, {}) return t.a" 0
        EVAL "return loadstring('return 7')()" 0
        EVAL "local a = {} for i=1,7999 do a[i] = 1 end return redis.call('lpush', 'l', unpack(a))" 0
        EVAL "return redis.call('set', 'k', nil)" 0
        "#,
    );
}

/// The builtins' Lua environment (reachable with `getfenv` on the API's
/// Lua functions, which Redis 7.0 does not expose) holds nothing shared.
#[test]
fn original_globals_are_not_reachable() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let env = "return tostring(getfenv(redis.error_reply).string)";
    assert_eq!(c.cmd(&["EVAL", env, "0"]), Frame::Bulk(b"nil".to_vec()));
    let load = "return load(coroutine.wrap(function() coroutine.yield('return ') coroutine.yield('42') end))()";
    assert_eq!(c.cmd(&["EVAL", load, "0"]), Frame::Integer(42));
    let binary = "local once = string.dump(function() end) return select(2, load(function() local p = once once = nil return p end))";
    assert_eq!(
        c.cmd(&["EVAL", binary, "0"]),
        Frame::Bulk(b"(load):1: unexpected symbol near 'char(27)'".to_vec())
    );
}

/// `__gc` finalizers run whenever Lua allocates, including while
/// `redis.call` pushes a reply: a finalizer that calls `redis.call` then
/// is refused as a recursive call (as Redis refuses it), which leaves the
/// script's own calls' results intact; one that raises an error cuts that
/// push short, and later runs still work as usual.
#[test]
fn finalizers_during_redis_call_replies() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let items: Vec<String> = (0..100).map(|i| format!("item{i}")).collect();
    let mut rpush = vec!["RPUSH", "l"];
    rpush.extend(items.iter().map(String::as_str));
    assert_eq!(c.cmd(&rpush), Frame::Integer(100));
    let calling = "for i = 1, 300 do \
            local p = newproxy(true) \
            getmetatable(p).__gc = function() redis.pcall('incr', 'finalized') end \
        end \
        local n = 0 \
        for i = 1, 300 do n = n + #redis.call('lrange', KEYS[1], 0, -1) end \
        return n";
    assert_eq!(c.cmd(&["EVAL", calling, "1", "l"]), Frame::Integer(30_000));
    // Where a finalizer's error surfaces depends on when the collector
    // runs: only the server's state afterwards is checked.
    let raising = "local function run() \
            for i = 1, 300 do \
                local p = newproxy(true) \
                getmetatable(p).__gc = function() error('boom') end \
            end \
            for i = 1, 300 do pcall(redis.call, 'lrange', KEYS[1], 0, -1) end \
        end \
        pcall(run) \
        for i = 1, 1000 do if pcall(collectgarbage) then break end end \
        return 'done'";
    c.cmd(&["EVAL", raising, "1", "l"]);
    let after = "return #redis.call('lrange', KEYS[1], 0, -1)";
    assert_eq!(c.cmd(&["EVAL", after, "1", "l"]), Frame::Integer(100));
    assert_eq!(c.cmd(&["LLEN", "l"]), Frame::Integer(100));
}

/// A set sorted BY a constant is returned in ALPHA order to a script, so
/// the script's result does not depend on the set's internal order.
#[test]
fn unsorted_sort_of_a_set_is_ordered_for_scripts() {
    differential_script(
        r#"
        SADD myset a b c d e f g h i l m n o p q r s t u v z aa aaa azz
        EVAL "return redis.call('sort', KEYS[1], 'by', '_')" 1 myset
        EVAL "return redis.call('sort', KEYS[1], 'by', '_', 'get', '#', 'get', '_:*')" 1 myset
        "#,
    );
}

/// Time stands still while a script runs: TIME answers the time the
/// script started (Redis 7.2's cached time).
#[test]
fn time_is_frozen_inside_a_script() {
    let server = start_lodestone(&["--enable-debug-command", "yes"]);
    let mut c = Conn::connect(server.port);
    let script = "local a = redis.call('TIME') redis.call('DEBUG', 'SLEEP', 0.01) local b = redis.call('TIME') return {a[1] == b[1] and a[2] == b[2]}";
    c.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"]);
    assert_eq!(
        c.cmd(&["EVAL", script, "0"]),
        Frame::Array(vec![Frame::Integer(1)])
    );
}

/// A SIGTERM that arrives while a script is busy is not lost: the server
/// shuts down once the script ends (Redis waits for the script too).
#[test]
fn sigterm_during_a_busy_script_shuts_down_after_it() {
    let mut server = start_lodestone(&["--busy-reply-threshold", "50"]);
    let mut runner = Conn::connect(server.port);
    let mut probe = Conn::connect(server.port);
    send(
        &mut runner,
        &["EVAL", "for i = 1, 100000000 do end return 'done'", "0"],
    );
    wait_busy(&mut probe);
    // SAFETY: kill(2) with a child's pid has no memory-safety concerns.
    unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };
    assert_eq!(runner.read(), Frame::Bulk(b"done".to_vec()));
    for _ in 0..500 {
        if let Ok(Some(_)) = server.child.try_wait() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the server did not shut down after the script");
}

/// Garbage from many short scripts does not pile up in the interpreter:
/// the collector is stepped every 50 runs (Redis's TCL check: under
/// 100 KB after 10,000 runs).
#[test]
fn short_scripts_do_not_grow_lua_memory() {
    let server = start_lodestone(&[]);
    let mut c = Conn::connect(server.port);
    let mut batch = Vec::new();
    for _ in 0..10_000 {
        batch.extend_from_slice(&common::encode(&[
            b"EVAL",
            b"return redis.call('incr', KEYS[1])",
            b"1",
            b"x",
        ]));
    }
    c.send_raw(&batch);
    for _ in 0..10_000 {
        c.read();
    }
    let Frame::Bulk(info) = c.cmd(&["INFO", "memory"]) else {
        panic!("INFO is not a bulk string");
    };
    let info = String::from_utf8_lossy(&info);
    let lua: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory_lua:"))
        .and_then(|v| v.parse().ok())
        .expect("used_memory_lua");
    assert!(lua < 100 * 1024, "used_memory_lua {lua}");
}

/// A RESP3 reply with an attribute reaches a script as the reply itself
/// (attributes are not exposed to scripts, as in Redis).
#[test]
fn attributes_are_skipped_for_scripts() {
    let server = start_lodestone(&["--enable-debug-command", "yes"]);
    let mut c = Conn::connect(server.port);
    c.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"]);
    let script = "redis.setresp(3) return redis.call('debug', 'protocol', 'attrib')";
    assert_eq!(
        c.cmd(&["EVAL", script, "0"]),
        Frame::Bulk(b"Some real reply following the attribute".to_vec())
    );
}

/// EXEC refused because a script is busy aborts the transaction with the
/// refusal as its cause, and the client leaves MULTI (Redis's
/// execCommandAbort).
#[test]
fn exec_during_a_busy_script_aborts_the_transaction() {
    let server = start_lodestone(&["--busy-reply-threshold", "50"]);
    let mut runner = Conn::connect(server.port);
    let mut tx = Conn::connect(server.port);
    let mut probe = Conn::connect(server.port);
    tx.cmd(&["MULTI"]);
    assert_eq!(tx.cmd(&["INCR", "xx"]), Frame::Simple(b"QUEUED".to_vec()));
    send(&mut runner, &["EVAL", "while true do end", "0"]);
    wait_busy(&mut probe);
    assert_eq!(
        tx.cmd(&["EXEC"]),
        common::err("EXECABORT Transaction discarded because of: BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
    );
    assert_eq!(
        probe.cmd(&["SCRIPT", "KILL"]),
        Frame::Simple(b"OK".to_vec())
    );
    runner.read();
    assert_eq!(tx.cmd(&["GET", "xx"]), Frame::Null);
}
