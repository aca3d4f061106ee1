//! The rules, as scenarios run in order against one server.

use std::fmt::Write as _;
use std::sync::{Arc, Barrier};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::{Claims, Outcome, Report, RuleResult, Transport, go_text};
use crate::client::{Client, Method, Request, Response};
use crate::error::Error;
use crate::http::Endpoint;
use crate::secret::SecretString;
use crate::shares::{CombineError, KeyShare};
use crate::tokens::decode_token;
use crate::vocabulary::{Dialect, ServerState};
use crate::wire::{AttemptStatus, CONTENT_TYPE_JSON, ErrorBody};

/// What did not match: the expectation and the (redacted) answer.
struct Fail {
    expected: String,
    got: String,
}

type Check = Result<(), Fail>;

fn fail(expected: impl Into<String>, got: impl Into<String>) -> Fail {
    Fail {
        expected: expected.into(),
        got: got.into(),
    }
}

/// Runs every rule the claims allow against the server behind `transport` and reports each.
///
/// The scenarios run in a fixed order: for each claimed endpoint (root before recovery) the
/// idle status, start refusals, method edges, update refusals, an attempt's life (wrong nonce,
/// duplicate share, cancel, failed combines, a foreign key set), Go's decoding rules on fresh
/// attempts, then the completions; the recovery completion (which closes recovery generation)
/// comes last of all. Between scenarios the kit cancels whatever attempt it left.
pub fn run(transport: &mut dyn Transport, claims: &Claims) -> Report {
    let mut r = Runner::new(transport, claims);
    r.access_rules();
    let mut endpoints = claims.endpoints.clone();
    endpoints.sort_by_key(|e| matches!(e, Endpoint::Recovery));
    endpoints.dedup();
    if claims.server_state != ServerState::Unsealed {
        // A sealed, standby or uninitialized server: the state rules replace the ceremony's
        // on the root and DR families; recovery mode is sealed by nature and unaffected.
        for ep in endpoints.iter().filter(|e| **e != Endpoint::Recovery) {
            r.state_rules(*ep);
        }
        if claims.server_state == ServerState::Sealed && claims.dialect == Dialect::OpenBao {
            r.sealed_openbao_rule();
        }
        endpoints.retain(|e| *e == Endpoint::Recovery);
        if claims.server_state == ServerState::NotInitialized && !endpoints.is_empty() {
            // No seal configuration refuses every update, recovery's too (section 4.3).
            r.state_rules(Endpoint::Recovery);
            endpoints.clear();
        }
    }
    for ep in &endpoints {
        r.endpoint_rules(*ep);
    }
    if endpoints.contains(&Endpoint::Root) && endpoints.contains(&Endpoint::Recovery) {
        r.shared_slot_rules();
    }
    for ep in &endpoints {
        r.completion_rules(*ep);
    }
    Report { results: r.results }
}

struct Runner<'a> {
    t: &'a mut dyn Transport,
    c: &'a Claims,
    results: Vec<RuleResult>,
    /// The claimed shares' bytes.
    shares: Vec<KeyShare>,
    foreign: Vec<KeyShare>,
    /// Texts never to print: every share in the encodings the kit sends, and OTPs seen.
    secrets: Vec<Zeroizing<String>>,
}

const ANY_LENGTH: std::ops::RangeInclusive<usize> = 1..=512;

fn hex(bytes: &[u8]) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::with_capacity(bytes.len().saturating_mul(2)));
    for b in bytes {
        // Straight into the zeroizing buffer: a `format!` temporary would free share digits
        // unwiped.
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn b64(bytes: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(STANDARD.encode(bytes))
}

/// Every character as a JSON `\u` escape.
fn escaped(s: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(s.len().saturating_mul(6)));
    for c in s.chars() {
        let _ = write!(out, "\\u{:04x}", u32::from(c));
    }
    out
}

fn body(parts: &[&str]) -> Zeroizing<Vec<u8>> {
    let mut v = Zeroizing::new(Vec::new());
    for p in parts {
        v.extend_from_slice(p.as_bytes());
    }
    v
}

fn update_body(key: &str, nonce: &str) -> Zeroizing<Vec<u8>> {
    body(&[r#"{"key":""#, key, r#"","nonce":""#, nonce, r#""}"#])
}

fn is_uuid_shaped(nonce: &str) -> bool {
    nonce.len() == 36
        && nonce.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_digit() || ('a'..='f').contains(&c)
            }
        })
}

fn is_base62(s: &str) -> bool {
    s.bytes()
        .all(|b| crate::tokens::BASE62_ALPHABET.contains(&b))
}

impl<'a> Runner<'a> {
    fn new(t: &'a mut dyn Transport, c: &'a Claims) -> Self {
        let parse = |list: &[SecretString]| -> Vec<KeyShare> {
            list.iter()
                .filter_map(|s| KeyShare::parse(s.expose_secret(), &ANY_LENGTH).ok())
                .collect()
        };
        let shares = parse(&c.shares);
        let foreign = parse(&c.foreign);
        let mut secrets = Vec::new();
        for s in c.shares.iter().chain(&c.foreign) {
            secrets.push(Zeroizing::new(s.expose_secret().to_owned()));
        }
        for s in shares.iter().chain(&foreign) {
            let h = hex(s.expose_secret());
            secrets.push(Zeroizing::new(h.to_uppercase()));
            secrets.push(h);
            secrets.push(b64(s.expose_secret()));
        }
        Self {
            t,
            c,
            results: Vec::new(),
            shares,
            foreign,
            secrets,
        }
    }

    // ----- recording --------------------------------------------------------------------------

    fn record(&mut self, ep: Endpoint, name: &str, section: &'static str, check: Check) {
        let name = format!("{}: {name}", label(ep));
        let outcome = match check {
            Ok(()) => Outcome::Pass,
            Err(f) => match self.c.allowed.iter().find(|(rule, _)| *rule == name) {
                Some((_, why)) => Outcome::Allowed {
                    why: why.clone(),
                    expected: f.expected,
                    got: f.got,
                },
                None => Outcome::Fail {
                    expected: f.expected,
                    got: f.got,
                },
            },
        };
        self.results.push(RuleResult {
            name,
            section,
            outcome,
        });
    }

    fn skip(&mut self, ep: Endpoint, name: &str, section: &'static str, why: &str) {
        self.results.push(RuleResult {
            name: format!("{}: {name}", label(ep)),
            section,
            outcome: Outcome::Skipped(why.to_owned()),
        });
    }

    // ----- talking ----------------------------------------------------------------------------

    fn send(
        &mut self,
        method: Method,
        path: String,
        content_type: Option<&str>,
        body: Zeroizing<Vec<u8>>,
    ) -> Result<Response, Fail> {
        let token = self.token_for(&path);
        self.send_as(method, path, content_type, body, token)
    }

    /// The claimed token, for a path of a guarded family.
    fn token_for(&self, path: &str) -> Option<Zeroizing<String>> {
        let a = self.c.authorization.as_ref()?;
        let t = a.token.as_ref()?;
        a.guarded
            .iter()
            .any(|e| path.starts_with(e.base_path()))
            .then(|| Zeroizing::new(t.expose_secret().to_owned()))
    }

    /// [`Self::send`] with exactly the token given (none: no `X-Vault-Token`).
    fn send_as(
        &mut self,
        method: Method,
        path: String,
        content_type: Option<&str>,
        body: Zeroizing<Vec<u8>>,
        token: Option<Zeroizing<String>>,
    ) -> Result<Response, Fail> {
        let mut headers: Vec<(String, Zeroizing<String>)> = content_type
            .map(|ct| vec![("Content-Type".to_owned(), Zeroizing::new(ct.to_owned()))])
            .unwrap_or_default();
        if let Some(t) = token {
            headers.push((crate::http::TOKEN_HEADER.to_owned(), t));
        }
        let request = Request {
            method,
            path,
            headers,
            body,
        };
        self.t
            .send(&request)
            .map_err(|e| fail("an answer", e.to_string()))
    }

    fn attempt(
        &mut self,
        ep: Endpoint,
        method: Method,
        body: Zeroizing<Vec<u8>>,
    ) -> Result<Response, Fail> {
        let body = if matches!(method, Method::Put | Method::Post) {
            self.holder_body(body)
        } else {
            body
        };
        let ct = (!body.is_empty()).then_some(CONTENT_TYPE_JSON);
        self.send(method, format!("{}attempt", ep.base_path()), ct, body)
    }

    /// Under holders-only start (claims): the start body with the first share in its `key`
    /// field (an empty body becomes `{"key":".."}`; a body that is not an object is left as it
    /// is, so that its decoding error still comes first).
    fn holder_body(&self, b: Zeroizing<Vec<u8>>) -> Zeroizing<Vec<u8>> {
        let Some(key) = self.share_hex(0).filter(|_| self.c.holders_only) else {
            return b;
        };
        let rest: &[u8] = if b.is_empty() { b"{}" } else { &b };
        let Some(rest) = rest.strip_prefix(b"{") else {
            return b;
        };
        let mut out = body(&[r#"{"key":""#, &key, "\""]);
        if !rest.trim_ascii_start().starts_with(b"}") {
            out.push(b',');
        }
        out.extend_from_slice(rest);
        out
    }

    fn update(&mut self, ep: Endpoint, body: Zeroizing<Vec<u8>>) -> Result<Response, Fail> {
        let ct = (!body.is_empty()).then_some(CONTENT_TYPE_JSON);
        self.send(Method::Put, format!("{}update", ep.base_path()), ct, body)
    }

    fn status(&mut self, ep: Endpoint) -> Result<AttemptStatus, Fail> {
        let r = self.attempt(ep, Method::Get, Zeroizing::new(Vec::new()))?;
        self.judge_status(&r)
    }

    /// The cancel's path: with the attempt's nonce (read from the status) when the claims say
    /// the host requires it.
    fn cancel_path(&mut self, ep: Endpoint) -> String {
        if self.c.cancel_requires_nonce {
            let nonce = self.status(ep).map(|s| s.nonce).unwrap_or_default();
            if !nonce.is_empty() {
                return Client::new(ep).cancel_request_for(&nonce).path;
            }
        }
        format!("{}attempt", ep.base_path())
    }

    fn cancel(&mut self, ep: Endpoint) -> Result<Response, Fail> {
        if self.c.holders_only
            && let Some(key) = self.share_hex(0)
        {
            let nonce = if self.c.cancel_requires_nonce {
                self.status(ep)
                    .ok()
                    .map(|s| s.nonce)
                    .filter(|n| !n.is_empty())
            } else {
                None
            };
            let request = Client::new(ep)
                .cancel_request_as_holder(nonce.as_deref(), SecretString::from(key.as_str()));
            return self.send(
                Method::Delete,
                request.path.clone(),
                Some(CONTENT_TYPE_JSON),
                request.body.clone(),
            );
        }
        let path = self.cancel_path(ep);
        self.send(Method::Delete, path, None, Zeroizing::new(Vec::new()))
    }

    /// Cancels whatever attempt there is, unrecorded (a reset between scenarios).
    fn reset(&mut self, ep: Endpoint) {
        let _ = self.cancel(ep);
    }

    /// Starts an attempt with a generated OTP; the answer judged as a status answer.
    fn start(&mut self, ep: Endpoint) -> Result<AttemptStatus, Fail> {
        let r = self.attempt(ep, Method::Put, Zeroizing::new(Vec::new()))?;
        let s = self.judge_status(&r)?;
        if !s.started || s.nonce.is_empty() {
            return Err(fail("a started attempt (setup)", self.describe(&r)));
        }
        self.secrets
            .push(Zeroizing::new(s.otp.expose_secret().to_owned()));
        Ok(s)
    }

    fn submit(&mut self, ep: Endpoint, key: &str, nonce: &str) -> Result<Response, Fail> {
        self.update(ep, update_body(key, nonce))
    }

    // ----- judging ----------------------------------------------------------------------------

    fn redact(&self, body: &[u8]) -> String {
        let mut text = String::from_utf8_lossy(body).into_owned();
        for key in [
            "\"otp\":\"",
            "\"encoded_token\":\"",
            "\"encoded_root_token\":\"",
        ] {
            let mut from = 0;
            while let Some(found) = text.get(from..).and_then(|t| t.find(key)) {
                let start = from.saturating_add(found).saturating_add(key.len());
                let Some(len) = text.get(start..).and_then(|t| t.find('"')) else {
                    break;
                };
                if len > 0 {
                    text.replace_range(start..start.saturating_add(len), "<redacted>");
                }
                from = start;
            }
        }
        for s in &self.secrets {
            if !s.is_empty() {
                text = text.replace(s.as_str(), "<redacted>");
            }
        }
        if text.len() > 400 {
            let mut end = 400;
            while !text.is_char_boundary(end) {
                end = end.saturating_sub(1);
            }
            text.truncate(end);
            text.push_str("...");
        }
        text
    }

    fn describe(&self, r: &Response) -> String {
        format!(
            "{} {} {}",
            r.status,
            r.content_type.as_deref().unwrap_or("(no Content-Type)"),
            self.redact(&r.body)
        )
    }

    /// The JSON body without the single newline Go's encoder appends (optional here).
    fn json_text(r: &Response) -> &[u8] {
        r.body.strip_suffix(b"\n").unwrap_or(&r.body)
    }

    fn is_json_type(r: &Response) -> bool {
        r.content_type.as_deref() == Some(CONTENT_TYPE_JSON)
    }

    fn expect_errors(&self, r: &Response, status: u16, errors: &[&str]) -> Check {
        let expected = ErrorBody {
            errors: errors.iter().map(|e| (*e).to_owned()).collect(),
        }
        .to_json();
        if r.status == status && Self::is_json_type(r) && Self::json_text(r) == expected.as_bytes()
        {
            Ok(())
        } else {
            Err(fail(
                format!("{status} {CONTENT_TYPE_JSON} {expected}"),
                self.describe(r),
            ))
        }
    }

    fn expect_error(&self, r: &Response, error: &Error) -> Check {
        self.expect_errors(r, error.http_status(), &[&self.c.text(error)])
    }

    fn expect_error_prefix(&self, r: &Response, status: u16, prefix: &str) -> Check {
        let ok = r.status == status
            && Self::is_json_type(r)
            && serde_json::from_slice::<ErrorBody>(Self::json_text(r)).is_ok_and(|b| {
                b.errors.len() == 1 && b.errors.iter().all(|e| e.starts_with(prefix))
            })
            && Self::json_text(r).starts_with(b"{\"errors\":[\"");
        if ok {
            Ok(())
        } else {
            Err(fail(
                format!("{status} {CONTENT_TYPE_JSON} {{\"errors\":[\"{prefix}...\"]}}"),
                self.describe(r),
            ))
        }
    }

    /// 200, `application/json`, and exactly the ten keys of section 5 in order, compact.
    fn judge_status(&self, r: &Response) -> Result<AttemptStatus, Fail> {
        let expected = "200 application/json with the ten keys of section 5, in order, compact";
        if r.status != 200 || !Self::is_json_type(r) {
            return Err(fail(expected, self.describe(r)));
        }
        let text = Self::json_text(r);
        let parsed: AttemptStatus =
            serde_json::from_slice(text).map_err(|_| fail(expected, self.describe(r)))?;
        if parsed.to_json().as_bytes() != text {
            return Err(fail(expected, self.describe(r)));
        }
        Ok(parsed)
    }

    fn expect_fields(&self, s: &AttemptStatus, what: &str, ok: bool) -> Check {
        if ok {
            Ok(())
        } else {
            Err(fail(what, self.redact(s.to_json().as_bytes())))
        }
    }

    fn otp_length(&self, ep: Endpoint) -> usize {
        self.c.profile.otp_length(ep.strategy())
    }

    /// The share lengths the host accepts.
    fn share_bounds(&self) -> (usize, usize) {
        match self.c.key_length {
            Some(k) if self.c.threshold == 1 => (k, k),
            Some(k) => (k.saturating_add(1), k.saturating_add(1)),
            None => (
                *KeyShare::DEFAULT_LENGTHS.start(),
                *KeyShare::DEFAULT_LENGTHS.end(),
            ),
        }
    }

    fn share_hex(&self, i: usize) -> Option<Zeroizing<String>> {
        self.shares.get(i).map(|s| hex(s.expose_secret()))
    }

    fn share_b64(&self, i: usize) -> Option<Zeroizing<String>> {
        self.shares.get(i).map(|s| b64(s.expose_secret()))
    }

    fn has_shares(&self) -> bool {
        self.c.threshold >= 1 && self.shares.len() >= self.c.threshold
    }

    // ----- the scenarios ----------------------------------------------------------------------

    fn endpoint_rules(&mut self, ep: Endpoint) {
        let check = self.cancel_idle(ep);
        self.record(
            ep,
            "cancel with nothing in progress answers 204",
            "1",
            check,
        );
        let check = self.idle_status(ep);
        self.record(
            ep,
            "status with no attempt: all ten keys, idle values",
            "5",
            check,
        );
        if self.c.holders_only {
            self.holders_only_rules(ep);
        }
        self.start_refusals(ep);
        self.pgp_rules(ep);
        self.method_edges(ep);
        self.update_refusals(ep);
        if self.has_shares() && self.c.threshold >= 2 {
            self.attempt_life(ep);
            self.failed_completions(ep);
            self.update_decoding(ep);
        } else {
            let why = "needs valid shares and a threshold of at least 2";
            self.skip(ep, "an attempt's life and failed completions", "2", why);
        }
        self.start_decoding(ep);
        self.reset(ep);
    }

    fn cancel_idle(&mut self, ep: Endpoint) -> Check {
        let r = self.cancel(ep)?;
        if r.status == 204 && r.body.is_empty() {
            Ok(())
        } else {
            Err(fail("204 with no body", self.describe(&r)))
        }
    }

    fn idle_status(&mut self, ep: Endpoint) -> Check {
        let s = self.status(ep)?;
        let want = format!(
            "nonce \"\", started false, progress 0, required {}, complete false, no tokens, no \
             fingerprint, otp \"\", otp_length {}",
            self.c.threshold,
            self.otp_length(ep)
        );
        let ok = s.nonce.is_empty()
            && !s.started
            && s.progress == 0
            && s.required == self.c.threshold
            && !s.complete
            && s.encoded_token.is_empty()
            && s.encoded_root_token.is_empty()
            && s.pgp_fingerprint.is_empty()
            && s.otp.is_empty()
            && s.otp_length == self.otp_length(ep);
        self.expect_fields(&s, &want, ok)
    }

    fn start_refusal(
        &mut self,
        ep: Endpoint,
        name: &str,
        section: &'static str,
        b: &str,
        error: &Error,
    ) {
        let check = self
            .attempt(ep, Method::Put, body(&[b]))
            .and_then(|r| self.expect_error(&r, error));
        self.record(ep, name, section, check);
    }

    fn start_refusals(&mut self, ep: Endpoint) {
        self.reset(ep);
        self.start_refusal(
            ep,
            "start: an OTP of the wrong length",
            "3",
            r#"{"otp":"short"}"#,
            &Error::OtpWrongLength,
        );
        let check = self.idle_status(ep);
        self.record(ep, "a refused start leaves no attempt", "2", check);
        let long = "a".repeat(self.otp_length(ep).saturating_add(2));
        let b = format!(r#"{{"otp":"{long}"}}"#);
        self.start_refusal(
            ep,
            "start: an OTP two characters too long",
            "3",
            &b,
            &Error::OtpWrongLength,
        );
        let check = self
            .attempt(ep, Method::Put, body(&[r#"{"pgp_key":"AAAA"}"#]))
            .and_then(|r| {
                if self.c.pgp {
                    self.expect_error_prefix(&r, 400, "error parsing PGP key: ")
                } else {
                    self.expect_error(&r, &Error::PgpUnsupported)
                }
            });
        self.record(ep, "start: a pgp_key that is not a key", "3", check);
        self.reset(ep);
        let go = |reason: &str| Error::InvalidBody {
            reason: reason.to_owned(),
        };
        self.start_refusal(
            ep,
            "start: a body that is not JSON (Go's text)",
            "11",
            "nope",
            &go(go_text::NOPE),
        );
        self.reset(ep);
        self.start_refusal(
            ep,
            "start: text after the object (Go's text)",
            "11",
            r#"{"otp":"short"} trailing"#,
            &go(go_text::TRAILING),
        );
        self.reset(ep);
        self.start_refusal(
            ep,
            "start: a truncated object (Go's text)",
            "11",
            r#"{"otp":"x""#,
            &go(go_text::UNEXPECTED_EOF),
        );
        self.reset(ep);
        self.start_refusal(
            ep,
            "start: otp of the wrong JSON type (Go's text)",
            "11",
            r#"{"otp":1}"#,
            &go(go_text::START_OTP_NUMBER),
        );
        self.reset(ep);
    }

    fn method_edges(&mut self, ep: Endpoint) {
        let attempt = format!("{}attempt", ep.base_path());
        let update = format!("{}update", ep.base_path());
        let check = self
            .send(Method::Patch, attempt.clone(), Some(CONTENT_TYPE_JSON), body(&["{}"]))
            .and_then(|r| {
                // OpenBao serves the recovery endpoints only in recovery mode, whose handler
                // chain has no generic PATCH check: the route's own 405 answers (observed on
                // OpenBao 2.7.2, `bao server -recovery`).
                if self.c.dialect == Dialect::OpenBao && ep == Endpoint::Recovery {
                    return self.expect_errors(&r, 405, &[]);
                }
                let text = format!(
                    "PATCH requires Content-Type of application/merge-patch+json, provided {CONTENT_TYPE_JSON}"
                );
                self.expect_errors(&r, 415, &[&text])
            });
        self.record(
            ep,
            "PATCH without the merge-patch type (415; OpenBao recovery mode: the route's 405)",
            "1",
            check,
        );
        let check = self
            .send(
                Method::Patch,
                attempt,
                Some("application/merge-patch+json"),
                body(&["{}"]),
            )
            .and_then(|r| self.expect_errors(&r, 405, &[]));
        self.record(
            ep,
            "another method on /attempt answers 405 {\"errors\":[]}",
            "1",
            check,
        );
        let check = self
            .send(
                Method::Get,
                update.clone(),
                None,
                Zeroizing::new(Vec::new()),
            )
            .and_then(|r| self.expect_error(&r, &Error::EmptyBody));
        // Neither server looks at the method: a bodiless GET is a bodiless update (section 4.1:
        // Vault answers Go's `EOF`, OpenBao the missing-key text).
        self.record(ep, "GET on /update is an update (empty body)", "1", check);
        let check = self
            .send(
                Method::Patch,
                update,
                Some("application/merge-patch+json"),
                body(&["{}"]),
            )
            .and_then(|r| self.expect_error(&r, &Error::MissingKey));
        self.record(
            ep,
            "PATCH (merge-patch) on /update is an update",
            "1",
            check,
        );
        self.reset(ep);
    }

    fn update_refusal(
        &mut self,
        ep: Endpoint,
        name: &str,
        section: &'static str,
        b: Zeroizing<Vec<u8>>,
        error: &Error,
    ) {
        let check = self
            .update(ep, b)
            .and_then(|r| self.expect_error(&r, error));
        self.record(ep, name, section, check);
    }

    fn update_refusals(&mut self, ep: Endpoint) {
        self.reset(ep);
        let (min, max) = self.share_bounds();
        self.update_refusal(
            ep,
            "update: an empty body",
            "4",
            Zeroizing::new(Vec::new()),
            &Error::EmptyBody,
        );
        self.update_refusal(
            ep,
            "update: a null body is a missing key",
            "11",
            body(&["null"]),
            &Error::MissingKey,
        );
        self.update_refusal(ep, "update: no key", "4", body(&["{}"]), &Error::MissingKey);
        self.update_refusal(
            ep,
            "update: an empty key",
            "4",
            body(&[r#"{"key":""}"#]),
            &Error::MissingKey,
        );
        self.update_refusal(
            ep,
            "update: a null key",
            "11",
            body(&[r#"{"key":null,"nonce":"x"}"#]),
            &Error::MissingKey,
        );
        self.update_refusal(
            ep,
            "update: a key neither hex nor base64",
            "4",
            body(&[r#"{"key":"zz"}"#]),
            &Error::InvalidKeyEncoding,
        );
        self.update_refusal(
            ep,
            "update: a share shorter than the minimum",
            "4",
            body(&[r#"{"key":"00112233"}"#]),
            &Error::KeyTooShort { min },
        );
        let long = "ab".repeat(34);
        self.update_refusal(
            ep,
            "update: a share longer than the maximum",
            "4",
            update_body(&long, "x"),
            &Error::KeyTooLong { max },
        );
        let go = Error::InvalidBody {
            reason: go_text::UPDATE_KEY_NUMBER.to_owned(),
        };
        self.update_refusal(
            ep,
            "update: key of the wrong JSON type (Go's text)",
            "11",
            body(&[r#"{"key":1}"#]),
            &go,
        );
        if let Some(b) = self.share_b64(0) {
            let unpadded = b.trim_end_matches('=');
            let cut = if unpadded.len() == b.len() {
                unpadded
                    .get(..unpadded.len().saturating_sub(1))
                    .unwrap_or_default()
            } else {
                unpadded
            };
            let cut = Zeroizing::new(cut.to_owned());
            self.update_refusal(
                ep,
                "update: base64 without its padding",
                "4",
                update_body(&cut, "x"),
                &Error::InvalidKeyEncoding,
            );
        }
        if let Some(h) = self.share_hex(0) {
            self.update_refusal(
                ep,
                "update with no attempt in progress",
                "4",
                update_body(&h, "x"),
                &Error::NoAttempt,
            );
        } else {
            self.skip(
                ep,
                "update with no attempt in progress",
                "4",
                "no shares claimed",
            );
        }
    }

    fn attempt_life(&mut self, ep: Endpoint) {
        self.reset(ep);
        let t = self.c.threshold;
        let otp_len = self.otp_length(ep);
        // Start with a generated OTP.
        self.reset(ep);
        let started = self.start(ep);
        let check = started.as_ref().map_err(|f| fail(f.expected.clone(), f.got.clone())).and_then(|s| {
            let ok = is_uuid_shaped(&s.nonce)
                && s.started
                && s.progress == 0
                && s.required == t
                && !s.complete
                && s.encoded_token.is_empty()
                && s.encoded_root_token.is_empty()
                && s.pgp_fingerprint.is_empty()
                && s.otp.len() == otp_len
                && is_base62(s.otp.expose_secret())
                && s.otp_length == otp_len;
            let want = format!(
                "started, a 8-4-4-4-12 lowercase hex nonce, progress 0, required {t}, a generated \
                 base62 OTP of {otp_len} characters, otp_length {otp_len}"
            );
            self.expect_fields(s, &want, ok)
        });
        self.record(ep, "start with an empty body generates an OTP", "3", check);
        let Ok(s) = started else { return };
        let nonce = s.nonce.clone();
        // A second start, by PUT and by POST.
        let check = self
            .attempt(ep, Method::Put, Zeroizing::new(Vec::new()))
            .and_then(|r| self.expect_error(&r, &Error::InProgress));
        self.record(ep, "start while an attempt is in progress", "3", check);
        let otp = "b".repeat(otp_len);
        let check = self
            .attempt(ep, Method::Post, body(&[r#"{"otp":""#, &otp, r#""}"#]))
            .and_then(|r| self.expect_error(&r, &Error::InProgress));
        self.record(
            ep,
            "start by POST while an attempt is in progress",
            "1",
            check,
        );
        let check = self
            .attempt(ep, Method::Put, body(&[r#"{"otp":"short"}"#]))
            .and_then(|r| self.expect_error(&r, &Error::OtpWrongLength));
        self.record(
            ep,
            "start: the inputs are checked before the slot",
            "3",
            check,
        );
        // The status shows the attempt, without the OTP.
        let check = self.status(ep).and_then(|st| {
            let ok = st.started
                && st.nonce == nonce
                && st.progress == 0
                && st.otp.is_empty()
                && st.otp_length == otp_len;
            self.expect_fields(
                &st,
                "started, the same nonce, progress 0, otp \"\" (never repeated)",
                ok,
            )
        });
        self.record(ep, "status during an attempt", "5", check);
        let (Some(s0), Some(s0_b64)) = (self.share_hex(0), self.share_b64(0)) else {
            return;
        };
        // Another nonce.
        let wrong = if self.c.disclose_nonce {
            Error::WrongNonce {
                nonce: nonce.clone(),
            }
        } else {
            Error::WrongNonceUndisclosed
        };
        let check = self
            .submit(ep, &s0, "not-the-nonce")
            .and_then(|r| self.expect_error(&r, &wrong));
        self.record(ep, "update with another nonce", "4", check);
        // The first share.
        let check = self.submit(ep, &s0, &nonce).and_then(|r| {
            let st = self.judge_status(&r)?;
            let ok = st.nonce == nonce
                && st.started
                && st.progress == 1
                && st.required == t
                && !st.complete
                && st.encoded_token.is_empty()
                && st.encoded_root_token.is_empty()
                && st.pgp_fingerprint.is_empty()
                && st.otp.is_empty()
                && st.otp_length == 0;
            self.expect_fields(
                &st,
                "the request's nonce, started, progress 1, complete false, otp_length 0",
                ok,
            )
        });
        self.record(ep, "update below the threshold: progress 1", "4", check);
        let check = self
            .submit(ep, &s0_b64, "not-the-nonce")
            .and_then(|r| self.expect_error(&r, &wrong));
        self.record(
            ep,
            "update: the nonce is checked before a duplicate share",
            "4",
            check,
        );
        let check = self
            .submit(ep, &s0_b64, &nonce)
            .and_then(|r| self.expect_error(&r, &Error::DuplicateShare));
        self.record(ep, "update: the same share again (in base64)", "4", check);
        let check = self.status(ep).and_then(|st| {
            let ok = st.started && st.nonce == nonce && st.progress == 1;
            self.expect_fields(&st, "the same attempt, progress 1", ok)
        });
        self.record(
            ep,
            "refused updates keep the attempt and its shares",
            "2",
            check,
        );
        if self.c.cancel_requires_nonce {
            let check = self
                .attempt(ep, Method::Delete, Zeroizing::new(Vec::new()))
                .and_then(|r| self.expect_error(&r, &Error::WrongNonceUndisclosed))
                .and_then(|()| {
                    let st = self.status(ep)?;
                    let ok = st.started && st.nonce == nonce && st.progress == 1;
                    self.expect_fields(&st, "the same attempt, progress 1", ok)
                });
            self.record(
                ep,
                "a cancel without the attempt's nonce is refused (cancel_requires_nonce)",
                "10",
                check,
            );
        }
        // Cancel.
        let check = self.cancel_idle(ep).and_then(|()| self.idle_status(ep));
        self.record(ep, "cancel clears the attempt and its shares", "2", check);
    }

    /// Sends `keys` in turn on a new attempt; all but the last must be taken. Returns the nonce
    /// and the last answer.
    fn feed(
        &mut self,
        ep: Endpoint,
        keys: &[Zeroizing<String>],
    ) -> Result<(String, Response), Fail> {
        self.reset(ep);
        let s = self.start(ep)?;
        let (last, rest) = keys
            .split_last()
            .ok_or_else(|| fail("shares to send", "none"))?;
        for k in rest {
            let r = self.submit(ep, k, &s.nonce)?;
            let st = self.judge_status(&r)?;
            if st.complete {
                return Err(fail(
                    "a share below the threshold taken (setup)",
                    self.describe(&r),
                ));
            }
        }
        let r = self.submit(ep, last, &s.nonce)?;
        Ok((s.nonce, r))
    }

    fn kept_attempt(&mut self, ep: Endpoint, nonce: &str) -> Check {
        let st = self.status(ep)?;
        let ok = st.started && st.nonce == nonce && st.progress == 0;
        self.expect_fields(&st, "still started, the same nonce, progress 0", ok)
    }

    fn failed_completions(&mut self, ep: Endpoint) {
        if self.c.registry {
            // The shares that would fail a combine (another x's twin, another length, a foreign
            // key set) are refused one by one.
            self.registry_rules(ep);
            return;
        }
        let t = self.c.threshold;
        // Copies of the two shares' bytes (zeroizing): the shares themselves are not `Clone`.
        let (Some(first), Some(second)) = (
            self.shares.first().map(ShareBytes::of),
            self.shares.get(1).map(ShareBytes::of),
        ) else {
            return;
        };
        let rest: Vec<Zeroizing<String>> = (2..t).filter_map(|i| self.share_hex(i)).collect();
        // Two shares with the same x coordinate.
        let mut twin = vec![0u8; first.len().saturating_sub(1)];
        twin.push(first.x());
        let twin = hex(&twin);
        self.secrets.push(twin.clone());
        let mut keys = vec![hex(first.expose_secret()), twin];
        keys.extend(rest.iter().cloned());
        let fed = self.feed(ep, &keys);
        let nonce = fed.as_ref().map(|(n, _)| n.clone()).unwrap_or_default();
        let check = fed
            .and_then(|(_, r)| self.expect_error(&r, &Error::Combine(CombineError::DuplicatePart)));
        self.record(ep, "a failed combine (two shares with one x)", "4", check);
        let check = self.kept_attempt(ep, &nonce);
        self.record(
            ep,
            "a failed combine keeps the attempt, progress 0",
            "2",
            check,
        );
        let check = self
            .share_hex(0)
            .ok_or_else(|| fail("a share", "none"))
            .and_then(|s0| {
                let r = self.submit(ep, &s0, &nonce)?;
                let st = self.judge_status(&r)?;
                self.expect_fields(&st, "progress 1", st.progress == 1 && st.nonce == nonce)
            });
        self.record(ep, "the kept attempt takes shares again", "2", check);
        // A share of another length.
        // In base64: hex of 32 bytes would be rejected as hex and read as base64 (section 4.1).
        let short = b64(second.expose_secret().get(1..).unwrap_or_default());
        self.secrets.push(short.clone());
        if self.c.key_length.is_some() {
            let check = (|| {
                self.reset(ep);
                let s = self.start(ep)?;
                let r = self.submit(ep, &hex(first.expose_secret()), &s.nonce)?;
                self.judge_status(&r)?;
                let (min, _) = self.share_bounds();
                let r = self.submit(ep, &short, &s.nonce)?;
                self.expect_error(&r, &Error::KeyTooShort { min })?;
                let st = self.status(ep)?;
                self.expect_fields(
                    &st,
                    "progress 1 kept",
                    st.progress == 1 && st.nonce == s.nonce,
                )
            })();
            self.record(
                ep,
                "a share of another length is refused at once (declared key length)",
                "10",
                check,
            );
        } else {
            let mut keys = vec![hex(first.expose_secret()), short];
            keys.extend(rest.iter().cloned());
            let fed = self.feed(ep, &keys);
            let nonce = fed.as_ref().map(|(n, _)| n.clone()).unwrap_or_default();
            let check = fed.and_then(|(_, r)| {
                self.expect_error(&r, &Error::Combine(CombineError::LengthMismatch))
            });
            self.record(
                ep,
                "a failed combine (shares of different lengths)",
                "4",
                check,
            );
            let check = self.kept_attempt(ep, &nonce);
            self.record(
                ep,
                "a failed combine of mixed lengths keeps the attempt",
                "2",
                check,
            );
        }
        // A foreign key set.
        if self.foreign.len() >= t {
            let keys: Vec<Zeroizing<String>> = self
                .foreign
                .iter()
                .take(t)
                .map(|s| hex(s.expose_secret()))
                .collect();
            let fed = self.feed(ep, &keys);
            let nonce = fed.as_ref().map(|(n, _)| n.clone()).unwrap_or_default();
            let prefix = self.c.text(&Error::KeyCheckFailed {
                reason: String::new(),
            });
            let check = fed.and_then(|(_, r)| self.expect_error_prefix(&r, 400, &prefix));
            self.record(ep, "a foreign key set fails the key check", "4", check);
            let check = self.kept_attempt(ep, &nonce);
            self.record(
                ep,
                "a failed key check keeps the attempt, progress 0",
                "2",
                check,
            );
        } else {
            self.skip(
                ep,
                "a foreign key set fails the key check",
                "4",
                "no foreign shares claimed",
            );
        }
        self.reset(ep);
    }

    /// One share sent in a given body on a fresh attempt: taken (progress 1) or refused.
    fn probe_update(
        &mut self,
        ep: Endpoint,
        name: &str,
        section: &'static str,
        make: impl Fn(&str, &str, &str) -> Zeroizing<Vec<u8>>,
        refused: Option<&Error>,
    ) {
        let check = (|| {
            self.reset(ep);
            let s = self.start(ep)?;
            let s0 = self.share_hex(0).ok_or_else(|| fail("a share", "none"))?;
            let s0_b64 = self.share_b64(0).ok_or_else(|| fail("a share", "none"))?;
            let r = self.update(ep, make(&s0, &s0_b64, &s.nonce))?;
            if let Some(e) = refused {
                self.expect_error(&r, e)
            } else {
                let st = self.judge_status(&r)?;
                self.expect_fields(
                    &st,
                    "the share taken: progress 1",
                    st.progress == 1 && st.nonce == s.nonce,
                )
            }
        })();
        self.record(ep, name, section, check);
    }

    fn update_decoding(&mut self, ep: Endpoint) {
        self.probe_update(
            ep,
            "update: a share with every character \\u-escaped",
            "11",
            |k, _, n| update_body(&escaped(k), n),
            None,
        );
        self.probe_update(
            ep,
            "update: an upper-case hex share",
            "4",
            |k, _, n| update_body(&k.to_uppercase(), n),
            None,
        );
        self.probe_update(
            ep,
            "update: a base64 share, '/' escaped",
            "4",
            |_, b, n| update_body(&b.replace('/', "\\/"), n),
            None,
        );
        self.probe_update(
            ep,
            "update: field names in upper case",
            "11",
            |k, _, n| body(&[r#"{"KEY":""#, k, r#"","NONCE":""#, n, r#""}"#]),
            None,
        );
        self.probe_update(
            ep,
            "update: field names in mixed case",
            "11",
            |k, _, n| body(&[r#"{"Key":""#, k, r#"","nOnCe":""#, n, r#""}"#]),
            None,
        );
        self.probe_update(
            ep,
            "update: a repeated key, the last wins",
            "11",
            |k, _, n| {
                body(&[
                    r#"{"key":"garbage","nonce":""#,
                    n,
                    r#"","key":""#,
                    k,
                    r#""}"#,
                ])
            },
            None,
        );
        self.probe_update(
            ep,
            "update: a repeated nonce, the last wins",
            "11",
            |k, _, n| body(&[r#"{"key":""#, k, r#"","nonce":"x","nonce":""#, n, r#""}"#]),
            None,
        );
        self.probe_update(
            ep,
            "update: unknown fields are ignored",
            "1",
            |k, _, n| {
                body(&[
                    r#"{"key":""#,
                    k,
                    r#"","nonce":""#,
                    n,
                    r#"","extra":{"k":[true,null]}}"#,
                ])
            },
            None,
        );
        self.probe_update(
            ep,
            "update: whitespace around the object",
            "11",
            |k, _, n| {
                body(&[
                    " \t",
                    &update_body(k, n)
                        .iter()
                        .map(|b| char::from(*b))
                        .collect::<String>(),
                    "\n\n",
                ])
            },
            None,
        );
        let trailing = Error::InvalidBody {
            reason: go_text::TRAILING.to_owned(),
        };
        self.probe_update(
            ep,
            "update: text after the object (Go's text)",
            "11",
            |k, _, n| body(&[r#"{"key":""#, k, r#"","nonce":""#, n, r#""} trailing"#]),
            Some(&trailing),
        );
        self.reset(ep);
    }

    /// A start whose body carries a caller's OTP in some form: accepted, and the OTP not echoed.
    fn probe_start(&mut self, ep: Endpoint, name: &str, b: &str) {
        let check = (|| {
            self.reset(ep);
            let r = self.attempt(ep, Method::Put, body(&[b]))?;
            let st = self.judge_status(&r)?;
            self.expect_fields(
                &st,
                "started, the caller's OTP taken (otp \"\": not echoed, not generated)",
                st.started && st.otp.is_empty(),
            )
        })();
        self.record(ep, name, "11", check);
    }

    fn start_decoding(&mut self, ep: Endpoint) {
        let check = (|| {
            self.reset(ep);
            let r = self.attempt(ep, Method::Put, body(&["null"]))?;
            if self.c.holders_only {
                // A null body is an empty start: it carries no share.
                return self.expect_error(&r, &Error::HolderKeyRequired);
            }
            let st = self.judge_status(&r)?;
            self.secrets
                .push(Zeroizing::new(st.otp.expose_secret().to_owned()));
            let len = self.otp_length(ep);
            self.expect_fields(
                &st,
                "started, an OTP generated",
                st.started && st.otp.len() == len,
            )
        })();
        self.record(ep, "start: a null body is an empty start", "11", check);
        let otp = Zeroizing::new("c".repeat(self.otp_length(ep)));
        self.probe_start(
            ep,
            "start: a caller's OTP is not echoed",
            &format!(r#"{{"otp":"{}"}}"#, otp.as_str()),
        );
        self.probe_start(
            ep,
            "start: field names match case-insensitively",
            &format!(r#"{{"OTP":"{}","other":[1,{{"a":null}}]}}"#, otp.as_str()),
        );
        self.probe_start(
            ep,
            "start: a repeated field, the last wins",
            &format!(r#"{{"otp":"short","otp":"{}"}}"#, otp.as_str()),
        );
        self.reset(ep);
    }

    fn shared_slot_rules(&mut self) {
        let (root, recovery) = (Endpoint::Root, Endpoint::Recovery);
        if !self.has_shares() {
            self.skip(
                recovery,
                "one attempt slot for both strategies",
                "3",
                "no shares claimed",
            );
            return;
        }
        self.reset(root);
        let check = self.start(root).and_then(|s| {
            let r = self.attempt(recovery, Method::Put, Zeroizing::new(Vec::new()))?;
            self.expect_error(&r, &Error::InProgress)?;
            let s0 = self.share_hex(0).ok_or_else(|| fail("a share", "none"))?;
            let r = self.submit(recovery, &s0, &s.nonce)?;
            self.expect_error(&r, &Error::WrongStrategy)
        });
        self.record(
            recovery,
            "one slot: start and update refused while a root attempt is in progress",
            "3",
            check,
        );
        self.reset(root);
    }

    /// The threshold's worth of shares, alternately hex and base64, starting at `from`.
    fn ceremony_keys(&self, from: usize) -> Vec<Zeroizing<String>> {
        (0..self.c.threshold)
            .filter_map(|i| {
                let j = from
                    .saturating_add(i)
                    .checked_rem(self.shares.len())
                    .unwrap_or(0);
                if i % 2 == 0 {
                    self.share_hex(j)
                } else {
                    self.share_b64(j)
                }
            })
            .collect()
    }

    /// Judges a final update answer and decodes its token with `otp`.
    fn judge_final(&mut self, ep: Endpoint, r: &Response, nonce: &str, otp: &str) -> Check {
        let st = self.judge_status(r)?;
        let t = self.c.threshold;
        let root = matches!(ep, Endpoint::Root);
        self.secrets.push(Zeroizing::new(st.encoded_token.clone()));
        let ok = st.complete
            && st.started
            && st.nonce == nonce
            && st.progress == t
            && st.required == t
            && !st.encoded_token.is_empty()
            && (if root {
                st.encoded_root_token == st.encoded_token
            } else {
                st.encoded_root_token.is_empty()
            })
            && st.otp.is_empty()
            && st.otp_length == 0;
        let want = if root {
            "complete, progress = required, encoded_token = encoded_root_token, otp_length 0"
        } else {
            "complete, progress = required, encoded_token set, encoded_root_token \"\", otp_length 0"
        };
        self.expect_fields(&st, want, ok)?;
        let format = self.c.profile.format(ep.strategy());
        let token = decode_token(&st.encoded_token, otp, self.otp_length(ep))
            .map_err(|e| fail("a token decoded with the OTP", e.to_string()))?;
        let text = token.expose_secret();
        self.secrets.push(Zeroizing::new(text.to_owned()));
        let body = text.get(format.prefix().len()..).unwrap_or_default();
        let ok = text.len() == format.token_length()
            && text.starts_with(format.prefix())
            && (format.is_uuid() || format.is_legacy() || is_base62(body));
        if ok {
            Ok(())
        } else {
            Err(fail(
                format!(
                    "a {}-character token starting {:?}",
                    format.token_length(),
                    format.prefix()
                ),
                format!(
                    "a {}-character token starting {:?}",
                    text.len(),
                    text.get(..format.prefix().len()).unwrap_or_default()
                ),
            ))
        }
    }

    /// A whole ceremony: `concurrent` final updates at once when a factory is claimed.
    fn ceremony(
        &mut self,
        ep: Endpoint,
        from: usize,
        caller_otp: bool,
        concurrent: bool,
    ) -> (Check, Option<Check>) {
        self.reset(ep);
        let started = if caller_otp {
            // The caller's OTP: one the server generated for a start cancelled at once (random,
            // and seen by nobody else), sent back as the caller's own.
            self.start(ep)
                .map(|st| Zeroizing::new(st.otp.expose_secret().to_owned()))
                .and_then(|otp| {
                    self.reset(ep);
                    let r = self.attempt(ep, Method::Put, body(&[r#"{"otp":""#, &otp, r#""}"#]))?;
                    let st = self.judge_status(&r)?;
                    self.expect_fields(
                        &st,
                        "started, the caller's OTP not echoed",
                        st.started && st.otp.is_empty(),
                    )?;
                    Ok((st.nonce, otp))
                })
        } else {
            self.start(ep).map(|st| {
                (
                    st.nonce.clone(),
                    Zeroizing::new(st.otp.expose_secret().to_owned()),
                )
            })
        };
        let (nonce, otp) = match started {
            Ok(v) => v,
            Err(f) => return (Err(f), None),
        };
        let keys = self.ceremony_keys(from);
        let Some((last, rest)) = keys.split_last() else {
            return (Err(fail("shares", "none")), None);
        };
        for (i, k) in rest.iter().enumerate() {
            let r = match self.submit(ep, k, &nonce) {
                Ok(r) => r,
                Err(f) => return (Err(f), None),
            };
            let check = self.judge_status(&r).and_then(|st| {
                self.expect_fields(
                    &st,
                    &format!("progress {}", i.saturating_add(1)),
                    st.progress == i.saturating_add(1) && !st.complete,
                )
            });
            if check.is_err() {
                return (check, None);
            }
        }
        let concurrency = self.c.concurrency.as_ref().filter(|_| concurrent);
        let Some((factory, senders)) = concurrency else {
            let check = self
                .submit(ep, last, &nonce)
                .and_then(|r| self.judge_final(ep, &r, &nonce, &otp));
            return (check, None);
        };
        let senders = (*senders).max(2);
        let barrier = Arc::new(Barrier::new(senders));
        let path = format!("{}update", ep.base_path());
        let mut headers = vec![(
            "Content-Type".to_owned(),
            Zeroizing::new(CONTENT_TYPE_JSON.to_owned()),
        )];
        if let Some(t) = self.token_for(&path) {
            headers.push((crate::http::TOKEN_HEADER.to_owned(), t));
        }
        let request = Request {
            method: Method::Put,
            path,
            headers,
            body: update_body(last, &nonce),
        };
        let answers: Vec<Result<Response, String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..senders)
                .map(|_| {
                    let mut transport = factory();
                    let barrier = Arc::clone(&barrier);
                    let request = request.clone();
                    scope.spawn(move || {
                        barrier.wait();
                        transport.send(&request).map_err(|e| e.to_string())
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("a sender thread panicked".to_owned()))
                })
                .collect()
        });
        let mut winners = Vec::new();
        let mut others = Vec::new();
        for a in answers {
            match a {
                Ok(r) if r.status == 200 => winners.push(r),
                Ok(r) => others.push(Ok(r)),
                Err(e) => others.push(Err(e)),
            }
        }
        // Vault holds its lock through the completion, so the others see its outcome: no attempt
        // (a root completion cleared it) or, after a recovery token, the already-unsealed text.
        // A sans-IO host that completes asynchronously may refuse them while it completes.
        let mut refusals = vec![
            self.c.text(&Error::NoAttempt),
            self.c.text(&Error::CompletionPending),
        ];
        if matches!(ep, Endpoint::Recovery) {
            refusals.push(self.c.text(&Error::AlreadyUnsealed));
        }
        let one = if winners.len() == 1
            && others.iter().all(|o| {
                o.as_ref().is_ok_and(|r| {
                    refusals
                        .iter()
                        .any(|t| self.expect_errors(r, 400, &[t]).is_ok())
                })
            }) {
            Ok(())
        } else {
            let got: Vec<String> = winners
                .iter()
                .chain(others.iter().filter_map(|o| o.as_ref().ok()))
                .map(|r| self.describe(r))
                .chain(others.iter().filter_map(|o| o.as_ref().err().cloned()))
                .collect();
            Err(fail(
                format!("exactly one of {senders} completes; the others 400 with {refusals:?}"),
                got.join(" | "),
            ))
        };
        let check = match winners.first() {
            Some(r) => self.judge_final(ep, r, &nonce, &otp),
            None => Err(fail("a completion", "none")),
        };
        (check, Some(one))
    }

    fn completion_rules(&mut self, ep: Endpoint) {
        if !self.has_shares() {
            self.skip(ep, "a complete ceremony", "4", "no shares claimed");
            return;
        }
        let recovery = matches!(ep, Endpoint::Recovery);
        if recovery && !self.c.recovery_mintable {
            self.skip(
                ep,
                "a complete ceremony",
                "4",
                "the recovery token is not mintable (claims)",
            );
            return;
        }
        let n = self.shares.len();
        if !recovery {
            let (check, _) = self.ceremony(ep, n.saturating_sub(self.c.threshold), false, false);
            self.record(
                ep,
                "a complete ceremony (generated OTP, hex and base64 shares), token decoded",
                "4",
                check,
            );
            let check = self.idle_status(ep);
            self.record(ep, "success clears the attempt", "2", check);
            let (check, _) = self.ceremony(ep, 1, true, false);
            self.record(
                ep,
                "a complete ceremony with the caller's OTP, token decoded",
                "6",
                check,
            );
            if self.c.concurrency.is_some() {
                let (check, one) = self.ceremony(ep, 0, false, true);
                self.record(ep, "the concurrent ceremony's token decodes", "4", check);
                if let Some(one) = one {
                    self.record(
                        ep,
                        "concurrent final updates: exactly one completion",
                        "4",
                        one,
                    );
                }
            } else {
                self.skip(
                    ep,
                    "concurrent final updates: exactly one completion",
                    "4",
                    "no transport factory claimed",
                );
            }
            self.pgp_ceremony(ep);
            self.reset(ep);
            return;
        }
        let concurrent = self.c.concurrency.is_some();
        let (check, one) = self.ceremony(ep, n.saturating_sub(self.c.threshold), false, concurrent);
        self.record(
            ep,
            "a complete ceremony (generated OTP, hex and base64 shares), token decoded",
            "4",
            check,
        );
        match one {
            Some(one) => self.record(
                ep,
                "concurrent final updates: exactly one completion",
                "4",
                one,
            ),
            None => self.skip(
                ep,
                "concurrent final updates: exactly one completion",
                "4",
                "no transport factory claimed",
            ),
        }
        let check = self.idle_status(ep);
        self.record(ep, "success clears the attempt", "2", check);
        let check = self
            .attempt(ep, Method::Put, Zeroizing::new(Vec::new()))
            .and_then(|r| self.expect_error(&r, &Error::AlreadyUnsealed));
        self.record(
            ep,
            "after the recovery token, a start is refused",
            "9",
            check,
        );
        // Vault checks a start's inputs before the server state (section 3); OpenBao 2.7 refuses
        // a recovery start once the token was minted before it looks at them (observed).
        let first = match self.c.dialect {
            Dialect::OpenBao => Error::AlreadyUnsealed,
            _ => Error::OtpWrongLength,
        };
        let check = self
            .attempt(ep, Method::Put, body(&[r#"{"otp":"short"}"#]))
            .and_then(|r| self.expect_error(&r, &first));
        self.record(
            ep,
            "after the recovery token, the check order of a start",
            "3",
            check,
        );
        let check = self
            .share_hex(0)
            .ok_or_else(|| fail("a share", "none"))
            .and_then(|s0| self.submit(ep, &s0, "x"))
            .and_then(|r| self.expect_error(&r, &Error::AlreadyUnsealed));
        self.record(
            ep,
            "after the recovery token, an update is refused",
            "9",
            check,
        );
    }
}

/// A family's answer to a caller it refuses, as the claimed dialect gives it.
fn refusal(dialect: Dialect, ep: Endpoint) -> (u16, &'static str) {
    match (dialect, ep) {
        // OpenBao 2.5.3+'s disabled unauthenticated endpoints (observed on 2.7.2).
        (Dialect::OpenBao, Endpoint::Root) => (405, "unsupported operation"),
        _ => (403, "permission denied"),
    }
}

/// OpenBao's multi-error text for one error (`1 error occurred:\n\t* <text>\n\n`).
fn multierror(text: &str) -> String {
    format!("1 error occurred:\n\t* {text}\n\n")
}

/// Whether `bytes` start with an OpenPGP public-key encrypted session key packet (tag 1), in
/// the old or the new packet format (RFC 4880 section 4.2).
fn starts_with_pkesk(bytes: &[u8]) -> bool {
    match bytes.first() {
        Some(b) if b & 0x80 == 0 => false,
        Some(b) if b & 0x40 != 0 => b & 0x3f == 1,
        Some(b) => (b >> 2) & 0x0f == 1,
        None => false,
    }
}

/// A wrong token: of a real token's shape (`s.` and 24 base62 characters), and not the claimed
/// one.
fn wrong_token(claimed: Option<&SecretString>) -> Zeroizing<String> {
    let mut t = Zeroizing::new(String::from("s.ConformanceKitWrongToken"));
    if claimed.is_some_and(|c| c.expose_secret() == t.as_str()) {
        t.push('x');
    }
    t
}

impl Runner<'_> {
    // ----- who may call (SPEC section 13) -----------------------------------------------------

    fn access_rules(&mut self) {
        let Some(a) = self.c.authorization.clone() else {
            return;
        };
        for ep in a.guarded.clone() {
            self.guarded_rules(ep, a.token.as_ref());
        }
        for ep in a.open.clone() {
            let check = self
                .send_as(
                    Method::Get,
                    format!("{}attempt", ep.base_path()),
                    None,
                    Zeroizing::new(Vec::new()),
                    None,
                )
                .and_then(|r| self.judge_status(&r).map(|_| ()));
            self.record(
                ep,
                "access: open, a status without a token is answered",
                "13",
                check,
            );
        }
        if a.decode_token_open {
            // Observed on OpenBao 2.7.2 without a token: the decoder's own refusal.
            let check = self
                .send_as(
                    Method::Put,
                    "/v1/sys/decode-token".to_owned(),
                    Some(CONTENT_TYPE_JSON),
                    body(&[r#"{"encoded_token":"x","otp":"y"}"#]),
                    None,
                )
                .and_then(|r| {
                    self.expect_errors(
                        &r,
                        400,
                        &["error decoding base64'd token: illegal base64 data at input byte 0"],
                    )
                });
            self.results.push(RuleResult {
                name: "decode-token: access: open, answered without a token".to_owned(),
                section: "13",
                outcome: self.outcome(
                    "decode-token: access: open, answered without a token",
                    check,
                ),
            });
        }
    }

    fn outcome(&self, name: &str, check: Check) -> Outcome {
        match check {
            Ok(()) => Outcome::Pass,
            Err(f) => match self.c.allowed.iter().find(|(rule, _)| rule == name) {
                Some((_, why)) => Outcome::Allowed {
                    why: why.clone(),
                    expected: f.expected,
                    got: f.got,
                },
                None => Outcome::Fail {
                    expected: f.expected,
                    got: f.got,
                },
            },
        }
    }

    /// Status, start, update and cancel with `token`: each refused as the dialect refuses.
    fn refused_as(&mut self, ep: Endpoint, token: Option<&Zeroizing<String>>) -> Check {
        let (status, text) = refusal(self.c.dialect, ep);
        let attempt = format!("{}attempt", ep.base_path());
        let update = format!("{}update", ep.base_path());
        let requests = [
            (Method::Get, attempt.clone(), None),
            // Bodies the ceremony would refuse with other texts: the token is checked first.
            (Method::Put, attempt.clone(), Some(r#"{"otp":"short"}"#)),
            (Method::Put, update, Some(r#"{"key":"zz"}"#)),
            (Method::Delete, attempt, None),
        ];
        for (method, path, b) in requests {
            let ct = b.map(|_| CONTENT_TYPE_JSON);
            let r = self.send_as(
                method,
                path,
                ct,
                body(&[b.unwrap_or_default()]),
                token.cloned(),
            )?;
            self.expect_errors(&r, status, &[text])?;
        }
        Ok(())
    }

    fn guarded_rules(&mut self, ep: Endpoint, token: Option<&SecretString>) {
        let check = self.refused_as(ep, None);
        self.record(
            ep,
            "access: without a token, status, start, update and cancel are refused",
            "13",
            check,
        );
        let wrong = wrong_token(token);
        self.secrets.push(wrong.clone());
        let check = self.refused_as(ep, Some(&wrong));
        self.record(
            ep,
            "access: with a wrong token, status, start, update and cancel are refused",
            "13",
            check,
        );
        let Some(token) = token else {
            self.skip(
                ep,
                "access: the claimed token is accepted",
                "13",
                "no token claimed",
            );
            return;
        };
        let token = Zeroizing::new(token.expose_secret().to_owned());
        self.secrets.push(token.clone());
        let check = self
            .send_as(
                Method::Get,
                format!("{}attempt", ep.base_path()),
                None,
                Zeroizing::new(Vec::new()),
                Some(token),
            )
            .and_then(|r| match (self.c.dialect, ep) {
                (Dialect::OpenBao, Endpoint::Root) => {
                    self.expect_errors(&r, 405, &["unsupported operation"])
                }
                (Dialect::OpenBao, Endpoint::DrOperation) => {
                    self.expect_errors(&r, 404, &[&multierror("unsupported path")])
                }
                (_, Endpoint::RootToken) => self.judge_envelope_status(&r),
                _ => self.judge_status(&r).map(|_| ()),
            });
        let name = match (self.c.dialect, ep) {
            (Dialect::OpenBao, Endpoint::Root) => {
                "access: the claimed token does not enable the disabled endpoints (405)"
            }
            (Dialect::OpenBao, Endpoint::DrOperation) => {
                "access: with the claimed token, no DR family (404 unsupported path)"
            }
            _ => "access: the claimed token is accepted",
        };
        self.record(ep, name, "13", check);
    }

    /// OpenBao's envelope around an idle-or-started status of `sys/generate-root-token`
    /// (SPEC section 13): the envelope's keys in order, `data`'s sorted.
    fn judge_envelope_status(&self, r: &Response) -> Check {
        let want = "200 application/json, OpenBao's envelope (request_id, lease_id, renewable, \
                    lease_duration, data, wrap_info, warnings, auth) whose data has complete, \
                    otp, otp_length, progress, required, started (nonce and pgp_fingerprint \
                    while started)";
        if r.status != 200 || !Self::is_json_type(r) {
            return Err(fail(want, self.describe(r)));
        }
        let v: serde_json::Value =
            serde_json::from_slice(Self::json_text(r)).map_err(|_| fail(want, self.describe(r)))?;
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v.as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        };
        // serde_json's map keeps the text's order only with `preserve_order`: compare the text.
        let text = String::from_utf8_lossy(Self::json_text(r)).into_owned();
        let top = [
            "{\"request_id\":\"",
            ",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,\"data\":{",
            "},\"wrap_info\":null,\"warnings\":null,\"auth\":null}",
        ];
        let ordered = text.starts_with(top[0]) && text.contains(top[1]) && text.ends_with(top[2]);
        let data = v.get("data").cloned().unwrap_or_default();
        let started = data.get("started").and_then(serde_json::Value::as_bool);
        let mut want_keys = vec![
            "complete",
            "otp",
            "otp_length",
            "progress",
            "required",
            "started",
        ];
        if started == Some(true) {
            want_keys.extend(["nonce", "pgp_fingerprint"]);
        }
        want_keys.sort_unstable();
        let mut got_keys = keys(&data);
        got_keys.sort_unstable();
        let otp_len = self.c.profile.otp_length(crate::vocabulary::Strategy::Root);
        let ok = ordered
            && got_keys == want_keys
            && data.get("required").and_then(serde_json::Value::as_u64)
                == u64::try_from(self.c.threshold).ok()
            && data.get("otp_length").and_then(serde_json::Value::as_u64)
                == u64::try_from(otp_len).ok();
        if ok {
            Ok(())
        } else {
            Err(fail(want, self.describe(r)))
        }
    }

    // ----- sealed, standby, not initialized (SPEC sections 3.2 and 4.3) -------------------------

    fn state_rules(&mut self, ep: Endpoint) {
        let state = self.c.server_state;
        let (start, update) = match state {
            ServerState::Sealed => (Error::Sealed, Error::Sealed),
            ServerState::Standby => (Error::Standby, Error::Standby),
            ServerState::NotInitialized => (Error::Sealed, Error::NotInitialized),
            _ => return,
        };
        let what = match state {
            ServerState::Sealed => "sealed",
            ServerState::Standby => "standby",
            _ => "not initialized",
        };
        if ep == Endpoint::Recovery {
            // Recovery mode starts whatever the seal: only the update is refused.
            let key = self
                .share_hex(0)
                .unwrap_or_else(|| Zeroizing::new("ab".repeat(33)));
            let check = self
                .submit(ep, &key, "x")
                .and_then(|r| self.expect_error(&r, &update));
            self.record(ep, &format!("{what}: an update is refused"), "4", check);
            return;
        }
        let check = self
            .attempt(ep, Method::Put, Zeroizing::new(Vec::new()))
            .and_then(|r| self.expect_error(&r, &start));
        self.record(ep, &format!("{what}: a start is refused"), "3", check);
        // A share of an accepted length: the length check comes before the state's (4.2, 4.3).
        let key = self
            .share_hex(0)
            .unwrap_or_else(|| Zeroizing::new("ab".repeat(33)));
        let check = self
            .submit(ep, &key, "x")
            .and_then(|r| self.expect_error(&r, &update));
        self.record(ep, &format!("{what}: an update is refused"), "4", check);
        if state == ServerState::Sealed && self.c.dialect == Dialect::OpenBao {
            // OpenBao answers every operation of a sealed server so (observed on 2.7.2), on
            // the disabled `sys/generate-root/*` too.
            let check = self
                .attempt(ep, Method::Get, Zeroizing::new(Vec::new()))
                .and_then(|r| self.expect_error(&r, &Error::Sealed))
                .and_then(|()| {
                    let r = self.send(
                        Method::Delete,
                        format!("{}attempt", ep.base_path()),
                        None,
                        Zeroizing::new(Vec::new()),
                    )?;
                    self.expect_error(&r, &Error::Sealed)
                });
            self.record(
                ep,
                "sealed: status and cancel are refused too (OpenBao)",
                "13",
                check,
            );
        } else if state != ServerState::NotInitialized {
            let check = self.status(ep).and_then(|s| {
                self.expect_fields(&s, "no attempt (the refused start left none)", !s.started)
            });
            self.record(
                ep,
                &format!("{what}: the refused start left no attempt"),
                "2",
                check,
            );
        }
    }

    /// A sealed OpenBao answers `sys/generate-root-token/*` and `sys/decode-token` with 503
    /// `Vault is sealed` too, before it looks at a token (observed on 2.7.2): the kit sends
    /// none.
    fn sealed_openbao_rule(&mut self) {
        let attempt = Endpoint::RootToken.path(crate::http::Leaf::Attempt);
        let requests = [
            (Method::Get, attempt.clone(), None),
            (Method::Put, attempt, Some("{}")),
            (
                Method::Put,
                "/v1/sys/decode-token".to_owned(),
                Some(r#"{"encoded_token":"x","otp":"y"}"#),
            ),
        ];
        let mut check = Ok(());
        for (method, path, b) in requests {
            let ct = b.map(|_| CONTENT_TYPE_JSON);
            check = self
                .send_as(method, path, ct, body(&[b.unwrap_or_default()]), None)
                .and_then(|r| self.expect_error(&r, &Error::Sealed));
            if check.is_err() {
                break;
            }
        }
        self.record(
            Endpoint::RootToken,
            "sealed: it and sys/decode-token answer 503 before the token check (OpenBao)",
            "13",
            check,
        );
    }

    // ----- key holders (extensions: share registry, holders-only start and cancel) ----------

    fn holders_only_rules(&mut self, ep: Endpoint) {
        let Some(foreign) = self.foreign.first().map(|s| hex(s.expose_secret())) else {
            self.skip(
                ep,
                "holders-only: start and cancel",
                "10",
                "no foreign shares claimed",
            );
            return;
        };
        self.reset(ep);
        let path = format!("{}attempt", ep.base_path());
        let check = self
            .send(Method::Put, path.clone(), None, Zeroizing::new(Vec::new()))
            .and_then(|r| self.expect_error(&r, &Error::HolderKeyRequired))
            .and_then(|()| self.idle_status(ep));
        self.record(
            ep,
            "holders-only: a start without a share is refused, nothing started",
            "10",
            check,
        );
        self.reset(ep);
        let check = self
            .send(
                Method::Put,
                path.clone(),
                Some(CONTENT_TYPE_JSON),
                body(&[r#"{"key":""#, &foreign, r#""}"#]),
            )
            .and_then(|r| self.expect_error(&r, &Error::UnknownShare))
            .and_then(|()| self.idle_status(ep));
        self.record(
            ep,
            "holders-only: a start with a foreign share is refused, nothing started",
            "10",
            check,
        );
        self.reset(ep);
        let started = self.start(ep);
        let check = started
            .as_ref()
            .map_err(|f| fail(f.expected.clone(), f.got.clone()))
            .and_then(|s| {
                self.expect_fields(
                    s,
                    "started, progress 0 (the start's share is not counted)",
                    s.started && s.progress == 0,
                )
            });
        self.record(
            ep,
            "holders-only: a start with a registered share starts, the share not counted",
            "10",
            check,
        );
        let s = match started {
            Ok(s) => s,
            Err(f) => {
                for name in [
                    "holders-only: a cancel without a share is refused, the attempt kept",
                    "holders-only: a cancel with a foreign share is refused, the attempt kept",
                    "holders-only: a cancel with a registered share cancels",
                ] {
                    let setup = fail(
                        format!("a started attempt (setup): {}", f.expected),
                        f.got.clone(),
                    );
                    self.record(ep, name, "10", Err(setup));
                }
                return;
            }
        };
        let kept = |r: &mut Self| -> Check {
            let st = r.status(ep)?;
            r.expect_fields(
                &st,
                "the same attempt kept",
                st.started && st.nonce == s.nonce,
            )
        };
        let check = self
            .send(
                Method::Delete,
                path.clone(),
                None,
                Zeroizing::new(Vec::new()),
            )
            .and_then(|r| self.expect_error(&r, &Error::HolderKeyRequired))
            .and_then(|()| kept(self));
        self.record(
            ep,
            "holders-only: a cancel without a share is refused, the attempt kept",
            "10",
            check,
        );
        let check = self
            .send(
                Method::Delete,
                path,
                Some(CONTENT_TYPE_JSON),
                body(&[r#"{"key":""#, &foreign, r#""}"#]),
            )
            .and_then(|r| self.expect_error(&r, &Error::UnknownShare))
            .and_then(|()| kept(self));
        self.record(
            ep,
            "holders-only: a cancel with a foreign share is refused, the attempt kept",
            "10",
            check,
        );
        let check = self.cancel_idle(ep).and_then(|()| self.idle_status(ep));
        self.record(
            ep,
            "holders-only: a cancel with a registered share cancels",
            "10",
            check,
        );
    }

    /// With a registry: a share not among the registered ones is refused at once, progress kept.
    fn registry_rules(&mut self, ep: Endpoint) {
        let (Some(first), Some(foreign)) = (
            self.shares.first().map(ShareBytes::of),
            self.foreign.first().map(|s| hex(s.expose_secret())),
        ) else {
            self.skip(
                ep,
                "registry: foreign shares refused at once",
                "10",
                "no foreign shares claimed",
            );
            return;
        };
        // The held share's x, other bytes: it cannot be genuine.
        let mut twin: Vec<u8> = first
            .expose_secret()
            .iter()
            .take(first.len().saturating_sub(1))
            .map(|b| b ^ 0x5a)
            .collect();
        twin.push(first.x());
        let twin = hex(&twin);
        self.secrets.push(twin.clone());
        let run = |r: &mut Self, name: &str, key: &str| {
            let check = (|| {
                r.reset(ep);
                let s = r.start(ep)?;
                let s0 = hex(first.expose_secret());
                let a = r.submit(ep, &s0, &s.nonce)?;
                r.judge_status(&a)?;
                let a = r.submit(ep, key, &s.nonce)?;
                r.expect_error(&a, &Error::UnknownShare)?;
                let st = r.status(ep)?;
                r.expect_fields(
                    &st,
                    "progress 1 kept",
                    st.started && st.nonce == s.nonce && st.progress == 1,
                )
            })();
            r.record(ep, name, "10", check);
        };
        run(
            self,
            "registry: a foreign share is refused at once, progress kept",
            &foreign,
        );
        run(
            self,
            "registry: a share with a held share's x but other bytes is refused, progress kept",
            &twin,
        );
        self.reset(ep);
    }

    // ----- PGP (SPEC section 8) ---------------------------------------------------------------

    /// Start with the claimed `pgp_key`: the fingerprint shown, no OTP; the status shows it too.
    /// Returns the nonce.
    fn pgp_start(&mut self, ep: Endpoint) -> Result<String, Fail> {
        let (key, fpr) = self.c.pgp_key.clone().unwrap_or_default();
        self.reset(ep);
        let r = self.attempt(ep, Method::Put, body(&[r#"{"pgp_key":""#, &key, r#""}"#]))?;
        let st = self.judge_status(&r)?;
        let otp_len = self.otp_length(ep);
        self.expect_fields(
            &st,
            &format!("started, pgp_fingerprint {fpr}, no OTP, otp_length {otp_len}"),
            st.started
                && st.pgp_fingerprint == fpr
                && st.otp.is_empty()
                && st.otp_length == otp_len,
        )?;
        let s = self.status(ep)?;
        self.expect_fields(
            &s,
            &format!("the status shows pgp_fingerprint {fpr}"),
            s.started && s.nonce == st.nonce && s.pgp_fingerprint == fpr,
        )?;
        Ok(st.nonce)
    }

    fn pgp_rules(&mut self, ep: Endpoint) {
        if self.c.pgp_key.is_none() || !self.c.pgp {
            return;
        }
        let check = self.pgp_start(ep).map(|_| ());
        self.record(
            ep,
            "pgp: a start with pgp_key shows its fingerprint, in the start and the status",
            "8",
            check,
        );
        let (key, _) = self.c.pgp_key.clone().unwrap_or_default();
        let otp = Zeroizing::new("d".repeat(self.otp_length(ep)));
        let check = (|| {
            self.reset(ep);
            let r = self.attempt(
                ep,
                Method::Put,
                body(&[r#"{"otp":""#, &otp, r#"","pgp_key":""#, &key, r#""}"#]),
            )?;
            let st = self.judge_status(&r)?;
            self.expect_fields(
                &st,
                "started, no fingerprint (the OTP wins), the OTP not echoed",
                st.started && st.pgp_fingerprint.is_empty() && st.otp.is_empty(),
            )
        })();
        self.record(
            ep,
            "pgp: with both an OTP and a pgp_key, the OTP wins",
            "3",
            check,
        );
        self.reset(ep);
    }

    /// A whole PGP ceremony: every update answer carries the fingerprint; the final one an
    /// encrypted token (checked for its form only: the kit holds no private key).
    fn pgp_ceremony(&mut self, ep: Endpoint) {
        if self.c.pgp_key.is_none() || !self.c.pgp {
            return;
        }
        let (_, fpr) = self.c.pgp_key.clone().unwrap_or_default();
        let check = (|| {
            let nonce = self.pgp_start(ep)?;
            let keys = self.ceremony_keys(0);
            let mut last = None;
            for k in &keys {
                let r = self.submit(ep, k, &nonce)?;
                let st = self.judge_status(&r)?;
                self.expect_fields(
                    &st,
                    &format!("pgp_fingerprint {fpr}"),
                    st.pgp_fingerprint == fpr,
                )?;
                last = Some(st);
            }
            let st = last.ok_or_else(|| fail("shares", "none"))?;
            self.secrets.push(Zeroizing::new(st.encoded_token.clone()));
            let root = matches!(ep, Endpoint::Root);
            self.expect_fields(
                &st,
                "complete, encoded_token set (= encoded_root_token on root), otp_length 0",
                st.complete
                    && !st.encoded_token.is_empty()
                    && (if root {
                        st.encoded_root_token == st.encoded_token
                    } else {
                        st.encoded_root_token.is_empty()
                    })
                    && st.otp_length == 0,
            )?;
            let message = STANDARD
                .decode(st.encoded_token.as_bytes())
                .map(Zeroizing::new)
                .map_err(|e| fail("encoded_token: padded standard base64", e.to_string()))?;
            if starts_with_pkesk(&message) {
                Ok(())
            } else {
                Err(fail(
                    "a binary OpenPGP message starting with a public-key encrypted session key packet",
                    format!(
                        "{} bytes, first byte {:#04x}",
                        message.len(),
                        message.first().copied().unwrap_or_default()
                    ),
                ))
            }
        })();
        self.record(
            ep,
            "pgp: a complete ceremony, the fingerprint in every update, the token encrypted",
            "8",
            check,
        );
        self.reset(ep);
    }
}

fn label(ep: Endpoint) -> &'static str {
    match ep {
        Endpoint::Recovery => "recovery",
        Endpoint::Root => "root",
        Endpoint::DrOperation => "dr",
        Endpoint::RootToken => "root-token",
    }
}

/// A zeroizing copy of a share's bytes, for scenarios that forge shares from a real one.
struct ShareBytes(Zeroizing<Vec<u8>>);

impl ShareBytes {
    fn of(share: &KeyShare) -> Self {
        Self(Zeroizing::new(share.expose_secret().to_vec()))
    }

    fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    /// The x coordinate: the trailing byte (Vault's layout).
    fn x(&self) -> u8 {
        self.0.last().copied().unwrap_or_default()
    }
}
