//! The end of a run: one report, as a table per copy for people and as one
//! JSON document (`--json`, schema in docs/mirrors.md), and the exit code
//! it means.

use super::audit::WrongObject;
use super::walk::{RepositoryFailure, SkippedManifest};
use crate::exit::Exit;
use serde::Serialize;
use std::fmt::Write as _;

/// The JSON document's `schema` value; raised when a field changes meaning.
pub const SCHEMA: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: u32,
    /// `audit` or `sync`.
    pub command: &'static str,
    pub dry_run: bool,
    pub verify: bool,
    pub source: SourceReport,
    pub copies: Vec<CopyReport>,
    pub exit: u8,
}

#[derive(Clone, Debug, Serialize)]
pub struct SourceReport {
    pub endpoint: String,
    pub path: String,
    pub repositories: usize,
    pub failed_repositories: Vec<RepositoryFailure>,
    pub manifests: usize,
    pub skipped_manifests: Vec<SkippedManifest>,
    pub foreign_layers: usize,
    pub blobs: usize,
    pub bytes: u64,
    /// Registry requests sent (every try, token requests included).
    pub requests: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CopyReport {
    pub keys: Vec<String>,
    pub url: String,
    /// Where its bucket is, or null when no store is known (audited by
    /// HEAD on its URL, not writable).
    pub store: Option<String>,
    /// `listing` (the store's API) or `head` (the public URL).
    pub checked_by: &'static str,
    pub present: usize,
    pub missing: usize,
    pub wrong: usize,
    /// Blobs whose look failed: neither present nor missing.
    pub unchecked: usize,
    pub missing_bytes: u64,
    pub missing_digests: Vec<String>,
    pub wrong_objects: Vec<WrongObject>,
    pub errors: Vec<String>,
    /// What the sync did (null for an audit).
    pub sync: Option<SyncReport>,
    /// Requests sent to the copy: its store's API (listing pages, reads,
    /// writes) or HEADs of its URL.
    pub requests: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncReport {
    /// Blobs written (or, with `--dry-run`, that would be).
    pub copied: usize,
    pub copied_bytes: u64,
    pub failed: Vec<BlobFailure>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct BlobFailure {
    pub digest: String,
    pub error: String,
}

impl CopyReport {
    /// Whether the copy holds every blob once the run is over.
    pub fn is_complete(&self, dry_run: bool) -> bool {
        let fine = self.unchecked == 0 && self.errors.is_empty();
        match &self.sync {
            Some(sync) if !dry_run => {
                fine && sync.failed.is_empty() && sync.copied == self.missing + self.wrong
            }
            _ => fine && self.missing == 0 && self.wrong == 0,
        }
    }
}

impl Report {
    /// 0 when every copy is complete and every repository was walked; 1
    /// otherwise (2 is for runs that produce no report).
    pub fn exit_code(&self) -> Exit {
        let complete = self.copies.iter().all(|c| c.is_complete(self.dry_run));
        if complete && self.source.failed_repositories.is_empty() {
            Exit::Clean
        } else {
            Exit::Problems
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serialises")
    }

    /// The table people read at the end.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let s = &self.source;
        let _ = writeln!(
            out,
            "source {}/{}: {} repositories, {} manifests, {} blobs ({})",
            s.endpoint,
            s.path,
            s.repositories,
            s.manifests,
            s.blobs,
            bytes(s.bytes)
        );
        for f in &s.failed_repositories {
            let _ = writeln!(out, "  failed repository {}: {}", f.repository, f.error);
        }
        for m in &s.skipped_manifests {
            let _ = writeln!(
                out,
                "  skipped {}@{}: {}",
                m.repository, m.reference, m.reason
            );
        }
        let sync = self.command == "sync";
        let copied_head = match (sync, self.dry_run) {
            (true, true) => "  would copy",
            (true, false) => "      copied",
            _ => "",
        };
        let _ = writeln!(
            out,
            "{:<28} {:>8} {:>8} {:>6} {:>10} {:>11}{copied_head}  store",
            "copy", "present", "missing", "wrong", "unchecked", "missing"
        );
        for c in &self.copies {
            let copied = match &c.sync {
                Some(sync) => format!(
                    " {:>11}",
                    format!("{} ({})", sync.copied, bytes(sync.copied_bytes))
                ),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "{:<28} {:>8} {:>8} {:>6} {:>10} {:>11}{copied}  {} [{}]",
                c.keys.join(","),
                c.present,
                c.missing,
                c.wrong,
                c.unchecked,
                bytes(c.missing_bytes),
                c.store.as_deref().unwrap_or("no store"),
                c.checked_by
            );
            for e in &c.errors {
                let _ = writeln!(out, "  {}: {e}", c.keys.join(","));
            }
            for f in c.sync.iter().flat_map(|s| &s.failed) {
                let _ = writeln!(
                    out,
                    "  {}: {} not copied: {}",
                    c.keys.join(","),
                    f.digest,
                    f.error
                );
            }
        }
        out
    }
}

/// `1.5 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(missing: usize, wrong: usize, sync: Option<SyncReport>) -> CopyReport {
        CopyReport {
            keys: vec!["eu-west-3".into(), "default".into()],
            url: "https://m.example".into(),
            store: Some("s3://m (eu-west-3)".into()),
            checked_by: "listing",
            present: 3,
            missing,
            wrong,
            unchecked: 0,
            missing_bytes: 1536,
            missing_digests: vec!["sha256:aa".into(); missing],
            wrong_objects: vec![],
            errors: vec![],
            sync,
            requests: 1,
        }
    }

    fn report(command: &'static str, dry_run: bool, copies: Vec<CopyReport>) -> Report {
        Report {
            schema: SCHEMA,
            command,
            dry_run,
            verify: false,
            source: SourceReport {
                endpoint: "http://127.0.0.1:5000".into(),
                path: "p".into(),
                repositories: 2,
                failed_repositories: vec![],
                manifests: 4,
                skipped_manifests: vec![],
                foreign_layers: 0,
                blobs: 5,
                bytes: 4096,
                requests: 12,
            },
            copies,
            exit: 0,
        }
    }

    #[test]
    fn exit_codes() {
        assert_eq!(
            report("audit", false, vec![copy(0, 0, None)]).exit_code(),
            Exit::Clean
        );
        assert_eq!(
            report("audit", false, vec![copy(1, 0, None)]).exit_code(),
            Exit::Problems
        );
        assert_eq!(
            report("audit", false, vec![copy(0, 1, None)]).exit_code(),
            Exit::Problems
        );
        let done = SyncReport {
            copied: 2,
            copied_bytes: 9,
            failed: vec![],
        };
        assert_eq!(
            report("sync", false, vec![copy(1, 1, Some(done.clone()))]).exit_code(),
            Exit::Clean
        );
        // A dry run changes nothing: what is missing is still missing.
        assert_eq!(
            report("sync", true, vec![copy(1, 1, Some(done))]).exit_code(),
            Exit::Problems
        );
        let failed = SyncReport {
            copied: 1,
            copied_bytes: 9,
            failed: vec![BlobFailure {
                digest: "sha256:aa".into(),
                error: "digest mismatch".into(),
            }],
        };
        assert_eq!(
            report("sync", false, vec![copy(1, 1, Some(failed))]).exit_code(),
            Exit::Problems
        );
        let mut walked_badly = report("audit", false, vec![copy(0, 0, None)]);
        walked_badly
            .source
            .failed_repositories
            .push(RepositoryFailure {
                repository: "p/x".into(),
                error: "500".into(),
            });
        assert_eq!(walked_badly.exit_code(), Exit::Problems);
    }

    #[test]
    fn json_has_the_documented_fields() {
        let json: serde_json::Value =
            serde_json::from_str(&report("audit", false, vec![copy(1, 0, None)]).to_json())
                .unwrap();
        for field in [
            "schema", "command", "dry_run", "verify", "source", "copies", "exit",
        ] {
            assert!(json.get(field).is_some(), "{field}");
        }
        let c = &json["copies"][0];
        for field in [
            "keys",
            "url",
            "store",
            "checked_by",
            "present",
            "missing",
            "wrong",
            "unchecked",
            "missing_bytes",
            "missing_digests",
            "wrong_objects",
            "errors",
            "sync",
            "requests",
        ] {
            assert!(c.get(field).is_some(), "{field}");
        }
        assert_eq!(c["keys"], serde_json::json!(["eu-west-3", "default"]));
    }

    #[test]
    fn the_table_has_a_line_per_copy() {
        let table = report(
            "sync",
            true,
            vec![copy(
                1,
                0,
                Some(SyncReport {
                    copied: 1,
                    copied_bytes: 1536,
                    failed: vec![],
                }),
            )],
        )
        .table();
        assert!(table.contains("would copy"), "{table}");
        assert!(
            table.lines().any(|l| l.starts_with("eu-west-3,default")
                && l.contains("1 (1.5 KiB)")
                && l.contains("s3://m")),
            "{table}"
        );
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }
}
