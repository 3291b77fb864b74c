//! Reading typed fields out of a config map, and writing them back in place so key order survives.

use serde_json::{Map, Value};

use crate::Error;

/// Reads fields of one config, naming the resource in errors.
pub(crate) struct Fields<'a> {
    pub(crate) map: &'a Map<String, Value>,
    pub(crate) name: &'a str,
}

impl Fields<'_> {
    fn bad(&self, key: &str, want: &str) -> Error {
        Error::InvalidConfig {
            location: self.name.to_owned(),
            reason: format!("`{key}` must be {want}"),
        }
    }

    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<String>, Error> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.bad(key, "a string or null")),
        }
    }

    pub(crate) fn opt_i64(&self, key: &str) -> Result<Option<i64>, Error> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.bad(key, "an integer or null")),
            Some(_) => Err(self.bad(key, "an integer or null")),
        }
    }

    pub(crate) fn opt_bool(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.bad(key, "true, false or null")),
        }
    }

    pub(crate) fn opt_str_list(&self, key: &str) -> Result<Option<Vec<String>>, Error> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| self.bad(key, "a list of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(self.bad(key, "a list of strings")),
        }
    }
}

/// Writes `fields` into a copy of `base`: a key already there keeps its position, a new key is appended
/// (so a new resource gets the canonical order), and `None` removes the key.
pub(crate) fn overlay(
    base: &Map<String, Value>,
    fields: Vec<(&str, Option<Value>)>,
) -> Map<String, Value> {
    let mut map = base.clone();
    for (key, value) in fields {
        match value {
            Some(v) => {
                if let Some(slot) = map.get_mut(key) {
                    *slot = v;
                } else {
                    map.insert(key.to_owned(), v);
                }
            }
            None => {
                map.shift_remove(key);
            }
        }
    }
    map
}

pub(crate) fn opt_string(v: Option<&String>) -> Value {
    v.map_or(Value::Null, |s| Value::String(s.clone()))
}
