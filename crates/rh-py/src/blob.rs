//! `rh.blob`: rh-ops blob operations, the ones `rh blob …` calls.
//!
//! A blob's bytes go from the Python `bytes` object straight to the store (no copy: the store reads the
//! object's buffer while the GIL is released). `write` is `rh blob write`'s write-then-save: the object
//! is uploaded whole (a temporary file renamed, or a multipart upload completed), then the config is
//! saved, and a failed save deletes the object again. Ctrl-C drops the upload, waits for its abort, and
//! raises `KeyboardInterrupt`: no partial file or object, no config.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt as _;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyBytes;
use rh_ops::blob as ops;
use rh_resources::{Blob, Resource, System};
use rh_storage::PutOptions;

use crate::convert::json_to_py;
use crate::errors::bad_input;
use crate::resource::{config_of, names, resource_of, typed};
use crate::runtime::{block_on, blocking};

/// How long an interrupted upload waits for its abort to reach the server (as the CLI).
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(15);

/// The size of the pieces a blob's bytes are handed to the store in: as `put_reader` reads a file, so a
/// store that gathers parts copies one part at a time, never the whole blob.
const CHUNK: usize = 256 * 1024;

/// `data` as a stream of [`CHUNK`]-sized slices of the same buffer (no copy).
fn chunks(data: Bytes) -> rh_storage::ByteStream {
    let pieces = (0..data.len().div_ceil(CHUNK))
        .map(move |i| Ok(data.slice(i * CHUNK..((i + 1) * CHUNK).min(data.len()))));
    futures::stream::iter(pieces).boxed()
}

/// The blob a Python config describes.
fn blob_of(
    names: &rh_ops::Names,
    config: serde_json::Map<String, serde_json::Value>,
) -> rh_ops::Result<Blob> {
    match resource_of(names, config)? {
        Resource::Blob(b) => Ok(b),
        other => Err(rh_resources::Error::WrongType {
            name: other.name().to_string(),
            expected: "a blob",
            found: other.kind(),
        }
        .into()),
    }
}

/// A new, unsaved blob's `(kind, config)`: `name` on `system` at `path` (default: a fresh path, as
/// `rh blob write` picks it).
#[pyfunction]
#[pyo3(signature = (name, system, path=None))]
pub(crate) fn blob_new(
    py: Python<'_>,
    name: &str,
    system: &str,
    path: Option<String>,
) -> PyResult<(&'static str, Py<PyAny>)> {
    let blob = blocking(py, || {
        let (session, names) = names()?;
        ops::new_blob(&session, &names, name, system, path)
    })?;
    typed(py, &Resource::Blob(blob))
}

/// Uploads `data` to the blob's path and saves its config (`rh blob write`); returns the saved config.
#[pyfunction]
#[pyo3(signature = (config, data, overwrite=true))]
pub(crate) fn blob_write(
    py: Python<'_>,
    config: &Bound<'_, PyAny>,
    data: &Bound<'_, PyAny>,
    overwrite: bool,
) -> PyResult<Py<PyAny>> {
    let config = config_of(config)?;
    let data: PyBackedBytes = data.extract().map_err(|_| {
        let type_name = data
            .get_type()
            .name()
            .map_or_else(|_| "?".to_owned(), |n| n.to_string());
        bad_input(&format!(
            "Cannot save blob with data of type {type_name}, data must be serialized (bytes)"
        ))
    })?;
    let result = block_on(py, async move {
        let (session, names) = names()?;
        let blob = blob_of(&names, config)?;
        let System::Name(system) = &blob.system else {
            return Err(rh_ops::Error::BlobOnCluster {
                name: blob.name.to_string(),
            });
        };
        let write = ops::prepare_write(
            &session,
            &names,
            &blob.name.to_string(),
            system,
            Some(blob.path.clone()),
            true,
            overwrite,
        )
        .await?;
        let meta = write
            .target
            .store
            .put_stream(
                &write.target.key,
                chunks(Bytes::from_owner(data)),
                &PutOptions::default(),
            )
            .await
            .map_err(|e| write.upload_error(e))?;
        write.save(&meta).await?;
        Ok(blob)
    });
    match result {
        Ok(blob) => json_to_py(py, &serde_json::Value::Object(blob.to_config())),
        Err(e) => {
            if e.is_instance_of::<PyKeyboardInterrupt>(py) {
                // The dropped upload aborts its multipart upload; wait for that before raising.
                let _ = block_on(py, async {
                    rh_storage::finish_cleanups(CLEANUP_TIMEOUT).await;
                    Ok(())
                });
            }
            Err(e)
        }
    }
}

/// The blob's bytes, read from its store.
#[pyfunction]
pub(crate) fn blob_read<'py>(
    py: Python<'py>,
    config: &Bound<'_, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let config = config_of(config)?;
    let bytes = block_on(py, async {
        let (session, names) = names()?;
        let blob = blob_of(&names, config)?;
        let target = ops::target_of_blob(&session, &names, &blob).await?;
        Ok(target.store.get(&target.key).await?)
    })?;
    Ok(PyBytes::new(py, &bytes))
}

/// Whether the blob's bytes exist in its store.
#[pyfunction]
pub(crate) fn blob_exists(py: Python<'_>, config: &Bound<'_, PyAny>) -> PyResult<bool> {
    let config = config_of(config)?;
    block_on(py, async {
        let (session, names) = names()?;
        let blob = blob_of(&names, config)?;
        let target = ops::target_of_blob(&session, &names, &blob).await?;
        Ok(target.store.exists(&target.key).await?)
    })
}

/// Deletes the blob's bytes (not its config, as Runhouse's `rm`).
#[pyfunction]
pub(crate) fn blob_rm(py: Python<'_>, config: &Bound<'_, PyAny>) -> PyResult<()> {
    let config = config_of(config)?;
    block_on(py, async {
        let (session, names) = names()?;
        let blob = blob_of(&names, config)?;
        let target = ops::target_of_blob(&session, &names, &blob).await?;
        target.store.delete(&target.key).await?;
        tracing::info!("Deleted the data of {} at {}", blob.name, target.location());
        Ok(())
    })
}

/// Adds this module's functions to `rh._rh`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(blob_new, m)?)?;
    m.add_function(wrap_pyfunction!(blob_write, m)?)?;
    m.add_function(wrap_pyfunction!(blob_read, m)?)?;
    m.add_function(wrap_pyfunction!(blob_exists, m)?)?;
    m.add_function(wrap_pyfunction!(blob_rm, m)?)?;
    Ok(())
}
