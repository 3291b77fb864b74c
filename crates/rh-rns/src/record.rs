//! [`ResourceRecord`]: what the RNS stores, a name and an opaque JSON config.

use serde_json::{Map, Value};

use crate::{Error, ResourceName, Result, pyjson};

/// A resource as the RNS sees it: its address and its JSON config, with keys in the order the resource
/// defined them. The RNS reads only `name`, `resource_type` and `resource_subtype`; everything else is
/// carried unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRecord {
    name: ResourceName,
    config: Map<String, Value>,
}

impl ResourceRecord {
    /// A record for `name` with `config`. The config's `name` key is set to the address: replaced in
    /// place when present, else inserted first.
    pub fn new(name: ResourceName, mut config: Map<String, Value>) -> Self {
        set_name(&mut config, &name);
        Self { name, config }
    }

    /// Parses stored JSON bytes. `origin` (a file path or URL) only goes into error messages. The
    /// config must be an object with a non-empty string `resource_type`; its `name` is forced to `name`.
    pub fn from_json(name: ResourceName, bytes: &[u8], origin: &str) -> Result<Self> {
        let corrupt = |reason: String| Error::Corrupt {
            path: origin.to_owned(),
            reason,
        };
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| corrupt(format!("not valid JSON ({e})")))?;
        let Value::Object(config) = value else {
            return Err(corrupt(format!(
                "expected a JSON object, found {}",
                kind(&value)
            )));
        };
        Self::from_config(name, config, origin)
    }

    /// Checks a parsed config like [`ResourceRecord::from_json`] does.
    pub fn from_config(
        name: ResourceName,
        config: Map<String, Value>,
        origin: &str,
    ) -> Result<Self> {
        let corrupt = |reason: &str| Error::Corrupt {
            path: origin.to_owned(),
            reason: reason.to_owned(),
        };
        match config.get("resource_type") {
            None => return Err(corrupt("`resource_type` is missing")),
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            Some(_) => return Err(corrupt("`resource_type` must be a non-empty string")),
        }
        match config.get("resource_subtype") {
            None | Some(Value::Null | Value::String(_)) => {}
            Some(_) => return Err(corrupt("`resource_subtype` must be a string")),
        }
        Ok(Self::new(name, config))
    }

    /// The address.
    pub fn name(&self) -> &ResourceName {
        &self.name
    }

    /// The whole config, `name` included.
    pub fn config(&self) -> &Map<String, Value> {
        &self.config
    }

    /// Consumes the record, returning the config.
    pub fn into_config(self) -> Map<String, Value> {
        self.config
    }

    /// `resource_type` (`cluster`, `blob`, `folder`, …).
    pub fn resource_type(&self) -> &str {
        self.config
            .get("resource_type")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `resource_subtype` (`OnDemandCluster`, `Blob`, …), when present.
    pub fn resource_subtype(&self) -> Option<&str> {
        self.config.get("resource_subtype").and_then(Value::as_str)
    }

    /// The same config under another name.
    #[must_use]
    pub fn renamed(&self, name: ResourceName) -> Self {
        Self::new(name, self.config.clone())
    }

    /// The bytes of `config.json`, exactly as Runhouse (Python `json.dump(indent=4)`) writes them.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        pyjson::to_string(&Value::Object(self.config.clone())).into_bytes()
    }
}

fn set_name(config: &mut Map<String, Value>, name: &ResourceName) {
    let value = Value::String(name.to_string());
    if let Some(v) = config.get_mut("name") {
        *v = value;
    } else {
        config.shift_insert(0, "name".to_owned(), value);
    }
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(a) if a.is_empty() => "an empty array",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> ResourceName {
        s.parse().expect("valid name")
    }

    #[test]
    fn corrupt_configs_name_the_file() {
        for (bytes, reason) in [
            (&b"{not json"[..], "not valid JSON"),
            (b"[]", "found an empty array"),
            (b"{}", "`resource_type` is missing"),
            (b"{\"resource_type\": 3}", "non-empty string"),
            (
                b"{\"resource_type\": \"x\", \"resource_subtype\": 1}",
                "must be a string",
            ),
        ] {
            let err = ResourceRecord::from_json(name("~/x"), bytes, "/w/rh/x/config.json")
                .expect_err("corrupt")
                .to_string();
            assert!(
                err.starts_with("invalid resource config /w/rh/x/config.json: "),
                "{err}"
            );
            assert!(err.contains(reason), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn name_is_forced_in_place_or_first() {
        let r = ResourceRecord::from_json(
            name("~/b"),
            br#"{"resource_type": "blob", "name": "~/a", "path": "p"}"#,
            "f",
        )
        .expect("valid");
        let keys: Vec<_> = r.config().keys().cloned().collect();
        assert_eq!(keys, ["resource_type", "name", "path"]);
        assert_eq!(r.config()["name"], "~/b");
        let r = ResourceRecord::from_json(name("~/b"), br#"{"resource_type": "blob"}"#, "f")
            .expect("valid");
        assert_eq!(r.config().keys().next().map(String::as_str), Some("name"));
    }
}
