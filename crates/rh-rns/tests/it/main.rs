//! Integration tests of rh-rns on real directories, real git repositories made in temp dirs, and real
//! rh-server processes.

mod git;
mod local;
mod remote;

/// An error and its causes, joined as the front ends print them.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
