//! `registry-edge`: the range tables and the configuration from the
//! command line (native only).
//!
//!   registry-edge lookup [IP...]   IP<TAB>CLOUD<TAB>REGION per address
//!                                  (stdin, one per line, without arguments)
//!   registry-edge ranges           data provenance and prefix counts
//!   registry-edge regions          where each region is (ranges/regions.txt)
//!   registry-edge config check [--env NAME] [PATH]
//!                                  an environment's [vars], as the worker reads them

mod config_check;

use registry_edge::places::ranges;
use std::io::{self, BufWriter, Read, Write};
use std::net::IpAddr;
use std::process::ExitCode;

const USAGE: &str = "usage:
  registry-edge lookup [IP...]   print IP<TAB>CLOUD<TAB>REGION for each address
                                 (addresses are read from stdin, one per line,
                                 when none are given; no match prints - -)
  registry-edge ranges           print the data provenance and the prefix
                                 counts per cloud and region
  registry-edge regions          print CLOUD REGION LAT LON PARTITION FLAGS for
                                 every placed region (ranges/regions.txt)
  registry-edge config check [--env NAME] [PATH]
                                 check the [vars] of wrangler.toml (PATH), or of
                                 its [env.NAME], with the worker's own parser:
                                 prints each problem naming its variable, exits
                                 1 on any";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("lookup") if args.len() > 1 => lookup_all(args[1..].iter().map(String::as_str)),
        Some("lookup") => lookup_stdin(),
        Some("ranges") if args.len() == 1 => print_ranges(),
        Some("regions") if args.len() == 1 => print_regions(),
        Some("config") if args.get(1).map(String::as_str) == Some("check") => {
            return ExitCode::from(config_check::run(&args[2..]));
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(true)
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        // A closed stdout (e.g. `| head`) is not worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("registry-edge: {e}");
            ExitCode::FAILURE
        }
    }
}

fn lookup_stdin() -> io::Result<bool> {
    let mut input = Vec::new();
    io::stdin().lock().read_to_end(&mut input)?;
    let text = String::from_utf8_lossy(&input);
    lookup_all(text.lines().map(str::trim).filter(|line| !line.is_empty()))
}

/// Prints one line per address; returns false if any did not parse.
fn lookup_all<'a>(addresses: impl Iterator<Item = &'a str>) -> io::Result<bool> {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut all_parsed = true;
    for text in addresses {
        match text.parse::<IpAddr>() {
            Ok(ip) => match ranges::TABLES.lookup(ip) {
                Some(l) => writeln!(out, "{text}\t{}\t{}", l.cloud, l.region)?,
                None => writeln!(out, "{text}\t-\t-")?,
            },
            Err(_) => {
                all_parsed = false;
                eprintln!("registry-edge: not an IP address: {text:?}");
            }
        }
    }
    out.flush()?;
    Ok(all_parsed)
}

fn print_ranges() -> io::Result<bool> {
    let mut out = io::stdout().lock();
    writeln!(out, "# providers")?;
    for p in &ranges::PROVIDERS {
        let created = if p.created.is_empty() { "-" } else { p.created };
        writeln!(
            out,
            "{}\tsync_token={}\tcreated={created}\tpublished_entries={}\texcluded_entries={}\texcluded_regions={}\tv4_prefixes={}\tv6_prefixes={}\turl={}",
            p.cloud,
            p.sync_token,
            p.published_entries,
            p.excluded_entries,
            if p.exclude_regions.is_empty() { "-".to_string() } else { p.exclude_regions.join(",") },
            p.v4_prefixes,
            p.v6_prefixes,
            p.url,
        )?;
    }
    writeln!(out, "# regions: CLOUD\tREGION\tV4_PREFIXES\tV6_PREFIXES")?;
    for (location, v4, v6) in ranges::locations() {
        writeln!(out, "{}\t{}\t{v4}\t{v6}", location.cloud, location.region)?;
    }
    writeln!(out, "# table_bytes\t{}", ranges::table_bytes())?;
    Ok(true)
}

fn print_regions() -> io::Result<bool> {
    let mut out = io::stdout().lock();
    writeln!(out, "# CLOUD\tREGION\tLAT\tLON\tPARTITION\tFLAGS")?;
    for site in ranges::TABLES.sites {
        let partition = if site.partition.is_empty() {
            "-"
        } else {
            site.partition
        };
        let flags = if site.unverified { "unverified" } else { "-" };
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{partition}\t{flags}",
            site.cloud, site.region, site.lat, site.lon
        )?;
    }
    Ok(true)
}
