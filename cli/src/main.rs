//! `registry-edge`: the native command beside the worker. It reads the same
//! range tables and the same configuration parser as the worker, without
//! the Workers adapter (README, "The CLI").

mod config_check;
mod cost;
mod exit;
mod mirrors;
mod tables;
mod wrangler;

use clap::{Parser, Subcommand};
use exit::Exit;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "registry-edge",
    version,
    about = "The registry.k8s.io redirector's range tables and configuration, from the command line",
    after_help = "Exit codes: 0 all is well; 1 problems found; 2 the command could not run."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print ADDRESS<TAB>CLOUD<TAB>REGION for each address (`- -` when no
    /// range holds it); without arguments, read addresses from stdin, one
    /// per line.
    Lookup { addresses: Vec<String> },
    /// Print the range data's provenance and the prefix counts per cloud
    /// and region.
    Ranges,
    /// Print CLOUD REGION LAT LON PARTITION FLAGS for every placed region
    /// (ranges/regions.txt).
    Regions,
    /// An environment's configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The copies the worker redirects blobs to: audit them, fill them
    /// (docs/mirrors.md).
    #[command(subcommand)]
    Mirrors(mirrors::MirrorsCommand),
    /// What an environment costs a month, per meter and per million
    /// requests, from its configuration (what is sampled, which bindings
    /// exist) and the copies the request mix reaches; prices cited in
    /// cli/src/cost/prices.toml.
    Cost(CostArgs),
}

#[derive(clap::Args)]
struct CostArgs {
    #[command(flatten)]
    environment: EnvironmentArgs,
    /// The wrangler configuration (as a positional argument).
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
    /// Requests a month.
    #[arg(long, default_value_t = 1e9, value_name = "N")]
    requests: f64,
    /// Set the share of one kind of request (blob, absent-blob,
    /// manifest-tag, manifest-digest, tags, error); the other kinds keep
    /// their proportions of make load's mix in what is left. Repeatable.
    #[arg(long = "share", value_name = "KIND=FRACTION", value_parser = parse_share)]
    shares: Vec<(String, f64)>,
    /// Billed CPU milliseconds per request.
    #[arg(long, default_value_t = cost::DEFAULT_ASSUMPTIONS.cpu_ms)]
    cpu_ms: f64,
    /// Bytes of one stored Workers Logs event (Cloudflare's published
    /// average for Workers: 4.84 KB).
    #[arg(long, default_value_t = cost::DEFAULT_ASSUMPTIONS.log_event_bytes)]
    log_event_bytes: f64,
    /// Mean bytes of a blob.
    #[arg(long, default_value_t = cost::DEFAULT_ASSUMPTIONS.blob_bytes)]
    blob_bytes: f64,
    /// Mean bytes of a manifest.
    #[arg(long, default_value_t = cost::DEFAULT_ASSUMPTIONS.manifest_bytes)]
    manifest_bytes: f64,
    /// The share of checked blob requests whose check leaves the isolate
    /// (a Cache API lookup and at most one HEAD to the copy).
    #[arg(long, default_value_t = cost::DEFAULT_ASSUMPTIONS.check_share)]
    check_share: f64,
    /// Isolates reading the upstream health record (with health checks on).
    #[arg(long, default_value_t = cost::DEFAULT_ASSUMPTIONS.isolates)]
    isolates: f64,
    /// Analytics Engine SQL queries a month.
    #[arg(long, default_value_t = cost::DEFAULT_ASSUMPTIONS.queries)]
    queries: f64,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

/// `KIND=FRACTION`.
fn parse_share(text: &str) -> Result<(String, f64), String> {
    let (kind, share) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not KIND=FRACTION"))?;
    let share: f64 = share
        .parse()
        .map_err(|_| format!("{share:?} is not a number"))?;
    Ok((kind.to_string(), share))
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check an environment's [vars] with the worker's own parser: print each
    /// problem naming its variable; exit 1 on any.
    Check {
        #[command(flatten)]
        environment: EnvironmentArgs,
        /// The wrangler configuration (as a positional argument).
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
    },
}

/// Which environment of which wrangler.toml.
#[derive(clap::Args)]
struct EnvironmentArgs {
    /// The [env.NAME] section; the top level without it.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Lookup { addresses } if addresses.is_empty() => io_exit(tables::lookup_stdin()),
        Command::Lookup { addresses } => {
            io_exit(tables::lookup_all(addresses.iter().map(String::as_str)))
        }
        Command::Ranges => io_exit(tables::print_ranges()),
        Command::Regions => io_exit(tables::print_regions()),
        Command::Cost(args) => {
            let path = args
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from("wrangler.toml"));
            let counts = [
                ("--requests", args.requests),
                ("--cpu-ms", args.cpu_ms),
                ("--log-event-bytes", args.log_event_bytes),
                ("--blob-bytes", args.blob_bytes),
                ("--manifest-bytes", args.manifest_bytes),
                ("--isolates", args.isolates),
                ("--queries", args.queries),
            ];
            let bad = counts
                .iter()
                .find(|(_, n)| !(n.is_finite() && *n >= 0.0))
                .map(|(name, n)| format!("{name} {n}: not a number of at least 0"))
                .or_else(|| {
                    (!(0.0..=1.0).contains(&args.check_share)).then(|| {
                        format!(
                            "--check-share {}: not a share from 0 to 1",
                            args.check_share
                        )
                    })
                });
            if let Some(problem) = bad {
                eprintln!("registry-edge cost: {problem}");
                return Exit::Unusable.into();
            }
            match wrangler::Environment::read(&path, args.environment.env.as_deref()) {
                Ok(env) => {
                    let assumptions = cost::model::Assumptions {
                        cpu_ms: args.cpu_ms,
                        log_event_bytes: args.log_event_bytes,
                        blob_bytes: args.blob_bytes,
                        manifest_bytes: args.manifest_bytes,
                        check_share: args.check_share,
                        isolates: args.isolates,
                        queries: args.queries,
                        ..cost::DEFAULT_ASSUMPTIONS
                    };
                    let request = cost::Request {
                        requests: args.requests,
                        shares: args.shares,
                        assumptions,
                        json: args.json,
                    };
                    cost::run(&env, &request).into()
                }
                Err(e) => {
                    eprintln!("registry-edge cost: {e}");
                    Exit::Unusable.into()
                }
            }
        }
        Command::Config(ConfigCommand::Check { environment, path }) => {
            let path = path.unwrap_or_else(|| PathBuf::from("wrangler.toml"));
            match wrangler::Environment::read(&path, environment.env.as_deref()) {
                Ok(env) => config_check::run(&env).into(),
                Err(e) => {
                    eprintln!("registry-edge config check: {e}");
                    Exit::Unusable.into()
                }
            }
        }
        Command::Mirrors(command) => mirrors::run(command).into(),
    }
}

/// The table commands' result: all parsed, some input unparsable, or an
/// output error.
fn io_exit(result: io::Result<bool>) -> ExitCode {
    match result {
        Ok(true) => Exit::Clean.into(),
        Ok(false) => Exit::Problems.into(),
        // A closed stdout (e.g. `| head`) is not worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Clean.into(),
        Err(e) => {
            eprintln!("registry-edge: {e}");
            Exit::Unusable.into()
        }
    }
}
