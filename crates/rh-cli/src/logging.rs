//! Logs on stderr in Runhouse's shape: `INFO | 2026-11-25 17:08:38,608 | message`.

use std::fmt;

use rh_config::{Env, EnvVars, OsEnv};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Installs the stderr logger. `RUST_LOG` wins over `-v`/`-q`; the default level is INFO.
pub(crate) fn init(verbose: u8, quiet: u8) {
    let level = match (verbose, quiet) {
        (0, 0) => "info",
        (1, _) => "debug",
        (v, _) if v >= 2 => "trace",
        (_, 1) => "warn",
        _ => "error",
    };
    let env = OsEnv;
    let filter = env
        .non_empty(EnvVars::RUST_LOG)
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| {
            // Dependencies stay at warn unless asked: their info lines are not ours to print. vaultrs and
            // rustify log every failed request at ERROR; rh reports the error itself, once.
            // The AWS SDK warns about its own internals (checksums it cannot check); rh_storage reports what
            // matters, so those show only with -v.
            let aws = if verbose == 0 { ",aws_sdk_s3=off,aws_smithy_runtime=off,aws_smithy_checksums=off" } else { "" };
            EnvFilter::new(format!("warn,rh={level},rh_cli={level},rh_config={level},rh_secrets={level},rh_rns={level},rh_resources={level},rh_storage={level},vaultrs=off,rustify=off{aws}"))
        });
    let color = env.var(EnvVars::NO_COLOR).is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(RhFormat { color })
        .try_init();
}

struct RhFormat {
    color: bool,
}

impl<S, N> FormatEvent<S, N> for RhFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = *event.metadata().level();
        let name = match level {
            Level::ERROR => "ERROR",
            Level::WARN => "WARNING",
            Level::INFO => "INFO",
            Level::DEBUG => "DEBUG",
            Level::TRACE => "TRACE",
        };
        let (start, end) = match (self.color, level) {
            (false, _) => ("", ""),
            (true, Level::ERROR) => ("\x1b[31m", "\x1b[0m"),
            (true, Level::WARN) => ("\x1b[33m", "\x1b[0m"),
            (true, _) => ("\x1b[2m", "\x1b[0m"),
        };
        write!(w, "{start}{name}{end} | {} | ", timestamp())?;
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

fn timestamp() -> String {
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second],[subsecond digits:3]"
    );
    now.format(&fmt).unwrap_or_default()
}
