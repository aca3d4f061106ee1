//! The endpoint table (see the table in [`super`]'s docs), shared with [`crate::client`],
//! which builds its requests from [`Endpoint::path`].

use crate::vocabulary::Strategy;

/// The header carrying the caller's token.
pub const TOKEN_HEADER: &str = "X-Vault-Token";
/// The header naming the namespace.
pub const NAMESPACE_HEADER: &str = "X-Vault-Namespace";

/// The `/v1/` prefix every API path carries.
pub const API_PREFIX: &str = "/v1/";

/// `sys/decode-token`, under [`API_PREFIX`].
pub const DECODE_TOKEN_PATH: &str = "sys/decode-token";

/// `sys/raw/`, under [`API_PREFIX`]: the recovery-mode path guarded by the recovery token.
pub const RAW_PREFIX: &str = "sys/raw/";

/// A ceremony's endpoint family: a pair of paths (`.../attempt`, `.../update`) over one
/// strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `/v1/sys/generate-recovery-token/*`: a recovery token (recovery mode); unauthenticated.
    Recovery,
    /// `/v1/sys/generate-root/*`: a root token. Unauthenticated in Vault 1.x; Vault 2.x wants a
    /// token unless `enable_unauthenticated_access` lists `generate-root`; OpenBao 2.5.3+
    /// answers 405 `unsupported operation` unless the listener enables it
    /// (see [`super::Access`]).
    Root,
    /// `/v1/sys/replication/dr/secondary/generate-operation-token/*`: a DR operation token
    /// (Vault Enterprise DR secondaries; Vault 2.x's `generate-operation-token` family).
    DrOperation,
    /// `/v1/sys/generate-root-token/*`: OpenBao 2.6+'s authenticated, namespaced root token
    /// generation. Its answers come in OpenBao's response envelope
    /// (`{"request_id":..,"data":{..},..}`, the keys of `data` sorted).
    RootToken,
}

/// Every endpoint family, in table order.
pub const ENDPOINTS: [Endpoint; 4] = [
    Endpoint::Recovery,
    Endpoint::Root,
    Endpoint::DrOperation,
    Endpoint::RootToken,
];

impl Endpoint {
    /// The family's path under `/v1/`, without the trailing `/attempt` or `/update`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Recovery => "sys/generate-recovery-token",
            Self::Root => "sys/generate-root",
            Self::DrOperation => "sys/replication/dr/secondary/generate-operation-token",
            Self::RootToken => "sys/generate-root-token",
        }
    }

    /// The path prefix of the endpoint family, with `/v1/` and a trailing `/`.
    #[must_use]
    pub fn base_path(self) -> &'static str {
        match self {
            Self::Recovery => "/v1/sys/generate-recovery-token/",
            Self::Root => "/v1/sys/generate-root/",
            Self::DrOperation => "/v1/sys/replication/dr/secondary/generate-operation-token/",
            Self::RootToken => "/v1/sys/generate-root-token/",
        }
    }

    /// The token the endpoint mints.
    #[must_use]
    pub fn strategy(self) -> Strategy {
        match self {
            Self::Recovery => Strategy::Recovery,
            Self::Root | Self::RootToken => Strategy::Root,
            Self::DrOperation => Strategy::DrOperation,
        }
    }

    /// The full path of `leaf` (`/v1/<name>/<leaf>`).
    #[must_use]
    pub fn path(self, leaf: Leaf) -> String {
        let (base, leaf) = (self.base_path(), leaf.as_str());
        let mut p = String::with_capacity(base.len().saturating_add(leaf.len()));
        p.push_str(base);
        p.push_str(leaf);
        p
    }

    /// Whether answers come in OpenBao's response envelope ([`Endpoint::RootToken`]).
    #[must_use]
    pub fn enveloped(self) -> bool {
        self == Self::RootToken
    }
}

/// The last segment of a ceremony path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leaf {
    /// `attempt`: status (GET), start (PUT/POST), cancel (DELETE).
    Attempt,
    /// `update`: a key share (every method).
    Update,
}

impl Leaf {
    /// The segment's text.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attempt => "attempt",
            Self::Update => "update",
        }
    }
}

/// Where a request path leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// A ceremony endpoint.
    Ceremony(Endpoint, Leaf),
    /// `sys/decode-token`.
    DecodeToken,
    /// `sys/raw/<path>` (the path may be empty: OpenBao guards `sys/raw/` too).
    Raw,
}

impl Route {
    /// Finds the route of `path` (the part of the request target before any `?`), or `None`
    /// for a path the face does not serve. The match is exact, as Vault's and OpenBao's routers
    /// match these paths: `/v1/` first, case-sensitive, no trailing or doubled slash.
    #[must_use]
    pub fn of(path: &str) -> Option<Self> {
        let rest = path.strip_prefix(API_PREFIX)?;
        if rest == DECODE_TOKEN_PATH {
            return Some(Self::DecodeToken);
        }
        if rest.starts_with(RAW_PREFIX) {
            return Some(Self::Raw);
        }
        let (family, leaf) = rest.rsplit_once('/')?;
        let leaf = match leaf {
            "attempt" => Leaf::Attempt,
            "update" => Leaf::Update,
            _ => return None,
        };
        ENDPOINTS
            .into_iter()
            .find(|e| e.name() == family)
            .map(|e| Self::Ceremony(e, leaf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_routes_both_leaves_and_nothing_else() {
        for e in ENDPOINTS {
            for leaf in [Leaf::Attempt, Leaf::Update] {
                assert_eq!(Route::of(&e.path(leaf)), Some(Route::Ceremony(e, leaf)));
            }
            assert_eq!(Route::of(e.base_path()), None);
            assert_eq!(Route::of(&format!("{}status", e.base_path())), None);
        }
        assert_eq!(Route::of("/v1/sys/decode-token"), Some(Route::DecodeToken));
        assert_eq!(Route::of("/v1/sys/raw/foo"), Some(Route::Raw));
        assert_eq!(Route::of("/v1/sys/raw/"), Some(Route::Raw));
        assert_eq!(Route::of("/v1/sys/raw"), None);
        assert_eq!(Route::of("/sys/generate-root/attempt"), None);
    }
}
