//! A tokio/hyper server over the [HTTP face](crate::http) (feature `server`): what quinn is to
//! quinn-proto.
//!
//! The face decides everything protocol-shaped; this module only moves bytes and time:
//! - reads each request body into a zeroizing buffer, at most [`Face::body_limit`] bytes
//!   (413 beyond), within [`ServerConfig::body_timeout`] (408);
//! - closes a connection whose headers take longer than [`ServerConfig::header_timeout`] (also
//!   the keep-alive idle time), whose answer cannot be written for
//!   [`ServerConfig::write_timeout`] (a client that pipelines requests and never reads its
//!   answers), or that has lived [`ServerConfig::connection_lifetime`];
//! - serves at most [`ServerConfig::max_connections`] connections at once (more wait in the
//!   listen queue), each for at most [`ServerConfig::max_requests_per_connection`] requests;
//! - parses PGP keys ([`Step::ParsePgp`]) on blocking threads, at most
//!   [`ServerConfig::pgp_parsers`] at once;
//! - wipes expired attempts when [`Face::poll_timeout`] says, not on a fixed tick;
//! - asks the [`ServerHost`] what only the host knows (authorize, check the key, mint, revoke)
//!   and hands it every audit event after every call into the face.
//!
//! # Cancellation
//! Once its body is read, a request is driven to its answer on a task of its own: a client
//! that hangs up cannot interrupt a key check or a mint halfway. If the client is gone when
//! the host's mint returns, the token is not issued: the attempt's completion fails
//! (`unable to create token: the client disconnected`) and the token goes to
//! [`ServerHost::revoke`]. A token the face refuses to issue is revoked the same way
//! ([`Step::Revoke`]), and so is an issued token whose answer could not be handed to the
//! connection.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Body, Bytes};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, oneshot};
use zeroize::{Zeroize as _, Zeroizing};

use crate::audit::AuditEvent;
use crate::generator::HostReason;
use crate::http::{Answer, Authorize, Face, MintToken, Request, Step, Verdict};
use crate::secret::{CombinedKey, Token};
use crate::vocabulary::Strategy;

/// What only the host knows, asked asynchronously (a token store, a KMS, an HSM). The face's
/// lock is never held while one of these runs.
pub trait ServerHost: Send + Sync + 'static {
    /// May the caller's token ([`Authorize::token`], secret: compare it in constant time) use
    /// [`Authorize::capability`] on [`Authorize::path`]?
    fn authorize(&self, request: &Authorize) -> impl Future<Output = Verdict> + Send;

    /// Is `key` the combined key of `strategy`'s key set (in `namespace`)? `Err` carries the
    /// reason the client sees: no secret in it.
    fn check_key(
        &self,
        strategy: Strategy,
        namespace: Option<&str>,
        key: &CombinedKey,
    ) -> impl Future<Output = Result<(), HostReason>> + Send;

    /// Mints a root or DR operation token of [`MintToken::format`] for
    /// [`MintToken::strategy`] in [`MintToken::namespace`] (register it in the token store).
    /// With [`MintToken::ttl`] set, the token must stop being valid that long after it is
    /// minted (by the host's own clock); it is only ever set when the slot's configuration
    /// supports lifetimes ([`crate::GeneratorConfigBuilder::with_ttl_supported`]), so a host
    /// that does not enable them never sees one. `Err` carries the reason the client sees
    /// (`unable to create token: <reason>`): no secret in it.
    fn mint(&self, request: &MintToken) -> impl Future<Output = Result<Token, HostReason>> + Send;

    /// Revokes a token [`ServerHost::mint`] made that was never handed out.
    fn revoke(
        &self,
        token: &Token,
        strategy: Strategy,
        namespace: Option<&str>,
    ) -> impl Future<Output = ()> + Send;

    /// An audit event of `namespace`'s generator (shares appear only as keyed hashes). Called
    /// with the face's lock held: keep it short (queue it). The default drops it.
    fn audit(&self, namespace: Option<&str>, event: AuditEvent) {
        let _ = (namespace, event);
    }
}

/// Every timeout of a [`ServerConfig`] is at most a day.
const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// The server's limits. [`ServerConfig::default`] is what a deployment should start from.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    header_timeout: Duration,
    body_timeout: Duration,
    write_timeout: Duration,
    connection_lifetime: Duration,
    max_connections: usize,
    max_requests_per_connection: u64,
    max_header_bytes: usize,
    pgp_parsers: usize,
    shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(10),
            connection_lifetime: Duration::from_secs(600),
            max_connections: 256,
            max_requests_per_connection: 1000,
            max_header_bytes: 64 * 1024,
            pgp_parsers: 2,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Builds a [`ServerConfig`]; every setting starts at its documented default.
#[derive(Debug, Clone, Default)]
pub struct ServerConfigBuilder(ServerConfig);

impl ServerConfig {
    /// A builder starting from the defaults.
    #[must_use]
    pub fn builder() -> ServerConfigBuilder {
        ServerConfigBuilder::default()
    }

    /// How long a client may take to send a request's headers, counted from its first byte or,
    /// on a kept-alive connection, from the end of the previous answer (default 10 s, Vault's
    /// `http_read_header_timeout`). The connection is closed otherwise.
    #[must_use]
    pub fn header_timeout(&self) -> Duration {
        self.header_timeout
    }

    /// How long a request body may take once its headers are in (default 30 s, Vault's
    /// `http_read_timeout`): 408 and close otherwise.
    #[must_use]
    pub fn body_timeout(&self) -> Duration {
        self.body_timeout
    }

    /// How long an answer may sit unwritten because the client does not read (default 10 s):
    /// the connection is closed then. This is what frees a connection that pipelines requests
    /// and never reads.
    #[must_use]
    pub fn write_timeout(&self) -> Duration {
        self.write_timeout
    }

    /// The longest a connection lives (default 600 s): then it finishes the request in flight
    /// and closes (a reader that drains one byte at a time cannot hold it longer).
    #[must_use]
    pub fn connection_lifetime(&self) -> Duration {
        self.connection_lifetime
    }

    /// Connections served at once (default 256); more wait in the kernel's listen queue.
    #[must_use]
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// Requests answered on one connection before it is closed (default 1000, nginx's
    /// `keepalive_requests`): the answer to the last carries `Connection: close`. A client that
    /// pipelines thousands of requests then holds a slot for at most this many answers, and
    /// queues again behind everyone who waited.
    #[must_use]
    pub fn max_requests_per_connection(&self) -> u64 {
        self.max_requests_per_connection
    }

    /// hyper's read buffer: the request line and headers must fit (default 64 KiB; hyper's
    /// minimum is 8 KiB).
    #[must_use]
    pub fn max_header_bytes(&self) -> usize {
        self.max_header_bytes
    }

    /// PGP key parses at once, each on a blocking thread (default 2).
    #[must_use]
    pub fn pgp_parsers(&self) -> usize {
        self.pgp_parsers
    }

    /// How long answers in flight may take to finish after shutdown is asked (default 5 s).
    #[must_use]
    pub fn shutdown_grace(&self) -> Duration {
        self.shutdown_grace
    }
}

impl ServerConfigBuilder {
    /// See [`ServerConfig::header_timeout`] (at most a day).
    #[must_use]
    pub fn header_timeout(mut self, t: Duration) -> Self {
        self.0.header_timeout = t.min(MAX_TIMEOUT);
        self
    }

    /// See [`ServerConfig::body_timeout`] (at most a day).
    #[must_use]
    pub fn body_timeout(mut self, t: Duration) -> Self {
        self.0.body_timeout = t.min(MAX_TIMEOUT);
        self
    }

    /// See [`ServerConfig::write_timeout`] (at most a day).
    #[must_use]
    pub fn write_timeout(mut self, t: Duration) -> Self {
        self.0.write_timeout = t.min(MAX_TIMEOUT);
        self
    }

    /// See [`ServerConfig::connection_lifetime`] (at most a day).
    #[must_use]
    pub fn connection_lifetime(mut self, t: Duration) -> Self {
        self.0.connection_lifetime = t.min(MAX_TIMEOUT);
        self
    }

    /// See [`ServerConfig::max_connections`] (at least 1).
    #[must_use]
    pub fn max_connections(mut self, n: usize) -> Self {
        self.0.max_connections = n.max(1);
        self
    }

    /// See [`ServerConfig::max_requests_per_connection`] (at least 1).
    #[must_use]
    pub fn max_requests_per_connection(mut self, n: u64) -> Self {
        self.0.max_requests_per_connection = n.max(1);
        self
    }

    /// See [`ServerConfig::max_header_bytes`] (at least 8 KiB).
    #[must_use]
    pub fn max_header_bytes(mut self, n: usize) -> Self {
        self.0.max_header_bytes = n.max(8 * 1024);
        self
    }

    /// See [`ServerConfig::pgp_parsers`] (at least 1).
    #[must_use]
    pub fn pgp_parsers(mut self, n: usize) -> Self {
        self.0.pgp_parsers = n.max(1);
        self
    }

    /// See [`ServerConfig::shutdown_grace`].
    #[must_use]
    pub fn shutdown_grace(mut self, t: Duration) -> Self {
        self.0.shutdown_grace = t;
        self
    }

    /// The configuration.
    #[must_use]
    pub fn build(self) -> ServerConfig {
        self.0
    }
}

/// The OS random source, for the face's RNG parameter.
fn os_rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}

struct Inner<H> {
    face: Mutex<Face>,
    host: H,
    config: ServerConfig,
    pgp_parsers: Arc<Semaphore>,
    /// Wakes the expiry timer: an attempt may have started.
    timer: Notify,
}

impl<H: ServerHost> Inner<H> {
    /// Runs `f` on the locked face, then drains every audit event to the host.
    fn with_face<T>(&self, f: impl FnOnce(&mut Face) -> T) -> T {
        // No code here panics while holding the lock; if something did, each face call either
        // completes or changes nothing, so the face is still consistent.
        let mut face: MutexGuard<'_, Face> =
            self.face.lock().unwrap_or_else(PoisonError::into_inner);
        let out = f(&mut face);
        for (ns, g) in face.generators_mut() {
            while let Some(event) = g.poll_event() {
                self.host.audit(ns, event);
            }
        }
        out
    }
}

/// The server: a [`Face`], a [`ServerHost`] and a [`ServerConfig`]. Cheap to clone (one
/// shared face).
pub struct Server<H> {
    inner: Arc<Inner<H>>,
}

impl<H> Clone for Server<H> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<H> fmt::Debug for Server<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl<H: ServerHost> Server<H> {
    /// A server over `face`, asking `host`.
    #[must_use]
    pub fn new(face: Face, host: H, config: ServerConfig) -> Self {
        let pgp_parsers = Arc::new(Semaphore::new(config.pgp_parsers));
        Self {
            inner: Arc::new(Inner {
                face: Mutex::new(face),
                host,
                config,
                pgp_parsers,
                timer: Notify::new(),
            }),
        }
    }

    /// The host.
    #[must_use]
    pub fn host(&self) -> &H {
        &self.inner.host
    }

    /// Runs `f` on the face (to read a status, set a server state), draining audit events
    /// after it. Do not block in `f`.
    pub fn with_face<T>(&self, f: impl FnOnce(&mut Face) -> T) -> T {
        self.inner.with_face(f)
    }

    /// Answers one request: reads its body (zeroizing, capped, within the body timeout),
    /// drives the face's steps and gives the response. For hosts that bring their own HTTP
    /// server (axum, a tower stack); [`Server::serve`] calls it for each request.
    pub async fn handle<B>(&self, request: hyper::Request<B>) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes> + Unpin,
    {
        let (parts, body) = request.into_parts();
        let limit = self.with_face(|f| f.body_limit());
        let now = tokio::time::Instant::now();
        // The builder caps every timeout at a day: no overflow.
        let deadline = now
            .checked_add(self.inner.config.body_timeout)
            .unwrap_or(now);
        let body = match read_body(body, limit, deadline).await {
            Ok(body) => body,
            Err(BodyFault::TooLarge) => {
                return respond(self.with_face(|f| f.payload_too_large()));
            }
            Err(BodyFault::TimedOut) => {
                return respond(
                    Answer::with_errors(408, &["timed out reading the request body"]).closing(),
                );
            }
            Err(BodyFault::Broken) => {
                return respond(
                    Answer::with_errors(400, &["error reading the request body"]).closing(),
                );
            }
        };
        let method = parts.method.as_str().to_owned();
        let target = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
        // Only the three headers the face reads; the token's copy is zeroized on drop.
        let mut headers: Vec<(&'static str, Zeroizing<String>)> = Vec::new();
        for name in ["content-type", "x-vault-token", "x-vault-namespace"] {
            if let Some(v) = parts.headers.get(name) {
                let text = String::from_utf8_lossy(v.as_bytes()).into_owned();
                headers.push((name, Zeroizing::new(text)));
            }
        }
        let (tx, rx) = oneshot::channel();
        let server = self.clone();
        // Driven on a task of its own: a client that hangs up cannot cut a step in half.
        tokio::spawn(async move {
            let mut request = Request::new(&method, &target).with_body(&body);
            for (name, value) in &headers {
                request = request.with_header(name, value);
            }
            server.drive(&request, tx).await;
        });
        match rx.await {
            Ok(answer) => respond(answer),
            Err(_) => respond(Answer::with_errors(500, &["internal error"]).closing()),
        }
    }

    async fn drive(&self, request: &Request<'_>, tx: oneshot::Sender<Answer>) {
        let inner = &*self.inner;
        let mut step = inner.with_face(|f| f.handle(request, Instant::now(), &mut os_rng()));
        // A token issued by this request, kept to revoke it if its answer cannot be delivered.
        let mut issued: Option<(Token, Strategy, Option<String>)> = None;
        let answer = loop {
            step = match step {
                Step::Answer(a) => break a,
                Step::Authorize(a) => match inner.host.authorize(&a).await {
                    Verdict::Allow => {
                        inner.with_face(|f| a.allow(f, Instant::now(), &mut os_rng()))
                    }
                    Verdict::UnknownToken => a.deny(),
                    Verdict::NotPermitted => a.forbid(),
                },
                Step::ParsePgp(p) => {
                    let Ok(permit) = Arc::clone(&inner.pgp_parsers).acquire_owned().await else {
                        break Answer::with_errors(500, &["internal error parsing PGP key"]);
                    };
                    let parsed = tokio::task::spawn_blocking(move || {
                        let _permit = permit;
                        p.parse_at(SystemTime::now())
                    })
                    .await;
                    match parsed {
                        Ok(parsed) => {
                            inner.with_face(|f| parsed.resume(f, Instant::now(), &mut os_rng()))
                        }
                        Err(_) => {
                            break Answer::with_errors(500, &["internal error parsing PGP key"]);
                        }
                    }
                }
                Step::CheckKey(c) => {
                    let verdict = inner
                        .host
                        .check_key(c.strategy(), c.namespace(), c.key())
                        .await;
                    match verdict {
                        Ok(()) => inner.with_face(|f| c.accept(f, Instant::now(), &mut os_rng())),
                        Err(reason) => inner.with_face(|f| c.reject(f, reason, Instant::now())),
                    }
                }
                Step::MintToken(m) => {
                    let (strategy, ns) = (m.strategy(), m.namespace().map(str::to_owned));
                    match inner.host.mint(&m).await {
                        Ok(token) if tx.is_closed() => {
                            // The client left between mint and issue: never issue it.
                            let next = inner.with_face(|f| {
                                m.fail(f, "the client disconnected", Instant::now())
                            });
                            inner.host.revoke(&token, strategy, ns.as_deref()).await;
                            next
                        }
                        Ok(token) => {
                            let copy = Token::from(token.expose_secret());
                            let next = inner
                                .with_face(|f| m.issue(f, token, Instant::now(), &mut os_rng()));
                            if matches!(next, Step::Answer(_)) {
                                issued = Some((copy, strategy, ns));
                            }
                            next
                        }
                        Err(reason) => inner.with_face(|f| m.fail(f, reason, Instant::now())),
                    }
                }
                Step::Revoke(r) => {
                    inner
                        .host
                        .revoke(r.token(), r.strategy(), r.namespace())
                        .await;
                    r.revoked()
                }
            };
        };
        inner.timer.notify_one();
        if tx.send(answer).is_err()
            && let Some((token, strategy, ns)) = issued
        {
            // Issued, but the answer that carries it had nobody to go to.
            inner.host.revoke(&token, strategy, ns.as_deref()).await;
        }
    }

    /// Wipes expired attempts when the face asks ([`Face::poll_timeout`]), woken early by
    /// every request; runs until dropped. [`Server::serve`] runs it itself; a host that only
    /// calls [`Server::handle`] spawns it once (`tokio::spawn(server.clone().drive_timers())`).
    pub async fn drive_timers(self) {
        loop {
            let next = self.with_face(|f| f.poll_timeout());
            let woken = self.inner.timer.notified();
            match next {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at.into()) => {
                            self.with_face(|f| f.handle_timeout(Instant::now()));
                        }
                        () = woken => {}
                    }
                }
                None => woken.await,
            }
        }
    }

    /// Serves `listener` until `shutdown` resolves; then answers in flight get
    /// [`ServerConfig::shutdown_grace`] to finish.
    ///
    /// # Errors
    /// Only if the connection cap's semaphore closes (it does not); accept errors (a reset, no
    /// file descriptors) are retried after a short pause.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> io::Result<()> {
        let config = self.inner.config.clone();
        let timer = tokio::spawn(self.clone().drive_timers());
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(config.header_timeout)
            // The answer's zeroizing `Bytes` go out as they are (vectored writes), not copied
            // into hyper's write buffer.
            .writev(true)
            .max_buf_size(config.max_header_bytes);
        let slots = Arc::new(Semaphore::new(config.max_connections));
        let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
        tokio::pin!(shutdown);
        loop {
            // A free slot first, then accept: excess connections wait in the listen queue.
            let slot = tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => slot.map_err(io::Error::other)?,
                () = &mut shutdown => break,
            };
            let stream = tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else {
                        // A reset before accept, or no file descriptors: pause, not spin.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    stream
                }
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let watch = Arc::new(WriteWatch::default());
            let io = TokioIo::new(Watched {
                inner: stream,
                watch: Arc::clone(&watch),
            });
            let server = self.clone();
            let budget = config.max_requests_per_connection;
            let answered = Arc::new(AtomicU64::new(0));
            let connection = http.serve_connection(
                io,
                service_fn(move |request| {
                    let server = server.clone();
                    let last = answered.fetch_add(1, Ordering::Relaxed).saturating_add(1) >= budget;
                    async move {
                        let mut response = server.handle(request).await;
                        if last {
                            response
                                .headers_mut()
                                .insert(header::CONNECTION, HeaderValue::from_static("close"));
                        }
                        Ok::<_, Infallible>(response)
                    }
                }),
            );
            let mut closing = closing_rx.clone();
            let config = config.clone();
            // The connection under its deadlines: a write stuck for the write timeout closes it
            // at once; its lifetime or shutdown closes it gracefully (the request in flight
            // finishes, or its write gets stuck and the first rule applies).
            tokio::spawn(async move {
                let _slot = slot;
                tokio::pin!(connection);
                let end_of_life = tokio::time::sleep(config.connection_lifetime);
                tokio::pin!(end_of_life);
                let mut graceful = false;
                let tick = config
                    .write_timeout
                    .checked_div(4)
                    .unwrap_or_default()
                    .max(Duration::from_millis(10));
                loop {
                    tokio::select! {
                        _ = connection.as_mut() => return,
                        () = &mut end_of_life, if !graceful => {
                            graceful = true;
                            connection.as_mut().graceful_shutdown();
                        }
                        _ = closing.changed(), if !graceful => {
                            graceful = true;
                            connection.as_mut().graceful_shutdown();
                        }
                        () = tokio::time::sleep(tick) => {
                            if watch.stalled_for().is_some_and(|d| d >= config.write_timeout) {
                                return; // dropping the connection closes the socket
                            }
                        }
                    }
                }
            });
        }
        drop(listener);
        let _ = closing_tx.send(true);
        // Wait for the connections to finish (each slot returns when its task ends).
        let all = u32::try_from(config.max_connections).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(config.shutdown_grace, slots.acquire_many(all)).await;
        timer.abort();
        Ok(())
    }
}

/// When the connection's writes started to wait on the client (ms since `START`, 0: not).
#[derive(Default)]
struct WriteWatch {
    blocked_since: AtomicU64,
}

fn millis_since_start() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_millis())
        .unwrap_or(u64::MAX)
        .saturating_add(1)
}

impl WriteWatch {
    fn pending(&self) {
        let _ = self.blocked_since.compare_exchange(
            0,
            millis_since_start(),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    fn progressed(&self) {
        self.blocked_since.store(0, Ordering::Relaxed);
    }

    fn stalled_for(&self) -> Option<Duration> {
        match self.blocked_since.load(Ordering::Relaxed) {
            0 => None,
            since => Some(Duration::from_millis(
                millis_since_start().saturating_sub(since),
            )),
        }
    }
}

/// A TCP stream that notes when its writes wait on the client.
struct Watched {
    inner: tokio::net::TcpStream,
    watch: Arc<WriteWatch>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.note(polled.is_pending());
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.note(polled.is_pending());
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl Watched {
    fn note(&self, pending: bool) {
        if pending {
            self.watch.pending();
        } else {
            self.watch.progressed();
        }
    }
}

/// The face's answer as hyper's response, sent from the answer's own zeroizing buffer (wiped
/// once written).
fn respond(answer: Answer) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = answer.content_type();
    let location = answer
        .location()
        .and_then(|l| HeaderValue::from_str(l).ok());
    let close = answer.close();
    let mut response = Response::new(Full::new(Bytes::from_owner(answer.into_body())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(ct) = content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    if let Some(location) = location {
        headers.insert(header::LOCATION, location);
    }
    if close {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Why a request body was not read.
enum BodyFault {
    TooLarge,
    TimedOut,
    Broken,
}

/// Reads a whole body into a zeroizing buffer: at most `limit` bytes, by `deadline`. The
/// buffer is sized from the declared length and otherwise grown by hand, so no reallocation
/// frees an unwiped copy; a frame that is the last reference to its memory is wiped once
/// copied (with hyper 1.12 frames are slices of hyper's read buffer, which cannot be wiped
/// from here).
async fn read_body<B>(
    mut body: B,
    limit: usize,
    deadline: tokio::time::Instant,
) -> Result<Zeroizing<Vec<u8>>, BodyFault>
where
    B: Body<Data = Bytes> + Unpin,
{
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
