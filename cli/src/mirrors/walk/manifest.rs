//! A manifest, parsed for what a copy needs: the children of an index
//! (OCI image index, Docker manifest list), the config and layers of an
//! image manifest (OCI, Docker schema 2), and why anything else is skipped.

use serde::Deserialize;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// The `Accept` header of every manifest request.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json;q=0.9, application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.1";

/// A content descriptor: what the manifest says a blob or child is.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    /// Where a foreign (non-distributable) layer is downloaded from.
    #[serde(default)]
    pub urls: Option<Vec<String>>,
}

impl Descriptor {
    /// A layer the registry does not hold (Windows base layers): clients
    /// fetch it from its `urls`, and no copy needs it.
    pub fn is_foreign(&self) -> bool {
        self.media_type.contains(".foreign.") || self.media_type.contains(".nondistributable.")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Manifest {
    /// An index: each child is another manifest, by digest.
    Index(Vec<Descriptor>),
    /// An image: its config and layers (the blobs a copy holds), and the
    /// foreign layers left out.
    Image {
        blobs: Vec<Descriptor>,
        foreign: usize,
    },
    /// Not walked, and why (Docker schema 1).
    Skipped(String),
}

#[derive(Deserialize)]
struct Body {
    #[serde(rename = "schemaVersion", default)]
    schema_version: Option<u32>,
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    /// OCI 1.1 artifact manifests list their content as `blobs`.
    #[serde(default)]
    blobs: Option<Vec<Descriptor>>,
}

/// Parses a manifest; `content_type` is the registry's `Content-Type`.
pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Manifest, String> {
    let header = content_type
        .map(|t| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty());
    if matches!(
        header.as_deref(),
        Some(DOCKER_SCHEMA1 | DOCKER_SCHEMA1_SIGNED)
    ) {
        return Ok(Manifest::Skipped("Docker schema 1".into()));
    }
    let parsed: Body = serde_json::from_slice(body).map_err(|e| format!("not a manifest: {e}"))?;
    if parsed.schema_version == Some(1) {
        return Ok(Manifest::Skipped("Docker schema 1".into()));
    }
    let kind = parsed.media_type.clone().or(header).unwrap_or_default();
    let is_index =
        kind == OCI_INDEX || kind == DOCKER_LIST || (kind.is_empty() && parsed.manifests.is_some());
    if is_index {
        let children = parsed.manifests.ok_or("an index without manifests")?;
        check_digests(&children)?;
        return Ok(Manifest::Index(children));
    }
    if kind == OCI_MANIFEST || kind == DOCKER_MANIFEST || kind.is_empty() || parsed.config.is_some()
    {
        let mut all: Vec<Descriptor> = parsed.config.into_iter().collect();
        all.extend(parsed.layers.unwrap_or_default());
        all.extend(parsed.blobs.unwrap_or_default());
        if all.is_empty() {
            return Err("an image manifest without config or layers".into());
        }
        check_digests(&all)?;
        let foreign = all.iter().filter(|d| d.is_foreign()).count();
        all.retain(|d| !d.is_foreign());
        return Ok(Manifest::Image {
            blobs: all,
            foreign,
        });
    }
    Ok(Manifest::Skipped(format!("media type {kind}")))
}

/// Only sha256 content is copied: the worker checks copies for it alone.
fn check_digests(descriptors: &[Descriptor]) -> Result<(), String> {
    for d in descriptors {
        if !is_sha256(&d.digest) {
            return Err(format!(
                "descriptor digest {:?} is not sha256:<64 hex>",
                d.digest
            ));
        }
    }
    Ok(())
}

pub fn is_sha256(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u8) -> String {
        format!("sha256:{}", format!("{n:02x}").repeat(32))
    }

    #[test]
    fn oci_index_and_docker_list_give_their_children() {
        for media in [OCI_INDEX, DOCKER_LIST] {
            let body = format!(
                r#"{{"schemaVersion":2,"mediaType":"{media}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":10,"platform":{{"os":"linux","architecture":"amd64"}}}},{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":11}}]}}"#,
                d(1),
                d(2)
            );
            let Manifest::Index(children) = parse(Some(media), body.as_bytes()).unwrap() else {
                panic!("{media}")
            };
            assert_eq!(
                children
                    .iter()
                    .map(|c| c.digest.clone())
                    .collect::<Vec<_>>(),
                [d(1), d(2)]
            );
        }
    }

    #[test]
    fn image_manifests_give_config_and_layers_without_foreign_ones() {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{}","size":100}},
               "layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"{}","size":2000}},
                         {{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":"{}","size":3000,"urls":["https://mcr.example/x"]}}]}}"#,
            d(1),
            d(2),
            d(3)
        );
        let Manifest::Image { blobs, foreign } =
            parse(Some(DOCKER_MANIFEST), body.as_bytes()).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            blobs
                .iter()
                .map(|b| (b.digest.clone(), b.size))
                .collect::<Vec<_>>(),
            [(d(1), 100), (d(2), 2000)]
        );
        assert_eq!(foreign, 1);
        // The registry's Content-Type is enough when the body has no mediaType.
        let oci = format!(
            r#"{{"schemaVersion":2,"config":{{"digest":"{}","size":1}},"layers":[]}}"#,
            d(4)
        );
        assert!(matches!(
            parse(Some(OCI_MANIFEST), oci.as_bytes()).unwrap(),
            Manifest::Image { .. }
        ));
    }

    #[test]
    fn schema_1_and_unknown_kinds_are_skipped_with_a_reason() {
        let v1 =
            br#"{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[{"blobSum":"sha256:00"}]}"#;
        assert_eq!(
            parse(Some(DOCKER_SCHEMA1_SIGNED), v1).unwrap(),
            Manifest::Skipped("Docker schema 1".into())
        );
        assert_eq!(
            parse(Some("application/json"), v1).unwrap(),
            Manifest::Skipped("Docker schema 1".into())
        );
        let other = br#"{"schemaVersion":2,"mediaType":"application/vnd.example+json"}"#;
        assert_eq!(
            parse(None, other).unwrap(),
            Manifest::Skipped("media type application/vnd.example+json".into())
        );
    }

    #[test]
    fn bad_manifests_are_errors() {
        assert!(parse(Some(OCI_MANIFEST), b"not json").is_err());
        let sha512 = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"digest":"sha512:ab","size":1}},"layers":[]}}"#
        );
        assert!(parse(None, sha512.as_bytes())
            .unwrap_err()
            .contains("sha256"));
        assert!(is_sha256(&d(9)) && !is_sha256("sha256:ABC"));
    }
}
