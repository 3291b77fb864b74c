//! `GET /openapi.json`, the published API contract: OpenAPI 3.1, every route of the router and of README's API
//! table documented (a route added without its `#[utoipa::path]` fails here), every documented operation served,
//! and real answers that validate against their documented schemas. Plus the fixes of what schemathesis found.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::harness::{Kind, TestDb, assert_error, payload};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// `(METHOD, /path)` of every `.route("…", get(…).put(…))` in `src/api/mod.rs`: the router itself.
fn router_routes() -> BTreeSet<(String, String)> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/mod.rs"))
        .expect("read src/api/mod.rs");
    let mut out = BTreeSet::new();
    for chunk in src.split(".route(").skip(1) {
        let Some(path) = chunk
            .trim_start()
            .strip_prefix('"')
            .and_then(|c| c.split('"').next())
        else {
            continue;
        };
        // The handlers of this route: up to the `)` that closes `.route(`.
        let mut depth = 1;
        let mut end = chunk.len();
        for (i, c) in chunk.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let handlers = &chunk[..end];
        for method in ["get", "put", "post", "delete", "patch"] {
            let called = handlers.contains(&format!(" {method}("))
                || handlers.contains(&format!("({method}("))
                || handlers.contains(&format!(".{method}("))
                || handlers.contains(&format!("::{method}("));
            if called {
                out.insert((method.to_uppercase(), path.to_owned()));
            }
        }
    }
    assert!(out.len() >= 20, "too few routes parsed: {out:?}");
    out
}

/// `(METHOD, /path)` of README's API table (`GET`, `PUT`, `DELETE /resource/{uri}`; `(…)` aliases, `?…`
/// queries and `…/metadata` continuations read as the table means them).
fn readme_routes() -> BTreeSet<(String, String)> {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).expect("read README.md");
    let section = readme
        .split("### API\n")
        .nth(1)
        .expect("README has a ### API section");
    let mut out = BTreeSet::new();
    for line in section.lines().skip_while(|l| !l.starts_with('|')) {
        if !line.starts_with('|') {
            break;
        }
        let cell = line.split('|').nth(1).unwrap_or("").trim();
        if !cell.starts_with('`') {
            continue;
        }
        let mut methods = Vec::new();
        let mut paths = Vec::new();
        for code in cell.split('`').skip(1).step_by(2) {
            for word in code.split_whitespace() {
                let word = word.trim_end_matches(',');
                if ["GET", "PUT", "POST", "DELETE"].contains(&word) {
                    methods.push(word.to_owned());
                } else if word.starts_with('/') {
                    paths.push(word.split('?').next().unwrap_or(word).to_owned());
                } else if let Some(rest) = word.strip_prefix('…') {
                    // `…/metadata`: the previous path's parent plus this.
                    let base = paths.last().cloned().unwrap_or_default();
                    let parent = base.rsplit_once('/').map_or("", |(p, _)| p).to_owned();
                    paths.push(format!("{parent}{rest}"));
                }
            }
        }
        for p in &paths {
            for m in &methods {
                out.insert((m.clone(), p.clone()));
            }
        }
    }
    assert!(out.len() >= 15, "too few README routes parsed: {out:?}");
    out
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// The schema of `status`'s JSON body of `METHOD path`, with `$ref`s resolved against the document.
fn response_schema(doc: &Value, method: &str, path: &str, status: u16) -> Value {
    let schema = &doc["paths"][path][method.to_lowercase()]["responses"][status.to_string()]["content"]
        ["application/json"]["schema"];
    assert!(
        !schema.is_null(),
        "{method} {path} documents no {status} json body"
    );
    schema.clone()
}

/// A small JSON Schema check (the keywords utoipa writes): `$ref`, `type` (one or a list), `properties`,
/// `required`, `items`, `additionalProperties`, `oneOf`, `pattern`-free. Returns what does not match.
fn violations(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().expect("ref name");
        let target = &doc["components"]["schemas"][name];
        assert!(!target.is_null(), "dangling $ref {r}");
        return violations(doc, target, value, at, out);
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = options
            .iter()
            .filter(|o| {
                let mut v = Vec::new();
                violations(doc, o, value, at, &mut v);
                v.is_empty()
            })
            .count();
        if matching == 0 {
            out.push(format!("{at}: matches none of oneOf"));
        }
        return;
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() {
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let ok = types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
        if !ok {
            out.push(format!("{at}: {actual} is not {types:?}"));
            return;
        }
    }
    if let Value::Object(map) = value {
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for key in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(key) {
                    out.push(format!("{at}: missing {key}"));
                }
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, v) in map {
            match props.and_then(|p| p.get(k)) {
                Some(s) => violations(doc, s, v, &format!("{at}.{k}"), out),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => out.push(format!("{at}: unexpected {k}")),
                    Some(s @ Value::Object(_)) => violations(doc, s, v, &format!("{at}.{k}"), out),
                    _ => {}
                },
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            violations(doc, s, v, &format!("{at}[{i}]"), out);
        }
    }
}

#[track_caller]
pub(crate) fn assert_conforms(doc: &Value, method: &str, path: &str, got: &(u16, Value)) {
    let schema = response_schema(doc, method, path, got.0);
    let mut out = Vec::new();
    violations(doc, &schema, &got.1, "$", &mut out);
    assert!(
        out.is_empty(),
        "{method} {path} {} violates its schema: {out:?}\n{}",
        got.0,
        got.1
    );
}

#[tokio::test]
async fn the_contract_documents_every_route_and_the_answers_match_it() {
    let db = TestDb::new(Kind::Sqlite).await;
    let token = db.user("alice", Some("alice@example.com"));
    db.user("bob", None);
    let s = db.serve();
    let (status, doc) = s.call("GET", "/openapi.json", None, None).await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "rh-server");

    // Both directions: every route of the router and of README's table is documented, and every documented
    // operation is the router's.
    let docs = documented(&doc);
    let router = router_routes();
    let missing: Vec<_> = router.difference(&docs).collect();
    assert!(missing.is_empty(), "routes without docs: {missing:?}");
    let extra: Vec<_> = docs.difference(&router).collect();
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");
    let readme = readme_routes();
    let undocumented: Vec<_> = readme.difference(&docs).collect();
    assert!(
        undocumented.is_empty(),
        "README routes without docs: {undocumented:?}"
    );
    let unlisted: Vec<_> = docs.difference(&readme).collect();
    assert!(
        unlisted.is_empty(),
        "documented routes missing from README's API table: {unlisted:?}"
    );

    // Every operation states its error body, and the authenticated ones their 401.
    for (method, path) in &docs {
        let op = &doc["paths"][path][method.to_lowercase()];
        let responses = op["responses"].as_object().expect("responses");
        if op.get("security").is_some() {
            assert!(responses.contains_key("401"), "{method} {path} lacks 401");
        }
        for (status, r) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert!(
                    r["content"]["application/json"]["schema"]["$ref"]
                        .as_str()
                        .is_some_and(|s| s.ends_with("/ErrorBody")),
                    "{method} {path} {status} has no ErrorBody"
                );
            }
        }
    }

    // Real answers against their schemas.
    let get = |p: &'static str| (p, s.get(p, &token));
    let (p, f) = get("/user");
    assert_conforms(&doc, "GET", p, &f.await);
    let (st, body) = s.call("GET", "/health", None, None).await;
    assert_conforms(&doc, "GET", "/health", &(st, body));
    let created = s
        .post(
            "/resource",
            &token,
            &payload(
                "/alice/proj/model",
                &json!({"resource_subtype": "Blob", "path": "p"}),
            ),
        )
        .await;
    assert_eq!(created.0, 200, "{created:?}");
    assert_conforms(&doc, "POST", "/resource", &created);
    let updated = s
        .put(
            "/resource/alice:proj:model",
            &token,
            &payload("/alice/proj/model", &json!({"path": "q"})),
        )
        .await;
    assert_conforms(&doc, "PUT", "/resource/{uri}", &updated);
    let unchanged = s
        .put(
            "/resource/alice:proj:model",
            &token,
            &payload("/alice/proj/model", &json!({"path": "q"})),
        )
        .await;
    assert_eq!(unchanged.0, 422);
    assert_conforms(&doc, "PUT", "/resource/{uri}", &unchanged);
    let read = s.get("/resource/alice:proj:model", &token).await;
    assert_conforms(&doc, "GET", "/resource/{uri}", &read);
    let listed = s
        .get("/resource?folder=/alice&recursive=true", &token)
        .await;
    assert_eq!(listed.1["data"][0]["name"], "/alice/proj/model");
    assert_conforms(&doc, "GET", "/resource", &listed);
    let history = s.get("/resource/history/alice:proj:model", &token).await;
    assert_eq!(history.1["data"].as_array().map(Vec::len), Some(2));
    assert_conforms(&doc, "GET", "/resource/history/{uri}", &history);
    let shared = s
        .put(
            "/resource/alice:proj:model/users/access",
            &token,
            &json!({"users": ["bob", "carol@example.com"], "access_level": "read", "notify_users": false}),
        )
        .await;
    assert_eq!(shared.0, 200, "{shared:?}");
    assert_conforms(&doc, "PUT", "/resource/{uri}/users/access", &shared);
    let bad = s
        .put("/resource/alice:proj:model", &token, &json!({"name": 7}))
        .await;
    assert_error(&bad, 400, "name");
    assert_conforms(&doc, "PUT", "/resource/{uri}", &bad);
    let no_token = s.call("GET", "/user", None, None).await;
    assert_conforms(&doc, "GET", "/user", &no_token);
    let deleted = s.delete("/resource/alice:proj:model", &token).await;
    assert_conforms(&doc, "DELETE", "/resource/{uri}", &deleted);
    // Without a Vault the secrets routes answer their documented 503.
    let no_vault = s.get("/user/secret", &token).await;
    assert_eq!(no_vault.0, 503);
    assert_conforms(&doc, "GET", "/user/secret", &no_vault);
    db.cleanup().await;
}

/// Typed request bodies keep their 400s naming the field (schemathesis and people both send these).
#[tokio::test]
async fn typed_bodies_name_the_bad_field() {
    let db = TestDb::new(Kind::Sqlite).await;
    let token = db.user("alice", None);
    let s = db.serve();
    assert_error(
        &s.post(
            "/resource",
            &token,
            &json!({"name": "/alice/x", "data": [1]}),
        )
        .await,
        400,
        "data: invalid type: sequence, expected a map",
    );
    assert_error(
        &s.put(
            "/resource/alice:x/users/access",
            &token,
            &json!({"users": ["bob"], "notify_users": "yes"}),
        )
        .await,
        400,
        "notify_users",
    );
    assert_error(
        &s.put(
            "/resource/alice:x/users/access",
            &token,
            &json!({"users": 3}),
        )
        .await,
        400,
        "a username or email, or a list of them",
    );
    db.cleanup().await;
}

/// Schemathesis found it: a rollback to a version beyond Vault's 64-bit signed range made Vault answer 400,
/// which reached the client as a 502. It is a 400 naming the range now, before Vault is asked.
#[tokio::test]
async fn a_rollback_version_past_vaults_range_is_a_400() {
    let (Some(addr), Some(vault_token), true) = (
        rh_test::service_env("VAULT_ADDR"),
        rh_test::service_env("VAULT_TOKEN"),
        rh_test::integration(),
    ) else {
        return;
    };
    let db = TestDb::new(Kind::Sqlite).await;
    let name = format!(
        "st-{}",
        &rh_server::token::random_id().expect("random")[..12]
    );
    let token = db.user(&name, None);
    let token_file = db.tmp.path().join("vault-token");
    std::fs::write(&token_file, vault_token).expect("write the vault token file");
    let token_file = token_file.display().to_string();
    let s = db.serve_with(&[
        "--vault-addr",
        &addr,
        "--vault-token-file",
        &token_file,
        "--allow-root-vault-token",
    ]);
    let put = s.put("/user/secret/aws", &token, &json!({"k": "v"})).await;
    assert_eq!(put.0, 200, "{put:?}");
    let (st, body) = s
        .call(
            "POST",
            "/user/secret/aws/rollback",
            Some(&token),
            Some(&serde_json::from_str(r#"{"version": 9223372036854775808}"#).expect("json")),
        )
        .await;
    assert_error(&(st, body), 400, "1 <= N <= 9223372036854775807");
    // In range but absent: Vault's answer, a 404.
    let absent = s
        .post(
            "/user/secret/aws/rollback",
            &token,
            &json!({"version": 9_223_372_036_854_775_807_i64}),
        )
        .await;
    assert_eq!(absent.0, 404, "{absent:?}");
    db.cleanup().await;
}
