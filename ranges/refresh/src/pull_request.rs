//! The body of the pull request the ranges workflow opens: what changed per
//! provider, the regions the build will refuse until they are placed, a
//! forced change, and the per-(cloud, region) report `make ranges` prints,
//! cut to fit GitHub's limit on a body (65,536 characters).

use crate::diff::Diff;
use range_tablegen::Cloud;
use std::fmt::Write;

/// The default `--pr-body-limit`: below GitHub's 65,536 characters, with
/// room for what a reviewer's edit adds.
pub const DEFAULT_LIMIT_BYTES: usize = 60_000;

/// What the body says besides the diff.
pub struct Notes<'a> {
    /// Regions routed to that `ranges/regions.txt` does not place, with
    /// their prefix counts.
    pub new_regions: &'a [(Cloud, String, usize)],
    /// The guard's description, when `--force` let a large change through.
    pub forced: Option<String>,
}

pub fn body(diff: &Diff, notes: &Notes<'_>, limit: usize) -> String {
    let mut head = String::from(
        "The cloud providers' published IP ranges changed: `make ranges` rewrote \
         `ranges/cloud-ranges.txt` (ranges/README.md). Review the diff, merge, then deploy: \
         the tables are compiled into the worker.\n\n",
    );
    head.push_str(
        "| provider | sync token | prefixes before | added | removed |\n|---|---|---|---|---|\n",
    );
    for c in &diff.clouds {
        let old = c.old_token.as_deref().unwrap_or("none");
        writeln!(
            head,
            "| {} | {old} → {} | {} | {} | {} |",
            c.cloud, c.new_token, c.before, c.added, c.removed
        )
        .unwrap();
    }
    if !notes.new_regions.is_empty() {
        head.push_str(
            "\n**New regions without a location.** The build fails until `ranges/regions.txt` \
             has a line for each (the provider's published location; ranges/README.md):\n\n",
        );
        for (cloud, region, n) in notes.new_regions {
            writeln!(head, "- {cloud} {region} ({n} prefixes)").unwrap();
        }
    }
    if let Some(forced) = &notes.forced {
        writeln!(
            head,
            "\n**Started with force**: {forced}. Check that no provider file was cut short."
        )
        .unwrap();
    }
    head.push_str("\nPer (cloud, region), as `make ranges` prints it:\n\n");

    let fence = |report: &str, note: &str| format!("{head}```text\n{report}```\n{note}");
    let full = fence(&diff.report(true), "");
    if full.len() <= limit {
        return full;
    }
    let prefixes: usize = diff
        .regions
        .iter()
        .map(|r| r.added.len() + r.removed.len())
        .sum();
    let note = format!(
        "\nThe {prefixes} prefix lines are left out to fit; the diff of `ranges/cloud-ranges.txt` has them.\n"
    );
    let summary = fence(&diff.report(false), &note);
    if summary.len() <= limit {
        return summary;
    }
    // Even the summary lines do not fit: as many whole lines as do.
    let cut_note = "\nCut to fit; the diff of `ranges/cloud-ranges.txt` has every change.\n";
    let budget = limit.saturating_sub(head.len() + cut_note.len() + "```text\n```\n".len());
    let mut kept = String::new();
    for line in diff.report(false).lines() {
        if kept.len() + line.len() + 1 > budget {
            break;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    fence(&kept, cut_note)
}
