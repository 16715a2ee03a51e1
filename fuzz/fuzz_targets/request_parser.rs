//! Fuzzes the client request parser: arbitrary bytes, split at arbitrary
//! points, must parse to the same commands as when fed at once, without
//! panicking or claiming more arguments than the bytes can hold.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lodestone_fuzz::checks::request_parser(data));
