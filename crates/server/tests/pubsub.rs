//! Pub/Sub: subscriptions, messages, PUBSUB introspection and the
//! subscribed-mode rules, compared byte for byte with redis-server; and
//! Redis 7.2's ordering of messages a client publishes to itself (they
//! follow the reply of the command that published them).

mod common;

use common::{on_both, send, text, Conn};

/// Sends `args` on `c` and returns the raw reply as text.
fn raw(c: &mut Conn, args: &[&str]) -> String {
    text(c.cmd_raw(args))
}

#[test]
fn channels_patterns_and_introspection_match_redis() {
    on_both(|port| {
        let mut sub = Conn::connect(port);
        let mut psub = Conn::connect(port);
        let mut publisher = Conn::connect(port);
        let mut t = Vec::new();
        send(&mut sub, &["SUBSCRIBE", "news", "sport"]);
        t.push(text(sub.read_raw()));
        t.push(text(sub.read_raw()));
        send(&mut psub, &["PSUBSCRIBE", "n*s", "h?llo"]);
        t.push(text(psub.read_raw()));
        t.push(text(psub.read_raw()));
        t.push(raw(&mut publisher, &["PUBLISH", "news", "first"]));
        t.push(text(sub.read_raw()));
        t.push(text(psub.read_raw()));
        t.push(raw(&mut publisher, &["PUBLISH", "hello", "second"]));
        t.push(text(psub.read_raw()));
        t.push(raw(&mut publisher, &["PUBLISH", "nobody", "x"]));
        t.push(
            raw(&mut publisher, &["PUBSUB", "CHANNELS"])
                .len()
                .to_string(),
        );
        t.push(raw(&mut publisher, &["PUBSUB", "CHANNELS", "s*"]));
        t.push(raw(&mut publisher, &["PUBSUB", "NUMSUB", "news", "x"]));
        t.push(raw(&mut publisher, &["PUBSUB", "NUMPAT"]));
        // Subscribed RESP2 clients may only PING and (un)subscribe.
        t.push(raw(&mut sub, &["GET", "k"]));
        t.push(raw(&mut sub, &["PING"]));
        t.push(raw(&mut sub, &["PING", "hi"]));
        send(&mut sub, &["UNSUBSCRIBE", "sport"]);
        t.push(text(sub.read_raw()));
        // Without arguments: every channel left (one here: Redis's order
        // over several is its hash table's).
        send(&mut sub, &["UNSUBSCRIBE"]);
        t.push(text(sub.read_raw()));
        t.push(raw(&mut sub, &["GET", "k"]));
        send(&mut psub, &["PUNSUBSCRIBE", "h?llo"]);
        t.push(text(psub.read_raw()));
        t.push(raw(&mut publisher, &["PUBSUB", "NUMPAT"]));
        send(&mut sub, &["UNSUBSCRIBE", "never"]);
        t.push(text(sub.read_raw()));
        t
    });
}

#[test]
fn resp3_subscribers_keep_using_commands() {
    on_both(|port| {
        let mut sub = Conn::connect(port);
        let mut publisher = Conn::connect(port);
        sub.cmd(&["HELLO", "3"]);
        let mut t = vec![raw(&mut sub, &["SUBSCRIBE", "ch"])];
        t.push(raw(&mut sub, &["SET", "k", "v"]));
        t.push(raw(&mut publisher, &["PUBLISH", "ch", "m"]));
        t.push(text(sub.read_raw()));
        t.push(raw(&mut sub, &["GET", "k"]));
        t.push(raw(&mut sub, &["PING"]));
        t
    });
}

/// What a RESP3 client subscribed to `foo` receives after `setup` and one
/// more command `args`, read as `frames` replies.
fn self_publish(setup: &[&[&str]], args: &[&str], frames: usize) -> Vec<String> {
    let s = common::start_lodestone(&[]);
    let mut c = Conn::connect(s.port);
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["SUBSCRIBE", "foo"]);
    for a in setup {
        c.cmd(a);
    }
    send(&mut c, args);
    (0..frames).map(|_| text(c.read_raw())).collect()
}

#[test]
fn messages_to_self_follow_the_transaction_reply() {
    let got = self_publish(
        &[
            &["MULTI"],
            &["PING", "abc"],
            &["PUBLISH", "foo", "bar"],
            &["PUBLISH", "foo", "vaz"],
            &["PING", "def"],
        ],
        &["EXEC"],
        3,
    );
    assert_eq!(
        got,
        [
            "*4\r\n$3\r\nabc\r\n:1\r\n:1\r\n$3\r\ndef\r\n",
            ">3\r\n$7\r\nmessage\r\n$3\r\nfoo\r\n$3\r\nbar\r\n",
            ">3\r\n$7\r\nmessage\r\n$3\r\nfoo\r\n$3\r\nvaz\r\n",
        ]
    );
}

#[test]
fn messages_to_self_follow_the_script_reply() {
    let script = "redis.call('ping','abc') redis.call('publish','foo','bar') \
                  redis.call('publish','foo','vaz') redis.call('ping','def') return 'bla'";
    let got = self_publish(&[], &["EVAL", script, "0"], 3);
    assert_eq!(
        got,
        [
            "$3\r\nbla\r\n",
            ">3\r\n$7\r\nmessage\r\n$3\r\nfoo\r\n$3\r\nbar\r\n",
            ">3\r\n$7\r\nmessage\r\n$3\r\nfoo\r\n$3\r\nvaz\r\n",
        ]
    );
}

#[test]
fn unsubscribe_confirmations_are_replies_inside_a_transaction() {
    let s = common::start_lodestone(&[]);
    let mut c = Conn::connect(s.port);
    c.cmd(&["HELLO", "3"]);
    send(&mut c, &["SUBSCRIBE", "foo", "bar", "baz"]);
    for _ in 0..3 {
        c.read_raw();
    }
    c.cmd(&["MULTI"]);
    c.cmd(&["PING", "abc"]);
    c.cmd(&["UNSUBSCRIBE", "bar"]);
    c.cmd(&["UNSUBSCRIBE", "baz"]);
    c.cmd(&["PING", "def"]);
    assert_eq!(
        raw(&mut c, &["EXEC"]),
        "*4\r\n$3\r\nabc\r\n>3\r\n$11\r\nunsubscribe\r\n$3\r\nbar\r\n:2\r\n\
         >3\r\n$11\r\nunsubscribe\r\n$3\r\nbaz\r\n:1\r\n$3\r\ndef\r\n"
    );
    assert_eq!(raw(&mut c, &["PUBLISH", "foo", "vaz"]), ":1\r\n");
    assert_eq!(
        text(c.read_raw()),
        ">3\r\n$7\r\nmessage\r\n$3\r\nfoo\r\n$3\r\nvaz\r\n"
    );
}
