//! The latency monitor: for each event (`command`, `fast-command`, ...) the
//! worst latency per second over the last 160 samples, as Redis keeps it
//! for LATENCY LATEST, HISTORY and DOCTOR.

use crate::server::Server;
use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

/// Samples kept per event.
pub const SAMPLES_PER_EVENT: usize = 160;

/// One latency spike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Unix time (s).
    pub time_s: i64,
    /// Latency (ms).
    pub latency_ms: u64,
}

/// History of one event.
#[derive(Clone, Debug, Default)]
pub struct EventHistory {
    /// Recent samples, oldest first.
    pub samples: VecDeque<Sample>,
    /// Highest latency ever recorded for the event (ms).
    pub max_ms: u64,
}

/// All event histories, by event name.
#[derive(Default)]
pub struct LatencyMonitor {
    /// Histories in name order.
    pub events: BTreeMap<String, EventHistory>,
}

impl LatencyMonitor {
    /// Records that `event` took `latency_ms` at `time_s`; samples in the
    /// same second keep the worst.
    pub fn add_sample(&mut self, event: &str, time_s: i64, latency_ms: u64) {
        let h = self.events.entry(event.to_string()).or_default();
        h.max_ms = h.max_ms.max(latency_ms);
        if let Some(last) = h.samples.back_mut() {
            if last.time_s == time_s {
                last.latency_ms = last.latency_ms.max(latency_ms);
                return;
            }
        }
        if h.samples.len() == SAMPLES_PER_EVENT {
            h.samples.pop_front();
        }
        h.samples.push_back(Sample { time_s, latency_ms });
    }

    /// Forgets events (all when `names` is empty); returns how many were
    /// reset. Names match without case here, unlike lookups (as in Redis).
    pub fn reset(&mut self, names: &[&[u8]]) -> usize {
        if names.is_empty() {
            let n = self.events.len();
            self.events.clear();
            return n;
        }
        let mut resets = 0;
        for name in names {
            let before = self.events.len();
            self.events
                .retain(|event, _| !event.as_bytes().eq_ignore_ascii_case(name));
            resets += before - self.events.len();
        }
        resets
    }
}

/// Width of LATENCY GRAPH.
const GRAPH_COLUMNS: usize = 80;
/// Rows of LATENCY GRAPH bars (each row has three levels).
const GRAPH_ROWS: usize = 4;
/// Bar levels within a row, lowest first.
const GRAPH_LEVELS: &[u8] = b"_o#";

/// How long ago `time_s` was, as LATENCY GRAPH labels it: `12s`, `5m`,
/// `3h`, `2d`.
fn age_label(now_s: i64, time_s: i64) -> String {
    let elapsed = now_s - time_s;
    if elapsed < 60 {
        format!("{elapsed}s")
    } else if elapsed < 3600 {
        format!("{}m", elapsed / 60)
    } else if elapsed < 3600 * 24 {
        format!("{}h", elapsed / 3600)
    } else {
        format!("{}d", elapsed / (3600 * 24))
    }
}

/// LATENCY GRAPH: a header with the extremes, then the samples as a filled
/// ASCII sparkline with each sample's age written vertically below it.
pub fn graph(event: &str, history: &EventHistory, now_s: i64) -> String {
    let values: Vec<u64> = history.samples.iter().map(|s| s.latency_ms).collect();
    let (min, max) = (
        values.iter().copied().min().unwrap_or(0),
        values.iter().copied().max().unwrap_or(0),
    );
    let labels: Vec<String> = history
        .samples
        .iter()
        .map(|s| age_label(now_s, s.time_s))
        .collect();
    let mut out = format!(
        "{event} - high {max} ms, low {min} ms (all time high {} ms)\n",
        history.max_ms
    );
    out.push_str(&"-".repeat(GRAPH_COLUMNS));
    out.push('\n');
    for (n, start) in (0..values.len()).step_by(GRAPH_COLUMNS).enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let end = (start + GRAPH_COLUMNS).min(values.len());
        sparkline(&values[start..end], &labels[start..end], min, max, &mut out);
    }
    out
}

/// Renders one block of columns: bar rows from the top, an empty spacing
/// row, then the labels one character per row.
fn sparkline(values: &[u64], labels: &[String], min: u64, max: u64, out: &mut String) {
    let levels = GRAPH_LEVELS.len();
    let steps = (levels * GRAPH_ROWS) as i64;
    let range = if max == min { 1.0 } else { (max - min) as f64 };
    let step_of = |v: u64| {
        let scaled = ((v - min) as f64 * steps as f64) as i64 as f64 / range;
        (scaled as i64).clamp(0, steps - 1)
    };
    for row in 0..GRAPH_ROWS {
        let line: String = values
            .iter()
            .map(|&v| {
                let idx = step_of(v) - ((GRAPH_ROWS - row - 1) * levels) as i64;
                if idx >= levels as i64 {
                    '|'
                } else if idx >= 0 {
                    GRAPH_LEVELS[idx as usize] as char
                } else {
                    ' '
                }
            })
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
    if labels.is_empty() {
        return;
    }
    out.push_str(&" ".repeat(values.len()));
    out.push('\n');
    let tallest = labels.iter().map(String::len).max().unwrap_or(0);
    for i in 0..tallest {
        let line: String = labels
            .iter()
            .map(|l| l.as_bytes().get(i).map_or(' ', |&b| b as char))
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
}

/// Summary of one event's samples, as LATENCY DOCTOR reports it.
struct Analysis {
    samples: u64,
    avg: u64,
    mad: u64,
    period: f64,
}

fn analyze(history: &EventHistory, now_s: i64) -> Analysis {
    let n = history.samples.len() as u64;
    if n == 0 {
        return Analysis {
            samples: 0,
            avg: 0,
            mad: 0,
            period: 0.0,
        };
    }
    let sum: u64 = history.samples.iter().map(|s| s.latency_ms).sum();
    let avg = sum / n;
    let oldest = history
        .samples
        .iter()
        .map(|s| s.time_s)
        .min()
        .unwrap_or(now_s);
    let period = (now_s - oldest).max(1);
    let deviation: u64 = history
        .samples
        .iter()
        .map(|s| s.latency_ms.abs_diff(avg))
        .sum();
    Analysis {
        samples: n,
        avg,
        mad: deviation / n,
        period: period as f64 / n as f64,
    }
}

/// Server settings LATENCY DOCTOR's advice depends on.
pub struct DoctorContext {
    /// `latency-monitor-threshold` (ms).
    pub threshold_ms: i64,
    /// `slowlog-log-slower-than` (µs).
    pub slowlog_slower_than_us: i64,
    /// `hz`.
    pub hz: u32,
    /// `appendfsync` is `always`.
    pub fsync_always: bool,
    /// The process has transparent huge pages.
    pub huge_pages: bool,
    /// Current Unix time (s).
    pub now_s: i64,
}

/// Advice LATENCY DOCTOR can give, in the order it gives it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Advice {
    SlowlogEnabled,
    SlowlogTuning,
    SlowlogInspect,
    Scheduler,
    LocalDisk,
    Ssd,
    DataWriteback,
    DiskContention,
    NoAppendfsync,
    RelaxFsync,
    WriteLoadInfo,
    Hz,
    LargeObjects,
    MassEviction,
    DisableThp,
}

/// The advice that comes with an event, beyond the slowlog ones.
fn event_advice(event: &str) -> &'static [Advice] {
    use Advice::*;
    match event.to_ascii_lowercase().as_str() {
        "fast-command" => &[Scheduler],
        "aof-write-pending-fsync" => &[LocalDisk, DiskContention, Ssd, DataWriteback],
        "aof-write-active-child" => &[NoAppendfsync, DataWriteback, Ssd],
        "aof-write-alone" => &[LocalDisk, DataWriteback, Ssd],
        "aof-fsync-always" => &[RelaxFsync],
        "aof-fstat" | "rdb-unlink-temp-file" => &[DiskContention, LocalDisk],
        "aof-rewrite-diff-write" | "aof-rename" => &[WriteLoadInfo, DataWriteback, Ssd, LocalDisk],
        "expire-cycle" => &[Hz, LargeObjects],
        "eviction-del" => &[LargeObjects],
        "eviction-cycle" => &[MassEviction],
        _ => &[],
    }
}

impl Advice {
    /// The advice text, or `None` when the setting makes it moot.
    fn text(self, cx: &DoctorContext) -> Option<String> {
        let threshold_us = cx.threshold_ms.max(0) as u64 * 1000;
        Some(match self {
            Advice::SlowlogEnabled => format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {threshold_us}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n"),
            Advice::SlowlogTuning => format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {threshold_us}'.\n"),
            Advice::SlowlogInspect => "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n".into(),
            Advice::Scheduler => "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n".into(),
            Advice::LocalDisk => "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n".into(),
            Advice::Ssd => "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n".into(),
            Advice::DataWriteback => "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n".into(),
            Advice::DiskContention => "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n".into(),
            Advice::NoAppendfsync => "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n".into(),
            Advice::RelaxFsync if cx.fsync_always => "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n".into(),
            Advice::RelaxFsync => return None,
            Advice::WriteLoadInfo => "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n".into(),
            Advice::Hz if cx.hz < 100 => "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n".into(),
            Advice::Hz => return None,
            Advice::LargeObjects => "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n".into(),
            Advice::MassEviction => "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n".into(),
            Advice::DisableThp => "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n".into(),
        })
    }
}

/// LATENCY DOCTOR: Redis's report, one line per event with its statistics,
/// then the advice the events call for.
pub fn doctor_report(monitor: &LatencyMonitor, cx: &DoctorContext) -> String {
    if monitor.events.is_empty() && cx.threshold_ms == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    let mut out = String::new();
    let mut advice = std::collections::BTreeSet::new();
    let mut count = 0;
    for (n, (event, history)) in monitor.events.iter().enumerate() {
        if n == 0 {
            out.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let a = analyze(history, cx.now_s);
        out.push_str(&format!(
            "{}. {event}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.\n",
            n + 1,
            a.samples,
            a.avg,
            a.mad,
            a.period,
            history.max_ms
        ));
        if event.eq_ignore_ascii_case("command") {
            if cx.slowlog_slower_than_us < 0 {
                advice.insert(Advice::SlowlogEnabled);
                count += 1;
            } else if cx.slowlog_slower_than_us / 1000 > cx.threshold_ms {
                advice.insert(Advice::SlowlogTuning);
                count += 1;
            }
            advice.extend([Advice::SlowlogInspect, Advice::LargeObjects]);
            count += 2;
        }
        let extra = event_advice(event);
        advice.extend(extra.iter().copied());
        count += extra.len();
    }
    if cx.huge_pages {
        advice.insert(Advice::DisableThp);
        count += 1;
    }
    if monitor.events.is_empty() && count == 0 {
        out.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
    } else if count == 0 {
        out.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
    } else {
        out.push_str("\nI have a few advices for you:\n\n");
        for a in advice {
            if let Some(text) = a.text(cx) {
                out.push_str(&text);
            }
        }
    }
    out
}

/// True when the process uses transparent huge pages (the `AnonHugePages`
/// fields of its memory map are not all zero).
pub fn uses_huge_pages() -> bool {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return false;
    };
    smaps
        .lines()
        .filter_map(|l| l.strip_prefix("AnonHugePages:"))
        .any(|v| {
            v.split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n > 0)
        })
}

impl Server {
    /// Records a sample for `event` (`expire-cycle`, `eviction-lazyfree`,
    /// ...) when the work that began at `since` took at least
    /// `latency-monitor-threshold` milliseconds.
    pub(crate) fn latency_sample(&mut self, event: &str, since: Instant) {
        let threshold = self.rt.latency_threshold_ms;
        if threshold <= 0 {
            return;
        }
        let ms = since.elapsed().as_millis() as i64;
        if ms >= threshold {
            self.latency
                .add_sample(event, self.now_ms / 1000, ms as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_matches_names_without_case() {
        let mut m = LatencyMonitor::default();
        m.add_sample("command", 10, 5);
        m.add_sample("fast-command", 10, 5);
        assert_eq!(m.reset(&[b"COMMAND", b"nope"]), 1);
        assert_eq!(m.reset(&[]), 1);
    }

    #[test]
    fn graph_layout_matches_redis() {
        let mut m = LatencyMonitor::default();
        m.add_sample("command", 100, 300);
        m.add_sample("command", 102, 500);
        let g = graph("command", &m.events["command"], 110);
        let expected = "command - high 500 ms, low 300 ms (all time high 500 ms)\n".to_string()
            + &"-".repeat(80)
            + "\n #\n |\n |\n_|\n  \n18\n0s\ns \n";
        assert_eq!(g, expected);
    }

    #[test]
    fn doctor_reports_each_event() {
        let mut m = LatencyMonitor::default();
        let cx = DoctorContext {
            threshold_ms: 0,
            slowlog_slower_than_us: 10000,
            hz: 10,
            fsync_always: false,
            huge_pages: false,
            now_s: 104,
        };
        assert!(doctor_report(&m, &cx).starts_with("I'm sorry, Dave"));
        m.add_sample("command", 100, 300);
        m.add_sample("command", 102, 500);
        let report = doctor_report(&m, &cx);
        assert!(report.contains("1. command: 2 latency spikes (average 400ms, mean deviation 100ms, period 2.00 sec). Worst all time event 500ms.\n"));
        assert!(report.contains("Check your Slow Log"));
    }

    #[test]
    fn same_second_keeps_worst() {
        let mut m = LatencyMonitor::default();
        m.add_sample("command", 10, 5);
        m.add_sample("command", 10, 7);
        m.add_sample("command", 11, 3);
        let h = &m.events["command"];
        assert_eq!(h.samples.len(), 2);
        assert_eq!(h.samples[0].latency_ms, 7);
        assert_eq!(h.max_ms, 7);
    }
}
