//! "No freed heap block holds a secret": parsing update and start bodies (with and without JSON
//! escapes) and dropping the request must not leave a copy of the share or the OTP in memory the
//! allocator takes back. A scanning global allocator looks into every block as it is freed, and
//! into every block a reallocation moves away from, for the secret's bytes.
//!
//! A decoder that unescapes into a scratch buffer and frees it unwiped (serde_json does, for any
//! string with an escape) fails here; so does a `String` that grows by reallocation, or a request
//! whose drop does not wipe.
//!
//! The allocator is process-wide, so this file runs without libtest's harness (`harness = false`
//! in Cargo.toml): nothing else allocates while a check is armed.
// A `GlobalAlloc` can only be written with `unsafe` (the trait is unsafe, and it hands out raw
// pointers). This test file is the crate's only exception: the library itself stays
// `#![forbid(unsafe_code)]` (src/lib.rs); Cargo.toml's `unsafe_code = "deny"` lets this one file
// opt out.
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use rand::SeedableRng;
use rand::rngs::StdRng;
use recovery_token::shares::KeyShare;
use recovery_token::tokens::decode_token;
use recovery_token::wire::{StartRequest, UpdateRequest};
use recovery_token::{Encoding, ExpectedKey, GeneratorConfig, RecoveryTokenGenerator, Strategy};

const MAX_NEEDLE: usize = 128;
const NEEDLES: usize = 3;

/// The secrets being looked for (three at most), as bytes; set only while disarmed.
static NEEDLE: [[AtomicU8; MAX_NEEDLE]; NEEDLES] =
    [const { [const { AtomicU8::new(0) }; MAX_NEEDLE] }; NEEDLES];
static NEEDLE_LEN: [AtomicUsize; NEEDLES] = [const { AtomicUsize::new(0) }; NEEDLES];
static ARMED: AtomicBool = AtomicBool::new(false);
/// Freed (or moved-away) blocks that held a needle while armed.
static HITS: AtomicUsize = AtomicUsize::new(0);
/// The same, per needle.
static HITS_BY: [AtomicUsize; NEEDLES] = [const { AtomicUsize::new(0) }; NEEDLES];
/// Blocks scanned while armed: proves the scanner saw the parse's frees at all.
static SCANNED: AtomicUsize = AtomicUsize::new(0);

struct Scanning;

fn holds_needle(block: &[u8]) -> bool {
    let mut any = false;
    for (n, hits) in HITS_BY.iter().enumerate() {
        if contains_needle(block, n) {
            hits.fetch_add(1, Ordering::Relaxed);
            any = true;
        }
    }
    any
}

fn contains_needle(block: &[u8], n: usize) -> bool {
    {
        let len = NEEDLE_LEN[n].load(Ordering::Relaxed);
        len > 0
            && block.len() >= len
            && block.windows(len).any(|w| {
                w.iter()
                    .zip(&NEEDLE[n][..len])
                    .all(|(a, b)| *a == b.load(Ordering::Relaxed))
            })
    }
}

/// Called on every block about to go back to the system.
///
/// # Safety
/// `ptr` is a live block of `size` bytes.
unsafe fn scan(ptr: *const u8, size: usize) {
    if !ARMED.load(Ordering::SeqCst) {
        return;
    }
    // SAFETY: the caller passes a block it owns and is about to free; it is initialised or
    // zeroed memory of `size` bytes (reading uninitialised heap bytes as u8 is what every
    // memory scanner does; the values only feed a comparison).
    let block = unsafe { std::slice::from_raw_parts(ptr, size) };
    SCANNED.fetch_add(1, Ordering::Relaxed);
    if holds_needle(block) {
        HITS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the layout it was given; `realloc` is
// alloc + copy + dealloc so that the old block is always scanned before it is freed.
unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a live block of `layout.size()` bytes until the call below.
        unsafe {
            scan(ptr, layout.size());
            System.dealloc(ptr, layout);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the new layout has the old alignment and a size the caller vouches for; the
        // copy covers the smaller of the two sizes; the old block is scanned, then freed.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = System.alloc(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                scan(ptr, layout.size());
                System.dealloc(ptr, layout);
            }
            new
        }
    }
}

#[global_allocator]
static GLOBAL: Scanning = Scanning;

fn set_needles(needles: &[&[u8]]) {
    assert!(needles.len() <= NEEDLES);
    for n in 0..NEEDLES {
        let bytes = needles.get(n).copied().unwrap_or_default();
        assert!(bytes.len() <= MAX_NEEDLE);
        for (slot, b) in NEEDLE[n].iter().zip(bytes) {
            slot.store(*b, Ordering::Relaxed);
        }
        NEEDLE_LEN[n].store(bytes.len(), Ordering::Relaxed);
    }
}

/// Runs `f` armed and returns (hits, blocks scanned). `f` must drop everything it creates.
fn armed(needles: &[&[u8]], f: impl FnOnce()) -> (usize, usize) {
    set_needles(needles);
    HITS.store(0, Ordering::SeqCst);
    for h in &HITS_BY {
        h.store(0, Ordering::SeqCst);
    }
    SCANNED.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    f();
    ARMED.store(false, Ordering::SeqCst);
    (HITS.load(Ordering::SeqCst), SCANNED.load(Ordering::SeqCst))
}

// A 33-byte share in hex and in base64 (with a `/`, which PHP and some JS encoders send as `\/`),
// and a 28-character OTP. Distinct from anything else the process holds.
const SHARE_HEX: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9091a2b3c4d5e6f708192a3b4c5d6e7f809";
const SHARE_B64: &str = "q/Lk9wX7nP0/Rz1sYt3uVm8+Qa6bCd5eFg4hIj2kLn1o";
const OTP: &str = "Zq7Xw3Rt9Yp2Lm5Nb8Vc1Kd4Hg6F";

/// A name, the secret to look for, the body, and how to parse it.
type Case = (&'static str, &'static str, String, fn(&[u8]));

fn check(name: &str, needle: &str, body: String, parse: fn(&[u8])) -> bool {
    let body = body.into_bytes();
    let (hits, scanned) = armed(&[needle.as_bytes()], || parse(&body));
    // The scanner is live: parsing frees at least one block (the request's own strings).
    let live = scanned > 0;
    let ok = hits == 0 && live;
    println!(
        "  {name}: {hits} freed block(s) held the secret ({scanned} scanned){}",
        if ok { "" } else { "  <-- FAIL" }
    );
    drop(body);
    ok
}

fn parse_update(body: &[u8]) {
    let request = UpdateRequest::from_json(body).unwrap();
    assert!(!request.key.is_empty());
    drop(request);
}

fn parse_update_refused(body: &[u8]) {
    assert!(UpdateRequest::from_json(body).is_err());
}

fn parse_start(body: &[u8]) {
    let request = StartRequest::from_json(body).unwrap();
    assert_eq!(request.otp.len(), OTP.len());
    drop(request);
}

fn parse_holder_start(body: &[u8]) {
    let request = StartRequest::from_json(body).unwrap();
    assert!(!request.key.is_empty());
    drop(request);
}

fn parse_holder_cancel(body: &[u8]) {
    let request = recovery_token::wire::CancelRequest::from_http(body, None).unwrap();
    assert!(!request.key().is_empty());
    drop(request);
}

/// The same secret written with its second character escaped as `\u00XX`. (Not the first: the
/// escape of a digit ends with that digit, so `\u0030a1..` still holds `0a1..` verbatim, and the
/// body itself, which the test frees, would be a hit.)
fn u_escaped(secret: &str) -> String {
    let second = secret.as_bytes()[1];
    format!("{}\\u{:04x}{}", &secret[..1], second, &secret[2..])
}

/// A whole ceremony from JSON bodies (escaped OTP and shares), seeded so that two runs mint the
/// same token. Returns the token (only used when disarmed).
fn ceremony(shares: &[KeyShare], key: &[u8]) -> String {
    let mut rng = StdRng::seed_from_u64(7);
    let now = std::time::Instant::now();
    let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3).unwrap());
    let mut host = ExpectedKey::new(key);
    let body = format!(r#"{{"otp":"{}"}}"#, u_escaped(OTP));
    let encoding = Encoding::from(StartRequest::from_json(body.as_bytes()).unwrap());
    let started = generator
        .start(Strategy::Recovery, encoding, now, &mut rng)
        .unwrap();
    let mut last = None;
    for share in shares.iter().take(3) {
        // The test's own hex text of the share: built in place and wiped, so it is no hit.
        let mut hex = zeroize::Zeroizing::new(String::with_capacity(share.len() * 2));
        for b in share.expose_secret() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 15)]));
        }
        let body = format!(
            r#"{{"key":"{}","nonce":"{}"}}"#,
            u_escaped(&hex),
            started.nonce
        );
        let request = UpdateRequest::from_json(body.as_bytes()).unwrap();
        last = Some(
            generator
                .update(Strategy::Recovery, &request, now, &mut host, &mut rng)
                .unwrap(),
        );
    }
    let done = last.unwrap();
    assert!(done.complete);
    let token = decode_token(&done.encoded_token, OTP, OTP.len()).unwrap();
    token.expose_secret().to_owned()
}

/// Zeroes 512 KiB of the stack below the caller (dead frames of earlier work), so that what a
/// later stack scan finds was left by what ran in between.
#[inline(never)]
fn clear_dead_stack() {
    let mut area = [0u8; 512 * 1024];
    zeroize::Zeroize::zeroize(&mut area[..]);
    std::hint::black_box(&area);
}

/// Leaves `needle` in a dead stack frame (the stack scanner's liveness check).
#[inline(never)]
fn leave_on_stack(needle: &[u8]) {
    let mut area = [0u8; 64];
    area[..needle.len()].copy_from_slice(needle);
    std::hint::black_box(&area);
}

/// Runs `f` 128 KiB deeper in the stack than the caller: its frames lie below anything the
/// stack scan itself (called from the caller) later uses, so the scan does not overwrite them.
#[inline(never)]
fn deep<R>(f: impl FnOnce() -> R) -> R {
    let mut pad = [0u8; 128 * 1024];
    std::hint::black_box(&mut pad);
    let r = f();
    std::hint::black_box(&pad);
    r
}

/// How many times each needle occurs in the main thread's stack mapping, dead frames included
/// (read through /proc/self/mem). Call disarmed: the copy it reads is freed afterwards.
fn stack_hits(needles: &[&[u8]]) -> Vec<usize> {
    use std::io::{Read, Seek, SeekFrom};
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let line = maps.lines().find(|l| l.ends_with("[stack]")).unwrap();
    let range = line.split_whitespace().next().unwrap();
    let (lo, hi) = range.split_once('-').unwrap();
    let (lo, hi) = (
        u64::from_str_radix(lo, 16).unwrap(),
        u64::from_str_radix(hi, 16).unwrap(),
    );
    let mut mem = std::fs::File::open("/proc/self/mem").unwrap();
    mem.seek(SeekFrom::Start(lo)).unwrap();
    let mut stack = vec![0u8; usize::try_from(hi - lo).unwrap()];
    mem.read_exact(&mut stack).unwrap();
    let hits = needles
        .iter()
        .map(|n| stack.windows(n.len()).filter(|w| w == n).count())
        .collect();
    zeroize::Zeroize::zeroize(&mut stack);
    hits
}

fn main() {
    // The scanner sees a copy: a freed String holding the share is counted.
    let (hits, _) = armed(&[SHARE_HEX.as_bytes()], || {
        drop(std::hint::black_box(String::from(SHARE_HEX)));
    });
    assert_eq!(hits, 1, "the scanning allocator must see a freed copy");
    // ...and a reallocated-away block too.
    let (hits, _) = armed(&[SHARE_HEX.as_bytes()], || {
        let mut s = String::with_capacity(SHARE_HEX.len());
        s.push_str(SHARE_HEX);
        s.reserve(4096);
        drop(std::hint::black_box(s));
    });
    assert_eq!(
        hits, 2,
        "a moved-away block and the final free are both seen"
    );

    let mut passed = 0;
    let mut failed = 0;
    let b64_slashes = SHARE_B64.replace('/', "\\/");
    let cases: Vec<Case> = vec![
        (
            "update, plain hex key",
            SHARE_HEX,
            format!(r#"{{"key":"{SHARE_HEX}","nonce":"n"}}"#),
            parse_update,
        ),
        (
            "update, hex key with a \\u0030-style escape",
            SHARE_HEX,
            format!(r#"{{"key":"{}","nonce":"n"}}"#, u_escaped(SHARE_HEX)),
            parse_update,
        ),
        (
            "update, base64 key with \\/ escapes",
            SHARE_B64,
            format!(r#"{{"nonce":"n","key":"{b64_slashes}"}}"#),
            parse_update,
        ),
        (
            "update, repeated key (the first one is replaced)",
            SHARE_HEX,
            format!(
                r#"{{"key":"{}","KEY":"{SHARE_B64}","nonce":"n"}}"#,
                u_escaped(SHARE_HEX)
            ),
            parse_update,
        ),
        (
            "update refused after the key was decoded (type error)",
            SHARE_HEX,
            format!(r#"{{"key":"{}","nonce":1}}"#, u_escaped(SHARE_HEX)),
            parse_update_refused,
        ),
        (
            "update refused after the key was decoded (trailing text)",
            SHARE_B64,
            format!(r#"{{"key":"{b64_slashes}"}} trailing"#),
            parse_update_refused,
        ),
        (
            "start, plain OTP",
            OTP,
            format!(r#"{{"otp":"{OTP}"}}"#),
            parse_start,
        ),
        (
            "start, OTP with an escape",
            OTP,
            format!(r#"{{"pgp_key":"","otp":"{}"}}"#, u_escaped(OTP)),
            parse_start,
        ),
        (
            "start, a key holder's share with an escape",
            SHARE_HEX,
            format!(r#"{{"key":"{}","ttl":"1h"}}"#, u_escaped(SHARE_HEX)),
            parse_holder_start,
        ),
        (
            "cancel, a key holder's share with an escape",
            SHARE_HEX,
            format!(r#"{{"nonce":"n","key":"{}"}}"#, u_escaped(SHARE_HEX)),
            parse_holder_cancel,
        ),
    ];
    println!("request_alloc: {} cases", cases.len() + 1);
    for (name, needle, body, parse) in cases {
        if check(name, needle, body, parse) {
            passed += 1;
        } else {
            failed += 1;
        }
    }

    // A whole ceremony driven by escaped JSON bodies: neither the OTP, nor a share, nor the
    // minted token is left in a freed block.
    let mut split_rng = StdRng::seed_from_u64(3);
    let key: [u8; 32] = std::array::from_fn(|i| u8::try_from(i).unwrap().wrapping_mul(29) ^ 0xa5);
    let shares: Vec<KeyShare> = vsss_rs::Gf256::split_bytes(3, 5, key, &mut split_rng)
        .unwrap()
        .iter()
        .map(|s| KeyShare::from_vsss_layout(s, &KeyShare::DEFAULT_LENGTHS).unwrap())
        .collect();
    let token = ceremony(&shares, &key);
    let share_hex: String = shares[1]
        .expose_secret()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let (hits, scanned) = armed(
        &[token.as_bytes(), OTP.as_bytes(), share_hex.as_bytes()],
        || {
            let again = ceremony(&shares, &key);
            // Compared armed, then wiped, so that this copy is not a hit.
            let mut again = zeroize::Zeroizing::new(again);
            assert_eq!(
                again.as_bytes(),
                token.as_bytes(),
                "seeded runs mint the same token"
            );
            zeroize::Zeroize::zeroize(&mut *again);
        },
    );
    let ok = hits == 0 && scanned > 0;
    let by: Vec<usize> = HITS_BY.iter().map(|h| h.load(Ordering::SeqCst)).collect();
    println!(
        "  ceremony from escaped bodies: {hits} freed block(s) held a secret (token {}, OTP {}, share {}; {scanned} scanned){}",
        by[0],
        by[1],
        by[2],
        if ok { "" } else { "  <-- FAIL" }
    );
    if ok {
        passed += 1;
    } else {
        failed += 1;
    }

    // The share's raw bytes (what the library holds after decoding, and what the audit share id
    // hashes): no copy in a freed heap block, nor in the dead frames of the stack, after a whole
    // ceremony with auditing on (the default).
    let raw: Vec<Vec<u8>> = shares
        .iter()
        .take(3)
        .map(|s| s.expose_secret().to_vec())
        .collect();
    let needles: Vec<&[u8]> = raw.iter().map(Vec::as_slice).collect();
    deep(|| leave_on_stack(needles[0]));
    assert!(
        stack_hits(&needles[..1])[0] >= 1,
        "the stack scan must see a dead frame's copy"
    );
    clear_dead_stack();
    assert_eq!(
        stack_hits(&needles[..1])[0],
        0,
        "the dead stack was cleared"
    );
    let (heap_hits, scanned) = armed(&needles, || {
        drop(deep(|| ceremony(&shares, &key)));
    });
    let on_stack = stack_hits(&needles);
    // The audit share id alone, as the generator computes it for every share it is given.
    clear_dead_stack();
    let audit_key = recovery_token::audit::AuditKey::new([5; 32]);
    let id_hits = armed(&needles, || {
        let id = deep(|| recovery_token::audit::ShareId::compute(&audit_key, &shares[0]));
        std::hint::black_box(id);
    });
    let id_on_stack = stack_hits(&needles[..1])[0];
    let id_ok = id_hits.0 == 0 && id_on_stack == 0;
    println!(
        "  ShareId::compute: {} freed block(s), {id_on_stack} stack copies{}",
        id_hits.0,
        if id_ok { "" } else { "  <-- FAIL" }
    );
    if id_ok {
        passed += 1;
    } else {
        failed += 1;
    }
    let ok = heap_hits == 0 && scanned > 0 && on_stack.iter().all(|h| *h == 0);
    println!(
        "  ceremony, raw share bytes: {heap_hits} freed block(s), stack copies {on_stack:?} ({scanned} scanned){}",
        if ok { "" } else { "  <-- FAIL" }
    );
    if ok {
        passed += 1;
    } else {
        failed += 1;
    }
    println!("request_alloc: {passed} passed, {failed} failed");
    assert_eq!(failed, 0, "a freed block held a secret");
}
