//! rh-server integration tests: the real `rh-server` binary on SQLite and on PostgreSQL, driven over HTTP.
//!
//! Every scenario runs once per backend ([`harness::backends`]); the PostgreSQL half needs the services of
//! `cargo xtask test` (`RH_TEST_INTEGRATION=1`, `DATABASE_URL`) and is skipped without them.

mod audit_tx;
mod authz;
mod backup;
mod bad_input;
mod dashboard;
#[path = "../../examples/loadmix/driver.rs"]
mod driver;
mod faults;
mod harness;
mod history;
mod hot_read;
mod lifecycle;
mod limits;
mod load;
mod mail;
mod named_secrets;
mod one_path;
mod openapi;
mod pg_writes;
mod protocol;
mod proxy;
mod read_cache;
mod secrets;
mod security;
mod sessions;
mod sharing;
mod user_config;
mod vault_access;
mod writer;
