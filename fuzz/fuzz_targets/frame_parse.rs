//! Fuzzes the reply parser `lodestone_protocol::frame::parse`: no panic, no
//! unbounded recursion, and every decoded frame round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lodestone_fuzz::checks::frame_parse(data));
