//! Arbitrary sequences of operations driving `RecoveryTokenGenerator` (quinn-style): start,
//! cancel, update (real, foreign, short and raw shares; right, stale and arbitrary nonces),
//! two-step submit/finish, status, time passing, timeouts, token checks. Checks after every
//! step: no panic, progress never above the threshold, the status JSON always Vault's ten keys in
//! order, completions decode with their OTP, audit events consistent and secret-free.
#![no_main]

use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;
use rand::rngs::StdRng;
use recovery_token::HostReason;
use recovery_token::audit::AuditConfig;
use recovery_token::shares::KeyShare;
use recovery_token::tokens::{TokenProfile, decode_token};
use recovery_token::wire::{AttemptStatus, UpdateRequest};
use recovery_token::{
    CombinedKey, Encoding, Error, GeneratorConfig, Host, KeyAccepted, Otp, PendingCompletion,
    RecoveryTokenGenerator, Strategy, Token, UpdateOutcome,
};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Strat {
    Recovery,
    Root,
    Dr,
}

impl Strat {
    fn get(self) -> Strategy {
        match self {
            Self::Recovery => Strategy::Recovery,
            Self::Root => Strategy::Root,
            Self::Dr => Strategy::DrOperation,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Enc {
    Generate,
    RightLength(u8),
    Arbitrary(String),
    Pgp(String),
}

#[derive(Arbitrary, Debug)]
enum NonceSel {
    Current,
    Previous,
    Empty,
    Arbitrary(String),
}

#[derive(Arbitrary, Debug)]
enum ShareSel {
    Real(u8),
    Foreign(u8),
    Short(u8),
    Raw(String),
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Status(Strat),
    Start(Strat, Enc),
    Cancel(Option<NonceSel>),
    Update {
        strategy: Strat,
        share: ShareSel,
        nonce: NonceSel,
        hex: bool,
    },
    Submit {
        strategy: Strat,
        share: ShareSel,
        nonce: NonceSel,
    },
    Finish {
        accept: bool,
        mint: bool,
    },
    DropPending,
    Advance(u16),
    HandleTimeout,
    Verify(String),
    VerifyMinted,
    Revoke,
}

#[derive(Arbitrary, Debug)]
struct Input {
    threshold: u8,
    lifetime_secs: Option<u8>,
    cancel_requires_nonce: bool,
    disclose_nonce: bool,
    strict: bool,
    legacy: bool,
    audit_capacity: u8,
    seed: u64,
    ops: Vec<Op>,
}

struct TestHost {
    key: Vec<u8>,
    profile: TokenProfile,
    rng: StdRng,
}

impl Host for TestHost {
    fn check_key(&mut self, _: Strategy, key: &CombinedKey) -> Result<(), HostReason> {
        if key.ct_eq_bytes(&self.key) {
            Ok(())
        } else {
            Err("unable to authenticate".into())
        }
    }

    fn mint_token(&mut self, strategy: Strategy) -> Result<Token, HostReason> {
        Ok(self.profile.format(strategy).mint(&mut self.rng))
    }
}

fn split(key: &[u8], threshold: usize, rng: &mut StdRng) -> Vec<Vec<u8>> {
    if threshold == 1 {
        return vec![key.to_vec()];
    }
    let limit = threshold + 2;
    vsss_rs::Gf256::split_bytes(threshold, limit, key, rng)
        .expect("split")
        .iter()
        .map(|s| {
            KeyShare::from_vsss_layout(s, &KeyShare::DEFAULT_LENGTHS)
                .expect("layout")
                .expose_secret()
                .to_vec()
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_status_json(s: &AttemptStatus) {
    let json = s.to_json();
    let v: serde_json::Value = serde_json::from_str(&json).expect("status json");
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    // serde_json without preserve_order sorts keys, so check the text's order separately.
    assert_eq!(keys.len(), 10, "status must have 10 keys: {json}");
    let order = [
        "\"nonce\"",
        "\"started\"",
        "\"progress\"",
        "\"required\"",
        "\"complete\"",
        "\"encoded_token\"",
        "\"encoded_root_token\"",
        "\"pgp_fingerprint\"",
        "\"otp\"",
        "\"otp_length\"",
    ];
    let mut at = 0;
    for k in order {
        let pos = json[at..].find(k).expect("key in order");
        at += pos + k.len();
    }
    assert!(s.progress <= s.required, "progress above threshold");
}

fuzz_target!(|input: Input| {
    let threshold = usize::from(input.threshold % 5) + 1;
    let mut rng = StdRng::seed_from_u64(input.seed);
    let profile = if input.legacy {
        TokenProfile::LEGACY
    } else {
        TokenProfile::VAULT
    };
    let mut config = GeneratorConfig::builder(threshold)
        .with_profile(profile)
        .with_cancel_requires_nonce(input.cancel_requires_nonce)
        .with_disclose_nonce_in_errors(input.disclose_nonce)
        .with_audit(AuditConfig::default().with_capacity(usize::from(input.audit_capacity)));
    if input.strict {
        config = config.with_key_length(32);
    }
    if let Some(s) = input.lifetime_secs {
        config = config.with_attempt_lifetime(Duration::from_secs(u64::from(s) + 1));
    }
    let mut generator = RecoveryTokenGenerator::new(config.build().expect("a valid configuration"));

    let mut key = [0u8; 32];
    rand::Rng::fill_bytes(&mut rng, &mut key);
    let real = split(&key, threshold, &mut rng);
    let mut other = [0u8; 32];
    rand::Rng::fill_bytes(&mut rng, &mut other);
    let foreign = split(&other, threshold, &mut rng);
    let short = split(&key[..16], threshold, &mut rng);
    let mut host = TestHost {
        key: key.to_vec(),
        profile,
        rng: StdRng::seed_from_u64(!input.seed),
    };

    let mut now = Instant::now();
    let mut current_nonce = String::new();
    let mut previous_nonce = String::new();
    let mut otp: Option<(Otp, Strategy)> = None;
    let mut pending: Option<PendingCompletion> = None;
    let mut minted_recovery: Option<Token> = None;

    let pick = |sel: &ShareSel| -> String {
        let choose = |set: &Vec<Vec<u8>>, i: u8| hex(&set[usize::from(i) % set.len()]);
        match sel {
            ShareSel::Real(i) => choose(&real, *i),
            ShareSel::Foreign(i) => choose(&foreign, *i),
            ShareSel::Short(i) => choose(&short, *i),
            ShareSel::Raw(s) => s.clone(),
            ShareSel::Bytes(b) => hex(b),
        }
    };

    for op in input.ops.iter().take(64) {
        let nonce_of = |sel: &NonceSel| match sel {
            NonceSel::Current => current_nonce.clone(),
            NonceSel::Previous => previous_nonce.clone(),
            NonceSel::Empty => String::new(),
            NonceSel::Arbitrary(s) => s.clone(),
        };
        match op {
            Op::Status(s) => {
                let st = generator.status(s.get(), now);
                check_status_json(&st);
                assert!(st.otp.is_empty(), "status shows an OTP");
                assert!(!st.complete);
                assert_eq!(st.required, threshold);
            }
            Op::Start(s, enc) => {
                let strategy = s.get();
                let len = profile.otp_length(strategy);
                let encoding = match enc {
                    Enc::Generate => Encoding::GenerateOtp,
                    Enc::RightLength(c) => {
                        Encoding::Otp(Otp::new(char::from(b'a' + c % 26).to_string().repeat(len)))
                    }
                    Enc::Arbitrary(t) => Encoding::Otp(Otp::new(t.clone())),
                    Enc::Pgp(k) => Encoding::PgpKey(k.clone()),
                };
                let caller_otp = match &encoding {
                    Encoding::Otp(o) => Some(o.clone()),
                    _ => None,
                };
                match generator.start(strategy, encoding, now, &mut rng) {
                    Ok(st) => {
                        check_status_json(&st);
                        assert!(st.started && st.progress == 0);
                        previous_nonce = std::mem::take(&mut current_nonce);
                        current_nonce = st.nonce.clone();
                        otp = match caller_otp {
                            Some(o) => {
                                assert!(st.otp.is_empty(), "caller OTP echoed");
                                Some((o, strategy))
                            }
                            None if !st.otp.is_empty() => {
                                assert_eq!(st.otp.len(), len);
                                Some((st.otp.clone(), strategy))
                            }
                            None => None,
                        };
                    }
                    Err(e) => assert_eq!(e.cleared_progress(), false),
                }
            }
            Op::Cancel(sel) => {
                let n = sel.as_ref().map(nonce_of);
                let _ = generator.cancel(n.as_deref(), now);
            }
            Op::Update {
                strategy,
                share,
                nonce,
                hex: as_hex,
            } => {
                let mut key_text = pick(share);
                if !as_hex {
                    if let Ok(s) = KeyShare::parse(&key_text, &(1..=usize::MAX)) {
                        use base64::Engine as _;
                        key_text =
                            base64::engine::general_purpose::STANDARD.encode(s.expose_secret());
                    }
                }
                let request = UpdateRequest {
                    key: key_text.into(),
                    nonce: nonce_of(nonce),
                };
                let strategy = strategy.get();
                match generator.update(strategy, &request, now, &mut host, &mut rng) {
                    Ok(st) => {
                        check_status_json(&st);
                        assert!(st.otp.is_empty() && st.otp_length == 0);
                        if st.complete {
                            assert_eq!(st.progress, threshold);
                            let (o, s) = otp.take().expect("a completed attempt had an OTP");
                            assert_eq!(s, strategy);
                            let token = decode_token(&st.encoded_token, o.expose_secret(), o.len())
                                .expect("decodes");
                            assert!(token.expose_secret().starts_with(profile.prefix(strategy)));
                            if strategy == Strategy::Recovery {
                                minted_recovery = Some(token);
                            }
                            assert!(!generator.status(strategy, now).started);
                        }
                    }
                    Err(Error::KeyCheckFailed { .. } | Error::Combine(_)) => {
                        assert_eq!(generator.status(strategy, now).progress, 0);
                    }
                    Err(_) => {}
                }
            }
            Op::Submit {
                strategy,
                share,
                nonce,
            } => {
                let request = UpdateRequest {
                    key: pick(share).into(),
                    nonce: nonce_of(nonce),
                };
                match generator.submit(strategy.get(), &request, now) {
                    Ok(UpdateOutcome::Progress(st)) => check_status_json(&st),
                    Ok(UpdateOutcome::KeyReady(p)) => {
                        assert_eq!(generator.status(p.strategy(), now).progress, 0);
                        pending = Some(p);
                    }
                    Err(_) => {}
                }
            }
            Op::Finish { accept, mint } => {
                if let Some(p) = pending.take() {
                    let strategy = p.strategy();
                    let issued = if *accept && p.key().ct_eq_bytes(&key) {
                        match p.accept_key() {
                            KeyAccepted::Recovery(step) => {
                                step.issue(&mut generator, now, &mut rng)
                            }
                            KeyAccepted::NeedsToken(step) if *mint => {
                                let token = profile.format(strategy).mint(&mut rng);
                                step.issue(&mut generator, token, now, &mut rng)
                                    .map_err(|u| u.into_error())
                            }
                            KeyAccepted::NeedsToken(step) => {
                                Err(step.mint_failed(&mut generator, "refused", now))
                            }
                        }
                    } else {
                        Err(p.reject_key(&mut generator, "refused", now))
                    };
                    match issued {
                        Ok(st) => {
                            check_status_json(&st);
                            assert!(st.complete);
                            otp = None;
                        }
                        Err(e) if e != Error::StaleCompletion => {
                            assert!(e.cleared_progress());
                            assert_eq!(generator.status(strategy, now).progress, 0);
                        }
                        Err(_) => {}
                    }
                }
            }
            Op::DropPending => drop(pending.take()),
            Op::Advance(ms) => now += Duration::from_millis(u64::from(*ms) * 16),
            Op::HandleTimeout => {
                generator.handle_timeout(now);
                if let Some(t) = generator.poll_timeout() {
                    assert!(t > now, "a live attempt's timeout is in the future");
                }
            }
            Op::Verify(t) => {
                let ok = generator.recovery_token().verify(t);
                if ok {
                    assert!(
                        minted_recovery
                            .as_ref()
                            .is_some_and(|m| m.expose_secret() == t)
                    );
                }
            }
            Op::VerifyMinted => {
                if let Some(m) = &minted_recovery {
                    assert_eq!(
                        generator.recovery_token().verify(m.expose_secret()),
                        generator.recovery_token().is_active()
                    );
                }
            }
            Op::Revoke => {
                generator.recovery_token_mut().revoke();
                if let Some(m) = &minted_recovery {
                    assert!(!generator.recovery_token().verify(m.expose_secret()));
                }
            }
        }
        while let Some(event) = generator.poll_event() {
            assert!(
                event.progress <= event.required,
                "event progress above threshold"
            );
            assert_eq!(event.required, threshold);
            let text = format!("{event:?}");
            for s in real.iter().chain(foreign.iter()) {
                assert!(!text.contains(&hex(s)), "share in an event");
            }
        }
    }
});
