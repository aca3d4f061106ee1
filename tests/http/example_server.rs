//! The example server (`examples/server/main.rs`), the real binary, started on loopback for a test:
//! built once as the test was built, its address and printed shares read from its stdout.
//! Shared by the `server`, `conformance` and `operator_tool` modules of this binary.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// Builds `examples/server/main.rs` with the features and profile this test was built with (so the
/// build reuses the test run's artifacts) and returns the executable's path, as cargo reports it.
pub fn server_binary() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_example("server"))
}

/// `examples/axum_host.rs`, built as [`server_binary`] builds the server.
pub fn axum_host_binary() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_example("axum_host"))
}

fn build_example(name: &str) -> PathBuf {
    {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "build",
            "--example",
            name,
            "--features",
            "server",
            "--message-format=json-render-diagnostics",
        ]);
        if !cfg!(feature = "pgp") {
            cmd.arg("--no-default-features");
        }
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let out = cmd.stderr(Stdio::inherit()).output().unwrap();
        assert!(out.status.success(), "cargo build --example server failed");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported no executable for the example")
    }
}

/// A running server; killed (and reaped) on drop.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// The `Unseal Key K` values, in order, base64 as printed.
    pub shares: Vec<String>,
    /// `Unseal Key K (NAME)` values: `(NAME, share)`, in order.
    pub namespace_shares: Vec<(String, String)>,
}

impl Server {
    /// Starts `examples/server/main.rs --listen 127.0.0.1:0 ARGS` with the root and DR families
    /// open to anyone (`--enable-unauthenticated-access`, Vault 1.x's model, which most tests
    /// of the protocol assume) unless ARGS name a `--token-file`; reads its address and shares.
    pub fn start(args: &[&str]) -> Self {
        if args.contains(&"--token-file") {
            return Self::start_exactly(args);
        }
        let open = [
            "--enable-unauthenticated-access",
            "generate-root,generate-operation-token",
        ];
        Self::start_exactly(&[&open[..], args].concat())
    }

    /// Starts `examples/server/main.rs --listen 127.0.0.1:0 ARGS`, nothing added.
    pub fn start_exactly(args: &[&str]) -> Self {
        Self::start_binary(server_binary(), args)
    }

    /// Starts `BINARY --listen 127.0.0.1:0 ARGS` (an example that prints as the server does).
    pub fn start_binary(binary: &PathBuf, args: &[&str]) -> Self {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut shares = Vec::new();
        let mut namespace_shares = Vec::new();
        let addr = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("the server printed no `Listening on` line within 30 s");
            if let Some(rest) = line.strip_prefix("Unseal Key ") {
                let (k, share) = rest.split_once(": ").unwrap();
                if let Some((_, ns)) = k.split_once(" (") {
                    let ns = ns.trim_end_matches(')').to_owned();
                    namespace_shares.push((ns, share.to_owned()));
                    continue;
                }
                assert_eq!(
                    k.parse::<usize>().unwrap(),
                    shares.len() + 1,
                    "keys count from 1"
                );
                shares.push(share.to_owned());
            } else if let Some(addr) = line.strip_prefix("Listening on http://") {
                break addr.parse().unwrap();
            }
        };
        Self {
            child,
            addr,
            shares,
            namespace_shares,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
