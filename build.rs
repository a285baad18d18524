//! Compiles the committed range snapshot (ranges/cloud-ranges.txt, or
//! $RANGES_SNAPSHOT) into static trie tables in OUT_DIR, which src/ranges.rs
//! includes. The work is range-tablegen's; see ranges/README.md.

fn main() {
    if let Err(message) = range_tablegen::build_script::generate() {
        eprintln!("\nerror: cannot build the range tables:\n{message}\n");
        std::process::exit(1);
    }
}
