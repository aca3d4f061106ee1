//! The HTTP face (`recovery_token::http`), rule by rule, in process: routing and path edges,
//! the method rules, 413, who may call (and in which order the checks run), OpenBao's
//! `sys/generate-root-token/*` envelope and texts, namespaces, `sys/raw`.
//!
//! OpenBao's texts are the real 2.7.2 server's, observed byte for byte
//! (/work/notes/openbao-observed.md in the session that wrote this; the rule numbers R.. are
//! that file's); Vault's come from SPEC.md.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support::{Clock, TestHost, hex};

use std::time::Instant;

use recovery_token::http::{
    Access, Answer, Authorize, Endpoint, Face, Operation, Request, Step, serve,
};
use recovery_token::shares::KeyShare;
use recovery_token::tokens::TokenProfile;
use recovery_token::{Dialect, GeneratorConfig, Host, RecoveryTokenGenerator, Strategy};

const ROOT: &str = "s.root-token-of-the-host";
const WEAK: &str = "s.token-without-the-policy";

/// What the host's token store says of a token.
fn verdict(a: &Authorize) -> Option<bool> {
    match a.token().map(|t| t.expose_secret().to_owned()).as_deref() {
        Some(ROOT) => Some(true),
        Some(WEAK) => Some(false),
        _ => None,
    }
}

/// What the host was asked: endpoint, operation, path, namespace.
type Asked = (Option<Endpoint>, Option<Operation>, String, Option<String>);

struct Harness {
    face: Face,
    host: TestHost,
    shares: Vec<String>,
    /// The Authorize steps the host was asked, in order.
    asked: Vec<Asked>,
    /// The face's time: it moves only when a test advances it.
    clock: Clock,
}

impl Harness {
    fn new(dialect: Dialect, access: Access) -> Self {
        let profile = match dialect {
            Dialect::OpenBao => TokenProfile::OPENBAO,
            _ => TokenProfile::VAULT,
        };
        let config = GeneratorConfig::builder(3)
            .with_dialect(dialect)
            .with_profile(profile)
            .build()
            .unwrap();
        let key: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
        let shares = KeyShare::split(&key, 3, 5, &mut rand::rng())
            .unwrap()
            .iter()
            .map(|s| hex(s.expose_secret()))
            .collect();
        Self {
            face: Face::new(RecoveryTokenGenerator::new(config)).with_access(access),
            host: TestHost::new(&key).with_profile(profile),
            shares,
            asked: Vec::new(),
            clock: Clock::new(),
        }
    }

    fn vault() -> Self {
        Self::new(Dialect::Vault, Access::default())
    }

    fn openbao() -> Self {
        Self::new(Dialect::OpenBao, Access::default())
    }

    /// Drives every step: the token store of [`verdict`], the test host's key check and mint.
    fn send(&mut self, request: &Request<'_>) -> Answer {
        let (now, mut rng) = (self.clock.now(), rand::rng());
        let mut step = self.face.handle(request, now, &mut rng);
        loop {
            step = match step {
                Step::Answer(a) => return a,
                Step::Authorize(a) => {
                    self.asked.push((
                        a.endpoint(),
                        a.operation(),
                        a.path().to_owned(),
                        a.namespace().map(str::to_owned),
                    ));
                    match verdict(&a) {
                        Some(true) => a.allow(&mut self.face, now, &mut rng),
                        Some(false) => a.forbid(),
                        None => a.deny(),
                    }
                }
                Step::ParsePgp(p) => p.parse().resume(&mut self.face, now, &mut rng),
                Step::CheckKey(c) => match self.host.check_key(c.strategy(), c.key()) {
                    Ok(()) => c.accept(&mut self.face, now, &mut rng),
                    Err(reason) => c.reject(&mut self.face, reason, now),
                },
                Step::MintToken(m) => {
                    // Of the format the face asks for (the namespace's shape, say).
                    match self.host.mint_as(m.strategy(), Some(m.format()), m.ttl()) {
                        Ok(token) => m.issue(&mut self.face, token, now, &mut rng),
                        Err(r) => m.fail(&mut self.face, r, now),
                    }
                }
                Step::Revoke(r) => {
                    self.host.record_revoked(r.token());
                    r.revoked()
                }
            };
        }
    }

    fn call(&mut self, method: &str, target: &str, token: Option<&str>, body: &str) -> Answer {
        let mut r = Request::new(method, target).with_body(body.as_bytes());
        if let Some(t) = token {
            r = r.with_header("X-Vault-Token", t);
        }
        self.send(&r)
    }
}

fn errors(a: &Answer) -> (u16, String) {
    (a.status(), a.body().to_owned())
}

fn err(status: u16, texts: &[&str]) -> (u16, String) {
    let list: Vec<String> = texts
        .iter()
        .map(|t| serde_json::to_string(t).unwrap())
        .collect();
    (status, format!("{{\"errors\":[{}]}}\n", list.join(",")))
}

/// The body with the random request id (and nonce, OTP, encoded token) replaced.
fn normalized(a: &Answer) -> String {
    let mut v: serde_json::Value = serde_json::from_str(a.body()).unwrap();
    if v.get("request_id").is_some() {
        v["request_id"] = "<id>".into();
    }
    if let Some(d) = v.get_mut("data").and_then(|d| d.as_object_mut()) {
        for k in ["nonce", "otp", "encoded_token"] {
            if d.get(k)
                .and_then(|x| x.as_str())
                .is_some_and(|s| !s.is_empty())
            {
                d.insert(k.to_owned(), "<r>".into());
            }
        }
    }
    v.to_string()
}

const RECOVERY: &str = "/v1/sys/generate-recovery-token/attempt";
const ROOT_ATTEMPT: &str = "/v1/sys/generate-root/attempt";
const ROOT_UPDATE: &str = "/v1/sys/generate-root/update";
const RT_ATTEMPT: &str = "/v1/sys/generate-root-token/attempt";
const RT_UPDATE: &str = "/v1/sys/generate-root-token/update";
const DR_ATTEMPT: &str = "/v1/sys/replication/dr/secondary/generate-operation-token/attempt";

// ------------------------------------------------------------------ routing, methods, 413

#[test]
fn unknown_paths_and_path_edges_are_404_with_an_empty_error_list() {
    let mut h = Harness::vault();
    for target in [
        "/v1/sys/generate-recovery-token/attempt/",
        "/v1/sys/generate-recovery-token/",
        "/v1/sys/generate-recovery-token",
        "/v1/sys/generate-recovery-token/status",
        "/v1/sys/Generate-Recovery-Token/attempt",
        "/sys/generate-recovery-token/attempt",
        "/v1/sys/nothing-here",
    ] {
        assert_eq!(
            errors(&h.call("GET", target, None, "")),
            err(404, &[]),
            "{target}"
        );
    }
    // Go's path rules: 307 to the clean path; percent-escapes decoded.
    for target in [
        "/v1/sys/generate-recovery-token//attempt",
        "/v1//sys/generate-recovery-token/attempt",
        "/v1/sys/./generate-recovery-token/attempt",
    ] {
        let a = h.call("GET", target, None, "");
        assert_eq!(
            (a.status(), a.location()),
            (307, Some(RECOVERY)),
            "{target}"
        );
    }
    let a = h.call("GET", "/v1/sys/generate%2Drecovery-token/attempt", None, "");
    assert_eq!(a.status(), 200);
    // A query does not change the route.
    assert_eq!(
        h.call("GET", &format!("{RECOVERY}?x=1"), None, "").status(),
        200
    );
}

#[test]
fn attempt_takes_get_put_post_delete_and_405s_the_rest() {
    let mut h = Harness::vault();
    assert_eq!(h.call("GET", RECOVERY, None, "").status(), 200);
    assert_eq!(h.call("PUT", RECOVERY, None, "").status(), 200);
    assert_eq!(h.call("DELETE", RECOVERY, None, "").status(), 204);
    assert_eq!(h.call("POST", RECOVERY, None, "").status(), 200);
    for method in ["OPTIONS", "HEAD", "FOO", "get"] {
        assert_eq!(
            errors(&h.call(method, RECOVERY, None, "")),
            err(405, &[]),
            "{method}"
        );
    }
}

#[test]
fn every_method_on_update_is_an_update() {
    let mut h = Harness::vault();
    for method in ["GET", "DELETE", "HEAD", "OPTIONS"] {
        let a = h.call(method, "/v1/sys/generate-recovery-token/update", None, "");
        assert_eq!(errors(&a), err(400, &["EOF"]), "{method}");
    }
    let mut h = Harness::openbao();
    let a = h.call("GET", "/v1/sys/generate-recovery-token/update", None, "");
    let missing = "'key' must be specified in request body as JSON";
    assert_eq!(errors(&a), err(400, &[missing]));
}

#[test]
fn patch_needs_the_merge_patch_media_type_before_any_routing() {
    let mut h = Harness::vault();
    let patch = |ct: Option<&'static str>, target: &'static str| {
        let r = Request::new("PATCH", target);
        match ct {
            Some(ct) => r.with_header("content-type", ct),
            None => r,
        }
    };
    let text = "PATCH requires Content-Type of application/merge-patch+json, provided text/plain";
    for target in [RECOVERY, "/v1/sys/nothing-here", ROOT_ATTEMPT] {
        let a = h.send(&patch(Some("Text/Plain; charset=utf-8"), target));
        assert_eq!(errors(&a), err(415, &[text]), "{target}");
    }
    let a = h.send(&patch(None, RECOVERY));
    assert_eq!(errors(&a), err(400, &["mime: no media type"]));
    let a = h.send(&patch(Some("text/plain; a=1; a=2"), RECOVERY));
    assert_eq!(errors(&a), err(400, &["mime: duplicate parameter name"]));
    // With the right type: /attempt's 405, /update's update.
    let a = h.send(&patch(Some("application/merge-patch+json"), RECOVERY));
    assert_eq!(errors(&a), err(405, &[]));
    let a = h.send(&patch(
        Some("application/merge-patch+json"),
        "/v1/sys/generate-recovery-token/update",
    ));
    assert_eq!(errors(&a), err(400, &["EOF"]));
}

#[test]
fn openbaos_recovery_endpoints_have_no_patch_check() {
    let mut h = Harness::openbao();
    let r = Request::new("PATCH", "/v1/sys/generate-recovery-token/update")
        .with_header("Content-Type", "text/plain");
    let missing = "'key' must be specified in request body as JSON";
    assert_eq!(errors(&h.send(&r)), err(400, &[missing]));
}

#[test]
fn a_body_over_the_limit_is_413_on_any_path_and_closes() {
    for dialect in [Dialect::Vault, Dialect::OpenBao] {
        let mut h = Harness::new(dialect, Access::default());
        h.face = std::mem::replace(
            &mut h.face,
            Face::new(RecoveryTokenGenerator::new(
                GeneratorConfig::new(1).unwrap(),
            )),
        )
        .with_body_limit(16);
        let body = "x".repeat(17);
        for target in [RECOVERY, "/v1/sys/nothing", RT_ATTEMPT] {
            let a = h.call("PUT", target, None, &body);
            assert_eq!(errors(&a), err(413, &["http: request body too large"]));
            assert!(a.close());
        }
        assert_eq!(h.call("PUT", RECOVERY, None, "{}").status(), 200);
    }
}

#[test]
fn the_default_body_limit_is_2_mib_to_the_byte() {
    let mut h = Harness::vault();
    assert_eq!(h.face.body_limit(), 2 * 1024 * 1024);
    // Whitespace then `{}`: a valid start body of exactly the limit, then one byte more.
    let at_limit = format!("{}{{}}", " ".repeat(2 * 1024 * 1024 - 2));
    assert_eq!(h.call("PUT", RECOVERY, None, &at_limit).status(), 200);
    assert_eq!(h.call("DELETE", RECOVERY, None, "").status(), 204);
    let over = format!(" {at_limit}");
    let a = h.call("PUT", RECOVERY, None, &over);
    assert_eq!(errors(&a), err(413, &["http: request body too large"]));
    assert!(a.close());
}

#[test]
fn a_requests_debug_shows_its_route_and_hides_its_token_and_body() {
    let body = br#"{"key":"c2VjcmV0LXNoYXJl"}"#;
    let r = Request::new("PUT", "/v1/sys/generate-root/update?x=1")
        .with_header("X-Vault-Token", "s.secret-caller-token")
        .with_header("X-Vault-Namespace", "ns1")
        .with_body(body);
    let debug = format!("{r:?}");
    for shown in ["Request", "PUT", "/v1/sys/generate-root/update?x=1", "ns1"] {
        assert!(debug.contains(shown), "{debug} lacks {shown}");
    }
    assert!(
        debug.contains(&format!("[REDACTED; {} bytes]", body.len())),
        "{debug}"
    );
    assert!(debug.contains("token: Some(\"[REDACTED]\")"), "{debug}");
    for hidden in ["secret-caller-token", "c2VjcmV0", "key"] {
        assert!(!debug.contains(hidden), "{debug} reveals {hidden}");
    }
}

// ------------------------------------------------------------------ who may call: Vault 2.x

#[test]
fn vault_root_and_dr_need_an_authorized_token_by_default() {
    let mut h = Harness::vault();
    for target in [ROOT_ATTEMPT, DR_ATTEMPT] {
        for token in [None, Some("s.unknown"), Some(WEAK)] {
            let a = h.call("GET", target, token, "");
            assert_eq!(
                errors(&a),
                err(403, &["permission denied"]),
                "{target} {token:?}"
            );
        }
        assert_eq!(h.call("GET", target, Some(ROOT), "").status(), 200);
    }
    assert_eq!(
        h.asked[0],
        (
            Some(Endpoint::Root),
            Some(Operation::Status),
            "sys/generate-root/attempt".to_owned(),
            None
        )
    );
    // The recovery family never asks.
    let asked = h.asked.len();
    assert_eq!(h.call("GET", RECOVERY, None, "").status(), 200);
    assert_eq!(h.asked.len(), asked);
}

#[test]
fn the_token_is_checked_before_the_body_is_read() {
    let mut h = Harness::vault();
    // A body that would be refused with 400 is refused with 403 first.
    let a = h.call("PUT", ROOT_UPDATE, None, "{");
    assert_eq!(errors(&a), err(403, &["permission denied"]));
    let a = h.call("PUT", ROOT_UPDATE, Some(ROOT), "{");
    assert_eq!(
        errors(&a),
        err(400, &["failed to parse JSON input: unexpected EOF"])
    );
}

#[test]
fn enable_unauthenticated_access_opens_one_family_at_a_time() {
    let access = Access::enable_unauthenticated(&["generate-operation-token"]).unwrap();
    let mut h = Harness::new(Dialect::Vault, access);
    assert_eq!(h.call("GET", DR_ATTEMPT, None, "").status(), 200);
    assert_eq!(h.call("GET", ROOT_ATTEMPT, None, "").status(), 403);
    assert_eq!(h.asked.len(), 1);
    assert!(Access::enable_unauthenticated(&["rekey"]).is_err());
}

#[test]
fn vault_serves_no_generate_root_token_path() {
    let mut h = Harness::vault();
    assert_eq!(
        errors(&h.call("GET", RT_ATTEMPT, Some(ROOT), "")),
        err(404, &[])
    );
}

#[test]
fn a_whole_root_ceremony_with_a_token_mints_through_the_host() {
    let mut h = Harness::vault();
    let started = h.call("PUT", ROOT_ATTEMPT, Some(ROOT), "");
    let started: serde_json::Value = serde_json::from_str(started.body()).unwrap();
    let nonce = started["nonce"].as_str().unwrap().to_owned();
    let mut last = None;
    for share in h.shares.clone().iter().take(3) {
        let body = format!(r#"{{"key":"{share}","nonce":"{nonce}"}}"#);
        last = Some(h.call("PUT", ROOT_UPDATE, Some(ROOT), &body));
    }
    let done: serde_json::Value = serde_json::from_str(last.unwrap().body()).unwrap();
    assert_eq!(done["complete"], true);
    let token = recovery_token::tokens::decode_token(
        done["encoded_root_token"].as_str().unwrap(),
        started["otp"].as_str().unwrap(),
        28,
    )
    .unwrap();
    assert_eq!(h.host.minted, [token.expose_secret().to_owned()]);
}

// ------------------------------------------------------------------ who may call: OpenBao

#[test]
fn openbaos_old_root_family_is_405_whatever_the_token() {
    // R19.
    let mut h = Harness::openbao();
    for (method, target) in [
        ("GET", ROOT_ATTEMPT),
        ("PUT", ROOT_ATTEMPT),
        ("DELETE", ROOT_ATTEMPT),
        ("PUT", ROOT_UPDATE),
    ] {
        for token in [None, Some("s.unknown"), Some(ROOT)] {
            let a = h.call(method, target, token, "");
            assert_eq!(errors(&a), err(405, &["unsupported operation"]));
        }
    }
    assert!(h.asked.is_empty());
}

#[test]
fn openbaos_old_root_family_opened_ignores_the_token() {
    // R20: served to anyone, in Vault 1.x's shapes.
    let mut h = Harness::new(
        Dialect::OpenBao,
        Access::default().with_unauthenticated(Endpoint::Root, true),
    );
    let a = h.call("GET", ROOT_ATTEMPT, Some("not-a-token"), "");
    assert_eq!(a.status(), 200);
    assert!(a.body().starts_with("{\"nonce\":\"\",\"started\":false,"));
    assert!(h.asked.is_empty());
}

#[test]
fn generate_root_token_refuses_missing_unknown_and_insufficient_tokens() {
    // R16, R17.
    let mut h = Harness::openbao();
    for (method, target, body) in [
        ("GET", RT_ATTEMPT, ""),
        ("PUT", RT_ATTEMPT, ""),
        ("DELETE", RT_ATTEMPT, ""),
        ("PUT", RT_UPDATE, r#"{"key":"ab","nonce":"x"}"#),
    ] {
        for token in [None, Some("s.unknown"), Some("not-a-token")] {
            let a = h.call(method, target, token, body);
            assert_eq!(errors(&a), err(403, &["permission denied"]));
        }
        let a = h.call(method, target, Some(WEAK), body);
        assert_eq!(
            errors(&a),
            err(403, &["1 error occurred:\n\t* permission denied\n\n"])
        );
    }
    // R22: a well-formed but refusable body is authorized first.
    let a = h.call("PUT", RT_UPDATE, None, "");
    assert_eq!(errors(&a), err(403, &["permission denied"]));
}

#[test]
fn generate_root_token_answers_in_openbaos_envelope() {
    // R1, R2, R9, R13 (keys and order of the observed bodies).
    let mut h = Harness::openbao();
    let idle = h.call("GET", RT_ATTEMPT, Some(ROOT), "");
    assert_eq!(idle.status(), 200);
    assert!(idle.body().starts_with("{\"request_id\":\""));
    assert!(idle.body().ends_with(
        "\",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,\"data\":{\"complete\":false,\
         \"otp\":\"\",\"otp_length\":26,\"progress\":0,\"required\":3,\"started\":false},\
         \"wrap_info\":null,\"warnings\":null,\"auth\":null}\n"
    ));
    let started = h.call("PUT", RT_ATTEMPT, Some(ROOT), "");
    assert_eq!(
        normalized(&started),
        r#"{"auth":null,"data":{"complete":false,"nonce":"<r>","otp":"<r>","otp_length":26,"pgp_fingerprint":"","progress":0,"required":3,"started":true},"lease_duration":0,"lease_id":"","renewable":false,"request_id":"<id>","warnings":null,"wrap_info":null}"#
    );
    let body: serde_json::Value = serde_json::from_str(started.body()).unwrap();
    let (nonce, otp) = (
        body["data"]["nonce"].as_str().unwrap().to_owned(),
        body["data"]["otp"].as_str().unwrap().to_owned(),
    );
    assert_eq!(otp.len(), 26);
    // The raw text keeps OpenBao's order: data's keys sorted.
    assert!(
        started
            .body()
            .contains("\"data\":{\"complete\":false,\"nonce\":\"")
    );

    // R10: a missing field is 400 single-line, nonce first.
    for body in ["", "{}", "null", r#"{"key":"ab"}"#] {
        let a = h.call("PUT", RT_UPDATE, Some(ROOT), body);
        assert_eq!(errors(&a), err(400, &["nonce is required"]), "{body}");
    }
    let a = h.call(
        "PUT",
        RT_UPDATE,
        Some(ROOT),
        &format!(r#"{{"nonce":"{nonce}"}}"#),
    );
    assert_eq!(errors(&a), err(400, &["key is required"]));
    // Refusals of the ceremony are 500 with the multi-error text.
    let a = h.call(
        "PUT",
        RT_UPDATE,
        Some(ROOT),
        &format!(r#"{{"key":"not a key!","nonce":"{nonce}"}}"#),
    );
    assert_eq!(
        errors(&a),
        err(
            500,
            &["1 error occurred:\n\t* 'key' must be a valid hex or base64 string\n\n"]
        )
    );
    let a = h.call("PUT", RT_UPDATE, Some(ROOT), "key=abc");
    assert_eq!(
        errors(&a),
        err(
            400,
            &["failed to decode JSON input: invalid character 'k' looking for beginning of value"]
        )
    );

    let shares = h.shares.clone();
    let mut last = None;
    for (i, share) in shares.iter().take(3).enumerate() {
        let a = h.call(
            "PUT",
            RT_UPDATE,
            Some(ROOT),
            &format!(r#"{{"key":"{share}","nonce":"{nonce}"}}"#),
        );
        if i == 0 {
            assert_eq!(
                normalized(&a),
                r#"{"auth":null,"data":{"complete":false,"encoded_token":"","nonce":"<r>","pgp_fingerprint":"","progress":1,"required":3,"started":true},"lease_duration":0,"lease_id":"","renewable":false,"request_id":"<id>","warnings":null,"wrap_info":null}"#
            );
            // A duplicate: R11.
            let again = h.call(
                "PUT",
                RT_UPDATE,
                Some(ROOT),
                &format!(r#"{{"key":"{share}","nonce":"{nonce}"}}"#),
            );
            assert_eq!(
                errors(&again),
                err(
                    500,
                    &[
                        "1 error occurred:\n\t* given key has already been provided during this generation operation\n\n"
                    ]
                )
            );
        }
        last = Some(a);
    }
    let done: serde_json::Value = serde_json::from_str(last.unwrap().body()).unwrap();
    assert_eq!(done["data"]["complete"], true);
    let token = recovery_token::tokens::decode_token(
        done["data"]["encoded_token"].as_str().unwrap(),
        &otp,
        26,
    )
    .unwrap();
    assert!(token.expose_secret().starts_with("s.") && token.len() == 26);
    assert_eq!(h.host.minted, [token.expose_secret().to_owned()]);
    // R13: no attempt.
    let a = h.call(
        "PUT",
        RT_UPDATE,
        Some(ROOT),
        &format!(r#"{{"key":"{}","nonce":"{nonce}"}}"#, shares[0]),
    );
    assert_eq!(
        errors(&a),
        err(
            500,
            &["1 error occurred:\n\t* no root generation in progress\n\n"]
        )
    );
    // R9: cancel is 204 with no body.
    let a = h.call("DELETE", RT_ATTEMPT, Some(ROOT), "");
    assert_eq!((a.status(), a.body()), (204, ""));
}

#[test]
fn the_old_and_the_new_root_family_share_one_slot() {
    // R26.
    let mut h = Harness::new(
        Dialect::OpenBao,
        Access::default().with_unauthenticated(Endpoint::Root, true),
    );
    assert_eq!(h.call("PUT", ROOT_ATTEMPT, None, "").status(), 200);
    let a = h.call("PUT", RT_ATTEMPT, Some(ROOT), "");
    assert_eq!(
        errors(&a),
        err(
            400,
            &["root generation already in progress for this namespace"]
        )
    );
}

#[test]
fn openbaos_closed_root_family_and_decode_token_answer_list_and_options() {
    // Observed on OpenBao 2.7.2 (`bao server -dev`, root token `root`): LIST asks for a token
    // first, then is the router's `unsupported path`; OPTIONS is internal-only before any
    // token; an unknown method is 405 with no text.
    let mut h = Harness::openbao();
    let unsupported = (
        404,
        "{\"errors\":[\"1 error occurred:\\n\\t* unsupported path\\n\\n\"]}\n".to_owned(),
    );
    let internal = err(400, &["cannot handle internal-only request operation"]);
    for path in [ROOT_ATTEMPT, ROOT_UPDATE, "/v1/sys/decode-token"] {
        let a = h.call("LIST", path, Some(ROOT), "");
        assert_eq!(errors(&a), unsupported, "{path}");
        let a = h.call("LIST", path, None, "");
        assert_eq!(errors(&a), err(403, &["permission denied"]), "{path}");
        let a = h.call("OPTIONS", path, None, "");
        assert_eq!(errors(&a), internal, "{path}");
        assert_eq!(
            errors(&h.call("FOO", path, None, "")),
            err(405, &[]),
            "{path}"
        );
    }
}

#[test]
fn the_old_family_recovery_and_raw_refuse_a_served_namespace() {
    // Observed on OpenBao 2.7.2 with namespace ns1 created (`bao namespace create ns1`): named
    // by the header or leading the path, two texts, whatever the namespace's own slot holds.
    let mut h = Harness::new(
        Dialect::OpenBao,
        Access::default().with_unauthenticated(Endpoint::Root, true),
    );
    let config = GeneratorConfig::builder(3)
        .with_dialect(Dialect::OpenBao)
        .with_profile(TokenProfile::OPENBAO)
        .build()
        .unwrap();
    h.face
        .add_namespace("ns1", RecoveryTokenGenerator::new(config))
        .unwrap();
    for leaf in [
        "sys/generate-root/attempt",
        "sys/generate-recovery-token/attempt",
        "sys/raw/x",
    ] {
        let target = format!("/v1/{leaf}");
        let r = Request::new("GET", &target)
            .with_header("X-Vault-Token", ROOT)
            .with_header("X-Vault-Namespace", "ns1");
        assert_eq!(
            errors(&h.send(&r)),
            err(400, &["operation unavailable in namespaces"]),
            "{leaf}"
        );
        let a = h.call("GET", &format!("/v1/ns1/{leaf}"), Some(ROOT), "");
        let text = "operation only available in root namespace";
        assert_eq!(errors(&a), err(400, &[text]), "{leaf}");
    }
    let ns1 = h.face.generator(Some("ns1")).unwrap();
    assert!(!ns1.status(Strategy::Root, h.clock.now()).started);
}

// ------------------------------------------------------------------ namespaces

#[test]
fn a_faces_settings_and_slots_read_back() {
    use recovery_token::http::NamespaceError;
    let access = Access::default().with_unauthenticated(Endpoint::Root, true);
    let mut h = Harness::new(Dialect::OpenBao, access);
    assert_eq!(h.face.access(), access);
    assert!(!h.face.recovery_mode());
    let recovery = Face::new(RecoveryTokenGenerator::new(
        GeneratorConfig::new(1).unwrap(),
    ));
    assert!(recovery.with_recovery_mode(true).recovery_mode());
    let generator = |threshold| {
        let config = GeneratorConfig::builder(threshold)
            .with_dialect(Dialect::OpenBao)
            .build()
            .unwrap();
        RecoveryTokenGenerator::new(config)
    };
    assert_eq!(h.face.add_namespace("ns1", generator(2)).unwrap(), "ns1/");
    h.face.add_unsealable_namespace("/ns2").unwrap();
    // A name is served once, with keys or without.
    assert_eq!(
        h.face.add_namespace("ns2/", generator(2)),
        Err(NamespaceError::Duplicate("ns2/".to_owned()))
    );
    assert_eq!(
        h.face.add_namespace("/ns1/", generator(2)),
        Err(NamespaceError::Duplicate("ns1/".to_owned()))
    );
    assert_eq!(
        h.face.add_unsealable_namespace("ns1"),
        Err(NamespaceError::Duplicate("ns1/".to_owned()))
    );
    let threshold = |g: &RecoveryTokenGenerator| g.config().threshold();
    assert_eq!(h.face.generator(None).map(threshold), Some(3));
    assert_eq!(h.face.generator(Some("/ns1")).map(threshold), Some(2));
    assert_eq!(h.face.generator_mut(None).map(|g| threshold(g)), Some(3));
    assert!(
        h.face.generator(Some("ns2")).is_none(),
        "no keys, no generator"
    );
    assert!(h.face.generator(Some("nope")).is_none());
    let slots: Vec<(Option<String>, usize)> = h
        .face
        .generators_mut()
        .map(|(ns, g)| (ns.map(str::to_owned), threshold(g)))
        .collect();
    assert_eq!(slots, [(None, 3), (Some("ns1/".to_owned()), 2)]);
    let debug = format!("{:?}", h.face);
    for shown in [
        "ns1/",
        "ns2/",
        "body_limit: 2097152",
        "recovery_mode: false",
    ] {
        assert!(debug.contains(shown), "{debug} lacks {shown}");
    }
}

#[test]
fn each_namespace_has_its_own_slot() {
    let mut h = Harness::openbao();
    let config = GeneratorConfig::builder(3)
        .with_dialect(Dialect::OpenBao)
        .with_profile(TokenProfile::OPENBAO)
        .build()
        .unwrap();
    h.face
        .add_namespace("ns1", RecoveryTokenGenerator::new(config))
        .unwrap();
    let in_ns = |h: &mut Harness, method: &str, ns: &str| {
        let r = Request::new(method, RT_ATTEMPT)
            .with_header("X-Vault-Token", ROOT)
            .with_header("X-Vault-Namespace", ns);
        h.send(&r)
    };
    assert_eq!(in_ns(&mut h, "PUT", "ns1/").status(), 200);
    // The root namespace's slot is free; ns1's is taken.
    assert_eq!(h.call("PUT", RT_ATTEMPT, Some(ROOT), "").status(), 200);
    assert_eq!(in_ns(&mut h, "PUT", "/ns1").status(), 400);
    assert_eq!(h.asked.last().unwrap().3.as_deref(), Some("ns1/"));
    assert!(
        h.face
            .generator(Some("ns1"))
            .unwrap()
            .status(Strategy::Root, h.clock.now())
            .started
    );
}

// ------------------------------------------------------------------ sys/raw

#[test]
fn sys_raw_needs_the_minted_recovery_token() {
    let mut h = Harness::vault();
    let raw = "/v1/sys/raw/some/path";
    assert_eq!(errors(&h.call("GET", raw, None, "")), err(403, &[]));
    // Mint the recovery token.
    let started: serde_json::Value =
        serde_json::from_str(h.call("PUT", RECOVERY, None, "").body()).unwrap();
    let nonce = started["nonce"].as_str().unwrap().to_owned();
    let mut last = None;
    for share in h.shares.clone().iter().take(3) {
        let body = format!(r#"{{"key":"{share}","nonce":"{nonce}"}}"#);
        last = Some(h.call("PUT", "/v1/sys/generate-recovery-token/update", None, &body));
    }
    let done: serde_json::Value = serde_json::from_str(last.unwrap().body()).unwrap();
    let token = recovery_token::tokens::decode_token(
        done["encoded_token"].as_str().unwrap(),
        started["otp"].as_str().unwrap(),
        28,
    )
    .unwrap();
    assert_eq!(
        errors(&h.call("GET", raw, Some("hvr.wrong"), "")),
        err(403, &[])
    );
    assert_eq!(
        errors(&h.call("GET", raw, Some(token.expose_secret()), "")),
        err(404, &[])
    );
}

/// Mints the recovery token through the face (threshold 3, a generated OTP).
fn mint_recovery(h: &mut Harness) {
    let started: serde_json::Value =
        serde_json::from_str(h.call("PUT", RECOVERY, None, "").body()).unwrap();
    let nonce = started["nonce"].as_str().unwrap().to_owned();
    for share in h.shares.clone().iter().take(3) {
        let body = format!(r#"{{"key":"{share}","nonce":"{nonce}"}}"#);
        let a = h.call("PUT", "/v1/sys/generate-recovery-token/update", None, &body);
        assert_eq!(a.status(), 200, "{}", a.body());
    }
    assert!(h.face.root().recovery_issued());
}

#[test]
fn after_the_recovery_token_vault_checks_the_otp_first_and_openbao_refuses_at_once() {
    // SPEC.md section 3: Vault checks the OTP before "already unsealed".
    let mut h = Harness::vault();
    mint_recovery(&mut h);
    let a = h.call("PUT", RECOVERY, None, r#"{"otp":"short"}"#);
    assert_eq!(errors(&a), err(400, &["OTP string is wrong length"]));
    let a = h.call("PUT", RECOVERY, None, "");
    let text = "attempt to generate recovery token when already unsealed";
    assert_eq!(errors(&a), err(400, &[text]));
    // OpenBao refuses before the OTP, and before a PGP key is handed out to be parsed.
    let mut h = Harness::openbao();
    mint_recovery(&mut h);
    let text = "attempted to generate recovery operation token when already unsealed";
    let a = h.call("PUT", RECOVERY, None, r#"{"otp":"short"}"#);
    assert_eq!(errors(&a), err(400, &[text]));
    let pgp = Request::new("PUT", RECOVERY).with_body(br#"{"pgp_key":"AAAA"}"#);
    match h.face.handle(&pgp, h.clock.now(), &mut rand::rng()) {
        Step::Answer(a) => assert_eq!(errors(&a), err(400, &[text])),
        _ => panic!("a PGP key was handed out after the recovery token"),
    }
}

// ------------------------------------------------------------------ OpenBao's router, observed

/// The probes of /work/notes/http-probe/*.out (OpenBao 2.7.2, root mode, the listener option
/// off): path edges and the method rules of its generic layer.
#[test]
fn openbaos_router_cleans_paths_with_a_307() {
    let mut h = Harness::openbao();
    let a = h.call("GET", "/v1/sys/generate-root//attempt?x=1&y=<a>", None, "");
    assert_eq!(a.status(), 307);
    assert_eq!(
        a.location(),
        Some("/v1/sys/generate-root/attempt?x=1&y=<a>")
    );
    assert_eq!(a.content_type(), Some("text/html; charset=utf-8"));
    assert_eq!(
        a.body(),
        "<a href=\"/v1/sys/generate-root/attempt?x=1&amp;y=&lt;a&gt;\">Temporary Redirect</a>.\n\n"
    );
    for (method, path, location) in [
        (
            "PUT",
            "/v1/sys/generate-root//attempt",
            "/v1/sys/generate-root/attempt",
        ),
        (
            "DELETE",
            "/v1//sys/generate-root/attempt",
            "/v1/sys/generate-root/attempt",
        ),
        (
            "FOO",
            "/v1/sys/./generate-root/attempt",
            "/v1/sys/generate-root/attempt",
        ),
        (
            "GET",
            "/v1/sys/x/../generate-root/attempt",
            "/v1/sys/generate-root/attempt",
        ),
        (
            "GET",
            "/v1/sys/generate-root/attempt/.",
            "/v1/sys/generate-root/attempt",
        ),
        ("GET", "/v1/sys/decode-token//", "/v1/sys/decode-token/"),
    ] {
        let a = h.call(method, path, None, "{");
        assert_eq!(
            (a.status(), a.location()),
            (307, Some(location)),
            "{method} {path}"
        );
        if method != "GET" {
            assert_eq!((a.content_type(), a.body()), (None, ""));
        }
    }
    assert_eq!(
        errors(&h.call("GET", "//v1/sys/generate-root/attempt", None, "")),
        err(404, &[])
    );
    assert_eq!(
        errors(&h.call("GET", "/v2/sys/generate-root/attempt", None, "")),
        err(404, &[])
    );
    assert_eq!(errors(&h.call("GET", "/v1", None, "")), err(404, &[]));
    let root = h.call("GET", "/", None, "");
    assert_eq!(
        (root.status(), root.content_type(), root.body()),
        (
            404,
            Some("text/plain; charset=utf-8"),
            "404 page not found\n"
        )
    );
}

#[test]
fn openbao_checks_the_token_before_it_says_unsupported_path() {
    let mut h = Harness::openbao();
    for path in [
        "/v1/sys/generate-root/attempt/",
        "/v1/sys/generate-root/foo",
        "/v1/sys/Generate-Root/attempt",
        "/v1/sys/nothing-here",
        "/v1/sys/generate-root-token/attempt/",
        "/v1/sys/generate-root-token",
        "/v1/sys/decode-token/",
        "/v1/sys/replication/dr/secondary/generate-operation-token/attempt",
    ] {
        assert_eq!(
            errors(&h.call("GET", path, None, "")),
            err(403, &["permission denied"])
        );
        assert_eq!(
            errors(&h.call("GET", path, Some(ROOT), "")),
            err(404, &["1 error occurred:\n\t* unsupported path\n\n"]),
            "{path}"
        );
    }
    for (path, route) in [
        ("/v1/SYS/generate-root/attempt", "SYS/generate-root/attempt"),
        ("/v1/nothing", "nothing"),
        ("/v1/", ""),
    ] {
        let text = format!("no handler for route \"{route}\". route entry not found.");
        assert_eq!(
            errors(&h.call("GET", path, Some(ROOT), "")),
            err(404, &[&text])
        );
    }
    let asked = h.asked.last().unwrap();
    assert_eq!((asked.0, asked.1, asked.2.as_str()), (None, None, ""));
}

#[test]
fn openbaos_update_body_errors_keep_their_status_behind_the_token() {
    // Observed on OpenBao 2.7.2 (`bao server -dev`, an attempt started, root token): a second
    // JSON value after the body is a decoding error (400); a trailing `{` is not read; a bad
    // key is the logical layer's 500 multi-error, a key that is hex is read as hex whatever its
    // length, and the length is checked before the nonce.
    let mut h = Harness::openbao();
    assert_eq!(h.call("PUT", RT_ATTEMPT, Some(ROOT), "").status(), 200);
    let multi = |text: &str| {
        let body = format!("1 error occurred:\n\t* {text}\n\n");
        (
            500,
            format!(
                "{{\"errors\":[{}]}}\n",
                serde_json::to_string(&body).unwrap()
            ),
        )
    };
    let short = multi("invalid key: key is shorter than minimum 16 bytes");
    // Hex of any length is hex here (Vault's HTTP layer would read these two as base64).
    let hex_24 = r#"{"key":"000102030405060708090a0b","nonce":"x"}"#;
    let long = multi("invalid key: key is longer than maximum 33 bytes");
    let hex_68 = format!(r#"{{"key":"{}","nonce":"x"}}"#, "00".repeat(34));
    let cases = [
        (hex_24, short.clone()),
        (&hex_68, long),
        (
            r#"{"key":"ab","nonce":"x"} x"#,
            err(
                400,
                &[
                    "failed to decode JSON input: invalid character 'x' looking for beginning of value",
                ],
            ),
        ),
        (r#"{"key":"ab","nonce":"x"}{"#, short.clone()),
        (r#"{"key":"ab","nonce":5}"#, short),
        (
            r#"{"key":5,"nonce":"x"}"#,
            multi("'key' must be a valid hex or base64 string"),
        ),
        (
            r#"{"key":{},"nonce":"x"}"#,
            err(
                400,
                &[
                    "Field validation failed: error converting input for field \"key\": '' expected type 'string', got unconvertible type 'map[string]interface {}'",
                ],
            ),
        ),
    ];
    for (body, expected) in cases {
        let r = Request::new("PUT", RT_UPDATE)
            .with_header("X-Vault-Token", ROOT)
            .with_header("Content-Type", "application/json")
            .with_body(body.as_bytes());
        assert_eq!(errors(&h.send(&r)), expected, "{body}");
    }
    let status = h.call("GET", RT_ATTEMPT, Some(ROOT), "");
    assert!(
        status.body().contains(r#""progress":0"#),
        "{}",
        status.body()
    );
}

#[test]
fn openbaos_generic_layer_runs_before_any_token_check() {
    let mut h = Harness::openbao();
    let eof = "failed to decode JSON input: unexpected EOF";
    let array = "failed to decode JSON input: json: cannot unmarshal array into Go value of type map[string]interface {}";
    for path in [
        "/v1/sys/nothing-here",
        ROOT_ATTEMPT,
        "/v1/sys/decode-token",
        RT_ATTEMPT,
        RT_UPDATE,
    ] {
        assert_eq!(
            errors(&h.call("PUT", path, None, "{")),
            err(400, &[eof]),
            "{path}"
        );
        assert_eq!(
            errors(&h.call("POST", path, None, "[]")),
            err(400, &[array]),
            "{path}"
        );
        for method in ["FOO", "get", "TRACE", "CONNECT"] {
            assert_eq!(
                errors(&h.call(method, path, None, "")),
                err(405, &[]),
                "{method} {path}"
            );
        }
    }
    assert!(h.asked.is_empty());
    // A body sent as a form skips the generic layer; GET and DELETE bodies are not read there.
    let form = Request::new("PUT", RT_ATTEMPT)
        .with_header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .with_body(b"\"x\"");
    assert_eq!(errors(&h.send(&form)), err(403, &["permission denied"]));
    assert_eq!(
        errors(&h.call("DELETE", RT_ATTEMPT, None, "{")),
        err(403, &["permission denied"])
    );
    assert_eq!(
        errors(&h.call("GET", "/v1/sys/nothing-here", None, "{")),
        err(403, &["permission denied"])
    );
    // OPTIONS on a logical path: before the token too.
    let internal = "cannot handle internal-only request operation";
    for path in [RT_ATTEMPT, "/v1/sys/nothing", "/v1/sys/decode-token"] {
        assert_eq!(
            errors(&h.call("OPTIONS", path, None, "")),
            err(400, &[internal])
        );
    }
    assert_eq!(h.asked.len(), 3);
}

#[test]
fn generate_root_token_method_rules_after_authorization() {
    let mut h = Harness::openbao();
    let op = "1 error occurred:\n\t* unsupported operation\n\n";
    let path = "1 error occurred:\n\t* unsupported path\n\n";
    for (method, target, want) in [
        ("GET", RT_UPDATE, err(405, &[op])),
        ("DELETE", RT_UPDATE, err(405, &[op])),
        ("LIST", RT_ATTEMPT, err(404, &[path])),
        ("LIST", RT_UPDATE, err(404, &[path])),
    ] {
        assert_eq!(
            errors(&h.call(method, target, Some(ROOT), "")),
            want,
            "{method} {target}"
        );
        assert_eq!(
            errors(&h.call(method, target, None, "")),
            err(403, &["permission denied"])
        );
    }
    let patch = Request::new("PATCH", RT_ATTEMPT)
        .with_header("X-Vault-Token", ROOT)
        .with_header("Content-Type", "application/merge-patch+json")
        .with_body(b"{}");
    assert_eq!(errors(&h.send(&patch)), err(405, &[op]));
    assert_eq!(errors(&h.call("HEAD", RT_ATTEMPT, Some(ROOT), "")).0, 405);
}

#[test]
fn openbao_namespaces_must_exist_and_the_old_family_has_none() {
    let mut h = Harness::new(
        Dialect::OpenBao,
        Access::default().with_unauthenticated(Endpoint::Root, true),
    );
    let with_ns = |method: &'static str, target: &'static str, ns: &'static str| {
        Request::new(method, target)
            .with_header("X-Vault-Token", ROOT)
            .with_header("X-Vault-Namespace", ns)
    };
    assert_eq!(
        errors(&h.send(&with_ns("GET", RT_ATTEMPT, "nope"))),
        err(404, &["namespace not found"])
    );
    let decode = with_ns("PUT", "/v1/sys/decode-token", "nope").with_body(b"{}");
    assert_eq!(errors(&h.send(&decode)), err(404, &["namespace not found"]));
    assert_eq!(
        errors(&h.send(&with_ns("GET", ROOT_ATTEMPT, "nope"))),
        err(400, &["operation unavailable in namespaces"])
    );
    for root in ["/", ""] {
        assert_eq!(h.send(&with_ns("GET", RT_ATTEMPT, root)).status(), 200);
    }
    assert!(h.asked.iter().all(|a| a.3.is_none()));
}

#[test]
fn decode_token_answers_in_the_envelope_with_openbaos_texts() {
    // Probed on OpenBao 2.7.2: OTP `ABCDEFGHIJKLMNOPQRSTUVWXYZ`, token `s.abcdefghijklmnopqrstuvwx`.
    let enc = "MmwiJiYiIi4uIiImJiIiPj4iIiYmIiIuLiI";
    let otp = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for dialect in [Dialect::OpenBao, Dialect::Vault] {
        let mut h = Harness::new(dialect, Access::default());
        let body = format!(r#"{{"encoded_token":"{enc}","otp":"{otp}"}}"#);
        for method in ["PUT", "POST"] {
            let a = h.call(method, "/v1/sys/decode-token", None, &body);
            assert_eq!(
                normalized(&a),
                r#"{"auth":null,"data":{"token":"s.abcdefghijklmnopqrstuvwx"},"lease_duration":0,"lease_id":"","renewable":false,"request_id":"<id>","warnings":null,"wrap_info":null}"#
            );
            assert!(
                a.body()
                    .contains("\"data\":{\"token\":\"s.abcdefghijklmnopqrstuvwx\"},\"wrap_info\"")
            );
        }
        let empty = "provided 'encoded_token' or 'otp' is empty";
        for body in [
            format!(r#"{{"encoded_token":"{enc}"}}"#),
            format!(r#"{{"otp":"{otp}"}}"#),
            String::new(),
            format!(r#"{{"ENCODED_TOKEN":"{enc}","OTP":"{otp}"}}"#),
            format!(r#"{{"encoded_token":"{enc}","otp":null}}"#),
        ] {
            assert_eq!(
                errors(&h.call("PUT", "/v1/sys/decode-token", None, &body)),
                err(400, &[empty]),
                "{body}"
            );
        }
        for (body, text) in [
            (
                format!(r#"{{"encoded_token":"{enc}","otp":"{}"}}"#, &otp[..25]),
                "error xoring token: length of byte slices is not equivalent: 26 != 25",
            ),
            (
                format!(r#"{{"encoded_token":"not base64!","otp":"{otp}"}}"#),
                "error decoding base64'd token: illegal base64 data at input byte 3",
            ),
            (
                format!(r#"{{"encoded_token":"{enc}=","otp":"{otp}"}}"#),
                "error decoding base64'd token: illegal base64 data at input byte 35",
            ),
        ] {
            assert_eq!(
                errors(&h.call("PUT", "/v1/sys/decode-token", None, &body)),
                err(400, &[text])
            );
        }
        for method in ["GET", "DELETE"] {
            assert_eq!(
                errors(&h.call(method, "/v1/sys/decode-token", None, "")),
                err(405, &["unsupported operation"])
            );
        }
        assert!(h.asked.is_empty());
    }
}

#[test]
fn a_namespace_slot_sealed_or_named_by_the_path() {
    // /work/notes/http-probe/namespaces.out (OpenBao 2.7.2, a sealable namespace `ns1`).
    let mut h = Harness::openbao();
    let config = GeneratorConfig::builder(2)
        .with_dialect(Dialect::OpenBao)
        .with_profile(TokenProfile::OPENBAO)
        .build()
        .unwrap();
    let mut generator = RecoveryTokenGenerator::new(config);
    generator.set_server_state(recovery_token::ServerState::Sealed);
    // Any spelling of the name is one namespace, named canonically as the steps name it.
    assert_eq!(h.face.add_namespace("/ns1/", generator).unwrap(), "ns1/");
    let sealed = err(503, &["namespace is sealed"]);
    for (method, target, body) in [
        ("GET", RT_ATTEMPT, ""),
        ("PUT", RT_ATTEMPT, ""),
        ("PUT", RT_UPDATE, r#"{"key":"00","nonce":"x"}"#),
    ] {
        let r = Request::new(method, target)
            .with_header("X-Vault-Token", ROOT)
            .with_header("X-Vault-Namespace", "ns1")
            .with_body(body.as_bytes());
        assert_eq!(errors(&h.send(&r)), sealed);
    }
    h.face
        .generator_mut(Some("ns1"))
        .unwrap()
        .set_server_state(recovery_token::ServerState::Unsealed);
    // The path form: `/v1/ns1/sys/...`; the policy sees the path inside the namespace.
    let a = h.call(
        "GET",
        "/v1/ns1/sys/generate-root-token/attempt",
        Some(ROOT),
        "",
    );
    assert_eq!(a.status(), 200);
    assert!(a.body().contains("\"required\":2"));
    let asked = h.asked.last().unwrap();
    assert_eq!(
        (asked.2.as_str(), asked.3.as_deref()),
        ("sys/generate-root-token/attempt", Some("ns1/"))
    );
    // R57: the old family in a namespace named by the path.
    assert_eq!(
        errors(&h.call("GET", "/v1/ns1/sys/generate-root/attempt", Some(ROOT), "")),
        err(400, &["operation only available in root namespace"])
    );
    // R50: the path form and the header at once: ns1 inside ns1, no such route.
    let r = Request::new("GET", "/v1/ns1/sys/generate-root-token/attempt")
        .with_header("X-Vault-Token", ROOT)
        .with_header("X-Vault-Namespace", "ns1");
    assert_eq!(
        errors(&h.send(&r)),
        err(
            404,
            &[
                "no handler for route \"ns1/sys/generate-root-token/attempt\". route entry not found."
            ]
        )
    );
    // Recovery endpoints and sys/raw take no namespace.
    for target in [RECOVERY, "/v1/sys/raw/x"] {
        let r = Request::new("GET", target).with_header("X-Vault-Namespace", "ns1");
        assert_eq!(
            errors(&h.send(&r)),
            err(400, &["operation unavailable in namespaces"])
        );
    }
}

#[test]
fn every_step_can_leave_the_lock_and_the_thread() {
    // An async host holds a step across an `.await` (a token store, a key check) and moves a
    // PGP parse to a blocking thread: each step is `Send + 'static`, and so is the face.
    fn send<T: Send + 'static>() {}
    send::<Authorize>();
    send::<recovery_token::http::ParsePgp>();
    send::<recovery_token::http::PgpParsed>();
    send::<recovery_token::http::CheckKey>();
    send::<recovery_token::http::MintToken>();
    send::<recovery_token::http::Revoke>();
    send::<Step>();
    send::<Face>();
}

#[test]
fn logical_endpoints_read_fields_weakly_and_by_exact_name() {
    // /work/notes/http-probe/weak.out (OpenBao 2.7.2).
    let mut h = Harness::openbao();
    let len = "OTP string has incorrect length";
    for v in ["5", "1.5", "1e3", "-0", "true", "false"] {
        let a = h.call("PUT", RT_ATTEMPT, Some(ROOT), &format!(r#"{{"otp":{v}}}"#));
        assert_eq!(errors(&a), err(400, &[len]), "{v}");
    }
    for (v, kind) in [
        ("[]", "[]interface {}"),
        ("[1]", "[]interface {}"),
        ("{}", "map[string]interface {}"),
    ] {
        let text = format!(
            "Field validation failed: error converting input for field \"otp\": '' expected type 'string', got unconvertible type '{kind}'"
        );
        let a = h.call("PUT", RT_ATTEMPT, Some(ROOT), &format!(r#"{{"otp":{v}}}"#));
        assert_eq!(errors(&a), err(400, &[&text]), "{v}");
        let a = h.call(
            "PUT",
            "/v1/sys/decode-token",
            None,
            &format!(r#"{{"encoded_token":"MmwiJiYiIi4uIiImJiIiPj4iIiYmIiIuLiI","otp":{v}}}"#),
        );
        assert_eq!(errors(&a), err(400, &[&text]), "{v}");
    }
    for (v, n) in [
        ("5", 1),
        ("1.5", 3),
        ("1e3", 3),
        ("-0", 2),
        ("true", 1),
        ("false", 1),
    ] {
        let a = h.call(
            "PUT",
            "/v1/sys/decode-token",
            None,
            &format!(r#"{{"encoded_token":"MmwiJiYiIi4uIiImJiIiPj4iIiYmIiIuLiI","otp":{v}}}"#),
        );
        let text =
            format!("error xoring token: length of byte slices is not equivalent: 26 != {n}");
        assert_eq!(errors(&a), err(400, &[&text]), "{v}");
    }
    // `OTP` is not `otp`: the start generates one.
    let a = h.call("PUT", RT_ATTEMPT, Some(ROOT), r#"{"OTP":"abc"}"#);
    assert_eq!(a.status(), 200, "{}", a.body());
    let body: serde_json::Value = serde_json::from_str(a.body()).unwrap();
    let nonce = body["data"]["nonce"].as_str().unwrap().to_owned();
    assert_eq!(body["data"]["otp"].as_str().unwrap().len(), 26);
    let a = h.call(
        "PUT",
        RT_UPDATE,
        Some(ROOT),
        &format!(r#"{{"KEY":"aa","NONCE":"{nonce}"}}"#),
    );
    assert_eq!(errors(&a), err(400, &["nonce is required"]));
    let a = h.call(
        "PUT",
        RT_UPDATE,
        Some(ROOT),
        &format!(r#"{{"key":5,"nonce":"{nonce}"}}"#),
    );
    assert_eq!(
        errors(&a),
        err(
            500,
            &["1 error occurred:\n\t* 'key' must be a valid hex or base64 string\n\n"]
        )
    );
}

#[test]
fn decode_token_with_the_wrong_otp_answers_the_garbage_go_escaped() {
    // Probed on OpenBao 2.7.2 (decode_and_edges.out, weak.out): a wrong OTP of the right
    // length decodes to garbage, answered as is, control characters escaped as Go escapes them.
    let mut h = Harness::openbao();
    let enc = "MmwiJiYiIi4uIiImJiIiPj4iIiYmIiIuLiI";
    for (otp, token) in [
        (
            "\"ZZZZZZZZZZZZZZZZZZZZZZZZZZ\"",
            "\"h6x||xxttxx||xxddxx||xxttx\"",
        ),
        (
            "12345678901234567890123456",
            "\"\\u0003^\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\b\\t\\u001a\\u001b\\u0016\\u0017\\u0010\\u0011\\u001a\\u001b\\u0014\"",
        ),
    ] {
        let a = h.call(
            "PUT",
            "/v1/sys/decode-token",
            None,
            &format!(r#"{{"encoded_token":"{enc}","otp":{otp}}}"#),
        );
        assert_eq!(a.status(), 200);
        assert!(
            a.body()
                .contains(&format!("\"data\":{{\"token\":{token}}}")),
            "{}",
            a.body()
        );
    }
}

#[test]
fn openbao_recovery_mode_serves_only_its_endpoints_and_sys_raw() {
    // /work/notes/http-probe/recovery.out (OpenBao 2.7.2, `bao server -recovery`).
    let mut h = Harness::openbao();
    h.face = std::mem::replace(
        &mut h.face,
        Face::new(RecoveryTokenGenerator::new(
            GeneratorConfig::new(1).unwrap(),
        )),
    )
    .with_recovery_mode(true);
    assert!(h.face.recovery_mode());
    assert_eq!(h.call("GET", RECOVERY, None, "").status(), 200);
    for path in [
        "/v1/sys/generate-recovery-token/attempt/",
        "/v1/sys/generate-recovery-token/foo",
        "/v1/sys/nothing",
        ROOT_ATTEMPT,
        RT_ATTEMPT,
        "/v1/sys/decode-token",
        "/v1/nothing",
        "/",
    ] {
        let a = h.call("GET", path, Some(ROOT), "");
        assert_eq!(
            (a.status(), a.content_type(), a.body()),
            (
                404,
                Some("text/plain; charset=utf-8"),
                "404 page not found\n"
            ),
            "{path}"
        );
    }
    assert_eq!(errors(&h.call("GET", "/v2/x", None, "")), err(404, &[]));
    let a = h.call("GET", "/v1/sys/generate-recovery-token//attempt", None, "");
    assert_eq!((a.status(), a.location()), (307, Some(RECOVERY)));
    let a = h.call("GET", "/v1/sys/raw", None, "");
    assert_eq!((a.status(), a.location()), (307, Some("/v1/sys/raw/")));
    for method in ["GET", "PUT", "DELETE", "LIST"] {
        for path in ["/v1/sys/raw/x", "/v1/sys/raw/"] {
            assert_eq!(
                errors(&h.call(method, path, Some("hvr.nope"), "")),
                err(403, &[])
            );
        }
    }
    let update = "/v1/sys/generate-recovery-token/update";
    let missing = err(400, &["'key' must be specified in request body as JSON"]);
    for method in ["LIST", "OPTIONS", "FOO", "PATCH"] {
        assert_eq!(
            errors(&h.call(method, RECOVERY, None, "")),
            err(405, &[]),
            "{method}"
        );
        assert_eq!(
            errors(&h.call(method, update, None, "")),
            missing,
            "{method}"
        );
    }
    let a = h.call("PUT", RECOVERY, None, "{");
    assert_eq!(
        errors(&a),
        err(400, &["failed to decode JSON input: unexpected EOF"])
    );
    let r = Request::new("GET", RECOVERY).with_header("X-Vault-Namespace", "ns1");
    assert_eq!(
        errors(&h.send(&r)),
        err(400, &["operation unavailable in namespaces"])
    );
    assert!(h.asked.is_empty());
}

#[test]
fn a_namespace_ceremony_mints_the_namespaces_token_shape() {
    // Observed on OpenBao 2.7.2 (namespaces.out): in a sealable namespace with id `JouSNY`,
    // `otp_length` is 33 and the token is `s.` + 24 base62 + `.JouSNY`.
    use recovery_token::tokens::TokenFormat;
    let mut h = Harness::openbao();
    let format = TokenFormat::SERVICE_ROOT.in_namespace("JouSNY").unwrap();
    let key: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
    let shares: Vec<String> = KeyShare::split(&key, 2, 3, &mut rand::rng())
        .unwrap()
        .iter()
        .map(|s| hex(s.expose_secret()))
        .collect();
    let config = GeneratorConfig::builder(2)
        .with_dialect(Dialect::OpenBao)
        .with_profile(TokenProfile::new(format, TokenFormat::VAULT_RECOVERY))
        .build()
        .unwrap();
    h.face
        .add_namespace("ns1", RecoveryTokenGenerator::new(config))
        .unwrap();
    h.host = TestHost::new(&key).with_profile(TokenProfile::OPENBAO);
    let send = |h: &mut Harness, method: &str, target: &str, body: &str| {
        let r = Request::new(method, target)
            .with_header("X-Vault-Token", ROOT)
            .with_header("X-Vault-Namespace", "ns1")
            .with_body(body.as_bytes());
        h.send(&r)
    };
    let started = send(&mut h, "PUT", RT_ATTEMPT, "");
    let v: serde_json::Value = serde_json::from_str(started.body()).unwrap();
    assert_eq!(v["data"]["otp_length"], 33);
    let (nonce, otp) = (
        v["data"]["nonce"].as_str().unwrap().to_owned(),
        v["data"]["otp"].as_str().unwrap().to_owned(),
    );
    assert_eq!(otp.len(), 33);
    let mut last = None;
    for share in &shares[..2] {
        last = Some(send(
            &mut h,
            "PUT",
            RT_UPDATE,
            &format!(r#"{{"key":"{share}","nonce":"{nonce}"}}"#),
        ));
    }
    let done: serde_json::Value = serde_json::from_str(last.unwrap().body()).unwrap();
    let token = recovery_token::tokens::decode_token(
        done["data"]["encoded_token"].as_str().unwrap(),
        &otp,
        33,
    )
    .unwrap();
    let t = token.expose_secret();
    assert!(
        t.starts_with("s.") && t.ends_with(".JouSNY") && t.len() == 33,
        "{t}"
    );
    assert_eq!(h.host.minted, [t.to_owned()]);
    // The root namespace's slot never saw it.
    assert!(!h.face.root().status(Strategy::Root, h.clock.now()).started);
}

#[test]
fn openbao_path_edges_observed_in_section_5() {
    // openbao-observed.md section 5 (R28, R32, R33, R40, R41).
    let mut h = Harness::new(
        Dialect::OpenBao,
        Access::default().with_unauthenticated(Endpoint::Root, true),
    );
    let slash = err(400, &["cannot write to a path ending in '/'"]);
    for path in [
        "/v1/sys/generate-root/attempt/",
        "/v1/sys/generate-root/",
        "/v1/sys/generate-root-token/attempt/",
        "/v1/sys/generate-root-token/",
    ] {
        for token in [None, Some(ROOT)] {
            assert_eq!(errors(&h.call("PUT", path, token, "")), slash, "{path}");
        }
    }
    // The old family's bare path: its token is checked, then 405.
    assert_eq!(
        errors(&h.call("GET", "/v1/sys/generate-root", None, "")),
        err(403, &["permission denied"])
    );
    assert_eq!(
        errors(&h.call("GET", "/v1/sys/generate-root", Some(ROOT), "")),
        err(405, &["1 error occurred:\n\t* unsupported operation\n\n"])
    );
    // Percent-encoded hyphens route as hyphens; an encoded slash routes nowhere.
    let a = h.call("GET", "/v1/sys/generate%2Droot/attempt", None, "");
    assert_eq!(a.status(), 200);
    assert!(a.body().starts_with("{\"nonce\":\"\",\"started\":false"));
    let a = h.call(
        "GET",
        "/v1/sys/generate%2droot%2Dtoken/attempt",
        Some(ROOT),
        "",
    );
    assert_eq!(a.status(), 200);
    assert!(a.body().starts_with("{\"request_id\":"));
    assert_eq!(
        errors(&h.call("GET", "/v1/sys/generate%2Droot%2Dtoken/attempt", None, "")),
        err(403, &["permission denied"])
    );
}

mod arbitrary_requests {
    //! No input makes the face panic, and every answer is well-formed: a JSON body is JSON, a
    //! 307 names a clean `Location`, the status is one the servers send.
    use super::*;
    use proptest::prelude::{
        Just, ProptestConfig, any, prop_assert, prop_assert_eq, prop_oneof, proptest,
    };
    use proptest::strategy::Strategy;

    fn method() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("GET".to_owned()),
            Just("PUT".to_owned()),
            Just("POST".to_owned()),
            Just("DELETE".to_owned()),
            Just("LIST".to_owned()),
            Just("PATCH".to_owned()),
            Just("OPTIONS".to_owned()),
            "[A-Za-z]{1,8}",
        ]
    }

    fn target() -> impl Strategy<Value = String> {
        let segment = prop_oneof![
            Just("v1".to_owned()),
            Just("sys".to_owned()),
            Just("generate-root".to_owned()),
            Just("generate-root-token".to_owned()),
            Just("generate-recovery-token".to_owned()),
            Just("attempt".to_owned()),
            Just("update".to_owned()),
            Just("decode-token".to_owned()),
            Just("raw".to_owned()),
            Just("ns1".to_owned()),
            Just(String::new()),
            Just(".".to_owned()),
            Just("..".to_owned()),
            "[a-z%0-9A-F?=&]{0,6}",
        ];
        proptest::collection::vec(segment, 0..7).prop_map(|s| format!("/{}", s.join("/")))
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(Vec::new()),
            Just(b"{}".to_vec()),
            Just(br#"{"key":"00","nonce":"x"}"#.to_vec()),
            Just(br#"{"otp":5,"pgp_key":[1]}"#.to_vec()),
            Just(br#"{"encoded_token":"MmwiJiYiIi4uIiImJiIiPj4iIiYmIiIuLiI","otp":"ABCDEFGHIJKLMNOPQRSTUVWXYZ"}"#.to_vec()),
            proptest::collection::vec(any::<u8>(), 0..40),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn any_request_gets_a_well_formed_answer(
            openbao in any::<bool>(),
            recovery_mode in any::<bool>(),
            method in method(),
            target in target(),
            body in body(),
            content_type in prop_oneof![Just(None), Just(Some("application/merge-patch+json")), Just(Some("application/x-www-form-urlencoded")), Just(Some("a/b; x"))],
            token in prop_oneof![Just(None), Just(Some(ROOT)), Just(Some(WEAK)), Just(Some("hvr.x"))],
            namespace in prop_oneof![Just(None), Just(Some("ns1")), Just(Some("nope")), Just(Some("/"))],
        ) {
            let dialect = if openbao { Dialect::OpenBao } else { Dialect::Vault };
            let mut h = Harness::new(dialect, Access::default());
            let config = GeneratorConfig::builder(3).with_dialect(dialect).build().unwrap();
            h.face.add_namespace("ns1", RecoveryTokenGenerator::new(config)).unwrap();
            h.face = std::mem::replace(
                &mut h.face,
                Face::new(RecoveryTokenGenerator::new(GeneratorConfig::new(1).unwrap())),
            )
            .with_recovery_mode(recovery_mode);
            let mut r = Request::new(&method, &target).with_body(&body);
            if let Some(ct) = content_type { r = r.with_header("Content-Type", ct); }
            if let Some(t) = token { r = r.with_header("X-Vault-Token", t); }
            if let Some(ns) = namespace { r = r.with_header("X-Vault-Namespace", ns); }
            let a = h.send(&r);
            prop_assert!(matches!(a.status(), 200 | 204 | 307 | 400 | 403 | 404 | 405 | 413 | 415 | 500 | 503), "{}", a.status());
            match a.content_type() {
                Some("application/json") if a.status() != 204 => {
                    prop_assert!(serde_json::from_str::<serde_json::Value>(a.body()).is_ok(), "{}", a.body());
                }
                Some("application/json") => prop_assert_eq!(a.body(), ""),
                _ if a.status() == 307 => {
                    // The path is clean; the query is kept verbatim, as Go's redirect keeps
                    // `RawQuery` (`/v1//?//v1` goes to `/v1/?//v1`).
                    let l = a.location().expect("a 307 names where to go");
                    let path = l.split('?').next().expect("a split yields at least one piece");
                    prop_assert!(path.starts_with('/') && !path.contains("//"), "{l}");
                }
                other => prop_assert!(matches!(other, Some("text/plain; charset=utf-8")), "{other:?}"),
            }
        }
    }
}

#[test]
fn a_namespace_without_keys_has_no_ceremony() {
    // R54: a non-sealable namespace (OpenBao 2.7.2).
    let mut h = Harness::openbao();
    h.face.add_unsealable_namespace("ns2").unwrap();
    assert!(h.face.add_unsealable_namespace("ns2/").is_err());
    let in_ns2 = |h: &mut Harness, method: &str, target: &str, token: &str| {
        let r = Request::new(method, target)
            .with_header("X-Vault-Token", token)
            .with_header("X-Vault-Namespace", "ns2")
            .with_body(br#"{"key":"00","nonce":"x"}"#);
        h.send(&r)
    };
    let not = err(400, &["namespace is not sealable"]);
    assert_eq!(errors(&in_ns2(&mut h, "GET", RT_ATTEMPT, ROOT)), not);
    assert_eq!(errors(&in_ns2(&mut h, "PUT", RT_ATTEMPT, ROOT)), not);
    assert_eq!(
        errors(&in_ns2(&mut h, "PUT", RT_UPDATE, ROOT)),
        err(
            500,
            &["1 error occurred:\n\t* namespace is not sealable\n\n"]
        )
    );
    let cancel = in_ns2(&mut h, "DELETE", RT_ATTEMPT, ROOT);
    assert_eq!((cancel.status(), cancel.body()), (204, ""));
    assert_eq!(
        errors(&in_ns2(&mut h, "GET", RT_ATTEMPT, "s.unknown")),
        err(403, &["permission denied"])
    );
}

/// A face whose key was split here, with its registry and holders-only start and cancel.
fn holders_only() -> Harness {
    let key: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
    let (shares, registry) = KeyShare::split_with_registry(&key, 3, 5, &mut rand::rng()).unwrap();
    let config = GeneratorConfig::builder(3)
        .with_share_registry(registry)
        .with_holders_only_start_cancel(true)
        .build()
        .unwrap();
    Harness {
        face: Face::new(RecoveryTokenGenerator::new(config)),
        host: TestHost::new(&key),
        shares: shares.iter().map(|s| hex(s.expose_secret())).collect(),
        asked: Vec::new(),
        clock: Clock::new(),
    }
}

const ATTEMPT: &str = "/v1/sys/generate-recovery-token/attempt";
const UPDATE: &str = "/v1/sys/generate-recovery-token/update";

fn progress(h: &mut Harness) -> (bool, u64) {
    let status: serde_json::Value =
        serde_json::from_str(h.call("GET", ATTEMPT, None, "").body()).unwrap();
    (
        status["started"].as_bool().unwrap(),
        status["progress"].as_u64().unwrap(),
    )
}

#[test]
fn holders_only_start_and_cancel_need_a_registered_share_over_http() {
    let mut h = holders_only();
    let required = err(
        400,
        &["a key holder's share is required in the request's 'key' field"],
    );
    let unknown = err(400, &["given key is not one of this key set's shares"]);
    let foreign = hex(&[0x5a; 33]);

    // A stranger can neither start (with no share, or a foreign one) nor start with a PGP key.
    assert_eq!(errors(&h.call("PUT", ATTEMPT, None, "")), required);
    assert_eq!(
        errors(&h.call("PUT", ATTEMPT, None, "{\"pgp_key\":\"AAAA\"}")),
        required
    );
    let body = format!("{{\"key\":\"{foreign}\"}}");
    assert_eq!(errors(&h.call("PUT", ATTEMPT, None, &body)), unknown);
    assert_eq!(progress(&mut h), (false, 0));

    // A key holder starts; the share is not counted.
    let body = format!("{{\"key\":\"{}\"}}", h.shares[0]);
    let started = h.call("PUT", ATTEMPT, None, &body);
    assert_eq!(started.status(), 200, "{}", started.body());
    let nonce = serde_json::from_str::<serde_json::Value>(started.body()).unwrap()["nonce"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(progress(&mut h), (true, 0));

    // Two holders submit; a foreign share at threshold - 1 is refused and wipes nothing.
    for i in 0..2 {
        let body = format!("{{\"key\":\"{}\",\"nonce\":\"{nonce}\"}}", h.shares[i]);
        assert_eq!(h.call("PUT", UPDATE, None, &body).status(), 200);
    }
    let body = format!("{{\"key\":\"{foreign}\",\"nonce\":\"{nonce}\"}}");
    assert_eq!(errors(&h.call("PUT", UPDATE, None, &body)), unknown);
    assert_eq!(progress(&mut h), (true, 2));

    // A stranger cannot cancel; a holder can.
    assert_eq!(errors(&h.call("DELETE", ATTEMPT, None, "")), required);
    let body = format!("{{\"key\":\"{foreign}\"}}");
    assert_eq!(errors(&h.call("DELETE", ATTEMPT, None, &body)), unknown);
    assert_eq!(progress(&mut h), (true, 2));
    let body = format!("{{\"key\":\"{}\"}}", h.shares[4]);
    assert_eq!(h.call("DELETE", ATTEMPT, None, &body).status(), 204);
    assert_eq!(progress(&mut h), (false, 0));
}

#[test]
fn a_start_ttl_is_refused_by_a_host_without_lifetimes() {
    let mut h = Harness::vault();
    let answer = h.call("PUT", ATTEMPT, None, "{\"ttl\":\"1h\"}");
    assert_eq!(
        errors(&answer),
        err(
            400,
            &["this server does not support a root token lifetime ('ttl')"]
        )
    );
    assert_eq!(progress(&mut h), (false, 0));
    assert_eq!(h.call("PUT", ATTEMPT, None, "{}").status(), 200);
}

/// A redirect keeps the query as sent: only the path is cleaned (found by the arbitrary-request
/// property: `/v1//?//v1`).
#[test]
fn a_redirect_cleans_the_path_and_keeps_the_query() {
    let mut h = Harness::vault();
    let a = h.call("GET", "/v1//?//v1", None, "");
    assert_eq!(a.status(), 307);
    assert_eq!(a.location(), Some("/v1/?//v1"));
}

#[test]
fn the_starts_ttl_reaches_the_mint_step_through_the_face_and_serve() {
    let config = GeneratorConfig::builder(1)
        .with_ttl_supported(true)
        .build()
        .unwrap();
    let access = Access::enable_unauthenticated(&["generate-root"]).unwrap();
    let mut face = Face::new(RecoveryTokenGenerator::new(config)).with_access(access);
    let key = [9u8; 16];
    let mut host = TestHost::new(&key);
    let (now, mut rng) = (Instant::now(), rand::rng());
    const ROOT_ATTEMPT: &str = "/v1/sys/generate-root/attempt";
    const ROOT_UPDATE: &str = "/v1/sys/generate-root/update";
    for (start, want) in [
        (
            "{\"ttl\":\"90s\"}",
            Some(std::time::Duration::from_secs(90)),
        ),
        ("{}", None),
    ] {
        let request = Request::new("PUT", ROOT_ATTEMPT).with_body(start.as_bytes());
        let started = serve(&mut face, &request, now, &mut rng, &mut host, |_| true);
        assert_eq!(started.status(), 200, "{}", started.body());
        let nonce = serde_json::from_str::<serde_json::Value>(started.body()).unwrap()["nonce"]
            .as_str()
            .unwrap()
            .to_owned();
        // Step by step: the face's mint step carries the lifetime.
        let body = format!("{{\"key\":\"{}\",\"nonce\":\"{nonce}\"}}", hex(&key));
        let update = Request::new("PUT", ROOT_UPDATE).with_body(body.as_bytes());
        let mut step = face.handle(&update, now, &mut rng);
        let answer = loop {
            step = match step {
                Step::Answer(a) => break a,
                Step::Authorize(a) => a.allow(&mut face, now, &mut rng),
                Step::CheckKey(c) => c.accept(&mut face, now, &mut rng),
                Step::MintToken(m) => {
                    assert_eq!(m.ttl(), want, "{start}");
                    // The synchronous driver hands it to `Host::mint_token_for`.
                    match host.mint_token_for(m.strategy(), m.ttl()) {
                        Ok(t) => m.issue(&mut face, t, now, &mut rng),
                        Err(r) => m.fail(&mut face, r, now),
                    }
                }
                other => panic!("unexpected step {other:?}"),
            };
        };
        assert_eq!(answer.status(), 200, "{}", answer.body());
    }
    // `http::serve` passes the lifetime on too.
    let request = Request::new("PUT", ROOT_ATTEMPT).with_body(b"{\"ttl\":\"2h\"}");
    let started = serve(&mut face, &request, now, &mut rng, &mut host, |_| true);
    let nonce = serde_json::from_str::<serde_json::Value>(started.body()).unwrap()["nonce"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = format!("{{\"key\":\"{}\",\"nonce\":\"{nonce}\"}}", hex(&key));
    let update = Request::new("PUT", ROOT_UPDATE).with_body(body.as_bytes());
    let done = serve(&mut face, &update, now, &mut rng, &mut host, |_| true);
    assert_eq!(done.status(), 200, "{}", done.body());
    assert_eq!(
        host.ttls,
        [
            Some(std::time::Duration::from_secs(90)),
            None,
            Some(std::time::Duration::from_secs(7200))
        ]
    );
}

// ------------------------------------------------------------------ openbao_diff findings
// Each test below states the bytes the real OpenBao 2.7.2 answered to the same request in
// interop/openbao_diff.py (its "OpenBao's defaults" run), where the face answered otherwise.

const FORM: &str = "application/x-www-form-urlencoded";
const DECODE: &str = "/v1/sys/decode-token";

fn with_ns(h: &mut Harness) {
    let config = GeneratorConfig::builder(3)
        .with_dialect(Dialect::OpenBao)
        .with_profile(TokenProfile::OPENBAO)
        .build()
        .unwrap();
    h.face
        .add_namespace("ns1", RecoveryTokenGenerator::new(config))
        .unwrap();
}

fn send_with(
    h: &mut Harness,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut r = Request::new(method, target).with_body(body.as_bytes());
    for (name, value) in headers {
        r = r.with_header(name, value);
    }
    errors(&h.send(&r))
}

#[test]
fn a_form_body_is_parsed_before_the_token_and_json_if_it_looks_like_json() {
    let mut h = Harness::openbao();
    let ct = [("Content-Type", FORM)];
    // Go's url.ParseQuery refuses a `;` and a malformed escape: before the token, everywhere.
    for path in [
        RT_ATTEMPT,
        RT_UPDATE,
        ROOT_ATTEMPT,
        DECODE,
        "/v1/sys/nothing",
    ] {
        for body in ["a=%zz", "a;b", "%"] {
            assert_eq!(
                send_with(&mut h, "PUT", path, &ct, body),
                err(400, &["error parsing form data"]),
                "{path} {body}"
            );
        }
        // A body starting with `{` or `[` is JSON whatever the type says.
        assert_eq!(
            send_with(&mut h, "POST", path, &ct, "{"),
            err(400, &["failed to decode JSON input: unexpected EOF"])
        );
        assert_eq!(
            send_with(&mut h, "PUT", path, &ct, " [1]"),
            err(
                400,
                &[
                    "failed to decode JSON input: json: cannot unmarshal array into Go value of type map[string]interface {}"
                ]
            )
        );
    }
    assert!(h.asked.is_empty());
    // A valid form goes on to the token check; a type that does not parse is not a form.
    assert_eq!(
        send_with(&mut h, "PUT", RT_ATTEMPT, &ct, "a=1&&b"),
        err(403, &["permission denied"])
    );
    let broken = [("Content-Type", "application/x-www-form-urlencoded;;")];
    assert_eq!(
        send_with(&mut h, "PUT", DECODE, &broken, "a=%zz"),
        err(
            400,
            &["failed to decode JSON input: invalid character 'a' looking for beginning of value"]
        )
    );
}

#[test]
fn logical_endpoints_read_a_forms_pairs_as_their_fields() {
    let mut h = Harness::openbao();
    let ct = [("Content-Type", FORM)];
    // PROTOCOL.md section 6's worked example: `s.ABCDEFGHIJKLMNOPQRSTUVWX`, this OTP.
    let (enc, otp) = (
        "Qx9zcXdxc3F/cSgoKCgoKCg4ODg4ODg4OCg",
        "0123456789abcdefghijklmnop",
    );
    let ok = h.send(
        &Request::new("PUT", DECODE)
            .with_header(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .with_body(format!("encoded_token={enc}&otp={otp}").as_bytes()),
    );
    assert_eq!(ok.status(), 200);
    assert_eq!(
        normalized(&ok),
        r#"{"auth":null,"data":{"token":"s.ABCDEFGHIJKLMNOPQRSTUVWX"},"lease_duration":0,"lease_id":"","renewable":false,"request_id":"<id>","warnings":null,"wrap_info":null}"#
    );
    for (body, want) in [
        // A repeated name: the values joined with `,`.
        (
            format!("encoded_token={enc}&encoded_token=X&otp={otp}"),
            "error decoding base64'd token: illegal base64 data at input byte 35",
        ),
        (
            format!("encoded_token={}&otp={otp}&otp=", enc.replace('/', "%2F")),
            "error xoring token: length of byte slices is not equivalent: 26 != 27",
        ),
        // `+` is a space.
        (
            format!("encoded_token={enc}+&otp={otp}"),
            "error decoding base64'd token: illegal base64 data at input byte 35",
        ),
        (
            format!("otp={otp}&encoded_token"),
            "provided 'encoded_token' or 'otp' is empty",
        ),
        (
            "nope".to_owned(),
            "provided 'encoded_token' or 'otp' is empty",
        ),
        (
            "   ".to_owned(),
            "provided 'encoded_token' or 'otp' is empty",
        ),
    ] {
        assert_eq!(
            send_with(&mut h, "PUT", DECODE, &ct, &body),
            err(400, &[want]),
            "{body}"
        );
    }
    // sys/generate-root-token: a form start and a form update.
    let auth = [("Content-Type", FORM), ("X-Vault-Token", ROOT)];
    assert_eq!(
        send_with(&mut h, "PUT", RT_ATTEMPT, &auth, "otp=short"),
        err(400, &["OTP string has incorrect length"])
    );
    let started = h.send(
        &Request::new("PUT", RT_ATTEMPT)
            .with_header("Content-Type", FORM)
            .with_header("X-Vault-Token", ROOT)
            .with_body(b"otp=&pgp_key="),
    );
    assert_eq!(started.status(), 200);
    let nonce = serde_json::from_str::<serde_json::Value>(started.body()).unwrap()["data"]["nonce"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        send_with(
            &mut h,
            "PUT",
            RT_UPDATE,
            &auth,
            &format!("key=zz&nonce={nonce}")
        ),
        err(
            500,
            &["1 error occurred:\n\t* 'key' must be a valid hex or base64 string\n\n"]
        )
    );
    let share = h.shares[0].clone();
    let progress = h.send(
        &Request::new("PUT", RT_UPDATE)
            .with_header("Content-Type", FORM)
            .with_header("X-Vault-Token", ROOT)
            .with_body(format!("key={share}&nonce=x&nonce={nonce}").as_bytes()),
    );
    // `nonce=x&nonce=N` is the nonce `x,N`: OpenBao's wrong-nonce text, 500.
    assert_eq!(progress.status(), 500);
    assert!(progress.body().contains("incorrect nonce supplied"));
    let progress = h.send(
        &Request::new("PUT", RT_UPDATE)
            .with_header("Content-Type", FORM)
            .with_header("X-Vault-Token", ROOT)
            .with_body(format!("nonce={nonce}&key={share}").as_bytes()),
    );
    assert_eq!(progress.status(), 200);
    assert!(progress.body().contains("\"progress\":1,"));
}

#[test]
fn a_namespace_header_on_a_root_only_path_is_refused_before_anything_else() {
    let mut h = Harness::openbao();
    let unavailable = err(400, &["operation unavailable in namespaces"]);
    for path in [
        ROOT_ATTEMPT,
        "/v1/sys/generate-root",
        "/v1/sys/generate-root/status",
        RECOVERY,
        "/v1/sys/generate-recovery-token/x/y",
        "/v1/sys/raw",
        "/v1/sys/raw/x",
    ] {
        for ns in ["nope", "ns1"] {
            let n = [("X-Vault-Namespace", ns)];
            // Before PATCH's media type, an unknown method, the body, a form, the trailing-slash
            // rule, OPTIONS and the token.
            assert_eq!(
                send_with(&mut h, "PATCH", path, &n, "{}"),
                unavailable,
                "{path}"
            );
            assert_eq!(send_with(&mut h, "FOO", path, &n, ""), unavailable);
            assert_eq!(
                send_with(&mut h, "PUT", &format!("{path}/"), &n, ""),
                unavailable
            );
            assert_eq!(
                send_with(&mut h, "PUT", path, &[n[0], ("Content-Type", FORM)], "%zz"),
                unavailable
            );
            assert_eq!(
                send_with(
                    &mut h,
                    "PUT",
                    path,
                    &[n[0], ("Content-Type", "application/json")],
                    "nope"
                ),
                unavailable
            );
            assert_eq!(send_with(&mut h, "OPTIONS", path, &n, ""), unavailable);
        }
    }
    assert!(h.asked.is_empty());
    // By whole segments: these are other paths, so the namespace must exist.
    for path in [
        "/v1/sys/generate-rootx",
        "/v1/sys/rawx",
        "/v1/sys/generate-root-token/x",
    ] {
        assert_eq!(
            send_with(&mut h, "GET", path, &[("X-Vault-Namespace", "nope")], ""),
            err(404, &["namespace not found"])
        );
    }
    // Path cleaning and the body size still come first.
    let dirty = h.send(
        &Request::new("GET", "/v1/sys//generate-root/attempt")
            .with_header("X-Vault-Namespace", "nope"),
    );
    assert_eq!(dirty.status(), 307);
}

#[test]
fn a_missing_namespace_is_404_before_the_trailing_slash_rule_which_covers_patch() {
    let mut h = Harness::openbao();
    with_ns(&mut h);
    let slash = format!("{RT_ATTEMPT}/");
    assert_eq!(
        send_with(&mut h, "PUT", &slash, &[("X-Vault-Namespace", "nope")], ""),
        err(404, &["namespace not found"])
    );
    let cannot = err(400, &["cannot write to a path ending in '/'"]);
    assert_eq!(
        send_with(&mut h, "PUT", &slash, &[("X-Vault-Namespace", "ns1")], ""),
        cannot
    );
    let merge = [("Content-Type", "application/merge-patch+json")];
    for path in [
        slash.as_str(),
        "/v1/sys/generate-root/update/",
        "/v1/sys/generate-root-token/",
    ] {
        assert_eq!(
            send_with(&mut h, "PATCH", path, &merge, "{}"),
            cannot,
            "{path}"
        );
        assert_eq!(
            send_with(
                &mut h,
                "PATCH",
                path,
                &[merge[0], ("X-Vault-Token", ROOT)],
                "{}"
            ),
            cannot
        );
        // PATCH's media type is checked first.
        assert_eq!(
            send_with(&mut h, "PATCH", path, &[], "{}"),
            err(400, &["mime: no media type"])
        );
    }
    assert!(h.asked.is_empty());
}

#[test]
fn a_namespace_leading_the_path_takes_the_generic_chain_then_its_own_texts() {
    let mut h = Harness::openbao();
    with_ns(&mut h);
    let json = [("Content-Type", "application/json")];
    let bad_json = err(
        400,
        &["failed to decode JSON input: invalid character 'o' in literal null (expecting 'u')"],
    );
    for path in [
        "/v1/ns1/sys/generate-recovery-token/attempt",
        "/v1/ns1/sys/raw/x",
        "/v1/ns1/sys/generate-root/attempt",
    ] {
        assert_eq!(
            send_with(&mut h, "FOO", path, &[], ""),
            err(405, &[]),
            "{path}"
        );
        assert_eq!(
            send_with(&mut h, "PUT", path, &json, "nope"),
            bad_json,
            "{path}"
        );
    }
    let root_only = err(400, &["operation only available in root namespace"]);
    for path in [
        "/v1/ns1/sys/generate-root",
        "/v1/ns1/sys/generate-root/attempt/",
        "/v1/ns1/sys/raw",
        "/v1/ns1/sys/generate-recovery-token",
    ] {
        assert_eq!(send_with(&mut h, "PUT", path, &[], ""), root_only, "{path}");
        assert_eq!(send_with(&mut h, "GET", path, &[], ""), root_only, "{path}");
    }
    assert!(h.asked.is_empty());
    // After the token: the path inside the namespace names what is missing.
    let root = [("X-Vault-Token", ROOT)];
    assert_eq!(
        send_with(&mut h, "GET", "/v1/ns1/sys/generate-rootx", &root, ""),
        err(404, &["1 error occurred:\n\t* unsupported path\n\n"])
    );
    assert_eq!(
        send_with(&mut h, "GET", "/v1/ns1/foo", &root, ""),
        err(
            404,
            &["no handler for route \"foo\". route entry not found."]
        )
    );
    assert_eq!(
        send_with(&mut h, "GET", "/v1/ns1/foo", &[], ""),
        err(403, &["permission denied"])
    );
}

#[test]
fn logical_endpoints_warn_of_unrecognized_parameters_as_openbao_does() {
    let mut h = Harness::openbao();
    let warnings = |a: &Answer| -> serde_json::Value {
        assert_eq!(a.status(), 200, "{}", a.body());
        serde_json::from_str::<serde_json::Value>(a.body()).unwrap()["warnings"].clone()
    };
    let (enc, otp) = (
        "Qx9zcXdxc3F/cSgoKCgoKCg4ODg4ODg4OCg",
        "0123456789abcdefghijklmnop",
    );
    // OpenBao 2.7.2 answered this body with
    // `"warnings":["Endpoint ignored these unrecognized parameters: [OTP alpha zeta]"]`:
    // exact names (`OTP` is unknown), null values counted, sorted by bytes, each once.
    let body = format!(
        r#"{{"encoded_token":"{enc}","otp":"{otp}","zeta":1,"alpha":null,"OTP":"x","zeta":2}}"#
    );
    let a = h.call("PUT", DECODE, None, &body);
    assert_eq!(
        warnings(&a),
        serde_json::json!(["Endpoint ignored these unrecognized parameters: [OTP alpha zeta]"])
    );
    // Byte for byte: one string in the `warnings` list, before `auth`.
    assert!(a.body().ends_with(
        "\"warnings\":[\"Endpoint ignored these unrecognized parameters: [OTP alpha zeta]\"],\"auth\":null}\n"
    ));
    // A form: `[ A b]` for `b=1&b=2&=&%41=1` (observed).
    let form = h.send(
        &Request::new("PUT", DECODE)
            .with_header("Content-Type", FORM)
            .with_body(format!("encoded_token={enc}&otp={otp}&b=1&b=2&=&%41=1").as_bytes()),
    );
    assert_eq!(
        warnings(&form),
        serde_json::json!(["Endpoint ignored these unrecognized parameters: [ A b]"])
    );
    // Nothing unknown: `null`; a PUT's query is not read.
    let plain = h.call(
        "PUT",
        &format!("{DECODE}?x=1"),
        None,
        &format!(r#"{{"encoded_token":"{enc}","otp":"{otp}"}}"#),
    );
    assert_eq!(warnings(&plain), serde_json::Value::Null);
    // A status GET reads its query as Go's URL.Query() does: `[ x]` (observed).
    let status = h.call(
        "GET",
        &format!("{RT_ATTEMPT}?otp=1&pgp_key=&x&%zz=1&y=%zz&a;b=1&&="),
        Some(ROOT),
        "",
    );
    assert_eq!(
        warnings(&status),
        serde_json::json!(["Endpoint ignored these unrecognized parameters: [ x]"])
    );
    // Start and update: `[foo]`; `[a"b z é]`, escaped as Go's encoder writes it (observed).
    let start = h.call(
        "PUT",
        &format!("{RT_ATTEMPT}?q=1"),
        Some(ROOT),
        r#"{"foo":1,"otp":""}"#,
    );
    assert_eq!(
        warnings(&start),
        serde_json::json!(["Endpoint ignored these unrecognized parameters: [foo]"])
    );
    let nonce = serde_json::from_str::<serde_json::Value>(start.body()).unwrap()["data"]["nonce"]
        .as_str()
        .unwrap()
        .to_owned();
    let share = h.shares[0].clone();
    let update = h.call(
        "PUT",
        RT_UPDATE,
        Some(ROOT),
        &format!(r#"{{"key":"{share}","nonce":"{nonce}","z":1,"\u00e9":2,"a\"b":3}}"#),
    );
    assert!(update.body().ends_with(
        "\"warnings\":[\"Endpoint ignored these unrecognized parameters: [a\\\"b z \u{e9}]\"],\"auth\":null}\n"
    ), "{}", update.body());
    // A refusal carries no warning: the error body only.
    assert_eq!(
        errors(&h.call(
            "PUT",
            DECODE,
            None,
            r#"{"encoded_token":"","otp":"","x":1}"#
        )),
        err(400, &["provided 'encoded_token' or 'otp' is empty"])
    );
}

#[test]
fn a_namespace_without_keys_is_found_by_header_and_by_path() {
    // Observed on OpenBao 2.7.2 (`bao server -dev`, `bao namespace create ns4`, each request
    // after a cancel): the same answers whether the header or the path names it.
    let mut h = Harness::openbao();
    h.face.add_unsealable_namespace("ns4").unwrap();
    let not_sealable = err(400, &["namespace is not sealable"]);
    let multi = "{\"errors\":[\"1 error occurred:\\n\\t* namespace is not sealable\\n\\n\"]}\n";
    let decode = "error decoding base64'd token: illegal base64 data at input byte 0";
    for (by_header, prefix) in [(true, "/v1/"), (false, "/v1/ns4/")] {
        let send = |h: &mut Harness, method: &str, leaf: &str, body: &str| {
            let target = format!("{prefix}{leaf}");
            let mut r = Request::new(method, &target)
                .with_header("X-Vault-Token", ROOT)
                .with_body(body.as_bytes());
            if by_header {
                r = r.with_header("X-Vault-Namespace", "ns4");
            }
            errors(&h.send(&r))
        };
        let attempt = "sys/generate-root-token/attempt";
        assert_eq!(send(&mut h, "GET", attempt, ""), not_sealable);
        assert_eq!(send(&mut h, "PUT", attempt, ""), not_sealable);
        assert_eq!(send(&mut h, "DELETE", attempt, ""), (204, String::new()));
        let update = send(
            &mut h,
            "PUT",
            "sys/generate-root-token/update",
            r#"{"key":"ab","nonce":"x"}"#,
        );
        assert_eq!(update, (500, multi.to_owned()));
        let body = r#"{"encoded_token":"x","otp":"y"}"#;
        assert_eq!(
            send(&mut h, "PUT", "sys/decode-token", body),
            err(400, &[decode])
        );
    }
}

#[test]
fn openbaos_old_family_names_its_request_type_only_for_a_form() {
    // Observed on OpenBao 2.7.2 (`bao server -dev` with a listener that sets
    // `disable_unauthed_generate_root_endpoints = false`): a form Content-Type skips the generic
    // layer, and the handler's own decoder names its Go type.
    let mut h = Harness::new(
        Dialect::OpenBao,
        Access::default().with_unauthenticated(Endpoint::Root, true),
    );
    let text = |kind: &str, target: &str| {
        let t = format!(
            "failed to decode JSON input: json: cannot unmarshal {kind} into Go value of type {target}"
        );
        err(400, &[&t])
    };
    let generic = "map[string]interface {}";
    for (path, body, kind, target) in [
        (
            ROOT_ATTEMPT,
            "\"otp\"",
            "string",
            "http.GenerateRootInitRequest",
        ),
        (ROOT_ATTEMPT, "true", "bool", "http.GenerateRootInitRequest"),
        (
            ROOT_UPDATE,
            "\"key\"",
            "string",
            "http.GenerateRootUpdateRequest",
        ),
        (ROOT_UPDATE, "7", "number", "http.GenerateRootUpdateRequest"),
    ] {
        for (content_type, expected) in [
            ("application/x-www-form-urlencoded", text(kind, target)),
            ("application/json", text(kind, generic)),
        ] {
            let r = Request::new("PUT", path)
                .with_header("Content-Type", content_type)
                .with_body(body.as_bytes());
            assert_eq!(
                errors(&h.send(&r)),
                expected,
                "{path} {body} {content_type}"
            );
        }
    }
}

#[test]
fn openbaos_recovery_mode_reads_bodies_as_its_handler_does_whatever_the_content_type() {
    // Observed on OpenBao 2.7.2 (`bao server -recovery`, interop/openbao_diff.py's recovery
    // run): no generic layer, so a JSON body that is not an object names the handler's Go type
    // with a JSON Content-Type, a form one, or none.
    let config = GeneratorConfig::builder(3)
        .with_dialect(Dialect::OpenBao)
        .with_profile(TokenProfile::OPENBAO)
        .build()
        .unwrap();
    let mut h = Harness::openbao();
    h.face = Face::new(RecoveryTokenGenerator::new(config)).with_recovery_mode(true);
    let text = |kind: &str, target: &str| {
        let t = format!(
            "failed to decode JSON input: json: cannot unmarshal {kind} into Go value of type {target}"
        );
        err(400, &[&t])
    };
    let update = "/v1/sys/generate-recovery-token/update";
    for (path, body, expected) in [
        (
            RECOVERY,
            "\"otp\"",
            text("string", "http.GenerateRootInitRequest"),
        ),
        (
            update,
            "7",
            text("number", "http.GenerateRootUpdateRequest"),
        ),
    ] {
        for content_type in ["application/json", "application/x-www-form-urlencoded", ""] {
            let mut r = Request::new("PUT", path).with_body(body.as_bytes());
            if !content_type.is_empty() {
                r = r.with_header("Content-Type", content_type);
            }
            assert_eq!(errors(&h.send(&r)), expected, "{path} [{content_type}]");
        }
    }
}

#[test]
fn openbaos_old_family_reads_a_form_body_as_json() {
    // Observed on OpenBao 2.7.2 (`bao server -dev`, the listener option off): the generic layer
    // accepts the form, then the HTTP handler reads the body as JSON.
    let mut h = Harness::new(
        Dialect::OpenBao,
        Access::default().with_unauthenticated(Endpoint::Root, true),
    );
    let text = |c: char| {
        let t = format!(
            "failed to decode JSON input: invalid character '{c}' looking for beginning of value"
        );
        err(400, &[&t])
    };
    for (path, body, expected) in [
        (ROOT_ATTEMPT, "otp=short", text('o')),
        (ROOT_ATTEMPT, "otp=", text('o')),
        (ROOT_UPDATE, "key=zz&nonce=x", text('k')),
    ] {
        let r = Request::new("PUT", path)
            .with_header("Content-Type", "application/x-www-form-urlencoded")
            .with_body(body.as_bytes());
        assert_eq!(errors(&h.send(&r)), expected, "{path} {body}");
    }
    assert!(!h.face.root().status(Strategy::Root, h.clock.now()).started);
}

#[test]
fn openbaos_old_family_reads_any_methods_update_body_as_its_handler_does() {
    // Observed on OpenBao 2.7.2 (`bao server -dev`, the listener option off): every method on
    // `/update` is an update; the generic layer reads only PUT and POST bodies, so a GET or
    // DELETE body that is not an object names the handler's Go type, whatever the Content-Type.
    let mut h = Harness::new(
        Dialect::OpenBao,
        Access::default().with_unauthenticated(Endpoint::Root, true),
    );
    let text = |target: &str| {
        let t = format!(
            "failed to decode JSON input: json: cannot unmarshal number into Go value of type {target}"
        );
        err(400, &[&t])
    };
    for (method, expected) in [
        ("GET", text("http.GenerateRootUpdateRequest")),
        ("DELETE", text("http.GenerateRootUpdateRequest")),
        ("PUT", text("map[string]interface {}")),
    ] {
        for content_type in ["application/json", "text/plain"] {
            let r = Request::new(method, ROOT_UPDATE)
                .with_header("Content-Type", content_type)
                .with_body(b"7");
            assert_eq!(errors(&h.send(&r)), expected, "{method} {content_type}");
        }
    }
}
