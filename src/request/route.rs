//! What a request's path asks for: a page outside `/v2`, the `/v2/` ping,
//! a pull (canonical and validated), or a `/v2/` path that is none of them
//! with the error it gets. Read once per request.

use super::raw::{is_query_text, MAX_PATH_LEN};
use crate::oci::{parse_pull, Endpoint, OciError, Pull};

/// The token endpoint of pull sessions (the challenge's realm).
pub const TOKEN_PATH: &str = "/token";
/// The status page.
pub const STATUS_PATH: &str = "/_status";

/// A path outside `/v2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// `/`
    Info,
    /// `/privacy`
    Privacy,
    /// `/token`
    Token,
    /// `/_status`
    Status,
    /// Anything else.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    Page(Page),
    /// `/v2` or `/v2/`: the API version check.
    Ping,
    Pull(Pull<'a>),
    /// A `/v2/` path that is no pull, or whose path or query cannot be
    /// passed on: the OCI error it gets.
    Rejected(OciError),
}

/// What a request asks for, as its record names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ping,
    Manifest,
    /// A manifest by a signature tag (the referrers tag schema, cosign's
    /// `.sig`, `.att`, `.sbom`).
    Signature,
    Blob,
    Tags,
    Referrers,
    /// A `/v2/` path that is no pull.
    Error,
    Info,
    Privacy,
    Token,
    Status,
    Other,
}

impl<'a> Route<'a> {
    /// Reads `path` (and, for pulls, whether `query` can be passed on).
    pub fn read(path: &'a str, query: &str) -> Route<'a> {
        let Some(rest) = path.strip_prefix("/v2") else {
            return Route::Page(match path {
                "/" => Page::Info,
                "/privacy" => Page::Privacy,
                TOKEN_PATH => Page::Token,
                STATUS_PATH => Page::Status,
                _ => Page::Unknown,
            });
        };
        let api_path = match rest {
            "" | "/" => return Route::Ping,
            _ => match rest.strip_prefix('/') {
                Some(api_path) => api_path,
                None => return Route::Page(Page::Unknown),
            },
        };
        if path.len() > MAX_PATH_LEN {
            return Route::Rejected(OciError::new(414, "UNSUPPORTED", "path too long"));
        }
        if !is_query_text(query) {
            return Route::Rejected(OciError::new(
                400,
                "UNSUPPORTED",
                "query string rejected: too long or not URL-encoded",
            ));
        }
        parse_pull(api_path).map_or_else(Route::Rejected, Route::Pull)
    }

    /// On a `/v2` path: errors are OCI JSON there.
    pub fn in_v2(&self) -> bool {
        !matches!(self, Route::Page(_))
    }

    pub fn pull(&self) -> Option<&Pull<'a>> {
        match self {
            Route::Pull(pull) => Some(pull),
            _ => None,
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Route::Page(Page::Info) => Kind::Info,
            Route::Page(Page::Privacy) => Kind::Privacy,
            Route::Page(Page::Token) => Kind::Token,
            Route::Page(Page::Status) => Kind::Status,
            Route::Page(Page::Unknown) => Kind::Other,
            Route::Ping => Kind::Ping,
            Route::Rejected(_) => Kind::Error,
            Route::Pull(pull) => match pull.endpoint {
                Endpoint::Manifest(_) if pull.is_signature_tag() => Kind::Signature,
                Endpoint::Manifest(_) => Kind::Manifest,
                Endpoint::Blob(_) => Kind::Blob,
                Endpoint::TagsList => Kind::Tags,
                Endpoint::Referrers(_) => Kind::Referrers,
            },
        }
    }
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ping => "ping",
            Kind::Manifest => "manifest",
            Kind::Signature => "signature",
            Kind::Blob => "blob",
            Kind::Tags => "tags",
            Kind::Referrers => "referrers",
            Kind::Error => "error",
            Kind::Info => "info",
            Kind::Privacy => "privacy",
            Kind::Token => "token",
            Kind::Status => "status",
            Kind::Other => "other",
        }
    }

    /// A registry API request (`/v2`, `/v2/...`): a pull event.
    pub fn is_pull(self) -> bool {
        !matches!(
            self,
            Kind::Info | Kind::Privacy | Kind::Token | Kind::Status | Kind::Other
        )
    }

    /// Requests a pull session challenges when they come without
    /// `Authorization`: the ping (docker, skopeo, podman start with it) and
    /// manifests (containerd starts with the manifest, never pings).
    pub fn starts_a_pull(self) -> bool {
        matches!(self, Kind::Ping | Kind::Manifest | Kind::Signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";

    fn triple(path: &str) -> (&'static str, Option<String>, Option<String>) {
        let route = Route::read(path, "");
        let pull = route.pull();
        (
            route.kind().as_str(),
            pull.map(|p| p.repository.to_string()),
            pull.and_then(|p| p.reference()).map(str::to_string),
        )
    }

    #[test]
    fn kinds() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(triple("/v2/"), ("ping", None, None));
        assert_eq!(triple("/v2"), ("ping", None, None));
        assert_eq!(
            triple("/v2/pause/manifests/3.10"),
            ("manifest", s("pause"), s("3.10"))
        );
        assert_eq!(
            triple("/v2/pause/manifests/3%2E10"),
            ("manifest", s("pause"), s("3.10"))
        );
        assert_eq!(
            triple(&format!("/v2/a/b/manifests/{D}")),
            ("manifest", s("a/b"), s(D))
        );
        assert_eq!(
            triple(&format!("/v2/a/b/manifests/sha256%3A{}", &D[7..])),
            ("manifest", s("a/b"), s(D))
        );
        for suffix in ["", ".sig", ".att", ".sbom"] {
            let sig = format!("sha256-{}{suffix}", &D[7..]);
            assert_eq!(
                triple(&format!("/v2/pause/manifests/{sig}")),
                ("signature", s("pause"), s(&sig))
            );
        }
        assert_eq!(
            triple(&format!("/v2/pause/blobs/{D}")),
            ("blob", s("pause"), s(D))
        );
        assert_eq!(triple("/v2/pause/tags/list"), ("tags", s("pause"), None));
        assert_eq!(
            triple(&format!("/v2/pause/referrers/{D}")),
            ("referrers", s("pause"), s(D))
        );
        assert_eq!(triple("/v2/_catalog"), ("error", None, None));
        assert_eq!(triple("/v2/Pause/manifests/1"), ("error", None, None));
        assert_eq!(triple("/v2x"), ("other", None, None));
        assert_eq!(triple("/"), ("info", None, None));
        assert_eq!(triple("/privacy"), ("privacy", None, None));
        assert_eq!(triple("/token"), ("token", None, None));
        assert_eq!(triple("/_status"), ("status", None, None));
        assert_eq!(triple("/favicon.ico"), ("other", None, None));
    }

    #[test]
    fn paths_and_queries_that_cannot_be_passed_on() {
        let long = format!("/v2/{}/manifests/1", "a".repeat(MAX_PATH_LEN));
        let status = |route: Route<'_>| match route {
            Route::Rejected(e) => e.status,
            other => panic!("{other:?}"),
        };
        assert_eq!(status(Route::read(&long, "")), 414);
        assert_eq!(status(Route::read("/v2/pause/tags/list", "a b")), 400);
        assert_eq!(Route::read("/v2/", "a b"), Route::Ping);
    }

    #[test]
    fn pulls_and_their_first_requests() {
        let kind = |path: &str| Route::read(path, "").kind();
        assert!(kind("/v2/").is_pull() && kind("/v2/_catalog").is_pull());
        assert!(!kind("/token").is_pull() && !kind("/v2x").is_pull());
        assert!(kind("/v2/").starts_a_pull());
        assert!(kind("/v2/pause/manifests/3.10").starts_a_pull());
        assert!(kind("/v2/pause/manifests/3%2E10").starts_a_pull());
        assert!(!kind(&format!("/v2/pause/blobs/{D}")).starts_a_pull());
        assert!(!kind("/v2/pause/tags/list").starts_a_pull());
    }
}
