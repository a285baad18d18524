//! The fetch entry: a synchronous wasm-bindgen export instead of
//! `#[event(fetch)]`'s async one, called by the entry module
//! (`src/worker/entry.js`) with the request read into one string. It polls
//! the handler once and returns the `Response` itself when it is ready
//! (every request except one whose blob check must wait for I/O), and only
//! then hands the handler to a Promise. Under bare workerd this saves the
//! per-request Promise, the `queueMicrotask` round trip and the
//! `worker::Request` conversion (docs/performance.md).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::worker_sys::{web_sys, Context as JsContext};
use worker::{console_error, Context, Env, Result};

/// Wakes whichever task polled the handler last. The handler is always
/// polled with this waker, because `worker::Delay` (worker 0.8.7) keeps the
/// waker of its first poll: without the forwarding, a timer armed during
/// the synchronous first poll would never wake the Promise's task.
#[derive(Default)]
struct Forward(Mutex<Option<Waker>>);

impl Wake for Forward {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(waker) = &*self.0.lock().unwrap_or_else(|e| e.into_inner()) {
            waker.wake_by_ref()
        }
    }
}

type Handling = Pin<Box<dyn Future<Output = Result<web_sys::Response>>>>;

/// `request` is the entry module's string, taken as a JavaScript value and
/// copied in here: wasm-bindgen's glue (0.2.130) copies a `String`
/// argument into the instance before it checks whether a panic left the
/// instance to be replaced, so the first request after a panic would get
/// a pointer into the old instance's memory.
#[wasm_bindgen]
pub fn fetch(request: JsValue, env: Env, ctx: JsContext) -> JsValue {
    let text = request.as_string().unwrap_or_default();
    let forward = Arc::new(Forward::default());
    let waker = Waker::from(forward.clone());
    let mut handling: Handling = Box::pin(super::handle(text, env, Context::new(ctx)));
    match handling.as_mut().poll(&mut TaskContext::from_waker(&waker)) {
        Poll::Ready(result) => into_js(result),
        // A wake before the hand-over is not lost: the executor polls a
        // spawned future once in any case.
        Poll::Pending => {
            worker::wasm_bindgen_futures::future_to_promise(std::future::poll_fn(move |cx| {
                *forward.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
                handling
                    .as_mut()
                    .poll(&mut TaskContext::from_waker(&waker))
                    .map(|result| Ok(into_js(result)))
            }))
            .into()
        }
    }
}

/// As `#[event(fetch)]` does: an error is logged and answered with a bare 500.
fn into_js(result: Result<web_sys::Response>) -> JsValue {
    match result {
        Ok(response) => response.into(),
        Err(error) => {
            console_error!("{error}");
            worker::Response::error("INTERNAL SERVER ERROR", 500)
                .map(|response| JsValue::from(web_sys::Response::from(response)))
                .unwrap_or(JsValue::UNDEFINED)
        }
    }
}
