//! The Cloudflare Workers adapter: converts between worker types and the
//! plain decision core, performs the blob existence subrequests and caches
//! their answers, lists the upstream's repositories, asks the optional
//! bindings, logs the record the core assembles, and runs the scheduled
//! upstream health probe. No decision is made here.

mod bindings;
mod blob_check;
mod convert;
mod edge;
mod entry;
mod known_repositories;
mod outgoing;
mod r2_copies;
mod upstream_health;
mod vars;
mod version;

use crate::config::Config;
use crate::decision::Observed;
use crate::places::ranges::PROVIDERS;
use crate::places::TABLES;
use crate::request::Request;
use crate::serving::freshness::Freshness;
use crate::serving::rate_limit;
use crate::serving::record::{Edge, Record};
use crate::serving::sampling;
use crate::serving::status::Bindings;
use crate::serving::{answer, Conditions};
use std::rc::Rc;
use worker::worker_sys::web_sys;
use worker::{console_error, event, Context, Env, Result, ScheduleContext, ScheduledEvent};

#[event(start)]
fn start() {
    // Turn a panic into a readable console error instead of "unreachable".
    console_error_panic_hook::set_once();
}

/// One request, as the entry module read it (exported as `fetch` by
/// [`entry`]).
async fn handle(text: String, env: Env, ctx: Context) -> Result<web_sys::Response> {
    let incoming = convert::Incoming::parse(&text)?;
    let config: Rc<Config> = match vars::config(&env) {
        Ok(config) => config,
        Err(error) => {
            console_error!("registry-edge: invalid configuration: {error}");
            return convert::respond(incoming.method, error.reply(), None);
        }
    };
    // The request is read once into the typed value every layer takes.
    let raw = convert::read_request(&incoming);
    let request = Request::read(&raw, &TABLES);
    let optional = bindings::Optional::of(&env);
    let version = version::current(&env);
    let ctx = Rc::new(ctx);
    let unhealthy = upstream_health::unhealthy_upstreams(&env, &ctx, &config.upstream).await;
    let known = known_repositories::current(&config, &ctx, request.host);
    let conditions =
        Conditions {
            // The client as the decision places it (Pseudo IPv4 included).
            rate_limited: optional
                .over_limit(request.client.address.map(|address| {
                    rate_limit::key(address, config.operating.rate_limit_ipv6_prefix)
                }))
                .await,
            now_ms: worker::js_sys::Date::now(),
            bindings: Bindings {
                version,
                ..optional.present()
            },
            observed: Observed {
                unhealthy_upstreams: &unhealthy,
                known_repositories: known.as_deref(),
            },
        };
    let checker = blob_check::checker(config.checks, ctx, &env, request.host);
    let answer = answer(
        &request,
        &conditions,
        &config,
        &TABLES,
        &checker,
        bindings::random_bytes,
    )
    .await;

    // One draw decides the line and the data point; errors are kept
    // whatever it says. The record is assembled only when it is written;
    // its line goes out with the reply.
    let kept = sampling::always_kept(&answer);
    let sample = sampling::sample(kept, config.operating.sampling(), bindings::random_unit());
    let mut line = None;
    if sample.writes(optional.writes()) {
        let edge = Edge {
            version: version.map(|v| v.id),
            ..edge::edge(&incoming)
        };
        let record = Record::new(&request, &answer, edge);
        if let Some(weight) = sample.point {
            optional.write(&record, weight);
        }
        if sample.log {
            line = Some(record.to_json());
        }
    }
    convert::respond(
        request.method.as_str(),
        answer.reply(&request),
        line.as_deref(),
    )
}

/// The cron trigger: the stale range data alarm (an error line per run while
/// the data is older than RANGES_MAX_AGE_DAYS), then the upstream regions'
/// probe (UPSTREAM_HEALTH_CHECKS).
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    match vars::config(&env) {
        Ok(config) => {
            let now_ms = worker::js_sys::Date::now();
            let max_age_days = config.operating.ranges_max_age_days;
            if let Some(alarm) = Freshness::of(&PROVIDERS, now_ms, max_age_days).alarm() {
                console_error!("{alarm}");
            }
            upstream_health::probe_and_store(&env, &config.upstream).await
        }
        Err(error) => console_error!("registry-edge: invalid configuration: {error}"),
    }
}
