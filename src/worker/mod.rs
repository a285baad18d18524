//! The Cloudflare Workers adapter: converts between worker types and the
//! plain decision core, performs the blob existence subrequests and caches
//! their answers. No decision is made here.

mod blob_check;
mod convert;
mod vars;

use crate::config::Config;
use crate::decision::decide;
use crate::ranges::TABLES;
use std::rc::Rc;
use worker::{console_error, event, Context, Env, Request, Response, Result};

#[event(start)]
fn start() {
    // Turn a panic into a readable console error instead of "unreachable".
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let config: Rc<Config> = match vars::config(&env) {
        Ok(config) => config,
        Err(error) => {
            console_error!("registry-edge: invalid configuration: {error}");
            return convert::respond(&req, error.reply());
        }
    };
    let request = convert::OwnedRequest::read(&req)?;
    let checker = blob_check::checker(&config, Rc::new(ctx), request.host());
    let decision = decide(&request.info(), &config, &TABLES, &checker).await;
    convert::respond(&req, decision.reply())
}
