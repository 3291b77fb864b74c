//! Entry points for `cargo xtask fuzz` (feature `fuzzing`); not part of the API.
//!
//! Each function states a property and panics when it does not hold.

use std::path::Path;

use rh_config::{MapEnv, RhPaths};
use secrecy::ExposeSecret;

use crate::{CustomProviders, ProviderSecrets, SaveOptions, Secrets, SecretsMap, builtin_provider};

/// The INI editor: a parsed file renders back byte for byte, and setting a key yields a file that parses
/// and holds the new value.
pub fn ini(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/fuzz/credentials");
    let Ok(mut doc) = crate::ini::Ini::parse(path, text) else {
        return;
    };
    assert_eq!(
        doc.render(),
        text,
        "an unedited INI file must render byte for byte"
    );
    doc.set("default", "aws_access_key_id", "AKIAFUZZ");
    let rendered = doc.render();
    let again = crate::ini::Ini::parse(path, &rendered).expect("an edited INI file parses");
    assert_eq!(
        again.get("default", "aws_access_key_id").as_deref(),
        Some("AKIAFUZZ")
    );
}

/// A provider's credential file holding arbitrary bytes: reading and saving never panic, a refused
/// save leaves the file byte-identical, and a successful one reads back the saved values.
pub fn provider_file(data: &[u8]) {
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
    ];
    let Some((&selector, content)) = data.split_first() else {
        return;
    };
    let (name, values) = PROVIDERS[usize::from(selector) % PROVIDERS.len()];
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
    let options = SaveOptions {
        force: false,
        custom: CustomProviders::default(),
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
