//! A copy's bucket through object_store: the store built from its
//! [`StoreLocation`] and the standard environment variables of its kind,
//! listing the blob keys, reading and writing objects. Writes are
//! create-only for missing objects and conditional on the ETag found for
//! wrong ones, for plain puts and multipart uploads alike
//! ([`super::conditional`]).

use super::conditional::{Condition, Conditions, Connector, Protocol};
use super::registry::describe;
use super::store_location::{StoreKind, StoreLocation};
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path;
use object_store::{
    MultipartUpload, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion,
    UploadPart,
};
use std::collections::HashMap;
use std::sync::Arc;

/// How a blob's object is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteMode {
    /// Only if no object is there.
    Create,
    /// Only if the object there is still the one audited.
    Replace { e_tag: String },
}

impl WriteMode {
    fn condition(&self) -> Condition {
        match self {
            WriteMode::Create => Condition::Absent,
            WriteMode::Replace { e_tag } => Condition::Matches(e_tag.clone()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// A create found an object there: another sync wrote it first.
    AlreadyThere,
    /// A replace found another object than the one audited.
    Changed,
    Failed(String),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::AlreadyThere => {
                f.write_str("an object appeared under the key (another sync?)")
            }
            WriteError::Changed => f.write_str("the object changed since it was audited"),
            WriteError::Failed(e) => f.write_str(e),
        }
    }
}

fn write_error(e: object_store::Error, mode: &WriteMode) -> WriteError {
    match (e, mode) {
        (object_store::Error::AlreadyExists { .. }, _) => WriteError::AlreadyThere,
        (object_store::Error::Precondition { .. }, WriteMode::Create) => WriteError::AlreadyThere,
        (
            object_store::Error::Precondition { .. } | object_store::Error::NotFound { .. },
            WriteMode::Replace { .. },
        ) => WriteError::Changed,
        (e, _) => WriteError::Failed(describe(&e)),
    }
}

/// Whether the environment holds credentials for a store of this kind
/// (its SDKs' standard variables).
pub fn credentials_present(kind: &StoreKind, var: impl Fn(&str) -> Option<String>) -> bool {
    let any = |names: &[&str]| names.iter().any(|n| var(n).is_some_and(|v| !v.is_empty()));
    match kind {
        StoreKind::S3 { .. } | StoreKind::S3PathStyle { .. } | StoreKind::R2 { .. } => any(&[
            "AWS_ACCESS_KEY_ID",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ]),
        StoreKind::Gcs { .. } => any(&[
            "GOOGLE_SERVICE_ACCOUNT",
            "GOOGLE_SERVICE_ACCOUNT_PATH",
            "GOOGLE_SERVICE_ACCOUNT_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
        ]),
        StoreKind::Azure { .. } => any(&[
            "AZURE_STORAGE_ACCOUNT_KEY",
            "AZURE_STORAGE_ACCESS_KEY",
            "AZURE_STORAGE_SAS_KEY",
            "AZURE_STORAGE_TOKEN",
            "AZURE_CLIENT_SECRET",
            "AZURE_FEDERATED_TOKEN_FILE",
        ]),
    }
}

pub struct Store {
    pub location: StoreLocation,
    inner: Arc<dyn ObjectStore>,
    conditions: Conditions,
}

impl Store {
    /// Builds the store; credentials and settings come from the
    /// environment (`AWS_*`, `GOOGLE_*`, `AZURE_*`), the bucket and
    /// endpoint from `location`.
    pub fn open(location: &StoreLocation) -> Result<Store, String> {
        let conditions = Conditions::default();
        let connector = |protocol| Connector {
            protocol,
            conditions: conditions.clone(),
        };
        let built: object_store::Result<Arc<dyn ObjectStore>> = match &location.kind {
            StoreKind::S3 { bucket, region, .. } => {
                let mut b = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_http_connector(connector(Protocol::S3));
                if let Some(region) = region {
                    b = b.with_region(region);
                }
                b.build().map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
            }
            StoreKind::S3PathStyle { bucket, .. } | StoreKind::R2 { bucket, .. } => {
                let endpoint = location.s3_endpoint().expect("an S3 API endpoint");
                let mut b = AmazonS3Builder::from_env()
                    .with_endpoint(&endpoint)
                    .with_bucket_name(bucket)
                    .with_virtual_hosted_style_request(false)
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_http_connector(connector(Protocol::S3));
                if matches!(location.kind, StoreKind::R2 { .. }) {
                    b = b.with_region("auto");
                } else if std::env::var_os("AWS_REGION").is_none()
                    && std::env::var_os("AWS_DEFAULT_REGION").is_none()
                {
                    b = b.with_region("us-east-1");
                }
                b.build().map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
            }
            StoreKind::Gcs { bucket } => GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(bucket)
                .with_http_connector(connector(Protocol::Gcs))
                .build()
                .map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
            StoreKind::Azure { account, container } => MicrosoftAzureBuilder::from_env()
                .with_account(account)
                .with_container_name(container)
                .with_http_connector(connector(Protocol::Azure))
                .build()
                .map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
        };
        let inner = built.map_err(|e| format!("store {location}: {}", describe(&e)))?;
        Ok(Store {
            location: location.clone(),
            inner,
            conditions,
        })
    }

    /// Requests sent to the store so far.
    pub fn requests(&self) -> u64 {
        self.conditions.requests()
    }

    fn path(&self, digest: &str) -> Path {
        Path::from(self.location.key(digest))
    }

    /// Every blob key under the copy's prefix: digest -> (size, ETag).
    /// The store's API pages it (S3 and R2: 1,000 keys a request).
    pub async fn list_blobs(&self) -> Result<HashMap<String, (u64, Option<String>)>, String> {
        let prefix = Path::from(self.location.blob_prefix());
        let mut listed = HashMap::new();
        let mut stream = self.inner.list(Some(&prefix));
        while let Some(meta) = stream.next().await {
            let meta = meta.map_err(|e| format!("listing {}: {}", self.location, describe(&e)))?;
            if let Some(digest) = meta.location.as_ref().rsplit('/').next() {
                listed.insert(digest.to_string(), (meta.size, meta.e_tag));
            }
        }
        Ok(listed)
    }

    /// The ETag of the object under a blob's key (listings of some
    /// S3-compatible servers leave it out).
    pub async fn e_tag(&self, digest: &str) -> Result<Option<String>, String> {
        self.inner
            .head(&self.path(digest))
            .await
            .map(|meta| meta.e_tag)
            .map_err(|e| describe(&e))
    }

    pub async fn read(
        &self,
        digest: &str,
    ) -> Result<BoxStream<'static, Result<Bytes, String>>, String> {
        let got = self
            .inner
            .get(&self.path(digest))
            .await
            .map_err(|e| describe(&e))?;
        Ok(got.into_stream().map_err(|e| describe(&e)).boxed())
    }

    /// One plain write of a whole blob.
    pub async fn put(
        &self,
        digest: &str,
        bytes: Bytes,
        mode: &WriteMode,
    ) -> Result<(), WriteError> {
        let put_mode = match mode {
            WriteMode::Create => PutMode::Create,
            WriteMode::Replace { e_tag } => PutMode::Update(UpdateVersion {
                e_tag: Some(e_tag.clone()),
                version: None,
            }),
        };
        let options = PutOptions {
            mode: put_mode,
            ..PutOptions::default()
        };
        self.inner
            .put_opts(&self.path(digest), PutPayload::from(bytes), options)
            .await
            .map(|_| ())
            .map_err(|e| write_error(e, mode))
    }

    /// Starts a multipart upload of a blob, to be completed only under `mode`.
    pub async fn start_upload(&self, digest: &str, mode: WriteMode) -> Result<Upload, WriteError> {
        let path = self.path(digest);
        let upload = self
            .inner
            .put_multipart(&path)
            .await
            .map_err(|e| write_error(e, &mode))?;
        Ok(Upload {
            upload,
            key: path.to_string(),
            mode,
            conditions: self.conditions.clone(),
        })
    }
}

/// A multipart upload in flight. Parts go up in any order; nothing
/// appears under the key before [`Upload::complete`].
pub struct Upload {
    upload: Box<dyn MultipartUpload>,
    key: String,
    mode: WriteMode,
    conditions: Conditions,
}

impl Upload {
    pub fn put_part(&mut self, part: Bytes) -> UploadPart {
        self.upload.put_part(PutPayload::from(part))
    }

    /// Completes the upload under its condition.
    pub async fn complete(mut self) -> Result<(), WriteError> {
        self.conditions.set(&self.key, self.mode.condition());
        let result = self.upload.complete().await;
        self.conditions.clear(&self.key);
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let error = write_error(e, &self.mode);
                // A failed completion leaves the parts stored: drop them.
                let _ = self.upload.abort().await;
                Err(error)
            }
        }
    }

    /// Drops the upload and its parts: nothing is written under the key.
    pub async fn abort(mut self) {
        let _ = self.upload.abort().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_by_kind() {
        let env = |set: &'static [&'static str]| {
            move |name: &str| set.contains(&name).then(|| "x".to_string())
        };
        let s3 = StoreKind::S3 {
            bucket: "b".into(),
            region: None,
            dualstack: false,
        };
        let r2 = StoreKind::R2 {
            account_id: "a".into(),
            jurisdiction: None,
            bucket: "b".into(),
        };
        assert!(credentials_present(&s3, env(&["AWS_ACCESS_KEY_ID"])));
        assert!(credentials_present(&r2, env(&["AWS_ACCESS_KEY_ID"])));
        assert!(!credentials_present(&s3, env(&["AWS_REGION"])));
        assert!(credentials_present(
            &StoreKind::Gcs { bucket: "b".into() },
            env(&["GOOGLE_APPLICATION_CREDENTIALS"])
        ));
        assert!(!credentials_present(
            &StoreKind::Azure {
                account: "a".into(),
                container: "c".into()
            },
            env(&["AWS_ACCESS_KEY_ID"])
        ));
    }
}
