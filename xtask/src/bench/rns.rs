//! Benchmarks of the rns area.

use anyhow::Result;

use super::Bench;

#[allow(clippy::unnecessary_wraps, reason = "filled by the area's issue")]
pub(crate) fn run(_bench: &mut Bench) -> Result<()> {
    Ok(())
}
