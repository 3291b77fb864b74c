//! Resources (`rh.cluster`, `rh.ondemand_cluster`, `rh.load`, `rh.exists`, sharing): rh-ops resource operations.

use pyo3::prelude::*;

/// Adds this module's functions to `rh._rh`.
#[expect(
    clippy::unnecessary_wraps,
    reason = "the bindings of the next commits fill it"
)]
pub(crate) fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
