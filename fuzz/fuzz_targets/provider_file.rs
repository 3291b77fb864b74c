//! Fuzzes every file-backed provider's reader and writer (INI, clouds.config, gcloud JSON, HF token,
//! lambda_keys, hosts.yml) with arbitrary existing file contents.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rh_secrets::fuzzing::provider_file(data));
