//! The secret paths (docs/CONSTANT_TIME.md), and the planted leaks of the self-test.
//!
//! Each path marks its secret inputs undefined right before the call, and declassifies only what
//! the call returns (see `crate::vg`), before the harness checks it. Inputs a caller must branch
//! on (lengths, x coordinates, nonces, the public RNG draws of `start`) stay public.

use std::hint::black_box;
use std::time::Instant;

use recovery_token::audit::{AuditKey, ShareId};
use recovery_token::http::{Access, Answer, Authorize, CallerTokens, Face, Request, Step, Verdict};
use recovery_token::shares::{KeyShare, ShareRegistry, combine};
use recovery_token::tokens::{TokenFormat, decode_token, encode_token, generate_otp};
use recovery_token::wire::{AttemptStatus, StartRequest, UpdateRequest};
use recovery_token::{
    Dialect, Encoding, ExpectedKey, GeneratorConfig, Otp, RecoveryTokenGenerator, SecretString,
    Strategy, Token,
};

use crate::Path;
use crate::vg::{self, Rng, declassified, public_val};

/// SPEC.md section 7: threshold 2, key 00..1f, two 33-byte shares (y || x).
const SHARE_1: &str = "eeffccddaabb88996677445522330011e5f4c7d6a1b083926d7c4f5e29380b1a10";
const SHARE_2: &str = "c7e685a443620120d4f596b750711233e1c0a38265442706f2d3b0917657341520";
const SHARE_1_B64: &str = "7v/M3aq7iJlmd0RVIjMAEeX0x9ahsIOSbXxPXik4CxoQ";
const OTP: &str = "0123456789abcdefghijklmnopqr";
const TOKEN: &str = "hvs.ABCDEFGHIJKLMNOPQRSTUVWX";
const ENCODED: &str = "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg";
const LEGACY_OTP: &str = "AQIDBAUGBwgJCgsMDQ4PEA==";
const LEGACY_ENCODED: &str = "p7HF1hsZTVOFlwUTJzVDTQ==";
const LEGACY_TOKEN: &str = "a6b3c6d2-1e1f-4a5b-8c9d-0e1f2a3b4c5d";

pub const PATHS: &[Path] = &[
    ("share parse: hex", share_parse_hex),
    ("share parse: hex, upper case", share_parse_hex_upper),
    (
        "share parse: base64 (after the hex attempt)",
        share_parse_base64,
    ),
    (
        "share parse: base64 with \\r\\n",
        share_parse_base64_newlines,
    ),
    (
        "share parse: refused (neither hex nor base64)",
        share_parse_refused,
    ),
    ("duplicate check: KeyShare::ct_eq", share_ct_eq),
    (
        "ShareRegistry::contains: a registered and a foreign share",
        registry_contains,
    ),
    (
        "generator update with a share registry (a registered share, a foreign one)",
        registry_update,
    ),
    (
        "holders-only start: a foreign share, then a registered one",
        holders_only,
    ),
    (
        "duplicate check: generator update with a duplicate",
        generator_duplicate,
    ),
    ("combine", combine_shares),
    (
        "ceremony: update, combine, ExpectedKey, mint (secret RNG), encode",
        ceremony,
    ),
    ("ExpectedKey: a wrong key", expected_key_wrong),
    ("RecoveryTokenHolder::verify", holder_verify),
    ("OTP generation: generate_otp(28), secret RNG", otp_28),
    ("OTP generation: generate_otp(26), secret RNG", otp_26),
    (
        "OTP generation: generate_otp(0) (legacy), secret RNG",
        otp_legacy,
    ),
    ("encode_token", encode),
    ("decode_token", decode),
    ("decode_token: legacy (otp_length 0)", decode_legacy),
    (
        "TokenFormat::mint: hvs., hvr., s., r., secret RNG",
        mint_base62,
    ),
    ("TokenFormat::mint: UUID formats, secret RNG", mint_uuid),
    ("ShareId::compute (audit share id)", share_id),
    ("UpdateRequest::from_json: key (hex)", update_json_hex),
    (
        "UpdateRequest::from_json: key (base64 with \\/ escapes)",
        update_json_escaped,
    ),
    (
        "UpdateRequest::from_json: key with a \\u escape",
        update_json_u_escape,
    ),
    ("StartRequest::from_json: otp", start_json),
    (
        "CallerTokens::verdict: the presented token against every stored one",
        caller_verdict,
    ),
    ("CallerTokens::remove", caller_remove),
    ("AttemptStatus::to_json: the generated OTP", status_json_otp),
    (
        "Face: a whole root ceremony (both shares, the key check, the token issued)",
        face_root_ceremony,
    ),
    (
        "Face: a start with the caller's OTP (Vault, OpenBao's generate-root-token)",
        face_start_with_otp,
    ),
    (
        "Face: sys/decode-token (the OTP in the body, the token in the answer)",
        face_decode_token,
    ),
    (
        "Face: sys/generate-root/update, JSON body (Vault)",
        face_json_vault,
    ),
    (
        "Face: sys/generate-root/update, JSON body (OpenBao)",
        face_json_openbao,
    ),
    (
        "Face: sys/generate-root-token/update, form body, hex key",
        face_form_hex,
    ),
    (
        "Face: sys/generate-root-token/update, form body, escaped base64 key",
        face_form_base64,
    ),
];

pub const PLANTED: &[Path] = &[
    (
        "planted table lookup indexed by a secret byte",
        planted_table,
    ),
    (
        "planted early-exit compare of secret bytes",
        planted_early_exit,
    ),
    (
        "control: constant-time compare of the same bytes",
        control_ct_compare,
    ),
];

/// A copy of `s` whose bytes are secret.
fn secret_string(s: &str) -> String {
    let s = s.to_owned();
    vg::secret(s.as_bytes());
    s
}

fn secret_bytes(b: &[u8]) -> Vec<u8> {
    let v = b.to_vec();
    vg::secret(&v);
    v
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("test vectors are hex"))
        .collect()
}

fn key() -> Vec<u8> {
    (0u8..32).collect()
}

fn parse_and_check(text: &str, expected_hex: &str) {
    let text = secret_string(text);
    let mut parsed = KeyShare::parse(&text, &KeyShare::DEFAULT_LENGTHS);
    public_val(&mut parsed);
    let share = parsed.expect("the share parses");
    assert_eq!(declassified(share.expose_secret()), unhex(expected_hex));
}

fn share_parse_hex() {
    parse_and_check(SHARE_1, SHARE_1);
}

fn share_parse_hex_upper() {
    parse_and_check(&SHARE_2.to_uppercase(), SHARE_2);
}

fn share_parse_base64() {
    parse_and_check(SHARE_1_B64, SHARE_1);
}

fn share_parse_base64_newlines() {
    let wrapped = format!("{}\r\n{}", &SHARE_1_B64[..20], &SHARE_1_B64[20..]);
    parse_and_check(&wrapped, SHARE_1);
}

fn share_parse_refused() {
    // Valid base64 characters, but unpadded 32 bytes: neither encoding takes it.
    let text = secret_string("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
    let mut parsed = KeyShare::parse(&text, &KeyShare::DEFAULT_LENGTHS);
    public_val(&mut parsed);
    assert!(parsed.is_err());
}

/// A share whose y bytes are secret; its x coordinate (the last byte) is public.
fn share_from(hex: &str) -> KeyShare {
    let bytes = unhex(hex);
    vg::secret(&bytes[..bytes.len() - 1]);
    KeyShare::from_bytes(&bytes, &KeyShare::DEFAULT_LENGTHS).expect("33 bytes are accepted")
}

fn share_ct_eq() {
    let (a, b, c) = (
        share_from(SHARE_1),
        share_from(SHARE_2),
        share_from(SHARE_1),
    );
    let mut different = a.ct_eq(&b);
    let mut same = a.ct_eq(&c);
    public_val(&mut different);
    public_val(&mut same);
    assert!(!different && same);
}

/// SHARE_1 with one byte of y changed (the same x): a share of no registered key set.
fn foreign_share_hex() -> String {
    let mut bytes = unhex(SHARE_1);
    bytes[0] ^= 0x5a;
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn registry_contains() {
    let shares = [share_from(SHARE_1), share_from(SHARE_2)];
    let registry = ShareRegistry::from_shares(&shares, &mut Rng::public(13)).expect("two shares");
    let foreign = share_from(&foreign_share_hex());
    let (mut registered, mut stranger) =
        (registry.contains(&shares[0]), registry.contains(&foreign));
    public_val(&mut registered);
    public_val(&mut stranger);
    assert!(registered && !stranger);
}

fn registry_update() {
    let shares = [share_from(SHARE_1), share_from(SHARE_2)];
    let registry = ShareRegistry::from_shares(&shares, &mut Rng::public(14)).expect("two shares");
    let config = GeneratorConfig::builder(2).with_share_registry(registry);
    let mut generator = RecoveryTokenGenerator::new(config.build().expect("a registry"));
    let nonce = started(&mut generator, Encoding::GenerateOtp);
    let mut host = ExpectedKey::new(&secret_bytes(&key()));
    let (mut rng, now) = (Rng::public(15), Instant::now());
    let foreign = foreign_share_hex();
    let mut refused = generator.update(
        Strategy::Recovery,
        &update(&nonce, &foreign),
        now,
        &mut host,
        &mut rng,
    );
    public_val(&mut refused);
    assert!(refused.is_err(), "a foreign share is refused at once");
    let mut taken = generator.update(
        Strategy::Recovery,
        &update(&nonce, SHARE_1),
        now,
        &mut host,
        &mut rng,
    );
    public_val(&mut taken);
    assert_eq!(taken.expect("a registered share is taken").progress, 1);
}

fn holders_only() {
    let shares = [share_from(SHARE_1), share_from(SHARE_2)];
    let registry = ShareRegistry::from_shares(&shares, &mut Rng::public(16)).expect("two shares");
    let config = GeneratorConfig::builder(2)
        .with_share_registry(registry)
        .with_holders_only_start_cancel(true);
    let mut generator = RecoveryTokenGenerator::new(config.build().expect("holders-only"));
    let (mut rng, now) = (Rng::public(17), Instant::now());
    let start = |key: &str| body_with_secret(r#"{"key":""#, key, r#""}"#);
    let foreign = foreign_share_hex();
    let body = start(&foreign);
    let mut refused = generator.start_request(
        Strategy::Recovery,
        StartRequest::from_json(&body).expect("a body"),
        now,
        &mut rng,
    );
    public_val(&mut refused);
    assert!(refused.is_err(), "a stranger may not start");
    let body = start(SHARE_1);
    let mut started = generator.start_request(
        Strategy::Recovery,
        StartRequest::from_json(&body).expect("a body"),
        now,
        &mut rng,
    );
    public_val(&mut started);
    assert!(started.expect("a holder starts").started);
}

fn started(generator: &mut RecoveryTokenGenerator, encoding: Encoding) -> String {
    // Public draws: the nonce is public, and the audit key and the OTP have their own paths.
    let mut rng = Rng::public(1);
    generator
        .start(Strategy::Recovery, encoding, Instant::now(), &mut rng)
        .expect("the attempt starts")
        .nonce
}

fn update(nonce: &str, share_hex: &str) -> UpdateRequest {
    UpdateRequest::new(
        SecretString::new(secret_string(share_hex)),
        nonce.to_owned(),
    )
}

fn generator_duplicate() {
    let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(2).expect("threshold 2"));
    let nonce = started(&mut generator, Encoding::GenerateOtp);
    let mut host = ExpectedKey::new(&key());
    let mut rng = Rng::secret(2);
    let now = Instant::now();
    let mut first = generator.update(
        Strategy::Recovery,
        &update(&nonce, SHARE_1),
        now,
        &mut host,
        &mut rng,
    );
    public_val(&mut first);
    assert!(first.is_ok());
    let mut again = generator.update(
        Strategy::Recovery,
        &update(&nonce, SHARE_1),
        now,
        &mut host,
        &mut rng,
    );
    public_val(&mut again);
    let err = again.expect_err("a duplicate is refused");
    assert!(err.to_string().contains("already been provided"));
}

fn combine_shares() {
    let shares = [share_from(SHARE_1), share_from(SHARE_2)];
    let mut combined = combine(&shares);
    public_val(&mut combined);
    let key_bytes = combined.expect("two shares combine");
    assert_eq!(declassified(&key_bytes), key());
}

/// A whole recovery ceremony with secret shares, a secret expected key and a secret RNG at the
/// update (which mints the recovery token). Returns the generator and the decoded token.
fn run_ceremony() -> (RecoveryTokenGenerator, String) {
    let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(2).expect("threshold 2"));
    let otp = Otp::from(OTP);
    let nonce = started(&mut generator, Encoding::Otp(otp));
    let mut host = ExpectedKey::new(&secret_bytes(&key()));
    let mut rng = Rng::secret(3);
    let now = Instant::now();
    let mut first = generator.update(
        Strategy::Recovery,
        &update(&nonce, SHARE_1),
        now,
        &mut host,
        &mut rng,
    );
    public_val(&mut first);
    assert!(!first.expect("the first share is taken").complete);
    let mut done = generator.update(
        Strategy::Recovery,
        &update(&nonce, SHARE_2),
        now,
        &mut host,
        &mut rng,
    );
    public_val(&mut done);
    let done = done.expect("the ceremony completes");
    // The encoded token is what the server sends: public.
    vg::public(done.encoded_token.as_bytes());
    let token = decode_token(&done.encoded_token, OTP, OTP.len()).expect("the token decodes");
    let text = String::from_utf8(declassified(token.expose_secret().as_bytes())).expect("ASCII");
    assert!(text.starts_with("hvr.") && text.len() == 28);
    (generator, text)
}

fn ceremony() {
    black_box(run_ceremony());
}

fn expected_key_wrong() {
    let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(2).expect("threshold 2"));
    let nonce = started(&mut generator, Encoding::GenerateOtp);
    let mut wrong = key();
    wrong[31] ^= 1;
    let mut host = ExpectedKey::new(&secret_bytes(&wrong));
    let mut rng = Rng::secret(4);
    let now = Instant::now();
    let mut first = generator.update(
        Strategy::Recovery,
        &update(&nonce, SHARE_1),
        now,
        &mut host,
        &mut rng,
    );
    public_val(&mut first);
    assert!(first.is_ok());
    let mut done = generator.update(
        Strategy::Recovery,
        &update(&nonce, SHARE_2),
        now,
        &mut host,
        &mut rng,
    );
    public_val(&mut done);
    assert!(
        done.expect_err("a wrong key aborts")
            .to_string()
            .contains("aborted")
    );
}

fn holder_verify() {
    let (generator, token) = run_ceremony();
    let presented = secret_string(&token);
    let mut good = generator.recovery_token().verify(&presented);
    let mut other = token.into_bytes();
    other[27] = if other[27] == b'A' { b'B' } else { b'A' };
    let other = secret_string(std::str::from_utf8(&other).expect("ASCII"));
    let mut bad = generator.recovery_token().verify(&other);
    public_val(&mut good);
    public_val(&mut bad);
    assert!(good && !bad);
}

fn otp_of(len: usize) -> String {
    let otp = generate_otp(len, &mut Rng::secret(5 + len as u64));
    String::from_utf8(declassified(otp.expose_secret().as_bytes())).expect("ASCII")
}

fn otp_28() {
    let otp = otp_of(28);
    assert!(otp.len() == 28 && otp.bytes().all(|c| c.is_ascii_alphanumeric()));
}

fn otp_26() {
    assert_eq!(otp_of(26).len(), 26);
}

fn otp_legacy() {
    let otp = otp_of(0);
    assert!(otp.len() == 24 && otp.ends_with("=="));
}

fn encode() {
    let token = Token::new(secret_string(TOKEN));
    let otp = Otp::new(secret_string(OTP));
    let mut encoded = encode_token(&token, &otp);
    public_val(&mut encoded);
    let encoded = encoded.expect("equal lengths");
    assert_eq!(declassified(encoded.as_bytes()), ENCODED.as_bytes());
}

fn decode() {
    // The encoded token travels in the clear (OTP-encrypted), but is marked secret all the same:
    // its decode must not branch on its characters either.
    let (encoded, otp) = (secret_string(ENCODED), secret_string(OTP));
    let mut token = decode_token(&encoded, &otp, OTP.len());
    public_val(&mut token);
    let token = token.expect("the worked example decodes");
    assert_eq!(
        declassified(token.expose_secret().as_bytes()),
        TOKEN.as_bytes()
    );
}

fn decode_legacy() {
    let (encoded, otp) = (secret_string(LEGACY_ENCODED), secret_string(LEGACY_OTP));
    let mut token = decode_token(&encoded, &otp, 0);
    public_val(&mut token);
    let token = token.expect("the legacy worked example decodes");
    assert_eq!(
        declassified(token.expose_secret().as_bytes()),
        LEGACY_TOKEN.as_bytes()
    );
}

fn minted(format: TokenFormat, seed: u64) -> String {
    let token = format.mint(&mut Rng::secret(seed));
    String::from_utf8(declassified(token.expose_secret().as_bytes())).expect("ASCII")
}

fn mint_base62() {
    for (i, (format, prefix)) in [
        (TokenFormat::VAULT_ROOT, "hvs."),
        (TokenFormat::VAULT_RECOVERY, "hvr."),
        (TokenFormat::SERVICE_ROOT, "s."),
        (TokenFormat::SERVICE_RECOVERY, "r."),
    ]
    .into_iter()
    .enumerate()
    {
        let token = minted(format, 20 + i as u64);
        assert!(token.starts_with(prefix) && token.len() == prefix.len() + 24);
    }
}

fn mint_uuid() {
    for (i, format) in [TokenFormat::UUID, TokenFormat::LEGACY_UUID]
        .into_iter()
        .enumerate()
    {
        let token = minted(format, 30 + i as u64);
        assert!(token.len() == 36 && token.as_bytes()[14] == b'4');
    }
}

fn share_id() {
    let audit_key = AuditKey::new([9; 32]);
    let share = share_from(SHARE_1);
    let mut id = ShareId::compute(&audit_key, &share);
    // A share id is public (it goes to the audit log).
    public_val(&mut id);
    let public_share = KeyShare::parse(SHARE_1, &KeyShare::DEFAULT_LENGTHS).expect("hex");
    assert_eq!(id, ShareId::compute(&audit_key, &public_share));
}

/// A body whose `key`/`otp` value bytes (between the quotes) are secret; the JSON around them
/// (names, punctuation, the nonce) is public.
fn body_with_secret(before: &str, value: &str, after: &str) -> Vec<u8> {
    let body = format!("{before}{value}{after}").into_bytes();
    vg::secret(&body[before.len()..before.len() + value.len()]);
    body
}

fn update_json(value: &str, expected: &str) {
    let body = body_with_secret(r#"{"nonce":"n","key":""#, value, r#""}"#);
    let mut request = UpdateRequest::from_json(&body);
    public_val(&mut request);
    let request = request.expect("the body decodes");
    assert_eq!(
        declassified(request.key.expose_secret().as_bytes()),
        expected.as_bytes()
    );
    assert_eq!(request.nonce, "n");
}

fn update_json_hex() {
    update_json(SHARE_1, SHARE_1);
}

fn update_json_escaped() {
    update_json(&SHARE_1_B64.replace('/', "\\/"), SHARE_1_B64);
}

fn update_json_u_escape() {
    update_json(&format!("\\u0065{}", &SHARE_1[1..]), SHARE_1);
}

fn start_json() {
    let body = body_with_secret(r#"{"otp":""#, OTP, r#"","pgp_key":""}"#);
    let mut request = StartRequest::from_json(&body);
    public_val(&mut request);
    let request = request.expect("the body decodes");
    match Encoding::from(request) {
        Encoding::Otp(otp) => {
            assert_eq!(declassified(otp.expose_secret().as_bytes()), OTP.as_bytes())
        }
        _ => panic!("an OTP body gives an OTP encoding"),
    }
}

// ----- the self-test: leaks the check must catch -----

static TABLE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).wrapping_mul(7);
        i += 1;
    }
    t
};

/// Takes `request` through the face, the host allowing every caller, to its answer.
fn answer(face: &mut Face, request: &Request<'_>) -> Answer {
    let mut rng = Rng::public(11);
    let now = Instant::now();
    match face.handle(request, now, &mut rng) {
        Step::Authorize(a) => match a.allow(face, now, &mut rng) {
            Step::Answer(answer) => answer,
            _ => panic!("a first share needs no host step"),
        },
        Step::Answer(answer) => answer,
        _ => panic!("a start or a first share needs no host step but the caller's"),
    }
}

/// An attempt started on `family` (`generate-root` or `generate-root-token`) of a `dialect`
/// face, then the first share as `body(nonce)` (its share bytes secret, `content_type`): the
/// face's routing, its body checks and the decoder with a secret in the body.
fn face_first_update(
    dialect: Dialect,
    family: &str,
    content_type: &str,
    body: impl Fn(&str) -> Vec<u8>,
) {
    // The caller's token is a secret too: the face copies it for the host, never reads it.
    let caller = secret_string("s.caller");
    let config = GeneratorConfig::builder(2).with_dialect(dialect);
    let access = Access::enable_unauthenticated(&["generate-root"]).expect("a family");
    let generator = RecoveryTokenGenerator::new(config.build().expect("threshold 2"));
    let mut face = Face::new(generator).with_access(access);
    let attempt = format!("/v1/sys/{family}/attempt");
    let mut start = Request::new("PUT", &attempt).with_body(b"{}");
    start.token = Some(&caller);
    let started = answer(&mut face, &start);
    assert_eq!(started.status(), 200, "{}", started.body());
    let at = started.body().find("\"nonce\":\"").expect("a nonce") + 9;
    let nonce = started.body()[at..at + 36].to_owned();
    let update = format!("/v1/sys/{family}/update");
    let body = body(&nonce);
    let mut request = Request::new("PUT", &update).with_body(&body);
    request.token = Some(&caller);
    request.content_type = Some(content_type);
    let progressed = answer(&mut face, &request);
    // The answer is what the server sends: public.
    vg::public(progressed.body().as_bytes());
    assert_eq!(progressed.status(), 200, "{}", progressed.body());
    assert!(
        progressed.body().contains("\"progress\":1"),
        "{}",
        progressed.body()
    );
}

fn face_json_vault() {
    face_first_update(
        Dialect::Vault,
        "generate-root",
        "application/json",
        |nonce| body_with_secret(r#"{"key":""#, SHARE_1, &format!(r#"","nonce":"{nonce}"}}"#)),
    );
}

fn face_json_openbao() {
    face_first_update(
        Dialect::OpenBao,
        "generate-root",
        "application/json",
        |nonce| body_with_secret(r#"{"key":""#, SHARE_1, &format!(r#"","nonce":"{nonce}"}}"#)),
    );
}

const FORM: &str = "application/x-www-form-urlencoded";

fn face_form_hex() {
    face_first_update(Dialect::OpenBao, "generate-root-token", FORM, |nonce| {
        body_with_secret("key=", SHARE_1, &format!("&nonce={nonce}"))
    });
}

fn face_form_base64() {
    let escaped = SHARE_1_B64.replace('/', "%2F").replace('+', "%2B");
    face_first_update(Dialect::OpenBao, "generate-root-token", FORM, |nonce| {
        body_with_secret(&format!("nonce={nonce}&key="), &escaped, "")
    });
}

fn face_root_ceremony() {
    // The caller's token is a secret too: the face copies it for the host, never reads it.
    let caller = secret_string("s.caller");
    for dialect in [Dialect::Vault, Dialect::OpenBao] {
        let family = match dialect {
            Dialect::OpenBao => "generate-root-token",
            _ => "generate-root",
        };
        let config = GeneratorConfig::builder(2).with_dialect(dialect);
        let generator = RecoveryTokenGenerator::new(config.build().expect("threshold 2"));
        let access = Access::enable_unauthenticated(&["generate-root"]).expect("a family");
        let mut face = Face::new(generator).with_access(access);
        let attempt = format!("/v1/sys/{family}/attempt");
        let start_body = body_with_secret(r#"{"otp":""#, OTP, r#""}"#);
        let mut start = Request::new("PUT", &attempt).with_body(&start_body);
        start.token = Some(&caller);
        let started = answer(&mut face, &start);
        assert_eq!(started.status(), 200, "{}", started.body());
        let at = started.body().find("\"nonce\":\"").expect("a nonce") + 9;
        let nonce = started.body()[at..at + 36].to_owned();
        let update = format!("/v1/sys/{family}/update");
        // Public draws (request ids); the token is the host's, marked secret itself.
        let (mut rng, now) = (Rng::public(12), Instant::now());
        let expected = secret_bytes(&key());
        let mut last = None;
        for share in [SHARE_1, SHARE_2] {
            let body = body_with_secret(r#"{"key":""#, share, &format!(r#"","nonce":"{nonce}"}}"#));
            let mut request = Request::new("PUT", &update).with_body(&body);
            request.token = Some(&caller);
            let mut step = face.handle(&request, now, &mut rng);
            let answered = loop {
                step = match step {
                    Step::Answer(a) => break a,
                    Step::Authorize(a) => a.allow(&mut face, now, &mut rng),
                    Step::CheckKey(c) => {
                        let mut right = c.key().ct_eq_bytes(&expected);
                        public_val(&mut right);
                        assert!(right, "the shares combine to the key");
                        c.accept(&mut face, now, &mut rng)
                    }
                    Step::MintToken(m) => {
                        let token = Token::new(secret_string(TOKEN));
                        m.issue(&mut face, token, now, &mut rng)
                    }
                    _ => panic!("no PGP key, no revocation here"),
                };
            };
            last = Some(answered);
        }
        let done = last.expect("two updates");
        // The answer is what the server sends: public (it holds the encoded token).
        let text = String::from_utf8(declassified(done.body().as_bytes())).expect("UTF-8");
        assert_eq!(done.status(), 200, "{text}");
        assert!(text.contains(ENCODED), "{text}");
    }
}

fn face_start_with_otp() {
    // The caller's token is a secret too: the face copies it for the host, never reads it.
    let caller = secret_string("s.caller");
    for (dialect, family, otp) in [
        (Dialect::Vault, "generate-root", OTP),
        (Dialect::OpenBao, "generate-root-token", OTP),
    ] {
        let config = GeneratorConfig::builder(2).with_dialect(dialect);
        let generator = RecoveryTokenGenerator::new(config.build().expect("threshold 2"));
        let access = Access::enable_unauthenticated(&["generate-root"]).expect("a family");
        let mut face = Face::new(generator).with_access(access);
        let attempt = format!("/v1/sys/{family}/attempt");
        let body = body_with_secret(r#"{"otp":""#, otp, r#""}"#);
        let mut start = Request::new("PUT", &attempt).with_body(&body);
        start.token = Some(&caller);
        let started = answer(&mut face, &start);
        let text = String::from_utf8(declassified(started.body().as_bytes())).expect("UTF-8");
        assert_eq!(started.status(), 200, "{text}");
        assert!(
            !text.contains(otp),
            "a caller's OTP is never echoed: {text}"
        );
    }
}

fn status_json_otp() {
    let mut status = AttemptStatus::default();
    status.otp = Otp::new(secret_string(OTP));
    status.otp_length = OTP.len();
    let json = status.to_json();
    let json = String::from_utf8(declassified(json.as_bytes())).expect("UTF-8");
    assert!(
        json.contains(&format!(r#""otp":"{OTP}","otp_length":28}}"#)),
        "{json}"
    );
}

fn face_decode_token() {
    for dialect in [Dialect::Vault, Dialect::OpenBao] {
        let config = GeneratorConfig::builder(1).with_dialect(dialect);
        let generator = RecoveryTokenGenerator::new(config.build().expect("threshold 1"));
        let mut face = Face::new(generator);
        let body = body_with_secret(
            &format!(r#"{{"encoded_token":"{ENCODED}","otp":""#),
            OTP,
            r#""}"#,
        );
        let request = Request::new("PUT", "/v1/sys/decode-token").with_body(&body);
        let answered = answer(&mut face, &request);
        let text = String::from_utf8(declassified(answered.body().as_bytes())).expect("UTF-8");
        assert_eq!(answered.status(), 200, "{text}");
        assert!(text.contains(TOKEN), "{text}");
    }
}

/// Stored tokens of the presented one's length (a length differs before any byte is read):
/// one equal, the others differing in their last byte, the presented one in the middle.
fn callers(secret_tokens: bool) -> CallerTokens {
    let mut callers = CallerTokens::new();
    for last in [b'A', b'B', b'C'] {
        let mut t = TOKEN.as_bytes().to_vec();
        t[TOKEN.len() - 1] = last;
        let t = String::from_utf8(t).expect("ASCII");
        let t = if secret_tokens { secret_string(&t) } else { t };
        callers.insert(Token::new(t), None, None);
    }
    let presented = if secret_tokens {
        secret_string(TOKEN)
    } else {
        TOKEN.to_owned()
    };
    callers.insert(Token::new(presented), None, None);
    callers
}

fn authorize(presented: &str) -> Authorize {
    let mut face = Face::new(RecoveryTokenGenerator::new(
        GeneratorConfig::new(1).expect("1"),
    ));
    let mut request = Request::new("GET", "/v1/sys/generate-root/attempt");
    request.token = Some(presented);
    match face.handle(&request, Instant::now(), &mut Rng::public(9)) {
        Step::Authorize(a) => a,
        _ => panic!("the root family asks the host"),
    }
}

fn caller_verdict() {
    let mut callers = callers(true);
    let (good, bad) = (
        secret_string(TOKEN),
        secret_string("hvs.ABCDEFGHIJKLMNOPQRSTUVWY"),
    );
    let (good, bad) = (authorize(&good), authorize(&bad));
    let now = Instant::now();
    let (mut allowed, mut unknown) = (callers.verdict(&good, now), callers.verdict(&bad, now));
    public_val(&mut allowed);
    public_val(&mut unknown);
    assert_eq!((allowed, unknown), (Verdict::Allow, Verdict::UnknownToken));
}

fn caller_remove() {
    let mut callers = callers(true);
    let mut removed = callers.remove(&Token::new(secret_string(TOKEN)));
    public_val(&mut removed);
    assert!(removed);
    assert_eq!(callers.len(), 3);
}

fn planted_table() {
    let secret = secret_bytes(&unhex(SHARE_1));
    let mut acc = 0u8;
    for b in &secret {
        acc ^= TABLE[usize::from(*black_box(b))];
    }
    black_box(acc);
}

#[inline(never)]
fn early_exit_eq(a: &[u8], b: &[u8]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if black_box(x) != black_box(y) {
            return false;
        }
    }
    true
}

fn planted_early_exit() {
    let (a, b) = (secret_bytes(&unhex(SHARE_1)), secret_bytes(&unhex(SHARE_1)));
    let mut eq = early_exit_eq(&a, &b);
    public_val(&mut eq);
    eq = black_box(eq);
    assert!(eq);
}

#[inline(never)]
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    let mut acc = 0u8;
    for (x, y) in a.iter().zip(b) {
        acc |= black_box(x ^ y);
    }
    let mut eq = black_box(acc) == 0;
    // The one declassification a compare needs: its result.
    public_val(&mut eq);
    eq = black_box(eq);
    eq
}

fn control_ct_compare() {
    let (a, b) = (secret_bytes(&unhex(SHARE_1)), secret_bytes(&unhex(SHARE_1)));
    assert!(ct_eq(&a, &b));
}
