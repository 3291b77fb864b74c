//! Fuzzes reading and saving GitHub CLI's `~/.config/gh/hosts.yml` (YAML, merged) with arbitrary
//! existing contents: never a panic, a refused save leaves the file byte-identical, a successful one
//! reads back the saved values.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rh_secrets::fuzzing::provider_file_of("github", data));
