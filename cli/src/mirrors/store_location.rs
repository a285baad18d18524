//! Where a copy's bucket is, as a typed value: set per key with `--store
//! KEY=URL`; for a copy the worker checks through an R2 binding, that
//! binding's `[[r2_buckets]]` bucket on R2's S3 API; else derived from the
//! copy's public URL for S3 (virtual-hosted and path style). [`store_for`]
//! is the one mapping from a copy to its store.

use super::copies::Copy;
use std::fmt;

/// Where mirrors keep blobs, under a copy's base URL and under its store's
/// prefix (the worker's layout, `<base>/containers/images/<digest>`).
pub const BLOB_DIR: &str = "containers/images/";

/// The kind of store and how to reach its bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// Amazon S3 (`https://<bucket>.s3[.dualstack].<region>.amazonaws.com`,
    /// or `s3://<bucket>` with the region from `AWS_REGION`).
    S3 {
        bucket: String,
        region: Option<String>,
        dualstack: bool,
    },
    /// Any S3-compatible API at `endpoint`, bucket in the path
    /// (`http(s)://<host>[:port]/<bucket>`).
    S3PathStyle { endpoint: String, bucket: String },
    /// Cloudflare R2's S3 API: `https://<account>[.<jurisdiction>].r2.cloudflarestorage.com`.
    R2 {
        account_id: String,
        jurisdiction: Option<String>,
        bucket: String,
    },
    /// Google Cloud Storage (`gs://<bucket>`).
    Gcs { bucket: String },
    /// Azure Blob Storage (`az://<account>/<container>`, or
    /// `https://<account>.blob.core.windows.net/<container>`).
    Azure { account: String, container: String },
}

/// A bucket and the key prefix the copy's objects sit under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreLocation {
    pub kind: StoreKind,
    /// Empty, or `a/b/` (ends with `/`).
    pub prefix: String,
}

impl StoreLocation {
    /// The object key of a blob: `<prefix>containers/images/<digest>`.
    pub fn key(&self, digest: &str) -> String {
        format!("{}{BLOB_DIR}{digest}", self.prefix)
    }

    /// The prefix every blob key starts with (what a listing asks for).
    pub fn blob_prefix(&self) -> String {
        format!("{}{BLOB_DIR}", self.prefix)
    }

    /// The S3 API endpoint, for the kinds that speak it.
    pub fn s3_endpoint(&self) -> Option<String> {
        match &self.kind {
            StoreKind::S3 { .. } => None,
            StoreKind::S3PathStyle { endpoint, .. } => Some(endpoint.clone()),
            StoreKind::R2 {
                account_id,
                jurisdiction,
                ..
            } => Some(match jurisdiction {
                Some(j) => format!("https://{account_id}.{j}.r2.cloudflarestorage.com"),
                None => format!("https://{account_id}.r2.cloudflarestorage.com"),
            }),
            StoreKind::Gcs { .. } | StoreKind::Azure { .. } => None,
        }
    }
}

impl fmt::Display for StoreLocation {
    /// A URL naming the bucket (no credentials are ever part of it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = self.prefix.trim_end_matches('/');
        let slash = if prefix.is_empty() { "" } else { "/" };
        match &self.kind {
            StoreKind::S3 { bucket, region, .. } => {
                write!(f, "s3://{bucket}{slash}{prefix}")?;
                match region {
                    Some(region) => write!(f, " ({region})"),
                    None => Ok(()),
                }
            }
            StoreKind::S3PathStyle { endpoint, bucket } => {
                write!(f, "{endpoint}/{bucket}{slash}{prefix}")
            }
            StoreKind::R2 {
                account_id,
                jurisdiction,
                bucket,
            } => {
                let j = jurisdiction
                    .as_deref()
                    .map(|j| format!("{j}."))
                    .unwrap_or_default();
                write!(f, "r2://{j}{account_id}/{bucket}{slash}{prefix}")
            }
            StoreKind::Gcs { bucket } => write!(f, "gs://{bucket}{slash}{prefix}"),
            StoreKind::Azure { account, container } => {
                write!(f, "az://{account}/{container}{slash}{prefix}")
            }
        }
    }
}

/// `--store KEY=URL`, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOverride {
    pub key: String,
    pub location: StoreLocation,
}

impl std::str::FromStr for StoreOverride {
    type Err = String;
    fn from_str(text: &str) -> Result<StoreOverride, String> {
        let (key, url) = text
            .split_once('=')
            .ok_or_else(|| format!("{text:?}: expected KEY=URL (e.g. eu-west-3=s3://bucket)"))?;
        Ok(StoreOverride {
            key: key.trim().to_string(),
            location: parse_store_url(url.trim())?,
        })
    }
}

/// The environment's R2 buckets and the account they are in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct R2Account {
    /// `CLOUDFLARE_ACCOUNT_ID`.
    pub account_id: Option<String>,
    /// `[[r2_buckets]]`: (binding, bucket name).
    pub buckets: Vec<(String, String)>,
}

/// The store of `copy`: an override naming any of its keys; else, for a
/// copy checked through an R2 binding, that binding's bucket on R2's S3
/// API (an error when the account or the bucket is unknown); else what its
/// public URL says (S3 virtual-hosted or path style); else none (a CDN:
/// audited by HEAD, not writable).
pub fn store_for(
    copy: &Copy,
    overrides: &[StoreOverride],
    r2: &R2Account,
) -> Result<Option<StoreLocation>, String> {
    if let Some(o) = overrides.iter().find(|o| copy.is_named(&o.key)) {
        return Ok(Some(o.location.clone()));
    }
    if let Some(binding) = &copy.r2_binding {
        let bucket = r2
            .buckets
            .iter()
            .find(|(b, _)| b == binding)
            .map(|(_, name)| name.clone())
            .ok_or_else(|| {
                format!("its R2 binding {binding} is not in the environment's [[r2_buckets]]")
            })?;
        let account_id = r2.account_id.clone().ok_or_else(|| {
            format!("it is the R2 bucket {bucket}: set CLOUDFLARE_ACCOUNT_ID (or --store {}=r2://ACCOUNT_ID/{bucket})", copy.keys[0])
        })?;
        return Ok(Some(StoreLocation {
            kind: StoreKind::R2 {
                account_id,
                jurisdiction: None,
                bucket,
            },
            prefix: String::new(),
        }));
    }
    Ok(from_public_url(&copy.url))
}

/// A bucket read from a copy's public URL: S3 virtual-hosted
/// (`https://<bucket>.s3[.dualstack].<region>.amazonaws.com[/prefix]`) or
/// path style (`http(s)://<host>[:port]/<bucket>[/prefix]`). A URL with no
/// path and no S3 host names no bucket.
pub fn from_public_url(url: &str) -> Option<StoreLocation> {
    let (scheme, host, path) = split_url(url)?;
    let hostname = host.split(':').next().unwrap_or(host);
    if let Some(kind) = aws_virtual_hosted(hostname) {
        return Some(StoreLocation {
            kind,
            prefix: prefix_of(path),
        });
    }
    if let Some(kind) = r2_host(hostname) {
        let (bucket, rest) = first_segment(path)?;
        return Some(StoreLocation {
            kind: with_bucket(kind, bucket),
            prefix: prefix_of(rest),
        });
    }
    if let Some(account) = hostname.strip_suffix(".blob.core.windows.net") {
        let (container, rest) = first_segment(path)?;
        return Some(StoreLocation {
            kind: StoreKind::Azure {
                account: account.to_string(),
                container: container.to_string(),
            },
            prefix: prefix_of(rest),
        });
    }
    let (bucket, rest) = first_segment(path)?;
    if let Some(region) = aws_path_style_region(hostname) {
        return Some(StoreLocation {
            kind: StoreKind::S3 {
                bucket: bucket.to_string(),
                region,
                dualstack: hostname.contains(".dualstack."),
            },
            prefix: prefix_of(rest),
        });
    }
    Some(StoreLocation {
        kind: StoreKind::S3PathStyle {
            endpoint: format!("{scheme}://{host}"),
            bucket: bucket.to_string(),
        },
        prefix: prefix_of(rest),
    })
}

/// A `--store` URL: `s3://bucket[/prefix]`, `r2://account/bucket[/prefix]`,
/// `gs://bucket[/prefix]`, `az://account/container[/prefix]`, or an
/// `http(s)://` URL read as [`from_public_url`] reads one (an R2 or Azure
/// endpoint URL included).
pub fn parse_store_url(url: &str) -> Result<StoreLocation, String> {
    let bad = |why: &str| format!("store {url:?}: {why}");
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("expected s3://, r2://, gs://, az://, http:// or https://"))?;
    let (first, path) = rest.split_once('/').unwrap_or((rest, ""));
    let valid = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    let location = match scheme {
        "s3" | "gs" => {
            if !valid(first) {
                return Err(bad("no bucket name"));
            }
            let kind = if scheme == "s3" {
                StoreKind::S3 {
                    bucket: first.to_string(),
                    region: None,
                    dualstack: false,
                }
            } else {
                StoreKind::Gcs {
                    bucket: first.to_string(),
                }
            };
            StoreLocation {
                kind,
                prefix: prefix_of(path),
            }
        }
        "r2" | "az" => {
            let (second, rest) =
                first_segment(path).ok_or_else(|| bad("expected <account>/<bucket>"))?;
            if !valid(first) || !valid(second) {
                return Err(bad("expected <account>/<bucket>"));
            }
            let kind = if scheme == "r2" {
                StoreKind::R2 {
                    account_id: first.to_string(),
                    jurisdiction: None,
                    bucket: second.to_string(),
                }
            } else {
                StoreKind::Azure {
                    account: first.to_string(),
                    container: second.to_string(),
                }
            };
            StoreLocation {
                kind,
                prefix: prefix_of(rest),
            }
        }
        "http" | "https" => from_public_url(url)
            .ok_or_else(|| bad("names no bucket (give http(s)://host[:port]/<bucket>)"))?,
        _ => {
            return Err(bad(
                "expected s3://, r2://, gs://, az://, http:// or https://",
            ))
        }
    };
    Ok(location)
}

/// `(scheme, host[:port], path without the leading /)`.
fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    (!host.is_empty()).then_some((scheme, host, path))
}

fn first_segment(path: &str) -> Option<(&str, &str)> {
    let path = path.trim_start_matches('/');
    let (first, rest) = path.split_once('/').unwrap_or((path, ""));
    (!first.is_empty()).then_some((first, rest))
}

/// `a/b` -> `a/b/`; empty stays empty.
fn prefix_of(path: &str) -> String {
    let path = path.trim_matches('/');
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    }
}

/// `<bucket>.s3[.dualstack].<region>.amazonaws.com` (and the legacy
/// `<bucket>.s3-<region>.amazonaws.com`, `<bucket>.s3.amazonaws.com`).
fn aws_virtual_hosted(host: &str) -> Option<StoreKind> {
    let rest = host.strip_suffix(".amazonaws.com")?;
    let at = rest
        .rfind(".s3.")
        .map(|i| (i, i + 4))
        .or_else(|| rest.rfind(".s3-").map(|i| (i, i + 4)));
    let (bucket, tail) = match at {
        Some((i, after)) => (&rest[..i], &rest[after..]),
        None => (rest.strip_suffix(".s3")?, ""),
    };
    if bucket.is_empty() || bucket.starts_with("s3.") || bucket == "s3" {
        return None;
    }
    let dualstack = tail.starts_with("dualstack.");
    let region = tail.trim_start_matches("dualstack.");
    Some(StoreKind::S3 {
        bucket: bucket.to_string(),
        region: (!region.is_empty()).then(|| region.to_string()),
        dualstack,
    })
}

/// `s3[.dualstack].<region>.amazonaws.com` or `s3.amazonaws.com` (path
/// style on AWS): the region, if the host names one.
fn aws_path_style_region(host: &str) -> Option<Option<String>> {
    let rest = host.strip_suffix(".amazonaws.com")?;
    let rest = rest
        .strip_prefix("s3")
        .filter(|r| r.is_empty() || r.starts_with('.') || r.starts_with('-'))?;
    let region = rest
        .trim_start_matches(['.', '-'])
        .trim_start_matches("dualstack.");
    Some((!region.is_empty()).then(|| region.to_string()))
}

/// `<account>[.<jurisdiction>].r2.cloudflarestorage.com`, bucket unset.
fn r2_host(host: &str) -> Option<StoreKind> {
    let rest = host.strip_suffix(".r2.cloudflarestorage.com")?;
    let (account_id, jurisdiction) = match rest.split_once('.') {
        Some((account, j)) => (account, Some(j.to_string())),
        None => (rest, None),
    };
    Some(StoreKind::R2 {
        account_id: account_id.to_string(),
        jurisdiction,
        bucket: String::new(),
    })
}

fn with_bucket(kind: StoreKind, name: &str) -> StoreKind {
    match kind {
        StoreKind::R2 {
            account_id,
            jurisdiction,
            ..
        } => StoreKind::R2 {
            account_id,
            jurisdiction,
            bucket: name.to_string(),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mirrors::copies::CopyKey;
    use registry_edge::checks::blob::split_blob_url;

    fn s3(bucket: &str, region: Option<&str>, dualstack: bool, prefix: &str) -> StoreLocation {
        StoreLocation {
            kind: StoreKind::S3 {
                bucket: bucket.into(),
                region: region.map(Into::into),
                dualstack,
            },
            prefix: prefix.into(),
        }
    }

    #[test]
    fn production_mirror_urls_name_their_buckets() {
        assert_eq!(
            from_public_url(
                "https://prod-registry-k8s-io-us-east-2.s3.dualstack.us-east-2.amazonaws.com"
            ),
            Some(s3(
                "prod-registry-k8s-io-us-east-2",
                Some("us-east-2"),
                true,
                ""
            ))
        );
        assert_eq!(
            from_public_url("https://my.bucket.s3.eu-west-3.amazonaws.com/some/prefix/"),
            Some(s3("my.bucket", Some("eu-west-3"), false, "some/prefix/"))
        );
        assert_eq!(
            from_public_url("https://b.s3.amazonaws.com"),
            Some(s3("b", None, false, ""))
        );
        assert_eq!(
            from_public_url("https://s3.dualstack.us-west-2.amazonaws.com/bucket/p"),
            Some(s3("bucket", Some("us-west-2"), true, "p/"))
        );
    }

    #[test]
    fn path_style_urls_name_an_endpoint_and_a_bucket() {
        assert_eq!(
            from_public_url("http://127.0.0.1:9000/mirror-a"),
            Some(StoreLocation {
                kind: StoreKind::S3PathStyle {
                    endpoint: "http://127.0.0.1:9000".into(),
                    bucket: "mirror-a".into()
                },
                prefix: String::new()
            })
        );
        let r2 = from_public_url("https://acc123.eu.r2.cloudflarestorage.com/blobs/x").unwrap();
        assert_eq!(
            r2.kind,
            StoreKind::R2 {
                account_id: "acc123".into(),
                jurisdiction: Some("eu".into()),
                bucket: "blobs".into()
            }
        );
        assert_eq!(r2.prefix, "x/");
        assert_eq!(
            r2.s3_endpoint().unwrap(),
            "https://acc123.eu.r2.cloudflarestorage.com"
        );
    }

    #[test]
    fn a_cdn_without_a_path_names_no_bucket() {
        assert_eq!(
            from_public_url("https://d1be1w964nk82h.cloudfront.net"),
            None
        );
        assert_eq!(from_public_url("https://s3.us-east-1.amazonaws.com"), None);
    }

    #[test]
    fn store_urls_of_every_kind() {
        let cases = [
            ("s3://bucket", "s3://bucket"),
            ("s3://bucket/pre/fix", "s3://bucket/pre/fix"),
            (
                "r2://0123abcd/registry-blobs",
                "r2://0123abcd/registry-blobs",
            ),
            (
                "https://0123abcd.r2.cloudflarestorage.com/registry-blobs",
                "r2://0123abcd/registry-blobs",
            ),
            ("gs://k8s-artifacts", "gs://k8s-artifacts"),
            ("az://account/container/p", "az://account/container/p"),
            (
                "https://account.blob.core.windows.net/container",
                "az://account/container",
            ),
            (
                "http://127.0.0.1:9000/mirror-a",
                "http://127.0.0.1:9000/mirror-a",
            ),
        ];
        for (url, shown) in cases {
            assert_eq!(parse_store_url(url).unwrap().to_string(), shown, "{url}");
        }
        for bad in [
            "bucket",
            "ftp://x/y",
            "s3://",
            "r2://account",
            "https://cdn.example",
        ] {
            assert!(parse_store_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_override_names_a_copy_by_any_key_and_wins_over_its_url() {
        let copy = Copy {
            keys: vec![CopyKey::Default],
            url: "https://d1be1w964nk82h.cloudfront.net".into(),
            r2_binding: None,
        };
        let none = R2Account::default();
        assert_eq!(store_for(&copy, &[], &none), Ok(None));
        let o: StoreOverride = "default=r2://acc/bucket".parse().unwrap();
        assert_eq!(
            store_for(&copy, &[o], &none).unwrap().unwrap().to_string(),
            "r2://acc/bucket"
        );
        assert!("no-equals".parse::<StoreOverride>().is_err());
    }

    #[test]
    fn a_copy_checked_through_an_r2_binding_is_that_bucket_on_r2s_s3_api() {
        let copy = Copy {
            keys: vec![CopyKey::Default],
            url: "https://blobs.example".into(),
            r2_binding: Some("BLOBS".into()),
        };
        let account = R2Account {
            account_id: Some("0123abcd".into()),
            buckets: vec![
                ("OTHER".into(), "x".into()),
                ("BLOBS".into(), "registry-blobs".into()),
            ],
        };
        let store = store_for(&copy, &[], &account).unwrap().unwrap();
        assert_eq!(store.to_string(), "r2://0123abcd/registry-blobs");
        assert_eq!(
            store.s3_endpoint().unwrap(),
            "https://0123abcd.r2.cloudflarestorage.com"
        );
        assert_eq!(store.key("sha256:ab"), "containers/images/sha256:ab");
        let no_account = R2Account {
            account_id: None,
            ..account.clone()
        };
        assert!(store_for(&copy, &[], &no_account)
            .unwrap_err()
            .contains("CLOUDFLARE_ACCOUNT_ID"));
        let unbound = R2Account {
            buckets: vec![],
            ..account
        };
        assert!(store_for(&copy, &[], &unbound)
            .unwrap_err()
            .contains("[[r2_buckets]]"));
    }

    #[test]
    fn object_keys_are_the_workers_layout() {
        let digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
        let copy_url = "https://b.s3.us-east-2.amazonaws.com/pre";
        let store = from_public_url(copy_url).unwrap();
        // The worker redirects to <copy url>/containers/images/<digest>;
        // the object at that URL is the bucket's key below its prefix.
        let url = format!("https://b.s3.us-east-2.amazonaws.com/{}", store.key(digest));
        assert_eq!(split_blob_url(&url), Some((copy_url, digest)));
        assert_eq!(store.blob_prefix(), "pre/containers/images/");
    }
}
