//! Build-time half of the range tables: read the provider files named in
//! ranges/sources.json, resolve them into one longest-prefix-match set and
//! compile the tries that build.rs writes to OUT_DIR.
//!
//! Shared with `#[path]` by build.rs, the tests, the benchmark and the
//! ranges/refresh tool, so the parsers exist once. Never part of the
//! library (and so never part of the wasm).

#[path = "../cloud.rs"]
pub mod cloud;
pub mod emit;
pub mod manifest;
pub mod providers;
pub mod resolve;
#[path = "../trie.rs"]
pub mod trie;
pub mod trie_compiler;

use std::path::{Path, PathBuf};

/// Environment variable naming the directory that holds the provider files.
pub const RANGES_DIR_VAR: &str = "RANGES_DIR";

/// Reads the manifest and every provider file it names from `data_dir`.
pub fn load(
    manifest_path: &Path,
    data_dir: &Path,
) -> Result<(manifest::Manifest, Vec<providers::ProviderData>), String> {
    let manifest = manifest::Manifest::read(manifest_path)?;
    if !data_dir.is_dir() {
        return Err(missing_data_help(data_dir));
    }
    let mut all = Vec::with_capacity(manifest.providers.len());
    for source in &manifest.providers {
        let path = data_dir.join(&source.file);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                missing_data_help(data_dir)
            } else {
                format!("{}: cannot read: {e}", path.display())
            }
        })?;
        all.push(providers::parse(
            source,
            &path.display().to_string(),
            &text,
        )?);
    }
    Ok((manifest, all))
}

/// The message for a ranges directory without provider data.
pub fn missing_data_help(data_dir: &Path) -> String {
    format!(
        "no provider range data in {}: the cloud IP range files are not committed.\n\
         Download them with `make ranges` (or `make ranges FROM=<dir>` to copy a local snapshot),\n\
         or point {RANGES_DIR_VAR} at a directory that has them, e.g. RANGES_DIR=../shared/ranges.",
        data_dir.display()
    )
}

/// Resolves `RANGES_DIR` (relative paths against `base`), defaulting to `base/ranges`.
pub fn data_dir(base: &Path, env_value: Option<&str>) -> PathBuf {
    match env_value {
        Some(v) if !v.is_empty() => base.join(v),
        _ => base.join("ranges"),
    }
}
