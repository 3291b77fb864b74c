//! Named secrets (`/user/secret/{uri}`, issue 18): values in the shared OpenBao under the owner's prefix,
//! shared by the resource grants, every grantee's read an audit row; through the real binary on SQLite and
//! PostgreSQL. Usernames are fresh for every test, so the Vault paths are the test's own.

use rh_secrets::ProviderSecrets;
use rh_secrets::named::{Access, Error as NamedError, NamedSecret, NamedSecretStore};
use rh_secrets::server_named::ServerNamedSecrets;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::harness::{Kind, Server, TestDb, assert_error, backends};
use crate::openapi::assert_conforms;
use crate::secrets::{contains, unique, vault, vault_args};

/// The KV v2 data of `path` (under `secret/`) read straight from OpenBao: `(version, data)`, `None` if absent.
async fn vault_read(addr: &str, token: &str, path: &str) -> Option<(u64, Value)> {
    let res = reqwest::Client::new()
        .get(format!("{addr}/v1/secret/data/{path}"))
        .header("X-Vault-Token", token)
        .send()
        .await
        .expect("vault request");
    if res.status() == 404 {
        return None;
    }
    assert!(res.status().is_success(), "vault answered {}", res.status());
    let body: Value = res.json().await.expect("vault json");
    Some((
        body["data"]["metadata"]["version"]
            .as_u64()
            .expect("version"),
        body["data"]["data"].clone(),
    ))
}

fn share(users: &[&str], level: &str) -> Value {
    json!({"users": users, "access_level": level, "notify_users": false})
}

fn put_body(address: &str, key: &str, value: &str) -> Value {
    json!({"name": address, "data": {"values": {key: value}}})
}

#[tokio::test]
async fn a_shared_secret_is_read_by_grantees_written_by_writers_audited_and_revoked_at_once() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let (alice, bob, carol, dave) = (
            unique("alice"),
            unique("bob"),
            unique("carol"),
            unique("dave"),
        );
        let ta = db.user(&alice, None);
        let tb = db.user(&bob, None);
        let tc = db.user(&carol, None);
        let td = db.user(&dave, None);
        let log = db.tmp.path().join("server.log");
        let mut args: Vec<String> = vec!["serve".into(), "--bind".into(), "127.0.0.1:0".into()];
        // The read cache on: it must not serve secret values or grants.
        args.extend(["--read-cache-ms".into(), "1000".into()]);
        args.extend(vault_args(&db, &addr, &vtoken));
        args.extend(db.args());
        let s = Server::start_logged(&args, &db.home(), &log, "debug");

        let address = format!("/{alice}/openai");
        let uri = format!("{alice}:openai");
        let path = format!("/user/secret/{uri}");
        let vault_path = format!("rh/{alice}/named/openai");
        let (v1, v2, v3) = (
            format!("sk-ONE-{}", unique("v")),
            format!("sk-TWO-{}", unique("v")),
            format!("sk-BAD-{}", unique("v")),
        );

        // Alice creates it as Runhouse does: the metadata, then the values.
        let meta = json!({"name": address, "resource_type": "secret",
            "data": {"resource_subtype": "OpenAISecret", "provider": "openai"}});
        let (st, body) = s.post("/resource", &ta, &meta).await;
        assert_eq!(st, 200, "{kind:?} {body}");
        let (st, body) = s.put(&path, &ta, &put_body(&address, "api_key", &v1)).await;
        assert_eq!((st, &body["data"]["version"]), (200, &json!(1)), "{body}");
        assert_eq!(
            vault_read(&addr, &vtoken, &vault_path).await,
            Some((1, json!({"api_key": v1})))
        );

        // Nobody else reads it before a grant: the 404 of a missing one.
        assert_error(
            &s.get(&format!("{path}?shared=true"), &tb).await,
            404,
            &format!("no secret named {address}"),
        );
        for (who, level) in [(&bob, "read"), (&carol, "write")] {
            let (st, body) = s
                .put(
                    &format!("/resource/{uri}/users/access"),
                    &ta,
                    &share(&[who.as_str()], level),
                )
                .await;
            assert_eq!(st, 200, "{body}");
        }

        // Bob reads the values.
        let (st, got) = s.get(&format!("{path}?shared=true"), &tb).await;
        assert_eq!(st, 200, "{got}");
        assert_eq!(
            got["data"][&address]["data"]["values"]["api_key"],
            json!(v1)
        );
        assert_eq!(
            (
                &got["version"],
                &got["owner"],
                &got["access"],
                &got["provider"]
            ),
            (&json!(1), &json!(alice), &json!("read"), &json!("openai"))
        );
        // Bob lists it, with Alice as the owner and his access.
        let (st, listed) = s.get("/user/secret?named=true", &tb).await;
        assert_eq!(st, 200);
        assert_eq!(
            listed["data"],
            json!([{"name": address, "provider": "openai", "owner": alice, "access": "read"}])
        );

        // Bob may not write: 403, and Vault is unchanged.
        assert_error(
            &s.put(&path, &tb, &put_body(&address, "api_key", &v3)).await,
            403,
            "read-only access",
        );
        assert_eq!(
            vault_read(&addr, &vtoken, &vault_path).await,
            Some((1, json!({"api_key": v1})))
        );
        // Carol may: a new version, check-and-set honoured.
        let (st, body) = s
            .put(
                &format!("{path}?cas=1"),
                &tc,
                &put_body(&address, "api_key", &v2),
            )
            .await;
        assert_eq!((st, &body["data"]["version"]), (200, &json!(2)), "{body}");
        assert_error(
            &s.put(
                &format!("{path}?cas=1"),
                &tc,
                &put_body(&address, "api_key", &v3),
            )
            .await,
            409,
            "changed in Vault",
        );
        assert_eq!(
            vault_read(&addr, &vtoken, &vault_path).await,
            Some((2, json!({"api_key": v2})))
        );
        // A write grantee does not share further, nor revoke (the owner alone gives and takes grants).
        for level in ["read", "denied"] {
            assert_error(
                &s.put(
                    &format!("/resource/{uri}/users/access"),
                    &tc,
                    &share(&[dave.as_str()], level),
                )
                .await,
                403,
                &format!("only {alice} can share, revoke or delete the secret"),
            );
        }
        // Only the owner deletes; Dave (no grant) cannot tell it exists.
        for t in [&tb, &tc] {
            assert_error(&s.delete(&path, t).await, 403, "only");
        }
        assert_error(&s.delete(&path, &td).await, 404, "no secret named");
        assert_error(
            &s.put(&path, &td, &put_body(&address, "api_key", &v3)).await,
            404,
            "no secret named",
        );
        assert!(vault_read(&addr, &vtoken, &vault_path).await.is_some());

        // Carol reads too; Alice's own read is not audited.
        assert_eq!(s.get(&format!("{path}?shared=true"), &tc).await.0, 200);
        let (st, own) = s.get(&path, &ta).await;
        assert_eq!((st, &own["access"]), (200, &json!("owner")));

        // The audit: Bob's and Carol's reads, with the client address, for `rh-server audit --target`.
        let out = db.cli(&["audit", "--target", &address]);
        assert!(out.status.success(), "{}", rh_test::stderr(&out));
        let text = rh_test::stdout(&out);
        let reads: Vec<&str> = text.lines().filter(|l| l.contains("secret.read")).collect();
        assert_eq!(reads.len(), 2, "{text}");
        assert!(
            reads.iter().any(|l| l.contains(&format!(
                "  {bob}  secret.read  {address}  version 1  from 127.0.0.1"
            ))),
            "{text}"
        );
        assert!(
            reads.iter().any(|l| l.contains(&format!(
                "  {carol}  secret.read  {address}  version 2  from 127.0.0.1"
            ))),
            "{text}"
        );
        assert!(!text.contains(&format!("  {alice}  secret.read")), "{text}");
        // The uri form names the same rows; nothing else is listed.
        let by_uri = rh_test::stdout(&db.cli(&["audit", "--target", &uri]));
        assert_eq!(by_uri, text);
        assert!(text.lines().all(|l| l.contains(&address)), "{text}");

        // Alice revokes Bob: his very next request fails (the read cache is on).
        let (st, _) = s
            .put(
                &format!("/resource/{uri}/users/access"),
                &ta,
                &share(&[bob.as_str()], "denied"),
            )
            .await;
        assert_eq!(st, 200);
        assert_error(
            &s.get(&format!("{path}?shared=true"), &tb).await,
            404,
            &format!("no secret named {address}"),
        );

        // Unknown names are 404s naming them; provider routes keep their meaning next to named ones.
        assert_error(
            &s.get(&format!("/user/secret/{alice}:nope"), &ta).await,
            404,
            &format!("/{alice}/nope"),
        );
        let (st, _) = s
            .put("/user/secret/openai", &ta, &json!({"api_key": "prov"}))
            .await;
        assert_eq!(st, 200);
        let (st, prov) = s.get("/user/secret/openai", &ta).await;
        assert_eq!(
            (st, &prov["data"]["openai"]["api_key"]),
            (200, &json!("prov"))
        );
        let (st, names) = s.get("/user/secret?list=true", &ta).await;
        assert_eq!((st, &names["data"]), (200, &json!(["openai"])));
        let (st, all) = s.get("/user/secret", &ta).await;
        assert_eq!(st, 200);
        assert_eq!(all["data"][&address], json!({"api_key": v2}), "{all}");
        assert_eq!(all["data"]["openai"], json!({"api_key": "prov"}));

        // Alice deletes the values: gone from Vault.
        let (st, _) = s.delete(&path, &ta).await;
        assert_eq!(st, 200);
        assert_eq!(vault_read(&addr, &vtoken, &vault_path).await, None);
        assert_eq!(s.delete("/user/secret/openai", &ta).await.0, 200);

        // No value in any audit row, nor in the server's log (at debug level).
        let rows = db
            .strings("SELECT actor || ' ' || action || ' ' || target || ' ' || COALESCE(detail, '') FROM audit_log")
            .await;
        assert!(rows.iter().any(|r| r.contains("secret.read")), "{rows:?}");
        s.stop();
        let logged = std::fs::read(&log).expect("server log");
        assert!(!logged.is_empty());
        for v in [&v1, &v2, &v3] {
            assert!(
                !rows.iter().any(|r| r.contains(v.as_str())),
                "value in {rows:?}"
            );
            assert!(!contains(&logged, v), "a value in the server log");
        }
        db.cleanup().await;
    }
}

#[tokio::test]
async fn runhouse_s_exact_requests_save_load_list_and_delete_a_secret() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    let db = TestDb::new(Kind::Sqlite).await;
    let alice = unique("rha");
    let t = db.user(&alice, None);
    let extra = vault_args(&db, &addr, &vtoken);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let s = db.serve_with(&extra);
    let address = format!("/{alice}/my_secret");
    let uri = format!("{alice}:my_secret");
    // `Secret.save`: the payload (core fields on top, the rest under `data`, no values), then the values.
    let payload = json!({"name": address, "resource_type": "secret", "visibility": "private",
        "data": {"resource_subtype": "Secret"}});
    assert_eq!(s.post("/resource", &t, &payload).await.0, 200);
    let values = json!({"name": address, "data": {"values": {"token": "tok-1", "user": "me"}}});
    assert_eq!(
        s.put(&format!("/user/secret/{uri}"), &t, &values).await.0,
        200
    );
    // A second save: the same POST is 422 (tolerated), not 409 (which the client raises on).
    let again = s.post("/resource", &t, &payload).await;
    assert_error(&again, 422, "has not changed");
    assert_eq!(
        s.put(&format!("/user/secret/{uri}"), &t, &values).await.0,
        200
    );

    // `Secret.from_name`: the resource, then `_load_vault_secret`'s unwrapping of the values.
    let (st, res) = s.get(&format!("/resource/{uri}"), &t).await;
    assert_eq!((st, &res["data"]["resource_type"]), (200, &json!("secret")));
    let (st, got) = s.get(&format!("/user/secret/{uri}?shared=true"), &t).await;
    assert_eq!(st, 200);
    let mut config = got["data"].clone();
    let keys: Vec<String> = config
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    if keys.len() == 1 {
        config = config[&keys[0]].clone();
    }
    assert_eq!(config["data"]["values"], values["data"]["values"]);
    // `Secret.vault_secrets()`: the keys of `GET /user/secret`'s data; `in_vault()`: the first value set.
    let (st, all) = s.get("/user/secret", &t).await;
    assert_eq!(st, 200);
    let names: Vec<&String> = all["data"].as_object().expect("object").keys().collect();
    assert_eq!(names, [&address]);
    // `Secret.delete`: the values, then the resource.
    assert_eq!(s.delete(&format!("/user/secret/{uri}"), &t).await.0, 200);
    assert_eq!(s.delete(&format!("/resource/{uri}"), &t).await.0, 200);
    assert_eq!(
        vault_read(&addr, &vtoken, &format!("rh/{alice}/named/my_secret")).await,
        None
    );
    // A secret's metadata never lands on another type's resource: 409, the blob unchanged; its values neither.
    let blob = crate::harness::payload(&format!("/{alice}/blob"), &json!({"path": "p"}));
    assert_eq!(s.post("/resource", &t, &blob).await.0, 200);
    let over = json!({"name": format!("/{alice}/blob"), "resource_type": "secret", "data": {}});
    assert_error(&s.post("/resource", &t, &over).await, 409, "already exists");
    let (_, still) = s.get(&format!("/resource/{alice}:blob"), &t).await;
    assert_eq!(still["data"]["resource_type"], json!("blob"));
    assert_error(
        &s.put(
            &format!("/user/secret/{alice}:blob"),
            &t,
            &json!({"data": {"values": {"k": "v"}}}),
        )
        .await,
        409,
        "not a secret",
    );
    // Bad bodies are 400s naming the secret and the shape, never echoing a value.
    let bad = s
        .put(
            &format!("/user/secret/{uri}"),
            &t,
            &json!({"data": {"values": {"k": 7}}}),
        )
        .await;
    assert_error(&bad, 400, "must be a string");
    let bad = s
        .put(
            &format!("/user/secret/{uri}"),
            &t,
            &json!({"values": {"k": "SECRET-VALUE"}}),
        )
        .await;
    assert_error(&bad, 400, &format!("the body for the secret {address}"));
    assert!(!bad.1.to_string().contains("SECRET-VALUE"));
    let other = s
        .put(
            &format!("/user/secret/{uri}"),
            &t,
            &json!({"name": "/x/y", "data": {"values": {}}}),
        )
        .await;
    assert_error(&other, 400, "does not match");
}

#[tokio::test]
async fn vault_down_is_a_503_naming_vault() {
    let db = TestDb::new(Kind::Sqlite).await;
    let alice = unique("down");
    let t = db.user(&alice, None);
    let extra = vault_args(&db, "http://127.0.0.1:1", "unused");
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let s = db.serve_with(&extra);
    let uri = format!("{alice}:openai");
    assert_error(
        &s.get(&format!("/user/secret/{uri}?shared=true"), &t).await,
        503,
        "Vault",
    );
    assert_error(
        &s.put(
            &format!("/user/secret/{uri}"),
            &t,
            &put_body(&format!("/{alice}/openai"), "k", "v"),
        )
        .await,
        503,
        "Vault",
    );
    // Nothing was created on the way.
    assert_eq!(
        s.get(&format!("/resource/{uri}"), &t).await.0,
        404,
        "no resource without its values"
    );
}

fn secret(name: &str, value: &str) -> NamedSecret {
    let values: ProviderSecrets = [("api_key", value)].into_iter().collect();
    NamedSecret {
        name: name.to_owned(),
        provider: Some("openai".to_owned()),
        values,
    }
}

#[tokio::test]
async fn server_named_secrets_keeps_the_store_contract_against_a_real_server() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let (alice, bob) = (unique("sna"), unique("snb"));
        let ta = db.user(&alice, None);
        let tb = db.user(&bob, None);
        let extra = vault_args(&db, &addr, &vtoken);
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let s = db.serve_with(&extra);
        let a = ServerNamedSecrets::new(&s.url, SecretString::from(ta.clone())).expect("client");
        let b = ServerNamedSecrets::new(&s.url, SecretString::from(tb)).expect("client");
        let name = format!("/{alice}/team/openai");

        assert!(a.get(&name).await.expect("get").is_none());
        assert_eq!(
            a.put(&secret(&name, "one"), Some(0)).await.expect("create"),
            1
        );
        assert!(matches!(
            a.put(&secret(&name, "x"), Some(0)).await,
            Err(NamedError::Exists { .. })
        ));
        assert_eq!(a.put(&secret(&name, "two"), None).await.expect("write"), 2);
        assert!(matches!(
            a.put(&secret(&name, "x"), Some(1)).await,
            Err(NamedError::Remote(
                rh_secrets::vault::Error::Conflict { .. }
            ))
        ));
        let (got, version) = a.get(&name).await.expect("get").expect("there");
        assert_eq!(version, 2);
        assert_eq!(got.provider.as_deref(), Some("openai"));
        assert_eq!(
            got.values
                .get("api_key")
                .map(|v| v.expose_secret().to_owned()),
            Some("two".to_owned())
        );
        let mine = a.list(None).await.expect("list");
        assert_eq!(mine.len(), 1);
        assert_eq!(
            (mine[0].name.as_str(), mine[0].access),
            (name.as_str(), Access::Owner)
        );
        assert_eq!(
            a.list(Some(&format!("/{alice}/team")))
                .await
                .expect("list")
                .len(),
            1
        );
        assert!(
            a.list(Some(&format!("/{alice}/other")))
                .await
                .expect("list")
                .is_empty()
        );

        // Bob: nothing before the grant, values after, never a write.
        assert!(b.get(&name).await.expect("get").is_none());
        let uri = format!("{alice}:team:openai");
        let (st, _) = s
            .put(
                &format!("/resource/{uri}/users/access"),
                &ta,
                &share(&[bob.as_str()], "read"),
            )
            .await;
        assert_eq!(st, 200);
        let (got, _) = b.get(&name).await.expect("get").expect("shared");
        assert_eq!(
            got.values
                .get("api_key")
                .map(|v| v.expose_secret().to_owned()),
            Some("two".to_owned())
        );
        let listed = b.list(None).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].owner.as_str(), listed[0].access),
            (alice.as_str(), Access::Read)
        );
        assert!(matches!(
            b.put(&secret(&name, "bob"), None).await,
            Err(NamedError::Forbidden {
                action: "write",
                ..
            })
        ));
        assert!(matches!(
            b.delete(&name).await,
            Err(NamedError::Forbidden {
                action: "delete",
                ..
            })
        ));
        let e = b
            .put(&secret("openai", "x"), None)
            .await
            .expect_err("not an address");
        assert!(e.to_string().contains("`openai`"), "{e}");

        assert!(a.delete(&name).await.expect("delete"));
        assert!(a.get(&name).await.expect("get").is_none());
        assert!(!a.delete(&name).await.expect("delete again"));
        assert!(a.list(None).await.expect("list").is_empty());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn named_secret_answers_match_the_published_contract() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    let db = TestDb::new(Kind::Sqlite).await;
    let (alice, bob) = (unique("oaa"), unique("oab"));
    let ta = db.user(&alice, None);
    let tb = db.user(&bob, None);
    let extra = vault_args(&db, &addr, &vtoken);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let s = db.serve_with(&extra);
    let (_, doc) = s.call("GET", "/openapi.json", None, None).await;
    let one = "/user/secret/{provider}";
    let address = format!("/{alice}/k");
    let path = format!("/user/secret/{alice}:k");
    let put = s.put(&path, &ta, &put_body(&address, "k", "v")).await;
    assert_eq!(put.0, 200, "{put:?}");
    assert_conforms(&doc, "PUT", one, &put);
    let read = s.get(&path, &ta).await;
    assert_eq!(read.0, 200);
    assert_conforms(&doc, "GET", one, &read);
    let missing = s.get(&format!("/user/secret/{alice}:nope"), &ta).await;
    assert_conforms(&doc, "GET", one, &missing);
    let (st, _) = s
        .put(
            &format!("/resource/{alice}:k/users/access"),
            &ta,
            &share(&[bob.as_str()], "read"),
        )
        .await;
    assert_eq!(st, 200);
    let forbidden = s.put(&path, &tb, &put_body(&address, "k", "w")).await;
    assert_eq!(forbidden.0, 403);
    assert_conforms(&doc, "PUT", one, &forbidden);
    let not_owner = s.delete(&path, &tb).await;
    assert_eq!(not_owner.0, 403);
    assert_conforms(&doc, "DELETE", one, &not_owner);
    let listed = s.get("/user/secret?named=true", &tb).await;
    assert_eq!(listed.1["data"].as_array().map(Vec::len), Some(1));
    assert_conforms(&doc, "GET", "/user/secret", &listed);
    let all = s.get("/user/secret", &ta).await;
    assert_conforms(&doc, "GET", "/user/secret", &all);
    let deleted = s.delete(&path, &ta).await;
    assert_conforms(&doc, "DELETE", one, &deleted);
}

#[tokio::test]
async fn the_secret_page_masks_values_reveals_them_to_grantees_only_and_audits_the_reveal() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    let db = TestDb::new(Kind::Sqlite).await;
    let (alice, bob, carol) = (unique("pga"), unique("pgb"), unique("pgc"));
    let ta = db.user(&alice, None);
    let tb = db.user(&bob, None);
    let tc = db.user(&carol, None);
    let extra = vault_args(&db, &addr, &vtoken);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let s = db.serve_with(&extra);
    let address = format!("/{alice}/openai");
    let uri = format!("{alice}:openai");
    let value = format!("sk-PAGE-{}", unique("v"));
    let meta = json!({"name": address, "resource_type": "secret", "visibility": "public",
        "data": {"resource_subtype": "OpenAISecret", "provider": "openai"}});
    assert_eq!(s.post("/resource", &ta, &meta).await.0, 200);
    let put = s
        .put(
            &format!("/user/secret/{uri}"),
            &ta,
            &put_body(&address, "api_key", &value),
        )
        .await;
    assert_eq!(put.0, 200);
    let put = s
        .put(
            &format!("/user/secret/{uri}"),
            &ta,
            &put_body(&address, "api_key", &value),
        )
        .await;
    assert_eq!(put.0, 200);
    let (st, _) = s
        .put(
            &format!("/resource/{uri}/users/access"),
            &ta,
            &share(&[bob.as_str()], "read"),
        )
        .await;
    assert_eq!(st, 200);
    let page = format!("/resources/{uri}");

    // Bob (a grantee): keys, masked values, both versions; the value only after the reveal, which is audited.
    let mut web = crate::dashboard::Web::new(&s);
    web.sign_in(&tb).await;
    let shown = web.get(&page).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("api_key") && shown.body.contains(rh_secrets::mask::MASK));
    assert!(shown.body.contains("v2") && shown.body.contains("v1"));
    assert!(!shown.body.contains(&value), "a masked page shows no value");
    assert!(shown.body.contains("Reveal values"));
    let revealed = web
        .post(&format!("{page}/reveal"), &[("csrf", &shown.csrf())])
        .await;
    assert_eq!(revealed.status, 200, "{}", revealed.body);
    assert!(revealed.body.contains(&value));
    let without_csrf = web.post(&format!("{page}/reveal"), &[]).await;
    assert_eq!(without_csrf.status, 403);
    assert!(!without_csrf.body.contains(&value));
    let out = rh_test::stdout(&db.cli(&["audit", "--target", &address]));
    let reads: Vec<&str> = out.lines().filter(|l| l.contains("secret.read")).collect();
    assert_eq!(reads.len(), 1, "{out}");
    assert!(
        reads[0].contains(&format!(
            "{bob}  secret.read  {address}  version 2 (dashboard)"
        )),
        "{out}"
    );

    // Carol reads the public resource but holds no grant: nothing of the values, and no reveal.
    let mut web = crate::dashboard::Web::new(&s);
    web.sign_in(&tc).await;
    let shown = web.get(&page).await;
    assert_eq!(shown.status, 200);
    assert!(
        shown
            .body
            .contains("Only the owner and the people it is shared with")
    );
    assert!(!shown.body.contains("Reveal values"));
    let revealed = web
        .post(&format!("{page}/reveal"), &[("csrf", &shown.csrf())])
        .await;
    assert!(
        !revealed.body.contains(&value),
        "no value for a reader without a grant"
    );

    // Alice reveals her own: shown, not audited.
    let mut web = crate::dashboard::Web::new(&s);
    web.sign_in(&ta).await;
    let shown = web.get(&page).await;
    let revealed = web
        .post(&format!("{page}/reveal"), &[("csrf", &shown.csrf())])
        .await;
    assert!(revealed.body.contains(&value));
    let out = rh_test::stdout(&db.cli(&["audit", "--target", &address]));
    assert_eq!(
        out.lines().filter(|l| l.contains("secret.read")).count(),
        1,
        "{out}"
    );
    // Her page lists Bob's read, with its address; Carol never read.
    let reads = shown
        .body
        .split("id=\"reads\"")
        .nth(1)
        .expect("the reads table");
    assert!(reads.contains(&bob), "{reads}");
    assert!(reads.contains("version 2 (dashboard)") && reads.contains("127.0.0.1"));
    assert!(!reads.contains(&carol));
    let _ = s.delete(&format!("/user/secret/{uri}"), &ta).await;
}

#[tokio::test]
async fn a_named_secret_has_history_metadata_and_rollback_by_its_writers() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    let db = TestDb::new(Kind::Sqlite).await;
    let (alice, bob, carol) = (unique("hra"), unique("hrb"), unique("hrc"));
    let ta = db.user(&alice, None);
    let tb = db.user(&bob, None);
    let tc = db.user(&carol, None);
    let extra = vault_args(&db, &addr, &vtoken);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let s = db.serve_with(&extra);
    let address = format!("/{alice}/db");
    let uri = format!("{alice}:db");
    let path = format!("/user/secret/{uri}");
    for v in ["pw-1", "pw-2"] {
        assert_eq!(
            s.put(&path, &ta, &put_body(&address, "password", v))
                .await
                .0,
            200
        );
    }
    for (who, level) in [(&bob, "read"), (&carol, "write")] {
        let (st, _) = s
            .put(
                &format!("/resource/{uri}/users/access"),
                &ta,
                &share(&[who.as_str()], level),
            )
            .await;
        assert_eq!(st, 200);
    }
    // A read grantee sees the versions and fingerprints (no value), never rolls back.
    let (st, hist) = s.get(&format!("{path}/history"), &tb).await;
    assert_eq!((st, hist["data"].as_array().map(Vec::len)), (200, Some(2)));
    let (st, meta) = s.get(&format!("{path}/metadata"), &tb).await;
    assert_eq!((st, &meta["data"]["version"]), (200, &json!(2)));
    assert!(!meta.to_string().contains("pw-"), "{meta}");
    assert_error(
        &s.post(&format!("{path}/rollback"), &tb, &json!({"version": 1}))
            .await,
        403,
        "read-only access",
    );
    // A write grantee rolls back: version 3 holds version 1's data, audited.
    let (st, body) = s
        .post(&format!("{path}/rollback"), &tc, &json!({"version": 1}))
        .await;
    assert_eq!((st, &body["data"]["version"]), (200, &json!(3)), "{body}");
    let (st, got) = s.get(&path, &ta).await;
    assert_eq!(
        (st, &got["data"][&address]["data"]["values"]["password"]),
        (200, &json!("pw-1"))
    );
    let out = rh_test::stdout(&db.cli(&["audit", "--target", &address]));
    assert!(
        out.contains(&format!(
            "{carol}  secret.rollback  {address}  to version 1"
        )),
        "{out}"
    );
    // Someone without a grant learns nothing.
    let outsider = db.user(&unique("hro"), None);
    assert_error(
        &s.get(&format!("{path}/history"), &outsider).await,
        404,
        "no secret named",
    );
    assert_eq!(s.delete(&path, &ta).await.0, 200);
}

/// A server on `db` with the shared OpenBao at `addr`, and `owner`'s secret `/owner/openai` (written with
/// `token`) holding `api_key = value`: `(server, address, uri)`.
async fn serve_with_secret(
    db: &TestDb,
    (addr, vtoken): (&str, &str),
    (owner, token): (&str, &str),
    value: &str,
) -> (Server, String, String) {
    let extra = vault_args(db, addr, vtoken);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let s = db.serve_with(&extra);
    let address = format!("/{owner}/openai");
    let uri = format!("{owner}:openai");
    let put = s
        .put(
            &format!("/user/secret/{uri}"),
            token,
            &put_body(&address, "api_key", value),
        )
        .await;
    assert_eq!(put.0, 200, "{put:?}");
    (s, address, uri)
}

/// The KV v2 metadata of `path` (under `secret/`): its HTTP status straight from OpenBao (404 once deleted).
async fn vault_metadata_status(addr: &str, token: &str, path: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{addr}/v1/secret/metadata/{path}"))
        .header("X-Vault-Token", token)
        .send()
        .await
        .expect("vault request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn deleting_a_secret_resource_deletes_its_values_and_keeps_the_row_while_vault_is_down() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let (alice, bob) = (unique("dra"), unique("drb"));
        let ta = db.user(&alice, None);
        let tb = db.user(&bob, None);
        let address = format!("/{alice}/openai");
        let uri = format!("{alice}:openai");
        let path = format!("rh/{alice}/named/openai");
        {
            let (s, _, _) =
                serve_with_secret(&db, (&addr, &vtoken), (&alice, &ta), "sk-delete-me").await;
            let shared = s
                .put(
                    &format!("/resource/{uri}/users/access"),
                    &ta,
                    &share(&[bob.as_str()], "write"),
                )
                .await;
            assert_eq!(shared.0, 200, "{shared:?}");
            // A write grantee may change the values but not delete the secret: 403, values and row kept.
            assert_error(
                &s.delete(&format!("/resource/{uri}"), &tb).await,
                403,
                "only",
            );
            assert_eq!(vault_metadata_status(&addr, &vtoken, &path).await, 200);
        }
        {
            // Vault down: 503 naming Vault, and nothing is deleted.
            let down = vault_args(&db, "http://127.0.0.1:1", "unused");
            let down: Vec<&str> = down.iter().map(String::as_str).collect();
            let s = db.serve_with(&down);
            assert_error(
                &s.delete(&format!("/resource/{uri}"), &ta).await,
                503,
                "Vault",
            );
            assert_eq!(s.get(&format!("/resource/{uri}"), &ta).await.0, 200);
        }
        // (vault_args rewrote the token file: write the real token back.)
        let up = vault_args(&db, &addr, &vtoken);
        let up: Vec<&str> = up.iter().map(String::as_str).collect();
        let s = db.serve_with(&up);
        let (_, kept) = vault_read(&addr, &vtoken, &path)
            .await
            .expect("values kept");
        assert_eq!(kept, json!({"api_key": "sk-delete-me"}));
        // The owner's delete of the resource takes every version of its values with it.
        assert_eq!(s.delete(&format!("/resource/{uri}"), &ta).await.0, 200);
        assert_eq!(vault_metadata_status(&addr, &vtoken, &path).await, 404);
        assert_eq!(s.get(&format!("/resource/{uri}"), &ta).await.0, 404);
        assert_eq!(
            s.get(&format!("/user/secret/{uri}?shared=true"), &ta)
                .await
                .0,
            404
        );
        // A secret re-created under the same name starts from no values, never the old ones.
        let again = s
            .put(
                &format!("/user/secret/{uri}"),
                &ta,
                &put_body(&address, "api_key", "sk-new"),
            )
            .await;
        assert_eq!(again.0, 200, "{again:?}");
        assert_eq!(
            vault_read(&addr, &vtoken, &path).await.expect("new").0,
            1,
            "a fresh secret's first version"
        );
    }
}

#[tokio::test]
async fn the_secret_page_rolls_back_for_writers_and_deletes_the_values_with_the_secret() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    let db = TestDb::new(Kind::Sqlite).await;
    let (alice, bob) = (unique("rba"), unique("rbb"));
    let ta = db.user(&alice, None);
    let tb = db.user(&bob, None);
    let (s, address, uri) =
        serve_with_secret(&db, (&addr, &vtoken), (&alice, &ta), "sk-first").await;
    let path = format!("rh/{alice}/named/openai");
    let put = s
        .put(
            &format!("/user/secret/{uri}"),
            &ta,
            &put_body(&address, "api_key", "sk-second"),
        )
        .await;
    assert_eq!(put.0, 200, "{put:?}");
    let shared = s
        .put(
            &format!("/resource/{uri}/users/access"),
            &ta,
            &share(&[bob.as_str()], "read"),
        )
        .await;
    assert_eq!(shared.0, 200);
    let page = format!("/resources/{uri}");

    // Bob reads: no rollback button, and a forged rollback is 403 with Vault unchanged.
    let mut web = crate::dashboard::Web::new(&s);
    web.sign_in(&tb).await;
    let shown = web.get(&page).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(!shown.body.contains("Roll back to v1"));
    let forged = web
        .post(
            &format!("{page}/secret-rollback"),
            &[("csrf", &shown.csrf()), ("version", "1")],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(vault_read(&addr, &vtoken, &path).await.expect("kept").0, 2);

    // Alice rolls back to v1: a new version 3 holding v1's values, and an audit row.
    let mut web = crate::dashboard::Web::new(&s);
    web.sign_in(&ta).await;
    let shown = web.get(&page).await;
    assert!(shown.body.contains("Roll back to v1"), "{}", shown.body);
    assert!(
        !shown.body.contains("Roll back to v2"),
        "no button on the current version"
    );
    let bad = web
        .post(
            &format!("{page}/secret-rollback"),
            &[("csrf", &shown.csrf()), ("version", "99")],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("Choose an earlier version"));
    let done = web
        .post(
            &format!("{page}/secret-rollback"),
            &[("csrf", &shown.csrf()), ("version", "1")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let (version, data) = vault_read(&addr, &vtoken, &path)
        .await
        .expect("rolled back");
    assert_eq!((version, data), (3, json!({"api_key": "sk-first"})));
    let out = rh_test::stdout(&db.cli(&["audit", "--target", &address]));
    assert!(
        out.lines()
            .any(|l| l.contains("secret.rollback") && l.contains("to version 1 (dashboard)")),
        "{out}"
    );

    // Her delete on the dashboard takes the values with the resource.
    let confirm = web.get(&format!("{page}/delete")).await;
    let deleted = web
        .post(&format!("{page}/delete"), &[("csrf", &confirm.csrf())])
        .await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert_eq!(vault_metadata_status(&addr, &vtoken, &path).await, 404);
    assert_eq!(s.get(&format!("/resource/{uri}"), &ta).await.0, 404);
}

#[tokio::test]
async fn a_secret_shared_with_an_unknown_email_is_readable_once_that_account_exists() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = unique("iva");
        let newcomer = unique("ivn");
        let email = format!("{newcomer}@example.com");
        let ta = db.user(&alice, None);
        let (s, address, uri) =
            serve_with_secret(&db, (&addr, &vtoken), (&alice, &ta), "sk-invited").await;
        let (st, body) = s
            .put(
                &format!("/resource/{uri}/users/access"),
                &ta,
                &share(&[email.to_uppercase().as_str()], "read"),
            )
            .await;
        assert_eq!(st, 200, "{body}");
        assert_eq!(
            body["data"]["new_users"],
            json!({ email.clone(): "read" }),
            "{body}"
        );
        assert_eq!(db.count("SELECT COUNT(*) FROM invitations").await, 1);

        // The account is created: the invitation is a read grant, and the values are the newcomer's to read.
        let tn = db.user(&newcomer, Some(&email));
        assert_eq!(db.count("SELECT COUNT(*) FROM invitations").await, 0);
        let (st, got) = s.get(&format!("/user/secret/{uri}?shared=true"), &tn).await;
        assert_eq!(st, 200, "{got}");
        assert!(got.to_string().contains("sk-invited"), "{got}");
        // Read, never write: 403 and Vault unchanged.
        let write = s
            .put(
                &format!("/user/secret/{uri}"),
                &tn,
                &put_body(&address, "api_key", "sk-overwritten"),
            )
            .await;
        assert_eq!(write.0, 403, "{write:?}");
        let (version, data) = vault_read(&addr, &vtoken, &format!("rh/{alice}/named/openai"))
            .await
            .expect("values");
        assert_eq!((version, data), (1, json!({"api_key": "sk-invited"})));
        let out = rh_test::stdout(&db.cli(&["audit", "--target", &address]));
        assert!(
            out.lines()
                .any(|l| l.contains("secret.read") && l.contains(&newcomer)),
            "{out}"
        );
        let _ = s.delete(&format!("/resource/{uri}"), &ta).await;
    }
}

#[tokio::test]
async fn write_grantees_share_a_secret_further_only_while_its_owner_allows_it() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let (alice, bob, carol) = (unique("rsa"), unique("rsb"), unique("rsc"));
        let ta = db.user(&alice, None);
        let tb = db.user(&bob, None);
        let tc = db.user(&carol, None);
        let (s, address, uri) =
            serve_with_secret(&db, (&addr, &vtoken), (&alice, &ta), "sk-reshare").await;
        let access = format!("/resource/{uri}/users/access");
        let to = |users: &[&str], level: &str, allow: Option<bool>| {
            let mut body = share(users, level);
            if let Some(allow) = allow {
                body["allow_reshare"] = json!(allow);
            }
            body
        };
        assert_eq!(
            s.put(&access, &ta, &to(&[&bob], "write", None)).await.0,
            200
        );
        // Owner-only by default: Bob (write) neither shares nor allows himself to.
        let only = format!("only {alice} can share, revoke or delete the secret");
        assert_error(
            &s.put(&access, &tb, &to(&[&carol], "read", None)).await,
            403,
            &only,
        );
        assert_error(
            &s.put(&access, &tb, &to(&[&carol], "read", Some(true)))
                .await,
            403,
            &only,
        );
        let shared_with_carol = || async {
            s.get(&format!("/user/secret/{uri}?shared=true"), &tc)
                .await
                .0
        };
        assert_eq!(shared_with_carol().await, 404, "nothing was granted");

        // Alice allows it: Bob shares with Carol, who reads the values, and Bob can take it back.
        let allowed = s.put(&access, &ta, &to(&[&bob], "write", Some(true))).await;
        assert_eq!(allowed.0, 200, "{allowed:?}");
        let reshared = s.put(&access, &tb, &to(&[&carol], "read", None)).await;
        assert_eq!(reshared.0, 200, "{reshared:?}");
        assert_eq!(shared_with_carol().await, 200);
        assert_eq!(
            s.put(&access, &tb, &to(&[&carol], "denied", None)).await.0,
            200
        );
        assert_eq!(shared_with_carol().await, 404, "revoked at once");

        // Alice takes the permission back: Bob is owner-only again on his very next request.
        assert_eq!(
            s.put(&access, &ta, &to(&[&bob], "write", Some(false)))
                .await
                .0,
            200
        );
        assert_error(
            &s.put(&access, &tb, &to(&[&carol], "read", None)).await,
            403,
            &only,
        );
        assert_eq!(shared_with_carol().await, 404);
        let out = rh_test::stdout(&db.cli(&["audit", "--target", &address]));
        assert!(
            out.contains("allow_reshare") && out.contains("owner_only"),
            "{out}"
        );

        // Bad input: the flag on another type, or with a revoke.
        let blob = crate::harness::payload(&format!("/{alice}/blob"), &json!({"path": "p"}));
        assert_eq!(s.post("/resource", &ta, &blob).await.0, 200);
        assert_error(
            &s.put(
                &format!("/resource/{alice}:blob/users/access"),
                &ta,
                &to(&[&bob], "read", Some(true)),
            )
            .await,
            400,
            "allow_reshare is for secrets",
        );
        assert_error(
            &s.put(&access, &ta, &to(&[&bob], "denied", Some(true)))
                .await,
            400,
            "not with denied",
        );
        let _ = s.delete(&format!("/resource/{uri}"), &ta).await;
    }
}
