//! "No heap growth across a million status calls": a counting global allocator around the
//! status answer a host serves on every `GET .../attempt`.
//!
//! The counters are process-wide, so this file runs without libtest's harness (`harness = false`
//! in Cargo.toml): with it, the harness's main thread can allocate while the test thread
//! measures, which made the count flaky. Here nothing else runs.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::alloc::System;
use std::hint::black_box;
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;
use recovery_token::{Encoding, GeneratorConfig, RecoveryTokenGenerator, Strategy};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    status_and_its_json_leave_no_heap_growth_across_a_million_calls();
    println!("status_alloc: 1 passed, 0 failed");
}

fn status_and_its_json_leave_no_heap_growth_across_a_million_calls() {
    // A million in release builds; a debug build (plain `cargo test`) does a tenth, same check.
    let calls: usize = if cfg!(debug_assertions) {
        100_000
    } else {
        1_000_000
    };

    let mut rng = StdRng::seed_from_u64(1);
    let now = Instant::now();
    let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3).unwrap());
    generator
        .start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng)
        .unwrap();

    // The instrument sees a leak: one forgotten allocation shows as net growth.
    let probe = Region::new(GLOBAL);
    std::mem::forget(black_box(String::from("leak")));
    let leaked = probe.change();
    assert_eq!(leaked.allocations - leaked.deallocations, 1);

    let region = Region::new(GLOBAL);
    let mut bytes_served = 0usize;
    for _ in 0..calls {
        let json = generator
            .status(Strategy::Recovery, black_box(now))
            .to_json();
        bytes_served += black_box(json).len();
    }
    let change = region.change();

    assert!(bytes_served > calls * 100, "every answer is a full status");
    // The loop does allocate (the nonce clone, the JSON text), so the counters are live...
    assert!(change.allocations >= calls, "{change:?}");
    // ...and every allocation was freed: no net growth in count or in bytes.
    assert_eq!(change.allocations, change.deallocations, "{change:?}");
    assert_eq!(
        change.bytes_allocated, change.bytes_deallocated,
        "{change:?}"
    );
}
