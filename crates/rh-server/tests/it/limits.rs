//! Connection limits and timeouts (`--header-timeout-secs`, `--idle-timeout-secs`, `--request-timeout-secs`,
//! `--max-connections`), with raw TCP clients against the real binary.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::harness::{Kind, Server, TestDb};

/// How long a test waits for something the server must do within a 1 s timeout (a liveness bound, not speed).
const PATIENCE: Duration = Duration::from_secs(15);

fn addr(s: &Server) -> String {
    s.url.trim_start_matches("http://").to_owned()
}

async fn connect(s: &Server) -> TcpStream {
    TcpStream::connect(addr(s)).await.expect("connect")
}

/// Reads until the server closes the connection; `Err` when it is still open after `wait`.
async fn closed_within(
    conn: &mut (impl tokio::io::AsyncRead + Unpin),
    wait: Duration,
) -> Result<Vec<u8>, Vec<u8>> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(wait, async {
        let mut buf = [0u8; 4096];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    match read {
        Ok(()) => Ok(got),
        Err(_) => Err(got),
    }
}

/// Sends `GET /health` on a keep-alive connection and reads its whole answer (`None` if none came in `wait`).
async fn health(conn: &mut TcpStream, wait: Duration) -> Option<String> {
    send_health(conn).await;
    answer(conn, wait).await
}

async fn send_health(conn: &mut TcpStream) {
    conn.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("send");
}

/// One whole answer (head and `Content-Length` body); `None` if it did not come within `wait`.
async fn answer(conn: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut got = Vec::new();
    let answer = tokio::time::timeout(wait, async {
        let mut buf = [0u8; 4096];
        loop {
            let n = conn.read(&mut buf).await.expect("read");
            assert!(n > 0, "closed before the answer: {got:?}");
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().to_owned())
                    })
                    .expect("content-length")
                    .parse()
                    .expect("number");
                if body.len() >= len {
                    return text.into_owned();
                }
            }
        }
    })
    .await;
    answer.ok()
}

#[tokio::test]
async fn a_half_sent_header_is_cut_off_and_idle_connections_closed() {
    let db = TestDb::new(Kind::Sqlite).await;
    let s = db.serve_with(&["--header-timeout-secs", "1", "--idle-timeout-secs", "3"]);
    // Half a header, then silence: closed after the header timeout, with no answer.
    let mut slow = connect(&s).await;
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: local")
        .await
        .expect("send");
    let got = closed_within(&mut slow, PATIENCE).await;
    assert!(
        got.is_ok(),
        "a half-sent header held the connection: {got:?}"
    );
    // Connected and silent: the header timeout runs from the connection.
    let mut silent = connect(&s).await;
    assert!(closed_within(&mut silent, PATIENCE).await.is_ok());
    // Between requests the idle timeout applies, not the header one: the connection outlives 1 s ...
    let mut kept = connect(&s).await;
    let first = health(&mut kept, PATIENCE).await.expect("answered");
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = health(&mut kept, PATIENCE).await.expect("still open");
    assert!(second.starts_with("HTTP/1.1 200"), "{second}");
    // ... and is closed once idle for longer than 3 s.
    let got = closed_within(&mut kept, PATIENCE).await;
    assert_eq!(
        got,
        Ok(Vec::new()),
        "an idle keep-alive connection stayed open"
    );
    s.stop();
}

#[tokio::test]
async fn a_request_whose_body_never_arrives_gets_408() {
    let db = TestDb::new(Kind::Sqlite).await;
    let alice = db.user("alice", None);
    let s = db.serve_with(&["--request-timeout-secs", "1"]);
    let mut conn = connect(&s).await;
    let head = format!(
        "PUT /user/config HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {alice}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"default_folder\""
    );
    conn.write_all(head.as_bytes()).await.expect("send");
    let got = closed_within(&mut conn, PATIENCE).await.expect("closed");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request timed out"), "{text}");
    // The server still answers everyone else.
    assert_eq!(s.get("/user", &alice).await.0, 200);
    s.stop();
}

#[tokio::test]
async fn max_connections_holds_the_next_client_until_one_closes() {
    let db = TestDb::new(Kind::Sqlite).await;
    let s = db.serve_with(&[
        "--max-connections",
        "2",
        "--header-timeout-secs",
        "60",
        "--idle-timeout-secs",
        "60",
    ]);
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut c = connect(&s).await;
        let got = health(&mut c, PATIENCE).await.expect("served");
        assert!(got.starts_with("HTTP/1.1 200"), "{got}");
        open.push(c);
    }
    // Two idle keep-alive connections are open: a third client is not served ...
    let mut third = connect(&s).await;
    send_health(&mut third).await;
    assert_eq!(
        answer(&mut third, Duration::from_secs(2)).await,
        None,
        "served a connection past --max-connections"
    );
    // ... until one of them closes.
    drop(open.pop());
    let text = answer(&mut third, PATIENCE)
        .await
        .expect("served after one closed");
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    // The one still open is still served.
    let got = health(&mut open[0], PATIENCE).await.expect("served");
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    s.stop();
}

#[test]
fn the_binary_documents_the_connection_flags() {
    let out = std::process::Command::new(crate::harness::BIN)
        .args(["serve", "--help"])
        .output()
        .expect("run");
    let help = rh_test::stdout(&out);
    for flag in [
        "--header-timeout-secs",
        "--idle-timeout-secs",
        "--request-timeout-secs",
        "--max-connections",
        "--trusted-proxy",
    ] {
        assert!(help.contains(flag), "{flag} missing from serve --help");
    }
    for bad in [
        ["--max-connections", "0"],
        ["--header-timeout-secs", "0"],
        ["--trusted-proxy", "10.0.0.0/40"],
    ] {
        let out = std::process::Command::new(crate::harness::BIN)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(bad)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(rh_test::stdout(&out).is_empty(), "{bad:?} started a server");
        assert!(rh_test::stderr(&out).contains(bad[0]), "{bad:?}");
    }
}

#[tokio::test]
async fn under_tls_a_half_sent_header_is_cut_off_too() {
    use std::sync::Arc;

    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, ServerName};
    use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto::ring};

    let db = TestDb::new(Kind::Sqlite).await;
    let (cert, key) = rh_test::self_signed_cert(db.tmp.path());
    let (c, k) = (cert.display().to_string(), key.display().to_string());
    let s = db.serve_with(&[
        "--tls-cert",
        &c,
        "--tls-key",
        &k,
        "--header-timeout-secs",
        "1",
    ]);
    let mut roots = RootCertStore::empty();
    for der in CertificateDer::pem_file_iter(&cert).expect("pem") {
        roots.add(der.expect("cert")).expect("root");
    }
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(s.url.trim_start_matches("https://"))
        .await
        .expect("connect");
    let name = ServerName::try_from("localhost").expect("name");
    let mut tls = connector.connect(name, tcp).await.expect("handshake");
    tls.write_all(b"GET /health HTTP/1.1\r\nHost: local")
        .await
        .expect("send");
    let got = closed_within(&mut tls, PATIENCE).await;
    assert_eq!(
        got,
        Ok(Vec::new()),
        "a half-sent header held a TLS connection"
    );
    s.stop();
}
