//! Who sees which history (issue 15, items 11 and 13): one incarnation per resource, readers from the version
//! they could first read, the owner's purge, restores that keep the visibility, pages with a cursor.

use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::harness::{Server, TestDb, assert_error, backends, payload};

fn versions(body: &Value) -> Vec<i64> {
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no list in {body}"))
        .iter()
        .map(|e| e["version"].as_i64().expect("version"))
        .collect()
}

fn with_secret(address: &str, password: &str, visibility: &str) -> Value {
    let mut p = payload(address, &json!({ "password": password }));
    p["visibility"] = json!(visibility);
    p
}

#[tokio::test]
async fn a_recreated_resource_does_not_show_its_deleted_predecessors_history() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let bob = db.user("bob", None);
        let s = db.serve();
        // A private /alice/db holding a password, changed once, then deleted.
        let old = with_secret("/alice/db", "hunter2-private", "private");
        assert_eq!(s.post("/resource", &alice, &old).await.0, 200);
        let old2 = with_secret("/alice/db", "hunter3-private", "private");
        assert_eq!(s.put("/resource/alice:db", &alice, &old2).await.0, 200);
        assert_eq!(s.delete("/resource/alice:db", &alice).await.0, 200);
        // A new, public /alice/db.
        let new = with_secret("/alice/db", "nothing-here", "public");
        assert_eq!(s.post("/resource", &alice, &new).await.0, 200);

        for (who, token) in [("bob", &bob), ("alice", &alice)] {
            let (st, body) = s.get("/resource/history/alice:db", token).await;
            assert_eq!(st, 200, "{kind:?} {who}: {body}");
            assert_eq!(
                versions(&body),
                [4],
                "{kind:?} {who}: only the new incarnation"
            );
            assert!(
                !body.to_string().contains("private"),
                "{kind:?} {who}: {body}"
            );
            // Nor by asking for an older page.
            let (_, older) = s
                .get("/resource/history/alice:db?before=4&limit=10", token)
                .await;
            assert_eq!(versions(&older), Vec::<i64>::new(), "{kind:?} {who}");
        }
        // The old rows are kept (the owner may purge them), but no API answer reaches them.
        assert_eq!(db.count("SELECT COUNT(*) FROM resource_history").await, 4);
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn readers_see_the_versions_from_the_one_current_when_they_could_first_read() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let bob = db.user("bob", None);
        let carol = db.user("carol", None);
        let s = db.serve();
        let v = |pw: &str| with_secret("/alice/app", pw, "private");
        assert_eq!(s.post("/resource", &alice, &v("v1-secret")).await.0, 200);
        assert_eq!(
            s.put("/resource/alice:app", &alice, &v("v2-secret"))
                .await
                .0,
            200
        );
        assert_eq!(
            s.put("/resource/alice:app", &alice, &v("v3-shared"))
                .await
                .0,
            200
        );
        let share = json!({"users": ["bob"], "access_level": "read", "notify_users": false});
        assert_eq!(
            s.put("/resource/alice:app/users/access", &alice, &share)
                .await
                .0,
            200
        );
        let (_, body) = s.get("/resource/history/alice:app", &bob).await;
        assert_eq!(versions(&body), [3], "{kind:?}: from the grant on");
        assert!(!body.to_string().contains("-secret"), "{kind:?}: {body}");
        assert_eq!(s.put("/resource/alice:app", &alice, &v("v4")).await.0, 200);
        let (_, body) = s.get("/resource/history/alice:app", &bob).await;
        assert_eq!(versions(&body), [4, 3], "{kind:?}");
        // Raising the grant to write keeps where it started.
        let write = json!({"users": ["bob"], "access_level": "write", "notify_users": false});
        s.put("/resource/alice:app/users/access", &alice, &write)
            .await;
        let (_, body) = s.get("/resource/history/alice:app", &bob).await;
        assert_eq!(versions(&body), [4, 3], "{kind:?}");

        // Everyone else: nothing while private; from the change that made it public on.
        assert_eq!(s.get("/resource/history/alice:app", &carol).await.0, 404);
        let public = json!({"visibility": "public"});
        assert_eq!(
            s.put("/resource/alice:app/users/access", &alice, &public)
                .await
                .0,
            200
        );
        let (_, body) = s.get("/resource/history/alice:app", &carol).await;
        assert_eq!(
            versions(&body),
            [5],
            "{kind:?}: from the visibility change on"
        );
        assert_eq!(
            s.put("/resource/alice:app", &alice, &{
                let mut p = v("v6");
                p["visibility"] = json!("public");
                p
            })
            .await
            .0,
            200
        );
        let (_, body) = s.get("/resource/history/alice:app", &carol).await;
        assert_eq!(versions(&body), [6, 5], "{kind:?}");
        // Private again, then unlisted: the private spell stays hidden.
        let mut p = v("v7-private-again");
        p["visibility"] = json!("private");
        assert_eq!(s.put("/resource/alice:app", &alice, &p).await.0, 200);
        assert_eq!(s.get("/resource/history/alice:app", &carol).await.0, 404);
        let unlisted = json!({"visibility": "unlisted"});
        s.put("/resource/alice:app/users/access", &alice, &unlisted)
            .await;
        let (_, body) = s.get("/resource/history/alice:app", &carol).await;
        assert_eq!(versions(&body), [8], "{kind:?}");
        // Bob, granted at 3, still sees from 3; the owner sees all.
        let (_, body) = s.get("/resource/history/alice:app?limit=100", &bob).await;
        assert_eq!(versions(&body), [8, 7, 6, 5, 4, 3], "{kind:?}");
        let (_, body) = s.get("/resource/history/alice:app", &alice).await;
        assert_eq!(versions(&body), [8, 7, 6, 5, 4, 3, 2, 1], "{kind:?}");

        // The dashboard's diff and restore pages go by the same rule.
        let mut web = Web::sign_in(&s, &bob).await;
        assert_eq!(
            web.get("/resources/alice:app/diff?from=2&to=8").await.0,
            404
        );
        assert_eq!(
            web.get("/resources/alice:app/diff?from=3&to=8").await.0,
            200
        );
        let page = web.get("/resources/alice:app").await.1;
        assert!(
            page.contains("Compare from version 3") && !page.contains("Compare from version 2"),
            "{kind:?}: the history table lists versions 3 and later"
        );
        let csrf = csrf(&page);
        let (st, _, _) = web
            .post(
                "/resources/alice:app/restore",
                &[("csrf", &csrf), ("version", "2")],
            )
            .await;
        assert_eq!(st, 400, "{kind:?}: version 2 is not bob's to restore");
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_owner_purges_the_history_and_nobody_else_can() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let bob = db.user("bob", None);
        let carol = db.user("carol", None);
        let s = db.serve();
        let v = |pw: &str| with_secret("/alice/p", pw, "private");
        assert_eq!(s.post("/resource", &alice, &v("one")).await.0, 200);
        assert_eq!(s.put("/resource/alice:p", &alice, &v("two")).await.0, 200);
        assert_eq!(s.delete("/resource/alice:p", &alice).await.0, 200);
        assert_eq!(s.post("/resource", &alice, &v("three")).await.0, 200);
        assert_eq!(s.put("/resource/alice:p", &alice, &v("four")).await.0, 200);
        let share = json!({"users": ["bob"], "access_level": "write", "notify_users": false});
        s.put("/resource/alice:p/users/access", &alice, &share)
            .await;

        assert_error(
            &s.delete("/resource/history/alice:p", &bob).await,
            403,
            "only alice",
        );
        assert_eq!(s.delete("/resource/history/alice:p", &carol).await.0, 404);
        let (st, body) = s.delete("/resource/history/alice:p", &alice).await;
        assert_eq!((st, &body["data"]["purged"]), (200, &json!(4)), "{kind:?}");
        let (_, hist) = s.get("/resource/history/alice:p", &alice).await;
        assert_eq!(versions(&hist), [5], "{kind:?}");
        assert_eq!(hist["data"][0]["data"]["data"]["password"], "four");
        assert_eq!(db.count("SELECT COUNT(*) FROM resource_history").await, 1);
        assert_eq!(s.get("/resource/alice:p", &alice).await.0, 200);
        assert_eq!(
            db.strings("SELECT detail FROM audit_log WHERE action = 'resource.purge'")
                .await,
            ["4 entries"]
        );

        // A deleted resource's history goes whole; the dashboard button does the same for the owner.
        assert_eq!(s.put("/resource/alice:p", &alice, &v("five")).await.0, 200);
        let mut web = Web::sign_in(&s, &alice).await;
        let page = web.get("/resources/alice:p").await.1;
        assert!(page.contains("Purge history"), "{kind:?}");
        let (st, location, _) = web
            .post(
                "/resources/alice:p/purge-history",
                &[("csrf", &csrf(&page))],
            )
            .await;
        assert_eq!(
            (st, location.as_str()),
            (303, "/resources/alice:p?done=purged#history")
        );
        assert_eq!(db.count("SELECT COUNT(*) FROM resource_history").await, 1);
        let mut bob_web = Web::sign_in(&s, &bob).await;
        let page = bob_web.get("/resources/alice:p").await.1;
        assert!(!page.contains("Purge history"), "{kind:?}: owner only");
        let (st, _, _) = bob_web
            .post(
                "/resources/alice:p/purge-history",
                &[("csrf", &csrf(&page))],
            )
            .await;
        assert_eq!(st, 403, "{kind:?}");
        assert_eq!(s.delete("/resource/alice:p", &alice).await.0, 200);
        assert_eq!(s.delete("/resource/history/alice:p", &alice).await.0, 200);
        assert_eq!(db.count("SELECT COUNT(*) FROM resource_history").await, 0);
        assert_eq!(s.get("/resource/history/alice:p", &alice).await.0, 404);
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_dashboard_restore_keeps_the_current_visibility_unless_asked() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let s = db.serve();
        // v1 was public; v2 made it private.
        let mut v1 = payload("/alice/r", &json!({ "n": 1 }));
        v1["visibility"] = json!("public");
        assert_eq!(s.post("/resource", &alice, &v1).await.0, 200);
        let mut v2 = payload("/alice/r", &json!({ "n": 2 }));
        v2["visibility"] = json!("private");
        assert_eq!(s.put("/resource/alice:r", &alice, &v2).await.0, 200);

        let mut web = Web::sign_in(&s, &alice).await;
        let page = web.get("/resources/alice:r").await.1;
        assert!(
            page.contains("Before you make it unlisted or public"),
            "{kind:?}"
        );
        let csrf = csrf(&page);
        let (st, _, body) = web
            .post(
                "/resources/alice:r/restore",
                &[("csrf", &csrf), ("version", "1")],
            )
            .await;
        assert_eq!(st, 303, "{kind:?}: {body}");
        let vis = "SELECT visibility FROM resources WHERE uri = 'alice:r'";
        assert_eq!(db.strings(vis).await, ["private"], "{kind:?}");
        let (_, now) = s.get("/resource/alice:r", &alice).await;
        assert_eq!(
            (&now["data"]["data"]["n"], &now["data"]["visibility"]),
            (&json!(1), &json!("private"))
        );
        // Asked for: the restore sets it.
        let (st, _, _) = web
            .post(
                "/resources/alice:r/restore",
                &[
                    ("csrf", &csrf),
                    ("version", "2"),
                    ("visibility", "unlisted"),
                ],
            )
            .await;
        assert_eq!(st, 303);
        assert_eq!(db.strings(vis).await, ["unlisted"], "{kind:?}");
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn history_is_paged_with_a_cursor() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let s = db.serve();
        assert_eq!(
            s.post(
                "/resource",
                &alice,
                &payload("/alice/many", &json!({ "n": 1 }))
            )
            .await
            .0,
            200
        );
        for n in 2..=250 {
            let p = payload("/alice/many", &json!({ "n": n }));
            assert_eq!(s.put("/resource/alice:many", &alice, &p).await.0, 200);
        }
        let (st, first) = s.get("/resource/history/alice:many", &alice).await;
        assert_eq!(st, 200);
        let got = versions(&first);
        assert_eq!((got.len(), got[0], got[99]), (100, 250, 151), "{kind:?}");
        assert_eq!(first["next"], 151, "{kind:?}");
        let (_, second) = s
            .get("/resource/history/alice:many?before=151", &alice)
            .await;
        let got = versions(&second);
        assert_eq!((got.len(), got[0], got[99]), (100, 150, 51), "{kind:?}");
        assert_eq!(second["next"], 51);
        let (_, last) = s
            .get("/resource/history/alice:many?before=51&limit=100", &alice)
            .await;
        assert_eq!(versions(&last), (1..=50).rev().collect::<Vec<_>>());
        assert_eq!(last["next"], Value::Null);
        // `num_entries` (the original client's name) and a large limit: one page of the most a page holds.
        let (_, all) = s
            .get("/resource/history/alice:many?num_entries=5000", &alice)
            .await;
        assert_eq!((versions(&all).len(), &all["next"]), (250, &Value::Null));
        let (_, two) = s.get("/resource/history/alice:many?limit=2", &alice).await;
        assert_eq!(
            (versions(&two), &two["next"]),
            (vec![250, 249], &json!(249))
        );
        assert_error(
            &s.get("/resource/history/alice:many?before=x", &alice).await,
            400,
            "before",
        );
        // The dashboard lists 100 versions a page, with a link to the older ones.
        let mut web = Web::sign_in(&s, &alice).await;
        let page = web.get("/resources/alice:many").await.1;
        assert!(
            page.contains("Compare from version 151") && !page.contains("Compare from version 150"),
            "{kind:?}"
        );
        assert!(
            page.contains("?before=151#history"),
            "{kind:?}: a link to older versions"
        );
        let older = web.get("/resources/alice:many?before=151").await.1;
        assert!(
            older.contains("Compare from version 150") && older.contains("Compare from version 51"),
            "{kind:?}"
        );
        // The diff page reads the two versions it shows (default: the current one and the one before).
        let (st, diff) = web.get("/resources/alice:many/diff").await;
        assert!(st == 200 && diff.contains("v249 → v250"), "{kind:?}: {st}");
        let (st, diff) = web.get("/resources/alice:many/diff?from=1&to=250").await;
        assert!(st == 200 && diff.contains("v1 → v250"), "{kind:?}: {st}");
        s.stop();
        db.cleanup().await;
    }
}

/// A dashboard session over plain HTTP (no redirects followed).
struct Web {
    base: String,
    http: reqwest::Client,
    cookie: String,
}

fn csrf(body: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let at = body.find(marker).expect("a csrf field") + marker.len();
    body[at..].split('"').next().expect("value").to_owned()
}

impl Web {
    async fn sign_in(server: &Server, token: &str) -> Self {
        let mut web = Self {
            base: server.url.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            cookie: String::new(),
        };
        let (_, _, login) = web.send(web.http.get(format!("{}/login", web.base))).await;
        let (st, _, body) = web
            .post("/login", &[("csrf", &csrf(&login)), ("token", token)])
            .await;
        assert_eq!(st, 303, "{body}");
        web
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> (u16, String, String) {
        let res = req
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("http request");
        let cookies: Vec<String> = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next().map(str::to_owned))
            .collect();
        if !cookies.is_empty() {
            self.cookie = cookies.join("; ");
        }
        let location = res
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let status = res.status().as_u16();
        (status, location, res.text().await.expect("body"))
    }

    async fn get(&mut self, path: &str) -> (u16, String) {
        let (st, _, body) = self
            .send(self.http.get(format!("{}{path}", self.base)))
            .await;
        (st, body)
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
