//! Shared streaming helpers: cutting an upload stream into parts and reading an object as parallel ranges.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use futures::{StreamExt as _, TryStreamExt as _};

use crate::{ByteRange, ByteStream, Error, Result};

/// Cuts a stream into parts of exactly `part_size` bytes (the last may be shorter).
pub(crate) struct Parts {
    inner: ByteStream,
    part_size: usize,
    buf: BytesMut,
    done: bool,
}

impl Parts {
    pub(crate) fn new(inner: ByteStream, part_size: usize) -> Self {
        Self {
            inner,
            part_size,
            buf: BytesMut::new(),
            done: false,
        }
    }

    /// The next part, or `None` after the last. An empty stream gives one empty part first, so an empty object
    /// is still written.
    pub(crate) async fn next_part(&mut self, first: bool) -> Result<Option<Bytes>> {
        while !self.done && self.buf.len() < self.part_size {
            match self.inner.next().await {
                Some(chunk) => {
                    let chunk = chunk?;
                    if self.buf.capacity() == 0 {
                        self.buf.reserve(self.part_size.max(chunk.len()));
                    }
                    self.buf.extend_from_slice(&chunk);
                }
                None => self.done = true,
            }
        }
        if self.buf.is_empty() {
            return Ok(first.then(Bytes::new));
        }
        let take = self.buf.len().min(self.part_size);
        let part = self.buf.split_to(take).freeze();
        if self.buf.is_empty() {
            // Give the capacity back instead of keeping a part-sized buffer alive between parts.
            self.buf = BytesMut::new();
        }
        Ok(Some(part))
    }

    /// True when the stream ended and nothing is buffered.
    #[cfg(test)]
    pub(crate) fn is_finished(&self) -> bool {
        self.done && self.buf.is_empty()
    }
}

/// Fetches `start..end` of an object.
pub(crate) type FetchRange =
    Arc<dyn Fn(u64, u64) -> BoxFuture<'static, Result<Bytes>> + Send + Sync>;

/// Reads `range` of an object of `size` bytes as chunks of `part_size`, `concurrency` requests in flight, in order.
pub(crate) fn ranged_stream(
    location: String,
    size: u64,
    range: Option<ByteRange>,
    part_size: usize,
    concurrency: usize,
    fetch: FetchRange,
) -> Result<ByteStream> {
    let range = range.unwrap_or(ByteRange::from(0));
    let (start, end) = range.resolve(size).ok_or_else(|| Error::InvalidRange {
        location,
        range: range.to_string(),
        size,
    })?;
    let part = part_size as u64;
    let chunks = (start..end)
        .step_by(part_size.max(1))
        .map(move |s| (s, (s + part).min(end)));
    Ok(futures::stream::iter(chunks)
        .map(move |(s, e)| fetch(s, e))
        .buffered(concurrency.max(1))
        .into_stream()
        .boxed())
}

/// Passes a full-object stream through, checking its MD5 against `expected` (base64) at the end.
#[cfg(any(feature = "gs", feature = "azure"))]
pub(crate) fn verify_md5(inner: ByteStream, expected: Vec<u8>, location: String) -> ByteStream {
    use md5::Digest as _;
    let state = (inner, Some(md5::Md5::new()));
    futures::stream::unfold(state, move |(mut inner, mut hasher)| {
        let expected = expected.clone();
        let location = location.clone();
        async move {
            let h = hasher.as_mut()?;
            match inner.next().await {
                Some(Ok(chunk)) => {
                    h.update(&chunk);
                    Some((Ok(chunk), (inner, hasher)))
                }
                Some(Err(e)) => Some((Err(e), (inner, None))),
                None => {
                    let got = hasher.take()?.finalize();
                    if got.as_slice() == expected.as_slice() {
                        None
                    } else {
                        Some((
                            Err(Error::Integrity {
                                location,
                                detail: "MD5 of the downloaded bytes differs from the stored one"
                                    .into(),
                            }),
                            (inner, None),
                        ))
                    }
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use futures::{FutureExt as _, StreamExt as _};

    use super::{Parts, ranged_stream};
    use crate::{ByteRange, collect};

    #[tokio::test]
    async fn parts_have_the_part_size() {
        let chunks: Vec<crate::Result<Bytes>> = [3, 5, 1, 7, 2]
            .into_iter()
            .map(|n| Ok(Bytes::from(vec![1u8; n])))
            .collect();
        let mut p = Parts::new(futures::stream::iter(chunks).boxed(), 4);
        let mut sizes = Vec::new();
        let mut first = true;
        while let Some(part) = p.next_part(first).await.expect("part") {
            sizes.push(part.len());
            first = false;
        }
        assert_eq!(sizes, [4, 4, 4, 4, 2]);
        assert!(p.is_finished());
    }

    #[tokio::test]
    async fn empty_stream_gives_one_empty_part() {
        let mut p = Parts::new(futures::stream::empty().boxed(), 4);
        assert_eq!(p.next_part(true).await.expect("part"), Some(Bytes::new()));
        assert_eq!(p.next_part(false).await.expect("part"), None);
    }

    #[tokio::test]
    async fn ranged_stream_reassembles_in_order() {
        let data: Arc<Vec<u8>> = Arc::new((0..100u8).collect());
        let d = data.clone();
        let fetch: super::FetchRange = Arc::new(move |s, e| {
            let d = d.clone();
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(100 - s)).await;
                let (s, e) = (
                    usize::try_from(s).expect("small"),
                    usize::try_from(e).expect("small"),
                );
                Ok(Bytes::copy_from_slice(&d[s..e]))
            }
            .boxed()
        });
        let s = ranged_stream(
            "x".into(),
            100,
            Some(ByteRange::new(5, 95)),
            7,
            4,
            fetch.clone(),
        )
        .expect("stream");
        assert_eq!(&collect(s).await.expect("bytes")[..], &data[5..95]);
        assert!(ranged_stream("x".into(), 100, Some(ByteRange::from(100)), 7, 4, fetch).is_err());
    }
}
