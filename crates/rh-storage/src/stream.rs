//! Shared streaming helpers: cutting an upload stream into parts and reading an object as parallel ranges.

use std::sync::Arc;

use futures::StreamExt as _;

use crate::{ByteStream, Error, ProgressFn, Result};
// What only the cloud backends' streaming (parts, resuming and split reads) uses.
#[cfg(feature = "s3")]
use crate::{FileRead, ReadSplit};
#[cfg(any(feature = "s3", feature = "gs", feature = "azure"))]
use {
    crate::{ByteRange, RetryPolicy},
    bytes::{Bytes, BytesMut},
    futures::future::BoxFuture,
};

/// The opening every cloud backend's `put_stream` shares: refuses an existing object when
/// `options.if_not_exists`, then reads the first part and, when it is full, the second. `None` for the
/// second part means the object fits one request; otherwise the upload is multipart and goes on with
/// the returned [`Parts`].
#[cfg(any(feature = "s3", feature = "gs", feature = "azure"))]
pub(crate) async fn open_put<S: crate::BlobStore + ?Sized>(
    store: &S,
    path: &crate::BlobPath,
    data: ByteStream,
    options: &crate::PutOptions,
    part_size: usize,
) -> Result<(Parts, Bytes, Option<Bytes>)> {
    if options.if_not_exists && store.exists(path).await? {
        return Err(Error::AlreadyExists {
            what: "object",
            location: store.location(Some(path)),
        });
    }
    let mut parts = Parts::new(data, part_size);
    let first = parts.next_part(true).await?.unwrap_or_default();
    let second = if first.len() < part_size {
        None
    } else {
        parts.next_part(false).await?
    };
    Ok((parts, first, second))
}

#[cfg(any(feature = "s3", feature = "gs", feature = "azure"))]
/// Cuts a stream into parts of exactly `part_size` bytes (the last may be shorter).
pub(crate) struct Parts {
    inner: ByteStream,
    part_size: usize,
    buf: BytesMut,
    done: bool,
    /// Buffers of parts already sent, to fill again (see `recycle`).
    spare: Vec<BytesMut>,
}

#[cfg(any(feature = "s3", feature = "gs", feature = "azure"))]
impl Parts {
    pub(crate) fn new(inner: ByteStream, part_size: usize) -> Self {
        Self {
            inner,
            part_size,
            buf: BytesMut::new(),
            done: false,
            spare: Vec::new(),
        }
    }

    /// Takes back the buffer of a part whose upload finished, so the next part is read into it instead of a
    /// fresh allocation: an upload then touches `concurrency` part-sized buffers in all, not one per part (fewer
    /// page faults, and no heap growth from the allocator keeping freed parts). A part still shared (the
    /// client kept a clone) is simply dropped.
    #[cfg(any(feature = "s3", feature = "azure", test))]
    pub(crate) fn recycle(&mut self, part: Bytes, keep: usize) {
        if self.spare.len() >= keep {
            return;
        }
        if let Ok(mut b) = part.try_into_mut()
            && b.capacity() >= self.part_size
        {
            b.clear();
            self.spare.push(b);
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
                        match self.spare.pop() {
                            Some(b) => self.buf = b,
                            None => self.buf.reserve(self.part_size.max(chunk.len())),
                        }
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

/// Uploads `head` then the rest of `parts`, `concurrency` at a time, with `start(index, part)`; returns the results
/// in completion order. At most `concurrency` parts exist at once, counting the one being read, so memory stays at
/// `concurrency * part_size`.
#[cfg(any(feature = "s3", feature = "azure"))]
pub(crate) async fn upload_bounded<T, F, Fut>(
    head: Vec<Bytes>,
    parts: &mut Parts,
    concurrency: usize,
    mut start: F,
) -> Result<Vec<T>>
where
    F: FnMut(usize, Bytes) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let concurrency = concurrency.max(1);
    let mut inflight = futures::stream::FuturesUnordered::new();
    let mut done = Vec::new();
    let mut queued: std::collections::VecDeque<Bytes> = head.into();
    let mut index = 0;
    loop {
        while inflight.len() >= concurrency {
            if let Some((r, sent)) = inflight.next().await {
                done.push(r?);
                parts.recycle(sent, concurrency);
            }
        }
        let next = if let Some(b) = queued.pop_front() {
            Some(b)
        } else {
            // Read the next part while the others upload.
            let mut sent_meanwhile = Vec::new();
            let next = {
                let read = parts.next_part(false);
                tokio::pin!(read);
                loop {
                    tokio::select! {
                        biased;
                        r = &mut read => break r?,
                        Some((r, sent)) = inflight.next(), if !inflight.is_empty() => {
                            done.push(r?);
                            sent_meanwhile.push(sent);
                        }
                    }
                }
            };
            for sent in sent_meanwhile {
                parts.recycle(sent, concurrency);
            }
            next
        };
        let Some(body) = next else { break };
        // Keep a handle on the part's bytes (not a copy) to reuse its buffer once the upload is done.
        let sent = body.clone();
        let upload = start(index, body);
        inflight.push(async move { (upload.await, sent) });
        index += 1;
    }
    while let Some((r, _)) = inflight.next().await {
        done.push(r?);
    }
    Ok(done)
}

#[cfg(any(feature = "s3", feature = "gs", feature = "azure"))]
/// Opens a read of `start..end` of an object; `whole` is set for the first request of a full read, so the backend
/// may send a plain GET (and validate the object's checksum).
pub(crate) type OpenRange =
    Arc<dyn Fn(u64, u64, bool) -> BoxFuture<'static, Result<ByteStream>> + Send + Sync>;

#[cfg(any(feature = "s3", feature = "gs", feature = "azure"))]
/// Reads `range` (or all) of an object of `size` bytes as one streamed request. When the connection breaks
/// mid-way, it reopens from the byte where it stopped (the backend pins the version), up to `retry.max_attempts`
/// times in a row, so memory stays at a few network buffers and a transient failure costs no restart.
pub(crate) fn resuming_stream(
    location: String,
    size: u64,
    range: Option<ByteRange>,
    retry: RetryPolicy,
    open: OpenRange,
) -> Result<ByteStream> {
    let whole = range.is_none();
    let range = range.unwrap_or(ByteRange::from(0));
    let (start, end) = range.resolve(size).ok_or_else(|| Error::InvalidRange {
        location: location.clone(),
        range: range.to_string(),
        size,
    })?;
    let state = Reader {
        pos: start,
        end,
        whole,
        cur: None,
        failures: 0,
        retry,
        open,
        location,
    };
    Ok(futures::stream::unfold(state, Reader::next).boxed())
}

#[cfg(any(feature = "s3", feature = "gs", feature = "azure"))]
struct Reader {
    pos: u64,
    end: u64,
    whole: bool,
    cur: Option<ByteStream>,
    failures: u32,
    retry: RetryPolicy,
    open: OpenRange,
    location: String,
}

#[cfg(any(feature = "s3", feature = "gs", feature = "azure"))]
impl Reader {
    async fn next(mut self) -> Option<(Result<Bytes>, Self)> {
        loop {
            if self.pos >= self.end {
                return None;
            }
            if self.cur.is_none() {
                let (pos, end, whole) = (self.pos, self.end, self.whole && self.pos == 0);
                let open = self.open.clone();
                match self.retry.run("open read", || open(pos, end, whole)).await {
                    Ok(s) => self.cur = Some(s),
                    Err(e) => {
                        self.pos = self.end;
                        return Some((Err(e), self));
                    }
                }
            }
            let item = self.cur.as_mut().expect("opened above").next().await;
            let err = match item {
                Some(Ok(chunk)) => {
                    let room = usize::try_from(self.end - self.pos).unwrap_or(usize::MAX);
                    let chunk = if chunk.len() > room {
                        chunk.slice(..room)
                    } else {
                        chunk
                    };
                    self.pos += chunk.len() as u64;
                    if !chunk.is_empty() {
                        self.failures = 0;
                    }
                    return Some((Ok(chunk), self));
                }
                Some(Err(e)) => e,
                None => Error::backend(
                    "io",
                    self.location.clone(),
                    true,
                    format!("connection closed at byte {} of {}", self.pos, self.end),
                ),
            };
            self.cur = None;
            self.failures += 1;
            if !err.is_retryable() || self.failures >= self.retry.max_attempts {
                self.pos = self.end;
                return Some((Err(err), self));
            }
            tracing::debug!(
                error = &err as &dyn std::error::Error,
                "read of {} broke at byte {}, resuming",
                self.location,
                self.pos
            );
            tokio::time::sleep(self.retry.initial_backoff * self.failures).await;
        }
    }
}

/// Bytes gathered before one positioned write.
const WRITE_BATCH: usize = 1024 * 1024;

/// Positioned writes into a file from `pos` on, in batches of [`WRITE_BATCH`] written off the async threads,
/// one batch in flight while the next fills (two batch buffers in all).
struct AtWriter<'a> {
    file: Arc<std::fs::File>,
    pos: u64,
    buf: Vec<u8>,
    pending: Option<tokio::task::JoinHandle<(std::io::Result<()>, Vec<u8>)>>,
    location: &'a str,
}

impl<'a> AtWriter<'a> {
    fn new(file: Arc<std::fs::File>, pos: u64, location: &'a str) -> Self {
        Self {
            file,
            pos,
            buf: Vec::new(),
            pending: None,
            location,
        }
    }

    async fn write(&mut self, data: &[u8]) -> Result<()> {
        if self.buf.capacity() == 0 {
            self.buf.reserve(WRITE_BATCH + data.len());
        }
        self.buf.extend_from_slice(data);
        if self.buf.len() >= WRITE_BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    /// Waits for the write in flight, then starts one of what is buffered.
    async fn flush(&mut self) -> Result<()> {
        let spare = self.wait().await?;
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut next = spare.unwrap_or_default();
        next.clear();
        let buf = std::mem::replace(&mut self.buf, next);
        let (file, pos) = (self.file.clone(), self.pos);
        self.pos += buf.len() as u64;
        self.pending = Some(tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::FileExt as _;
            (file.write_all_at(&buf, pos), buf)
        }));
        Ok(())
    }

    /// Waits for the write in flight; gives back its buffer.
    async fn wait(&mut self) -> Result<Option<Vec<u8>>> {
        let Some(h) = self.pending.take() else {
            return Ok(None);
        };
        let (r, buf) = h
            .await
            .map_err(|e| Error::io(self.location, std::io::Error::other(e)))?;
        r.map_err(|e| Error::io(self.location, e))?;
        Ok(Some(buf))
    }

    async fn finish(mut self) -> Result<()> {
        self.flush().await?;
        self.wait().await?;
        Ok(())
    }
}

/// Copies up to `limit` bytes of `stream` into `w` (a longer stream is cut there); returns the bytes copied.
async fn copy_into(
    stream: &mut ByteStream,
    w: &mut AtWriter<'_>,
    limit: u64,
    progress: &ProgressFn,
) -> Result<u64> {
    let mut n = 0u64;
    while n < limit {
        let Some(chunk) = stream.next().await else {
            break;
        };
        let chunk = chunk?;
        let room = usize::try_from(limit - n).unwrap_or(usize::MAX);
        let chunk = if chunk.len() > room {
            chunk.slice(..room)
        } else {
            chunk
        };
        w.write(&chunk).await?;
        n += chunk.len() as u64;
        progress(chunk.len() as u64);
    }
    Ok(n)
}

/// Writes all of `stream` into `file` from `offset`; returns the bytes written.
pub(crate) async fn write_stream_at(
    mut stream: ByteStream,
    file: Arc<std::fs::File>,
    offset: u64,
    location: &str,
    progress: &ProgressFn,
) -> Result<u64> {
    let mut w = AtWriter::new(file, offset, location);
    let n = copy_into(&mut stream, &mut w, u64::MAX, progress).await?;
    w.finish().await?;
    Ok(n)
}

#[cfg(feature = "s3")]
/// Reads a whole object of `size` bytes into `file`, split as [`ReadSplit`] says: one plain GET first, and
/// after `split.probe`, if that GET is slow and enough is left, up to `split.segments` contiguous segments read
/// at once, each by its own resuming GET (`open` pins them all to one version) and written at its own offset.
pub(crate) async fn read_into_file(
    location: String,
    size: u64,
    retry: RetryPolicy,
    open: OpenRange,
    file: Arc<std::fs::File>,
    progress: &ProgressFn,
    split: ReadSplit,
) -> Result<FileRead> {
    let mut main = resuming_stream(location.clone(), size, None, retry, open.clone())?;
    let mut w = AtWriter::new(file.clone(), 0, &location);
    if size < split.min_size || split.segments < 2 {
        let n = copy_into(&mut main, &mut w, size, progress).await?;
        w.finish().await?;
        return Ok(FileRead {
            size: n,
            segments: 1,
        });
    }
    // The rate is measured from the first byte on: some servers take long to answer (moto prepares the whole
    // object first, and copies it again for every ranged GET) and then stream fast.
    let mut pos = 0u64;
    let mut first: Option<(std::time::Instant, u64)> = None;
    while pos < size {
        let Some(chunk) = main.next().await else {
            break;
        };
        let chunk = chunk?;
        w.write(&chunk).await?;
        pos += chunk.len() as u64;
        progress(chunk.len() as u64);
        let (since, _) = *first.get_or_insert((std::time::Instant::now(), pos));
        if since.elapsed() >= split.probe {
            break;
        }
    }
    let (since, at) = first.unwrap_or((std::time::Instant::now(), pos));
    let elapsed = since.elapsed();
    let left = size - pos;
    let segments = usize::try_from(left / split.min_segment.max(1))
        .unwrap_or(usize::MAX)
        .min(split.segments);
    let rate = u128::from(pos - at) * 1_000_000 / elapsed.as_micros().max(1);
    let fast = rate >= u128::from(split.fast_enough);
    tracing::debug!(
        "read of {location}: {} bytes in {elapsed:?} after the first by one GET; {}",
        pos - at,
        if fast || segments < 2 {
            "keeping one stream".to_owned()
        } else {
            format!("splitting the other {left} bytes into {segments} segments")
        }
    );
    if fast || segments < 2 {
        pos += copy_into(&mut main, &mut w, left, progress).await?;
        w.finish().await?;
        return Ok(FileRead {
            size: pos,
            segments: 1,
        });
    }
    let seg = left.div_ceil(segments as u64);
    let location = location.as_str();
    let head = async {
        let n = copy_into(&mut main, &mut w, seg, progress).await?;
        drop(main);
        w.finish().await?;
        Ok::<_, Error>(n)
    };
    let rest = (1..segments as u64)
        .map(|i| (pos + i * seg, (pos + (i + 1) * seg).min(size)))
        .filter(|(a, b)| a < b)
        .map(|(a, b)| {
            let (open, file) = (open.clone(), file.clone());
            async move {
                let mut s = resuming_stream(
                    location.to_owned(),
                    size,
                    Some(ByteRange::new(a, b)),
                    retry,
                    open,
                )?;
                let mut w = AtWriter::new(file, a, location);
                let n = copy_into(&mut s, &mut w, b - a, progress).await?;
                w.finish().await?;
                Ok::<_, Error>(n)
            }
        });
    let (n0, ns) = futures::future::try_join(head, futures::future::try_join_all(rest)).await?;
    let total = pos + n0 + ns.iter().sum::<u64>();
    if total != size {
        return Err(Error::backend(
            "io",
            location,
            true,
            format!("read {total} of {size} bytes"),
        ));
    }
    Ok(FileRead {
        size,
        segments: ns.len() + 1,
    })
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

#[cfg(all(test, any(feature = "s3", feature = "gs", feature = "azure")))]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use futures::{FutureExt as _, StreamExt as _};

    use super::{Parts, resuming_stream};
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
    async fn recycled_parts_are_filled_again_unless_still_shared() {
        let chunks: Vec<crate::Result<Bytes>> =
            (0..4u8).map(|i| Ok(Bytes::from(vec![i; 4]))).collect();
        let mut p = Parts::new(futures::stream::iter(chunks).boxed(), 4);
        let a = p.next_part(true).await.expect("part").expect("some");
        let first = a.as_ptr();
        p.recycle(a, 2);
        let b = p.next_part(false).await.expect("part").expect("some");
        assert_eq!(
            b.as_ptr(),
            first,
            "the second part reuses the first one's buffer"
        );
        assert_eq!(&b[..], &[1u8; 4]);
        let still_sent = b.clone();
        p.recycle(b, 2);
        let c = p.next_part(false).await.expect("part").expect("some");
        assert_ne!(
            c.as_ptr(),
            still_sent.as_ptr(),
            "a shared part is never overwritten"
        );
        assert_eq!(&still_sent[..], &[1u8; 4]);
        assert_eq!(&c[..], &[2u8; 4]);
    }

    #[tokio::test]
    async fn empty_stream_gives_one_empty_part() {
        let mut p = Parts::new(futures::stream::empty().boxed(), 4);
        assert_eq!(p.next_part(true).await.expect("part"), Some(Bytes::new()));
        assert_eq!(p.next_part(false).await.expect("part"), None);
    }

    #[tokio::test]
    async fn resuming_stream_picks_up_where_the_connection_broke() {
        let data: Arc<Vec<u8>> = Arc::new((0..100u8).collect());
        let opens = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (d, o) = (data.clone(), opens.clone());
        // Each request sends at most 7 bytes in 3-byte chunks, then breaks.
        let open: super::OpenRange = Arc::new(move |s, e, whole| {
            o.lock().expect("log").push((s, whole));
            let (s, e) = (
                usize::try_from(s).expect("small"),
                usize::try_from(e).expect("small"),
            );
            let stop = e.min(s + 7);
            let chunks: Vec<crate::Result<Bytes>> = (s..stop)
                .step_by(3)
                .map(|i| Ok(Bytes::copy_from_slice(&d[i..(i + 3).min(stop)])))
                .chain((stop < e).then(|| Err(crate::Error::backend("t", "x", true, "reset"))))
                .collect();
            async move { Ok(futures::stream::iter(chunks).boxed()) }.boxed()
        });
        let fast = crate::RetryPolicy {
            initial_backoff: std::time::Duration::from_millis(1),
            ..crate::RetryPolicy::default()
        };
        let s = resuming_stream("x".into(), 100, None, fast, open.clone()).expect("stream");
        assert_eq!(&collect(s).await.expect("bytes")[..], &data[..]);
        let log = opens.lock().expect("log").clone();
        assert_eq!(
            log[0],
            (0, true),
            "the first request is a whole-object read"
        );
        assert_eq!(log[1], (7, false), "then it resumes at the break");
        let s = resuming_stream(
            "x".into(),
            100,
            Some(ByteRange::new(5, 12)),
            fast,
            open.clone(),
        )
        .expect("stream");
        assert_eq!(&collect(s).await.expect("bytes")[..], &data[5..12]);
        assert!(resuming_stream("x".into(), 100, Some(ByteRange::from(100)), fast, open).is_err());
    }
}
