//! A whole recovery-token ceremony in-process, printed step by step.
//!
//! `cargo run --example quickstart`
//!
//! 1. A 32-byte key is split (`KeyShare::split`, vsss-rs underneath) into 5 shares, 3 needed, and
//!    printed as `vault operator init -key-shares=5 -key-threshold=3` prints them: `Unseal Key N`
//!    lines, the name the example server prints too. (A Shamir-sealed server in recovery mode
//!    takes its unseal keys for this ceremony, and `bao operator generate-root -recovery-token`
//!    prompts for an "Unseal Key"; with an auto-unseal seal, `vault operator init` prints
//!    `Recovery Key N` lines instead, and those are the shares.)
//! 2. The generation starts; the server generates the OTP and shows it once.
//! 3. Three holders submit their shares (one in base64, two in hex, as Vault's API accepts).
//! 4. The generator combines them, the host checks the key, the token is minted and encoded.
//! 5. The holder decodes the token with the OTP; the host authenticates with it.
//! 6. A second recovery generation is refused with `attempt to generate recovery token when
//!    already unsealed`: as in Vault, the key check unsealed the barrier and a server issues at
//!    most one recovery token per run, so recovery generation is closed from then on.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use recovery_token::shares::KeyShare;
use recovery_token::tokens::decode_token;
use recovery_token::wire::{StartRequest, UpdateRequest};
use recovery_token::{Encoding, ExpectedKey, GeneratorConfig, RecoveryTokenGenerator, Strategy};

fn main() {
    let mut rng = rand::rng();

    // 1. The key and its shares.
    let mut key = [0u8; 32];
    rand_core::Rng::fill_bytes(&mut rng, &mut key);
    // Vault's layout (y bytes, then a random non-zero x), printed as `vault operator init` prints
    // a Shamir seal's unseal keys (an auto-unseal seal's shares are "Recovery Key" lines).
    let shares = KeyShare::split(&key, 3, 5, &mut rng).expect("3 of 5 is a valid split");
    println!("== 1. key split into 5 shares, 3 needed");
    for (i, s) in shares.iter().enumerate() {
        println!(
            "Unseal Key {}: {}",
            i + 1,
            STANDARD.encode(s.expose_secret())
        );
    }

    let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3).unwrap());
    let mut host = ExpectedKey::new(&key);
    println!("\n== GET /v1/sys/generate-recovery-token/attempt");
    println!(
        "{}",
        generator
            .status(Strategy::Recovery, Instant::now())
            .to_json()
    );

    // 2. Start with an empty body: the server generates the OTP.
    let encoding = Encoding::from(StartRequest::from_json(b"").unwrap());
    let started = generator
        .start(Strategy::Recovery, encoding, Instant::now(), &mut rng)
        .unwrap();
    println!("\n== 2. PUT /v1/sys/generate-recovery-token/attempt (empty body)");
    println!("{}", started.to_json());
    let otp = started.otp.clone();

    // 3. Three holders submit shares 2, 5 and 1.
    let mut last = None;
    for (n, i) in [1usize, 4, 0].into_iter().enumerate() {
        let key_text = if n == 0 {
            STANDARD.encode(shares[i].expose_secret())
        } else {
            shares[i]
                .expose_secret()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        let body = serde_json::json!({ "key": key_text, "nonce": started.nonce }).to_string();
        let request = UpdateRequest::from_json(body.as_bytes()).unwrap();
        let answer = generator
            .update(
                Strategy::Recovery,
                &request,
                Instant::now(),
                &mut host,
                &mut rng,
            )
            .unwrap();
        println!(
            "\n== 3. PUT /v1/sys/generate-recovery-token/update (holder of share {})",
            i + 1
        );
        println!("{}", answer.to_json());
        last = Some(answer);
    }
    let done = last.unwrap();
    assert!(done.complete);

    // 4./5. Decode and use the token.
    let token = decode_token(&done.encoded_token, otp.expose_secret(), started.otp_length).unwrap();
    println!("\n== 4. decoded with the OTP (vault operator generate-root -decode=... -otp=...)");
    println!("recovery token: {}", token.expose_secret());
    assert!(generator.recovery_token().verify(token.expose_secret()));
    println!(
        "the host accepts it: {}",
        generator.recovery_token().verify(token.expose_secret())
    );
    println!("\n== 5. GET /v1/sys/generate-recovery-token/attempt (the attempt is cleared)");
    println!(
        "{}",
        generator
            .status(Strategy::Recovery, Instant::now())
            .to_json()
    );
    // 6. Vault issues at most one recovery token per run: the key check unsealed the barrier, so
    // every later start (and update) on the recovery endpoints is refused with Vault's
    // "already unsealed" text. Recovery generation is closed; the root endpoints keep working.
    println!("\n== 6. PUT /v1/sys/generate-recovery-token/attempt (again)");
    let again = generator.start(
        Strategy::Recovery,
        Encoding::GenerateOtp,
        Instant::now(),
        &mut rng,
    );
    println!(
        "refused: {}\n(as in Vault: the key check unsealed the barrier, and a server issues one \
         recovery token per run, so recovery generation is now closed)",
        again
            .map(|_| "started".to_owned())
            .unwrap_or_else(|e| e.to_string())
    );
}
