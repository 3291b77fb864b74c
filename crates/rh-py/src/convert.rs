//! Python values to and from the YAML values of config.yaml ([`to_yaml`], [`to_py`]) and the JSON values of
//! resource configs ([`to_json`], [`json_to_py`]); numbers cross by one rule ([`number_to_py`]).
//!
//! `None`, `bool`, `int`, `float`, `str`, `list`/`tuple` and `dict` map onto YAML's null, bool, integer,
//! float, string, sequence and mapping, and back. A Python `str` is stored as a string as given (no
//! re-typing: `"30"` stays a string, `30` is an integer, as in Python). Anything else is a `RhValueError`.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_yaml::{Mapping, Number, Value};

use crate::errors::bad_input;

/// Converts a Python value into a YAML value.
pub(crate) fn to_yaml(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // `bool` before `int`: True is an int in Python.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::Number(u.into()));
        }
        return Err(bad_input("integer out of range for config.yaml (64 bits)"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Number(Number::from(f.value())));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(Value::String(obj.extract()?));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return obj
            .try_iter()?
            .map(|item| to_yaml(&item?))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Sequence);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Mapping::new();
        for (k, v) in d.iter() {
            if !(k.is_instance_of::<PyString>() || k.is_instance_of::<PyInt>()) {
                return Err(bad_input(
                    "config.yaml map keys must be strings or integers",
                ));
            }
            map.insert(to_yaml(&k)?, to_yaml(&v)?);
        }
        return Ok(Value::Mapping(map));
    }
    let type_name = obj.get_type().name()?;
    Err(bad_input(&format!(
        "cannot store a value of type `{type_name}` in config.yaml (use None, bool, int, float, str, list or dict)"
    )))
}

/// Converts a YAML value into a Python value.
pub(crate) fn to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Number(n) => number_to_py(py, n.as_i64(), n.as_u64(), n.as_f64())?,
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Sequence(items) => {
            let items = items
                .iter()
                .map(|v| to_py(py, v))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any().unbind()
        }
        Value::Mapping(map) => {
            let d = PyDict::new(py);
            for (k, v) in map {
                d.set_item(to_py(py, k)?, to_py(py, v)?)?;
            }
            d.into_any().unbind()
        }
        Value::Tagged(t) => to_py(py, &t.value)?,
    })
}

/// A Python value as JSON: `None`, `bool`, `int`, `float`, `str`, `list`/`tuple`, `dict` with `str` keys.
pub(crate) fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    if obj.is_none() {
        return Ok(serde_json::Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(serde_json::Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(serde_json::Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(serde_json::Value::from(u));
        }
        return Err(bad_input("integer out of range for a resource config"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return serde_json::Number::from_f64(f.value())
            .map(serde_json::Value::Number)
            .ok_or_else(|| bad_input("a resource config cannot hold NaN or infinity"));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(serde_json::Value::String(obj.extract()?));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return obj
            .try_iter()?
            .map(|item| to_json(&item?))
            .collect::<PyResult<Vec<_>>>()
            .map(serde_json::Value::Array);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (k, v) in d.iter() {
            let k: String = k
                .extract()
                .map_err(|_| bad_input("resource config keys must be strings"))?;
            map.insert(k, to_json(&v)?);
        }
        return Ok(serde_json::Value::Object(map));
    }
    let type_name = obj.get_type().name()?;
    Err(bad_input(&format!(
        "a resource config cannot hold a value of type `{type_name}`"
    )))
}

/// A JSON value as Python (objects keep their key order).
pub(crate) fn json_to_py(py: Python<'_>, value: &serde_json::Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        serde_json::Value::Null => py.None(),
        serde_json::Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        serde_json::Value::Number(n) => number_to_py(py, n.as_i64(), n.as_u64(), n.as_f64())?,
        serde_json::Value::String(s) => PyString::new(py, s).into_any().unbind(),
        serde_json::Value::Array(items) => {
            let items = items
                .iter()
                .map(|v| json_to_py(py, v))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any().unbind()
        }
        serde_json::Value::Object(map) => {
            let d = PyDict::new(py);
            for (k, v) in map {
                d.set_item(k, json_to_py(py, v)?)?;
            }
            d.into_any().unbind()
        }
    })
}

/// A number of YAML or JSON as a Python `int` (when it is one) or `float`.
fn number_to_py(
    py: Python<'_>,
    int: Option<i64>,
    uint: Option<u64>,
    float: Option<f64>,
) -> PyResult<Py<PyAny>> {
    Ok(if let Some(i) = int {
        i.into_pyobject(py)?.into_any().unbind()
    } else if let Some(u) = uint {
        u.into_pyobject(py)?.into_any().unbind()
    } else {
        float
            .unwrap_or(f64::NAN)
            .into_pyobject(py)?
            .into_any()
            .unbind()
    })
}
