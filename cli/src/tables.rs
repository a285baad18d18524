//! `lookup`, `ranges`, `regions`: the range tables compiled into this
//! binary, the same the worker routes by.

use registry_edge::places::ranges;
use std::io::{self, BufWriter, Read, Write};
use std::net::IpAddr;

pub fn lookup_stdin() -> io::Result<bool> {
    let mut input = Vec::new();
    io::stdin().lock().read_to_end(&mut input)?;
    let text = String::from_utf8_lossy(&input);
    lookup_all(text.lines().map(str::trim).filter(|line| !line.is_empty()))
}

/// Prints one line per address; returns false if any did not parse.
pub fn lookup_all<'a>(addresses: impl Iterator<Item = &'a str>) -> io::Result<bool> {
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

pub fn print_ranges() -> io::Result<bool> {
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

pub fn print_regions() -> io::Result<bool> {
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
