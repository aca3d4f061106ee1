//! Criterion bench: what the HTTP face adds to a status read. Three measurements in one run:
//! `generator.status()` alone (the state machine), `generator.status()` serialized into Vault's
//! answer (`Answer::ok`: what any host must do anyway), and a whole `GET
//! /v1/sys/generate-recovery-token/attempt` through `Face::handle` (routing, method rules, the
//! answer). The face's own cost is the difference between the last two.
//!
//! Run: `cargo bench --bench http_face -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;
use recovery_token::http::{Answer, Face, Request, Step};
use recovery_token::tokens::TokenProfile;
use recovery_token::{Dialect, Encoding, GeneratorConfig, RecoveryTokenGenerator, Strategy};

fn generator() -> RecoveryTokenGenerator {
    let mut g = RecoveryTokenGenerator::new(GeneratorConfig::new(3).unwrap());
    // An attempt in progress: the status has a nonce to copy.
    let mut rng = StdRng::seed_from_u64(7);
    g.start(
        Strategy::Recovery,
        Encoding::GenerateOtp,
        Instant::now(),
        &mut rng,
    )
    .unwrap();
    g
}

fn status_read(c: &mut Criterion) {
    let now = Instant::now();
    let mut group = c.benchmark_group("status_get");

    let direct = generator();
    group.bench_function("generator_status", |b| {
        b.iter(|| black_box(direct.status(black_box(Strategy::Recovery), now)));
    });
    group.bench_function("generator_status_answer", |b| {
        b.iter(|| {
            black_box(Answer::ok(
                &direct.status(black_box(Strategy::Recovery), now),
            ))
        });
    });

    let mut face = Face::new(generator());
    let mut rng = StdRng::seed_from_u64(9);
    let request = Request::new("GET", "/v1/sys/generate-recovery-token/attempt")
        .with_header("Accept", "*/*")
        .with_header("User-Agent", "bench");
    group.bench_function("face_handle", |b| {
        b.iter(|| match face.handle(black_box(&request), now, &mut rng) {
            Step::Answer(a) => black_box(a),
            other => panic!("a status read needs no step: {other:?}"),
        });
    });

    // The same read in the OpenBao dialect (its router: clean-path check, generic layer).
    let config = GeneratorConfig::builder(3)
        .with_dialect(Dialect::OpenBao)
        .with_profile(TokenProfile::OPENBAO)
        .build()
        .unwrap();
    let mut openbao = Face::new(RecoveryTokenGenerator::new(config));
    group.bench_function("face_handle_openbao", |b| {
        b.iter(
            || match openbao.handle(black_box(&request), now, &mut rng) {
                Step::Answer(a) => black_box(a),
                other => panic!("a status read needs no step: {other:?}"),
            },
        );
    });
    group.finish();
}

/// A PATCH's Content-Type is parsed before any routing (Go's `mime.ParseMediaType`): a 100 KB
/// header of distinct parameters against one parameter of the same size. A parser that scans
/// the parameter list for each new name is quadratic in the first; the face's is linear.
fn patch_content_type(c: &mut Criterion) {
    let now = Instant::now();
    let mut group = c.benchmark_group("patch_content_type_100k");
    let mut distinct = String::from("text/plain");
    let mut i = 0u32;
    while distinct.len() < 100_000 {
        distinct.push_str(&format!("; p{i}=v"));
        i += 1;
    }
    let one = format!("text/plain; p={}", "v".repeat(distinct.len() - 13));
    // The baseline: the parser examples/server.rs had (the parameter list scanned for each new
    // name), copied below as it was, on the same header.
    for (name, ct) in [("one_parameter", &one), ("distinct_parameters", &distinct)] {
        group.bench_function(format!("quadratic_baseline/{name}"), |b| {
            b.iter(|| black_box(quadratic::go_media_type(black_box(ct))));
        });
    }
    let mut face = Face::new(generator());
    let mut rng = StdRng::seed_from_u64(11);
    for (name, ct) in [("one_parameter", &one), ("distinct_parameters", &distinct)] {
        let request = Request::new("PATCH", "/v1/sys/generate-recovery-token/attempt")
            .with_header("Content-Type", ct);
        group.bench_function(name, |b| {
            b.iter(|| match face.handle(black_box(&request), now, &mut rng) {
                Step::Answer(a) => black_box(a),
                other => panic!("a PATCH is answered at once: {other:?}"),
            });
        });
    }
    group.finish();
}

/// The media-type parser of examples/server.rs before the face (commit ee11911), verbatim but
/// for the names: the baseline of `patch_content_type_100k`.
mod quadratic {
    pub(super) fn go_media_type(v: &str) -> Result<String, &'static str> {
        let base = v.split(';').next().unwrap_or_default();
        let media = base.to_lowercase().trim().to_owned();
        let (kind, rest) = consume_token(&media);
        if kind.is_empty() {
            return Err("mime: no media type");
        }
        if !rest.is_empty() {
            let Some(rest) = rest.strip_prefix('/') else {
                return Err("mime: expected slash after first token");
            };
            let (subtype, rest) = consume_token(rest);
            if subtype.is_empty() {
                return Err("mime: expected token after slash");
            }
            if !rest.is_empty() {
                return Err("mime: unexpected content after media subtype");
            }
        }
        let mut params: Vec<(String, Vec<u8>)> = Vec::new();
        let mut rest = v.get(base.len()..).unwrap_or_default();
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                break;
            }
            let Some((name, value, after)) = consume_media_param(rest) else {
                if rest.trim() == ";" {
                    break;
                }
                return Err("mime: invalid media parameter");
            };
            match params.iter().find(|(n, _)| *n == name) {
                Some((_, held)) if *held != value => return Err("mime: duplicate parameter name"),
                Some(_) => {}
                None => params.push((name, value)),
            }
            rest = after;
        }
        Ok(media)
    }

    fn is_tspecial(b: u8) -> bool {
        b"()<>@,;:\\\"/[]?=".contains(&b)
    }

    fn consume_token(v: &str) -> (&str, &str) {
        let end = v
            .bytes()
            .position(|b| !(b > 0x20 && b < 0x7f && !is_tspecial(b)))
            .unwrap_or(v.len());
        (
            v.get(..end).unwrap_or_default(),
            v.get(end..).unwrap_or_default(),
        )
    }

    fn consume_media_param(v: &str) -> Option<(String, Vec<u8>, &str)> {
        let rest = v.trim_start().strip_prefix(';')?.trim_start();
        let (name, rest) = consume_token(rest);
        if name.is_empty() {
            return None;
        }
        let rest = rest.trim_start().strip_prefix('=')?.trim_start();
        let (value, after) = consume_value(rest)?;
        Some((name.to_lowercase(), value, after))
    }

    fn consume_value(v: &str) -> Option<(Vec<u8>, &str)> {
        let bytes = v.as_bytes();
        if bytes.first() != Some(&b'"') {
            let (token, rest) = consume_token(v);
            return (!token.is_empty()).then(|| (token.as_bytes().to_vec(), rest));
        }
        let mut value = Vec::new();
        let mut i = 1;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'"' => return Some((value, v.get(i + 1..).unwrap_or_default())),
                b'\\' if bytes.get(i + 1).is_some_and(|n| is_tspecial(*n)) => {
                    value.extend(bytes.get(i + 1));
                    i += 1;
                }
                b'\r' | b'\n' => return None,
                _ => value.push(b),
            }
            i += 1;
        }
        None
    }
}

/// The start answer that carries a generated OTP: `AttemptStatus::to_json` (written by hand, the
/// OTP copied without branching on it) against serde_json's text of the same status (the
/// baseline: what `to_json` was built on before, before Go's HTML escapes).
fn status_json(c: &mut Criterion) {
    let mut g = RecoveryTokenGenerator::new(GeneratorConfig::new(3).unwrap());
    let mut rng = StdRng::seed_from_u64(11);
    let start = g
        .start(
            Strategy::Recovery,
            Encoding::GenerateOtp,
            Instant::now(),
            &mut rng,
        )
        .unwrap();
    assert_eq!(start.otp.len(), 28);
    let mut group = c.benchmark_group("start_answer_json");
    group.bench_function("serde_json_baseline", |b| {
        b.iter(|| black_box(serde_json::to_string(black_box(&start)).unwrap()));
    });
    group.bench_function("to_json", |b| {
        b.iter(|| black_box(black_box(&start).to_json()));
    });
    group.finish();
}

criterion_group!(benches, status_read, patch_content_type, status_json);
criterion_main!(benches);
