//! Vault's root, recovery and DR operation token generation served over HTTP: a command line
//! over the crate's server (`recovery_token::adapter`, feature `server`).
//!
//! ```sh
//! cargo run --release --features server --example server -- --help
//! ```
//!
//! The crate does everything protocol-shaped (the HTTP face: routes, method rules, decoders,
//! texts, who may call) and everything a deployment needs from the transport (the adapter:
//! zeroizing capped body reads, header/body/write timeouts, a connection cap and lifetime, PGP
//! parsing on blocking threads, expiry timers, cancellation safety). This file owns what only a
//! host knows: the key (random and split, or `--key-hex` / `--key-file`), the tokens that may
//! call (`--token-file` and the root tokens it minted), the minting of root tokens, and where
//! audit events go (`--audit-log`: stderr).

use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::{Rng as _, RngExt as _};
use recovery_token::HostReason;
use recovery_token::adapter::{Server, ServerConfig, ServerHost, Verdict};
use recovery_token::audit::AuditEvent;
use recovery_token::http::{Access, Authorize, Face};
use recovery_token::shares::{KeyShare, ShareRegistry};
use recovery_token::tokens::{BASE62_ALPHABET, TokenFormat, TokenProfile};
use recovery_token::{
    CombinedKey, Dialect, GeneratorConfig, RecoveryTokenGenerator, Strategy, Token,
};
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
    listen: Option<String>,
    threshold: Option<usize>,
    shares: Option<usize>,
    key: Option<Zeroizing<Vec<u8>>>,
    legacy: bool,
    openbao: bool,
    recovery_mode: bool,
    namespaces: Vec<String>,
    access: Access,
    token_file: Option<String>,
    lax_share_sets: bool,
    audit_log: bool,
    attempt_lifetime: Option<u64>,
    no_disclose_nonce: bool,
    cancel_requires_nonce: bool,
    share_registry: Option<String>,
    holders_only: bool,
    max_request_size: Option<usize>,
    config: recovery_token::adapter::ServerConfigBuilder,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut o = Options::default();
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
                let v = value()?;
                v.parse::<std::net::SocketAddr>()
                    .map_err(|e| format!("--listen {v}: {e}"))?;
                o.listen = Some(v);
            }
            "--threshold" => o.threshold = Some(number(value()?)?),
            "--shares" => o.shares = Some(number(value()?)?),
            "--key-hex" => o.key = Some(parse_key_hex(&value()?)?),
            "--key-file" => {
                let path = value()?;
                let text = Zeroizing::new(
                    std::fs::read_to_string(&path)
                        .map_err(|e| format!("--key-file {path}: {e}"))?,
                );
                o.key = Some(parse_key_hex(text.trim())?);
            }
            "--legacy-tokens" => o.legacy = true,
            "--openbao" => o.openbao = true,
            "--recovery-mode" => o.recovery_mode = true,
            "--namespace" => o.namespaces.push(value()?),
            "--enable-unauthenticated-access" => {
                let list = value()?;
                let names: Vec<&str> = list.split(',').map(str::trim).collect();
                o.access = Access::enable_unauthenticated(&names)
                    .map_err(|e| format!("--enable-unauthenticated-access: {e}"))?;
            }
            "--token-file" => o.token_file = Some(value()?),
            "--no-strict-share-sets" => o.lax_share_sets = true,
            "--audit-log" => o.audit_log = true,
            "--attempt-lifetime" => {
                let v = value()?;
                o.attempt_lifetime = Some(
                    v.parse()
                        .map_err(|_| format!("--attempt-lifetime: not seconds: {v:?}"))?,
                );
            }
            "--no-disclose-nonce" => o.no_disclose_nonce = true,
            "--cancel-requires-nonce" => o.cancel_requires_nonce = true,
            "--share-registry" => o.share_registry = Some(value()?),
            "--holders-only-start-cancel" => o.holders_only = true,
            "--header-timeout" => o.config = o.config.header_timeout(secs(value()?)?),
            "--body-timeout" => o.config = o.config.body_timeout(secs(value()?)?),
            "--write-timeout" => o.config = o.config.write_timeout(secs(value()?)?),
            "--max-connections" => match number(value()?)? {
                0 => return Err("--max-connections must be at least 1".to_owned()),
                n => o.config = o.config.max_connections(n),
            },
            "--max-request-size" => o.max_request_size = Some(number(value()?)?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let t = o.threshold.unwrap_or(3);
    match (t, o.shares) {
        (0 | 256.., _) => return Err(format!("--threshold must be 1..=255, got {t}")),
        (1, Some(n)) if n != 1 => {
            return Err("with --threshold 1 the key itself is the only share".into());
        }
        (t, Some(n)) if !(t..=255).contains(&n) => {
            return Err(format!("--shares must be {t}..=255"));
        }
        _ => {}
    }
    if !o.namespaces.is_empty() && !o.openbao {
        return Err("--namespace needs --openbao".to_owned());
    }
    if o.recovery_mode && (!o.openbao || !o.namespaces.is_empty()) {
        return Err("--recovery-mode needs --openbao and serves no --namespace".to_owned());
    }
    Ok(o)
}

fn parse_key_hex(hex: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let digits = hex.as_bytes();
    if !digits.len().is_multiple_of(2) || !(32..=64).contains(&digits.len()) {
        return Err("the key must be 16 to 32 bytes as hex digits".to_owned());
    }
    let mut key = Zeroizing::new(Vec::with_capacity(digits.len() / 2));
    for pair in digits.chunks_exact(2) {
        let text = std::str::from_utf8(pair).map_err(|_| "the key is not hex".to_owned())?;
        key.push(u8::from_str_radix(text, 16).map_err(|_| "the key is not hex".to_owned())?);
    }
    Ok(key)
}

/// The key (random, or given), the shares to print as `vault operator init` does, and the
/// share registry: made with the split (and written to `--share-registry`), or read from it.
fn make_key(o: &Options, t: usize) -> Result<KeySet, String> {
    if let Some(key) = &o.key {
        let registry = o.share_registry.as_deref().map(read_registry).transpose()?;
        return Ok((key.clone(), Vec::new(), registry));
    }
    let mut rng = rand::rng();
    let mut key = Zeroizing::new(vec![0u8; 32]);
    rng.fill_bytes(&mut key);
    let count = match (t, o.shares) {
        (1, _) => 1,
        (t, n) => n.unwrap_or(t.max(5)),
    };
    let (shares, registry) =
        KeyShare::split_with_registry(&key, t, count, &mut rng).map_err(|e| e.to_string())?;
    if let Some(path) = &o.share_registry {
        std::fs::write(path, format!("{}\n", registry.to_text()))
            .map_err(|e| format!("writing {path}: {e}"))?;
    }
    Ok((key, shares, Some(registry)))
}

/// A key, the shares to print, and their registry.
type KeySet = (Zeroizing<Vec<u8>>, Vec<KeyShare>, Option<ShareRegistry>);

/// Reads a registry, refusing a file larger than the parser accepts before reading it whole.
fn read_registry(path: &str) -> Result<ShareRegistry, String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| format!("reading {path}: {e}"))?;
    let limit =
        u64::try_from(ShareRegistry::MAX_TEXT_LEN).map_or(u64::MAX, |n| n.saturating_add(1));
    let mut text = String::new();
    file.take(limit)
        .read_to_string(&mut text)
        .map_err(|e| format!("reading {path}: {e}"))?;
    ShareRegistry::parse(&text).map_err(|e| format!("{path}: {e}"))
}

/// What this host owns: the keys (one per namespace), the tokens that may call, the audit sink.
struct Host {
    /// `(namespace, key)`; `None` is the root namespace.
    keys: Vec<(Option<String>, Zeroizing<Vec<u8>>)>,
    /// From `--token-file`: authorized everywhere.
    tokens: Vec<Token>,
    /// Root tokens this server minted, with their namespace.
    minted: Mutex<Vec<(Token, Option<String>)>>,
    audit_log: bool,
}

impl ServerHost for Host {
    async fn authorize(&self, request: &Authorize) -> Verdict {
        let Some(presented) = request.token() else {
            return Verdict::UnknownToken;
        };
        let p = presented.expose_secret();
        let mut allowed = false;
        for t in &self.tokens {
            allowed |= t.ct_eq_str(p);
        }
        // A root token minted in a namespace is a valid token outside it too, without the
        // policy there: OpenBao answers that with its other 403 text (observed on 2.7.2).
        let mut elsewhere = false;
        let minted = self.minted.lock().unwrap_or_else(|e| e.into_inner());
        for (t, ns) in minted.iter() {
            let same = t.ct_eq_str(p);
            let here = ns.is_none() || ns.as_deref() == request.namespace();
            allowed |= same && here;
            elsewhere |= same && !here;
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

    async fn mint(
        &self,
        strategy: Strategy,
        format: TokenFormat,
        ns: Option<&str>,
    ) -> Result<Token, HostReason> {
        let token = format.mint(&mut rand::rng());
        if strategy == Strategy::Root {
            let mut minted = self.minted.lock().unwrap_or_else(|e| e.into_inner());
            minted.push((Token::from(token.expose_secret()), ns.map(str::to_owned)));
        }
        Ok(token)
    }

    async fn revoke(&self, token: &Token, _: Strategy, _: Option<&str>) {
        self.minted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(t, _)| t != token);
    }

    fn audit(&self, ns: Option<&str>, event: AuditEvent) {
        if self.audit_log {
            eprintln!(
                "audit{}: {event:?}",
                ns.map(|n| format!(" ({n})")).unwrap_or_default()
            );
        }
    }
}

fn generator(
    o: &Options,
    t: usize,
    key_len: usize,
    profile: TokenProfile,
    registry: Option<ShareRegistry>,
) -> Result<RecoveryTokenGenerator, String> {
    let dialect = if o.openbao {
        Dialect::OpenBao
    } else {
        Dialect::Vault
    };
    let mut config = GeneratorConfig::builder(t)
        .with_profile(profile)
        .with_dialect(dialect)
        .with_disclose_nonce_in_errors(!o.no_disclose_nonce)
        .with_cancel_requires_nonce(o.cancel_requires_nonce)
        .with_holders_only_start_cancel(o.holders_only);
    // The registry checks updates when asked for (or needed by holders-only start and cancel).
    if let Some(registry) = registry.filter(|_| o.share_registry.is_some() || o.holders_only) {
        config = config.with_share_registry(registry);
    }
    if !o.lax_share_sets {
        config = config.with_key_length(key_len); // a share of another length is refused at once
    }
    match o.attempt_lifetime.unwrap_or(3600) {
        0 => {}
        secs => config = config.with_attempt_lifetime(Duration::from_secs(secs)),
    }
    Ok(RecoveryTokenGenerator::new(
        config.build().map_err(|e| e.to_string())?,
    ))
}

fn print_shares(shares: &[KeyShare], ns: Option<&str>) {
    for (k, share) in shares.iter().enumerate() {
        let label = ns.map(|n| format!(" ({n})")).unwrap_or_default();
        println!(
            "Unseal Key {}{label}: {}",
            k + 1,
            STANDARD.encode(share.expose_secret())
        );
    }
}

async fn run(o: Options) -> Result<(), String> {
    let t = o.threshold.unwrap_or(3);
    let profile = match (o.openbao, o.legacy) {
        (true, _) => TokenProfile::OPENBAO,
        (false, true) => TokenProfile::LEGACY,
        (false, false) => TokenProfile::VAULT,
    };
    let (key, shares, registry) = make_key(&o, t)?;
    let mut face = Face::new(generator(&o, t, key.len(), profile, registry)?)
        .with_access(o.access)
        .with_recovery_mode(o.recovery_mode);
    if let Some(limit) = o.max_request_size {
        face = face.with_body_limit(limit);
    }
    let mut keys = vec![(None, key)];
    let mut namespace_shares = Vec::new();
    for name in &o.namespaces {
        // A namespace id as OpenBao makes them: six base62 characters (OTP 33, observed).
        let id: String = (0..6)
            .filter_map(|_| {
                BASE62_ALPHABET
                    .get(rand::rng().random_range(0..62))
                    .map(|b| char::from(*b))
            })
            .collect();
        let format = TokenFormat::SERVICE_ROOT
            .in_namespace(&id)
            .map_err(|e| e.to_string())?;
        let (ns_key, ns_shares, ns_registry) = make_key(
            &Options {
                shares: o.shares,
                ..Options::default()
            },
            t,
        )?;
        let g = generator(
            &o,
            t,
            ns_key.len(),
            TokenProfile::new(format, profile.format(Strategy::Recovery)),
            ns_registry,
        )?;
        face.add_namespace(name, g)
            .map_err(|e| format!("--namespace {name}: {e}"))?;
        let canonical = format!("{}/", name.trim_matches('/'));
        keys.push((Some(canonical), ns_key));
        namespace_shares.push((name.clone(), ns_shares));
    }
    let tokens = match &o.token_file {
        None => Vec::new(),
        Some(path) => {
            let text = Zeroizing::new(
                std::fs::read_to_string(path).map_err(|e| format!("--token-file {path}: {e}"))?,
            );
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(Token::from)
                .collect()
        }
    };
    let host = Host {
        keys,
        tokens,
        minted: Mutex::new(Vec::new()),
        audit_log: o.audit_log,
    };
    let listen = o.listen.as_deref().unwrap_or("127.0.0.1:8200");
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    print_shares(&shares, None);
    for (name, s) in &namespace_shares {
        print_shares(s, Some(name));
    }
    drop((shares, namespace_shares));
    println!(
        "\nKey threshold: {t}. OTP length: {}.",
        profile.otp_length(Strategy::Recovery)
    );
    let shutdown = shutdown_signal()?;
    println!("Listening on http://{addr}");
    use std::io::Write as _;
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let config: ServerConfig = o.config.build();
    Server::new(face, host, config)
        .serve(listener, shutdown)
        .await
        .map_err(|e| e.to_string())
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
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(run(options));
    runtime.shutdown_timeout(Duration::from_secs(1));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("server: {msg}");
            ExitCode::FAILURE
        }
    }
}
