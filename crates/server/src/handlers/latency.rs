//! The LATENCY family: the latency monitor's events (recorded by the
//! dispatcher when a command takes at least `latency-monitor-threshold`
//! ms, see `crate::latency`) and the per-command latency histograms
//! (recorded while `latency-tracking` is on, see `crate::stats`).

use super::{reply, ServerHandler};
use crate::latency::{doctor_report, graph, uses_huge_pages, DoctorContext};
use crate::server::Server;
use crate::stats::LatencyHistogram;
use lodestone_commands::help::reply_help;
use lodestone_commands::{CmdError, CmdResult};
use lodestone_protocol::Reply;

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("latency|latest", latest),
    ("latency|history", history),
    ("latency|reset", reset),
    ("latency|doctor", doctor),
    ("latency|graph", graph_cmd),
    ("latency|histogram", histogram),
    ("latency|help", help),
];

/// `LATENCY LATEST`: per event, its name, the time and latency of its
/// latest sample, and its all-time maximum.
fn latest(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let events = &s.latency.events;
    if let Some(c) = s.clients.get_mut(key) {
        let mut r = Reply::new(&mut c.out, c.resp);
        r.array(events.len());
        for (name, h) in events {
            let last = h.samples.back().copied().unwrap_or(crate::latency::Sample {
                time_s: 0,
                latency_ms: 0,
            });
            r.array(4);
            r.bulk(name.as_bytes());
            r.int(last.time_s);
            r.int(last.latency_ms as i64);
            r.int(h.max_ms as i64);
        }
    }
    Ok(())
}

/// The history of the event named exactly `name`.
fn event<'a>(s: &'a Server, name: &[u8]) -> Option<(&'a String, &'a crate::latency::EventHistory)> {
    let name = std::str::from_utf8(name).ok()?;
    s.latency.events.get_key_value(name)
}

/// `LATENCY HISTORY event`: `[time, latency]` pairs, oldest first.
fn history(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let samples: Vec<(i64, u64)> = event(s, args[2])
        .map(|(_, h)| h.samples.iter().map(|x| (x.time_s, x.latency_ms)).collect())
        .unwrap_or_default();
    reply(s, key, |r| {
        r.array(samples.len());
        for (t, l) in samples {
            r.array(2);
            r.int(t);
            r.int(l as i64);
        }
    });
    Ok(())
}

/// `LATENCY RESET [event ...]`: the number of events forgotten.
fn reset(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let n = s.latency.reset(&args[2..]) as i64;
    reply(s, key, |r| r.int(n));
    Ok(())
}

/// `LATENCY DOCTOR`: a human-readable analysis.
fn doctor(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let cx = DoctorContext {
        threshold_ms: s.rt.latency_threshold_ms,
        slowlog_slower_than_us: s.rt.slowlog_slower_than_us,
        hz: s.rt.hz,
        fsync_always: s.config.enum_name("appendfsync") == "always",
        huge_pages: uses_huge_pages(),
        now_s: crate::server::unix_ms() / 1000,
    };
    let text = doctor_report(&s.latency, &cx);
    reply(s, key, |r| r.verbatim("txt", text.as_bytes()));
    Ok(())
}

/// `LATENCY GRAPH event`: an ASCII graph of the event's samples.
fn graph_cmd(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let now_s = crate::server::unix_ms() / 1000;
    let Some(text) = event(s, args[2]).map(|(name, h)| graph(name, h, now_s)) else {
        return Err(CmdError::NoLatencySamples(
            String::from_utf8_lossy(args[2]).into_owned(),
        ));
    };
    reply(s, key, |r| r.verbatim("txt", text.as_bytes()));
    Ok(())
}

/// Writes one command's histogram: `{calls, histogram_usec: {µs: calls}}`.
fn write_histogram(name: &str, h: &LatencyHistogram, r: &mut Reply) {
    r.bulk(name.as_bytes());
    r.map(2);
    r.bulk(b"calls");
    r.int(h.total() as i64);
    r.bulk(b"histogram_usec");
    let cdf = h.log_cdf();
    r.map(cdf.len());
    for (us, calls) in cdf {
        r.int(us as i64);
        r.int(calls as i64);
    }
}

/// `LATENCY HISTOGRAM [command ...]`: the latency distribution of the
/// named commands (a container stands for itself and its subcommands;
/// unknown names and commands never run are left out), or of all.
fn histogram(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let mut ids = Vec::new();
    if args.len() == 2 {
        for top in s.table.top_level() {
            ids.push(top.id);
            ids.extend(top.subcommands.iter().map(|&(_, id)| id));
        }
    } else {
        for name in &args[2..] {
            if let Some(cmd) = s.table.by_fullname(name) {
                ids.push(cmd.id);
                ids.extend(cmd.subcommands.iter().map(|&(_, id)| id));
            }
        }
    }
    let (table, stats) = (&s.table, &s.cmd_stats);
    let with_data: Vec<(&str, &LatencyHistogram)> = ids
        .into_iter()
        .filter_map(|id| {
            let h = stats.get(id)?.latency.as_deref()?;
            Some((table.get(id).fullname.as_str(), h))
        })
        .collect();
    if let Some(c) = s.clients.get_mut(key) {
        let mut r = Reply::new(&mut c.out, c.resp);
        r.map(with_data.len());
        for (name, h) in with_data {
            write_histogram(name, h, &mut r);
        }
    }
    Ok(())
}

/// `LATENCY HELP`
fn help(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    const LINES: &[&str] = &[
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
    ];
    reply(s, key, |r| reply_help(r, "LATENCY", LINES));
    Ok(())
}
