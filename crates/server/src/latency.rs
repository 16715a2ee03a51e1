//! The latency monitor: for each event (`command`, `fast-command`, ...) the
//! worst latency per second over the last 160 samples, as Redis keeps it
//! for LATENCY LATEST, HISTORY and DOCTOR.

use std::collections::{BTreeMap, VecDeque};

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

    /// Forgets events (all when `names` is empty); returns how many were reset.
    pub fn reset(&mut self, names: &[String]) -> usize {
        if names.is_empty() {
            let n = self.events.len();
            self.events.clear();
            return n;
        }
        names
            .iter()
            .filter(|n| self.events.remove(n.as_str()).is_some())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
