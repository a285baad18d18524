//! What a request asks for, from its path alone: the `kind`, `repository`
//! and `reference` of its record, and which requests a pull session
//! challenges.

use crate::oci::{grammar, parse_route, Reference, Route};
use crate::sessions::TOKEN_PATH;

/// The status page's path.
pub const STATUS_PATH: &str = "/_status";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asked<'a> {
    /// `ping`, `manifest`, `signature`, `blob`, `tags`, `referrers`,
    /// `error` (a `/v2/` path that does not parse), `info`, `privacy`,
    /// `token`, `status` or `other`.
    pub kind: &'static str,
    pub repository: Option<&'a str>,
    /// The tag or digest.
    pub reference: Option<&'a str>,
}

impl<'a> Asked<'a> {
    pub fn of(path: &'a str) -> Asked<'a> {
        let bare = |kind| Asked {
            kind,
            repository: None,
            reference: None,
        };
        let Some(rest) = path.strip_prefix("/v2") else {
            return bare(match path {
                "/" => "info",
                "/privacy" => "privacy",
                TOKEN_PATH => "token",
                STATUS_PATH => "status",
                _ => "other",
            });
        };
        let api_path = match rest {
            "" | "/" => return bare("ping"),
            _ => match rest.strip_prefix('/') {
                Some(api_path) => api_path,
                None => return bare("other"),
            },
        };
        let Ok(route) = parse_route(api_path) else {
            return bare("error");
        };
        let (kind, reference) = match route {
            Route::Manifest { reference, .. } => match reference {
                Reference::Tag(tag) if grammar::is_cosign_tag(tag) => ("signature", tag),
                _ => ("manifest", reference.as_str()),
            },
            Route::Blob { digest, .. } => ("blob", digest),
            Route::TagsList { .. } => ("tags", ""),
            Route::Referrers { digest, .. } => ("referrers", digest),
        };
        Asked {
            kind,
            repository: Some(route.name()),
            reference: (!reference.is_empty()).then_some(reference),
        }
    }

    /// A registry API request (`/v2`, `/v2/...`): a pull event.
    pub fn is_pull(&self) -> bool {
        !matches!(self.kind, "info" | "privacy" | "token" | "status" | "other")
    }

    /// Requests a pull session challenges when they come without
    /// `Authorization`: the ping (docker, skopeo, podman start with it) and
    /// manifests (containerd starts with the manifest, never pings).
    pub fn starts_a_pull(&self) -> bool {
        matches!(self.kind, "ping" | "manifest" | "signature")
    }
}

#[cfg(test)]
mod tests {
    use super::Asked;

    const D: &str = "sha256:da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";

    fn triple(path: &str) -> (&'static str, Option<String>, Option<String>) {
        let a = Asked::of(path);
        (
            a.kind,
            a.repository.map(str::to_string),
            a.reference.map(str::to_string),
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
            triple(&format!("/v2/a/b/manifests/{D}")),
            ("manifest", s("a/b"), s(D))
        );
        let sig = "sha256-da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e.sig";
        assert_eq!(
            triple(&format!("/v2/pause/manifests/{sig}")),
            ("signature", s("pause"), s(sig))
        );
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
    fn pulls_and_their_first_requests() {
        assert!(Asked::of("/v2/").is_pull() && Asked::of("/v2/_catalog").is_pull());
        assert!(!Asked::of("/token").is_pull() && !Asked::of("/v2x").is_pull());
        assert!(Asked::of("/v2/").starts_a_pull());
        assert!(Asked::of("/v2/pause/manifests/3.10").starts_a_pull());
        assert!(!Asked::of(&format!("/v2/pause/blobs/{D}")).starts_a_pull());
        assert!(!Asked::of("/v2/pause/tags/list").starts_a_pull());
    }
}
