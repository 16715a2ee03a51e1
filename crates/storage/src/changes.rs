//! The log of key changes that client-side caching (CLIENT TRACKING) turns
//! into invalidation messages.
//!
//! Storage knows when a key changes but not who caches it: that is the
//! server's tracking table. So the keyspace records each change here, in
//! order, and the server reads the log after every command and every
//! background job (active expiry, eviction). Recording is off unless the
//! server turns it on (some client tracks keys, or the tracking table still
//! holds some), so a server without tracking pays one flag test per write.
//!
//! The log only grows within one command or job, so it is bounded by the
//! work that command or job does.

/// One change caching clients must hear about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A key was written, deleted, expired or evicted.
    Key {
        /// The key (tracking is by name, across databases, as in Redis).
        key: Vec<u8>,
        /// The server changed it on its own (expiry, eviction), not a
        /// command: NOLOOP clients still hear about it in BCAST mode.
        by_server: bool,
    },
    /// Databases were emptied (FLUSHALL, FLUSHDB, DEBUG RELOAD): every
    /// cached key is invalid.
    Flush {
        /// The flush frees memory in the background (`ASYNC`), so the
        /// tracking table may be freed there too.
        lazy: bool,
    },
}

/// Changes not yet read by the server, and whether to record them.
#[derive(Debug, Default)]
pub struct ChangeLog {
    on: bool,
    changes: Vec<Change>,
}

impl ChangeLog {
    /// Starts or stops recording; stopping drops what was not read.
    pub fn set_recording(&mut self, on: bool) {
        self.on = on;
        if !on {
            self.changes = Vec::new();
        }
    }

    /// True while changes are recorded.
    pub fn is_recording(&self) -> bool {
        self.on
    }

    /// Records a change of `key` when recording.
    pub fn key(&mut self, key: &[u8], by_server: bool) {
        if self.on {
            self.changes.push(Change::Key {
                key: key.to_vec(),
                by_server,
            });
        }
    }

    /// Records that databases were emptied, when recording.
    pub fn flush(&mut self, lazy: bool) {
        if self.on {
            self.changes.push(Change::Flush { lazy });
        }
    }

    /// True when changes wait to be read.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    /// Takes the changes recorded so far, oldest first.
    pub fn take(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_only_when_on() {
        let mut log = ChangeLog::default();
        log.key(b"a", false);
        log.flush(false);
        assert!(!log.has_changes());
        log.set_recording(true);
        log.key(b"a", false);
        log.key(b"b", true);
        log.flush(true);
        assert_eq!(
            log.take(),
            vec![
                Change::Key {
                    key: b"a".to_vec(),
                    by_server: false
                },
                Change::Key {
                    key: b"b".to_vec(),
                    by_server: true
                },
                Change::Flush { lazy: true },
            ]
        );
        log.key(b"c", false);
        log.set_recording(false);
        assert!(!log.has_changes(), "stopping drops unread changes");
    }
}
