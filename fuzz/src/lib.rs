//! Fuzzing support for Lodestone: the invariants each fuzz target checks.
//! They live in [`checks`] so the seeded property test in
//! `crates/protocol/tests/fuzz_invariants.rs` checks the same ones on stable.

pub mod checks;
pub mod rdb_checks;
