//! Vault's root and recovery token generation endpoints, served over HTTP by the crate.
//!
//! ```sh
//! cargo run --release --example server -- [--listen ADDR] [--threshold T] [--shares N]
//!                                          [--key-hex HEX] [--legacy-tokens] [--openbao]
//!                                          [--no-strict-share-sets] [--audit-log]
//! ```
//!
//! One attempt slot (a [`RecoveryTokenGenerator`] behind a `std::sync::Mutex`) serves
//! `/v1/sys/generate-recovery-token/{attempt,update}` (the recovery strategy) and
//! `/v1/sys/generate-root/{attempt,update}` (the root strategy) exactly as Vault does, so Vault's
//! own clients (hvac, node-vault, `curl` as in Vault's documentation) drive it unchanged.
//! `GET /v1/sys/raw/<path>` stands for a recovery-mode request: 403 unless `X-Vault-Token`
//! carries the minted recovery token, 404 with it (this example stores nothing).
//!
//! Everything protocol-shaped is the crate's: request parsing (`StartRequest::from_json`,
//! `UpdateRequest::from_json`), the state machine, and the answers (`HttpResponse`). This file
//! only picks the strategy by path, the operation by method, and supplies what a host owns:
//! the clock, the OS random source, the check of the combined key and the minting of root
//! tokens.
//!
//! A `pgp_key` in a start body is parsed against the wall clock (feature `pgp`, on by default);
//! the token is then encrypted to it and holders decrypt with `base64 -d | gpg -dq`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;
#[cfg(feature = "pgp")]
use std::time::SystemTime;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use axum::routing::any;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::Rng as _;
use recovery_token::{
    CombinedKey, Dialect, Encoding, ExpectedKey, GeneratorConfig, Host, HttpResponse, KeyShare,
    RecoveryTokenGenerator, StartRequest, Strategy, Token, TokenProfile, UpdateRequest, mint_token,
};
use zeroize::Zeroizing;

const USAGE: &str = "\
usage: server [--listen ADDR] [--threshold T] [--shares N] [--key-hex HEX] [--legacy-tokens]
              [--openbao] [--no-strict-share-sets] [--audit-log]

  --listen ADDR            address to listen on (default 127.0.0.1:8200; port 0 picks one)
  --threshold T            shares needed to recombine the key, 1..=255 (default 3)
  --shares N               shares to print, T..=255 (default 5; 1 when T is 1)
  --key-hex HEX            use this 16- to 32-byte key instead of a random one (no shares printed)
  --legacy-tokens          26-character OTPs and s./r. tokens (Vault before 1.10)
  --openbao                OpenBao 2.x: its error texts and tokens (s. root, OTP 26; hvr. recovery)
  --no-strict-share-sets   Vault's behaviour: accept shares of another key set until the combine
  --audit-log              print the generator's audit events (shares named by keyed hash) to stderr";

/// The command line.
struct Options {
    listen: SocketAddr,
    threshold: usize,
    shares: Option<usize>,
    key: Option<Zeroizing<Vec<u8>>>,
    profile: TokenProfile,
    dialect: Dialect,
    strict_share_sets: bool,
    audit_log: bool,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut o = Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8200)),
            threshold: 3,
            shares: None,
            key: None,
            profile: TokenProfile::VAULT,
            dialect: Dialect::Vault,
            strict_share_sets: true,
            audit_log: false,
        };
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--listen" => {
                    let v = value()?;
                    o.listen = v.parse().map_err(|e| format!("--listen {v}: {e}"))?;
                }
                "--threshold" => o.threshold = parse_count("--threshold", &value()?)?,
                "--shares" => o.shares = Some(parse_count("--shares", &value()?)?),
                "--key-hex" => o.key = Some(parse_key_hex(&value()?)?),
                "--legacy-tokens" => o.profile = TokenProfile::LEGACY,
                "--openbao" => (o.profile, o.dialect) = (TokenProfile::OPENBAO, Dialect::OpenBao),
                "--no-strict-share-sets" => o.strict_share_sets = false,
                "--audit-log" => o.audit_log = true,
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        if !(1..=255).contains(&o.threshold) {
            return Err(format!("--threshold must be 1..=255, got {}", o.threshold));
        }
        match (o.threshold, o.shares) {
            (1, Some(n)) if n != 1 => {
                return Err("with --threshold 1 the key itself is the only share".to_owned());
            }
            (t, Some(n)) if !(t..=255).contains(&n) => {
                return Err(format!("--shares must be {t}..=255, got {n}"));
            }
            _ => {}
        }
        Ok(o)
    }
}

fn parse_count(flag: &str, v: &str) -> Result<usize, String> {
    v.parse()
        .map_err(|_| format!("{flag} takes a number, got {v:?}"))
}

fn parse_key_hex(hex: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let digits = hex.as_bytes();
    if !digits.len().is_multiple_of(2) || !(32..=64).contains(&digits.len()) {
        return Err("--key-hex takes 16 to 32 bytes as hex digits".to_owned());
    }
    let mut key = Zeroizing::new(Vec::with_capacity(digits.len() / 2));
    for pair in digits.chunks_exact(2) {
        let text = std::str::from_utf8(pair).map_err(|_| "--key-hex: not hex".to_owned())?;
        key.push(u8::from_str_radix(text, 16).map_err(|_| "--key-hex: not hex".to_owned())?);
    }
    Ok(key)
}

/// What this host owns besides the generator: the key check (constant time, through
/// [`ExpectedKey`]) and the minting of root tokens (recovery tokens the generator mints itself).
struct VaultHost {
    key: ExpectedKey,
    profile: TokenProfile,
}

impl Host for VaultHost {
    fn check_key(&mut self, strategy: Strategy, key: &CombinedKey) -> Result<(), String> {
        self.key.check_key(strategy, key)
    }

    fn mint_token(&mut self, strategy: Strategy) -> Result<Token, String> {
        Ok(mint_token(self.profile, strategy, &mut rand::rng()))
    }
}

/// The one attempt slot, shared by both strategies as in Vault.
struct Slot {
    generator: RecoveryTokenGenerator,
    host: VaultHost,
    /// Print audit events (`--audit-log`); they are drained either way.
    audit_log: bool,
}

type App = Arc<Mutex<Slot>>;

/// Locks the slot. Every critical section is short and synchronous: the guard never lives
/// across an `.await`. (No code here panics while holding it; if something did, the state
/// machine is still consistent, since each call either completes or changes nothing.)
fn lock(app: &App) -> Locked<'_> {
    Locked(app.lock().unwrap_or_else(PoisonError::into_inner))
}

/// The locked slot. Before the lock is released, the generator's audit events of the call are
/// drained (the crate queues them; a host decides where they go): printed with `--audit-log`.
/// `Debug` of an event holds no secret: shares appear only as keyed hashes.
struct Locked<'a>(MutexGuard<'a, Slot>);

impl std::ops::Deref for Locked<'_> {
    type Target = Slot;
    fn deref(&self) -> &Slot {
        &self.0
    }
}

impl std::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Slot {
        &mut self.0
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let slot = &mut *self.0;
        while let Some(event) = slot.generator.poll_event() {
            if slot.audit_log {
                eprintln!("audit: {event:?}");
            }
        }
    }
}

/// `/v1/sys/<endpoint>/attempt`: Vault's switch on the method.
fn attempt(app: &App, strategy: Strategy, method: &Method, body: &[u8]) -> HttpResponse {
    let now = Instant::now();
    match *method {
        Method::GET => HttpResponse::ok(&lock(app).generator.status(strategy, now)),
        Method::PUT | Method::POST => {
            let result = StartRequest::from_json(body)
                .and_then(|request| with_wall_clock(request.into_encoding()))
                .and_then(|encoding| {
                    lock(app)
                        .generator
                        .start(strategy, encoding, now, &mut rand::rng())
                });
            HttpResponse::from_result_in(&result, dialect(app))
        }
        Method::DELETE => {
            let result = lock(app).generator.cancel(None, now);
            HttpResponse::from_cancel_in(&result, dialect(app))
        }
        _ => HttpResponse::method_not_allowed(),
    }
}

/// Parses a PGP key here, against the wall clock (the crate reads none, so left to itself it
/// checks expiry only against the key's own newest timestamp), and outside the lock. Vault
/// checks the inputs before the server state, so the order of refusals is unchanged.
fn with_wall_clock(encoding: Encoding) -> Result<Encoding, recovery_token::Error> {
    match encoding {
        #[cfg(feature = "pgp")]
        Encoding::PgpKey(key) => {
            let recipient = recovery_token::PgpRecipient::parse_at(&key, SystemTime::now())?;
            Ok(Encoding::Pgp(Box::new(recipient)))
        }
        other => Ok(other),
    }
}

/// `/v1/sys/<endpoint>/update`.
fn update(app: &App, strategy: Strategy, method: &Method, body: &[u8]) -> HttpResponse {
    if !matches!(*method, Method::PUT | Method::POST) {
        return HttpResponse::method_not_allowed();
    }
    let result = UpdateRequest::from_json(body).and_then(|request| {
        let mut slot = lock(app);
        let Slot {
            generator, host, ..
        } = &mut *slot;
        generator.update(strategy, &request, Instant::now(), host, &mut rand::rng())
    });
    HttpResponse::from_result_in(&result, dialect(app))
}

/// Whose error texts the answers carry (`--openbao`). Takes the lock: never call it while a
/// guard is alive (a temporary guard lives to the end of its statement).
fn dialect(app: &App) -> Dialect {
    lock(app).generator.config().dialect()
}

/// `GET /v1/sys/raw/<path>`: a request that needs the recovery token (checked in constant time).
fn raw(app: &App, method: &Method, headers: &HeaderMap) -> HttpResponse {
    if *method != Method::GET {
        return HttpResponse::method_not_allowed();
    }
    let presented = headers
        .get("x-vault-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if lock(app).generator.recovery_token().verify(presented) {
        HttpResponse::with_errors(404, &[])
    } else {
        HttpResponse::with_errors(403, &["permission denied"])
    }
}

/// Copies the crate's answer onto axum's response.
fn respond(answer: &HttpResponse) -> Response {
    let mut response = Response::new(Body::from(answer.body().to_owned()));
    *response.status_mut() =
        StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(answer.content_type()),
    );
    response
}

fn router(app: App) -> Router {
    let mut router = Router::new();
    for (endpoint, strategy) in [
        ("generate-recovery-token", Strategy::Recovery),
        ("generate-root", Strategy::Root),
    ] {
        router = router
            .route(
                &format!("/v1/sys/{endpoint}/attempt"),
                any(
                    move |State(app): State<App>, method: Method, body: Bytes| async move {
                        respond(&attempt(&app, strategy, &method, &body))
                    },
                ),
            )
            .route(
                &format!("/v1/sys/{endpoint}/update"),
                any(
                    move |State(app): State<App>, method: Method, body: Bytes| async move {
                        respond(&update(&app, strategy, &method, &body))
                    },
                ),
            );
    }
    router
        .route(
            "/v1/sys/raw/{*path}",
            any(
                |State(app): State<App>, method: Method, headers: HeaderMap| async move {
                    respond(&raw(&app, &method, &headers))
                },
            ),
        )
        .fallback(|| async { respond(&HttpResponse::with_errors(404, &[])) })
        .with_state(app)
}

/// The key, and the shares to print as `vault operator init` does.
fn make_key(o: &Options) -> Result<(Zeroizing<Vec<u8>>, Vec<KeyShare>), String> {
    if let Some(key) = &o.key {
        return Ok((key.clone(), Vec::new()));
    }
    let mut rng = rand::rng();
    let mut key = Zeroizing::new(vec![0u8; 32]);
    rng.fill_bytes(&mut key);
    if o.threshold == 1 {
        // Vault's threshold-1 rule: no Shamir; the one "share" is the key itself.
        let share =
            KeyShare::from_bytes(&key, &KeyShare::DEFAULT_LENGTHS).map_err(|e| e.to_string())?;
        return Ok((key, vec![share]));
    }
    let split = vsss_rs::Gf256::split_bytes(
        o.threshold,
        o.shares.unwrap_or(o.threshold.max(5)),
        &*key,
        &mut rng,
    )
    .map_err(|e| format!("splitting the key failed: {e:?}"))?;
    let split: Vec<Zeroizing<Vec<u8>>> = split.into_iter().map(Zeroizing::new).collect();
    let shares = split
        .iter()
        .map(|s| KeyShare::from_vsss_layout(s, &KeyShare::DEFAULT_LENGTHS))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    Ok((key, shares))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn serve(options: Options) -> Result<(), String> {
    let (key, shares) = make_key(&options)?;
    let config = GeneratorConfig::new(options.threshold)
        .map_err(|e| e.to_string())?
        .with_profile(options.profile)
        .with_dialect(options.dialect)
        .strict_share_sets(options.strict_share_sets);
    let app: App = Arc::new(Mutex::new(Slot {
        generator: RecoveryTokenGenerator::new(config),
        host: VaultHost {
            key: ExpectedKey::new(&key),
            profile: options.profile,
        },
        audit_log: options.audit_log,
    }));
    drop(key);

    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;

    for (k, share) in shares.iter().enumerate() {
        println!(
            "Unseal Key {}: {}",
            k + 1,
            STANDARD.encode(share.expose_secret())
        );
    }
    drop(shares);
    println!();
    println!(
        "Key threshold: {}. OTP length: {}.",
        options.threshold,
        options.profile.otp_length(Strategy::Recovery)
    );
    // The listener already accepts connections (the kernel queues them until `serve` runs).
    println!("Listening on http://{addr}");
    use std::io::Write as _;
    std::io::stdout().flush().map_err(|e| e.to_string())?;

    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
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
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("server: {msg}");
            ExitCode::FAILURE
        }
    }
}
