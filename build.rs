//! Compiles the cloud providers' published IP ranges into static trie tables
//! (OUT_DIR/range_tables.rs, included by src/ranges.rs). Provider files are
//! read from $RANGES_DIR (default ranges/); see ranges/README.md.

#[allow(dead_code)]
#[path = "src/tablegen/mod.rs"]
mod tablegen;

use std::path::PathBuf;

fn main() {
    if let Err(message) = run() {
        eprintln!("\nerror: cannot build the range tables:\n{message}\n");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let base = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let manifest_path = base.join("ranges").join("sources.json");
    let ranges_dir = std::env::var(tablegen::RANGES_DIR_VAR).ok();
    let data_dir = tablegen::data_dir(&base, ranges_dir.as_deref());
    println!("cargo:rerun-if-env-changed={}", tablegen::RANGES_DIR_VAR);
    println!("cargo:rerun-if-changed={}", manifest_path.display());
    println!("cargo:rerun-if-changed={}", data_dir.display());
    for source in ["src/tablegen", "src/trie.rs", "src/cloud.rs"] {
        println!("cargo:rerun-if-changed={source}");
    }

    let (manifest, providers) = tablegen::load(&manifest_path, &data_dir)?;
    for source in &manifest.providers {
        println!(
            "cargo:rerun-if-changed={}",
            data_dir.join(&source.file).display()
        );
    }
    let resolved = tablegen::resolve::resolve(&providers)?;
    let v4 = tablegen::trie_compiler::compile(32, &resolved.v4)?;
    let v6 = tablegen::trie_compiler::compile(128, &resolved.v6)?;
    let source = tablegen::emit::tables_source(&providers, &resolved, &v4, &v6);
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    std::fs::write(out.join("range_tables.rs"), source).map_err(|e| e.to_string())
}
