//! `rh run`'s process runner: starts a command with secrets in its environment and copies its output
//! through a [`Redactor`], so no secret value reaches the terminal or a log.
//!
//! When rh's stdout is a terminal the child gets a pseudo-terminal of the same size (colours and
//! full-screen programs keep working, and rh's own terminal is put in raw mode meanwhile); otherwise
//! stdout and stderr are pipes, redacted separately. The child's exit code is passed through
//! (128 + signal number for a signal, as shells do).
//!
//! On a pseudo-terminal, bytes held back because they may start a secret are written after
//! [`PTY_IDLE`] without new output, so a prompt such as `Password: ` is not stalled; if the value they
//! began arrives later, the rest of it is still masked.

use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitCode, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use anyhow::{Context, Result};
use rh_secrets::redact::Redactor;
use secrecy::{ExposeSecret, SecretString};

/// What to run and with which secrets.
pub(crate) struct RunSpec {
    pub(crate) program: OsString,
    pub(crate) args: Vec<OsString>,
    /// Variables added to the child's environment.
    pub(crate) env: Vec<(String, SecretString)>,
    /// Variables of rh's environment the child does not get.
    pub(crate) remove: Vec<OsString>,
    /// Further values to redact (rh's own tokens, secrets not exported).
    pub(crate) redact: Vec<SecretString>,
}

impl RunSpec {
    fn redactor(&self) -> Redactor {
        Redactor::new(
            self.env
                .iter()
                .map(|(_, v)| v)
                .chain(&self.redact)
                .map(|v| v.expose_secret().as_bytes()),
        )
    }
}

/// How long a pseudo-terminal's output must be quiet before held-back bytes are written.
pub(crate) const PTY_IDLE: Duration = Duration::from_millis(75);

/// Runs the command to completion and returns its exit code.
pub(crate) fn run(spec: &RunSpec) -> Result<ExitCode> {
    let status = if std::io::stdout().is_terminal() {
        run_pty(spec)?
    } else {
        run_pipes(spec)?
    };
    Ok(exit_code(status))
}

fn exit_code(status: ExitStatus) -> ExitCode {
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn spawn_error(spec: &RunSpec, e: &std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot run `{}`: {e}", spec.program.to_string_lossy())
}

fn run_pipes(spec: &RunSpec) -> Result<ExitStatus> {
    let mut cmd = std::process::Command::new(&spec.program);
    cmd.args(&spec.args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for k in &spec.remove {
        cmd.env_remove(k);
    }
    for (k, v) in &spec.env {
        cmd.env(k, v.expose_secret());
    }
    let mut child = cmd.spawn().map_err(|e| spawn_error(spec, &e))?;
    let out = child.stdout.take().expect("stdout is piped");
    let err = child.stderr.take().expect("stderr is piped");
    let (r1, r2) = (spec.redactor(), spec.redactor());
    let t1 = std::thread::spawn(move || copy_redacted(out, std::io::stdout(), r1));
    let t2 = std::thread::spawn(move || copy_redacted(err, std::io::stderr(), r2));
    let status = child.wait().context("while waiting for the command")?;
    for t in [t1, t2] {
        // A closed stdout of ours (e.g. `| head`) is not the child's failure: ignore copy errors.
        let _ = t.join();
    }
    Ok(status)
}

/// Copies `from` to `to` through `redactor` until end of file. EIO from a pseudo-terminal whose
/// child has exited is end of file too.
fn copy_redacted(
    mut from: impl Read,
    mut to: impl Write,
    mut redactor: Redactor,
) -> std::io::Result<()> {
    let mut buf = [0u8; 8192];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.raw_os_error() == Some(5) => break,
            Err(e) => return Err(e),
        };
        to.write_all(&redactor.push(&buf[..n]))?;
        to.flush()?;
    }
    to.write_all(&redactor.finish())?;
    to.flush()
}

/// [`copy_redacted`] for an interactive stream: reads happen on their own thread, and when the stream
/// has been quiet for [`PTY_IDLE`] with bytes held back, they are written out.
fn copy_redacted_idle(
    from: impl Read + Send + 'static,
    mut to: impl Write,
    mut redactor: Redactor,
) -> std::io::Result<()> {
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(16);
    std::thread::spawn(move || {
        let mut from = from;
        let mut buf = [0u8; 8192];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    loop {
        let chunk = if redactor.has_pending() {
            match rx.recv_timeout(PTY_IDLE) {
                Ok(c) => c,
                Err(RecvTimeoutError::Timeout) => {
                    to.write_all(&redactor.release())?;
                    to.flush()?;
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match rx.recv() {
                Ok(c) => c,
                Err(_) => break,
            }
        };
        to.write_all(&redactor.push(&chunk))?;
        to.flush()?;
    }
    to.write_all(&redactor.finish())?;
    to.flush()
}

fn run_pty(spec: &RunSpec) -> Result<ExitStatus> {
    let (pty, pts) = pty_process::blocking::open().context("cannot open a pseudo-terminal")?;
    if let Ok(size) = rustix::termios::tcgetwinsize(std::io::stdout()) {
        let _ = pty.resize(pty_process::Size::new(size.ws_row, size.ws_col));
    }
    let mut cmd = pty_process::blocking::Command::new(&spec.program).args(&spec.args);
    for k in &spec.remove {
        cmd = cmd.env_remove(k);
    }
    for (k, v) in &spec.env {
        cmd = cmd.env(k, v.expose_secret());
    }
    let mut child = cmd.spawn(pts).map_err(|e| match e {
        pty_process::Error::Io(io) => spawn_error(spec, &io),
        other @ pty_process::Error::Rustix(_) => {
            anyhow::anyhow!("cannot run `{}`: {other}", spec.program.to_string_lossy())
        }
    })?;
    let _raw = RawMode::enter();
    let pty = std::sync::Arc::new(pty);
    let reader = {
        let pty = std::sync::Arc::clone(&pty);
        let redactor = spec.redactor();
        std::thread::spawn(move || copy_redacted_idle(SharedPty(pty), std::io::stdout(), redactor))
    };
    {
        // Keystrokes go to the child. This thread blocks on our stdin and ends with the process.
        let pty = std::sync::Arc::clone(&pty);
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            let mut stdin = std::io::stdin();
            while let Ok(n) = stdin.read(&mut buf) {
                if n == 0 || (&*pty).write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        });
    }
    let status = child.wait().context("while waiting for the command")?;
    let _ = reader.join();
    Ok(status)
}

/// The pseudo-terminal's reading end, shared with the thread that writes keystrokes to it.
struct SharedPty(std::sync::Arc<pty_process::blocking::Pty>);

impl Read for SharedPty {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        (&*self.0).read(buf)
    }
}

/// Puts rh's own terminal in raw mode (if stdin is one) and restores it on drop.
struct RawMode(Option<rustix::termios::Termios>);

impl RawMode {
    fn enter() -> Self {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Self(None);
        }
        let Ok(saved) = rustix::termios::tcgetattr(&stdin) else {
            return Self(None);
        };
        let mut raw = saved.clone();
        raw.make_raw();
        if rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &raw).is_err()
        {
            return Self(None);
        }
        Self(Some(saved))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            let _ = rustix::termios::tcsetattr(
                std::io::stdin(),
                rustix::termios::OptionalActions::Now,
                saved,
            );
        }
    }
}
