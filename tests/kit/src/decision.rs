//! Decision test helpers: fake existence checks, a tiny executor and
//! request/config builders.

use crate::fixture;
use registry_edge::checks::blob::BlobCheck;
use registry_edge::checks::blob::{CheckReport, CheckSource, CheckTarget, CopyKind, Outcome};
use registry_edge::checks::known_repositories::RepositoryList;
use registry_edge::config::Config;
use registry_edge::decision::{decide, Decision, Observed};
use registry_edge::places::RangeTables;
use registry_edge::request::{Coordinates, RawRequest, Request};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Knows a fixed set of copy (mirror, CDN, R2 bucket) URLs and the URLs the regional
/// upstreams lack, and records every question. A regional upstream has
/// everything else, as the real ones have all but the signature content.
#[derive(Default)]
pub struct FakeBlobs {
    pub known: HashSet<String>,
    /// Copy questions (mirrors, the CDN, R2 buckets).
    pub asked: RefCell<Vec<String>>,
    /// Regional upstream URLs answering 404.
    pub lacking: HashSet<String>,
    /// Regional upstream questions.
    pub asked_upstream: RefCell<Vec<String>>,
}

impl FakeBlobs {
    pub fn with(urls: &[&str]) -> Self {
        FakeBlobs {
            known: urls.iter().map(|u| u.to_string()).collect(),
            ..FakeBlobs::default()
        }
    }

    /// The regional upstreams lack `urls`.
    pub fn lacking(mut self, urls: &[&str]) -> Self {
        self.lacking = urls.iter().map(|u| u.to_string()).collect();
        self
    }
}

impl BlobCheck for FakeBlobs {
    async fn check(&self, target: CheckTarget<'_>) -> CheckReport {
        let url = target.url.to_string();
        match target.kind {
            CopyKind::Mirror | CopyKind::R2 { .. } => {
                self.asked.borrow_mut().push(url);
                report(self.known.contains(target.url))
            }
            CopyKind::Registry => {
                self.asked_upstream.borrow_mut().push(url);
                report(!self.lacking.contains(target.url))
            }
        }
    }
}

/// Answers every check of a mirror, the CDN or an R2 bucket with `mirror` and every
/// check of a regional registry with `registry`, from a HEAD that took
/// `ms`.
#[derive(Clone, Copy, Debug)]
pub struct Outcomes {
    pub mirror: Outcome,
    pub registry: Outcome,
    pub ms: u32,
}

impl Outcomes {
    /// The same outcome from every copy, at once.
    pub fn all(outcome: Outcome) -> Self {
        Outcomes {
            mirror: outcome,
            registry: outcome,
            ms: 0,
        }
    }
}

impl BlobCheck for Outcomes {
    async fn check(&self, target: CheckTarget<'_>) -> CheckReport {
        CheckReport {
            outcome: match target.kind {
                CopyKind::Mirror | CopyKind::R2 { .. } => self.mirror,
                CopyKind::Registry => self.registry,
            },
            source: CheckSource::Head,
            ms: self.ms,
        }
    }
}

/// Answers from a preset bit pattern (bit `n % 8` for the n-th question)
/// and records every question: the hostile-input checks drive it.
#[derive(Default)]
pub struct ScriptedBlobs {
    pub answers: Cell<u8>,
    pub asked: RefCell<Vec<String>>,
    calls: Cell<u32>,
}

impl ScriptedBlobs {
    pub fn new(answers: u8) -> Self {
        ScriptedBlobs {
            answers: Cell::new(answers),
            ..ScriptedBlobs::default()
        }
    }

    /// The questions asked since the last call.
    pub fn take_asked(&self) -> Vec<String> {
        std::mem::take(&mut *self.asked.borrow_mut())
    }
}

impl BlobCheck for ScriptedBlobs {
    async fn check(&self, target: CheckTarget<'_>) -> CheckReport {
        let n = self.calls.get();
        self.calls.set(n.wrapping_add(1));
        self.asked.borrow_mut().push(target.url.to_string());
        report(self.answers.get() >> (n % 8) & 1 == 1)
    }
}

/// A fake's answer: present or absent, from a HEAD that took no time.
pub fn report(present: bool) -> CheckReport {
    CheckReport {
        outcome: if present {
            Outcome::Present
        } else {
            Outcome::Absent
        },
        source: CheckSource::Head,
        ms: 0,
    }
}

/// Drives a future that never waits (the fake check is ready at once).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the decision waited on something other than the fake check"),
    }
}

pub fn config(vars: &[(&str, &str)]) -> Config {
    Config::from_vars(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// [`config`] with region names checked against, and placed by, the
/// fixture sites ([`fixture::SITES`]) instead of the compiled ones.
pub fn fixture_config(vars: &[(&str, &str)]) -> Config {
    let sites = fixture::region_sites(fixture::SITES);
    Config::from_vars_with_sites(
        |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        },
        &sites,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A request as the adapter reads it ([`RawRequest`], which it derefs
/// to), and what the worker observed for the decision.
#[derive(Clone)]
pub struct Req {
    pub request: RawRequest,
    /// Upstream regions the health record marks unhealthy.
    pub unhealthy: Vec<String>,
    /// The known-repositories list, if one is known.
    pub known: Option<RepositoryList>,
}

impl std::ops::Deref for Req {
    type Target = RawRequest;
    fn deref(&self) -> &RawRequest {
        &self.request
    }
}

impl std::ops::DerefMut for Req {
    fn deref_mut(&mut self) -> &mut RawRequest {
        &mut self.request
    }
}

pub fn get(target: &str) -> Req {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Req {
        request: RawRequest {
            method: "GET".into(),
            scheme: "https".into(),
            host: "registry.k8s.io".into(),
            path: path.into(),
            query: query.into(),
            ..RawRequest::default()
        },
        unhealthy: Vec::new(),
        known: None,
    }
}

impl Req {
    pub fn method(mut self, m: &str) -> Self {
        self.method = m.into();
        self
    }
    pub fn from(mut self, ip: &str) -> Self {
        self.client_ip = Some(ip.into());
        self
    }
    /// `CF-Connecting-IPv6`.
    pub fn from_v6(mut self, ip: &str) -> Self {
        self.client_ipv6 = Some(ip.into());
        self
    }
    pub fn host(mut self, h: &str) -> Self {
        self.host = h.into();
        self
    }
    pub fn scheme(mut self, s: &str) -> Self {
        self.scheme = s.into();
        self
    }
    /// The `Authorization` header.
    pub fn authorization(mut self, header: Option<&str>) -> Self {
        self.authorization = header.map(str::to_string);
        self
    }
    pub fn at(mut self, latitude: f64, longitude: f64) -> Self {
        self.coordinates = Some(Coordinates {
            latitude,
            longitude,
        });
        self
    }
    pub fn unhealthy(mut self, regions: &[&str]) -> Self {
        self.unhealthy = regions.iter().map(|r| r.to_string()).collect();
        self
    }
    /// A known-repositories list of these top-level names.
    pub fn known(mut self, repositories: &[&str]) -> Self {
        self.known = Some(known_list(repositories));
        self
    }
    /// What the worker observed, as the decision takes it.
    pub fn observed(&self) -> Observed<'_> {
        Observed {
            unhealthy_upstreams: &self.unhealthy,
            known_repositories: self.known.as_ref(),
        }
    }
    /// The request read, its client placed by the fixture client tables
    /// ([`fixture::client_tables`]).
    pub fn read(&self) -> Request<'_> {
        self.read_with(fixture::client_tables())
    }
    pub fn read_with(&self, tables: &RangeTables<'_>) -> Request<'_> {
        Request::read(&self.request, tables)
    }
    /// The decision with the fixture client tables.
    pub fn decide<'c>(&self, config: &'c Config, blobs: &impl BlobCheck) -> Decision<'c> {
        self.decide_with(fixture::client_tables(), config, blobs)
    }
    pub fn decide_with<'c>(
        &self,
        tables: &RangeTables<'_>,
        config: &'c Config,
        blobs: &impl BlobCheck,
    ) -> Decision<'c> {
        block_on(decide(
            &self.read_with(tables),
            config,
            tables,
            blobs,
            &self.observed(),
        ))
    }
}

/// A known-repositories list of these top-level names, listed at time 0.
pub fn known_list(repositories: &[&str]) -> RepositoryList {
    RepositoryList::new(repositories.iter().map(|r| r.to_string()), 0)
        .expect("a list with a valid name")
}

/// (status, Location) of a decision.
pub fn answer(d: &Decision) -> (u16, Option<String>) {
    (d.status(), d.location().map(str::to_string))
}

/// The OCI error code of a decision's reply body, if any.
pub fn oci_code(d: &Decision) -> Option<String> {
    let body: serde_json::Value = serde_json::from_str(&d.reply().body).ok()?;
    body["errors"][0]["code"].as_str().map(str::to_string)
}

/// archeio's bucket table (cmd/archeio/internal/app/buckets.go), as
/// BLOB_MIRRORS entries: one bucket per region, aliases share a URL.
pub const ARCHEIO_BUCKETS: &[(&str, &str)] = &[
    ("af-south-1", "https://prod-registry-k8s-io-af-south-1.s3.dualstack.af-south-1.amazonaws.com"),
    ("ap-east-1", "https://prod-registry-k8s-io-ap-east-1.s3.dualstack.ap-east-1.amazonaws.com"),
    ("cn-northwest-1", "https://prod-registry-k8s-io-ap-east-1.s3.dualstack.ap-east-1.amazonaws.com"),
    ("cn-north-1", "https://prod-registry-k8s-io-ap-east-1.s3.dualstack.ap-east-1.amazonaws.com"),
    ("ap-east-2", "https://prod-registry-k8s-io-ap-east-1.s3.dualstack.ap-east-1.amazonaws.com"),
    ("ap-northeast-1", "https://prod-registry-k8s-io-ap-northeast-1.s3.dualstack.ap-northeast-1.amazonaws.com"),
    ("ap-northeast-2", "https://prod-registry-k8s-io-ap-northeast-2.s3.dualstack.ap-northeast-2.amazonaws.com"),
    ("ap-northeast-3", "https://prod-registry-k8s-io-ap-northeast-3.s3.dualstack.ap-northeast-3.amazonaws.com"),
    ("ap-southeast-1", "https://prod-registry-k8s-io-ap-southeast-1.s3.dualstack.ap-southeast-1.amazonaws.com"),
    ("ap-southeast-2", "https://prod-registry-k8s-io-ap-southeast-2.s3.dualstack.ap-southeast-2.amazonaws.com"),
    ("ap-southeast-3", "https://prod-registry-k8s-io-ap-southeast-3.s3.dualstack.ap-southeast-3.amazonaws.com"),
    ("ap-southeast-4", "https://prod-registry-k8s-io-ap-southeast-4.s3.dualstack.ap-southeast-4.amazonaws.com"),
    ("ap-southeast-5", "https://prod-registry-k8s-io-ap-southeast-5.s3.dualstack.ap-southeast-5.amazonaws.com"),
    ("ap-southeast-6", "https://prod-registry-k8s-io-ap-southeast-6.s3.dualstack.ap-southeast-6.amazonaws.com"),
    ("ap-southeast-7", "https://prod-registry-k8s-io-ap-southeast-7.s3.dualstack.ap-southeast-7.amazonaws.com"),
    ("ap-south-1", "https://prod-registry-k8s-io-ap-south-1.s3.dualstack.ap-south-1.amazonaws.com"),
    ("ap-south-2", "https://prod-registry-k8s-io-ap-south-2.s3.dualstack.ap-south-2.amazonaws.com"),
    ("ca-central-1", "https://prod-registry-k8s-io-ca-central-1.s3.dualstack.ca-central-1.amazonaws.com"),
    ("ca-west-1", "https://prod-registry-k8s-io-ca-west-1.s3.dualstack.ca-west-1.amazonaws.com"),
    ("eu-central-1", "https://prod-registry-k8s-io-eu-central-1.s3.dualstack.eu-central-1.amazonaws.com"),
    ("eu-central-2", "https://prod-registry-k8s-io-eu-central-2.s3.dualstack.eu-central-2.amazonaws.com"),
    ("eu-north-1", "https://prod-registry-k8s-io-eu-north-1.s3.dualstack.eu-north-1.amazonaws.com"),
    ("eu-south-1", "https://prod-registry-k8s-io-eu-south-1.s3.dualstack.eu-south-1.amazonaws.com"),
    ("eu-south-2", "https://prod-registry-k8s-io-eu-south-2.s3.dualstack.eu-south-2.amazonaws.com"),
    ("eu-west-1", "https://prod-registry-k8s-io-eu-west-1.s3.dualstack.eu-west-1.amazonaws.com"),
    ("eu-west-2", "https://767373bbdcb8270361b96548387bf2a9ad0d48758c35-eu-west-2.s3.dualstack.eu-west-2.amazonaws.com"),
    ("eu-west-3", "https://prod-registry-k8s-io-eu-west-3.s3.dualstack.eu-west-3.amazonaws.com"),
    ("il-central-1", "https://prod-registry-k8s-io-il-central-1.s3.dualstack.il-central-1.amazonaws.com"),
    ("me-central-1", "https://prod-registry-k8s-io-me-central-1.s3.dualstack.me-central-1.amazonaws.com"),
    ("me-south-1", "https://prod-registry-k8s-io-me-central-1.s3.dualstack.me-central-1.amazonaws.com"),
    ("mx-central-1", "https://prod-registry-k8s-io-mx-central-1.s3.dualstack.mx-central-1.amazonaws.com"),
    ("sa-east-1", "https://prod-registry-k8s-io-sa-east-1.s3.dualstack.sa-east-1.amazonaws.com"),
    ("us-east-1", "https://prod-registry-k8s-io-us-east-1.s3.dualstack.us-east-1.amazonaws.com"),
    ("us-east-2", "https://prod-registry-k8s-io-us-east-2.s3.dualstack.us-east-2.amazonaws.com"),
    ("us-west-1", "https://prod-registry-k8s-io-us-west-1.s3.dualstack.us-west-1.amazonaws.com"),
    ("us-west-2", "https://prod-registry-k8s-io-us-west-2.s3.dualstack.us-west-2.amazonaws.com"),
];

/// ARCHEIO_BUCKETS as the JSON text of a BLOB_MIRRORS variable.
pub fn archeio_mirrors_json() -> String {
    let map: serde_json::Map<String, serde_json::Value> = ARCHEIO_BUCKETS
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// A named request and the (status, Location) it must get.
pub type Case = (&'static str, Req, (u16, Option<String>));
