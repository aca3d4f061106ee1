//! The kit's own judgement: against the crate's generator routed in memory it passes (but for
//! the rules the request decoder does not meet yet), and a deliberately wrong server fails
//! exactly the rules it breaks.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::*;
use crate::client::Method;
use crate::config::{GeneratorConfig, GeneratorConfigBuilder};
use crate::generator::HostReason;
use crate::generator::{ExpectedKey, Host, RecoveryTokenGenerator};
use crate::http::{self, Access, Face};
use crate::secret::{CombinedKey, Token};
use crate::vocabulary::Strategy;

struct TestHost {
    key: ExpectedKey,
    profile: TokenProfile,
}

impl Host for TestHost {
    fn check_key(&mut self, strategy: Strategy, key: &CombinedKey) -> Result<(), HostReason> {
        self.key.check_key(strategy, key)
    }

    fn mint_token(&mut self, strategy: Strategy) -> Result<Token, HostReason> {
        Ok(self.profile.format(strategy).mint(&mut rand::rng()))
    }
}

struct Inner {
    face: Face,
    host: TestHost,
}

/// The crate's HTTP face in memory (no sockets); clones share one slot.
#[derive(Clone)]
struct InMemory(Arc<Mutex<Inner>>);

impl InMemory {
    fn new(key: &[u8], config: GeneratorConfig) -> Self {
        let profile = config.profile();
        // The kit sends no token: the root family is open, as Vault 1.x served it.
        let access = Access::enable_unauthenticated(&["generate-root"]).unwrap();
        Self(Arc::new(Mutex::new(Inner {
            face: Face::new(RecoveryTokenGenerator::new(config)).with_access(access),
            host: TestHost {
                key: ExpectedKey::new(key),
                profile,
            },
        })))
    }
}

impl Transport for InMemory {
    fn send(&mut self, request: &Request) -> Result<Response, TransportError> {
        let mut inner = self.0.lock().unwrap();
        let Inner { face, host } = &mut *inner;
        let r = request.to_face();
        let answer = http::serve(face, &r, Instant::now(), &mut rand::rng(), host, |_| true);
        Ok(Response::from_answer(&answer))
    }
}

/// Rewrites some answers of the server it wraps.
struct Wrong<F> {
    server: InMemory,
    rewrite: F,
}

impl<F: FnMut(&Request, Response) -> Response> Transport for Wrong<F> {
    fn send(&mut self, request: &Request) -> Result<Response, TransportError> {
        let r = self.server.send(request)?;
        Ok((self.rewrite)(request, r))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

struct Setup {
    server: InMemory,
    claims: Claims,
    shares: Vec<String>,
}

fn setup() -> Setup {
    setup_with(|c| c)
}

fn setup_with(config: impl FnOnce(GeneratorConfigBuilder) -> GeneratorConfigBuilder) -> Setup {
    let key: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
    let other: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
    let shares: Vec<String> = crate::shares::KeyShare::split(&key, 2, 3, &mut rand::rng())
        .unwrap()
        .iter()
        .map(|s| hex(s.expose_secret()))
        .collect();
    let foreign = crate::shares::KeyShare::split(&other, 2, 3, &mut rand::rng())
        .unwrap()
        .iter()
        .map(|s| SecretString::from(hex(s.expose_secret())))
        .collect();
    let config = config(GeneratorConfig::builder(2)).build().unwrap();
    let (dialect, profile) = (config.dialect(), config.profile());
    let server = InMemory::new(&key, config);
    let factory_server = server.clone();
    let claims = Claims::new(dialect, profile, 2)
        .with_endpoints(&[Endpoint::Root, Endpoint::Recovery])
        .with_shares(
            shares
                .iter()
                .map(|s| SecretString::from(s.clone()))
                .collect(),
            foreign,
        )
        .with_recovery_mintable(true)
        .with_pgp(cfg!(feature = "pgp"))
        .with_concurrency(
            Box::new(move || Box::new(factory_server.clone()) as Box<dyn Transport + Send>),
            4,
        );
    Setup {
        server,
        claims,
        shares,
    }
}

fn failed(report: &Report) -> BTreeSet<String> {
    report.failures().map(|r| r.name.clone()).collect()
}

#[test]
fn the_crates_own_generator_passes() {
    let mut s = setup();
    let report = run(&mut s.server, &s.claims);
    let unexpected = failed(&report);
    assert!(unexpected.is_empty(), "{unexpected:?}\n{report}");
    assert!(report.results().len() > 100, "{report}");
    assert!(
        report
            .get("root: concurrent final updates: exactly one completion")
            .is_some_and(|r| r.outcome == Outcome::Pass),
        "{report}"
    );
    assert!(
        report
            .get("recovery: concurrent final updates: exactly one completion")
            .is_some_and(|r| r.outcome == Outcome::Pass),
        "{report}"
    );
    let text = report.to_string();
    assert!(text.ends_with("skipped"), "{text}");
}

#[test]
fn the_face_passes_in_the_openbao_dialect() {
    let mut s = setup_with(|c| {
        c.with_dialect(Dialect::OpenBao)
            .with_profile(TokenProfile::OPENBAO)
    });
    let report = run(&mut s.server, &s.claims);
    let unexpected = failed(&report);
    assert!(unexpected.is_empty(), "{unexpected:?}\n{report}");
    assert!(report.results().len() > 100, "{report}");
}

/// Runs the kit against the in-memory server with `rewrite` applied, and returns the rules that
/// fail now but not without it (and asserts that none passes only with it).
fn newly_failed(rewrite: impl FnMut(&Request, Response) -> Response) -> (BTreeSet<String>, Report) {
    let mut s = setup();
    let baseline = failed(&run(&mut s.server, &s.claims));
    let mut s = setup();
    let mut wrong = Wrong {
        server: s.server.clone(),
        rewrite,
    };
    let report = run(&mut wrong, &s.claims);
    let now = failed(&report);
    assert!(
        baseline.is_subset(&now),
        "a wrong server passed a rule the right one fails:\n{report}"
    );
    let _ = &mut s.shares;
    (now.difference(&baseline).cloned().collect(), report)
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn a_wrong_error_text_fails_exactly_its_rules() {
    // The wrong text on every answer to `{"otp":"short"}`: the rules that send that body.
    let (failed, report) = newly_failed(|req, mut r| {
        if &req.body[..] == br#"{"otp":"short"}"# {
            r.body =
                zeroize::Zeroizing::new(br#"{"errors":["OTP has the wrong length"]}"#.to_vec());
        }
        r
    });
    assert_eq!(
        failed,
        set(&[
            "root: start: an OTP of the wrong length",
            "recovery: start: an OTP of the wrong length",
            "root: start: the inputs are checked before the slot",
            "recovery: start: the inputs are checked before the slot",
            "recovery: after the recovery token, the check order of a start",
        ]),
        "{report}"
    );
    assert!(
        report.to_string().contains("OTP has the wrong length"),
        "{report}"
    );
}

#[test]
fn a_text_plain_error_fails_exactly_its_rule() {
    let (failed, report) = newly_failed(|req, mut r| {
        if &req.body[..] == br#"{"key":"zz"}"# {
            r.content_type = Some("text/plain; charset=utf-8".to_owned());
        }
        r
    });
    assert_eq!(
        failed,
        set(&[
            "root: update: a key neither hex nor base64",
            "recovery: update: a key neither hex nor base64"
        ]),
        "{report}"
    );
}

#[test]
fn a_wrong_key_order_fails_exactly_its_rule() {
    // Status answers showing one share held, re-serialized with the keys sorted.
    let (failed, report) = newly_failed(|req, mut r| {
        if req.method == Method::Get && r.body.windows(14).any(|w| w == b"\"progress\":1,\"") {
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            r.body = zeroize::Zeroizing::new(serde_json::to_vec(&v).unwrap());
        }
        r
    });
    assert_eq!(
        failed,
        set(&[
            "root: refused updates keep the attempt and its shares",
            "recovery: refused updates keep the attempt and its shares",
        ]),
        "{report}"
    );
}

#[test]
fn two_completions_fail_the_one_completion_rule_and_secrets_stay_out_of_the_report() {
    // A server that leaks: every refusal of a final concurrent update is turned into a copy of
    // the winner's answer (two completions), and wrong-nonce refusals echo the share.
    let s = setup();
    let share = s.shares[0].clone();
    let winner: Arc<Mutex<Option<Response>>> = Arc::default();
    let w = Arc::clone(&winner);
    let rewrite = move |req: &Request, mut r: Response| {
        let body = String::from_utf8_lossy(&req.body).into_owned();
        if r.status == 200
            && body.contains("\"key\"")
            && r.body.windows(15).any(|x| x == b"\"complete\":true")
        {
            *w.lock().unwrap() = Some(r.clone());
        } else if r.status == 400
            && body.contains("\"key\"")
            && r.body.windows(8).any(|x| x == b"no root ")
            && let Some(first) = w.lock().unwrap().clone()
        {
            return first;
        }
        if body.contains("not-the-nonce") {
            r.body = zeroize::Zeroizing::new(
                format!("{{\"errors\":[\"bad nonce for key {share}\"]}}").into_bytes(),
            );
        }
        r
    };
    let server = s.server.clone();
    let rewrite = Arc::new(Mutex::new(rewrite));
    let factory_rewrite = Arc::clone(&rewrite);
    let factory_server = server.clone();
    struct Shared<F>(InMemory, Arc<Mutex<F>>);
    impl<F: FnMut(&Request, Response) -> Response> Transport for Shared<F> {
        fn send(&mut self, request: &Request) -> Result<Response, TransportError> {
            let r = self.0.send(request)?;
            Ok((self.1.lock().unwrap())(request, r))
        }
    }
    let claims = s.claims.with_concurrency(
        Box::new(move || {
            Box::new(Shared(factory_server.clone(), Arc::clone(&factory_rewrite)))
                as Box<dyn Transport + Send>
        }),
        4,
    );
    let report = run(&mut Shared(server, rewrite), &claims);
    let fails = failed(&report);
    assert!(
        fails.contains("root: concurrent final updates: exactly one completion"),
        "{report}"
    );
    assert!(
        fails.contains("root: update with another nonce"),
        "{report}"
    );
    assert!(!report.is_success());
    let text = report.to_string();
    for secret in &s.shares {
        assert!(
            !text.contains(secret.as_str()),
            "a share in the report:\n{text}"
        );
        assert!(
            !text.contains(&secret.to_uppercase()),
            "a share in the report:\n{text}"
        );
    }
    assert!(text.contains("bad nonce for key <redacted>"), "{text}");
    assert!(text.contains("\"encoded_token\":\"<redacted>\""), "{text}");
}

#[test]
fn allowed_differences_and_skips_are_not_failures() {
    let mut s = setup();
    let claims = Claims::new(Dialect::OpenBao, TokenProfile::VAULT, 2)
        .allow_difference("recovery: start: an OTP of the wrong length", "documented");
    let report = run(&mut s.server, &claims);
    let r = report
        .get("recovery: start: an OTP of the wrong length")
        .unwrap();
    assert!(
        matches!(&r.outcome, Outcome::Allowed { why, .. } if why == "documented"),
        "{report}"
    );
    // Vault's texts where the claims say OpenBao's: the other texts that differ still fail.
    assert!(
        report
            .failures()
            .any(|r| r.name == "recovery: update: an empty body"),
        "{report}"
    );
    assert!(
        report
            .get("recovery: a complete ceremony")
            .is_some_and(|r| matches!(r.outcome, Outcome::Skipped(_)))
    );
    assert!(
        report
            .to_string()
            .contains("allowed  [§3] recovery: start: an OTP of the wrong length (documented)")
    );
}

#[test]
fn a_nonce_bound_cancel_is_a_claim() {
    let mut s = setup_with(|c| c.with_cancel_requires_nonce(true));
    let claims = s.claims.with_cancel_requires_nonce(true);
    let report = run(&mut s.server, &claims);
    let unexpected = failed(&report);
    assert!(unexpected.is_empty(), "{unexpected:?}\n{report}");
    let rule = "root: a cancel without the attempt's nonce is refused (cancel_requires_nonce)";
    assert_eq!(
        report.get(rule).map(|r| &r.outcome),
        Some(&Outcome::Pass),
        "{report}"
    );
    // Without the claim, the kit's plain cancel is refused: it notices.
    let mut s = setup_with(|c| c.with_cancel_requires_nonce(true));
    let report = run(&mut s.server, &s.claims);
    assert!(
        failed(&report).contains("root: cancel clears the attempt and its shares"),
        "{report}"
    );
    // And a host that ignores the nonce fails the claimed refusal.
    let mut s = setup();
    let claims = s.claims.with_cancel_requires_nonce(true);
    let report = run(&mut s.server, &claims);
    assert!(failed(&report).contains(rule), "{report}");
}

#[test]
fn report_verdict_and_summary() {
    let line = |name: &str, outcome: Outcome| RuleResult {
        name: name.to_owned(),
        section: "1",
        outcome,
    };
    let mut report = Report {
        results: vec![
            line("a", Outcome::Pass),
            line("b", Outcome::Pass),
            line("c", Outcome::Skipped("why".to_owned())),
            line(
                "d",
                Outcome::Allowed {
                    why: "documented".to_owned(),
                    expected: "x".to_owned(),
                    got: "y".to_owned(),
                },
            ),
        ],
    };
    assert!(report.is_success());
    assert_eq!(report.failures().count(), 0);
    assert!(
        report
            .to_string()
            .ends_with("conformance: 2 passed, 0 failed, 1 allowed, 1 skipped"),
        "{report}"
    );
    report.results.push(line(
        "e",
        Outcome::Fail {
            expected: "x".to_owned(),
            got: "y".to_owned(),
        },
    ));
    assert!(!report.is_success());
    assert_eq!(
        report
            .failures()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["e"]
    );
    let text = report.to_string();
    assert!(
        text.ends_with("conformance: 2 passed, 1 failed, 1 allowed, 1 skipped"),
        "{text}"
    );
    assert!(
        text.contains("FAIL     [§1] e\n           expected: x\n           got:      y\n"),
        "{text}"
    );
}

#[test]
fn no_answer_fails_every_rule_with_the_transport_error() {
    struct Down;
    impl Transport for Down {
        fn send(&mut self, _: &Request) -> Result<Response, TransportError> {
            Err(TransportError("connection refused".to_owned()))
        }
    }
    let s = setup();
    let report = run(&mut Down, &s.claims);
    assert!(!report.is_success());
    let ran: Vec<_> = report
        .results()
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Skipped(_)))
        .collect();
    assert!(
        ran.iter()
            .all(|r| matches!(&r.outcome, Outcome::Fail { .. })),
        "{report}"
    );
    assert!(
        report
            .to_string()
            .contains("got:      transport error: connection refused"),
        "{report}"
    );
}

#[test]
fn claims_debug_hides_the_shares() {
    let s = setup();
    let text = format!("{:?}", s.claims);
    assert!(
        text.contains("shares: [3 REDACTED]") && text.contains("foreign: [3 REDACTED]"),
        "{text}"
    );
    for share in &s.shares {
        assert!(!text.contains(share.as_str()), "{text}");
    }
}
