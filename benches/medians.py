#!/usr/bin/env python3
"""Prints the medians of the last `cargo bench --bench combine` run, and their ratios, as the
Markdown tables of BENCHMARKS.md. Reads criterion's estimates.json files under
$CARGO_TARGET_DIR/criterion (default: target/criterion)."""

import json
import os
import sys

ROOT = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
THRESHOLDS = [2, 3, 5, 10, 32, 255]


def median(*parts):
    path = os.path.join(ROOT, *map(str, parts), "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]  # nanoseconds
    except FileNotFoundError:
        return None


def fmt(ns):
    if ns is None:
        return "n/a"
    if ns < 1e3:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns / 1e6:.2f} ms"


def ratio(a, b):
    return "n/a" if a is None or b is None else f"{a / b:.2f}x"


def main():
    if not os.path.isdir(ROOT):
        sys.exit(f"no criterion results under {ROOT}")
    print("### Share combination: the crate vs raw vsss-rs `Gf256::combine_bytes`\n")
    print("| threshold | key | crate `combine` | vsss-rs `combine_bytes` | vsss-rs / crate |")
    print("|---:|---:|---:|---:|---:|")
    for key in (32, 16):
        for t in THRESHOLDS:
            ours = median(f"combine_{key}B", "crate", t)
            theirs = median(f"combine_{key}B", "vsss_rs", t)
            print(f"| {t} | {key} B | {fmt(ours)} | {fmt(theirs)} | **{ratio(theirs, ours)}** |")

    print("\n### The crate's combine split: coefficients (quadratic in t) vs bytes (linear)\n")
    print("| threshold | 1-byte secret (≈ coefficients + fixed cost) | 32-byte secret "
          "| (32 B − 1 B) / 31: per secret byte |")
    print("|---:|---:|---:|---:|")
    for t in THRESHOLDS:
        one, full = median("combine_1B", "crate", t), median("combine_32B", "crate", t)
        per = None if one is None or full is None else (full - one) / 31
        print(f"| {t} | {fmt(one)} | {fmt(full)} | {fmt(per)} |")

    print("\n### `update` at the threshold (OTP, trivial key check) vs the combine alone\n")
    print("| threshold | key | `update` | `combine` | update / combine | `submit` (32 B) "
          "| `submit_share` (32 B) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for key in (32, 16):
        for t in THRESHOLDS:
            up = median(f"update_{key}B", "update_otp", t)
            co = median(f"combine_{key}B", "crate", t)
            sub = median(f"update_{key}B", "submit", t) if key == 32 else None
            sh = median(f"update_{key}B", "submit_share", t) if key == 32 else None
            print(f"| {t} | {key} B | {fmt(up)} | {fmt(co)} | **{ratio(up, co)}** | "
                  f"{fmt(sub) if key == 32 else ''} | {fmt(sh) if key == 32 else ''} |")

    print("\n### Status answer\n")
    print("| | median |")
    print("|---|---:|")
    print(f"| `status()` + `AttemptStatus::to_json()` | **{fmt(median('status', 'status_to_json'))}** |")

    print("\n### PGP encoding of a token\n")
    print("| key | crate `encrypt_token` (incl. base64) | raw rPGP | crate / raw |")
    print("|---|---:|---:|---:|")
    for name in ("rsa3072", "cv25519"):
        ours = median("pgp_encrypt", "crate", name)
        raw = median("pgp_encrypt", "rpgp_raw", name)
        print(f"| {name} | {fmt(ours)} | {fmt(raw)} | {ratio(ours, raw)} |")


if __name__ == "__main__":
    main()
