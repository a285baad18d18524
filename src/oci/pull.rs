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
//!
//! The reference or digest is read in its canonical form
//! ([`super::canonical`]): `sha256%3A<hex>` is `sha256:<hex>`.

use super::canonical::canonical_segment;
use super::grammar::{is_digest, is_name, is_signature_tag, is_tag};
use super::OciError;
use std::borrow::Cow;

/// The digest algorithms the grammar accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }
}

/// A validated digest (`sha256:<64 hex>` or `sha512:<128 hex>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest<'a>(Cow<'a, str>);

impl Digest<'_> {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn algorithm(&self) -> Algorithm {
        if self.0.starts_with("sha512:") {
            Algorithm::Sha512
        } else {
            Algorithm::Sha256
        }
    }
}

/// What a manifest request names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference<'a> {
    Tag(Cow<'a, str>),
    Digest(Digest<'a>),
}

impl Reference<'_> {
    pub fn as_str(&self) -> &str {
        match self {
            Reference::Tag(tag) => tag,
            Reference::Digest(digest) => digest.as_str(),
        }
    }
}

/// The pull endpoint a request asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint<'a> {
    Manifest(Reference<'a>),
    Blob(Digest<'a>),
    TagsList,
    Referrers(Digest<'a>),
}

/// A pull request under `/v2/`, validated and canonical.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pull<'a> {
    pub repository: &'a str,
    pub endpoint: Endpoint<'a>,
}

impl Pull<'_> {
    /// The tag or digest, if the endpoint has one.
    pub fn reference(&self) -> Option<&str> {
        match &self.endpoint {
            Endpoint::Manifest(reference) => Some(reference.as_str()),
            Endpoint::Blob(digest) | Endpoint::Referrers(digest) => Some(digest.as_str()),
            Endpoint::TagsList => None,
        }
    }

    /// The digest a manifest or blob request names (content by digest).
    pub fn digest(&self) -> Option<&Digest<'_>> {
        match &self.endpoint {
            Endpoint::Manifest(Reference::Digest(digest)) | Endpoint::Blob(digest) => Some(digest),
            _ => None,
        }
    }

    /// A manifest by a signature tag ([`is_signature_tag`]: the referrers
    /// tag schema, cosign's `.sig`, `.att` and `.sbom`).
    pub fn is_signature_tag(&self) -> bool {
        matches!(&self.endpoint, Endpoint::Manifest(Reference::Tag(tag)) if is_signature_tag(tag))
    }

    /// Appends the canonical path after `/v2/` (`pause/manifests/3.10`).
    pub fn push_path(&self, out: &mut String) {
        out.push_str(self.repository);
        match &self.endpoint {
            Endpoint::Manifest(reference) => {
                out.push_str("/manifests/");
                out.push_str(reference.as_str());
            }
            Endpoint::Blob(digest) => {
                out.push_str("/blobs/");
                out.push_str(digest.as_str());
            }
            Endpoint::TagsList => out.push_str("/tags/list"),
            Endpoint::Referrers(digest) => {
                out.push_str("/referrers/");
                out.push_str(digest.as_str());
            }
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

fn digest(text: Cow<'_, str>) -> Result<Digest<'_>, OciError> {
    if is_digest(&text) {
        Ok(Digest(text))
    } else {
        Err(digest_invalid(&text))
    }
}

fn unsupported() -> OciError {
    OciError::new(
        404,
        "UNSUPPORTED",
        "this registry serves pulls only: manifests, blobs, tags/list and referrers",
    )
}

/// Parses what follows `/v2/` (e.g. `pause/manifests/3.9`).
pub fn parse_pull(rest: &str) -> Result<Pull<'_>, OciError> {
    if rest == "_catalog" {
        return Err(OciError::new(
            404,
            "UNSUPPORTED",
            "_catalog is not supported",
        ));
    }
    if let Some(name) = rest.strip_suffix("/tags/list") {
        return if is_name(name) {
            Ok(Pull {
                repository: name,
                endpoint: Endpoint::TagsList,
            })
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
    let argument = canonical_segment(argument);
    let endpoint = match kind {
        "blobs" => Endpoint::Blob(digest(argument)?),
        "referrers" => Endpoint::Referrers(digest(argument)?),
        _ if argument.contains(':') => Endpoint::Manifest(Reference::Digest(digest(argument)?)),
        _ if is_tag(&argument) => Endpoint::Manifest(Reference::Tag(argument)),
        _ => {
            let shown: String = argument.chars().take(80).collect();
            return Err(OciError::new(
                404,
                "MANIFEST_UNKNOWN",
                format!("{shown:?} is neither a tag nor a digest"),
            ));
        }
    };
    Ok(Pull {
        repository: name,
        endpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e";

    #[test]
    fn the_four_pull_endpoints() {
        let pull = |repository, endpoint| {
            Ok(Pull {
                repository,
                endpoint,
            })
        };
        let tag = |t: &'static str| Reference::Tag(t.into());
        let digest = || Digest(D.into());
        assert_eq!(
            parse_pull("pause/manifests/3.9"),
            pull("pause", Endpoint::Manifest(tag("3.9")))
        );
        assert_eq!(
            parse_pull(&format!("a/b/manifests/{D}")),
            pull("a/b", Endpoint::Manifest(Reference::Digest(digest())))
        );
        assert_eq!(
            parse_pull(&format!("pause/blobs/{D}")),
            pull("pause", Endpoint::Blob(digest()))
        );
        assert_eq!(parse_pull("x/y/tags/list"), pull("x/y", Endpoint::TagsList));
        assert_eq!(
            parse_pull(&format!("pause/referrers/{D}")),
            pull("pause", Endpoint::Referrers(digest()))
        );
        // Endpoint words are fine inside a name.
        assert_eq!(
            parse_pull("blobs/manifests/tags/manifests/v1"),
            pull("blobs/manifests/tags", Endpoint::Manifest(tag("v1")))
        );
    }

    #[test]
    fn the_reference_is_read_in_its_canonical_form() {
        let hex = &D[7..];
        let encoded = format!("pause/blobs/sha256%3A{hex}");
        let p = parse_pull(&encoded).unwrap();
        assert_eq!(p.endpoint, Endpoint::Blob(Digest(D.into())));
        let p = parse_pull("pause/manifests/3%2E10").unwrap();
        assert_eq!(p.reference(), Some("3.10"));
        let mut path = String::new();
        p.push_path(&mut path);
        assert_eq!(path, "pause/manifests/3.10");
        // An encoded `/` stays encoded and is no tag.
        assert_eq!(code("pause/manifests/a%2Fb"), (404, "MANIFEST_UNKNOWN"));
        // Only the reference or digest of a manifest, blob or referrers
        // path is decoded: never the name, nor `tags/list`.
        assert_eq!(code("pa%75se/manifests/3.10"), (400, "NAME_INVALID"));
        assert_eq!(code("a%2Fb/manifests/3.9"), (400, "NAME_INVALID"));
        assert_eq!(code("pa%75se/tags/list"), (400, "NAME_INVALID"));
        assert_eq!(code("pause/tags/%6Cist"), (404, "UNSUPPORTED"));
        // A decoded `..` is no tag.
        assert_eq!(code("pause/manifests/%2e%2e"), (404, "MANIFEST_UNKNOWN"));
    }

    fn code(rest: &str) -> (u16, &'static str) {
        let e = parse_pull(rest).unwrap_err();
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
        let e = parse_pull("Bad\"name/manifests/x").unwrap_err();
        let v: serde_json::Value = serde_json::from_str(&e.body()).unwrap();
        assert_eq!(v["errors"][0]["code"], "NAME_INVALID");
        assert!(v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Bad\\\"name"));
    }
}
