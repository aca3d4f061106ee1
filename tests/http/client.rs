//! The client side (`recovery_token::client`): request bytes exactly, answers parsed, and the
//! ceremony state machine driven against the crate's own generator through its wire types
//! (request -> the crate's HTTP face (`recovery_token::http`) -> client parse). The same client against the real OpenBao 2.7.2 runs in
//! interop/operator_ceremony.sh (through examples/operator.rs).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use recovery_token::client::{
    Ceremony, Client, ClientError, Method, Request, Response, ServerError, Start,
};
use recovery_token::http::{self, Access, Endpoint, Face};
use recovery_token::wire::{StartRequest, UpdateRequest};
use recovery_token::{Error, GeneratorConfig, Otp, RecoveryTokenGenerator, SecretString, Strategy};
use support::{Fixture, TestHost, hex};

const ROOT_TOKEN: &str = "hvs.ABCDEFGHIJKLMNOPQRSTUVWX";
const OTP28: &str = "0123456789abcdefghijklmnopqr";

fn body(r: &Request) -> &str {
    std::str::from_utf8(&r.body).unwrap()
}

fn headers(r: &Request) -> Vec<(&str, &str)> {
    r.headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

fn json(status: u16, text: &str) -> Response {
    Response::new(
        status,
        Some("application/json".to_owned()),
        text.as_bytes().to_vec(),
    )
}

// ---------------------------------------------------------------- requests as data

#[test]
fn every_endpoint_has_vaults_paths_and_methods() {
    for (endpoint, base, strategy) in [
        (
            Endpoint::Recovery,
            "/v1/sys/generate-recovery-token/",
            Strategy::Recovery,
        ),
        (Endpoint::Root, "/v1/sys/generate-root/", Strategy::Root),
        (
            Endpoint::DrOperation,
            "/v1/sys/replication/dr/secondary/generate-operation-token/",
            Strategy::DrOperation,
        ),
        (
            Endpoint::RootToken,
            "/v1/sys/generate-root-token/",
            Strategy::Root,
        ),
    ] {
        assert_eq!(endpoint.strategy(), strategy);
        let c = Client::new(endpoint);
        let status = c.status_request();
        assert_eq!(status.method, Method::Get);
        assert_eq!(status.path, format!("{base}attempt"));
        assert!(status.headers.is_empty() && status.body.is_empty());

        let start = c.start_request(&StartRequest::default());
        assert_eq!(start.method.as_str(), "PUT");
        assert_eq!(start.path, format!("{base}attempt"));
        assert_eq!(body(&start), r#"{"otp":"","pgp_key":""}"#);
        assert_eq!(headers(&start), [("Content-Type", "application/json")]);

        let update = c.update_request(&UpdateRequest::new(
            SecretString::from("aabbcc"),
            "n-1".to_owned(),
        ));
        assert_eq!(update.method, Method::Put);
        assert_eq!(update.path, format!("{base}update"));
        assert_eq!(body(&update), r#"{"key":"aabbcc","nonce":"n-1"}"#);

        let cancel = c.cancel_request();
        assert_eq!(cancel.method.to_string(), "DELETE");
        assert_eq!(cancel.path, format!("{base}attempt"));
        assert!(cancel.headers.is_empty() && cancel.body.is_empty());
    }
}

#[test]
fn start_bodies_for_a_callers_otp_and_a_pgp_key() {
    let c = Client::new(Endpoint::Root);
    let with_otp = StartRequest {
        otp: Otp::from(OTP28),
        pgp_key: String::new(),
        ..StartRequest::default()
    };
    assert_eq!(
        body(&c.start_request(&with_otp)),
        format!(r#"{{"otp":"{OTP28}","pgp_key":""}}"#)
    );
    let with_pgp = StartRequest {
        otp: Otp::default(),
        pgp_key: "mQENBGA+/=".to_owned(),
        ..StartRequest::default()
    };
    assert_eq!(
        body(&c.start_request(&with_pgp)),
        r#"{"otp":"","pgp_key":"mQENBGA+/="}"#
    );
}

#[test]
fn bodies_are_go_escaped_and_parse_back_to_the_same_values() {
    // Go's encoder escapes <, >, & and U+2028/2029; quotes and backslashes as JSON does.
    let key = "<a&b>\"\\\u{2028}\u{2029}é";
    let u = UpdateRequest::new(SecretString::from(key), "<n>".to_owned());
    let text = u.to_json();
    assert_eq!(
        text.as_str(),
        r#"{"key":"\u003ca\u0026b\u003e\"\\\u2028\u2029é","nonce":"\u003cn\u003e"}"#
    );
    let back = UpdateRequest::from_json(text.as_bytes()).unwrap();
    assert_eq!(back.key.expose_secret(), key);
    assert_eq!(back.nonce, "<n>");

    let s = StartRequest {
        otp: Otp::from("a&b"),
        pgp_key: "k>".to_owned(),
        ..StartRequest::default()
    };
    assert_eq!(
        s.to_json().as_str(),
        r#"{"otp":"a\u0026b","pgp_key":"k\u003e"}"#
    );
    assert_eq!(StartRequest::from_json(s.to_json().as_bytes()).unwrap(), s);
}

#[test]
fn token_and_namespace_headers_go_with_every_request() {
    let c = Client::new(Endpoint::RootToken)
        .with_token(SecretString::from("s.TOKENTOKENTOKENTOKENTOKE"))
        .with_namespace("team-a/");
    for r in [c.status_request(), c.cancel_request()] {
        assert_eq!(
            headers(&r),
            [
                ("X-Vault-Token", "s.TOKENTOKENTOKENTOKENTOKE"),
                ("X-Vault-Namespace", "team-a/")
            ]
        );
        assert_eq!(
            r.header("x-vault-token"),
            Some("s.TOKENTOKENTOKENTOKENTOKE")
        );
    }
    let start = c.start_request(&StartRequest::default());
    assert_eq!(
        headers(&start),
        [
            ("Content-Type", "application/json"),
            ("X-Vault-Token", "s.TOKENTOKENTOKENTOKENTOKE"),
            ("X-Vault-Namespace", "team-a/")
        ]
    );
    assert!(
        Client::new(Endpoint::Root)
            .status_request()
            .header("X-Vault-Token")
            .is_none()
    );
}

#[test]
fn a_cancel_can_name_the_nonce_in_the_query() {
    let c = Client::new(Endpoint::Recovery);
    let r = c.cancel_request_for("0a1b2c3d-0000-1111-2222-333344445555");
    assert_eq!(r.method, Method::Delete);
    assert_eq!(
        r.path,
        "/v1/sys/generate-recovery-token/attempt?nonce=0a1b2c3d-0000-1111-2222-333344445555"
    );
    let r = c.cancel_request_for("a b&c=d/é");
    assert_eq!(
        r.path,
        "/v1/sys/generate-recovery-token/attempt?nonce=a%20b%26c%3Dd%2F%C3%A9"
    );
}

#[test]
fn debug_never_shows_a_share_an_otp_or_a_token() {
    let c = Client::new(Endpoint::RootToken).with_token(SecretString::from("s.SECRETTOKEN"));
    let r = c.update_request(&UpdateRequest::new(
        SecretString::from("SECRETSHARE"),
        "nonce-1".to_owned(),
    ));
    let shown = format!("{r:?} {c:?}");
    assert!(shown.contains("update") && shown.contains("X-Vault-Token"));
    assert!(!shown.contains("SECRET"), "{shown}");

    let resp = json(200, r#"{"otp":"SECRETOTP"}"#);
    assert!(!format!("{resp:?}").contains("SECRET"));

    let mut ceremony = Ceremony::new(Client::new(Endpoint::Root));
    ceremony
        .start_request(Start::Otp(Otp::from("SECRETOTPSECRETOTPSECRETOTP1")))
        .unwrap();
    ceremony
        .handle_start(&json(
            200,
            r#"{"nonce":"n","started":true,"required":3,"otp_length":28}"#,
        ))
        .unwrap();
    assert!(ceremony.otp().is_some());
    let shown = format!("{ceremony:?}");
    assert!(shown.contains("in progress, nonce n, 0/3"), "{shown}");
    assert!(!shown.contains("SECRET"), "{shown}");
}

// ---------------------------------------------------------------- answers parsed

#[test]
fn a_status_answer_parses_into_attempt_status() {
    let c = Client::new(Endpoint::Recovery);
    let s = c
        .parse_status(&json(
            200,
            "{\"nonce\":\"n-1\",\"started\":true,\"progress\":2,\"required\":3,\"complete\":false,\
             \"encoded_token\":\"\",\"encoded_root_token\":\"\",\"pgp_fingerprint\":\"\",\
             \"otp\":\"OTPOTP\",\"otp_length\":28}\n",
        ))
        .unwrap();
    assert_eq!(
        (
            s.nonce.as_str(),
            s.started,
            s.progress,
            s.required,
            s.otp_length
        ),
        ("n-1", true, 2, 3, 28)
    );
    assert_eq!(s.otp.expose_secret(), "OTPOTP");
    // A charset parameter and another case are still JSON.
    let r = Response::new(
        200,
        Some("Application/JSON; charset=utf-8".to_owned()),
        b"{\"started\":false,\"required\":5}".to_vec(),
    );
    assert_eq!(c.parse_status(&r).unwrap().required, 5);
}

#[test]
fn openbaos_logical_envelope_is_unwrapped() {
    // Verbatim from OpenBao 2.7.2, `GET /v1/sys/generate-root-token/attempt` (authenticated):
    // the status inside a logical response, keys sorted, the encoded-token keys absent.
    let body = r#"{"request_id":"6d952414-0639-4049-9702-7a484d761818","lease_id":"","renewable":false,"lease_duration":0,"data":{"complete":false,"nonce":"dc9b7fdc-cc3e-6743-c350-b21b553f26e9","otp":"","otp_length":26,"pgp_fingerprint":"","progress":0,"required":3,"started":true},"wrap_info":null,"warnings":null,"auth":null}"#;
    let s = Client::new(Endpoint::RootToken)
        .parse_status(&json(200, body))
        .unwrap();
    assert_eq!(
        (
            s.nonce.as_str(),
            s.started,
            s.progress,
            s.required,
            s.otp_length
        ),
        ("dc9b7fdc-cc3e-6743-c350-b21b553f26e9", true, 0, 3, 26)
    );
    // A JSON object that is neither a status nor an envelope is not read as "not started".
    let e = Client::new(Endpoint::Root)
        .parse_status(&json(200, r#"{"request_id":"x","data":null}"#))
        .unwrap_err();
    assert!(matches!(e, ClientError::Body { status: 200, .. }), "{e:?}");
    let e = Client::new(Endpoint::Root)
        .parse_status(&json(200, r#"{"nonce":"n","progress":1}"#))
        .unwrap_err();
    assert!(matches!(e, ClientError::Body { status: 200, .. }), "{e:?}");
}

#[test]
fn openbaos_multi_line_error_text_is_kept_verbatim() {
    // Verbatim from OpenBao 2.7.2, `PUT /v1/sys/generate-root-token/update` with a bad key.
    let body = "{\"errors\":[\"1 error occurred:\\n\\t* 'key' must be a valid hex or base64 string\\n\\n\"]}\n";
    let e = Client::new(Endpoint::RootToken)
        .parse_status(&json(500, body))
        .unwrap_err();
    assert_eq!(
        e,
        ClientError::Server(ServerError {
            status: 500,
            errors: vec![
                "1 error occurred:\n\t* 'key' must be a valid hex or base64 string\n\n".to_owned()
            ]
        })
    );
}

#[test]
fn error_answers_carry_the_servers_texts_and_status() {
    let c = Client::new(Endpoint::Recovery);
    let e = c
        .parse_status(&json(
            400,
            "{\"errors\":[\"root generation already in progress\"]}\n",
        ))
        .unwrap_err();
    let ClientError::Server(server) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        server,
        &ServerError {
            status: 400,
            errors: vec!["root generation already in progress".to_owned()]
        }
    );
    assert!(server.has_error("root generation already in progress"));
    assert_eq!(
        e.to_string(),
        "server answered 400: root generation already in progress"
    );

    let e = c
        .parse_status(&json(503, r#"{"errors":["Vault is sealed","x"]}"#))
        .unwrap_err();
    assert_eq!(e.to_string(), "server answered 503: Vault is sealed; x");
    let e = c.parse_cancel(&json(405, r#"{"errors":[]}"#)).unwrap_err();
    assert_eq!(
        e,
        ClientError::Server(ServerError {
            status: 405,
            errors: vec![]
        })
    );
}

#[test]
fn answers_that_are_not_json_are_refused_with_their_status() {
    let c = Client::new(Endpoint::Root);
    let html = Response::new(
        200,
        Some("text/html".to_owned()),
        b"{\"started\":true}".to_vec(),
    );
    assert_eq!(
        c.parse_status(&html),
        Err(ClientError::ContentType {
            status: 200,
            content_type: Some("text/html".to_owned())
        })
    );
    let proxy = Response::new(502, Some("text/plain".to_owned()), b"Bad Gateway".to_vec());
    assert_eq!(
        c.parse_status(&proxy),
        Err(ClientError::ContentType {
            status: 502,
            content_type: Some("text/plain".to_owned())
        })
    );
    let none = Response::new(200, None, b"{}".to_vec());
    assert!(matches!(
        c.parse_status(&none),
        Err(ClientError::ContentType {
            status: 200,
            content_type: None
        })
    ));
    // A type that merely starts like JSON's is not JSON.
    let jsonish = Response::new(200, Some("application/jsonp".to_owned()), b"{}".to_vec());
    assert!(matches!(
        c.parse_status(&jsonish),
        Err(ClientError::ContentType { .. })
    ));
}

#[test]
fn malformed_json_is_a_body_error_that_does_not_echo_the_body() {
    let c = Client::new(Endpoint::Root);
    let e = c
        .parse_status(&json(200, r#"{"otp":"SECRETOTP","started":"yes"}"#))
        .unwrap_err();
    assert!(matches!(e, ClientError::Body { status: 200, .. }), "{e:?}");
    assert!(!e.to_string().contains("SECRET"), "{e}");
    let e = c.parse_status(&json(400, "not json")).unwrap_err();
    assert!(matches!(e, ClientError::Body { status: 400, .. }), "{e:?}");
    let e = c
        .parse_status(&json(400, r#"{"message":"x"}"#))
        .unwrap_err();
    assert!(matches!(e, ClientError::Body { status: 400, .. }), "{e:?}");
}

#[test]
fn status_answers_are_200_and_cancels_any_2xx() {
    let c = Client::new(Endpoint::Root);
    assert_eq!(
        c.parse_status(&json(201, "{}")),
        Err(ClientError::UnexpectedStatus { status: 201 })
    );
    assert_eq!(
        c.parse_status(&json(204, "")),
        Err(ClientError::UnexpectedStatus { status: 204 })
    );
    assert_eq!(
        c.parse_cancel(&Response::new(204, None, Vec::new())),
        Ok(())
    );
    assert_eq!(c.parse_cancel(&json(200, "{}")), Ok(()));
    assert!(matches!(
        c.parse_cancel(&json(400, r#"{"errors":["incorrect nonce supplied"]}"#)),
        Err(ClientError::Server(ServerError { status: 400, .. }))
    ));
}

// ---------------------------------------------------------------- ceremonies against the generator

/// The crate's generator behind the crate's HTTP face (no sockets): what a host serves.
struct Server {
    f: Fixture,
    face: Face,
    requests: usize,
}

impl Server {
    fn new(threshold: usize) -> Self {
        let mut f = Fixture::new(threshold);
        let generator = std::mem::replace(
            &mut f.generator,
            RecoveryTokenGenerator::new(GeneratorConfig::new(1).unwrap()),
        );
        // These clients send no token: the root family is open, as Vault 1.x served it.
        let access = Access::default().with_unauthenticated(Endpoint::Root, true);
        Self {
            f,
            face: Face::new(generator).with_access(access),
            requests: 0,
        }
    }

    fn share(&self, i: usize) -> SecretString {
        SecretString::from(hex(&self.f.shares[i]))
    }

    fn send(&mut self, r: &Request) -> Response {
        self.requests += 1;
        let request = r.to_face();
        let mut host = TestHost::new(&self.f.key).minting(ROOT_TOKEN);
        let (now, rng) = (self.f.clock.now(), &mut self.f.rng);
        let answer = http::serve(&mut self.face, &request, now, rng, &mut host, |_| false);
        Response::from_answer(&answer)
    }
}

#[test]
fn recovery_ceremony_with_a_generated_otp() {
    let mut server = Server::new(3);
    let mut c = Ceremony::new(Client::new(Endpoint::Recovery));
    assert_eq!(
        (c.nonce(), c.progress(), c.is_complete()),
        (None, None, false)
    );
    assert_eq!(
        c.update_request(server.share(0)).unwrap_err(),
        ClientError::NotStarted
    );

    let start = c.start_request(Start::GenerateOtp).unwrap();
    assert_eq!(body(&start), r#"{"otp":"","pgp_key":""}"#);
    let answer = c.handle_start(&server.send(&start)).unwrap();
    let nonce = answer.nonce.clone();
    assert_eq!(c.nonce(), Some(nonce.as_str()));
    assert_eq!(c.progress(), Some((0, 3)));
    assert_eq!(c.otp_length(), 28);
    assert_eq!(c.otp().unwrap(), &answer.otp);
    assert_eq!(
        c.start_request(Start::GenerateOtp).unwrap_err(),
        ClientError::AlreadyStarted
    );

    for (i, share) in [4, 1].into_iter().enumerate() {
        let r = c.update_request(server.share(share)).unwrap();
        assert_eq!(
            body(&r),
            format!(
                r#"{{"key":"{}","nonce":"{nonce}"}}"#,
                hex(&server.f.shares[share])
            )
        );
        let s = c.handle_update(&server.send(&r)).unwrap();
        assert!(!s.complete);
        assert_eq!(c.progress(), Some((i + 1, 3)));
        assert_eq!(c.token().unwrap_err(), ClientError::NotComplete);
    }
    let r = c.update_request(server.share(2)).unwrap();
    let s = c.handle_update(&server.send(&r)).unwrap();
    assert!(s.complete && c.is_complete());
    assert_eq!(c.progress(), Some((3, 3)));
    assert_eq!(c.encoded_token(), Some(s.encoded_token.as_str()));
    let token = c.token().unwrap();
    // The generator accepts exactly the token it minted.
    assert!(
        server
            .face
            .root()
            .recovery_token()
            .verify(token.expose_secret())
    );
    assert!(token.expose_secret().starts_with("hvr."));
    assert_eq!(c.pgp_message().unwrap_err(), ClientError::NotPgp);
    // Complete: no more shares.
    assert_eq!(
        c.update_request(server.share(3)).unwrap_err(),
        ClientError::AlreadyStarted
    );
}

#[test]
fn root_ceremony_with_the_callers_otp_decodes_to_the_minted_token() {
    let mut server = Server::new(2);
    let mut c = Ceremony::new(Client::new(Endpoint::Root));
    let start = c.start_request(Start::Otp(Otp::from(OTP28))).unwrap();
    assert_eq!(body(&start), format!(r#"{{"otp":"{OTP28}","pgp_key":""}}"#));
    let answer = c.handle_start(&server.send(&start)).unwrap();
    assert!(answer.otp.is_empty(), "a caller's OTP is never echoed");
    assert_eq!(c.otp().unwrap().expose_secret(), OTP28);
    for i in [0, 3] {
        let r = c.update_request(server.share(i)).unwrap();
        c.handle_update(&server.send(&r)).unwrap();
    }
    assert!(c.is_complete());
    assert_eq!(c.token().unwrap().expose_secret(), ROOT_TOKEN);
}

#[test]
fn a_share_for_another_nonce_is_not_sent() {
    let mut server = Server::new(3);
    let mut c = Ceremony::new(Client::new(Endpoint::Recovery));
    let start = c.start_request(Start::GenerateOtp).unwrap();
    let nonce = c.handle_start(&server.send(&start)).unwrap().nonce;
    let sent = server.requests;
    let e = c
        .update_request_for(server.share(0), "00000000-0000-0000-0000-000000000000")
        .unwrap_err();
    assert_eq!(
        e,
        ClientError::WrongNonce {
            expected: nonce.clone(),
            given: "00000000-0000-0000-0000-000000000000".to_owned()
        }
    );
    assert!(!e.to_string().contains(&hex(&server.f.shares[0])));
    assert_eq!(c.progress(), Some((0, 3)));
    // With the right nonce the share goes.
    let r = c.update_request_for(server.share(0), &nonce).unwrap();
    c.handle_update(&server.send(&r)).unwrap();
    assert_eq!((server.requests, c.progress()), (sent + 1, Some((1, 3))));
}

#[test]
fn a_key_holder_joins_through_the_status_and_the_initiator_decodes() {
    let mut server = Server::new(3);
    let mut initiator = Ceremony::new(Client::new(Endpoint::Root));
    let start = initiator.start_request(Start::GenerateOtp).unwrap();
    let otp = initiator.handle_start(&server.send(&start)).unwrap().otp;

    // Each holder, on their own machine: read the status, check the nonce, send the share.
    let mut last = None;
    for i in [1, 2, 4] {
        let mut holder = Ceremony::new(Client::new(Endpoint::Root));
        let s = holder
            .handle_status(&server.send(&holder.status_request()))
            .unwrap();
        assert!(s.otp.is_empty(), "the status never shows the OTP");
        assert_eq!(holder.nonce(), initiator.nonce());
        assert!(holder.otp().is_none());
        let r = holder
            .update_request_for(server.share(i), initiator.nonce().unwrap())
            .unwrap();
        holder.handle_update(&server.send(&r)).unwrap();
        last = Some(holder);
    }
    let mut last = last.unwrap();
    assert!(last.is_complete());
    assert_eq!(last.token().unwrap_err(), ClientError::NoOtp);
    last.set_otp(otp);
    assert_eq!(last.token().unwrap().expose_secret(), ROOT_TOKEN);

    // The initiator follows the status: the attempt is gone (completed elsewhere).
    let s = initiator
        .handle_status(&server.send(&initiator.status_request()))
        .unwrap();
    assert!(!s.started);
    assert_eq!((initiator.nonce(), initiator.otp()), (None, None));
}

#[test]
fn server_refusals_leave_the_ceremony_as_it_was() {
    let mut server = Server::new(3);
    let mut c = Ceremony::new(Client::new(Endpoint::Recovery));

    // A start refused by the server (wrong OTP length): still ready to start.
    let start = c.start_request(Start::Otp(Otp::from("short"))).unwrap();
    let e = c.handle_start(&server.send(&start)).unwrap_err();
    assert_eq!(
        e,
        ClientError::Server(ServerError {
            status: 400,
            errors: vec![Error::OtpWrongLength.to_string()]
        })
    );
    assert_eq!((c.nonce(), c.otp()), (None, None));
    let start = c.start_request(Start::Otp(Otp::from(OTP28))).unwrap();
    c.handle_start(&server.send(&start)).unwrap();
    let nonce = c.nonce().unwrap().to_owned();

    let r = c.update_request(server.share(0)).unwrap();
    c.handle_update(&server.send(&r)).unwrap();
    let r = c.update_request(server.share(0)).unwrap();
    let e = c.handle_update(&server.send(&r)).unwrap_err();
    assert_eq!(
        e,
        ClientError::Server(ServerError {
            status: 400,
            errors: vec![Error::DuplicateShare.to_string()]
        })
    );
    assert_eq!(
        (c.nonce(), c.progress()),
        (Some(nonce.as_str()), Some((1, 3)))
    );

    // An answer about another nonce, or a complete one without a token, is not believed.
    let forged = json(
        200,
        r#"{"nonce":"other","started":true,"progress":3,"required":3,"complete":true,"encoded_token":"AAAA"}"#,
    );
    assert!(matches!(
        c.handle_update(&forged),
        Err(ClientError::UnexpectedAnswer(_))
    ));
    let forged = json(
        200,
        &format!(
            r#"{{"nonce":"{nonce}","started":true,"progress":3,"required":3,"complete":true}}"#
        ),
    );
    assert!(matches!(
        c.handle_update(&forged),
        Err(ClientError::UnexpectedAnswer(_))
    ));
    assert_eq!(c.progress(), Some((1, 3)));

    // The attempt goes on to completion.
    for i in [1, 2] {
        let r = c.update_request(server.share(i)).unwrap();
        c.handle_update(&server.send(&r)).unwrap();
    }
    assert!(
        server
            .face
            .root()
            .recovery_token()
            .verify(c.token().unwrap().expose_secret())
    );
}

#[test]
fn a_start_answer_missing_the_generated_otp_is_refused() {
    let mut c = Ceremony::new(Client::new(Endpoint::Recovery));
    c.start_request(Start::GenerateOtp).unwrap();
    let no_otp = json(
        200,
        r#"{"nonce":"n","started":true,"required":3,"otp_length":28}"#,
    );
    assert!(matches!(
        c.handle_start(&no_otp),
        Err(ClientError::UnexpectedAnswer(_))
    ));
    let short = json(
        200,
        r#"{"nonce":"n","started":true,"required":3,"otp":"abc","otp_length":28}"#,
    );
    assert!(matches!(
        c.handle_start(&short),
        Err(ClientError::UnexpectedAnswer(_))
    ));
    let idle = json(
        200,
        r#"{"nonce":"","started":false,"required":3,"otp_length":28}"#,
    );
    assert!(matches!(
        c.handle_start(&idle),
        Err(ClientError::UnexpectedAnswer(_))
    ));
    assert_eq!(c.nonce(), None);
    let mut fresh = Ceremony::new(Client::new(Endpoint::Recovery));
    assert_eq!(
        fresh.handle_start(&idle).unwrap_err(),
        ClientError::NotStarted
    );
}

#[test]
fn status_of_another_attempt_does_not_move_the_ceremony() {
    let mut server = Server::new(3);
    let mut c = Ceremony::new(Client::new(Endpoint::Recovery));
    let start = c.start_request(Start::GenerateOtp).unwrap();
    c.handle_start(&server.send(&start)).unwrap();
    let ours = c.nonce().unwrap().to_owned();
    // Someone cancels and starts anew.
    let mut other = Ceremony::new(Client::new(Endpoint::Recovery));
    server.send(&other.cancel_request());
    let start = other.start_request(Start::GenerateOtp).unwrap();
    other.handle_start(&server.send(&start)).unwrap();

    let e = c
        .handle_status(&server.send(&c.status_request()))
        .unwrap_err();
    assert!(matches!(e, ClientError::UnexpectedAnswer(_)));
    assert_eq!(c.nonce(), Some(ours.as_str()));
    assert!(c.otp().is_some());

    // A ceremony awaiting its own start answer does not adopt the attempt a status shows.
    let mut starting = Ceremony::new(Client::new(Endpoint::Recovery));
    starting.start_request(Start::GenerateOtp).unwrap();
    let s = starting
        .handle_status(&server.send(&starting.status_request()))
        .unwrap();
    assert!(s.started);
    assert_eq!(starting.nonce(), None);
}

#[test]
fn cancel_forgets_the_attempt_and_the_otp() {
    let mut server = Server::new(3);
    let mut c = Ceremony::new(Client::new(Endpoint::Root));
    let start = c.start_request(Start::GenerateOtp).unwrap();
    c.handle_start(&server.send(&start)).unwrap();
    let r = c.update_request(server.share(0)).unwrap();
    c.handle_update(&server.send(&r)).unwrap();

    let cancel = c.cancel_request();
    assert_eq!(
        (cancel.method, cancel.path.as_str()),
        (Method::Delete, "/v1/sys/generate-root/attempt")
    );
    let answer = server.send(&cancel);
    assert_eq!((answer.status, answer.body.len()), (204, 0));
    // A refused cancel changes nothing.
    assert!(c.handle_cancel(&json(400, r#"{"errors":["x"]}"#)).is_err());
    assert!(c.nonce().is_some() && c.otp().is_some());
    c.handle_cancel(&answer).unwrap();
    assert_eq!((c.nonce(), c.otp(), c.progress()), (None, None, None));
    let s = c.handle_status(&server.send(&c.status_request())).unwrap();
    assert!(!s.started);
    // And a new attempt can start.
    let start = c.start_request(Start::GenerateOtp).unwrap();
    c.handle_start(&server.send(&start)).unwrap();
    assert_eq!(c.progress(), Some((0, 3)));
}

#[test]
fn a_wrong_otp_fails_to_decode_or_decodes_to_another_token() {
    let mut server = Server::new(1);
    let mut c = Ceremony::new(Client::new(Endpoint::Root));
    let start = c.start_request(Start::Otp(Otp::from(OTP28))).unwrap();
    c.handle_start(&server.send(&start)).unwrap();
    let r = c.update_request(server.share(0)).unwrap();
    c.handle_update(&server.send(&r)).unwrap();
    assert_eq!(c.token().unwrap().expose_secret(), ROOT_TOKEN);
    c.set_otp(Otp::from("short"));
    assert!(matches!(c.token(), Err(ClientError::Decode(_))));
    c.set_otp(Otp::from("1123456789abcdefghijklmnopqr"));
    assert_ne!(c.token().unwrap().expose_secret(), ROOT_TOKEN);
}

// ---------------------------------------------------------------- PGP, proven with gpg

#[cfg(feature = "pgp")]
mod pgp {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    use base64::Engine as _;

    use super::*;

    #[test]
    #[ignore = "needs gpg (installed by .ci/run); run with: cargo test -- --ignored"]
    fn a_pgp_ceremony_hands_back_a_message_gpg_decrypts_to_the_minted_token() {
        let home = std::env::temp_dir().join(format!("rt-client-gpg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir(&home).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let gpg = |args: &[&str], stdin: &[u8]| {
            let mut child = Command::new("gpg")
                .arg("--homedir")
                .arg(&home)
                .args([
                    "--batch",
                    "--no-tty",
                    "--pinentry-mode",
                    "loopback",
                    "--passphrase",
                    "",
                ])
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("gpg is required by tests/http/client.rs (apt-get install gnupg)");
            child.stdin.take().unwrap().write_all(stdin).unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "gpg {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        gpg(
            &[
                "--quick-gen-key",
                "holder@example.org",
                "default",
                "default",
                "never",
            ],
            b"",
        );
        let key = base64::engine::general_purpose::STANDARD
            .encode(gpg(&["--export", "holder@example.org"], b""));
        let colons = String::from_utf8(gpg(&["--with-colons", "--fingerprint"], b"")).unwrap();
        let fpr = colons
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .unwrap()
            .split(':')
            .nth(9)
            .unwrap()
            .to_lowercase();

        let mut server = Server::new(2);
        let mut c = Ceremony::new(Client::new(Endpoint::Root));
        let start = c.start_request(Start::PgpKey(key.clone())).unwrap();
        assert_eq!(body(&start), format!(r#"{{"otp":"","pgp_key":"{key}"}}"#));
        c.handle_start(&server.send(&start)).unwrap();
        assert_eq!(c.pgp_fingerprint(), fpr);
        assert_eq!(c.pgp_message().unwrap_err(), ClientError::NotComplete);
        for i in [0, 1] {
            let r = c.update_request(server.share(i)).unwrap();
            c.handle_update(&server.send(&r)).unwrap();
        }
        assert_eq!(c.token().unwrap_err(), ClientError::PgpEncoded);
        let message = c.pgp_message().unwrap();
        let plain = gpg(&["-dq"], &message);
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(&home)
            .args(["--kill", "gpg-agent"])
            .output();
        let _ = std::fs::remove_dir_all(&home);
        assert_eq!(String::from_utf8(plain).unwrap(), ROOT_TOKEN);
    }
}

// ---------------------------------------------------------------- answers other servers send

/// A ceremony past a forged start answer, for answers the generator never sends.
fn started(start: Start, answer: &str) -> Ceremony {
    let mut c = Ceremony::new(Client::new(Endpoint::Root));
    c.start_request(start).unwrap();
    c.handle_start(&json(200, answer)).unwrap();
    c
}

#[test]
fn legacy_vault_otps_and_tokens_decode() {
    // Vault before 0.11.2: otp_length 0, the OTP padded base64 of 16 bytes, the token a UUID.
    let otp = "AQIDBAUGBwgJCgsMDQ4PEA==";
    let mut c = started(
        Start::GenerateOtp,
        &format!(r#"{{"nonce":"n","started":true,"required":1,"otp":"{otp}","otp_length":0}}"#),
    );
    assert_eq!(c.otp_length(), 0);
    // docs/PROTOCOL.md section 6's worked example.
    let done = r#"{"nonce":"n","started":true,"progress":1,"required":1,"complete":true,"encoded_token":"p7HF1hsZTVOFlwUTJzVDTQ=="}"#;
    c.handle_update(&json(200, done)).unwrap();
    assert_eq!(
        c.token().unwrap().expose_secret(),
        "a6b3c6d2-1e1f-4a5b-8c9d-0e1f2a3b4c5d"
    );
}

#[test]
fn a_final_answer_with_only_encoded_root_token_is_read() {
    let mut c = started(
        Start::Otp(Otp::from("0123456789abcdefghijklmnop")),
        r#"{"nonce":"n","started":true,"required":2,"otp_length":26}"#,
    );
    c.handle_update(&json(
        200,
        r#"{"nonce":"n","started":true,"progress":1,"required":2}"#,
    ))
    .unwrap();
    assert_eq!(c.progress(), Some((1, 2)));
    // docs/PROTOCOL.md section 6's worked example for `s.` tokens.
    c.handle_update(&json(
        200,
        r#"{"nonce":"n","started":true,"progress":2,"required":2,"complete":true,"encoded_token":"","encoded_root_token":"Qx9zcXdxc3F/cSgoKCgoKCg4ODg4ODg4OCg"}"#,
    ))
    .unwrap();
    assert_eq!(
        c.encoded_token(),
        Some("Qx9zcXdxc3F/cSgoKCgoKCg4ODg4ODg4OCg")
    );
    assert_eq!(
        c.token().unwrap().expose_secret(),
        "s.ABCDEFGHIJKLMNOPQRSTUVWX"
    );
}

#[test]
fn pgp_answers_are_checked() {
    let mut c = Ceremony::new(Client::new(Endpoint::Root));
    c.start_request(Start::PgpKey("mQENBGA=".to_owned()))
        .unwrap();
    let no_fpr = json(
        200,
        r#"{"nonce":"n","started":true,"required":1,"otp_length":26}"#,
    );
    assert!(matches!(
        c.handle_start(&no_fpr),
        Err(ClientError::UnexpectedAnswer(_))
    ));
    let fpr = "0123456789abcdef0123456789abcdef01234567";
    c.handle_start(&json(
        200,
        &format!(r#"{{"nonce":"n","started":true,"required":1,"pgp_fingerprint":"{fpr}","otp_length":26}}"#),
    ))
    .unwrap();
    assert_eq!(c.pgp_fingerprint(), fpr);
    assert!(c.otp().is_none());
    c.handle_update(&json(
        200,
        r#"{"nonce":"n","started":true,"progress":1,"required":1,"complete":true,"encoded_token":"not base64!"}"#,
    ))
    .unwrap();
    assert_eq!(c.pgp_message().unwrap_err(), ClientError::PgpMessageBase64);
    assert_eq!(c.token().unwrap_err(), ClientError::PgpEncoded);
}

#[test]
fn answers_out_of_turn_are_refused() {
    let mut c = Ceremony::new(Client::new(Endpoint::Root));
    let status = json(
        200,
        r#"{"nonce":"n","started":true,"progress":1,"required":3}"#,
    );
    assert_eq!(
        c.handle_update(&status).unwrap_err(),
        ClientError::NotStarted
    );
    assert_eq!(
        c.handle_start(&status).unwrap_err(),
        ClientError::NotStarted
    );
    // Joining through the status, then following it.
    c.handle_status(&status).unwrap();
    assert_eq!((c.nonce(), c.progress()), (Some("n"), Some((1, 3))));
    c.handle_status(&json(
        200,
        r#"{"nonce":"n","started":true,"progress":2,"required":3}"#,
    ))
    .unwrap();
    assert_eq!(c.progress(), Some((2, 3)));
    assert_eq!(
        c.start_request(Start::GenerateOtp).unwrap_err(),
        ClientError::AlreadyStarted
    );
    assert_eq!(
        ServerError {
            status: 405,
            errors: vec![]
        }
        .to_string(),
        "server answered 405"
    );
    assert_eq!(
        [
            Method::Get,
            Method::Put,
            Method::Post,
            Method::Delete,
            Method::Patch
        ]
        .map(Method::as_str),
        ["GET", "PUT", "POST", "DELETE", "PATCH"]
    );
}
