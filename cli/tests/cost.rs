//! `registry-edge cost`, run as users run it: quantities worked out by hand
//! for a small configuration, what the environments' own tables say
//! (inherited [observability], [triggers]), the shipped production
//! configuration's sampling, and the default mix against the load mix
//! and the test support's personas.

use serde_json::Value;
use std::process::Command;

fn cost(toml: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let dir = std::env::temp_dir().join(format!(
        "registry-edge-cost-{}-{}",
        std::process::id(),
        args.join("_").len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("wrangler-{}.toml", toml.len()));
    std::fs::write(&path, toml).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_registry-edge"))
        .arg("cost")
        .arg(&path)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(toml: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (code, out, err) = cost(toml, &all);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_str(&out).unwrap()
}

fn quantity(bill: &Value, id: &str) -> f64 {
    bill["bill"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id)
        .map_or(0.0, |l| l["quantity"].as_f64().unwrap())
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} != {b}");
}

/// The top level's [observability] and [triggers] are inherited by
/// [env.t]; [env.u] has its own (logs off) and its own crons.
const SMALL: &str = r#"
name = "w"

[observability]
enabled = true
head_sampling_rate = 0.5

[observability.logs]
invocation_logs = false

[triggers]
crons = ["*/10 * * * *"]

[env.t.vars]
UPSTREAM_REGISTRY_ENDPOINT = "https://us-central1-docker.pkg.dev"
DEFAULT_BLOB_BASE_URL = "https://d1be1w964nk82h.cloudfront.net"
LOG_SAMPLE_RATE = 0.5
ANALYTICS_SAMPLE_RATE = 0.2

[[env.t.analytics_engine_datasets]]
binding = "PULL_ANALYTICS"
dataset = "d"

[env.u]
[env.u.observability]
enabled = false
[env.u.triggers]
crons = []
[env.u.vars]
UPSTREAM_REGISTRY_ENDPOINT = "https://us-central1-docker.pkg.dev"
"#;

#[test]
fn errors_are_traced_whatever_the_sample() {
    // 20M requests, all errors (400): each logged and written. Half the
    // invocations are kept by head sampling; the cron runs every 10
    // minutes, 4,320 times in 30 days, each with its summary line.
    let b = json(
        SMALL,
        &["--env", "t", "--requests", "20000000", "--share", "error=1"],
    );
    let events = 0.5 * (20_000_000.0 + 4_320.0);
    close(quantity(&b, "logs_ingestion"), events * 4_840.0 / 1e9);
    close(quantity(&b, "analytics_points"), 20_000_000.0);
    close(quantity(&b, "workers_requests"), 20_004_320.0);
    assert_eq!(b["observed"]["invocation_logs"], false);
    assert_eq!(b["mix"][0]["status"], 400);
    assert_eq!(b["mix"][0]["always_kept"], true);
}

#[test]
fn ordinary_requests_are_sampled() {
    // All manifests by digest from unknown clients: half the lines, a
    // fifth of the points, 2,000 bytes each from Artifact Registry over
    // the Internet: 40 GB at $0.12.
    let b = json(
        SMALL,
        &[
            "--env",
            "t",
            "--requests",
            "20000000",
            "--share",
            "manifest-digest=1",
        ],
    );
    close(
        quantity(&b, "logs_ingestion"),
        0.5 * (10_000_000.0 + 4_320.0) * 4_840.0 / 1e9,
    );
    close(quantity(&b, "analytics_points"), 4_000_000.0);
    close(quantity(&b, "ar_egress_internet"), 40.0);
    let line = b["bill"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "ar_egress_internet")
        .unwrap()
        .clone();
    close(line["monthly_usd"].as_f64().unwrap(), 4.8);
    // Nothing is billed on meters the configuration lacks.
    for absent in ["rate_limit_calls", "kv_reads", "kv_writes"] {
        assert_eq!(quantity(&b, absent), 0.0, "{absent}");
    }
}

#[test]
fn an_environment_replaces_the_inherited_tables() {
    let b = json(SMALL, &["--env", "u", "--requests", "20000000"]);
    assert_eq!(b["observed"]["logs"], false);
    assert_eq!(b["observed"]["crons_per_month"], 0.0);
    assert_eq!(quantity(&b, "logs_ingestion"), 0.0);
    assert_eq!(quantity(&b, "analytics_points"), 0.0);
}

#[test]
fn bad_input_is_named() {
    let (code, _, err) = cost(SMALL, &["--env", "t", "--share", "blobs=0.5"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown kind \"blobs\""), "{err}");
    let (code, _, err) = cost(SMALL, &["--env", "nope"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no [env.nope]"), "{err}");
    let bad = SMALL.replace("LOG_SAMPLE_RATE = 0.5", "LOG_SAMPLE_RATE = 5");
    let (code, _, err) = cost(&bad, &["--env", "t"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("LOG_SAMPLE_RATE"), "{err}");
    for args in [
        ["--check-share", "1.5"],
        ["--cpu-ms", "inf"],
        ["--requests", "NaN"],
    ] {
        let mut all = vec!["--env", "t"];
        all.extend_from_slice(&args);
        let (code, _, err) = cost(SMALL, &all);
        assert_eq!(code, Some(2), "{args:?}");
        assert!(err.contains(args[0]), "{err}");
    }
    let cron = SMALL.replace("*/10 * * * *", "0 0 1 * *");
    let (code, _, err) = cost(&cron, &["--env", "t"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cron"), "{err}");
}

fn shipped() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../wrangler.toml")).unwrap()
}

#[test]
fn the_shipped_production_configuration() {
    let b = json(&shipped(), &["--env", "production"]);
    let o = &b["observed"];
    assert_eq!(
        (
            o["logs"].as_bool(),
            o["head_sampling_rate"].as_f64(),
            o["invocation_logs"].as_bool()
        ),
        (Some(true), Some(1.0), Some(false))
    );
    assert_eq!(o["log_sample_rate"], 0.01);
    assert_eq!(o["analytics_sample_rate"], 0.1);
    assert_eq!(o["rate_limit"], true);
    assert_eq!(o["health_checks"], false);
    // The rig's AWS personas reach their own region's bucket; the unknown
    // client the CDN; the GCP client its own Artifact Registry region.
    let mix = b["mix"].as_array().unwrap();
    let served = |kind: &str, client: &str| -> Value {
        mix.iter()
            .find(|c| c["kind"] == kind && c["client"] == client)
            .unwrap()["served"][0]
            .clone()
    };
    for region in ["eu-west-3", "us-east-2", "us-west-2", "us-east-1"] {
        assert_eq!(
            served("blob", &format!("AWS {region}"))["placement"],
            "same-region",
            "{region}"
        );
    }
    assert_eq!(served("blob", "unknown")["kind"], "cloud-front");
    assert_eq!(
        served("blob", "GCP europe-north1")["placement"],
        "same-region"
    );
    assert_eq!(
        served("absent-blob", "AWS eu-west-3")["kind"],
        "artifact-registry"
    );
    // What the worker costs per million requests stays at the requests'
    // own $0.30 and a little more.
    let per_million = b["bill"]["worker_per_million_usd"].as_f64().unwrap();
    assert!(per_million < 0.35, "{per_million}");
}

/// The mix's clients are the rig's personas (tests/support/personas.mjs's
/// `RIG_PERSONAS`, read by Node), in order, each with a sixth of the blobs.
#[test]
fn the_mix_personas_are_the_rigs() {
    let module = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/support/personas.mjs");
    let rig = node_json(&format!(
        "const {{ RIG_PERSONAS }} = await import({module:?});
         console.log(JSON.stringify(RIG_PERSONAS.map((p) => p.ip)));"
    ));
    let rig: Vec<&str> = rig
        .as_array()
        .unwrap()
        .iter()
        .map(|ip| ip.as_str().unwrap())
        .collect();
    let b = json(&shipped(), &["--env", "production"]);
    assert_eq!(rig.len(), 6, "{rig:?}");
    let blobs: Vec<f64> = b["mix"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "blob")
        .map(|c| c["share"].as_f64().unwrap())
        .collect();
    assert_eq!(blobs.len(), 6);
    assert!(
        blobs.iter().all(|s| (s - 64.0 / 532.0).abs() < 1e-12),
        "{blobs:?}"
    );
    assert_eq!(rig, registry_edge_cli_personas());
}

/// What a Node module script prints, as JSON: the mix and the personas
/// are read from the test support's own modules, not re-stated here.
fn node_json(script: &str) -> Value {
    let node = Command::new("node")
        .args(["--input-type=module", "-e", script])
        .output()
        .expect("node, on PATH under make (Node 22 from node_modules)");
    assert!(
        node.status.success(),
        "{}",
        String::from_utf8_lossy(&node.stderr)
    );
    serde_json::from_slice(&node.stdout).unwrap()
}

/// The command's default mix is `make load`'s: each kind's share of
/// tests/load/mix.mjs's `loadRequests()`, counted by Node from the module
/// itself, is the share the command prices.
#[test]
fn the_default_mix_is_the_load_mix() {
    let module = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/load/mix.mjs");
    let script = format!(
        "const {{ loadRequests, absent }} = await import({module:?});
         const missing = new Set(absent.map((b) => b.digest));
         const kind = ({{ path }}) =>
           path.includes('/blobs/') ? (missing.has(path.split('/blobs/')[1]) ? 'absent-blob' : 'blob')
           : path.includes('/manifests/sha256:') ? 'manifest-digest'
           : path.includes('/manifests/') ? 'manifest-tag'
           : path.includes('/tags/list') ? 'tags' : 'other';
         const counts = {{}};
         for (const r of loadRequests()) counts[kind(r)] = (counts[kind(r)] ?? 0) + 1;
         console.log(JSON.stringify(counts));"
    );
    let counts = node_json(&script);
    let counts = counts.as_object().unwrap();
    let total: f64 = counts.values().map(|c| c.as_f64().unwrap()).sum();
    assert!(!counts.contains_key("other"), "{counts:?}");

    let b = json(&shipped(), &["--env", "production"]);
    let mut priced: std::collections::BTreeMap<String, f64> = Default::default();
    for class in b["mix"].as_array().unwrap() {
        *priced
            .entry(class["kind"].as_str().unwrap().to_string())
            .or_default() += class["share"].as_f64().unwrap();
    }
    for (kind, count) in counts {
        let share = count.as_f64().unwrap() / total;
        let got = priced.remove(kind).unwrap_or(0.0);
        assert!(
            (got - share).abs() < 1e-12,
            "{kind}: priced {got}, load mix {share}"
        );
    }
    assert!(
        priced.values().all(|s| *s == 0.0),
        "kinds the load mix lacks: {priced:?}"
    );
}

/// cli/src/cost/mix.rs's RIG_PERSONAS, as the command's source has them.
fn registry_edge_cli_personas() -> Vec<&'static str> {
    let source = include_str!("../src/cost/mix.rs");
    let list = source
        .split("pub const RIG_PERSONAS: [&str; 6] = [")
        .nth(1)
        .unwrap()
        .split("];")
        .next()
        .unwrap();
    list.split('"').skip(1).step_by(2).collect()
}

/// A copy in R2 is priced as R2 whatever its public URL's host (a custom
/// domain): its checks and its downloads are Class B operations, its
/// egress free. The same URL as a plain string is not known to be R2.
#[test]
fn a_copy_in_r2_is_priced_as_r2_by_its_binding() {
    let toml = |copy: &str| {
        format!(
            "[vars]\nUPSTREAM_REGISTRY_ENDPOINT = \"https://us-central1-docker.pkg.dev\"\n\
             DEFAULT_BLOB_BASE_URL = {copy}\n\n[[r2_buckets]]\nbinding = \"R2_BLOBS\"\nbucket_name = \"b\"\n"
        )
    };
    let r2 = json(
        &toml(r#"{ url = "https://blobs.example.org", r2_binding = "R2_BLOBS" }"#),
        &[],
    );
    let plain = json(&toml(r#""https://blobs.example.org""#), &[]);
    assert!(quantity(&r2, "r2_class_b") > 0.0);
    assert!(quantity(&r2, "r2_egress") > 0.0);
    assert_eq!(quantity(&plain, "r2_class_b"), 0.0);
    assert_eq!(quantity(&plain, "r2_egress"), 0.0);
}
