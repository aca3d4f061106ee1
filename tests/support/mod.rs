//! The shared test harness: a scripted RNG, an independent Shamir split, hex, a fake clock
//! ([`Clock`]: a base `Instant` read once, plus an offset only the test moves), the one test host
//! ([`host::TestHost`], and its async form for the adapter), the one HTTP client ([`http`]), and
//! a ceremony fixture that owns a clock (its `now` is the clock's).
#![allow(
    dead_code,
    unused_imports,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::convert::Infallible;
use std::time::{Duration, Instant};

use recovery_token::shares::KeyShare;
use recovery_token::wire::{AttemptStatus, UpdateRequest};
use recovery_token::{Encoding, GeneratorConfig, RecoveryTokenGenerator, Strategy};

pub mod host;
pub mod http;

#[cfg(feature = "server")]
pub use host::AsyncTestHost;
pub use host::TestHost;

/// A fake clock: a base `Instant` (taken once) plus an offset that only the test moves.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    base: Instant,
    offset: Duration,
}

impl Clock {
    pub fn new() -> Self {
        Self::at_instant(Instant::now())
    }

    /// A clock whose base is `base`.
    pub fn at_instant(base: Instant) -> Self {
        Self {
            base,
            offset: Duration::ZERO,
        }
    }

    /// The clock's current time: the base plus every advance so far.
    pub fn now(&self) -> Instant {
        self.base + self.offset
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&mut self, d: Duration) {
        self.offset += d;
    }

    /// The base plus `d`, whatever the clock reads now (for one call at another time).
    pub fn at(&self, d: Duration) -> Instant {
        self.base + d
    }

    /// The base (where the clock started).
    pub fn base(&self) -> Instant {
        self.base
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

/// A deterministic RNG for tests: plays back scripted bytes, then a simple counter stream.
/// (Marked `CryptoRng` only so the generator accepts it; never use outside tests.)
pub struct ScriptedRng {
    script: Vec<u8>,
    pos: usize,
    counter: u64,
}

impl ScriptedRng {
    pub fn new(script: &[u8]) -> Self {
        Self {
            script: script.to_vec(),
            pos: 0,
            counter: 0x9e37_79b9_7f4a_7c15,
        }
    }

    pub fn seeded(seed: u64) -> Self {
        Self {
            script: Vec::new(),
            pos: 0,
            counter: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
        }
    }

    fn next_byte(&mut self) -> u8 {
        if self.pos < self.script.len() {
            self.pos += 1;
            return self.script[self.pos - 1];
        }
        // xorshift64*
        let mut x = self.counter;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.counter = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
    }
}

impl rand_core::TryRng for ScriptedRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for d in dst {
            *d = self.next_byte();
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for ScriptedRng {}

/// Textbook GF(2^8) multiply with the AES polynomial, written independently of the crate.
pub fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        let hi = a & 0x80;
        a <<= 1;
        if hi != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    p
}

/// Inverse by search (`a * b = 1`), tabulated once; 0 for 0 (which has none).
pub fn gf_inv(a: u8) -> u8 {
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (0..=255u8)
            .map(|a| match a {
                0 => 0,
                _ => (1..=255u8)
                    .find(|&b| gf_mul(a, b) == 1)
                    .expect("every nonzero element of GF(2^8) has an inverse"),
            })
            .collect()
    });
    table[usize::from(a)]
}

/// Splits `secret` into shares at the given x coordinates with a random polynomial of degree
/// `threshold - 1`, in Vault's layout (y bytes, then x). Independent of vsss-rs and the crate.
pub fn reference_split(
    secret: &[u8],
    threshold: usize,
    xs: &[u8],
    rng: &mut ScriptedRng,
) -> Vec<Vec<u8>> {
    let mut shares: Vec<Vec<u8>> = xs
        .iter()
        .map(|_| Vec::with_capacity(secret.len() + 1))
        .collect();
    for &s in secret {
        let mut coeffs = vec![s];
        for _ in 1..threshold {
            coeffs.push(rng.next_byte());
        }
        for (share, &x) in shares.iter_mut().zip(xs) {
            // Horner
            let mut y = 0u8;
            for &c in coeffs.iter().rev() {
                y = gf_mul(y, x) ^ c;
            }
            share.push(y);
        }
    }
    for (share, &x) in shares.iter_mut().zip(xs) {
        share.push(x);
    }
    shares
}

/// Textbook Lagrange interpolation at 0 of Vault-layout shares (y bytes, then x), written from
/// the definition `sum_i y_i prod_{j != i} x_j / (x_i - x_j)`, independent of the crate.
pub fn reference_combine(shares: &[Vec<u8>]) -> Vec<u8> {
    let len = shares[0].len() - 1;
    let xs: Vec<u8> = shares.iter().map(|s| s[len]).collect();
    let mut out = vec![0u8; len];
    for (i, s) in shares.iter().enumerate() {
        let mut basis = 1u8;
        for (j, &xj) in xs.iter().enumerate() {
            if i != j {
                basis = gf_mul(basis, gf_mul(xj, gf_inv(xs[i] ^ xj)));
            }
        }
        for k in 0..len {
            out[k] ^= gf_mul(basis, s[k]);
        }
    }
    out
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub fn req(share: &[u8], nonce: &str) -> UpdateRequest {
    UpdateRequest {
        key: hex(share).into(),
        nonce: nonce.to_owned(),
    }
}

/// A ceremony fixture: a 32-byte key, its shares (threshold `t`, 5 shares or `t` if larger), a
/// generator, a host that expects the key and mints nothing (as `ExpectedKey`), and a clock.
pub struct Fixture {
    pub key: Vec<u8>,
    pub shares: Vec<Vec<u8>>,
    pub generator: RecoveryTokenGenerator,
    pub host: TestHost,
    pub rng: ScriptedRng,
    pub clock: Clock,
}

impl Fixture {
    pub fn new(t: usize) -> Self {
        Self::with_config(GeneratorConfig::new(t).unwrap())
    }

    pub fn with_config(config: GeneratorConfig) -> Self {
        let t = config.threshold();
        let mut rng = ScriptedRng::seeded(t as u64 + 7);
        let key: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        let n = t.clamp(5, 255);
        let shares = if t == 1 {
            vec![key.clone()]
        } else {
            let xs: Vec<u8> = (1..=n as u8).collect();
            reference_split(&key, t, &xs, &mut rng)
        };
        Self {
            host: TestHost::new(&key).refusing(),
            key,
            shares,
            generator: RecoveryTokenGenerator::new(config),
            rng,
            clock: Clock::new(),
        }
    }

    pub fn start(&mut self, strategy: Strategy) -> AttemptStatus {
        self.generator
            .start(
                strategy,
                Encoding::GenerateOtp,
                self.clock.now(),
                &mut self.rng,
            )
            .unwrap()
    }

    pub fn update(
        &mut self,
        strategy: Strategy,
        share: &[u8],
        nonce: &str,
    ) -> Result<AttemptStatus, recovery_token::Error> {
        let r = req(share, nonce);
        self.generator.update(
            strategy,
            &r,
            self.clock.now(),
            &mut self.host,
            &mut self.rng,
        )
    }

    /// `update` with share `i` through another host (root / DR tests).
    pub fn update_with<H: recovery_token::Host>(
        &mut self,
        host: &mut H,
        strategy: Strategy,
        i: usize,
        nonce: &str,
    ) -> Result<AttemptStatus, recovery_token::Error> {
        let r = req(&self.shares[i], nonce);
        self.generator
            .update(strategy, &r, self.clock.now(), host, &mut self.rng)
    }

    pub fn status(&self, strategy: Strategy) -> AttemptStatus {
        self.generator.status(strategy, self.clock.now())
    }

    /// The fixture's clock's current time.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    pub fn share(&self, i: usize) -> Vec<u8> {
        self.shares[i].clone()
    }
}

pub fn lengths() -> std::ops::RangeInclusive<usize> {
    KeyShare::DEFAULT_LENGTHS
}
