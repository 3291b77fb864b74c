//! `~/.rh/config.yaml`: typed get/set that keep what they do not know, and settings resolution.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret as _, SecretString};
use serde_yaml::{Mapping, Value};

use crate::{Env, EnvVars, Error, Result, RhPaths, parse_value, write_atomic};

/// The built-in defaults, as YAML literals, in the order `rh config list` shows them.
///
/// The keys and values are Runhouse's (v0.0.10), except the two URLs: Runhouse's hosted server no longer
/// exists, so they point at a local `rh-server serve`.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("default_folder", "~"),
    ("default_provider", "cheapest"),
    ("default_autostop", "-1"),
    ("use_spot", "false"),
    ("use_local_configs", "true"),
    ("disable_data_collection", "false"),
    ("use_rns", "false"),
    ("api_server_url", "http://127.0.0.1:8000"),
    ("dashboard_url", "http://127.0.0.1:8000"),
];

/// Keys whose values are secret: masked in listings, never uploaded.
pub const SECRET_KEYS: &[&str] = &["token"];

/// The user defaults an account's config on rh-server holds (Runhouse's defaults, spec §3.1, without the
/// endpoints): the only keys `rh config upload` and `rh login --upload-config` send, the only keys a download
/// merges into config.yaml, and the only keys rh-server stores. Endpoints (`api_server_url`,
/// `dashboard_url`, `vault_addr`, `vault_mount`, buckets) and credentials (`token`, `secrets`) never travel,
/// so an account's config cannot repoint the CLI.
pub const ACCOUNT_KEYS: &[&str] = &[
    "default_folder",
    "default_provider",
    "default_autostop",
    "use_spot",
    "use_local_configs",
    "disable_data_collection",
    "use_rns",
    "default_blob_storage_folder",
];

/// True when the value of `key` must be masked.
pub fn is_secret_key(key: &str) -> bool {
    SECRET_KEYS.contains(&key)
}

/// True when `key` is a user default an account's config may hold ([`ACCOUNT_KEYS`]).
pub fn is_account_key(key: &str) -> bool {
    ACCOUNT_KEYS.contains(&key)
}

/// The contents of `config.yaml` as stored, with the path it came from.
///
/// Unknown keys, nested maps and key order survive a load and save unchanged.
#[derive(Clone)]
pub struct Config {
    path: PathBuf,
    doc: Mapping,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The document may hold the token: list the keys only.
        let keys: Vec<String> = self
            .doc
            .keys()
            .map(|k| k.as_str().unwrap_or("<non-string>").to_owned())
            .collect();
        f.debug_struct("Config")
            .field("path", &self.path)
            .field("keys", &keys)
            .finish()
    }
}

impl Config {
    /// Loads `config.yaml` from `paths`; a missing file is an empty config.
    pub fn load(paths: &RhPaths) -> Result<Self> {
        Self::load_path(&paths.config_file())
    }

    /// Loads a config file at an explicit path; a missing file is an empty config.
    ///
    /// Anything other than a YAML mapping is an error naming the file, and the file is left alone.
    pub fn load_path(path: &Path) -> Result<Self> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    path: path.to_path_buf(),
                    doc: Mapping::new(),
                });
            }
            Err(source) => {
                return Err(Error::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        Self::parse(path, &bytes)
    }

    /// Parses the bytes of a config file that lives (or will live) at `path`.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self> {
        let doc = parse_document(path, bytes)?;
        Ok(Self {
            path: path.to_path_buf(),
            doc,
        })
    }

    /// An empty config that will be saved at `path`.
    pub fn empty(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            doc: Mapping::new(),
        }
    }

    /// The file this config is loaded from and saved to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True if the file exists on disk.
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// The stored document.
    pub fn document(&self) -> &Mapping {
        &self.doc
    }

    /// The stored value of a (possibly dotted) key, without defaults.
    ///
    /// A stored `0`, `false` or `""` is returned as is: Runhouse's fall-back to the default for falsy
    /// values is a defect this fixes.
    pub fn get_stored(&self, key: &str) -> Option<&Value> {
        let mut node = &self.doc;
        let mut segments = key.split('.').peekable();
        while let Some(seg) = segments.next() {
            let v = node.get(seg)?;
            if segments.peek().is_none() {
                return Some(v);
            }
            node = v.as_mapping()?;
        }
        None
    }

    /// The stored value of `key`, or its built-in default.
    pub fn get(&self, key: &str) -> Option<Value> {
        match self.get_stored(key) {
            Some(Value::Null) | None => default_of(key),
            Some(v) => Some(v.clone()),
        }
    }

    /// A string value, stored or default.
    pub fn get_str(&self, key: &str) -> Option<String> {
        self.get(key).and_then(|v| match v {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
    }

    /// A boolean value, stored or default.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(|v| v.as_bool())
    }

    /// An integer value, stored or default.
    pub fn get_i64(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(|v| v.as_i64())
    }

    /// Sets a (possibly dotted) key in memory; call [`Config::save`] to write it.
    pub fn set(&mut self, key: &str, value: Value) -> Result<()> {
        validate_key(key)?;
        let segments: Vec<&str> = key.split('.').collect();
        let (last, parents) = segments
            .split_last()
            .expect("split always yields one segment");
        let mut node = &mut self.doc;
        for seg in parents {
            let entry = node
                .entry(Value::String((*seg).to_owned()))
                .or_insert_with(|| Value::Mapping(Mapping::new()));
            if !entry.is_mapping() {
                *entry = Value::Mapping(Mapping::new());
            }
            node = entry.as_mapping_mut().expect("just made a mapping");
        }
        node.insert(Value::String((*last).to_owned()), value);
        Ok(())
    }

    /// Sets a key from a command-line string, typed by [`parse_value`].
    pub fn set_str(&mut self, key: &str, raw: &str) -> Result<()> {
        self.set(key, parse_value(raw))
    }

    /// Merges several top-level keys (downloaded values win).
    pub fn set_many(&mut self, values: &Mapping) {
        for (k, v) in values {
            self.doc.insert(k.clone(), v.clone());
        }
    }

    /// Removes a (possibly dotted) key; returns whether it was there.
    pub fn unset(&mut self, key: &str) -> Result<bool> {
        validate_key(key)?;
        let segments: Vec<&str> = key.split('.').collect();
        let (last, parents) = segments
            .split_last()
            .expect("split always yields one segment");
        let mut node = &mut self.doc;
        for seg in parents {
            match node.get_mut(*seg).and_then(Value::as_mapping_mut) {
                Some(m) => node = m,
                None => return Ok(false),
            }
        }
        Ok(node.shift_remove(*last).is_some())
    }

    /// The `secrets` bookkeeping map (`provider -> path or list`), as Runhouse kept it.
    pub fn secrets_map(&self) -> Mapping {
        self.doc
            .get("secrets")
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default()
    }

    /// Records where a provider's credentials were written.
    pub fn set_secret_path(&mut self, provider: &str, value: Value) -> Result<()> {
        self.set(&format!("secrets.{provider}"), value)
    }

    /// Drops a provider from the `secrets` map, and the map itself when it becomes empty.
    pub fn remove_secret_path(&mut self, provider: &str) -> Result<bool> {
        let removed = self.unset(&format!("secrets.{provider}"))?;
        if self
            .doc
            .get("secrets")
            .and_then(Value::as_mapping)
            .is_some_and(Mapping::is_empty)
        {
            self.doc.shift_remove("secrets");
        }
        Ok(removed)
    }

    /// Every key with its effective value: stored keys in file order, then defaults not stored.
    pub fn entries(&self) -> Vec<(String, Value)> {
        let mut out: Vec<(String, Value)> = self
            .doc
            .iter()
            .filter_map(|(k, v)| k.as_str().map(|k| (k.to_owned(), v.clone())))
            .collect();
        for (k, _) in DEFAULTS {
            if self.doc.get(*k).is_none_or(Value::is_null) {
                if let Some(pos) = out.iter().position(|(key, _)| key == k) {
                    out.remove(pos);
                }
                out.push(((*k).to_owned(), default_of(k).expect("a default key")));
            }
        }
        out
    }

    /// The map `rh config upload` sends: the stored [`ACCOUNT_KEYS`], in file order. Everything else
    /// (token, username, secrets, endpoints, unknown keys) stays on this machine.
    pub fn upload_view(&self) -> Mapping {
        self.doc
            .iter()
            .filter(|(k, _)| k.as_str().is_some_and(is_account_key))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The stored top-level keys [`Config::upload_view`] leaves out, in file order.
    pub fn kept_local(&self) -> Vec<String> {
        self.doc
            .keys()
            .map(|k| {
                k.as_str()
                    .map_or_else(|| "<non-string>".to_owned(), str::to_owned)
            })
            .filter(|k| !is_account_key(k))
            .collect()
    }

    /// Writes the config atomically with mode 0600 (its directory 0700), because it may hold a token.
    pub fn save(&self) -> Result<()> {
        write_atomic(&self.path, self.to_yaml()?.as_bytes(), 0o600)
    }

    /// The YAML text [`Config::save`] writes.
    pub fn to_yaml(&self) -> Result<String> {
        serde_yaml::to_string(&self.doc).map_err(|e| Error::Parse {
            path: self.path.clone(),
            message: format!(
                "cannot be written back as YAML ({})",
                one_line_yaml_error(&e)
            ),
        })
    }

    /// Deletes the file (a missing file is fine).
    pub fn delete_file(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Write {
                path: self.path.clone(),
                source: e,
            }),
            _ => Ok(()),
        }
    }

    /// Applies *flag > env > file > default* and returns the settings the rest of rh uses.
    pub fn resolve(&self, env: &dyn Env, overrides: &Overrides) -> Settings {
        let pick = |flag: &Option<String>, var: &str, key: &str| -> Option<String> {
            flag.clone()
                .or_else(|| env.non_empty(var))
                .or_else(|| self.get_str(key))
        };
        let token = match &overrides.token {
            Some(flag) => Some(flag.clone()),
            None => env
                .non_empty(EnvVars::RH_TOKEN)
                .or_else(|| self.get_str("token"))
                .map(SecretString::from),
        }
        .filter(|t| !t.expose_secret().is_empty());
        let username =
            pick(&overrides.username, EnvVars::RH_USERNAME, "username").filter(|u| !u.is_empty());
        let api_server_url = pick(
            &overrides.api_server_url,
            EnvVars::RH_API_SERVER_URL,
            "api_server_url",
        )
        .unwrap_or_else(|| default_str("api_server_url"));
        let stored_folder = self
            .get_str("default_folder")
            .unwrap_or_else(|| "~".to_owned());
        let default_folder = match (&username, stored_folder.as_str()) {
            (Some(user), "~" | "") => format!("/{user}"),
            _ => stored_folder,
        };
        Settings {
            token,
            username,
            api_server_url: api_server_url.trim_end_matches('/').to_owned(),
            dashboard_url: self
                .get_str("dashboard_url")
                .unwrap_or_else(|| default_str("dashboard_url")),
            default_folder,
            default_provider: self
                .get_str("default_provider")
                .unwrap_or_else(|| default_str("default_provider")),
            default_autostop: self.get_i64("default_autostop").unwrap_or(-1),
            use_spot: self.get_bool("use_spot").unwrap_or(false),
        }
    }
}

/// Values given on the command line, which beat env and file.
///
/// `Debug` is derived safely: the token is a [`SecretString`], whose `Debug` prints no value.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--token`.
    pub token: Option<SecretString>,
    /// `--username`.
    pub username: Option<String>,
    /// `--api-server-url`.
    pub api_server_url: Option<String>,
}

/// The settings rh runs with, after precedence is applied.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The account token, if logged in.
    pub token: Option<SecretString>,
    /// The account name, if logged in.
    pub username: Option<String>,
    /// rh-server base URL, without a trailing slash.
    pub api_server_url: String,
    /// Dashboard base URL.
    pub dashboard_url: String,
    /// Where bare resource names resolve: `~` when logged out, `/<username>` when logged in.
    pub default_folder: String,
    /// Cloud for on-demand clusters.
    pub default_provider: String,
    /// Minutes of idleness before a cluster stops; -1 never.
    pub default_autostop: i64,
    /// Whether clusters use spot instances by default.
    pub use_spot: bool,
}

fn default_of(key: &str) -> Option<Value> {
    DEFAULTS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| parse_value(v))
}

fn default_str(key: &str) -> String {
    DEFAULTS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| (*v).to_owned())
        .unwrap_or_default()
}

fn validate_key(key: &str) -> Result<()> {
    let bad = |reason| {
        Err(Error::InvalidKey {
            key: key.to_owned(),
            reason,
        })
    };
    if key.is_empty() {
        return bad("empty key");
    }
    for seg in key.split('.') {
        if seg.is_empty() {
            return bad("empty segment between dots");
        }
        if !seg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return bad("keys use letters, digits, `_` and `-`, with `.` between nested keys");
        }
    }
    Ok(())
}

fn parse_document(path: &Path, bytes: &[u8]) -> Result<Mapping> {
    let text = std::str::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    let value: Value = serde_yaml::from_str(text).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        message: one_line_yaml_error(&e),
    })?;
    if let Some(what) = unsupported(&value) {
        // These cannot be written back as YAML (and Python's yaml.safe_load refuses custom tags too).
        return Err(Error::Parse {
            path: path.to_path_buf(),
            message: format!("{what} are not supported"),
        });
    }
    match value {
        Value::Mapping(m) => Ok(m),
        Value::Null => Err(Error::Empty {
            path: path.to_path_buf(),
        }),
        other => Err(Error::NotAMapping {
            path: path.to_path_buf(),
            found: kind(&other),
        }),
    }
}

/// What in `v` cannot be written back: custom tags, or lists and maps used as keys.
fn unsupported(v: &Value) -> Option<&'static str> {
    match v {
        Value::Tagged(_) => Some("YAML tags (`!name`)"),
        Value::Sequence(items) => items.iter().find_map(unsupported),
        Value::Mapping(m) => m.iter().find_map(|(k, v)| match k {
            Value::Sequence(_) | Value::Mapping(_) => Some("lists or maps as keys"),
            _ => unsupported(k).or_else(|| unsupported(v)),
        }),
        _ => None,
    }
}

fn one_line_yaml_error(e: &serde_yaml::Error) -> String {
    // serde_yaml's message may quote the offending text, which could be a token: keep the position only.
    let what = e.to_string();
    let what = what
        .split(" at line ")
        .next()
        .unwrap_or("syntax error")
        .trim()
        .to_owned();
    let what = what.split(':').next().unwrap_or("syntax error").to_owned();
    match e.location() {
        Some(loc) => format!("{what} at line {} column {}", loc.line(), loc.column()),
        None => what,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MapEnv;

    fn tmp_config(contents: Option<&[u8]>) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        if let Some(c) = contents {
            std::fs::write(&path, c).unwrap();
        }
        (dir, path)
    }

    #[test]
    fn falsy_values_are_kept() {
        let (_d, path) = tmp_config(None);
        let mut c = Config::load_path(&path).unwrap();
        c.set_str("default_autostop", "0").unwrap();
        c.set_str("use_spot", "false").unwrap();
        c.set_str("default_provider", "").unwrap();
        c.save().unwrap();
        let c = Config::load_path(&path).unwrap();
        assert_eq!(c.get_i64("default_autostop"), Some(0));
        assert_eq!(c.get_bool("use_spot"), Some(false));
        assert_eq!(c.get_str("default_provider").as_deref(), Some(""));
    }

    #[test]
    fn defaults_apply_when_absent() {
        let (_d, path) = tmp_config(None);
        let c = Config::load_path(&path).unwrap();
        assert_eq!(c.get_i64("default_autostop"), Some(-1));
        assert_eq!(c.get_str("default_provider").as_deref(), Some("cheapest"));
        assert!(!c.exists());
    }

    #[test]
    fn unknown_keys_and_order_survive() {
        let original = b"zeta: 1\nsecrets:\n  aws: /x/credentials\n  custom: /y\nalpha: [1, 2]\n";
        let (_d, path) = tmp_config(Some(original));
        let mut c = Config::load_path(&path).unwrap();
        c.set_str("use_spot", "true").unwrap();
        c.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "zeta: 1\nsecrets:\n  aws: /x/credentials\n  custom: /y\nalpha:\n- 1\n- 2\nuse_spot: true\n"
        );
    }

    #[test]
    fn nested_secret_bookkeeping() {
        let (_d, path) = tmp_config(None);
        let mut c = Config::load_path(&path).unwrap();
        c.set_secret_path("aws", Value::String("/h/.aws/credentials".into()))
            .unwrap();
        assert_eq!(c.secrets_map().len(), 1);
        assert!(c.remove_secret_path("aws").unwrap());
        assert!(c.document().get("secrets").is_none());
    }

    #[test]
    fn bad_files_are_errors_naming_the_path() {
        for (bytes, needle) in [
            (&b"a: [unclosed"[..], "is not valid YAML"),
            (b"- a\n- b\n", "found a list"),
            (b"", "is empty"),
            (b"   \n", "is empty"),
            (b"\xff\xfe token", "not valid UTF-8"),
            (b"just text", "found a string"),
        ] {
            let (_d, path) = tmp_config(Some(bytes));
            let err = Config::load_path(&path).unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
            assert!(err.contains("config.yaml"), "{err}");
            assert!(!err.contains('\n'), "{err}");
            assert_eq!(std::fs::read(&path).unwrap(), bytes);
        }
    }

    #[test]
    fn fuzz_regressions() {
        // Found by `cargo xtask fuzz config_yaml`: a tagged value parsed, then failed to serialise.
        for input in [
            &b"!\t\tk(:e:"[..],
            b"a: !tag 1\n",
            b"!t {a: 1}\n",
            b"? ?",
            b"? [a]\n: 1\n",
        ] {
            let (_d, path) = tmp_config(Some(input));
            let err = Config::load_path(&path).unwrap_err().to_string();
            assert!(
                err.contains("not supported") || err.contains("not valid YAML"),
                "{err}"
            );
        }
    }

    #[test]
    fn yaml_errors_do_not_quote_content() {
        let (_d, path) = tmp_config(Some(b"token: sk-SENTINEL\n  bad: [indent\n"));
        let err = Config::load_path(&path).unwrap_err().to_string();
        assert!(!err.contains("SENTINEL"), "{err}");
    }

    #[test]
    fn precedence_flag_env_file_default() {
        let (_d, path) = tmp_config(Some(b"token: file-token\nusername: fileuser\n"));
        let c = Config::load_path(&path).unwrap();
        let env = MapEnv::from_pairs([("RH_USERNAME", "envuser")]);
        let s = c.resolve(&env, &Overrides::default());
        assert_eq!(s.username.as_deref(), Some("envuser"));
        assert_eq!(s.default_folder, "/envuser");
        let s = c.resolve(
            &env,
            &Overrides {
                username: Some("flaguser".into()),
                ..Overrides::default()
            },
        );
        assert_eq!(s.username.as_deref(), Some("flaguser"));
        let s = Config::empty(&path).resolve(&MapEnv::default(), &Overrides::default());
        assert_eq!(s.default_folder, "~");
        assert_eq!(s.api_server_url, "http://127.0.0.1:8000");
        assert!(s.token.is_none());
    }

    #[test]
    fn debug_does_not_show_values() {
        let (_d, path) = tmp_config(Some(b"token: SENTINEL-TOKEN\n"));
        let c = Config::load_path(&path).unwrap();
        let s = c.resolve(&MapEnv::default(), &Overrides::default());
        assert!(!format!("{c:?}").contains("SENTINEL"));
        assert!(!format!("{s:?}").contains("SENTINEL"));
    }

    #[test]
    fn upload_view_strips_local_keys() {
        let (_d, path) = tmp_config(Some(
            b"token: t\nusername: u\nsecrets: {aws: x}\nuse_spot: true\n",
        ));
        let c = Config::load_path(&path).unwrap();
        let v = c.upload_view();
        assert_eq!(v.len(), 1);
        assert!(v.contains_key("use_spot"));
    }

    #[test]
    fn upload_view_holds_only_account_keys() {
        let (_d, path) = tmp_config(Some(
            b"api_server_url: http://evil\ndefault_autostop: 5\nvault_addr: http://v\nvault_mount: m\n\
              dashboard_url: http://d\ndefault_blob_bucket: b\nunknown: 1\ndefault_folder: /org\n",
        ));
        let c = Config::load_path(&path).unwrap();
        let view = c.upload_view();
        let keys: Vec<&str> = view.keys().filter_map(Value::as_str).collect();
        assert_eq!(keys, ["default_autostop", "default_folder"]);
        assert_eq!(
            c.kept_local(),
            [
                "api_server_url",
                "vault_addr",
                "vault_mount",
                "dashboard_url",
                "default_blob_bucket",
                "unknown"
            ]
        );
        for k in [
            "api_server_url",
            "dashboard_url",
            "vault_addr",
            "token",
            "secrets",
        ] {
            assert!(!is_account_key(k), "{k}");
        }
    }

    /// `Overrides` derives `Debug`; its token is a secret type, so the value never shows.
    #[test]
    fn debug_of_overrides_hides_the_token() {
        let o = Overrides {
            token: Some(SecretString::from("sk-OVERRIDE-SENTINEL".to_owned())),
            username: Some("alice".to_owned()),
            api_server_url: None,
        };
        let shown = format!("{o:?}");
        assert!(!shown.contains("SENTINEL"), "{shown}");
        assert!(shown.contains("alice"), "{shown}");
    }
}
