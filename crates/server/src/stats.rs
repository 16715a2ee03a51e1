//! Server-wide counters reported by INFO (`stats`, `commandstats`,
//! `errorstats`). Plain integers updated on the event-loop thread; nothing
//! here locks or allocates per command.

use std::collections::HashMap;

/// Per-command counters (`INFO commandstats`).
#[derive(Clone, Copy, Debug, Default)]
pub struct CommandStats {
    /// Times the command ran.
    pub calls: u64,
    /// Total run time (µs).
    pub usec: u64,
    /// Refused before running (arity, auth, OOM, ...).
    pub rejected_calls: u64,
    /// Ran and replied with an error.
    pub failed_calls: u64,
}

/// Number of samples kept for an instantaneous metric.
const SAMPLES: usize = 16;

/// An instantaneous rate (ops/sec, KB/sec) estimated from samples taken
/// every 100 ms, as Redis's `trackInstantaneousMetric`.
#[derive(Clone, Debug, Default)]
pub struct Rate {
    samples: [f64; SAMPLES],
    idx: usize,
    last_ms: i64,
    last_value: u64,
}

impl Rate {
    /// Records the counter `value` at `now_ms`.
    pub fn sample(&mut self, now_ms: i64, value: u64) {
        if self.last_ms > 0 {
            let dt = (now_ms - self.last_ms).max(1) as f64;
            let per_sec = (value.saturating_sub(self.last_value)) as f64 * 1000.0 / dt;
            self.samples[self.idx] = per_sec;
            self.idx = (self.idx + 1) % SAMPLES;
        }
        self.last_ms = now_ms;
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

    /// CONFIG RESETSTAT: zero the counters (not the peaks).
    pub fn reset(&mut self) {
        let peak = (self.peak_memory, self.peak_time_ms);
        *self = Stats::default();
        (self.peak_memory, self.peak_time_ms) = peak;
    }
}
