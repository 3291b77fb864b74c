//! Fuzzes `config.json` loading: any bytes give a record or an error; a record re-saves to bytes that
//! load to the same record, and typing it as a resource never panics.
#![no_main]

use std::str::FromStr;

use rh_rns::{ResourceName, ResourceRecord};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let name = ResourceName::from_str("~/fuzz").expect("a valid name");
    let Ok(record) = ResourceRecord::from_json(name.clone(), data, "fuzz/config.json") else { return };
    let bytes = record.to_json_bytes();
    let again = ResourceRecord::from_json(name, &bytes, "fuzz/config.json").expect("saved bytes load");
    assert_eq!(again.config(), record.config());
    assert_eq!(again.to_json_bytes(), bytes);
    if let Ok(resource) = rh_resources::Resource::from_record(&record, "fuzz/config.json") {
        let _ = resource.to_record();
    }
});
