//! `generate-root` in Rust: the key holders' side of a root, recovery or DR operation token
//! ceremony, in the spirit of `bao operator generate-root` / `vault operator generate-root`,
//! built on `recovery_token::client` (the library builds the requests and parses the answers;
//! this file only carries them over HTTP with `ureq`).
//!
//! ```text
//! operator [--address URL] [--recovery-token | --dr-token | --token TOKEN] [--namespace NS]
//!          [--format table|json] OPERATION
//!
//!   --status                         print the attempt's status
//!   --generate-otp                   print an OTP of the server's length (made here)
//!   --init [--otp OTP | --pgp-key FILE]
//!                                    start an attempt (without either: the server generates the
//!                                    OTP and this prints it, once)
//!   --nonce NONCE [KEY | -]          submit a share: KEY on the command line (avoid: it shows
//!                                    in `ps` and shell history), `-` reads one line from stdin,
//!                                    nothing prompts on a TTY without echo (or reads a line
//!                                    when stdin is not a TTY). The share is NOT sent unless
//!                                    NONCE is the nonce of the attempt in progress.
//!   --decode ENC --otp OTP           decode an encoded token (`--decode -` reads it from stdin)
//!   --cancel                         cancel the attempt in progress
//!
//!   --holder [KEY | -]               with --init or --cancel: send a key holder's share (as
//!                                    for --nonce: KEY, `-` for stdin, or a hidden prompt), for
//!                                    a server with holders-only start and cancel (this crate's
//!                                    option; Vault and OpenBao ignore it). Not counted as a
//!                                    share of the attempt.
//!   --ttl DURATION                   with --init: the root token's lifetime (Go syntax, `1h30m`),
//!                                    for a server that supports one (this crate's option)
//!
//!   --address     the server (default: $BAO_ADDR, else $VAULT_ADDR, else http://127.0.0.1:8200)
//!   --recovery-token                 sys/generate-recovery-token/*
//!   --dr-token                       sys/replication/dr/secondary/generate-operation-token/*
//!   --token TOKEN                    OpenBao's authenticated sys/generate-root-token/* (the
//!                                    token needs sudo); with --recovery-token or --dr-token it
//!                                    is only sent along. Default: Vault's sys/generate-root/*.
//!   --namespace NS                   sends X-Vault-Namespace
//! ```
//!
//! Flags take `--flag VALUE` or `--flag=VALUE`, with one dash or two. Output is the CLI's
//! key/value table or, with `--format json`, its JSON. Exit status: 0 on success, 1 on a usage
//! error, 2 when the server or the ceremony refuses (as the Go CLI).
//!
//! Differences from the Go CLI: `--decode` needs no server (the OTP's form gives the scheme:
//! padded base64 of 16 bytes is Vault's legacy one); `--token` is explicit (no `BAO_TOKEN`); the
//! share is checked against the nonce of the attempt in progress before it is sent; plain HTTP
//! only (TLS is not built into this example).

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use recovery_token::client::{Ceremony, Client, ClientError, Endpoint, Request, Response, Start};
use recovery_token::tokens::{decode_token, generate_otp};
use recovery_token::wire::AttemptStatus;
use recovery_token::{Otp, SecretString};
use zeroize::Zeroizing;

const USAGE: &str = "usage: operator [--address URL] [--recovery-token | --dr-token | --token TOKEN] \
[--namespace NS] [--format table|json] (--status | --generate-otp | --init [--otp OTP | --pgp-key FILE] \
| --nonce NONCE [KEY|-] | --decode ENC --otp OTP | --cancel) [--holder [KEY|-]] [--ttl DURATION]";

#[derive(Default)]
struct Args {
    address: Option<String>,
    status: bool,
    generate_otp: bool,
    init: bool,
    cancel: bool,
    otp: Option<Zeroizing<String>>,
    pgp_key: Option<String>,
    nonce: Option<String>,
    decode: Option<Zeroizing<String>>,
    recovery: bool,
    dr: bool,
    token: Option<Zeroizing<String>>,
    namespace: Option<String>,
    json: bool,
    key: Option<Zeroizing<String>>,
    holder: bool,
    ttl: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let Some(flag) = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-').filter(|rest| !rest.is_empty()))
        else {
            if a.key.replace(Zeroizing::new(arg)).is_some() {
                return Err("more than one KEY".to_owned());
            }
            continue;
        };
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (flag.to_owned(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("--{name} needs a value"))
        };
        match name.as_str() {
            "address" => a.address = Some(value("address")?),
            "status" => a.status = true,
            "generate-otp" => a.generate_otp = true,
            "init" => a.init = true,
            "cancel" => a.cancel = true,
            "holder" => a.holder = true,
            "ttl" => a.ttl = Some(value("ttl")?),
            "otp" => a.otp = Some(Zeroizing::new(value("otp")?)),
            "pgp-key" => a.pgp_key = Some(value("pgp-key")?),
            "nonce" => a.nonce = Some(value("nonce")?),
            "decode" => a.decode = Some(Zeroizing::new(value("decode")?)),
            "recovery-token" => a.recovery = true,
            "dr-token" => a.dr = true,
            "token" => a.token = Some(Zeroizing::new(value("token")?)),
            "namespace" | "ns" => a.namespace = Some(value("namespace")?),
            "format" => {
                a.json = match value("format")?.as_str() {
                    "json" => true,
                    "table" => false,
                    other => return Err(format!("unknown format {other:?}: table or json")),
                }
            }
            "h" | "help" => return Err(String::new()),
            other => return Err(format!("unknown flag -{other}")),
        }
    }
    let ops = [
        a.status,
        a.generate_otp,
        a.init,
        a.cancel,
        a.decode.is_some(),
        a.nonce.is_some(),
    ];
    if ops.iter().filter(|o| **o).count() != 1 {
        return Err(
            "give exactly one of --status, --generate-otp, --init, --nonce, --decode, --cancel"
                .to_owned(),
        );
    }
    if a.recovery && a.dr {
        return Err("--recovery-token and --dr-token exclude each other".to_owned());
    }
    if a.init && a.otp.is_some() && a.pgp_key.is_some() {
        return Err("--otp and --pgp-key exclude each other".to_owned());
    }
    if a.decode.is_some() && a.otp.is_none() {
        return Err("--decode needs --otp".to_owned());
    }
    if a.key.is_some() && a.nonce.is_none() && !a.holder {
        return Err("a KEY goes with --nonce or --holder".to_owned());
    }
    if a.holder && !(a.init || a.cancel) {
        return Err("--holder goes with --init or --cancel".to_owned());
    }
    if a.ttl.is_some() && !a.init {
        return Err("--ttl goes with --init".to_owned());
    }
    Ok(a)
}

/// The HTTP side: sends a `Request` the library built, returns the answer as a `Response`.
struct Http {
    agent: ureq::Agent,
    address: String,
}

impl Http {
    fn new(address: &str) -> Self {
        let config = ureq::Agent::config_builder()
            // Error answers are answers: the library parses their texts.
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        Self {
            agent: config.into(),
            address: address.trim_end_matches('/').to_owned(),
        }
    }

    fn url(&self, request: &Request) -> String {
        format!("{}{}", self.address, request.path)
    }

    fn send(&self, request: &Request) -> Result<Response, String> {
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(self.url(request));
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let sent = if request.body.is_empty() {
            builder.body(()).map(|r| self.agent.run(r))
        } else {
            builder
                .body(request.body.as_slice())
                .map(|r| self.agent.run(r))
        };
        let mut answer = sent
            .map_err(|e| format!("bad request: {e}"))?
            .map_err(|e| format!("{} {}: {e}", request.method, self.url(request)))?;
        let content_type = answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = answer
            .body_mut()
            .read_to_vec()
            .map_err(|e| format!("reading the answer: {e}"))?;
        Ok(Response::new(answer.status().as_u16(), content_type, body))
    }
}

/// What failed, printed as the Go CLI prints API errors.
fn report(what: &str, http: &Http, request: &Request, e: &ClientError) -> ExitCode {
    match e {
        ClientError::Server(server) => {
            eprintln!("{what}: Error making API request.\n");
            eprintln!("URL: {} {}", request.method, http.url(request));
            eprintln!("Code: {}. Errors:\n", server.status);
            for text in &server.errors {
                eprintln!("* {text}");
            }
        }
        other => eprintln!("{what}: {other}"),
    }
    ExitCode::from(2)
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The status as the Go CLI's `-format=json` prints it: Vault's ten keys, indented by two.
fn status_json(s: &AttemptStatus) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "{{\n  \"nonce\": {},\n  \"started\": {},\n  \"progress\": {},\n  \"required\": {},\n  \
         \"complete\": {},\n  \"encoded_token\": {},\n  \"encoded_root_token\": {},\n  \
         \"pgp_fingerprint\": {},\n  \"otp\": {},\n  \"otp_length\": {}\n}}",
        json_string(&s.nonce),
        s.started,
        s.progress,
        s.required,
        s.complete,
        json_string(&s.encoded_token),
        json_string(&s.encoded_root_token),
        json_string(&s.pgp_fingerprint),
        Zeroizing::new(json_string(s.otp.expose_secret())).as_str(),
        s.otp_length,
    ))
}

/// Key/value rows, the key column padded as the Go CLI's `columnize` does (4 spaces after the
/// longest key).
fn table(rows: &[(&str, String)]) -> Zeroizing<String> {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 4;
    let mut out = Zeroizing::new(String::new());
    for (k, v) in rows {
        out.push_str(&format!("{k:<width$}{v}\n"));
    }
    out
}

/// The status as the Go CLI's table prints it.
fn print_status(s: &AttemptStatus, json: bool) {
    if json {
        println!("{}", status_json(s).as_str());
        return;
    }
    let nonce = if s.nonce.is_empty() { "n/a" } else { &s.nonce };
    let mut rows = vec![
        ("Nonce", nonce.to_owned()),
        ("Started", s.started.to_string()),
        ("Progress", format!("{}/{}", s.progress, s.required)),
        ("Complete", s.complete.to_string()),
    ];
    if !s.pgp_fingerprint.is_empty() {
        rows.push(("PGP Fingerprint", s.pgp_fingerprint.clone()));
    }
    if !s.encoded_token.is_empty() {
        rows.push(("Encoded Token", s.encoded_token.clone()));
    } else if !s.encoded_root_token.is_empty() {
        rows.push(("Encoded Root Token", s.encoded_root_token.clone()));
    }
    if !s.otp.is_empty() {
        eprintln!(
            "A One-Time-Password has been generated for you and is shown in the OTP field.\n\
             You will need this value to decode the resulting root token, so keep it safe."
        );
        rows.push(("OTP", s.otp.expose_secret().to_owned()));
    }
    if s.otp_length != 0 {
        rows.push(("OTP Length", s.otp_length.to_string()));
    }
    print!("{}", table(&rows).as_str());
    // Zeroize the row holding the OTP, if any.
    for (_, v) in &mut rows {
        zeroize::Zeroize::zeroize(v);
    }
}

/// One line from stdin, without its line ending, zeroized on drop.
fn read_line() -> Result<Zeroizing<String>, String> {
    let mut line = Zeroizing::new(String::with_capacity(256));
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("reading stdin: {e}"))?;
    let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
    Ok(trimmed)
}

/// The share: the KEY argument, `-` (one line from stdin), or a prompt without echo on a TTY.
fn read_share(arg: Option<Zeroizing<String>>) -> Result<SecretString, String> {
    let text = match arg {
        Some(k) if k.as_str() != "-" => k,
        Some(_) => read_line()?,
        None if std::io::stdin().is_terminal() => Zeroizing::new(
            rpassword::prompt_password("Unseal Key (will be hidden): ")
                .map_err(|e| format!("reading the key: {e}"))?,
        ),
        None => read_line()?,
    };
    let key = text.trim();
    if key.is_empty() {
        return Err("no key given".to_owned());
    }
    Ok(SecretString::from(key))
}

/// The `pgp_key` Vault's API takes from a file holding a binary key, its base64, or its armor.
fn read_pgp_key(path: &str) -> Result<String, String> {
    use base64::Engine as _;
    let bytes = std::fs::read(path).map_err(|e| format!("reading {path}: {e}"))?;
    let std_b64 = base64::engine::general_purpose::STANDARD;
    if let Ok(text) = std::str::from_utf8(&bytes) {
        let text = text.trim();
        if text.starts_with("-----BEGIN PGP") {
            return Ok(text.to_owned());
        }
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if !compact.is_empty() && std_b64.decode(&compact).is_ok() {
            return Ok(compact);
        }
    }
    Ok(std_b64.encode(&bytes))
}

fn run(args: Args) -> Result<ExitCode, String> {
    // --decode needs no server.
    if let Some(encoded) = &args.decode {
        let encoded = if encoded.as_str() == "-" {
            read_line()?
        } else {
            encoded.clone()
        };
        let otp = args.otp.as_ref().map_or("", |o| o.as_str());
        // Vault's legacy OTP is padded base64 of 16 bytes (24 characters ending "=="); base62
        // OTPs never hold '='.
        let otp_length = if otp.ends_with('=') { 0 } else { otp.len() };
        return match decode_token(encoded.trim(), otp, otp_length) {
            Ok(token) if args.json => {
                println!(
                    "{{\n  \"token\": {}\n}}",
                    Zeroizing::new(json_string(token.expose_secret())).as_str()
                );
                Ok(ExitCode::SUCCESS)
            }
            Ok(token) => {
                println!("{}", token.expose_secret());
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("Error decoding root token: {e}");
                Ok(ExitCode::from(2))
            }
        };
    }

    let address = args
        .address
        .clone()
        .or_else(|| std::env::var("BAO_ADDR").ok())
        .or_else(|| std::env::var("VAULT_ADDR").ok())
        .unwrap_or_else(|| "http://127.0.0.1:8200".to_owned());
    let http = Http::new(&address);
    let endpoint = if args.recovery {
        Endpoint::Recovery
    } else if args.dr {
        Endpoint::DrOperation
    } else if args.token.is_some() {
        Endpoint::RootToken
    } else {
        Endpoint::Root
    };
    let mut client = Client::new(endpoint);
    if let Some(token) = &args.token {
        client = client.with_token(SecretString::from(token.as_str()));
    }
    if let Some(ns) = &args.namespace {
        client = client.with_namespace(ns.clone());
    }
    let mut ceremony = Ceremony::new(client);

    if args.cancel {
        let request = if args.holder {
            // The attempt's nonce, when one is in progress, binds the cancel to it.
            let status = ceremony.status_request();
            let answer = http.send(&status)?;
            let _ = ceremony.handle_status(&answer);
            ceremony.cancel_request_as_holder(read_share(args.key.clone())?)
        } else {
            ceremony.cancel_request()
        };
        let answer = http.send(&request)?;
        if let Err(e) = ceremony.handle_cancel(&answer) {
            return Ok(report(
                "Error canceling root token generation",
                &http,
                &request,
                &e,
            ));
        }
        println!("Success! Root token generation canceled (if it was started)");
        return Ok(ExitCode::SUCCESS);
    }

    // Every other operation starts from the status (the OTP length; the nonce to check).
    let request = ceremony.status_request();
    let answer = http.send(&request)?;
    let status = match ceremony.handle_status(&answer) {
        Ok(s) => s,
        Err(e) => {
            return Ok(report(
                "Error getting root generation status",
                &http,
                &request,
                &e,
            ));
        }
    };

    if args.status {
        print_status(&status, args.json);
    } else if args.generate_otp {
        let otp = if status.otp_length == 0 {
            // Vault's legacy scheme: padded base64 of 16 random bytes.
            use base64::Engine as _;
            let mut bytes = Zeroizing::new([0u8; 16]);
            rand::Rng::fill_bytes(&mut rand::rng(), bytes.as_mut_slice());
            Otp::new(base64::engine::general_purpose::STANDARD.encode(bytes.as_slice()))
        } else {
            generate_otp(status.otp_length, &mut rand::rng())
        };
        if args.json {
            println!(
                "{{\n  \"otp\": {},\n  \"otp_length\": {}\n}}",
                Zeroizing::new(json_string(otp.expose_secret())).as_str(),
                status.otp_length
            );
        } else {
            println!("{}", otp.expose_secret());
        }
    } else if args.init {
        let start = match (&args.otp, &args.pgp_key) {
            (Some(otp), _) => Start::Otp(Otp::from(otp.as_str())),
            (None, Some(path)) => Start::PgpKey(read_pgp_key(path)?),
            (None, None) => Start::GenerateOtp,
        };
        // A status that showed an attempt in progress: the server refuses the start with its
        // own text; ask it rather than refusing here.
        let mut fresh = Ceremony::new(ceremony.client().clone());
        let holder_key = if args.holder {
            read_share(args.key.clone())?
        } else {
            SecretString::default()
        };
        let ttl = args.ttl.clone().unwrap_or_default();
        let request = fresh
            .start_request_with(start, holder_key, ttl)
            .map_err(|e| e.to_string())?;
        let answer = http.send(&request)?;
        match fresh.handle_start(&answer) {
            Ok(s) => print_status(&s, args.json),
            Err(e) => {
                return Ok(report(
                    "Error initializing root generation",
                    &http,
                    &request,
                    &e,
                ));
            }
        }
    } else if let Some(nonce) = &args.nonce {
        let key = read_share(args.key.clone())?;
        let request = match ceremony.update_request_for(key, nonce) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("Error posting unseal key: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        let answer = http.send(&request)?;
        match ceremony.handle_update(&answer) {
            Ok(s) => print_status(&s, args.json),
            Err(e) => return Ok(report("Error posting unseal key", &http, &request, &e)),
        }
    }
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("{e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(1);
        }
    };
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::from(2)
        }
    }
}
