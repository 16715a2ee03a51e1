//! Compiled glob patterns kept for as long as a PSUBSCRIBE uses them, so a
//! PUBLISH does not recompile every pattern.

use lodestone_commands::glob::Pattern;
use std::collections::HashMap;

/// Patterns compiled once, by source text.
#[derive(Default)]
pub struct PatternCache {
    compiled: HashMap<Vec<u8>, Pattern>,
}

impl PatternCache {
    /// The compiled form of `pattern` (case-sensitive).
    pub fn get(&mut self, pattern: &[u8]) -> &Pattern {
        self.compiled
            .entry(pattern.to_vec())
            .or_insert_with(|| Pattern::new(pattern, false))
    }

    /// Drops a pattern nobody subscribes to any more.
    pub fn forget(&mut self, pattern: &[u8]) {
        self.compiled.remove(pattern);
    }
}
