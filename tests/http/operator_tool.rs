//! The operator tool (`examples/operator.rs`, the real binary) against a hostile fake server:
//! a tiny HTTP server on 127.0.0.1 (port 0) answers each request with a canned answer; the
//! tool's exit code and output are checked.
//! - Control characters and terminal escapes in server texts (errors, status fields) are
//!   printed escaped (`\x1b`), never raw.
//! - A completion whose encoded token is junk (not base64 of OTP-length bytes; for PGP, not an
//!   OpenPGP message) exits non-zero.
//! - The OTP, the encoded token and shares are refused on the command line and read from a
//!   file or stdin.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};

/// Builds `examples/operator.rs` with this test run's profile and features; its path.
fn operator_binary() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "build",
            "--example",
            "operator",
            "--message-format=json-render-diagnostics",
        ]);
        if !cfg!(feature = "pgp") {
            cmd.arg("--no-default-features");
        }
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let out = cmd.stderr(Stdio::inherit()).output().unwrap();
        assert!(
            out.status.success(),
            "cargo build --example operator failed"
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "operator")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported no executable for the operator example")
    })
}

/// Starts a server on 127.0.0.1 that answers the i-th request with `answers[i]` (status,
/// JSON body) and then stops; returns its address.
fn fake_server(answers: Vec<(u16, String)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for (status, body) in answers {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut reader = BufReader::new(stream);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v
                        .trim()
                        .parse()
                        .expect("the tool sends a decimal Content-Length");
                }
            }
            let mut request_body = vec![0u8; length];
            let _ = reader.read_exact(&mut request_body);
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(operator_binary())
        .args(args)
        .env_remove("BAO_ADDR")
        .env_remove("VAULT_ADDR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        !out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b),
        "a raw ESC was printed: {out:?}"
    );
    out
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn status(nonce: &str, progress: u8, complete: bool, encoded: &str, fingerprint: &str) -> String {
    json!({
        "nonce": nonce, "started": true, "progress": progress, "required": 3,
        "complete": complete, "encoded_token": encoded, "encoded_root_token": encoded,
        "pgp_fingerprint": fingerprint, "otp": "", "otp_length": 28
    })
    .to_string()
}

const HOSTILE: &str = "\u{1b}[2J\u{1b}]0;owned\u{7}\rSuccess! Root token: hvs.fake\u{9b}31m";

#[test]
fn hostile_error_texts_are_shown_escaped() {
    let body = json!({ "errors": [HOSTILE] }).to_string();
    let addr = fake_server(vec![(500, body)]);
    let out = run(&["--address", &addr, "--status"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains(r"\x1b[2J\x1b]0;owned\x07\x0dSuccess!"), "{t}");
    assert!(t.contains(r"\x9b31m"), "{t}");
    assert!(
        !t.contains('\u{7}') && !t.contains('\r') && !t.contains('\u{9b}'),
        "{t:?}"
    );
}

#[test]
fn hostile_status_fields_are_shown_escaped() {
    let nonce = format!("n{HOSTILE}");
    for format in ["table", "json"] {
        let addr = fake_server(vec![(200, status(&nonce, 1, false, "", ""))]);
        let out = run(&["--address", &addr, "--status", "--format", format], "");
        let t = text(&out);
        assert_eq!(out.status.code(), Some(0), "{t}");
        assert!(
            t.contains("x1b[2J") || t.contains("u001b[2J"),
            "{format}: {t}"
        );
        assert!(
            !t.contains('\u{7}') && !t.contains('\u{9b}'),
            "{format}: {t:?}"
        );
    }
}

#[test]
fn a_junk_completion_is_an_error() {
    let share = "cIPPTAkijWd1JFNrdYbmCuaWl4ZbeF5elT+1pgnwB6Zq";
    let cases = [
        ("not base64", "!!junk!!", ""),
        ("wrong length", "AAAA", ""),
        (
            "pgp, not a message",
            "aGVsbG8gd29ybGQ=",
            "0123456789abcdef0123456789abcdef01234567",
        ),
    ];
    for (what, encoded, fingerprint) in cases {
        let addr = fake_server(vec![
            (200, status("abc", 2, false, "", fingerprint)),
            (200, status("abc", 3, true, encoded, fingerprint)),
        ]);
        let out = run(
            &["--address", &addr, "--nonce", "abc", "-"],
            &format!("{share}\n"),
        );
        assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out));
        assert!(
            text(&out).contains("Error: the server completed"),
            "{what}: {}",
            text(&out)
        );
    }
    // A well-formed completion (base64 of 28 bytes) exits 0.
    let good = "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg";
    let addr = fake_server(vec![
        (200, status("abc", 2, false, "", "")),
        (200, status("abc", 3, true, good, "")),
    ]);
    let out = run(
        &["--address", &addr, "--nonce", "abc", "-"],
        &format!("{share}\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn secrets_on_the_command_line_are_refused() {
    let addr = fake_server(vec![]);
    for args in [
        &["--decode", "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg"][..],
        &["--decode=WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg"][..],
        &["--decode", "--otp", "0123456789abcdefghijklmnopqr"][..],
        &[
            "--address",
            &addr,
            "--init",
            "--otp",
            "0123456789abcdefghijklmnopqr",
        ][..],
        &["--address", &addr, "--nonce", "abc", "c2hhcmU="][..],
    ] {
        let out = run(args, "");
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        let t = text(&out);
        assert!(
            t.contains("never taken on the command line") || t.contains("unknown"),
            "{args:?}: {t}"
        );
    }
}

#[test]
fn decode_reads_the_token_and_otp_from_files_or_stdin() {
    let dir = std::env::temp_dir().join(format!("operator-tool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let enc = dir.join("encoded");
    let otp = dir.join("otp");
    std::fs::write(&enc, "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg\n").unwrap();
    std::fs::write(&otp, "0123456789abcdefghijklmnopqr\n").unwrap();
    let (e, o) = (enc.to_str().unwrap(), otp.to_str().unwrap());
    let out = run(&["--decode", "--encoded-file", e, "--otp-file", o], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "hvs.ABCDEFGHIJKLMNOPQRSTUVWX"
    );
    // Both from stdin, the encoded token first.
    let out = run(
        &["--decode", "--encoded-file", "-", "--otp-file", "-"],
        "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg\n0123456789abcdefghijklmnopqr\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("hvs.ABCDEFGHIJKLMNOPQRSTUVWX"));
    // A junk token with the OTP: an error.
    let out = run(
        &["--decode", "--encoded-file", "-", "--otp-file", o],
        "!!!!\n",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}

// ------------------------------------------------- against the example server (feature server)

#[cfg(feature = "server")]
use crate::example_server;

/// The status of `endpoint` read by the tool (`--format json`).
#[cfg(feature = "server")]
fn status_json(addr: &str, endpoint: &[&str]) -> Value {
    let out = run(
        &[
            &["--address", addr, "--status", "--format", "json"],
            endpoint,
        ]
        .concat(),
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[cfg(feature = "server")]
#[test]
fn holders_only_start_and_cancel_present_a_share_from_a_file_or_stdin() {
    let dir = std::env::temp_dir().join(format!("operator-holder-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let registry = dir.join("registry");
    let s = example_server::Server::start(&[
        "--share-registry",
        registry.to_str().unwrap(),
        "--holders-only-start-cancel",
    ]);
    let addr = format!("http://{}", s.addr);
    let rec = ["--recovery-token"];
    let required = "a key holder's share is required in the request's 'key' field";
    let unknown = "given key is not one of this key set's shares";
    let init = |extra: &[&str], stdin: &str| {
        run(
            &[&["--address", &addr, "--recovery-token", "--init"], extra].concat(),
            stdin,
        )
    };

    // No share: the server's refusal, shown as the Go CLI shows API errors; nothing started.
    let out = init(&[], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("* {required}")),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("Code: 400"), "{}", text(&out));
    let foreign = dir.join("foreign");
    std::fs::write(&foreign, format!("{}\n", "Wlpa".repeat(11))).unwrap();
    let out = init(&["--holder-file", foreign.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("* {unknown}")),
        "{}",
        text(&out)
    );
    assert_eq!(status_json(&addr, &rec)["started"], false);

    // A share on the command line is refused before anything is sent.
    let out = init(&["--holder", &s.shares[0]], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("never taken on the command line"),
        "{}",
        text(&out)
    );

    // A registered share from stdin: started, and not counted.
    let out = init(&["--holder-file", "-"], &format!("{}\n", s.shares[0]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let status = status_json(&addr, &rec);
    assert_eq!(
        (status["started"].clone(), status["progress"].clone()),
        (json!(true), json!(0))
    );

    // Cancel: refused without a share, done with one (from a file).
    let cancel = |extra: &[&str]| {
        run(
            &[&["--address", &addr, "--recovery-token", "--cancel"], extra].concat(),
            "",
        )
    };
    let out = cancel(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("* {required}")),
        "{}",
        text(&out)
    );
    assert_eq!(status_json(&addr, &rec)["started"], true);
    let share = dir.join("share");
    std::fs::write(&share, format!("{}\n", s.shares[3])).unwrap();
    let out = cancel(&["--holder-file", share.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(status_json(&addr, &rec)["started"], false);

    // Both the OTP and the share from stdin: the OTP first.
    let otp = "0123456789abcdefghijklmnopqr";
    let out = init(
        &["--otp-file", "-", "--holder-file", "-"],
        &format!("{otp}\n{}\n", s.shares[1]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(status_json(&addr, &rec)["started"], true);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "server")]
#[test]
fn ttl_is_sent_as_the_starts_ttl() {
    let init = |addr: &str, ttl: &str| run(&["--address", addr, "--init", "--ttl", ttl], "");
    // A server without lifetimes refuses it with its own text: the field reached it.
    let s = example_server::Server::start(&[]);
    let addr = format!("http://{}", s.addr);
    let out = init(&addr, "1h");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("* this server does not support a root token lifetime ('ttl')"),
        "{t}"
    );
    assert_eq!(status_json(&addr, &[])["started"], false);
    // One with lifetimes takes it, verbatim: a bad duration gets Go's text, a good one starts.
    let s = example_server::Server::start(&["--allow-ttl"]);
    let addr = format!("http://{}", s.addr);
    let out = init(&addr, "1d");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains(r#"* invalid ttl: time: unknown unit "d" in duration "1d""#),
        "{t}"
    );
    let out = init(&addr, "1h30m");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(status_json(&addr, &[])["started"], true);
    // --ttl only goes with --init.
    let out = run(&["--address", &addr, "--status", "--ttl", "1h"], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn help_documents_ttl_and_the_holders_share() {
    let out = run(&["--help"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("--ttl DURATION") && t.contains("--holder-file FILE"),
        "{t}"
    );
}
