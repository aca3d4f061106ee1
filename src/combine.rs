//! Shamir combination over GF(2^8) on Vault's share layout.
//!
//! Lagrange interpolation at x = 0, with the coefficients computed once per combine and every
//! byte of the secret accumulated with vsss-rs's constant-time [`Gf256`] arithmetic (bitwise
//! multiply, fixed inversion chain: no table indexed by secret bytes, no secret-dependent
//! branch). Every temporary is zeroized.

use vsss_rs::Gf256;
use zeroize::Zeroizing;

use crate::{CombineError, KeyShare};

/// Combines shares in Vault's layout (y bytes, then the x byte) into the secret, with Vault's
/// checks in Vault's order.
///
/// Unlike vsss-rs, an x coordinate of 0 is accepted, as Vault's `shamir.Combine` accepts it (a
/// share at x = 0 is the secret itself).
///
/// # Errors
/// The [`CombineError`] Vault would report.
pub fn combine(shares: &[KeyShare]) -> Result<Zeroizing<Vec<u8>>, CombineError> {
    combine_slices(shares.iter().map(KeyShare::expose_secret))
}

/// [`combine`] over byte slices in Vault's layout.
///
/// # Errors
/// The [`CombineError`] Vault would report.
pub fn combine_slices<'a>(
    shares: impl IntoIterator<Item = &'a [u8]> + Clone,
) -> Result<Zeroizing<Vec<u8>>, CombineError> {
    let parts: Vec<&[u8]> = shares.into_iter().collect();
    let (first, rest) = parts.split_first().ok_or(CombineError::TooFewParts)?;
    if rest.is_empty() {
        return Err(CombineError::TooFewParts);
    }
    let len = first.len();
    if len < 2 {
        return Err(CombineError::PartTooShort);
    }
    if rest.iter().any(|p| p.len() != len) {
        return Err(CombineError::LengthMismatch);
    }
    let xs: Vec<Gf256> = parts
        .iter()
        .map(|p| Gf256(p.last().copied().unwrap_or(0)))
        .collect();
    for (i, xi) in xs.iter().enumerate() {
        if xs.iter().skip(i + 1).any(|xj| xj == xi) {
            return Err(CombineError::DuplicatePart);
        }
    }

    let coefficients = lagrange_at_zero(&xs);
    let mut secret = Zeroizing::new(vec![0u8; len - 1]);
    for (part, c) in parts.iter().zip(coefficients.iter()) {
        for (out, y) in secret.iter_mut().zip(part.iter()) {
            *out ^= (Gf256(*y) * *c).0;
        }
    }
    Ok(secret)
}

/// Lagrange basis polynomials evaluated at 0: `l_i = prod_{j != i} x_j / (x_i - x_j)` (in
/// characteristic 2, subtraction is XOR). The x coordinates must be distinct.
fn lagrange_at_zero(xs: &[Gf256]) -> Zeroizing<Vec<Gf256>> {
    let mut out = Zeroizing::new(Vec::with_capacity(xs.len()));
    for (i, xi) in xs.iter().enumerate() {
        let mut num = Gf256(1);
        let mut den = Gf256(1);
        for (j, xj) in xs.iter().enumerate() {
            if i != j {
                num *= *xj;
                den *= *xi + *xj;
            }
        }
        // Distinct x coordinates make every factor of `den` non-zero.
        out.push(num * invert(den));
    }
    out
}

/// `a^254 = a^-1` (and 0 for 0) by a fixed square-and-multiply chain: constant time, the same
/// chain as vsss-rs's `Field::invert`.
fn invert(a: Gf256) -> Gf256 {
    let mut z = a;
    for _ in 0..6 {
        z = z * z;
        z *= a;
    }
    z * z
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

    #[test]
    fn field_is_the_aes_field() {
        assert_eq!((Gf256(3) * Gf256(7)).0, 9);
        assert_eq!((Gf256(0x53) * Gf256(0xca)).0, 1);
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
    }
}
