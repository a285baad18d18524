//! The upstream registry over HTTP: every request paced by one rate limit,
//! anonymous Bearer tokens fetched on a 401 and kept per scope, 429 and 503
//! honoured with `Retry-After`, transient failures retried
//! ([`super::retry`]). It is the walk's [`Source`] and the sync's blob
//! reader.

use super::auth;
use super::retry::{self, Answer};
use super::walk::{manifest, FetchError, FetchedManifest, Page, Source};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{
    HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LINK, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Client, Response, StatusCode};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

pub const DEFAULT_RATE: u32 = 80;

pub struct Registry {
    client: Client,
    /// `UPSTREAM_REGISTRY_ENDPOINT`, without a trailing `/`.
    endpoint: String,
    limiter: DefaultDirectRateLimiter,
    /// Bearer tokens by the scope they were issued for.
    tokens: Mutex<HashMap<String, String>>,
    /// Requests sent (each try, token requests included).
    requests: std::sync::atomic::AtomicU64,
}

impl Registry {
    pub fn new(endpoint: &str, rate: u32) -> Result<Registry, String> {
        let client = Client::builder()
            .user_agent(concat!("registry-edge/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let rate = NonZeroU32::new(rate).ok_or("--rate must be at least 1")?;
        Ok(Registry {
            client,
            endpoint: endpoint.trim_end_matches('/').to_string(),
            limiter: RateLimiter::direct(Quota::per_second(rate)),
            tokens: Mutex::new(HashMap::new()),
            requests: 0.into(),
        })
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn url(&self, target: &str) -> String {
        if target.starts_with("http://") || target.starts_with("https://") {
            target.to_string()
        } else {
            format!("{}{target}", self.endpoint)
        }
    }

    /// GET `target` with retries and tokens; the final answer, any status.
    pub async fn get(
        &self,
        target: &str,
        accept: Option<&str>,
        scope: &str,
    ) -> Result<Response, FetchError> {
        let url = self.url(target);
        let mut attempt = 0;
        let mut renewed_token = false;
        loop {
            attempt += 1;
            self.limiter.until_ready().await;
            self.requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut request = self.client.get(&url);
            if let Some(accept) = accept {
                request = request.header(ACCEPT, accept);
            }
            if let Some(token) = self.tokens.lock().unwrap().get(scope) {
                request = request.header(AUTHORIZATION, format!("Bearer {token}"));
            }
            let answer = request.send().await;
            let wait = match &answer {
                Ok(response) if response.status() == StatusCode::UNAUTHORIZED && !renewed_token => {
                    let challenge = header(response.headers(), WWW_AUTHENTICATE.as_str())
                        .and_then(|h| auth::parse_challenge(&h));
                    if let Some(challenge) = challenge {
                        renewed_token = true;
                        let token = self.token(&challenge).await?;
                        self.tokens.lock().unwrap().insert(scope.to_string(), token);
                        attempt -= 1;
                        continue;
                    }
                    None
                }
                Ok(response) => {
                    let retry_after = header(response.headers(), RETRY_AFTER.as_str());
                    let status = response.status().as_u16();
                    retry::wait_before_next(
                        Answer::Status {
                            status,
                            retry_after: retry_after.as_deref(),
                        },
                        attempt,
                        SystemTime::now(),
                    )
                }
                Err(_) => retry::wait_before_next(Answer::NetworkError, attempt, SystemTime::now()),
            };
            match (answer, wait) {
                (_, Some(wait)) => tokio::time::sleep(wait).await,
                (Ok(response), None) => return Ok(response),
                (Err(e), None) => {
                    return Err(FetchError {
                        message: format!("{url}: {}", describe(&e)),
                        unreachable: e.is_connect() || e.is_timeout(),
                    })
                }
            }
        }
    }

    /// An anonymous token for `challenge`'s scope.
    async fn token(&self, challenge: &auth::Challenge) -> Result<String, FetchError> {
        let fail = |message: String| FetchError {
            message,
            unreachable: false,
        };
        let url = challenge.token_url().map_err(fail)?;
        self.limiter.until_ready().await;
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let response = self.client.get(url.clone()).send().await.map_err(|e| {
            fail(format!(
                "token service {}: {}",
                url.origin().ascii_serialization(),
                describe(&e)
            ))
        })?;
        if !response.status().is_success() {
            return Err(fail(format!(
                "token service answered {}",
                response.status()
            )));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| fail(format!("token service: {}", describe(&e))))?;
        auth::parse_token(&body).map_err(fail)
    }

    /// `GET /v2/<repository>/blobs/<digest>`: the response, to be streamed.
    pub async fn blob(&self, repository: &str, digest: &str) -> Result<Response, FetchError> {
        let response = self
            .get(
                &format!("/v2/{repository}/blobs/{digest}"),
                None,
                &pull_scope(repository),
            )
            .await?;
        ok_or_error(response).await
    }
}

fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

/// The scope a target needs: a repository's pull, or the catalog.
fn scope_of(target: &str) -> String {
    let path = target.split("/v2/").nth(1).unwrap_or("");
    let path = path.split('?').next().unwrap_or("");
    if path.starts_with("_catalog") {
        return "registry:catalog:*".to_string();
    }
    let repository = ["/tags/list", "/manifests/", "/blobs/"]
        .iter()
        .find_map(|marker| path.split_once(marker).map(|(r, _)| r))
        .unwrap_or(path);
    pull_scope(repository)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The error a non-success answer means (the start of its body named).
async fn ok_or_error(response: Response) -> Result<Response, FetchError> {
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let body: String = body.chars().take(200).collect();
    Err(FetchError {
        message: format!("{status}: {}", body.trim()),
        unreachable: false,
    })
}

/// An error with its causes (reqwest's Display alone hides them), each
/// said once (object_store's Display already repeats some).
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

impl Source for Registry {
    async fn page(&self, target: &str) -> Result<Option<Page>, FetchError> {
        let response = self
            .get(target, Some("application/json"), &scope_of(target))
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let response = ok_or_error(response).await?;
        let next = header(response.headers(), LINK.as_str())
            .and_then(|l| super::walk::listing::next_page(&l));
        let body = response.bytes().await.map_err(|e| FetchError {
            message: describe(&e),
            unreachable: false,
        })?;
        Ok(Some(Page { body, next }))
    }

    async fn manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<FetchedManifest, FetchError> {
        let target = format!("/v2/{repository}/manifests/{reference}");
        let response = ok_or_error(
            self.get(&target, Some(manifest::ACCEPT), &pull_scope(repository))
                .await?,
        )
        .await?;
        let content_type = header(response.headers(), CONTENT_TYPE.as_str());
        let body = response.bytes().await.map_err(|e| FetchError {
            message: describe(&e),
            unreachable: false,
        })?;
        Ok(FetchedManifest { content_type, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_by_target() {
        assert_eq!(scope_of("/v2/_catalog?n=1000"), "registry:catalog:*");
        assert_eq!(scope_of("/v2/a/b/tags/list?n=1000"), "repository:a/b:pull");
        assert_eq!(
            scope_of("https://r.example/v2/a/tags/list?last=x"),
            "repository:a:pull"
        );
        assert_eq!(scope_of("/v2/a/manifests/v1"), "repository:a:pull");
    }
}
