//! Compiles the committed range snapshot (ranges/cloud-ranges.txt, or
//! $RANGES_SNAPSHOT) into static trie tables in OUT_DIR, which src/ranges.rs
//! includes. The work is range-tablegen's; see ranges/README.md.
//!
//! Also records what `/_status` reports about the build: the git commit
//! (`git rev-parse HEAD`, "unknown" without git) and the time the tables
//! were compiled ($SOURCE_DATE_EPOCH for reproducible builds, else now).

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    if let Err(message) = range_tablegen::build_script::generate() {
        eprintln!("\nerror: cannot build the range tables:\n{message}\n");
        std::process::exit(1);
    }
    build_info();
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

fn build_info() {
    let commit = git(&["rev-parse", "HEAD"])
        .filter(|c| c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=REGISTRY_EDGE_GIT_COMMIT={commit}");
    // Build again when HEAD moves (a commit, a checkout), also in a worktree.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]) {
            if std::path::Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }

    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let built = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    println!("cargo:rustc-env=REGISTRY_EDGE_TABLES_BUILT={built}");
}
