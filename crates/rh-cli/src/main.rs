//! The `rh` binary: parses arguments, sets up logging and the one tokio runtime, runs a command and maps
//! the outcome to an exit code (0 ok, 1 user or input error or an unreachable service, 2 a bug in rh).

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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage(&err),
    };
    logging::init(cli.global.verbose, cli.global.quiet);
    let verbose = cli.global.verbose > 0;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            let err = anyhow::Error::new(err)
                .context(commands::Unexpected("cannot start the async runtime"));
            return report(&err, verbose);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(err) => report(&err, verbose),
    }
}

/// Prints the error and picks the exit code: 0 for a closed stdout, 2 for a bug ([`commands::is_unexpected`]),
/// 1 for everything else (bad input, an unreachable service).
///
/// Each message in the chain describes its own layer only, so the chain is printed whole: joined by `: ` on
/// one line, or with `-v` the outer message and then one `caused by:` line per cause.
fn report(err: &anyhow::Error, verbose: bool) -> ExitCode {
    if err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::SUCCESS;
    }
    if verbose {
        printer::error_line(&err.to_string());
        for cause in err.chain().skip(1) {
            printer::caused_by_line(&cause.to_string());
        }
    } else {
        printer::error_line(&format!("{err:#}"));
    }
    if commands::is_unexpected(err) {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}

/// Prints clap's help, version or usage error; a usage error is bad input (exit 1), not clap's 2, which
/// README keeps for a bug in rh.
fn usage(err: &clap::Error) -> ExitCode {
    let _ = err.print();
    if err.use_stderr() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
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
