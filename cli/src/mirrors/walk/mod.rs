//! Walking the upstream: every repository under `UPSTREAM_REGISTRY_PATH`
//! (or under the `--repository` names), every manifest of each, and the
//! blobs they name. The walk runs over a [`Source`] (the registry adapter,
//! or a fake in tests); the listings and manifests are parsed here.
//!
//! - Repositories: Artifact Registry's `tags/list` `child` field,
//!   recursively; on a registry without it, `/v2/_catalog`.
//! - Manifests: the `manifest` map of Artifact Registry's `tags/list`
//!   (untagged digests included) when present, else the tags; every child
//!   of an index; each manifest once, whichever repositories hold it.
//! - A repository that fails is reported and the walk goes on; a source
//!   that cannot be listed at all stops it.

pub mod listing;
pub mod manifest;

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use manifest::Manifest;
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::future::Future;
use std::sync::Mutex;

/// How many manifests of one repository are fetched at once (the rate
/// limit paces them further).
const MANIFESTS_AT_ONCE: usize = 8;

/// A registry request that did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchError {
    pub message: String,
    /// Nothing answered (connection refused, DNS, TLS), as opposed to an
    /// answer that was an error.
    pub unreachable: bool,
}

/// A response body and the next page's target, if the `Link` header names one.
#[derive(Clone, Debug)]
pub struct Page {
    pub body: Bytes,
    pub next: Option<String>,
}

#[derive(Clone, Debug)]
pub struct FetchedManifest {
    pub content_type: Option<String>,
    pub body: Bytes,
}

/// The registry as the walk sees it.
pub trait Source {
    /// GET `target` (a path and query such as `/v2/x/tags/list?n=1000`, or
    /// an absolute URL from a `Link` header); `None` for 404.
    fn page(&self, target: &str) -> impl Future<Output = Result<Option<Page>, FetchError>>;
    /// GET `/v2/<repository>/manifests/<reference>`.
    fn manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> impl Future<Output = Result<FetchedManifest, FetchError>>;
}

/// A blob some manifest names, and one repository it can be fetched from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub size: u64,
    pub repository: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RepositoryFailure {
    pub repository: String,
    pub error: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SkippedManifest {
    pub repository: String,
    pub reference: String,
    pub reason: String,
}

/// What the walk found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    /// By digest.
    pub blobs: BTreeMap<String, Blob>,
    pub repositories: Vec<String>,
    pub failed: Vec<RepositoryFailure>,
    pub manifests: usize,
    pub skipped: Vec<SkippedManifest>,
    pub foreign_layers: usize,
}

impl Inventory {
    pub fn bytes(&self) -> u64 {
        self.blobs.values().map(|b| b.size).sum()
    }
}

/// What the walk tells the progress display.
#[derive(Clone, Copy, Debug)]
pub enum WalkEvent {
    Repository {
        walked: usize,
        queued: usize,
        blobs: usize,
    },
}

/// The source could not be listed at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unlistable(pub String);

/// `a` + `/` + `b`, either side possibly empty.
pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// Walks the repositories under `path` (the `--repository` names below it,
/// when given).
pub async fn walk<S: Source>(
    source: &S,
    path: &str,
    repositories: &[String],
    events: &(dyn Fn(WalkEvent) + Sync),
) -> Result<Inventory, Unlistable> {
    let roots: Vec<String> = if repositories.is_empty() {
        vec![path.to_string()]
    } else {
        repositories
            .iter()
            .map(|r| join(path, r.trim_matches('/')))
            .collect()
    };
    let mut inventory = Inventory::default();
    let seen_manifests = Mutex::new(HashSet::new());
    let mut queue: VecDeque<String> = VecDeque::new();
    let mut queued: BTreeSet<String> = BTreeSet::new();
    let mut catalog: Option<Vec<String>> = None;

    for root in &roots {
        // A name nested in another one given: walked from the queue.
        if queued.contains(root) {
            continue;
        }
        // With no path and no names, only the catalog lists anything.
        let listing = if root.is_empty() {
            None
        } else {
            match list_tags(source, root).await {
                Ok(listing) => listing,
                Err(e) if e.unreachable => {
                    return Err(Unlistable(format!("{root}: {}", e.message)))
                }
                Err(e) => {
                    inventory.failed.push(RepositoryFailure {
                        repository: root.clone(),
                        error: e.message,
                    });
                    continue;
                }
            }
        };
        let has_children = listing.as_ref().is_some_and(|l| l.child.is_some());
        if !has_children {
            // A registry without `child`: the catalog says what is below.
            if catalog.is_none() {
                catalog = Some(list_catalog(source).await.map_err(|e| {
                    Unlistable(format!(
                        "{}: no tags/list with children, and /v2/_catalog: {}",
                        display_root(root),
                        e.message
                    ))
                })?);
            }
            let below = catalog
                .iter()
                .flatten()
                .filter(|r| root.is_empty() || r.starts_with(&format!("{root}/")));
            for repository in below {
                if queued.insert(repository.clone()) {
                    queue.push_back(repository.clone());
                }
            }
        }
        if let Some(listing) = listing {
            queued.insert(root.clone());
            walk_repository(
                source,
                root,
                listing,
                &mut queue,
                &mut queued,
                &seen_manifests,
                &mut inventory,
            )
            .await;
        } else if !root.is_empty()
            && !catalog
                .iter()
                .flatten()
                .any(|r| r.starts_with(&format!("{root}/")))
        {
            inventory.failed.push(RepositoryFailure {
                repository: root.clone(),
                error: "no such repository upstream".into(),
            });
        }
        events(WalkEvent::Repository {
            walked: inventory.repositories.len(),
            queued: queue.len(),
            blobs: inventory.blobs.len(),
        });
    }

    while let Some(repository) = queue.pop_front() {
        match list_tags(source, &repository).await {
            Ok(Some(listing)) => {
                walk_repository(
                    source,
                    &repository,
                    listing,
                    &mut queue,
                    &mut queued,
                    &seen_manifests,
                    &mut inventory,
                )
                .await
            }
            Ok(None) => inventory.failed.push(RepositoryFailure {
                repository,
                error: "listed, but its tags/list answers 404".into(),
            }),
            Err(e) => inventory.failed.push(RepositoryFailure {
                repository,
                error: e.message,
            }),
        }
        events(WalkEvent::Repository {
            walked: inventory.repositories.len(),
            queued: queue.len(),
            blobs: inventory.blobs.len(),
        });
    }
    inventory.repositories.sort();
    inventory.repositories.dedup();
    Ok(inventory)
}

fn display_root(root: &str) -> &str {
    if root.is_empty() {
        "the registry"
    } else {
        root
    }
}

/// Every page of a repository's `tags/list`, merged; `None` for 404.
async fn list_tags<S: Source>(
    source: &S,
    repository: &str,
) -> Result<Option<listing::TagsPage>, FetchError> {
    let mut target = format!("/v2/{repository}/tags/list?n=1000");
    let mut all = listing::TagsPage::default();
    let mut pages = 0;
    loop {
        let Some(page) = source.page(&target).await? else {
            return match pages {
                0 => Ok(None),
                _ => Err(FetchError {
                    message: "a tags/list page answered 404".into(),
                    unreachable: false,
                }),
            };
        };
        pages += 1;
        let parsed = listing::parse_tags(&page.body).map_err(|message| FetchError {
            message,
            unreachable: false,
        })?;
        all.tags.extend(parsed.tags);
        if let Some(child) = parsed.child {
            all.child.get_or_insert_with(Vec::new).extend(child);
        }
        if let Some(manifests) = parsed.manifests {
            all.manifests.get_or_insert_with(Vec::new).extend(manifests);
        }
        match page.next {
            Some(next) if pages < 100_000 => target = next,
            _ => return Ok(Some(all)),
        }
    }
}

async fn list_catalog<S: Source>(source: &S) -> Result<Vec<String>, FetchError> {
    let mut target = "/v2/_catalog?n=1000".to_string();
    let mut all = Vec::new();
    loop {
        let page = source.page(&target).await?.ok_or_else(|| FetchError {
            message: "404 (the registry has no catalog)".into(),
            unreachable: false,
        })?;
        all.extend(
            listing::parse_catalog(&page.body).map_err(|message| FetchError {
                message,
                unreachable: false,
            })?,
        );
        match page.next {
            Some(next) => target = next,
            None => return Ok(all),
        }
    }
}

/// A manifest read and parsed, with its digest.
type Fetched = Result<(String, Manifest), FetchError>;

/// One repository: its children queued, every manifest walked.
async fn walk_repository<S: Source>(
    source: &S,
    repository: &str,
    listing: listing::TagsPage,
    queue: &mut VecDeque<String>,
    queued: &mut BTreeSet<String>,
    seen: &Mutex<HashSet<String>>,
    inventory: &mut Inventory,
) {
    for child in listing.child.iter().flatten() {
        let nested = join(repository, child);
        if queued.insert(nested.clone()) {
            queue.push_back(nested);
        }
    }
    inventory.repositories.push(repository.to_string());
    let mut references: VecDeque<String> = listing.manifests.unwrap_or(listing.tags).into();
    let mut first_error: Option<String> = None;
    while !references.is_empty() {
        let batch: Vec<String> = references
            .drain(..)
            .filter(|r| !seen.lock().unwrap().contains(r))
            .collect();
        let results: Vec<(String, Fetched)> = stream::iter(batch)
            .map(|reference| async move {
                let fetched = source.manifest(repository, &reference).await;
                let parsed = fetched.and_then(|m| {
                    let digest = format!("sha256:{:x}", Sha256::digest(&m.body));
                    manifest::parse(m.content_type.as_deref(), &m.body)
                        .map(|parsed| (digest, parsed))
                        .map_err(|message| FetchError {
                            message,
                            unreachable: false,
                        })
                });
                (reference, parsed)
            })
            .buffer_unordered(MANIFESTS_AT_ONCE)
            .collect()
            .await;
        for (reference, result) in results {
            let (digest, parsed) = match result {
                Ok(ok) => ok,
                Err(e) => {
                    first_error
                        .get_or_insert_with(|| format!("manifest {reference}: {}", e.message));
                    continue;
                }
            };
            if !seen.lock().unwrap().insert(digest.clone()) {
                continue;
            }
            inventory.manifests += 1;
            match parsed {
                Manifest::Index(children) => {
                    references.extend(children.into_iter().map(|c| c.digest));
                }
                Manifest::Image { blobs, foreign } => {
                    inventory.foreign_layers += foreign;
                    for blob in blobs {
                        inventory.blobs.entry(blob.digest).or_insert(Blob {
                            size: blob.size,
                            repository: repository.to_string(),
                        });
                    }
                }
                Manifest::Skipped(reason) => inventory.skipped.push(SkippedManifest {
                    repository: repository.to_string(),
                    reference,
                    reason,
                }),
            }
        }
    }
    if let Some(error) = first_error {
        inventory.failed.push(RepositoryFailure {
            repository: repository.to_string(),
            error,
        });
    }
}

#[cfg(test)]
mod tests;
