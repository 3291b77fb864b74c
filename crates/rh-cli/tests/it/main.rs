//! End-to-end tests of the `rh` binary: each runs the real executable in a throwaway HOME.

mod blob;
mod blob_transfer;
mod config;
mod crash;
mod error_messages;
mod faults;
mod fixtures;
mod leaks;
mod named;
mod remote;
mod resource;
mod run;
mod secrets;
mod secrets_server;
mod server_tls;
mod trust;
mod vault;
