//! The R2 buckets that copies are checked through: the `[[r2_buckets]]`
//! bindings `BLOB_MIRRORS` and `DEFAULT_BLOB_BASE_URL` name
//! (docs/configuration.md, "Copies in R2"). A check is the binding's
//! `head()`: no subrequest, and no public request to the bucket.

use crate::checks::blob::{Failure, R2Answer};
use futures_util::future::{select, Either};
use std::time::Duration;
use worker::{console_warn, Bucket, Delay, Env, EnvBinding};

/// The bucket bound as `name`, or `None` when the environment has no R2
/// binding of that name (without building the error text
/// `Env::bucket` would).
fn bucket(env: &Env, name: &str) -> Option<Bucket> {
    let value = worker::js_sys::Reflect::get(env, &name.into()).ok()?;
    if value.is_undefined() {
        return None;
    }
    <Bucket as EnvBinding>::get(value).ok()
}

/// Whether `key` is in the bucket bound as `binding`: its `head()`, given
/// up after `timeout_ms`. "Not found" is `Ok(false)`; the binding's error,
/// a missing binding or the deadline are failures.
pub async fn head(env: &Env, binding: &str, key: &str, timeout_ms: u64) -> R2Answer {
    // The check's own warning names the binding and says it is missing.
    let Some(bucket) = bucket(env, binding) else {
        return Err(Failure::Unbound);
    };
    let asked = Box::pin(bucket.head(key));
    let deadline = Delay::from(Duration::from_millis(timeout_ms));
    let answer = select(asked, deadline).await;
    match answer {
        Either::Left((Ok(object), _)) => Ok(object.is_some()),
        Either::Left((Err(e), _)) => {
            console_warn!("registry-edge: head({key}) through R2 binding {binding}: {e}");
            Err(Failure::Binding)
        }
        // The binding's call cannot be aborted; its answer is dropped.
        Either::Right(_) => Err(Failure::Timeout),
    }
}
