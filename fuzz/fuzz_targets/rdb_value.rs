//! Fuzzes the RDB value decoder behind RESTORE and RDB loading: no panic,
//! no unbounded allocation, and every accepted value round-trips and
//! survives reads and writes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lodestone_fuzz::rdb_checks::rdb_value(data));
