//! The region-aware branches, natively on the fixture tables and the
//! fixture region sites (tests/kit/src/fixture.rs):
//! - the nearest mirror of the client's cloud and partition for a region
//!   without one (`MIRROR_FALLBACK_KM`);
//! - the upstream chosen from the client's region (its own GCP region, else
//!   the nearest to its region), `request.cf` only for unplaced clients;
//! - unhealthy upstream regions skipped, failing open;
//! - referrers to the signature upstream.

use registry_edge::config::Config;
use registry_edge::decision::{Decision, Target};
use registry_edge_testkit::fixture::*;
use registry_edge_testkit::*;

const CDN: &str = "https://cdn.example";
const EU_WEST_3: &str = "https://eu-west-3.example";
const US_EAST_2: &str = "https://us-east-2.example";
const ME_CENTRAL_1: &str = "https://me-central-1.example";
const AP_EAST_1: &str = "https://ap-east-1.example";
const WESTEUROPE: &str = "https://westeurope.example";
const UP: &str = "https://upstream.example";

fn mirrors_config(extra: &[(&str, &str)]) -> Config {
    let mut vars = vec![
        ("UPSTREAM_REGISTRY_ENDPOINT", UP),
        ("DEFAULT_BLOB_BASE_URL", CDN),
        (
            "BLOB_MIRRORS",
            r#"{"eu-west-3": "https://eu-west-3.example", "aws:us-east-2": "https://us-east-2.example",
                "me-central-1": "https://me-central-1.example", "ap-east-1": "https://ap-east-1.example",
                "azure:westeurope": "https://westeurope.example"}"#,
        ),
    ];
    for (k, v) in extra {
        vars.retain(|(name, _)| name != k);
        vars.push((k, v));
    }
    fixture_config(&vars)
}

fn blob_in(base: &str) -> String {
    format!("{base}/containers/images/{D}")
}

/// Every copy has the blob.
fn everywhere() -> FakeBlobs {
    FakeBlobs::with(&[
        &blob_in(CDN),
        &blob_in(EU_WEST_3),
        &blob_in(US_EAST_2),
        &blob_in(ME_CENTRAL_1),
        &blob_in(AP_EAST_1),
        &blob_in(WESTEUROPE),
    ])
}

fn blob_decision<'c>(cfg: &'c Config, client: &str, blobs: &FakeBlobs) -> Decision<'c> {
    get(&format!("/v2/pause/blobs/{D}"))
        .from(client)
        .decide(cfg, blobs)
}

#[test]
fn regions_without_a_mirror_get_the_nearest_of_their_cloud() {
    let cfg = mirrors_config(&[]);
    // (client, copy, the mirror key it is named by, distance in the reason)
    let cases = [
        (AWS_US_EAST_1, US_EAST_2, "us-east-2", Some("484 km")),
        (AWS_EU_WEST_2, EU_WEST_3, "eu-west-3", Some("343 km")),
        (AWS_ME_SOUTH_1, ME_CENTRAL_1, "me-central-1", Some("483 km")),
        (AWS_AP_EAST_2, AP_EAST_1, "ap-east-1", Some("811 km")),
        (AWS_EU_WEST_3, EU_WEST_3, "eu-west-3", None),
        (AZURE_WESTEUROPE, WESTEUROPE, "azure:westeurope", None),
        (
            AZURE_NORTHEUROPE,
            WESTEUROPE,
            "azure:westeurope",
            Some("756 km"),
        ),
    ];
    for (client, base, name, km) in cases {
        let blobs = everywhere();
        let d = blob_decision(&cfg, client, &blobs);
        assert_eq!(answer(&d), (307, Some(blob_in(base))), "{client}");
        assert_eq!(
            *blobs.asked.borrow(),
            [blob_in(base)],
            "{client}: one check"
        );
        let Some(Target::Mirror(mirror)) = d.target() else {
            unreachable!("{client}: {d:?}")
        };
        assert_eq!(mirror.to_string(), name, "{client}");
        let reason = d.reason();
        match km {
            Some(km) => assert!(
                reason.ends_with(&format!("-> {name} mirror (nearest, {km})")),
                "{client}: {reason}"
            ),
            None => assert!(reason.ends_with(&format!("-> {name} mirror")), "{reason}"),
        }
    }
}

#[test]
fn no_nearest_mirror_across_clouds_partitions_or_beyond_the_limit() {
    let cfg = mirrors_config(&[]);
    let cases = [
        // Beijing is 1,966 km from Hong Kong, but in the aws-cn partition.
        AWS_CN_NORTH_1,
        // Boardman is 3,032 km from Columbus.
        AWS_US_WEST_2_V6,
        // Canberra: no Azure mirror within 2,000 km.
        AZURE_AUSTRALIACENTRAL,
        // Regions the sites cannot place, and AWS GLOBAL.
        AWS_UNPLACED,
        AWS_GLOBAL,
        UNKNOWN,
    ];
    for client in cases {
        let blobs = everywhere();
        let d = blob_decision(&cfg, client, &blobs);
        assert_eq!(answer(&d), (307, Some(blob_in(CDN))), "{client}");
    }
    // An Azure client is never sent to an AWS mirror, however near: Dublin
    // is 781 km from Paris.
    let aws_only = mirrors_config(&[(
        "BLOB_MIRRORS",
        r#"{"eu-west-3": "https://eu-west-3.example"}"#,
    )]);
    let d = blob_decision(&aws_only, AZURE_NORTHEUROPE, &everywhere());
    assert_eq!(answer(&d), (307, Some(blob_in(CDN))));
    // A wider limit reaches further.
    let wide = mirrors_config(&[("MIRROR_FALLBACK_KM", "3100")]);
    let d = blob_decision(&wide, AWS_US_WEST_2_V6, &everywhere());
    assert_eq!(answer(&d), (307, Some(blob_in(US_EAST_2))));
}

#[test]
fn explicit_keys_win_and_zero_turns_the_fallback_off() {
    // An explicit alias wins over the nearest mirror, even a nearer one,
    // and even across a partition (archeio's China aliases).
    let cfg = mirrors_config(&[(
        "BLOB_MIRRORS",
        r#"{"us-east-2": "https://us-east-2.example", "us-east-1": "https://eu-west-3.example",
            "ap-east-1": "https://ap-east-1.example", "cn-north-1": "https://ap-east-1.example"}"#,
    )]);
    let d = blob_decision(&cfg, AWS_US_EAST_1, &everywhere());
    assert_eq!(answer(&d), (307, Some(blob_in(EU_WEST_3))));
    let d = blob_decision(&cfg, AWS_CN_NORTH_1, &everywhere());
    assert_eq!(answer(&d), (307, Some(blob_in(AP_EAST_1))));
    assert!(
        matches!(d.target(), Some(Target::Mirror(m)) if m.to_string() == "cn-north-1"),
        "{d:?}"
    );

    // MIRROR_FALLBACK_KM = 0 is archeio's behaviour: the default CDN.
    let off = mirrors_config(&[("MIRROR_FALLBACK_KM", "0")]);
    for client in [AWS_US_EAST_1, AWS_ME_SOUTH_1, AZURE_NORTHEUROPE] {
        let d = blob_decision(&off, client, &everywhere());
        assert_eq!(answer(&d), (307, Some(blob_in(CDN))), "{client}");
    }
}

#[test]
fn a_nearest_mirror_without_the_blob_means_upstream() {
    let cfg = mirrors_config(&[]);
    let blobs = FakeBlobs::with(&[&blob_in(CDN)]);
    let d = get(&format!("/v2/pause/blobs/{D}?x=1"))
        .from(AWS_US_EAST_1)
        .decide(&cfg, &blobs);
    assert_eq!(
        answer(&d),
        (307, Some(format!("{UP}/v2/pause/blobs/{D}?x=1")))
    );
    assert_eq!(
        *blobs.asked.borrow(),
        [blob_in(US_EAST_2)],
        "the CDN is not tried"
    );
    assert!(d
        .reason()
        .starts_with("blob: AWS us-east-1, not in us-east-2 mirror (nearest, 484 km) -> upstream"));
}

const REGIONS: &str = r#"[
    {"name": "us-east4", "endpoint": "https://us-east4.example"},
    {"name": "europe-west1", "endpoint": "https://europe-west1.example"},
    {"name": "us-central1", "endpoint": "https://us-central1.example", "lat": 41.26, "lon": -95.86},
    {"name": "australia-southeast1", "endpoint": "https://australia-southeast1.example", "lat": -33.87, "lon": 151.21}
]"#;

fn regions_config() -> Config {
    fixture_config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", "https://us-central1.example"),
        ("UPSTREAM_REGIONS", REGIONS),
    ])
}

const MANIFEST: &str = "/v2/pause/manifests/3.9";

/// The region (host label) a manifest request is sent to, and the reason.
fn manifest_region(req: Req, cfg: &Config) -> (String, String) {
    let d = req.decide(cfg, &FakeBlobs::default());
    let location = d.location().expect("a redirect").to_string();
    let host = location
        .strip_prefix("https://")
        .and_then(|l| l.strip_suffix(".example/v2/pause/manifests/3.9"))
        .unwrap_or_else(|| panic!("{location}"));
    (host.to_string(), d.reason())
}

#[test]
fn the_upstream_follows_the_client_region_before_its_coordinates() {
    let cfg = regions_config();
    // Coordinates far from the region (a headquarters' geolocation) never
    // override a placed region.
    let sydney = (-33.87, 151.21);
    let cases = [
        // A GCP client in a listed region: that region.
        (
            GCP_US_EAST4,
            Some(sydney),
            "us-east4",
            "upstream us-east4 (the client's region)",
        ),
        (
            GCP_EUROPE_WEST1,
            None,
            "europe-west1",
            "upstream europe-west1 (the client's region)",
        ),
        // A GCP region not listed: the nearest to it (Singapore -> Sydney).
        (
            GCP_ASIA_SOUTHEAST1,
            None,
            "australia-southeast1",
            "upstream australia-southeast1 (nearest to GCP asia-southeast1, 6306 km)",
        ),
        // AWS and Azure clients: the nearest to their region.
        (
            AWS_US_EAST_1,
            Some(sydney),
            "us-east4",
            "upstream us-east4 (nearest to AWS us-east-1, 0 km)",
        ),
        (
            AWS_EU_WEST_3,
            None,
            "europe-west1",
            "upstream europe-west1 (nearest to AWS eu-west-3, 206 km)",
        ),
        (
            AZURE_AUSTRALIACENTRAL,
            None,
            "australia-southeast1",
            "upstream australia-southeast1 (nearest to Azure australiacentral, 247 km)",
        ),
        // Unplaced clients: request.cf's coordinates.
        (
            AWS_UNPLACED,
            Some((48.86, 2.35)),
            "europe-west1",
            "upstream europe-west1 (nearest to the client's location)",
        ),
        (
            AWS_GLOBAL,
            Some(sydney),
            "australia-southeast1",
            "upstream australia-southeast1 (nearest to the client's location)",
        ),
        (
            UNKNOWN,
            Some((40.71, -74.0)),
            "us-east4",
            "upstream us-east4 (nearest to the client's location)",
        ),
        // Neither: UPSTREAM_REGISTRY_ENDPOINT.
        (
            UNKNOWN,
            None,
            "us-central1",
            "upstream (client location unknown)",
        ),
    ];
    for (client, at, region, why) in cases {
        let mut req = get(MANIFEST).from(client);
        if let Some((lat, lon)) = at {
            req = req.at(lat, lon);
        }
        let (got, reason) = manifest_region(req, &cfg);
        assert_eq!(got, region, "{client} at {at:?}");
        assert_eq!(reason, format!("manifest -> {why}"), "{client}");
    }
}

#[test]
fn blobs_going_upstream_use_the_same_choice() {
    let cfg = fixture_config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", "https://us-central1.example"),
        ("UPSTREAM_REGIONS", REGIONS),
        (
            "BLOB_MIRRORS",
            r#"{"us-east-2": "https://us-east-2.example"}"#,
        ),
    ]);
    let cases = [
        // GCP: straight to its region's registry, no check.
        (GCP_US_EAST4, "us-east4"),
        // Nearest mirror lacks the blob: the upstream nearest the region.
        (AWS_US_EAST_1, "us-east4"),
        (AZURE_AUSTRALIACENTRAL, "australia-southeast1"),
    ];
    for (client, region) in cases {
        let d = blob_decision(&cfg, client, &FakeBlobs::default());
        assert_eq!(
            answer(&d),
            (
                307,
                Some(format!("https://{region}.example/v2/pause/blobs/{D}"))
            ),
            "{client}"
        );
    }
}

#[test]
fn unhealthy_regions_are_skipped_and_everything_fails_open() {
    let cfg = regions_config();
    let manifest = |client: &str, unhealthy: &[&str]| {
        manifest_region(get(MANIFEST).from(client).unhealthy(unhealthy), &cfg)
    };
    // Its own region down: the nearest healthy one to it.
    let (region, reason) = manifest(GCP_US_EAST4, &["us-east4"]);
    assert_eq!(region, "us-central1");
    assert_eq!(
        reason,
        "manifest -> upstream us-central1 (healthy nearest to GCP us-east4, 1578 km) [1 unhealthy skipped]"
    );
    let (region, _) = manifest(AWS_EU_WEST_3, &["europe-west1", "us-east4"]);
    assert_eq!(region, "us-central1");
    // Unknown names change nothing.
    let (region, reason) = manifest(GCP_US_EAST4, &["mars-north1"]);
    assert_eq!(
        (region.as_str(), reason.contains("skipped")),
        ("us-east4", false)
    );
    // Every region down: all eligible again.
    let all = [
        "us-east4",
        "europe-west1",
        "us-central1",
        "australia-southeast1",
    ];
    let (region, reason) = manifest(GCP_US_EAST4, &all);
    assert_eq!(region, "us-east4");
    assert!(!reason.contains("skipped"), "{reason}");
    // Unknown client, and UPSTREAM_REGISTRY_ENDPOINT is the unhealthy
    // us-central1: the first healthy region instead.
    let (region, _) = manifest(UNKNOWN, &["us-central1"]);
    assert_eq!(region, "us-east4");
    let (region, _) = manifest(UNKNOWN, &["us-east4"]);
    assert_eq!(region, "us-central1");
}

#[test]
fn referrers_go_to_the_signature_upstream_when_there_is_one() {
    let path =
        format!("/v2/sig-storage/csi/referrers/{D}?artifactType=application%2Fvnd.dev.cosign");
    let with = fixture_config(&[
        ("UPSTREAM_REGISTRY_ENDPOINT", UP),
        ("UPSTREAM_REGISTRY_PATH", "k8s-artifacts-prod/images"),
        ("SIGNATURE_UPSTREAM_ENDPOINT", "https://signatures.example"),
        ("UPSTREAM_REGIONS", REGIONS),
    ]);
    for method in ["GET", "HEAD"] {
        let d = get(&path)
            .method(method)
            .from(GCP_US_EAST4)
            .decide(&with, &FakeBlobs::default());
        assert_eq!(
            answer(&d),
            (307, Some(format!(
                "https://signatures.example/v2/k8s-artifacts-prod/images/sig-storage/csi/referrers/{D}?artifactType=application%2Fvnd.dev.cosign"
            )))
        );
        assert!(matches!(d.target(), Some(Target::SignatureUpstream { .. })));
    }
    // Without one, referrers are chosen like manifests.
    let without = regions_config();
    let d = get(&path)
        .from(GCP_US_EAST4)
        .decide(&without, &FakeBlobs::default());
    assert_eq!(
        answer(&d),
        (307, Some(format!(
            "https://us-east4.example/v2/sig-storage/csi/referrers/{D}?artifactType=application%2Fvnd.dev.cosign"
        )))
    );
}
