//! The two commands, end to end: read the configuration, walk the
//! upstream, look at every copy, copy what is missing (sync), report.

use super::audit::{self, CopyState, Observation};
use super::copies::{self, Copy};
use super::parts;
use super::progress::Progress;
use super::public_url::PublicUrl;
use super::registry::Registry;
use super::report::{BlobFailure, CopyReport, Report, SourceReport, SyncReport, SCHEMA};
use super::store::{credentials_present, Store, WriteMode};
use super::store_location::{store_for, R2Account, StoreLocation};
use super::transfer::{Destination, Transfer, STOPPING};
use super::walk::{self, Inventory, WalkEvent};
use super::{Common, MirrorsCommand};
use crate::exit::Exit;
use crate::wrangler::Environment;
use futures::stream::{self, StreamExt};
use registry_edge::config::Config;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// HEADs (or verifying reads) of one copy at once.
const LOOKS_AT_ONCE: usize = 32;

/// Runs the command; prints the report (or the reason it could not run).
pub fn run(command: MirrorsCommand) -> Exit {
    let (common, verify, sync, dry_run) = match command {
        MirrorsCommand::Audit { common, verify } => (common, verify, false, false),
        MirrorsCommand::Sync { common, dry_run } => (common, false, true, dry_run),
    };
    let name = if sync { "sync" } else { "audit" };
    let fail = |why: String| {
        eprintln!("registry-edge mirrors {name}: {why}");
        Exit::Unusable
    };
    let plan = match Plan::read(&common) {
        Ok(plan) => plan,
        Err(why) => return fail(why),
    };
    // rustls on ring for every HTTPS connection (registry and stores):
    // no aws-lc or OpenSSL to build. ring lacks post-quantum key exchange,
    // which rustls marks deprecated; registries and stores speak ECDHE.
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start: {e}")),
    };
    let outcome = runtime.block_on(async {
        watch_for_stop();
        plan.execute(name, verify, sync, dry_run).await
    });
    match outcome {
        Ok(report) => {
            if common.json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.table());
            }
            report.exit_code()
        }
        Err(why) => fail(why),
    }
}

/// SIGINT or SIGTERM: uploads in flight are aborted, nothing new starts,
/// and the report says what was not copied.
fn watch_for_stop() {
    tokio::spawn(async {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let terminated = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminated => {}
        }
        eprintln!("registry-edge mirrors: stopping: aborting the uploads in flight");
        STOPPING.store(true, Ordering::Relaxed);
    });
}

/// Everything read before any request: the source, the copies and their
/// stores, the settings.
struct Plan {
    endpoint: String,
    path: String,
    /// Each copy, its store if known, and why it could not be known.
    copies: Vec<(Copy, Option<StoreLocation>, Option<String>)>,
    common: Common,
    part_size: u64,
}

impl Plan {
    fn read(common: &Common) -> Result<Plan, String> {
        let env =
            Environment::read(&common.config, common.env.as_deref()).map_err(|e| e.to_string())?;
        let config = Config::from_vars(|name| env.vars.get(name).cloned())
            .map_err(|e| format!("{} {e}", env.label()))?;
        let all = copies::copies(&config.mirrors);
        if all.is_empty() {
            return Err(format!(
                "{}: no BLOB_MIRRORS and no DEFAULT_BLOB_BASE_URL: no copies to look at",
                env.label()
            ));
        }
        for o in &common.stores {
            if !all.iter().any(|c| c.is_named(&o.key)) {
                return Err(format!("--store {}=…: no copy has that key", o.key));
            }
        }
        let selected = copies::select(all, &common.mirrors)?;
        let part_size = parts::part_size_from_mib(common.part_size)?;
        let r2 = R2Account {
            account_id: std::env::var("CLOUDFLARE_ACCOUNT_ID")
                .ok()
                .filter(|v| !v.is_empty()),
            buckets: env
                .platform
                .r2_buckets
                .iter()
                .map(|b| (b.binding.clone(), b.bucket_name.clone()))
                .collect(),
        };
        Ok(Plan {
            endpoint: config.upstream.endpoint.clone(),
            path: config.upstream.path.clone(),
            copies: selected
                .into_iter()
                .map(|c| match store_for(&c, &common.stores, &r2) {
                    Ok(store) => (c, store, None),
                    Err(why) => (c, None, Some(why)),
                })
                .collect(),
            common: common.clone(),
            part_size,
        })
    }

    async fn execute(
        &self,
        name: &'static str,
        verify: bool,
        sync: bool,
        dry_run: bool,
    ) -> Result<Report, String> {
        let progress = Progress::new();
        let registry = Registry::new(&self.endpoint, self.common.rate)?;
        progress.phase(&format!("walking {}/{}", self.endpoint, self.path), None);
        let on_walk = |e: WalkEvent| {
            let WalkEvent::Repository {
                walked,
                queued,
                blobs,
            } = e;
            progress
                .update(|| format!("{walked} repositories walked, {queued} queued, {blobs} blobs"));
        };
        let inventory = walk::walk(&registry, &self.path, &self.common.repositories, &on_walk)
            .await
            .map_err(|e| format!("the upstream {} cannot be listed: {}", self.endpoint, e.0))?;
        progress.update(|| {
            format!(
                "{} repositories, {} blobs ({})",
                inventory.repositories.len(),
                inventory.blobs.len(),
                super::report::bytes(inventory.bytes())
            )
        });

        let public = PublicUrl::new()?;
        let mut copies = Vec::new();
        for (copy, location, unknown_store) in &self.copies {
            progress.phase(&format!("looking at {}", copy.label()), None);
            copies.push(
                self.look(
                    copy,
                    location.as_ref(),
                    unknown_store.as_deref(),
                    &inventory,
                    &public,
                    verify,
                    sync,
                    &progress,
                )
                .await,
            );
        }

        let mut reports: Vec<CopyReport> = copies.iter().map(|c| c.report(&inventory)).collect();
        if sync {
            self.sync(
                &registry,
                &inventory,
                &copies,
                &mut reports,
                dry_run,
                &progress,
            )
            .await;
        }
        for (report, looked) in reports.iter_mut().zip(&copies) {
            report.requests += looked.store.as_ref().map_or(0, |s| s.requests());
        }
        progress.finish();
        let mut report = Report {
            schema: SCHEMA,
            command: name,
            dry_run,
            verify,
            source: SourceReport {
                endpoint: self.endpoint.clone(),
                path: self.path.clone(),
                repositories: inventory.repositories.len(),
                failed_repositories: inventory.failed.clone(),
                manifests: inventory.manifests,
                skipped_manifests: inventory.skipped.clone(),
                foreign_layers: inventory.foreign_layers,
                blobs: inventory.blobs.len(),
                bytes: inventory.bytes(),
                requests: registry.requests(),
            },
            copies: reports,
            exit: 0,
        };
        report.exit = match report.exit_code() {
            Exit::Clean => 0,
            Exit::Problems => 1,
            Exit::Unusable => 2,
        };
        Ok(report)
    }

    /// One copy's state: by listing its bucket when the store and its
    /// credentials are there, else by a HEAD per blob on its URL.
    #[allow(clippy::too_many_arguments)]
    async fn look(
        &self,
        copy: &Copy,
        location: Option<&StoreLocation>,
        unknown_store: Option<&str>,
        inventory: &Inventory,
        public: &PublicUrl,
        verify: bool,
        writing: bool,
        progress: &Progress,
    ) -> Looked {
        let mut errors = Vec::new();
        let store = match location {
            Some(location) if credentials_present(&location.kind, |n| std::env::var(n).ok()) => {
                match Store::open(location) {
                    Ok(store) => Some(Arc::new(store)),
                    Err(e) => {
                        errors.push(e);
                        None
                    }
                }
            }
            Some(location) if writing => {
                errors.push(format!("no credentials for {location} in the environment (see docs/mirrors.md, \"Stores\")"));
                None
            }
            None if writing => {
                errors.push(match unknown_store {
                    Some(why) => format!("no store known for {}: {why}", copy.url),
                    None => format!(
                        "no store known for {} (set --store {}=URL)",
                        copy.url, copy.keys[0]
                    ),
                });
                None
            }
            _ => None,
        };
        let mut head_requests = 0;
        let mut state = match &store {
            Some(store) => match store.list_blobs().await {
                Ok(listed) => audit::compare(inventory, audit::from_listing(&listed)),
                Err(e) => {
                    errors.push(e);
                    audit::compare(inventory, |_| {
                        Observation::Unknown("the listing failed".into())
                    })
                }
            },
            None => {
                let looked = AtomicUsize::new(0);
                head_requests = inventory.blobs.len() as u64;
                let observations: BTreeMap<String, Observation> =
                    stream::iter(inventory.blobs.keys())
                        .map(|digest| async {
                            let o = public.head(&copy.url, digest).await;
                            let n = looked.fetch_add(1, Ordering::Relaxed) + 1;
                            progress.update(|| {
                                format!(
                                    "{}: {n}/{} blobs looked at",
                                    copy.label(),
                                    inventory.blobs.len()
                                )
                            });
                            (digest.clone(), o)
                        })
                        .buffer_unordered(LOOKS_AT_ONCE)
                        .collect()
                        .await;
                audit::compare(inventory, |d| observations[d].clone())
            }
        };
        if verify {
            self.verify(
                copy,
                store.as_deref(),
                &mut state,
                inventory,
                public,
                progress,
            )
            .await;
        }
        // A replacing write is conditional on the ETag of the object found.
        if let (true, Some(store)) = (writing, &store) {
            for wrong in state.wrong.iter_mut().filter(|w| w.e_tag.is_none()) {
                match store.e_tag(&wrong.digest).await {
                    Ok(e_tag) => wrong.e_tag = e_tag,
                    Err(e) => errors.push(format!("{}: {e}", wrong.digest)),
                }
            }
        }
        Looked {
            head_requests,
            copy: copy.clone(),
            location: location.cloned(),
            store,
            state,
            errors,
            by_listing: location
                .is_some_and(|l| credentials_present(&l.kind, |n| std::env::var(n).ok())),
        }
    }

    /// `--verify`: reads every present object and hashes it.
    async fn verify(
        &self,
        copy: &Copy,
        store: Option<&Store>,
        state: &mut CopyState,
        inventory: &Inventory,
        public: &PublicUrl,
        progress: &Progress,
    ) {
        progress.phase(
            &format!("verifying {}", copy.label()),
            Some(state.present.iter().map(|d| inventory.blobs[d].size).sum()),
        );
        let results: Vec<(String, Result<String, String>)> = stream::iter(state.present.clone())
            .map(|digest| async move {
                let read = match store {
                    Some(store) => store.read(&digest).await,
                    None => public.read(&copy.url, &digest).await,
                };
                let hashed = async {
                    let mut body = read?;
                    let mut hasher = Sha256::new();
                    while let Some(chunk) = body.next().await {
                        let chunk = chunk?;
                        progress.add_bytes(chunk.len() as u64);
                        hasher.update(&chunk);
                    }
                    Ok(format!("sha256:{:x}", hasher.finalize()))
                }
                .await;
                (digest, hashed)
            })
            .buffer_unordered(self.common.concurrency as usize)
            .collect()
            .await;
        for (digest, result) in results {
            match result {
                Ok(found) if found == digest => {}
                Ok(found) => {
                    state.mark_corrupt(&digest, found, None, inventory.blobs[&digest].size)
                }
                Err(e) => {
                    state.present.retain(|d| d != &digest);
                    state.unknown.push((digest, format!("verify: {e}")));
                }
            }
        }
    }

    /// Copies every blob some copy lacks, once from the upstream to all of
    /// them, `--concurrency` blobs at a time.
    async fn sync(
        &self,
        registry: &Registry,
        inventory: &Inventory,
        copies: &[Looked],
        reports: &mut [CopyReport],
        dry_run: bool,
        progress: &Progress,
    ) {
        // digest -> the copies that lack it, and how each is written.
        let mut wanted: BTreeMap<&str, Vec<(usize, WriteMode)>> = BTreeMap::new();
        for (i, looked) in copies.iter().enumerate() {
            if looked.store.is_none() {
                continue;
            }
            for d in &looked.state.missing {
                wanted
                    .entry(d.as_str())
                    .or_default()
                    .push((i, WriteMode::Create));
            }
            for w in &looked.state.wrong {
                match &w.e_tag {
                    Some(e_tag) => wanted.entry(w.digest.as_str()).or_default().push((
                        i,
                        WriteMode::Replace {
                            e_tag: e_tag.clone(),
                        },
                    )),
                    None => reports[i]
                        .sync
                        .get_or_insert_with(SyncReport::default)
                        .failed
                        .push(BlobFailure {
                            digest: w.digest.clone(),
                            error: "the wrong object has no ETag to replace it conditionally"
                                .into(),
                        }),
                }
            }
        }
        for r in reports.iter_mut() {
            r.sync.get_or_insert_with(SyncReport::default);
        }
        if dry_run {
            for (digest, targets) in &wanted {
                for (i, _) in targets {
                    let s = reports[*i].sync.as_mut().expect("set above");
                    s.copied += 1;
                    s.copied_bytes += inventory.blobs[*digest].size;
                }
            }
            return;
        }
        let total: u64 = wanted.keys().map(|d| inventory.blobs[*d].size).sum();
        progress.phase(&format!("copying {} blobs", wanted.len()), Some(total));
        let permits = Arc::new(Semaphore::new(self.common.concurrency as usize));
        let copied_bytes = AtomicU64::new(0);
        let done = AtomicUsize::new(0);
        let on_bytes = |n: u64| {
            progress.add_bytes(n);
            copied_bytes.fetch_add(n, Ordering::Relaxed);
        };
        let count = wanted.len();
        let results: Vec<(&str, super::transfer::Results)> = stream::iter(wanted)
            .map(|(digest, targets)| {
                let permits = Arc::clone(&permits);
                let on_bytes = &on_bytes;
                let done = &done;
                async move {
                    let blob = &inventory.blobs[digest];
                    if STOPPING.load(Ordering::Relaxed) {
                        return (
                            digest,
                            targets
                                .iter()
                                .map(|(i, _)| {
                                    (*i, Err("interrupted before it started".to_string()))
                                })
                                .collect(),
                        );
                    }
                    let destinations = targets
                        .into_iter()
                        .map(|(copy, mode)| Destination {
                            copy,
                            store: Arc::clone(copies[copy].store.as_ref().expect("writable")),
                            mode,
                        })
                        .collect();
                    let transfer = Transfer {
                        registry,
                        repository: &blob.repository,
                        digest,
                        size: blob.size,
                        part_size: self.part_size,
                        permits,
                        on_bytes,
                    };
                    let results = transfer.run(destinations).await;
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    progress.update(|| format!("{n}/{count} blobs copied"));
                    (digest, results)
                }
            })
            .buffer_unordered(self.common.concurrency as usize)
            .collect()
            .await;
        for (digest, per_copy) in results {
            for (i, result) in per_copy {
                let s = reports[i].sync.as_mut().expect("set above");
                match result {
                    Ok(()) => {
                        s.copied += 1;
                        s.copied_bytes += inventory.blobs[digest].size;
                    }
                    Err(error) => s.failed.push(BlobFailure {
                        digest: digest.to_string(),
                        error,
                    }),
                }
            }
        }
        for r in reports.iter_mut() {
            if let Some(s) = r.sync.as_mut() {
                s.failed.sort_by(|a, b| a.digest.cmp(&b.digest));
            }
        }
    }
}

/// One copy, looked at.
struct Looked {
    copy: Copy,
    location: Option<StoreLocation>,
    /// Open when its credentials are set: listed, and written by a sync.
    store: Option<Arc<Store>>,
    state: CopyState,
    errors: Vec<String>,
    by_listing: bool,
    /// HEADs sent to its public URL.
    head_requests: u64,
}

impl Looked {
    fn report(&self, inventory: &Inventory) -> CopyReport {
        CopyReport {
            keys: self.copy.keys.iter().map(ToString::to_string).collect(),
            url: self.copy.url.clone(),
            store: self.location.as_ref().map(ToString::to_string),
            checked_by: if self.by_listing && self.store.is_some() {
                "listing"
            } else {
                "head"
            },
            present: self.state.present.len(),
            missing: self.state.missing.len(),
            wrong: self.state.wrong.len(),
            unchecked: self.state.unknown.len(),
            missing_bytes: self.state.missing_bytes(inventory),
            missing_digests: self.state.missing.clone(),
            wrong_objects: self.state.wrong.clone(),
            errors: self
                .errors
                .iter()
                .cloned()
                .chain(
                    self.state
                        .unknown
                        .iter()
                        .take(20)
                        .map(|(d, why)| format!("{d}: {why}")),
                )
                .collect(),
            sync: None,
            requests: self.head_requests,
        }
    }
}
