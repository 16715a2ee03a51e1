//! The client-side caching subcommands of CLIENT: TRACKING, CACHING,
//! GETREDIR and TRACKINGINFO, with Redis 7.2's validation order and
//! error texts. What tracking does lives in `crate::tracking`.

use super::{reply, ServerHandler};
use crate::client::{flags, ClientId};
use crate::server::Server;
use crate::tracking::OPTION_FLAGS;
use lodestone_commands::args::is;
use lodestone_commands::{CmdError, CmdResult};
use lodestone_protocol::num::parse_i64;

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("client|tracking", tracking),
    ("client|caching", caching),
    ("client|getredir", getredir),
    ("client|trackinginfo", trackinginfo),
];

/// Options of CLIENT TRACKING after parsing.
#[derive(Default)]
struct TrackingOptions<'a> {
    redirect: ClientId,
    options: u32,
    prefixes: Vec<&'a [u8]>,
}

/// Parses `[REDIRECT id] [BCAST] [PREFIX p]... [OPTIN] [OPTOUT] [NOLOOP]`
/// (Redis checks them before looking at ON/OFF). The redirection target
/// must exist now; it may disconnect later.
fn parse_options<'a>(s: &Server, args: &[&'a [u8]]) -> Result<TrackingOptions<'a>, CmdError> {
    let mut o = TrackingOptions::default();
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        let opt = args[j];
        if is(opt, "redirect") && more {
            j += 1;
            if o.redirect != 0 {
                return Err(CmdError::TrackingRedirectTwice);
            }
            let id = parse_i64(args[j]).ok_or(CmdError::NotInteger)?;
            let id = u64::try_from(id)
                .ok()
                .filter(|&id| s.client_key(id).is_some())
                .ok_or(CmdError::TrackingRedirectMissing)?;
            o.redirect = id;
        } else if is(opt, "bcast") {
            o.options |= flags::TRACKING_BCAST;
        } else if is(opt, "optin") {
            o.options |= flags::TRACKING_OPTIN;
        } else if is(opt, "optout") {
            o.options |= flags::TRACKING_OPTOUT;
        } else if is(opt, "noloop") {
            o.options |= flags::TRACKING_NOLOOP;
        } else if is(opt, "prefix") && more {
            j += 1;
            o.prefixes.push(args[j]);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// True when two prefixes would both match some key (one starts the
/// other).
fn overlap(a: &[u8], b: &[u8]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// `CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN]
/// [OPTOUT] [NOLOOP]`
fn tracking(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let o = parse_options(s, args)?;
    if is(args[2], "off") {
        s.disable_tracking(key);
        reply(s, key, |r| r.ok());
        return Ok(());
    }
    if !is(args[2], "on") {
        return Err(CmdError::Syntax);
    }
    let Some(c) = s.clients.get(key) else {
        return Ok(());
    };
    let bcast = o.options & flags::TRACKING_BCAST != 0;
    let optin = o.options & flags::TRACKING_OPTIN != 0;
    let optout = o.options & flags::TRACKING_OPTOUT != 0;
    if !bcast && !o.prefixes.is_empty() {
        return Err(CmdError::TrackingPrefixWithoutBcast);
    }
    if c.has(flags::TRACKING) && c.has(flags::TRACKING_BCAST) != bcast {
        return Err(CmdError::TrackingBcastSwitch);
    }
    if bcast && (optin || optout) {
        return Err(CmdError::TrackingOptWithBcast);
    }
    if optin && optout {
        return Err(CmdError::TrackingOptInAndOut);
    }
    if (optin && c.has(flags::TRACKING_OPTOUT)) || (optout && c.has(flags::TRACKING_OPTIN)) {
        return Err(CmdError::TrackingOptSwitch);
    }
    if bcast {
        for (i, p) in o.prefixes.iter().enumerate() {
            if let Some(existing) = c.tracking_prefixes.iter().find(|e| overlap(e, p)) {
                return Err(CmdError::TrackingPrefixOverlapsExisting(
                    p.to_vec(),
                    existing.clone(),
                ));
            }
            if let Some(other) = o.prefixes[i + 1..].iter().find(|q| overlap(p, q)) {
                return Err(CmdError::TrackingPrefixOverlapsGiven(
                    p.to_vec(),
                    other.to_vec(),
                ));
            }
        }
    }
    s.enable_tracking(key, o.redirect, o.options & OPTION_FLAGS, &o.prefixes);
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `CLIENT CACHING YES|NO`: in OPTIN (YES) or OPTOUT (NO) mode, decides
/// whether the reads of the next command or transaction are tracked.
fn caching(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let Some(c) = s.clients.get_mut(key) else {
        return Ok(());
    };
    if !c.has(flags::TRACKING) {
        return Err(CmdError::CachingWithoutTracking);
    }
    if is(args[2], "yes") {
        if !c.has(flags::TRACKING_OPTIN) {
            return Err(CmdError::CachingYesWithoutOptin);
        }
    } else if is(args[2], "no") {
        if !c.has(flags::TRACKING_OPTOUT) {
            return Err(CmdError::CachingNoWithoutOptout);
        }
    } else {
        return Err(CmdError::Syntax);
    }
    c.flags |= flags::TRACKING_CACHING;
    reply(s, key, |r| r.ok());
    Ok(())
}

/// The redirection CLIENT GETREDIR and TRACKINGINFO report: the target id,
/// 0 without redirection, -1 with tracking off.
fn redirect_of(s: &Server, key: usize) -> i64 {
    s.clients.get(key).map_or(-1, |c| {
        if c.has(flags::TRACKING) {
            c.tracking_redirect as i64
        } else {
            -1
        }
    })
}

/// `CLIENT GETREDIR`
fn getredir(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let id = redirect_of(s, key);
    reply(s, key, |r| r.int(id));
    Ok(())
}

/// `CLIENT TRACKINGINFO`: flags (a set), redirection and BCAST prefixes.
fn trackinginfo(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let redirect = redirect_of(s, key);
    let Some(c) = s.clients.get(key) else {
        return Ok(());
    };
    let caching = c.has(flags::TRACKING_CACHING);
    let mut names: Vec<&[u8]> = vec![if c.has(flags::TRACKING) {
        b"on"
    } else {
        b"off"
    }];
    for (flag, name, with_caching) in [
        (flags::TRACKING_BCAST, &b"bcast"[..], None),
        (flags::TRACKING_OPTIN, b"optin", Some(&b"caching-yes"[..])),
        (flags::TRACKING_OPTOUT, b"optout", Some(b"caching-no")),
        (flags::TRACKING_NOLOOP, b"noloop", None),
        (flags::TRACKING_BROKEN_REDIR, b"broken_redirect", None),
    ] {
        if c.has(flag) {
            names.push(name);
            if let Some(extra) = with_caching.filter(|_| caching) {
                names.push(extra);
            }
        }
    }
    let prefixes: Vec<Vec<u8>> = c.tracking_prefixes.iter().cloned().collect();
    reply(s, key, |r| {
        r.map(3);
        r.bulk(b"flags");
        r.set(names.len());
        for n in &names {
            r.bulk(n);
        }
        r.bulk(b"redirect");
        r.int(redirect);
        r.bulk(b"prefixes");
        r.array(prefixes.len());
        for p in &prefixes {
            r.bulk(p);
        }
    });
    Ok(())
}
