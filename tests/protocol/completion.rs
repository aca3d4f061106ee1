//! The typed completion and the progress contract while it is pending.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use recovery_token::audit::AuditEventKind;
use recovery_token::tokens::{TokenProfile, decode_token};
use recovery_token::wire::AttemptStatus;
use recovery_token::{
    Error, ErrorKind, IssueHostToken, KeyAccepted, PendingCompletion, Strategy, Token,
    UpdateOutcome,
};
use support::{Fixture, req};

const R: Strategy = Strategy::Recovery;
const ROOT: Strategy = Strategy::Root;

/// Starts `strategy` at threshold 2, submits share 0, and share 1 to reach the threshold.
fn pending(f: &mut Fixture, strategy: Strategy) -> (AttemptStatus, PendingCompletion) {
    let s = f.start(strategy);
    let _ = f
        .generator
        .submit(strategy, &req(&f.share(0), &s.nonce), f.clock.now())
        .unwrap();
    let UpdateOutcome::KeyReady(p) = f
        .generator
        .submit(strategy, &req(&f.share(1), &s.nonce), f.clock.now())
        .unwrap()
    else {
        panic!("threshold reached")
    };
    (s, p)
}

fn host_step(p: PendingCompletion) -> IssueHostToken {
    match p.accept_key() {
        KeyAccepted::NeedsToken(step) => step,
        KeyAccepted::Recovery(_) => panic!("a root completion"),
    }
}

// ----- no share is taken while a completion is pending -----

#[test]
fn a_share_sent_while_the_key_is_checked_is_refused_and_changes_nothing() {
    let mut f = Fixture::new(2);
    let (s, p) = pending(&mut f, R);
    let nonce = s.nonce;
    let before = f.status(R);
    let err = f.update(R, &f.share(2), &nonce).unwrap_err();
    assert_eq!(err, Error::CompletionPending);
    assert_eq!(
        err.to_string(),
        "root generation is completing; try again when it has finished"
    );
    assert_eq!(err.http_status(), 400);
    assert!(!err.cleared_progress());
    assert_eq!(f.status(R), before);
    // The refused holder's audit event says why.
    let last = std::iter::from_fn(|| f.generator.poll_event())
        .last()
        .unwrap();
    assert!(matches!(
        last.kind,
        AuditEventKind::ShareRefused {
            error: ErrorKind::CompletionPending,
            ..
        }
    ));
    // Meanwhile: started, progress 0 (the shares are wiped), and the slot is busy.
    assert_eq!((before.started, before.progress), (true, 0));
    assert_eq!(
        f.generator.start(
            ROOT,
            recovery_token::Encoding::GenerateOtp,
            f.clock.now(),
            &mut f.rng
        ),
        Err(Error::InProgress)
    );
    // A failed check then reports progress 0, and it is 0: nothing was taken meanwhile.
    let err = p.reject_key(
        &mut f.generator,
        "unable to authenticate: no",
        f.clock.now(),
    );
    assert_eq!(
        err.to_string(),
        "root generation aborted: unable to authenticate: no"
    );
    assert!(err.cleared_progress());
    assert_eq!(f.status(R).progress, 0);
    // And the attempt takes shares again.
    assert_eq!(f.update(R, &f.share(2), &nonce).unwrap().progress, 1);
}

#[test]
fn on_success_no_sender_was_told_a_progress_that_is_then_dropped() {
    let mut f = Fixture::new(2);
    let (s, p) = pending(&mut f, R);
    let nonce = s.nonce;
    assert_eq!(
        f.update(R, &f.share(3), &nonce),
        Err(Error::CompletionPending)
    );
    let KeyAccepted::Recovery(step) = p.accept_key() else {
        panic!("a recovery completion")
    };
    let done = step
        .issue(&mut f.generator, f.clock.now(), &mut f.rng)
        .unwrap();
    assert!(done.complete);
    assert!(!f.status(R).started);
}

#[test]
fn a_dropped_completion_lets_the_attempt_take_shares_again() {
    let mut f = Fixture::new(2);
    let (s, p) = pending(&mut f, R);
    let nonce = s.nonce;
    drop(p);
    assert_eq!(f.update(R, &f.share(2), &nonce).unwrap().progress, 1);
    assert!(f.update(R, &f.share(0), &nonce).unwrap().complete);
}

#[test]
fn cancel_while_pending_ends_the_attempt_and_the_completion_is_stale() {
    let mut f = Fixture::new(2);
    let (_, p) = pending(&mut f, ROOT);
    f.generator.cancel(None, f.clock.now()).unwrap();
    assert!(!f.status(ROOT).started);
    // The host already minted: the token comes back to be revoked.
    let token = TokenProfile::VAULT.format(ROOT).mint(&mut f.rng);
    let minted = token.expose_secret().to_owned();
    let unissued = host_step(p)
        .issue(&mut f.generator, token, f.clock.now(), &mut f.rng)
        .unwrap_err();
    assert_eq!(unissued.error(), &Error::StaleCompletion);
    assert!(unissued.token().ct_eq_str(&minted));
    // A completion of an old attempt never touches a new one.
    let (_, p) = pending(&mut f, ROOT);
    drop(p);
    let s = f.status(ROOT);
    let (_, old) = {
        let mut g = Fixture::new(2);
        pending(&mut g, ROOT)
    };
    assert_eq!(
        old.reject_key(&mut f.generator, "x", f.clock.now()),
        Error::StaleCompletion
    );
    assert_eq!(f.status(ROOT), s);
}

// ----- the completion's typed steps -----

#[test]
fn a_mint_failure_reaches_the_client_with_the_hosts_reason() {
    let mut f = Fixture::new(2);
    let (started, p) = pending(&mut f, ROOT);
    let nonce = started.nonce.clone();
    assert!(p.key().ct_eq_bytes(&f.key));
    assert_eq!((p.strategy(), p.nonce()), (ROOT, nonce.as_str()));
    let step = host_step(p);
    assert_eq!((step.strategy(), step.nonce()), (ROOT, nonce.as_str()));
    let err = step.mint_failed(&mut f.generator, "token store unavailable", f.clock.now());
    assert_eq!(
        err.to_string(),
        "unable to create token: token store unavailable"
    );
    assert!(err.cleared_progress());
    let st = f.status(ROOT);
    assert_eq!(
        (st.started, st.progress, st.nonce),
        (true, 0, nonce.clone())
    );
    let last = std::iter::from_fn(|| f.generator.poll_event())
        .last()
        .unwrap();
    assert_eq!(
        last.kind,
        AuditEventKind::Failed {
            error: ErrorKind::TokenMint
        }
    );
    // The same attempt takes shares again.
    assert_eq!(f.update(ROOT, &f.share(2), &nonce).unwrap().progress, 1);
}

#[test]
fn a_failure_after_minting_hands_the_unissued_token_back() {
    let mut f = Fixture::new(2);
    let (started, p) = pending(&mut f, ROOT);
    let nonce = started.nonce.clone();
    // A token of another profile: 26 characters where the OTP has 28.
    let token = TokenProfile::LEGACY.format(ROOT).mint(&mut f.rng);
    let minted = token.expose_secret().to_owned();
    let unissued = host_step(p)
        .issue(&mut f.generator, token, f.clock.now(), &mut f.rng)
        .unwrap_err();
    assert!(unissued.token().ct_eq_str(&minted));
    let (error, back): (Error, Token) = unissued.into_parts();
    assert_eq!(
        error.to_string(),
        "xor of root token failed: length of byte slices is not equivalent: 28 != 26"
    );
    assert_eq!(back.expose_secret(), minted);
    let st = f.status(ROOT);
    assert_eq!((st.started, st.progress), (true, 0));
    // The attempt goes on: the next completion issues the host's token.
    let _ = f
        .generator
        .submit(ROOT, &req(&f.share(2), &nonce), f.clock.now())
        .unwrap();
    let UpdateOutcome::KeyReady(p) = f
        .generator
        .submit(ROOT, &req(&f.share(3), &nonce), f.clock.now())
        .unwrap()
    else {
        panic!("threshold reached")
    };
    let token = TokenProfile::VAULT.format(ROOT).mint(&mut f.rng);
    let minted = token.expose_secret().to_owned();
    let done = host_step(p)
        .issue(&mut f.generator, token, f.clock.now(), &mut f.rng)
        .unwrap();
    assert_eq!(done.encoded_root_token, done.encoded_token);
    let decoded = decode_token(&done.encoded_token, started.otp.expose_secret(), 28).unwrap();
    assert_eq!(decoded.expose_secret(), minted);
    assert!(!f.status(ROOT).started);
}

#[test]
fn accept_key_routes_by_strategy() {
    for (strategy, host_mints) in [
        (Strategy::Recovery, false),
        (Strategy::Root, true),
        (Strategy::DrOperation, true),
    ] {
        let mut f = Fixture::new(2);
        let (_, p) = pending(&mut f, strategy);
        assert_eq!(
            matches!(p.accept_key(), KeyAccepted::NeedsToken(_)),
            host_mints,
            "{strategy:?}"
        );
    }
}

#[test]
fn the_completion_is_send_for_async_hosts() {
    fn is_send<T: Send + 'static>() {}
    is_send::<PendingCompletion>();
    is_send::<KeyAccepted>();
    is_send::<recovery_token::Unissued>();
}
