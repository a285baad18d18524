//! Blobs (docs/request-handling.md, "Blobs and their copies"): by the
//! client's cloud and region to a mirror, the CDN or upstream, what is
//! checked, and a reason that tells absent from failed.

use registry_edge::checks::blob::{Failure, Outcome};
use registry_edge::decision::REASON_HEADER;
use registry_edge_testkit::fixture::*;
use registry_edge_testkit::table::*;
use registry_edge_testkit::*;

#[test]
fn blobs_by_client_location() {
    let cfg = full_config();
    let up = format!("{UP}/pause/blobs/{D}");
    let mirror = |base: &str| format!("{base}/containers/images/{D}");
    let cases = [
        // AWS with a mirror that has the blob.
        (AWS_EU_WEST_3, mirror(EU_WEST_3)),
        // A regional /24 inside a GLOBAL /17 is that region.
        (AWS_US_EAST_2, mirror(US_EAST_2)),
        (AWS_US_EAST_2_LAST, mirror(US_EAST_2)),
        // AWS IPv4-mapped IPv6 is the IPv4 client.
        (AWS_EU_WEST_3_MAPPED, mirror(EU_WEST_3)),
        // AWS GLOBAL, AWS without a mirror (IPv6 us-west-2), Azure, unknown.
        (AWS_GLOBAL, mirror(CDN)),
        (AWS_US_WEST_2_V6, mirror(CDN)),
        (AWS_AP_SOUTHEAST_3_V6, mirror(CDN)),
        (AZURE_AUSTRALIACENTRAL, mirror(CDN)),
        (UNKNOWN, mirror(CDN)),
        ("::1", mirror(CDN)),
        // Garbage is unknown, never an error.
        (&format!("{AWS_EU_WEST_3}:443"), mirror(CDN)),
        (&format!("{AWS_EU_WEST_3}, 10.0.0.1"), mirror(CDN)),
        ("", mirror(CDN)),
        ("not an address", mirror(CDN)),
        // GCP stays in GCP.
        (GCP_EUROPE_WEST1, up.clone()),
    ];
    for (client, want) in cases {
        let blobs = everywhere();
        let d = get(&format!("/v2/pause/blobs/{D}"))
            .from(client)
            .decide(&cfg, &blobs);
        assert_eq!(answer(&d), location(&want), "client {client:?}");
        let asked = blobs.asked.borrow();
        if want == up {
            assert!(asked.is_empty(), "GCP clients are not checked");
        } else {
            assert_eq!(
                *asked,
                vec![want.clone()],
                "exactly the candidate is checked"
            );
        }
    }
    // No CF-Connecting-IP at all.
    let blobs = everywhere();
    assert_eq!(
        answer(&get(&format!("/v2/pause/blobs/{D}")).decide(&cfg, &blobs)),
        location(&mirror(CDN))
    );
}

#[test]
fn blob_aliases_and_fallbacks() {
    let cfg = full_config();
    // me-south-1 (Bahrain) is an alias of the me-central-1 bucket.
    let blobs = everywhere();
    let d = get(&format!("/v2/pause/blobs/{D}"))
        .from(AWS_ME_SOUTH_1)
        .decide(&cfg, &blobs);
    assert_eq!(
        answer(&d),
        location(&format!("{ME_CENTRAL_1}/containers/images/{D}"))
    );

    // Missing in the mirror: upstream (the default CDN is not tried).
    let blobs = FakeBlobs::with(&[&format!("{CDN}/containers/images/{D}")]);
    let d = get(&format!("/v2/pause/blobs/{D}?q=1"))
        .from(AWS_EU_WEST_3)
        .decide(&cfg, &blobs);
    assert_eq!(answer(&d), location(&format!("{UP}/pause/blobs/{D}?q=1")));
    assert_eq!(blobs.asked.borrow().len(), 1);

    // Missing in the CDN: upstream.
    let blobs = FakeBlobs::default();
    let d = get(&format!("/v2/pause/blobs/{D}"))
        .from(UNKNOWN)
        .decide(&cfg, &blobs);
    assert_eq!(answer(&d), location(&format!("{UP}/pause/blobs/{D}")));

    // No DEFAULT_BLOB_BASE_URL: upstream without asking anyone.
    let cfg = config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", "https://upstream.example"),
        (
            "BLOB_MIRRORS",
            r#"{"eu-west-3": "https://eu-west-3.example"}"#,
        ),
    ]);
    let blobs = everywhere();
    let d = get(&format!("/v2/pause/blobs/{D}"))
        .from(AZURE_AUSTRALIACENTRAL)
        .decide(&cfg, &blobs);
    assert_eq!(
        answer(&d),
        location(&format!("https://upstream.example/v2/pause/blobs/{D}"))
    );
    assert!(blobs.asked.borrow().is_empty());
}

/// Mirrors hold sha256 blobs only; any other algorithm
/// goes upstream without a check.
#[test]
fn only_sha256_blobs_are_checked() {
    let cfg = full_config();
    let sha512 = format!("sha512:{}{}", &D[7..], &D[7..]);
    for client in [AWS_EU_WEST_3, UNKNOWN] {
        let blobs = FakeBlobs::with(&[
            &format!("{EU_WEST_3}/containers/images/{sha512}"),
            &format!("{CDN}/containers/images/{sha512}"),
        ]);
        let d = get(&format!("/v2/pause/blobs/{sha512}?x=1"))
            .from(client)
            .decide(&cfg, &blobs);
        assert_eq!(
            answer(&d),
            location(&format!("{UP}/pause/blobs/{sha512}?x=1")),
            "{client}"
        );
        assert!(blobs.asked.borrow().is_empty(), "{client}: checked");
        assert!(d.reason().contains("sha512"), "{}", d.reason());
    }
}

/// The reason says whether the copy had the blob, did
/// not, failed (and why), or was skipped by its breaker.
#[test]
fn the_reason_tells_absent_from_failed() {
    let cfg = full_config();
    let cases = [
        (
            AWS_EU_WEST_3,
            Outcome::Present,
            "blob: AWS eu-west-3 -> eu-west-3 mirror",
        ),
        (
            AWS_EU_WEST_3,
            Outcome::Absent,
            "blob: AWS eu-west-3, not in eu-west-3 mirror -> upstream",
        ),
        (
            AWS_EU_WEST_3,
            Outcome::Failed(Failure::Timeout),
            "blob: AWS eu-west-3, eu-west-3 mirror failed (timeout) -> upstream",
        ),
        (
            AWS_EU_WEST_3,
            Outcome::Failed(Failure::Status(503)),
            "blob: AWS eu-west-3, eu-west-3 mirror failed (status 503) -> upstream",
        ),
        (
            AWS_EU_WEST_3,
            Outcome::Failed(Failure::Network),
            "blob: AWS eu-west-3, eu-west-3 mirror failed (network error) -> upstream",
        ),
        (
            AWS_EU_WEST_3,
            Outcome::BreakerOpen,
            "blob: AWS eu-west-3, eu-west-3 mirror breaker open -> upstream",
        ),
        (
            UNKNOWN,
            Outcome::Failed(Failure::Timeout),
            "blob: unknown client, default blob base failed (timeout) -> upstream",
        ),
        (
            UNKNOWN,
            Outcome::BreakerOpen,
            "blob: unknown client, default blob base breaker open -> upstream",
        ),
    ];
    for (client, outcome, reason) in cases {
        let req = get(&format!("/v2/pause/blobs/{D}")).from(client);
        // The regional upstream has everything.
        let copies = Outcomes {
            mirror: outcome,
            registry: Outcome::Present,
            ms: 0,
        };
        let d = req.decide(&cfg, &copies);
        assert_eq!(d.reason(), reason, "{outcome:?}");
        assert!(d
            .reply()
            .headers
            .contains(&(REASON_HEADER, reason.to_string())));
        let upstream = outcome != Outcome::Present;
        assert_eq!(
            d.location().unwrap().starts_with(UP),
            upstream,
            "{outcome:?}: {d:?}"
        );
    }
}

/// Answers every copy check with one outcome and records how each copy
/// was asked: the R2 binding's name, or `None` for an HTTP HEAD.
struct AskedThrough {
    outcome: Outcome,
    asked: std::cell::RefCell<Vec<(String, Option<String>)>>,
}

impl registry_edge::checks::blob::BlobCheck for AskedThrough {
    async fn check(
        &self,
        target: registry_edge::checks::blob::CheckTarget<'_>,
    ) -> registry_edge::checks::blob::CheckReport {
        use registry_edge::checks::blob::{CheckReport, CopyKind};
        let binding = match target.kind {
            CopyKind::R2 { binding } => Some(binding.to_string()),
            CopyKind::Mirror | CopyKind::Registry => None,
        };
        self.asked
            .borrow_mut()
            .push((target.url.to_string(), binding));
        CheckReport {
            outcome: self.outcome,
            source: target.kind.asked_by(),
            ms: 0,
        }
    }
}

/// A copy in R2 is checked through its binding and sent to by its public
/// URL; the reason names it as an R2 copy, whatever the check found. A
/// string-valued copy beside it is still checked with a HEAD.
#[test]
fn an_r2_copy_is_checked_through_its_binding_and_named_in_the_reason() {
    let cfg = config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", "https://upstream.example"),
        (
            "DEFAULT_BLOB_BASE_URL",
            r#"{"url": "https://blobs.example", "r2_binding": "R2_BLOBS"}"#,
        ),
        (
            "BLOB_MIRRORS",
            r#"{"eu-west-3": {"url": "https://eu-blobs.example", "r2_binding": "R2_EU"},
                "me-central-1": {"url": "https://me-blobs.example", "r2_binding": "R2_ME"},
                "us-east-2": "https://us-east-2.example"}"#,
        ),
    ]);
    let blob = |base: &str| format!("{base}/containers/images/{D}");
    let up = format!("https://upstream.example/v2/pause/blobs/{D}");
    let cases = [
        (
            UNKNOWN,
            Outcome::Present,
            "blob: unknown client -> default blob base (R2)",
            blob("https://blobs.example"),
            Some("R2_BLOBS"),
        ),
        (
            UNKNOWN,
            Outcome::Absent,
            "blob: unknown client, not in default blob base (R2) -> upstream",
            up.clone(),
            Some("R2_BLOBS"),
        ),
        (
            UNKNOWN,
            Outcome::Failed(Failure::Binding),
            "blob: unknown client, default blob base (R2) failed (binding error) -> upstream",
            up.clone(),
            Some("R2_BLOBS"),
        ),
        (
            UNKNOWN,
            Outcome::Failed(Failure::Unbound),
            "blob: unknown client, default blob base (R2) failed (binding missing) -> upstream",
            up.clone(),
            Some("R2_BLOBS"),
        ),
        (
            UNKNOWN,
            Outcome::BreakerOpen,
            "blob: unknown client, default blob base (R2) breaker open -> upstream",
            up.clone(),
            Some("R2_BLOBS"),
        ),
        (
            AWS_EU_WEST_3,
            Outcome::Present,
            "blob: AWS eu-west-3 -> eu-west-3 mirror (R2)",
            blob("https://eu-blobs.example"),
            Some("R2_EU"),
        ),
        (
            AWS_ME_SOUTH_1,
            Outcome::Present,
            "blob: AWS me-south-1 -> me-central-1 mirror (R2, nearest, 483 km)",
            blob("https://me-blobs.example"),
            Some("R2_ME"),
        ),
        (
            AWS_US_EAST_2,
            Outcome::Present,
            "blob: AWS us-east-2 -> us-east-2 mirror",
            blob("https://us-east-2.example"),
            None,
        ),
    ];
    for (client, outcome, reason, location_want, binding) in cases {
        let copies = AskedThrough {
            outcome,
            asked: Default::default(),
        };
        let d = get(&format!("/v2/pause/blobs/{D}"))
            .from(client)
            .decide(&cfg, &copies);
        assert_eq!(d.reason(), reason, "{client} {outcome:?}");
        assert_eq!(d.location(), Some(location_want.as_str()), "{reason}");
        let asked = copies.asked.borrow();
        assert_eq!(asked.len(), 1, "{reason}");
        assert_eq!(asked[0].1.as_deref(), binding, "{reason}");
        let source = d
            .redirect()
            .and_then(|r| r.check)
            .map(|c| c.source.as_str());
        // The record's `check`: which kind of check answered.
        assert_eq!(source, Some(binding.map_or("head", |_| "r2")), "{reason}");
    }
}
