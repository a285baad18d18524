//! `make ranges`: fetch every provider file named in ranges/sources.json (or
//! read them from `--from DIR`), validate and resolve them, and write the
//! normalised snapshot the build reads (ranges/cloud-ranges.txt), printing a
//! per-(cloud, region) diff against the snapshot it replaces. Nothing is
//! written unless every file validates; the provider files themselves are
//! never written.
//!
//!   ranges-refresh [--from DIR] [--snapshot FILE] [--manifest FILE] [--regions FILE] [--dry-run]
//!                  [--max-change PERCENT] [--force] [--pr-body FILE] [--pr-body-limit BYTES]
//!
//! Regions the new snapshot routes to that ranges/regions.txt does not place
//! are listed at the end: the build fails until they are added there.
//!
//! A provider whose prefixes changed by more than `--max-change` percent
//! (default 30) is refused and nothing is written, unless `--force`: a
//! truncated download must not land. `--pr-body` writes the body of the
//! pull request the ranges workflow opens (pull_request.rs).
//!
//! Downloads use curl (no HTTP stack in the build); Azure's weekly file has a
//! rotating name, so its URL is read off the download-center page.

mod diff;
mod download;
mod guard;
mod pull_request;

use diff::Diff;
use range_tablegen::build_script::{regions_from, REGIONS_PATH, SNAPSHOT_PATH};
use range_tablegen::manifest::{Format, Manifest, Source};
use range_tablegen::providers::{self, ProviderData};
use range_tablegen::{resolve, Cloud, Snapshot};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

struct Options {
    from: Option<PathBuf>,
    snapshot: PathBuf,
    manifest: PathBuf,
    regions: PathBuf,
    dry_run: bool,
    max_change_percent: f64,
    force: bool,
    pr_body: Option<PathBuf>,
    pr_body_limit: usize,
}

const USAGE: &str = "usage: ranges-refresh [--from DIR] [--snapshot FILE] [--manifest FILE] [--regions FILE] [--dry-run]
                      [--max-change PERCENT] [--force] [--pr-body FILE] [--pr-body-limit BYTES]";

fn main() -> ExitCode {
    match parse_args().and_then(|o| run(&o)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ranges-refresh: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args() -> Result<Options, String> {
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let mut options = Options {
        from: None,
        snapshot: cwd.join(SNAPSHOT_PATH),
        manifest: cwd.join("ranges/sources.json"),
        regions: cwd.join(REGIONS_PATH),
        dry_run: false,
        max_change_percent: guard::DEFAULT_MAX_CHANGE_PERCENT,
        force: false,
        pr_body: None,
        pr_body_limit: pull_request::DEFAULT_LIMIT_BYTES,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--from" => options.from = Some(PathBuf::from(value()?)),
            "--snapshot" => options.snapshot = PathBuf::from(value()?),
            "--manifest" => options.manifest = PathBuf::from(value()?),
            "--regions" => options.regions = PathBuf::from(value()?),
            "--dry-run" => options.dry_run = true,
            "--force" => options.force = true,
            "--max-change" => {
                let text = value()?;
                options.max_change_percent = text
                    .parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=100.0).contains(p))
                    .ok_or(format!("--max-change {text:?}: a percentage from 0 to 100"))?;
            }
            "--pr-body" => options.pr_body = Some(PathBuf::from(value()?)),
            "--pr-body-limit" => {
                let text = value()?;
                options.pr_body_limit = text
                    .parse()
                    .map_err(|_| format!("--pr-body-limit {text:?}: a number of bytes"))?;
            }
            _ => return Err(format!("unknown argument {arg:?}\n{USAGE}")),
        }
    }
    Ok(options)
}

fn run(options: &Options) -> Result<(), String> {
    let manifest = Manifest::read(&options.manifest)?;
    let mut parsed = Vec::new();
    for source in &manifest.providers {
        let data = fetch(source, options.from.as_deref())?;
        eprintln!(
            "{}: {} entries (sync token {})",
            source.cloud, data.published_entries, data.sync_token
        );
        parsed.push(data);
    }
    let (snapshot, conflicts) = resolve::resolve(&parsed);
    eprintln!(
        "{} distinct prefixes; {} published with more than one location, resolved by precedence",
        snapshot.entries.len(),
        conflicts.len()
    );

    let old = previous(&options.snapshot);
    let diff = Diff::between(old.as_ref(), &snapshot);
    print!("{}", diff.report(true));
    let unplaced = new_regions(&options.regions, &snapshot);
    print!("{}", unplaced.text);

    let over = guard::over_limit(&diff, options.max_change_percent);
    let forced = if over.is_empty() {
        None
    } else {
        let what = guard::describe(&over, options.max_change_percent);
        if !options.force {
            return Err(format!(
                "refusing to write {}: {what}. A provider file may be cut short: check the \
                 diff above, then rerun with --force (make ranges FORCE=1) to accept it",
                options.snapshot.display()
            ));
        }
        eprintln!("--force: writing although {what}");
        Some(what)
    };
    if let Some(path) = &options.pr_body {
        let notes = pull_request::Notes {
            new_regions: &unplaced.regions,
            forced,
        };
        let body = pull_request::body(&diff, &notes, options.pr_body_limit);
        std::fs::write(path, body).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
        eprintln!("wrote the pull request body to {}", path.display());
    }
    if !diff.changes_routing() {
        eprintln!("no prefix changed");
    }

    if options.dry_run {
        eprintln!("dry run: {} left as it was", options.snapshot.display());
        return Ok(());
    }
    write_atomically(&options.snapshot, &snapshot.render())?;
    eprintln!("wrote {}", options.snapshot.display());
    Ok(())
}

/// One provider's file, downloaded or read from `from`, parsed.
fn fetch(source: &Source, from: Option<&Path>) -> Result<ProviderData, String> {
    let (origin, text) = match from {
        Some(dir) => {
            let path = dir.join(&source.file);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
            (path.display().to_string(), text)
        }
        None => {
            let url = match source.format {
                Format::AzureServiceTags => {
                    let page = download::fetch_text(&source.url)?;
                    let pattern = source.link_pattern.as_deref().unwrap_or_default();
                    download::find_link(&page, pattern).ok_or_else(|| {
                        format!("{}: no link matching {pattern:?} on the page", source.url)
                    })?
                }
                _ => source.url.clone(),
            };
            let text = download::fetch_text(&url)?;
            (url, text)
        }
    };
    providers::parse(source, &origin, &text)
}

/// The regions a snapshot routes to that the locations file lacks (the
/// build refuses them until they are placed), and what to print about them.
struct Unplaced {
    regions: Vec<(Cloud, String, usize)>,
    text: String,
}

fn new_regions(regions_path: &Path, snapshot: &Snapshot) -> Unplaced {
    let regions = match regions_from(regions_path) {
        Ok(regions) => regions,
        Err(e) => {
            return Unplaced {
                regions: Vec::new(),
                text: format!("note: cannot check the region locations: {e}\n"),
            }
        }
    };
    let missing = regions.missing(snapshot);
    let mut text = String::new();
    if !missing.is_empty() {
        text = format!(
            "new regions without a location in {} (the build fails until each has a line there):\n",
            regions_path.display()
        );
        for (cloud, region, n) in &missing {
            text.push_str(&format!("  {cloud} {region} ({n} prefixes)\n"));
        }
    }
    Unplaced {
        regions: missing,
        text,
    }
}

/// The snapshot being replaced, if it exists and still parses.
fn previous(path: &Path) -> Option<Snapshot> {
    let text = std::fs::read_to_string(path).ok()?;
    match Snapshot::parse(&path.display().to_string(), &text) {
        Ok(snapshot) => Some(snapshot),
        Err(e) => {
            eprintln!("note: the current snapshot does not parse, diffing against nothing: {e}");
            None
        }
    }
}

fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("{}: cannot write: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: cannot replace: {e}", path.display()))
}
