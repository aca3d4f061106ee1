//! Valgrind's client requests (shim.c), and the secret RNG.
//!
//! `secret` marks bytes undefined: from then on memcheck reports every conditional jump, every
//! conditional move and every memory address computed from them ("Conditional jump or move
//! depends on uninitialised value(s)", "Use of uninitialised value of size N"). `public` marks
//! bytes defined again: a declassification, which this harness does only on what a path returns
//! to its caller (and states so at each call).

use std::convert::Infallible;
use std::ffi::c_uint;

unsafe extern "C" {
    fn ct_secret(ptr: *const u8, len: usize);
    fn ct_public(ptr: *const u8, len: usize);
    fn ct_error_count() -> c_uint;
    fn ct_on_valgrind() -> c_uint;
}

/// Marks `bytes` secret (undefined for memcheck).
pub fn secret(bytes: &[u8]) {
    // SAFETY: a client request only changes Valgrind's shadow state of the range; the bytes
    // themselves are untouched (outside Valgrind it does nothing at all).
    unsafe { ct_secret(bytes.as_ptr(), bytes.len()) }
}

/// Marks `bytes` public (defined for memcheck): a declassification.
pub fn public(bytes: &[u8]) {
    // SAFETY: as in `secret`.
    unsafe { ct_public(bytes.as_ptr(), bytes.len()) }
}

/// Declassifies a value's own bytes (not what it points to): for a returned `bool`, `Result`
/// discriminant or length, which a caller must branch on.
///
/// Takes `&mut` so that the compiler reloads the value from memory afterwards, rather than
/// reusing a register copy that memcheck still holds undefined.
pub fn public_val<T>(value: &mut T) {
    // SAFETY: as in `secret`; the range is the value's own memory.
    unsafe { ct_public(std::ptr::from_mut(value).cast::<u8>(), size_of::<T>()) }
}

/// A public copy of secret bytes, for the harness's own checks of what a path returned.
pub fn declassified(bytes: &[u8]) -> Vec<u8> {
    let copy = bytes.to_vec();
    public(&copy);
    copy
}

/// Errors memcheck reported so far.
pub fn errors() -> u32 {
    // SAFETY: a client request without arguments.
    unsafe { ct_error_count() }
}

/// Whether this process runs under Valgrind.
pub fn on_valgrind() -> bool {
    // SAFETY: a client request without arguments.
    unsafe { ct_on_valgrind() != 0 }
}

/// A deterministic RNG (splitmix64) whose output is marked secret (or left public, for the
/// draws a path must branch on, such as a nonce).
pub struct Rng {
    state: u64,
    secret: bool,
}

impl Rng {
    /// Output marked secret.
    pub fn secret(seed: u64) -> Self {
        Self {
            state: seed,
            secret: true,
        }
    }

    /// Output left public.
    pub fn public(seed: u64) -> Self {
        Self {
            state: seed,
            secret: false,
        }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn word<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill(&mut out);
        // Read back through memory, so that the value returned is the marked one.
        // SAFETY: `out` is a live local array.
        unsafe { std::ptr::read_volatile(&raw const out) }
    }

    fn fill(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let w = self.next().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        if self.secret {
            secret(dst);
        }
    }
}

impl rand_core::TryRng for Rng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(u32::from_le_bytes(self.word()))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from_le_bytes(self.word()))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.fill(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for Rng {}
