//! What build.rs runs: the committed snapshot and region locations in, the
//! generated tables out.

use crate::compile::compile;
use crate::emit::tables_source;
use crate::layout::Layout;
use crate::regions::RegionFile;
use crate::snapshot::Snapshot;
use std::path::{Path, PathBuf};

/// The snapshot the build reads, relative to the repository root.
pub const SNAPSHOT_PATH: &str = "ranges/cloud-ranges.txt";
/// Points the build at another normalised file, for experiments.
pub const SNAPSHOT_VAR: &str = "RANGES_SNAPSHOT";
/// Where the regions are, relative to the repository root.
pub const REGIONS_PATH: &str = "ranges/regions.txt";
/// The generated file in OUT_DIR.
pub const GENERATED_FILE: &str = "range_tables.rs";

/// The snapshot to read: `$RANGES_SNAPSHOT` (relative to `root`) or the
/// committed one.
pub fn snapshot_path(root: &Path, env_value: Option<&str>) -> PathBuf {
    match env_value {
        Some(v) if !v.is_empty() => root.join(v),
        _ => root.join(SNAPSHOT_PATH),
    }
}

/// Reads the region locations at `path`.
pub fn regions_from(path: &Path) -> Result<RegionFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the region locations: {e}", path.display()))?;
    RegionFile::parse(&path.display().to_string(), &text)
}

/// Reads and compiles the snapshot at `path` and the region locations at
/// `regions_path` into Rust source; fails naming every region the snapshot
/// routes to that the locations lack.
pub fn tables_from(path: &Path, regions_path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{}: cannot read the range snapshot: {e}\n(it is committed; `make ranges` rewrites it from the providers' files)",
            path.display()
        )
    })?;
    let snapshot = Snapshot::parse(&path.display().to_string(), &text)?;
    let layout = Layout::of(&snapshot.entries)?;
    let v4 = compile(32, &layout.v4)?;
    let v6 = compile(128, &layout.v6)?;
    let regions = regions_from(regions_path)?;
    regions.check_covers(&regions_path.display().to_string(), &snapshot)?;
    let mut source = tables_source(&snapshot, &layout, &v4, &v6);
    source.push('\n');
    source.push_str(&regions.sites_source());
    Ok(source)
}

/// The whole build step, with cargo's rerun directives.
pub fn generate() -> Result<(), String> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let path = snapshot_path(&root, std::env::var(SNAPSHOT_VAR).ok().as_deref());
    println!("cargo:rerun-if-env-changed={SNAPSHOT_VAR}");
    println!("cargo:rerun-if-changed={}", path.display());
    let regions_path = root.join(REGIONS_PATH);
    println!("cargo:rerun-if-changed={}", regions_path.display());
    let source = tables_from(&path, &regions_path)?;
    std::fs::write(out.join(GENERATED_FILE), source).map_err(|e| e.to_string())
}
