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
//!   --init [--otp-file FILE | --pgp-key FILE]
//!                                    start an attempt with the OTP read from FILE (`-`: one
//!                                    line from stdin), or the PGP key in FILE (without either:
//!                                    the server generates the OTP and this prints it, once)
//!   --nonce NONCE [-]                submit a share: prompted for on a TTY without echo, else
//!                                    (or with `-`) one line read from stdin. The share is NOT
//!                                    sent unless NONCE is the nonce of the attempt in progress.
//!                                    A completion whose encoded token is not what the attempt
//!                                    promises (base64 of OTP-length bytes; with a PGP key, an
//!                                    OpenPGP message) is an error (exit 2).
//!   --decode [--encoded-file FILE] [--otp-file FILE]
//!                                    decode an encoded token; each value is read from its FILE
//!                                    (`-`: a line from stdin, the encoded token first), else
//!                                    prompted for (the OTP without echo), else read from stdin
//!   --cancel                         cancel the attempt in progress
//!
//!   --ttl DURATION                   with --init: the root token's lifetime, sent as the
//!                                    start's `ttl` (Go syntax: `90s`, `1h30m`), for a server
//!                                    that supports one (this crate's option, the example
//!                                    server's --allow-ttl); others refuse it
//!   --holder-file FILE               with --init or --cancel: a key holder's share, read from
//!                                    FILE (`-`: one line from stdin, after the OTP's when both
//!                                    are `-`), sent in the body's `key` for a server with
//!                                    holders-only start and cancel (this crate's option, the
//!                                    example server's --holders-only-start-cancel). It is not
//!                                    counted as a share of the attempt. Never on the command
//!                                    line: `--holder SHARE` is refused
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
//! Secrets never come from the command line, which every local user can read (`ps`,
//! `/proc/PID/cmdline`, shell history): `--otp VALUE`, `--decode VALUE` and a share given as
//! an argument are refused with a pointer to the file, stdin and prompt forms (vault#12882).
//! Text from the server (errors, every status field) is printed with control characters and
//! terminal escapes shown escaped (`\x1b`), never raw.
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

use recovery_token::client::{Ceremony, Client, ClientError, Request, Response, Start};
use recovery_token::http::Endpoint;
use recovery_token::tokens::{decode_token, generate_otp};
use recovery_token::wire::AttemptStatus;
use recovery_token::{Otp, SecretString};
use zeroize::Zeroizing;

const USAGE: &str = "usage: operator [--address URL] [--recovery-token | --dr-token | --token TOKEN] \
[--namespace NS] [--format table|json] (--status | --generate-otp | --init [--otp-file FILE|- | --pgp-key FILE] \
[--ttl DURATION] [--holder-file FILE|-] | --nonce NONCE [-] | --decode [--encoded-file FILE|-] [--otp-file FILE|-] \
| --cancel [--holder-file FILE|-])";

/// `--help`: the usage and what each option does.
const HELP: &str = "
  --status              print the attempt's status
  --generate-otp        print an OTP of the server's length (made here)
  --init                start an attempt: with the OTP read from --otp-file FILE (`-`: a line
                        from stdin), or the PGP key in --pgp-key FILE; without either the server
                        generates the OTP and this prints it, once
  --ttl DURATION        with --init: the root token's lifetime, sent as the start's `ttl` (Go
                        syntax: 90s, 1h30m), for a server that supports one (the example
                        server's --allow-ttl); others refuse it
  --holder-file FILE    with --init or --cancel: a key holder's share, read from FILE (`-`: a
                        line from stdin, after the OTP's when both are `-`), sent in the body's
                        `key`, for a server with holders-only start and cancel (the example
                        server's --holders-only-start-cancel); not counted as a share. Never
                        taken on the command line
  --nonce NONCE [-]     submit a share (prompted for without echo on a TTY, else, or with `-`,
                        a line from stdin), only if NONCE is the attempt's
  --decode              decode an encoded token (--encoded-file FILE, --otp-file FILE; `-`:
                        stdin, the encoded token first; else prompted for)
  --cancel              cancel the attempt in progress
  --address URL         the server (default $BAO_ADDR, else $VAULT_ADDR, else
                        http://127.0.0.1:8200)
  --recovery-token      sys/generate-recovery-token/*
  --dr-token            sys/replication/dr/secondary/generate-operation-token/*
  --token TOKEN         OpenBao's authenticated sys/generate-root-token/*
  --namespace NS        sends X-Vault-Namespace
  --format table|json   the output's form

Secrets (OTP, encoded token, shares) are never taken on the command line.";

/// Why a secret is never taken from the command line.
const ON_THE_COMMAND_LINE: &str = "is never taken on the command line (every local user can read \
it there): give a file with";

#[derive(Default)]
struct Args {
    address: Option<String>,
    status: bool,
    generate_otp: bool,
    init: bool,
    cancel: bool,
    otp_file: Option<String>,
    pgp_key: Option<String>,
    nonce: Option<String>,
    decode: bool,
    encoded_file: Option<String>,
    recovery: bool,
    dr: bool,
    token: Option<Zeroizing<String>>,
    namespace: Option<String>,
    json: bool,
    share_from_stdin: bool,
    ttl: Option<String>,
    holder_file: Option<String>,
    help: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let Some(flag) = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-').filter(|rest| !rest.is_empty()))
        else {
            if arg == "-" {
                a.share_from_stdin = true;
                continue;
            }
            return Err(format!(
                "a key share {ON_THE_COMMAND_LINE} `-` (stdin) or answer the prompt"
            ));
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
            "otp" => {
                return Err(format!(
                    "the OTP {ON_THE_COMMAND_LINE} --otp-file FILE, or --otp-file - (stdin)"
                ));
            }
            "otp-file" => a.otp_file = Some(value("otp-file")?),
            "holder" | "holder-key" => {
                return Err(format!(
                    "a key holder's share {ON_THE_COMMAND_LINE} --holder-file FILE, or \
                     --holder-file - (stdin)"
                ));
            }
            "holder-file" => a.holder_file = Some(value("holder-file")?),
            "ttl" => a.ttl = Some(value("ttl")?),
            "encoded-file" => a.encoded_file = Some(value("encoded-file")?),
            "pgp-key" => a.pgp_key = Some(value("pgp-key")?),
            "nonce" => a.nonce = Some(value("nonce")?),
            "decode" if inline.is_some() => {
                return Err(format!(
                    "the encoded token {ON_THE_COMMAND_LINE} --encoded-file FILE, or \
                     --encoded-file - (stdin), or answer the prompt"
                ));
            }
            "decode" => a.decode = true,
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
            "h" | "help" => {
                a.help = true;
                return Ok(a);
            }
            other => return Err(format!("unknown flag -{other}")),
        }
    }
    let ops = [
        a.status,
        a.generate_otp,
        a.init,
        a.cancel,
        a.decode,
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
    if a.init && a.otp_file.is_some() && a.pgp_key.is_some() {
        return Err("--otp-file and --pgp-key exclude each other".to_owned());
    }
    if a.otp_file.is_some() && !(a.init || a.decode) {
        return Err("--otp-file goes with --init or --decode".to_owned());
    }
    if a.encoded_file.is_some() && !a.decode {
        return Err("--encoded-file goes with --decode".to_owned());
    }
    if a.share_from_stdin && a.nonce.is_none() {
        return Err("`-` goes with --nonce".to_owned());
    }
    if a.ttl.is_some() && !a.init {
        return Err("--ttl goes with --init".to_owned());
    }
    if a.holder_file.is_some() && !(a.init || a.cancel) {
        return Err("--holder-file goes with --init or --cancel".to_owned());
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
                eprintln!("* {}", shown(text));
            }
        }
        other => eprintln!("{what}: {}", shown(&other.to_string())),
    }
    ExitCode::from(2)
}

fn json_string(s: &str) -> String {
    // serde_json escapes U+0000-U+001F; DEL and the C1 controls (U+009B is a one-character CSI
    // on some terminals) are escaped here too.
    let json = serde_json::to_string(s).unwrap_or_default();
    if !json.chars().any(char::is_control) {
        return json;
    }
    json.chars()
        .map(|c| {
            if c.is_control() {
                format!("\\u{:04x}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Text from the server (or anything it may have shaped), safe to print on a terminal: every
/// control character (C0, DEL, C1: ESC, CSI, BEL, backspace, carriage return, line breaks...)
/// shown as `\xNN` (or `\u{NNNN}` past U+00FF), so a hostile server cannot clear the screen,
/// set the title, move the cursor or fake a line. A backslash is shown as `\\`, so an escape
/// cannot be faked either.
fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_control() && u32::from(c) <= 0xff => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:04x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
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
    let nonce = if s.nonce.is_empty() {
        "n/a".to_owned()
    } else {
        shown(&s.nonce)
    };
    let mut rows = vec![
        ("Nonce", nonce),
        ("Started", s.started.to_string()),
        ("Progress", format!("{}/{}", s.progress, s.required)),
        ("Complete", s.complete.to_string()),
    ];
    if !s.pgp_fingerprint.is_empty() {
        rows.push(("PGP Fingerprint", shown(&s.pgp_fingerprint)));
    }
    if !s.encoded_token.is_empty() {
        rows.push(("Encoded Token", shown(&s.encoded_token)));
    } else if !s.encoded_root_token.is_empty() {
        rows.push(("Encoded Root Token", shown(&s.encoded_root_token)));
    }
    if !s.otp.is_empty() {
        eprintln!(
            "A One-Time-Password has been generated for you and is shown in the OTP field.\n\
             You will need this value to decode the resulting root token, so keep it safe."
        );
        rows.push(("OTP", shown(s.otp.expose_secret())));
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

/// A secret: from `file` (`-`: one line from stdin), else a prompt (without echo when
/// `hidden`) on a TTY, else one line from stdin. Never from the command line.
fn read_secret(
    file: Option<&str>,
    prompt: &str,
    hidden: bool,
    what: &str,
) -> Result<Zeroizing<String>, String> {
    let text = match file {
        Some("-") => read_line()?,
        Some(path) => Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?,
        ),
        None if std::io::stdin().is_terminal() && hidden => Zeroizing::new(
            rpassword::prompt_password(prompt).map_err(|e| format!("reading the {what}: {e}"))?,
        ),
        None if std::io::stdin().is_terminal() => {
            eprint!("{prompt}");
            read_line()?
        }
        None => read_line()?,
    };
    let trimmed = Zeroizing::new(text.trim().to_owned());
    if trimmed.is_empty() {
        return Err(format!("no {what} given"));
    }
    Ok(trimmed)
}

/// The share: `-` (one line from stdin), or a prompt without echo on a TTY, else stdin.
fn read_share(from_stdin: bool) -> Result<SecretString, String> {
    let file = from_stdin.then_some("-");
    let key = read_secret(file, "Unseal Key (will be hidden): ", true, "key")?;
    Ok(SecretString::from(key.as_str()))
}

/// A key holder's share for a holders-only start or cancel: from `file` (`-`: one line from
/// stdin). Never from the command line.
fn read_holder_share(file: &str) -> Result<SecretString, String> {
    let key = read_secret(Some(file), "", true, "key holder's share")?;
    Ok(SecretString::from(key.as_str()))
}

/// Whether a completed attempt's `encoded_token` is what the attempt promises, judged without
/// the OTP: with a PGP key, standard base64 of an OpenPGP message (its first packet a
/// public-key encrypted session key, as the server encrypts to the key); else Go base64 of
/// exactly `otp_length` bytes (16 for Vault's legacy scheme, `otp_length` 0), the XOR of OTP
/// and token.
///
/// `otp_length` is the attempt's, from the status read before the update (an update answer
/// may carry 0 there).
fn completion_problem(s: &AttemptStatus, otp_length: usize) -> Option<String> {
    use base64::Engine as _;
    if !s.complete {
        return None;
    }
    let encoded = if s.encoded_token.is_empty() {
        &s.encoded_root_token
    } else {
        &s.encoded_token
    };
    if encoded.is_empty() {
        return Some("the attempt is complete but the server sent no encoded token".to_owned());
    }
    if !s.pgp_fingerprint.is_empty() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .map_err(|e| format!("the encoded token is not base64 ({e})"));
        return match bytes {
            Err(e) => Some(e),
            // Packet tag 1 (PKESK), new format 0xc1 or old format 0b1000_01xx.
            Ok(b) if matches!(b.first(), Some(0xc1 | 0x84..=0x87)) => None,
            Ok(_) => Some("the encoded token is not an OpenPGP encrypted message".to_owned()),
        };
    }
    let otp_length = if s.otp_length == 0 {
        otp_length
    } else {
        s.otp_length
    };
    let want = if otp_length == 0 { 16 } else { otp_length };
    let trimmed = encoded.trim_end_matches('=');
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(trimmed.as_bytes())
        .or_else(|_| {
            base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
                    .with_decode_allow_trailing_bits(true),
            )
            .decode(trimmed.as_bytes())
        });
    match decoded {
        Err(_) => Some("the encoded token is not base64".to_owned()),
        Ok(b) if b.len() != want => Some(format!(
            "the encoded token holds {} bytes, not the {want} of the OTP",
            b.len()
        )),
        Ok(_) => None,
    }
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
    if args.decode {
        let encoded = read_secret(
            args.encoded_file.as_deref(),
            "Encoded token: ",
            false,
            "encoded token",
        )?;
        let otp = read_secret(
            args.otp_file.as_deref(),
            "OTP (will be hidden): ",
            true,
            "OTP",
        )?;
        let otp = otp.as_str();
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
                eprintln!("Error decoding root token: {}", shown(&e.to_string()));
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
        let request = match &args.holder_file {
            Some(file) => {
                let key = read_holder_share(file)?;
                // The attempt's nonce, when one is in progress, binds the cancel to it.
                let status = ceremony.status_request();
                let answer = http.send(&status)?;
                let _ = ceremony.handle_status(&answer);
                ceremony.cancel_request_as_holder(key)
            }
            None => ceremony.cancel_request(),
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
        let otp = match &args.otp_file {
            Some(file) => Some(read_secret(Some(file), "", true, "OTP")?),
            None => None,
        };
        let start = match (&otp, &args.pgp_key) {
            (Some(otp), _) => Start::Otp(Otp::from(otp.as_str())),
            (None, Some(path)) => Start::PgpKey(read_pgp_key(path)?),
            (None, None) => Start::GenerateOtp,
        };
        // A status that showed an attempt in progress: the server refuses the start with its
        // own text; ask it rather than refusing here.
        let mut fresh = Ceremony::new(ceremony.client().clone());
        let holder = match &args.holder_file {
            Some(file) => read_holder_share(file)?,
            None => SecretString::default(),
        };
        let ttl = args.ttl.clone().unwrap_or_default();
        let request = fresh
            .start_request_with(start, holder, ttl)
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
        let key = read_share(args.share_from_stdin)?;
        let request = match ceremony.update_request_for(key, nonce) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("Error posting unseal key: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        let answer = http.send(&request)?;
        match ceremony.handle_update(&answer) {
            Ok(s) => {
                print_status(&s, args.json);
                if let Some(problem) = completion_problem(&s, status.otp_length) {
                    eprintln!("Error: the server completed the attempt, but {problem}");
                    return Ok(ExitCode::from(2));
                }
            }
            Err(e) => return Ok(report("Error posting unseal key", &http, &request, &e)),
        }
    }
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) if a.help => {
            println!("{USAGE}\n{HELP}");
            return ExitCode::SUCCESS;
        }
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
            eprintln!("Error: {}", shown(&e));
            ExitCode::from(2)
        }
    }
}
