//! The dashboard: sessions, CSRF and authorization over plain HTTP on every backend, then a walk through every
//! page in a real headless Chromium (WebDriver via chromedriver; needs `RH_TEST_CHROMEDRIVER`, which
//! `.ci/services.sh`'s `start_chromium` exports), saving screenshots.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::harness::{Server, TestDb, backends, payload};

/// An HTTP client that follows no redirects and keeps one cookie jar by hand.
pub(crate) struct Web {
    base: String,
    http: reqwest::Client,
    pub(crate) cookies: Vec<(String, String)>,
}

/// An answer: status, headers and body text.
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The `Set-Cookie` header for `name`.
    pub(crate) fn set_cookie(&self, name: &str) -> String {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no Set-Cookie for {name}: {:?}", self.headers))
            .to_owned()
    }

    /// The value of the first hidden `csrf` field.
    pub(crate) fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let at = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no csrf field in {}", self.body))
            + marker.len();
        self.body[at..].split('"').next().expect("value").to_owned()
    }
}

fn form_encode(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Web {
    pub(crate) fn new(server: &Server) -> Self {
        Self {
            base: server.url.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            cookies: Vec::new(),
        }
    }

    fn absorb(&mut self, headers: &HeaderMap) {
        for v in headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let pair = v.split(';').next().unwrap_or("");
            if let Some((k, val)) = pair.split_once('=') {
                self.cookies.retain(|(name, _)| name != k);
                if !val.is_empty() {
                    self.cookies.push((k.to_owned(), val.to_owned()));
                }
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header("cookie", self.cookie_header())
        };
        let res = req.send().await.expect("http request");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        self.absorb(&headers);
        let body = res.text().await.expect("body");
        Page {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_encode(fields));
        self.send(req).await
    }

    /// Signs in with `token`; returns the session's CSRF token.
    pub(crate) async fn sign_in(&mut self, token: &str) -> String {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200);
        let csrf = form.csrf();
        let done = self
            .post("/login", &[("csrf", &csrf), ("token", token)])
            .await;
        assert_eq!((done.status, done.location()), (303, "/"), "{}", done.body);
        let home = self.get("/").await;
        assert_eq!(home.status, 200, "{}", home.body);
        home.csrf()
    }

    pub(crate) fn session_cookie(&self) -> String {
        self.cookies
            .iter()
            .find(|(k, _)| k == "rh_session")
            .map(|(_, v)| v.clone())
            .expect("a session cookie")
    }
}

#[tokio::test]
async fn sign_in_gives_a_strict_http_only_cookie_and_stores_only_its_hash() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", Some("alice@example.com"));
        let s = db.serve();
        let mut web = Web::new(&s);

        // Not signed in: every page sends you to the sign-in form.
        for path in ["/", "/account", "/secrets", "/resources/alice:x"] {
            let p = web.get(path).await;
            assert_eq!((p.status, p.location()), (303, "/login"), "{path}");
        }

        // The form's CSRF cookie must match its field; a wrong token is a 401 with the form again.
        let form = web.get("/login").await;
        assert!(
            form.set_cookie("rh_login")
                .contains("HttpOnly; SameSite=Strict")
        );
        assert!(
            form.headers["content-security-policy"]
                .to_str()
                .expect("ascii")
                .contains("script-src 'self'")
        );
        let csrf = form.csrf();
        let bad = web
            .post("/login", &[("csrf", &csrf), ("token", "rh_nope")])
            .await;
        assert_eq!(bad.status, 401);
        assert!(bad.body.contains("That token is not valid."));
        let mut stranger = Web::new(&s);
        let forged = stranger
            .post("/login", &[("csrf", &csrf), ("token", &alice)])
            .await;
        assert_eq!(forged.status, 403, "sign-in without the form's cookie");
        assert_eq!(db.count("SELECT COUNT(*) FROM sessions").await, 0);

        let form = web.get("/login").await;
        let ok = web
            .post("/login", &[("csrf", &form.csrf()), ("token", &alice)])
            .await;
        assert_eq!((ok.status, ok.location()), (303, "/"));
        let cookie = ok.set_cookie("rh_session");
        assert!(
            cookie.contains("; Path=/; Max-Age=604800; HttpOnly; SameSite=Strict"),
            "{cookie}"
        );
        assert!(!cookie.contains("Secure"), "no TLS here: {cookie}");
        let id = web.session_cookie();
        assert_eq!(id.len(), 64);
        assert_eq!(
            db.strings("SELECT id_hash FROM sessions").await,
            [rh_server::token::hash(&id)]
        );
        assert_eq!(
            db.count(&format!(
                "SELECT COUNT(*) FROM sessions WHERE id_hash = '{id}'"
            ))
            .await,
            0
        );
        let home = web.get("/").await;
        assert_eq!(home.status, 200);
        assert!(home.body.contains(">alice</span>") && home.body.contains("No resources yet."));

        // Behind a TLS proxy the cookie is Secure.
        let tls = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let res = tls
            .get(format!("{}/login", s.url))
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .expect("get");
        let c = res.headers()[SET_COOKIE]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(c.ends_with("; Secure"), "{c}");

        // Sign out ends the session in the database too; the old cookie no longer works.
        let csrf = home.csrf();
        let out = web.post("/logout", &[("csrf", &csrf)]).await;
        assert_eq!((out.status, out.location()), (303, "/login?signed_out=1"));
        assert!(out.set_cookie("rh_session").contains("Max-Age=0"));
        assert_eq!(db.count("SELECT COUNT(*) FROM sessions").await, 0);
        let mut replay = Web::new(&s);
        replay.cookies.push(("rh_session".into(), id));
        assert_eq!(replay.get("/").await.location(), "/login");
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_form_post_without_the_csrf_token_is_refused() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let s = db.serve();
        assert_eq!(
            s.post("/resource", &alice, &payload("/alice/x", &json!({"v": 1})))
                .await
                .0,
            200
        );
        let mut web = Web::new(&s);
        let csrf = web.sign_in(&alice).await;

        for fields in [
            vec![("visibility", "public")],
            vec![("visibility", "public"), ("csrf", "")],
            vec![("visibility", "public"), ("csrf", &"0".repeat(64))],
        ] {
            let p = web.post("/resources/alice:x/visibility", &fields).await;
            assert_eq!(p.status, 403, "{fields:?}");
            assert!(p.body.contains("Request refused"));
        }
        for path in ["/logout", "/account/token", "/resources/alice:x/delete"] {
            assert_eq!(web.post(path, &[]).await.status, 403, "{path}");
        }
        assert_eq!(
            db.strings("SELECT visibility FROM resources").await,
            ["private"]
        );
        assert_eq!(db.count("SELECT COUNT(*) FROM sessions").await, 1);
        assert_eq!(db.count("SELECT COUNT(*) FROM resources").await, 1);
        assert_eq!(
            s.get("/user", &alice).await.0,
            200,
            "the token was not rotated"
        );

        // Another session's token does not do either.
        let mut other = Web::new(&s);
        let other_csrf = other.sign_in(&alice).await;
        assert_ne!(other_csrf, csrf);
        let p = web
            .post(
                "/resources/alice:x/visibility",
                &[("csrf", &other_csrf), ("visibility", "public")],
            )
            .await;
        assert_eq!(p.status, 403);

        let p = web
            .post(
                "/resources/alice:x/visibility",
                &[("csrf", &csrf), ("visibility", "public")],
            )
            .await;
        assert_eq!(
            (p.status, p.location()),
            (303, "/resources/alice:x?done=visibility#settings")
        );
        assert_eq!(
            db.strings("SELECT visibility FROM resources").await,
            ["public"]
        );
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_account_page_rotates_the_token_with_an_expiry() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let s = db.serve();
        let mut web = Web::new(&s);
        let csrf = web.sign_in(&alice).await;
        let form = web.get("/account").await;
        for value in ["\"30d\"", "\"90d\"", "\"365d\""] {
            assert!(
                form.body.contains(&format!("value={value}")),
                "option {value}"
            );
        }
        assert!(
            !form.body.contains("value=\"\""),
            "no \"Never\" under the default --max-token-lifetime"
        );

        // A lifetime that is not one: 400, and nothing changed.
        let bad = web
            .post(
                "/account/token",
                &[
                    ("csrf", &csrf),
                    ("current_token", &alice),
                    ("expires_in", "soon"),
                ],
            )
            .await;
        assert_eq!(bad.status, 400, "{}", bad.body);
        assert!(bad.body.contains("invalid duration"), "{}", bad.body);
        assert_eq!(s.get("/user", &alice).await.0, 200, "old token still valid");
        assert_eq!(
            db.count("SELECT COUNT(*) FROM users WHERE token_expires_at IS NOT NULL")
                .await,
            0
        );

        let today = time::OffsetDateTime::now_utc();
        let rotated = web
            .post(
                "/account/token",
                &[
                    ("csrf", &csrf),
                    ("current_token", &alice),
                    ("expires_in", "30d"),
                ],
            )
            .await;
        assert_eq!(rotated.status, 200, "{}", rotated.body);
        assert!(rotated.body.contains("Expires "), "{}", rotated.body);
        assert_eq!(s.get("/user", &alice).await.0, 401, "old token replaced");
        let expiry = db
            .strings("SELECT token_expires_at FROM users WHERE username = 'alice'")
            .await;
        let days = |d: i64| (today + time::Duration::days(d)).date().to_string();
        assert!(
            expiry[0].starts_with(&days(30)) || expiry[0].starts_with(&days(31)),
            "{expiry:?}"
        );

        // "Never" is refused under the default cap (lifted with `--max-token-lifetime never`, see sessions.rs).
        let marker = "readonly value=\"";
        let at = rotated.body.find(marker).expect("the new token") + marker.len();
        let new = rotated.body[at..]
            .split('"')
            .next()
            .expect("value")
            .to_owned();
        let never = web
            .post(
                "/account/token",
                &[("csrf", &csrf), ("current_token", &new), ("expires_in", "")],
            )
            .await;
        assert_eq!(never.status, 400, "{}", never.body);
        assert!(never.body.contains("at most 365 days"), "{}", never.body);
        assert_eq!(s.get("/user", &new).await.0, 200, "nothing changed");
        assert_eq!(
            db.strings("SELECT token_expires_at FROM users WHERE username = 'alice'")
                .await,
            expiry
        );
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn another_users_private_resource_is_not_found_by_url() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let bob = db.user("bob", None);
        let s = db.serve();
        for (name, vis) in [("secret-plan", "private"), ("open", "public")] {
            let mut p = payload(&format!("/alice/{name}"), &json!({"v": 1}));
            p["visibility"] = json!(vis);
            assert_eq!(s.post("/resource", &alice, &p).await.0, 200);
        }
        let mut web = Web::new(&s);
        let csrf = web.sign_in(&bob).await;
        for path in [
            "/resources/alice:secret-plan",
            "/resources/alice:secret-plan/diff?from=1&to=1",
            "/resources/alice:secret-plan/delete",
            "/resources/alice:missing",
            "/resources/not%20a%20name",
        ] {
            let p = web.get(path).await;
            assert_eq!(p.status, 404, "{path}");
            assert!(p.body.contains("Not found"), "{path}");
            assert!(!p.body.contains("\"v\""), "{path} leaked the config");
        }
        for action in ["restore", "share", "revoke", "visibility", "delete"] {
            let p = web
                .post(
                    &format!("/resources/alice:secret-plan/{action}"),
                    &[
                        ("csrf", &csrf),
                        ("version", "1"),
                        ("user", "bob"),
                        ("level", "write"),
                        ("visibility", "public"),
                    ],
                )
                .await;
            assert_eq!(p.status, 404, "{action}");
        }
        assert_eq!(db.count("SELECT COUNT(*) FROM grants").await, 0);
        assert_eq!(db.count("SELECT COUNT(*) FROM resources").await, 2);

        // Public: readable, but not changeable; and not in bob's list (it is not his nor shared with him).
        let open = web.get("/resources/alice:open").await;
        assert_eq!(open.status, 200);
        assert!(!open.body.contains("id=\"sharing\""));
        let p = web
            .post(
                "/resources/alice:open/visibility",
                &[("csrf", &csrf), ("visibility", "private")],
            )
            .await;
        assert_eq!(p.status, 403);
        assert!(!web.get("/").await.body.contains("/alice/open"));

        // Shared read: listed and readable, restore refused.
        let share = json!({"users": ["bob"], "access_level": "read", "notify_users": false});
        assert_eq!(
            s.put("/resource/alice:secret-plan/users/access", &alice, &share)
                .await
                .0,
            200
        );
        let list = web.get("/").await;
        assert!(list.body.contains("/alice/secret-plan") && list.body.contains("badge read"));
        assert_eq!(web.get("/resources/alice:secret-plan").await.status, 200);
        let p = web
            .post(
                "/resources/alice:secret-plan/restore",
                &[("csrf", &csrf), ("version", "1")],
            )
            .await;
        assert_eq!(p.status, 403);
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn user_values_are_escaped_and_secret_fields_masked() {
    let db = TestDb::new(backends()[0]).await;
    let alice = db.user("alice", None);
    let s = db.serve();
    let data = json!({"note": "</script><script>alert(2)</script>", "password": "hunter2", "api_token": "rh_abc"});
    let mut p = payload("/alice/<script>alert(1)", &data);
    p["resource_type"] = json!("<img src=x onerror=alert(3)>");
    assert_eq!(s.post("/resource", &alice, &p).await.0, 200);
    let mut web = Web::new(&s);
    web.sign_in(&alice).await;
    for path in [
        "/",
        "/resources/alice:%3Cscript%3Ealert(1)",
        "/resources/alice:%3Cscript%3Ealert(1)/diff",
    ] {
        let page = web.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        for raw in ["<script>alert", "<img src=x", "hunter2", "rh_abc"] {
            assert!(!page.body.contains(raw), "{path} contains {raw}");
        }
        assert!(page.body.contains("&lt;script&gt;alert(1)"), "{path}");
    }
    let page = web.get("/resources/alice:%3Cscript%3Ealert(1)").await;
    assert!(
        page.body
            .contains("&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;")
    );
    assert!(page.body.contains("************"));
    s.stop();
}

// ---------------------------------------------------------------------------------------------------------
// The browser walk-through.

fn screenshot_dir() -> PathBuf {
    let dir = rh_test::service_env("RH_TEST_SCREENSHOTS").map_or_else(
        || PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

async fn browser(driver: &str, profile: &std::path::Path, javascript: bool) -> Client {
    let chromium =
        rh_test::service_env("RH_TEST_CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".to_owned());
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900", "--hide-scrollbars",
                "--force-device-scale-factor=1",
                format!("--user-data-dir={}", profile.display()),
                format!("--blink-settings=scriptEnabled={javascript}"),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver)
        .await
        .unwrap_or_else(|e| panic!("cannot start chromium through chromedriver at {driver}: {e}"))
}

struct Shots {
    dir: PathBuf,
}

impl Shots {
    async fn take(&self, c: &Client, name: &str) {
        let png = c.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "{name} is not a png");
        std::fs::write(self.dir.join(format!("{name}.png")), png).expect("write screenshot");
    }
}

/// Signs in on the login page with `token` and waits for the resource list.
async fn browser_sign_in(c: &Client, base: &str, token: &str) {
    c.goto(&format!("{base}/login")).await.expect("goto");
    element(c, "#token")
        .await
        .send_keys(token)
        .await
        .expect("type");
    click(c, "form[action='/login'] button[type=submit]").await;
    text(c, "#resources").await;
}

async fn element(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(el) => el,
        Err(e) => panic!("no {css} on {}: {e}", path(c).await),
    }
}

async fn text(c: &Client, css: &str) -> String {
    // A click that navigates can leave the old page's element in hand: retry until it reads.
    for _ in 0..50 {
        if let Ok(t) = element(c, css).await.text().await {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot read {css} on {}", path(c).await);
}

/// Waits until the text of `css` contains `needle`.
async fn wait_text(c: &Client, css: &str, needle: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(el) = c.find(Locator::Css(css)).await
            && let Ok(t) = el.text().await
        {
            if t.contains(needle) {
                return;
            }
            last = t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{css} never contained {needle:?} on {}; last: {last:?}",
        path(c).await
    );
}

async fn click(c: &Client, css: &str) {
    element(c, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Waits until the current path and query contain `needle`.
async fn wait_path(c: &Client, needle: &str) {
    for _ in 0..100 {
        if path(c).await.contains(needle) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never reached {needle}: at {}", path(c).await);
}

async fn path(c: &Client) -> String {
    let u = c.current_url().await.expect("url");
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_owned(),
    }
}

#[tokio::test]
async fn browser_walk_through_every_page() {
    let Some(driver) =
        rh_test::service_env("RH_TEST_CHROMEDRIVER").filter(|_| rh_test::integration())
    else {
        return;
    };
    let db = TestDb::new(backends()[0]).await;
    let alice = db.user("alice", Some("alice@example.com"));
    let bob = db.user("bob", Some("bob@example.com"));
    let s = db.serve();
    let model = |path: &str, epochs: u32| {
        let mut p = payload(
            "/alice/vision/resnet",
            &json!({"path": path, "framework": "torch", "epochs": epochs, "aws_secret_access_key": format!("AKIAHIDDEN{epochs}")}),
        );
        p["resource_type"] = json!("blob");
        p
    };
    assert_eq!(
        s.post("/resource", &alice, &model("s3://models/resnet-v1", 10))
            .await
            .0,
        200
    );
    assert_eq!(
        s.put(
            "/resource/alice:vision:resnet",
            &alice,
            &model("s3://models/resnet-v2", 20)
        )
        .await
        .0,
        200
    );
    let mut env = payload(
        "/alice/envs/train",
        &json!({"reqs": ["torch", "numpy"], "env_vars": {"WANDB_API_KEY": "k"}}),
    );
    env["resource_type"] = json!("env");
    assert_eq!(s.post("/resource", &alice, &env).await.0, 200);
    let mut xss = payload(
        "/alice/<script>alert(1)",
        &json!({"note": "<script>alert(2)</script>"}),
    );
    xss["resource_type"] = json!("table");
    assert_eq!(s.post("/resource", &alice, &xss).await.0, 200);
    let mut shared = payload(
        "/bob/datasets/imagenet",
        &json!({"path": "gs://bob/imagenet"}),
    );
    shared["visibility"] = json!("unlisted");
    assert_eq!(s.post("/resource", &bob, &shared).await.0, 200);
    let grant = json!({"users": ["alice"], "access_level": "read", "notify_users": false});
    assert_eq!(
        s.put("/resource/bob:datasets:imagenet/users/access", &bob, &grant)
            .await
            .0,
        200
    );
    assert_eq!(
        s.post(
            "/resource",
            &bob,
            &payload("/bob/private-notes", &json!({"x": 1}))
        )
        .await
        .0,
        200
    );

    let profile = tempfile::tempdir().expect("profile dir");
    let c = browser(&driver, profile.path(), true).await;
    let shots = Shots {
        dir: screenshot_dir(),
    };
    let base = &s.url;

    // Sign in.
    c.goto(&format!("{base}/")).await.expect("goto");
    assert_eq!(path(&c).await, "/login");
    shots.take(&c, "login").await;
    element(&c, "#token")
        .await
        .send_keys(&alice)
        .await
        .expect("type");
    click(&c, "form[action='/login'] button[type=submit]").await;
    text(&c, "#resources").await;
    assert_eq!(path(&c).await, "/");

    // The list: own and shared, with owner, access and visibility; the <script> name is text.
    let names: Vec<String> = {
        let mut v = Vec::new();
        for el in c
            .find_all(Locator::Css("#resources a.name"))
            .await
            .expect("names")
        {
            v.push(el.text().await.expect("text"));
        }
        v
    };
    for want in [
        "/alice/vision/resnet",
        "/alice/envs/train",
        "/alice/<script>alert(1)",
        "/bob/datasets/imagenet",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
    }
    assert!(!names.iter().any(|n| n.contains("private-notes")));
    assert!(c.get_alert_text().await.is_err(), "a script ran");
    let table = text(&c, "#resources").await;
    assert!(
        table.contains("bob") && table.contains("unlisted") && table.contains("owner"),
        "{table}"
    );
    shots.take(&c, "resources").await;

    // Filters: by type (select auto-submits with JS), then search by name.
    element(&c, "#type")
        .await
        .select_by_value("env")
        .await
        .expect("select");
    wait_path(&c, "type=env").await;
    let rows = c
        .find_all(Locator::Css("#resources tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    wait_text(&c, "#resources", "/alice/envs/train").await;
    c.goto(&format!("{base}/?q=RESNET")).await.expect("goto");
    assert_eq!(
        c.find_all(Locator::Css("#resources tbody tr"))
            .await
            .expect("rows")
            .len(),
        1
    );

    // The <script> resource's page shows its name and config as text.
    c.goto(&format!("{base}/")).await.expect("goto");
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::LinkText("/alice/<script>alert(1)"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    assert_eq!(text(&c, "h1.name").await, "/alice/<script>alert(1)");
    wait_text(&c, "pre.json", "<script>alert(2)</script>").await;
    assert!(c.get_alert_text().await.is_err(), "a script ran");

    // Open a resource: masked config, history of two versions.
    c.goto(&format!("{base}/")).await.expect("goto");
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::LinkText("/alice/vision/resnet"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    assert_eq!(text(&c, "h1.name").await, "/alice/vision/resnet");
    let config = text(&c, "pre.json").await;
    assert!(
        config.contains("s3://models/resnet-v2") && config.contains("************"),
        "{config}"
    );
    assert!(!c.source().await.expect("source").contains("AKIAHIDDEN"));
    let history = text(&c, ".history").await;
    assert!(
        history.contains("v1") && history.contains("v2") && history.contains("current"),
        "{history}"
    );
    c.set_window_size(1280, 1400).await.expect("resize");
    shots.take(&c, "resource").await;
    c.set_window_size(1280, 900).await.expect("resize");

    // Diff v1 → v2 (the default selection).
    click(&c, "button[form=diff-form]").await;
    text(&c, "table.diff").await;
    let at = path(&c).await;
    assert!(
        at.contains("/diff?") && at.contains("from=1") && at.contains("to=2"),
        "{at}"
    );
    let changed = c
        .find_all(Locator::Css("table.diff tr.chg"))
        .await
        .expect("rows");
    assert_eq!(
        changed.len(),
        3,
        "path, epochs and the secret changed: {}",
        text(&c, "table.diff").await
    );
    let old = text(&c, "table.diff tr.chg td.old").await;
    assert!(old.contains("10") || old.contains("resnet-v1"), "{old}");
    let diff_text = text(&c, "table.diff").await;
    assert!(
        diff_text.contains("************ (old value)")
            && diff_text.contains("************ (new value)"),
        "{diff_text}"
    );
    assert!(!c.source().await.expect("source").contains("AKIAHIDDEN"));
    shots.take(&c, "diff").await;

    // Restore v1: it becomes v3.
    c.goto(&format!("{base}/resources/alice:vision:resnet"))
        .await
        .expect("goto");
    click(&c, "button[aria-label='Restore version 1']").await;
    wait_text(&c, ".notice.ok", "Version restored").await;
    let (st, now) = s.get("/resource/alice:vision:resnet", &alice).await;
    assert_eq!(
        (st, &now["data"]["data"]["path"]),
        (200, &json!("s3://models/resnet-v1"))
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM resource_history WHERE uri = 'alice:vision:resnet'")
            .await,
        3
    );
    wait_text(&c, ".history", "v3").await;

    // Share with bob (write) and invite an email; bob can then change it through the API.
    let share = |who: &'static str, level: &'static str| {
        let c = c.clone();
        async move {
            let field = c
                .find(Locator::Css("#share-user"))
                .await
                .expect("share field");
            field.send_keys(who).await.expect("type");
            element(&c, "#share-level")
                .await
                .select_by_value(level)
                .await
                .expect("select");
            click(&c, "form[action$='/share'] button[type=submit]").await;
            wait_text(&c, ".notice.ok", "Access granted").await;
        }
    };
    share("bob", "write").await;
    share("carol@example.com", "read").await;
    wait_text(&c, "#sharing", "pending invitation").await;
    let sharing = text(&c, "#sharing").await;
    assert!(
        sharing.contains("bob") && sharing.contains("write"),
        "{sharing}"
    );
    assert!(
        sharing.contains("carol@example.com") && sharing.contains("pending invitation"),
        "{sharing}"
    );
    assert_eq!(s.get("/resource/alice:vision:resnet", &bob).await.0, 200);
    assert_eq!(
        db.strings("SELECT email FROM invitations").await,
        ["carol@example.com"]
    );
    c.execute(
        "document.getElementById('sharing').scrollIntoView()",
        vec![],
    )
    .await
    .expect("scroll");
    shots.take(&c, "sharing").await;

    // Revoke bob and the invitation.
    click(&c, "button[aria-label='Revoke access of bob']").await;
    wait_text(&c, ".notice.ok", "Access revoked").await;
    click(
        &c,
        "button[aria-label='Revoke access of carol@example.com']",
    )
    .await;
    wait_text(&c, "#sharing", "Not shared with anyone.").await;
    assert_eq!(s.get("/resource/alice:vision:resnet", &bob).await.0, 404);
    assert_eq!(db.count("SELECT COUNT(*) FROM invitations").await, 0);

    // Visibility.
    element(&c, "#visibility")
        .await
        .select_by_value("public")
        .await
        .expect("select");
    click(&c, "form[action$='/visibility'] button[type=submit]").await;
    wait_text(&c, ".notice.ok", "Visibility updated").await;
    assert_eq!(
        db.strings("SELECT visibility FROM resources WHERE uri = 'alice:vision:resnet'")
            .await,
        ["public"]
    );

    // Another user's private resource by URL.
    c.goto(&format!("{base}/resources/bob:private-notes"))
        .await
        .expect("goto");
    assert_eq!(text(&c, "h1").await, "Not found");

    // Delete, with a confirmation page.
    c.goto(&format!("{base}/resources/alice:envs:train"))
        .await
        .expect("goto");
    click(&c, ".danger-zone a.button").await;
    wait_text(&c, "h1", "Delete").await;
    click(&c, "form[action$='/delete'] button.danger").await;
    wait_text(&c, ".notice.ok", "Resource deleted").await;
    assert_eq!(
        db.count("SELECT COUNT(*) FROM resources WHERE uri = 'alice:envs:train'")
            .await,
        0
    );

    // Secrets (no Vault configured here) and account with token rotation.
    c.goto(&format!("{base}/secrets")).await.expect("goto");
    wait_text(&c, "main", "Vault is not configured on this server.").await;
    shots.take(&c, "secrets").await;
    c.goto(&format!("{base}/account")).await.expect("goto");
    let acct = text(&c, "main").await;
    assert!(
        acct.contains("alice") && acct.contains("alice@example.com"),
        "{acct}"
    );
    shots.take(&c, "account").await;
    element(&c, "#current_token")
        .await
        .send_keys(&alice)
        .await
        .expect("type the current token");
    click(&c, "form[action='/account/token'] button").await;
    let new_token = element(&c, "#token-value")
        .await
        .prop("value")
        .await
        .expect("value")
        .expect("a value");
    assert!(new_token.starts_with("rh_") && new_token != alice);
    assert_eq!(s.get("/user", &alice).await.0, 401);
    assert_eq!(s.get("/user", &new_token).await.0, 200);
    shots.take(&c, "account-rotated").await;

    // Phone width: the list stacks and stays usable.
    c.set_window_size(390, 844).await.expect("resize");
    c.goto(&format!("{base}/")).await.expect("goto");
    text(&c, "#resources").await;
    let width: Value = c
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .expect("width");
    assert!(
        width.as_u64().expect("number") <= 390,
        "page scrolls sideways at phone width: {width}"
    );
    shots.take(&c, "resources-phone").await;
    c.set_window_size(1280, 900).await.expect("resize");

    // Keyboard: the first Tab reaches the skip link.
    c.goto(&format!("{base}/")).await.expect("goto");
    element(&c, "body")
        .await
        .send_keys("\u{e004}")
        .await
        .expect("tab");
    let focused: Value = c
        .execute("return document.activeElement.textContent", vec![])
        .await
        .expect("focus");
    assert_eq!(focused, json!("Skip to content"));

    // Sign out.
    click(&c, "form[action='/logout'] button").await;
    wait_text(&c, ".notice.ok", "signed out").await;
    c.goto(&format!("{base}/account")).await.expect("goto");
    assert_eq!(path(&c).await, "/login");
    assert_eq!(db.count("SELECT COUNT(*) FROM sessions").await, 0);

    c.close().await.expect("close browser");

    // With JavaScript off: sign in, read a resource, compare two versions (all plain HTML forms and links).
    let profile = tempfile::tempdir().expect("profile dir");
    let c = browser(&driver, profile.path(), false).await;
    c.goto(&format!("{base}/login")).await.expect("goto");
    element(&c, "#token")
        .await
        .send_keys(&new_token)
        .await
        .expect("type");
    click(&c, "form[action='/login'] button[type=submit]").await;
    wait_text(&c, "#resources", "/alice/vision/resnet").await;
    c.goto(&format!("{base}/?type=blob&q=resnet"))
        .await
        .expect("goto");
    assert_eq!(
        c.find_all(Locator::Css("#resources tbody tr"))
            .await
            .expect("rows")
            .len(),
        1
    );
    c.goto(&format!("{base}/resources/alice:vision:resnet"))
        .await
        .expect("goto");
    wait_text(&c, "pre.json", "s3://models/resnet-v1").await;
    click(&c, "button[form=diff-form]").await;
    wait_text(&c, "h1", "v3 → v4").await;
    assert!(
        text(&c, "table.diff tr.add")
            .await
            .contains("\"visibility\": \"public\"")
    );
    c.close().await.expect("close browser");
    s.stop();
}

/// A named secret's page in a browser, as bob (a `read` grantee) sees it: keys with masked values, versions,
/// the Reveal button; revealing shows the value and is recorded for the owner. Screenshots `secret` and
/// `secret-revealed`.
#[tokio::test]
async fn browser_shows_a_shared_secret_masked_until_revealed() {
    let Some(driver) =
        rh_test::service_env("RH_TEST_CHROMEDRIVER").filter(|_| rh_test::integration())
    else {
        return;
    };
    let Some((addr, vtoken)) = crate::secrets::vault() else {
        return;
    };
    let db = TestDb::new(backends()[0]).await;
    let (alice_name, bob_name) = (crate::secrets::unique("sa"), crate::secrets::unique("sb"));
    let alice = db.user(&alice_name, None);
    let bob = db.user(&bob_name, None);
    let extra = crate::secrets::vault_args(&db, &addr, &vtoken);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let s = db.serve_with(&extra);
    let address = format!("/{alice_name}/openai");
    let uri = format!("{alice_name}:openai");
    let value = "sk-PAGE-shown-only-on-reveal";
    let meta = json!({"name": address, "resource_type": "secret",
        "data": {"resource_subtype": "OpenAISecret", "provider": "openai"}});
    assert_eq!(s.post("/resource", &alice, &meta).await.0, 200);
    let body = json!({"name": address, "data": {"values": {"api_key": value}}});
    for _ in 0..2 {
        assert_eq!(
            s.put(&format!("/user/secret/{uri}"), &alice, &body).await.0,
            200
        );
    }
    let grant = json!({"users": [bob_name], "access_level": "read", "notify_users": false});
    assert_eq!(
        s.put(&format!("/resource/{uri}/users/access"), &alice, &grant)
            .await
            .0,
        200
    );

    let profile = tempfile::tempdir().expect("profile dir");
    let c = browser(&driver, profile.path(), true).await;
    let shots = Shots {
        dir: screenshot_dir(),
    };
    let base = &s.url;
    browser_sign_in(&c, base, &bob).await;
    c.goto(&format!("{base}/resources/{uri}"))
        .await
        .expect("goto");
    let values = text(&c, "#values").await;
    assert!(
        values.contains("api_key") && values.contains("v2"),
        "{values}"
    );
    assert!(!values.contains(value), "{values}");
    assert!(
        c.source()
            .await
            .expect("source")
            .contains(rh_secrets::mask::MASK)
    );
    let to_values = || {
        c.execute(
            "document.getElementById('values').scrollIntoView({block: 'start'})",
            vec![],
        )
    };
    to_values().await.expect("scroll");
    shots.take(&c, "secret").await;
    click(&c, "#reveal").await;
    wait_text(&c, "#values", value).await;
    to_values().await.expect("scroll");
    shots.take(&c, "secret-revealed").await;
    c.close().await.expect("close");
    assert_eq!(
        db.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE actor = '{bob_name}' AND action = 'secret.read'"
        ))
        .await,
        1
    );

    // Alice (the owner) sees a Roll back button on the older version; clicking it makes v1's values current as v3.
    let profile = tempfile::tempdir().expect("profile dir");
    let c = browser(&driver, profile.path(), true).await;
    let to_values = || {
        c.execute(
            "document.getElementById('values').scrollIntoView({block: 'start'})",
            vec![],
        )
    };
    browser_sign_in(&c, base, &alice).await;
    c.goto(&format!("{base}/resources/{uri}"))
        .await
        .expect("goto");
    let values = text(&c, "#values").await;
    assert!(
        values.contains("Roll back to v1") && !values.contains("Roll back to v2"),
        "{values}"
    );
    to_values().await.expect("scroll");
    shots.take(&c, "secret-owner").await;
    click(&c, "#values button.rollback").await;
    wait_text(&c, "body", "Secret rolled back").await;
    let values = text(&c, "#values").await;
    assert!(values.contains("v3"), "{values}");
    c.close().await.expect("close");
    s.stop();
    db.cleanup().await;
}
