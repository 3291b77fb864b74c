//! Integration tests of rh-rns on real directories and real git repositories made in temp dirs.

mod git;
mod local;
