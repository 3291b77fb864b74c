//! Fuzzes the resource-name grammar: a name that parses prints back to itself and never has a segment
//! that could leave its folder.
#![no_main]

use std::str::FromStr;

use rh_rns::ResourceName;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(name) = ResourceName::from_str(text) else { return };
    for seg in name.segments() {
        assert!(!seg.is_empty() && seg != "." && seg != "..", "bad segment in {name}");
        assert!(!seg.contains(['/', '\0']), "bad segment in {name}");
    }
    let again = ResourceName::from_str(&name.to_string()).expect("a printed name parses");
    assert_eq!(again, name);
});
