//! Each builtin provider: write into existing files without damage, read back, detect, delete.

use rh_secrets::{SaveOptions, Secrets, Source};

use crate::{Home, mode};

fn detect(h: &Home, provider: &str) -> rh_secrets::Detection {
    h.secrets()
        .status()
        .into_iter()
        .find(|s| s.provider == provider)
        .expect("builtin")
        .detection
}

#[test]
fn builtin_providers_start_with_runhouses_eight_in_its_order() {
    let names: Vec<&str> = Secrets::builtin_providers()
        .iter()
        .map(|p| p.name())
        .collect();
    assert_eq!(
        names[..8],
        [
            "aws",
            "azure",
            "gcp",
            "huggingface",
            "lambda",
            "sky",
            "ssh",
            "github"
        ]
    );
    assert_eq!(
        rh_secrets::builtin_provider("AWS").map(rh_secrets::Provider::name),
        Some("aws")
    );
    assert!(rh_secrets::builtin_provider("snowflake").is_none());
}

#[test]
fn aws_keeps_other_profiles_and_comments_byte_for_byte() {
    let h = Home::new();
    let before = "# managed by hand\n[work]\naws_access_key_id = WORKKEY\naws_secret_access_key = worksecret\nregion=eu-west-1\n\n[default]\naws_access_key_id=OLD\n; trailing comment\n";
    h.put(".aws/credentials", before);
    assert!(!detect(&h, "aws").configured);
    assert!(
        detect(&h, "aws")
            .reason
            .contains("lacks [default] aws_secret_access_key")
    );
    let report = h
        .save(
            "aws",
            &[("access_key", "AKIANEW"), ("secret_key", "newsecret")],
        )
        .unwrap();
    assert!(report.undetected.is_empty());
    assert_eq!(
        h.read(".aws/credentials"),
        "# managed by hand\n[work]\naws_access_key_id = WORKKEY\naws_secret_access_key = worksecret\nregion=eu-west-1\n\n[default]\naws_access_key_id=AKIANEW\naws_secret_access_key = newsecret\n; trailing comment\n"
    );
    assert_eq!(mode(&h.path(".aws/credentials")), 0o600);
    let d = detect(&h, "aws");
    assert!(d.configured, "{d:?}");
    assert_eq!(
        d.source,
        Some(Source::File(vec![h.path(".aws/credentials")]))
    );
    let loaded = h.secrets().load(Some(&["aws".to_owned()]), false).unwrap();
    assert_eq!(loaded["aws"].expose("access_key"), Some("AKIANEW"));
    assert_eq!(
        h.config(),
        format!(
            "secrets:\n  aws: {}\n",
            h.path(".aws/credentials").display()
        )
    );
    // Delete removes our keys only; the work profile stays.
    h.secrets().delete_local(&["aws".to_owned()]).unwrap();
    assert_eq!(
        h.read(".aws/credentials"),
        "# managed by hand\n[work]\naws_access_key_id = WORKKEY\naws_secret_access_key = worksecret\nregion=eu-west-1\n\n[default]\n; trailing comment\n"
    );
    assert!(!detect(&h, "aws").configured);
    assert!(!h.config().contains("aws"));
}

#[test]
fn aws_new_file_env_override_and_env_detection() {
    let mut h = Home::new();
    let custom = h.path("elsewhere/creds");
    h.set_env("AWS_SHARED_CREDENTIALS_FILE", custom.display().to_string());
    h.save("aws", &[("access_key", "A1"), ("secret_key", "S1")])
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&custom).unwrap(),
        "[default]\naws_access_key_id = A1\naws_secret_access_key = S1\n"
    );
    assert_eq!(mode(custom.parent().unwrap()), 0o700);
    assert!(!h.path(".aws").exists());
    // A file that goes empty is removed.
    h.secrets().delete_local(&["aws".to_owned()]).unwrap();
    assert!(!custom.exists());

    let mut h = Home::new();
    h.set_env("AWS_ACCESS_KEY_ID", "AKIAENV");
    assert!(!detect(&h, "aws").configured);
    h.set_env("AWS_SECRET_ACCESS_KEY", "envsecret");
    let d = detect(&h, "aws");
    assert!(d.configured);
    assert_eq!(d.source.unwrap().kind(), "env");
    let env = h.secrets().read_env("aws").unwrap();
    assert_eq!(env.expose("secret_key"), Some("envsecret"));
    let reports = h.secrets().delete_local(&["aws".to_owned()]).unwrap();
    assert_eq!(
        reports[0].warnings,
        [
            "aws secrets also come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; unset them in your shell to remove them"
        ]
    );
}

#[test]
fn azure_edits_its_section_only() {
    let h = Home::new();
    h.put(
        ".azure/clouds.config",
        "[AzureChinaCloud]\nsubscription = other\n\n[AzureCloud]\nsubscription = old\nprofile = latest\n",
    );
    h.save("azure", &[("subscription_id", "sub-123")]).unwrap();
    assert_eq!(
        h.read(".azure/clouds.config"),
        "[AzureChinaCloud]\nsubscription = other\n\n[AzureCloud]\nsubscription = sub-123\nprofile = latest\n"
    );
    assert!(detect(&h, "azure").configured);
    let (s, _) = h.secrets().load_provider("azure").unwrap().unwrap();
    assert_eq!(s.expose("subscription_id"), Some("sub-123"));
    h.secrets().delete_local(&["azure".to_owned()]).unwrap();
    assert_eq!(
        h.read(".azure/clouds.config"),
        "[AzureChinaCloud]\nsubscription = other\n\n[AzureCloud]\nprofile = latest\n"
    );
    let mut h = Home::new();
    h.set_env("AZURE_SUBSCRIPTION_ID", "s");
    assert!(detect(&h, "azure").configured);
}

#[test]
fn gcp_merges_into_existing_json() {
    let h = Home::new();
    let rel = ".config/gcloud/application_default_credentials.json";
    h.put(
        rel,
        r#"{"type": "authorized_user", "refresh_token": "keepme", "client_id": "old"}"#,
    );
    h.save("gcp", &[("client_id", "cid"), ("client_secret", "csecret")])
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&h.read(rel)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"type": "authorized_user", "refresh_token": "keepme", "client_id": "cid", "client_secret": "csecret"})
    );
    assert_eq!(mode(&h.path(rel)), 0o600);
    assert!(detect(&h, "gcp").configured);
    h.secrets().delete_local(&["gcp".to_owned()]).unwrap();
    let v: serde_json::Value = serde_json::from_str(&h.read(rel)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"type": "authorized_user", "refresh_token": "keepme"})
    );
    assert!(!detect(&h, "gcp").configured);
}

#[test]
fn gcp_honours_google_application_credentials() {
    let mut h = Home::new();
    let p = h.path("keys/adc.json");
    h.set_env("GOOGLE_APPLICATION_CREDENTIALS", p.display().to_string());
    h.save("gcp", &[("client_id", "a"), ("client_secret", "b")])
        .unwrap();
    assert!(p.is_file());
    assert_eq!(
        detect(&h, "gcp").source,
        Some(Source::File(vec![p.clone()]))
    );
    h.secrets().delete_local(&["gcp".to_owned()]).unwrap();
    assert!(!p.exists(), "an object left empty is removed");
    h.set_env("CLIENT_ID", "x");
    h.set_env("CLIENT_SECRET", "y");
    assert_eq!(detect(&h, "gcp").source.unwrap().kind(), "env");
}

#[test]
fn huggingface_token_file_and_hf_home() {
    let h = Home::new();
    h.save("huggingface", &[("token", "hf_abc")]).unwrap();
    assert_eq!(h.read(".cache/huggingface/token"), "hf_abc");
    assert_eq!(mode(&h.path(".cache/huggingface/token")), 0o600);
    assert!(detect(&h, "huggingface").configured);
    h.secrets()
        .delete_local(&["huggingface".to_owned()])
        .unwrap();
    assert!(!h.path(".cache/huggingface/token").exists());

    let mut h = Home::new();
    h.set_env("HF_HOME", h.path("hf").display().to_string());
    h.save("huggingface", &[("token", "hf_xyz")]).unwrap();
    assert_eq!(h.read("hf/token"), "hf_xyz");
    h.put("hf/token", "hf_xyz\n");
    let (s, _) = h.secrets().load_provider("huggingface").unwrap().unwrap();
    assert_eq!(
        s.expose("token"),
        Some("hf_xyz"),
        "a trailing newline is not part of the token"
    );
    let mut h = Home::new();
    h.set_env("HF_TOKEN", "hf_env");
    assert_eq!(detect(&h, "huggingface").source.unwrap().kind(), "env");
}

#[test]
fn lambda_keeps_other_lines() {
    let h = Home::new();
    h.put(
        ".lambda_cloud/lambda_keys",
        "# my key\napi_key = old\nregion = us\n",
    );
    h.save("lambda", &[("api_key", "secret_lambda")]).unwrap();
    assert_eq!(
        h.read(".lambda_cloud/lambda_keys"),
        "# my key\napi_key = secret_lambda\nregion = us\n"
    );
    assert!(detect(&h, "lambda").configured);
    h.secrets().delete_local(&["lambda".to_owned()]).unwrap();
    assert_eq!(
        h.read(".lambda_cloud/lambda_keys"),
        "# my key\nregion = us\n"
    );
    let h = Home::new();
    h.save("lambda", &[("api_key", "k")]).unwrap();
    assert_eq!(h.read(".lambda_cloud/lambda_keys"), "api_key = k\n");
    assert!(h.secrets().read_env("lambda").is_err());
}

#[test]
fn sky_pair_is_never_overwritten_without_force() {
    let h = Home::new();
    let pair = [
        ("ssh_private_key", "PRIVATE-1\n"),
        ("ssh_public_key", "ssh-ed25519 PUB1"),
    ];
    h.save("sky", &pair).unwrap();
    assert_eq!(h.read(".ssh/sky-key"), "PRIVATE-1\n");
    assert_eq!(h.read(".ssh/sky-key.pub"), "ssh-ed25519 PUB1\n");
    assert_eq!(mode(&h.path(".ssh")), 0o700);
    assert_eq!(mode(&h.path(".ssh/sky-key.pub")), 0o600);
    assert!(detect(&h, "sky").configured);
    assert!(h.config().contains("sky:\n  - "), "{}", h.config());

    // Same content again: nothing to warn about.
    let again = h.save("sky", &pair).unwrap();
    assert!(again.warnings.is_empty(), "{:?}", again.warnings);

    let other = [
        ("ssh_private_key", "PRIVATE-2\n"),
        ("ssh_public_key", "ssh-ed25519 PUB2"),
    ];
    let report = h.save("sky", &other).unwrap();
    assert_eq!(
        report.warnings,
        [
            "Key sky-key already exists, skipping.",
            "Key sky-key.pub already exists, skipping."
        ]
    );
    assert_eq!(h.read(".ssh/sky-key"), "PRIVATE-1\n");

    let report = h
        .save_opts(
            "sky",
            &other,
            SaveOptions {
                force: true,
                ..SaveOptions::default()
            },
        )
        .unwrap();
    assert_eq!(h.read(".ssh/sky-key"), "PRIVATE-2\n");
    assert_eq!(h.read(".ssh/sky-key.bak"), "PRIVATE-1\n");
    assert_eq!(h.read(".ssh/sky-key.pub.bak"), "ssh-ed25519 PUB1\n");
    assert_eq!(mode(&h.path(".ssh/sky-key.bak")), 0o600);
    assert_eq!(report.saved[0].1.backups.len(), 2);

    h.secrets().delete_local(&["sky".to_owned()]).unwrap();
    assert!(!h.path(".ssh/sky-key").exists() && !h.path(".ssh/sky-key.pub").exists());
    assert!(!detect(&h, "sky").configured);
}

#[test]
fn ssh_pairs_read_write_detect_and_delete_is_refused() {
    let h = Home::new();
    h.put(".ssh/id_rsa", "EXISTING\n");
    h.put(".ssh/id_rsa.pub", "ssh-rsa EXISTING\n");
    h.put(".ssh/sky-key", "SKY\n");
    h.put(".ssh/sky-key.pub", "ssh-rsa SKY\n");
    h.put(".ssh/lonely.pub", "ssh-rsa LONELY\n");
    let d = detect(&h, "ssh");
    assert!(d.configured);
    assert!(d.reason.ends_with("has 1 key pair: id_rsa"), "{}", d.reason);

    let report = h
        .save(
            "ssh",
            &[
                ("id_rsa", "DIFFERENT\n"),
                ("id_rsa.pub", "ssh-rsa DIFFERENT\n"),
                ("id_xkey-one", "ONE"),
                ("id_xkey-one.pub", "ssh-ed25519 ONE"),
            ],
        )
        .unwrap();
    assert_eq!(
        report.warnings,
        [
            "Key id_rsa already exists, skipping.",
            "Key id_rsa.pub already exists, skipping."
        ]
    );
    assert_eq!(h.read(".ssh/id_rsa"), "EXISTING\n");
    assert_eq!(h.read(".ssh/id_xkey-one"), "ONE\n");
    assert_eq!(mode(&h.path(".ssh/id_xkey-one")), 0o600);
    assert!(
        h.config()
            .contains("ssh:\n  - id_rsa\n  - id_rsa.pub\n  - id_xkey-one\n  - id_xkey-one.pub\n"),
        "{}",
        h.config()
    );

    let loaded = h.secrets().load(Some(&["ssh".to_owned()]), false).unwrap();
    let keys: Vec<&str> = loaded["ssh"].keys().collect();
    assert_eq!(
        keys,
        ["id_rsa", "id_rsa.pub", "id_xkey-one", "id_xkey-one.pub"]
    );

    let reports = h.secrets().delete_local(&["ssh".to_owned()]).unwrap();
    assert!(reports[0].warnings[0].contains("not supported"));
    assert!(
        h.path(".ssh/id_xkey-one").exists(),
        "ssh keys are never deleted"
    );
    assert!(!h.config().contains("ssh"));
}

#[test]
fn ssh_private_key_alone_is_reported_as_not_configured() {
    let h = Home::new();
    let report = h.save("ssh", &[("id_deploy", "PRIVATE")]).unwrap();
    assert_eq!(report.undetected, ["ssh"]);
}

#[test]
fn github_merges_hosts() {
    let h = Home::new();
    let rel = ".config/gh/hosts.yml";
    h.put(rel, "github.com:\n  user: me\n  git_protocol: ssh\n  oauth_token: old\nghe.corp.com:\n  oauth_token: corp\n");
    h.save("github", &[("token", "gho_new")]).unwrap();
    assert_eq!(
        h.read(rel),
        "github.com:\n  user: me\n  git_protocol: ssh\n  oauth_token: gho_new\nghe.corp.com:\n  oauth_token: corp\n"
    );
    assert!(detect(&h, "github").configured);
    h.secrets().delete_local(&["github".to_owned()]).unwrap();
    assert_eq!(h.read(rel), "ghe.corp.com:\n  oauth_token: corp\n");
    assert!(!detect(&h, "github").configured);

    let mut h = Home::new();
    let dir = h.path("ghconf");
    h.set_env("GH_CONFIG_DIR", dir.display().to_string());
    h.save("github", &[("oauth_token", "gho_alias")]).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("hosts.yml")).unwrap(),
        "github.com:\n  oauth_token: gho_alias\n"
    );
    h.secrets().delete_local(&["github".to_owned()]).unwrap();
    assert!(!dir.join("hosts.yml").exists());
    h.set_env("GH_TOKEN", "t");
    assert!(detect(&h, "github").configured);
}

#[test]
fn several_providers_in_one_save_and_load_of_configured() {
    let h = Home::new();
    let map = rh_secrets::parse_secrets_json(
        "input",
        r#"{"lambda": {"api_key": "L"}, "aws": {"access_key": "A", "secret_key": "S"}}"#,
    )
    .unwrap();
    let report = h
        .secrets()
        .save_provider_secrets(&map, SaveOptions::default())
        .unwrap();
    let order: Vec<&str> = report.saved.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(order, ["aws", "lambda"]);
    assert_eq!(h.secrets().configured_providers(), ["aws", "lambda"]);
    let loaded = h.secrets().load(None, false).unwrap();
    assert_eq!(loaded.keys().collect::<Vec<_>>(), ["aws", "lambda"]);
}

#[test]
fn custom_providers_are_never_written_locally() {
    let h = Home::new();
    let map =
        rh_secrets::parse_secrets_json("input", r#"{"snowflake": {"password": "p"}}"#).unwrap();
    let err = h
        .secrets()
        .save_provider_secrets(&map, SaveOptions::default())
        .unwrap_err();
    assert!(
        err.to_string().starts_with("unknown provider `snowflake`"),
        "{err}"
    );
    let report = h
        .secrets()
        .save_provider_secrets(
            &map,
            SaveOptions {
                custom: rh_secrets::CustomProviders::Skip,
                ..SaveOptions::default()
            },
        )
        .unwrap();
    assert_eq!(report.skipped_custom, ["snowflake"]);
    assert_eq!(
        std::fs::read_dir(&h.root).unwrap().count(),
        0,
        "nothing written"
    );

    // A custom provider recorded by hand is deleted from its recorded path.
    let file = h.put("my/snowflake.json", "{}");
    h.put(
        ".rh/config.yaml",
        &format!("secrets:\n  snowflake: {}\n", file.display()),
    );
    h.secrets().delete_local(&["snowflake".to_owned()]).unwrap();
    assert!(!file.exists());
    assert!(!h.config().contains("snowflake"));
}

#[test]
fn load_from_an_explicit_path() {
    let h = Home::new();
    h.put(
        "backup/creds",
        "[default]\naws_access_key_id = A\naws_secret_access_key = S\n",
    );
    let s = h
        .secrets()
        .load_from_path("aws", "~/backup/creds")
        .unwrap()
        .unwrap();
    assert_eq!(s.expose("access_key"), Some("A"));
    h.put("keys/k", "PRIV\n");
    h.put("keys/k.pub", "ssh-ed25519 PUB\n");
    let s = h
        .secrets()
        .load_from_path("sky", "~/keys/k")
        .unwrap()
        .unwrap();
    assert_eq!(s.expose("ssh_private_key"), Some("PRIV\n"));
    assert_eq!(s.expose("ssh_public_key"), Some("ssh-ed25519 PUB\n"));
    assert!(
        h.secrets()
            .load_from_path("gcp", "~/nothing.json")
            .unwrap()
            .is_none()
    );
}
