//! The share registry: a generator configured with one refuses foreign shares at once,
//! without touching the attempt or its progress; without one (Vault's behaviour) a garbage share
//! is only found out at the combine, after it has wiped every holder's progress.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support::{TestHost, hex};

use std::io::Read as _;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use recovery_token::audit::AuditEventKind;
use recovery_token::shares::{KeyShare, ShareRegistry};
use recovery_token::wire::{CancelRequest, StartRequest, UpdateRequest};
use recovery_token::{
    ConfigError, Encoding, Error, ErrorKind, ExpectedKey, GeneratorConfig, RecoveryTokenGenerator,
    Strategy, UpdateOutcome,
};

const KEY: [u8; 32] = [0x5a; 32];

fn update(bytes: &[u8], nonce: &str) -> UpdateRequest {
    UpdateRequest::new(hex(bytes).into(), nonce.to_owned())
}

/// A started generator (threshold 3, five shares), with or without the registry of its shares.
fn setup(
    with_registry: bool,
    seed: u64,
) -> (RecoveryTokenGenerator, Vec<KeyShare>, String, StdRng) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (shares, registry) = KeyShare::split_with_registry(&KEY, 3, 5, &mut rng).unwrap();
    let mut builder = GeneratorConfig::builder(3);
    if with_registry {
        builder = builder.with_share_registry(registry);
    }
    let mut generator = RecoveryTokenGenerator::new(builder.build().unwrap());
    let now = Instant::now();
    let nonce = generator
        .start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng)
        .unwrap()
        .nonce;
    (generator, shares, nonce, rng)
}

fn submit(
    generator: &mut RecoveryTokenGenerator,
    bytes: &[u8],
    nonce: &str,
    rng: &mut StdRng,
) -> Result<recovery_token::wire::AttemptStatus, Error> {
    let mut host = ExpectedKey::new(&KEY);
    let now = Instant::now();
    generator.update(
        Strategy::Recovery,
        &update(bytes, nonce),
        now,
        &mut host,
        rng,
    )
}

fn progress(generator: &RecoveryTokenGenerator) -> usize {
    generator
        .status(Strategy::Recovery, Instant::now())
        .progress
}

#[test]
fn a_garbage_share_at_threshold_minus_one_leaves_progress_intact_with_a_registry() {
    let (mut generator, shares, nonce, mut rng) = setup(true, 1);
    for s in &shares[..2] {
        submit(&mut generator, s.expose_secret(), &nonce, &mut rng).unwrap();
    }
    assert_eq!(progress(&generator), 2);
    let garbage = [0x42u8; 33];
    let refused = submit(&mut generator, &garbage, &nonce, &mut rng).unwrap_err();
    assert_eq!(refused, Error::UnknownShare);
    assert_eq!(
        refused.to_string(),
        "given key is not one of this key set's shares"
    );
    assert!(!refused.cleared_progress());
    assert_eq!(progress(&generator), 2);
    // The third genuine share still completes the ceremony.
    let done = submit(&mut generator, shares[4].expose_secret(), &nonce, &mut rng).unwrap();
    assert!(done.complete);
    assert!(generator.recovery_token().is_active());
}

#[test]
fn the_same_garbage_share_wipes_progress_without_a_registry() {
    let (mut generator, shares, nonce, mut rng) = setup(false, 1);
    for s in &shares[..2] {
        submit(&mut generator, s.expose_secret(), &nonce, &mut rng).unwrap();
    }
    let refused = submit(&mut generator, &[0x42u8; 33], &nonce, &mut rng).unwrap_err();
    assert!(refused.cleared_progress(), "{refused}");
    assert_eq!(progress(&generator), 0);
}

#[test]
fn a_share_with_a_held_x_but_other_bytes_is_refused_at_once() {
    let (mut generator, shares, nonce, mut rng) = setup(true, 2);
    submit(&mut generator, shares[0].expose_secret(), &nonce, &mut rng).unwrap();
    submit(&mut generator, shares[1].expose_secret(), &nonce, &mut rng).unwrap();
    let mut same_x = shares[0].expose_secret().to_vec();
    same_x[0] ^= 1; // other y bytes, the same trailing x
    let refused = submit(&mut generator, &same_x, &nonce, &mut rng).unwrap_err();
    assert_eq!(refused, Error::UnknownShare);
    assert_eq!(progress(&generator), 2);
    // Without a registry the same share is held, and the combine throws everything away.
    let (mut plain, shares, nonce, mut rng) = setup(false, 2);
    submit(&mut plain, shares[0].expose_secret(), &nonce, &mut rng).unwrap();
    submit(&mut plain, shares[1].expose_secret(), &nonce, &mut rng).unwrap();
    let mut same_x = shares[0].expose_secret().to_vec();
    same_x[0] ^= 1;
    let failed = submit(&mut plain, &same_x, &nonce, &mut rng).unwrap_err();
    assert!(failed.cleared_progress(), "{failed}");
}

#[test]
fn the_verdict_does_not_depend_on_the_shares_held() {
    // A share of another split of the same key is refused whatever is held; a registered share
    // is accepted whatever is held (none, or others).
    let mut rng = StdRng::seed_from_u64(33);
    let other = KeyShare::split(&KEY, 3, 5, &mut rng).unwrap();
    for held in 0..=2 {
        let (mut generator, shares, nonce, mut rng) = setup(true, 3);
        for s in &shares[..held] {
            submit(&mut generator, s.expose_secret(), &nonce, &mut rng).unwrap();
        }
        for foreign in &other {
            let e = submit(&mut generator, foreign.expose_secret(), &nonce, &mut rng);
            assert_eq!(e.unwrap_err(), Error::UnknownShare, "held {held}");
        }
        assert_eq!(progress(&generator), held);
    }
}

#[test]
fn the_audit_event_names_the_refusal_and_the_unchanged_progress() {
    let (mut generator, shares, nonce, mut rng) = setup(true, 4);
    submit(&mut generator, shares[0].expose_secret(), &nonce, &mut rng).unwrap();
    let _ = generator.drain_events().count();
    let _ = submit(&mut generator, &[7u8; 33], &nonce, &mut rng);
    let events: Vec<_> = generator.drain_events().collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(matches!(
        events[0].kind,
        AuditEventKind::ShareRefused {
            error: ErrorKind::UnknownShare,
            ..
        }
    ));
    assert_eq!(events[0].progress, 1);
}

#[test]
fn a_registry_round_trips_through_its_text_form() {
    let mut rng = StdRng::seed_from_u64(5);
    let (shares, registry) = KeyShare::split_with_registry(&KEY, 2, 7, &mut rng).unwrap();
    let text = registry.to_text();
    let back: ShareRegistry = text.parse().unwrap();
    assert_eq!(back, registry);
    assert_eq!(back.to_text(), text);
    assert!(shares.iter().all(|s| back.contains(s)));
    assert_eq!(back.len(), 7);
    // Threshold 1: the one share is the key, and it is registered.
    let (one, registry) = KeyShare::split_with_registry(&KEY, 1, 1, &mut rng).unwrap();
    assert!(registry.contains(&one[0]));
}

#[test]
fn a_registry_is_read_from_a_file_and_an_oversized_one_is_refused_unread() {
    let mut rng = StdRng::seed_from_u64(6);
    let (shares, registry) = KeyShare::split_with_registry(&KEY, 3, 5, &mut rng).unwrap();
    let file = format!("{}\n", registry.to_text());
    let back = ShareRegistry::read_from(file.as_bytes()).unwrap();
    assert_eq!(back, registry);
    assert!(shares.iter().all(|s| back.contains(s)));
    // A huge input: only MAX_TEXT_LEN + 1 bytes are taken from the reader, then refused.
    let mut huge = std::io::repeat(b'a').take(u64::MAX);
    let e = ShareRegistry::read_from(&mut huge).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(e.to_string().contains("longer than"), "{e}");
    let limit = u64::try_from(ShareRegistry::MAX_TEXT_LEN).unwrap() + 1;
    assert_eq!(huge.limit(), u64::MAX - limit, "read no more than the cap");
    // Not UTF-8, or not a registry: InvalidData, the parser's refusal as the source.
    let e = ShareRegistry::read_from(&[0xff, 0xfe][..]).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    let e = ShareRegistry::read_from(&b"rtreg9:00"[..]).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(
        e.get_ref()
            .is_some_and(|s| s.is::<recovery_token::shares::RegistryParseError>()),
        "{e:?}"
    );
}

#[test]
fn a_share_prints_as_vault_operator_init_prints_it() {
    use base64::Engine as _;
    let mut rng = StdRng::seed_from_u64(7);
    for share in KeyShare::split(&KEY, 3, 5, &mut rng).unwrap() {
        let printed = share.to_base64();
        let vault = base64::engine::general_purpose::STANDARD.encode(share.expose_secret());
        assert_eq!(printed.as_str(), vault);
        let back = KeyShare::parse(&printed, &KeyShare::DEFAULT_LENGTHS).unwrap();
        assert!(back.ct_eq(&share));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// No sequence of foreign shares (random bytes of an accepted length, some with a registered
    /// x coordinate, or a registered share with one bit flipped) changes progress, whenever they
    /// come between genuine ones.
    #[test]
    fn no_sequence_of_foreign_shares_changes_progress(
        seed in any::<u64>(),
        held in 0usize..=2,
        foreign in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 16..=33), any::<bool>(), 0usize..5, 0usize..33),
            1..12,
        ),
    ) {
        let (mut generator, shares, nonce, mut rng) = setup(true, seed);
        for s in &shares[..held] {
            submit(&mut generator, s.expose_secret(), &nonce, &mut rng).unwrap();
        }
        for (mut bytes, flip, which, at) in foreign {
            if flip {
                bytes = shares[which].expose_secret().to_vec();
                let at = at % bytes.len();
                bytes[at] ^= 0x01;
            }
            let refused = submit(&mut generator, &bytes, &nonce, &mut rng).unwrap_err();
            prop_assert_eq!(refused, Error::UnknownShare);
            prop_assert_eq!(progress(&generator), held);
        }
        // The genuine shares still complete.
        for s in &shares[held..3] {
            submit(&mut generator, s.expose_secret(), &nonce, &mut rng).unwrap();
        }
        prop_assert!(generator.recovery_token().is_active());
    }
}

/// A generator with holders-only start and cancel, its shares and an RNG.
fn holders_only(ttl_supported: bool) -> (RecoveryTokenGenerator, Vec<KeyShare>, StdRng) {
    let mut rng = StdRng::seed_from_u64(9);
    let (shares, registry) = KeyShare::split_with_registry(&KEY, 3, 5, &mut rng).unwrap();
    let config = GeneratorConfig::builder(3)
        .with_share_registry(registry)
        .with_holders_only_start_cancel(true)
        .with_ttl_supported(ttl_supported)
        .build()
        .unwrap();
    (RecoveryTokenGenerator::new(config), shares, rng)
}

fn start_body(json: &str) -> StartRequest {
    StartRequest::from_json(json.as_bytes()).unwrap()
}

#[test]
fn holders_only_needs_a_registry() {
    let refused = GeneratorConfig::builder(3)
        .with_holders_only_start_cancel(true)
        .build();
    assert_eq!(refused, Err(ConfigError::HoldersOnlyWithoutRegistry));
}

#[test]
fn a_start_without_a_registered_share_is_refused_under_holders_only() {
    let (mut generator, shares, mut rng) = holders_only(false);
    let now = Instant::now();
    let plain = generator.start(Strategy::Root, Encoding::GenerateOtp, now, &mut rng);
    assert_eq!(plain.unwrap_err(), Error::HolderKeyRequired);
    let no_key = generator.start_request(Strategy::Root, start_body("{}"), now, &mut rng);
    assert_eq!(no_key.unwrap_err(), Error::HolderKeyRequired);
    let foreign = format!(r#"{{"key":"{}"}}"#, hex(&[1u8; 33]));
    let foreign = generator.start_request(Strategy::Root, start_body(&foreign), now, &mut rng);
    assert_eq!(foreign.unwrap_err(), Error::UnknownShare);
    let bad = generator.start_request(Strategy::Root, start_body(r#"{"key":"!"}"#), now, &mut rng);
    assert_eq!(bad.unwrap_err(), Error::InvalidKeyEncoding);
    assert!(!generator.status(Strategy::Root, now).started);

    // A holder starts; the share is not counted.
    let body = format!(r#"{{"key":"{}"}}"#, hex(shares[3].expose_secret()));
    let started = generator
        .start_request(Strategy::Root, start_body(&body), now, &mut rng)
        .unwrap();
    assert!(started.started);
    assert_eq!(started.progress, 0);
}

#[test]
fn a_cancel_without_a_registered_share_is_refused_under_holders_only() {
    let (mut generator, shares, mut rng) = holders_only(false);
    let now = Instant::now();
    let body = format!(r#"{{"key":"{}"}}"#, hex(shares[0].expose_secret()));
    let nonce = generator
        .start_request(Strategy::Recovery, start_body(&body), now, &mut rng)
        .unwrap()
        .nonce;
    submit(&mut generator, shares[1].expose_secret(), &nonce, &mut rng).unwrap();

    assert_eq!(generator.cancel(None, now), Err(Error::HolderKeyRequired));
    let bare = CancelRequest::from_http(b"", None).unwrap();
    assert_eq!(
        generator.cancel_request(&bare, now),
        Err(Error::HolderKeyRequired)
    );
    let foreign = format!(r#"{{"key":"{}"}}"#, hex(&[3u8; 33]));
    let foreign = CancelRequest::from_http(foreign.as_bytes(), None).unwrap();
    assert_eq!(
        generator.cancel_request(&foreign, now),
        Err(Error::UnknownShare)
    );
    assert_eq!(progress(&generator), 1);

    let holder = format!(r#"{{"key":"{}"}}"#, hex(shares[4].expose_secret()));
    let holder = CancelRequest::from_http(holder.as_bytes(), None).unwrap();
    generator.cancel_request(&holder, now).unwrap();
    assert!(!generator.status(Strategy::Recovery, now).started);
}

#[test]
fn a_ttl_reaches_the_mint_step_when_supported() {
    let (mut generator, shares, mut rng) = holders_only(true);
    let now = Instant::now();
    let body = format!(
        r#"{{"key":"{}","ttl":"1h30m"}}"#,
        hex(shares[0].expose_secret())
    );
    let nonce = generator
        .start_request(Strategy::Root, start_body(&body), now, &mut rng)
        .unwrap()
        .nonce;
    let mut host = TestHost::new(&KEY).minting("hvs.ABCDEFGHIJKLMNOPQRSTUVWX");
    for s in &shares[..3] {
        let u = update(s.expose_secret(), &nonce);
        generator
            .update(Strategy::Root, &u, now, &mut host, &mut rng)
            .unwrap();
    }
    assert_eq!(host.ttls, [Some(Duration::from_secs(5400))]);
}

#[test]
fn a_ttl_is_refused_unless_supported_or_valid() {
    let mut rng = StdRng::seed_from_u64(10);
    let now = Instant::now();
    let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(2).unwrap());
    let refused =
        generator.start_request(Strategy::Root, start_body(r#"{"ttl":"1h"}"#), now, &mut rng);
    assert_eq!(refused.unwrap_err(), Error::TtlUnsupported);
    assert!(!generator.status(Strategy::Root, now).started);

    let mut generator = RecoveryTokenGenerator::new(
        GeneratorConfig::builder(2)
            .with_ttl_supported(true)
            .build()
            .unwrap(),
    );
    for (ttl, text) in [
        (
            "1d",
            r#"invalid ttl: time: unknown unit "d" in duration "1d""#,
        ),
        ("-5s", "invalid ttl: ttl must be positive"),
        ("0", "invalid ttl: ttl must be positive"),
        ("90", r#"invalid ttl: time: missing unit in duration "90""#),
    ] {
        let body = format!(r#"{{"ttl":"{ttl}"}}"#);
        let e = generator
            .start_request(Strategy::Root, start_body(&body), now, &mut rng)
            .unwrap_err();
        assert_eq!(e.to_string(), text);
    }
    assert!(!generator.status(Strategy::Root, now).started);
    // Without `ttl`, the default mint step is used: no lifetime asked for.
    let ok = generator.start_request(Strategy::Root, start_body("{}"), now, &mut rng);
    assert!(ok.unwrap().started);
}

#[test]
fn a_ttl_on_the_recovery_endpoints_is_refused_not_dropped() {
    // The generator mints the recovery token itself: a lifetime there would be ignored.
    let mut rng = StdRng::seed_from_u64(12);
    let now = Instant::now();
    let mut generator = RecoveryTokenGenerator::new(
        GeneratorConfig::builder(2)
            .with_ttl_supported(true)
            .build()
            .unwrap(),
    );
    let refused = generator.start_request(
        Strategy::Recovery,
        start_body(r#"{"ttl":"1h"}"#),
        now,
        &mut rng,
    );
    let e = refused.unwrap_err();
    assert_eq!(e, Error::TtlNotForRecovery);
    assert_eq!(
        e.to_string(),
        "'ttl' applies only to root and DR operation tokens"
    );
    assert!(!generator.status(Strategy::Recovery, now).started);
    // The DR operation token is the host's, like the root token: its ttl is taken.
    let ok = generator.start_request(
        Strategy::DrOperation,
        start_body(r#"{"ttl":"1h"}"#),
        now,
        &mut rng,
    );
    assert!(ok.unwrap().started);
}

#[test]
fn a_dropped_completion_leaves_an_audit_event() {
    let mut rng = StdRng::seed_from_u64(11);
    let now = Instant::now();
    let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(1).unwrap());
    let nonce = generator
        .start(Strategy::Root, Encoding::GenerateOtp, now, &mut rng)
        .unwrap()
        .nonce;
    let u = UpdateRequest::new("07".repeat(16).into(), nonce.clone());
    let UpdateOutcome::KeyReady(pending) = generator.submit(Strategy::Root, &u, now).unwrap()
    else {
        panic!("threshold 1 completes at once");
    };
    drop(pending.accept_key()); // the host walks away from the mint step
    let _ = generator.drain_events().count();
    generator.handle_timeout(now);
    let events: Vec<_> = generator.drain_events().map(|e| e.kind).collect();
    assert_eq!(events, [AuditEventKind::CompletionAbandoned]);
    // Reported once; the attempt stays and takes shares again.
    generator.handle_timeout(now);
    assert_eq!(generator.drain_events().count(), 0);
    assert!(matches!(
        generator.submit(Strategy::Root, &u, now),
        Ok(UpdateOutcome::KeyReady(_))
    ));
}

#[test]
fn start_and_cancel_bodies_carry_the_key_and_ttl() {
    let start = start_body(r#"{"KEY":"0011","Ttl":"90s","otp":""}"#);
    assert_eq!(start.key.expose_secret(), "0011");
    assert_eq!(start.ttl, "90s");
    let json = start.to_json();
    assert_eq!(
        &*json,
        r#"{"otp":"","pgp_key":"","key":"0011","ttl":"90s"}"#
    );
    assert_eq!(
        &*StartRequest::default().to_json(),
        r#"{"otp":"","pgp_key":""}"#
    );
    let cancel = CancelRequest::from_http(br#"{"nonce":"n","key":"ab"}"#, None).unwrap();
    assert_eq!(
        (cancel.nonce(), cancel.key().expose_secret()),
        (Some("n"), "ab")
    );
    let json = cancel.to_json();
    assert_eq!(&*json, r#"{"nonce":"n","key":"ab"}"#);
    assert_eq!(json.capacity(), json.len());
    let bare = CancelRequest::new(Some("n".to_owned())).to_json();
    assert_eq!(
        (bare.as_str(), bare.capacity()),
        (r#"{"nonce":"n"}"#, bare.len())
    );
    assert!(!format!("{cancel:?}").contains("ab\""));
    assert!(StartRequest::from_json(br#"{"key":5}"#).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `parse` never panics: on arbitrary text, and on a valid text with one character replaced,
    /// inserted or removed. What it accepts writes back as the same registry.
    #[test]
    fn parse_never_panics_and_what_it_accepts_round_trips(
        junk in ".{0,200}",
        seed in any::<u64>(),
        at in any::<usize>(),
        c in any::<char>(),
        op in 0u8..3,
    ) {
        if let Ok(r) = ShareRegistry::parse(&junk) {
            prop_assert_eq!(ShareRegistry::parse(&r.to_text()), Ok(r));
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let (_, registry) = KeyShare::split_with_registry(&KEY, 2, 3, &mut rng).unwrap();
        let mut chars: Vec<char> = registry.to_text().chars().collect();
        let i = at % chars.len();
        match op {
            0 => chars[i] = c,
            1 => chars.insert(i, c),
            _ => {
                chars.remove(i);
            }
        }
        let text: String = chars.into_iter().collect();
        if let Ok(r) = ShareRegistry::parse(&text) {
            prop_assert_eq!(ShareRegistry::parse(&r.to_text()), Ok(r));
        }
    }
}
