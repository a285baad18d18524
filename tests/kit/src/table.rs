//! The configuration the decision tables run on: every kind of copy and
//! upstream, each on its own host, so a Location tells where a request went.

use crate::decision::{config, FakeBlobs};
use crate::fixture::D;
use registry_edge::config::Config;

/// `UPSTREAM_REGISTRY_ENDPOINT` with `UPSTREAM_REGISTRY_PATH`.
pub const UP: &str = "https://upstream.example/v2/k8s-artifacts-prod/images";
pub const CDN: &str = "https://cdn.example";
pub const EU_WEST_3: &str = "https://eu-west-3.example";
pub const US_EAST_2: &str = "https://us-east-2.example";
pub const ME_CENTRAL_1: &str = "https://me-central-1.example";

pub fn full_config() -> Config {
    config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", "https://upstream.example/"),
        ("UPSTREAM_REGISTRY_PATH", "/k8s-artifacts-prod/images/"),
        ("SIGNATURE_UPSTREAM_ENDPOINT", "https://signatures.example"),
        ("INFO_URL", "https://info.example/about?x=1"),
        ("PRIVACY_URL", "https://privacy.example/policy/"),
        ("DEFAULT_BLOB_BASE_URL", CDN),
        (
            "BLOB_MIRRORS",
            r#"{"eu-west-3": "https://eu-west-3.example", "us-east-2": "https://us-east-2.example/",
                "me-central-1": "https://me-central-1.example", "me-south-1": "https://me-central-1.example"}"#,
        ),
        ("LEGACY_HOSTS", "k8s.gcr.io, Old.Example"),
        ("PRIMARY_HOST", "registry.k8s.io"),
    ])
}

/// A fake that has `D` everywhere.
pub fn everywhere() -> FakeBlobs {
    FakeBlobs::with(&[
        &format!("{CDN}/containers/images/{D}"),
        &format!("{EU_WEST_3}/containers/images/{D}"),
        &format!("{US_EAST_2}/containers/images/{D}"),
        &format!("{ME_CENTRAL_1}/containers/images/{D}"),
    ])
}

/// A 307 to `s`.
pub fn location(s: &str) -> (u16, Option<String>) {
    (307, Some(s.to_string()))
}
