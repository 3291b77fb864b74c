//! The YAML files of providers (gh's `hosts.yml`, kubeconfigs): read as a mapping, written back, with errors that
//! name the file and line and quote nothing from it.

use std::path::Path;

use serde_yaml::{Mapping, Value};

use crate::{Error, Result, fsio};

/// The YAML text of `doc`. Some documents parse but cannot be written back (a mapping used as a key,
/// found by fuzzing `hosts_yml`): refused, naming the file, so it is left as it was.
pub(super) fn render(path: &Path, doc: &Mapping) -> Result<String> {
    serde_yaml::to_string(doc).map_err(|_| Error::Unwritable {
        path: path.to_path_buf(),
    })
}

/// Reads a YAML mapping (`None`: no file; empty or `null`: an empty mapping). A document of another shape is
/// refused with `expected` as its message.
pub(super) fn read_mapping(path: &Path, expected: &str) -> Result<Option<Mapping>> {
    let Some(text) = fsio::read_optional(path)? else {
        return Ok(None);
    };
    if text.trim().is_empty() {
        return Ok(Some(Mapping::new()));
    }
    match serde_yaml::from_str::<Value>(&text) {
        Ok(Value::Mapping(m)) => Ok(Some(m)),
        Ok(Value::Null) => Ok(Some(Mapping::new())),
        Ok(_) => Err(Error::Malformed {
            path: path.to_path_buf(),
            line: 1,
            message: expected.to_owned(),
        }),
        Err(e) => Err(Error::Malformed {
            path: path.to_path_buf(),
            line: e.location().map_or(1, |l| l.line()),
            message: "not valid YAML".to_owned(),
        }),
    }
}
