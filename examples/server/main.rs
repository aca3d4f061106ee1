//! Vault's root, recovery and DR operation token generation served over HTTP: a thin command
//! line over the crate's server (`recovery_token::adapter`, feature `server`).
//!
//! ```sh
//! cargo run --release --features server --example server -- --help
//! ```
//!
//! The crate does everything protocol-shaped (the HTTP face) and everything a deployment needs
//! from the transport (the adapter: zeroizing capped reads, timeouts, a connection cap, PGP
//! parsing off the workers, expiry timers, cancellation safety). This file owns what only a
//! host knows: the keys, the tokens that may call (`--token-file`, and the root tokens it
//! minted, each until its `ttl` ends), the minting, and where audit events go (stderr).

use std::path::Path;
use std::process::ExitCode;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand::Rng as _;
use recovery_token::adapter::{Server, ServerConfig, ServerHost};
use recovery_token::audit::AuditEvent;
use recovery_token::http::{Authorize, CallerTokens, Face, MintToken, Verdict};
use recovery_token::shares::{KeyShare, ShareRegistry};
use recovery_token::tokens::{TokenFormat, TokenProfile, generate_otp};
use recovery_token::{CombinedKey, Dialect, GeneratorConfig, HostReason};
use recovery_token::{RecoveryTokenGenerator, Strategy, Token};
use zeroize::Zeroizing;

mod flags;

use flags::Options;

type Key = Zeroizing<Vec<u8>>;

/// A key, the shares to print as `vault operator init` does (none for a given key), and the
/// share registry: made with the split (and written to `registry_file`), or read from it.
type KeySet = (Key, Vec<KeyShare>, Option<ShareRegistry>);

fn key_set(
    o: &Options,
    given: Option<&Key>,
    registry_file: Option<&Path>,
) -> Result<KeySet, String> {
    let shown = |p: &Path| p.display().to_string();
    if let Some(key) = given {
        let read = |path: &Path| std::fs::File::open(path).and_then(ShareRegistry::read_from);
        let registry =
            registry_file.map(|p| read(p).map_err(|e| format!("reading {}: {e}", shown(p))));
        return Ok((key.clone(), Vec::new(), registry.transpose()?));
    }
    let (mut rng, threshold) = (rand::rng(), usize::from(o.threshold));
    let mut key = Zeroizing::new(vec![0u8; 32]);
    rng.fill_bytes(&mut key);
    let count = match threshold {
        1 => 1,
        t => o.shares.map_or(t.max(5), usize::from),
    };
    let (shares, registry) = KeyShare::split_with_registry(&key, threshold, count, &mut rng)
        .map_err(|e| e.to_string())?;
    if let Some(path) = registry_file {
        std::fs::write(path, format!("{registry}\n"))
            .map_err(|e| format!("writing {}: {e}", shown(path)))?;
    }
    Ok((key, shares, Some(registry)))
}

/// What this host owns: the keys (one per namespace), the tokens that may call, the audit sink.
struct Host {
    /// `(namespace, key)`; `None` is the root namespace.
    keys: Vec<(Option<String>, Key)>,
    /// `--token-file`'s tokens (everywhere, for ever) and the root tokens minted here.
    callers: Mutex<CallerTokens>,
    audit_log: bool,
}

impl Host {
    fn callers(&self) -> MutexGuard<'_, CallerTokens> {
        self.callers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ServerHost for Host {
    async fn authorize(&self, request: &Authorize) -> Verdict {
        self.callers().verdict(request, Instant::now())
    }

    async fn check_key(
        &self,
        _: Strategy,
        ns: Option<&str>,
        key: &CombinedKey,
    ) -> Result<(), HostReason> {
        match self.keys.iter().find(|(n, _)| n.as_deref() == ns) {
            Some((_, expected)) if key.ct_eq_bytes(expected) => Ok(()),
            _ => Err("unable to authenticate: combined key does not match".into()),
        }
    }

    async fn mint(&self, request: &MintToken) -> Result<Token, HostReason> {
        // `ttl` is only ever set with --allow-ttl (the generator refuses it otherwise).
        let expires = match request.ttl() {
            None => None,
            Some(ttl) => Some(Instant::now().checked_add(ttl).ok_or("ttl is too long")?),
        };
        let token = request.format().mint(&mut rand::rng());
        if request.strategy() == Strategy::Root {
            let copy = Token::from(token.expose_secret());
            self.callers().insert(copy, request.namespace(), expires);
        }
        Ok(token)
    }

    async fn revoke(&self, token: &Token, _: Strategy, _: Option<&str>) {
        self.callers().remove(token);
    }

    fn audit(&self, ns: Option<&str>, event: AuditEvent) {
        if self.audit_log {
            let ns = ns.map(|n| format!(" ({n})")).unwrap_or_default();
            eprintln!("audit{ns}: {event:?}");
        }
    }
}

fn generator(
    o: &Options,
    key_len: usize,
    profile: TokenProfile,
    registry: Option<ShareRegistry>,
) -> Result<RecoveryTokenGenerator, String> {
    let mut config = GeneratorConfig::builder(usize::from(o.threshold))
        .with_profile(profile)
        .with_dialect(if o.openbao {
            Dialect::OpenBao
        } else {
            Dialect::Vault
        })
        .with_disclose_nonce_in_errors(!o.no_disclose_nonce)
        .with_cancel_requires_nonce(o.cancel_requires_nonce)
        .with_holders_only_start_cancel(o.holders_only_start_cancel)
        .with_ttl_supported(o.allow_ttl);
    // The registry checks updates when asked for (or needed by holders-only start and cancel).
    if let Some(registry) =
        registry.filter(|_| o.share_registry.is_some() || o.holders_only_start_cancel)
    {
        config = config.with_share_registry(registry);
    }
    if !o.no_strict_share_sets {
        config = config.with_key_length(key_len); // a share of another length is refused at once
    }
    if o.attempt_lifetime != 0 {
        config = config.with_attempt_lifetime(Duration::from_secs(o.attempt_lifetime));
    }
    Ok(RecoveryTokenGenerator::new(
        config.build().map_err(|e| e.to_string())?,
    ))
}

fn server_config(o: &Options) -> ServerConfig {
    let config = ServerConfig::builder()
        .header_timeout(Duration::from_secs(o.header_timeout))
        .body_timeout(Duration::from_secs(o.body_timeout))
        .write_timeout(Duration::from_secs(o.write_timeout));
    match o.max_connections {
        Some(n) => config.max_connections(n.get()).build(),
        None => config.build(),
    }
}

async fn run(o: Options, given: Option<Key>) -> Result<(), String> {
    let profile = match (o.openbao, o.legacy_tokens) {
        (true, _) => TokenProfile::OPENBAO,
        (_, true) => TokenProfile::LEGACY,
        (_, false) => TokenProfile::VAULT,
    };
    let (key, shares, registry) = key_set(&o, given.as_ref(), o.share_registry.as_deref())?;
    let mut face = Face::new(generator(&o, key.len(), profile, registry)?)
        .with_access(o.enable_unauthenticated_access)
        .with_recovery_mode(o.recovery_mode);
    if let Some(limit) = o.max_request_size {
        face = face.with_body_limit(limit);
    }
    let (mut keys, mut printed) = (vec![(None, key)], vec![(String::new(), shares)]);
    for name in &o.namespace {
        // Its root tokens carry its id as OpenBao's do: six base62 characters (OTP 33, observed).
        let id = generate_otp(6, &mut rand::rng());
        let root = TokenFormat::SERVICE_ROOT.in_namespace(id.expose_secret());
        let root = root.map_err(|e| e.to_string())?;
        let (ns_key, ns_shares, ns_registry) = key_set(&o, None, None)?;
        let profile = TokenProfile::new(root, profile.format(Strategy::Recovery));
        let g = generator(&o, ns_key.len(), profile, ns_registry)?;
        let canonical = face
            .add_namespace(name, g)
            .map_err(|e| format!("--namespace {name}: {e}"))?;
        keys.push((Some(canonical), ns_key));
        printed.push((format!(" ({name})"), ns_shares));
    }
    let mut callers = CallerTokens::new();
    if let Some(path) = &o.token_file {
        let text = std::fs::read_to_string(path).map(Zeroizing::new);
        let text = text.map_err(|e| format!("--token-file {}: {e}", path.display()))?;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            callers.insert(Token::from(line), None, None);
        }
    }
    let listener = tokio::net::TcpListener::bind(o.listen).await;
    let listener = listener.map_err(|e| format!("cannot listen on {}: {e}", o.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    for (label, shares) in printed {
        for (k, share) in shares.iter().enumerate() {
            let share = share.to_base64();
            println!("Unseal Key {}{label}: {}", k + 1, share.as_str());
        }
    } // the shares are wiped here
    let (t, otp_length) = (o.threshold, profile.otp_length(Strategy::Recovery));
    println!("\nKey threshold: {t}. OTP length: {otp_length}.");
    let shutdown = shutdown_signal()?;
    println!("Listening on http://{addr}");
    std::io::Write::flush(&mut std::io::stdout()).map_err(|e| e.to_string())?;
    let callers = Mutex::new(callers);
    let host = Host {
        keys,
        callers,
        audit_log: o.audit_log,
    };
    let served = Server::new(face, host, server_config(&o)).serve(listener, shutdown);
    served.await.map_err(|e| e.to_string())
}

/// Registers SIGINT / SIGTERM now (a signal right after `Listening on` is caught) and resolves
/// when one arrives.
fn shutdown_signal() -> Result<impl Future<Output = ()>, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

fn main() -> ExitCode {
    let (options, given) = Options::read(); // a bad flag: its error and the usage, exit 2
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let served = runtime
        .map_err(|e| format!("cannot start the runtime: {e}"))
        .and_then(|rt| {
            let served = rt.block_on(run(options, given));
            rt.shutdown_timeout(Duration::from_secs(1)); // a PGP parse in flight: no longer wait
            served
        });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("server: {msg}");
            ExitCode::FAILURE
        }
    }
}
