//! The `rh` binary: parses arguments, sets up logging and the one tokio runtime, runs a command and maps
//! the outcome to an exit code (0 ok, 1 user or input error, 2 unexpected).

use std::process::ExitCode;

use clap::Parser;

mod args;
mod commands;
mod context;
mod logging;
mod printer;
mod runner;

use args::Cli;

fn main() -> ExitCode {
    install_panic_hook();
    let cli = Cli::parse();
    logging::init(cli.global.verbose, cli.global.quiet);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            tracing::error!("cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(err) => report(&err),
    }
}

/// The error and its causes joined by `: `, skipping a cause whose text an outer message already
/// quotes (many library errors print their source in their own message).
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Prints the error chain on one line and picks the exit code.
fn report(err: &anyhow::Error) -> ExitCode {
    if err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::SUCCESS;
    }
    let unexpected = err
        .chain()
        .any(<dyn std::error::Error>::is::<commands::Unexpected>);
    printer::error_line(&one_line(err));
    if unexpected {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}

/// A panic is a bug: say so on one line and exit 2, instead of Rust's 101.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(ToString::to_string).unwrap_or_default();
        // The payload is our own text, but print only where it happened: a payload could echo input.
        printer::error_line(&format!(
            "internal error at {location}; please report it with the command you ran (RUST_BACKTRACE=1 shows more)"
        ));
        #[expect(
            clippy::exit,
            reason = "a panic must end the process with the documented exit code"
        )]
        std::process::exit(2);
    }));
}
