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

/// Whether Go's `url.ParseQuery` accepts `body` (the generic layer's check).
pub(crate) fn check(body: &[u8]) -> Result<(), &'static str> {
    for pair in body.split(|&c| c == b'&') {
        if pair.contains(&b';') {
            return Err(FORM_ERROR);
        }
        if !escapes_valid(pair) {
            return Err(FORM_ERROR);
        }
    }
    Ok(())
}

/// Every `%` is followed by two hex digits.
fn escapes_valid(s: &[u8]) -> bool {
    let mut i = 0usize;
    while let Some(&c) = s.get(i) {
        if c == b'%' {
            let hex = |at: usize| s.get(at).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i.saturating_add(1)) && hex(i.saturating_add(2))) {
                return false;
            }
            i = i.saturating_add(3);
        } else {
            i = i.saturating_add(1);
        }
    }
    true
}

/// Appends the query-unescaped `s` (`+` is a space) to `out`, which has room for it (decoding
/// never grows: `out` never reallocates). `s` passed [`check`].
fn unescape_into(s: &[u8], out: &mut Vec<u8>) {
    let mut i = 0usize;
    while let Some(&c) = s.get(i) {
        let digit = |at: usize| {
            s.get(at)
                .and_then(|h| char::from(*h).to_digit(16))
                .and_then(|d| u8::try_from(d).ok())
        };
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                if let (Some(hi), Some(lo)) =
                    (digit(i.saturating_add(1)), digit(i.saturating_add(2)))
                {
                    out.push(hi.wrapping_shl(4) | lo);
                    i = i.saturating_add(2);
                } else {
                    out.push(c);
                }
            }
            c => out.push(c),
        }
        i = i.saturating_add(1);
    }
}

/// The pairs of a form: name (raw) and value (raw, possibly empty).
fn pairs(body: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    body.split(|&c| c == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&c| c == b'=') {
            Some(at) => (
                p.get(..at).unwrap_or_default(),
                p.get(at.saturating_add(1)..).unwrap_or_default(),
            ),
            None => (p, &[][..]),
        })
}

/// Whether the raw form name `raw` unescapes to `name`.
fn name_is(raw: &[u8], name: &str) -> bool {
    let mut out = Vec::with_capacity(raw.len());
    unescape_into(raw, &mut out);
    out == name.as_bytes()
}

/// A form body's fields for `shape` (a logical endpoint's: exact names; a repeated name's
/// values joined with `,`, as `parseFormRequest` does). Values of secret fields are unescaped
/// only into zeroizing buffers sized up front.
///
/// # Errors
/// [`FORM_ERROR`] when Go's parser refuses the form.
pub(crate) fn decode(body: &[u8], shape: Shape) -> Result<(Body, Vec<String>), &'static str> {
    check(body)?;
    let known: Vec<&str> = shape.field_names().map(|(n, _)| n).collect();
    let unknown = names(body)
        .filter(|n| !known.contains(&n.as_str()))
        .collect();
    let mut slots: [Slot; FIELDS] = [Slot::Unset, Slot::Unset, Slot::Unset, Slot::Unset];
    for (slot, spec) in slots.iter_mut().zip(shape.field_names()) {
        let (name, secret) = spec;
        let values: Vec<&[u8]> = pairs(body)
            .filter(|(n, _)| name_is(n, name))
            .map(|(_, v)| v)
            .collect();
        if values.is_empty() {
            continue;
        }
        let room = values
            .iter()
            .map(|v| v.len().saturating_add(1))
            .fold(0usize, usize::saturating_add);
        let mut bytes = Zeroizing::new(Vec::with_capacity(room));
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                bytes.push(b',');
            }
            unescape_into(v, &mut bytes);
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
pub(crate) fn names(form: &[u8]) -> impl Iterator<Item = String> {
    form.split(|&c| c == b'&')
        .filter(|p| !p.is_empty() && !p.contains(&b';') && escapes_valid(p))
        .map(|p| {
            let raw = p
                .iter()
                .position(|&c| c == b'=')
                .map_or(p, |at| p.get(..at).unwrap_or_default());
            let mut out = Vec::with_capacity(raw.len());
            unescape_into(raw, &mut out);
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
}
