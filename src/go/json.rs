//! Request bodies decoded as OpenBao 2.7.2 decodes them: Go's `encoding/json` (Go 1.27, whose v1
//! API runs on the v2 implementation), read the way OpenBao's `parseJSONRequest` reads a body.
//! The rules, each observed on the real server, are in PROTOCOL.md section 11.
//!
//! Why our own decoder rather than serde_json: serde_json unescapes a string with an escape into a
//! scratch buffer that it frees without wiping (a share or an OTP would outlive the request), and
//! it has neither Go's rules (case-insensitive names, the last repeated field wins, `null` leaves
//! a field as it was) nor Go's error texts, which clients see.
//!
//! OpenBao reads a body twice: a syntax pass over the whole body as a stream of JSON values (the
//! first syntax error anywhere wins; numbers become float64), then a decode of the first value
//! into the request struct (the first type error in document order). Both are one linear,
//! iterative scan here (an explicit stack, Go's depth limit of 10000).
//!
//! Error texts never carry input beyond what Go's own text carries (one character, a matched
//! field name, an invalid escape); inside a secret field (`key`, `otp`) an invalid `\u` escape
//! is quoted as `` `\u` `` alone, so no byte of a share or an OTP can reach an error.

use zeroize::{Zeroize, Zeroizing};

use crate::ct;

/// Go's `encoding/json` nesting limit: depth 10000 is accepted, 10001 is not.
const MAX_DEPTH: usize = 10_000;

/// Which request struct a body is decoded into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `GenerateRootInitRequest { otp, pgp_key }`, and the crate's own `key` (a key holder's
    /// share, for holders-only start) and `ttl` (the root token's lifetime). Vault and OpenBao
    /// ignore both names; here a non-string value in them is a type error like `otp`'s.
    Start,
    /// `GenerateRootUpdateRequest { Key, Nonce }`.
    Update,
    /// Our cancel body `{ nonce, key }` (no Vault counterpart: Vault reads no cancel body).
    Cancel,
    /// No field at all: OpenBao's generic layer, which only checks that a body is one JSON
    /// object (`map[string]interface {}`) before any token is looked at.
    Generic,
    /// `sys/decode-token`'s `{ encoded_token, otp }`: a logical endpoint, whose fields are read
    /// from a map, so names match exactly (`OTP` is not `otp`; observed on OpenBao 2.7.2).
    DecodeToken,
    /// `sys/generate-root-token/attempt`'s `{ otp, pgp_key }`, read as a logical endpoint reads
    /// them (exact names, weak types).
    LogicalStart,
    /// `sys/generate-root-token/update`'s `{ key, nonce }`, read as a logical endpoint reads
    /// them (exact names, weak types).
    LogicalUpdate,
}

struct FieldSpec {
    /// The JSON name, lowercase.
    name: &'static str,
    /// Unescaped only into a zeroizing buffer; invalid-escape texts cut.
    secret: bool,
}

impl Shape {
    fn type_name(self) -> &'static str {
        match self {
            Self::Start => "GenerateRootInitRequest",
            Self::Update => "GenerateRootUpdateRequest",
            Self::Cancel => "GenerateRootCancelRequest",
            Self::Generic | Self::DecodeToken | Self::LogicalStart | Self::LogicalUpdate => {
                "map[string]interface {}"
            }
        }
    }

    /// OpenBao's logical endpoints read their fields out of the decoded map with
    /// mapstructure's weak typing (observed on 2.7.2): names match exactly; a number becomes its
    /// text as sent (`1e3`, `-0`), a bool `1` or `0`, `null` nothing; an object or an array is
    /// `Field validation failed: error converting input for field "<name>": '' expected type
    /// 'string', got unconvertible type 'map[string]interface {}'` (or `'[]interface {}'`).
    fn weak(self) -> bool {
        matches!(
            self,
            Self::DecodeToken | Self::LogicalStart | Self::LogicalUpdate
        )
    }

    /// Each field's name and whether it is secret, in the shape's order.
    pub(crate) fn field_names(self) -> impl Iterator<Item = (&'static str, bool)> {
        self.fields().iter().map(|f| (f.name, f.secret))
    }

    fn fields(self) -> &'static [FieldSpec] {
        match self {
            Self::Start => &[
                FieldSpec {
                    name: "otp",
                    secret: true,
                },
                FieldSpec {
                    name: "pgp_key",
                    secret: false,
                },
                FieldSpec {
                    name: "key",
                    secret: true,
                },
                FieldSpec {
                    name: "ttl",
                    secret: false,
                },
            ],
            Self::Update => &[
                FieldSpec {
                    name: "key",
                    secret: true,
                },
                FieldSpec {
                    name: "nonce",
                    secret: false,
                },
            ],
            Self::Cancel => &[
                FieldSpec {
                    name: "nonce",
                    secret: false,
                },
                FieldSpec {
                    name: "key",
                    secret: true,
                },
            ],
            Self::Generic => &[],
            Self::LogicalStart => Self::Start.fields(),
            Self::LogicalUpdate => Self::Update.fields(),
            Self::DecodeToken => &[
                FieldSpec {
                    name: "encoded_token",
                    secret: true,
                },
                FieldSpec {
                    name: "otp",
                    secret: true,
                },
            ],
        }
    }
}

/// A decoded string field.
pub(crate) enum Slot {
    /// Absent, or only ever `null`.
    Unset,
    /// A secret field's value, in a zeroizing buffer that never reallocated.
    Secret(Zeroizing<String>),
    /// A plain field's value.
    Plain(String),
}

/// The most fields a shape has (start: otp, pgp_key, key, ttl); shorter shapes leave the rest
/// `Unset`.
pub(crate) const FIELDS: usize = 4;

/// A decoded body.
pub(crate) enum Body {
    /// Empty or all whitespace: Go's `EOF` (start: an empty request; update: an error).
    Blank,
    /// The fields, in [`Shape`]'s order (`Unset` for absent or `null`).
    Fields([Slot; FIELDS]),
}

#[derive(Debug)]
enum Fault {
    Eof,
    Text(String),
}

impl Fault {
    fn into_reason(self) -> String {
        match self {
            Self::Eof => "unexpected EOF".to_owned(),
            Self::Text(t) => t,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between top-level values (EOF allowed).
    Top,
    /// After `[`.
    ArrayFirst,
    /// After `,` in an array.
    ArrayNext,
    /// After `:`.
    MemberValue,
    /// After `{`.
    NameFirst,
    /// After `,` in an object.
    NameNext,
    /// After a member name.
    Colon,
    /// After a member's value.
    AfterMember,
    /// After an array element.
    AfterElement,
}

/// What the value being started means for the request.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Not part of the request (nested, unknown field, later top-level value).
    Skip,
    /// The first top-level value: the request itself.
    Request,
    /// The value of request field `i`.
    Field(usize),
}

struct Decoder<'a> {
    b: &'a [u8],
    i: usize,
    shape: Shape,
    /// Whether the body first went through OpenBao's JSON-limits layer, which decodes every body
    /// not sent as a form into `map[string]interface {}` (see [`decode_http`]).
    json_limits: bool,
    /// Open containers: `true` for an object.
    stack: Vec<bool>,
    values: usize,
    slots: [Slot; FIELDS],
    type_error: Option<String>,
    /// Which request field the member being read names, and its name as sent.
    member: Option<usize>,
    member_name: String,
    name_buf: Vec<u8>,
    /// The request object's member names no field has (weak shapes only: the logical
    /// endpoints' `unrecognized parameters`), as decoded, possibly repeated.
    unknown: Vec<String>,
}

/// Decodes `body` into `shape`'s fields.
///
/// # Errors
/// Go's error text (without any prefix).
pub(crate) fn decode(body: &[u8], shape: Shape) -> Result<Body, String> {
    decode_inner(body, shape, false)
}

/// [`decode`] for a body whose `Content-Type` is known, as OpenBao 2.7.2 answers (observed): a
/// body sent with any type but `application/x-www-form-urlencoded` (none included) first passes
/// its JSON-limits layer, which decodes it into `map[string]interface {}`, so a top-level string,
/// number or bool is refused with `json: cannot unmarshal <kind> into Go value of type
/// map[string]interface {}` rather than naming the request type. Everything else is the same.
///
/// # Errors
/// Go's error text (without any prefix).
pub(crate) fn decode_http(
    body: &[u8],
    shape: Shape,
    content_type: Option<&str>,
) -> Result<Body, String> {
    let media = content_type
        .and_then(|t| t.split(';').next())
        .map(str::trim)
        .unwrap_or_default();
    let form = media.eq_ignore_ascii_case("application/x-www-form-urlencoded");
    decode_inner(body, shape, !form)
}

fn decode_inner(body: &[u8], shape: Shape, json_limits: bool) -> Result<Body, String> {
    decode_full(body, shape, json_limits).map(|(body, _)| body)
}

/// [`decode_http`] for a logical endpoint's shape, with the request object's member names no
/// field has (OpenBao warns of them: `Endpoint ignored these unrecognized parameters: [..]`).
///
/// # Errors
/// Go's error text (without any prefix).
pub(crate) fn decode_logical(
    body: &[u8],
    shape: Shape,
    content_type: Option<&str>,
) -> Result<(Body, Vec<String>), String> {
    let media = content_type
        .and_then(|t| t.split(';').next())
        .map(str::trim)
        .unwrap_or_default();
    let form = media.eq_ignore_ascii_case("application/x-www-form-urlencoded");
    decode_full(body, shape, !form)
}

fn decode_full(
    body: &[u8],
    shape: Shape,
    json_limits: bool,
) -> Result<(Body, Vec<String>), String> {
    let mut d = Decoder {
        b: body,
        i: 0,
        shape,
        json_limits,
        stack: Vec::new(),
        values: 0,
        slots: [Slot::Unset, Slot::Unset, Slot::Unset, Slot::Unset],
        type_error: None,
        member: None,
        member_name: String::new(),
        name_buf: Vec::new(),
        unknown: Vec::new(),
    };
    d.run().map_err(Fault::into_reason)?;
    if let Some(e) = d.type_error {
        return Err(e);
    }
    if d.values == 0 {
        return Ok((Body::Blank, d.unknown));
    }
    Ok((Body::Fields(d.slots), d.unknown))
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn invalid_char(b: &[u8], at: usize, where_: &str) -> Fault {
    let rest = b.get(at..).unwrap_or_default();
    Fault::Text(format!("invalid character {} {where_}", quote_rune(rest)))
}

impl Decoder<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.i = self.i.saturating_add(1);
        }
    }

    fn in_request_object(&self) -> bool {
        self.values == 0 && self.stack.len() == 1 && self.stack.first() == Some(&true)
    }

    fn record_type_error(&mut self, text: String) {
        if self.type_error.is_none() {
            self.type_error = Some(text);
        }
    }

    fn run(&mut self) -> Result<(), Fault> {
        let mut state = State::Top;
        loop {
            self.skip_ws();
            let Some(c) = self.peek() else {
                // Between tokens, the end of the body ends Go's syntax pass (`Token()` says
                // `EOF`) once the first value is complete: a truncated *later* value is not an
                // error. The first value must be whole (`Decode` says `unexpected EOF`). Inside
                // a token (string, number, literal) the end is always `unexpected EOF`.
                return if state == State::Top || self.values > 0 {
                    Ok(())
                } else {
                    Err(Fault::Eof)
                };
            };
            state = match state {
                State::Top => {
                    let role = if self.values == 0 {
                        Role::Request
                    } else {
                        Role::Skip
                    };
                    self.value(c, role)?
                }
                State::ArrayFirst => {
                    if c == b']' {
                        self.i = self.i.saturating_add(1);
                        self.close()
                    } else {
                        self.value(c, Role::Skip)?
                    }
                }
                State::ArrayNext | State::NameNext if c == b'}' || c == b']' => {
                    // Go quotes the comma before a closing delimiter.
                    return Err(Fault::Text(
                        "invalid character ',' looking for beginning of value".to_owned(),
                    ));
                }
                State::ArrayNext => self.value(c, Role::Skip)?,
                State::MemberValue => match c {
                    b'}' => return Err(Fault::Text("missing value after object key".to_owned())),
                    b']' => {
                        return Err(invalid_char(self.b, self.i, "after object key:value pair"));
                    }
                    _ => {
                        // `name()` sets `member` only for a name of the request object itself.
                        let role = match self.member {
                            Some(f) => Role::Field(f),
                            None => Role::Skip,
                        };
                        self.value(c, role)?
                    }
                },
                State::NameFirst | State::NameNext => {
                    if c == b'}' && state == State::NameFirst {
                        self.i = self.i.saturating_add(1);
                        self.close()
                    } else {
                        self.name(c)?;
                        State::Colon
                    }
                }
                State::Colon => {
                    if c != b':' {
                        return Err(invalid_char(self.b, self.i, "after object key"));
                    }
                    self.i = self.i.saturating_add(1);
                    State::MemberValue
                }
                State::AfterMember => match c {
                    b',' => {
                        self.i = self.i.saturating_add(1);
                        State::NameNext
                    }
                    b'}' => {
                        self.i = self.i.saturating_add(1);
                        self.close()
                    }
                    _ => return Err(invalid_char(self.b, self.i, "after object key:value pair")),
                },
                State::AfterElement => match c {
                    b',' => {
                        self.i = self.i.saturating_add(1);
                        State::ArrayNext
                    }
                    b']' => {
                        self.i = self.i.saturating_add(1);
                        self.close()
                    }
                    _ => return Err(invalid_char(self.b, self.i, "after array element")),
                },
            };
        }
    }

    /// The state after a complete value (scalar or closed container).
    fn after_value(&mut self) -> State {
        match self.stack.last() {
            None => {
                self.values = self.values.saturating_add(1);
                State::Top
            }
            Some(true) => State::AfterMember,
            Some(false) => State::AfterElement,
        }
    }

    fn close(&mut self) -> State {
        self.stack.pop();
        self.after_value()
    }

    fn open(&mut self, object: bool) -> Result<State, Fault> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Fault::Text("exceeded max depth".to_owned()));
        }
        self.i = self.i.saturating_add(1);
        self.stack.push(object);
        Ok(if object {
            State::NameFirst
        } else {
            State::ArrayFirst
        })
    }

    /// Reads one value starting with `c` (not whitespace) and returns the next state.
    fn value(&mut self, c: u8, role: Role) -> Result<State, Fault> {
        let kind = match c {
            b'{' => "object",
            b'[' => "array",
            b'"' => "string",
            b'-' | b'0'..=b'9' => "number",
            b't' | b'f' => "bool",
            b'n' => "null",
            _ => {
                return Err(invalid_char(
                    self.b,
                    self.i,
                    "looking for beginning of value",
                ));
            }
        };
        match role {
            Role::Request => match kind {
                "object" | "null" => {}
                "array" => self.record_type_error(
                    "json: cannot unmarshal array into Go value of type map[string]interface {}"
                        .to_owned(),
                ),
                _ if self.json_limits => self.record_type_error(format!(
                    "json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
                )),
                _ => {
                    let t = self.shape.type_name();
                    self.record_type_error(format!(
                        "json: cannot unmarshal {kind} into Go value of type http.{t}"
                    ));
                }
            },
            Role::Field(_) if self.shape.weak() && matches!(kind, "object" | "array") => {
                let go_type = if kind == "object" {
                    "map[string]interface {}"
                } else {
                    "[]interface {}"
                };
                let text = format!(
                    "Field validation failed: error converting input for field \"{}\": '' \
                     expected type 'string', got unconvertible type '{go_type}'",
                    self.member_name
                );
                self.record_type_error(text);
            }
            Role::Field(_) if self.shape.weak() => {}
            Role::Field(_) if kind != "string" && kind != "null" => {
                let t = self.shape.type_name();
                let name = &self.member_name;
                let text = format!(
                    "json: cannot unmarshal {kind} into Go struct field {t}.{name} of type string"
                );
                self.record_type_error(text);
            }
            _ => {}
        }
        match c {
            b'{' => self.open(true),
            b'[' => self.open(false),
            b'"' => {
                let field = match role {
                    Role::Field(f) => Some(f),
                    _ => None,
                };
                let secret = field
                    .and_then(|f| self.shape.fields().get(f))
                    .is_some_and(|s| s.secret);
                let start = self.i;
                // Every value is scanned without branching on its ordinary characters: a field
                // this shape does not know (OpenBao's generic check knows none) may still hold
                // a share. Only a secret field's error texts are cut.
                let end = scan_string(self.b, start, true, secret)?;
                self.i = end;
                if let Some(f) = field {
                    // The raw text between the quotes (validated by scan_string).
                    let raw = self
                        .b
                        .get(start.saturating_add(1)..end.saturating_sub(1))
                        .unwrap_or_default();
                    let slot = if secret {
                        Slot::Secret(unescape_secret(raw))
                    } else {
                        Slot::Plain(unescape_plain(raw))
                    };
                    if let Some(s) = self.slots.get_mut(f) {
                        // Replacing drops (and so wipes) an earlier secret value.
                        *s = slot;
                    }
                }
                Ok(self.after_value())
            }
            b't' => {
                self.weak_value(role, "1");
                self.literal("true")
            }
            b'f' => {
                self.weak_value(role, "0");
                self.literal("false")
            }
            b'n' => self.literal("null"),
            _ => {
                let start = self.i;
                self.number()?;
                let text = self.b.get(start..self.i).unwrap_or_default();
                let text = String::from_utf8_lossy(text).into_owned();
                self.weak_value(role, &text);
                Ok(self.after_value())
            }
        }
    }

    /// A number's or a bool's text as a weakly typed field's value (see [`Shape::weak`]).
    fn weak_value(&mut self, role: Role, text: &str) {
        let Role::Field(f) = role else { return };
        if !self.shape.weak() {
            return;
        }
        let secret = self.shape.fields().get(f).is_some_and(|s| s.secret);
        let slot = if secret {
            Slot::Secret(Zeroizing::new(text.to_owned()))
        } else {
            Slot::Plain(text.to_owned())
        };
        if let Some(s) = self.slots.get_mut(f) {
            *s = slot;
        }
    }

    fn literal(&mut self, lit: &str) -> Result<State, Fault> {
        self.scan_literal(lit)?;
        Ok(self.after_value())
    }

    fn scan_literal(&mut self, lit: &str) -> Result<(), Fault> {
        for &want in lit.as_bytes() {
            match self.peek() {
                None => return Err(Fault::Eof),
                Some(c) if c != want => {
                    let where_ = format!(
                        "in literal {lit} (expecting {})",
                        quote_char(char::from(want))
                    );
                    return Err(invalid_char(self.b, self.i, &where_));
                }
                Some(_) => self.i = self.i.saturating_add(1),
            }
        }
        Ok(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i = self.i.saturating_add(1);
        }
    }

    fn need_digit(&mut self) -> Result<(), Fault> {
        match self.peek() {
            None => Err(Fault::Eof),
            Some(c) if c.is_ascii_digit() => Ok(()),
            Some(_) => Err(invalid_char(self.b, self.i, "in numeric literal")),
        }
    }

    /// Scans a number; like Go's `Decoder.Token()` (OpenBao's first pass, without `UseNumber`)
    /// it then converts it to a float64, which refuses a number beyond float64's range with
    /// `json: cannot unmarshal number <the number> into Go value of type float64`, wherever the
    /// number stands (an unknown field, a later value). Go's text quotes the number: a number
    /// is never a secret (secrets are strings).
    fn number(&mut self) -> Result<(), Fault> {
        let start = self.i;
        self.scan_number()?;
        let text = self.b.get(start..self.i).unwrap_or_default();
        let text = std::str::from_utf8(text).unwrap_or_default();
        if text.parse::<f64>().is_ok_and(f64::is_infinite) {
            return Err(Fault::Text(format!(
                "json: cannot unmarshal number {text} into Go value of type float64"
            )));
        }
        Ok(())
    }

    fn scan_number(&mut self) -> Result<(), Fault> {
        if self.peek() == Some(b'-') {
            self.i = self.i.saturating_add(1);
        }
        self.need_digit()?;
        if self.peek() == Some(b'0') {
            self.i = self.i.saturating_add(1);
        } else {
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.i = self.i.saturating_add(1);
            self.need_digit()?;
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i = self.i.saturating_add(1);
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i = self.i.saturating_add(1);
            }
            self.need_digit()?;
            self.digits();
        }
        Ok(())
    }

    /// Reads a member name (or refuses what stands in its place) and notes which field it names.
    fn name(&mut self, c: u8) -> Result<(), Fault> {
        const NOT_A_STRING: &str = "object member name must be a string";
        match c {
            b'"' => {}
            b'{' | b'[' => return Err(Fault::Text(NOT_A_STRING.to_owned())),
            b'-' | b'0'..=b'9' => {
                self.number()?;
                return Err(Fault::Text(NOT_A_STRING.to_owned()));
            }
            b't' | b'f' | b'n' => {
                let lit = match c {
                    b't' => "true",
                    b'f' => "false",
                    _ => "null",
                };
                self.scan_literal(lit)?;
                return Err(Fault::Text(NOT_A_STRING.to_owned()));
            }
            _ => {
                return Err(invalid_char(
                    self.b,
                    self.i,
                    "looking for beginning of value",
                ));
            }
        }
        let start = self.i;
        let end = scan_string(self.b, start, false, false)?;
        self.i = end;
        self.member = None;
        if !self.in_request_object() {
            return Ok(());
        }
        let raw = self
            .b
            .get(start.saturating_add(1)..end.saturating_sub(1))
            .unwrap_or_default();
        self.name_buf.clear();
        unescape_into(raw, &mut self.name_buf);
        let name = String::from_utf8_lossy(&self.name_buf);
        self.member = self.shape.fields().iter().position(|f| {
            if self.shape.weak() {
                name == f.name
            } else {
                fold_eq(&name, f.name)
            }
        });
        if self.member.is_some() {
            // Go names the field as sent (a case variant of the name, maybe with a Kelvin sign).
            self.member_name = name.into_owned();
        } else if self.shape.weak() {
            self.unknown.push(name.into_owned());
        }
        Ok(())
    }
}

/// Go's `bytes.EqualFold` of a decoded name against a lowercase ASCII field name: ASCII case
/// folding, plus the Kelvin sign (U+212A), which folds to `k`. (`ſ`, U+017F, folds to `s`, which
/// no field name holds.)
fn fold_eq(name: &str, field: &str) -> bool {
    let mut want = field.chars();
    for c in name.chars() {
        let Some(w) = want.next() else {
            return false;
        };
        let same = c.to_ascii_lowercase() == w || (c == '\u{212A}' && w == 'k');
        if !same {
            return false;
        }
    }
    want.next().is_none()
}

// ----- strings -----

/// The byte length of the UTF-8 sequence a lead byte announces, and the accepted range of the
/// second byte (Go's `acceptRanges`); `None` for a byte that cannot lead.
fn utf8_lead(c: u8) -> Option<(usize, u8, u8)> {
    match c {
        0xC2..=0xDF => Some((2, 0x80, 0xBF)),
        0xE0 => Some((3, 0xA0, 0xBF)),
        0xED => Some((3, 0x80, 0x9F)),
        0xE1..=0xEC | 0xEE..=0xEF => Some((3, 0x80, 0xBF)),
        0xF0 => Some((4, 0x90, 0xBF)),
        0xF1..=0xF3 => Some((4, 0x80, 0xBF)),
        0xF4 => Some((4, 0x80, 0x8F)),
        _ => None,
    }
}

/// Go's `utf8.DecodeRune` on non-ASCII input: the rune and its size, or `None` and size 1 for an
/// invalid byte.
fn decode_rune(b: &[u8]) -> (Option<char>, usize) {
    let Some(&first) = b.first() else {
        return (None, 0);
    };
    if first < 0x80 {
        return (Some(char::from(first)), 1);
    }
    let Some((n, _, _)) = utf8_lead(first) else {
        return (None, 1);
    };
    match b.get(..n).map(std::str::from_utf8) {
        Some(Ok(s)) => (s.chars().next(), n),
        _ => (None, 1),
    }
}

/// Go's `utf8.FullRune`: false only for a valid but truncated prefix of a sequence.
fn full_rune(b: &[u8]) -> bool {
    let Some(&first) = b.first() else {
        return false;
    };
    let Some((n, lo, hi)) = utf8_lead(first) else {
        return true;
    };
    if b.len() >= n {
        return true;
    }
    if let Some(&c) = b.get(1)
        && !(lo..=hi).contains(&c)
    {
        return true;
    }
    if let Some(&c) = b.get(2)
        && !(0x80..=0xBF).contains(&c)
    {
        return true;
    }
    false
}

fn hex_val(c: u8) -> Option<u16> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u16::try_from(d).ok())
}

fn parse_hex4(b: &[u8]) -> Option<u16> {
    if b.len() != 4 {
        return None;
    }
    b.iter()
        .try_fold(0u16, |acc, &c| Some(acc.wrapping_shl(4) | hex_val(c)?))
}

/// Go's `hasEscapedUTF16Prefix(b, false)`: `b` may be a truncated `\uXXXX`.
fn escaped_utf16_prefix(b: &[u8]) -> bool {
    b.iter().enumerate().all(|(i, &c)| match i {
        0 => c == b'\\',
        1 => c == b'u',
        _ => c.is_ascii_hexdigit(),
    })
}

/// Validates the string starting at `start` (a `"`) and returns the index after its closing
/// quote. `ct`: branch only on what "secret values" below allows; `cut`: cut `\u` escape texts
/// (a secret field's; see the module docs).
fn scan_string(b: &[u8], start: usize, ct: bool, cut: bool) -> Result<usize, Fault> {
    let mut n = start.saturating_add(1);
    loop {
        let Some(&c) = b.get(n) else {
            return Err(Fault::Eof);
        };
        if ct {
            // Declassified: whether the byte is special (see "secret values" below); an ordinary
            // character's value is never branched on.
            if !ct::public_bool(special_mask(c) != 0) {
                n = n.saturating_add(1);
                continue;
            }
            if let Some(end) = scan_secret_special(b, n, cut)? {
                n = end;
                continue;
            }
        }
        match c {
            b'"' => return Ok(n.saturating_add(1)),
            b'\\' => {
                let Some(&e) = b.get(n.saturating_add(1)) else {
                    return Err(Fault::Eof);
                };
                match e {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                        n = n.saturating_add(2);
                    }
                    b'u' => {
                        let rest = b.get(n..).unwrap_or_default();
                        if rest.len() < 6 {
                            if escaped_utf16_prefix(rest) {
                                return Err(Fault::Eof);
                            }
                            return Err(invalid_escape(rest, cut));
                        }
                        let seq = rest.get(..6).unwrap_or_default();
                        if parse_hex4(seq.get(2..).unwrap_or_default()).is_none() {
                            return Err(invalid_escape(seq, cut));
                        }
                        n = n.saturating_add(6);
                    }
                    _ => {
                        let seq = b.get(n..n.saturating_add(2)).unwrap_or_default();
                        return Err(invalid_escape(seq, false));
                    }
                }
            }
            0x00..=0x1F => return Err(invalid_char(b, n, "in string")),
            0x20..=0x7F => n = n.saturating_add(1),
            _ => {
                let rest = b.get(n..).unwrap_or_default();
                match decode_rune(rest) {
                    (Some(_), size) => n = n.saturating_add(size),
                    (None, _) if !full_rune(rest) => return Err(Fault::Eof),
                    (None, _) => n = n.saturating_add(1),
                }
            }
        }
    }
}

/// A special byte at `b[n]` of a secret value: `Some(next index)` for a valid escape or a valid
/// non-ASCII character, `None` to let [`scan_string`] handle it (a quote, a control character,
/// an error), with the bytes it looks at declassified.
fn scan_secret_special(b: &[u8], n: usize, cut: bool) -> Result<Option<usize>, Fault> {
    let c = ct::public_u8(b.get(n).copied().unwrap_or(0));
    if c == b'\\' {
        let Some(&e) = b.get(n.saturating_add(1)) else {
            return Err(Fault::Eof);
        };
        let (simple, u, _) = escape_class(e);
        if ct::public_bool(simple) {
            return Ok(Some(n.saturating_add(2)));
        }
        if ct::public_bool(u) {
            let digits = b.get(n.saturating_add(2)..).unwrap_or_default();
            let (_, ok) = hex4_ct(digits);
            if ct::public_bool(ok) {
                return Ok(Some(n.saturating_add(6)));
            }
        }
        // An invalid or truncated escape: an error, whose text scan_string builds from the
        // declassified bytes.
        let (copy, len) = public_copy::<6>(b.get(n..).unwrap_or_default());
        let rest = copy.get(..len).unwrap_or_default();
        if rest.len() < 6 && rest.get(1) == Some(&b'u') {
            if escaped_utf16_prefix(rest) {
                return Err(Fault::Eof);
            }
            return Err(invalid_escape(rest, cut));
        }
        if rest.get(1) == Some(&b'u') {
            return Err(invalid_escape(rest, cut));
        }
        return Err(invalid_escape(rest.get(..2).unwrap_or_default(), false));
    }
    if c >= 0x80 {
        let (copy, len) = public_copy::<4>(b.get(n..).unwrap_or_default());
        let rest = copy.get(..len).unwrap_or_default();
        return match decode_rune(rest) {
            (Some(_), size) => Ok(Some(n.saturating_add(size))),
            (None, _) if !full_rune(rest) => Err(Fault::Eof),
            (None, _) => Ok(Some(n.saturating_add(1))),
        };
    }
    Ok(None)
}

fn invalid_escape(seq: &[u8], secret: bool) -> Fault {
    let what: &[u8] = if secret && seq.len() > 2 { b"\\u" } else { seq };
    Fault::Text(format!(
        "invalid escape sequence {} in string",
        quote_text(what)
    ))
}

/// The `\\u` escape (or surrogate pair) at `raw[n]` (its backslash): the character and the index
/// after it. `raw` is validated (scan_string).
fn u_escape(raw: &[u8], n: usize) -> (char, usize) {
    let hex = |at: usize| {
        raw.get(at..at.saturating_add(4))
            .and_then(parse_hex4)
            .map(u32::from)
    };
    let v1 = hex(n.saturating_add(2)).unwrap_or(0xFFFD);
    let mut n = n.saturating_add(6);
    let ch = if (0xD800..=0xDFFF).contains(&v1) {
        let low = if raw.get(n..n.saturating_add(2)) == Some(b"\\u") {
            hex(n.saturating_add(2))
        } else {
            None
        };
        match low {
            Some(v2) if (0xD800..0xDC00).contains(&v1) && (0xDC00..0xE000).contains(&v2) => {
                n = n.saturating_add(6);
                let joined = 0x10000u32
                    .saturating_add((v1.saturating_sub(0xD800)) << 10)
                    .saturating_add(v2.saturating_sub(0xDC00));
                char::from_u32(joined).unwrap_or('\u{FFFD}')
            }
            _ => '\u{FFFD}',
        }
    } else {
        char::from_u32(v1).unwrap_or('\u{FFFD}')
    };
    (ch, n)
}

// ----- secret values: what the scanner may branch on -----
//
// In a secret field (`key`, `otp`) the scanner and the unescaper branch only on (1) whether a
// byte is special: a quote, a backslash, a control character or a non-ASCII byte (declassified
// with `ct::public_bool`; a valid share or OTP holds none, unescaped); (2) a special byte itself
// and, after a backslash, the escape's class (one of the eight simple escapes, `\\u`, or
// invalid), never the escaped character; (3) for `\\u`, whether its four digits are hex and
// whether the character is ASCII; a non-ASCII escaped or raw character (no share or OTP
// character is one) is declassified whole. An ordinary character's value is never branched on.

/// All ones when `c` is special in a JSON string (quote, backslash, control, non-ASCII).
fn special_mask(c: u8) -> u8 {
    ct::range_mask(c, b'"', b'"')
        | ct::range_mask(c, b'\\', b'\\')
        | ct::range_mask(c, 0, 0x1f)
        | ct::range_mask(c, 0x80, 0xff)
}

/// The class of the escape letter `e`: (simple, `u`), and the byte a simple escape stands for,
/// all without a branch on `e`.
fn escape_class(e: u8) -> (bool, bool, u8) {
    let eq = |x: u8| ct::range_mask(e, x, x);
    let simple =
        eq(b'"') | eq(b'\\') | eq(b'/') | eq(b'b') | eq(b'f') | eq(b'n') | eq(b'r') | eq(b't');
    let byte = e
        ^ (eq(b'b') & (b'b' ^ 0x08))
        ^ (eq(b'f') & (b'f' ^ 0x0c))
        ^ (eq(b'n') & (b'n' ^ b'\n'))
        ^ (eq(b'r') & (b'r' ^ b'\r'))
        ^ (eq(b't') & (b't' ^ b'\t'));
    (simple != 0, eq(b'u') != 0, byte)
}

/// The value of four hex digits and whether they are hex, without a branch on them.
fn hex4_ct(b: &[u8]) -> (u16, bool) {
    let mut v = 0u16;
    let mut bad = 0u16;
    for &c in b.iter().take(4) {
        let d = ct::hex_nibble(c);
        bad |= d & 0xff00;
        v = (v << 4) | (d & 0x0f);
    }
    (v, bad == 0 && b.len() >= 4)
}

/// A declassified copy of up to `N` bytes of `b`: for the special (non-value) bytes only.
fn public_copy<const N: usize>(b: &[u8]) -> ([u8; N], usize) {
    let mut out = [0u8; N];
    let len = b.len().min(N);
    for (o, c) in out.iter_mut().zip(b) {
        *o = ct::public_u8(*c);
    }
    (out, len)
}

/// [`unescape_walk`] for a secret value, one byte at a time, branching only as stated above.
fn unescape_secret_walk(raw: &[u8], mut out: impl FnMut(&[u8])) {
    let mut n = 0usize;
    let mut utf8 = [0u8; 4];
    while let Some(&c) = raw.get(n) {
        if !ct::public_bool(special_mask(c) != 0) {
            out(&[c]);
            n = n.saturating_add(1);
            continue;
        }
        if ct::public_u8(c) == b'\\' {
            let e = raw.get(n.saturating_add(1)).copied().unwrap_or(b'\\');
            let (simple, _, byte) = escape_class(e);
            if ct::public_bool(simple) {
                out(&[byte]);
                n = n.saturating_add(2);
                continue;
            }
            // `\\u` (validated by scan_string).
            let (v, _) = hex4_ct(raw.get(n.saturating_add(2)..).unwrap_or_default());
            if !ct::public_bool(v >= 0x80) {
                #[allow(clippy::cast_possible_truncation)]
                out(&[v as u8]);
                n = n.saturating_add(6);
                continue;
            }
            let (copy, len) = public_copy::<12>(raw.get(n..).unwrap_or_default());
            let (ch, used) = u_escape(copy.get(..len).unwrap_or_default(), 0);
            out(ch.encode_utf8(&mut utf8).as_bytes());
            n = n.saturating_add(used);
        } else {
            let (copy, len) = public_copy::<4>(raw.get(n..).unwrap_or_default());
            if let (Some(_), size) = decode_rune(copy.get(..len).unwrap_or_default()) {
                out(copy.get(..size).unwrap_or_default());
                n = n.saturating_add(size);
            } else {
                out("\u{FFFD}".as_bytes());
                n = n.saturating_add(1);
            }
        }
    }
    utf8.zeroize();
}

/// Walks a validated raw string (between the quotes) and hands each decoded piece to `out`.
fn unescape_walk(raw: &[u8], mut out: impl FnMut(&[u8])) {
    let mut n = 0usize;
    let mut utf8 = [0u8; 4];
    while let Some(&c) = raw.get(n) {
        if c == b'\\' {
            let e = raw.get(n.saturating_add(1)).copied().unwrap_or(b'\\');
            let simple = match e {
                b'b' => Some(0x08),
                b'f' => Some(0x0C),
                b'n' => Some(b'\n'),
                b'r' => Some(b'\r'),
                b't' => Some(b'\t'),
                b'u' => None,
                other => Some(other),
            };
            if let Some(byte) = simple {
                out(&[byte]);
                n = n.saturating_add(2);
                continue;
            }
            let (ch, next) = u_escape(raw, n);
            n = next;
            out(ch.encode_utf8(&mut utf8).as_bytes());
        } else if c < 0x80 {
            // A run of plain ASCII.
            let len = raw
                .get(n..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&b| b < 0x80 && b != b'\\')
                .count();
            out(raw.get(n..n.saturating_add(len)).unwrap_or_default());
            n = n.saturating_add(len);
        } else if let (Some(_), size) = decode_rune(raw.get(n..).unwrap_or_default()) {
            out(raw.get(n..n.saturating_add(size)).unwrap_or_default());
            n = n.saturating_add(size);
        } else {
            out("\u{FFFD}".as_bytes());
            n = n.saturating_add(1);
        }
    }
    utf8.zeroize();
}

fn unescape_into(raw: &[u8], out: &mut Vec<u8>) {
    unescape_walk(raw, |piece| out.extend_from_slice(piece));
}

fn unescaped_len(raw: &[u8]) -> usize {
    let mut len = 0usize;
    unescape_walk(raw, |piece| len = len.saturating_add(piece.len()));
    len
}

fn unescape_plain(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(unescaped_len(raw));
    unescape_into(raw, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Unescapes a secret straight into a zeroizing buffer of the exact size, so that it never
/// reallocates (a reallocation would free an unwiped copy).
fn unescape_secret(raw: &[u8]) -> Zeroizing<String> {
    let mut len = 0usize;
    unescape_secret_walk(raw, |piece| len = len.saturating_add(piece.len()));
    let mut buf = Zeroizing::new(Vec::with_capacity(len));
    unescape_secret_walk(raw, |piece| buf.extend_from_slice(piece));
    let bytes = std::mem::take(&mut *buf);
    match String::from_utf8(bytes) {
        Ok(s) => Zeroizing::new(s),
        // Unreachable (every piece is UTF-8); wipe rather than drop if it ever happened.
        Err(e) => {
            let mut bytes = e.into_bytes();
            bytes.zeroize();
            Zeroizing::new(String::new())
        }
    }
}

// ----- Go's quoting, for error texts -----

/// Go's `unicode.IsPrint` for the characters error texts can quote: letters, marks, numbers,
/// punctuation, symbols and the ASCII space. Not modelled: unassigned code points (Go treats
/// them as not printable; here they print as themselves).
fn is_print(c: char) -> bool {
    let u = u32::from(c);
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let format_or_private = matches!(u,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F
        | 0xE000..=0xF8FF | 0xF_0000..=0x10_FFFF | 0xFDD0..=0xFDEF);
    let nonchar = u & 0xFFFE == 0xFFFE;
    !format_or_private && !nonchar
}

/// Go's `strconv.QuoteRune` body (without the quotes) for one character, with `quote` escaped.
fn escape_char(c: char, quote: char, out: &mut String) {
    use std::fmt::Write;
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if is_print(c) {
        out.push(c);
        return;
    }
    let u = u32::from(c);
    let _ = match c {
        '\u{7}' => out.write_str("\\a"),
        '\u{8}' => out.write_str("\\b"),
        '\u{c}' => out.write_str("\\f"),
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\t' => out.write_str("\\t"),
        '\u{b}' => out.write_str("\\v"),
        _ if u < 0x20 || u == 0x7F => write!(out, "\\x{u:02x}"),
        _ if u < 0x10000 => write!(out, "\\u{u:04x}"),
        _ => write!(out, "\\U{u:08x}"),
    };
}

fn quote_char(c: char) -> String {
    let mut out = String::from("'");
    escape_char(c, '\'', &mut out);
    out.push('\'');
    out
}

/// Go's `jsonwire.QuoteRune`: the first rune of `b`, or `'\xNN'` for an invalid byte.
fn quote_rune(b: &[u8]) -> String {
    match decode_rune(b) {
        (Some(c), _) => quote_char(c),
        (None, _) => format!("'\\x{:x}'", b.first().copied().unwrap_or(0)),
    }
}

/// Go's `strconv.Quote` of bytes (invalid bytes as `\xNN`).
fn quote_string(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::from("\"");
    let mut n = 0usize;
    while n < b.len() {
        let rest = b.get(n..).unwrap_or_default();
        if let (Some(c), size) = decode_rune(rest) {
            escape_char(c, '"', &mut out);
            n = n.saturating_add(size);
        } else {
            let _ = write!(out, "\\x{:02x}", rest.first().copied().unwrap_or(0));
            n = n.saturating_add(1);
        }
    }
    out.push('"');
    out
}

/// Go's `jsonwire.InvalidTextError` quoting of a raw escape sequence.
fn quote_text(b: &[u8]) -> String {
    let mut runes = 0usize;
    let mut need_escape = false;
    let mut n = 0usize;
    while n < b.len() {
        let (c, size) = decode_rune(b.get(n..).unwrap_or_default());
        runes = runes.saturating_add(1);
        match c {
            None | Some('`' | '\u{FFFD}') => need_escape = true,
            Some(c) if c.is_whitespace() || !is_print(c) => need_escape = true,
            Some(_) => {}
        }
        n = n.saturating_add(size.max(1));
    }
    if runes == 1 {
        quote_rune(b)
    } else if need_escape {
        quote_string(b)
    } else {
        format!("`{}`", String::from_utf8_lossy(b))
    }
}

// ----- encoding: what Go's encoding/json writes -----

/// Appends `s` as a JSON string the way Go's `encoding/json` writes it: `"` and `\` escaped,
/// `\b \f \n \r \t` short, other control characters and `<`, `>`, `&`, U+2028, U+2029 as `\u`
/// escapes.
pub(crate) fn push_go_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        push_go_char(out, c);
    }
    out.push('"');
}

/// One character of [`push_go_string`].
fn push_go_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '<' => out.push_str("\\u003c"),
        '>' => out.push_str("\\u003e"),
        '&' => out.push_str("\\u0026"),
        '\u{2028}' => out.push_str("\\u2028"),
        '\u{2029}' => out.push_str("\\u2029"),
        c if u32::from(c) < 0x20 => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let b = u8::try_from(u32::from(c)).unwrap_or(0);
            out.push_str("\\u00");
            out.push(char::from(*HEX.get(usize::from(b >> 4)).unwrap_or(&b'0')));
            out.push(char::from(*HEX.get(usize::from(b & 0xF)).unwrap_or(&b'0')));
        }
        c => out.push(c),
    }
}

/// All ones when `c` may need escaping in Go's output: a quote, a backslash, a control
/// character, `<`, `>`, `&`, or a non-ASCII byte (U+2028 and U+2029 are escaped).
fn output_special_mask(c: u8) -> u8 {
    special_mask(c)
        | ct::range_mask(c, b'<', b'<')
        | ct::range_mask(c, b'>', b'>')
        | ct::range_mask(c, b'&', b'&')
}

/// [`push_go_string`] for a secret (an OTP, a decoded token), with the same output. It branches
/// only on whether each byte may need escaping (declassified; no generated OTP or minted token
/// has such a byte); such a byte is declassified, a non-ASCII character whole. The ordinary
/// bytes are copied in runs, never looked at one by one.
pub(crate) fn push_go_string_secret(out: &mut String, s: &str) {
    let b = s.as_bytes();
    // A run of ordinary (ASCII) bytes: valid UTF-8 by construction.
    let push_run = |out: &mut String, run: &[u8]| {
        out.push_str(std::str::from_utf8(run).unwrap_or_default());
    };
    out.push('"');
    let (mut run, mut i) = (0usize, 0usize);
    while let Some(&c) = b.get(i) {
        if !ct::public_bool(output_special_mask(c) != 0) {
            i = i.saturating_add(1);
            continue;
        }
        push_run(out, b.get(run..i).unwrap_or_default());
        let width = match ct::public_u8(c) {
            0x00..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        let end = i.saturating_add(width).min(b.len());
        let (copy, len) = public_copy::<4>(b.get(i..end).unwrap_or_default());
        let ch = copy
            .get(..len)
            .and_then(|c| std::str::from_utf8(c).ok())
            .and_then(|t| t.chars().next())
            .unwrap_or('\u{FFFD}');
        push_go_char(out, ch);
        i = i.saturating_add(ch.len_utf8());
        run = i;
    }
    push_run(out, b.get(run..).unwrap_or_default());
    out.push('"');
}

/// The length [`push_go_string`] writes.
pub(crate) fn go_string_len(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => 6,
            c if u32::from(c) < 0x20 => 6,
            c => c.len_utf8(),
        })
        .fold(2usize, usize::saturating_add)
}

#[cfg(test)]
mod tests {

    proptest::proptest! {
        /// The secret writer's output is the plain writer's, for any text.
        #[test]
        fn the_secret_string_writer_writes_what_the_plain_one_writes(s in "\\PC{0,16}|[<>&\"\\\\\u{0}-\u{1f}\u{2028}\u{2029}a-z\u{80}-\u{10ffff}]{0,16}") {
            let (mut plain, mut secret) = (String::new(), String::new());
            push_go_string(&mut plain, &s);
            push_go_string_secret(&mut secret, &s);
            proptest::prop_assert_eq!(&secret, &plain);
            proptest::prop_assert_eq!(plain.len(), go_string_len(&s));
        }
    }
    use super::*;

    fn err(body: &[u8]) -> String {
        match decode(body, Shape::Update) {
            Err(e) => e,
            Ok(_) => String::from("ok"),
        }
    }

    #[test]
    fn quoting_follows_go() {
        assert_eq!(quote_rune(b"\t"), "'\\t'");
        assert_eq!(quote_rune(b"\x01"), "'\\x01'");
        assert_eq!(quote_rune(b"\xff"), "'\\xff'");
        assert_eq!(quote_rune("é".as_bytes()), "'é'");
        assert_eq!(quote_rune("\u{a0}".as_bytes()), "'\\u00a0'");
        assert_eq!(quote_rune(b"'"), "'\\''");
        assert_eq!(quote_text(b"\\\xc3"), "\"\\\\\\xc3\"");
        assert_eq!(quote_text(b"\\u00\"}"), "`\\u00\"}`");
    }

    #[test]
    fn decoding_is_iterative_at_any_depth() {
        let deep = [b"[".repeat(10_000), b"]".repeat(10_000)].concat();
        assert!(err(&deep).contains("array into Go value"));
        let deeper = b"[".repeat(1_000_000);
        assert_eq!(err(&deeper), "exceeded max depth");
        let nested = b"{\"a\":".repeat(10_001);
        assert_eq!(err(&nested), "exceeded max depth");
    }
}
