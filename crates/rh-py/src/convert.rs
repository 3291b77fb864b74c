//! Python values to and from the YAML values of config.yaml.
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
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any().unbind()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any().unbind()
            } else {
                n.as_f64()
                    .unwrap_or(f64::NAN)
                    .into_pyobject(py)?
                    .into_any()
                    .unbind()
            }
        }
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
