//! The copies the worker redirects blobs to, read from its parsed
//! configuration: every `BLOB_MIRRORS` entry (de-duplicated by URL: several
//! keys often share one bucket) and `DEFAULT_BLOB_BASE_URL`, each a base
//! URL or an R2 bucket the worker checks through its binding. This is the
//! one place that reads them; [`super::store_location`] says where each
//! one's bucket is.

use registry_edge::config::{MirrorKey, MirrorName, Mirrors};
use registry_edge::places::Cloud;
use std::fmt;

/// The name `--mirror` and `--store` use for `DEFAULT_BLOB_BASE_URL`.
pub const DEFAULT_KEY: &str = "default";

/// What names a copy in the configuration.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CopyKey {
    /// A `BLOB_MIRRORS` key: the clients of this cloud region.
    Region(MirrorKey),
    /// `DEFAULT_BLOB_BASE_URL`.
    Default,
}

impl fmt::Display for CopyKey {
    /// As the worker names mirrors (`eu-west-3`, `azure:westeurope`), or
    /// `default`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CopyKey::Region(key) => MirrorName::of(key).fmt(f),
            CopyKey::Default => f.write_str(DEFAULT_KEY),
        }
    }
}

impl CopyKey {
    /// Whether `text` (as given to `--mirror` or `--store`) names this key:
    /// `default`, a bare AWS region, `aws:<region>` or `azure:<region>`.
    pub fn is_named(&self, text: &str) -> bool {
        let text = text.trim().to_ascii_lowercase();
        match self {
            CopyKey::Default => text == DEFAULT_KEY,
            CopyKey::Region((cloud, region)) => {
                let (label, name) = text.split_once(':').unwrap_or(("aws", &text));
                let cloud_label = match cloud {
                    Cloud::Aws => "aws",
                    Cloud::Azure => "azure",
                    Cloud::Gcp => "gcp",
                };
                label == cloud_label && name == region
            }
        }
    }
}

/// One bucket the worker sends clients to, with every key naming it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copy {
    pub keys: Vec<CopyKey>,
    /// The base URL clients download from (`<url>/containers/images/<digest>`).
    pub url: String,
    /// The `[[r2_buckets]]` binding the worker checks it through, when it
    /// is an R2 bucket.
    pub r2_binding: Option<String>,
}

impl Copy {
    pub fn is_named(&self, text: &str) -> bool {
        self.keys.iter().any(|k| k.is_named(text))
    }

    /// The keys as one label: `eu-west-3,default`.
    pub fn label(&self) -> String {
        let names: Vec<String> = self.keys.iter().map(ToString::to_string).collect();
        names.join(",")
    }
}

/// Every copy of the configuration, one per URL, in key order (mirrors by
/// cloud and region, then the default).
pub fn copies(mirrors: &Mirrors) -> Vec<Copy> {
    let named = mirrors
        .by_region
        .iter()
        .map(|(key, mirror)| (CopyKey::Region(key.clone()), &mirror.copy))
        .chain(
            mirrors
                .default_blob_base
                .as_ref()
                .map(|copy| (CopyKey::Default, copy)),
        );
    let mut copies: Vec<Copy> = Vec::new();
    for (key, blob_copy) in named {
        let binding = blob_copy.r2_binding().map(str::to_string);
        match copies.iter_mut().find(|c| c.url == blob_copy.base) {
            Some(copy) => {
                copy.keys.push(key);
                copy.r2_binding = copy.r2_binding.take().or(binding);
            }
            None => copies.push(Copy {
                keys: vec![key],
                url: blob_copy.base.clone(),
                r2_binding: binding,
            }),
        }
    }
    copies
}

/// The copies `--mirror` names (all without it), or the first name that
/// names none.
pub fn select(all: Vec<Copy>, names: &[String]) -> Result<Vec<Copy>, String> {
    if let Some(unknown) = names.iter().find(|n| !all.iter().any(|c| c.is_named(n))) {
        let known: Vec<String> = all
            .iter()
            .flat_map(|c| c.keys.iter().map(ToString::to_string))
            .collect();
        return Err(format!(
            "--mirror {unknown}: no copy has that key (the configuration's keys: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ));
    }
    if names.is_empty() {
        return Ok(all);
    }
    Ok(all
        .into_iter()
        .filter(|c| names.iter().any(|n| c.is_named(n)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use registry_edge::config::Config;
    use std::collections::BTreeMap;

    fn mirrors(vars: &[(&str, &str)]) -> Mirrors {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(|name| vars.get(name).cloned())
            .unwrap()
            .mirrors
    }

    const UPSTREAM: (&str, &str) = ("UPSTREAM_REGISTRY_ENDPOINT", "https://up.example");

    #[test]
    fn keys_sharing_a_url_are_one_copy_and_the_default_joins_its_bucket() {
        let m = mirrors(&[
            UPSTREAM,
            (
                "BLOB_MIRRORS",
                r#"{"us-east-2": "https://a.example", "us-east-1": "https://a.example/", "eu-west-3": "https://b.example", "azure:westeurope": "https://c.example"}"#,
            ),
            ("DEFAULT_BLOB_BASE_URL", "https://b.example"),
        ]);
        let all = copies(&m);
        let labels: Vec<(String, &str)> = all.iter().map(|c| (c.label(), c.url.as_str())).collect();
        assert_eq!(
            labels,
            [
                ("eu-west-3,default".to_string(), "https://b.example"),
                ("us-east-1,us-east-2".to_string(), "https://a.example"),
                ("azure:westeurope".to_string(), "https://c.example"),
            ]
        );
    }

    #[test]
    fn an_r2_copy_keeps_its_binding() {
        let m = mirrors(&[
            UPSTREAM,
            (
                "BLOB_MIRRORS",
                r#"{"eu-west-3": {"url": "https://blobs.example", "r2_binding": "BLOBS"}, "us-east-2": "https://a.example"}"#,
            ),
            (
                "DEFAULT_BLOB_BASE_URL",
                r#"{"url": "https://blobs.example", "r2_binding": "BLOBS"}"#,
            ),
        ]);
        let all = copies(&m);
        assert_eq!(all[0].label(), "eu-west-3,default");
        assert_eq!(all[0].r2_binding.as_deref(), Some("BLOBS"));
        assert_eq!(all[1].r2_binding, None);
    }

    #[test]
    fn no_mirrors_no_default_no_copies() {
        assert!(copies(&mirrors(&[UPSTREAM])).is_empty());
    }

    #[test]
    fn mirror_names_select_copies_in_every_spelling() {
        let m = mirrors(&[
            UPSTREAM,
            (
                "BLOB_MIRRORS",
                r#"{"us-east-2": "https://a.example", "azure:westeurope": "https://c.example"}"#,
            ),
            ("DEFAULT_BLOB_BASE_URL", "https://d.example"),
        ]);
        for (names, want) in [
            (vec!["us-east-2"], vec!["https://a.example"]),
            (vec!["aws:us-east-2"], vec!["https://a.example"]),
            (
                vec!["AZURE:westeurope", "default"],
                vec!["https://c.example", "https://d.example"],
            ),
            (
                vec![],
                vec![
                    "https://a.example",
                    "https://c.example",
                    "https://d.example",
                ],
            ),
        ] {
            let names: Vec<String> = names.into_iter().map(String::from).collect();
            let got: Vec<String> = select(copies(&m), &names)
                .unwrap()
                .into_iter()
                .map(|c| c.url)
                .collect();
            assert_eq!(got, want, "{names:?}");
        }
        let err = select(copies(&m), &["westeurope".to_string()]).unwrap_err();
        assert!(
            err.contains("--mirror westeurope") && err.contains("azure:westeurope"),
            "{err}"
        );
    }
}
