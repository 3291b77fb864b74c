//! A short mixed load (the `loadmix` driver of `cargo xtask load`) on each backend: every answer as expected,
//! every key reads back as last acknowledged.
#![expect(
    clippy::print_stderr,
    reason = "the figures RELIABILITY.md reports go to the test output"
)]

use std::time::Duration;

use crate::driver::{self, Config, User};
use crate::harness::{TestDb, backends};

/// Creates the accounts; returns them with their tokens.
pub(crate) fn users(db: &TestDb, names: &[&str]) -> Vec<User> {
    names
        .iter()
        .map(|n| User {
            name: (*n).to_owned(),
            token: db.user(n, None),
        })
        .collect()
}

pub(crate) fn config(
    url: &str,
    users: &[User],
    clients: usize,
    seconds: u64,
    run_id: &str,
) -> Config {
    Config {
        url: url.to_owned(),
        users: users.to_vec(),
        clients,
        duration: Duration::from_secs(seconds),
        keys_per_client: 4,
        stop_on_transport_error: false,
        run_id: run_id.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_load_gets_only_expected_answers() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let users = users(&db, &["ann", "ben", "cat"]);
        let s = db.serve();
        let r = driver::run(&config(&s.url, &users, 8, 3, "load")).await;
        eprintln!("{kind:?}:\n{}\n{}", r.summary(), r.json());
        assert_eq!(r.error_count, 0, "{kind:?}: {:#?}", r.errors);
        for (op, n) in driver::OPS.iter().zip(r.counts) {
            assert!(n > 0, "{kind:?}: no {op} in {}", r.summary());
        }
        let v = driver::verify(&s.url, &users, &r.keys).await;
        assert_eq!(v.keys, 32);
        assert!(v.errors.is_empty(), "{kind:?}: {:#?}", v.errors);
        s.stop();
        db.cleanup().await;
    }
}
