//! The host's answer to [`Authorize`], and a small token set for hosts without a token store.

use std::time::Instant;

use crate::ct::public_bool;
use crate::secret::Token;

use super::Authorize;

/// The host's verdict on a caller ([`Authorize`]); [`Authorize::decide`] turns it into the
/// next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The token may do this.
    Allow,
    /// No token, or one the host does not know: 403 `permission denied`.
    UnknownToken,
    /// A valid token whose policy does not grant this ([`Authorize::forbid`]).
    NotPermitted,
}

/// The tokens that may call the gated families, for a host with no token store of its own
/// (a test server, a single-purpose ceremony host): each token allowed everywhere or in one
/// namespace, until an optional deadline.
///
/// [`CallerTokens::verdict`] compares the presented token with every entry in constant time,
/// without an early exit (the set's size and the tokens' lengths are not secret); the check
/// is among the paths `ctgrind/` runs under Valgrind. Expired entries are dropped by the
/// clock alone, before the comparison, so an expired token is answered like an unknown one.
/// A host with real policies answers [`Authorize`] from its own store instead.
///
/// ```
/// use std::time::{Duration, Instant};
/// use recovery_token::Token;
/// use recovery_token::http::CallerTokens;
///
/// let now = Instant::now();
/// let mut callers = CallerTokens::new();
/// callers.insert(Token::from("s.operator"), None, None); // everywhere, for ever
/// callers.insert(Token::from("s.minted"), Some("ns1/"), Some(now + Duration::from_secs(60)));
/// assert_eq!(callers.len(), 2);
/// assert!(callers.remove(&Token::from("s.minted")));
/// assert_eq!(callers.len(), 1);
/// ```
#[derive(Default)]
pub struct CallerTokens {
    entries: Vec<Entry>,
}

struct Entry {
    token: Token,
    /// `None`: every namespace.
    namespace: Option<String>,
    expires: Option<Instant>,
}

impl std::fmt::Debug for CallerTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CallerTokens([REDACTED; {} tokens])", self.entries.len())
    }
}

impl CallerTokens {
    /// An empty set: every token is unknown.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Lets `token` call in `namespace` (the canonical name with its trailing slash, as
    /// [`Authorize::namespace`] gives it; `None`: every namespace) until `expires` (`None`:
    /// for ever).
    pub fn insert(&mut self, token: Token, namespace: Option<&str>, expires: Option<Instant>) {
        self.entries.push(Entry {
            token,
            namespace: namespace.map(str::to_owned),
            expires,
        });
    }

    /// Removes every entry holding `token` (a revocation); whether there was one. Every entry
    /// is compared, in constant time.
    pub fn remove(&mut self, token: &Token) -> bool {
        let before = self.entries.len();
        let token = token.expose_secret();
        self.entries
            .retain(|e| !public_bool(e.token.ct_eq_str(token)));
        self.entries.len() != before
    }

    /// How many tokens the set holds (expired ones included until the next
    /// [`CallerTokens::verdict`]).
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the set holds no token.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The verdict on `request` at `now`: [`Verdict::Allow`] for a live token of its namespace
    /// (or of every namespace); [`Verdict::NotPermitted`] for a live token of another
    /// namespace (a valid token without the policy here: OpenBao 2.7.2's other 403);
    /// [`Verdict::UnknownToken`] for no token, an unknown one or an expired one.
    #[allow(
        clippy::needless_bitwise_bool,
        reason = "no short circuit: every entry is compared"
    )]
    pub fn verdict(&mut self, request: &Authorize, now: Instant) -> Verdict {
        self.entries
            .retain(|e| e.expires.is_none_or(|deadline| now < deadline));
        let Some(presented) = request.token() else {
            return Verdict::UnknownToken;
        };
        let presented = presented.expose_secret();
        // `|` and `&`, not `||` and `&&`: every entry is compared, with no short circuit.
        let (mut here, mut elsewhere) = (false, false);
        for entry in &self.entries {
            let same = entry.token.ct_eq_str(presented);
            let in_scope =
                entry.namespace.is_none() || entry.namespace.as_deref() == request.namespace();
            here |= same & in_scope;
            elsewhere |= same & !in_scope;
        }
        if public_bool(here) {
            Verdict::Allow
        } else if public_bool(elsewhere) {
            Verdict::NotPermitted
        } else {
            Verdict::UnknownToken
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use rand::SeedableRng as _;

    use super::{CallerTokens, Verdict};
    use crate::config::GeneratorConfig;
    use crate::generator::RecoveryTokenGenerator;
    use crate::http::{Authorize, Face, Request, Step};
    use crate::secret::Token;
    use crate::vocabulary::Dialect;

    /// An OpenBao face with namespace `ns1/`, and the `Authorize` step a root-family status
    /// read with `token` in `namespace` gives.
    fn authorize(token: Option<&str>, namespace: Option<&str>) -> Authorize {
        let config = |t| {
            let b = GeneratorConfig::builder(t).with_dialect(Dialect::OpenBao);
            RecoveryTokenGenerator::new(b.build().expect("a valid config"))
        };
        let mut face = Face::new(config(1));
        let canonical = face
            .add_namespace("ns1", config(1))
            .expect("a new namespace");
        assert_eq!(canonical, "ns1/");
        let mut request = Request::new("GET", "/v1/sys/generate-root-token/attempt");
        request.token = token;
        request.namespace = namespace;
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        match face.handle(&request, Instant::now(), &mut rng) {
            Step::Authorize(a) => a,
            other => panic!("not an Authorize step: {other:?}"),
        }
    }

    #[test]
    fn a_token_is_allowed_in_its_scope_only_and_unknown_tokens_are_not() {
        let now = Instant::now();
        let mut callers = CallerTokens::new();
        callers.insert(Token::from("s.everywhere0000000000000000"), None, None);
        callers.insert(
            Token::from("s.ns1only000000000000000000"),
            Some("ns1/"),
            None,
        );
        let cases = [
            (Some("s.everywhere0000000000000000"), None, Verdict::Allow),
            (
                Some("s.everywhere0000000000000000"),
                Some("ns1"),
                Verdict::Allow,
            ),
            (
                Some("s.ns1only000000000000000000"),
                Some("ns1"),
                Verdict::Allow,
            ),
            (
                Some("s.ns1only000000000000000000"),
                None,
                Verdict::NotPermitted,
            ),
            // Same length, one byte off; a prefix; a longer one; none at all.
            (
                Some("s.everywhere0000000000000001"),
                None,
                Verdict::UnknownToken,
            ),
            (Some("s.everywhere"), None, Verdict::UnknownToken),
            (
                Some("s.everywhere00000000000000000"),
                None,
                Verdict::UnknownToken,
            ),
            (None, None, Verdict::UnknownToken),
        ];
        for (token, namespace, want) in cases {
            let got = callers.verdict(&authorize(token, namespace), now);
            assert_eq!(got, want, "{token:?} in {namespace:?}");
        }
        assert_eq!(callers.len(), 2);
    }

    #[test]
    fn an_expired_token_is_unknown_and_dropped_by_the_clock() {
        let now = Instant::now();
        let mut callers = CallerTokens::new();
        let deadline = now + Duration::from_secs(60);
        callers.insert(Token::from("s.shortlived"), None, Some(deadline));
        callers.insert(Token::from("s.forever"), None, None);
        let short = authorize(Some("s.shortlived"), None);
        assert_eq!(callers.verdict(&short, now), Verdict::Allow);
        let just_before = deadline - Duration::from_nanos(1);
        assert_eq!(callers.verdict(&short, just_before), Verdict::Allow);
        assert_eq!(callers.verdict(&short, deadline), Verdict::UnknownToken);
        assert_eq!(callers.len(), 1, "the expired entry is gone");
        // Dropped for good: an earlier `now` does not bring it back.
        assert_eq!(callers.verdict(&short, now), Verdict::UnknownToken);
        let forever = authorize(Some("s.forever"), None);
        let later = now + Duration::from_secs(86_400 * 365);
        assert_eq!(callers.verdict(&forever, later), Verdict::Allow);
    }

    #[test]
    fn remove_revokes_every_copy_and_says_whether_there_was_one() {
        let now = Instant::now();
        let mut callers = CallerTokens::new();
        assert!(callers.is_empty());
        callers.insert(Token::from("s.twice"), None, None);
        callers.insert(Token::from("s.twice"), Some("ns1/"), None);
        callers.insert(Token::from("s.other"), None, None);
        assert!(!callers.is_empty());
        assert!(!callers.remove(&Token::from("s.twic")));
        assert_eq!(callers.len(), 3);
        assert!(callers.remove(&Token::from("s.twice")));
        assert!(!callers.remove(&Token::from("s.twice")));
        assert_eq!(callers.len(), 1);
        let revoked = authorize(Some("s.twice"), Some("ns1"));
        assert_eq!(callers.verdict(&revoked, now), Verdict::UnknownToken);
        let kept = authorize(Some("s.other"), None);
        assert_eq!(callers.verdict(&kept, now), Verdict::Allow);
    }

    #[test]
    fn debug_shows_the_count_not_the_tokens() {
        let mut callers = CallerTokens::new();
        callers.insert(Token::from("s.secretsecret"), Some("ns1/"), None);
        let shown = format!("{callers:?}");
        assert_eq!(shown, "CallerTokens([REDACTED; 1 tokens])");
    }

    #[test]
    fn decide_turns_each_verdict_into_its_answer() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let config = GeneratorConfig::builder(1).with_dialect(Dialect::OpenBao);
        let mut face = Face::new(RecoveryTokenGenerator::new(config.build().expect("valid")));
        let now = Instant::now();
        let mut answer = |verdict| {
            let a = authorize(Some("s.x"), None);
            match a.decide(verdict, &mut face, now, &mut rng) {
                Step::Answer(answer) => (answer.status(), answer.body().to_owned()),
                other => panic!("{other:?}"),
            }
        };
        let (status, body) = answer(Verdict::Allow);
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("\"started\":false"), "{body}");
        assert_eq!(
            answer(Verdict::UnknownToken),
            (403, "{\"errors\":[\"permission denied\"]}\n".to_owned())
        );
        let (status, body) = answer(Verdict::NotPermitted);
        assert_eq!(status, 403);
        assert!(
            body.contains(r"1 error occurred:\n\t* permission denied"),
            "{body}"
        );
    }
}
