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

use std::process::ExitCode;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand::Rng as _;
use recovery_token::adapter::{Server, ServerConfigBuilder, ServerHost, Verdict};
use recovery_token::audit::AuditEvent;
use recovery_token::http::{Access, Authorize, Face, MintToken};
use recovery_token::shares::{KeyShare, ShareRegistry};
use recovery_token::tokens::{TokenFormat, TokenProfile, generate_otp};
use recovery_token::{CombinedKey, Dialect, GeneratorConfig, HostReason};
use recovery_token::{RecoveryTokenGenerator, Strategy, Token};
use zeroize::Zeroizing;

const USAGE: &str = "\
usage: server [FLAGS]

  --listen ADDR            address to listen on (default 127.0.0.1:8200; port 0 picks one)
  --threshold T            shares needed to recombine the key, 1..=255 (default 3)
  --shares N               shares to print, T..=255 (default 5; 1 when T is 1)
  --key-hex HEX            use this 16- to 32-byte key (no shares printed); for tests: a key on
                           the command line is readable by every local user
  --key-file FILE          read the key (hex) from FILE instead
  --legacy-tokens          26-character OTPs and s./r. tokens (Vault before 1.10)
  --openbao                OpenBao 2.x: its router, texts and tokens (s. root, OTP 26)
  --recovery-mode          (with --openbao) serve as `bao server -recovery` does: only
                           sys/generate-recovery-token/* and sys/raw, Go's 404 page elsewhere
  --namespace NAME         (with --openbao, repeatable) a sealable namespace with its own slot
                           and key set, selected by X-Vault-Namespace
  --enable-unauthenticated-access LIST
                           families anyone may call without a token: generate-root,
                           generate-operation-token (comma-separated; default none, as
                           Vault 2.x and OpenBao 2.6+)
  --token-file FILE        tokens that may call the root and DR families, one per line (the
                           root tokens this server mints may too)
  --allow-ttl              a start may ask for a root token lifetime (\"ttl\": a Go duration,
                           1h30m): the root token minted then stops being authorized that long
                           after it was minted (refused with a 400 without this flag)
  --no-strict-share-sets   Vault's behaviour: accept shares of any length until the combine
  --audit-log              print the audit events (shares named by keyed hash) to stderr
  --attempt-lifetime SECS  an attempt expires, its shares wiped, SECS after its start
                           (default 3600; 0 = never, Vault's behaviour)
  --no-disclose-nonce      a wrong-nonce update is refused without repeating the nonce
  --cancel-requires-nonce  a cancel must name the nonce: DELETE body {\"nonce\":\"..\"} or ?nonce=
  --share-registry FILE    the share registry (public): written when this server splits the key,
                           read with --key-hex/--key-file; foreign shares are refused at once
  --holders-only-start-cancel
                           a start and a cancel must carry a registered share in the body's
                           \"key\" (needs --share-registry with a given key)
  --header-timeout SECS    close a connection whose request headers take longer (default 10)
  --body-timeout SECS      answer 408 and close when a body takes longer (default 30)
  --write-timeout SECS     close a connection whose answer goes unread that long (default 10)
  --max-connections N      connections served at once; more wait to be accepted (default 256)
  --max-request-size BYTES larger request bodies get 413 (default 2097152)";

#[derive(Default)]
struct Options {
    listen: String,
    threshold: usize,
    shares: Option<usize>,
    key: Option<Zeroizing<Vec<u8>>>,
    legacy: bool,
    dialect: Dialect,
    recovery_mode: bool,
    namespaces: Vec<String>,
    access: Access,
    token_file: Option<String>,
    allow_ttl: bool,
    lax_share_sets: bool,
    audit_log: bool,
    attempt_lifetime: u64,
    no_disclose_nonce: bool,
    cancel_requires_nonce: bool,
    share_registry: Option<String>,
    holders_only: bool,
    max_request_size: Option<usize>,
    server: ServerConfigBuilder,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut o = Options {
        listen: "127.0.0.1:8200".to_owned(),
        threshold: 3,
        attempt_lifetime: 3600,
        ..Options::default()
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| {
            v.parse::<usize>()
                .map_err(|_| format!("{flag}: not a number: {v:?}"))
        };
        let secs = |v: String| match v.parse::<u64>() {
            Ok(s @ 1..=86_400) => Ok(Duration::from_secs(s)),
            _ => Err(format!("{flag} must be 1..=86400 seconds, got {v:?}")),
        };
        match flag.as_str() {
            "--listen" => {
                o.listen = value()?;
                let parsed = o.listen.parse::<std::net::SocketAddr>();
                parsed.map_err(|e| format!("--listen {}: {e}", o.listen))?;
            }
            "--threshold" => o.threshold = number(value()?)?,
            "--shares" => o.shares = Some(number(value()?)?),
            "--key-hex" => o.key = Some(parse_key_hex(&value()?)?),
            "--key-file" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path).map(Zeroizing::new);
                let text = text.map_err(|e| format!("--key-file {path}: {e}"))?;
                o.key = Some(parse_key_hex(text.trim())?);
            }
            "--legacy-tokens" => o.legacy = true,
            "--openbao" => o.dialect = Dialect::OpenBao,
            "--recovery-mode" => o.recovery_mode = true,
            "--namespace" => o.namespaces.push(value()?),
            "--enable-unauthenticated-access" => {
                let list = value()?;
                let names: Vec<&str> = list.split(',').map(str::trim).collect();
                o.access = Access::enable_unauthenticated(&names)
                    .map_err(|e| format!("--enable-unauthenticated-access: {e}"))?;
            }
            "--token-file" => o.token_file = Some(value()?),
            "--allow-ttl" => o.allow_ttl = true,
            "--no-strict-share-sets" => o.lax_share_sets = true,
            "--audit-log" => o.audit_log = true,
            "--attempt-lifetime" => {
                let v = value()?;
                let secs = v.parse().map_err(|_| format!("{flag}: not seconds: {v:?}"));
                o.attempt_lifetime = secs?;
            }
            "--no-disclose-nonce" => o.no_disclose_nonce = true,
            "--cancel-requires-nonce" => o.cancel_requires_nonce = true,
            "--share-registry" => o.share_registry = Some(value()?),
            "--holders-only-start-cancel" => o.holders_only = true,
            "--header-timeout" => o.server = o.server.header_timeout(secs(value()?)?),
            "--body-timeout" => o.server = o.server.body_timeout(secs(value()?)?),
            "--write-timeout" => o.server = o.server.write_timeout(secs(value()?)?),
            "--max-connections" => match number(value()?)? {
                0 => return Err("--max-connections must be at least 1".to_owned()),
                n => o.server = o.server.max_connections(n),
            },
            "--max-request-size" => o.max_request_size = Some(number(value()?)?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    match (o.threshold, o.shares) {
        (t @ (0 | 256..), _) => Err(format!("--threshold must be 1..=255, got {t}")),
        (1, Some(n)) if n != 1 => Err("with --threshold 1 the key itself is the only share".into()),
        (t, Some(n)) if !(t..=255).contains(&n) => Err(format!("--shares must be {t}..=255")),
        _ if !o.namespaces.is_empty() && o.dialect != Dialect::OpenBao => {
            Err("--namespace needs --openbao".into())
        }
        _ if o.recovery_mode && (o.dialect != Dialect::OpenBao || !o.namespaces.is_empty()) => {
            Err("--recovery-mode needs --openbao and serves no --namespace".into())
        }
        _ => Ok(o),
    }
}

fn parse_key_hex(hex: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let bad = || "the key must be 16 to 32 bytes as hex digits".to_owned();
    if !(32..=64).contains(&hex.len()) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut key = Zeroizing::new(Vec::with_capacity(hex.len() / 2));
    for pair in hex.as_bytes().chunks(2) {
        let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
        key.push(u8::from_str_radix(pair, 16).map_err(|_| bad())?);
    }
    Ok(key)
}

/// A key, the shares to print as `vault operator init` does (none for a given key), and the
/// share registry: made with the split (and written to `registry_file`), or read from it.
type KeySet = (Zeroizing<Vec<u8>>, Vec<KeyShare>, Option<ShareRegistry>);

fn key_set(
    o: &Options,
    given: Option<&Zeroizing<Vec<u8>>>,
    registry_file: Option<&str>,
) -> Result<KeySet, String> {
    if let Some(key) = given {
        let read = |path: &str| std::fs::File::open(path).and_then(ShareRegistry::read_from);
        let registry = registry_file.map(|p| read(p).map_err(|e| format!("reading {p}: {e}")));
        return Ok((key.clone(), Vec::new(), registry.transpose()?));
    }
    let mut rng = rand::rng();
    let mut key = Zeroizing::new(vec![0u8; 32]);
    rng.fill_bytes(&mut key);
    let count = match o.threshold {
        1 => 1,
        t => o.shares.unwrap_or(t.max(5)),
    };
    let (shares, registry) = KeyShare::split_with_registry(&key, o.threshold, count, &mut rng)
        .map_err(|e| e.to_string())?;
    if let Some(path) = registry_file {
        std::fs::write(path, format!("{registry}\n"))
            .map_err(|e| format!("writing {path}: {e}"))?;
    }
    Ok((key, shares, Some(registry)))
}

/// A root token this server minted: authorized in its namespace (everywhere for `None`) until
/// `expires`, by the server's monotonic clock, when its start asked for a lifetime.
struct Minted {
    token: Token,
    namespace: Option<String>,
    expires: Option<Instant>,
}

/// What this host owns: the keys (one per namespace), the tokens that may call, the audit sink.
struct Host {
    /// `(namespace, key)`; `None` is the root namespace.
    keys: Vec<(Option<String>, Zeroizing<Vec<u8>>)>,
    /// From `--token-file`: authorized everywhere, for ever.
    tokens: Vec<Token>,
    minted: Mutex<Vec<Minted>>,
    audit_log: bool,
}

impl Host {
    /// The minted tokens still alive: the expired ones are dropped first, by the clock alone
    /// (never by the presented token's bytes), so an expired token is unknown like any other.
    fn minted(&self) -> MutexGuard<'_, Vec<Minted>> {
        let mut minted = self.minted.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        minted.retain(|m| m.expires.is_none_or(|at| now < at));
        minted
    }
}

impl ServerHost for Host {
    async fn authorize(&self, request: &Authorize) -> Verdict {
        let Some(presented) = request.token() else {
            return Verdict::UnknownToken;
        };
        let p = presented.expose_secret();
        // Every token compared in constant time, no early exit (`|`, `&`: no short circuit).
        let mut allowed = self.tokens.iter().fold(false, |k, t| k | t.ct_eq_str(p));
        // A root token minted in a namespace is a valid token outside it too, without the
        // policy there: OpenBao answers that with its other 403 text (observed on 2.7.2).
        let mut elsewhere = false;
        for m in self.minted().iter() {
            let same = m.token.ct_eq_str(p);
            let here = m.namespace.is_none() || m.namespace.as_deref() == request.namespace();
            allowed |= same & here;
            elsewhere |= same & !here;
        }
        if allowed {
            Verdict::Allow
        } else if elsewhere {
            Verdict::NotPermitted
        } else {
            Verdict::UnknownToken
        }
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
            self.minted().push(Minted {
                token: Token::from(token.expose_secret()),
                namespace: request.namespace().map(str::to_owned),
                expires,
            });
        }
        Ok(token)
    }

    async fn revoke(&self, token: &Token, _: Strategy, _: Option<&str>) {
        self.minted().retain(|m| m.token != *token);
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
    let mut config = GeneratorConfig::builder(o.threshold)
        .with_profile(profile)
        .with_dialect(o.dialect)
        .with_disclose_nonce_in_errors(!o.no_disclose_nonce)
        .with_cancel_requires_nonce(o.cancel_requires_nonce)
        .with_holders_only_start_cancel(o.holders_only)
        .with_ttl_supported(o.allow_ttl);
    // The registry checks updates when asked for (or needed by holders-only start and cancel).
    if let Some(registry) = registry.filter(|_| o.share_registry.is_some() || o.holders_only) {
        config = config.with_share_registry(registry);
    }
    if !o.lax_share_sets {
        config = config.with_key_length(key_len); // a share of another length is refused at once
    }
    if o.attempt_lifetime != 0 {
        config = config.with_attempt_lifetime(Duration::from_secs(o.attempt_lifetime));
    }
    Ok(RecoveryTokenGenerator::new(
        config.build().map_err(|e| e.to_string())?,
    ))
}

async fn run(o: Options) -> Result<(), String> {
    let profile = match (o.dialect, o.legacy) {
        (Dialect::OpenBao, _) => TokenProfile::OPENBAO,
        (_, true) => TokenProfile::LEGACY,
        (_, false) => TokenProfile::VAULT,
    };
    let (key, shares, registry) = key_set(&o, o.key.as_ref(), o.share_registry.as_deref())?;
    let mut face = Face::new(generator(&o, key.len(), profile, registry)?)
        .with_access(o.access)
        .with_recovery_mode(o.recovery_mode);
    if let Some(limit) = o.max_request_size {
        face = face.with_body_limit(limit);
    }
    let (mut keys, mut printed) = (vec![(None, key)], vec![(String::new(), shares)]);
    for name in &o.namespaces {
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
    let tokens = match &o.token_file {
        None => Vec::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map(Zeroizing::new);
            let text = text.map_err(|e| format!("--token-file {path}: {e}"))?;
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(Token::from)
                .collect()
        }
    };
    let listener = tokio::net::TcpListener::bind(&o.listen).await;
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
    let (minted, audit_log) = (Mutex::default(), o.audit_log);
    let host = Host {
        keys,
        tokens,
        minted,
        audit_log,
    };
    let served = Server::new(face, host, o.server.build()).serve(listener, shutdown);
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
    let options = match parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(msg) if msg.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("server: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let served = runtime
        .map_err(|e| format!("cannot start the runtime: {e}"))
        .and_then(|rt| {
            let served = rt.block_on(run(options));
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
