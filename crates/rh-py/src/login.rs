//! `rh.login` and `rh.logout`: rh-ops login flows.

use pyo3::prelude::*;

/// Adds this module's functions to `rh._rh`.
#[expect(
    clippy::unnecessary_wraps,
    reason = "the bindings of the next commits fill it"
)]
pub(crate) fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
