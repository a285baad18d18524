//! The copies of blobs near clients: mirror buckets by cloud region
//! (`BLOB_MIRRORS`), the default copy (`DEFAULT_BLOB_BASE_URL`), how each
//! is checked (an HTTP HEAD, or `head()` through an R2 binding), and how
//! far a client may be sent to the nearest mirror of its cloud.

use super::values::{base_url, number};
use super::vars::Vars;
use crate::places::geo::Point;
use crate::places::ranges::find_site;
use crate::places::{Cloud, RegionSite};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

const MIRRORS: &str = "BLOB_MIRRORS";
const DEFAULT_BLOB_BASE: &str = "DEFAULT_BLOB_BASE_URL";

/// One copy of the blobs, in the GCS layout (`<base>/containers/images/<digest>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobCopy {
    /// The public base URL clients are redirected to (no trailing `/`).
    pub base: String,
    /// How the worker asks the copy whether it holds a blob.
    pub check: CopyCheck,
}

/// How a copy is asked whether it holds a blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopyCheck {
    /// `HEAD <base>/containers/images/<digest>` (a subrequest).
    Http,
    /// `head("containers/images/<digest>")` through the `[[r2_buckets]]`
    /// binding named `binding`: no HTTP request.
    R2 { binding: String },
}

impl BlobCopy {
    /// The R2 binding the copy is checked through, if it is an R2 bucket.
    pub fn r2_binding(&self) -> Option<&str> {
        match &self.check {
            CopyCheck::Http => None,
            CopyCheck::R2 { binding } => Some(binding),
        }
    }
}

pub const DEFAULT_MIRROR_FALLBACK_KM: u32 = 2000;
/// Half the Earth's circumference, rounded up: no two places are further apart.
pub const MAX_MIRROR_FALLBACK_KM: u32 = 20_040;

/// What a mirror key names: the clients of this cloud region.
pub type MirrorKey = (Cloud, String);

/// One mirror bucket, and where its key's region is.
#[derive(Clone, Debug, PartialEq)]
pub struct Mirror {
    pub copy: BlobCopy,
    /// The point the nearest mirror search measures from.
    pub point: Point,
    /// The key region's partition: mirrors serve their own partition only.
    pub partition: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mirrors {
    /// `BLOB_MIRRORS`: (cloud, region) -> mirror (aliases are more keys,
    /// same base URL).
    pub by_region: BTreeMap<MirrorKey, Mirror>,
    /// `DEFAULT_BLOB_BASE_URL`: the copy (a CDN or an R2 bucket) for blobs
    /// of other clients.
    pub default_blob_base: Option<BlobCopy>,
    /// `MIRROR_FALLBACK_KM`: a client whose region has no mirror goes to
    /// the nearest mirror of its cloud and partition within this distance;
    /// 0 turns it off.
    pub fallback_km: u32,
}

impl Mirrors {
    pub(super) fn read(vars: &Vars<'_>, sites: &[RegionSite]) -> Mirrors {
        let by_region = vars.get(MIRRORS, |v| mirrors(v, sites)).unwrap_or_default();
        let default_blob_base = vars.get(DEFAULT_BLOB_BASE, |text| {
            let copy = blob_copy(text)?;
            match by_region.values().find(|m| m.copy.base == copy.base) {
                Some(m) if m.copy.check != copy.check => Err(format!(
                    "{:?} is a BLOB_MIRRORS copy too, checked another way there",
                    copy.base
                )),
                _ => Ok(copy),
            }
        });
        Mirrors {
            by_region,
            default_blob_base,
            fallback_km: vars.get_or("MIRROR_FALLBACK_KM", DEFAULT_MIRROR_FALLBACK_KM, |v| {
                number(v, 0..=MAX_MIRROR_FALLBACK_KM)
            }),
        }
    }

    /// Every copy (each once) with the R2 binding it is checked through.
    pub fn r2_bindings(&self) -> Vec<(&BlobCopy, &str)> {
        let mut found: Vec<(&BlobCopy, &str)> = Vec::new();
        let copies = self.by_region.values().map(|m| &m.copy);
        for copy in copies.chain(self.default_blob_base.as_ref()) {
            if let Some(binding) = copy.r2_binding() {
                if !found.iter().any(|(c, _)| *c == copy) {
                    found.push((copy, binding));
                }
            }
        }
        found
    }
}

/// `DEFAULT_BLOB_BASE_URL`: a base URL, or a table (TOML, or a JSON string
/// holding one) `{ url = "...", r2_binding = "..." }`.
fn blob_copy(text: &str) -> Result<BlobCopy, String> {
    let raw = if text.starts_with('{') {
        serde_json::from_str(text)
            .map_err(|e| format!("expected a base URL or {COPY_TABLE}: {e}"))?
    } else {
        RawCopy::Url(text.to_string())
    };
    raw.parse()
}

/// The table `"<cloud>:<region>" = <copy>`, each copy as
/// [`blob_copy`] reads it.
fn mirrors(text: &str, sites: &[RegionSite]) -> Result<BTreeMap<MirrorKey, Mirror>, String> {
    let raw: BTreeMap<String, RawCopy> = serde_json::from_str(text).map_err(|e| {
        format!("expected a table of \"<cloud>:<region>\" = \"base URL\" or {COPY_TABLE}: {e}")
    })?;
    let mut mirrors: BTreeMap<MirrorKey, Mirror> = BTreeMap::new();
    for (key, value) in raw {
        let (parsed, site) = mirror_key(&key, sites)?;
        let copy = value.parse().map_err(|p| format!("key {key:?}: {p}"))?;
        if let Some((other, _)) = mirrors
            .iter()
            .find(|(_, m)| m.copy.base == copy.base && m.copy.check != copy.check)
        {
            return Err(format!(
                "key {key:?}: {:?} is key {}'s copy too, checked another way there",
                copy.base,
                MirrorName::of(other)
            ));
        }
        let mirror = Mirror {
            copy,
            point: Point::new(site.lat, site.lon),
            partition: site.partition,
        };
        if mirrors.insert(parsed, mirror).is_some() {
            return Err(format!("key {key:?} names a region given twice"));
        }
    }
    Ok(mirrors)
}

/// How the table form of a copy is written, for messages.
const COPY_TABLE: &str = "a table { url = \"base URL\", r2_binding = \"BINDING\" }";

/// A copy as written: a base URL, or the table form.
enum RawCopy {
    Url(String),
    Table {
        url: Option<String>,
        r2_binding: Option<String>,
    },
}

impl RawCopy {
    fn parse(self) -> Result<BlobCopy, String> {
        let (url, binding) = match self {
            RawCopy::Url(url) => (url, None),
            RawCopy::Table { url, r2_binding } => (
                url.ok_or_else(|| format!("{COPY_TABLE} needs its url"))?,
                r2_binding,
            ),
        };
        let base = base_url(url.trim())?;
        let check = match binding {
            None => CopyCheck::Http,
            Some(binding) if is_binding_name(&binding) => CopyCheck::R2 { binding },
            Some(binding) => {
                return Err(format!(
                    "r2_binding {binding:?} is not a binding name (letters, digits and _, \
                     not starting with a digit)"
                ))
            }
        };
        Ok(BlobCopy { base, check })
    }
}

/// A name wrangler accepts for a binding: a JavaScript identifier of
/// ASCII letters, digits, `_` and `$`.
fn is_binding_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b'$')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
}

// By hand rather than derived: an untagged enum would pull serde's
// buffering machinery into the wasm, and name no field in its errors.
impl<'de> Deserialize<'de> for RawCopy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawCopyVisitor)
    }
}

struct RawCopyVisitor;

impl<'de> Visitor<'de> for RawCopyVisitor {
    type Value = RawCopy;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a base URL or {COPY_TABLE}")
    }

    fn visit_str<E: de::Error>(self, url: &str) -> Result<RawCopy, E> {
        Ok(RawCopy::Url(url.to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawCopy, A::Error> {
        let (mut url, mut r2_binding) = (None, None);
        while let Some(field) = map.next_key::<String>()? {
            match field.as_str() {
                "url" => url = Some(map.next_value()?),
                "r2_binding" => r2_binding = Some(map.next_value()?),
                other => return Err(de::Error::unknown_field(other, &["url", "r2_binding"])),
            }
        }
        Ok(RawCopy::Table { url, r2_binding })
    }
}

/// Parses one key (`aws:eu-west-3`, `azure:westeurope`, or a bare region,
/// which means AWS), checking that its region is a placed region of its
/// cloud (a typo would otherwise never match a client).
fn mirror_key<'s>(
    key: &str,
    sites: &'s [RegionSite],
) -> Result<(MirrorKey, &'s RegionSite), String> {
    let key = key.trim();
    let (cloud, region) = match key.split_once(':') {
        None => (Cloud::Aws, key),
        Some((label, region)) => {
            let cloud = match label.to_ascii_lowercase().as_str() {
                "aws" => Cloud::Aws,
                "azure" => Cloud::Azure,
                "gcp" => {
                    return Err(format!(
                        "key {key:?}: GCP clients are served by the upstream (UPSTREAM_REGIONS), not by mirrors"
                    ))
                }
                _ => {
                    return Err(format!(
                        "key {key:?}: unknown cloud {label:?} (expected aws: or azure:, or a bare AWS region)"
                    ))
                }
            };
            (cloud, region)
        }
    };
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(format!("key {key:?}: {region:?} is not a region name"));
    }
    let Some(site) = find_site(sites, cloud, region) else {
        return Err(format!(
            "key {key:?}: {cloud} {region} is not a region of ranges/regions.txt"
        ));
    };
    Ok(((cloud, region.to_string()), site))
}

/// How a mirror is named in reasons, records and the status page: the bare
/// region for AWS (as archeio names its buckets), `azure:<region>` for Azure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MirrorName<'c> {
    pub cloud: Cloud,
    pub region: &'c str,
}

impl<'c> MirrorName<'c> {
    pub fn of(key: &'c MirrorKey) -> Self {
        MirrorName {
            cloud: key.0,
            region: &key.1,
        }
    }
}

impl fmt::Display for MirrorName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cloud {
            Cloud::Aws => f.write_str(self.region),
            other => write!(f, "{}:{}", other.as_str().to_ascii_lowercase(), self.region),
        }
    }
}
