//! An asynchronous host: the key check and the token store are `async` (a fake store with latency
//! and injected failures), and the generator's lock is never held across an `.await`.
//!
//! `cargo run --example async_host`
//!
//! The update handler is the typed completion of the crate, step by step:
//! 1. `submit` under the lock: below the threshold it answers progress; at the threshold it hands
//!    back a `PendingCompletion` (the shares are wiped; further shares get `CompletionPending`).
//! 2. The key check, awaited without the lock; `reject_key(reason)` or `accept_key()`.
//! 3. Recovery: the generator mints its own token (`issue`). Root / DR: the store mints one,
//!    awaited without the lock; `mint_failed(reason)` carries the store's reason to the client.
//! 4. `issue(token)`: if encoding fails, the unissued token comes back to be revoked.
//!
//! `tests/http/async_host.rs` drives this file end to end (it includes it as a module).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use recovery_token::HostReason;
use recovery_token::shares::KeyShare;
use recovery_token::tokens::{TokenProfile, decode_token};
use recovery_token::wire::{AttemptStatus, UpdateRequest};
use recovery_token::{
    CombinedKey, Encoding, Error, GeneratorConfig, KeyAccepted, RecoveryTokenGenerator, Strategy,
    Token, UpdateOutcome,
};

/// A failure the fake store will inject into its next mint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The store is down: nothing is minted.
    Unavailable,
    /// The store mints a token of another format (legacy `s.` tokens, 26 characters where the
    /// profile's OTP has 28): the token exists, but encoding it fails, so it must be revoked.
    WrongFormat,
}

/// A token store with latency, a record of live and revoked tokens, and injectable faults.
#[derive(Debug)]
pub struct TokenStore {
    latency: Duration,
    faults: Mutex<Vec<Fault>>,
    live: Mutex<HashSet<String>>,
    revoked: Mutex<Vec<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TokenStore {
    /// An empty store answering after `latency`.
    pub fn new(latency: Duration) -> Self {
        Self {
            latency,
            faults: Mutex::new(Vec::new()),
            live: Mutex::new(HashSet::new()),
            revoked: Mutex::new(Vec::new()),
        }
    }

    /// The next mint fails this way.
    pub fn inject(&self, fault: Fault) {
        lock(&self.faults).push(fault);
    }

    /// Mints a root or DR operation token after the store's latency.
    pub async fn mint(&self, strategy: Strategy) -> Result<Token, String> {
        tokio::time::sleep(self.latency).await;
        let fault = lock(&self.faults).pop();
        let profile = match fault {
            Some(Fault::Unavailable) => {
                return Err("token store unavailable: connection refused".into());
            }
            Some(Fault::WrongFormat) => TokenProfile::LEGACY,
            None => TokenProfile::VAULT,
        };
        let token = profile.format(strategy).mint(&mut rand::rng());
        lock(&self.live).insert(token.expose_secret().to_owned());
        Ok(token)
    }

    /// Revokes a token that was minted but never handed out.
    pub async fn revoke(&self, token: &Token) {
        tokio::time::sleep(self.latency).await;
        let mut live = lock(&self.live);
        if live.remove(token.expose_secret()) {
            lock(&self.revoked).push(token.expose_secret().to_owned());
        }
    }

    /// Whether `token` is live (minted and not revoked).
    pub fn is_live(&self, token: &str) -> bool {
        lock(&self.live).contains(token)
    }

    /// Tokens revoked so far.
    pub fn revoked(&self) -> Vec<String> {
        lock(&self.revoked).clone()
    }
}

/// The host: one generator behind a lock, an async key check, an async token store.
pub struct AsyncHost {
    generator: Mutex<RecoveryTokenGenerator>,
    key: zeroize::Zeroizing<Vec<u8>>,
    check_latency: Duration,
    /// The token store.
    pub store: TokenStore,
}

impl AsyncHost {
    /// A host expecting `key`, whose check and store answer after `latency`.
    pub fn new(config: GeneratorConfig, key: &[u8], latency: Duration) -> Self {
        Self {
            generator: Mutex::new(RecoveryTokenGenerator::new(config)),
            key: zeroize::Zeroizing::new(key.to_vec()),
            check_latency: latency,
            store: TokenStore::new(latency),
        }
    }

    fn generator(&self) -> MutexGuard<'_, RecoveryTokenGenerator> {
        lock(&self.generator)
    }

    /// `GET .../attempt`.
    pub fn status(&self, strategy: Strategy) -> AttemptStatus {
        self.generator().status(strategy, Instant::now())
    }

    /// `PUT .../attempt` with an empty body (the server generates the OTP).
    pub fn start(&self, strategy: Strategy) -> Result<AttemptStatus, Error> {
        self.generator().start(
            strategy,
            Encoding::GenerateOtp,
            Instant::now(),
            &mut rand::rng(),
        )
    }

    /// `DELETE .../attempt`.
    pub fn cancel(&self) -> Result<(), Error> {
        self.generator().cancel(None, Instant::now())
    }

    /// The asynchronous key check (a barrier unseal, a KMS call...), constant time.
    async fn check_key(&self, key: &CombinedKey) -> Result<(), HostReason> {
        tokio::time::sleep(self.check_latency).await;
        if key.ct_eq_bytes(&self.key) {
            Ok(())
        } else {
            Err("unable to authenticate: combined key does not match".into())
        }
    }

    /// `PUT .../update`. Every lock is taken for one synchronous call and released before the
    /// next `.await`.
    pub async fn update(
        &self,
        strategy: Strategy,
        request: &UpdateRequest,
    ) -> Result<AttemptStatus, Error> {
        let submitted = self.generator().submit(strategy, request, Instant::now())?;
        let pending = match submitted {
            UpdateOutcome::Progress(status) => return Ok(status),
            UpdateOutcome::KeyReady(pending) => pending,
        };
        if let Err(reason) = self.check_key(pending.key()).await {
            return Err(pending.reject_key(&mut self.generator(), reason, Instant::now()));
        }
        match pending.accept_key() {
            KeyAccepted::Recovery(step) => {
                step.issue(&mut self.generator(), Instant::now(), &mut rand::rng())
            }
            KeyAccepted::NeedsToken(step) => {
                let token = match self.store.mint(step.strategy()).await {
                    Ok(token) => token,
                    Err(reason) => {
                        return Err(step.mint_failed(
                            &mut self.generator(),
                            HostReason::new(reason),
                            Instant::now(),
                        ));
                    }
                };
                let issued = step.issue(
                    &mut self.generator(),
                    token,
                    Instant::now(),
                    &mut rand::rng(),
                );
                match issued {
                    Ok(status) => Ok(status),
                    Err(unissued) => {
                        self.store.revoke(unissued.token()).await;
                        Err(unissued.into_error())
                    }
                }
            }
        }
    }
}

/// Splits `key` into `n` Vault-layout shares, `t` needed (vsss-rs, as the example server does).
pub fn split(key: &[u8; 32], t: usize, n: usize) -> Vec<KeyShare> {
    vsss_rs::Gf256::split_bytes(t, n, key, rand::rng())
        .unwrap()
        .iter()
        .map(|s| KeyShare::from_vsss_layout(s, &KeyShare::DEFAULT_LENGTHS).unwrap())
        .collect()
}

/// An update request carrying `share` in hex.
pub fn request(share: &KeyShare, nonce: &str) -> UpdateRequest {
    let hex: String = share
        .expose_secret()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    UpdateRequest {
        key: hex.into(),
        nonce: nonce.to_owned(),
    }
}

/// One root ceremony through the async host; the holders submit concurrently.
pub async fn root_ceremony(
    host: &Arc<AsyncHost>,
    shares: &[KeyShare],
) -> (AttemptStatus, Vec<Result<AttemptStatus, Error>>) {
    let started = host.start(Strategy::Root).unwrap();
    let mut tasks = Vec::new();
    for share in shares {
        let host = Arc::clone(host);
        let request = request(share, &started.nonce);
        tasks.push(tokio::spawn(async move {
            host.update(Strategy::Root, &request).await
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    (started, results)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut key = [0u8; 32];
    rand_core::Rng::fill_bytes(&mut rand::rng(), &mut key);
    let shares = split(&key, 3, 5);
    let config = GeneratorConfig::builder(3)
        .with_key_length(key.len())
        .build()
        .unwrap();
    let host = Arc::new(AsyncHost::new(config, &key, Duration::from_millis(20)));

    for fault in [Some(Fault::Unavailable), Some(Fault::WrongFormat), None] {
        if let Some(f) = fault {
            host.store.inject(f);
        }
        let started = host.start(Strategy::Root).unwrap();
        let mut last = None;
        for share in &shares[..3] {
            last = Some(
                host.update(Strategy::Root, &request(share, &started.nonce))
                    .await,
            );
        }
        println!("== root ceremony, injected fault: {fault:?}");
        match last.unwrap() {
            Ok(done) => {
                let token = decode_token(
                    &done.encoded_token,
                    started.otp.expose_secret(),
                    started.otp.len(),
                )
                .unwrap();
                println!(
                    "issued; the token is live in the store: {}",
                    host.store.is_live(token.expose_secret())
                );
            }
            Err(e) => {
                println!("refused: {e}");
                println!("status: {}", host.status(Strategy::Root).to_json());
                host.cancel().unwrap();
            }
        }
    }
    println!("revoked tokens: {}", host.store.revoked().len());
}
