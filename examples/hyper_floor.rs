//! A benchmark floor, not a server to deploy: the smallest hyper 1 HTTP/1.1 server, built from
//! the crate's own dependency tree (hyper, hyper-util, http-body-util, tokio), that answers every
//! request with one fixed JSON body: the example server's answer to a status GET
//! (`GET /v1/sys/generate-recovery-token/attempt` before any attempt, Vault profile). It has no
//! router, no face, no timeouts, no connection cap and no body handling: what is left is what
//! hyper and tokio cost per request, the floor under the adapter's figures in BENCHMARKS.md
//! ("HTTP status GETs: adapter vs OpenBao vs a bare hyper floor").
//!
//! ```sh
//! cargo build --release --features server --example hyper_floor
//! target/release/examples/hyper_floor 127.0.0.1:18711
//! ```
//!
//! It runs on the same runtime as examples/server/main.rs (tokio's multi-threaded runtime, one worker
//! per core) and prints `Listening on http://ADDR` once ready.

use std::convert::Infallible;
use std::process::ExitCode;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, header};
use hyper_util::rt::TokioIo;

/// The example server's status answer before any attempt (Vault profile), byte for byte.
const BODY: &str = concat!(
    r#"{"nonce":"","started":false,"progress":0,"required":3,"complete":false,"encoded_token":"","encoded_root_token":"","pgp_fingerprint":"","otp":"","otp_length":28}"#,
    "\n"
);

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18711".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let served = runtime
        .map_err(|e| format!("cannot start the runtime: {e}"))
        .and_then(|rt| rt.block_on(serve(&addr)));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("hyper_floor: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: &str) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("Listening on http://{local}");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let service = service_fn(|_request| async {
                let mut response = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    header::HeaderValue::from_static("application/json"),
                );
                Ok::<_, Infallible>(response)
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
