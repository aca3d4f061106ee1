//! The one test host: a sync [`recovery_token::Host`] ([`TestHost`]) and, with the `server`
//! feature, the async [`recovery_token::adapter::ServerHost`] over it ([`AsyncTestHost`]).
//!
//! It checks the combined key against the expected key in constant time, mints a fixed token or
//! one of a token format (from an rng it owns), or refuses to mint; and it records every token it
//! minted, the lifetime each mint was asked for, and every revocation, in order.

use std::time::Duration;

use recovery_token::tokens::TokenProfile;
use recovery_token::{CombinedKey, ExpectedKey, Host, HostReason, Strategy, Token};

use super::ScriptedRng;

/// The reason [`TestHost`] gives for a wrong key (the host's own text, Vault's wording).
pub const WRONG_KEY: &str = "unable to authenticate";

/// What [`TestHost`] mints.
#[derive(Clone, Debug)]
pub enum Mint {
    /// This token, every time.
    Fixed(String),
    /// A fresh token of the profile's format for the strategy (the async host: of the format the
    /// face asks for).
    Profile(TokenProfile),
    /// Nothing: it refuses exactly as a host that does not implement the mint step (the
    /// `Host` trait's default).
    Refuse,
}

/// The configurable sync test host. The records are public: tests read them directly.
pub struct TestHost {
    key: Vec<u8>,
    mint: Mint,
    rng: ScriptedRng,
    /// Every token minted, in order.
    pub minted: Vec<String>,
    /// The lifetime each mint was asked for (`mint_token_for`), in order; refused mints too.
    pub ttls: Vec<Option<Duration>>,
    /// Every token revoked, in order.
    pub revoked: Vec<String>,
}

impl TestHost {
    /// Expects `key`; mints fresh tokens of the Vault profile.
    pub fn new(key: &[u8]) -> Self {
        Self {
            key: key.to_vec(),
            mint: Mint::Profile(TokenProfile::VAULT),
            rng: ScriptedRng::seeded(0x7e57),
            minted: Vec::new(),
            ttls: Vec::new(),
            revoked: Vec::new(),
        }
    }

    /// Mints this token every time.
    pub fn minting(self, token: &str) -> Self {
        self.with_mint(Mint::Fixed(token.to_owned()))
    }

    /// Mints fresh tokens of `profile`.
    pub fn with_profile(self, profile: TokenProfile) -> Self {
        self.with_mint(Mint::Profile(profile))
    }

    /// Refuses to mint.
    pub fn refusing(self) -> Self {
        self.with_mint(Mint::Refuse)
    }

    pub fn with_mint(mut self, mint: Mint) -> Self {
        self.mint = mint;
        self
    }

    /// Mints with this rng.
    pub fn with_rng(mut self, rng: ScriptedRng) -> Self {
        self.rng = rng;
        self
    }

    /// Is `key` the expected one (constant time)?
    pub fn key_matches(&self, key: &CombinedKey) -> bool {
        key.ct_eq_bytes(&self.key)
    }

    /// The last token minted.
    pub fn last_minted(&self) -> Option<&str> {
        self.minted.last().map(String::as_str)
    }

    /// Mints for `strategy` (of `format` when the mint is by profile and a format is given),
    /// records the lifetime asked for and the token.
    pub fn mint_as(
        &mut self,
        strategy: Strategy,
        format: Option<recovery_token::tokens::TokenFormat>,
        ttl: Option<Duration>,
    ) -> Result<Token, HostReason> {
        self.ttls.push(ttl);
        let token = match &self.mint {
            Mint::Fixed(t) => Token::from(t.as_str()),
            Mint::Profile(profile) => format
                .unwrap_or_else(|| profile.format(strategy))
                .mint(&mut self.rng),
            // A host that leaves the mint step to the trait's default: the crate's own refusal.
            Mint::Refuse => return ExpectedKey::new(&[]).mint_token_for(strategy, ttl),
        };
        self.minted.push(token.expose_secret().to_owned());
        Ok(token)
    }

    pub fn record_revoked(&mut self, token: &Token) {
        self.revoked.push(token.expose_secret().to_owned());
    }
}

impl Host for TestHost {
    fn check_key(&mut self, _: Strategy, key: &CombinedKey) -> Result<(), HostReason> {
        if self.key_matches(key) {
            Ok(())
        } else {
            Err(WRONG_KEY.into())
        }
    }

    fn mint_token(&mut self, strategy: Strategy) -> Result<Token, HostReason> {
        self.mint_as(strategy, None, None)
    }

    fn mint_token_for(
        &mut self,
        strategy: Strategy,
        ttl: Option<Duration>,
    ) -> Result<Token, HostReason> {
        self.mint_as(strategy, None, ttl)
    }

    fn revoke_token(&mut self, _: Strategy, token: &Token) {
        self.record_revoked(token);
    }
}

#[cfg(feature = "server")]
pub use server::AsyncTestHost;

#[cfg(feature = "server")]
mod server {
    use std::sync::{Mutex, MutexGuard};
    use std::time::Duration;

    use recovery_token::adapter::ServerHost;
    use recovery_token::audit::{AuditEvent, AuditEventKind};
    use recovery_token::http::{Authorize, MintToken, Verdict};
    use recovery_token::{CombinedKey, HostReason, Strategy, Token};

    use super::{TestHost, WRONG_KEY};

    /// The adapter's host over a [`TestHost`] (the same checks and records): it knows no token
    /// (every `authorize` is [`Verdict::UnknownToken`]), may wait before each mint, and records
    /// the audit events the adapter hands it, with their namespace.
    pub struct AsyncTestHost {
        inner: Mutex<TestHost>,
        mint_delay: Duration,
        audited: Mutex<Vec<(Option<String>, AuditEventKind)>>,
    }

    impl AsyncTestHost {
        pub fn new(host: TestHost) -> Self {
            Self {
                inner: Mutex::new(host),
                mint_delay: Duration::ZERO,
                audited: Mutex::new(Vec::new()),
            }
        }

        /// The audit events handed to the host so far: namespace and kind, in order.
        pub fn audited(&self) -> Vec<(Option<String>, AuditEventKind)> {
            self.audited.lock().unwrap().clone()
        }

        /// Waits this long (on the runtime's timer) before each mint.
        pub fn with_mint_delay(mut self, delay: Duration) -> Self {
            self.mint_delay = delay;
            self
        }

        /// The sync host and its records.
        pub fn host(&self) -> MutexGuard<'_, TestHost> {
            self.inner.lock().unwrap()
        }
    }

    impl ServerHost for AsyncTestHost {
        async fn authorize(&self, _: &Authorize) -> Verdict {
            Verdict::UnknownToken
        }

        async fn check_key(
            &self,
            _: Strategy,
            _: Option<&str>,
            key: &CombinedKey,
        ) -> Result<(), HostReason> {
            if self.host().key_matches(key) {
                Ok(())
            } else {
                Err(WRONG_KEY.into())
            }
        }

        async fn mint(&self, request: &MintToken) -> Result<Token, HostReason> {
            tokio::time::sleep(self.mint_delay).await;
            self.host()
                .mint_as(request.strategy(), Some(request.format()), request.ttl())
        }

        async fn revoke(&self, token: &Token, _: Strategy, _: Option<&str>) {
            self.host().record_revoked(token);
        }

        fn audit(&self, namespace: Option<&str>, event: AuditEvent) {
            let entry = (namespace.map(str::to_owned), event.kind);
            self.audited.lock().unwrap().push(entry);
        }
    }
}
