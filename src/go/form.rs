//! Form bodies as OpenBao's logical layer reads them (observed on 2.7.2; the code is Vault's
//! `isForm` and `parseFormRequest` over Go's `url.ParseQuery`).
//!
//! A PUT or POST body is a form when its `Content-Type` parses (Go's `mime.ParseMediaType`) to
//! `application/x-www-form-urlencoded` and its first 512 bytes, past JSON whitespace, do not
//! start with `{` or `[` (an empty or blank head is a form). Every other body is JSON. A form
//! that Go's parser refuses (a `;` in a pair, a malformed `%` escape) is answered
//! `error parsing form data` (400) before any token is looked at; on the logical endpoints
//! (`sys/generate-root-token/*`, `sys/decode-token`) the form's pairs are the fields, by exact
//! name, a repeated name's values joined with `,`.

use zeroize::Zeroizing;

use super::json::{Body, FIELDS, Shape, Slot};
use super::mime;
use crate::ct;

/// The text OpenBao answers (400) for a form Go's parser refuses.
pub(crate) const FORM_ERROR: &str = "error parsing form data";

/// How far Vault's `isForm` looks into the body.
const HEAD: usize = 512;

/// Whether a PUT or POST body is read as a form (Vault's `isForm`).
pub(crate) fn is_form(body: &[u8], content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    if mime::media_type(ct).ok().as_deref() != Some("application/x-www-form-urlencoded") {
        return false;
    }
    let head = body.get(..HEAD).unwrap_or(body);
    head.iter()
        .find(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        .is_none_or(|c| !matches!(c, b'{' | b'['))
}

/// A form, or a pair or name or value of one, with the class of each byte: the structural byte
/// it is (`&`, `;`, `=`, `%`, `+`), or 0 for any other byte.
///
/// A value's bytes are secret (a share in `key`): each byte is classified without a branch and
/// only its class is declassified (`ct::public_u8`, docs/CONSTANT_TIME.md), as the JSON decoder
/// does for its special bytes; after a `%`, whether the two digits are hex, never their value.
/// Everything below branches on classes only.
#[derive(Clone, Copy)]
struct Part<'a> {
    bytes: &'a [u8],
    class: &'a [u8],
}

/// The classes of `bytes` (see [`Part`]).
fn classes(bytes: &[u8]) -> Vec<u8> {
    let structural = |c: u8| {
        [b'&', b';', b'=', b'%', b'+']
            .iter()
            .fold(0u8, |m, &s| m | ct::range_mask(c, s, s))
    };
    bytes
        .iter()
        .map(|&c| ct::public_u8(structural(c) & c))
        .collect()
}

impl<'a> Part<'a> {
    fn get(self, range: std::ops::Range<usize>) -> Self {
        Part {
            bytes: self.bytes.get(range.clone()).unwrap_or_default(),
            class: self.class.get(range).unwrap_or_default(),
        }
    }

    fn is_empty(self) -> bool {
        self.bytes.is_empty()
    }

    fn find(self, structural: u8) -> Option<usize> {
        self.class.iter().position(|&k| k == structural)
    }

    /// The parts between the `on` bytes.
    fn split(self, on: u8) -> impl Iterator<Item = Part<'a>> {
        let mut rest = Some(self);
        std::iter::from_fn(move || {
            let part = rest?;
            match part.find(on) {
                Some(at) => {
                    rest = Some(part.get(at.saturating_add(1)..part.bytes.len()));
                    Some(part.get(0..at))
                }
                None => rest.take(),
            }
        })
    }

    /// The value of the two hex digits at `at` and after, if both are hex (declassified: only
    /// whether they are).
    fn hex_pair(self, at: usize) -> Option<u8> {
        let digit = |i: usize| self.bytes.get(i).map_or(0xffff, |&c| ct::hex_nibble(c));
        let (hi, lo) = (digit(at), digit(at.saturating_add(1)));
        if ct::public_bool((hi | lo) >> 8 != 0) {
            return None;
        }
        let [v, _] = (hi.wrapping_shl(4) | lo).to_le_bytes();
        Some(v)
    }

    /// Every `%` is followed by two hex digits.
    fn escapes_valid(self) -> bool {
        let mut i = 0usize;
        while let Some(&k) = self.class.get(i) {
            if k == b'%' {
                if self.hex_pair(i.saturating_add(1)).is_none() {
                    return false;
                }
                i = i.saturating_add(3);
            } else {
                i = i.saturating_add(1);
            }
        }
        true
    }

    /// Go's parser refuses a pair holding a `;` or a malformed escape.
    fn pair_valid(self) -> bool {
        self.find(b';').is_none() && self.escapes_valid()
    }

    /// Appends the query-unescaped part (`+` is a space) to `out`, which has room for it
    /// (decoding never grows: `out` never reallocates). The part passed [`Part::pair_valid`].
    fn unescape_into(self, out: &mut Vec<u8>) {
        let mut i = 0usize;
        while let (Some(&k), Some(&c)) = (self.class.get(i), self.bytes.get(i)) {
            match k {
                b'+' => out.push(b' '),
                b'%' => match self.hex_pair(i.saturating_add(1)) {
                    Some(v) => {
                        out.push(v);
                        i = i.saturating_add(2);
                    }
                    None => out.push(c),
                },
                _ => out.push(c),
            }
            i = i.saturating_add(1);
        }
    }

    /// A pair's name and value (raw; the value possibly empty).
    fn name_value(self) -> (Self, Self) {
        match self.find(b'=') {
            Some(at) => (
                self.get(0..at),
                self.get(at.saturating_add(1)..self.bytes.len()),
            ),
            None => (self, self.get(0..0)),
        }
    }

    /// Whether the raw form name unescapes to `name`.
    fn name_is(self, name: &str) -> bool {
        let mut out = Vec::with_capacity(self.bytes.len());
        self.unescape_into(&mut out);
        out == name.as_bytes()
    }
}

/// Whether Go's `url.ParseQuery` accepts `body` (the generic layer's check).
pub(crate) fn check(body: &[u8]) -> Result<(), &'static str> {
    let class = classes(body);
    let form = Part {
        bytes: body,
        class: &class,
    };
    if form.split(b'&').all(Part::pair_valid) {
        Ok(())
    } else {
        Err(FORM_ERROR)
    }
}

/// A form body's fields for `shape` (a logical endpoint's: exact names; a repeated name's
/// values joined with `,`, as `parseFormRequest` does). Values of secret fields are unescaped
/// only into zeroizing buffers sized up front.
///
/// # Errors
/// [`FORM_ERROR`] when Go's parser refuses the form.
pub(crate) fn decode(body: &[u8], shape: Shape) -> Result<(Body, Vec<String>), &'static str> {
    check(body)?;
    let class = classes(body);
    let form = Part {
        bytes: body,
        class: &class,
    };
    let known: Vec<&str> = shape.field_names().map(|(n, _)| n).collect();
    let unknown = names_of(form)
        .filter(|n| !known.contains(&n.as_str()))
        .collect();
    let mut slots: [Slot; FIELDS] = [Slot::Unset, Slot::Unset, Slot::Unset, Slot::Unset];
    for (slot, spec) in slots.iter_mut().zip(shape.field_names()) {
        let (name, secret) = spec;
        let values: Vec<Part<'_>> = form
            .split(b'&')
            .filter(|p| !p.is_empty())
            .map(Part::name_value)
            .filter(|(n, _)| n.name_is(name))
            .map(|(_, v)| v)
            .collect();
        if values.is_empty() {
            continue;
        }
        let room = values
            .iter()
            .map(|v| v.bytes.len().saturating_add(1))
            .fold(0usize, usize::saturating_add);
        let mut bytes = Zeroizing::new(Vec::with_capacity(room));
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                bytes.push(b',');
            }
            v.unescape_into(&mut bytes);
        }
        let mut text = into_string(bytes);
        *slot = if secret {
            Slot::Secret(text)
        } else {
            Slot::Plain(std::mem::take(&mut *text))
        };
    }
    Ok((Body::Fields(slots), unknown))
}

/// The unescaped names of a form's pairs (repeated as often as they stand). A pair Go's parser
/// refuses is skipped, as `URL.Query()` skips it (the request's query, which a logical GET
/// reads as its data).
pub(crate) fn names(form: &[u8]) -> std::vec::IntoIter<String> {
    let class = classes(form);
    let names: Vec<String> = names_of(Part {
        bytes: form,
        class: &class,
    })
    .collect();
    names.into_iter()
}

fn names_of(form: Part<'_>) -> impl Iterator<Item = String> + '_ {
    form.split(b'&')
        .filter(|p| !p.is_empty() && p.pair_valid())
        .map(|p| {
            let (raw, _) = p.name_value();
            let mut out = Vec::with_capacity(raw.bytes.len());
            raw.unescape_into(&mut out);
            String::from_utf8_lossy(&out).into_owned()
        })
}

/// OpenBao's warning for `unrecognized` parameter names (observed on 2.7.2): sorted (Go's
/// `sort.Strings`, by bytes), each once, space-separated in brackets (Go's `%v` of a string
/// slice); `None` when there are none.
pub(crate) fn unrecognized_warning(mut unrecognized: Vec<String>) -> Option<String> {
    if unrecognized.is_empty() {
        return None;
    }
    unrecognized.sort_unstable();
    unrecognized.dedup();
    Some(format!(
        "Endpoint ignored these unrecognized parameters: [{}]",
        unrecognized.join(" ")
    ))
}

/// The bytes as text without an unwiped copy: moved when valid UTF-8, else converted (invalid
/// sequences become U+FFFD, as Go's JSON encoder writes them) into a buffer sized up front.
fn into_string(mut bytes: Zeroizing<Vec<u8>>) -> Zeroizing<String> {
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(s) => Zeroizing::new(s),
        Err(e) => {
            let raw = Zeroizing::new(e.into_bytes());
            let lossy = String::from_utf8_lossy(&raw);
            let mut out = Zeroizing::new(String::with_capacity(lossy.len()));
            out.push_str(&lossy);
            if let std::borrow::Cow::Owned(mut owned) = lossy {
                zeroize::Zeroize::zeroize(&mut owned);
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_form_follows_the_media_type_and_the_head() {
        let form = Some("application/x-www-form-urlencoded; charset=utf-8");
        assert!(is_form(b"a=1", form));
        assert!(is_form(b"", form));
        assert!(is_form(b"  \"x\"", form));
        assert!(!is_form(b" \n{\"a\":1}", form));
        assert!(!is_form(b"[1]", form));
        assert!(!is_form(b"a=1", Some("application/json")));
        assert!(!is_form(b"a=1", None));
        assert!(!is_form(
            b"a=1",
            Some("application/x-www-form-urlencoded;;")
        ));
        assert!(is_form(b"a=1", Some("Application/X-WWW-Form-Urlencoded")));
    }

    #[test]
    fn query_names_skip_what_go_skips_and_the_warning_sorts_them_once() {
        // `GET .../attempt?otp=1&pgp_key=&x&%zz=1&y=%zz&a;b=1&&=` on OpenBao 2.7.2: `[ x]`.
        let all: Vec<String> = names(b"otp=1&pgp_key=&x&%zz=1&y=%zz&a;b=1&&=").collect();
        assert_eq!(all, ["otp", "pgp_key", "x", ""]);
        let unknown = all
            .into_iter()
            .filter(|n| n != "otp" && n != "pgp_key")
            .collect();
        assert_eq!(
            unrecognized_warning(unknown).as_deref(),
            Some("Endpoint ignored these unrecognized parameters: [ x]")
        );
        assert_eq!(
            unrecognized_warning(vec!["b".into(), "A".into(), "b".into(), String::new()])
                .as_deref(),
            Some("Endpoint ignored these unrecognized parameters: [ A b]")
        );
        assert_eq!(unrecognized_warning(Vec::new()), None);
    }

    #[test]
    fn go_refuses_semicolons_and_bad_escapes() {
        for bad in [&b"a;b"[..], b"a=%zz", b"%", b"a=%4", b"x=1&y=%g0"] {
            assert_eq!(check(bad), Err(FORM_ERROR), "{bad:?}");
        }
        for good in [&b"a=1&&b"[..], b"+%20=%41", b"", b"=x", b"\"x\""] {
            assert_eq!(check(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn fields_by_exact_name_repeated_values_joined() {
        let Ok((Body::Fields(slots), unknown)) = decode(
            b"otp=a%2Bb+c&OTP=no&encoded_token=x&encoded_token=y&z=1",
            Shape::DecodeToken,
        ) else {
            panic!("a valid form");
        };
        let text = |s: &Slot| match s {
            Slot::Secret(t) => t.to_string(),
            Slot::Plain(t) => t.clone(),
            Slot::Unset => "<unset>".to_owned(),
        };
        assert_eq!(text(&slots[0]), "x,y");
        assert_eq!(text(&slots[1]), "a+b c");
        assert_eq!(
            unrecognized_warning(unknown).as_deref(),
            Some("Endpoint ignored these unrecognized parameters: [OTP z]")
        );
    }

    /// Go's `url.ParseQuery` written plainly (branching on every byte), against which the
    /// branch-free scanner is checked.
    fn reference_unescape(s: &str) -> Option<Vec<u8>> {
        let b = s.as_bytes();
        let (mut out, mut i) = (Vec::new(), 0);
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = b.get(i + 1..i + 3)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None; // (from_str_radix alone would take a sign: "%+e")
                    }
                    let hex = std::str::from_utf8(hex).ok()?;
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        Some(out)
    }

    fn reference_pairs(body: &str) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut pairs = Vec::new();
        for p in body.split('&').filter(|p| !p.is_empty()) {
            if p.contains(';') {
                return None;
            }
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            pairs.push((reference_unescape(n)?, reference_unescape(v)?));
        }
        Some(pairs)
    }

    proptest::proptest! {
        #[test]
        fn the_branch_free_scanner_reads_forms_as_go_does(
            body in "(otp|encoded_token|[a-f0-9G%+&;=x]){0,16}"
        ) {
            let reference = reference_pairs(&body);
            proptest::prop_assert_eq!(check(body.as_bytes()).is_ok(), reference.is_some());
            let Some(pairs) = reference else { return Ok(()) };
            let names: Vec<String> = names(body.as_bytes()).collect();
            let want: Vec<String> =
                pairs.iter().map(|(n, _)| String::from_utf8_lossy(n).into_owned()).collect();
            proptest::prop_assert_eq!(names, want);
            let Ok((Body::Fields(slots), _)) = decode(body.as_bytes(), Shape::DecodeToken) else {
                panic!("a valid form decodes");
            };
            for (slot, name) in slots.iter().zip(["encoded_token", "otp"]) {
                let values: Vec<Vec<u8>> = pairs
                    .iter()
                    .filter(|(n, _)| n == name.as_bytes())
                    .map(|(_, v)| v.clone())
                    .collect();
                let got = match slot {
                    Slot::Secret(t) => Some(t.as_bytes().to_vec()),
                    Slot::Plain(t) => Some(t.as_bytes().to_vec()),
                    Slot::Unset => None,
                };
                let want = (!values.is_empty()).then(|| {
                    String::from_utf8_lossy(&values.join(&b',')).into_owned().into_bytes()
                });
                proptest::prop_assert_eq!(got, want, "{}", name);
            }
        }
    }
}
