//! Constant-time helpers, and the declassification points of the ctgrind check
//! (docs/CONSTANT_TIME.md).
//!
//! The check (ctgrind/, run by CI) marks every secret byte undefined for Valgrind's memcheck,
//! which then reports every branch, conditional move or memory index that depends on one. Where
//! the protocol itself must branch on a fact computed from a secret (a share is or is not valid
//! hex, a share is a duplicate, the combined key is the right one, a random byte is rejected),
//! the code computes that fact without branches and passes it through [`public_bool`] (or
//! [`public_u8`]) right before branching on it: each call is an explicit, reviewed statement
//! that the value is allowed to leak, and the check allows exactly these.
//!
//! In every normal build these functions return their argument and compile to nothing. Built with
//! `--cfg recovery_token_ctgrind` (ctgrind/run.sh does), they also hand the value's byte to a hook
//! the harness installs, which marks it defined.

#[cfg(recovery_token_ctgrind)]
static HOOK: std::sync::OnceLock<fn(&mut [u8])> = std::sync::OnceLock::new();

/// Declassifies a bit computed from secrets: the caller is about to branch on it.
#[inline]
pub(crate) fn public_bool(b: bool) -> bool {
    public_u8(u8::from(b)) != 0
}

/// Declassifies a byte computed from (or holding) a secret: the caller is about to branch on it
/// or index with it.
#[inline]
pub(crate) fn public_u8(v: u8) -> u8 {
    #[cfg(recovery_token_ctgrind)]
    {
        let mut cell = [v];
        if let Some(hook) = HOOK.get() {
            hook(&mut cell);
        }
        let [v] = std::hint::black_box(cell);
        v
    }
    #[cfg(not(recovery_token_ctgrind))]
    v
}

/// Declassifies a whole text computed from secrets that the protocol sends in the clear (an
/// encoded token: the token XOR the OTP, base64).
#[inline]
pub(crate) fn public_string(s: String) -> String {
    #[cfg(recovery_token_ctgrind)]
    {
        let mut bytes = s.into_bytes();
        if let Some(hook) = HOOK.get() {
            hook(&mut bytes);
        }
        String::from_utf8(bytes).unwrap_or_default()
    }
    #[cfg(not(recovery_token_ctgrind))]
    s
}

/// An all-ones byte when `lo <= c <= hi`, zero otherwise, without a branch.
#[inline]
pub(crate) fn range_mask(c: u8, lo: u8, hi: u8) -> u8 {
    let c = i16::from(c);
    let m = (i16::from(lo).wrapping_sub(1).wrapping_sub(c)
        & c.wrapping_sub(i16::from(hi).wrapping_add(1)))
        >> 8;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let m = m as u8;
    m
}

/// A hex digit's value (either case) in the low nibble, or 0xffff (bits 8..16 set) when `c` is
/// no hex digit, without a branch (RustCrypto `base16ct`'s arithmetic).
#[inline]
pub(crate) fn hex_nibble(c: u8) -> u16 {
    let mut v: u16 = 0xffff;
    v = v.wrapping_add(
        u16::from(range_mask(c, b'0', b'9')) & u16::from(c.wrapping_sub(b'0').wrapping_add(1)),
    );
    v = v.wrapping_add(
        u16::from(range_mask(c, b'a', b'f')) & u16::from(c.wrapping_sub(b'a').wrapping_add(11)),
    );
    v = v.wrapping_add(
        u16::from(range_mask(c, b'A', b'F')) & u16::from(c.wrapping_sub(b'A').wrapping_add(11)),
    );
    v
}

/// Overwrites (with zeroes, through volatile writes) the stack just below the caller's frame,
/// where the frames of the functions it called lay: what they left there (a hash's buffer and
/// message schedule holding a share) is gone. Call it right after the function that handled the
/// secret returned; it covers frames up to 8 KiB deep.
#[inline(never)]
pub(crate) fn scrub_stack() {
    use zeroize::Zeroize as _;
    let mut area = [0u8; 8192];
    area.zeroize();
    std::hint::black_box(&area);
}

/// The ctgrind harness's way in: installs the function that marks bytes defined. Exists only
/// under `--cfg recovery_token_ctgrind`; not part of the API.
#[cfg(recovery_token_ctgrind)]
#[doc(hidden)]
pub fn set_declassify_hook(hook: fn(&mut [u8])) {
    let _ = HOOK.set(hook);
}
