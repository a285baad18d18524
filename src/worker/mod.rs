//! The Cloudflare Workers adapter: converts between worker types and the
//! plain decision core, performs the blob existence subrequests and caches
//! their answers, and runs the scheduled upstream health probe. No decision
//! is made here.

mod blob_check;
mod convert;
mod upstream_health;
mod vars;

use crate::config::Config;
use crate::decision::decide;
use crate::ranges::TABLES;
use std::rc::Rc;
use worker::{
    console_error, event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent,
};

#[event(start)]
fn start() {
    // Turn a panic into a readable console error instead of "unreachable".
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let config: Rc<Config> = match vars::config(&env) {
        Ok(config) => config,
        Err(error) => {
            console_error!("registry-edge: invalid configuration: {error}");
            return convert::respond(&req, error.reply());
        }
    };
    let request = convert::OwnedRequest::read(&req)?;
    let checker = blob_check::EdgeBlobCheck::new(&config);
    let unhealthy = upstream_health::unhealthy_upstreams(&env, &config).await;
    let decision = decide(&request.info(), &config, &TABLES, &checker, &unhealthy).await;
    convert::respond(&req, decision.reply())
}

/// The cron trigger: probes the upstream regions (UPSTREAM_HEALTH_CHECKS).
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    match vars::config(&env) {
        Ok(config) => upstream_health::probe_and_store(&env, &config).await,
        Err(error) => console_error!("registry-edge: invalid configuration: {error}"),
    }
}
