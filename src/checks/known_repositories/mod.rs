//! Known repositories, the platform-free half (docs/request-handling.md,
//! "Known repositories"): the upstream's top-level repositories, listed
//! from `GET <UPSTREAM_REGISTRY_ENDPOINT>/v2/<UPSTREAM_REGISTRY_PATH>/tags/list`
//! (its `child` array), so that a pull of any other repository gets
//! `404 NAME_UNKNOWN` before a copy is checked.
//!
//! - [`RepositoryList`]: the list, how it is stored in the Cache API, and
//!   when it is too old to be used;
//! - [`listing`]: reading the upstream's answer (the `child` array, the
//!   `Link` header's next page);
//! - [`Refresher`]: when an isolate looks at the colo's list and when it
//!   lists the upstream again, in the background, over an abstract runtime
//!   ([`ListingIo`]). The worker adapter (src/worker/known_repositories.rs)
//!   supplies GET, the Cache API and `ctx.waitUntil`.
//!
//! Everything fails open: without a usable list the decision routes every
//! repository as if the feature were off.

pub mod listing;
mod refresher;

pub use listing::{ListingFailure, ListingPage};
pub use refresher::{ListState, ListingIo, Refresher};

use super::blob::copy_id;
use crate::oci::grammar::is_name;

/// A list older than this is not used: requests are routed as if there
/// were none until a listing succeeds again.
pub const MAX_LIST_AGE_MS: u64 = 24 * 60 * 60 * 1000;
/// Deadline of one page of the listing (the listing runs in the
/// background, so it may take longer than a blob check).
pub const LISTING_TIMEOUT_MS: u64 = 5_000;
/// Pages followed through `Link` headers; a listing with more is not used.
pub const MAX_PAGES: usize = 10;
/// Longest page body read.
pub const MAX_PAGE_BYTES: usize = 1 << 20;
/// Most names a list holds (registry.k8s.io has a few hundred); a listing
/// with more is not used.
pub const MAX_REPOSITORIES: usize = 5_000;

/// The upstream's top-level repository names (sorted, unique, each a valid
/// name component) and when they were listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepositoryList {
    names: Vec<String>,
    listed_ms: u64,
}

impl RepositoryList {
    /// The list of `names` (those that are not a top-level name are left
    /// out: no request can name them), listed at `listed_ms`; `None` when
    /// none is left, as an empty list would refuse every repository.
    pub fn new(names: impl IntoIterator<Item = String>, listed_ms: u64) -> Option<RepositoryList> {
        // Kept sorted as they come (listings are sorted already, so each
        // goes at the end): a binary search and an insert are less wasm
        // than a sort.
        let mut sorted: Vec<String> = Vec::new();
        for name in names.into_iter().filter(|n| is_top_level_name(n)) {
            if let Err(at) = sorted.binary_search(&name) {
                sorted.insert(at, name);
            }
        }
        (!sorted.is_empty()).then_some(RepositoryList {
            names: sorted,
            listed_ms,
        })
    }

    /// Whether `repository` (`pause`, `sig-storage/csi-provisioner`) is
    /// under one of the listed top-level names.
    pub fn knows(&self, repository: &str) -> bool {
        let top = top_level(repository);
        self.names.binary_search_by(|n| n.as_str().cmp(top)).is_ok()
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// When the upstream was listed (ms since the epoch).
    pub fn listed_ms(&self) -> u64 {
        self.listed_ms
    }

    pub fn age_ms(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(self.listed_ms)
    }

    /// Whether requests may be decided by it at `now_ms`: at most
    /// [`MAX_LIST_AGE_MS`] old.
    pub fn is_usable_at(&self, now_ms: u64) -> bool {
        self.age_ms(now_ms) <= MAX_LIST_AGE_MS
    }

    /// The Cache API entry's body: the listing time, then one name a line
    /// (names hold no newline; plain lines are less wasm than JSON).
    pub fn to_stored(&self) -> String {
        let mut text = self.listed_ms.to_string();
        for name in &self.names {
            text.push('\n');
            text.push_str(name);
        }
        text
    }

    /// A Cache API entry's body; `None` for anything that is not a
    /// non-empty list (an unreadable entry is no entry).
    pub fn from_stored(text: &str) -> Option<RepositoryList> {
        let mut lines = text.split('\n');
        let listed_ms = lines.next()?.parse().ok()?;
        RepositoryList::new(lines.map(str::to_string), listed_ms)
    }
}

/// The first component of a repository name (`sig-storage` of
/// `sig-storage/csi-provisioner`).
pub fn top_level(repository: &str) -> &str {
    repository.split('/').next().unwrap_or(repository)
}

/// A name a `child` entry must be: one component of the OCI name grammar.
fn is_top_level_name(name: &str) -> bool {
    !name.contains('/') && is_name(name)
}

/// `<endpoint>/v2/<path>/tags/list`: the listing whose `child` array names
/// the top-level repositories under `path`.
pub fn listing_url(endpoint: &str, path: &str) -> String {
    if path.is_empty() {
        format!("{endpoint}/v2/tags/list")
    } else {
        format!("{endpoint}/v2/{path}/tags/list")
    }
}

/// The Cache API key of the colo's list, on the worker's own `host` (like
/// the blob check's keys, src/checks/blob/colo.rs).
pub fn list_key(host: &str, listing_url: &str) -> String {
    format!(
        "https://{host}/.known-repositories/list/{}",
        copy_id(listing_url)
    )
}

/// The Cache API key of the colo's last listing attempt.
pub fn attempt_key(host: &str, listing_url: &str) -> String {
    format!(
        "https://{host}/.known-repositories/attempt/{}",
        copy_id(listing_url)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(names: &[&str]) -> Option<RepositoryList> {
        RepositoryList::new(names.iter().map(|n| n.to_string()), 1000)
    }

    #[test]
    fn repositories_are_known_by_their_top_level_name() {
        let l = list(&["pause", "sig-storage", "kube-apiserver", "pause"]).unwrap();
        assert_eq!(l.len(), 3);
        assert!(l.knows("pause"));
        assert!(l.knows("sig-storage/csi-provisioner"));
        assert!(l.knows("sig-storage/a/b"));
        assert!(!l.knows("not-a-k8s-repo"));
        assert!(!l.knows("pause2"));
        assert!(!l.knows("paus"));
        assert!(!l.knows("sig/storage"));
    }

    #[test]
    fn names_no_request_can_hold_are_left_out() {
        let l = list(&[
            "pause", "Pause", "a/b", "", "..", "-x", "ok_1", "b", "pause",
        ])
        .unwrap();
        assert_eq!(l.names().collect::<Vec<_>>(), ["b", "ok_1", "pause"]);
        assert_eq!(list(&[]), None);
        assert_eq!(list(&["A", "/"]), None);
    }

    #[test]
    fn lists_are_stored_and_read_back() {
        let l = list(&["b", "a"]).unwrap();
        assert_eq!(RepositoryList::from_stored(&l.to_stored()), Some(l.clone()));
        assert_eq!(l.to_stored(), "1000\na\nb");
        for junk in [
            "",
            "1000",
            "1000\n",
            "x\na",
            "-1\na",
            "{\"a\": 1}",
            "1000\nA\n/",
        ] {
            assert_eq!(RepositoryList::from_stored(junk), None, "{junk}");
        }
    }

    #[test]
    fn a_list_is_used_for_a_day() {
        let l = list(&["a"]).unwrap();
        assert!(l.is_usable_at(0), "a clock behind the listing's");
        assert!(l.is_usable_at(1000 + MAX_LIST_AGE_MS));
        assert!(!l.is_usable_at(1001 + MAX_LIST_AGE_MS));
    }

    #[test]
    fn urls_and_keys() {
        assert_eq!(
            listing_url(
                "https://us-central1-docker.pkg.dev",
                "k8s-artifacts-prod/images"
            ),
            "https://us-central1-docker.pkg.dev/v2/k8s-artifacts-prod/images/tags/list"
        );
        assert_eq!(
            listing_url("http://127.0.0.1:5000", ""),
            "http://127.0.0.1:5000/v2/tags/list"
        );
        let url = listing_url("https://up.example", "p");
        assert_eq!(
            list_key("registry.k8s.io", &url),
            "https://registry.k8s.io/.known-repositories/list/https.up.example%2Fv2%2Fp%2Ftags%2Flist"
        );
        assert_ne!(list_key("h", &url), attempt_key("h", &url));
    }
}
