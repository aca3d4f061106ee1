//! The conformance kit (`recovery_token::conformance`) against the example server, the real
//! binary over HTTP on loopback, in both dialects.
//!
//! Each test starts its own `examples/server/main.rs` with `--listen 127.0.0.1:0`, reads the bound
//! address and the printed shares from its stdout, and runs every rule of the kit with
//! `TcpTransport` (a new connection per request; a fresh one per thread for the concurrency
//! rule).
#![cfg(feature = "conformance")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use base64::Engine as _;
use recovery_token::conformance::{Authorization, Claims, Outcome, TcpTransport, Transport, run};
use recovery_token::http::Endpoint;
use recovery_token::shares::KeyShare;
use recovery_token::tokens::TokenProfile;
use recovery_token::{Dialect, SecretString};

use crate::example_server;
use crate::support::http::http;
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
        // A public test key (benches/keys/README.md) and its fingerprint as gpg prints it.
        .with_pgp_key(
            include_str!("../../benches/keys/cv25519.b64").trim(),
            "da951bba56bcee76cca6e7b6ca269010eea2a87d",
        )
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
    for path in ["/healthz", "/v1/sys/generate-root/attempt"] {
        let r = http(server.addr, "GET", path, None, &[]);
        assert_eq!(r.status, 200, "{path}: {r:?}");
        assert_eq!(r.header("x-served-by"), Some("axum-host"), "{path}: {r:?}");
        if path == "/healthz" {
            assert_eq!(r.body, "ok", "{r:?}");
        }
    }
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

/// A token file for `--token-file`, in a fresh temporary directory.
fn token_file(name: &str, token: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("rt-kit-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tokens.txt");
    std::fs::write(&path, format!("{token}\n")).unwrap();
    let arg = path.to_str().unwrap().to_owned();
    (dir, arg)
}

const TOKEN: &str = "s.ExampleServerTokenOfKit0";

#[test]
fn example_server_behind_a_token_conforms_in_the_vault_dialect() {
    // Vault 2.x's model: root and DR need a token (`--token-file`); the whole ceremony rule set
    // runs behind it, on the DR family too.
    let (dir, file) = token_file("vault", TOKEN);
    let server = Server::start(&["--threshold", "3", "--shares", "5", "--token-file", &file]);
    let claims = claims_for(&server, Dialect::Vault, TokenProfile::VAULT, 3)
        .with_key_length(Some(32))
        .with_endpoints(&[Endpoint::Root, Endpoint::Recovery, Endpoint::DrOperation])
        .with_authorization(
            Authorization::new()
                .guarded(&[Endpoint::Root, Endpoint::DrOperation])
                .open(&[Endpoint::Recovery])
                .with_decode_token(true)
                .with_token(SecretString::from(TOKEN)),
        );
    let report = run(&mut TcpTransport::new(server.addr), &claims);
    assert_conforms(&report);
    for name in [
        "root: access: without a token, status, start, update and cancel are refused",
        "dr: access: with a wrong token, status, start, update and cancel are refused",
        "dr: access: the claimed token is accepted",
        "dr: a complete ceremony (generated OTP, hex and base64 shares), token decoded",
    ] {
        let o = report.get(name).map(|r| &r.outcome);
        assert_eq!(o, Some(&Outcome::Pass), "{name}\n{report}");
    }
    assert!(!report.to_string().contains(TOKEN));
    // Claimed open, the same server refuses: the access rule fails.
    let wrong = claims_for(&server, Dialect::Vault, TokenProfile::VAULT, 3)
        .with_endpoints(&[])
        .with_authorization(Authorization::new().open(&[Endpoint::Root]));
    let report = run(&mut TcpTransport::new(server.addr), &wrong);
    let failed: Vec<&str> = report.failures().map(|r| r.name.as_str()).collect();
    assert_eq!(
        failed,
        ["root: access: open, a status without a token is answered"],
        "{report}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn example_server_behind_a_token_conforms_in_the_openbao_dialect() {
    // OpenBao 2.7.2's default model: sys/generate-root/* disabled (405), the root-token family
    // behind a token, no DR family; the recovery family open.
    let (dir, file) = token_file("openbao", TOKEN);
    let server = Server::start(&[
        "--openbao",
        "--threshold",
        "3",
        "--shares",
        "5",
        "--no-strict-share-sets",
        "--token-file",
        &file,
    ]);
    let claims = claims_for(&server, Dialect::OpenBao, TokenProfile::OPENBAO, 3)
        .with_endpoints(&[Endpoint::Recovery])
        .with_authorization(
            Authorization::new()
                .guarded(&[Endpoint::Root, Endpoint::RootToken, Endpoint::DrOperation])
                .open(&[Endpoint::Recovery])
                .with_decode_token(true)
                .with_token(SecretString::from(TOKEN)),
        );
    let report = run(&mut TcpTransport::new(server.addr), &claims);
    assert_conforms(&report);
    for name in [
        "root: access: the claimed token does not enable the disabled endpoints (405)",
        "root-token: access: the claimed token is accepted",
        "dr: access: with the claimed token, no DR family (404 unsupported path)",
    ] {
        let o = report.get(name).map(|r| &r.outcome);
        assert_eq!(o, Some(&Outcome::Pass), "{name}\n{report}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn example_server_with_a_registry_and_holders_only_start_and_cancel_conforms() {
    let dir = std::env::temp_dir().join(format!("rt-kit-registry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("registry.txt");
    let path_arg = path.to_str().unwrap().to_owned();
    let server = Server::start(&[
        "--threshold",
        "3",
        "--shares",
        "5",
        "--share-registry",
        &path_arg,
        "--holders-only-start-cancel",
    ]);
    let claims = claims_for(&server, Dialect::Vault, TokenProfile::VAULT, 3)
        .with_key_length(Some(32))
        .with_share_registry(true)
        .with_holders_only_start_cancel(true);
    let report = run(&mut TcpTransport::new(server.addr), &claims);
    assert_conforms(&report);
    for name in [
        "root: registry: a foreign share is refused at once, progress kept",
        "recovery: holders-only: a cancel without a share is refused, the attempt kept",
        "root: holders-only: a start with a foreign share is refused, nothing started",
    ] {
        let o = report.get(name).map(|r| &r.outcome);
        assert_eq!(o, Some(&Outcome::Pass), "{name}\n{report}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
