//! rh-server integration tests: the real `rh-server` binary on SQLite and on PostgreSQL, driven over HTTP.
//!
//! Every scenario runs once per backend ([`harness::backends`]); the PostgreSQL half needs the services of
//! `cargo xtask test` (`RH_TEST_INTEGRATION=1`, `DATABASE_URL`) and is skipped without them.

mod authz;
mod bad_input;
mod dashboard;
mod harness;
mod lifecycle;
mod mail;
mod protocol;
mod read_cache;
mod secrets;
mod sharing;
