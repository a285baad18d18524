//! The bill as a table for people, or as one JSON document (`--json`).

use super::model::{Assumptions, Bill, Class, Copy, Observed, Payload};
use super::prices::Price;
use crate::wrangler::{Environment, Section};
use serde_json::json;
use std::io::{self, Write};

/// `1234567.8` as `1,234,568`.
fn grouped(n: f64) -> String {
    // `+ 0.0` turns -0 into 0.
    let digits = format!("{:.0}", n.max(0.0) + 0.0);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A quantity: whole units from 10 up, else three significant digits.
fn quantity(n: f64) -> String {
    if n >= 10.0 || n.fract() == 0.0 {
        grouped(n)
    } else {
        format!("{n:.3}")
    }
}

fn usd(n: f64) -> String {
    if n >= 100.0 {
        format!("${}", grouped(n))
    } else if n >= 0.01 || n == 0.0 {
        format!("${n:.2}")
    } else {
        format!("${n:.4}")
    }
}

/// `wrangler.toml [env.production]`, or `wrangler.toml (top level)`.
fn where_from(env: &Environment) -> String {
    match &env.section {
        Section::TopLevel => format!("{} (top level)", env.path.display()),
        Section::Env(name) => format!("{} [env.{name}]", env.path.display()),
    }
}

/// Per million requests: cents matter, so four decimals below $1.
fn usd_fine(n: f64) -> String {
    if n >= 1.0 {
        usd(n)
    } else {
        format!("${n:.4}")
    }
}

fn copy_name(copy: &Copy) -> String {
    match copy {
        Copy::S3 { placement } => format!(
            "S3 ({})",
            serde_json::to_value(placement)
                .unwrap()
                .as_str()
                .unwrap_or("")
        ),
        Copy::CloudFront => "CloudFront".into(),
        Copy::ArtifactRegistry { placement } => format!(
            "Artifact Registry ({})",
            serde_json::to_value(placement)
                .unwrap()
                .as_str()
                .unwrap_or("")
        ),
        Copy::R2 => "R2".into(),
        Copy::Unpriced { host } => format!("{host} (unpriced)"),
    }
}

fn sampling_line(o: &Observed) -> String {
    let logs = if o.logs {
        format!(
            "Workers Logs on (head_sampling_rate {}, invocation logs {}), LOG_SAMPLE_RATE {}",
            o.head_sampling_rate,
            if o.invocation_logs { "on" } else { "off" },
            o.log_sample_rate
        )
    } else {
        "Workers Logs off".to_string()
    };
    let points = match o.analytics_sample_rate {
        Some(rate) => format!("Analytics Engine bound, ANALYTICS_SAMPLE_RATE {rate}"),
        None => "no Analytics Engine dataset".into(),
    };
    format!(
        "{logs}; {points}; rate limit {}; upstream health checks {}; {} cron invocations a month",
        if o.rate_limit { "bound" } else { "not bound" },
        if o.health_checks { "on" } else { "off" },
        grouped(o.crons_per_month)
    )
}

pub fn text(
    env: &Environment,
    observed: &Observed,
    assume: &Assumptions,
    classes: &[Class],
    bill: &Bill,
    prices: &[Price],
) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{}: {} requests a month\n{}\n",
        where_from(env),
        grouped(bill.requests),
        sampling_line(observed)
    )?;
    writeln!(
        out,
        "{:<7} {:<48} {:>14} {:<11} {:>10} {:>11}",
        "group", "meter", "quantity", "unit", "a month", "per 1M req"
    )?;
    for group in ["worker", "copies"] {
        for l in bill.lines.iter().filter(|l| l.group == group) {
            let what = if l.published {
                l.what.clone()
            } else {
                format!("{} *", l.what)
            };
            writeln!(
                out,
                "{:<7} {:<48} {:>14} {:<11} {:>10} {:>11}",
                l.group,
                what.chars().take(48).collect::<String>(),
                quantity(l.quantity),
                l.unit,
                usd(l.monthly_usd),
                usd_fine(l.per_million_usd)
            )?;
        }
    }
    let millions = bill.requests / 1e6;
    writeln!(
        out,
        "{:<7} {:<48} {:>14} {:<11} {:>10} {:>11}\n{:<7} {:<48} {:>14} {:<11} {:>10} {:>11}\n{:<7} {:<48} {:>14} {:<11} {:>10} {:>11}",
        "worker", "total", "", "", usd(bill.worker_monthly_usd), usd_fine(bill.worker_per_million_usd),
        "copies", "total", "", "", usd(bill.copies_monthly_usd), usd_fine(bill.copies_monthly_usd / millions),
        "all", "total", "", "", usd(bill.total_monthly_usd), usd_fine(bill.total_per_million_usd),
    )?;
    writeln!(out, "\nthe mix (share, kind, client -> status, copy; kept: logged and written whatever the sample):")?;
    for c in classes {
        let served = match &c.served {
            Some((copy, payload)) => format!(
                "{} ({})",
                copy_name(copy),
                match payload {
                    Payload::Blob => "blob",
                    Payload::Manifest => "manifest",
                    Payload::TagList => "tag list",
                }
            ),
            None => "no copy".into(),
        };
        writeln!(
            out,
            "  {:>6.2} %  {:<15} {:<20} -> {} {}{}",
            c.share * 100.0,
            c.kind,
            c.client,
            c.status,
            served,
            if c.always_kept { ", kept" } else { "" }
        )?;
    }
    writeln!(
        out,
        "\nassumed: {} ms CPU a request, {} ms a cron run; {} bytes a log event; blobs {} bytes, manifests {}, tag lists {}; \
         {} of blob checks leave the isolate; {} isolates; {} SQL queries a month (options: registry-edge cost --help)",
        assume.cpu_ms,
        assume.cron_cpu_ms,
        grouped(assume.log_event_bytes),
        grouped(assume.blob_bytes),
        grouped(assume.manifest_bytes),
        grouped(assume.tag_list_bytes),
        assume.check_share,
        grouped(assume.isolates),
        grouped(assume.queries)
    )?;
    let used: Vec<&Price> = prices
        .iter()
        .filter(|p| bill.lines.iter().any(|l| l.id == p.id))
        .collect();
    writeln!(
        out,
        "prices (read 2026-12-07; * = none published, assumed):"
    )?;
    for p in used {
        writeln!(
            out,
            "  {}{}: {}",
            p.id,
            if p.published { "" } else { " *" },
            p.link
        )?;
    }
    Ok(())
}

pub fn json(
    env: &Environment,
    observed: &Observed,
    assume: &Assumptions,
    classes: &[Class],
    bill: &Bill,
    prices: &[Price],
) -> io::Result<()> {
    let used: Vec<&Price> = prices
        .iter()
        .filter(|p| bill.lines.iter().any(|l| l.id == p.id))
        .collect();
    let document = json!({
        "environment": where_from(env),
        "observed": observed,
        "assumptions": assume,
        "mix": classes,
        "bill": bill,
        "prices": used,
    });
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &document)?;
    writeln!(out)
}
