//! The crate's HTTP face mounted in an axum app, beside the app's own route and middleware.
//!
//! ```sh
//! cargo run --features server --example axum_host -- [--listen ADDR]
//! ```
//! Everything under `/v1/` goes to the crate ([`Server::handle`]: zeroizing capped body reads,
//! the face's routes and texts, the host's steps); `/healthz` is the app's; every answer passes
//! the app's middleware. Root generation is open to anyone here (Vault 1.x's model): a real app
//! answers `authorize` from its token store (or an `http::CallerTokens`).

use axum::{Router, extract::Request, middleware, response::Response, routing::get};
use rand::Rng as _;
use recovery_token::adapter::{Server, ServerConfig, ServerHost};
use recovery_token::http::{Access, Authorize, Face, MintToken, Verdict};
use recovery_token::{CombinedKey, GeneratorConfig, HostReason, RecoveryTokenGenerator};
use recovery_token::{Strategy, Token, shares::KeyShare};
use zeroize::Zeroizing;

struct App(Zeroizing<Vec<u8>>);

impl ServerHost for App {
    async fn authorize(&self, _: &Authorize) -> Verdict {
        Verdict::UnknownToken // no token store here: only the open families are served
    }
    async fn check_key(
        &self,
        _: Strategy,
        _: Option<&str>,
        key: &CombinedKey,
    ) -> Result<(), HostReason> {
        let refused = || "unable to authenticate: combined key does not match".into();
        key.ct_eq_bytes(&self.0).then_some(()).ok_or_else(refused)
    }
    async fn mint(&self, request: &MintToken) -> Result<Token, HostReason> {
        Ok(request.format().mint(&mut rand::rng())) // no lifetimes here: `request.ttl()` is None
    }
    async fn revoke(&self, _: &Token, _: Strategy, _: Option<&str>) {}
}

async fn served_by(request: Request, next: middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let value = axum::http::HeaderValue::from_static("axum-host");
    response.headers_mut().insert("x-served-by", value);
    response
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut key = Zeroizing::new(vec![0u8; 32]);
    rand::rng().fill_bytes(&mut key);
    for (k, share) in KeyShare::split(&key, 3, 5, &mut rand::rng())?
        .iter()
        .enumerate()
    {
        println!("Unseal Key {}: {}", k + 1, share.to_base64().as_str());
    }
    let config = GeneratorConfig::builder(3)
        .with_key_length(key.len())
        .build()?;
    let face = Face::new(RecoveryTokenGenerator::new(config))
        .with_access(Access::enable_unauthenticated(&["generate-root"])?);
    let server = Server::new(face, App(key), ServerConfig::default());
    tokio::spawn(server.clone().drive_timers()); // attempts expire on time
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .fallback(move |request: Request| async move { server.handle(request).await })
        .layer(middleware::from_fn(served_by));
    let args: Vec<String> = std::env::args().collect(); // [--listen ADDR]
    let listen = args.iter().skip_while(|a| *a != "--listen").nth(1);
    let listener =
        tokio::net::TcpListener::bind(listen.map_or("127.0.0.1:0", String::as_str)).await?;
    println!("Listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
