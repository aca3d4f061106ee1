//! Forging hostile OpenPGP keys with rPGP, for `tests/pgp/pgp_bounds.rs` and
//! `benches/pgp_parse.rs`: an Ed25519 primary and a Cv25519 subkey made once from a fixed seed,
//! signatures made with the secret primary, packets written by hand so that one signature can be
//! repeated as often as an attacker likes.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pgp::composed::{EncryptionCaps, KeyType, SecretKeyParamsBuilder, SubkeyParamsBuilder};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{
    KeyFlags, PacketTrait, PublicKey, PublicSubkey, SecretKey, Signature, SignatureConfig,
    SignatureType, Subpacket, SubpacketData, UserId,
};
use pgp::types::{KeyDetails as _, PacketHeaderVersion, Password, Tag, Timestamp};
use rand_chacha_03::ChaCha20Rng;
use rand_chacha_03::rand_core::SeedableRng as _;
use recovery_token::pgp::PgpRecipient;

/// When the forged signatures say they were made (2024-01-01); later ones add seconds.
pub const T0: u32 = 1_704_067_200;

/// An Ed25519 primary with a Cv25519 encryption subkey, and the secret primary to sign with.
pub struct Forge {
    pub secret: SecretKey,
    pub primary: PublicKey,
    pub subkey: PublicSubkey,
}

impl Forge {
    pub fn new() -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let params = SecretKeyParamsBuilder::default()
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .primary_user_id("bounds <bounds@example.com>".into())
            .subkey(
                SubkeyParamsBuilder::default()
                    .key_type(KeyType::ECDH(ECCCurve::Curve25519Legacy))
                    .can_encrypt(EncryptionCaps::All)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let key = params.generate(&mut rng).unwrap();
        let subkey = key.secret_subkeys[0].key.public_key().clone();
        Self {
            primary: key.primary_key.public_key().clone(),
            secret: key.primary_key,
            subkey,
        }
    }

    pub fn config(&self, typ: SignatureType, hash: HashAlgorithm, created: u32) -> SignatureConfig {
        let mut config = SignatureConfig::v4(typ, self.primary.algorithm(), hash);
        config.hashed_subpackets = vec![
            Subpacket::regular(SubpacketData::SignatureCreationTime(Timestamp::from_secs(
                created,
            )))
            .unwrap(),
            Subpacket::regular(SubpacketData::IssuerFingerprint(self.primary.fingerprint()))
                .unwrap(),
        ];
        config
    }

    pub fn flags(config: &mut SignatureConfig, set: impl Fn(&mut KeyFlags)) {
        let mut flags = KeyFlags::default();
        set(&mut flags);
        config
            .hashed_subpackets
            .push(Subpacket::regular(SubpacketData::KeyFlags(flags)).unwrap());
    }

    /// A positive certification of `uid` (certify + sign flags), SHA3-512, the costliest hash to verify.
    pub fn cert(&self, uid: &UserId, created: u32, primary: bool) -> Signature {
        let mut config = self.config(
            SignatureType::CertPositive,
            HashAlgorithm::Sha3_512,
            created,
        );
        Self::flags(&mut config, |f| {
            f.set_certify(true);
            f.set_sign(true);
        });
        if primary {
            config
                .hashed_subpackets
                .push(Subpacket::regular(SubpacketData::IsPrimary(true)).unwrap());
        }
        config
            .sign_certification(
                &self.secret,
                &self.primary,
                &Password::empty(),
                Tag::UserId,
                uid,
            )
            .unwrap()
    }

    pub fn cert_revocation(&self, uid: &UserId, created: u32) -> Signature {
        self.config(
            SignatureType::CertRevocation,
            HashAlgorithm::Sha3_512,
            created,
        )
        .sign_certification(
            &self.secret,
            &self.primary,
            &Password::empty(),
            Tag::UserId,
            uid,
        )
        .unwrap()
    }

    /// A subkey binding flagging `subkey` for encryption.
    pub fn binding(&self, subkey: &PublicSubkey, created: u32) -> Signature {
        let mut config = self.config(
            SignatureType::SubkeyBinding,
            HashAlgorithm::Sha3_512,
            created,
        );
        Self::flags(&mut config, |f| {
            f.set_encrypt_comms(true);
            f.set_encrypt_storage(true);
        });
        config
            .sign_subkey_binding(&self.secret, &self.primary, &Password::empty(), subkey)
            .unwrap()
    }

    pub fn direct(&self, created: u32) -> Signature {
        let mut config = self.config(SignatureType::Key, HashAlgorithm::Sha3_512, created);
        Self::flags(&mut config, |f| f.set_certify(true));
        config
            .sign_key(&self.secret, &Password::empty(), &self.primary)
            .unwrap()
    }

    pub fn subkey_revocation(&self, subkey: &PublicSubkey, created: u32) -> Signature {
        self.config(
            SignatureType::SubkeyRevocation,
            HashAlgorithm::Sha3_512,
            created,
        )
        .sign_subkey_binding(&self.secret, &self.primary, &Password::empty(), subkey)
        .unwrap()
    }

    /// The binary key: primary, then `body` (user IDs, subkeys and their signatures).
    pub fn key(&self, body: &[u8]) -> Vec<u8> {
        let mut out = packet(&self.primary);
        out.extend_from_slice(body);
        out
    }
}

pub fn packet(p: &impl PacketTrait) -> Vec<u8> {
    let mut out = Vec::new();
    p.to_writer_with_header(&mut out).unwrap();
    out
}

pub fn repeat(p: &impl PacketTrait, times: usize) -> Vec<u8> {
    packet(p).repeat(times)
}

pub fn uid(len: usize) -> UserId {
    let base = "hostile <h@example.com> ";
    let text: String = base.chars().cycle().take(len).collect();
    UserId::from_str(PacketHeaderVersion::New, text).unwrap()
}

/// An ordinary user ID with its certification and the encryption subkey with its binding.
pub fn ordinary_body(forge: &Forge) -> Vec<u8> {
    let id = uid(40);
    let mut body = packet(&id);
    body.extend(packet(&forge.cert(&id, T0, true)));
    body.extend(packet(&forge.subkey));
    body.extend(packet(&forge.binding(&forge.subkey, T0)));
    body
}

pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// The largest number of copies of `unit` that keep the base64 of `prefix + copies` under the
/// size cap, and within `max`.
pub fn copies_that_fit(prefix: usize, unit: usize, max: usize) -> usize {
    let binary_cap = PgpRecipient::MAX_KEY_LEN / 4 * 3;
    ((binary_cap - prefix) / unit).min(max)
}

/// The repeated-signature shape at the caps: one SHA3-512 certification over a user ID of
/// `MAX_USER_ID_LEN` bytes, repeated as often as the size and signature caps allow, then the
/// encryption subkey. Binary.
pub fn repeated_signature_at_cap(forge: &Forge) -> Vec<u8> {
    let id = uid(PgpRecipient::MAX_USER_ID_LEN);
    let sig = forge.cert(&id, T0, true);
    let mut tail = packet(&forge.subkey);
    tail.extend(packet(&forge.binding(&forge.subkey, T0)));
    let prefix = packet(&forge.primary).len() + packet(&id).len() + tail.len();
    let n = copies_that_fit(prefix, packet(&sig).len(), PgpRecipient::MAX_SIGNATURES - 1);
    let mut body = packet(&id);
    body.extend(repeat(&sig, n));
    body.extend(tail);
    forge.key(&body)
}

/// `MAX_USER_IDS` long user IDs, each certified and then validly revoked: the most signature
/// checks a key can ask for, which the operation budget ends. Binary.
pub fn revoked_user_ids(forge: &Forge) -> Vec<u8> {
    let mut body = Vec::new();
    for i in 0..PgpRecipient::MAX_USER_IDS {
        let id = uid(PgpRecipient::MAX_USER_ID_LEN / 2 + i);
        body.extend(packet(&id));
        body.extend(packet(&forge.cert(&id, T0, false)));
        body.extend(packet(&forge.cert_revocation(&id, T0 + 1)));
    }
    body.extend(packet(&forge.subkey));
    body.extend(packet(&forge.binding(&forge.subkey, T0)));
    forge.key(&body)
}

/// A user ID at the length cap, then `count` copies of the subkey, each with as many copies of
/// its binding as the signature cap allows for `MAX_SUBKEYS` subkeys. Binary.
pub fn subkeys_with_bindings(forge: &Forge, count: usize) -> Vec<u8> {
    let per = (PgpRecipient::MAX_SIGNATURES - 1) / PgpRecipient::MAX_SUBKEYS;
    let binding = forge.binding(&forge.subkey, T0);
    let id = uid(PgpRecipient::MAX_USER_ID_LEN);
    let mut body = packet(&id);
    body.extend(packet(&forge.cert(&id, T0, true)));
    for _ in 0..count {
        body.extend(packet(&forge.subkey));
        body.extend(repeat(&binding, per));
    }
    forge.key(&body)
}

// ----- key packets of other algorithms, written byte by byte -----

/// An OpenPGP MPI: its bit count (two octets, big-endian), then the bytes.
pub fn mpi(bytes: &[u8]) -> Vec<u8> {
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let bytes = &bytes[skip..];
    let bits = bytes.first().map_or(0, |&b| {
        (bytes.len() - 1) * 8 + (8 - b.leading_zeros() as usize)
    });
    let mut out = u16::try_from(bits).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// A new-format packet with tag `tag` around `body`.
pub fn raw_packet(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xc0 | tag];
    let len = body.len();
    if len < 192 {
        out.push(u8::try_from(len).unwrap());
    } else if len < 8384 {
        let l = len - 192;
        out.push(u8::try_from((l >> 8) + 192).unwrap());
        out.push(u8::try_from(l & 0xff).unwrap());
    } else {
        out.push(0xff);
        out.extend(u32::try_from(len).unwrap().to_be_bytes());
    }
    out.extend_from_slice(body);
    out
}

/// Public-key algorithm 17.
pub const DSA: u8 = 17;
/// Tag of a Public-Key packet.
pub const PUBLIC_KEY_TAG: u8 = 6;
/// Tag of a Public-Subkey packet.
pub const PUBLIC_SUBKEY_TAG: u8 = 14;

/// A v4 DSA key packet (`tag` 6 or 14) with a `p_bits`-bit p, a 256-bit q, g = 2 and
/// y = p - 1. Not a real DSA group (p is not prime), but it passes every check rPGP 0.21 makes
/// when it parses a DSA key (sizes, then `y^q mod p == 1`, which holds because q is even): the
/// check costs a full modular exponentiation, exactly as for a real key. `created` varies the
/// fingerprint.
pub fn dsa_key_packet(tag: u8, p_bits: usize, created: u32) -> Vec<u8> {
    assert!(p_bits.is_multiple_of(8) && p_bits >= 1024);
    let p = vec![0xffu8; p_bits / 8];
    let mut q = vec![0xffu8; 32];
    q[31] = 0xfe;
    let mut y = p.clone();
    *y.last_mut().unwrap() = 0xfe;
    let mut body = vec![4];
    body.extend(created.to_be_bytes());
    body.push(DSA);
    body.extend(mpi(&p));
    body.extend(mpi(&q));
    body.extend(mpi(&[2]));
    body.extend(mpi(&y));
    raw_packet(tag, &body)
}

/// The DSA shape: a DSA-4096 primary and [`PgpRecipient::MAX_SUBKEYS`] DSA-4096 subkeys
/// (no user IDs, no signatures: rPGP checks each key's parameters while parsing, before
/// anything could refuse the key). Binary, about 35 KB (47 KB of base64).
pub fn dsa_subkeys() -> Vec<u8> {
    let mut out = dsa_key_packet(PUBLIC_KEY_TAG, 4096, T0);
    for i in 0..PgpRecipient::MAX_SUBKEYS {
        out.extend(dsa_key_packet(PUBLIC_SUBKEY_TAG, 4096, T0 + 1 + i as u32));
    }
    out
}

/// A v4 RSA key packet with an `n_bits`-bit modulus of all ones (odd, so rPGP accepts it; not
/// a product of two primes, which no check can see) and public exponent `e`: the cost of a
/// public-key operation with it is the cost with any key of those sizes.
pub fn rsa_key_packet(tag: u8, n_bits: usize, e: u64, created: u32) -> Vec<u8> {
    let mut body = vec![4];
    body.extend(created.to_be_bytes());
    body.push(1);
    body.extend(mpi(&vec![0xffu8; n_bits / 8]));
    body.extend(mpi(&e.to_be_bytes()));
    raw_packet(tag, &body)
}

/// The rPGP public key in a packet made by [`dsa_key_packet`] or [`rsa_key_packet`].
pub fn parse_key_packet(packet: &[u8]) -> PublicKey {
    let mut r = packet;
    let header = pgp::packet::PacketHeader::try_from_reader(&mut r).unwrap();
    PublicKey::try_from_reader(header, r).unwrap()
}
