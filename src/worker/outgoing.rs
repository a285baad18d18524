//! The worker's own outgoing requests (a copy's `HEAD`, the repository
//! listing, the upstream probe), built on the runtime's `RequestInit`.
//! workers-rs's `RequestInit` also carries the `cf` properties (image
//! resizing, caching), which these requests never set but whose
//! conversion to JavaScript it links in: about 14 KB of wasm.

use worker::worker_sys::web_sys;
use worker::{Request, Result};

/// A `method` request for `url` that does not follow redirects (a 3xx is
/// answered as it is), with an `Accept` header when given.
pub fn request(method: &str, url: &str, accept: Option<&str>) -> Result<Request> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    if let Some(accept) = accept {
        let headers = web_sys::Headers::new()?;
        headers.set("Accept", accept)?;
        init.set_headers(&headers);
    }
    Ok(web_sys::Request::new_with_str_and_init(url, &init)?.into())
}
