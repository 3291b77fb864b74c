//! Integration tests of rh-rns on real directories, real git repositories made in temp dirs, and real
//! rh-server processes.

mod git;
mod local;
mod remote;

/// An error and its causes, joined as the front ends print them.
fn chain(err: &dyn std::error::Error) -> String {
    rh_config::display_chain(err)
}
