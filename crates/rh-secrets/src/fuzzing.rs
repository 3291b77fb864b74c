//! Entry points for `cargo xtask fuzz` (feature `fuzzing`); not part of the API.
//!
//! Each function states a property and panics when it does not hold.

use std::path::Path;

use rh_config::{MapEnv, RhPaths};
use secrecy::ExposeSecret;

use crate::{CustomProviders, ProviderSecrets, SaveOptions, Secrets, SecretsMap, builtin_provider};

/// The INI editor: a parsed file renders back byte for byte; setting a key yields a file that parses,
/// holds the new value and keeps every other value; removing a key keeps every other value. A refused
/// edit leaves the document as it was.
pub fn ini(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/fuzz/credentials");
    let Ok(doc) = crate::ini::Ini::parse(path, text) else {
        return;
    };
    assert_eq!(
        doc.render(),
        text,
        "an unedited INI file must render byte for byte"
    );
    let before = doc.values();

    let mut set = doc.clone();
    if set.set("default", "aws_access_key_id", "AKIAFUZZ").is_ok() {
        let rendered = set.render();
        let again = crate::ini::Ini::parse(path, &rendered).expect("an edited INI file parses");
        let mut expected = before.clone();
        expected.insert(
            ("default".to_owned(), "aws_access_key_id".to_owned()),
            "AKIAFUZZ".to_owned(),
        );
        assert_eq!(again.values(), expected, "set changed other values");
    } else {
        assert_eq!(set.render(), text, "a refused set changed the document");
    }

    if let Some((section, key)) = before.keys().next().cloned() {
        let mut removed = doc.clone();
        if removed.remove(&section, &key).is_ok() {
            let again = crate::ini::Ini::parse(path, &removed.render())
                .expect("an INI file with a key removed parses");
            let mut expected = before.clone();
            expected.remove(&(section, key));
            assert_eq!(again.values(), expected, "remove changed other values");
        } else {
            assert_eq!(
                removed.render(),
                text,
                "a refused remove changed the document"
            );
        }
    }
}

/// The providers with a credential file, and the values a fuzzed save writes.
const PROVIDERS: &[(&str, &[(&str, &str)])] = &[
    (
        "aws",
        &[("access_key", "AKIAFUZZ"), ("secret_key", "fuzz-secret")],
    ),
    ("azure", &[("subscription_id", "fuzz-sub")]),
    (
        "gcp",
        &[("client_id", "fuzz-id"), ("client_secret", "fuzz-secret")],
    ),
    ("huggingface", &[("token", "hf_fuzz")]),
    ("lambda", &[("api_key", "fuzz-key")]),
    ("github", &[("token", "gho_fuzz")]),
    ("openai", &[("api_key", "sk-fuzz")]),
    (
        "kubernetes",
        &[
            (
                "context",
                r#"{"name":"fuzz","context":{"cluster":"fuzz-c","user":"fuzz-u"}}"#,
            ),
            (
                "cluster",
                r#"{"name":"fuzz-c","cluster":{"server":"https://127.0.0.1:6443"}}"#,
            ),
            ("user", r#"{"name":"fuzz-u","user":{"token":"fuzz-token"}}"#),
        ],
    ),
    (
        "docker",
        &[
            ("username", "fuzz"),
            ("password", "fuzz-pw"),
            ("server", "fuzz.example"),
        ],
    ),
];

/// A provider's credential file holding arbitrary bytes: reading and saving never panic, a refused
/// save leaves the file byte-identical, and a successful one reads back the saved values.
pub fn provider_file(data: &[u8]) {
    let Some((&selector, content)) = data.split_first() else {
        return;
    };
    let (name, _) = PROVIDERS[usize::from(selector) % PROVIDERS.len()];
    provider_file_of(name, content);
}

/// [`provider_file`] for one provider (`aws`, `azure`, `gcp`, `huggingface`, `lambda`, `github`,
/// `openai`, `kubernetes`, `docker`):
/// the whole input is its credential file.
///
/// # Panics
///
/// When a property does not hold, or `name` is not one of those providers.
pub fn provider_file_of(name: &str, content: &[u8]) {
    let values = PROVIDERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .expect("a fuzzed provider");
    let dir = tempfile::tempdir().expect("a temp dir");
    let paths = RhPaths::new(dir.path(), dir.path().join(".rh"));
    let env = MapEnv::default();
    let secrets = Secrets::new(&paths, &env);
    let provider = builtin_provider(name).expect("a builtin provider");
    let file = provider.paths(&crate::Ctx::new(dir.path(), &env))[0].clone();
    std::fs::create_dir_all(file.parent().expect("a parent dir")).expect("create dirs");
    std::fs::write(&file, content).expect("write the fuzz input");

    let _ = secrets.load_provider(name);
    let mut wanted = ProviderSecrets::new();
    for (k, v) in values {
        wanted.insert(*k, *v);
    }
    let mut map = SecretsMap::new();
    map.insert(name.to_owned(), wanted);
    // The saved kubeconfig context becomes the current one, so it is the one read back.
    let options = SaveOptions {
        custom: CustomProviders::default(),
        set_current_context: true,
        ..SaveOptions::default()
    };
    if secrets.save_provider_secrets(&map, options).is_err() {
        let now = std::fs::read(&file).expect("file still there");
        assert_eq!(now, content, "a refused save changed {name}");
        return;
    }
    let (got, _) = secrets
        .load_provider(name)
        .expect("a saved file loads")
        .expect("secrets are there");
    for (k, v) in values {
        assert_eq!(
            got.get(k).map(|s| s.expose_secret().to_owned()).as_deref(),
            Some(*v),
            "{name}.{k}"
        );
    }
}

#[cfg(test)]
mod tests {
    /// The property on hand-made files of the providers added after the fuzz corpus was made.
    #[test]
    fn kubeconfig_docker_and_api_key_files() {
        let kube: &[&[u8]] = &[
            b"",
            b"current-context: prod\ncontexts:\n- name: prod\n  context: {cluster: p, user: p}\nclusters:\n- name: p\n  cluster: {server: s}\nusers:\n- name: p\n  user: {token: t}\n",
            b"contexts:\n- name: fuzz\n  context: {cluster: other, user: other}\n",
            b"contexts: 3\n",
            b"users: [\n",
            b"- a\n- b\n",
            b"current-context: [x]\n",
            b"clusters:\n- {name: fuzz-c, cluster: {server: old}, extra: 1}\n- 7\n",
        ];
        for k in kube {
            super::provider_file_of("kubernetes", k);
        }
        let docker: &[&[u8]] = &[
            b"",
            b"{}",
            b"{\"auths\": {\"fuzz.example\": {\"auth\": \"b2xkOm9sZA==\", \"x\": 1}}, \"credsStore\": \"osxkeychain\"}",
            b"{\"auths\": {\"a\": {\"auth\": \"!!!\"}}}",
            b"{\"auths\": {\"a\": 5}}",
            b"{\"auths\": null}",
            b"{\"auths\": []}",
            b"[1]",
            b"{,}",
        ];
        for d in docker {
            super::provider_file_of("docker", d);
        }
        for o in [
            &b"{\"values\": 3}"[..],
            b"{\"values\": {\"api_key\": 1}}",
            b"nope",
            b"{}",
        ] {
            super::provider_file_of("openai", o);
        }
    }

    /// Every input saved under `fuzz/regressions/<target>/` (crashes found by `cargo xtask fuzz`)
    /// still holds its target's property.
    type Target = (&'static str, fn(&[u8]));

    #[test]
    fn replays_fuzz_regressions() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
        let targets: [Target; 5] = [
            ("ini_edit", super::ini),
            ("provider_file", super::provider_file),
            ("clouds_config", |d| super::provider_file_of("azure", d)),
            ("lambda_keys", |d| super::provider_file_of("lambda", d)),
            ("hosts_yml", |d| super::provider_file_of("github", d)),
        ];
        let mut replayed = 0;
        for (target, run) in targets {
            let Ok(dir) = std::fs::read_dir(root.join(target)) else {
                continue;
            };
            for entry in dir {
                let path = entry.unwrap().path();
                run(&std::fs::read(&path).unwrap());
                replayed += 1;
            }
        }
        assert!(
            replayed >= 1,
            "no regression inputs under {}",
            root.display()
        );
    }
}
