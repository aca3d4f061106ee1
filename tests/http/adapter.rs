//! The adapter (`recovery_token::adapter`, feature `server`) over real HTTP on loopback: its
//! cancellation safety and its bounds under slow or stalled clients. Every loop is bounded and
//! every test stops by itself.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::await_holding_lock
)]

use crate::support::{AsyncTestHost, TestHost, http};

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use recovery_token::adapter::{Server, ServerConfig};
use recovery_token::audit::AuditEventKind;
use recovery_token::http::{Access, Face};
use recovery_token::{GeneratorConfig, RecoveryTokenGenerator};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

const KEY: [u8; 32] = [7; 32];
const STATUS: &str = "GET /v1/sys/generate-root/attempt HTTP/1.1\r\nHost: x\r\n\r\n";

/// The shared host, expecting [`KEY`].
fn host() -> AsyncTestHost {
    AsyncTestHost::new(TestHost::new(&KEY))
}

/// Serves a threshold-1 face (root family open) on 127.0.0.1:0 until the test's runtime ends.
async fn serve(host: AsyncTestHost, config: ServerConfig) -> (SocketAddr, Server<AsyncTestHost>) {
    serve_generator(GeneratorConfig::new(1).unwrap(), host, config).await
}

/// [`serve`] with a generator configuration of the test's own.
async fn serve_generator(
    generator: GeneratorConfig,
    host: AsyncTestHost,
    config: ServerConfig,
) -> (SocketAddr, Server<AsyncTestHost>) {
    let generator = RecoveryTokenGenerator::new(generator);
    let access = Access::enable_unauthenticated(&["generate-root"]).unwrap();
    let server = Server::new(Face::new(generator).with_access(access), host, config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server.clone().serve(listener, std::future::pending()));
    (addr, server)
}

/// One request on a fresh connection, by the shared client; the status and body of its answer,
/// within `limit` (else the test fails).
async fn call(addr: SocketAddr, request: &str, limit: Duration) -> (u16, String) {
    let reply = http::within(addr, request, limit).await;
    (reply.status, reply.body)
}

fn put(path: &str, body: &str) -> String {
    format!(
        "PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_calls_audit_events_reach_the_host_with_their_namespace() {
    let (addr, server) = serve(host(), ServerConfig::default()).await;
    let limit = Duration::from_secs(5);
    let attempt = "/v1/sys/generate-root/attempt";
    let (status, body) = call(addr, &put(attempt, "{}"), limit).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.host().audited(), [(None, AuditEventKind::Started)]);
    let cancel = format!("DELETE {attempt} HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(call(addr, &cancel, limit).await.0, 204);
    let audited = server.host().audited();
    assert_eq!(audited.len(), 2, "{audited:?}");
    assert!(
        matches!(audited[1], (None, AuditEventKind::Cancelled { .. })),
        "{audited:?}"
    );
    // Drained, not repeated: a status read adds nothing.
    assert_eq!(call(addr, STATUS, limit).await.0, 200);
    assert_eq!(server.host().audited().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_between_mint_and_issue_gets_its_token_revoked() {
    let host = host().with_mint_delay(Duration::from_millis(500));
    let (addr, server) = serve(host, ServerConfig::default()).await;
    let (status, body) = call(
        addr,
        &put("/v1/sys/generate-root/attempt", "{}"),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let started: serde_json::Value = serde_json::from_str(&body).unwrap();
    let nonce = started["nonce"].as_str().unwrap().to_owned();
    let update = format!(r#"{{"key":"{}","nonce":"{nonce}"}}"#, STANDARD.encode(KEY));
    // The last share, then hang up while the host mints.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(put("/v1/sys/generate-root/update", &update).as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(s);
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.host().host().revoked.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let minted = server.host().host().minted.clone();
    let revoked = server.host().host().revoked.clone();
    assert_eq!(minted.len(), 1, "the host minted once");
    assert_eq!(
        revoked, minted,
        "the minted, never delivered token is revoked"
    );
    // It was not issued: the attempt is still there, waiting for the share again.
    let (status, body) = call(addr, STATUS, Duration::from_secs(5)).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(r#""started":true"#) && body.contains(r#""complete":false"#),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stays_gets_its_token_and_nothing_is_revoked() {
    let (addr, server) = serve(host(), ServerConfig::default()).await;
    let (_, body) = call(
        addr,
        &put("/v1/sys/generate-root/attempt", "{}"),
        Duration::from_secs(5),
    )
    .await;
    let started: serde_json::Value = serde_json::from_str(&body).unwrap();
    let update = format!(
        r#"{{"key":"{}","nonce":"{}"}}"#,
        STANDARD.encode(KEY),
        started["nonce"].as_str().unwrap()
    );
    let (status, body) = call(
        addr,
        &put("/v1/sys/generate-root/update", &update),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""complete":true"#), "{body}");
    assert_eq!(server.host().host().minted.len(), 1);
    assert!(server.host().host().revoked.is_empty());
}

/// The flood tests measure time: one at a time. (Each runs on its own runtime and holds the
/// guard for its whole body, across awaits, on purpose.)
static SERIAL: Mutex<()> = Mutex::new(());

/// Opens `n` connections that each pipeline `per` status GETs and never read an answer.
async fn stalled_readers(addr: SocketAddr, n: usize, per: usize) -> Vec<TcpStream> {
    let burst = STATUS.repeat(per);
    let mut held = Vec::new();
    for _ in 0..n {
        let mut s = TcpStream::connect(addr).await.unwrap();
        // The kernel takes what fits; the rest waits in our buffer, which we never flush.
        let _ =
            tokio::time::timeout(Duration::from_millis(200), s.write_all(burst.as_bytes())).await;
        held.push(s);
    }
    held
}

/// The worst wait of `tries` status GETs, one after another.
async fn worst_status_wait(addr: SocketAddr, tries: usize, bound: Duration) -> Duration {
    let mut worst = Duration::ZERO;
    for _ in 0..tries {
        let t = Instant::now();
        let (status, _) = call(addr, STATUS, bound).await;
        assert_eq!(status, 200);
        worst = worst.max(t.elapsed());
    }
    worst
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_readers_holding_every_slot_are_shed_by_the_request_budget_and_timeouts() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Every slot held by a connection that pipelines thousands of GETs and never reads.
    // A stalled reader is answered until the kernel's buffers fill, then stuck writing (the
    // write timeout frees its slot); or it is answered for its request budget (1000 by
    // default) and closed; once the kernel took all its answers it is idle or mid-header (the
    // header timeout frees it).
    let config = ServerConfig::builder()
        .max_connections(16)
        .write_timeout(Duration::from_secs(1))
        .header_timeout(Duration::from_secs(1))
        .max_requests_per_connection(1000)
        .build();
    let (addr, _server) = serve(host(), config).await;
    let held = stalled_readers(addr, 16, 14_000).await;
    // Bound: 5 s: the first of 16 connections to reach 1000 answers (about 1 s here in a
    // debug build on two busy cores), or a 1 s timeout + its 250 ms check tick.
    let worst = worst_status_wait(addr, 5, Duration::from_secs(5)).await;
    eprintln!("stalled readers holding every slot: worst status GET {worst:?}");
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_readers_with_default_flags_do_not_delay_a_status_get() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (addr, _server) = serve(host(), ServerConfig::default()).await;
    let held = stalled_readers(addr, 64, 14_000).await;
    let worst = worst_status_wait(addr, 20, Duration::from_secs(2)).await;
    eprintln!("64 stalled readers, default config: worst status GET {worst:?}");
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_type_flood_does_not_delay_a_status_get() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Headers large enough that the face's media-type parser sees every byte.
    let config = ServerConfig::builder().max_header_bytes(256 * 1024).build();
    let (addr, _server) = serve(host(), config).await;
    let mut params = String::from("application/merge-patch+json");
    for i in 0..10_000 {
        params.push_str(&format!(";p{i:05}=val"));
    }
    assert!(params.len() > 100_000);
    let flood = format!(
        "PATCH /v1/sys/generate-root/update HTTP/1.1\r\nHost: x\r\nContent-Type: {params}\r\nContent-Length: 2\r\n\r\n{{}}"
    );
    let stop = Instant::now() + Duration::from_secs(4);
    let mut flooders = Vec::new();
    for _ in 0..8 {
        let flood = flood.clone();
        flooders.push(tokio::spawn(async move {
            let mut sent = 0u32;
            while Instant::now() < stop {
                let Ok(mut s) = TcpStream::connect(addr).await else {
                    break;
                };
                if s.write_all(flood.as_bytes()).await.is_err() {
                    continue;
                }
                let mut buf = [0u8; 1024];
                let _ = tokio::time::timeout(Duration::from_secs(1), s.read(&mut buf)).await;
                sent += 1;
            }
            sent
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Bound: 2 s for a status GET while eight clients send 100 KB Content-Types (about 0.7 s
    // measured in a debug build on two busy cores; the parser is linear).
    let worst = worst_status_wait(addr, 10, Duration::from_secs(2)).await;
    let mut sent = 0;
    for f in flooders {
        sent += f.await.unwrap();
    }
    assert!(sent > 8, "the flood ran ({sent} requests)");
    eprintln!("content-type flood ({sent} requests of 100 KB): worst status GET {worst:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_expires_on_time_without_another_request() {
    let config = GeneratorConfig::builder(1)
        .with_attempt_lifetime(Duration::from_millis(300))
        .build()
        .unwrap();
    let access = Access::enable_unauthenticated(&["generate-root"]).unwrap();
    let face = Face::new(RecoveryTokenGenerator::new(config)).with_access(access);
    let server = Server::new(face, host(), ServerConfig::default());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server.clone().serve(listener, std::future::pending()));
    let (status, _) = call(
        addr,
        &put("/v1/sys/generate-root/attempt", "{}"),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        server.with_face(|f| f.poll_timeout()).is_some(),
        "the attempt has a deadline"
    );
    // No request after the start: only the adapter's timer can wipe it.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        server.with_face(|f| f.poll_timeout()),
        None,
        "wiped by the timer"
    );
}

/// A whole root ceremony at threshold 1 with the start body `start`: the start's answer, and
/// the update's (status, body) when the start was accepted.
async fn root_ceremony(addr: SocketAddr, start: &str) -> (u16, String, Option<(u16, String)>) {
    let bound = Duration::from_secs(5);
    let (status, body) = call(addr, &put("/v1/sys/generate-root/attempt", start), bound).await;
    if status != 200 {
        return (status, body, None);
    }
    let started: serde_json::Value = serde_json::from_str(&body).unwrap();
    let update = format!(
        r#"{{"key":"{}","nonce":"{}"}}"#,
        STANDARD.encode(KEY),
        started["nonce"].as_str().unwrap()
    );
    let done = call(addr, &put("/v1/sys/generate-root/update", &update), bound).await;
    (status, body, Some(done))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_starts_ttl_reaches_the_hosts_mint_when_supported() {
    let generator = GeneratorConfig::builder(1)
        .with_ttl_supported(true)
        .build()
        .unwrap();
    let (addr, server) = serve_generator(generator, host(), ServerConfig::default()).await;
    let (status, body, done) = root_ceremony(addr, r#"{"ttl":"1h30m"}"#).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = done.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""complete":true"#), "{body}");
    // And a start without one: the mint is asked for no lifetime.
    let (_, _, done) = root_ceremony(addr, "{}").await;
    assert_eq!(done.unwrap().0, 200);
    assert_eq!(
        *server.host().host().ttls,
        [Some(Duration::from_secs(5400)), None]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_without_ttl_support_never_sees_a_ttl() {
    let (addr, server) = serve(host(), ServerConfig::default()).await;
    let (status, body, done) = root_ceremony(addr, r#"{"ttl":"1h"}"#).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        "{\"errors\":[\"this server does not support a root token lifetime ('ttl')\"]}\n"
    );
    assert!(done.is_none());
    let (_, _, done) = root_ceremony(addr, "{}").await;
    assert_eq!(done.unwrap().0, 200);
    assert_eq!(*server.host().host().ttls, [None], "one mint, no lifetime");
}
