//! The `rh-server` binary: `serve`, `user create|token`, `vault setup`, `migrate`, `backup`.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Args, Parser, Subcommand};
use rh_config::{Env as _, EnvVars, OsEnv, RhPaths};
use rh_server::store::Synchronous;
use rh_server::vault::{VaultConfig, VaultProxy};
use rh_server::{DatabaseTarget, Limits, Store};
use secrecy::{ExposeSecret as _, SecretString};

#[derive(Debug, Parser)]
#[command(
    name = "rh-server",
    version,
    about = "The self-hostable rh server: accounts, resources, history and sharing"
)]
struct Cli {
    /// More logging (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct DbArgs {
    /// Directory for the embedded SQLite database [default: ~/.rh/server].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL instead of the embedded one: postgres://user:pass@host/db (or sqlite://FILE).
    #[arg(long, value_name = "URL", conflicts_with = "data_dir")]
    database_url: Option<String>,
}

#[derive(Debug, Args)]
struct VaultArgs {
    /// Vault / OpenBao address that `/user/secret…` uses [env: VAULT_ADDR]; without one those routes answer 503.
    #[arg(long, value_name = "URL")]
    vault_addr: Option<String>,
    /// File holding the server's Vault token [default: the VAULT_TOKEN variable].
    #[arg(long, value_name = "PATH")]
    vault_token_file: Option<PathBuf>,
    /// The KV v2 mount; each user's secrets live at <mount>/rh/<username>/<provider>.
    #[arg(long, value_name = "MOUNT", default_value = "secret")]
    vault_mount: String,
    /// Accept a root Vault token (which can read all of Vault); without it `serve` refuses one. Give the
    /// server the token `rh-server vault setup` writes instead.
    #[arg(long)]
    allow_root_vault_token: bool,
}

#[derive(Debug, Args)]
struct SecurityArgs {
    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Failed authentications per client address allowed within --auth-fail-window; more get 429.
    #[arg(long, value_name = "N", default_value_t = 10)]
    auth_fail_limit: usize,
    /// The window of --auth-fail-limit, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    auth_fail_window: u64,
    /// A reverse proxy (address or CIDR block; repeat or comma-separate) whose X-Forwarded-For names the client
    /// for --auth-fail-limit; from other peers the header is ignored.
    #[arg(long, value_name = "CIDR", value_delimiter = ',')]
    trusted_proxy: Vec<rh_server::ratelimit::Cidr>,
}

/// Connection limits and timeouts of `serve` ([`rh_server::connections`]).
#[derive(Debug, Args)]
struct ConnArgs {
    /// Seconds a client has to send a whole request header (from connecting, or from a later request's first
    /// byte); then the connection is closed.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout_secs: u64,
    /// Seconds a keep-alive connection may sit idle between requests before it is closed.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    idle_timeout_secs: u64,
    /// Seconds from a request's header to its response (body upload included); later: 408, connection closed.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    request_timeout_secs: u64,
    /// Connections served at once (TLS handshakes included); further ones wait until one closes.
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=65536))]
    max_connections: u32,
}

impl ConnArgs {
    fn limits(&self) -> rh_server::connections::ConnLimits {
        use std::time::Duration;
        rh_server::connections::ConnLimits {
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            max_connections: self.max_connections,
        }
    }
}

#[derive(Args)]
struct SmtpArgs {
    /// Send share notifications through this SMTP server: smtp://[USER:PASS@]HOST[:PORT] (add ?tls=required for
    /// STARTTLS) or smtps://… (TLS). Without it they are only kept in the outbox table.
    #[arg(long, value_name = "URL")]
    smtp_url: Option<String>,
    /// The From: address of notifications.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "rh-server <rh-server@localhost>"
    )]
    smtp_from: String,
}

impl std::fmt::Debug for SmtpArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpArgs")
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(rh_server::store::redact_url),
            )
            .field("smtp_from", &self.smtp_from)
            .finish()
    }
}

#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once at startup; `serve` has many flags"
)]
enum Command {
    /// Serve the HTTP API (migrates the database first). Prints the URL on stdout.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8000, or the next free port].
        #[arg(long, value_name = "ADDR")]
        bind: Option<SocketAddr>,
        /// Largest accepted request body, in bytes.
        #[arg(long, value_name = "BYTES", default_value_t = rh_server::DEFAULT_MAX_BODY_BYTES)]
        max_body_bytes: usize,
        /// Cache GET /resource lookups in this process for up to MS milliseconds (0-1000; 0 = off). Writes through
        /// this process are seen at once; changes through other processes (and revoked tokens) after at most MS
        /// on SQLite, and as soon as PostgreSQL notifies them (LISTEN/NOTIFY) on PostgreSQL.
        #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1000))]
        read_cache_ms: u16,
        /// SQLite's durability (PRAGMA synchronous): `full` syncs the write-ahead log at every commit (one per
        /// batch of writes), so an acknowledged write survives a power cut; `normal` syncs only at checkpoints,
        /// so it survives a crash of rh-server but not of the machine. Ignored on PostgreSQL.
        #[arg(long, value_name = "full|normal", default_value = "full", value_parser = parse_synchronous)]
        sqlite_synchronous: Synchronous,
        /// Longest lifetime users may give a token they rotate in the dashboard, e.g. 90d; `never` lifts the cap
        /// (and offers "Never expires"). `user token --expires-in` (the administrator's) is not capped.
        #[arg(long, value_name = "DURATION", default_value = "365d", value_parser = parse_lifetime_cap)]
        max_token_lifetime: LifetimeCap,
        #[command(flatten)]
        security: SecurityArgs,
        #[command(flatten)]
        conn: ConnArgs,
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        vault: VaultArgs,
        #[command(flatten)]
        smtp: SmtpArgs,
    },
    /// Print the audit log (who changed what, when, from where), newest first.
    Audit {
        /// Only changes made by this username (`@cli` for this command line).
        #[arg(long, value_name = "USER")]
        user: Option<String>,
        /// Only rows about this resource, named secret, provider or username (`/alice/openai` or
        /// `alice:openai`): e.g. who read a shared secret's values, when and from where.
        #[arg(long, value_name = "NAME")]
        target: Option<String>,
        /// How many rows.
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: i64,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Set up Vault / OpenBao for rh-server.
    Vault {
        #[command(subcommand)]
        command: VaultCommand,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Copy the SQLite database to FILE while the server runs (PostgreSQL: use pg_dump).
    Backup {
        /// The copy to write; it must not exist.
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
enum VaultCommand {
    /// Install rh-server's policies (`rh-server`, `rh-user`) and the token role `rh-user` with an admin
    /// token, then mint the server's own token (policy `rh-server` only, renewed by `serve`) and write it to
    /// --token-file (or print it).
    Setup {
        /// File holding a Vault token allowed to write policies and token roles (root or admin); it is used
        /// for this command only.
        #[arg(long, value_name = "PATH")]
        admin_token_file: PathBuf,
        /// Where to write the server's token (mode 0600); it must not exist unless --force
        /// [default: print it on stdout].
        #[arg(long, value_name = "PATH")]
        token_file: Option<PathBuf>,
        /// Replace an existing --token-file.
        #[arg(long)]
        force: bool,
        /// Vault / OpenBao address [env: VAULT_ADDR].
        #[arg(long, value_name = "URL")]
        vault_addr: Option<String>,
        /// The KV v2 mount the policies cover.
        #[arg(long, value_name = "MOUNT", default_value = "secret")]
        vault_mount: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account and print its token (shown once).
    Create {
        /// Username: letters, digits, '_', '-', '.'.
        name: String,
        /// Email address; pending shares to it become grants.
        #[arg(long)]
        email: Option<String>,
        /// Token lifetime, e.g. 30m, 12h, 90d [default: no expiry].
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        expires_in: Option<time::Duration>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Give an account a new token (the old one stops working) and print it.
    Token {
        /// Username.
        name: String,
        /// Token lifetime, e.g. 30m, 12h, 90d [default: no expiry].
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        expires_in: Option<time::Duration>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke an account's token now (401 from then on) and end its dashboard sessions; `user token` issues a
    /// new one.
    Revoke {
        /// Username.
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[expect(clippy::print_stdout, reason = "the binary's one stdout writer")]
fn out(line: &str) {
    println!("{line}");
    let _ = std::io::stdout().flush();
}

#[expect(
    clippy::print_stderr,
    reason = "errors go to stderr before or without logging"
)]
fn err(line: &str) {
    eprintln!("{line}");
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            err(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            err(&format!("error: {e:#}"));
            ExitCode::from(1)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        // vaultrs and rustify log every failed Vault request at ERROR; the proxy reports it once itself.
        0 => "info,sqlx=warn,vaultrs=off,rustify=off",
        1 => "debug,sqlx=info,vaultrs=off,rustify=off",
        _ => "trace",
    };
    // A RUST_LOG that does not name vaultrs or rustify keeps them quiet too.
    let filter = match OsEnv.non_empty(EnvVars::RUST_LOG) {
        Some(f) if f.contains("vaultrs") || f.contains("rustify") => f,
        Some(f) => format!("{f},vaultrs=off,rustify=off"),
        None => default.to_owned(),
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(OsEnv.var(EnvVars::NO_COLOR).is_none() && std::io::stderr().is_terminal())
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .try_init();
}

fn parse_duration(text: &str) -> Result<time::Duration, String> {
    rh_server::credentials::parse_duration(text).map_err(|e| e.to_string())
}

/// `--max-token-lifetime`: a duration, or `None` for `never`.
#[derive(Debug, Clone, Copy)]
struct LifetimeCap(Option<time::Duration>);

fn parse_lifetime_cap(text: &str) -> Result<LifetimeCap, String> {
    rh_server::credentials::parse_lifetime_cap(text)
        .map(LifetimeCap)
        .map_err(|e| format!("{e} (or never)"))
}

fn parse_synchronous(text: &str) -> Result<Synchronous, String> {
    text.parse().map_err(|e: rh_server::Error| e.to_string())
}

fn target(db: DbArgs) -> Result<DatabaseTarget> {
    if let Some(url) = db.database_url {
        return Ok(DatabaseTarget::Url(url));
    }
    let dir = match db.data_dir {
        Some(d) => d,
        None => RhPaths::from_env(&OsEnv)?.server_dir(),
    };
    Ok(DatabaseTarget::DataDir(dir))
}

async fn open(db: DbArgs) -> Result<Store> {
    open_with(db, Synchronous::default()).await
}

async fn open_with(db: DbArgs, synchronous: Synchronous) -> Result<Store> {
    let target = target(db)?;
    let store = Store::open_with(&target, synchronous)
        .await
        .with_context(|| format!("cannot open the database ({target})"))?;
    let applied = store.migrate().await?;
    if applied > 0 {
        tracing::info!("applied {applied} database migration(s) to {target}");
    }
    Ok(store)
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve {
            bind,
            max_body_bytes,
            security,
            conn,
            read_cache_ms,
            sqlite_synchronous,
            max_token_lifetime,
            db,
            vault,
            smtp,
        } => {
            let vault = vault_proxy(vault)?;
            let children = vault.as_ref().map(|v| std::sync::Arc::clone(v.children()));
            if let Some(v) = &vault {
                // A refused token stops the start; an unreachable Vault does not (its routes answer 503
                // and the check runs again on first use).
                match v.children().prepare().await {
                    Ok(()) => {}
                    Err(rh_server::vault_access::TokenRefused::Vault(
                        e @ rh_secrets::vault::Error::Unreachable { .. },
                    )) => {
                        tracing::warn!("vault: cannot check rh-server's token yet: {e}");
                    }
                    Err(refused) => return Err(refused.into()),
                }
            }
            let tls = match (&security.tls_cert, &security.tls_key) {
                (Some(cert), Some(key)) => Some(rh_server::tls::TlsConfig::load(cert, key)?),
                (None, None) => None,
                _ => anyhow::bail!("--tls-cert and --tls-key go together: give both or neither"),
            };
            if security.auth_fail_limit == 0 || security.auth_fail_window == 0 {
                anyhow::bail!("--auth-fail-limit and --auth-fail-window must be at least 1");
            }
            let limits = Limits {
                max_body_bytes,
                auth: rh_server::ratelimit::AuthLimit {
                    max_failures: security.auth_fail_limit,
                    window: std::time::Duration::from_secs(security.auth_fail_window),
                    trusted_proxies: security.trusted_proxy,
                },
                conn: conn.limits(),
            };
            let scheme = if tls.is_some() { "https" } else { "http" };
            let mailer = mailer(smtp)?;
            let store = open_with(db, sqlite_synchronous)
                .await?
                .with_read_cache(std::time::Duration::from_millis(read_cache_ms.into()));
            let listener = rh_server::bind(bind).await?;
            let addr = listener
                .local_addr()
                .context("cannot read the bound address")?;
            if let Some(warning) = rh_server::connections::plain_http_warning(addr, tls.is_some()) {
                tracing::warn!("{warning}");
            }
            tracing::info!(
                "rh-server listening on {scheme}://{addr} ({:?})",
                store.backend()
            );
            let mut state = rh_server::AppState::new(store.clone())
                .with_max_token_lifetime(max_token_lifetime.0);
            if let Some(v) = vault {
                tracing::info!("secrets: Vault at {}", v.addr());
                state = state.with_vault(v);
            } else {
                tracing::info!(
                    "secrets: no Vault configured (--vault-addr or VAULT_ADDR); /user/secret answers 503"
                );
            }
            let renewal = children.map(|c| tokio::spawn(c.keep_server_token_alive()));
            let changes = store.spawn_change_listener();
            let sender = mailer.map(|m| {
                tracing::info!("notifications: sent by SMTP through {}", m.shown_url());
                rh_server::mailer::spawn(store.clone(), m)
            });
            out(&format!("{scheme}://{addr}"));
            match &tls {
                Some(tls) => {
                    rh_server::serve_state_tls(listener, tls, state, limits, shutdown_signal())
                        .await?;
                }
                None => {
                    rh_server::serve_state(listener, state, limits, shutdown_signal()).await?;
                }
            }
            for task in [sender, changes, renewal].into_iter().flatten() {
                task.abort();
            }
            store.close().await;
            tracing::info!("rh-server stopped");
        }
        Command::Vault {
            command:
                VaultCommand::Setup {
                    admin_token_file,
                    token_file,
                    force,
                    vault_addr,
                    vault_mount,
                },
        } => {
            vault_setup(
                admin_token_file,
                token_file,
                force,
                vault_addr,
                &vault_mount,
            )
            .await?;
        }
        Command::User { command } => match command {
            UserCommand::Create {
                name,
                email,
                expires_in,
                db,
            } => {
                let store = open(db).await?;
                let (token, granted) =
                    rh_server::create_user(&store, &name, email.as_deref(), expires_in).await?;
                out(&token);
                tracing::info!("created user {name}; the token above is shown only once");
                for (address, level) in granted {
                    tracing::info!(
                        "{name} now has {level} access to {address} (pending invitation)"
                    );
                }
                store.close().await;
            }
            UserCommand::Token {
                name,
                expires_in,
                db,
            } => {
                let store = open(db).await?;
                let token =
                    rh_server::rotate_token(&store, &name, expires_in, rh_server::audit::CLI_ACTOR)
                        .await?;
                out(&token);
                tracing::info!("new token for {name}; the old one no longer works");
                store.close().await;
            }
            UserCommand::Revoke { name, db } => {
                let store = open(db).await?;
                rh_server::revoke_token(&store, &name, rh_server::audit::CLI_ACTOR).await?;
                tracing::info!(
                    "revoked the token of {name}; `rh-server user token {name}` issues a new one"
                );
                store.close().await;
            }
        },
        Command::Audit {
            user,
            target,
            limit,
            db,
        } => {
            if limit < 1 {
                anyhow::bail!("--limit must be at least 1");
            }
            let store = open(db).await?;
            let rows = match target {
                None => rh_server::audit::recent(&store, user.as_deref(), limit).await?,
                Some(t) => {
                    // A resource's rows name its address; its uri form is accepted too.
                    let t = if t.contains(':') && !t.starts_with('/') {
                        rh_server::names::ResourceName::from_uri(&t)
                            .map(|n| n.address())
                            .unwrap_or(t)
                    } else {
                        t
                    };
                    store.audit_for_target(&t, user.as_deref(), limit).await?
                }
            };
            for r in rows {
                let mut line = format!("{}  {}  {}  {}", r.time, r.actor, r.action, r.target);
                if let Some(d) = &r.detail {
                    line.push_str("  ");
                    line.push_str(d);
                }
                if let Some(ip) = &r.client_ip {
                    line.push_str("  from ");
                    line.push_str(ip);
                }
                out(&line);
            }
            store.close().await;
        }
        Command::Migrate { db } => {
            let target = target(db)?;
            let store = Store::open(&target)
                .await
                .with_context(|| format!("cannot open the database ({target})"))?;
            let applied = store.migrate().await?;
            tracing::info!("applied {applied} migration(s); {target} is up to date");
            store.close().await;
        }
        Command::Backup { file, db } => {
            let source = rh_server::backup::sqlite_file(&target(db)?)?;
            let bytes = tokio::task::spawn_blocking(move || {
                rh_server::backup::backup_sqlite(&source, &file).map(|n| (n, file))
            })
            .await
            .context("the backup task failed")??;
            tracing::info!("wrote {} ({} bytes)", bytes.1.display(), bytes.0);
        }
    }
    Ok(())
}

/// The SMTP client for the outbox, when `--smtp-url` is given.
fn mailer(args: SmtpArgs) -> Result<Option<rh_server::mailer::Mailer>> {
    let Some(url) = args.smtp_url.filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let config = rh_server::mailer::SmtpConfig {
        url: SecretString::from(url),
        from: args.smtp_from,
    };
    Ok(Some(rh_server::mailer::Mailer::new(&config)?))
}

/// `rh-server vault setup`.
async fn vault_setup(
    admin_token_file: PathBuf,
    token_file: Option<PathBuf>,
    force: bool,
    vault_addr: Option<String>,
    mount: &str,
) -> Result<()> {
    let addr = vault_addr
        .filter(|a| !a.is_empty())
        .or_else(|| OsEnv.non_empty(EnvVars::VAULT_ADDR))
        .context("give --vault-addr URL or set VAULT_ADDR")?;
    if let Some(path) = &token_file
        && path.exists()
        && !force
    {
        anyhow::bail!(
            "{} exists: pass --force to replace it (the token in it keeps working until it is revoked)",
            path.display()
        );
    }
    let admin_token = read_token_file(&admin_token_file)?;
    let mut options = rh_secrets::vault::VaultOptions::new(addr, admin_token, None);
    options.namespace = OsEnv.non_empty(EnvVars::VAULT_NAMESPACE);
    let admin = rh_secrets::vault_admin::VaultAdmin::new(&options)?;
    let mount = mount.trim_matches('/');
    let minted = rh_server::vault_access::setup(&admin, mount).await?;
    tracing::info!(
        "vault: installed the policies {} and {} and the token role {} for the mount {mount}",
        rh_server::vault_access::SERVER_POLICY,
        rh_server::vault_access::USER_POLICY,
        rh_server::vault_access::USER_ROLE
    );
    if let Some(path) = token_file {
        let mut text = minted.token.expose_secret().to_owned();
        text.push('\n');
        rh_config::write_atomic(&path, text.as_bytes(), 0o600)?;
        err(&format!(
            "wrote rh-server's Vault token to {}: serve with --vault-token-file {}",
            path.display(),
            path.display()
        ));
    } else {
        out(minted.token.expose_secret());
    }
    Ok(())
}

/// The token in `path` (trimmed), or an error naming the file.
fn read_token_file(path: &std::path::Path) -> Result<SecretString> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the Vault token file {}", path.display()))?;
    let t = text.trim();
    if t.is_empty() {
        anyhow::bail!("the Vault token file {} is empty", path.display());
    }
    Ok(SecretString::from(t.to_owned()))
}

/// The Vault behind `/user/secret…`, from the flags or `VAULT_ADDR` / `VAULT_TOKEN` / `VAULT_NAMESPACE`.
fn vault_proxy(args: VaultArgs) -> Result<Option<VaultProxy>> {
    let Some(addr) = args
        .vault_addr
        .filter(|a| !a.is_empty())
        .or_else(|| OsEnv.non_empty(EnvVars::VAULT_ADDR))
    else {
        return Ok(None);
    };
    let token = match &args.vault_token_file {
        Some(path) => read_token_file(path)?,
        None => SecretString::from(OsEnv.non_empty(EnvVars::VAULT_TOKEN).with_context(|| {
            format!(
                "Vault at {addr} needs a token: give --vault-token-file PATH or set VAULT_TOKEN"
            )
        })?),
    };
    let config = VaultConfig {
        addr,
        token,
        mount: args.vault_mount.trim_matches('/').to_owned(),
        namespace: OsEnv.non_empty(EnvVars::VAULT_NAMESPACE),
    };
    Ok(Some(VaultProxy::new(config, args.allow_root_vault_token)?))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
