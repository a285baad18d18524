//! The probe of tests/worker/panic-recovery.test.mjs: a worker with
//! registry-edge's `fetch` export (the request as the entry module reads
//! it, one string taken as a JavaScript value, as `src/worker/entry.rs`
//! takes it) and its way out (`src/worker/reply.js`), built and
//! bundled the way `make build` builds the worker, that panics when asked
//! for `/panic` and counts the requests its wasm instance has answered.

use std::cell::Cell;
use wasm_bindgen::prelude::*;
// Linked for what the worker crate installs at start-up: its panic hook.
use worker as _;

thread_local! {
    static ANSWERED: Cell<u32> = const { Cell::new(0) };
}

#[wasm_bindgen(module = "/src/worker/reply.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn reply(packed: &str) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen]
pub fn fetch(request: JsValue, _env: JsValue, _ctx: JsValue) -> JsValue {
    // The entry module's first two fields: the method, then the URL.
    let text = request.as_string().unwrap_or_default();
    let url = text.split('\n').nth(1).unwrap_or_default();
    let answered = ANSWERED.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    if url.ends_with("/panic") {
        panic!("the probe panics on its instance's request {answered}");
    }
    reply(&format!(
        "200\n1\nContent-Type\ntext/plain; charset=utf-8\n\n{answered}\n"
    ))
    .unwrap_or_else(|error| error)
}

#[wasm_bindgen]
pub fn scheduled(_event: JsValue, _env: JsValue, _ctx: JsValue) {}
