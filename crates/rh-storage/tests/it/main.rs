//! rh-storage against real backends: a temp dir always, and moto (S3), fake-gcs-server and Azurite when
//! `RH_TEST_INTEGRATION=1` (the servers `cargo xtask test` starts).

mod azure;
mod file;
mod gcs;
mod s3;

/// Size of the large streamed round trip (64 MiB keeps CI fast; the bench does 1 GiB).
const LARGE: u64 = 64 * 1024 * 1024;
