//! The upstream's listings, parsed: `tags/list` (with Artifact Registry's
//! `child` and `manifest` fields when present), `_catalog`, and the `Link`
//! header that pages both.

use serde::Deserialize;
use std::collections::BTreeMap;

/// One page of `GET /v2/<name>/tags/list`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagsPage {
    pub tags: Vec<String>,
    /// Artifact Registry: the nested repositories' last path segments.
    /// `None` on registries that do not send the field.
    pub child: Option<Vec<String>>,
    /// Artifact Registry: every manifest digest of the repository, tagged
    /// or not.
    pub manifests: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct TagsBody {
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    child: Option<Vec<String>>,
    #[serde(default)]
    manifest: Option<BTreeMap<String, serde_json::Value>>,
}

pub fn parse_tags(body: &[u8]) -> Result<TagsPage, String> {
    let parsed: TagsBody = serde_json::from_slice(body)
        .map_err(|e| format!("tags/list is not the expected JSON: {e}"))?;
    Ok(TagsPage {
        tags: parsed.tags.unwrap_or_default(),
        child: parsed.child,
        manifests: parsed.manifest.map(|m| m.into_keys().collect()),
    })
}

#[derive(Deserialize)]
struct CatalogBody {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

/// One page of `GET /v2/_catalog`: repository names.
pub fn parse_catalog(body: &[u8]) -> Result<Vec<String>, String> {
    let parsed: CatalogBody = serde_json::from_slice(body)
        .map_err(|e| format!("_catalog is not the expected JSON: {e}"))?;
    Ok(parsed.repositories.unwrap_or_default())
}

/// The next page from a `Link` header (`<url>; rel="next"`), as a path
/// and query on the registry (an absolute URL is kept as it is).
pub fn next_page(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().to_ascii_lowercase();
            p == "rel=\"next\"" || p == "rel=next"
        });
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        (is_next && !target.is_empty()).then(|| target.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_registry_tags_list_keeps_children_and_untagged_manifests() {
        let body = br#"{
          "child": ["pause", "kube-apiserver"],
          "manifest": {
            "sha256:aaaa": {"imageSizeBytes": "1", "mediaType": "application/vnd.oci.image.index.v1+json", "tag": ["3.10"], "timeCreatedMs": "0", "timeUploadedMs": "0"},
            "sha256:bbbb": {"imageSizeBytes": "1", "mediaType": "application/vnd.oci.image.manifest.v1+json", "tag": [], "timeCreatedMs": "0", "timeUploadedMs": "0"}
          },
          "name": "k8s-artifacts-prod/images",
          "tags": ["3.10"]
        }"#;
        let page = parse_tags(body).unwrap();
        assert_eq!(page.child.unwrap(), ["pause", "kube-apiserver"]);
        assert_eq!(page.manifests.unwrap(), ["sha256:aaaa", "sha256:bbbb"]);
        assert_eq!(page.tags, ["3.10"]);
    }

    #[test]
    fn distribution_tags_list_has_neither_field() {
        let page = parse_tags(br#"{"name":"a/b","tags":["v1","v2"]}"#).unwrap();
        assert_eq!(
            (page.child, page.manifests, page.tags),
            (None, None, vec!["v1".into(), "v2".into()])
        );
        // A repository whose tags were all deleted answers `"tags": null`.
        assert!(parse_tags(br#"{"name":"a","tags":null}"#)
            .unwrap()
            .tags
            .is_empty());
        assert!(parse_tags(b"<html>").unwrap_err().contains("tags/list"));
    }

    #[test]
    fn catalog_pages() {
        assert_eq!(
            parse_catalog(br#"{"repositories":["a","b/c"]}"#).unwrap(),
            ["a", "b/c"]
        );
        assert!(parse_catalog(br#"{}"#).unwrap().is_empty());
    }

    #[test]
    fn link_headers() {
        assert_eq!(
            next_page(r#"</v2/_catalog?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/_catalog?last=b&n=2")
        );
        assert_eq!(
            next_page(r#"<https://r.example/v2/x/tags/list?last=t>; rel=next, <https://r.example/x>; rel="prev""#).as_deref(),
            Some("https://r.example/v2/x/tags/list?last=t")
        );
        assert_eq!(next_page(r#"</v2/x>; rel="prev""#), None);
        assert_eq!(next_page("garbage"), None);
    }
}
