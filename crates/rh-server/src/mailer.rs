//! Sending the outbox: notifications that `PUT /resource/{uri}/users/access` queued (with `notify_users`) go out
//! by SMTP from a background task, so a slow or dead mail server never delays or fails a share request.
//!
//! Each pass takes the due rows (never sent, fewer than [`MAX_ATTEMPTS`] tries, retry time passed), leases each
//! one by moving its `next_attempt_at` forward (so another server process on the same database skips it), sends
//! it, and marks it `sent_at` or records the error with a later retry time (exponential backoff).
//!
//! The SMTP URL may hold a password: it lives in a [`SecretString`] and only [`redact_url`]'s form is shown.

use std::fmt;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use secrecy::{ExposeSecret as _, SecretString};
use time::OffsetDateTime;

use crate::store::{Store, outbox, redact_url, stamp};
use crate::{Error, Result};

/// How often the sender looks for due rows.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Tries per notification before the sender gives up on it (the row stays, unsent, with its last error).
pub const MAX_ATTEMPTS: i64 = 12;
/// Wait after the first failure; doubles after each further one, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_mins(30);
/// How long a taken row is left alone by other senders; longer than one SMTP exchange may take.
const LEASE: Duration = Duration::from_mins(2);
/// Timeout of each SMTP command.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// Rows per pass.
const BATCH: i64 = 50;
/// Longest error text kept in a row.
const MAX_ERROR_CHARS: usize = 500;

/// Where and as whom notifications are sent.
#[derive(Clone)]
pub struct SmtpConfig {
    /// `smtp://[user:pass@]host[:port]` (plain; add `?tls=required` for STARTTLS) or `smtps://…` (TLS).
    pub url: SecretString,
    /// The `From:` address.
    pub from: String,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("url", &redact_url(self.url.expose_secret()))
            .field("from", &self.from)
            .finish()
    }
}

/// An SMTP client for the outbox.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    shown: String,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("url", &self.shown)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Checks the URL and the sender address; connects only when sending.
    pub fn new(config: &SmtpConfig) -> Result<Self> {
        let url = config.url.expose_secret();
        let shown = redact_url(url);
        if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
            return Err(Error::Setup(format!(
                "invalid smtp url {shown}: use smtp://HOST[:PORT] or smtps://HOST[:PORT]"
            )));
        }
        // lettre's errors quote neither the URL nor the password; the redacted URL names the culprit.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| Error::Setup(format!("invalid smtp url {shown}: {e}")))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|e| Error::Setup(format!("invalid --smtp-from {:?}: {e}", config.from)))?;
        Ok(Self {
            transport,
            from,
            shown,
        })
    }

    /// The URL with any password hidden, for logs.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> std::result::Result<(), String> {
        let to = to
            .parse::<Mailbox>()
            .map_err(|e| format!("invalid recipient address: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_owned())
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("smtp: {e}"))
    }
}

/// The wait before retry number `attempts + 1`, after `attempts` failures.
fn backoff(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    FIRST_BACKOFF
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_BACKOFF)
}

/// Outcome of one pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Rows sent.
    pub sent: usize,
    /// Rows that failed and were scheduled for a retry (or given up).
    pub failed: usize,
}

/// Sends every due outbox row once.
pub async fn deliver_due(store: &Store, mailer: &Mailer) -> Result<Pass> {
    let now_text = stamp(OffsetDateTime::now_utc());
    let rows = outbox::due(store, MAX_ATTEMPTS, &now_text, BATCH).await?;
    let mut pass = Pass::default();
    for row in rows {
        let id = &row.id;
        let recipient = &row.recipient;
        // Take the lease; another process that took it first wins and this one skips the row.
        let lease = stamp(OffsetDateTime::now_utc() + LEASE);
        if !outbox::lease(store, id, &lease, &now_text).await? {
            continue;
        }
        match mailer.send(recipient, &row.subject, &row.body).await {
            Ok(()) => {
                let at = stamp(OffsetDateTime::now_utc());
                outbox::mark_sent(store, id, &at, row.attempts + 1).await?;
                tracing::info!("sent notification {id} to {recipient}");
                pass.sent += 1;
            }
            Err(error) => {
                let tries = row.attempts + 1;
                let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
                let retry = stamp(OffsetDateTime::now_utc() + backoff(tries));
                outbox::mark_failed(store, id, tries, &error, &retry).await?;
                if tries >= MAX_ATTEMPTS {
                    tracing::warn!(
                        "giving up on notification {id} to {recipient} after {tries} tries: {error}"
                    );
                } else {
                    tracing::warn!(
                        "notification {id} to {recipient} failed (try {tries}; next at {retry}): {error}"
                    );
                }
                pass.failed += 1;
            }
        }
    }
    Ok(pass)
}

/// Runs [`deliver_due`] every [`POLL_INTERVAL`] until the task is aborted. A failing pass (database down) is
/// logged and retried on the next tick.
pub fn spawn(store: Store, mailer: Mailer) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // A share through this process wakes the sender at once; other processes' rows wait for the poll.
            tokio::select! {
                _ = tick.tick() => {}
                () = store.outbox_ready().notified() => {}
            }
            if let Err(e) = deliver_due(&store, &mailer).await {
                tracing::warn!("outbox pass failed: {}", crate::error::chain(&e));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(3), Duration::from_secs(20));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }

    #[test]
    fn password_never_shown() {
        let config = SmtpConfig {
            url: SecretString::from("smtp://mail:hunter2@127.0.0.1:2525"),
            from: "rh <rh@example.com>".to_owned(),
        };
        assert!(!format!("{config:?}").contains("hunter2"));
        let mailer = Mailer::new(&config).expect("valid config");
        assert!(!format!("{mailer:?}").contains("hunter2"));
        assert_eq!(mailer.shown_url(), "smtp://mail:****@127.0.0.1:2525");
    }

    #[test]
    fn bad_urls_and_senders_are_refused() {
        let bad = |url: &str, from: &str| {
            Mailer::new(&SmtpConfig {
                url: SecretString::from(url.to_owned()),
                from: from.to_owned(),
            })
            .expect_err("must be refused")
            .to_string()
        };
        assert!(bad("http://x:secret@h", "a@b.c").contains("****"));
        assert!(!bad("http://x:secret@h", "a@b.c").contains("secret"));
        assert!(bad("smtp://h:25", "not an address").contains("--smtp-from"));
    }
}
