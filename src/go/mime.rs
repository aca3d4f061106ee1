//! Go's `mime.ParseMediaType`, as far as its verdict and its media type go: what Vault's and
//! OpenBao's generic HTTP layer runs on a PATCH's `Content-Type` before any routing.
//!
//! Linear in its input: one pass over the header, each parameter looked up in a hash map once
//! (Go's semantics: a name repeated with another value is an error, with the same value it is
//! not). The values are borrowed from the input where they need no unescaping.

use std::borrow::Cow;
use std::collections::HashMap;

/// Go's error texts (`mime` package), the ones that change the server's answer.
pub(crate) const NO_MEDIA_TYPE: &str = "mime: no media type";
pub(crate) const EXPECTED_SLASH: &str = "mime: expected slash after first token";
pub(crate) const EXPECTED_TOKEN: &str = "mime: expected token after slash";
pub(crate) const UNEXPECTED_CONTENT: &str = "mime: unexpected content after media subtype";
pub(crate) const INVALID_PARAMETER: &str = "mime: invalid media parameter";
pub(crate) const DUPLICATE_PARAMETER: &str = "mime: duplicate parameter name";

/// The media type of `v` (lowercased, trimmed), or Go's error text.
pub(crate) fn media_type(v: &str) -> Result<String, &'static str> {
    let base = v.split(';').next().unwrap_or_default();
    let media = base.to_lowercase().trim().to_owned();
    check_media_type(&media)?;
    let mut params: HashMap<Cow<'_, str>, Cow<'_, str>> = HashMap::new();
    let mut rest = v.get(base.len()..).unwrap_or_default();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let Some((name, value, after)) = consume_media_param(rest) else {
            if rest.trim() == ";" {
                break; // a trailing semicolon
            }
            return Err(INVALID_PARAMETER);
        };
        match params.get(&name) {
            Some(held) if *held != value => return Err(DUPLICATE_PARAMETER),
            Some(_) => {}
            None => {
                params.insert(name, value);
            }
        }
        rest = after;
    }
    Ok(media)
}

/// Go's `checkMediaTypeDisposition`.
fn check_media_type(media: &str) -> Result<(), &'static str> {
    let (kind, rest) = consume_token(media);
    if kind.is_empty() {
        return Err(NO_MEDIA_TYPE);
    }
    if rest.is_empty() {
        return Ok(());
    }
    let Some(rest) = rest.strip_prefix('/') else {
        return Err(EXPECTED_SLASH);
    };
    let (subtype, rest) = consume_token(rest);
    if subtype.is_empty() {
        return Err(EXPECTED_TOKEN);
    }
    if !rest.is_empty() {
        return Err(UNEXPECTED_CONTENT);
    }
    Ok(())
}

fn is_tspecial(b: u8) -> bool {
    TSPECIAL.get(usize::from(b)).copied().unwrap_or(false)
}

/// Go's `isTSpecial`, as a table: one load per byte instead of a scan of the 15 specials.
// Evaluated at compile time only: `i < specials.len()`, and a `u8` indexes 256 entries.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const TSPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let specials = b"()<>@,;:\\\"/[]?=";
    let mut i = 0;
    while i < specials.len() {
        t[specials[i] as usize] = true;
        i += 1;
    }
    t
};

/// Go's `consumeToken`: the longest prefix of token bytes, and the rest.
fn consume_token(v: &str) -> (&str, &str) {
    let end = v
        .bytes()
        .position(|b| !(b > 0x20 && b < 0x7f && !is_tspecial(b)))
        .unwrap_or(v.len());
    // Token bytes are ASCII, so `end` is a character boundary.
    (
        v.get(..end).unwrap_or_default(),
        v.get(end..).unwrap_or_default(),
    )
}

/// Go's `consumeMediaParam`: `; name = value`, the value a token or a quoted string.
fn consume_media_param(v: &str) -> Option<(Cow<'_, str>, Cow<'_, str>, &str)> {
    let rest = v.trim_start().strip_prefix(';')?.trim_start();
    let (name, rest) = consume_token(rest);
    if name.is_empty() {
        return None;
    }
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let (value, after) = consume_value(rest)?;
    // Token bytes are ASCII: the name is borrowed unless it has capitals to fold.
    let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    };
    Some((name, value, after))
}

/// Go's `consumeValue`: a token, or a quoted string with `\` escaping a tspecial.
fn consume_value(v: &str) -> Option<(Cow<'_, str>, &str)> {
    let bytes = v.as_bytes();
    if bytes.first() != Some(&b'"') {
        let (token, rest) = consume_token(v);
        return (!token.is_empty()).then_some((Cow::Borrowed(token), rest));
    }
    let mut value = Vec::new();
    let mut i = 1usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            // The closing quote is ASCII, so `i + 1` is a character boundary.
            b'"' => {
                let text = String::from_utf8_lossy(&value).into_owned();
                return Some((
                    Cow::Owned(text),
                    v.get(i.saturating_add(1)..).unwrap_or_default(),
                ));
            }
            b'\\'
                if bytes
                    .get(i.saturating_add(1))
                    .is_some_and(|n| is_tspecial(*n)) =>
            {
                value.extend(bytes.get(i.saturating_add(1)));
                i = i.saturating_add(1);
            }
            b'\r' | b'\n' => return None,
            _ => value.push(b),
        }
        i = i.saturating_add(1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_verdicts_and_texts() {
        for (v, want) in [
            (
                "application/merge-patch+json",
                Ok("application/merge-patch+json"),
            ),
            (" Application/JSON ; charset=utf-8", Ok("application/json")),
            ("text/plain;", Ok("text/plain")),
            ("text", Ok("text")),
            ("", Err(NO_MEDIA_TYPE)),
            ("/json", Err(NO_MEDIA_TYPE)),
            ("text json", Err(EXPECTED_SLASH)),
            ("text/", Err(EXPECTED_TOKEN)),
            ("text/plain x", Err(UNEXPECTED_CONTENT)),
            ("text/plain; a", Err(INVALID_PARAMETER)),
            ("text/plain; a=\"open", Err(INVALID_PARAMETER)),
            ("text/plain; a=1; A=2", Err(DUPLICATE_PARAMETER)),
            ("text/plain; a=1; A=1", Ok("text/plain")),
            ("text/plain; a=\"x\\\"y\"; a=\"x\\\"y\"", Ok("text/plain")),
            ("text/plain; a=\"\"", Ok("text/plain")),
        ] {
            assert_eq!(
                media_type(v).as_deref(),
                want.map(str::to_owned).as_deref(),
                "{v:?}"
            );
        }
    }

    #[test]
    fn distinct_parameters_cost_linear_time() {
        // 20,000 distinct parameters: a quadratic scan would compare 2 * 10^8 names.
        let mut v = String::from("text/plain");
        for i in 0..20_000 {
            v.push_str(&format!("; p{i}=v"));
        }
        let started = std::time::Instant::now();
        assert_eq!(media_type(&v).as_deref(), Ok("text/plain"));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
