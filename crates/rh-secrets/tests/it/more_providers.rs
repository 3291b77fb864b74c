//! The registry as a whole (every provider saved, detected, loaded and deleted), and the API-key,
//! kubernetes and docker providers against real files.

use rh_secrets::{Provider, SaveOptions, Secrets, Source};

use crate::{Home, mode};

const KUBE_BEFORE: &str = "\
apiVersion: v1
kind: Config
preferences:
  colors: true
clusters:
- name: prod
  cluster:
    server: https://prod.example:6443
    certificate-authority-data: UFJPRENB
contexts:
- name: prod
  context:
    cluster: prod
    user: prod-admin
    namespace: payments
users:
- name: prod-admin
  user:
    token: prod-token-SENTINEL
current-context: prod
";

fn kube_values(name: &str, server: &str, token: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "context",
            format!(
                r#"{{"name":"{name}","context":{{"cluster":"{name}-cluster","user":"{name}-user"}}}}"#
            ),
        ),
        (
            "cluster",
            format!(r#"{{"name":"{name}-cluster","cluster":{{"server":"{server}"}}}}"#),
        ),
        (
            "user",
            format!(r#"{{"name":"{name}-user","user":{{"token":"{token}"}}}}"#),
        ),
    ]
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, s)| (*k, s.as_str())).collect()
}

/// Values a save of each provider accepts; a provider added to the registry without a row here fails
/// `every_provider_saves_detects_loads_and_deletes`.
fn sample(provider: &str) -> Option<Vec<(&'static str, String)>> {
    let own = |pairs: &[(&'static str, &str)]| {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (*k, (*v).to_owned()))
                .collect::<Vec<_>>(),
        )
    };
    match provider {
        "aws" => own(&[("access_key", "AKIAX"), ("secret_key", "s")]),
        "azure" => own(&[("subscription_id", "sub")]),
        "gcp" => own(&[("client_id", "id"), ("client_secret", "cs")]),
        "huggingface" | "github" => own(&[("token", "tok")]),
        "lambda" | "anthropic" | "cohere" | "langchain" | "openai" | "pinecone" | "wandb" => {
            own(&[("api_key", "key-123")])
        }
        "sky" => own(&[
            (
                "ssh_private_key",
                "-----BEGIN KEY-----\nx\n-----END KEY-----\n",
            ),
            ("ssh_public_key", "ssh-ed25519 AAAA sky\n"),
        ]),
        "ssh" => own(&[
            ("id_t", "-----BEGIN KEY-----\ny\n-----END KEY-----\n"),
            ("id_t.pub", "ssh-ed25519 BBBB me\n"),
        ]),
        "kubernetes" => Some(kube_values("dev", "https://127.0.0.1:6443", "tok")),
        "docker" => own(&[
            ("username", "me"),
            ("password", "pw"),
            ("server", "ghcr.io"),
        ]),
        _ => None,
    }
}

#[test]
fn every_provider_saves_detects_loads_and_deletes() {
    let names: Vec<&str> = Secrets::builtin_providers()
        .iter()
        .map(|p| p.name())
        .collect();
    for p in Secrets::builtin_providers() {
        let name = p.name();
        assert_eq!(
            names.iter().filter(|n| **n == name).count(),
            1,
            "{name} twice"
        );
        assert_eq!(
            rh_secrets::builtin_provider(&name.to_uppercase()).map(Provider::name),
            Some(name)
        );
        let h = Home::new();
        let values = sample(name).unwrap_or_else(|| panic!("no sample values for {name}"));
        let d = h
            .secrets()
            .status()
            .into_iter()
            .find(|s| s.provider == name)
            .expect("status lists every provider")
            .detection;
        assert!(!d.configured, "{name} configured in an empty home: {d:?}");
        let report = h.save(name, &pairs(&values)).unwrap();
        assert!(report.undetected.is_empty(), "{name}: {report:?}");
        for written in &report.saved[0].1.written {
            assert_eq!(mode(written), 0o600, "{}", written.display());
        }
        let (loaded, source) = h.secrets().load_provider(name).unwrap().expect(name);
        assert!(matches!(source, Source::File(_)), "{name}: {source:?}");
        for (k, v) in &values {
            assert_eq!(loaded.expose(k), Some(v.as_str()), "{name}.{k}");
        }
        assert!(h.secrets().configured_providers().contains(&name));
        let report = h.secrets().delete_local(&[name.to_owned()]).unwrap();
        let applied = &report[0].applied;
        if applied.removed.is_empty() && applied.written.is_empty() {
            // ssh never deletes keys; it says so.
            assert!(
                !report[0].warnings.is_empty(),
                "{name}: deleted nothing, silently"
            );
            continue;
        }
        let left = h.secrets().load_provider(name).unwrap();
        assert!(
            left.is_none_or(|(v, _)| values.iter().all(|(k, _)| !v.contains_key(k))),
            "{name} still has values after delete-local"
        );
    }
}

#[test]
fn api_key_providers_read_their_variable_and_save_to_rh_own_file() {
    let mut h = Home::new();
    for (name, var) in [
        ("anthropic", "ANTHROPIC_API_KEY"),
        ("cohere", "COHERE_API_KEY"),
        ("langchain", "LANGCHAIN_API_KEY"),
        ("openai", "OPENAI_API_KEY"),
        ("pinecone", "PINECONE_API_KEY"),
        ("wandb", "WANDB_API_KEY"),
    ] {
        let p = Secrets::provider(name).unwrap();
        assert_eq!(p.keys(), ["api_key"]);
        assert_eq!(p.env_vars(), [var]);
        h.set_env(var, format!("{name}-from-env"));
    }
    let got = h.secrets().read_env("openai").unwrap();
    assert_eq!(got.expose("api_key"), Some("openai-from-env"));
    let d = h.secrets().status();
    let openai = d.iter().find(|s| s.provider == "openai").unwrap();
    assert_eq!(
        openai.detection.source,
        Some(Source::Env(vec!["OPENAI_API_KEY"]))
    );

    h.save("openai", &[("api_key", "sk-saved")]).unwrap();
    let path = h.path(".rh/secrets/openai.json");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&h.path(".rh/secrets")), 0o700);
    let doc: serde_json::Value = serde_json::from_str(&h.read(".rh/secrets/openai.json")).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({
            "name": "openai",
            "resource_type": "secret",
            "resource_subtype": "OpenAISecret",
            "provider": "openai",
            "env_vars": {"api_key": "OPENAI_API_KEY"},
            "values": {"api_key": "sk-saved"},
        })
    );
    // The file wins over the variable, as for every provider.
    let (got, source) = h.secrets().load_provider("openai").unwrap().unwrap();
    assert_eq!(got.expose("api_key"), Some("sk-saved"));
    assert_eq!(source, Source::File(vec![path.clone()]));
    // Keys someone added to the file stay.
    let edited = h.read(".rh/secrets/openai.json").replace(
        "\"provider\": \"openai\",",
        "\"provider\": \"openai\",\n  \"note\": \"kept\",",
    );
    std::fs::write(&path, edited).unwrap();
    h.save("openai", &[("api_key", "sk-second")]).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&h.read(".rh/secrets/openai.json")).unwrap();
    assert_eq!(doc["note"], "kept");
    assert_eq!(doc["values"]["api_key"], "sk-second");
}

#[test]
fn kubernetes_save_merges_by_name_and_keeps_the_current_context() {
    let h = Home::new();
    h.put(".kube/config", KUBE_BEFORE);
    let (got, _) = h.secrets().load_provider("kubernetes").unwrap().unwrap();
    let context: serde_json::Value = serde_json::from_str(got.expose("context").unwrap()).unwrap();
    assert_eq!(context["context"]["namespace"], "payments");
    let user: serde_json::Value = serde_json::from_str(got.expose("user").unwrap()).unwrap();
    assert_eq!(user["user"]["token"], "prod-token-SENTINEL");

    let dev = kube_values("dev", "https://127.0.0.1:6443", "dev-token");
    h.save("kubernetes", &pairs(&dev)).unwrap();
    assert_eq!(mode(&h.path(".kube/config")), 0o600);
    let doc: serde_yaml::Value = serde_yaml::from_str(&h.read(".kube/config")).unwrap();
    assert_eq!(doc["current-context"], "prod", "changed without the flag");
    assert_eq!(doc["preferences"]["colors"], true);
    let names = |list: &str| -> Vec<String> {
        doc[list]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names("contexts"), ["prod", "dev"]);
    assert_eq!(names("clusters"), ["prod", "dev-cluster"]);
    assert_eq!(names("users"), ["prod-admin", "dev-user"]);
    let before: serde_yaml::Value = serde_yaml::from_str(KUBE_BEFORE).unwrap();
    for list in ["contexts", "clusters", "users"] {
        assert_eq!(
            doc[list][0], before[list][0],
            "{list}: prod entry rewritten"
        );
    }

    // Same names again: replaced in place, nothing appended; the flag moves current-context.
    let dev2 = kube_values("dev", "https://127.0.0.1:7443", "dev-token-2");
    h.save_opts(
        "kubernetes",
        &pairs(&dev2),
        SaveOptions {
            set_current_context: true,
            ..SaveOptions::default()
        },
    )
    .unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&h.read(".kube/config")).unwrap();
    assert_eq!(doc["current-context"], "dev");
    assert_eq!(doc["contexts"].as_sequence().unwrap().len(), 2);
    assert_eq!(
        doc["clusters"][1]["cluster"]["server"],
        "https://127.0.0.1:7443"
    );
    assert_eq!(doc["users"][1]["user"]["token"], "dev-token-2");
    assert_eq!(doc["users"][0], before["users"][0]);

    // Delete removes the current context (dev) and its cluster and user; prod stays.
    h.secrets()
        .delete_local(&["kubernetes".to_owned()])
        .unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&h.read(".kube/config")).unwrap();
    assert_eq!(doc["contexts"].as_sequence().unwrap().len(), 1);
    assert_eq!(doc["contexts"][0], before["contexts"][0]);
    assert_eq!(doc["users"][0], before["users"][0]);
    assert!(doc.get("current-context").is_none());
}

#[test]
fn kubernetes_follows_kubeconfig_and_a_new_file_gets_a_current_context() {
    let mut h = Home::new();
    h.set_env("KUBECONFIG", "~/k/one.yaml:~/k/two.yaml");
    let dev = kube_values("dev", "https://127.0.0.1:6443", "t");
    h.save("kubernetes", &pairs(&dev)).unwrap();
    assert!(!h.path(".kube").exists());
    let doc: serde_yaml::Value = serde_yaml::from_str(&h.read("k/one.yaml")).unwrap();
    assert_eq!(doc["apiVersion"], "v1");
    assert_eq!(doc["kind"], "Config");
    assert_eq!(doc["current-context"], "dev");
    // A named context is read whatever the current one is.
    let other = rh_secrets::read_kube_context(&h.path("k/one.yaml"), Some("nope")).unwrap();
    assert!(other.unwrap().is_empty());
}

#[test]
fn kubernetes_values_must_name_each_other() {
    let h = Home::new();
    let mut v = kube_values("dev", "https://x", "t");
    v[1].1 = r#"{"name":"elsewhere","cluster":{"server":"https://x"}}"#.to_owned();
    let err = h.save("kubernetes", &pairs(&v)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value for kubernetes key `context`: it does not name the cluster given in `cluster`"
    );
    v[1].1 = "server: https://x".to_owned();
    let err = h.save("kubernetes", &pairs(&v)).unwrap_err();
    assert!(err.to_string().contains("key `cluster`"), "{err}");
    assert!(!h.path(".kube").exists());
}

#[test]
fn docker_writes_auth_as_docker_login_does_and_keeps_the_rest() {
    let mut h = Home::new();
    let before = "{\n\t\"auths\": {\n\t\t\"https://index.docker.io/v1/\": {\n\t\t\t\"auth\": \"aHViOmh1YnB3\"\n\t\t},\n\t\t\"ghcr.io\": {\n\t\t\t\"auth\": \"b2xkOm9sZA==\",\n\t\t\t\"email\": \"me@example.com\"\n\t\t}\n\t},\n\t\"credsStore\": \"desktop\",\n\t\"psFormat\": \"table {{.ID}}\"\n}\n";
    h.put(".docker/config.json", before);
    let (got, _) = h.secrets().load_provider("docker").unwrap().unwrap();
    assert_eq!(got.expose("server"), Some("https://index.docker.io/v1/"));
    assert_eq!(got.expose("username"), Some("hub"));
    assert_eq!(got.expose("password"), Some("hubpw"));

    h.save(
        "docker",
        &[
            ("username", "me"),
            ("password", "pa:ss"),
            ("server", "ghcr.io"),
        ],
    )
    .unwrap();
    assert_eq!(mode(&h.path(".docker/config.json")), 0o600);
    let doc: serde_json::Value = serde_json::from_str(&h.read(".docker/config.json")).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({
            "auths": {
                "ghcr.io": {"auth": "bWU6cGE6c3M=", "email": "me@example.com"},
                "https://index.docker.io/v1/": {"auth": "aHViOmh1YnB3"},
            },
            "credsStore": "desktop",
            "psFormat": "table {{.ID}}",
        })
    );
    assert!(h.read(".docker/config.json").starts_with("{\n\t\"auths\""));
    let (got, _) = h.secrets().load_provider("docker").unwrap().unwrap();
    assert_eq!(got.expose("server"), Some("ghcr.io"));
    assert_eq!(got.expose("password"), Some("pa:ss"));

    // DOCKER_CONFIG names the directory; the SKYPILOT_DOCKER_* variables are the env source.
    h.set_env("DOCKER_CONFIG", "~/dc");
    h.set_env("SKYPILOT_DOCKER_USERNAME", "u");
    h.set_env("SKYPILOT_DOCKER_PASSWORD", "p");
    h.set_env("SKYPILOT_DOCKER_SERVER", "registry.example");
    assert_eq!(
        h.secrets().provider_paths("docker").unwrap(),
        [h.path("dc/config.json")]
    );
    let (got, source) = h.secrets().load_provider("docker").unwrap().unwrap();
    assert_eq!(got.expose("server"), Some("registry.example"));
    assert!(matches!(source, Source::Env(_)));
    let err = h
        .save(
            "docker",
            &[("username", "a:b"), ("password", "p"), ("server", "s")],
        )
        .unwrap_err();
    assert!(err.to_string().contains("contains `:`"), "{err}");
    assert!(!h.path("dc").exists());
}
