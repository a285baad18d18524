//! The three provider formats: what is kept, and the error for malformed
//! input (which fails the build, so it must name file, entry and problem).

use range_tablegen::manifest::{Manifest, Source};
use range_tablegen::providers::{parse, ProviderData};

fn source(format: &str, cloud: &str, exclude: &[&str]) -> Source {
    let pattern = if format == "azure-service-tags" {
        r#", "link_pattern": "x*""#
    } else {
        ""
    };
    let text = format!(
        r#"{{"providers": [{{"cloud": "{cloud}", "format": "{format}", "file": "f.json",
             "url": "https://example.invalid/f.json", "exclude_regions": {exclude:?}{pattern}}}]}}"#
    );
    Manifest::parse("sources.json", &text)
        .unwrap()
        .providers
        .remove(0)
}

fn aws(text: &str) -> Result<ProviderData, String> {
    parse(
        &source("aws-ip-ranges", "AWS", &["us-south-1"]),
        "aws.json",
        text,
    )
}

fn gcp(text: &str) -> Result<ProviderData, String> {
    parse(&source("gcp-cloud", "GCP", &[]), "gcp.json", text)
}

fn azure(text: &str) -> Result<ProviderData, String> {
    parse(
        &source("azure-service-tags", "Azure", &[]),
        "azure.json",
        text,
    )
}

fn kept(data: &ProviderData) -> Vec<String> {
    data.entries
        .iter()
        .map(|e| format!("{} {}", e.net, e.region))
        .collect()
}

fn assert_error(result: Result<ProviderData, String>, parts: &[&str]) {
    let message = result.expect_err("malformed input must be rejected");
    for part in parts {
        assert!(
            message.contains(part),
            "{message:?} should mention {part:?}"
        );
    }
}

const AWS_OK: &str = r#"{"syncToken": "17", "createDate": "2026-07-29-08-27-05",
  "prefixes": [
    {"ip_prefix": "3.4.12.4/32", "region": "eu-west-1", "service": "AMAZON"},
    {"ip_prefix": "3.4.12.4/32", "region": "eu-west-1", "service": "EC2"},
    {"ip_prefix": "15.0.0.0/24", "region": "us-south-1", "service": "AMAZON"},
    {"ip_prefix": "35.55.0.0/17", "region": "GLOBAL", "service": "AMAZON"}],
  "ipv6_prefixes": [
    {"ipv6_prefix": "2600:1f01:4874::/47", "region": "us-west-2", "service": "AMAZON"}]}"#;

#[test]
fn aws_dedupes_services_and_drops_excluded_regions() {
    let data = aws(AWS_OK).unwrap();
    assert_eq!(data.sync_token, "17");
    assert_eq!(data.created, "2026-07-29-08-27-05");
    assert_eq!(data.published_entries, 5);
    assert_eq!(data.excluded_entries, 1);
    assert_eq!(
        kept(&data),
        [
            "3.4.12.4/32 eu-west-1",
            "35.55.0.0/17 GLOBAL",
            "2600:1f01:4874::/47 us-west-2"
        ]
    );
}

#[test]
fn aws_malformed() {
    assert_error(aws("{"), &["aws.json", "not a valid file"]);
    assert_error(
        aws(r#"{"syncToken": "1", "createDate": "x", "prefixes": []}"#),
        &["aws.json", "\"ipv6_prefixes\" is missing"],
    );
    let bad_prefix = AWS_OK.replace("35.55.0.0/17", "35.55.0.0/33");
    assert_error(
        aws(&bad_prefix),
        &[
            "aws.json",
            "prefixes[3]",
            "35.55.0.0/33",
            "not an IP prefix",
        ],
    );
    let v6_in_v4 = AWS_OK.replace("15.0.0.0/24", "2001:db8::/32");
    assert_error(aws(&v6_in_v4), &["prefixes[2]", "is IPv6, expected IPv4"]);
    let no_region = AWS_OK.replace(r#""region": "GLOBAL", "#, "");
    assert_error(
        aws(&no_region),
        &["prefixes[3] (35.55.0.0/17)", "\"region\" is missing"],
    );
    let empty_region = AWS_OK.replace(r#""region": "us-west-2""#, r#""region": """#);
    assert_error(
        aws(&empty_region),
        &[
            "ipv6_prefixes[0] (2600:1f01:4874::/47)",
            "\"region\" is empty",
        ],
    );
    let no_token = AWS_OK.replace(r#""syncToken": "17", "#, "");
    assert_error(aws(&no_token), &["top level", "\"syncToken\" is missing"]);
}

const GCP_OK: &str = r#"{"syncToken": "99", "creationTime": "2026-07-29T07:05:53",
  "prefixes": [
    {"ipv4Prefix": "34.1.208.0/20", "service": "Google Cloud", "scope": "africa-south1"},
    {"ipv6Prefix": "2600:1900:8000::/44", "service": "Google Cloud", "scope": "us-east1"}]}"#;

#[test]
fn gcp_uses_scope_as_region() {
    let data = gcp(GCP_OK).unwrap();
    assert_eq!(
        (data.sync_token.as_str(), data.created.as_str()),
        ("99", "2026-07-29T07:05:53")
    );
    assert_eq!(
        kept(&data),
        [
            "34.1.208.0/20 africa-south1",
            "2600:1900:8000::/44 us-east1"
        ]
    );
}

#[test]
fn gcp_malformed() {
    assert_error(gcp("[]"), &["gcp.json", "not a valid file"]);
    let both = GCP_OK.replace(
        r#""ipv4Prefix": "34.1.208.0/20","#,
        r#""ipv4Prefix": "34.1.208.0/20", "ipv6Prefix": "::/0","#,
    );
    assert_error(
        gcp(&both),
        &["prefixes[0]", "both ipv4Prefix and ipv6Prefix"],
    );
    let neither = GCP_OK.replace(r#""ipv6Prefix": "2600:1900:8000::/44","#, "");
    assert_error(
        gcp(&neither),
        &["prefixes[1]", "neither ipv4Prefix nor ipv6Prefix"],
    );
    let wrong_family = GCP_OK.replace("34.1.208.0/20", "2600::/16");
    assert_error(
        gcp(&wrong_family),
        &["prefixes[0] (2600::/16)", "expected IPv4"],
    );
    let no_scope = GCP_OK.replace(r#", "scope": "us-east1""#, "");
    assert_error(
        gcp(&no_scope),
        &["prefixes[1] (2600:1900:8000::/44)", "\"scope\" is missing"],
    );
    let garbage = GCP_OK.replace("34.1.208.0/20", "34.1.208/20");
    assert_error(
        gcp(&garbage),
        &["prefixes[0]", "\"34.1.208/20\" is not an IP prefix"],
    );
}

const AZURE_OK: &str = r#"{"changeNumber": 412, "cloud": "Public", "values": [
  {"name": "AzureCloud", "id": "AzureCloud",
   "properties": {"region": "", "addressPrefixes": ["20.0.0.0/8"]}},
  {"name": "AzureCloud.australiacentral", "id": "AzureCloud.australiacentral",
   "properties": {"region": "australiacentral", "addressPrefixes": ["20.36.32.0/19", "2603:1010:300::/47"]}},
  {"name": "AzureStorage.australiacentral", "id": "AzureStorage.australiacentral",
   "properties": {"region": "australiacentral", "addressPrefixes": ["20.60.102.0/24"]}},
  {"name": "AzureCloud.nowhere", "id": "AzureCloud.nowhere",
   "properties": {"region": "", "addressPrefixes": ["1.2.3.0/24"]}}]}"#;

#[test]
fn azure_keeps_only_regional_azurecloud_tags() {
    let data = azure(AZURE_OK).unwrap();
    assert_eq!(data.sync_token, "412");
    assert_eq!(data.created, "");
    assert_eq!(
        kept(&data),
        [
            "20.36.32.0/19 australiacentral",
            "2603:1010:300::/47 australiacentral"
        ]
    );
}

#[test]
fn azure_malformed() {
    assert_error(
        azure(r#"{"changeNumber": 1}"#),
        &["azure.json", "\"values\" is missing"],
    );
    let bad = AZURE_OK.replace("20.36.32.0/19", "20.36.32.0/19x");
    assert_error(
        azure(&bad),
        &[
            "values[1] (AzureCloud.australiacentral): properties.addressPrefixes[0]",
            "\"20.36.32.0/19x\" is not an IP prefix",
        ],
    );
    let no_list = AZURE_OK.replace(
        r#""region": "australiacentral", "addressPrefixes": ["20.36.32.0/19", "2603:1010:300::/47"]"#,
        r#""region": "australiacentral""#,
    );
    assert_error(
        azure(&no_list),
        &[
            "values[1] (AzureCloud.australiacentral)",
            "addressPrefixes\" is missing",
        ],
    );
    let no_change = AZURE_OK.replace(r#""changeNumber": 412, "#, "");
    assert_error(azure(&no_change), &["\"changeNumber\" is missing"]);
}

#[test]
fn manifest_errors_name_the_problem() {
    let err = Manifest::parse(
        "sources.json",
        r#"{"providers": [{"cloud": "IBM", "format": "gcp-cloud", "file": "a", "url": "u"}]}"#,
    )
    .unwrap_err();
    assert!(
        err.contains("sources.json") && err.contains("unknown cloud \"IBM\""),
        "{err}"
    );
    let err = Manifest::parse(
        "sources.json",
        r#"{"providers": [{"cloud": "AWS", "format": "csv", "file": "a", "url": "u"}]}"#,
    )
    .unwrap_err();
    assert!(err.contains("unknown variant `csv`"), "{err}");
}
