//! One blob, fetched once from the upstream and written to every copy that
//! lacks it: streamed, hashed while streaming, cut into equal parts above
//! the part size, and completed only when its digest and size are the
//! descriptor's. Otherwise every upload is aborted: nothing is ever
//! written under a final key unverified.
//!
//! Memory: every buffer of blob bytes (a part being filled, a part going
//! up to the copies, a whole small blob) holds one permit of `permits`,
//! so at most part size x `--concurrency` bytes are held at once.

use super::parts::{self, Chunker, Upload as Plan};
use super::registry::{describe, Registry};
use super::store::{Store, Upload, WriteError, WriteMode};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use sha2::{Digest as _, Sha256};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

/// Set on SIGINT or SIGTERM: transfers abort their uploads and stop.
pub static STOPPING: AtomicBool = AtomicBool::new(false);

/// Resolves once [`STOPPING`] is set (a stalled upstream must not keep a
/// stopping sync waiting).
async fn stopped() {
    while !STOPPING.load(Ordering::Relaxed) {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The next chunk of `body`, or `Err("interrupted")` once stopping.
async fn next_chunk<S>(body: &mut S) -> Result<Option<Bytes>, String>
where
    S: futures::Stream<Item = reqwest::Result<Bytes>> + Unpin,
{
    tokio::select! {
        chunk = body.next() => chunk.transpose().map_err(|e| format!("upstream: {}", describe(&e))),
        () = stopped() => Err("interrupted".to_string()),
    }
}

/// One copy that lacks the blob.
pub struct Destination {
    /// Index of the copy in the report.
    pub copy: usize,
    pub store: Arc<Store>,
    pub mode: WriteMode,
}

/// What to copy and how.
pub struct Transfer<'a> {
    pub registry: &'a Registry,
    pub repository: &'a str,
    pub digest: &'a str,
    pub size: u64,
    pub part_size: u64,
    pub permits: Arc<Semaphore>,
    /// Called with each chunk's length as it arrives.
    pub on_bytes: &'a (dyn Fn(u64) + Sync),
}

/// Each destination's result: written, or why not.
pub type Results = Vec<(usize, Result<(), String>)>;

impl Transfer<'_> {
    pub async fn run(&self, destinations: Vec<Destination>) -> Results {
        match parts::plan(self.size, self.part_size) {
            Plan::Single => self.single(destinations).await,
            Plan::Multipart { part_size } => self.multipart(destinations, part_size).await,
        }
    }

    fn fail_all(destinations: &[Destination], why: &str) -> Results {
        destinations
            .iter()
            .map(|d| (d.copy, Err(why.to_string())))
            .collect()
    }

    /// A blob that fits in one part: read whole, checked, then one
    /// conditional write per copy.
    async fn single(&self, destinations: Vec<Destination>) -> Results {
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let mut body = match self.registry.blob(self.repository, self.digest).await {
            Ok(response) => response.bytes_stream(),
            Err(e) => return Self::fail_all(&destinations, &format!("upstream: {}", e.message)),
        };
        let mut hasher = Sha256::new();
        let mut whole = BytesMut::with_capacity(self.size as usize);
        loop {
            let chunk = match next_chunk(&mut body).await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(why) => return Self::fail_all(&destinations, &why),
            };
            if whole.len() as u64 + chunk.len() as u64 > self.size {
                return Self::fail_all(
                    &destinations,
                    &format!(
                        "upstream sent more than the descriptor's {} bytes",
                        self.size
                    ),
                );
            }
            hasher.update(&chunk);
            (self.on_bytes)(chunk.len() as u64);
            whole.extend_from_slice(&chunk);
        }
        if let Err(why) = self.verify(hasher, whole.len() as u64) {
            return Self::fail_all(&destinations, &why);
        }
        let whole = whole.freeze();
        let writes = destinations.iter().map(|d| {
            let bytes = whole.clone();
            async move {
                (
                    d.copy,
                    settle(d.store.put(self.digest, bytes, &d.mode).await),
                )
            }
        });
        futures::future::join_all(writes).await
    }

    /// A blob larger than a part: one multipart upload per copy, parts of
    /// equal size shared by all, completed after the digest checks out.
    async fn multipart(&self, destinations: Vec<Destination>, part_size: u64) -> Results {
        let mut uploads: Vec<(usize, Upload)> = Vec::new();
        let mut results: Results = Vec::new();
        for d in &destinations {
            match d.store.start_upload(self.digest, d.mode.clone()).await {
                Ok(upload) => uploads.push((d.copy, upload)),
                Err(e) => results.push((d.copy, Err(e.to_string()))),
            }
        }
        if uploads.is_empty() {
            return results;
        }
        match self.stream_parts(&mut uploads, part_size).await {
            Ok(()) => {
                let completions = uploads
                    .into_iter()
                    .map(|(copy, upload)| async move { (copy, settle(upload.complete().await)) });
                results.extend(futures::future::join_all(completions).await);
            }
            Err(why) => {
                let aborts = uploads.into_iter().map(|(copy, upload)| async move {
                    upload.abort().await;
                    copy
                });
                for copy in futures::future::join_all(aborts).await {
                    results.push((copy, Err(why.clone())));
                }
            }
        }
        results
    }

    /// Streams the blob into every upload; `Ok` only when every part is up
    /// and the bytes are the blob (the last part is sent only then).
    async fn stream_parts(
        &self,
        uploads: &mut [(usize, Upload)],
        part_size: u64,
    ) -> Result<(), String> {
        let mut body = self
            .registry
            .blob(self.repository, self.digest)
            .await
            .map_err(|e| format!("upstream: {}", e.message))?
            .bytes_stream();
        let mut hasher = Sha256::new();
        let mut received = 0u64;
        let mut chunker = Chunker::new(part_size);
        let mut in_flight: Vec<JoinHandle<Result<(), String>>> = Vec::new();
        let mut permit = Some(
            self.permits
                .clone()
                .acquire_owned()
                .await
                .expect("never closed"),
        );
        let outcome = async {
            while let Some(chunk) = next_chunk(&mut body).await? {
                received += chunk.len() as u64;
                if received > self.size {
                    return Err(format!(
                        "upstream sent more than the descriptor's {} bytes",
                        self.size
                    ));
                }
                hasher.update(&chunk);
                (self.on_bytes)(chunk.len() as u64);
                for part in chunker.push(chunk) {
                    let held = Arc::new(permit.take().expect("a permit per part"));
                    send_part(uploads, part, &held, &mut in_flight);
                    permit = Some(
                        self.permits
                            .clone()
                            .acquire_owned()
                            .await
                            .expect("never closed"),
                    );
                }
                reap(&mut in_flight).await?;
            }
            self.verify(hasher, received)?;
            if let Some(last) = chunker.finish() {
                let held = Arc::new(permit.take().expect("a permit per part"));
                send_part(uploads, last, &held, &mut in_flight);
            }
            for task in in_flight.drain(..) {
                task.await.map_err(|e| format!("part upload: {e}"))??;
            }
            Ok(())
        }
        .await;
        for task in in_flight {
            task.abort();
        }
        outcome
    }

    fn verify(&self, hasher: Sha256, received: u64) -> Result<(), String> {
        let got = format!("sha256:{:x}", hasher.finalize());
        if received != self.size {
            return Err(format!(
                "upstream sent {received} bytes, the descriptor says {}",
                self.size
            ));
        }
        if got != self.digest {
            return Err(format!(
                "digest mismatch: the upstream's bytes hash to {got}"
            ));
        }
        Ok(())
    }
}

/// Starts one part's upload to every copy; the permit is released when
/// the last of them is done.
fn send_part(
    uploads: &mut [(usize, Upload)],
    part: Bytes,
    held: &Arc<OwnedSemaphorePermit>,
    in_flight: &mut Vec<JoinHandle<Result<(), String>>>,
) {
    for (_, upload) in uploads.iter_mut() {
        let request = upload.put_part(part.clone());
        let held = Arc::clone(held);
        in_flight.push(tokio::spawn(async move {
            let result = request
                .await
                .map_err(|e| format!("part upload: {}", describe(&e)));
            drop(held);
            result
        }));
    }
}

/// Collects the part uploads that are done; the first failure stops the blob.
async fn reap(in_flight: &mut Vec<JoinHandle<Result<(), String>>>) -> Result<(), String> {
    let mut i = 0;
    while i < in_flight.len() {
        if in_flight[i].is_finished() {
            in_flight
                .swap_remove(i)
                .await
                .map_err(|e| format!("part upload: {e}"))??;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// A create that found the object already there is done: whoever wrote
/// it wrote a verified copy.
fn settle(result: Result<(), WriteError>) -> Result<(), String> {
    match result {
        Ok(()) | Err(WriteError::AlreadyThere) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}
