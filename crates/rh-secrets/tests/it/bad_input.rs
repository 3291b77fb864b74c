//! Bad input: clear one-line errors, and no file created, truncated or changed.

use crate::Home;

#[test]
fn missing_key_creates_nothing() {
    let h = Home::new();
    let err = h.save("aws", &[("access_key", "A")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "aws secrets lack the key `secret_key` (expected access_key and secret_key)"
    );
    assert!(!h.path(".aws").exists());
    assert!(!h.paths.config_file().exists());
    let err = h
        .save(
            "aws",
            &[("access_key", "A"), ("secret_key", "S"), ("region", "x")],
        )
        .unwrap_err();
    assert!(err.to_string().contains("unknown key `region`"), "{err}");
    let err = h
        .save("aws", &[("access_key", "A\nB"), ("secret_key", "S")])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value for aws key `access_key`: it spans several lines"
    );
    let err = h.save("lambda", &[("api_key", "  ")]).unwrap_err();
    assert!(err.to_string().contains("it is empty"), "{err}");
    let err = h.save("ssh", &[("../evil", "x")]).unwrap_err();
    assert!(err.to_string().contains("without `/`"), "{err}");
    assert_eq!(std::fs::read_dir(&h.root).unwrap().count(), 0);
}

#[test]
fn a_failing_provider_stops_the_whole_save_before_any_write() {
    let h = Home::new();
    let map = rh_secrets::parse_secrets_json(
        "input",
        r#"{"aws": {"access_key": "A", "secret_key": "S"}, "lambda": {}}"#,
    )
    .unwrap();
    let err = h
        .secrets()
        .save_provider_secrets(&map, rh_secrets::SaveOptions::default())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("lambda secrets lack the key `api_key`"),
        "{err}"
    );
    assert!(!h.path(".aws/credentials").exists());
}

#[test]
fn malformed_files_are_named_with_their_line_and_left_alone() {
    let h = Home::new();
    let ini = "[default]\naws_access_key_id = A\nthis line is SENTINEL garbage\n";
    let p = h.put(".aws/credentials", ini);
    let err = h
        .save("aws", &[("access_key", "B"), ("secret_key", "S")])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}:3: expected `[section]` or `key = value`", p.display())
    );
    assert_eq!(h.read(".aws/credentials"), ini);
    // Detection reports it instead of failing.
    let st = h.secrets().status();
    assert!(
        st[0].detection.reason.contains(":3: expected"),
        "{:?}",
        st[0]
    );
    assert!(h.secrets().delete_local(&["aws".to_owned()]).is_err());
    assert_eq!(h.read(".aws/credentials"), ini);

    let json = "{\n  \"client_id\": \"SENTINEL\",\n  oops\n}\n";
    let p = h.put(".config/gcloud/application_default_credentials.json", json);
    let err = h
        .save("gcp", &[("client_id", "a"), ("client_secret", "b")])
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("{}:3: not valid JSON", p.display())),
        "{err}"
    );
    assert!(!err.to_string().contains("SENTINEL"));
    assert_eq!(
        h.read(".config/gcloud/application_default_credentials.json"),
        json
    );

    let yaml = "github.com:\n  oauth_token: SENTINEL\n bad: [\n";
    let p = h.put(".config/gh/hosts.yml", yaml);
    let err = h.save("github", &[("token", "t")]).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!("{}:", p.display())),
        "{err}"
    );
    assert!(err.to_string().contains("not valid YAML"), "{err}");
    assert!(!err.to_string().contains("SENTINEL"));
    assert_eq!(h.read(".config/gh/hosts.yml"), yaml);
}

#[test]
fn directory_or_dangling_symlink_at_the_path() {
    let h = Home::new();
    std::fs::create_dir_all(h.path(".cache/huggingface/token")).unwrap();
    let err = h.save("huggingface", &[("token", "t")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{} is a directory, expected a credentials file",
            h.path(".cache/huggingface/token").display()
        )
    );
    std::fs::create_dir_all(h.path(".aws")).unwrap();
    std::os::unix::fs::symlink(h.path("gone"), h.path(".aws/credentials")).unwrap();
    let err = h
        .save("aws", &[("access_key", "A"), ("secret_key", "S")])
        .unwrap_err();
    assert!(err.to_string().contains("is a dangling symlink"), "{err}");
    assert!(
        std::fs::symlink_metadata(h.path(".aws/credentials"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(!h.path("gone").exists());
}

#[test]
fn a_symlinked_credentials_file_is_updated_in_place() {
    let h = Home::new();
    let real = h.put("dotfiles/aws", "[work]\nk = v\n");
    std::fs::create_dir_all(h.path(".aws")).unwrap();
    std::os::unix::fs::symlink(&real, h.path(".aws/credentials")).unwrap();
    h.save("aws", &[("access_key", "A"), ("secret_key", "S")])
        .unwrap();
    assert!(
        std::fs::symlink_metadata(h.path(".aws/credentials"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(&real).unwrap(),
        "[work]\nk = v\n\n[default]\naws_access_key_id = A\naws_secret_access_key = S\n"
    );
}

#[test]
fn reports_and_errors_never_show_values() {
    let h = Home::new();
    let report = h
        .save(
            "aws",
            &[("access_key", "AKIASENTINEL"), ("secret_key", "SENTINEL")],
        )
        .unwrap();
    assert!(!format!("{report:?}").contains("SENTINEL"));
    let plans = h.secrets().plan_delete_local(&["aws".to_owned()]).unwrap();
    assert!(!format!("{plans:?}").contains("SENTINEL"));
    let loaded = h.secrets().load(None, false).unwrap();
    assert!(!format!("{loaded:?}").contains("SENTINEL"));
    assert!(!format!("{:?}", h.secrets().status()).contains("SENTINEL"));
}

/// Issue 15.2: a save (or a pull, which saves) writes only key files into `~/.ssh`; `rc` runs at every
/// login, `authorized_keys2` grants access, `known_hosts2` trusts hosts.
#[test]
fn ssh_names_that_are_not_key_files_are_refused_before_any_write() {
    let h = Home::new();
    for name in [
        "rc",
        "authorized_keys",
        "authorized_keys2",
        "known_hosts2",
        "known_hosts.old",
        "config",
        "environment",
        "deploy",
        "rc.pub",
    ] {
        let err = h
            .save(
                "ssh",
                &[("id_ok", "PRIVATE"), (name, "ssh-ed25519 AAAA attacker")],
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("invalid ssh key name `{name}`: ")),
            "{name}: {err}"
        );
        assert!(!h.path(".ssh").exists(), "{name}: something was written");
        assert!(
            !h.paths.config_file().exists(),
            "{name}: config.yaml written"
        );
    }
    // `id_*`, and names recorded for this user under `secrets.ssh`, with their `.pub`, are key files.
    h.save(
        "ssh",
        &[("id_ok", "PRIVATE"), ("id_ok.pub", "ssh-ed25519 OK")],
    )
    .unwrap();
    h.put(
        ".rh/config.yaml",
        "secrets:\n  ssh:\n  - deploy\n  - deploy.pub\n  - rc\n",
    );
    h.save(
        "ssh",
        &[("deploy", "PRIVATE"), ("deploy.pub", "ssh-ed25519 D")],
    )
    .unwrap();
    assert_eq!(h.read(".ssh/deploy.pub"), "ssh-ed25519 D\n");
    // A recorded name ssh reads as configuration stays refused.
    let err = h.save("ssh", &[("rc", "echo pwned")]).unwrap_err();
    assert!(err.to_string().contains("`rc`"), "{err}");
    assert!(!h.path(".ssh/rc").exists());
}

/// Issue 15.2: only the keys of the credential's type reach application_default_credentials.json;
/// `token_uri` would make google-auth send the refresh token elsewhere.
#[test]
fn gcp_writes_only_the_keys_of_an_authorized_user_credential() {
    let h = Home::new();
    let rel = ".config/gcloud/application_default_credentials.json";
    let before = r#"{"type": "authorized_user", "refresh_token": "keepme", "client_id": "old"}"#;
    h.put(rel, before);
    let base = [("client_id", "cid"), ("client_secret", "cs")];
    for (key, value) in [
        ("token_uri", "https://evil.example/token"),
        ("auth_uri", "https://evil.example/auth"),
        ("credential_source", "x"),
    ] {
        let mut pairs = base.to_vec();
        pairs.push((key, value));
        let err = h.save("gcp", &pairs).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("gcp secrets have an unknown key `{key}`")),
            "{err}"
        );
        assert_eq!(h.read(rel), before, "the file changed");
    }
    let mut pairs = base.to_vec();
    pairs.push(("type", "external_account"));
    let err = h.save("gcp", &pairs).unwrap_err().to_string();
    assert!(err.contains("key `type`"), "{err}");
    let mut pairs = base.to_vec();
    pairs.push(("universe_domain", "evil.example"));
    let err = h.save("gcp", &pairs).unwrap_err().to_string();
    assert!(err.contains("key `universe_domain`"), "{err}");
    assert_eq!(h.read(rel), before);

    // Another kind of credential in the file is not merged into.
    let sa = r#"{"type": "service_account", "client_email": "x@y", "token_uri": "https://oauth2.googleapis.com/token"}"#;
    h.put(rel, sa);
    let err = h.save("gcp", &base).unwrap_err().to_string();
    assert!(err.contains("`service_account` credential"), "{err}");
    assert_eq!(h.read(rel), sa);

    // The keys of an authorized_user credential are written.
    std::fs::remove_file(h.path(rel)).unwrap();
    let mut pairs = base.to_vec();
    pairs.extend([
        ("type", "authorized_user"),
        ("refresh_token", "rt"),
        ("quota_project_id", "p"),
    ]);
    h.save("gcp", &pairs).unwrap();
    assert_eq!(
        h.read(rel),
        "{\n  \"client_id\": \"cid\",\n  \"client_secret\": \"cs\",\n  \"quota_project_id\": \"p\",\n  \"refresh_token\": \"rt\",\n  \"type\": \"authorized_user\"\n}\n"
    );
}

#[test]
fn malformed_kubeconfig_and_docker_config_are_named_and_left_byte_identical() {
    let h = Home::new();
    let kube = "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: SENTINEL\n  bad: [\n";
    let p = h.put(".kube/config", kube);
    let values = [
        (
            "context",
            r#"{"name":"d","context":{"cluster":"c","user":"u"}}"#,
        ),
        (
            "cluster",
            r#"{"name":"c","cluster":{"server":"https://x"}}"#,
        ),
        ("user", r#"{"name":"u","user":{"token":"t"}}"#),
    ];
    let err = h.save("kubernetes", &values).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("{}:", p.display())) && msg.contains("not valid YAML"),
        "{msg}"
    );
    let line: usize = msg[p.display().to_string().len() + 1..]
        .split(':')
        .next()
        .unwrap()
        .parse()
        .expect("a line number");
    assert!(line >= 6, "{msg}");
    assert!(!msg.contains('\n') && !msg.contains("SENTINEL"), "{msg}");
    assert_eq!(std::fs::read(&p).unwrap(), kube.as_bytes());
    assert!(
        h.secrets()
            .delete_local(&["kubernetes".to_owned()])
            .is_err()
    );
    assert_eq!(std::fs::read(&p).unwrap(), kube.as_bytes());
    // A kubeconfig whose lists are not lists is refused the same way.
    let odd = "contexts: {name: x}\n";
    h.put(".kube/config", odd);
    let err = h.save("kubernetes", &values).unwrap_err();
    assert!(
        err.to_string().contains("`contexts` is not a list"),
        "{err}"
    );
    assert_eq!(h.read(".kube/config"), odd);

    let docker = "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {\"auth\": \"SENTINEL\"}\n\t},\n\t\"credsStore\": \"desktop\",\n}\n";
    let p = h.put(".docker/config.json", docker);
    let err = h
        .save(
            "docker",
            &[("username", "u"), ("password", "p"), ("server", "s")],
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("{}:6: not valid JSON", p.display())),
        "{err}"
    );
    assert!(!err.to_string().contains("SENTINEL"), "{err}");
    assert_eq!(std::fs::read(&p).unwrap(), docker.as_bytes());
    let d = h
        .secrets()
        .status()
        .into_iter()
        .find(|s| s.provider == "docker")
        .unwrap()
        .detection;
    assert!(
        !d.configured && d.reason.contains(":6: not valid JSON"),
        "{d:?}"
    );
    let odd = "{\"auths\": [\"ghcr.io\"]}";
    h.put(".docker/config.json", odd);
    let err = h
        .save(
            "docker",
            &[("username", "u"), ("password", "p"), ("server", "s")],
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("`auths` is not a JSON object"),
        "{err}"
    );
    assert_eq!(h.read(".docker/config.json"), odd);
}
