//! CLIENT PAUSE: holding clients' commands (all, or only writes) until a
//! deadline or CLIENT UNPAUSE. Held commands stay in their client's input
//! buffer and run, in order, when the pause ends.

use crate::client::flags;
use crate::server::{Pause, Server};

impl Server {
    /// Starts or extends a pause. The more restrictive kind and the later
    /// deadline win, as in Redis.
    pub fn pause_clients(&mut self, until_ms: i64, write_only: bool) {
        let p = match self.pause {
            Some(old) => Pause {
                until_ms: old.until_ms.max(until_ms),
                write_only: old.write_only && write_only,
            },
            None => Pause {
                until_ms,
                write_only,
            },
        };
        self.pause = Some(p);
        for ks in self.engine.shards_mut() {
            ks.set_expiry_paused(true);
        }
    }

    /// Ends the pause and resumes the clients it held.
    pub fn unpause(&mut self) {
        self.pause = None;
        for ks in self.engine.shards_mut() {
            ks.set_expiry_paused(false);
        }
        let held: Vec<usize> = self
            .clients
            .iter()
            .filter(|(_, c)| c.has(flags::PAUSED))
            .map(|(k, _)| k)
            .collect();
        for key in held {
            if let Some(c) = self.clients.get_mut(key) {
                c.flags &= !flags::PAUSED;
            }
            self.to_resume.push(key);
        }
    }

    /// Clients currently held by a pause (counted as blocked in INFO).
    pub fn paused_client_count(&self) -> usize {
        self.clients
            .iter()
            .filter(|(_, c)| c.has(flags::PAUSED))
            .count()
    }
}
