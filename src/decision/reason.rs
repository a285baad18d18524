//! Why a redirect goes where it goes, as facts: which copy, which upstream
//! region and why it was chosen, what each check found. The reason header
//! and the log line are rendered from these ([`fmt::Display`]); the reply's
//! Cache-Control and the record read the facts themselves.

use super::upstream::UpstreamChoice;
use crate::checks::blob::Failure;
use crate::config::{CopyCheck, MirrorName};
use crate::oci::Algorithm;
use crate::places::geo::whole_km;
use crate::places::Location;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum Reason<'c> {
    LegacyHost,
    InfoPage,
    PrivacyPolicy,
    /// A manifest by a signature tag (the referrers tag schema, cosign's
    /// `.sig`, `.att`, `.sbom`): the signature upstream.
    Signature,
    /// Referrers (which list signatures): the signature upstream.
    Referrers,
    /// A manifest, tag list or referrers request to the chosen upstream.
    Upstream {
        asked: Asked,
        upstream: UpstreamChoice<'c>,
        fallback: Option<Fallback>,
    },
    /// A blob, by the client's cloud and region.
    Blob {
        client: Option<Location>,
        way: BlobWay<'c>,
    },
}

/// What an upstream-bound request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asked {
    Manifest,
    TagsList,
    Referrers,
}

/// Where a blob goes.
#[derive(Clone, Debug, PartialEq)]
pub enum BlobWay<'c> {
    /// A copy near the client has it.
    Copy(Copy<'c>),
    /// Upstream, because no copy near the client has it.
    Upstream {
        why: NotNear<'c>,
        upstream: UpstreamChoice<'c>,
        fallback: Option<Fallback>,
    },
}

/// Why no copy near the client serves a blob.
#[derive(Clone, Debug, PartialEq)]
pub enum NotNear<'c> {
    /// GCP clients are served by the upstream.
    Gcp,
    /// The configuration has no copy for this client.
    NoCopy,
    /// The copies hold sha256 objects only.
    NotSha256(Algorithm),
    /// The copy was asked, and did not say it has the blob.
    Checked { copy: Copy<'c>, miss: Miss },
}

/// A check that did not find the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Miss {
    /// The copy said it lacks it.
    Absent,
    /// The copy did not answer usefully.
    Failed(Failure),
    /// The copy refused the request the client chose (this 4xx status):
    /// as if it had not been asked.
    Rejected(u16),
    /// The copy's breaker is open: it was not asked.
    BreakerOpen,
}

/// A copy near the client.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Copy<'c> {
    pub name: CopyName<'c>,
    /// The distance to a mirror that is not the client's own region's.
    pub km: Option<f64>,
    /// How the copy is checked (an R2 bucket is named as one).
    pub checked: CheckedThrough,
}

/// How a copy is checked: an HTTP HEAD, or its R2 binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckedThrough {
    Head,
    R2Binding,
}

impl CheckedThrough {
    pub fn of(check: &CopyCheck) -> Self {
        match check {
            CopyCheck::Http => CheckedThrough::Head,
            CopyCheck::R2 { .. } => CheckedThrough::R2Binding,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyName<'c> {
    Mirror(MirrorName<'c>),
    DefaultBlobBase,
}

/// What the regional upstream said about content by digest (the
/// signature upstream fallback).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// It has it: the region is kept.
    Present,
    /// It lacks it: the request went to the signature upstream.
    Moved,
    /// It did not answer usefully: the region is kept.
    Failed(Failure),
    /// It refused the request the client chose (this 4xx status): the
    /// region is kept, as if it had not been asked.
    Rejected(u16),
    /// Its breaker is open, it was not asked: the region is kept.
    BreakerOpen,
}

impl Reason<'_> {
    /// Blob redirects depend on the client's address.
    pub fn is_per_client(&self) -> bool {
        matches!(self, Reason::Blob { .. })
    }

    /// A copy or the regional upstream failed its check, or was skipped
    /// for its open breaker, on the way to this redirect.
    pub fn copy_failed(&self) -> bool {
        let miss_failed = |miss: &Miss| matches!(miss, Miss::Failed(_) | Miss::BreakerOpen);
        let fallback_failed = |fallback: &Option<Fallback>| {
            matches!(fallback, Some(Fallback::Failed(_) | Fallback::BreakerOpen))
        };
        match self {
            Reason::Upstream { fallback, .. } => fallback_failed(fallback),
            Reason::Blob {
                way: BlobWay::Upstream { why, fallback, .. },
                ..
            } => {
                matches!(why, NotNear::Checked { miss, .. } if miss_failed(miss))
                    || fallback_failed(fallback)
            }
            _ => false,
        }
    }
}

struct Client(Option<Location>);

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(l) => write!(f, "{} {}", l.cloud, l.region),
            None => f.write_str("unknown client"),
        }
    }
}

impl fmt::Display for Copy<'_> {
    /// `eu-west-3 mirror`, `ap-east-1 mirror (nearest, 811 km)`, `default
    /// blob base`; an R2 bucket says so: `default blob base (R2)`,
    /// `ap-east-1 mirror (R2, nearest, 811 km)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name {
            CopyName::DefaultBlobBase => f.write_str("default blob base")?,
            CopyName::Mirror(name) => write!(f, "{name} mirror")?,
        }
        let r2 = self.checked == CheckedThrough::R2Binding;
        match (r2, self.km) {
            (false, None) => Ok(()),
            (true, None) => f.write_str(" (R2)"),
            (false, Some(km)) => write!(f, " (nearest, {} km)", whole_km(km)),
            (true, Some(km)) => write!(f, " (R2, nearest, {} km)", whole_km(km)),
        }
    }
}

impl fmt::Display for Asked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Asked::Manifest => "manifest",
            Asked::TagsList => "tags/list",
            Asked::Referrers => "referrers",
        })
    }
}

/// `, not there -> signature upstream` and the like, after the upstream.
struct FallbackText(Option<Fallback>);

impl fmt::Display for FallbackText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None | Some(Fallback::Present) => Ok(()),
            Some(Fallback::Moved) => f.write_str(", not there -> signature upstream"),
            Some(Fallback::Failed(failure)) => {
                write!(f, ", upstream check failed ({failure}), kept")
            }
            Some(Fallback::Rejected(status)) => {
                write!(f, ", upstream check rejected (status {status}), kept")
            }
            Some(Fallback::BreakerOpen) => f.write_str(", upstream check breaker open, kept"),
        }
    }
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::LegacyHost => f.write_str("legacy host"),
            Reason::InfoPage => f.write_str("info page"),
            Reason::PrivacyPolicy => f.write_str("privacy policy"),
            Reason::Signature => f.write_str("signature tag -> signature upstream"),
            Reason::Referrers => f.write_str("referrers -> signature upstream"),
            Reason::Upstream {
                asked,
                upstream,
                fallback,
            } => write!(f, "{asked} -> {upstream}{}", FallbackText(*fallback)),
            Reason::Blob { client, way } => {
                write!(f, "blob: {}", Client(*client))?;
                match way {
                    BlobWay::Copy(copy) => write!(f, " -> {copy}"),
                    BlobWay::Upstream {
                        why,
                        upstream,
                        fallback,
                    } => {
                        match why {
                            NotNear::Gcp => Ok(()),
                            NotNear::NoCopy => f.write_str(", no copy configured"),
                            NotNear::NotSha256(algorithm) => write!(
                                f,
                                ", {} digest, copies hold sha256 only",
                                algorithm.as_str()
                            ),
                            NotNear::Checked { copy, miss } => match miss {
                                Miss::Absent => write!(f, ", not in {copy}"),
                                Miss::Failed(failure) => {
                                    write!(f, ", {copy} failed ({failure})")
                                }
                                Miss::Rejected(status) => {
                                    write!(f, ", {copy} rejected (status {status})")
                                }
                                Miss::BreakerOpen => write!(f, ", {copy} breaker open"),
                            },
                        }?;
                        write!(f, " -> {upstream}{}", FallbackText(*fallback))
                    }
                }
            }
        }
    }
}
