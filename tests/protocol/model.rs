//! Model-based tests: random sequences of start / cancel / update / status / time passing, run
//! against `RecoveryTokenGenerator` and, step by step, against a small reference model of
//! docs/PROTOCOL.md section 2 (and the check orders of sections 3 and 4) written here. After every
//! step: the same answer (`Ok` status fields or the exact `Err`), the same state (status on every
//! strategy), the same audit events, progress never above the threshold, no OTP shown twice, no
//! share kept after a completion, cancel, expiry or failure. Expiry on and off, nonce-bound cancel
//! on and off, disclosing errors on and off, a declared key length on and off, strategies mixed.
//!
//! PGP encoding is left out here (tests/pgp/pgp_gpg.rs covers it).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use base64::Engine as _;
use proptest::prelude::*;
use recovery_token::audit::{AuditEvent, AuditEventKind, ShareId};
use recovery_token::shares::CombineError;
use recovery_token::tokens::decode_token;
use recovery_token::wire::{AttemptStatus, UpdateRequest};
use recovery_token::{
    Encoding, Error, ErrorKind, GeneratorConfig, Otp, RecoveryTokenGenerator, Strategy,
};
use support::host::WRONG_KEY;
use support::{Clock, ScriptedRng, TestHost, hex, reference_split};

const OTP_LEN: usize = 28; // TokenProfile::VAULT, every strategy
const WRONG_NONCE: &str = "00000000-0000-0000-0000-000000000000";

// ----- operations -----

#[derive(Debug, Clone, Copy)]
enum NonceSel {
    /// The nonce of the latest attempt started (whether or not it still exists).
    Latest,
    /// The nonce of the attempt before it.
    Previous,
    Wrong,
    Empty,
}

#[derive(Debug, Clone, Copy)]
enum ShareSel {
    Real(usize),
    /// Same x coordinates as the real set, another key.
    Foreign(usize),
    /// A set of 17-byte shares (16-byte key): another length.
    Short(usize),
}

#[derive(Debug, Clone, Copy)]
enum BadKey {
    Undecodable,
    TooShort,
    TooLong,
    Empty,
}

#[derive(Debug, Clone, Copy)]
enum Enc {
    Generate,
    CallerOtp,
    WrongLength(usize),
}

#[derive(Debug, Clone)]
enum Op {
    Status(Strategy),
    Start(Strategy, Enc),
    Cancel(Option<NonceSel>),
    Update {
        /// `None`: the latest attempt's strategy (the usual, right one).
        strategy: Option<Strategy>,
        share: ShareSel,
        nonce: NonceSel,
        base64: bool,
    },
    BadUpdate(Strategy, BadKey, NonceSel),
    Advance(u64),
    HandleTimeout,
}

fn strategy() -> impl Strategy2<Value = Strategy> {
    prop_oneof![
        4 => Just(Strategy::Recovery),
        2 => Just(Strategy::Root),
        1 => Just(Strategy::DrOperation),
    ]
}

// `proptest::strategy::Strategy` collides with the crate's `Strategy` enum.
use proptest::strategy::Strategy as Strategy2;

fn nonce_sel() -> impl Strategy2<Value = NonceSel> {
    prop_oneof![
        8 => Just(NonceSel::Latest),
        1 => Just(NonceSel::Previous),
        1 => Just(NonceSel::Wrong),
        1 => Just(NonceSel::Empty),
    ]
}

fn op() -> impl Strategy2<Value = Op> {
    let share = prop_oneof![
        8 => (0..6usize).prop_map(ShareSel::Real),
        2 => (0..6usize).prop_map(ShareSel::Foreign),
        1 => (0..6usize).prop_map(ShareSel::Short),
    ];
    let enc = prop_oneof![
        3 => Just(Enc::Generate),
        2 => Just(Enc::CallerOtp),
        1 => (0..40usize).prop_filter("wrong", |l| *l != OTP_LEN).prop_map(Enc::WrongLength),
    ];
    let bad = prop_oneof![
        Just(BadKey::Undecodable),
        Just(BadKey::TooShort),
        Just(BadKey::TooLong),
        Just(BadKey::Empty),
    ];
    prop_oneof![
        2 => strategy().prop_map(Op::Status),
        3 => (strategy(), enc).prop_map(|(s, e)| Op::Start(s, e)),
        1 => proptest::option::of(nonce_sel()).prop_map(Op::Cancel),
        10 => (proptest::option::weighted(0.2, strategy()), share, nonce_sel(), any::<bool>()).prop_map(
            |(strategy, share, nonce, base64)| Op::Update { strategy, share, nonce, base64 }
        ),
        1 => (strategy(), bad, nonce_sel()).prop_map(|(s, b, n)| Op::BadUpdate(s, b, n)),
        2 => (0..25u64).prop_map(Op::Advance),
        1 => Just(Op::HandleTimeout),
    ]
}

#[derive(Debug, Clone)]
struct Setup {
    threshold: usize,
    lifetime: Option<u64>,
    cancel_requires_nonce: bool,
    disclose: bool,
    strict: bool,
    seed: u64,
}

fn setup() -> impl Strategy2<Value = Setup> {
    (
        1..=4usize,
        proptest::option::of(5..=40u64),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(threshold, lifetime, cancel_requires_nonce, disclose, strict, seed)| Setup {
                threshold,
                lifetime,
                cancel_requires_nonce,
                disclose,
                strict,
                seed,
            },
        )
}

// ----- the reference model -----

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Started,
    StartRefused(ErrorKind),
    /// The share's bytes: the real event must carry an ID, consistent per attempt.
    ShareAccepted(Vec<u8>),
    /// `Some(bytes)` when an attempt (and so an ID key) exists.
    ShareRefused(Option<Vec<u8>>, ErrorKind),
    Combined,
    KeyCheckFailed,
    Failed(ErrorKind),
    Completed,
    Cancelled(usize),
    CancelRefused,
    Expired(usize),
}

#[derive(Debug)]
struct Expected {
    kind: Kind,
    strategy: Strategy,
    nonce: String,
    progress: usize,
}

#[derive(Debug)]
struct ModelAttempt {
    nonce: String,
    strategy: Strategy,
    otp: Otp,
    shares: Vec<Vec<u8>>,
    started_at: Instant,
}

#[derive(Debug)]
struct Model {
    t: usize,
    lifetime: Option<Duration>,
    cancel_requires_nonce: bool,
    disclose: bool,
    strict: bool,
    attempt: Option<ModelAttempt>,
    expired_nonce: Option<String>,
    recovery_issued: bool,
    real: Vec<Vec<u8>>,
    events: Vec<Expected>,
}

enum Answer {
    /// Below the threshold, or a refusal: the exact result.
    Exact(Result<AttemptStatus, Error>),
    /// A completion: the status is checked field by field; the token decodes with this OTP.
    Completed {
        nonce: String,
        strategy: Strategy,
        otp: Otp,
    },
}

impl Model {
    fn is_expired(&self, a: &ModelAttempt, now: Instant) -> bool {
        self.lifetime
            .is_some_and(|l| now.saturating_duration_since(a.started_at) >= l)
    }

    fn emit(&mut self, kind: Kind, strategy: Strategy, nonce: String, progress: usize) {
        self.events.push(Expected {
            kind,
            strategy,
            nonce,
            progress,
        });
    }

    fn nonce_progress(&self) -> (String, usize) {
        self.attempt
            .as_ref()
            .map_or((String::new(), 0), |a| (a.nonce.clone(), a.shares.len()))
    }

    /// Every mutating call wipes an expired attempt first.
    fn expire(&mut self, now: Instant) {
        if let Some(a) = &self.attempt
            && self.is_expired(a, now)
        {
            let a = self.attempt.take().unwrap();
            self.expired_nonce = Some(a.nonce.clone());
            self.emit(Kind::Expired(a.shares.len()), a.strategy, a.nonce, 0);
        }
    }

    fn status(&self, strategy: Strategy, now: Instant) -> AttemptStatus {
        // `#[non_exhaustive]`: built from the default, as a host outside the crate must.
        let mut s = AttemptStatus::default();
        s.required = self.t;
        s.otp_length = OTP_LEN;
        if let Some(a) = &self.attempt
            && !self.is_expired(a, now)
        {
            s.nonce.clone_from(&a.nonce);
            s.started = true;
            s.progress = a.shares.len();
        }
        let _ = strategy;
        s
    }

    /// Start: inputs, server state, slot (PROTOCOL.md section 3). On success the real nonce and OTP
    /// are adopted by the caller through `started`.
    fn start(&mut self, strategy: Strategy, enc: &Encoding, now: Instant) -> Result<(), Error> {
        self.expire(now);
        let refused = match enc {
            Encoding::Otp(o) if o.len() != OTP_LEN => Some(Error::OtpWrongLength),
            _ if strategy == Strategy::Recovery && self.recovery_issued => {
                Some(Error::AlreadyUnsealed)
            }
            _ if self.attempt.is_some() => Some(Error::InProgress),
            _ => None,
        };
        if let Some(e) = refused {
            let (nonce, progress) = self.nonce_progress();
            self.emit(Kind::StartRefused(e.kind()), strategy, nonce, progress);
            return Err(e);
        }
        Ok(())
    }

    fn started(&mut self, strategy: Strategy, nonce: String, otp: Otp, now: Instant) {
        self.emit(Kind::Started, strategy, nonce.clone(), 0);
        self.expired_nonce = None;
        self.attempt = Some(ModelAttempt {
            nonce,
            strategy,
            otp,
            shares: vec![],
            started_at: now,
        });
    }

    fn cancel(&mut self, nonce: Option<&str>, now: Instant) -> Result<(), Error> {
        self.expire(now);
        let Some(a) = &self.attempt else {
            return Ok(());
        };
        let (strategy, attempt_nonce, progress) = (a.strategy, a.nonce.clone(), a.shares.len());
        if self.cancel_requires_nonce && nonce != Some(attempt_nonce.as_str()) {
            self.emit(Kind::CancelRefused, strategy, attempt_nonce, progress);
            return Err(Error::WrongNonceUndisclosed);
        }
        self.attempt = None;
        self.emit(Kind::Cancelled(progress), strategy, attempt_nonce, 0);
        Ok(())
    }

    fn refuse_share(&mut self, strategy: Strategy, share: Option<&[u8]>, e: Error) -> Answer {
        let (nonce, progress) = self.nonce_progress();
        // A share is named only while an attempt (its key) exists.
        let named = share.filter(|_| self.attempt.is_some()).map(<[u8]>::to_vec);
        self.emit(
            Kind::ShareRefused(named, e.kind()),
            strategy,
            nonce,
            progress,
        );
        Answer::Exact(Err(e))
    }

    /// The share lengths accepted: Vault's 16..=33, or exactly the declared key's (33 bytes for
    /// a 32-byte key, the key itself with threshold 1).
    fn lengths(&self) -> (usize, usize) {
        match (self.strict, self.t) {
            (false, _) => (16, 33),
            (true, 1) => (32, 32),
            (true, _) => (33, 33),
        }
    }

    /// How Vault's decoding (hex kept only at an accepted length, else padded base64) and length
    /// check refuse a share of `len` bytes sent in hex or base64, if they do.
    fn length_refusal(&self, len: usize, base64: bool) -> Option<Error> {
        let (min, max) = self.lengths();
        let decoded = if base64 || (min..=max).contains(&len) {
            len
        } else if (2 * len).is_multiple_of(4) {
            // The hex digits are base64 characters: the text decodes to 3/4 of its length.
            2 * len * 3 / 4
        } else {
            return Some(Error::InvalidKeyEncoding);
        };
        if decoded < min {
            Some(Error::KeyTooShort { min })
        } else if decoded > max {
            Some(Error::KeyTooLong { max })
        } else {
            None
        }
    }

    fn bad_update(&mut self, strategy: Strategy, e: Error, now: Instant) -> Answer {
        self.expire(now);
        self.refuse_share(strategy, None, e)
    }

    /// Update (PROTOCOL.md section 4, steps 3 to 11; the key is already decoded).
    fn update(&mut self, strategy: Strategy, share: &[u8], nonce: &str, now: Instant) -> Answer {
        self.expire(now);
        if strategy == Strategy::Recovery && self.recovery_issued {
            return self.refuse_share(strategy, Some(share), Error::AlreadyUnsealed);
        }
        let Some(a) = &self.attempt else {
            let e = if self.expired_nonce.as_deref() == Some(nonce) {
                Error::AttemptExpired
            } else {
                Error::NoAttempt
            };
            return self.refuse_share(strategy, Some(share), e);
        };
        let refusal = if a.nonce != nonce {
            Some(if self.disclose {
                Error::WrongNonce {
                    nonce: a.nonce.clone(),
                }
            } else {
                Error::WrongNonceUndisclosed
            })
        } else if a.strategy != strategy {
            Some(Error::WrongStrategy)
        } else if a.shares.iter().any(|s| s == share) {
            Some(Error::DuplicateShare)
        } else {
            None
        };
        if let Some(e) = refusal {
            return self.refuse_share(strategy, Some(share), e);
        }

        let t = self.t;
        let a = self.attempt.as_mut().unwrap();
        a.shares.push(share.to_vec());
        let progress = a.shares.len();
        let attempt_nonce = a.nonce.clone();
        self.emit(
            Kind::ShareAccepted(share.to_vec()),
            strategy,
            attempt_nonce.clone(),
            progress,
        );
        if progress < t {
            let mut s = AttemptStatus::default();
            s.nonce = nonce.to_owned();
            s.started = true;
            s.progress = progress;
            s.required = t;
            return Answer::Exact(Ok(s));
        }
        // Threshold: the shares are cleared before the result is looked at.
        let a = self.attempt.as_mut().unwrap();
        let shares = std::mem::take(&mut a.shares);
        if t > 1 {
            let len = shares[0].len();
            let combine_error = if shares.iter().any(|s| s.len() != len) {
                Some(CombineError::LengthMismatch)
            } else {
                let xs: HashSet<u8> = shares.iter().map(|s| *s.last().unwrap()).collect();
                (xs.len() != shares.len()).then_some(CombineError::DuplicatePart)
            };
            if let Some(c) = combine_error {
                let e = Error::Combine(c);
                self.emit(Kind::Failed(e.kind()), strategy, attempt_nonce, 0);
                return Answer::Exact(Err(e));
            }
        }
        self.emit(Kind::Combined, strategy, attempt_nonce.clone(), 0);
        // Threshold-many distinct shares of the real set, and only those, give the real key
        // (threshold 1: the share is the key).
        let right = shares.iter().all(|s| self.real.contains(s));
        if !right {
            self.emit(Kind::KeyCheckFailed, strategy, attempt_nonce, 0);
            return Answer::Exact(Err(Error::KeyCheckFailed {
                reason: WRONG_KEY.into(),
            }));
        }
        let a = self.attempt.take().unwrap();
        if strategy == Strategy::Recovery {
            self.recovery_issued = true;
        }
        self.emit(Kind::Completed, strategy, attempt_nonce, 0);
        Answer::Completed {
            nonce: nonce.to_owned(),
            strategy,
            otp: a.otp,
        }
    }
}

// ----- the system under test's host -----

// The system under test's host is `support::TestHost`: it mints Vault-profile root tokens from a
// seeded rng and records them.

// ----- the run -----

struct Run {
    model: Model,
    generator: RecoveryTokenGenerator,
    host: TestHost,
    rng: ScriptedRng,
    clock: Clock,
    foreign: Vec<Vec<u8>>,
    short: Vec<Vec<u8>>,
    nonces: Vec<String>,
    otps_seen: HashSet<String>,
    /// share ID -> (attempt nonce, share bytes): one ID per share per attempt, never shared.
    ids: HashMap<ShareId, (String, Vec<u8>)>,
    minted_recovery: Option<String>,
    latest_strategy: Strategy,
}

fn key_set(secret: &[u8], t: usize, rng: &mut ScriptedRng) -> Vec<Vec<u8>> {
    if t == 1 {
        return vec![secret.to_vec()];
    }
    let xs: Vec<u8> = (1..=u8::try_from(t + 2).unwrap()).collect();
    reference_split(secret, t, &xs, rng)
}

impl Run {
    fn new(s: &Setup) -> Self {
        let mut rng = ScriptedRng::seeded(s.seed);
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        let mut other = [0u8; 32];
        rng.fill_bytes(&mut other);
        let real = key_set(&key, s.threshold, &mut rng);
        let foreign = key_set(&other, s.threshold, &mut rng);
        let short = key_set(&key[..16], s.threshold, &mut rng);
        let mut config = GeneratorConfig::builder(s.threshold)
            .with_cancel_requires_nonce(s.cancel_requires_nonce)
            .with_disclose_nonce_in_errors(s.disclose);
        if s.strict {
            config = config.with_key_length(32);
        }
        if let Some(l) = s.lifetime {
            config = config.with_attempt_lifetime(Duration::from_secs(l));
        }
        let config = config.build().unwrap();
        Self {
            model: Model {
                t: s.threshold,
                lifetime: s.lifetime.map(Duration::from_secs),
                cancel_requires_nonce: s.cancel_requires_nonce,
                disclose: s.disclose,
                strict: s.strict,
                attempt: None,
                expired_nonce: None,
                recovery_issued: false,
                real,
                events: vec![],
            },
            generator: RecoveryTokenGenerator::new(config),
            host: TestHost::new(&key).with_rng(ScriptedRng::seeded(!s.seed)),
            rng: ScriptedRng::seeded(s.seed ^ 0x5555),
            clock: Clock::new(),
            foreign,
            short,
            nonces: vec![],
            otps_seen: HashSet::new(),
            ids: HashMap::new(),
            minted_recovery: None,
            latest_strategy: Strategy::Recovery,
        }
    }

    fn nonce(&self, sel: NonceSel) -> String {
        let n = self.nonces.len();
        match sel {
            NonceSel::Latest => self.nonces.last().cloned().unwrap_or_default(),
            NonceSel::Previous if n >= 2 => self.nonces[n - 2].clone(),
            NonceSel::Previous | NonceSel::Wrong => WRONG_NONCE.to_owned(),
            NonceSel::Empty => String::new(),
        }
    }

    fn share(&self, sel: ShareSel) -> Vec<u8> {
        let pick = |set: &Vec<Vec<u8>>, i: usize| set[i % set.len()].clone();
        match sel {
            ShareSel::Real(i) => pick(&self.model.real, i),
            ShareSel::Foreign(i) => pick(&self.foreign, i),
            ShareSel::Short(i) => pick(&self.short, i),
        }
    }

    fn see_otp(&mut self, otp: &Otp) {
        if !otp.is_empty() {
            assert!(
                self.otps_seen.insert(otp.expose_secret().to_owned()),
                "an OTP was shown twice"
            );
        }
    }

    fn step(&mut self, op: &Op) {
        match op {
            Op::Status(s) => {
                let got = self.generator.status(*s, self.clock.now());
                assert_eq!(got, self.model.status(*s, self.clock.now()));
            }
            Op::Start(strategy, enc) => self.start(*strategy, *enc),
            Op::Cancel(sel) => {
                let n = sel.map(|s| self.nonce(s));
                let expected = self.model.cancel(n.as_deref(), self.clock.now());
                assert_eq!(
                    self.generator.cancel(n.as_deref(), self.clock.now()),
                    expected
                );
            }
            Op::Update {
                strategy,
                share,
                nonce,
                base64,
            } => {
                let bytes = self.share(*share);
                let text = if *base64 {
                    base64::engine::general_purpose::STANDARD.encode(&bytes)
                } else {
                    hex(&bytes)
                };
                let n = self.nonce(*nonce);
                let strategy = strategy.unwrap_or(self.latest_strategy);
                let expected = match self.model.length_refusal(bytes.len(), *base64) {
                    Some(e) => self.model.bad_update(strategy, e, self.clock.now()),
                    None => self.model.update(strategy, &bytes, &n, self.clock.now()),
                };
                self.update(strategy, text, n, expected);
            }
            Op::BadUpdate(strategy, bad, nonce) => {
                let (text, e) = match bad {
                    BadKey::Undecodable => ("not a share!".to_owned(), Error::InvalidKeyEncoding),
                    BadKey::TooShort => (
                        base64::engine::general_purpose::STANDARD.encode([7u8; 12]),
                        self.model.length_refusal(12, true).unwrap(),
                    ),
                    BadKey::TooLong => (
                        hex(&[7u8; 40]),
                        self.model.length_refusal(40, false).unwrap(),
                    ),
                    BadKey::Empty => (String::new(), Error::MissingKey),
                };
                let n = self.nonce(*nonce);
                let expected = self.model.bad_update(*strategy, e, self.clock.now());
                self.update(*strategy, text, n, expected);
            }
            Op::Advance(secs) => self.clock.advance(Duration::from_secs(*secs)),
            Op::HandleTimeout => {
                self.model.expire(self.clock.now());
                self.generator.handle_timeout(self.clock.now());
            }
        }
        self.check_events();
        self.check_state();
    }

    fn start(&mut self, strategy: Strategy, enc: Enc) {
        let encoding = match enc {
            Enc::Generate => Encoding::GenerateOtp,
            Enc::CallerOtp => {
                // A fresh caller OTP each time (base62-ish, 28 characters).
                let n = self.otps_seen.len() + self.nonces.len();
                Encoding::Otp(format!("caller{n:022}").into())
            }
            Enc::WrongLength(l) => Encoding::Otp("o".repeat(l).into()),
        };
        let expected = self.model.start(strategy, &encoding, self.clock.now());
        let caller_otp = match &encoding {
            Encoding::Otp(o) => Some(o.clone()),
            _ => None,
        };
        let got = self
            .generator
            .start(strategy, encoding, self.clock.now(), &mut self.rng);
        match (expected, got) {
            (Err(e), got) => assert_eq!(got, Err(e)),
            (Ok(()), Err(e)) => panic!("start refused: {e}"),
            (Ok(()), Ok(st)) => {
                // A fresh nonce in UUID layout.
                assert_eq!(st.nonce.len(), 36);
                assert!(uuid_layout(&st.nonce), "{}", st.nonce);
                assert!(!self.nonces.contains(&st.nonce), "nonce reused");
                let otp = match caller_otp {
                    Some(o) => {
                        assert!(st.otp.is_empty(), "a caller's OTP is never echoed");
                        o
                    }
                    None => {
                        assert_eq!(st.otp.len(), OTP_LEN);
                        st.otp.clone()
                    }
                };
                self.see_otp(&st.otp);
                let mut expected = AttemptStatus::default();
                expected.nonce = st.nonce.clone();
                expected.started = true;
                expected.required = self.model.t;
                expected.otp = st.otp.clone();
                expected.otp_length = OTP_LEN;
                assert_eq!(st, expected);
                self.nonces.push(st.nonce.clone());
                self.latest_strategy = strategy;
                self.model
                    .started(strategy, st.nonce, otp, self.clock.now());
            }
        }
    }

    fn update(&mut self, strategy: Strategy, key: String, nonce: String, expected: Answer) {
        let request = UpdateRequest {
            key: key.into(),
            nonce,
        };
        let minted_before = self.host.minted.len();
        let got = self.generator.update(
            strategy,
            &request,
            self.clock.now(),
            &mut self.host,
            &mut self.rng,
        );
        if let Ok(st) = &got {
            self.see_otp(&st.otp);
            assert!(st.progress <= st.required);
        }
        match expected {
            Answer::Exact(e) => assert_eq!(got, e),
            Answer::Completed {
                nonce,
                strategy,
                otp,
            } => {
                let st = got.unwrap();
                let t = self.model.t;
                assert_eq!(
                    (st.nonce.as_str(), st.started, st.progress, st.required),
                    (nonce.as_str(), true, t, t)
                );
                assert!(st.complete && st.otp.is_empty() && st.otp_length == 0);
                assert!(st.pgp_fingerprint.is_empty());
                let root_copy = if strategy == Strategy::Root {
                    st.encoded_token.clone()
                } else {
                    String::new()
                };
                assert_eq!(st.encoded_root_token, root_copy);
                let token = decode_token(&st.encoded_token, otp.expose_secret(), otp.len())
                    .unwrap()
                    .expose_secret()
                    .to_owned();
                if strategy == Strategy::Recovery {
                    assert!(token.starts_with("hvr.") && token.len() == OTP_LEN);
                    assert!(self.generator.recovery_token().verify(&token));
                    self.minted_recovery = Some(token);
                } else {
                    assert_eq!(self.host.minted[minted_before..], [token]);
                }
            }
        }
    }

    fn check_events(&mut self) {
        let got: Vec<AuditEvent> = std::iter::from_fn(|| self.generator.poll_event()).collect();
        let expected = std::mem::take(&mut self.model.events);
        assert_eq!(
            got.len(),
            expected.len(),
            "events: got {got:#?}\nexpected {expected:#?}"
        );
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(
                (g.strategy, g.nonce.as_str(), g.progress, g.required, g.now),
                (
                    e.strategy,
                    e.nonce.as_str(),
                    e.progress,
                    self.model.t,
                    self.clock.now()
                ),
                "{g:?} vs {e:?}"
            );
            assert!(g.progress <= g.required);
            let named = match (&g.kind, &e.kind) {
                (AuditEventKind::ShareAccepted { share }, Kind::ShareAccepted(bytes)) => {
                    Some((*share, bytes))
                }
                (
                    AuditEventKind::ShareRefused { share, error },
                    Kind::ShareRefused(bytes, kind),
                ) => {
                    assert_eq!(error, kind);
                    assert_eq!(share.is_some(), bytes.is_some(), "{g:?} vs {e:?}");
                    share.zip(bytes.as_ref())
                }
                (got, want) => {
                    let want = match want {
                        Kind::Started => AuditEventKind::Started,
                        Kind::StartRefused(error) => AuditEventKind::StartRefused { error: *error },
                        Kind::Combined => AuditEventKind::Combined,
                        Kind::KeyCheckFailed => AuditEventKind::KeyCheckFailed,
                        Kind::Failed(error) => AuditEventKind::Failed { error: *error },
                        Kind::Completed => AuditEventKind::Completed,
                        Kind::Cancelled(discarded) => AuditEventKind::Cancelled {
                            discarded: *discarded,
                        },
                        Kind::CancelRefused => AuditEventKind::CancelRefused,
                        Kind::Expired(discarded) => AuditEventKind::Expired {
                            discarded: *discarded,
                        },
                        other => panic!("got {got:?}, expected {other:?}"),
                    };
                    assert_eq!(*got, want);
                    None
                }
            };
            if let Some((id, bytes)) = named {
                let owner = (g.nonce.clone(), bytes.clone());
                let previous = self.ids.entry(id).or_insert_with(|| owner.clone());
                assert_eq!(*previous, owner, "one ID for two shares or two attempts");
            }
        }
        // The same share in the same attempt always gets the same ID.
        let mut by_owner = HashMap::new();
        for (id, owner) in &self.ids {
            assert!(by_owner.insert(owner.clone(), *id).is_none());
        }
    }

    fn check_state(&self) {
        for s in [Strategy::Recovery, Strategy::Root, Strategy::DrOperation] {
            let got = self.generator.status(s, self.clock.now());
            assert_eq!(got, self.model.status(s, self.clock.now()));
            assert!(got.progress <= got.required);
            // At rest the threshold is never reached: the shares are gone by then.
            assert!(got.progress < self.model.t);
        }
        assert_eq!(self.generator.recovery_issued(), self.model.recovery_issued);
        // An attempt (even expired, until a call wipes it) has a timeout iff a lifetime is set.
        let timeout = match (&self.model.attempt, self.model.lifetime) {
            (Some(a), Some(l)) => Some(a.started_at + l),
            _ => None,
        };
        assert_eq!(self.generator.poll_timeout(), timeout);
        if let Some(t) = &self.minted_recovery {
            assert!(self.generator.recovery_token().verify(t));
        }
    }
}

fn uuid_layout(s: &str) -> bool {
    s.split('-').map(str::len).eq([8, 4, 4, 4, 12])
        && s.bytes()
            .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_generator_follows_the_reference_model(
        setup in setup(),
        ops in proptest::collection::vec(op(), 1..48),
    ) {
        let mut run = Run::new(&setup);
        for op in &ops {
            run.step(op);
        }
    }
}
