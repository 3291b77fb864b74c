//! Fuzzes the `config.yaml` parser: any bytes must give a config or an error, never a panic, and a
//! parsed config must save and re-parse to the same document.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("/fuzz/config.yaml");
    if let Ok(config) = rh_config::Config::parse(path, data) {
        let text = config.to_yaml().expect("a parsed config serialises");
        let again = rh_config::Config::parse(path, text.as_bytes()).expect("a saved config parses");
        assert_eq!(config.document(), again.document());
    }
});
