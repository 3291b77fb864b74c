//! SSH: key pairs in `~/.ssh`; the secrets map is `file name -> file contents` (`id_rsa`, `id_rsa.pub`, …).

use std::path::{Path, PathBuf};

use super::plan_key_group;
use crate::provider::{Ctx, Detection, Plan, Source, WriteOptions, join_and};
use crate::{Error, Provider, ProviderSecrets, Result, fsio};

/// Plain SSH key pairs (any number of them).
#[derive(Debug, Clone, Copy)]
pub struct Ssh;

impl Ssh {
    /// The key pairs in `dir`: stems `NAME` with both `NAME` and `NAME.pub`, except SkyPilot's key.
    /// Public keys without a private key are reported in the second list.
    fn pairs(dir: &Path) -> Result<(Vec<String>, Vec<String>)> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((vec![], vec![])),
            Err(source) => {
                return Err(Error::Read {
                    path: dir.to_path_buf(),
                    source,
                });
            }
        };
        let mut pairs = Vec::new();
        let mut orphans = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".pub") else {
                continue;
            };
            if stem == "sky-key" || stem.is_empty() {
                continue;
            }
            if dir.join(stem).is_file() {
                pairs.push(stem.to_owned());
            } else {
                orphans.push(name);
            }
        }
        pairs.sort();
        orphans.sort();
        Ok((pairs, orphans))
    }
}

/// True for the names ssh, sshd and tools around them read from `~/.ssh` as configuration (not keys),
/// also with a suffix such as `authorized_keys2` or `known_hosts.old`: `rc` runs at every login.
fn read_by_ssh(name: &str) -> bool {
    const EXACT: &[&str] = &["rc"];
    const PREFIXES: &[&str] = &[
        "authorized_keys",
        "authorized_principals",
        "known_hosts",
        "allowed_signers",
        "config",
        "environment",
        "rc.",
    ];
    EXACT.contains(&name) || PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The SSH key names recorded under `secrets.ssh` in config.yaml (none when rh's paths are unknown).
fn recorded_names(ctx: &Ctx<'_>) -> Result<Vec<String>> {
    let Some(paths) = ctx.paths() else {
        return Ok(Vec::new());
    };
    let config = rh_config::Config::load(paths)?;
    Ok(match config.get_stored("secrets.ssh") {
        Some(serde_yaml::Value::Sequence(names)) => names
            .iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    })
}

impl Provider for Ssh {
    fn name(&self) -> &'static str {
        "ssh"
    }

    fn class(&self) -> &'static str {
        "SSHSecret"
    }

    fn exports_env(&self) -> bool {
        false
    }

    fn keys(&self) -> &'static [&'static str] {
        &[]
    }

    /// The key directory, `~/.ssh`.
    fn paths(&self, ctx: &Ctx<'_>) -> Vec<PathBuf> {
        vec![ctx.home().join(".ssh")]
    }

    /// Every pair `NAME` + `NAME.pub` (except `sky-key`); a lone public key is warned about and skipped.
    fn read_path(&self, dir: &Path) -> Result<Option<ProviderSecrets>> {
        if !dir.is_dir() {
            return Ok(None);
        }
        let (pairs, orphans) = Self::pairs(dir)?;
        for file in orphans {
            let stem = file.trim_end_matches(".pub");
            tracing::warn!("Private key {stem} not found for public key {file}, skipping.");
        }
        let mut out = ProviderSecrets::new();
        for stem in pairs {
            for name in [stem.clone(), format!("{stem}.pub")] {
                if let Some(text) = fsio::read_optional(&dir.join(&name))? {
                    out.insert(name, text);
                }
            }
        }
        Ok(Some(out))
    }

    fn read_env(&self, _ctx: &Ctx<'_>) -> Result<ProviderSecrets> {
        Err(Error::EnvNotSupported {
            provider: self.name().to_owned(),
        })
    }

    /// Keys are file names: not empty, no `/`, not hidden; values are the key files' contents.
    fn validate(&self, secrets: &ProviderSecrets) -> Result<()> {
        if secrets.is_empty() {
            return Err(Error::Input {
                message: "ssh secrets need at least one key file (file name = contents)".to_owned(),
            });
        }
        for (name, value) in secrets.iter() {
            let bad = |reason| Error::InvalidKeyName {
                provider: "ssh".to_owned(),
                name: name.to_owned(),
                reason,
            };
            if name.is_empty() {
                return Err(bad("it is empty"));
            }
            if name.contains(['/', '\\', '\0']) {
                return Err(bad("a key name is a file name in ~/.ssh, without `/`"));
            }
            if name.starts_with('.') {
                return Err(bad("it must not start with `.`"));
            }
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'))
            {
                return Err(bad(
                    "only letters, digits, `_`, `-`, `.` and `@` are allowed",
                ));
            }
            if read_by_ssh(name) {
                return Err(bad(
                    "ssh or sshd reads that file as configuration, it is not a key",
                ));
            }
            if secrecy::ExposeSecret::expose_secret(value)
                .trim()
                .is_empty()
            {
                return Err(Error::InvalidValue {
                    provider: "ssh".to_owned(),
                    key: name.to_owned(),
                    reason: "it is empty",
                });
            }
        }
        Ok(())
    }

    /// Writes each pair (or single file) with mode 0600; a different existing key is never replaced
    /// unless `force`, and then it is backed up first.
    /// Only key files are written: `id_*`, names recorded under `secrets.ssh` in config.yaml (saved
    /// before), and their `.pub`; anything else, from a save or a pull, is refused before any write.
    fn plan_write(
        &self,
        ctx: &Ctx<'_>,
        secrets: &ProviderSecrets,
        opts: WriteOptions,
    ) -> Result<Plan> {
        self.validate(secrets)?;
        let recorded = recorded_names(ctx)?;
        for name in secrets.keys() {
            let stem = name.strip_suffix(".pub").unwrap_or(name);
            let allowed =
                stem.starts_with("id_") || recorded.iter().any(|r| r == name || r == stem);
            if !allowed {
                return Err(Error::InvalidKeyName {
                    provider: "ssh".to_owned(),
                    name: name.to_owned(),
                    reason: "only key files are written to ~/.ssh: `id_*`, names already recorded \
                             under secrets.ssh in config.yaml, and their `.pub`",
                });
            }
        }
        let dir = self.paths(ctx).remove(0);
        if dir.exists() && !dir.is_dir() {
            return Err(Error::Input {
                message: format!("{} exists and is not a directory", dir.display()),
            });
        }
        let names: Vec<&str> = secrets.keys().filter(|k| *k != "provider").collect();
        let mut plan = Plan {
            record: Some(serde_yaml::Value::Sequence(
                names
                    .iter()
                    .map(|n| serde_yaml::Value::String((*n).to_owned()))
                    .collect(),
            )),
            ..Plan::default()
        };
        // Group `NAME` with `NAME.pub` so a pair is written or skipped as a whole.
        let mut stems: Vec<&str> = names.iter().map(|n| n.trim_end_matches(".pub")).collect();
        stems.dedup();
        stems.sort_unstable();
        stems.dedup();
        for stem in stems {
            let files: Vec<(String, PathBuf, &str)> = [stem.to_owned(), format!("{stem}.pub")]
                .into_iter()
                .filter_map(|n| {
                    let v = secrets.expose(&n)?;
                    Some((n.clone(), dir.join(&n), v))
                })
                .collect();
            plan_key_group(&mut plan, &files, opts.force)?;
        }
        Ok(plan)
    }

    /// Runhouse never deleted SSH keys, and neither does rh: it only forgets the bookkeeping entry.
    fn plan_delete(&self, _ctx: &Ctx<'_>) -> Result<Plan> {
        let mut plan = Plan::default();
        plan.warn(
            "Automatic deletion of local SSH keys is not supported; delete them by hand if you want them gone."
                .to_owned(),
        );
        Ok(plan)
    }

    fn detect(&self, ctx: &Ctx<'_>) -> Detection {
        let dir = self.paths(ctx).remove(0);
        match Self::pairs(&dir) {
            Ok((pairs, _)) if !pairs.is_empty() => Detection::yes(
                Source::File(vec![dir.clone()]),
                format!(
                    "{} has {} key pair{}: {}",
                    dir.display(),
                    pairs.len(),
                    if pairs.len() == 1 { "" } else { "s" },
                    join_and(&pairs)
                ),
            ),
            Ok(_) => Detection::no(format!(
                "no key pair (NAME and NAME.pub) in {}",
                dir.display()
            )),
            Err(e) => Detection::no(rh_config::display_chain(&e)),
        }
    }
}
