//! The example server's flags: each one's help is its doc comment (`--help` prints them).

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{CommandFactory as _, Parser, error::ErrorKind};
use recovery_token::adapter::ServerConfig;
use recovery_token::http::Access;
use zeroize::Zeroizing;

use crate::Key;

/// Serves sys/generate-recovery-token/*, sys/generate-root/* and the DR operation token
/// endpoints (and, with --openbao, sys/generate-root-token/* and sys/decode-token) on one
/// attempt slot per namespace, as Vault and OpenBao do.
#[derive(Parser)]
#[command(
    name = "server",
    disable_version_flag = true,
    args_override_self = true
)]
pub(crate) struct Options {
    /// Address to listen on (port 0 picks one)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8200")]
    pub(crate) listen: SocketAddr,
    /// Shares needed to recombine the key, 1..=255
    #[arg(long, value_name = "T", default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..))]
    pub(crate) threshold: u8,
    /// Shares to print, T..=255 [default: 5; 1 when T is 1]
    #[arg(long, value_name = "N")]
    pub(crate) shares: Option<u8>,
    /// Use this 16- to 32-byte key (no shares printed); for tests: a key on the command line is
    /// readable by every local user
    #[arg(long, value_name = "HEX", conflicts_with = "key_file")]
    pub(crate) key_hex: Option<Zeroizing<String>>,
    /// Read the key (hex) from FILE instead
    #[arg(long, value_name = "FILE")]
    pub(crate) key_file: Option<PathBuf>,
    /// 26-character OTPs and s./r. tokens (Vault before 1.10)
    #[arg(long)]
    pub(crate) legacy_tokens: bool,
    /// OpenBao 2.x: its router, texts and tokens (s. root, OTP 26)
    #[arg(long)]
    pub(crate) openbao: bool,
    /// Serve as `bao server -recovery` does: only sys/generate-recovery-token/* and sys/raw,
    /// Go's 404 page elsewhere
    #[arg(long, requires = "openbao", conflicts_with = "namespace")]
    pub(crate) recovery_mode: bool,
    /// A sealable namespace with its own slot and key set, selected by X-Vault-Namespace
    /// (repeatable)
    #[arg(long, value_name = "NAME", requires = "openbao")]
    pub(crate) namespace: Vec<String>,
    /// Families anyone may call without a token: generate-root, generate-operation-token
    /// (comma-separated; default none, as Vault 2.x and OpenBao 2.6+)
    #[arg(long, value_name = "LIST", value_parser = access, default_value = "", hide_default_value = true)]
    pub(crate) enable_unauthenticated_access: Access,
    /// Tokens that may call the root and DR families, one per line (the root tokens this
    /// server mints may too)
    #[arg(long, value_name = "FILE")]
    pub(crate) token_file: Option<PathBuf>,
    /// A start may ask for a root token lifetime ("ttl": a Go duration, 1h30m): the root token
    /// minted then stops being authorized that long after it was minted (refused with a 400
    /// without this flag)
    #[arg(long)]
    pub(crate) allow_ttl: bool,
    /// Vault's behaviour: accept shares of any length until the combine
    #[arg(long)]
    pub(crate) no_strict_share_sets: bool,
    /// Print the audit events (shares named by keyed hash) to stderr
    #[arg(long)]
    pub(crate) audit_log: bool,
    /// An attempt expires, its shares wiped, SECS after its start (0 = never, Vault's
    /// behaviour)
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub(crate) attempt_lifetime: u64,
    /// A wrong-nonce update is refused without repeating the nonce
    #[arg(long)]
    pub(crate) no_disclose_nonce: bool,
    /// A cancel must name the nonce: DELETE body {"nonce":".."} or ?nonce=
    #[arg(long)]
    pub(crate) cancel_requires_nonce: bool,
    /// The share registry (public): written when this server splits the key, read with
    /// --key-hex/--key-file; foreign shares are refused at once
    #[arg(long, value_name = "FILE")]
    pub(crate) share_registry: Option<PathBuf>,
    /// A start and a cancel must carry a registered share in the body's "key" (needs
    /// --share-registry with a given key)
    #[arg(long)]
    pub(crate) holders_only_start_cancel: bool,
    /// Close a connection whose request headers take longer, 1..=86400
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400), default_value_t = ServerConfig::default().header_timeout().as_secs())]
    pub(crate) header_timeout: u64,
    /// Answer 408 and close when a body takes longer, 1..=86400
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400), default_value_t = ServerConfig::default().body_timeout().as_secs())]
    pub(crate) body_timeout: u64,
    /// Close a connection whose answer goes unread that long, 1..=86400
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400), default_value_t = ServerConfig::default().write_timeout().as_secs())]
    pub(crate) write_timeout: u64,
    /// Connections served at once; more wait to be accepted [default: 256]
    #[arg(long, value_name = "N")]
    pub(crate) max_connections: Option<NonZeroUsize>,
    /// Larger request bodies get 413 [default: 2097152]
    #[arg(long, value_name = "BYTES")]
    pub(crate) max_request_size: Option<usize>,
}

pub(crate) fn key_hex(hex: &str) -> Result<Key, String> {
    let bad = || "the key must be 16 to 32 bytes as hex digits".to_owned();
    if !(32..=64).contains(&hex.len()) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let pairs = hex.as_bytes().chunks(2).map(std::str::from_utf8);
    let bytes = pairs.map(|p| u8::from_str_radix(p.map_err(|_| bad())?, 16).map_err(|_| bad()));
    Ok(Zeroizing::new(bytes.collect::<Result<_, _>>()?))
}

fn access(list: &str) -> Result<Access, String> {
    if list.is_empty() {
        return Ok(Access::default());
    }
    let names: Vec<&str> = list.split(',').map(str::trim).collect();
    Access::enable_unauthenticated(&names).map_err(|e| e.to_string())
}

impl Options {
    /// The flags, and the key they name (`--key-hex`, `--key-file`). A bad flag or key: its
    /// error and the usage on stderr, exit status 2 (a bad key is never echoed).
    pub(crate) fn read() -> (Self, Option<Key>) {
        let options = Self::parse();
        match (options.threshold, options.shares) {
            (1, Some(n)) if n != 1 => {
                refuse("with --threshold 1 the key itself is the only share".into())
            }
            (t, Some(n)) if n < t => refuse(format!("--shares must be {t}..=255")),
            _ => {}
        }
        // The key is read here, so a bad one is a usage error (exit status 2) that never echoes it.
        let given = match (&options.key_hex, &options.key_file) {
            (Some(hex), _) => Some(key_hex(hex)),
            (_, Some(path)) => Some(match std::fs::read_to_string(path).map(Zeroizing::new) {
                Ok(text) => key_hex(text.trim()),
                Err(e) => Err(format!("--key-file {}: {e}", path.display())),
            }),
            (None, None) => None,
        };
        let given = given.transpose().unwrap_or_else(|msg| refuse(msg));
        (options, given)
    }
}

/// A usage error: the message and the usage on stderr, exit status 2 (as for a bad flag).
fn refuse(msg: String) -> ! {
    Options::command()
        .error(ErrorKind::ValueValidation, msg)
        .exit()
}
