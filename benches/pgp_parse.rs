//! Criterion bench of `PgpRecipient::parse`: the hostile key shapes of
//! `tests/pgp/pgp_bounds.rs` at the caps next to ordinary gpg-made keys, and, as the "before"
//! baseline on the same input, what the crate did until the bounds: rPGP parsing the key and
//! verifying every self-signature (`verify_bindings`). See BENCHMARKS.md for the figures.
//!
//! Run: `cargo bench --bench pgp_parse -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

#[cfg(feature = "pgp")]
#[path = "../tests/pgp/pgp_forge.rs"]
mod pgp_forge;

#[cfg(feature = "pgp")]
use criterion::BenchmarkId;
use criterion::{Criterion, criterion_group, criterion_main};

#[cfg(feature = "pgp")]
fn bench_parse(c: &mut Criterion) {
    use std::hint::black_box;

    use pgp::composed::{Deserializable as _, SignedPublicKey};
    use recovery_token::pgp::PgpRecipient;

    use pgp_forge::{
        Forge, b64, repeated_signature_at_cap, revoked_user_ids, subkeys_with_bindings,
    };

    let forge = Forge::new();
    let mut random = vec![0u8; PgpRecipient::MAX_KEY_LEN / 4 * 3];
    let mut state = 0x1234_5678_u64;
    for b in &mut random {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *b = state as u8;
    }
    let repeated = repeated_signature_at_cap(&forge);
    let dsa_shape = pgp_forge::dsa_subkeys();
    let shapes: [(&str, Vec<u8>, bool); 5] = [
        (
            "dsa4096_primary_32_dsa4096_subkeys",
            dsa_shape.clone(),
            false,
        ),
        ("repeated_signature_at_cap", repeated.clone(), true),
        ("revoked_user_ids", revoked_user_ids(&forge), false),
        (
            "subkeys_with_bindings",
            subkeys_with_bindings(&forge, PgpRecipient::MAX_SUBKEYS),
            true,
        ),
        ("random_bytes_at_cap", random, false),
    ];
    let ordinary = [
        (
            "gpg_cv25519",
            include_str!("keys/cv25519.b64").trim().to_owned(),
        ),
        (
            "gpg_rsa3072",
            include_str!("keys/rsa3072.b64").trim().to_owned(),
        ),
    ];

    let mut group = c.benchmark_group("pgp_parse");
    for (name, key) in &ordinary {
        PgpRecipient::parse(key).unwrap();
        group.bench_with_input(BenchmarkId::new("crate", name), key, |b, key| {
            b.iter(|| PgpRecipient::parse(black_box(key)).unwrap());
        });
    }
    for (name, binary, accepted) in &shapes {
        let key = b64(binary);
        assert!(key.len() <= PgpRecipient::MAX_KEY_LEN, "{name}");
        assert_eq!(PgpRecipient::parse(&key).is_ok(), *accepted, "{name}");
        group.bench_with_input(BenchmarkId::new("crate", name), &key, |b, key| {
            b.iter(|| PgpRecipient::parse(black_box(key)).is_ok());
        });
    }
    // Before the bounds: every copy of the signature verified, on the same bytes.
    group.sample_size(10);
    group.bench_with_input(
        BenchmarkId::new("rpgp_verify_all", "repeated_signature_at_cap"),
        &repeated,
        |b, bytes| {
            b.iter(|| {
                let key = SignedPublicKey::from_bytes(black_box(&bytes[..])).unwrap();
                key.verify_bindings().unwrap();
            });
        },
    );
    // The DSA shape as rPGP alone parses it (no verification at all): what every start with it
    // cost before the scan charged DSA key packets.
    group.bench_with_input(
        BenchmarkId::new("rpgp_parse", "dsa4096_primary_32_dsa4096_subkeys"),
        &dsa_shape,
        |b, bytes| {
            b.iter(|| SignedPublicKey::from_bytes(black_box(&bytes[..])).unwrap());
        },
    );
    group.finish();
}

/// One public-key operation as the crate's parse spends it (rPGP's `VerifyingKey::verify`, the
/// cryptographic part of a signature check), for the most expensive parameters rPGP admits per
/// algorithm, next to an ordinary one: what one unit of `MAX_KEY_OPERATIONS` can cost. The
/// signatures do not verify; the arithmetic is the same as for one that does (the comparison
/// comes last).
#[cfg(feature = "pgp")]
fn bench_operations(c: &mut Criterion) {
    use std::hint::black_box;

    use pgp::crypto::hash::HashAlgorithm;
    use pgp::types::{Mpi, SignatureBytes, VerifyingKey as _};
    use pgp_forge::{PUBLIC_KEY_TAG, dsa_key_packet, parse_key_packet, rsa_key_packet};

    let digest = [0x5au8; 32];
    let mut group = c.benchmark_group("pgp_operation");
    group.sample_size(20);
    // DSA-4096: parsing the packet (rPGP's y^q mod p check), then one verification.
    let dsa_packet = dsa_key_packet(PUBLIC_KEY_TAG, 4096, pgp_forge::T0);
    group.bench_function("dsa4096_key_packet_parse", |b| {
        b.iter(|| parse_key_packet(black_box(&dsa_packet)));
    });
    let dsa = parse_key_packet(&dsa_packet);
    // r = 1, s = 3 (invertible mod the forged q = 2 (2^255 - 1)): both exponentiations run.
    let dsa_sig = SignatureBytes::Mpis(vec![Mpi::from_slice(&[1]), Mpi::from_slice(&[3])]);
    group.bench_function("dsa4096_verify", |b| {
        b.iter(|| {
            dsa.verify(HashAlgorithm::Sha256, black_box(&digest), &dsa_sig)
                .is_ok()
        });
    });
    for (name, bits, e) in [
        ("rsa4096_e65537_verify", 4096, 65_537u64),
        ("rsa8192_e65537_verify", 8192, 65_537),
        ("rsa8192_e2pow33minus1_verify", 8192, (1 << 33) - 1),
    ] {
        let rsa = parse_key_packet(&rsa_key_packet(PUBLIC_KEY_TAG, bits, e, pgp_forge::T0));
        let sig = SignatureBytes::Mpis(vec![Mpi::from_slice(&vec![0x5a; bits / 8])]);
        group.bench_function(name, |b| {
            b.iter(|| {
                rsa.verify(HashAlgorithm::Sha256, black_box(&digest), &sig)
                    .is_ok()
            });
        });
    }
    group.finish();
}

#[cfg(not(feature = "pgp"))]
fn bench_operations(_: &mut Criterion) {}

#[cfg(not(feature = "pgp"))]
fn bench_parse(_: &mut Criterion) {}

criterion_group!(benches, bench_parse, bench_operations);
criterion_main!(benches);
