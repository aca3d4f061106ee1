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
use crate::vocabulary::{ServerState, Strategy};
use crate::wire::CONTENT_TYPE_JSON;
#[cfg(feature = "pgp")]
use base64::Engine as _;

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
    policy: Policy,
}

/// How the in-memory host decides an [`http::Authorize`] step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Policy {
    /// Everyone may call (a wrong host when the claims guard a family).
    AllowAll,
    /// Only [`TOKEN`].
    Token,
    /// Any caller that sends some token (a wrong host: it does not check the token).
    AnyToken,
    /// No one (a wrong host when a token is claimed).
    DenyAll,
}

/// The token the in-memory host accepts under [`Policy::Token`].
const TOKEN: &str = "s.InMemoryHostsRootTokenAB";

/// The crate's HTTP face in memory (no sockets); clones share one slot.
#[derive(Clone)]
struct InMemory(Arc<Mutex<Inner>>);

impl InMemory {
    fn guarded(
        key: &[u8],
        config: GeneratorConfig,
        access: Access,
        policy: Policy,
        state: ServerState,
    ) -> Self {
        let profile = config.profile();
        let mut generator = RecoveryTokenGenerator::new(config);
        generator.set_server_state(state);
        Self(Arc::new(Mutex::new(Inner {
            face: Face::new(generator).with_access(access),
            host: TestHost {
                key: ExpectedKey::new(key),
                profile,
            },
            policy,
        })))
    }
}

impl Transport for InMemory {
    fn send(&mut self, request: &Request) -> Result<Response, TransportError> {
        let mut inner = self.0.lock().unwrap();
        let Inner { face, host, policy } = &mut *inner;
        let policy = *policy;
        let r = request.to_face();
        let authorize = |a: &http::Authorize| match policy {
            Policy::AllowAll => true,
            Policy::Token => a.token().is_some_and(|t| t.expose_secret() == TOKEN),
            Policy::AnyToken => a.token().is_some(),
            Policy::DenyAll => false,
        };
        let answer = http::serve(face, &r, Instant::now(), &mut rand::rng(), host, authorize);
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
    setup_host(
        |c, _| config(c),
        Access::enable_unauthenticated(&["generate-root"]).unwrap(),
        Policy::AllowAll,
        ServerState::Unsealed,
    )
}

/// A host of the given configuration (which may use the registry of its shares), access
/// switches, authorization policy and server state; claims for the root and recovery families.
fn setup_host(
    config: impl FnOnce(GeneratorConfigBuilder, crate::shares::ShareRegistry) -> GeneratorConfigBuilder,
    access: Access,
    policy: Policy,
    state: ServerState,
) -> Setup {
    let key: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
    let other: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
    let (split, registry) =
        crate::shares::KeyShare::split_with_registry(&key, 2, 3, &mut rand::rng()).unwrap();
    let shares: Vec<String> = split.iter().map(|s| hex(s.expose_secret())).collect();
    let foreign = crate::shares::KeyShare::split(&other, 2, 3, &mut rand::rng())
        .unwrap()
        .iter()
        .map(|s| SecretString::from(hex(s.expose_secret())))
        .collect();
    let config = config(GeneratorConfig::builder(2), registry)
        .build()
        .unwrap();
    let (dialect, profile) = (config.dialect(), config.profile());
    let server = InMemory::guarded(&key, config, access, policy, state);
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

/// Shares of a random 32-byte key, and of another: claims for a key no host holds.
struct KeyShareSet {
    genuine: Vec<SecretString>,
    foreign: Vec<SecretString>,
}

impl KeyShareSet {
    fn new() -> Self {
        let split = || -> Vec<SecretString> {
            let key: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
            crate::shares::KeyShare::split(&key, 2, 3, &mut rand::rng())
                .unwrap()
                .iter()
                .map(|s| SecretString::from(hex(s.expose_secret())))
                .collect()
        };
        Self {
            genuine: split(),
            foreign: split(),
        }
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

// ----- who may call (SPEC section 13) ----------------------------------------------------------

/// Vault 2.x's model: the root and DR families need a token, recovery and decode-token are open.
fn vault_authorization() -> Authorization {
    Authorization::new()
        .guarded(&[Endpoint::Root, Endpoint::DrOperation])
        .open(&[Endpoint::Recovery])
        .with_decode_token(true)
        .with_token(SecretString::from(TOKEN))
}

fn vault_guarded(policy: Policy) -> Setup {
    setup_host(|c, _| c, Access::default(), policy, ServerState::Unsealed)
}

fn outcome<'r>(report: &'r Report, name: &str) -> Option<&'r Outcome> {
    report.get(name).map(|r| &r.outcome)
}

const NO_TOKEN: &str = "access: without a token, status, start, update and cancel are refused";
const WRONG_TOKEN: &str =
    "access: with a wrong token, status, start, update and cancel are refused";
const RIGHT_TOKEN: &str = "access: the claimed token is accepted";

#[test]
fn a_guarded_host_passes_the_access_rules_and_every_rule_behind_its_token() {
    // Vault dialect, nothing open but recovery: every root and DR rule runs with the token.
    let mut s = vault_guarded(Policy::Token);
    let claims = s
        .claims
        .with_endpoints(&[Endpoint::Root, Endpoint::Recovery, Endpoint::DrOperation])
        .with_authorization(vault_authorization());
    let report = run(&mut s.server, &claims);
    let unexpected = failed(&report);
    assert!(unexpected.is_empty(), "{unexpected:?}\n{report}");
    for ep in ["root", "dr"] {
        for rule in [NO_TOKEN, WRONG_TOKEN, RIGHT_TOKEN] {
            let name = format!("{ep}: {rule}");
            assert_eq!(
                outcome(&report, &name),
                Some(&Outcome::Pass),
                "{name}\n{report}"
            );
        }
    }
    for name in [
        "recovery: access: open, a status without a token is answered",
        "decode-token: access: open, answered without a token",
        "dr: a complete ceremony (generated OTP, hex and base64 shares), token decoded",
        "dr: a failed combine (two shares with one x)",
    ] {
        assert_eq!(
            outcome(&report, name),
            Some(&Outcome::Pass),
            "{name}\n{report}"
        );
    }
    // The token never shows in the report.
    assert!(!report.to_string().contains(TOKEN));
}

#[test]
fn each_access_rule_fails_a_host_that_breaks_it() {
    let claims = |s: Setup| {
        s.claims
            .with_endpoints(&[])
            .with_authorization(vault_authorization())
    };
    // Lets anyone in: the refusals fail.
    let s = vault_guarded(Policy::AllowAll);
    let report = run(&mut s.server.clone(), &claims(s));
    let f = failed(&report);
    for rule in [NO_TOKEN, WRONG_TOKEN] {
        assert!(f.contains(&format!("root: {rule}")), "{report}");
        assert!(f.contains(&format!("dr: {rule}")), "{report}");
    }
    assert!(!f.contains(&format!("root: {RIGHT_TOKEN}")), "{report}");
    // Takes any token: only the wrong-token rule fails.
    let s = vault_guarded(Policy::AnyToken);
    let report = run(&mut s.server.clone(), &claims(s));
    let f = failed(&report);
    assert!(f.contains(&format!("root: {WRONG_TOKEN}")), "{report}");
    assert!(!f.contains(&format!("root: {NO_TOKEN}")), "{report}");
    // Takes no token: the claimed one is refused.
    let s = vault_guarded(Policy::DenyAll);
    let report = run(&mut s.server.clone(), &claims(s));
    assert_eq!(
        failed(&report),
        set(&[
            &format!("root: {RIGHT_TOKEN}"),
            &format!("dr: {RIGHT_TOKEN}")
        ]),
        "{report}"
    );
    // Claims the root family open; the host guards it.
    let mut s = vault_guarded(Policy::Token);
    let open = Authorization::new().open(&[Endpoint::Root]);
    let claims = s.claims.with_endpoints(&[]).with_authorization(open);
    let report = run(&mut s.server, &claims);
    assert_eq!(
        failed(&report),
        set(&["root: access: open, a status without a token is answered"]),
        "{report}"
    );
    // decode-token refused: a host that guards it fails the open rule.
    let s = vault_guarded(Policy::Token);
    let mut wrong = Wrong {
        server: s.server.clone(),
        rewrite: |req: &Request, r: Response| {
            if req.path.ends_with("decode-token") {
                Response::new(
                    403,
                    Some(CONTENT_TYPE_JSON.to_owned()),
                    br#"{"errors":["permission denied"]}"#.to_vec(),
                )
            } else {
                r
            }
        },
    };
    let claims = s
        .claims
        .with_endpoints(&[])
        .with_authorization(Authorization::new().with_decode_token(true));
    let report = run(&mut wrong, &claims);
    assert_eq!(
        failed(&report),
        set(&["decode-token: access: open, answered without a token"]),
        "{report}"
    );
}

fn openbao_host(access: Access, state: ServerState) -> Setup {
    setup_host(
        |c, _| {
            c.with_dialect(Dialect::OpenBao)
                .with_profile(TokenProfile::OPENBAO)
        },
        access,
        Policy::Token,
        state,
    )
}

/// OpenBao 2.7.2's model, as the real server runs it by default (observed).
fn openbao_authorization() -> Authorization {
    Authorization::new()
        .guarded(&[Endpoint::Root, Endpoint::RootToken, Endpoint::DrOperation])
        .with_decode_token(true)
        .with_token(SecretString::from(TOKEN))
}

#[test]
fn the_openbao_model_405_403_and_the_envelope_behind_the_token() {
    let mut s = openbao_host(Access::default(), ServerState::Unsealed);
    let claims = s
        .claims
        .with_endpoints(&[Endpoint::Recovery])
        .with_authorization(openbao_authorization());
    let report = run(&mut s.server, &claims);
    let unexpected = failed(&report);
    assert!(unexpected.is_empty(), "{unexpected:?}\n{report}");
    for name in [
        "root: access: the claimed token does not enable the disabled endpoints (405)",
        "root-token: access: the claimed token is accepted",
        "root-token: access: without a token, status, start, update and cancel are refused",
        "dr: access: with the claimed token, no DR family (404 unsupported path)",
    ] {
        assert_eq!(
            outcome(&report, name),
            Some(&Outcome::Pass),
            "{name}\n{report}"
        );
    }
    // The old family enabled (the listener option) where the claims say disabled: it fails.
    let mut s = openbao_host(
        Access::enable_unauthenticated(&["generate-root"]).unwrap(),
        ServerState::Unsealed,
    );
    let claims = s
        .claims
        .with_endpoints(&[])
        .with_authorization(openbao_authorization());
    let report = run(&mut s.server, &claims);
    assert_eq!(
        failed(&report),
        set(&[
            &format!("root: {NO_TOKEN}"),
            &format!("root: {WRONG_TOKEN}"),
            "root: access: the claimed token does not enable the disabled endpoints (405)",
        ]),
        "{report}"
    );
    // OpenBao's model claimed of a Vault host that serves the DR family: the DR rule fails.
    let mut s = vault_guarded(Policy::Token);
    let claims = Claims::new(Dialect::OpenBao, s.claims.profile, 2)
        .with_endpoints(&[])
        .with_authorization(
            Authorization::new()
                .guarded(&[Endpoint::DrOperation])
                .with_token(SecretString::from(TOKEN)),
        );
    let report = run(&mut s.server, &claims);
    assert_eq!(
        failed(&report),
        set(&["dr: access: with the claimed token, no DR family (404 unsupported path)"]),
        "{report}"
    );
    // The envelope judged: sorted keys in a plain status fail it.
    let s = openbao_host(Access::default(), ServerState::Unsealed);
    let mut wrong = Wrong {
        server: s.server.clone(),
        rewrite: |req: &Request, mut r: Response| {
            if req.path.contains("generate-root-token") && r.status == 200 {
                let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                r.body = zeroize::Zeroizing::new(serde_json::to_vec(&v["data"]).unwrap());
            }
            r
        },
    };
    let claims = s
        .claims
        .with_endpoints(&[])
        .with_authorization(openbao_authorization());
    let report = run(&mut wrong, &claims);
    assert_eq!(
        failed(&report),
        set(&["root-token: access: the claimed token is accepted"]),
        "{report}"
    );
}

// ----- sealed, standby (SPEC sections 3.2, 4.3) ----------------------------------------------

#[test]
fn sealed_and_standby_servers_refuse_as_claimed() {
    for (dialect, state) in [
        (Dialect::Vault, ServerState::Sealed),
        (Dialect::Vault, ServerState::Standby),
        (Dialect::Vault, ServerState::NotInitialized),
        (Dialect::OpenBao, ServerState::Sealed),
        (Dialect::OpenBao, ServerState::Standby),
    ] {
        let mut s = setup_host(
            |c, _| c.with_dialect(dialect),
            Access::enable_unauthenticated(&["generate-root", "generate-operation-token"]).unwrap(),
            Policy::AllowAll,
            state,
        );
        // OpenBao has no DR family.
        let endpoints: &[Endpoint] = match dialect {
            Dialect::OpenBao => &[Endpoint::Root, Endpoint::Recovery],
            _ => &[Endpoint::Root, Endpoint::Recovery, Endpoint::DrOperation],
        };
        let claims = s.claims.with_endpoints(endpoints).with_server_state(state);
        let report = run(&mut s.server, &claims);
        let unexpected = failed(&report);
        assert!(
            unexpected.is_empty(),
            "{dialect:?} {state:?}: {unexpected:?}\n{report}"
        );
        let what = match state {
            ServerState::Sealed => "sealed",
            ServerState::Standby => "standby",
            _ => "not initialized",
        };
        for name in [
            format!("root: {what}: a start is refused"),
            format!("root: {what}: an update is refused"),
        ] {
            let o = outcome(&report, &name);
            assert_eq!(
                o,
                Some(&Outcome::Pass),
                "{dialect:?} {state:?} {name}\n{report}"
            );
        }
        // Recovery mode is sealed by nature: its whole ceremony still runs; without a seal
        // configuration its updates are refused too.
        let name = if state == ServerState::NotInitialized {
            "recovery: not initialized: an update is refused"
        } else {
            "recovery: a complete ceremony (generated OTP, hex and base64 shares), token decoded"
        };
        assert_eq!(outcome(&report, name), Some(&Outcome::Pass), "{report}");
        if dialect == Dialect::OpenBao && state == ServerState::Sealed {
            for name in [
                "root: sealed: status and cancel are refused too (OpenBao)",
                "root-token: sealed: it and sys/decode-token answer 503 before the token check (OpenBao)",
            ] {
                assert_eq!(
                    outcome(&report, name),
                    Some(&Outcome::Pass),
                    "{name}\n{report}"
                );
            }
        }
    }
    // Claimed of an unsealed host, in either dialect: every state rule fails.
    for (dialect, state) in [
        (Dialect::Vault, ServerState::Standby),
        (Dialect::Vault, ServerState::NotInitialized),
        (Dialect::OpenBao, ServerState::Sealed),
    ] {
        let mut s = setup_host(
            |c, _| c.with_dialect(dialect),
            Access::enable_unauthenticated(&["generate-root"]).unwrap(),
            Policy::AllowAll,
            ServerState::Unsealed,
        );
        let claims = s
            .claims
            .with_endpoints(&[Endpoint::Root, Endpoint::Recovery])
            .with_server_state(state);
        let report = run(&mut s.server, &claims);
        let state_rules: Vec<&RuleResult> = report
            .results()
            .iter()
            .filter(|r| {
                r.name.contains("sealed:")
                    || r.name.contains("standby:")
                    || r.name.contains("initialized:")
            })
            .collect();
        assert!(state_rules.len() >= 3, "{report}");
        assert!(
            state_rules
                .iter()
                .all(|r| matches!(r.outcome, Outcome::Fail { .. })),
            "{dialect:?} {state:?}\n{report}"
        );
    }
    // Claimed sealed, the host is not: the state rules fail.
    let mut s = setup();
    let claims = s
        .claims
        .with_endpoints(&[Endpoint::Root])
        .with_server_state(ServerState::Sealed);
    let report = run(&mut s.server, &claims);
    assert_eq!(
        failed(&report),
        set(&[
            "root: sealed: a start is refused",
            "root: sealed: an update is refused",
            "root: sealed: the refused start left no attempt",
        ]),
        "{report}"
    );
}

// ----- key holders: share registry, holders-only start and cancel ---------------------------

const REGISTRY_RULES: [&str; 2] = [
    "registry: a foreign share is refused at once, progress kept",
    "registry: a share with a held share's x but other bytes is refused, progress kept",
];

const HOLDERS_RULES: [&str; 5] = [
    "holders-only: a start without a share is refused, nothing started",
    "holders-only: a start with a foreign share is refused, nothing started",
    "holders-only: a cancel without a share is refused, the attempt kept",
    "holders-only: a cancel with a foreign share is refused, the attempt kept",
    "holders-only: a cancel with a registered share cancels",
];

#[test]
fn a_registry_and_holders_only_start_and_cancel_are_claims() {
    for dialect in [Dialect::Vault, Dialect::OpenBao] {
        let mut s = setup_host(
            |c, registry| {
                c.with_dialect(dialect)
                    .with_share_registry(registry)
                    .with_holders_only_start_cancel(true)
            },
            Access::enable_unauthenticated(&["generate-root"]).unwrap(),
            Policy::AllowAll,
            ServerState::Unsealed,
        );
        let claims = s
            .claims
            .with_share_registry(true)
            .with_holders_only_start_cancel(true);
        let report = run(&mut s.server, &claims);
        let unexpected = failed(&report);
        assert!(
            unexpected.is_empty(),
            "{dialect:?}: {unexpected:?}\n{report}"
        );
        for ep in ["root", "recovery"] {
            for rule in REGISTRY_RULES.iter().chain(&HOLDERS_RULES) {
                let name = format!("{ep}: {rule}");
                assert_eq!(
                    outcome(&report, &name),
                    Some(&Outcome::Pass),
                    "{name}\n{report}"
                );
            }
        }
        assert!(report.results().len() > 100, "{report}");
    }
    // A registry only (anyone may start and cancel): its rules pass, no holders-only rule runs.
    let mut s = setup_host(
        |c, registry| c.with_share_registry(registry),
        Access::enable_unauthenticated(&["generate-root"]).unwrap(),
        Policy::AllowAll,
        ServerState::Unsealed,
    );
    let claims = s.claims.with_share_registry(true);
    let report = run(&mut s.server, &claims);
    assert!(report.is_success(), "{report}");
    assert!(report.get(&format!("root: {}", HOLDERS_RULES[0])).is_none());
    // The claims' shares are not the host's: its holders-only start and cancel refuse the kit's
    // "registered" share, and those rules fail.
    let s = setup_host(
        |c, registry| {
            c.with_share_registry(registry)
                .with_holders_only_start_cancel(true)
        },
        Access::enable_unauthenticated(&["generate-root"]).unwrap(),
        Policy::AllowAll,
        ServerState::Unsealed,
    );
    let other = KeyShareSet::new();
    let claims = Claims::new(s.claims.dialect, s.claims.profile, 2)
        .with_endpoints(&[Endpoint::Root])
        .with_shares(other.genuine, other.foreign)
        .with_holders_only_start_cancel(true);
    let report = run(&mut s.server.clone(), &claims);
    let f = failed(&report);
    for rule in [
        "holders-only: a start with a registered share starts, the share not counted",
        "holders-only: a cancel with a registered share cancels",
    ] {
        assert!(f.contains(&format!("root: {rule}")), "{rule}\n{report}");
    }
    // Claimed, but the host has neither: every one of these rules fails.
    let mut s = setup();
    let claims = s
        .claims
        .with_share_registry(true)
        .with_holders_only_start_cancel(true);
    let report = run(&mut s.server, &claims);
    let f = failed(&report);
    // (The registered share's start and cancel are taken by any host: they fail a host that
    // refuses its own key holders.)
    for ep in ["root", "recovery"] {
        for rule in REGISTRY_RULES.iter().chain(&HOLDERS_RULES[..4]) {
            let name = format!("{ep}: {rule}");
            assert!(f.contains(&name), "{name} did not fail:\n{report}");
        }
    }
}

// ----- PGP (SPEC section 8) -------------------------------------------------------------------

#[cfg(feature = "pgp")]
const PGP_KEY: &str = include_str!("../../benches/keys/cv25519.b64");
/// `gpg --with-colons --fingerprint` of the key above, lowercased.
#[cfg(feature = "pgp")]
const PGP_FPR: &str = "da951bba56bcee76cca6e7b6ca269010eea2a87d";

#[cfg(feature = "pgp")]
const PGP_RULES: [&str; 2] = [
    "pgp: a start with pgp_key shows its fingerprint, in the start and the status",
    "pgp: with both an OTP and a pgp_key, the OTP wins",
];

#[cfg(feature = "pgp")]
#[test]
fn a_pgp_ceremony_shows_the_fingerprint_and_an_encrypted_token() {
    let ceremony =
        "root: pgp: a complete ceremony, the fingerprint in every update, the token encrypted";
    let mut s = setup();
    let claims = s.claims.with_pgp_key(PGP_KEY.trim(), PGP_FPR);
    let report = run(&mut s.server, &claims);
    assert!(report.is_success(), "{report}");
    for ep in ["root", "recovery"] {
        for rule in PGP_RULES {
            let name = format!("{ep}: {rule}");
            assert_eq!(
                outcome(&report, &name),
                Some(&Outcome::Pass),
                "{name}\n{report}"
            );
        }
    }
    assert_eq!(outcome(&report, ceremony), Some(&Outcome::Pass), "{report}");
    // Another fingerprint claimed: the start and the ceremony fail.
    let mut s = setup();
    let claims = s.claims.with_pgp_key(PGP_KEY.trim(), &"0".repeat(40));
    let report = run(&mut s.server, &claims);
    let f = failed(&report);
    assert!(f.contains(&format!("root: {}", PGP_RULES[0])), "{report}");
    assert!(f.contains(ceremony), "{report}");
    // A final answer whose token is not an OpenPGP message: the ceremony rule fails.
    let s = setup();
    let mut wrong = Wrong {
        server: s.server.clone(),
        rewrite: |_: &Request, mut r: Response| {
            let text = String::from_utf8_lossy(&r.body).into_owned();
            if r.status == 200
                && text.contains("\"complete\":true")
                && !text.contains("\"pgp_fingerprint\":\"\"")
            {
                let fake = base64::engine::general_purpose::STANDARD.encode(b"not a message");
                let mut out = String::new();
                let mut rest = text.as_str();
                while let Some(i) = rest.find("_token\":\"") {
                    let start = i + "_token\":\"".len();
                    out.push_str(&rest[..start]);
                    out.push_str(&fake);
                    rest = &rest[start..];
                    rest = &rest[rest.find('"').unwrap()..];
                }
                out.push_str(rest);
                r.body = zeroize::Zeroizing::new(out.into_bytes());
            }
            r
        },
    };
    let claims = s.claims.with_pgp_key(PGP_KEY.trim(), PGP_FPR);
    let report = run(&mut wrong, &claims);
    assert_eq!(failed(&report), set(&[ceremony]), "{report}");
    // A host that lets the pgp_key win over the OTP: that rule fails.
    let s = setup();
    let mut wrong = Wrong {
        server: s.server.clone(),
        rewrite: |req: &Request, mut r: Response| {
            let b = String::from_utf8_lossy(&req.body).into_owned();
            if b.contains("\"otp\"") && b.contains("\"pgp_key\"") {
                let text = String::from_utf8_lossy(&r.body).replace(
                    "\"pgp_fingerprint\":\"\"",
                    &format!("\"pgp_fingerprint\":\"{PGP_FPR}\""),
                );
                r.body = zeroize::Zeroizing::new(text.into_bytes());
            }
            r
        },
    };
    let claims = s.claims.with_pgp_key(PGP_KEY.trim(), PGP_FPR);
    let report = run(&mut wrong, &claims);
    assert_eq!(
        failed(&report),
        set(&[
            &format!("root: {}", PGP_RULES[1]),
            &format!("recovery: {}", PGP_RULES[1]),
        ]),
        "{report}"
    );
}
