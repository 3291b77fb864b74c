//! Fuzzes reading and saving Lambda Labs' `~/.lambda_cloud/lambda_keys` (`api_key = …` lines) with
//! arbitrary existing contents: never a panic, a refused save leaves the file byte-identical, a
//! successful one reads back the saved values.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rh_secrets::fuzzing::provider_file_of("lambda", data));
