//! Criterion benches: share combination (the crate's constant-time lane combine next to raw
//! vsss-rs on the same shares), the whole `update` a host pays for at the threshold, and the
//! status answer. See BENCHMARKS.md for the command, the machine and the figures.
//!
//! Run: `cargo bench --bench combine -- --warm-up-time 1 --measurement-time 3`
//! (then `python3 benches/medians.py` prints the table of medians and ratios).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine as _;
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;
use recovery_token::HostReason;
use recovery_token::shares::{KeyShare, combine};
use recovery_token::wire::UpdateRequest;
use recovery_token::{
    CombinedKey, Encoding, GeneratorConfig, Host, RecoveryTokenGenerator, Strategy, UpdateOutcome,
};
use vsss_rs::Gf256;

/// The thresholds benched: Vault's default (3), common ones, and the most Vault allows (255).
const THRESHOLDS: [usize; 6] = [2, 3, 5, 10, 32, 255];
/// Vault's barrier key (32 bytes, shares of 33) and the smallest it accepts (16, shares of 17).
const KEY_SIZES: [usize; 2] = [32, 16];

/// `threshold` shares of a random key, as vsss-rs makes them (identifier FIRST: vsss-rs's own
/// input, rotated once here, outside any timed loop) and in Vault's layout (x byte last).
fn shares(threshold: usize, key_len: usize, seed: u64) -> (Vec<Vec<u8>>, Vec<KeyShare>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let key: Vec<u8> = (0..key_len)
        .map(|i| (i as u8).wrapping_mul(29) ^ 0xa5)
        .collect();
    let vsss = Gf256::split_bytes(threshold, threshold, &key, &mut rng).unwrap();
    let vault: Vec<KeyShare> = vsss
        .iter()
        .map(|s| KeyShare::from_vsss_layout(s, &(2..=64)).unwrap())
        .collect();
    // Both paths must agree before anything is timed.
    assert_eq!(Gf256::combine_bytes(&vsss).unwrap(), key);
    assert_eq!(&*combine(&vault).unwrap(), &key[..]);
    (vsss, vault)
}

fn bench_combine(c: &mut Criterion) {
    for key_len in KEY_SIZES {
        let mut group = c.benchmark_group(format!("combine_{key_len}B"));
        for t in THRESHOLDS {
            let (vsss, vault) = shares(t, key_len, t as u64);
            group.bench_with_input(BenchmarkId::new("crate", t), &vault, |b, s| {
                b.iter(|| combine(black_box(s)).unwrap());
            });
            group.bench_with_input(BenchmarkId::new("vsss_rs", t), &vsss, |b, s| {
                b.iter(|| Gf256::combine_bytes(black_box(s)).unwrap());
            });
        }
        group.finish();
    }
    // A 1-byte secret (2-byte shares): almost all of it is the coefficient part, quadratic in the
    // threshold. `combine_32B - combine_1B` is the per-byte part, linear in threshold x length.
    let mut group = c.benchmark_group("combine_1B");
    for t in THRESHOLDS {
        let (_, vault) = shares(t, 1, t as u64);
        group.bench_with_input(BenchmarkId::new("crate", t), &vault, |b, s| {
            b.iter(|| combine(black_box(s)).unwrap());
        });
    }
    group.finish();
}

/// A host whose key check is trivial: the cost measured is the generator's.
struct AcceptAny;

impl Host for AcceptAny {
    fn check_key(&mut self, _: Strategy, key: &CombinedKey) -> Result<(), HostReason> {
        black_box(key.expose_secret());
        Ok(())
    }
}

struct AtThreshold {
    generator: RecoveryTokenGenerator,
    last: UpdateRequest,
    rng: StdRng,
    now: Instant,
}

/// A generator with an OTP attempt and threshold - 1 shares held, and the request carrying the
/// last share (base64, as `vault operator init` prints unseal keys).
/// A share's copy, made outside the timed part (shares are not `Clone`).
fn copy(share: &KeyShare) -> KeyShare {
    KeyShare::from_bytes(share.expose_secret(), &KeyShare::DEFAULT_LENGTHS).unwrap()
}

fn at_threshold(shares: &[KeyShare], rng_seed: u64) -> AtThreshold {
    let t = shares.len();
    let mut rng = StdRng::seed_from_u64(rng_seed);
    let now = Instant::now();
    let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(t).unwrap());
    let started = generator
        .start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng)
        .unwrap();
    for share in &shares[..t - 1] {
        let outcome = generator
            .submit_share(Strategy::Recovery, copy(share), &started.nonce, now)
            .unwrap();
        assert!(matches!(outcome, UpdateOutcome::Progress(_)));
    }
    let key = base64::engine::general_purpose::STANDARD.encode(shares[t - 1].expose_secret());
    AtThreshold {
        generator,
        last: UpdateRequest {
            key: key.into(),
            nonce: started.nonce,
        },
        rng,
        now,
    }
}

fn bench_update(c: &mut Criterion) {
    for key_len in KEY_SIZES {
        let mut group = c.benchmark_group(format!("update_{key_len}B"));
        for t in THRESHOLDS {
            let (_, vault) = shares(t, key_len, t as u64);
            // The setup (t - 1 submissions) is not timed, and `iter_batched` drops the outputs
            // (the generator included) outside the timing too. `LargeInput` keeps a batch of
            // attempts small enough to stay in cache, as a server's one attempt would.
            group.bench_with_input(BenchmarkId::new("update_otp", t), &vault, |b, s| {
                b.iter_batched(
                    || at_threshold(s, 7),
                    |mut st| {
                        let status = st
                            .generator
                            .update(
                                Strategy::Recovery,
                                &st.last,
                                st.now,
                                &mut AcceptAny,
                                &mut st.rng,
                            )
                            .unwrap();
                        debug_assert!(status.complete);
                        (st, status)
                    },
                    BatchSize::LargeInput,
                );
            });
            if key_len != 32 {
                continue;
            }
            // Where the time goes (32-byte keys): `submit` is the parse of the base64 share,
            // the checks and the combine; `submit_share` the same without the parse. `update`
            // minus `submit` is the key check, the minting of the token and its OTP encoding.
            group.bench_with_input(BenchmarkId::new("submit", t), &vault, |b, s| {
                b.iter_batched(
                    || at_threshold(s, 7),
                    |mut st| {
                        let outcome = st
                            .generator
                            .submit(Strategy::Recovery, &st.last, st.now)
                            .unwrap();
                        (st, outcome)
                    },
                    BatchSize::LargeInput,
                );
            });
            group.bench_with_input(BenchmarkId::new("submit_share", t), &vault, |b, s| {
                b.iter_batched(
                    || (at_threshold(s, 7), copy(&s[t - 1])),
                    |(mut st, share)| {
                        let outcome = st
                            .generator
                            .submit_share(Strategy::Recovery, share, &st.last.nonce, st.now)
                            .unwrap();
                        (st, outcome)
                    },
                    BatchSize::LargeInput,
                );
            });
        }
        group.finish();
    }
}

fn bench_status(c: &mut Criterion) {
    let mut group = c.benchmark_group("status");
    let (_, vault) = shares(3, 32, 3);
    let st = at_threshold(&vault, 9); // an attempt in progress, two shares held
    let now = st.now;
    group.bench_function("status_to_json", |b| {
        b.iter(|| {
            st.generator
                .status(Strategy::Recovery, black_box(now))
                .to_json()
        });
    });
    group.finish();
}

/// PGP encoding of a token (feature `pgp`, on by default): the crate's `encrypt_token` (rPGP
/// plus the base64 Vault's answer carries) next to raw rPGP encrypting the same token to the
/// same subkey. Keys made by gpg 2.2 (`benches/keys/`, see the README there).
#[cfg(feature = "pgp")]
fn bench_pgp(c: &mut Criterion) {
    use pgp::composed::{Deserializable as _, MessageBuilder, SignedPublicKey};
    use pgp::crypto::sym::SymmetricKeyAlgorithm;
    use rand_chacha_03::ChaCha20Rng;
    use rand_chacha_03::rand_core::SeedableRng as _;
    use recovery_token::Token;
    use recovery_token::pgp::PgpRecipient;

    let keys = [
        ("rsa3072", include_str!("keys/rsa3072.b64")),
        ("cv25519", include_str!("keys/cv25519.b64")),
    ];
    let token = Token::new("hvr.AAAAAAAAAAAAAAAAAAAAAAAA".to_owned());
    let mut group = c.benchmark_group("pgp_encrypt");
    for (name, b64) in keys {
        let recipient = PgpRecipient::parse(b64.trim()).unwrap();
        let mut rng = StdRng::seed_from_u64(11);
        group.bench_function(BenchmarkId::new("crate", name), |b| {
            b.iter(|| {
                recipient
                    .encrypt_token(black_box(&token), &mut rng)
                    .unwrap()
            });
        });

        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .unwrap();
        let key = SignedPublicKey::from_bytes(&bytes[..]).unwrap();
        // Both keys carry exactly one subkey, the encryption subkey gpg made.
        let subkey = key.public_subkeys[0].key.clone();
        let mut rng06 = ChaCha20Rng::seed_from_u64(11);
        group.bench_function(BenchmarkId::new("rpgp_raw", name), |b| {
            b.iter(|| {
                let data = token.expose_secret().as_bytes().to_vec();
                let mut builder = MessageBuilder::from_bytes("", data)
                    .seipd_v1(&mut rng06, SymmetricKeyAlgorithm::AES256);
                builder.encrypt_to_key(&mut rng06, &subkey).unwrap();
                builder.to_vec(&mut rng06).unwrap()
            });
        });
    }
    group.finish();
}

#[cfg(not(feature = "pgp"))]
fn bench_pgp(_: &mut Criterion) {}

fn config() -> Criterion {
    // Defaults that keep the whole run within a few minutes; the command line overrides them.
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_combine, bench_update, bench_status, bench_pgp
}
criterion_main!(benches);
