//! Arbitrary HTTP requests against the sans-IO face, as a caller of the unauthenticated (and,
//! with a token, the gated) endpoints sends them: methods, paths with their edges, the three
//! headers, JSON and form bodies holding real shares, foreign shares, OTPs and junk, in both
//! dialects, with a namespace, driven through every host step (a host that knows one token, checks
//! the key and mints root tokens). Checks after every request: no panic; the status is one the
//! servers answer; a JSON answer is JSON; no answer ever carries the key, a share or a minted
//! token in the clear; progress never passes the threshold.
#![no_main]

use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;
use rand::rngs::StdRng;
use recovery_token::http::{Access, Face, Request, Step};
use recovery_token::shares::KeyShare;
use recovery_token::tokens::TokenProfile;
use recovery_token::{Dialect, GeneratorConfig, RecoveryTokenGenerator, Token};

const KEY: [u8; 16] = [0x42; 16];
const GOOD_TOKEN: &str = "s.goodcallertoken000000000";

#[derive(Arbitrary, Debug)]
enum Method {
    Get,
    Put,
    Post,
    Delete,
    Patch,
    List,
    Options,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Path {
    Family(u8, u8),
    Raw(String),
    Arbitrary(String),
}

#[derive(Arbitrary, Debug)]
enum Body {
    Empty,
    Start {
        otp: Option<u8>,
        pgp: bool,
    },
    Update {
        share: u8,
        nonce: NonceSel,
        form: bool,
        base64: bool,
    },
    Cancel {
        nonce: NonceSel,
    },
    DecodeToken {
        token: String,
        otp: String,
    },
    Arbitrary(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum NonceSel {
    Current,
    Arbitrary(String),
}

#[derive(Arbitrary, Debug)]
struct Call {
    method: Method,
    path: Path,
    content_type: Option<u8>,
    token: Option<bool>,
    namespace: Option<bool>,
    body: Body,
    advance_secs: u8,
}

#[derive(Arbitrary, Debug)]
struct Input {
    openbao: bool,
    threshold: u8,
    calls: Vec<Call>,
}

const FAMILIES: [&str; 6] = [
    "sys/generate-recovery-token",
    "sys/generate-root",
    "sys/replication/dr/secondary/generate-operation-token",
    "sys/generate-root-token",
    "sys/decode-token",
    "sys/raw",
];
const LEAVES: [&str; 6] = [
    "/attempt",
    "/update",
    "/attempt/",
    "//update",
    "",
    "/Attempt",
];
const CONTENT_TYPES: [&str; 5] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "application/merge-patch+json",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded; a=1; a=2",
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The nonce of the last answer that named one.
fn nonce_in(body: &str) -> Option<String> {
    let at = body.find("\"nonce\":\"")? + 9;
    let len = body[at..].find('"')?;
    Some(body[at..at + len].to_owned()).filter(|n| !n.is_empty())
}

fuzz_target!(|input: Input| {
    let threshold = usize::from(input.threshold % 4) + 1;
    let dialect = if input.openbao {
        Dialect::OpenBao
    } else {
        Dialect::Vault
    };
    let profile = if input.openbao {
        TokenProfile::OPENBAO
    } else {
        TokenProfile::VAULT
    };
    let mut rng = StdRng::seed_from_u64(7);
    let (shares, secrets): (Vec<KeyShare>, Vec<String>) = {
        let shares = if threshold == 1 {
            vec![KeyShare::from_bytes(&KEY, &KeyShare::DEFAULT_LENGTHS).expect("the key")]
        } else {
            KeyShare::split(&KEY, threshold, 5, &mut rng).expect("a split")
        };
        let texts = shares
            .iter()
            .flat_map(|s| [hex(s.expose_secret()), s.to_base64().as_str().to_owned()])
            .collect();
        (shares, texts)
    };
    let config = |profile| {
        let c = GeneratorConfig::builder(threshold)
            .with_dialect(dialect)
            .with_profile(profile)
            .with_attempt_lifetime(Duration::from_secs(120));
        RecoveryTokenGenerator::new(c.build().expect("a valid config"))
    };
    let mut face = Face::new(config(profile))
        .with_access(
            Access::enable_unauthenticated(&["generate-operation-token"]).expect("a family"),
        )
        .with_body_limit(4096);
    if input.openbao {
        face.add_namespace("ns1", config(profile))
            .expect("a new namespace");
    }
    let mut now = Instant::now();
    let mut nonce = String::new();
    let mut minted: Vec<String> = Vec::new();
    for call in input.calls.iter().take(32) {
        now += Duration::from_secs(u64::from(call.advance_secs % 64));
        let method = match &call.method {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::List => "LIST",
            Method::Options => "OPTIONS",
            Method::Other(m) => m.as_str(),
        };
        let target = match &call.path {
            Path::Family(f, l) => format!(
                "/v1/{}{}",
                FAMILIES[usize::from(*f) % FAMILIES.len()],
                LEAVES[usize::from(*l) % LEAVES.len()]
            ),
            Path::Raw(rest) => format!("/v1/sys/raw/{rest}"),
            Path::Arbitrary(p) => p.clone(),
        };
        let current = |sel: &NonceSel| match sel {
            NonceSel::Current => nonce.clone(),
            NonceSel::Arbitrary(s) => s.clone(),
        };
        let body: Vec<u8> = match &call.body {
            Body::Empty => Vec::new(),
            Body::Start { otp, pgp } => match (otp, pgp) {
                (Some(n), _) => {
                    let otp: String = "a".repeat(usize::from(*n % 40));
                    format!(r#"{{"otp":"{otp}"}}"#).into_bytes()
                }
                (None, true) => br#"{"pgp_key":"bm90IGEga2V5"}"#.to_vec(),
                (None, false) => b"{}".to_vec(),
            },
            Body::Update {
                share,
                nonce: sel,
                form,
                base64,
            } => {
                let share = &shares[usize::from(*share) % shares.len()];
                let text = if *base64 {
                    share
                        .to_base64()
                        .as_str()
                        .replace('+', "%2B")
                        .replace('/', "%2F")
                } else {
                    hex(share.expose_secret())
                };
                if *form {
                    format!("key={text}&nonce={}", current(sel)).into_bytes()
                } else {
                    let text = text.replace("%2B", "+").replace("%2F", "\\/");
                    format!(r#"{{"key":"{text}","nonce":"{}"}}"#, current(sel)).into_bytes()
                }
            }
            Body::Cancel { nonce: sel } => {
                format!(r#"{{"nonce":"{}"}}"#, current(sel)).into_bytes()
            }
            Body::DecodeToken { token, otp } => {
                serde_json::to_vec(&serde_json::json!({ "encoded_token": token, "otp": otp }))
                    .expect("JSON")
            }
            Body::Arbitrary(bytes) => bytes.clone(),
        };
        let mut request = Request::new(method, &target).with_body(&body);
        request.content_type = call
            .content_type
            .map(|c| CONTENT_TYPES[usize::from(c) % CONTENT_TYPES.len()]);
        request.token = call
            .token
            .map(|good| if good { GOOD_TOKEN } else { "s.wrong" });
        request.namespace = call.namespace.map(|ns1| if ns1 { "ns1" } else { "nope" });
        let mut step = face.handle(&request, now, &mut rng);
        let answer = loop {
            step = match step {
                Step::Answer(a) => break a,
                Step::Authorize(a) => {
                    if a.token().is_some_and(|t| t.expose_secret() == GOOD_TOKEN) {
                        a.allow(&mut face, now, &mut rng)
                    } else {
                        a.deny()
                    }
                }
                Step::ParsePgp(p) => p.parse().resume(&mut face, now, &mut rng),
                Step::CheckKey(c) => {
                    if c.key().ct_eq_bytes(&KEY) {
                        c.accept(&mut face, now, &mut rng)
                    } else {
                        c.reject(&mut face, "unable to authenticate", now)
                    }
                }
                Step::MintToken(m) => {
                    let token = m.format().mint(&mut rng);
                    minted.push(token.expose_secret().to_owned());
                    m.issue(&mut face, Token::from(token.expose_secret()), now, &mut rng)
                }
                Step::Revoke(r) => r.revoked(),
            };
        };
        let status = answer.status();
        assert!(
            matches!(
                status,
                200 | 204 | 307 | 400 | 403 | 404 | 405 | 413 | 415 | 500 | 503
            ),
            "status {status} for {method} {target}"
        );
        let text = answer.body();
        // Vault's 204 (a cancel) is `Content-Type: application/json` with no body.
        assert!(
            status != 204 || text.is_empty(),
            "a 204 with a body: {text:?}"
        );
        if status != 204 && answer.content_type() == Some("application/json") {
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(text);
            assert!(parsed.is_ok(), "not JSON: {text:?}");
            if let Some(n) = nonce_in(text) {
                nonce = n;
            }
            if let Ok(v) = parsed {
                let field = |k: &str| v.get(k).or_else(|| v.get("data").and_then(|d| d.get(k)));
                if let (Some(p), Some(r)) = (field("progress"), field("required")) {
                    assert!(
                        p.as_u64() <= r.as_u64(),
                        "progress above the threshold: {text}"
                    );
                }
            }
        }
        let lower = text.to_ascii_lowercase();
        assert!(!lower.contains(&hex(&KEY)), "the key in an answer: {text}");
        for secret in secrets.iter().chain(&minted) {
            // The decode-token endpoint hands back what its caller encoded: only a minted
            // token decoded by its own caller may appear, never from another request.
            if target.contains("decode-token") {
                continue;
            }
            assert!(
                !text.contains(secret.as_str()),
                "a secret in an answer: {text}"
            );
        }
    }
});
