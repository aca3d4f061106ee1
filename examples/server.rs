//! Vault's root and recovery token generation endpoints, served over HTTP by the crate.
//!
//! ```sh
//! cargo run --release --example server -- [--listen ADDR] [--threshold T] [--shares N]
//!                                          [--key-hex HEX] [--legacy-tokens] [--openbao]
//!                                          [--no-strict-share-sets] [--audit-log]
//!                                          [--attempt-lifetime SECS] [--no-disclose-nonce]
//!                                          [--cancel-requires-nonce]
//!                                          [--header-timeout SECS] [--body-timeout SECS]
//!                                          [--max-connections N] [--max-request-size BYTES]
//! ```
//!
//! One attempt slot (a [`RecoveryTokenGenerator`] behind a `std::sync::Mutex`) serves
//! `/v1/sys/generate-recovery-token/{attempt,update}` (the recovery strategy) and
//! `/v1/sys/generate-root/{attempt,update}` (the root strategy) and
//! `/v1/sys/replication/dr/secondary/generate-operation-token/{attempt,update}` (the DR
//! operation strategy, on the same slot) exactly as Vault does, so Vault's
//! own clients (hvac, node-vault, `curl` as in Vault's documentation) drive it unchanged.
//! `GET /v1/sys/raw/<path>` stands for a recovery-mode request: 403 unless `X-Vault-Token`
//! carries the minted recovery token, 404 with it (this example stores nothing).
//!
//! Everything protocol-shaped is the crate's: request parsing (`StartRequest::from_json`,
//! `UpdateRequest::from_json`), the state machine, and the answers (`recovery_token::http::Answer`). This file
//! only picks the strategy by path, the operation by method, and supplies what a host owns:
//! the clock, the OS random source, the check of the combined key and the minting of root
//! tokens.
//!
//! A `pgp_key` in a start body is parsed against the wall clock (feature `pgp`, on by default);
//! the token is then encrypted to it and holders decrypt with `base64 -d | gpg -dq`.
//!
//! # Serving it to the network
//!
//! The start and update endpoints are unauthenticated in Vault's model, so every byte they read
//! is an attacker's. What this host does about it (each point has a test in `tests/server.rs`):
//! - **Timeouts.** A client has `--header-timeout` seconds (default 10, Vault's
//!   `http_read_header_timeout`) to send a request's headers, counted from its first byte or, on
//!   a kept-alive connection, from the end of the previous answer: hyper's own timer
//!   (`http1::Builder::header_read_timeout` with hyper-util's `TokioTimer`) closes the
//!   connection otherwise, however slowly the bytes trickle in. The body then has
//!   `--body-timeout` seconds (default 30, Vault's `http_read_timeout`): 408 and the connection
//!   is closed.
//! - **A cap on connections.** At most `--max-connections` (default 256) are served at once;
//!   the accept loop waits for a free slot, so excess connections wait in the kernel's listen
//!   queue (they are not refused) and each slot frees itself within a timeout. A legitimate
//!   request therefore waits at most about one header timeout per `max-connections` slow clients
//!   queued before it. Per-client limits are a reverse proxy's job.
//! - **A size cap.** Bodies over `--max-request-size` bytes (default 2 MiB; Vault's option of the
//!   same name defaults to 32 MiB) get OpenBao's 413 answer; a declared `Content-Length` over
//!   the cap is refused before any body byte is read.
//! - **Work off the async workers.** A multi-threaded runtime; `pgp_key` parsing (public-key
//!   signature checks: tens of milliseconds in a debug build) runs on blocking threads, at most
//!   [`PGP_PARSERS`] at once, and never under the slot's lock, so status reads and updates stay
//!   prompt while PGP starts are in flight.
//! - **Secrets in buffers.** Request bodies (shares, OTPs) are read into a zeroizing buffer
//!   grown by hand (never by a reallocation that would free an unwiped copy), and a frame hyper
//!   hands over is wiped once copied if it is the last reference to its memory. Answers (the
//!   start answer holds the generated OTP) are sent from a zeroizing buffer
//!   (`Bytes::from_owner`) that hyper writes as is (`writev(true)`: no copy into its write
//!   buffer) and that wipes itself once written; `tests/server.rs` scans the process's memory
//!   for the OTP after the attempt ends and finds none.
//!
//!   What this host cannot wipe: hyper's read buffer. With hyper 1.12 every body frame is a
//!   slice of it (so the wipe above never finds a frame it may wipe); it holds the raw request,
//!   headers (an `X-Vault-Token`) and body (a share's text) as received, is reused for the
//!   connection's next request, and is freed unwiped when the connection closes: after an
//!   update, one copy of the share's text typically stays in freed memory until it is reused.
//!   The kernel's socket buffers are out of reach too. A deployment that must wipe those as well
//!   runs the process under a zero-on-free global allocator (or a hyper that wipes its buffers)
//!   and keeps core dumps and swap off.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
#[cfg(feature = "pgp")]
use std::time::SystemTime;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Body as _, Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use rand::Rng as _;
use recovery_token::HostReason;
use recovery_token::http::Answer as HttpResponse;
use recovery_token::shares::KeyShare;
use recovery_token::tokens::TokenProfile;
use recovery_token::wire::{CancelRequest, StartRequest, UpdateRequest};
use recovery_token::{
    CombinedKey, Dialect, Encoding, ExpectedKey, GeneratorConfig, Host, RecoveryTokenGenerator,
    Strategy, Token,
};
use tokio::sync::Semaphore;
use zeroize::{Zeroize as _, Zeroizing};

const USAGE: &str = "\
usage: server [--listen ADDR] [--threshold T] [--shares N] [--key-hex HEX] [--legacy-tokens]
              [--openbao] [--no-strict-share-sets] [--audit-log] [--attempt-lifetime SECS]
              [--no-disclose-nonce] [--cancel-requires-nonce] [--header-timeout SECS]
              [--body-timeout SECS] [--max-connections N] [--max-request-size BYTES]

  --listen ADDR            address to listen on (default 127.0.0.1:8200; port 0 picks one)
  --threshold T            shares needed to recombine the key, 1..=255 (default 3)
  --shares N               shares to print, T..=255 (default 5; 1 when T is 1)
  --key-hex HEX            use this 16- to 32-byte key instead of a random one (no shares printed)
  --legacy-tokens          26-character OTPs and s./r. tokens (Vault before 1.10)
  --openbao                OpenBao 2.x: its error texts and tokens (s. root, OTP 26; hvr. recovery)
  --no-strict-share-sets   Vault's behaviour: accept shares of any length until the combine
  --audit-log              print the generator's audit events (shares named by keyed hash) to stderr
  --attempt-lifetime SECS  an attempt expires, its shares wiped, SECS after its start
                           (default 3600; 0 = never, Vault's behaviour)
  --no-disclose-nonce      a wrong-nonce update is refused without repeating the attempt's nonce
  --cancel-requires-nonce  a cancel must name the attempt's nonce: DELETE body {\"nonce\":\"..\"}
                           or ?nonce= query (Vault's clients send neither)
  --header-timeout SECS    close a connection whose request headers take longer, 1..=86400
                           (default 10)
  --body-timeout SECS      answer 408 and close when a request body takes longer, 1..=86400
                           (default 30)
  --max-connections N      connections served at once; more wait to be accepted (default 256)
  --max-request-size BYTES larger request bodies get 413 (default 2097152)";

/// Connections served at once, by default (`--max-connections`).
const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Request bodies over this many bytes get 413, by default (`--max-request-size`): axum's
/// default, which this server had before. Real bodies are a few hundred bytes; a PGP key a few KB.
const DEFAULT_MAX_REQUEST_SIZE: usize = 2 * 1024 * 1024;
/// `pgp_key` parses allowed at once, each on a blocking thread.
const PGP_PARSERS: usize = 2;
/// hyper's per-connection read buffer limit (its minimum is 8 KiB): request headers must fit.
const MAX_BUF_SIZE: usize = 64 * 1024;
/// How long answers in flight may take to finish once SIGINT/SIGTERM arrives.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

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
    /// `None`: attempts never expire (`--attempt-lifetime 0`).
    attempt_lifetime: Option<Duration>,
    disclose_nonce: bool,
    cancel_requires_nonce: bool,
    header_timeout: Duration,
    body_timeout: Duration,
    max_connections: usize,
    max_request_size: usize,
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
            attempt_lifetime: Some(Duration::from_secs(3600)),
            disclose_nonce: true,
            cancel_requires_nonce: false,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_request_size: DEFAULT_MAX_REQUEST_SIZE,
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
                "--attempt-lifetime" => {
                    let secs = parse_secs("--attempt-lifetime", &value()?)?;
                    o.attempt_lifetime = (secs > 0).then(|| Duration::from_secs(secs));
                }
                "--no-disclose-nonce" => o.disclose_nonce = false,
                "--cancel-requires-nonce" => o.cancel_requires_nonce = true,
                "--header-timeout" => {
                    o.header_timeout = parse_timeout("--header-timeout", &value()?)?
                }
                "--body-timeout" => o.body_timeout = parse_timeout("--body-timeout", &value()?)?,
                "--max-connections" => {
                    o.max_connections = parse_count("--max-connections", &value()?)?
                }
                "--max-request-size" => {
                    o.max_request_size = parse_count("--max-request-size", &value()?)?;
                }
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        if !(1..=255).contains(&o.threshold) {
            return Err(format!("--threshold must be 1..=255, got {}", o.threshold));
        }
        match (o.threshold, o.shares) {
            (1, Some(n)) if n != 1 => {
                return Err("with --threshold 1 the key itself is the only share".into());
            }
            (t, Some(n)) if !(t..=255).contains(&n) => {
                return Err(format!("--shares must be {t}..=255, got {n}"));
            }
            _ => {}
        }
        if o.max_connections == 0 {
            return Err("--max-connections must be at least 1".into());
        }
        Ok(o)
    }
}

fn parse_secs(flag: &str, v: &str) -> Result<u64, String> {
    v.parse()
        .map_err(|_| format!("{flag} takes whole seconds, got {v:?}"))
}

/// A timeout in whole seconds, 1..=86400 (a day: no deadline arithmetic can overflow).
fn parse_timeout(flag: &str, v: &str) -> Result<Duration, String> {
    match parse_secs(flag, v)? {
        secs @ 1..=86_400 => Ok(Duration::from_secs(secs)),
        _ => Err(format!("{flag} must be 1..=86400 seconds, got {v}")),
    }
}

fn parse_count(flag: &str, v: &str) -> Result<usize, String> {
    v.parse()
        .map_err(|_| format!("{flag} takes a number, got {v:?}"))
}

fn parse_key_hex(hex: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let digits = hex.as_bytes();
    if !digits.len().is_multiple_of(2) || !(32..=64).contains(&digits.len()) {
        return Err("--key-hex takes 16 to 32 bytes as hex digits".into());
    }
    let mut key = Zeroizing::new(Vec::with_capacity(digits.len() / 2));
    for pair in digits.chunks_exact(2) {
        let text = std::str::from_utf8(pair).map_err(|_| "--key-hex: not hex".to_owned())?;
        key.push(u8::from_str_radix(text, 16).map_err(|_| "--key-hex: not hex".to_owned())?);
    }
    Ok(key)
}

/// What this host owns besides the generator: the key check (constant time, through
/// [`ExpectedKey`]) and the minting of root and DR operation tokens (recovery tokens the
/// generator mints itself).
struct VaultHost {
    key: ExpectedKey,
    profile: TokenProfile,
}

impl Host for VaultHost {
    fn check_key(&mut self, strategy: Strategy, key: &CombinedKey) -> Result<(), HostReason> {
        self.key.check_key(strategy, key)
    }

    fn mint_token(&mut self, strategy: Strategy) -> Result<Token, HostReason> {
        Ok(self.profile.format(strategy).mint(&mut rand::rng()))
    }
}

/// The one attempt slot, shared by every strategy as in Vault.
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

/// What every request handler shares: the slot, and the limits of the host around it.
struct Shared {
    app: App,
    /// Whose error texts the answers carry (`--openbao`).
    dialect: Dialect,
    /// `--cancel-requires-nonce`: a DELETE names the nonce (body or query).
    cancel_requires_nonce: bool,
    /// Permits for `pgp_key` parses ([`PGP_PARSERS`]), each run on a blocking thread.
    pgp_parsers: Arc<Semaphore>,
    max_request_size: usize,
    body_timeout: Duration,
}

/// `/v1/sys/<endpoint>/attempt`: Vault's switch on the method.
async fn attempt(
    shared: &Shared,
    strategy: Strategy,
    method: &Method,
    query: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> HttpResponse {
    let app = &shared.app;
    match *method {
        Method::GET => HttpResponse::ok(&lock(app).generator.status(strategy, Instant::now())),
        Method::PUT | Method::POST => {
            // OpenBao refuses a recovery start once the recovery token was minted before it
            // looks at the OTP or PGP key; the generator follows that order, but this host
            // parses PGP keys before calling `start`, so it asks first.
            let closed = shared.dialect == Dialect::OpenBao
                && strategy == Strategy::Recovery
                && lock(app).generator.recovery_issued();
            let parsed = match shared.dialect {
                // OpenBao's texts for a non-object body depend on the Content-Type (observed).
                Dialect::OpenBao => StartRequest::from_http(body, content_type),
                _ => StartRequest::from_json(body),
            };
            let encoding = match parsed {
                Ok(_) if closed => {
                    let refused = recovery_token::Error::AlreadyUnsealed;
                    return HttpResponse::error(&refused, shared.dialect);
                }
                Ok(request) => with_wall_clock(shared, request.into_encoding()).await,
                Err(e) => return HttpResponse::error(&e, shared.dialect),
            };
            let result = match encoding {
                Ok(encoding) => {
                    lock(app)
                        .generator
                        .start(strategy, encoding, Instant::now(), &mut rand::rng())
                }
                Err(answer) => return answer,
            };
            HttpResponse::from_result(&result, shared.dialect)
        }
        Method::DELETE => {
            // With --cancel-requires-nonce the nonce travels in a `{"nonce":".."}` body or a
            // `?nonce=` query; without it (Vault's clients send neither) both are ignored.
            let request = if shared.cancel_requires_nonce {
                CancelRequest::from_http(body, query)
            } else {
                Ok(CancelRequest::new(None))
            };
            let result = request
                .and_then(|request| lock(app).generator.cancel(request.nonce(), Instant::now()));
            HttpResponse::from_cancel(&result, shared.dialect)
        }
        _ => HttpResponse::method_not_allowed(),
    }
}

/// Parses a PGP key here, against the wall clock (the crate reads none, so left to itself it
/// checks expiry only against the key's own newest timestamp), and outside the lock. Vault
/// checks the inputs before the server state, so the order of refusals is unchanged.
///
/// Signature checks cost real time, so the parse runs on a blocking thread, at most
/// [`PGP_PARSERS`] at once; a start waiting for a permit waits without occupying an async
/// worker. The permit moves into the blocking task, so a client that hangs up does not free it
/// before its parse ends.
async fn with_wall_clock(shared: &Shared, encoding: Encoding) -> Result<Encoding, HttpResponse> {
    let pgp_parsers = &shared.pgp_parsers;
    match encoding {
        #[cfg(feature = "pgp")]
        Encoding::PgpKey(key) => {
            let internal = |_| HttpResponse::with_errors(500, &["internal error parsing PGP key"]);
            let permit = Arc::clone(pgp_parsers)
                .acquire_owned()
                .await
                .map_err(internal)?;
            let parsed = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                recovery_token::pgp::PgpRecipient::parse_at(&key, SystemTime::now())
            })
            .await
            .map_err(|_| HttpResponse::with_errors(500, &["internal error parsing PGP key"]))?;
            match parsed {
                Ok(recipient) => Ok(Encoding::Pgp(Box::new(recipient))),
                Err(e) => Err(HttpResponse::error(&e, shared.dialect)),
            }
        }
        other => {
            let _ = pgp_parsers; // Without the `pgp` feature the generator refuses a key itself.
            Ok(other)
        }
    }
}

/// `/v1/sys/<endpoint>/update`. Every method is an update: neither Vault nor OpenBao checks the
/// method here (OpenBao 2.7.2 answers a bodiless GET, DELETE, HEAD or OPTIONS as an empty
/// update; PROTOCOL.md section 1).
fn update(
    app: &App,
    dialect: Dialect,
    strategy: Strategy,
    content_type: Option<&str>,
    body: &[u8],
) -> HttpResponse {
    let parsed = match dialect {
        Dialect::OpenBao => UpdateRequest::from_http(body, content_type),
        _ => UpdateRequest::from_json(body),
    };
    let result = parsed.and_then(|request| {
        let mut slot = lock(app);
        let Slot {
            generator, host, ..
        } = &mut *slot;
        generator.update(strategy, &request, Instant::now(), host, &mut rand::rng())
    });
    HttpResponse::from_result(&result, dialect)
}

/// `GET /v1/sys/raw/<path>`: a request that needs the recovery token (checked in constant time).
/// Refused with 403 and `{"errors":[]}`, the body OpenBao 2.7.2 sends in recovery mode.
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
        HttpResponse::with_errors(403, &[])
    }
}

/// Hands the crate's answer to hyper. The body goes out of a zeroizing buffer hyper writes
/// without copying (`writev(true)` in [`serve`]) and drops, wiping it, once written: the start
/// answer holds the generated OTP.
fn respond(answer: HttpResponse) -> Response<Full<Bytes>> {
    let status = answer.status();
    let content_type = answer.content_type().unwrap_or("application/json");
    // The answer's own zeroizing buffer goes out as it is (no copy of a generated OTP), wiped
    // once hyper has written it.
    let body = Bytes::from_owner(answer.into_body());
    let mut response = Response::new(Full::new(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// [`respond`], then close the connection (the rest of the request may be unread).
fn respond_and_close(answer: HttpResponse) -> Response<Full<Bytes>> {
    let mut response = respond(answer);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Why a request body was not read.
enum BodyFault {
    /// Over `--max-request-size`.
    TooLarge,
    /// Not received within `--body-timeout`.
    TimedOut,
    /// The connection failed or the framing was invalid.
    Broken,
}

impl BodyFault {
    fn answer(&self) -> HttpResponse {
        match self {
            // OpenBao 2.7.2's answer, observed with `max_request_size` set in its listener: for
            // every method and path (it reads the body before routing), `Connection: close`.
            Self::TooLarge => HttpResponse::with_errors(413, &["http: request body too large"]),
            Self::TimedOut => {
                HttpResponse::with_errors(408, &["timed out reading the request body"])
            }
            Self::Broken => HttpResponse::with_errors(400, &["error reading the request body"]),
        }
    }
}

/// Reads a whole request body into a zeroizing buffer: at most `limit` bytes, by `deadline`.
///
/// The buffer is sized from `Content-Length` up front and otherwise grown by hand, so no
/// reallocation frees an unwiped copy of a share. A frame hyper hands over is wiped once copied
/// if this is the last reference to its memory; with hyper 1.12 it is a slice of hyper's read
/// buffer instead, which this host cannot wipe (see the module docs).
async fn read_body(
    mut body: Incoming,
    limit: usize,
    deadline: tokio::time::Instant,
) -> Result<Zeroizing<Vec<u8>>, BodyFault> {
    let declared = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX);
    if declared > limit {
        return Err(BodyFault::TooLarge);
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(declared));
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(BodyFault::TimedOut),
            Ok(None) => return Ok(buf),
            Ok(Some(Err(_))) => return Err(BodyFault::Broken),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        let appended = append_wiping(&mut buf, &data, limit);
        if let Ok(mut only) = data.try_into_mut() {
            only.zeroize();
        }
        appended?;
    }
}

/// Appends `data`, growing `buf` into a new zeroizing allocation (the old one is wiped as it
/// drops) rather than letting `Vec` reallocate.
fn append_wiping(buf: &mut Zeroizing<Vec<u8>>, data: &[u8], limit: usize) -> Result<(), BodyFault> {
    let needed = buf
        .len()
        .checked_add(data.len())
        .filter(|n| *n <= limit)
        .ok_or(BodyFault::TooLarge)?;
    if needed > buf.capacity() {
        let capacity = needed.max(buf.capacity().saturating_mul(2)).min(limit);
        let mut bigger = Zeroizing::new(Vec::with_capacity(capacity));
        bigger.extend_from_slice(buf);
        *buf = bigger;
    }
    buf.extend_from_slice(data);
    Ok(())
}

/// The media type a PATCH must carry.
const MERGE_PATCH: &str = "application/merge-patch+json";

/// The generic HTTP layer of Vault and OpenBao, before any routing: a PATCH whose `Content-Type`
/// is not `application/merge-patch+json` is refused, with 400 and Go's `mime` error when the
/// header does not parse (no header at all: `mime: no media type`), else 415. Observed on
/// OpenBao 2.7.2, after the body size check; with the merge-patch type, `/attempt` answers 405
/// and `/update` takes it as an update.
fn check_patch(headers: &HeaderMap) -> Result<(), HttpResponse> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .unwrap_or_default();
    match go_media_type(&value) {
        Err(text) => Err(HttpResponse::with_errors(400, &[text])),
        Ok(media) if media == MERGE_PATCH => Ok(()),
        Ok(media) => Err(HttpResponse::with_errors(
            415,
            &[&format!(
                "PATCH requires Content-Type of {MERGE_PATCH}, provided {media}"
            )],
        )),
    }
}

/// Go's `mime.ParseMediaType` as far as its verdict and its media type go: the part before the
/// first `;`, lowercased and trimmed, must be `token` or `token/token`; the parameters must
/// parse, and a name repeated with another value is an error. Returns Go's error texts.
fn go_media_type(v: &str) -> Result<String, &'static str> {
    let base = v.split(';').next().unwrap_or_default();
    let media = base.to_lowercase().trim().to_owned();
    let (kind, rest) = consume_token(&media);
    if kind.is_empty() {
        return Err("mime: no media type");
    }
    if !rest.is_empty() {
        let Some(rest) = rest.strip_prefix('/') else {
            return Err("mime: expected slash after first token");
        };
        let (subtype, rest) = consume_token(rest);
        if subtype.is_empty() {
            return Err("mime: expected token after slash");
        }
        if !rest.is_empty() {
            return Err("mime: unexpected content after media subtype");
        }
    }
    let mut params: Vec<(String, Vec<u8>)> = Vec::new();
    let mut rest = v.get(base.len()..).unwrap_or_default();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let Some((name, value, after)) = consume_media_param(rest) else {
            if rest.trim() == ";" {
                break; // a trailing semicolon
            }
            return Err("mime: invalid media parameter");
        };
        match params.iter().find(|(n, _)| *n == name) {
            Some((_, held)) if *held != value => return Err("mime: duplicate parameter name"),
            Some(_) => {}
            None => params.push((name, value)),
        }
        rest = after;
    }
    Ok(media)
}

fn is_tspecial(b: u8) -> bool {
    b"()<>@,;:\\\"/[]?=".contains(&b)
}

/// Go's `consumeToken`: the longest prefix of token bytes, and the rest.
fn consume_token(v: &str) -> (&str, &str) {
    let end = v
        .bytes()
        .position(|b| !(b > 0x20 && b < 0x7f && !is_tspecial(b)))
        .unwrap_or(v.len());
    // Token bytes are ASCII, so `end` is a character boundary.
    (
        v.get(..end).unwrap_or_default(),
        v.get(end..).unwrap_or_default(),
    )
}

/// Go's `consumeMediaParam`: `; name = value`, the value a token or a quoted string.
fn consume_media_param(v: &str) -> Option<(String, Vec<u8>, &str)> {
    let rest = v.trim_start().strip_prefix(';')?.trim_start();
    let (name, rest) = consume_token(rest);
    if name.is_empty() {
        return None;
    }
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let (value, after) = consume_value(rest)?;
    Some((name.to_lowercase(), value, after))
}

/// Go's `consumeValue`: a token, or a quoted string with `\` escaping a tspecial.
fn consume_value(v: &str) -> Option<(Vec<u8>, &str)> {
    let bytes = v.as_bytes();
    if bytes.first() != Some(&b'"') {
        let (token, rest) = consume_token(v);
        return (!token.is_empty()).then(|| (token.as_bytes().to_vec(), rest));
    }
    let mut value = Vec::new();
    let mut i = 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            // The closing quote is ASCII, so `i + 1` is a character boundary.
            b'"' => return Some((value, v.get(i + 1..).unwrap_or_default())),
            b'\\' if bytes.get(i + 1).is_some_and(|n| is_tspecial(*n)) => {
                value.extend(bytes.get(i + 1));
                i += 1;
            }
            b'\r' | b'\n' => return None,
            _ => value.push(b),
        }
        i += 1;
    }
    None
}

/// The strategies, by the path segment that selects them.
const ENDPOINTS: [(&str, Strategy); 3] = [
    ("generate-recovery-token", Strategy::Recovery),
    ("generate-root", Strategy::Root),
    (
        "replication/dr/secondary/generate-operation-token",
        Strategy::DrOperation,
    ),
];

/// One request, in OpenBao's order: the whole body first (so an oversized body gets 413 on any
/// path and method), then the PATCH check, then the route.
async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let deadline = tokio::time::Instant::now() + shared.body_timeout;
    let body = match read_body(body, shared.max_request_size, deadline).await {
        Ok(body) => body,
        Err(fault) => return Ok(respond_and_close(fault.answer())),
    };
    // OpenBao serves the recovery endpoints only in recovery mode, whose handler chain has no
    // generic PATCH check: there a PATCH on `/update` is an update (observed on 2.7.2).
    let recovery_mode_path = shared.dialect == Dialect::OpenBao
        && parts
            .uri
            .path()
            .starts_with("/v1/sys/generate-recovery-token/");
    if parts.method == Method::PATCH
        && !recovery_mode_path
        && let Err(answer) = check_patch(&parts.headers)
    {
        return Ok(respond(answer));
    }
    let answer = route(
        &shared,
        &parts.method,
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
        &body,
    )
    .await;
    Ok(respond(answer))
}

async fn route(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> HttpResponse {
    if path
        .strip_prefix("/v1/sys/raw/")
        .is_some_and(|rest| !rest.is_empty())
    {
        return raw(&shared.app, method, headers);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    for (endpoint, strategy) in ENDPOINTS {
        match path
            .strip_prefix("/v1/sys/")
            .and_then(|p| p.strip_prefix(endpoint))
        {
            Some("/attempt") => {
                return attempt(shared, strategy, method, query, content_type, body).await;
            }
            Some("/update") => {
                return update(&shared.app, shared.dialect, strategy, content_type, body);
            }
            _ => {}
        }
    }
    HttpResponse::with_errors(404, &[])
}

/// The key, and the shares to print as `vault operator init` does.
fn make_key(o: &Options) -> Result<(Zeroizing<Vec<u8>>, Vec<KeyShare>), String> {
    if let Some(key) = &o.key {
        return Ok((key.clone(), Vec::new()));
    }
    let mut rng = rand::rng();
    let mut key = Zeroizing::new(vec![0u8; 32]);
    rng.fill_bytes(&mut key);
    // Vault's rules: threshold 1 is the key itself (one share), random non-zero x coordinates.
    let count = o.shares.unwrap_or(if o.threshold == 1 {
        1
    } else {
        o.threshold.max(5)
    });
    let shares = KeyShare::split(&key, o.threshold, count, &mut rng).map_err(|e| e.to_string())?;
    Ok((key, shares))
}

/// Registers the SIGINT / SIGTERM handlers now (so a signal sent as soon as `Listening on` is
/// printed is caught, not fatal) and resolves when one of them arrives.
fn shutdown_signal() -> Result<impl Future<Output = ()>, String> {
    #[cfg(unix)]
    {
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
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

async fn serve(options: Options) -> Result<(), String> {
    let (key, shares) = make_key(&options)?;
    let mut config = GeneratorConfig::builder(options.threshold)
        .with_profile(options.profile)
        .with_dialect(options.dialect)
        .with_disclose_nonce_in_errors(options.disclose_nonce)
        .with_cancel_requires_nonce(options.cancel_requires_nonce);
    if options.strict_share_sets {
        // The host knows its key: a share of another length is refused on its own merits.
        config = config.with_key_length(key.len());
    }
    if let Some(lifetime) = options.attempt_lifetime {
        config = config.with_attempt_lifetime(lifetime);
    }
    let config = config.build().map_err(|e| e.to_string())?;
    let app: App = Arc::new(Mutex::new(Slot {
        generator: RecoveryTokenGenerator::new(config),
        host: VaultHost {
            key: ExpectedKey::new(&key),
            profile: options.profile,
        },
        audit_log: options.audit_log,
    }));
    drop(key);
    if options.attempt_lifetime.is_some() {
        tokio::spawn(expire_attempts(Arc::clone(&app)));
    }
    let shared = Arc::new(Shared {
        app,
        dialect: options.dialect,
        cancel_requires_nonce: options.cancel_requires_nonce,
        pgp_parsers: Arc::new(Semaphore::new(PGP_PARSERS)),
        max_request_size: options.max_request_size,
        body_timeout: options.body_timeout,
    });

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
    let shutdown = shutdown_signal()?;
    // The listener already accepts connections (the kernel queues them until the loop runs).
    println!("Listening on http://{addr}");
    use std::io::Write as _;
    std::io::stdout().flush().map_err(|e| e.to_string())?;

    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        // Queue the answer's `Bytes` as they are (vectored writes) instead of copying them into
        // hyper's write buffer: no unwiped copy of an OTP.
        .writev(true)
        .max_buf_size(MAX_BUF_SIZE);
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // A free slot first, then accept: excess connections wait in the listen queue.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.map_err(|e| e.to_string())?,
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // back off briefly rather than spin.
                    eprintln!("server: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let shared = Arc::clone(&shared);
        let connection = graceful.watch(http.serve_connection(
            TokioIo::new(stream),
            service_fn(move |request| handle(Arc::clone(&shared), request)),
        ));
        tokio::spawn(async move {
            // Errors here are the client's (a reset, a header timeout): nothing to report.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    // Answers in flight finish; idle connections close now, slow ones within the grace period.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}

/// Wipes an expired attempt's shares on time (`--attempt-lifetime`), not only at the next call.
async fn expire_attempts(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        lock(&app).generator.handle_timeout(Instant::now());
    }
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
    // One async worker per core; PGP parsing runs on the blocking pool beside them.
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
    let served = runtime.block_on(serve(options));
    // A PGP parse still running on a blocking thread is not waited for.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("server: {msg}");
            ExitCode::FAILURE
        }
    }
}
