//! A copy's public URL, read as the worker reads it: a HEAD of
//! `<url>/containers/images/<digest>`, no redirect followed, the answer
//! read by the worker's own rule (`CopyKind::Mirror`); and a GET for
//! `--verify` where the store cannot be read.

use super::audit::Observation;
use super::registry::describe;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use registry_edge::checks::blob::{CopyKind, Outcome};
use reqwest::header::{CONTENT_LENGTH, ETAG};
use reqwest::Client;
use std::time::Duration;

pub struct PublicUrl {
    client: Client,
}

impl PublicUrl {
    pub fn new() -> Result<PublicUrl, String> {
        let client = Client::builder()
            .user_agent(concat!("registry-edge/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| describe(&e))?;
        Ok(PublicUrl { client })
    }

    fn url(base: &str, digest: &str) -> String {
        format!("{base}/{}{digest}", super::store_location::BLOB_DIR)
    }

    pub async fn head(&self, base: &str, digest: &str) -> Observation {
        let response = match self.client.head(Self::url(base, digest)).send().await {
            Ok(r) => r,
            Err(e) => return Observation::Unknown(describe(&e)),
        };
        let status = response.status().as_u16();
        match CopyKind::Mirror.outcome(status) {
            Outcome::Present => {
                let header = |name| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                };
                match header(CONTENT_LENGTH).and_then(|v| v.parse().ok()) {
                    Some(size) => Observation::Present {
                        size,
                        e_tag: header(ETAG).map(str::to_string),
                    },
                    None => Observation::Unknown("200 without Content-Length".into()),
                }
            }
            Outcome::Absent => Observation::Absent,
            _ => Observation::Unknown(format!("HEAD answered {status}")),
        }
    }

    pub async fn read(
        &self,
        base: &str,
        digest: &str,
    ) -> Result<BoxStream<'static, Result<Bytes, String>>, String> {
        let response = self
            .client
            .get(Self::url(base, digest))
            .send()
            .await
            .map_err(|e| describe(&e))?;
        if !response.status().is_success() {
            return Err(format!("GET answered {}", response.status()));
        }
        Ok(response.bytes_stream().map_err(|e| describe(&e)).boxed())
    }
}
