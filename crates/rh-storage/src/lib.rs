//! `rh-storage`: the `BlobStore` trait and its S3, GCS, Azure and local backends (filled by issue 7).
