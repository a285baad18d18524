//! `make ranges`: fetch every provider file named in ranges/sources.json into
//! the ranges directory (or copy them from `--from DIR`), validate them with
//! the very parsers build.rs uses, print a per-(cloud, region) diff of added
//! and removed prefixes against the files they replace, then replace them.
//! Nothing is written unless every file validates.
//!
//!   ranges-refresh [--from DIR] [--dir DIR] [--manifest FILE] [--dry-run]
//!
//! Downloads use curl (no HTTP stack in the build); Azure's weekly file has a
//! rotating name, so its URL is read off the download-center page.

#[allow(dead_code)]
#[path = "../../../src/tablegen/mod.rs"]
mod tablegen;

mod diff;
mod download;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tablegen::manifest::{Format, Manifest};
use tablegen::providers::{self, ProviderData};

struct Options {
    from: Option<PathBuf>,
    dir: PathBuf,
    manifest: PathBuf,
    dry_run: bool,
}

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
    let env_dir = std::env::var(tablegen::RANGES_DIR_VAR).ok();
    let mut options = Options {
        from: None,
        dir: tablegen::data_dir(&cwd, env_dir.as_deref()),
        manifest: cwd.join("ranges/sources.json"),
        dry_run: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--from" => options.from = Some(PathBuf::from(value()?)),
            "--dir" => options.dir = PathBuf::from(value()?),
            "--manifest" => options.manifest = PathBuf::from(value()?),
            "--dry-run" => options.dry_run = true,
            _ => {
                return Err(format!(
                    "unknown argument {arg:?}\nusage: ranges-refresh [--from DIR] [--dir DIR] [--manifest FILE] [--dry-run]"
                ))
            }
        }
    }
    Ok(options)
}

fn run(options: &Options) -> Result<(), String> {
    let manifest = Manifest::read(&options.manifest)?;
    let mut fresh = Vec::new();
    for source in &manifest.providers {
        let (origin, text) = match &options.from {
            Some(from) => {
                let path = from.join(&source.file);
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
                (url.clone(), download::fetch_text(&url)?)
            }
        };
        let data = providers::parse(source, &origin, &text)?;
        eprintln!(
            "{}: {} entries from {origin} (sync token {})",
            source.cloud, data.published_entries, data.sync_token
        );
        fresh.push((source, text, data));
    }

    for (source, _, data) in &fresh {
        let old = previous(&options.dir.join(&source.file), source);
        print!("{}", diff::report(old.as_ref(), data));
    }

    if options.dry_run {
        eprintln!("dry run: {} left as it was", options.dir.display());
        return Ok(());
    }
    std::fs::create_dir_all(&options.dir)
        .map_err(|e| format!("{}: cannot create: {e}", options.dir.display()))?;
    for (source, text, _) in &fresh {
        write_atomically(&options.dir.join(&source.file), text)?;
    }
    eprintln!("wrote {} files to {}", fresh.len(), options.dir.display());
    Ok(())
}

/// The file being replaced, if it exists and still parses.
fn previous(path: &Path, source: &tablegen::manifest::Source) -> Option<ProviderData> {
    let text = std::fs::read_to_string(path).ok()?;
    match providers::parse(source, &path.display().to_string(), &text) {
        Ok(data) => Some(data),
        Err(e) => {
            eprintln!("note: the current file does not parse, diffing against nothing: {e}");
            None
        }
    }
}

fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("{}: cannot write: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: cannot replace: {e}", path.display()))
}
