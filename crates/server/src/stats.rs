//! Server-wide counters reported by INFO (`stats`, `commandstats`,
//! `errorstats`). Plain integers updated on the event-loop thread; nothing
//! here locks or allocates per command.

use std::collections::HashMap;

/// Per-command counters (`INFO commandstats` and `latencystats`).
#[derive(Clone, Debug, Default)]
pub struct CommandStats {
    /// Times the command ran.
    pub calls: u64,
    /// Total run time (µs).
    pub usec: u64,
    /// Refused before running (arity, auth, OOM, ...).
    pub rejected_calls: u64,
    /// Ran and replied with an error.
    pub failed_calls: u64,
    /// Distribution of run times, allocated on the first call recorded
    /// while `latency-tracking` is on (most commands never run).
    pub latency: Option<Box<LatencyHistogram>>,
}

impl CommandStats {
    /// Adds one run's duration to the latency distribution.
    pub fn record_latency(&mut self, duration_us: u64) {
        self.latency
            .get_or_insert_with(Default::default)
            .record(duration_us.saturating_mul(1000));
    }
}

/// Sub-buckets per power of two, halved (HDR histogram with two significant
/// digits: 256 sub-buckets, the lower half of each bucket overlapping the
/// previous one).
const HIST_HALF_MAGNITUDE: u32 = 7;
/// Half the sub-bucket count.
const HIST_HALF: usize = 1 << HIST_HALF_MAGNITUDE;
/// Largest recorded value (ns); longer runs count as one second.
const HIST_MAX_NS: u64 = 1_000_000_000;
/// Power-of-two buckets needed to reach [`HIST_MAX_NS`] from 256.
const HIST_BUCKETS: usize = 23;

/// Latency distribution of one command, in nanoseconds, with the layout
/// and rounding of the HDR histogram Redis uses for `INFO latencystats`
/// (1 ns to 1 s, two significant digits), so reported percentiles fall on
/// the same bucket boundaries as Redis's.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            counts: vec![0; (HIST_BUCKETS + 1) * HIST_HALF],
            total: 0,
        }
    }
}

/// Bucket (power of two) and sub-bucket of a value.
fn hist_position(ns: u64) -> (u32, u64) {
    let bucket = (63 - (ns | 255).leading_zeros()) - HIST_HALF_MAGNITUDE;
    (bucket, ns >> bucket)
}

impl LatencyHistogram {
    /// Records one value (ns), clamped to 1 ns ..= 1 s.
    pub fn record(&mut self, ns: u64) {
        let ns = ns.clamp(1, HIST_MAX_NS);
        let (bucket, sub) = hist_position(ns);
        let idx = ((bucket as usize + 1) << HIST_HALF_MAGNITUDE) + sub as usize - HIST_HALF;
        if let Some(c) = self.counts.get_mut(idx) {
            *c += 1;
            self.total += 1;
        }
    }

    /// Values recorded.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The value (ns) at `percentile` (0 to 100): the highest value
    /// equivalent to the bucket where the cumulative count reaches the
    /// percentile (the lowest for percentile 0), as `hdr_value_at_percentile`.
    pub fn value_at_percentile(&self, percentile: f64) -> u64 {
        let wanted = ((percentile.min(100.0) / 100.0) * self.total as f64 + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        let mut value = 0;
        for (idx, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= wanted {
                value = value_at_index(idx);
                break;
            }
        }
        let (bucket, sub) = hist_position(value.max(1));
        let lowest = sub << bucket;
        if percentile == 0.0 {
            lowest
        } else {
            lowest + (1u64 << bucket) - 1
        }
    }
}

impl LatencyHistogram {
    /// The cumulative distribution LATENCY HISTOGRAM reports: walking the
    /// buckets in power-of-two steps from 1024 ns, as `hdr_iter_log` does,
    /// each step that added calls gives `(µs, calls so far)`, where µs is
    /// the top of the bucket the step stopped at.
    pub fn log_cdf(&self) -> Vec<(u64, u64)> {
        let len = self.counts.len();
        let lowest = |v: u64| {
            let (bucket, sub) = hist_position(v);
            sub << bucket
        };
        let mut level = 1024u64;
        let mut level_low = lowest(level);
        let (mut idx, mut value, mut highest, mut cumulative) = (-1i64, 0u64, 0u64, 0u64);
        let (mut out, mut previous) = (Vec::new(), 0u64);
        loop {
            let peek = idx < len as i64 && value_at_index((idx + 1) as usize) > level_low;
            if cumulative >= self.total && !peek {
                break;
            }
            while value < level_low {
                idx += 1;
                let Some(&count) = self.counts.get(idx as usize) else {
                    break;
                };
                cumulative += count;
                value = value_at_index(idx as usize);
                let (bucket, _) = hist_position(value);
                highest = lowest(value) + (1u64 << bucket) - 1;
            }
            if value >= level_low {
                level *= 2;
                level_low = lowest(level);
            }
            if cumulative > previous {
                out.push((highest / 1000, cumulative));
            }
            previous = cumulative;
            if idx >= len as i64 {
                break;
            }
        }
        out
    }
}

/// The lowest value counted at index `idx`.
fn value_at_index(idx: usize) -> u64 {
    let bucket = (idx >> HIST_HALF_MAGNITUDE) as i64 - 1;
    let sub = (idx & (HIST_HALF - 1)) + HIST_HALF;
    if bucket < 0 {
        (sub - HIST_HALF) as u64
    } else {
        (sub as u64) << bucket
    }
}

/// Number of samples kept for an instantaneous metric.
const SAMPLES: usize = 16;

/// An instantaneous rate (ops/sec, KB/sec) estimated from samples taken
/// every 100 ms, as Redis's `trackInstantaneousMetric`.
#[derive(Clone, Debug, Default)]
pub struct Rate {
    samples: [f64; SAMPLES],
    idx: usize,
    /// Base (time, cycles) of the previous sample; 0 before the first.
    last_base: u64,
    last_value: u64,
}

impl Rate {
    /// Records the counter `value` at `now_ms`.
    pub fn sample(&mut self, now_ms: i64, value: u64) {
        self.sample_ratio(value, now_ms.max(0) as u64, 1000.0);
    }

    /// Records the counter `value` against a growing `base` (time in ms,
    /// event-loop cycles, ...): the sample is the value's growth per unit
    /// of base growth, times `factor`.
    pub fn sample_ratio(&mut self, value: u64, base: u64, factor: f64) {
        if self.last_base > 0 {
            let db = base.saturating_sub(self.last_base);
            self.samples[self.idx] = if db == 0 {
                0.0
            } else {
                value.saturating_sub(self.last_value) as f64 * factor / db as f64
            };
            self.idx = (self.idx + 1) % SAMPLES;
        }
        self.last_base = base;
        self.last_value = value;
    }

    /// The mean of the recent samples.
    pub fn value(&self) -> f64 {
        self.samples.iter().sum::<f64>() / SAMPLES as f64
    }
}

/// Server-wide counters.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted.
    pub total_connections_received: u64,
    /// Connections refused for maxclients.
    pub rejected_connections: u64,
    /// Commands run.
    pub total_commands_processed: u64,
    /// Bytes read from clients.
    pub total_net_input_bytes: u64,
    /// Bytes written to clients.
    pub total_net_output_bytes: u64,
    /// Error replies sent.
    pub total_error_replies: u64,
    /// Errors by code (`ERR`, `WRONGTYPE`, ...).
    pub errors: HashMap<String, u64>,
    /// Clients closed for exceeding the output buffer limits.
    pub client_output_buffer_limit_disconnections: u64,
    /// Clients closed for exceeding `client-query-buffer-limit`.
    pub client_query_buffer_limit_disconnections: u64,
    /// Pub/Sub messages delivered... counted per PUBLISH.
    pub unexpected_error_replies: u64,
    /// Keyspace notifications published.
    pub keyspace_notifications: u64,
    /// Commands rejected because of a CLIENT PAUSE, then run later.
    pub paused_reprocessed_commands: u64,
    /// Ops/sec estimate.
    pub ops_rate: Rate,
    /// Input KB/sec estimate.
    pub input_rate: Rate,
    /// Output KB/sec estimate.
    pub output_rate: Rate,
    /// Peak memory seen (bytes).
    pub peak_memory: u64,
    /// When the peak was seen (ms).
    pub peak_time_ms: i64,
    /// Memory allocated when the server was ready to serve (bytes); INFO
    /// subtracts it to tell the dataset from the server's own overhead.
    pub startup_memory: u64,
    /// Socket reads attempted (`total_reads_processed`).
    pub total_reads_processed: u64,
    /// Socket writes of pending output (`total_writes_processed`).
    pub total_writes_processed: u64,
    /// Event-loop timings (`eventloop_*` in INFO stats and debug).
    pub eventloop: EventLoopStats,
    /// Children forked (BGSAVE, AOF rewrites).
    pub total_forks: u64,
    /// How long the last fork took (µs).
    pub latest_fork_usec: u64,
}

/// Event-loop timings, as Redis's `duration_stats`: how many iterations
/// ran, the time spent working in them (not waiting for events), and the
/// parts spent running commands and periodic tasks.
#[derive(Debug, Default)]
pub struct EventLoopStats {
    /// Iterations completed.
    pub cycles: u64,
    /// Working time of all iterations (µs).
    pub duration_sum_us: u64,
    /// Longest iteration (µs).
    pub duration_max_us: u64,
    /// Time spent running commands (µs, top-level calls only).
    pub cmd_sum_us: u64,
    /// Time spent in periodic tasks (µs).
    pub cron_sum_us: u64,
    /// Most commands run in one iteration.
    pub cmd_per_cycle_max: u64,
    /// Iterations per second.
    pub cycle_rate: Rate,
    /// Mean working time per iteration (µs).
    pub duration_rate: Rate,
}

impl EventLoopStats {
    /// Records one iteration that worked `us` µs and ran `commands`.
    pub fn record_cycle(&mut self, us: u64, commands: u64) {
        self.cycles += 1;
        self.duration_sum_us += us;
        self.duration_max_us = self.duration_max_us.max(us);
        self.cmd_per_cycle_max = self.cmd_per_cycle_max.max(commands);
    }

    /// Samples the instantaneous metrics (called from the periodic task).
    pub fn sample(&mut self, now_ms: i64) {
        self.cycle_rate.sample(now_ms, self.cycles);
        self.duration_rate
            .sample_ratio(self.duration_sum_us, self.cycles, 1.0);
    }
}

impl Stats {
    /// Counts an error reply by its code.
    pub fn count_error(&mut self, code: &[u8]) {
        self.total_error_replies += 1;
        let code = String::from_utf8_lossy(code);
        // Bound the table: unknown codes beyond 128 distinct ones are folded,
        // so a client sending odd error texts (scripts) cannot grow it forever.
        if self.errors.len() >= 128 && !self.errors.contains_key(code.as_ref()) {
            *self
                .errors
                .entry("ERRORSTATS_OVERFLOW".to_string())
                .or_default() += 1;
            return;
        }
        *self.errors.entry(code.into_owned()).or_default() += 1;
    }

    /// CONFIG RESETSTAT: zero the counters (not the peaks nor the
    /// startup memory).
    pub fn reset(&mut self) {
        let kept = (self.peak_memory, self.peak_time_ms, self.startup_memory);
        *self = Stats::default();
        (self.peak_memory, self.peak_time_ms, self.startup_memory) = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::LatencyHistogram;

    #[test]
    fn log_cdf_steps_like_hdr_log_iterator() {
        let mut h = LatencyHistogram::default();
        assert!(h.log_cdf().is_empty());
        h.record(5_000);
        assert_eq!(h.log_cdf(), vec![(8, 1)]);
        h.record(900);
        h.record(40_000);
        assert_eq!(h.log_cdf(), vec![(1, 1), (8, 2), (66, 3)]);
    }
}

#[cfg(test)]
mod percentile_tests {
    use super::*;

    #[test]
    fn histogram_percentiles_fall_on_hdr_bucket_bounds() {
        let mut h = LatencyHistogram::default();
        // 192 µs lands in the 1024 ns wide bucket starting at 191488 ns;
        // Redis reports its highest value: p50=192.511.
        h.record(192_000);
        assert_eq!(h.value_at_percentile(50.0), 192_511);
        assert_eq!(h.value_at_percentile(0.0), 191_488);
        // Small values are exact.
        let mut h = LatencyHistogram::default();
        for ns in 1..=100 {
            h.record(ns);
        }
        assert_eq!(h.total(), 100);
        assert_eq!(h.value_at_percentile(50.0), 50);
        assert_eq!(h.value_at_percentile(99.0), 99);
        assert_eq!(h.value_at_percentile(100.0), 100);
        assert_eq!(h.value_at_percentile(0.0), 1);
    }

    #[test]
    fn histogram_clamps_out_of_range_values() {
        let mut h = LatencyHistogram::default();
        h.record(0);
        h.record(u64::MAX);
        assert_eq!(h.total(), 2);
        assert_eq!(h.value_at_percentile(0.0), 1);
        let top = h.value_at_percentile(100.0);
        assert!((HIST_MAX_NS..HIST_MAX_NS + HIST_MAX_NS / 100).contains(&top));
    }

    #[test]
    fn ratio_rate_averages_growth_per_unit() {
        let mut r = Rate::default();
        // 10 µs per cycle over the samples taken.
        for i in 1..=(SAMPLES as u64 + 1) {
            r.sample_ratio(i * 100, i * 10, 1.0);
        }
        assert_eq!(r.value(), 10.0);
    }
}
