//! Shamir combination over GF(2^8) on Vault's share layout, eight field elements per `u64`.
//!
//! The secret is `sum_i l_i * y_i` with the Lagrange coefficients at zero
//! `l_i = prod_{j != i} x_j / (x_i + x_j)` (characteristic 2: `+` is XOR). Both parts work on
//! packed lanes: a `u64` holds eight bytes, and multiplication is the carry-less shift-and-XOR
//! of the AES field (`x^8 + x^4 + x^3 + x + 1`), reduced lane by lane with masks.
//!
//! - **Coefficients** (`O(t^2)`, from the public x coordinates only). With
//!   `P(z) = prod_j (z + x_j)`: `prod_{j != i} (x_i + x_j) = P'(x_i)`, and `P(0) = prod_j x_j`,
//!   so `l_i = P(0) / (x_i * P'(x_i))`. `P`'s coefficients are built as a lane vector (one
//!   scalar-times-vector multiply per share), `P'` (only even powers in characteristic 2) is
//!   evaluated at every `x_i` at once by Horner's rule in `x_i^2`, and all the divisions are one
//!   lane-wise inversion (`a^254`, a fixed addition chain). A share at x = 0 (Vault accepts it)
//!   makes `P(0) = 0`, giving its own lane `l = 1` by a mask and every other lane `l = 0`, which
//!   is Lagrange's answer.
//! - **Secret bytes** (`O(t * len)`). By linearity, `sum_i l_i y_i = sum_k 2^k A_k` with
//!   `A_k = XOR_i (bit k of l_i ? y_i : 0)`: per share and per eight bytes, eight AND-XORs with
//!   masks derived from the coefficient (never from `y`), then seven doublings per eight bytes
//!   in total.
//!
//! Constant time: no table lookup and no branch anywhere depends on a y byte (or on a
//! coefficient); loop bounds depend only on the number and length of the shares. The only
//! data-dependent branches are the duplicate check on the public x coordinates. Every buffer
//! that held y-derived data is zeroized before it is released (values the compiler keeps in
//! registers or spills are beyond a library's reach).
#![allow(
    clippy::arithmetic_side_effects,
    reason = "invariant: every operand is bounded: the part count by the input's length (past \
              MAX_PARTS parts an x repeats and the combine is refused), byte offsets by the \
              share length (len - 1 only after len >= 2), lane shifts below 64, and the const fn \
              runs at compile time; the hot loops stay free of checked arithmetic"
)]
#![allow(
    clippy::inline_always,
    reason = "the packed GF(2^8) helpers must inline into the lane loops; the combine benches \
              (BENCHMARKS.md) were measured with them inlined"
)]

use zeroize::Zeroizing;

use std::fmt;

use crate::shares::KeyShare;

/// Why Shamir combination of the submitted shares failed.
///
/// The variants and their texts are Vault's `shamir.Combine` errors, in Vault's check order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CombineError {
    /// Fewer than two shares were given.
    TooFewParts,
    /// A share is shorter than two bytes (one y byte and the x byte).
    PartTooShort,
    /// The shares differ in length.
    LengthMismatch,
    /// Two shares carry the same x coordinate.
    DuplicatePart,
}

impl fmt::Display for CombineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooFewParts => "less than two parts cannot be used to reconstruct the secret",
            Self::PartTooShort => "parts must be at least two bytes",
            Self::LengthMismatch => "all parts must be the same length",
            Self::DuplicatePart => "duplicate part detected",
        })
    }
}

impl std::error::Error for CombineError {}

/// `0x01` in every lane.
const LO: u64 = 0x0101_0101_0101_0101;
/// `0x7f` in every lane.
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
/// `0x80` in every lane.
const HI: u64 = 0x8080_8080_8080_8080;

/// Distinct x coordinates are bytes, so at most 256 shares reach the arithmetic.
const MAX_PARTS: usize = 256;
/// Words holding one lane per share.
const LANE_WORDS: usize = MAX_PARTS / 8;
/// Words holding the coefficients of `P`, of degree up to 256.
const POLY_WORDS: usize = LANE_WORDS + 1;
/// Words of secret bytes combined per pass over the shares (32 bytes: any Vault key in one).
const BLOCK_WORDS: usize = 4;

/// Combines shares in Vault's layout (y bytes, then the x byte) into the secret, with Vault's
/// checks in Vault's order.
///
/// Unlike vsss-rs, an x coordinate of 0 is accepted, as Vault's `shamir.Combine` accepts it (a
/// share at x = 0 is the secret itself).
///
/// Constant time in the share bytes (no table lookup, no branch on them) and several times
/// faster than vsss-rs's `Gf256::combine_bytes`; see `BENCHMARKS.md`.
///
/// # Errors
/// The [`CombineError`] Vault would report.
///
/// # Examples
///
/// PROTOCOL.md section 7's worked example: any three of the threshold-3 shares give "test".
///
/// ```
/// use recovery_token::shares::{CombineError, KeyShare, combine};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let shares = ["7061777801", "6279695c02", "667d6d5003"]
///     .map(|hex| KeyShare::parse(hex, &(4..=33)))
///     .into_iter()
///     .collect::<Result<Vec<_>, _>>()?;
/// assert_eq!(combine(&shares)?.as_slice(), b"test");
/// // Fewer than the threshold combine to something else, without error (as in Vault).
/// assert_eq!(combine(&shares[..2])?.as_slice(), [0x7e, 0x69, 0x7d, 0x64]);
///
/// let copy = || KeyShare::from_bytes(shares[0].expose_secret(), &(4..=33));
/// let twice = [copy()?, copy()?];
/// assert!(matches!(combine(&twice), Err(CombineError::DuplicatePart)));
/// # Ok(()) }
/// ```
pub fn combine(shares: &[KeyShare]) -> Result<Zeroizing<Vec<u8>>, CombineError> {
    combine_slices(shares.iter().map(KeyShare::expose_secret))
}

/// [`combine`] over byte slices in Vault's layout.
///
/// # Errors
/// The [`CombineError`] Vault would report.
///
/// # Examples
///
/// ```
/// use recovery_token::shares::combine_slices;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let shares: [&[u8]; 3] = [b"pawx\x01", b"byi\x5c\x02", b"f}mP\x03"];
/// assert_eq!(combine_slices(shares)?.as_slice(), b"test");
/// # Ok(()) }
/// ```
// `IntoIterator` by value is the natural signature; the iterator is cloned for a second pass.
#[allow(clippy::needless_pass_by_value)]
pub fn combine_slices<'a>(
    shares: impl IntoIterator<Item = &'a [u8]> + Clone,
) -> Result<Zeroizing<Vec<u8>>, CombineError> {
    // One pass for Vault's checks (decided afterwards, in Vault's order) and the x lanes.
    let mut count = 0usize;
    let mut first_len = None;
    let mut mismatch = false;
    let mut duplicate = false;
    let mut seen = [0u64; MAX_PARTS / 64];
    let mut xs = [0u64; LANE_WORDS];
    for part in shares.clone() {
        let len = *first_len.get_or_insert(part.len());
        mismatch |= part.len() != len;
        let x = part.last().copied().unwrap_or(0);
        if let Some(word) = seen.get_mut(usize::from(x >> 6)) {
            let bit = 1u64 << (x & 63);
            duplicate |= *word & bit != 0;
            *word |= bit;
        }
        if let Some(word) = xs.get_mut(count / 8) {
            *word |= u64::from(x) << (8 * (count % 8));
        }
        count += 1;
    }
    let len = first_len.unwrap_or(0);
    if count < 2 {
        return Err(CombineError::TooFewParts);
    }
    if len < 2 {
        return Err(CombineError::PartTooShort);
    }
    if mismatch {
        return Err(CombineError::LengthMismatch);
    }
    // Past this check the x coordinates are distinct bytes: `count <= MAX_PARTS`.
    if duplicate {
        return Err(CombineError::DuplicatePart);
    }

    let coefficients = lagrange_at_zero(&xs, count);
    let mut secret = Zeroizing::new(vec![0u8; len - 1]);
    // acc[w][k] = A_k for word w of the block: XOR of the y words whose coefficient has bit k.
    let mut acc = Zeroizing::new([[0u64; 8]; BLOCK_WORDS]);
    let mut tail = Zeroizing::new([0u8; 8]);
    for (block, out) in secret.chunks_mut(BLOCK_WORDS * 8).enumerate() {
        let start = block * BLOCK_WORDS * 8;
        let end = start + out.len();
        *acc = [[0; 8]; BLOCK_WORDS];
        for (i, part) in shares.clone().into_iter().enumerate() {
            let masks = bit_masks(lane(&coefficients, i));
            let y = part.get(start..end).unwrap_or_default();
            let mut chunks = y.chunks_exact(8);
            let mut words = acc.iter_mut();
            // `chunks` first: when it runs out, `zip` must not have taken a word from `words`.
            for (chunk, a) in chunks.by_ref().zip(words.by_ref()) {
                accumulate(a, &masks, load_word(chunk, &mut tail));
            }
            let rest = chunks.remainder();
            if let Some(a) = words.next().filter(|_| !rest.is_empty()) {
                accumulate(a, &masks, load_word(rest, &mut tail));
            }
        }
        for (a, chunk) in acc.iter().zip(out.chunks_mut(8)) {
            // sum_k 2^k A_k by Horner's rule.
            let word = a.iter().rev().fold(0, |r, ak| xtime(r) ^ ak);
            for (o, b) in chunk.iter_mut().zip(word.to_le_bytes()) {
                *o = b;
            }
        }
    }
    Ok(secret)
}

/// The Lagrange coefficients at zero, lane `i` for share `i`, of `count` shares at the distinct
/// x coordinates in the lanes of `xs` (unused lanes 0).
fn lagrange_at_zero(xs: &[u64; LANE_WORDS], count: usize) -> [u64; LANE_WORDS] {
    let words = count.div_ceil(8);

    // P(z) = prod_j (z + x_j); coefficient k in lane k.
    let mut p = [0u64; POLY_WORDS];
    if let Some(c0) = p.first_mut() {
        *c0 = 1;
    }
    for j in 0..count {
        // P <- z * P + x_j * P: shift every lane up by one, add the scalar multiple.
        let m = multiples(broadcast(lane(xs, j)));
        let mut previous = 0u64;
        for w in p.get_mut(..=(j + 1) / 8).unwrap_or_default() {
            let old = *w;
            *w = ((old << 8) | (previous >> 56)) ^ mul_by_multiples(old, &m);
            previous = old;
        }
    }

    // P'(z) = sum over odd k of c_k z^(k-1): Horner in z^2, eight x_i per word. (One word at a
    // time keeps everything in registers; the steps of one word form a chain, and the words are
    // independent.)
    let mut odd = [0u8; MAX_PARTS / 2 + 1];
    for (c, k) in odd.iter_mut().zip((1..=count).step_by(2)) {
        *c = lane(&p, k);
    }
    let p0 = multiples(broadcast(lane(&p, 0)));
    let mut out = [0u64; LANE_WORDS];
    let xs = xs.get(..words).unwrap_or_default();
    let odd = odd.get(..count.div_ceil(2)).unwrap_or_default();
    for (o, x) in out.iter_mut().zip(xs) {
        let squares = multiples(square(*x));
        let mut derivative = 0;
        for c in odd.iter().rev() {
            derivative = mul_by_multiples(derivative, &squares) ^ broadcast(*c);
        }
        // l_i = P(0) / (x_i P'(x_i)); a lane with x_i = 0 gets 1 (there P(0) = 0 zeroes the
        // other lanes).
        *o = mul_by_multiples(invert(mul(*x, derivative)), &p0) | zero_lanes(*x);
    }
    out
}

/// Byte `index` of a lane vector (0 past its end).
#[allow(
    clippy::cast_possible_truncation,
    reason = "takes the addressed low byte"
)]
fn lane(words: &[u64], index: usize) -> u8 {
    words
        .get(index / 8)
        .map_or(0, |w| (w >> (8 * (index % 8))) as u8)
}

/// `b` in every lane.
fn broadcast(b: u8) -> u64 {
    u64::from(b).wrapping_mul(LO)
}

/// All-ones or all-zeros for each bit of a (public) coefficient.
fn bit_masks(c: u8) -> [u64; 8] {
    let mut m = [0u64; 8];
    for (k, mk) in m.iter_mut().enumerate() {
        *mk = 0u64.wrapping_sub(u64::from((c >> k) & 1));
    }
    m
}

/// `A_k ^= y` for the bits k set in the coefficient (masks all-ones or all-zeros).
#[inline(always)]
fn accumulate(a: &mut [u64; 8], masks: &[u64; 8], y: u64) {
    for (ak, m) in a.iter_mut().zip(masks) {
        *ak ^= m & y;
    }
}

/// Reads up to eight bytes little-endian; a short chunk goes through the zeroized `tail`.
fn load_word(chunk: &[u8], tail: &mut [u8; 8]) -> u64 {
    if let Ok(bytes) = <[u8; 8]>::try_from(chunk) {
        u64::from_le_bytes(bytes)
    } else {
        tail.fill(0);
        for (t, b) in tail.iter_mut().zip(chunk) {
            *t = *b;
        }
        u64::from_le_bytes(*tail)
    }
}

/// Every lane times 2 (`x`), reduced by the AES polynomial: a shift and a masked XOR of 0x1b.
#[inline(always)]
fn xtime(v: u64) -> u64 {
    ((v & LOW7) << 1) ^ ((v >> 7) & LO).wrapping_mul(0x1b)
}

/// `v * 2^k` for k = 0..8, lane-wise.
#[inline(always)]
fn multiples(v: u64) -> [u64; 8] {
    let mut m = [0u64; 8];
    let mut current = v;
    for mk in &mut m {
        *mk = current;
        current = xtime(current);
    }
    m
}

/// Lane-wise `a * b` given `multiples(b)`: XOR of `b * 2^k` under the mask of bit k of `a`.
#[inline(always)]
fn mul_by_multiples(a: u64, m: &[u64; 8]) -> u64 {
    let mut r = 0;
    for (k, mk) in m.iter().enumerate() {
        r ^= ((a >> k) & LO).wrapping_mul(0xff) & mk;
    }
    r
}

/// Lane-wise product.
#[inline(always)]
fn mul(a: u64, b: u64) -> u64 {
    mul_by_multiples(a, &multiples(b))
}

/// `x^(2k)` reduced, for k = 4..8, in every lane: where squaring (a linear map in characteristic
/// 2) sends the high bits.
const SQUARES_OF_HIGH_BITS: [u64; 4] = [x_power(8), x_power(10), x_power(12), x_power(14)];

/// `x^e` in the AES field, in every lane (compile time only).
const fn x_power(e: u32) -> u64 {
    let mut v: u8 = 1;
    let mut i = 0;
    while i < e {
        v = (v << 1) ^ if v & 0x80 != 0 { 0x1b } else { 0 };
        i += 1;
    }
    (v as u64) * LO
}

/// Lane-wise square: the low nibble's bits move to the even positions (no reduction needed),
/// each high bit adds its reduced `x^(2k)` under a mask.
#[inline(always)]
fn square(a: u64) -> u64 {
    let mut low = a & 0x0f0f_0f0f_0f0f_0f0f;
    low = (low | (low << 2)) & 0x3333_3333_3333_3333;
    low = (low | (low << 1)) & 0x5555_5555_5555_5555;
    let mut r = low;
    for (k, mk) in SQUARES_OF_HIGH_BITS.iter().enumerate() {
        r ^= ((a >> (k + 4)) & LO).wrapping_mul(0xff) & mk;
    }
    r
}

/// Lane-wise `a^254`: the inverse, and 0 for 0. A fixed addition chain (7 squarings, 4
/// multiplications).
fn invert(a: u64) -> u64 {
    let a2 = square(a);
    let a3 = mul(a2, a);
    let a12 = square(square(a3));
    let a15 = mul(a12, a3);
    let a240 = square(square(square(square(a15))));
    mul(mul(a240, a12), a2)
}

/// `0x01` in every lane of `v` that is zero, `0x00` elsewhere.
fn zero_lanes(v: u64) -> u64 {
    (!((v & LOW7).wrapping_add(LOW7) | v) & HI) >> 7
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Textbook GF(2^8) multiply, independent of the lane code.
    fn gf_mul(mut a: u8, mut b: u8) -> u8 {
        let mut r = 0;
        while b != 0 {
            if b & 1 == 1 {
                r ^= a;
            }
            let carry = a & 0x80 != 0;
            a <<= 1;
            if carry {
                a ^= 0x1b;
            }
            b >>= 1;
        }
        r
    }

    fn lanes(bytes: &[u8; 8]) -> u64 {
        u64::from_le_bytes(*bytes)
    }

    #[test]
    fn lane_arithmetic_matches_the_textbook_field_for_every_pair() {
        for a in 0..=255u8 {
            let va = lanes(&[a, 0, 1, a, 0x80, 0xff, a ^ 0x53, 2]);
            let mut bs = [0u8; 8];
            for b in 0..=255u8 {
                bs.rotate_left(1);
                bs[7] = b;
                let got = mul(va, lanes(&bs)).to_le_bytes();
                let va_bytes = va.to_le_bytes();
                for l in 0..8 {
                    assert_eq!(got[l], gf_mul(va_bytes[l], bs[l]), "{a} * {b} lane {l}");
                }
            }
            let inv = invert(broadcast(a)).to_le_bytes()[0];
            if a == 0 {
                assert_eq!(inv, 0);
            } else {
                assert_eq!(gf_mul(a, inv), 1, "inverse of {a}");
            }
            let x2 = xtime(broadcast(a)).to_le_bytes()[3];
            assert_eq!(x2, gf_mul(a, 2));
            assert_eq!(square(va).to_le_bytes()[6], gf_mul(a ^ 0x53, a ^ 0x53));
        }
    }

    #[test]
    fn zero_lanes_marks_exactly_the_zero_bytes() {
        let v = lanes(&[0, 1, 0x80, 0, 0xff, 0x7f, 0, 0x01]);
        assert_eq!(zero_lanes(v).to_le_bytes(), [1, 0, 0, 1, 0, 0, 1, 0]);
        assert_eq!(zero_lanes(0), LO);
        assert_eq!(zero_lanes(u64::MAX), 0);
    }

    #[test]
    fn field_is_the_aes_field() {
        assert_eq!(gf_mul(3, 7), 9);
        assert_eq!(gf_mul(0x53, 0xca), 1);
        assert_eq!(mul(broadcast(0x53), broadcast(0xca)), LO);
    }

    #[test]
    fn vault_worked_example_threshold_3() {
        let s = [
            h("7061777801"),
            h("6279695c02"),
            h("667d6d5003"),
            h("200d0fe404"),
            h("d4ea103dff"),
        ];
        for a in 0..5 {
            for b in 0..5 {
                for c in 0..5 {
                    if a == b || b == c || a == c {
                        continue;
                    }
                    let got = combine_slices([s[a].as_slice(), s[b].as_slice(), s[c].as_slice()])
                        .unwrap();
                    assert_eq!(&*got, b"test");
                }
            }
        }
        let two = combine_slices([s[0].as_slice(), s[1].as_slice()]).unwrap();
        assert_eq!(&*two, &h("7e697d64")[..]);
    }

    #[test]
    fn a_share_at_x_zero_is_the_secret() {
        let at_zero = [9u8, 8, 7, 0];
        let others = [[1u8, 2, 3, 5], [4, 5, 6, 200]];
        let got = combine_slices([&others[0][..], &at_zero[..], &others[1][..]]).unwrap();
        assert_eq!(&*got, &[9, 8, 7]);
    }

    #[test]
    fn secrets_longer_than_one_block_combine() {
        // Two shares of the line y = s + x * a, at x = 1 and x = 2, for 100 bytes.
        let s: Vec<u8> = (0..100u8).map(|i| i.wrapping_mul(37)).collect();
        let a: Vec<u8> = (0..100u8).map(|i| i ^ 0x5a).collect();
        let share = |x: u8| -> Vec<u8> {
            let mut v: Vec<u8> = s.iter().zip(&a).map(|(s, a)| s ^ gf_mul(*a, x)).collect();
            v.push(x);
            v
        };
        let (one, two) = (share(1), share(2));
        assert_eq!(&*combine_slices([&one[..], &two[..]]).unwrap(), &s[..]);
    }

    #[test]
    fn errors_in_vault_order() {
        assert_eq!(
            combine_slices([&[1u8, 2][..]]),
            Err(CombineError::TooFewParts)
        );
        assert_eq!(
            combine_slices([&[1u8][..], &[2u8, 3, 4][..]]),
            Err(CombineError::PartTooShort)
        );
        assert_eq!(
            combine_slices([&[1u8, 2][..], &[2u8, 3, 4][..]]),
            Err(CombineError::LengthMismatch)
        );
        assert_eq!(
            combine_slices([&[1u8, 2][..], &[3u8, 2][..]]),
            Err(CombineError::DuplicatePart)
        );
        // A duplicate before a length mismatch still reports the mismatch, as Vault does.
        assert_eq!(
            combine_slices([&[1u8, 2][..], &[3u8, 2][..], &[1u8, 2, 3][..]]),
            Err(CombineError::LengthMismatch)
        );
        // 257 parts of two bytes must repeat an x coordinate.
        let many: Vec<[u8; 2]> = (0..257u16).map(|i| [0, i as u8]).collect();
        assert_eq!(
            combine_slices(many.iter().map(|p| &p[..])),
            Err(CombineError::DuplicatePart)
        );
    }
}
