//! The conformance kit (`recovery_token::conformance`) against the example server, the real
//! binary over HTTP on loopback, in both dialects.
//!
//! Each test starts its own `examples/server.rs` with `--listen 127.0.0.1:0`, reads the bound
//! address and the printed shares from its stdout, and runs every rule of the kit with
//! `TcpTransport` (a new connection per request; a fresh one per thread for the concurrency
//! rule).
#![cfg(feature = "conformance")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use base64::Engine as _;
use recovery_token::conformance::{Claims, Outcome, TcpTransport, Transport, run};
use recovery_token::http::Endpoint;
use recovery_token::shares::KeyShare;
use recovery_token::tokens::TokenProfile;
use recovery_token::{Dialect, SecretString};

mod example_server;
use example_server::Server;

/// Shares of a random key of `len` bytes: a foreign key set.
fn foreign_shares(len: usize, threshold: usize, n: usize) -> Vec<SecretString> {
    let key: Vec<u8> = (0..len).map(|_| rand::random::<u8>()).collect();
    KeyShare::split(&key, threshold, n, &mut rand::rng())
        .unwrap()
        .iter()
        .map(|s| {
            let hex: String = s
                .expose_secret()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            SecretString::from(hex)
        })
        .collect()
}

fn claims_for(
    server: &Server,
    dialect: Dialect,
    profile: TokenProfile,
    threshold: usize,
) -> Claims {
    let addr = server.addr;
    let shares: Vec<SecretString> = server
        .shares
        .iter()
        .map(|s| SecretString::from(s.clone()))
        .collect();
    Claims::new(dialect, profile, threshold)
        .with_endpoints(&[Endpoint::Root, Endpoint::Recovery])
        .with_shares(shares, foreign_shares(32, threshold, 5))
        .with_recovery_mintable(true)
        .with_pgp(cfg!(feature = "pgp"))
        .with_concurrency(
            Box::new(move || Box::new(TcpTransport::new(addr)) as Box<dyn Transport + Send>),
            8,
        )
}

fn assert_conforms(report: &recovery_token::conformance::Report) {
    println!("{report}");
    let failed: Vec<&str> = report.failures().map(|r| r.name.as_str()).collect();
    assert!(failed.is_empty(), "rules failed: {failed:#?}\n{report}");
    assert!(
        report
            .results()
            .iter()
            .filter(|r| r.outcome == Outcome::Pass)
            .count()
            > 60,
        "too few rules ran:\n{report}"
    );
}

#[test]
fn example_server_conforms_in_the_vault_dialect() {
    // The example's default: a declared key length (strict share sets), a documented extension.
    let server = Server::start(&["--threshold", "3", "--shares", "5"]);
    let claims =
        claims_for(&server, Dialect::Vault, TokenProfile::VAULT, 3).with_key_length(Some(32));
    let report = run(&mut TcpTransport::new(server.addr), &claims);
    assert_conforms(&report);
    assert!(
        report
            .results()
            .iter()
            .all(|r| !matches!(r.outcome, Outcome::Skipped(_))),
        "{report}"
    );
}

#[cfg(feature = "server")]
#[test]
fn the_axum_host_example_conforms_over_http() {
    // examples/axum_host.rs: the face mounted under an axum router (threshold 3, a 32-byte key).
    let server = Server::start_binary(example_server::axum_host_binary(), &[]);
    let claims =
        claims_for(&server, Dialect::Vault, TokenProfile::VAULT, 3).with_key_length(Some(32));
    let report = run(&mut TcpTransport::new(server.addr), &claims);
    assert_conforms(&report);
    // The app's own route and middleware are still there beside the face.
    let raw = |path: &str| {
        use std::io::{Read as _, Write as _};
        let mut s = std::net::TcpStream::connect(server.addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer.to_ascii_lowercase()
    };
    let health = raw("/healthz");
    assert!(
        health.starts_with("http/1.1 200") && health.ends_with("\r\n\r\nok"),
        "{health}"
    );
    assert!(health.contains("x-served-by: axum-host"), "{health}");
    let status = raw("/v1/sys/generate-root/attempt");
    assert!(
        status.starts_with("http/1.1 200") && status.contains("x-served-by: axum-host"),
        "{status}"
    );
}

#[test]
fn example_server_conforms_in_the_openbao_dialect() {
    // Vault's and OpenBao's share checks (no declared key length): mixed lengths fail the combine.
    let server = Server::start(&[
        "--openbao",
        "--threshold",
        "3",
        "--shares",
        "5",
        "--no-strict-share-sets",
    ]);
    let claims = claims_for(&server, Dialect::OpenBao, TokenProfile::OPENBAO, 3);
    let report = run(&mut TcpTransport::new(server.addr), &claims);
    assert_conforms(&report);
}

#[test]
fn example_server_conforms_with_legacy_tokens_and_an_undisclosed_nonce() {
    // Two more of the example's options, each a claim: `s.`/`r.` tokens (26-character OTPs), and
    // the wrong-nonce text without the nonce (an extension); threshold 2.
    let server = Server::start(&[
        "--legacy-tokens",
        "--no-disclose-nonce",
        "--threshold",
        "2",
        "--shares",
        "3",
    ]);
    let claims = claims_for(&server, Dialect::Vault, TokenProfile::LEGACY, 2)
        .with_key_length(Some(32))
        .with_disclosed_nonce(false);
    let report = run(&mut TcpTransport::new(server.addr), &claims);
    assert_conforms(&report);
    // The report of a run that failed rules carries none of the shares it sent.
    let text = report.to_string();
    for share in &server.shares {
        assert!(!text.contains(share.as_str()), "a share in the report");
    }
}

#[test]
fn a_wrong_claim_is_caught() {
    // The server speaks Vault's texts; the claims say OpenBao's: the rules whose texts differ
    // must fail (the kit judges the server, it does not learn from it).
    let server = Server::start(&["--threshold", "2", "--shares", "3"]);
    let claims =
        claims_for(&server, Dialect::OpenBao, TokenProfile::VAULT, 2).with_key_length(Some(32));
    let report = run(&mut TcpTransport::new(server.addr), &claims);
    let failed: Vec<&str> = report.failures().map(|r| r.name.as_str()).collect();
    // The shares are printed base64; the kit also sends them as hex: neither may be shown.
    let text = report.to_string();
    for share in &server.shares {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(share)
            .unwrap();
        let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        assert!(
            !text.contains(share.as_str()) && !text.contains(&hex),
            "a share in the report"
        );
    }
    for rule in [
        "root: start: an OTP of the wrong length",
        "root: start while an attempt is in progress",
        "recovery: update: an empty body",
        "recovery: after the recovery token, a start is refused",
    ] {
        assert!(failed.contains(&rule), "{rule} did not fail:\n{report}");
    }
}
