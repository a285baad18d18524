//! `registry-edge mirrors audit|sync`: which blobs the copies the worker
//! redirects to lack, and copying them there (docs/mirrors.md).
//!
//! The pure core (which copies, where their buckets are, the walk's
//! parsing, the comparison, part sizes, the report) is in its own modules
//! and tested natively; the adapters (the registry, the stores, the public
//! URLs) are thin and tested against real servers (tests/mirrors/).

mod audit;
mod auth;
mod conditional;
pub mod copies;
mod parts;
mod progress;
mod public_url;
mod registry;
mod report;
mod retry;
mod run;
mod store;
pub mod store_location;
mod transfer;
mod walk;

pub use run::run;

use std::path::PathBuf;
use store_location::StoreOverride;

#[derive(clap::Subcommand)]
pub enum MirrorsCommand {
    /// Say, for every copy, which blobs of the upstream it lacks. Exit 0
    /// when every copy is complete, 1 when anything is missing or wrong, 2
    /// on bad input or an unreachable source.
    Audit {
        #[command(flatten)]
        common: Common,
        /// Download every present object and hash it.
        #[arg(long)]
        verify: bool,
    },
    /// Copy what an audit finds missing or wrong into each copy's bucket,
    /// verified byte for byte. Exit codes as for audit.
    Sync {
        #[command(flatten)]
        common: Common,
        /// Print what would be copied (count, bytes); write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// What both commands take.
#[derive(clap::Args, Clone, Debug)]
pub struct Common {
    /// The wrangler configuration.
    #[arg(long, value_name = "PATH", default_value = "wrangler.toml")]
    pub config: PathBuf,
    /// The [env.NAME] section; the top level without it.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Only the copy with this key (`eu-west-3`, `azure:westeurope`,
    /// `default`); repeatable.
    #[arg(long = "mirror", value_name = "KEY")]
    pub mirrors: Vec<String>,
    /// Only this repository, as clients pull it (without
    /// UPSTREAM_REGISTRY_PATH), and the repositories nested in it; repeatable.
    #[arg(long = "repository", value_name = "NAME")]
    pub repositories: Vec<String>,
    /// Where the bucket of the copy with this key is, when its URL does
    /// not say: s3://BUCKET[/PREFIX], r2://ACCOUNT_ID/BUCKET, gs://BUCKET,
    /// az://ACCOUNT/CONTAINER, http(s)://HOST[:PORT]/BUCKET; repeatable.
    #[arg(long = "store", value_name = "KEY=URL")]
    pub stores: Vec<StoreOverride>,
    /// Registry requests per second.
    #[arg(long, value_name = "N", default_value_t = registry::DEFAULT_RATE)]
    pub rate: u32,
    /// Blobs copied (or checked) at once; also the number of parts held in
    /// memory at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    /// Multipart part size in MiB (5 to 5120); blobs no larger are one write.
    #[arg(long, value_name = "MIB", default_value_t = parts::DEFAULT_PART_SIZE / parts::MIB)]
    pub part_size: u64,
    /// Write one JSON document (schema in docs/mirrors.md) instead of the table.
    #[arg(long)]
    pub json: bool,
}
