//! The conformance suite every backend runs (feature `testing`), plus the heavier checks the integration tests
//! and the bench share: a large streamed round trip checked by SHA-256, and an aborted upload leaving nothing.
//!
//! Every function works under a fresh random prefix, so runs against one bucket do not collide, and panics
//! with a message naming the backend on the first failed expectation.

use bytes::Bytes;
use futures::StreamExt as _;
use sha2::{Digest as _, Sha256};

use crate::{BlobPath, BlobStore, ByteRange, ByteStream, Error, PutOptions};

fn key(prefix: &str, rest: &str) -> BlobPath {
    BlobPath::new(format!("{prefix}{rest}")).expect("test keys are valid")
}

/// A fresh prefix `conformance-<uuid>/`.
pub fn unique_prefix(tag: &str) -> String {
    format!("{tag}-{}/", uuid::Uuid::new_v4().simple())
}

/// A unique bucket name (3–63 lowercase characters, as S3 and Azure require).
pub fn unique_bucket(tag: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("rh-{tag}-{}", &id[..16])
}

/// Deterministic pseudo-random bytes (xorshift), so large payloads need no memory to describe.
pub fn pattern_stream(total: u64, chunk: usize, seed: u64) -> ByteStream {
    let state = (total, seed | 1);
    futures::stream::unfold(state, move |(left, mut x)| async move {
        if left == 0 {
            return None;
        }
        let n = usize::try_from(left.min(chunk as u64)).expect("chunk fits usize");
        let mut buf = Vec::with_capacity(n + 8);
        while buf.len() < n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf.extend_from_slice(&x.to_le_bytes());
        }
        buf.truncate(n);
        Some((Ok(Bytes::from(buf)), (left - n as u64, x)))
    })
    .boxed()
}

/// SHA-256 and length of a stream, consumed chunk by chunk.
pub async fn hash_stream(mut s: ByteStream) -> crate::Result<(String, u64)> {
    let mut h = Sha256::new();
    let mut n = 0u64;
    while let Some(chunk) = s.next().await {
        let chunk = chunk?;
        n += chunk.len() as u64;
        h.update(&chunk);
    }
    Ok((hex(&h.finalize()), n))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Runs every behaviour the [`BlobStore`] trait promises against `store`, whose bucket must exist.
pub async fn conformance(store: &dyn BlobStore) {
    let be = store.backend();
    let pre = unique_prefix("conformance");

    // put / get / head / exists
    let a = key(&pre, "dir/a.txt");
    let meta = store
        .put(&a, Bytes::from_static(b"hello blob"))
        .await
        .expect("put");
    assert_eq!(meta.size, 10, "{be}: put reports the size");
    assert_eq!(meta.path, a, "{be}: put reports the key");
    assert_eq!(
        &store.get(&a).await.expect("get")[..],
        b"hello blob",
        "{be}: get"
    );
    let head = store.head(&a).await.expect("head");
    assert_eq!(head.size, 10, "{be}: head size");
    assert!(store.exists(&a).await.expect("exists"), "{be}: exists");

    // overwrite replaces; if_not_exists refuses
    store
        .put(&a, Bytes::from_static(b"second"))
        .await
        .expect("overwrite");
    assert_eq!(
        &store.get(&a).await.expect("get")[..],
        b"second",
        "{be}: overwrite"
    );
    let refused = store
        .put_stream(
            &a,
            futures::stream::once(async { Ok(Bytes::from_static(b"third")) }).boxed(),
            &PutOptions {
                if_not_exists: true,
                ..PutOptions::default()
            },
        )
        .await;
    assert!(
        matches!(refused, Err(Error::AlreadyExists { .. })),
        "{be}: if_not_exists on an existing object gives AlreadyExists, got {refused:?}"
    );
    assert_eq!(
        &store.get(&a).await.expect("get")[..],
        b"second",
        "{be}: refused put changed nothing"
    );

    // get_to_file: the object lands at the destination, nothing beside it; a missing object writes nothing
    let dir =
        std::env::temp_dir().join(format!("rh-conformance-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let dest = dir.join("out");
    let counted = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let c = counted.clone();
    let read = store
        .get_to_file(&a, &dest, &move |n| {
            c.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        })
        .await
        .expect("get_to_file");
    assert_eq!(read.size, 6, "{be}: get_to_file size");
    assert_eq!(
        std::fs::read(&dest).expect("downloaded file"),
        b"second",
        "{be}: get_to_file bytes"
    );
    assert_eq!(
        counted.load(std::sync::atomic::Ordering::Relaxed),
        6,
        "{be}: get_to_file progress"
    );
    assert!(
        !crate::partial_path(&dest).exists(),
        "{be}: no partial file left"
    );
    let none = dir.join("none");
    let missing = store
        .get_to_file(&key(&pre, "missing"), &none, &|_| {})
        .await;
    assert!(
        matches!(missing, Err(Error::NotFound { .. })),
        "{be}: get_to_file of a missing object gives NotFound, got {missing:?}"
    );
    assert!(
        !none.exists() && !crate::partial_path(&none).exists(),
        "{be}: a failed get_to_file leaves no file"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let fresh = key(&pre, "fresh");
    store
        .put_stream(
            &fresh,
            futures::stream::once(async { Ok(Bytes::from_static(b"new")) }).boxed(),
            &PutOptions {
                if_not_exists: true,
                content_type: Some("text/plain".into()),
            },
        )
        .await
        .expect("if_not_exists on a new key");

    // missing objects
    let missing = key(&pre, "missing");
    for (what, r) in [
        ("get", store.get(&missing).await.map(|_| ())),
        ("head", store.head(&missing).await.map(|_| ())),
        ("delete", store.delete(&missing).await),
        (
            "copy",
            store.copy(&missing, &key(&pre, "copy-of-missing")).await,
        ),
    ] {
        match r {
            Err(e @ Error::NotFound { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("missing"),
                    "{be}: {what} error names the key: {msg}"
                );
            }
            other => panic!("{be}: {what} of a missing object gave {other:?}"),
        }
    }
    assert!(
        !store.exists(&missing).await.expect("exists"),
        "{be}: exists of a missing key"
    );

    // empty object
    let empty = key(&pre, "empty");
    let m = store.put(&empty, Bytes::new()).await.expect("put empty");
    assert_eq!(m.size, 0, "{be}: empty size");
    assert!(
        store.get(&empty).await.expect("get empty").is_empty(),
        "{be}: empty get"
    );

    // ranged reads
    let digits = key(&pre, "digits");
    store
        .put(&digits, Bytes::from_static(b"0123456789"))
        .await
        .expect("put digits");
    for (range, want) in [
        (ByteRange::new(2, 5), &b"234"[..]),
        (ByteRange::from(7), b"789"),
        (ByteRange::new(8, 100), b"89"),
        (ByteRange::new(0, 10), b"0123456789"),
    ] {
        let got = store.get_range(&digits, range).await.expect("range");
        assert_eq!(&got[..], want, "{be}: range {range}");
    }
    let past = store.get_range(&digits, ByteRange::from(10)).await;
    assert!(
        matches!(past, Err(Error::InvalidRange { .. })),
        "{be}: a range past the end is InvalidRange, got {past:?}"
    );

    // streamed multi-chunk upload with odd chunk sizes, read back as a stream
    let big = key(&pre, "streamed.bin");
    let size = 20 * 1024 * 1024 + 12_345;
    let (want, _) = hash_stream(pattern_stream(size, 1_000_003, 7))
        .await
        .expect("hash");
    let m = store
        .put_stream(
            &big,
            pattern_stream(size, 1_000_003, 7),
            &PutOptions::default(),
        )
        .await
        .expect("streamed put");
    assert_eq!(m.size, size, "{be}: streamed size");
    let (got, n) = hash_stream(store.get_stream(&big, None).await.expect("get stream"))
        .await
        .expect("read back");
    assert_eq!(
        (got.as_str(), n),
        (want.as_str(), size),
        "{be}: streamed bytes"
    );
    let mid = store
        .get_range(
            &big,
            ByteRange::new(8 * 1024 * 1024 - 5, 8 * 1024 * 1024 + 5),
        )
        .await
        .expect("range across a part boundary");
    let full = crate::collect(pattern_stream(size, 1_000_003, 7))
        .await
        .expect("pattern");
    assert_eq!(
        &mid[..],
        &full[8 * 1024 * 1024 - 5..8 * 1024 * 1024 + 5],
        "{be}: range across a part boundary"
    );

    // put_reader
    let from_reader = key(&pre, "reader");
    let reader: Box<dyn tokio::io::AsyncRead + Send + Unpin> =
        Box::new(std::io::Cursor::new(b"from a reader".to_vec()));
    store
        .put_reader(&from_reader, reader, &PutOptions::default())
        .await
        .expect("put_reader");
    assert_eq!(
        &store.get(&from_reader).await.expect("get")[..],
        b"from a reader",
        "{be}: put_reader"
    );

    // copy
    let copied = key(&pre, "other/copy.txt");
    store.copy(&a, &copied).await.expect("copy");
    assert_eq!(
        &store.get(&copied).await.expect("get copy")[..],
        b"second",
        "{be}: copy"
    );

    // list: a plain string prefix, sorted, recursive
    let listed: Vec<String> = store
        .list(&pre)
        .await
        .expect("list")
        .into_iter()
        .map(|m| m.path.as_str().trim_start_matches(pre.as_str()).to_owned())
        .collect();
    assert_eq!(
        listed,
        [
            "digits",
            "dir/a.txt",
            "empty",
            "fresh",
            "other/copy.txt",
            "reader",
            "streamed.bin"
        ],
        "{be}: list"
    );
    let dir: Vec<String> = store
        .list(&format!("{pre}di"))
        .await
        .expect("list")
        .into_iter()
        .map(|m| m.path.to_string())
        .collect();
    assert_eq!(
        dir,
        [format!("{pre}digits"), format!("{pre}dir/a.txt")],
        "{be}: list by partial name"
    );
    let sizes: Vec<u64> = store
        .list(&format!("{pre}dir/"))
        .await
        .expect("list")
        .iter()
        .map(|m| m.size)
        .collect();
    assert_eq!(sizes, [6], "{be}: list reports sizes");
    assert!(
        store
            .list(&format!("{pre}nothing-here"))
            .await
            .expect("list")
            .is_empty(),
        "{be}: empty list"
    );

    // delete
    for k in [
        "digits",
        "dir/a.txt",
        "empty",
        "fresh",
        "other/copy.txt",
        "reader",
        "streamed.bin",
    ] {
        store.delete(&key(&pre, k)).await.expect("delete");
    }
    assert!(!store.exists(&a).await.expect("exists"), "{be}: deleted");
    assert!(
        store.list(&pre).await.expect("list").is_empty(),
        "{be}: nothing left under the prefix"
    );
}

/// Streams `size` bytes up and back down, comparing SHA-256; returns the hash.
pub async fn large_round_trip(store: &dyn BlobStore, size: u64) -> String {
    let be = store.backend();
    let pre = unique_prefix("large");
    let k = key(&pre, "big.bin");
    let (want, _) = hash_stream(pattern_stream(size, 64 * 1024, 42))
        .await
        .expect("hash");
    let m = store
        .put_stream(
            &k,
            pattern_stream(size, 64 * 1024, 42),
            &PutOptions::default(),
        )
        .await
        .expect("large put");
    assert_eq!(m.size, size, "{be}: large size");
    let (got, n) = hash_stream(store.get_stream(&k, None).await.expect("large get"))
        .await
        .expect("large read");
    assert_eq!(n, size, "{be}: large length");
    assert_eq!(got, want, "{be}: large bytes");
    store.delete(&k).await.expect("delete large");
    got
}

/// An upload whose stream fails after `before_error` bytes leaves no object, and an existing object unchanged.
pub async fn aborted_upload_leaves_nothing(store: &dyn BlobStore, before_error: u64) {
    let be = store.backend();
    let pre = unique_prefix("aborted");
    let k = key(&pre, "partial.bin");
    let failing = pattern_stream(before_error, 1024 * 1024, 3)
        .chain(futures::stream::once(async {
            Err(Error::io(
                "test stream",
                std::io::Error::other("the source broke"),
            ))
        }))
        .boxed();
    let r = store.put_stream(&k, failing, &PutOptions::default()).await;
    assert!(r.is_err(), "{be}: a failing stream fails the put");
    assert!(
        !store.exists(&k).await.expect("exists"),
        "{be}: no object after a failed upload"
    );
    assert!(
        store.list(&pre).await.expect("list").is_empty(),
        "{be}: nothing listed after a failed upload"
    );

    // Over an existing object: the old bytes survive.
    store
        .put(&k, Bytes::from_static(b"old"))
        .await
        .expect("put old");
    let failing = pattern_stream(before_error, 1024 * 1024, 3)
        .chain(futures::stream::once(async {
            Err(Error::io(
                "test stream",
                std::io::Error::other("the source broke"),
            ))
        }))
        .boxed();
    assert!(
        store
            .put_stream(&k, failing, &PutOptions::default())
            .await
            .is_err()
    );
    assert_eq!(
        &store.get(&k).await.expect("get old")[..],
        b"old",
        "{be}: old object unchanged"
    );

    // A dropped upload future leaves nothing either.
    let dropped = key(&pre, "dropped.bin");
    let slow = pattern_stream(before_error, 1024 * 1024, 5)
        .chain(futures::stream::pending())
        .boxed();
    let opts = PutOptions::default();
    let put = store.put_stream(&dropped, slow, &opts);
    let timed = tokio::time::timeout(std::time::Duration::from_secs(3), put).await;
    assert!(
        timed.is_err(),
        "{be}: the never-ending upload is still running"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !store.exists(&dropped).await.expect("exists"),
        "{be}: no object after a dropped upload"
    );
    store.delete(&k).await.expect("delete");
}
