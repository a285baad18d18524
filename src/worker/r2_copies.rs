//! The R2 buckets that copies are checked through: the `[[r2_buckets]]`
//! bindings `BLOB_MIRRORS` and `DEFAULT_BLOB_BASE_URL` name
//! (docs/configuration.md, "Copies in R2"). A check is the binding's
//! `head()`: no HTTP request, to the bucket's public URL or any other.

use crate::checks::blob::{Failure, R2Answer};
use futures_util::future::{select, Either};
use std::time::Duration;
use wasm_bindgen::JsCast;
use worker::js_sys::{Object, Reflect};
use worker::wasm_bindgen_futures::JsFuture;
use worker::worker_sys::R2Bucket;
use worker::{console_warn, Delay, Env};

/// The bucket bound as `name`, or `None` when the environment has no R2
/// binding of that name. The runtime's own object, read as workers-rs
/// reads a binding (by its constructor's name), without its wrappers.
fn bucket(env: &Env, name: &str) -> Option<R2Bucket> {
    let value = Reflect::get(env, &name.into()).ok()?;
    let is_bucket =
        value.is_object() && Object::from(value.clone()).constructor().name() == "R2Bucket";
    is_bucket.then(|| value.unchecked_into())
}

/// Whether `key` is in the bucket bound as `binding`: its `head()`, given
/// up after `timeout_ms`. "Not found" (`null`) is `Ok(false)`; the
/// binding's error, a missing binding or the deadline are failures.
pub async fn head(env: &Env, binding: &str, key: &str, timeout_ms: u64) -> R2Answer {
    // The check's own warning names the binding and says it is missing.
    let bucket = bucket(env, binding).ok_or(Failure::Unbound)?;
    let asked = async {
        let promise = bucket.head(key.to_string())?;
        JsFuture::from(promise).await
    };
    let deadline = Delay::from(Duration::from_millis(timeout_ms));
    let answer = select(Box::pin(asked), deadline).await;
    match answer {
        Either::Left((Ok(object), _)) => Ok(!object.is_null()),
        Either::Left((Err(e), _)) => {
            let e = worker::Error::from(e);
            console_warn!("registry-edge: head({key}) through R2 binding {binding}: {e}");
            Err(Failure::Binding)
        }
        // The binding's call cannot be aborted; its answer is dropped.
        Either::Right(_) => Err(Failure::Timeout),
    }
}
