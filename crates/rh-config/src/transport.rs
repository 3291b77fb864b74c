//! The one check of how a token travels: a warning when it would cross a network in clear.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

static WARNED: AtomicBool = AtomicBool::new(false);

/// The host of an `http://` URL, without brackets, port or user info; `None` for other schemes.
fn plain_http_host(url: &str) -> Option<&str> {
    let rest = url.trim();
    let scheme_len = "http://".len();
    if rest.len() < scheme_len || !rest[..scheme_len].eq_ignore_ascii_case("http://") {
        return None;
    }
    let rest = &rest[scheme_len..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    Some(match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    })
}

/// True for hosts that never leave this machine: `localhost`, 127.0.0.0/8 and `::1` (also IPv4-mapped).
fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

/// True when a token sent to `url` would cross a network unencrypted: plain `http://` to a host that is not
/// loopback.
pub fn sends_token_in_clear(url: &str) -> bool {
    plain_http_host(url).is_some_and(|host| !is_loopback(host))
}

/// The warning to print (once per process) when a client of rh-server is built for `url`: `Some` the first
/// time a plain-HTTP, non-loopback URL is seen, `None` otherwise. Every rh-server client constructor calls
/// this and logs what it returns.
pub fn plain_http_warning(url: &str) -> Option<String> {
    if !sends_token_in_clear(url) || WARNED.swap(true, Ordering::Relaxed) {
        return None;
    }
    let host = plain_http_host(url).unwrap_or_default();
    Some(format!(
        "sending your rh token over plain http to {host}, which is not this machine: anyone on the \
         network path can read and reuse it; use an https:// server URL"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_https_are_quiet_others_are_not() {
        for url in [
            "http://127.0.0.1:8000",
            "http://127.3.4.5",
            "http://localhost:1/x",
            "HTTP://LOCALHOST",
            "http://[::1]:8000/",
            "http://[::ffff:127.0.0.1]:80",
            "http://user@127.0.0.1:9",
            "https://rh.example.com",
            "https://10.0.0.1:8443",
        ] {
            assert!(!sends_token_in_clear(url), "{url}");
        }
        for url in [
            "http://rh.example.com",
            "http://10.0.0.1:8000",
            "http://[2001:db8::1]:8000",
            "http://127.0.0.1.evil.com",
            "http://localhost.evil.com:80",
            "http://127.0.0.1@evil.com",
        ] {
            assert!(sends_token_in_clear(url), "{url}");
        }
    }

    #[test]
    fn the_warning_comes_once_per_process() {
        assert_eq!(plain_http_warning("http://127.0.0.1:8000"), None);
        let first = plain_http_warning("http://rh.example.com:8000").expect("a warning");
        assert!(first.contains("rh.example.com"), "{first}");
        assert_eq!(plain_http_warning("http://rh.example.com:8000"), None);
        assert_eq!(plain_http_warning("http://other.example.com"), None);
    }
}
