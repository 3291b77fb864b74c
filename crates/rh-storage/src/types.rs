//! The plain value types the [`BlobStore`](crate::BlobStore) trait takes and gives: byte streams and ranges, object metadata, put and transfer options.

use std::time::SystemTime;

use bytes::Bytes;
use futures::stream::BoxStream;

use crate::{BlobPath, Result, RetryPolicy};

/// A stream of chunks, as uploads take and downloads give.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// A half-open byte range `start..end`; `end: None` reads to the end of the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// Offset of the first byte read.
    pub start: u64,
    /// Offset one past the last byte read; `None` reads to the end of the object.
    pub end: Option<u64>,
}

impl ByteRange {
    /// `start..end` (end exclusive).
    pub fn new(start: u64, end: u64) -> Self {
        Self {
            start,
            end: Some(end),
        }
    }

    /// `start..` to the end of the object.
    pub fn from(start: u64) -> Self {
        Self { start, end: None }
    }

    /// Clamps the range to an object of `size` bytes; `None` when it starts past the end.
    #[cfg(any(feature = "file", feature = "s3", feature = "gs", feature = "azure"))]
    pub(crate) fn resolve(self, size: u64) -> Option<(u64, u64)> {
        let end = self.end.map_or(size, |e| e.min(size));
        if self.start > size || (self.start == size && size > 0) || end < self.start {
            return None;
        }
        Some((self.start, end))
    }
}

impl std::fmt::Display for ByteRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.end {
            Some(e) => write!(f, "{}..{e}", self.start),
            None => write!(f, "{}..", self.start),
        }
    }
}

/// What a store knows about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The key inside the bucket.
    pub path: BlobPath,
    /// The object's length in bytes.
    pub size: u64,
    /// The backend's entity tag, when it has one (quotes stripped).
    pub etag: Option<String>,
    /// When the object was last written, as the backend reports it; `None` when it reports no time.
    pub last_modified: Option<SystemTime>,
}

/// How a put behaves.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// Refuse with [`Error::AlreadyExists`](crate::Error::AlreadyExists) when the object exists. Atomic on `file`; a check before the write on
    /// the remote backends.
    pub if_not_exists: bool,
    /// The MIME type stored with the object (default `application/octet-stream`).
    pub content_type: Option<String>,
}

/// Tuning shared by the remote backends: part size and parts in flight. Memory is about
/// `part_size * (concurrency + 1)` per upload.
#[derive(Debug, Clone, Copy)]
pub struct TransferOptions {
    /// Bytes per upload part (S3 part, GCS chunk rounded down to a multiple of 256 KiB, Azure block); Azure
    /// also downloads in pages of this size. Default 8 MiB.
    pub part_size: usize,
    /// Parts uploaded at once.
    pub concurrency: usize,
    /// How single backend calls are retried on transient failures, and how often a broken download resumes.
    pub retry: RetryPolicy,
    /// When an S3 download to a file splits into parallel ranged GETs.
    pub read_split: ReadSplit,
}

impl Default for TransferOptions {
    fn default() -> Self {
        Self {
            part_size: 8 * 1024 * 1024,
            concurrency: 4,
            retry: RetryPolicy::default(),
            read_split: ReadSplit::default(),
        }
    }
}

/// When a download to a file ([`BlobStore::get_into_file`](crate::BlobStore::get_into_file)) splits into parallel ranged GETs (S3).
///
/// The read starts as one plain GET. Once it has streamed for `probe` after its first byte, if it delivered
/// less than `fast_enough` bytes per second meanwhile and enough is left, the rest is cut into up to `TransferOptions::concurrency` contiguous
/// segments: the first GET keeps the first one and a ranged GET fetches each other. A fast single stream is
/// kept because some servers (moto) copy the whole object for every ranged GET, so splitting there costs more
/// than it gains; slow single streams (s3s-fs, AWS itself) gain from several connections.
///
/// Where the defaults come from (curl, 1 GiB object, this project's CI machine): moto waits about 1 s before
/// the first byte of every ranged GET, so 2/4/8 parallel ranges read at 312/205/158 MiB/s against 680 MiB/s for
/// one GET; s3s-fs serves one GET at about 170 MiB/s and 2/4/8 ranges at 333/429/448 MiB/s. The rate is measured
/// from the first byte because moto's one GET also waits 1-2 s before streaming.
#[derive(Debug, Clone, Copy)]
pub struct ReadSplit {
    /// The most GETs at once, the first one included.
    pub segments: usize,
    /// Objects smaller than this are always one GET.
    pub min_size: u64,
    /// No segment is smaller than this.
    pub min_segment: u64,
    /// How long the first GET streams alone (from its first byte) before the split is decided.
    pub probe: std::time::Duration,
    /// Bytes per second at which one stream is kept for the whole read.
    pub fast_enough: u64,
}

impl Default for ReadSplit {
    fn default() -> Self {
        Self {
            segments: 6,
            min_size: 64 * 1024 * 1024,
            min_segment: 8 * 1024 * 1024,
            probe: std::time::Duration::from_millis(150),
            fast_enough: 320 * 1024 * 1024,
        }
    }
}

/// What a download to a file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRead {
    /// Bytes written.
    pub size: u64,
    /// GETs that carried the bytes (1 for one stream), not counting resumes after a broken connection.
    pub segments: usize,
}

/// Counts bytes as a download writes them (for a progress bar).
pub type ProgressFn = dyn Fn(u64) + Send + Sync;

#[cfg(test)]
mod tests {
    use super::ByteRange;

    #[test]
    fn ranges_clamp_to_the_object() {
        assert_eq!(ByteRange::new(2, 5).resolve(10), Some((2, 5)));
        assert_eq!(ByteRange::new(2, 50).resolve(10), Some((2, 10)));
        assert_eq!(ByteRange::from(9).resolve(10), Some((9, 10)));
        assert_eq!(ByteRange::from(10).resolve(10), None);
        assert_eq!(ByteRange::from(0).resolve(0), Some((0, 0)));
        assert_eq!(ByteRange::new(5, 2).resolve(10), None);
    }
}
