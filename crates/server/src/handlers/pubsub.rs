//! Pub/Sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.

use super::{reply, ServerHandler};
use crate::propagate::TARGET_REPLICAS;
use crate::pubsub::Kind;
use crate::server::Server;
use lodestone_commands::glob::Pattern;
use lodestone_commands::help::reply_help;
use lodestone_commands::CmdResult;

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("subscribe", subscribe),
    ("unsubscribe", unsubscribe),
    ("psubscribe", psubscribe),
    ("punsubscribe", punsubscribe),
    ("ssubscribe", ssubscribe),
    ("sunsubscribe", sunsubscribe),
    ("publish", publish),
    ("spublish", spublish),
    ("pubsub|channels", pubsub_channels),
    ("pubsub|numsub", pubsub_numsub),
    ("pubsub|numpat", pubsub_numpat),
    ("pubsub|shardchannels", pubsub_shardchannels),
    ("pubsub|shardnumsub", pubsub_shardnumsub),
    ("pubsub|help", pubsub_help),
];

/// The client's subscription set of a kind.
fn client_set(
    s: &mut Server,
    key: usize,
    kind: Kind,
) -> Option<&mut std::collections::HashSet<Vec<u8>>> {
    let c = s.clients.get_mut(key)?;
    Some(match kind {
        Kind::Channel => &mut c.channels,
        Kind::Pattern => &mut c.patterns,
        Kind::Shard => &mut c.shard_channels,
    })
}

/// The count reported in (un)subscribe confirmations: channels plus
/// patterns, or shard channels for the shard kind.
fn count(s: &Server, key: usize, kind: Kind) -> i64 {
    s.clients.get(key).map_or(0, |c| match kind {
        Kind::Shard => c.shard_channels.len(),
        _ => c.channels.len() + c.patterns.len(),
    }) as i64
}

fn confirm(s: &mut Server, key: usize, what: &[u8], name: Option<&[u8]>, kind: Kind) {
    let n = count(s, key, kind);
    s.write_push(key, |r| {
        r.push(3);
        r.bulk(what);
        match name {
            Some(ch) => r.bulk(ch),
            None => r.null(),
        }
        r.int(n);
    });
}

fn subscribe_generic(
    s: &mut Server,
    key: usize,
    names: &[&[u8]],
    kind: Kind,
    what: &[u8],
) -> CmdResult {
    for name in names {
        let added = client_set(s, key, kind).is_some_and(|set| set.insert(name.to_vec()));
        if added {
            s.pubsub.add(kind, name, key);
        }
        confirm(s, key, what, Some(name), kind);
    }
    Ok(())
}

fn unsubscribe_generic(
    s: &mut Server,
    key: usize,
    names: &[&[u8]],
    kind: Kind,
    what: &[u8],
) -> CmdResult {
    let names: Vec<Vec<u8>> = if names.is_empty() {
        client_set(s, key, kind)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    } else {
        names.iter().map(|n| n.to_vec()).collect()
    };
    if names.is_empty() {
        confirm(s, key, what, None, kind);
        return Ok(());
    }
    for name in names {
        if client_set(s, key, kind).is_some_and(|set| set.remove(&name)) {
            s.pubsub.remove(kind, &name, key);
        }
        confirm(s, key, what, Some(&name), kind);
    }
    Ok(())
}

/// `SUBSCRIBE channel [channel ...]`
fn subscribe(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    subscribe_generic(s, key, &args[1..], Kind::Channel, b"subscribe")
}

/// `UNSUBSCRIBE [channel ...]`
fn unsubscribe(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    unsubscribe_generic(s, key, &args[1..], Kind::Channel, b"unsubscribe")
}

/// `PSUBSCRIBE pattern [pattern ...]`
fn psubscribe(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    subscribe_generic(s, key, &args[1..], Kind::Pattern, b"psubscribe")
}

/// `PUNSUBSCRIBE [pattern ...]`
fn punsubscribe(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    unsubscribe_generic(s, key, &args[1..], Kind::Pattern, b"punsubscribe")
}

/// `SSUBSCRIBE shardchannel [shardchannel ...]`
fn ssubscribe(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    subscribe_generic(s, key, &args[1..], Kind::Shard, b"ssubscribe")
}

/// `SUNSUBSCRIBE [shardchannel ...]`
fn sunsubscribe(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    unsubscribe_generic(s, key, &args[1..], Kind::Shard, b"sunsubscribe")
}

/// `PUBLISH channel message`
fn publish(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let n = s.publish(args[1], args[2]);
    propagate_to_replicas(s, key, args);
    reply(s, key, |r| r.int(n as i64));
    Ok(())
}

/// `SPUBLISH shardchannel message`
fn spublish(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let n = s.publish_shard(args[1], args[2]);
    propagate_to_replicas(s, key, args);
    reply(s, key, |r| r.int(n as i64));
    Ok(())
}

/// Messages are sent on to replicas (not the AOF) so that their
/// subscribers get them too, as Redis forces for PUBLISH and SPUBLISH.
fn propagate_to_replicas(s: &mut Server, key: usize, args: &[&[u8]]) {
    let db = s.clients.get(key).map_or(0, |c| c.db);
    let targets = s.effect_targets & TARGET_REPLICAS;
    s.effects.record(db, args, targets);
}

fn list_channels(s: &mut Server, key: usize, args: &[&[u8]], kind: Kind) -> CmdResult {
    let pattern = args.get(2).map(|p| Pattern::new(p, false));
    let names: Vec<Vec<u8>> = s
        .pubsub
        .table(kind)
        .keys()
        .filter(|n| pattern.as_ref().is_none_or(|p| p.matches(n)))
        .cloned()
        .collect();
    reply(s, key, |r| r.bulk_array(names.iter()));
    Ok(())
}

fn num_subscribers(s: &mut Server, key: usize, args: &[&[u8]], kind: Kind) -> CmdResult {
    let counts: Vec<(Vec<u8>, usize)> = args[2..]
        .iter()
        .map(|ch| {
            (
                ch.to_vec(),
                s.pubsub.table(kind).get(*ch).map_or(0, Vec::len),
            )
        })
        .collect();
    reply(s, key, |r| {
        r.array(counts.len() * 2);
        for (ch, n) in &counts {
            r.bulk(ch);
            r.int(*n as i64);
        }
    });
    Ok(())
}

/// `PUBSUB CHANNELS [pattern]`
fn pubsub_channels(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    list_channels(s, key, args, Kind::Channel)
}

/// `PUBSUB SHARDCHANNELS [pattern]`
fn pubsub_shardchannels(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    list_channels(s, key, args, Kind::Shard)
}

/// `PUBSUB NUMSUB [channel ...]`
fn pubsub_numsub(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    num_subscribers(s, key, args, Kind::Channel)
}

/// `PUBSUB SHARDNUMSUB [shardchannel ...]`
fn pubsub_shardnumsub(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    num_subscribers(s, key, args, Kind::Shard)
}

/// `PUBSUB NUMPAT`: number of distinct subscribed patterns.
fn pubsub_numpat(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let n = s.pubsub.patterns.len();
    reply(s, key, |r| r.int(n as i64));
    Ok(())
}

/// `PUBSUB HELP`
fn pubsub_help(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    reply(s, key, |r| {
        reply_help(
            r,
            "PUBSUB",
            &[
                "CHANNELS [<pattern>]",
                "    Return the currently active channels matching a <pattern> (default: '*').",
                "NUMPAT",
                "    Return number of subscriptions to patterns.",
                "NUMSUB [<channel> ...]",
                "    Return the number of subscribers for the specified channels, excluding",
                "    pattern subscriptions(default: no channels).",
                "SHARDCHANNELS [<pattern>]",
                "    Return the currently active shard level channels matching a <pattern> (default: '*').",
                "SHARDNUMSUB [<shardchannel> ...]",
                "    Return the number of subscribers for the specified shard level channel(s)",
            ],
        )
    });
    Ok(())
}
