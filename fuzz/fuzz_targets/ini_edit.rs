//! Fuzzes the in-place INI editor used for `~/.aws/credentials` and `~/.azure/clouds.config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rh_secrets::fuzzing::ini(data));
