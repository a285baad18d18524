//! The walk over a scripted registry: Artifact Registry's listing and a
//! distribution registry's catalog, pages, shared manifests, failures.

use super::*;
use std::collections::HashMap;

fn d(n: u32) -> String {
    format!("sha256:{n:064x}")
}

#[derive(Default)]
struct Fake {
    pages: HashMap<String, (String, Option<String>)>,
    manifests: HashMap<(String, String), String>,
    broken: HashSet<String>,
    unreachable: bool,
    requests: Mutex<Vec<String>>,
}

impl Fake {
    fn page(mut self, target: &str, body: &str, next: Option<&str>) -> Self {
        self.pages
            .insert(target.into(), (body.into(), next.map(Into::into)));
        self
    }
    fn manifest(mut self, repo: &str, reference: &str, body: &str) -> Self {
        self.manifests
            .insert((repo.into(), reference.into()), body.into());
        self
    }
}

impl Source for Fake {
    async fn page(&self, target: &str) -> Result<Option<Page>, FetchError> {
        self.requests.lock().unwrap().push(target.to_string());
        if self.unreachable {
            return Err(FetchError {
                message: "connection refused".into(),
                unreachable: true,
            });
        }
        if self.broken.iter().any(|b| target.contains(b.as_str())) {
            return Err(FetchError {
                message: "500 after 5 tries".into(),
                unreachable: false,
            });
        }
        Ok(self.pages.get(target).map(|(body, next)| Page {
            body: Bytes::from(body.clone()),
            next: next.clone(),
        }))
    }
    async fn manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<FetchedManifest, FetchError> {
        self.requests
            .lock()
            .unwrap()
            .push(format!("{repository}@{reference}"));
        match self
            .manifests
            .get(&(repository.to_string(), reference.to_string()))
        {
            Some(body) => Ok(FetchedManifest {
                content_type: None,
                body: Bytes::from(body.clone()),
            }),
            None => Err(FetchError {
                message: "404 MANIFEST_UNKNOWN".into(),
                unreachable: false,
            }),
        }
    }
}

fn image(config: u32, layers: &[(u32, u64)]) -> String {
    let layers: Vec<String> = layers
        .iter()
        .map(|(n, size)| format!(r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":{size}}}"#, d(*n)))
        .collect();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":10}},"layers":[{}]}}"#,
        d(config),
        layers.join(",")
    )
}

fn index(children: &[&str]) -> String {
    let m: Vec<String> = children
        .iter()
        .map(|c| {
            let digest = format!("sha256:{:x}", Sha256::digest(c.as_bytes()));
            format!(r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{digest}","size":{}}}"#, c.len())
        })
        .collect();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
        m.join(",")
    )
}

fn digest_of(body: &str) -> String {
    format!("sha256:{:x}", Sha256::digest(body.as_bytes()))
}

async fn run(fake: &Fake, path: &str, repos: &[&str]) -> Result<Inventory, Unlistable> {
    let repos: Vec<String> = repos.iter().map(|r| r.to_string()).collect();
    walk(fake, path, &repos, &|_| {}).await
}

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn artifact_registry_children_recursively_and_untagged_manifests() {
    let amd = image(1, &[(2, 200), (3, 300)]);
    let arm = image(4, &[(2, 200), (5, 500)]);
    let idx = index(&[&amd, &arm]);
    let untagged = image(6, &[(7, 700)]);
    let fake = Fake::default()
        .page("/v2/p/tags/list?n=1000", r#"{"child":["pause","sub"],"manifest":{},"tags":[]}"#, None)
        .page(
            "/v2/p/pause/tags/list?n=1000",
            &format!(r#"{{"child":[],"manifest":{{"{}":{{"tag":["3.10"]}},"{}":{{"tag":[]}}}},"tags":["3.10"]}}"#, digest_of(&idx), digest_of(&untagged)),
            None,
        )
        .page("/v2/p/sub/tags/list?n=1000", r#"{"child":["deeper"],"manifest":{},"tags":[]}"#, None)
        .page("/v2/p/sub/deeper/tags/list?n=1000", &format!(r#"{{"child":[],"manifest":{{"{}":{{}}}},"tags":[]}}"#, digest_of(&amd)), None)
        .manifest("p/pause", &digest_of(&idx), &idx)
        .manifest("p/pause", &digest_of(&amd), &amd)
        .manifest("p/pause", &digest_of(&arm), &arm)
        .manifest("p/pause", &digest_of(&untagged), &untagged)
        .manifest("p/sub/deeper", &digest_of(&amd), &amd);
    let inv = block_on(run(&fake, "p", &[])).unwrap();
    assert_eq!(inv.repositories, ["p", "p/pause", "p/sub", "p/sub/deeper"]);
    assert_eq!(
        inv.blobs.keys().cloned().collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6, 7].map(d)
    );
    assert_eq!(
        inv.blobs[&d(5)],
        Blob {
            size: 500,
            repository: "p/pause".into()
        }
    );
    assert_eq!(inv.bytes(), 10 * 3 + 200 + 300 + 500 + 700);
    // The index, both platforms and the untagged image: each fetched once,
    // although p/sub/deeper names the amd64 one again.
    assert_eq!(inv.manifests, 4);
    let requests = fake.requests.lock().unwrap();
    assert!(
        !requests.iter().any(|r| r.contains("_catalog")),
        "{requests:?}"
    );
    assert!(
        !requests.iter().any(|r| r.starts_with("p/sub/deeper@")),
        "{requests:?}"
    );
    assert!(inv.failed.is_empty(), "{:?}", inv.failed);
}

#[test]
fn a_registry_without_children_is_walked_through_its_catalog_in_pages() {
    let one = image(1, &[(2, 20)]);
    let two = image(3, &[(2, 20), (4, 40)]);
    let fake = Fake::default()
        .page(
            "/v2/_catalog?n=1000",
            r#"{"repositories":["other/x","p/a"]}"#,
            Some("/v2/_catalog?last=p%2Fa&n=1000"),
        )
        .page(
            "/v2/_catalog?last=p%2Fa&n=1000",
            r#"{"repositories":["p/b/c","pe"]}"#,
            None,
        )
        .page(
            "/v2/p/a/tags/list?n=1000",
            r#"{"name":"p/a","tags":["v1"]}"#,
            Some("/v2/p/a/tags/list?last=v1&n=1000"),
        )
        .page(
            "/v2/p/a/tags/list?last=v1&n=1000",
            r#"{"name":"p/a","tags":["v2"]}"#,
            None,
        )
        .page(
            "/v2/p/b/c/tags/list?n=1000",
            r#"{"name":"p/b/c","tags":["latest","v1"]}"#,
            None,
        )
        .manifest("p/a", "v1", &one)
        .manifest("p/a", "v2", &two)
        .manifest("p/b/c", "latest", &one)
        // The same tag in another repository is another manifest.
        .manifest("p/b/c", "v1", &image(5, &[(6, 60)]));
    let inv = block_on(run(&fake, "p", &[])).unwrap();
    assert_eq!(inv.repositories, ["p/a", "p/b/c"]);
    assert_eq!(
        inv.blobs.keys().cloned().collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6].map(d)
    );
    assert_eq!(inv.manifests, 3);
    assert!(inv.failed.is_empty());
}

#[test]
fn repository_names_select_a_repository_and_its_nested_ones() {
    let one = image(1, &[(2, 20)]);
    let fake = Fake::default()
        .page(
            "/v2/_catalog?n=1000",
            r#"{"repositories":["p/a","p/a/nested","p/ab","p/b"]}"#,
            None,
        )
        .page("/v2/p/a/tags/list?n=1000", r#"{"tags":["v1"]}"#, None)
        .page(
            "/v2/p/a/nested/tags/list?n=1000",
            r#"{"tags":["v1"]}"#,
            None,
        )
        .manifest("p/a", "v1", &one)
        .manifest("p/a/nested", "v1", &one);
    let inv = block_on(run(&fake, "p", &["a"])).unwrap();
    assert_eq!(inv.repositories, ["p/a", "p/a/nested"]);
    // A name nested in another one given is walked once.
    let both = block_on(run(&fake, "p", &["a", "a/nested"])).unwrap();
    assert_eq!(both.repositories, ["p/a", "p/a/nested"]);
    assert_eq!(both.failed, []);
    let none = block_on(run(&fake, "p", &["zzz"])).unwrap();
    assert_eq!(
        none.failed,
        [RepositoryFailure {
            repository: "p/zzz".into(),
            error: "no such repository upstream".into()
        }]
    );
}

#[test]
fn a_failing_repository_is_reported_and_the_walk_goes_on() {
    let one = image(1, &[(2, 20)]);
    let mut fake = Fake::default()
        .page(
            "/v2/_catalog?n=1000",
            r#"{"repositories":["p/bad","p/good","p/gone"]}"#,
            None,
        )
        .page(
            "/v2/p/good/tags/list?n=1000",
            r#"{"tags":["v1","missing"]}"#,
            None,
        )
        .manifest("p/good", "v1", &one)
        .manifest("p/good", "schema1", r#"{"schemaVersion":1,"fsLayers":[]}"#);
    fake.broken.insert("/v2/p/bad/".into());
    let inv = block_on(run(&fake, "p", &[])).unwrap();
    assert_eq!(inv.blobs.len(), 2);
    let failed: Vec<&str> = inv.failed.iter().map(|f| f.repository.as_str()).collect();
    assert_eq!(failed, ["p/bad", "p/good", "p/gone"], "{:?}", inv.failed);
    assert!(
        inv.failed[1].error.contains("manifest missing"),
        "{:?}",
        inv.failed[1]
    );
}

#[test]
fn schema_1_is_reported_as_skipped() {
    let fake = Fake::default()
        .page("/v2/_catalog?n=1000", r#"{"repositories":["p/old"]}"#, None)
        .page("/v2/p/old/tags/list?n=1000", r#"{"tags":["v0"]}"#, None)
        .manifest("p/old", "v0", r#"{"schemaVersion":1,"fsLayers":[]}"#);
    let inv = block_on(run(&fake, "p", &[])).unwrap();
    assert_eq!(
        inv.skipped,
        [SkippedManifest {
            repository: "p/old".into(),
            reference: "v0".into(),
            reason: "Docker schema 1".into()
        }]
    );
    assert!(inv.blobs.is_empty() && inv.failed.is_empty());
}

#[test]
fn an_unreachable_source_stops_the_walk() {
    let fake = Fake {
        unreachable: true,
        ..Fake::default()
    };
    let err = block_on(run(&fake, "p", &[])).unwrap_err();
    assert!(err.0.contains("connection refused"), "{err:?}");
}
