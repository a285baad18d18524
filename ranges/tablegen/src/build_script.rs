//! What build.rs runs: the committed snapshot in, the generated tables out.

use crate::compile::compile;
use crate::emit::tables_source;
use crate::layout::Layout;
use crate::snapshot::Snapshot;
use std::path::{Path, PathBuf};

/// The snapshot the build reads, relative to the repository root.
pub const SNAPSHOT_PATH: &str = "ranges/cloud-ranges.txt";
/// Points the build at another normalised file, for experiments.
pub const SNAPSHOT_VAR: &str = "RANGES_SNAPSHOT";
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

/// Reads and compiles the snapshot at `path` into Rust source.
pub fn tables_from(path: &Path) -> Result<String, String> {
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
    Ok(tables_source(&snapshot, &layout, &v4, &v6))
}

/// The whole build step, with cargo's rerun directives.
pub fn generate() -> Result<(), String> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let path = snapshot_path(&root, std::env::var(SNAPSHOT_VAR).ok().as_deref());
    println!("cargo:rerun-if-env-changed={SNAPSHOT_VAR}");
    println!("cargo:rerun-if-changed={}", path.display());
    let source = tables_from(&path)?;
    std::fs::write(out.join(GENERATED_FILE), source).map_err(|e| e.to_string())
}
