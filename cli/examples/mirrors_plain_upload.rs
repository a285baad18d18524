//! The floor of `make bench-mirrors`' sync throughput: the same bytes
//! uploaded from memory to the same S3 server, with the same store client
//! (object_store), part size and parts in flight as `mirrors sync`, and
//! nothing else (no registry, no hashing, no verification).
//!
//! `mirrors_plain_upload FILE ENDPOINT BUCKET KEY PART_BYTES CONCURRENCY`
//! (built by `make bench-mirrors` into target/release/examples/), with
//! AWS_* credentials in the environment; prints `plain_upload_seconds S`.

use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStoreExt, WriteMultipart};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, endpoint, bucket, key, part, concurrency] = args.as_slice() else {
        eprintln!("usage: mirrors_plain_upload FILE ENDPOINT BUCKET KEY PART_BYTES CONCURRENCY");
        std::process::exit(2);
    };
    let bytes = std::fs::read(file).expect("the file");
    let part: usize = part.parse().expect("part bytes");
    let concurrency: usize = concurrency.parse().expect("concurrency");
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let store = AmazonS3Builder::from_env()
        .with_endpoint(endpoint)
        .with_bucket_name(bucket)
        .with_allow_http(true)
        .build()
        .expect("the store");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let seconds = runtime.block_on(async {
        let started = Instant::now();
        let upload = store
            .put_multipart(&Path::from(key.as_str()))
            .await
            .expect("start");
        let mut writer = WriteMultipart::new_with_chunk_size(upload, part);
        for chunk in bytes.chunks(part) {
            writer.wait_for_capacity(concurrency).await.expect("a part");
            writer.write(chunk);
        }
        writer.finish().await.expect("complete");
        started.elapsed().as_secs_f64()
    });
    println!("plain_upload_seconds {seconds:.3}");
}
