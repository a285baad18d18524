//! `registry-edge`: the native command beside the worker. It reads the same
//! range tables and the same configuration parser as the worker, without
//! the Workers adapter (README, "The CLI").

mod config_check;
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
