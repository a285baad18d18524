//! The monthly bill of one environment under a request mix: a pure
//! function of the facts the configuration gives (what is sampled, which
//! bindings exist), where each share of the mix goes (the worker's own
//! decision, cli/src/cost/mix.rs), the assumptions, and the prices.

use super::prices::Price;
use serde::Serialize;
use std::collections::BTreeMap;

/// Seconds in the model's month (30 days).
pub const MONTH_SECONDS: f64 = 30.0 * 24.0 * 3600.0;
/// Days Workers Logs keeps a log (the storage meter's retention).
pub const LOG_RETENTION_DAYS: f64 = 7.0;
/// How often each isolate reads the upstream health record (docs/operating.md).
pub const HEALTH_READ_SECONDS: f64 = 30.0;

/// Where the bytes of an answer come from, relative to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// The client is in the copy's own cloud region.
    SameRegion,
    /// The client is in another region of the copy's cloud.
    OtherRegion,
    /// Anywhere else: the copy's provider bills Internet egress.
    Internet,
}

/// A copy the worker sends clients to (or checks), by how it is billed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Copy {
    S3 {
        placement: Placement,
    },
    CloudFront,
    ArtifactRegistry {
        placement: Placement,
    },
    R2,
    /// A host the model has no prices for.
    Unpriced {
        host: String,
    },
}

/// What is sent to the client, for its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Payload {
    Blob,
    Manifest,
    TagList,
}

/// One share of the mix, as the worker decides it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Class {
    /// The mix's kind of request (`blob`, `manifest-tag`, …).
    pub kind: String,
    /// The client's cloud and region, or `unknown`.
    pub client: String,
    /// Its share of all requests (the shares add up to 1).
    pub share: f64,
    pub status: u16,
    /// Kept whatever the sample (src/serving/sampling.rs).
    pub always_kept: bool,
    /// Where the client is sent for its bytes, and what they are.
    pub served: Option<(Copy, Payload)>,
    /// The copy the blob check asks, if one is asked.
    pub checked: Option<Copy>,
}

/// How the environment is observed, as its configuration says.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Observed {
    /// Workers Logs stores logs.
    pub logs: bool,
    pub head_sampling_rate: f64,
    pub invocation_logs: bool,
    pub log_sample_rate: f64,
    /// The Analytics Engine dataset is bound: its sample rate.
    pub analytics_sample_rate: Option<f64>,
    pub rate_limit: bool,
    /// Upstream health checks on, with their KV namespace bound.
    pub health_checks: bool,
    /// Cron invocations a month.
    pub crons_per_month: f64,
}

/// What the prices need and the configuration does not say.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Assumptions {
    /// Billed CPU per request.
    pub cpu_ms: f64,
    /// Billed CPU per cron invocation (one health probe).
    pub cron_cpu_ms: f64,
    /// Bytes of one stored Workers Logs event.
    pub log_event_bytes: f64,
    pub blob_bytes: f64,
    pub manifest_bytes: f64,
    pub tag_list_bytes: f64,
    /// The share of checked blob requests whose check leaves the isolate:
    /// one Cache API lookup and, at most, one HEAD to the copy.
    pub check_share: f64,
    /// Isolates reading the health record, every 30 s, all month.
    pub isolates: f64,
    /// SQL API queries a month (dashboards, the documented queries).
    pub queries: f64,
}

/// One meter of the bill.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    pub id: String,
    pub what: String,
    /// `worker` (Cloudflare) or `copies` (where the bytes come from).
    pub group: &'static str,
    pub quantity: f64,
    pub unit: String,
    pub monthly_usd: f64,
    pub per_million_usd: f64,
    pub published: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bill {
    pub requests: f64,
    pub lines: Vec<Line>,
    pub worker_monthly_usd: f64,
    pub copies_monthly_usd: f64,
    pub total_monthly_usd: f64,
    pub worker_per_million_usd: f64,
    pub total_per_million_usd: f64,
}

/// The monthly quantity of each meter.
pub fn quantities(
    requests: f64,
    classes: &[Class],
    observed: &Observed,
    assume: &Assumptions,
) -> BTreeMap<&'static str, f64> {
    let mut q: BTreeMap<&'static str, f64> = BTreeMap::new();
    let mut add = |id: &'static str, n: f64| *q.entry(id).or_default() += n;
    let crons = observed.crons_per_month;
    add("workers_plan", 1.0);
    add("workers_requests", requests + crons);
    add(
        "workers_cpu_ms",
        requests * assume.cpu_ms + crons * assume.cron_cpu_ms,
    );

    // Per request: the share of requests each trace is written for.
    let traced = |rate: f64| -> f64 {
        classes
            .iter()
            .map(|c| c.share * if c.always_kept { 1.0 } else { rate })
            .sum()
    };
    if observed.logs {
        let head = observed.head_sampling_rate;
        let invocation = if observed.invocation_logs { 1.0 } else { 0.0 };
        // A kept invocation: its invocation log and the record line; a
        // probe: its invocation log and its summary line.
        let events = head
            * (requests * (invocation + traced(observed.log_sample_rate))
                + crons * (invocation + 1.0));
        let gb = events * assume.log_event_bytes / 1e9;
        add("logs_ingestion", gb);
        add("logs_storage", gb * LOG_RETENTION_DAYS / 30.0);
    }
    if let Some(rate) = observed.analytics_sample_rate {
        add("analytics_points", requests * traced(rate));
        add("analytics_queries", assume.queries);
    }
    if observed.rate_limit {
        add("rate_limit_calls", requests);
    }
    if observed.health_checks {
        add(
            "kv_reads",
            assume.isolates * MONTH_SECONDS / HEALTH_READ_SECONDS,
        );
        add("kv_writes", crons);
    }

    for c in classes {
        let n = requests * c.share;
        if let Some(copy) = &c.checked {
            let checks = n * assume.check_share;
            add("cache_api", checks);
            if let Some(id) = request_meter(copy) {
                add(id, checks);
            }
        }
        if let Some((copy, payload)) = &c.served {
            if let Some(id) = request_meter(copy) {
                add(id, n);
            }
            let bytes = match payload {
                Payload::Blob => assume.blob_bytes,
                Payload::Manifest => assume.manifest_bytes,
                Payload::TagList => assume.tag_list_bytes,
            };
            if let Some(id) = egress_meter(copy) {
                add(id, n * bytes / 1e9);
            }
        }
    }
    q
}

/// The meter a request to `copy` is billed on, if any.
fn request_meter(copy: &Copy) -> Option<&'static str> {
    match copy {
        Copy::S3 { .. } => Some("s3_get_requests"),
        Copy::CloudFront => Some("cloudfront_requests"),
        Copy::R2 => Some("r2_class_b"),
        Copy::ArtifactRegistry { .. } | Copy::Unpriced { .. } => None,
    }
}

/// The meter the bytes `copy` sends are billed on, if any.
fn egress_meter(copy: &Copy) -> Option<&'static str> {
    match copy {
        Copy::S3 { placement } => Some(match placement {
            Placement::SameRegion => "s3_egress_same_region",
            Placement::OtherRegion => "s3_egress_cross_region",
            Placement::Internet => "s3_egress_internet",
        }),
        Copy::CloudFront => Some("cloudfront_egress"),
        Copy::ArtifactRegistry { placement } => Some(match placement {
            Placement::SameRegion => "ar_egress_same_location",
            Placement::OtherRegion => "ar_egress_gcp_other_region",
            Placement::Internet => "ar_egress_internet",
        }),
        Copy::R2 => Some("r2_egress"),
        Copy::Unpriced { .. } => None,
    }
}

/// The meters the worker's own account pays (the rest are the copies').
const WORKER_METERS: [&str; 11] = [
    "workers_plan",
    "workers_requests",
    "workers_cpu_ms",
    "logs_ingestion",
    "logs_storage",
    "analytics_points",
    "analytics_queries",
    "rate_limit_calls",
    "cache_api",
    "kv_reads",
    "kv_writes",
];

/// The bill for `quantities`, in the price table's order.
pub fn bill(requests: f64, quantities: &BTreeMap<&'static str, f64>, prices: &[Price]) -> Bill {
    let millions = requests / 1e6;
    let lines: Vec<Line> = prices
        .iter()
        .filter_map(|p| {
            let quantity = *quantities.get(p.id.as_str())?;
            let monthly_usd = p.charge(quantity);
            Some(Line {
                id: p.id.clone(),
                what: p.what.clone(),
                group: if WORKER_METERS.contains(&p.id.as_str()) {
                    "worker"
                } else {
                    "copies"
                },
                quantity,
                unit: p.unit.clone(),
                monthly_usd,
                per_million_usd: if millions > 0.0 {
                    monthly_usd / millions
                } else {
                    0.0
                },
                published: p.published,
            })
        })
        .collect();
    let sum = |group: Option<&str>| -> f64 {
        lines
            .iter()
            .filter(|l| group.is_none_or(|g| l.group == g))
            .map(|l| l.monthly_usd)
            .sum()
    };
    let (worker, copies, total) = (sum(Some("worker")), sum(Some("copies")), sum(None));
    let per_million = |usd: f64| if millions > 0.0 { usd / millions } else { 0.0 };
    Bill {
        requests,
        worker_monthly_usd: worker,
        copies_monthly_usd: copies,
        total_monthly_usd: total,
        worker_per_million_usd: per_million(worker),
        total_per_million_usd: per_million(total),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::prices::table;

    /// 100 million blob requests to an S3 mirror in the clients' region,
    /// everything logged and written: the bill worked out by hand.
    #[test]
    fn a_bill_by_hand() {
        let classes = [Class {
            kind: "blob".into(),
            client: "AWS eu-west-3".into(),
            share: 1.0,
            status: 307,
            always_kept: false,
            served: Some((
                Copy::S3 {
                    placement: Placement::SameRegion,
                },
                Payload::Blob,
            )),
            checked: None,
        }];
        let observed = Observed {
            logs: true,
            head_sampling_rate: 1.0,
            invocation_logs: true,
            log_sample_rate: 1.0,
            analytics_sample_rate: Some(1.0),
            rate_limit: true,
            health_checks: false,
            crons_per_month: 0.0,
        };
        let assume = Assumptions {
            cpu_ms: 1.0,
            cron_cpu_ms: 0.0,
            log_event_bytes: 1_000.0,
            blob_bytes: 1e6,
            manifest_bytes: 0.0,
            tag_list_bytes: 0.0,
            check_share: 0.0,
            isolates: 0.0,
            queries: 0.0,
        };
        let q = quantities(1e8, &classes, &observed, &assume);
        let full = bill(1e8, &q, &table());
        let usd = |id: &str| full.lines.iter().find(|l| l.id == id).unwrap().monthly_usd;
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-9, "{a} != {b}");
        close(usd("workers_plan"), 5.0);
        // (100M - 10M) / 1M x $0.30
        close(usd("workers_requests"), 27.0);
        // (100M ms - 30M) / 1M x $0.02
        close(usd("workers_cpu_ms"), 1.4);
        // 2 events a request x 1,000 B = 200 GB; (200 - 50) x $0.25
        close(usd("logs_ingestion"), 37.5);
        // 200 GB x 7 / 30 = 46.67 GB-month; (46.67 - 12) x $0.10
        close(usd("logs_storage"), (200.0 * 7.0 / 30.0 - 12.0) * 0.10);
        // (100M - 10M) / 1M x $0.25
        close(usd("analytics_points"), 22.5);
        close(usd("rate_limit_calls"), 0.0);
        // 100M GETs x $0.0004 / 1,000; in-region bytes are free
        close(usd("s3_get_requests"), 40.0);
        close(usd("s3_egress_same_region"), 0.0);
        close(
            full.worker_monthly_usd,
            5.0 + 27.0 + 1.4 + 37.5 + (200.0 * 7.0 / 30.0 - 12.0) * 0.10 + 22.5,
        );
        close(full.copies_monthly_usd, 40.0);
        close(full.total_per_million_usd, full.total_monthly_usd / 100.0);

        // Sampled: lines at 1 %, points at 10 %, invocation logs off.
        let sampled = Observed {
            invocation_logs: false,
            log_sample_rate: 0.01,
            analytics_sample_rate: Some(0.1),
            ..observed
        };
        let q = quantities(1e8, &classes, &sampled, &assume);
        // 1M lines x 1,000 B = 1 GB; 10M points, all included.
        close(q["logs_ingestion"], 1.0);
        close(q["analytics_points"], 1e7);
        let cheap = bill(1e8, &q, &table());
        close(cheap.worker_monthly_usd, 5.0 + 27.0 + 1.4);

        // Kept requests are traced whatever the rates.
        let errors = [Class {
            always_kept: true,
            served: None,
            status: 400,
            ..classes[0].clone()
        }];
        let q = quantities(1e8, &errors, &sampled, &assume);
        close(q["logs_ingestion"], 100.0);
        close(q["analytics_points"], 1e8);
    }
}
