//! End-to-end tests of the `rh` binary: each runs the real executable in a throwaway HOME.

mod config;
mod crash;
mod faults;
mod leaks;
mod resource;
mod run;
mod secrets;
mod vault;
