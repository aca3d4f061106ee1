//! Audit events (beyond Vault, docs/PROTOCOL.md section 10: "an audit trail of who submitted
//! which share, without logging the share"): one test per rule.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use std::time::Duration;

use base64::Engine as _;
use recovery_token::audit::{AuditConfig, AuditEvent, AuditEventKind, AuditKey, ShareId};
use recovery_token::shares::KeyShare;
use recovery_token::{Encoding, Error, ErrorKind, GeneratorConfig, Strategy, UpdateOutcome};
use support::{Fixture, TestHost, hex, req};

const R: Strategy = Strategy::Recovery;

fn drain(f: &mut Fixture) -> Vec<AuditEvent> {
    f.generator.drain_events().collect()
}

fn kinds(events: &[AuditEvent]) -> Vec<AuditEventKind> {
    events.iter().map(|e| e.kind.clone()).collect()
}

fn id_of(e: &AuditEvent) -> Option<ShareId> {
    match &e.kind {
        AuditEventKind::ShareAccepted { share } => Some(*share),
        AuditEventKind::ShareRefused { share, .. } => *share,
        _ => None,
    }
}

#[test]
fn a_ceremony_reports_start_each_share_the_combine_and_the_completion() {
    let mut f = Fixture::new(3);
    let t0 = f.clock.now();
    let s = f.start(R);
    f.clock.advance(Duration::from_secs(1));
    for i in 0..3 {
        f.update(R, &f.share(i), &s.nonce).unwrap();
    }
    let events = drain(&mut f);
    let k = kinds(&events);
    assert_eq!(k.len(), 6, "{k:?}");
    assert_eq!(k[0], AuditEventKind::Started);
    assert!(matches!(k[1], AuditEventKind::ShareAccepted { .. }));
    assert!(matches!(k[2], AuditEventKind::ShareAccepted { .. }));
    assert!(matches!(k[3], AuditEventKind::ShareAccepted { .. }));
    assert_eq!(k[4], AuditEventKind::Combined);
    assert_eq!(k[5], AuditEventKind::Completed);
    let progress: Vec<usize> = events.iter().map(|e| e.progress).collect();
    assert_eq!(progress, vec![0, 1, 2, 3, 0, 0]);
    for e in &events {
        assert_eq!((e.strategy, e.required), (R, 3));
        assert_eq!(e.nonce, s.nonce);
    }
    assert_eq!(events[0].now, t0);
    assert_eq!(events[5].now, t0 + Duration::from_secs(1));
    // Three different shares, three different IDs.
    let ids: std::collections::HashSet<_> = events.iter().filter_map(id_of).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(f.generator.poll_event(), None);
}

#[test]
fn a_refused_share_is_reported_with_its_id_and_the_error_kind() {
    let mut f = Fixture::new(3);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    // The same share again, in base64 this time: refused, and recognisably the same share.
    let b64 = base64::engine::general_purpose::STANDARD.encode(f.share(0));
    let r = recovery_token::wire::UpdateRequest {
        key: b64.into(),
        nonce: s.nonce.clone(),
    };
    assert_eq!(
        f.generator
            .update(R, &r, f.clock.now(), &mut f.host, &mut f.rng),
        Err(Error::DuplicateShare)
    );
    f.update(R, &f.share(1), "wrong-nonce").unwrap_err();
    let undecodable = recovery_token::wire::UpdateRequest {
        key: "not a share".into(),
        nonce: s.nonce.clone(),
    };
    f.generator
        .update(R, &undecodable, f.clock.now(), &mut f.host, &mut f.rng)
        .unwrap_err();
    let events = drain(&mut f);
    let accepted = id_of(&events[1]).unwrap();
    assert_eq!(
        events[2].kind,
        AuditEventKind::ShareRefused {
            share: Some(accepted),
            error: ErrorKind::DuplicateShare
        }
    );
    assert!(matches!(
        events[3].kind,
        AuditEventKind::ShareRefused { share: Some(id), error: ErrorKind::WrongNonce } if id != accepted
    ));
    assert_eq!(
        events[4].kind,
        AuditEventKind::ShareRefused {
            share: None,
            error: ErrorKind::InvalidKeyEncoding
        }
    );
    // Refusals change nothing: progress stays 1 and the nonce is the attempt's, not the caller's.
    for e in &events[2..] {
        assert_eq!((e.progress, e.nonce.as_str()), (1, s.nonce.as_str()));
    }
}

#[test]
fn a_failed_key_check_is_reported_with_progress_cleared() {
    let mut f = Fixture::new(2);
    let s = f.start(R);
    f.host = TestHost::new(&[0u8; 32]).refusing();
    f.update(R, &f.share(0), &s.nonce).unwrap();
    let err = f.update(R, &f.share(1), &s.nonce).unwrap_err();
    assert!(matches!(err, Error::KeyCheckFailed { .. }));
    let events = drain(&mut f);
    let last = events.last().unwrap();
    assert_eq!(last.kind, AuditEventKind::KeyCheckFailed);
    assert_eq!((last.progress, last.nonce.as_str()), (0, s.nonce.as_str()));
    assert_eq!(events[events.len() - 2].kind, AuditEventKind::Combined);
}

#[test]
fn a_failed_combine_is_reported_after_the_share_that_triggered_it() {
    let config = GeneratorConfig::new(2).unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    let short = &f.share(1)[15..];
    assert!(matches!(
        f.update(R, short, &s.nonce),
        Err(Error::Combine(_))
    ));
    let k = kinds(&drain(&mut f));
    assert!(matches!(k[2], AuditEventKind::ShareAccepted { .. }));
    assert_eq!(
        k[3],
        AuditEventKind::Failed {
            error: ErrorKind::Combine
        }
    );
    assert_eq!(k.len(), 4);
}

#[test]
fn a_failed_mint_is_reported() {
    let mut f = Fixture::new(2);
    let s = f.start(Strategy::Root);
    let mut host = TestHost::new(&f.key).refusing();
    f.update_with(&mut host, Strategy::Root, 0, &s.nonce)
        .unwrap();
    f.update_with(&mut host, Strategy::Root, 1, &s.nonce)
        .unwrap_err();
    assert!(host.minted.is_empty());
    let events = drain(&mut f);
    let last = events.last().unwrap();
    assert_eq!(
        last.kind,
        AuditEventKind::Failed {
            error: ErrorKind::TokenMint
        }
    );
    assert_eq!((last.strategy, last.progress), (Strategy::Root, 0));
}

#[test]
fn refused_starts_and_refused_cancels_are_reported() {
    let config = GeneratorConfig::builder(3)
        .with_cancel_requires_nonce(true)
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    f.generator
        .start(
            Strategy::Root,
            Encoding::GenerateOtp,
            f.clock.now(),
            &mut f.rng,
        )
        .unwrap_err();
    f.generator
        .cancel(Some("guess"), f.clock.now())
        .unwrap_err();
    f.generator.cancel(Some(&s.nonce), f.clock.now()).unwrap();
    let events = drain(&mut f);
    assert_eq!(
        events[1].kind,
        AuditEventKind::StartRefused {
            error: ErrorKind::InProgress
        }
    );
    assert_eq!(events[1].strategy, Strategy::Root);
    assert_eq!(events[1].nonce, s.nonce);
    assert_eq!(events[2].kind, AuditEventKind::CancelRefused);
    assert_eq!(events[3].kind, AuditEventKind::Cancelled { discarded: 0 });
}

#[test]
fn under_a_host_key_share_ids_are_stable_and_computable_in_advance() {
    let host_key = AuditKey::new([42u8; 32]);
    let config = GeneratorConfig::builder(3)
        .with_audit(AuditConfig::default().with_key(host_key.clone()))
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let alice = ShareId::compute(
        &host_key,
        &KeyShare::from_bytes(&f.share(0), &KeyShare::DEFAULT_LENGTHS).unwrap(),
    );
    for _ in 0..2 {
        let s = f.start(R);
        f.update(R, &f.share(0), &s.nonce).unwrap();
        f.generator.cancel(None, f.clock.now()).unwrap();
    }
    // Even with no attempt, a refused share is named.
    f.update(R, &f.share(0), "none").unwrap_err();
    let ids: Vec<ShareId> = drain(&mut f).iter().filter_map(id_of).collect();
    assert_eq!(ids, vec![alice; 3]);
}

#[test]
fn per_attempt_keys_make_ids_unlinkable_across_attempts_and_die_with_the_attempt() {
    let mut f = Fixture::new(3);
    let mut ids = vec![];
    for _ in 0..2 {
        let s = f.start(R);
        f.update(R, &f.share(0), &s.nonce).unwrap();
        f.generator.cancel(None, f.clock.now()).unwrap();
        ids.extend(drain(&mut f).iter().filter_map(id_of));
    }
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    // The attempt is over, its key zeroized: nothing can name the share any more.
    f.update(R, &f.share(0), "none").unwrap_err();
    assert_eq!(
        drain(&mut f)[0].kind,
        AuditEventKind::ShareRefused {
            share: None,
            error: ErrorKind::NoAttempt
        }
    );
}

#[test]
fn an_attempt_that_expires_or_completes_takes_its_key_with_it() {
    let config = GeneratorConfig::builder(2)
        .with_attempt_lifetime(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let refused_id = |f: &mut Fixture| {
        f.update(R, &f.share(0), "none").unwrap_err();
        drain(f).iter().find_map(|e| match &e.kind {
            AuditEventKind::ShareRefused { share, .. } => Some(*share),
            _ => None,
        })
    };
    // Expiry ends the attempt and its key.
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    f.clock.advance(Duration::from_secs(61));
    f.generator.handle_timeout(f.clock.now());
    assert_eq!(refused_id(&mut f), Some(None));
    // So does completion.
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    assert!(f.update(R, &f.share(1), &s.nonce).unwrap().complete);
    assert_eq!(refused_id(&mut f), Some(None));
}

#[test]
fn drain_events_takes_only_what_it_yields() {
    let mut f = Fixture::new(3);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    let first: Vec<_> = f.generator.drain_events().take(1).collect();
    assert_eq!(kinds(&first), vec![AuditEventKind::Started]);
    let rest = drain(&mut f);
    assert_eq!(rest.len(), 1);
    assert!(matches!(rest[0].kind, AuditEventKind::ShareAccepted { .. }));
    assert_eq!(f.generator.drain_events().count(), 0);
}

/// The token the root host mints, to see that it never reaches an event.
const ROOT_TOKEN: &str = "hvs.ROOTTOKENroottoken012345";

#[test]
fn no_event_prints_a_share_an_otp_a_token_or_a_key() {
    let host_key = [0xa5u8; 32];
    let config = GeneratorConfig::builder(2)
        .with_cancel_requires_nonce(true)
        .with_attempt_lifetime(Duration::from_secs(60))
        .with_audit(AuditConfig::default().with_key(AuditKey::new(host_key)))
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let mut events = vec![];
    let mut secrets: Vec<String> = vec![hex(&f.key), hex(&host_key), ROOT_TOKEN.to_owned()];
    for s in &f.shares {
        secrets.push(hex(s));
        secrets.push(hex(s).to_uppercase());
        secrets.push(base64::engine::general_purpose::STANDARD.encode(s));
    }
    // Recovery: refused shares, a failed check, a completion.
    let s = f.start(R);
    secrets.push(s.otp.expose_secret().to_owned());
    f.generator
        .start(R, Encoding::GenerateOtp, f.clock.now(), &mut f.rng)
        .unwrap_err();
    f.update(R, &f.share(0), "x").unwrap_err();
    f.update(R, &f.share(0), &s.nonce).unwrap();
    f.update(R, &f.share(0), &s.nonce).unwrap_err();
    let real = std::mem::replace(&mut f.host, TestHost::new(&[1; 32]).refusing());
    f.update(R, &f.share(1), &s.nonce).unwrap_err();
    f.host = real;
    f.update(R, &f.share(1), &s.nonce).unwrap();
    let done = f.update(R, &f.share(2), &s.nonce).unwrap();
    let token = recovery_token::tokens::decode_token(
        &done.encoded_token,
        s.otp.expose_secret(),
        s.otp.len(),
    )
    .unwrap();
    secrets.push(token.expose_secret().to_owned());
    secrets.push(done.encoded_token.clone());
    events.extend(drain(&mut f));
    // Root: a caller OTP, the two-step path, a refused cancel, a cancel, an expiry.
    let otp = "0123456789abcdefghijklmnopqr";
    secrets.push(otp.to_owned());
    let s = f
        .generator
        .start(
            Strategy::Root,
            Encoding::Otp(otp.into()),
            f.clock.now(),
            &mut f.rng,
        )
        .unwrap();
    f.update_with(
        &mut TestHost::new(&f.key).minting(ROOT_TOKEN),
        Strategy::Root,
        3,
        &s.nonce,
    )
    .unwrap();
    let r = req(&f.share(4), &s.nonce);
    let UpdateOutcome::KeyReady(p) = f
        .generator
        .submit(Strategy::Root, &r, f.clock.now())
        .unwrap()
    else {
        panic!("threshold reached")
    };
    f.generator.cancel(None, f.clock.now()).unwrap_err();
    f.generator.cancel(Some(&s.nonce), f.clock.now()).unwrap();
    let recovery_token::KeyAccepted::NeedsToken(step) = p.accept_key() else {
        panic!("a root completion")
    };
    let token = recovery_token::tokens::TokenProfile::VAULT
        .format(Strategy::Root)
        .mint(&mut f.rng);
    secrets.push(token.expose_secret().to_owned());
    let stale = step.issue(&mut f.generator, token, f.clock.now(), &mut f.rng);
    assert_eq!(stale.unwrap_err().into_error(), Error::StaleCompletion);
    let s = f.start(Strategy::DrOperation);
    f.update(Strategy::DrOperation, &f.share(0), &s.nonce)
        .unwrap();
    f.clock.advance(Duration::from_secs(61));
    f.generator.handle_timeout(f.clock.now());
    let s = f
        .generator
        .start(
            Strategy::Root,
            Encoding::Otp(otp.into()),
            f.clock.now(),
            &mut f.rng,
        )
        .unwrap();
    let mut host = TestHost::new(&f.key).minting(ROOT_TOKEN);
    f.update_with(&mut host, Strategy::Root, 0, &s.nonce)
        .unwrap();
    let done = f
        .update_with(&mut host, Strategy::Root, 1, &s.nonce)
        .unwrap();
    secrets.push(done.encoded_token.clone());
    events.extend(drain(&mut f));

    let seen: std::collections::HashSet<String> = events
        .iter()
        .map(|e| {
            format!("{:?}", e.kind)
                .split(['{', ' ', '('])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    for kind in [
        "Started",
        "StartRefused",
        "ShareAccepted",
        "ShareRefused",
        "Combined",
        "KeyCheckFailed",
        "Failed",
        "Completed",
        "Cancelled",
        "CancelRefused",
        "Expired",
    ] {
        assert!(seen.contains(kind), "{kind} not exercised: {seen:?}");
    }
    for e in &events {
        let text = format!("{e:?}");
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{text} leaks a secret");
        }
    }
}

#[test]
fn auditing_can_be_disabled() {
    let config = GeneratorConfig::builder(2)
        .with_audit(AuditConfig::disabled())
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    f.update(R, &f.share(1), &s.nonce).unwrap();
    assert_eq!(f.generator.poll_event(), None);
    assert_eq!(f.generator.dropped_events(), 0);
}

#[test]
fn the_queue_is_bounded_and_counts_what_it_dropped() {
    let config = GeneratorConfig::builder(3)
        .with_audit(AuditConfig::default().with_capacity(4))
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    for _ in 0..10 {
        f.update(R, &f.share(0), "flood").unwrap_err();
    }
    assert_eq!(f.generator.dropped_events(), 7);
    let events = drain(&mut f);
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| e.nonce == s.nonce));
}
