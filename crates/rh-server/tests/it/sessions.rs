//! Dashboard sessions never outlive their token: rotation (CLI or dashboard), revocation (CLI or API) and the
//! token's expiry end them on the next request; rotating from the dashboard needs the current token and stays
//! under `--max-token-lifetime`.

use std::time::Duration;

use crate::dashboard::Web;
use crate::harness::{Server, TestDb, backends};

/// Whether a session cookie still opens the dashboard: 200 on `/`, or the redirect to the sign-in form.
async fn works(s: &Server, cookie: &str) -> bool {
    let mut web = Web::new(s);
    web.cookies.push(("rh_session".into(), cookie.to_owned()));
    let p = web.get("/").await;
    match (p.status, p.location()) {
        (200, _) => true,
        (303, "/login") => false,
        other => panic!("unexpected answer {other:?}: {}", p.body),
    }
}

/// Signs in with `token`; returns the client, its CSRF token and its session cookie.
async fn session(s: &Server, token: &str) -> (Web, String, String) {
    let mut web = Web::new(s);
    let csrf = web.sign_in(token).await;
    let cookie = web.session_cookie();
    (web, csrf, cookie)
}

fn printed(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", rh_test::stderr(out));
    rh_test::stdout(out).trim().to_owned()
}

async fn token_hash(db: &TestDb, user: &str) -> String {
    db.strings(&format!(
        "SELECT token_hash FROM users WHERE username = '{user}'"
    ))
    .await
    .pop()
    .expect("the user's row")
}

#[tokio::test]
async fn cli_rotation_and_revocation_end_dashboard_sessions() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let bob = db.user("bob", None);
        let carol = db.user("carol", None);
        let s = db.serve();
        let (_, _, first) = session(&s, &bob).await;
        let (_, _, second) = session(&s, &bob).await;
        let (_, _, carols) = session(&s, &carol).await;
        assert!(works(&s, &first).await && works(&s, &second).await);

        // `user token bob`: every session opened with the old token ends; carol's is untouched.
        let new = printed(&db.cli(&["user", "token", "bob"]));
        assert!(!works(&s, &first).await, "old session after user token");
        assert!(!works(&s, &second).await, "old session after user token");
        assert!(works(&s, &carols).await, "another user's session");
        assert_eq!(
            db.count("SELECT COUNT(*) FROM sessions WHERE username = 'bob'")
                .await,
            0
        );

        // A session of the new token works until `user revoke bob`.
        let (_, _, third) = session(&s, &new).await;
        assert!(works(&s, &third).await);
        printed(&db.cli(&["user", "revoke", "bob"]));
        assert!(!works(&s, &third).await, "session after user revoke");

        // The API's revocation (`DELETE /user/token`, `rh logout --revoke`) too.
        assert_eq!(s.delete("/user/token", &carol).await.0, 200);
        assert!(
            !works(&s, &carols).await,
            "session after DELETE /user/token"
        );
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_session_checks_its_token_on_every_request() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let bob = db.user("bob", None);
        let s = db.serve();
        let (_, _, cookie) = session(&s, &bob).await;
        assert_eq!(
            db.strings("SELECT token_hash FROM sessions").await,
            [rh_server::token::hash(&bob)],
            "the session is bound to the hash of its token"
        );

        // The token's expiry passes (as another server process would see it): the session ends at once,
        // although its own 7 days have not.
        let pool = db.pool().await;
        sqlx::query(
            "UPDATE users SET token_expires_at = '2000-01-01T00:00:00.000000Z' WHERE username = 'bob'",
        )
        .execute(&pool)
        .await
        .expect("expire the token");
        assert!(!works(&s, &cookie).await, "session of an expired token");
        sqlx::query("UPDATE users SET token_expires_at = NULL WHERE username = 'bob'")
            .execute(&pool)
            .await
            .expect("unexpire");
        assert!(works(&s, &cookie).await, "the session row itself was kept");

        // The token is replaced without touching the sessions table: the binding alone ends the session.
        sqlx::query("UPDATE users SET token_hash = 'replaced' WHERE username = 'bob'")
            .execute(&pool)
            .await
            .expect("replace the token");
        pool.close().await;
        assert!(!works(&s, &cookie).await, "session of a replaced token");
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_session_ends_with_its_tokens_expiry() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        db.user("bob", None);
        let s = db.serve();
        let bob = printed(&db.cli(&["user", "token", "bob", "--expires-in", "6s"]));
        let mut web = Web::new(&s);
        let form = web.get("/login").await;
        let signed = web
            .post("/login", &[("csrf", &form.csrf()), ("token", &bob)])
            .await;
        assert_eq!(signed.status, 303, "{}", signed.body);
        let cookie = signed.set_cookie("rh_session");
        let max_age: i64 = cookie
            .split("Max-Age=")
            .nth(1)
            .and_then(|v| v.split(';').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no Max-Age in {cookie}"));
        assert!(
            (0..=6).contains(&max_age),
            "cookie outlives the token: {cookie}"
        );
        assert_eq!(
            db.strings("SELECT expires_at FROM sessions").await,
            db.strings("SELECT token_expires_at FROM users WHERE username = 'bob'")
                .await,
            "the session expires with the token"
        );
        let id = web.session_cookie();
        assert!(works(&s, &id).await);
        tokio::time::sleep(Duration::from_secs(7)).await;
        assert!(!works(&s, &id).await, "session after the token expired");
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn dashboard_rotation_needs_the_current_token() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let bob = db.user("bob", None);
        let carol = db.user("carol", None);
        let s = db.serve();
        let (mut web, csrf, cookie) = session(&s, &bob).await;
        let form = web.get("/account").await;
        assert!(
            form.body
                .contains("type=\"password\" name=\"current_token\""),
            "{}",
            form.body
        );
        let before = token_hash(&db, "bob").await;

        for (current, status) in [
            (None, 400),
            (Some(""), 400),
            (Some("rh_wrong"), 403),
            (Some(carol.as_str()), 403),
            (Some(&bob[..bob.len() - 1]), 403),
        ] {
            let mut fields = vec![("csrf", csrf.as_str()), ("expires_in", "30d")];
            if let Some(c) = current {
                fields.push(("current_token", c));
            }
            let p = web.post("/account/token", &fields).await;
            assert_eq!(p.status, status, "{current:?}: {}", p.body);
            assert!(p.body.contains("current token"), "{current:?}: {}", p.body);
            assert!(!p.body.contains("token-value"), "no new token shown");
            assert_eq!(token_hash(&db, "bob").await, before, "{current:?}");
            assert_eq!(s.get("/user", &bob).await.0, 200, "{current:?}");
            assert!(works(&s, &cookie).await, "{current:?}");
        }
        assert_eq!(s.get("/user", &carol).await.0, 200);

        let ok = web
            .post(
                "/account/token",
                &[
                    ("csrf", &csrf),
                    ("current_token", &bob),
                    ("expires_in", "30d"),
                ],
            )
            .await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_ne!(token_hash(&db, "bob").await, before);
        assert_eq!(s.get("/user", &bob).await.0, 401);
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn dashboard_rotation_is_capped_by_max_token_lifetime() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let bob = db.user("bob", None);
        let s = db.serve_with(&["--max-token-lifetime", "90d"]);
        let (mut web, csrf, _) = session(&s, &bob).await;
        let form = web.get("/account").await;
        assert!(form.body.contains("value=\"90d\""), "{}", form.body);
        for absent in ["value=\"\"", "value=\"365d\"", "Never"] {
            assert!(
                !form.body.contains(absent),
                "{absent} offered: {}",
                form.body
            );
        }
        let before = token_hash(&db, "bob").await;
        for lifetime in ["", "365d", "91d", "13w"] {
            let p = web
                .post(
                    "/account/token",
                    &[
                        ("csrf", &csrf),
                        ("current_token", &bob),
                        ("expires_in", lifetime),
                    ],
                )
                .await;
            assert_eq!(p.status, 400, "{lifetime:?}: {}", p.body);
            assert!(
                p.body.contains("at most 90 days"),
                "{lifetime:?}: {}",
                p.body
            );
            assert_eq!(token_hash(&db, "bob").await, before, "{lifetime:?}");
            assert_eq!(s.get("/user", &bob).await.0, 200, "{lifetime:?}");
        }
        let ok = web
            .post(
                "/account/token",
                &[
                    ("csrf", &csrf),
                    ("current_token", &bob),
                    ("expires_in", "90d"),
                ],
            )
            .await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        s.stop();

        // The administrator's CLI is not capped; `--max-token-lifetime never` lifts the cap from the dashboard.
        let long = printed(&db.cli(&["user", "token", "bob", "--expires-in", "5000d"]));
        let s = db.serve_with(&["--max-token-lifetime", "never"]);
        let (mut web, csrf, _) = session(&s, &long).await;
        assert!(web.get("/account").await.body.contains("Never"));
        let never = web
            .post(
                "/account/token",
                &[
                    ("csrf", &csrf),
                    ("current_token", &long),
                    ("expires_in", ""),
                ],
            )
            .await;
        assert_eq!(never.status, 200, "{}", never.body);
        assert!(never.body.contains("Never expires."), "{}", never.body);
        assert_eq!(
            db.count("SELECT COUNT(*) FROM users WHERE token_expires_at IS NOT NULL")
                .await,
            0
        );
        s.stop();

        // A cap that is not a duration stops the server with one line naming the flag.
        let mut cmd = std::process::Command::new(crate::harness::BIN);
        cmd.args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--max-token-lifetime",
            "soon",
        ])
        .args(db.args());
        crate::harness::isolate(&mut cmd, &db.home());
        let out = cmd.output().expect("run rh-server");
        assert!(!out.status.success());
        assert!(
            rh_test::stderr(&out).contains("--max-token-lifetime"),
            "{}",
            rh_test::stderr(&out)
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn dashboard_rotation_ends_other_sessions_and_keeps_this_one() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let bob = db.user("bob", None);
        let carol = db.user("carol", None);
        let s = db.serve();
        let (mut web, csrf, here) = session(&s, &bob).await;
        let (_, _, elsewhere) = session(&s, &bob).await;
        let (_, _, carols) = session(&s, &carol).await;

        let rotated = web
            .post(
                "/account/token",
                &[
                    ("csrf", &csrf),
                    ("current_token", &bob),
                    ("expires_in", "30d"),
                ],
            )
            .await;
        assert_eq!(rotated.status, 200, "{}", rotated.body);
        let marker = "readonly value=\"";
        let at = rotated
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no new token in {}", rotated.body))
            + marker.len();
        let new = rotated.body[at..]
            .split('"')
            .next()
            .expect("value")
            .to_owned();
        assert!(new.starts_with("rh_"), "{new}");

        assert!(works(&s, &here).await, "the rotating session continues");
        assert!(!works(&s, &elsewhere).await, "other sessions end");
        assert!(works(&s, &carols).await, "another user's session");
        assert_eq!(
            db.strings("SELECT token_hash FROM sessions WHERE username = 'bob'")
                .await,
            [rh_server::token::hash(&new)],
            "the remaining session is bound to the new token"
        );
        let session_expiry = db
            .strings("SELECT expires_at FROM sessions WHERE username = 'bob'")
            .await;
        let token_expiry = db
            .strings("SELECT token_expires_at FROM users WHERE username = 'bob'")
            .await;
        assert!(
            session_expiry <= token_expiry,
            "{session_expiry:?} {token_expiry:?}"
        );

        // Rotating again needs the new token; then a CLI rotation ends this session too.
        let again = web
            .post(
                "/account/token",
                &[
                    ("csrf", &csrf),
                    ("current_token", &bob),
                    ("expires_in", "30d"),
                ],
            )
            .await;
        assert_eq!(again.status, 403, "the old token is not the current one");

        // A new token shorter-lived than the session: the session and its cookie end with the token.
        let short = web
            .post(
                "/account/token",
                &[
                    ("csrf", &csrf),
                    ("current_token", &new),
                    ("expires_in", "1h"),
                ],
            )
            .await;
        assert_eq!(short.status, 200, "{}", short.body);
        let cookie = short.set_cookie("rh_session");
        assert!(
            cookie.starts_with(&format!("rh_session={here};")),
            "{cookie}"
        );
        let max_age: i64 = cookie
            .split("Max-Age=")
            .nth(1)
            .and_then(|v| v.split(';').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no Max-Age in {cookie}"));
        assert!((3500..=3600).contains(&max_age), "{cookie}");
        assert_eq!(
            db.strings("SELECT expires_at FROM sessions WHERE username = 'bob'")
                .await,
            db.strings("SELECT token_expires_at FROM users WHERE username = 'bob'")
                .await
        );
        assert!(works(&s, &here).await);
        printed(&db.cli(&["user", "token", "bob"]));
        assert!(!works(&s, &here).await, "session after user token");
        s.stop();
        db.cleanup().await;
    }
}
