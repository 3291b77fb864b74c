//! `rh resource …` and `rh cluster …`: arguments and output; the operations are [`rh_ops::resource`]'s.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, Result};
use clap::{Args, Subcommand};
use rh_ops::Names;
use rh_ops::resource::{self as ops, ClusterSpec};
use rh_resources::{OnDemandSpec, Resource};
use rh_rns::ResourceName;
use serde_json::{Value, json};

use crate::context::Context;
use crate::printer;

#[derive(Debug, Subcommand)]
pub(crate) enum ResourceCommand {
    /// Save a resource config (from a JSON file) under NAME.
    Save {
        /// The name (`~/x`); defaults to the `name` in the file.
        name: Option<String>,
        /// A JSON file holding the config (`-` for stdin).
        #[arg(long, value_name = "FILE")]
        from_json: PathBuf,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Print a resource's config.
    Show {
        /// The name.
        name: String,
        /// Print the stored JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the resources in FOLDER (default `~`).
    #[command(alias = "list")]
    Ls {
        /// The folder.
        folder: Option<String>,
        /// Include resources in subfolders.
        #[arg(short, long)]
        recursive: bool,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Delete a resource (its config; nested resources stay).
    #[command(alias = "delete")]
    Rm {
        /// The name.
        name: String,
        #[command(flatten)]
        commit: CommitArgs,
    },
    /// Rename a resource.
    #[command(alias = "rename")]
    Mv {
        /// The current name.
        from: String,
        /// The new name.
        to: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Print where a resource's config.json is (`~` prints the rh/ folder).
    Locate {
        /// The name.
        name: String,
    },
    /// List the commits that changed a resource, newest first.
    #[command(alias = "log")]
    History {
        /// The name.
        name: String,
        /// At most this many entries.
        #[arg(short = 'n', long)]
        limit: Option<usize>,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Show how a resource changed since REV (default: the last commit).
    Diff {
        /// The name.
        name: String,
        /// A git revision (`HEAD~2`, a commit id, a branch).
        rev: Option<String>,
    },
    /// Put back the config a resource had at REV.
    Restore {
        /// The name.
        name: String,
        /// A git revision.
        rev: String,
        #[command(flatten)]
        commit: CommitArgs,
    },
    /// Give users (names or emails) access to a remote resource; prints who was added and who was invited.
    Share {
        /// The remote name (`/alice/x`, or a bare name when logged in).
        name: String,
        /// A username or email (repeat for several).
        #[arg(long = "user", short = 'u', value_name = "USER", required = true)]
        users: Vec<String>,
        /// The access to give.
        #[arg(long, default_value = "read", value_parser = ["read", "write"])]
        access: String,
        /// Do not notify the users.
        #[arg(long)]
        no_notify: bool,
        /// For a secret you own: let its write grantees share it further (owner-only by default).
        #[arg(long, conflicts_with = "owner_only")]
        allow_reshare: bool,
        /// For a secret you own: only you share it again (undoes --allow-reshare).
        #[arg(long)]
        owner_only: bool,
        /// Print the server's answer as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Take away users' access to a remote resource (`--all` for everyone).
    Revoke {
        /// The remote name.
        name: String,
        /// A username or email (repeat for several).
        #[arg(
            long = "user",
            short = 'u',
            value_name = "USER",
            required_unless_present = "all"
        )]
        users: Vec<String>,
        /// Revoke everyone's access.
        #[arg(long, conflicts_with = "users")]
        all: bool,
        /// Print the server's answer as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Time N in-process loads of NAME (for `cargo xtask bench`).
    #[command(hide = true)]
    BenchLoad {
        /// The name.
        name: String,
        /// How many loads.
        #[arg(long, default_value_t = 1000)]
        iterations: u32,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ClusterCommand {
    /// Save a cluster config: on-demand (`--instance-type`) or your own hosts (`--ips`).
    Create(Box<CreateArgs>),
    /// Set an on-demand cluster's autostop and save it.
    KeepWarm {
        /// The name.
        name: String,
        /// Minutes of idleness before it stops; -1 never.
        #[arg(long, default_value_t = -1, allow_hyphen_values = true)]
        autostop_mins: i64,
        #[command(flatten)]
        commit: CommitArgs,
    },
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The name (`~/aws_cluster`).
    name: String,
    /// `A100:4`, `CPU:2+` or a cloud instance type.
    #[arg(long)]
    instance_type: Option<String>,
    /// Number of nodes.
    #[arg(long)]
    num_instances: Option<i64>,
    /// aws, gcp, azure, lambda or cheapest (default: `default_provider`).
    #[arg(long)]
    provider: Option<String>,
    /// Minutes of idleness before autostop, -1 never (default: `default_autostop`).
    #[arg(long, allow_hyphen_values = true)]
    autostop_mins: Option<i64>,
    /// Use spot instances (default: `use_spot`).
    #[arg(long, overrides_with = "no_spot")]
    use_spot: bool,
    /// Do not use spot instances.
    #[arg(long)]
    no_spot: bool,
    /// Machine image.
    #[arg(long)]
    image_id: Option<String>,
    /// Cloud region.
    #[arg(long)]
    region: Option<String>,
    /// Hosts of a cluster you run yourself (comma-separated); makes a bring-your-own cluster.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["instance_type", "num_instances", "provider", "autostop_mins", "use_spot", "image_id", "region"])]
    ips: Vec<String>,
    /// The ssh secret to log in with (its name, never the key).
    #[arg(long, requires = "ips", value_name = "SECRET")]
    ssh_creds: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

#[derive(Debug, Args)]
pub(crate) struct WriteArgs {
    /// Replace an existing resource of that name.
    #[arg(long)]
    overwrite: bool,
    #[command(flatten)]
    commit: CommitArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CommitArgs {
    /// Commit the change to the git repository around the working dir.
    #[arg(long)]
    commit: bool,
    /// The commit message.
    #[arg(short, long, requires = "commit")]
    message: Option<String>,
}

/// Commits the local names of a change when `--commit` was given.
async fn commit_change(
    local: &Names,
    args: &CommitArgs,
    names: &[ResourceName],
    default: String,
) -> Result<()> {
    if !args.commit {
        return Ok(());
    }
    let message = args.message.clone().unwrap_or(default);
    local.commit(names, &message).await?;
    Ok(())
}

pub(crate) async fn run(ctx: &Context, cmd: ResourceCommand) -> Result<ExitCode> {
    let local = ctx.ops.names()?;
    match cmd {
        ResourceCommand::Save {
            name,
            from_json,
            write,
        } => {
            let text = if from_json.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).context("cannot read stdin")?
            } else {
                std::fs::read_to_string(&from_json)
                    .with_context(|| format!("cannot read {}", from_json.display()))?
            };
            let origin = from_json.display().to_string();
            let config = ops::parse_config(&origin, &text)?;
            let name = ops::save(&local, name.as_deref(), config, &origin, write.overwrite).await?;
            commit_change(
                &local,
                &write.commit,
                std::slice::from_ref(&name),
                format!("rh: save {name}"),
            )
            .await?;
        }
        ResourceCommand::Show { name, json } => {
            let (name, resource) = ops::load(&local, &name).await?;
            let config = resource.to_config();
            if json {
                printer::line(&rh_rns::to_python_json(&Value::Object(config)))?;
            } else {
                // Everything here may come from a server or a cloned repo: escaped (JSON stays exact).
                printer::line(&format!(
                    "name: {}",
                    printer::clean(&resource.name().to_string())
                ))?;
                printer::line(&format!("type: {}", printer::clean(&resource.kind())))?;
                if let Some(path) = ops::file_of(&local, &name).await? {
                    printer::line(&format!(
                        "file: {}",
                        printer::clean(&path.display().to_string())
                    ))?;
                }
                for (k, v) in &config {
                    if !matches!(k.as_str(), "name" | "resource_type" | "resource_subtype") {
                        printer::line(&format!(
                            "{}: {}",
                            printer::clean(k),
                            printer::clean(&render(v))
                        ))?;
                    }
                }
            }
        }
        ResourceCommand::Ls {
            folder,
            recursive,
            json,
        } => {
            let listing = ops::list(&local, folder.as_deref(), recursive).await?;
            if json {
                let items: Vec<Value> = listing
                    .entries
                    .iter()
                    .map(|e| {
                        json!({
                            "name": e.name.to_string(),
                            "resource_type": e.resource_type,
                            "resource_subtype": e.resource_subtype,
                        })
                    })
                    .collect();
                printer::json(&Value::Array(items))?;
            } else {
                let rows: Vec<(String, String)> = listing
                    .entries
                    .iter()
                    .map(|e| {
                        let kind = match &e.resource_subtype {
                            Some(s) => format!("{}/{s}", e.resource_type),
                            None => e.resource_type.clone(),
                        };
                        (
                            printer::clean(&e.name.to_string()).into_owned(),
                            printer::clean(&kind).into_owned(),
                        )
                    })
                    .collect();
                let width = rows
                    .iter()
                    .map(|(name, _)| name.chars().count())
                    .max()
                    .unwrap_or(0);
                let mut out = String::new();
                for (name, kind) in &rows {
                    let _ = writeln!(out, "{name:<width$}  {kind}");
                }
                printer::bytes(out.as_bytes())?;
            }
        }
        ResourceCommand::Rm { name, commit } => {
            let name = ops::rm(&local, &name).await?;
            commit_change(
                &local,
                &commit,
                std::slice::from_ref(&name),
                format!("rh: remove {name}"),
            )
            .await?;
        }
        ResourceCommand::Mv { from, to, write } => {
            let (from, to) = ops::mv(&local, &from, &to, write.overwrite).await?;
            commit_change(
                &local,
                &write.commit,
                &[from.clone(), to.clone()],
                format!("rh: move {from} to {to}"),
            )
            .await?;
        }
        ResourceCommand::Locate { name } => {
            let path = ops::locate(&local, &name).await?;
            printer::line(&path.display().to_string())?;
        }
        ResourceCommand::History { name, limit, json } => {
            let (name, entries) = ops::history(&local, &name, limit).await?;
            if json {
                let items: Vec<Value> = entries
                    .iter()
                    .map(|h| {
                        json!({
                            "id": h.id,
                            "short_id": h.short_id,
                            "timestamp": h.timestamp,
                            "time": h.time,
                            "author": h.author,
                            "message": h.message,
                            "change": h.change,
                        })
                    })
                    .collect();
                printer::json(&Value::Array(items))?;
            } else if entries.is_empty() {
                tracing::info!("No commits have changed {name} yet");
            } else {
                for h in &entries {
                    printer::line(&printer::clean(&format!(
                        "{}  {}  {}  {}  ({})",
                        h.short_id, h.time, h.author, h.change, h.message
                    )))?;
                }
            }
        }
        ResourceCommand::Diff { name, rev } => {
            let text = ops::diff(&local, &name, rev.as_deref()).await?;
            printer::bytes(printer::clean_lines(&text).as_bytes())?;
        }
        ResourceCommand::Restore { name, rev, commit } => {
            let name = ops::restore(&local, &name, &rev).await?;
            commit_change(
                &local,
                &commit,
                std::slice::from_ref(&name),
                format!("rh: restore {name} to {rev}"),
            )
            .await?;
        }
        ResourceCommand::Share {
            name,
            users,
            access,
            no_notify,
            allow_reshare,
            owner_only,
            json,
        } => {
            let reshare = (allow_reshare || owner_only).then_some(allow_reshare);
            let got = ops::share(&local, &name, &users, &access, !no_notify, reshare).await?;
            print_access(&got, json)?;
        }
        ResourceCommand::Revoke {
            name,
            users,
            all,
            json,
        } => {
            let users = (!all).then_some(users.as_slice());
            let got = ops::revoke(&local, &name, users).await?;
            print_access(&got, json)?;
        }
        ResourceCommand::BenchLoad { name, iterations } => {
            // Resolved once: the bench times the loads alone.
            let (name, rns) = local.resolve(&name)?;
            let start = Instant::now();
            for _ in 0..iterations {
                Resource::load(rns, &name).await?;
            }
            let total = start.elapsed();
            printer::json(&json!({
                "iterations": iterations,
                "total_ms": total.as_secs_f64() * 1000.0,
                "per_load_us": total.as_secs_f64() * 1e6 / f64::from(iterations.max(1)),
            }))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn run_cluster(ctx: &Context, cmd: ClusterCommand) -> Result<ExitCode> {
    let local = ctx.ops.names()?;
    match cmd {
        ClusterCommand::Create(args) => {
            let args = *args;
            let spec = if args.ips.is_empty() {
                let use_spot = match (args.use_spot, args.no_spot) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                };
                ClusterSpec::OnDemand(OnDemandSpec {
                    instance_type: args.instance_type,
                    num_instances: args.num_instances,
                    provider: args.provider,
                    autostop_mins: args.autostop_mins,
                    use_spot,
                    image_id: args.image_id,
                    region: args.region,
                })
            } else {
                ClusterSpec::Static {
                    ips: args.ips,
                    ssh_creds: args.ssh_creds,
                }
            };
            let name =
                ops::create_cluster(&ctx.ops, &local, &args.name, spec, args.write.overwrite)
                    .await?;
            commit_change(
                &local,
                &args.write.commit,
                std::slice::from_ref(&name),
                format!("rh: save {name}"),
            )
            .await?;
        }
        ClusterCommand::KeepWarm {
            name,
            autostop_mins,
            commit,
        } => {
            let name = ops::keep_warm(&local, &name, autostop_mins).await?;
            commit_change(
                &local,
                &commit,
                std::slice::from_ref(&name),
                format!("rh: keep {name} warm"),
            )
            .await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a share/revoke answer: one line per user, or the JSON.
fn print_access(got: &rh_rns::remote::wire::AccessResult, json: bool) -> Result<()> {
    if json {
        printer::json(&serde_json::to_value(got)?)?;
        return Ok(());
    }
    for (user, level) in &got.added_users {
        printer::line(&printer::clean(&format!("added {user}: {level}")))?;
    }
    for (email, level) in &got.new_users {
        printer::line(&printer::clean(&format!(
            "invited {email}: {level} (no account yet)"
        )))?;
    }
    if got.added_users.is_empty() && got.new_users.is_empty() {
        tracing::info!("No access changed");
    }
    Ok(())
}

/// A config value on one line: strings bare, everything else as compact JSON.
fn render(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
