//! Integration tests of rh-rns on real directories, real git repositories made in temp dirs, and real
//! rh-server processes.

mod git;
mod local;
mod remote;
