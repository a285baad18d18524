//! `/v2/...` paths to the four pull endpoints, or the error to answer.
//!
//! | path                                  | invalid part           | answer                    |
//! |---------------------------------------|------------------------|---------------------------|
//! | `/v2/_catalog`                        | (not supported)        | 404 `UNSUPPORTED`         |
//! | `/v2/<name>/manifests/<reference>`    | name                   | 400 `NAME_INVALID`        |
//! |                                       | reference with `:`     | 400 `DIGEST_INVALID`      |
//! |                                       | other reference        | 404 `MANIFEST_UNKNOWN`    |
//! | `/v2/<name>/blobs/<digest>`           | name / digest          | 400 `NAME_INVALID` / `DIGEST_INVALID` |
//! | `/v2/<name>/tags/list`                | name                   | 400 `NAME_INVALID`        |
//! | `/v2/<name>/referrers/<digest>`       | name / digest          | 400 `NAME_INVALID` / `DIGEST_INVALID` |
//! | anything else under `/v2/` (uploads…) |                        | 404 `UNSUPPORTED`         |
//!
//! The spec (distribution-spec, "Error Codes") answers a malformed name or
//! digest with `NAME_INVALID` / `DIGEST_INVALID` and 400; a tag that does
//! not match the tag grammar cannot name a manifest, hence
//! `MANIFEST_UNKNOWN` with 404. Push, delete and upload endpoints are not
//! served by a redirector.

use super::grammar::{is_digest, is_name, is_tag};
use super::OciError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference<'a> {
    Tag(&'a str),
    Digest(&'a str),
}

impl<'a> Reference<'a> {
    pub fn as_str(&self) -> &'a str {
        match self {
            Reference::Tag(s) | Reference::Digest(s) => s,
        }
    }
}

/// A pull request under `/v2/`, validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    Manifest {
        name: &'a str,
        reference: Reference<'a>,
    },
    Blob {
        name: &'a str,
        digest: &'a str,
    },
    TagsList {
        name: &'a str,
    },
    Referrers {
        name: &'a str,
        digest: &'a str,
    },
}

impl<'a> Route<'a> {
    pub fn name(&self) -> &'a str {
        match self {
            Route::Manifest { name, .. }
            | Route::Blob { name, .. }
            | Route::TagsList { name }
            | Route::Referrers { name, .. } => name,
        }
    }
}

fn name_invalid(name: &str) -> OciError {
    let shown: String = name.chars().take(80).collect();
    OciError::new(
        400,
        "NAME_INVALID",
        format!("invalid repository name {shown:?}"),
    )
}

fn digest_invalid(digest: &str) -> OciError {
    let shown: String = digest.chars().take(160).collect();
    OciError::new(
        400,
        "DIGEST_INVALID",
        format!("invalid digest {shown:?}: expected sha256:<64 hex> or sha512:<128 hex>"),
    )
}

fn unsupported() -> OciError {
    OciError::new(
        404,
        "UNSUPPORTED",
        "this registry serves pulls only: manifests, blobs, tags/list and referrers",
    )
}

/// Parses what follows `/v2/` (e.g. `pause/manifests/3.9`).
pub fn parse_route<'r>(rest: &'r str) -> Result<Route<'r>, OciError> {
    if rest == "_catalog" {
        return Err(OciError::new(
            404,
            "UNSUPPORTED",
            "_catalog is not supported",
        ));
    }
    if let Some(name) = rest.strip_suffix("/tags/list") {
        return if is_name(name) {
            Ok(Route::TagsList { name })
        } else {
            Err(name_invalid(name))
        };
    }
    // `<name>/<kind>/<argument>`: the name may itself contain "blobs" etc.,
    // so split from the right.
    let Some((head, argument)) = rest.rsplit_once('/') else {
        return Err(unsupported());
    };
    let Some((name, kind)) = head.rsplit_once('/') else {
        return Err(unsupported());
    };
    if !matches!(kind, "manifests" | "blobs" | "referrers") {
        return Err(unsupported());
    }
    if !is_name(name) {
        return Err(name_invalid(name));
    }
    let digest = |d: &'r str| {
        if is_digest(d) {
            Ok(d)
        } else {
            Err(digest_invalid(d))
        }
    };
    match kind {
        "blobs" => Ok(Route::Blob {
            name,
            digest: digest(argument)?,
        }),
        "referrers" => Ok(Route::Referrers {
            name,
            digest: digest(argument)?,
        }),
        _ if argument.contains(':') => Ok(Route::Manifest {
            name,
            reference: Reference::Digest(digest(argument)?),
        }),
        _ if is_tag(argument) => Ok(Route::Manifest {
            name,
            reference: Reference::Tag(argument),
        }),
        _ => {
            let shown: String = argument.chars().take(80).collect();
            Err(OciError::new(
                404,
                "MANIFEST_UNKNOWN",
                format!("{shown:?} is neither a tag nor a digest"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";

    #[test]
    fn the_four_pull_endpoints() {
        assert_eq!(
            parse_route("pause/manifests/3.9"),
            Ok(Route::Manifest {
                name: "pause",
                reference: Reference::Tag("3.9")
            })
        );
        assert_eq!(
            parse_route(&format!("a/b/manifests/{D}")),
            Ok(Route::Manifest {
                name: "a/b",
                reference: Reference::Digest(D)
            })
        );
        assert_eq!(
            parse_route(&format!("pause/blobs/{D}")),
            Ok(Route::Blob {
                name: "pause",
                digest: D
            })
        );
        assert_eq!(
            parse_route("x/y/tags/list"),
            Ok(Route::TagsList { name: "x/y" })
        );
        assert_eq!(
            parse_route(&format!("pause/referrers/{D}")),
            Ok(Route::Referrers {
                name: "pause",
                digest: D
            })
        );
        // Endpoint words are fine inside a name.
        assert_eq!(
            parse_route("blobs/manifests/tags/manifests/v1"),
            Ok(Route::Manifest {
                name: "blobs/manifests/tags",
                reference: Reference::Tag("v1")
            })
        );
    }

    fn code(rest: &str) -> (u16, &'static str) {
        let e = parse_route(rest).unwrap_err();
        (e.status, e.code)
    }

    #[test]
    fn errors() {
        assert_eq!(code("_catalog"), (404, "UNSUPPORTED"));
        assert_eq!(code("Pause/manifests/1"), (400, "NAME_INVALID"));
        assert_eq!(code("/manifests/1"), (400, "NAME_INVALID"));
        assert_eq!(code("a//b/tags/list"), (400, "NAME_INVALID"));
        assert_eq!(code("pause/blobs/sha256:abc"), (400, "DIGEST_INVALID"));
        assert_eq!(code("pause/referrers/latest"), (400, "DIGEST_INVALID"));
        assert_eq!(code("pause/manifests/sha256:abc"), (400, "DIGEST_INVALID"));
        assert_eq!(code("pause/manifests/.bad"), (404, "MANIFEST_UNKNOWN"));
        assert_eq!(code("pause/manifests/"), (404, "MANIFEST_UNKNOWN"));
        assert_eq!(code("pause/blobs/uploads/"), (404, "UNSUPPORTED"));
        assert_eq!(code("pause/blobs/uploads/1234"), (404, "UNSUPPORTED"));
        assert_eq!(code("pause"), (404, "UNSUPPORTED"));
        assert_eq!(code(""), (404, "UNSUPPORTED"));
        assert_eq!(code("pause/tags/list/"), (404, "UNSUPPORTED"));
    }

    #[test]
    fn error_bodies_are_json() {
        let e = parse_route("Bad\"name/manifests/x").unwrap_err();
        let v: serde_json::Value = serde_json::from_str(&e.body()).unwrap();
        assert_eq!(v["errors"][0]["code"], "NAME_INVALID");
        assert!(v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Bad\\\"name"));
    }
}
