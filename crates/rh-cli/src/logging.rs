//! Logs on stderr in Runhouse's shape: `INFO | 2026-11-25 17:08:38,608 | message`.

use std::fmt;

use rh_config::{Env, EnvVars, OsEnv};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Installs the stderr logger. `RUST_LOG` wins over `-v`/`-q`; the default level is INFO.
pub(crate) fn init(verbose: u8, quiet: u8) {
    let _ = subscriber(verbose, quiet, std::io::stderr).try_init();
}

/// The logger [`init`] installs, writing to `writer`.
fn subscriber<W>(verbose: u8, quiet: u8, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
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
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .event_format(RhFormat { color })
        .finish()
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
        // A message may quote a server's answer, a file name from a cloned repo or an object key: the field
        // formatter (tracing-subscriber >= 0.3.20) escapes terminal controls in it, as the test below checks.
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    /// A `MakeWriter` into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> tracing_subscriber::fmt::MakeWriter<'w> for Buffer {
        type Writer = Self;
        fn make_writer(&'w self) -> Self {
            self.clone()
        }
    }

    #[test]
    fn terminal_controls_in_log_lines_are_escaped() {
        let buffer = Buffer::default();
        let subscriber = super::subscriber(0, 0, buffer.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(
                "Skipping {}: bad\ttab",
                "rh/\x1b]52;c;cHduZWQ=\x07/config.json"
            );
            tracing::info!("two\nlines \u{9b}2J");
        });
        let text = String::from_utf8(buffer.0.lock().expect("lock").clone()).expect("utf-8");
        assert!(
            !text.contains('\x1b') && !text.contains('\u{9b}') && !text.contains('\x07'),
            "{text:?}"
        );
        assert!(
            text.contains("Skipping rh/\\x1b]52;c;cHduZWQ=\\x07/config.json: bad\ttab"),
            "{text:?}"
        );
        assert!(text.contains("two\nlines \\u{9b}2J"), "{text:?}");
    }
}
