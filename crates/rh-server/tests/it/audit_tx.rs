//! Audit rows commit with their change (issue 15, item 14): with the audit log refusing inserts (a trigger), no
//! change of the database happens, from the API, the dashboard's store calls or the command line.

use serde_json::json;

use crate::harness::{Kind, TestDb, backends, payload};

/// Makes every insert into `audit_log` fail, as a full disk or a broken table would.
async fn break_the_audit_log(db: &TestDb, kind: Kind) {
    let pool = db.pool().await;
    let statements: &[&str] = match kind {
        Kind::Sqlite => &["CREATE TRIGGER audit_down BEFORE INSERT ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"],
        Kind::Postgres => &[
            "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$",
            "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION audit_down()",
        ],
    };
    for sql in statements {
        sqlx::query(sql)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    pool.close().await;
}

async fn repair_the_audit_log(db: &TestDb, kind: Kind) {
    let sql = match kind {
        Kind::Sqlite => "DROP TRIGGER audit_down",
        Kind::Postgres => "DROP TRIGGER audit_down ON audit_log",
    };
    let pool = db.pool().await;
    sqlx::query(sql)
        .execute(&pool)
        .await
        .expect("drop the trigger");
    pool.close().await;
}

#[tokio::test]
async fn a_change_whose_audit_row_cannot_be_written_does_not_happen() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", Some("alice@example.com"));
        let _bob = db.user("bob", None);
        let s = db.serve();
        let v1 = payload("/alice/x", &json!({ "n": 1 }));
        assert_eq!(s.post("/resource", &alice, &v1).await.0, 200);
        let audit_rows = db.count("SELECT COUNT(*) FROM audit_log").await;
        break_the_audit_log(&db, kind).await;

        let v2 = payload("/alice/x", &json!({ "n": 2 }));
        let failed = |st: u16| st >= 500;
        assert!(
            failed(s.put("/resource/alice:x", &alice, &v2).await.0),
            "{kind:?}"
        );
        let (_, now) = s.get("/resource/alice:x", &alice).await;
        assert_eq!(
            now["data"]["data"]["n"], 1,
            "{kind:?}: the update was rolled back"
        );
        let share = json!({"users": ["bob"], "notify_users": true});
        let st = s
            .put("/resource/alice:x/users/access", &alice, &share)
            .await
            .0;
        assert!(failed(st), "{kind:?}");
        let public = json!({"visibility": "public"});
        let st = s
            .put("/resource/alice:x/users/access", &alice, &public)
            .await
            .0;
        assert!(failed(st), "{kind:?}");
        let y = payload("/alice/y", &json!({}));
        assert!(failed(s.post("/resource", &alice, &y).await.0), "{kind:?}");
        assert!(
            failed(s.delete("/resource/alice:x", &alice).await.0),
            "{kind:?}"
        );
        let config = json!({"default_folder": "/alice/elsewhere"});
        assert!(
            failed(s.put("/user/config", &alice, &config).await.0),
            "{kind:?}"
        );
        let cli = db.cli(&["user", "create", "carol"]);
        assert!(!cli.status.success(), "{kind:?}: user create must fail");
        for verb in ["token", "revoke"] {
            let out = db.cli(&["user", verb, "alice"]);
            assert!(!out.status.success(), "{kind:?}: user {verb} must fail");
        }
        assert_eq!(
            s.get("/resource/alice:x", &alice).await.0,
            200,
            "{kind:?}: alice's token was neither replaced nor revoked"
        );

        assert_eq!(
            (
                db.count("SELECT COUNT(*) FROM resources").await,
                db.count("SELECT COUNT(*) FROM resource_history").await,
                db.count("SELECT COUNT(*) FROM grants").await,
                db.count("SELECT COUNT(*) FROM outbox").await,
                db.count("SELECT COUNT(*) FROM users WHERE username = 'carol'")
                    .await,
            ),
            (1, 1, 0, 0, 0),
            "{kind:?}: nothing changed"
        );
        assert_eq!(
            db.strings("SELECT visibility FROM resources").await,
            ["private"]
        );
        assert_eq!(
            db.strings("SELECT config FROM users WHERE username = 'alice'")
                .await,
            ["{}"]
        );

        // Once the audit log works again, the same change commits with its row.
        repair_the_audit_log(&db, kind).await;
        assert_eq!(s.put("/resource/alice:x", &alice, &v2).await.0, 200);
        assert_eq!(
            db.count("SELECT COUNT(*) FROM audit_log").await,
            audit_rows + 1,
            "{kind:?}"
        );
        s.stop();
        db.cleanup().await;
    }
}
