//! Integration tests of rh-resources over a real `LocalRns` in a temp dir.

mod clusters;
mod data;
