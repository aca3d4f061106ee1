//! `examples/async_host.rs` end to end: an async key check and token store with latency and
//! injected failures, holders submitting concurrently on a multi-threaded runtime.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/async_host.rs"]
mod example;

use std::sync::Arc;
use std::time::Duration;

use example::{AsyncHost, Fault, request, root_ceremony, split};
use recovery_token::tokens::decode_token;
use recovery_token::{Error, GeneratorConfig, Strategy};

fn host(key: &[u8; 32], t: usize) -> Arc<AsyncHost> {
    host_with_latency(key, t, Duration::from_millis(30))
}

fn host_with_latency(key: &[u8; 32], t: usize, latency: Duration) -> Arc<AsyncHost> {
    let config = GeneratorConfig::builder(t)
        .with_key_length(32)
        .build()
        .unwrap();
    Arc::new(AsyncHost::new(config, key, latency))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn concurrent_holders_get_one_completion_and_the_others_a_clear_answer() {
    runtime().block_on(async {
        let key = [7u8; 32];
        let shares = split(&key, 3, 5);
        let host = host(&key, 3);
        let (started, results) = root_ceremony(&host, &shares).await;
        let done: Vec<_> = results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .filter(|s| s.complete)
            .collect();
        assert_eq!(done.len(), 1, "{results:?}");
        let token = decode_token(&done[0].encoded_token, started.otp.expose_secret(), 28).unwrap();
        assert!(host.store.is_live(token.expose_secret()));
        // Five holders, threshold three: the two after the threshold were refused while the
        // key was checked (or found the attempt gone), never told a progress that was dropped.
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), 2);
        for r in &results {
            match r {
                Ok(s) => assert!(s.complete || s.progress < 3, "{s:?}"),
                Err(e) => assert!(
                    matches!(e, Error::CompletionPending | Error::NoAttempt),
                    "{e}"
                ),
            }
        }
        assert!(!host.status(Strategy::Root).started);
        assert!(host.store.revoked().is_empty());
    });
}

#[test]
fn a_mint_failure_reaches_the_client_with_the_stores_reason() {
    runtime().block_on(async {
        let key = [9u8; 32];
        let shares = split(&key, 2, 3);
        let host = host(&key, 2);
        host.store.inject(Fault::Unavailable);
        let s = host.start(Strategy::Root).unwrap();
        host.update(Strategy::Root, &request(&shares[0], &s.nonce))
            .await
            .unwrap();
        let err = host
            .update(Strategy::Root, &request(&shares[1], &s.nonce))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "unable to create token: token store unavailable: connection refused"
        );
        let st = host.status(Strategy::Root);
        assert_eq!((st.started, st.progress), (true, 0));
        // The same attempt completes once the store is back.
        host.update(Strategy::Root, &request(&shares[2], &s.nonce))
            .await
            .unwrap();
        let done = host
            .update(Strategy::Root, &request(&shares[0], &s.nonce))
            .await
            .unwrap();
        let token = decode_token(&done.encoded_token, s.otp.expose_secret(), 28).unwrap();
        assert!(host.store.is_live(token.expose_secret()));
    });
}

#[test]
fn a_token_minted_but_not_issued_is_revoked() {
    runtime().block_on(async {
        let key = [3u8; 32];
        let shares = split(&key, 2, 2);
        let host = host(&key, 2);
        host.store.inject(Fault::WrongFormat);
        let s = host.start(Strategy::Root).unwrap();
        host.update(Strategy::Root, &request(&shares[0], &s.nonce))
            .await
            .unwrap();
        let err = host
            .update(Strategy::Root, &request(&shares[1], &s.nonce))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "xor of root token failed: length of byte slices is not equivalent: 28 != 26"
        );
        let revoked = host.store.revoked();
        assert_eq!(revoked.len(), 1);
        assert!(revoked[0].starts_with("s.") && revoked[0].len() == 26);
        assert!(!host.store.is_live(&revoked[0]));
        assert_eq!(host.status(Strategy::Root).progress, 0);
    });
}

#[test]
fn a_cancel_during_the_async_mint_revokes_the_late_token() {
    runtime().block_on(async {
        let key = [5u8; 32];
        let shares = split(&key, 2, 2);
        let host = host_with_latency(&key, 2, Duration::from_millis(100));
        let s = host.start(Strategy::Root).unwrap();
        host.update(Strategy::Root, &request(&shares[0], &s.nonce))
            .await
            .unwrap();
        let h = Arc::clone(&host);
        let r = request(&shares[1], &s.nonce);
        let last = tokio::spawn(async move { h.update(Strategy::Root, &r).await });
        // The key check and the mint take 100 ms each: cancel while they run.
        tokio::time::sleep(Duration::from_millis(50)).await;
        host.cancel().unwrap();
        assert_eq!(last.await.unwrap(), Err(Error::StaleCompletion));
        assert_eq!(host.store.revoked().len(), 1);
    });
}

#[test]
fn a_recovery_ceremony_completes_through_the_async_check_and_a_wrong_key_is_refused() {
    runtime().block_on(async {
        let key = [1u8; 32];
        let shares = split(&key, 2, 3);
        let host = host(&[2u8; 32], 2);
        let s = host.start(Strategy::Recovery).unwrap();
        host.update(Strategy::Recovery, &request(&shares[0], &s.nonce))
            .await
            .unwrap();
        let err = host
            .update(Strategy::Recovery, &request(&shares[1], &s.nonce))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("root generation aborted: unable to authenticate")
        );

        let host = self::host(&key, 2);
        let s = host.start(Strategy::Recovery).unwrap();
        host.update(Strategy::Recovery, &request(&shares[2], &s.nonce))
            .await
            .unwrap();
        let done = host
            .update(Strategy::Recovery, &request(&shares[0], &s.nonce))
            .await
            .unwrap();
        let token = decode_token(&done.encoded_token, s.otp.expose_secret(), 28).unwrap();
        assert!(token.expose_secret().starts_with("hvr."));
    });
}
