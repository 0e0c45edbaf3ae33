//! Objects in a bucket and prefix of an S3-compatible store, behind a synchronous API.
//!
//! This sits beside the local files in `sys`: it moves bytes and knows nothing about archives,
//! manifests or catalogs (`store/` gives the objects their names and meaning). The core stays
//! synchronous, so the store owns a small single-threaded tokio runtime and blocks on each
//! request; the client is `opendal`'s S3 service.
//!
//! Credentials come only from the standard AWS chain (the environment, then the `~/.aws` profile
//! files); never from our settings, never from the EC2 metadata service (it would be a request off
//! this machine that nobody asked for). Errors are built from the kind of failure alone, never
//! from the client's or server's text, so no key, signature or token can reach a message.
//!
//! Every request has a timeout, and temporary failures (5xx, throttling, timeouts, refused
//! connections) are retried a bounded number of times with backoff: a dead network ends in a
//! plain error within about a minute, never in a hang.

use std::future::IntoFuture;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{ErrorKind, Operator};

use crate::error::{Error, RemoteReason, Result};

/// Each part of a multipart upload. S3 needs at least 5 MiB per part but the last; with
/// [`PARTS_IN_FLIGHT`] this bounds the memory an upload holds, whatever the object's size.
pub const PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts uploaded at once: enough to keep the link busy while the next part is filled.
pub const PARTS_IN_FLIGHT: usize = 2;
/// A read fetches at most this much per request, so a large object streams in bounded memory.
const READ_BYTES: u64 = 4 * 1024 * 1024;
/// Tries after the first for a temporary failure, and the backoff between them.
const RETRIES: usize = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const LONGEST_BACKOFF: Duration = Duration::from_secs(4);
/// A request that is not moving data (stat, list, delete, completing an upload).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// A request moving data that made no progress for this long.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// S3's own limits on names, checked before anything is sent.
const MAX_BUCKET_CHARS: usize = 63;
const MIN_BUCKET_CHARS: usize = 3;
/// Keys may be 1024 bytes; half of that for the prefix leaves room for our names.
const MAX_PREFIX_BYTES: usize = 512;
const MAX_ENDPOINT_BYTES: usize = 512;
const MAX_REGION_CHARS: usize = 32;
/// Used when no region is given: S3-compatible servers accept it, and AWS redirects.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Where a store lives: `s3://bucket/prefix`, an optional endpoint (for servers other than AWS)
/// and region. Every field is validated where it is parsed: it came from an argument, the
/// environment or a settings file, and ends up in URLs and request signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Without leading or trailing `/`; empty for the bucket's root.
    pub prefix: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
}

impl S3Location {
    /// Reads `s3://bucket` or `s3://bucket/some/prefix`.
    pub fn parse(address: &str) -> Result<S3Location> {
        let refuse = |detail: &str| Error::InvalidStoreAddress {
            text: address.to_string(),
            detail: detail.to_string(),
        };
        let rest = address
            .strip_prefix("s3://")
            .ok_or_else(|| refuse("it does not start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        check_bucket(bucket).map_err(|detail| refuse(&detail))?;
        let prefix = prefix.trim_end_matches('/');
        check_prefix(prefix).map_err(|detail| refuse(&detail))?;
        Ok(S3Location {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            endpoint: None,
            region: None,
        })
    }

    /// Is this argument meant as an S3 store rather than a folder?
    pub fn is_address(text: &str) -> bool {
        text.starts_with("s3://")
    }

    pub fn with_endpoint(mut self, endpoint: &str) -> Result<S3Location> {
        let endpoint = endpoint.trim_end_matches('/');
        check_endpoint(endpoint).map_err(|detail| Error::InvalidStoreAddress {
            // An endpoint with `user:password@` in it is not echoed: the password would be shown.
            text: if endpoint.contains('@') {
                "the endpoint".into()
            } else {
                endpoint.to_string()
            },
            detail,
        })?;
        self.endpoint = Some(endpoint.to_string());
        Ok(self)
    }

    pub fn with_region(mut self, region: &str) -> Result<S3Location> {
        let valid = !region.is_empty()
            && region.len() <= MAX_REGION_CHARS
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(Error::InvalidStoreAddress {
                text: region.to_string(),
                detail: "a region is lowercase letters, digits and dashes, like eu-west-1".into(),
            });
        }
        self.region = Some(region.to_string());
        Ok(self)
    }

    /// `s3://bucket/prefix`, for messages and listings.
    pub fn shown(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

fn check_bucket(bucket: &str) -> Result<(), String> {
    let chars_ok = bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let ends_ok = bucket
        .bytes()
        .next()
        .zip(bucket.bytes().last())
        .is_some_and(|(first, last)| first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric());
    if !(MIN_BUCKET_CHARS..=MAX_BUCKET_CHARS).contains(&bucket.len()) {
        return Err(format!(
            "a bucket name has {MIN_BUCKET_CHARS} to {MAX_BUCKET_CHARS} characters"
        ));
    }
    if !chars_ok || !ends_ok || bucket.contains("..") {
        return Err(
            "a bucket name is lowercase letters, digits, dots and dashes, and starts and ends with a letter or digit"
                .into(),
        );
    }
    Ok(())
}

fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.len() > MAX_PREFIX_BYTES {
        return Err(format!(
            "the prefix is longer than {MAX_PREFIX_BYTES} bytes"
        ));
    }
    if prefix.is_empty() {
        return Ok(());
    }
    for part in prefix.split('/') {
        let chars_ok = part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
        if part.is_empty() || part == "." || part == ".." || !chars_ok {
            return Err(format!(
                "the prefix part {} is not letters, digits, dots, dashes and underscores",
                crate::limits::quoted(part)
            ));
        }
    }
    Ok(())
}

fn check_endpoint(endpoint: &str) -> Result<(), String> {
    let rest = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
        .ok_or("an endpoint starts with http:// or https://")?;
    if endpoint.len() > MAX_ENDPOINT_BYTES {
        return Err(format!("an endpoint is at most {MAX_ENDPOINT_BYTES} bytes"));
    }
    let host = rest.split('/').next().unwrap_or_default();
    // Credentials in the URL (user:secret@host) would end up in messages and logs.
    if host.is_empty() || host.contains('@') {
        return Err("an endpoint names a host (and port), without user or password".into());
    }
    if rest
        .bytes()
        .any(|b| !b.is_ascii_graphic() || b == b'?' || b == b'#')
    {
        return Err("an endpoint is a plain URL without spaces, query or fragment".into());
    }
    Ok(())
}

/// Keys handed over in code rather than found by the AWS chain: for tests (which must not change
/// the process environment other tests read) and for a future OS keychain. Never read from the
/// settings file. `Debug` shows neither key.
#[derive(Clone)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// For temporary keys (an assumed role, SSO): sent with every request.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("S3Credentials { .. }")
    }
}

/// Whether a small write may replace what is there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publish {
    /// `If-None-Match: *`: refused when the object exists (archives, manifests, entries).
    IfAbsent,
    /// Plain put: for caches that are rebuilt anyway.
    Replace,
}

/// One object found by a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedObject {
    /// Relative to the listed folder, without a leading `/`.
    pub name: String,
    pub size: u64,
}

/// A bucket and prefix, reached through a blocking API. Names given to its methods are relative
/// to the prefix and built by the caller from validated components.
pub struct ObjectStore {
    /// Shared with the readers it hands out, so a reader can move to another thread.
    runtime: Arc<tokio::runtime::Runtime>,
    operator: Operator,
    shown: String,
}

impl ObjectStore {
    /// Opens the store with credentials from the AWS chain: `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`), else the `~/.aws` files (`AWS_PROFILE`).
    pub fn open(location: &S3Location) -> Result<ObjectStore> {
        Self::open_with(location, None)
    }

    /// The same, with `credentials` tried before the chain.
    pub fn open_with(
        location: &S3Location,
        credentials: Option<&S3Credentials>,
    ) -> Result<ObjectStore> {
        let shown = location.shown();
        let misconfigured = || Error::Remote {
            store: shown.clone(),
            action: "open",
            object: "the store".into(),
            reason: RemoteReason::Misconfigured,
        };
        // rustls needs one process-wide crypto provider; ring is the one the core already uses
        // for SHA-256. Installing fails harmlessly when another part of the process did it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| Error::io("start the network runtime for", &shown, source))?;
        let mut builder = opendal::services::S3::default()
            .bucket(&location.bucket)
            .root(&format!("/{}", location.prefix))
            .region(location.region.as_deref().unwrap_or(DEFAULT_REGION))
            .disable_ec2_metadata();
        if let Some(endpoint) = &location.endpoint {
            builder = builder.endpoint(endpoint);
        }
        if let Some(credentials) = credentials {
            builder = builder
                .access_key_id(&credentials.access_key_id)
                .secret_access_key(&credentials.secret_access_key);
            if let Some(token) = &credentials.session_token {
                builder = builder.session_token(token);
            }
        }
        let operator = Operator::new(builder)
            .map_err(|_| misconfigured())?
            .layer(
                TimeoutLayer::new()
                    .with_timeout(REQUEST_TIMEOUT)
                    .with_io_timeout(IO_TIMEOUT),
            )
            .layer(
                RetryLayer::new()
                    .with_max_times(RETRIES)
                    .with_min_delay(FIRST_BACKOFF)
                    .with_max_delay(LONGEST_BACKOFF)
                    .with_jitter(),
            )
            .finish();
        Ok(ObjectStore {
            runtime: Arc::new(runtime),
            operator,
            shown,
        })
    }

    /// `s3://bucket/prefix`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    fn failed(&self, action: &'static str, object: &str, err: &opendal::Error) -> Error {
        Error::Remote {
            store: self.shown.clone(),
            action,
            object: crate::limits::quoted(object),
            reason: reason_of(err),
        }
    }

    /// The object's size, or `None` when it does not exist.
    pub fn size_of(&self, name: &str) -> Result<Option<u64>> {
        match self.runtime.block_on(self.operator.stat(name)) {
            Ok(meta) => Ok(Some(meta.content_length())),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(self.failed("look up", name, &err)),
        }
    }

    /// The objects directly in `folder` (`""` for the prefix itself, else ending in `/`).
    pub fn list(&self, folder: &str) -> Result<Vec<ListedObject>> {
        let entries = self
            .runtime
            .block_on(
                self.operator
                    .list_with(folder)
                    .recursive(false)
                    .into_future(),
            )
            .map_err(|err| self.failed("list", folder, &err))?;
        Ok(entries
            .into_iter()
            .filter(|entry| entry.metadata().is_file())
            .filter_map(|entry| {
                let name = entry.path().strip_prefix(folder)?.to_string();
                (!name.is_empty()).then(|| ListedObject {
                    name,
                    size: entry.metadata().content_length(),
                })
            })
            .collect())
    }

    /// A whole small object (a manifest, a catalog entry), refused when larger than `max_bytes`.
    pub fn read_small(&self, name: &str, max_bytes: u64) -> Result<Vec<u8>> {
        let size = self
            .size_of(name)?
            .ok_or_else(|| self.failed("read", name, &not_found()))?;
        if size > max_bytes {
            return Err(Error::TooLarge {
                path: format!("{}/{name}", self.shown).into(),
                detail: format!(
                    "it is {} and at most {} is read",
                    crate::error::human_bytes(size),
                    crate::error::human_bytes(max_bytes)
                ),
            });
        }
        let buffer = self
            .runtime
            .block_on(self.operator.read_with(name).range(0..size).into_future())
            .map_err(|err| self.failed("read", name, &err))?;
        Ok(buffer.to_vec())
    }

    /// At most `len` bytes of an object from `start` (fewer at its end): one ranged GET.
    pub fn read_range(&self, name: &str, start: u64, len: u64) -> Result<Vec<u8>> {
        let buffer = self
            .runtime
            .block_on(
                self.operator
                    .read_with(name)
                    .range(start..start.saturating_add(len))
                    .into_future(),
            )
            .map_err(|err| self.failed("read", name, &err))?;
        Ok(buffer.to_vec())
    }

    /// Writes a small object in one request.
    pub fn put_small(&self, name: &str, bytes: Vec<u8>, publish: Publish) -> Result<()> {
        self.runtime
            .block_on(
                self.operator
                    .write_with(name, bytes)
                    .if_not_exists(publish == Publish::IfAbsent)
                    .into_future(),
            )
            .map(|_| ())
            .map_err(|err| self.failed("publish", name, &err))
    }

    /// Starts a streamed, conditional upload: a multipart upload whose completion carries
    /// `If-None-Match: *`. Nothing is visible under `name` until [`ObjectWriter::finish`]
    /// succeeds; dropping the writer unfinished aborts the upload.
    pub fn writer(&self, name: &str) -> Result<ObjectWriter<'_>> {
        let writer = self
            .runtime
            .block_on(
                self.operator
                    .writer_with(name)
                    .chunk(PART_BYTES)
                    .concurrent(PARTS_IN_FLIGHT)
                    .if_not_exists(true)
                    .into_future(),
            )
            .map_err(|err| self.failed("start uploading", name, &err))?;
        Ok(ObjectWriter {
            store: self,
            name: name.to_string(),
            writer: Some(writer),
            pending: Vec::with_capacity(PART_BYTES),
            written: 0,
        })
    }

    /// Streams an object: at most one read request's bytes are held at a time.
    pub fn reader(&self, name: &str) -> Result<ObjectReader> {
        let size = self
            .size_of(name)?
            .ok_or_else(|| self.failed("read", name, &not_found()))?;
        let reader = self
            .runtime
            .block_on(self.operator.reader(name))
            .map_err(|err| self.failed("read", name, &err))?;
        Ok(ObjectReader {
            runtime: Arc::clone(&self.runtime),
            store: self.shown.clone(),
            name: name.to_string(),
            reader,
            size,
            offset: 0,
            held: Vec::new(),
            held_from: 0,
        })
    }

    /// Deletes an object; one that is already gone is not an error.
    pub fn delete(&self, name: &str) -> Result<()> {
        self.runtime
            .block_on(self.operator.delete(name))
            .map_err(|err| self.failed("delete", name, &err))
    }
}

fn not_found() -> opendal::Error {
    opendal::Error::new(ErrorKind::NotFound, "not found")
}

/// The kind of failure only: the client's text may quote request headers or the server's body.
fn reason_of(err: &opendal::Error) -> RemoteReason {
    match err.kind() {
        ErrorKind::NotFound => RemoteReason::NotFound,
        ErrorKind::PermissionDenied => RemoteReason::AccessDenied,
        ErrorKind::ConditionNotMatch | ErrorKind::AlreadyExists => RemoteReason::AlreadyExists,
        ErrorKind::ConfigInvalid => RemoteReason::Misconfigured,
        ErrorKind::RateLimited => RemoteReason::Unreachable,
        _ if err.is_temporary() => RemoteReason::Unreachable,
        // A refused connection or a timeout, once the retries are spent, is reported by opendal
        // as unexpected and no longer temporary; its message names the transport failure.
        _ if err.to_string().contains("send http request")
            || err.to_string().contains("timeout") =>
        {
            RemoteReason::Unreachable
        }
        _ => RemoteReason::Unexpected,
    }
}

/// A streamed upload in progress: see [`ObjectStore::writer`]. It also implements
/// [`std::io::Write`] so a compressor can write into it directly.
pub struct ObjectWriter<'a> {
    store: &'a ObjectStore,
    name: String,
    /// `None` once finished or aborted.
    writer: Option<opendal::Writer>,
    /// Bytes not yet handed to the client, at most one part.
    pending: Vec<u8>,
    written: u64,
}

impl ObjectWriter<'_> {
    /// Bytes accepted so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    fn send_pending(&mut self) -> Result<()> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(Error::Cancelled);
        };
        let part = std::mem::replace(&mut self.pending, Vec::with_capacity(PART_BYTES));
        self.store
            .runtime
            .block_on(writer.write(part))
            .map_err(|err| self.store.failed("upload", &self.name, &err))
    }

    /// Accepts bytes, sending a part whenever one is full.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<()> {
        while !bytes.is_empty() {
            let room = PART_BYTES - self.pending.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.pending.extend_from_slice(now);
            self.written += now.len() as u64;
            bytes = later;
            if self.pending.len() == PART_BYTES {
                self.send_pending()?;
            }
        }
        Ok(())
    }

    /// Sends the rest and completes the upload conditionally: the object appears now, whole, or
    /// not at all ([`RemoteReason::AlreadyExists`] when another writer published it first).
    pub fn finish(mut self) -> Result<u64> {
        if !self.pending.is_empty() {
            self.send_pending()?;
        }
        let Some(mut writer) = self.writer.take() else {
            return Err(Error::Cancelled);
        };
        match self.store.runtime.block_on(writer.close()) {
            Ok(_) => Ok(self.written),
            Err(err) => {
                // A refused completion leaves the multipart upload open (moto and S3 alike):
                // abort it so its parts are not kept, and billed, forever.
                let _ = self.store.runtime.block_on(writer.abort());
                Err(self.store.failed("publish", &self.name, &err))
            }
        }
    }

    /// Gives up: the parts sent so far are discarded and nothing becomes visible.
    pub fn abort(mut self) -> Result<()> {
        self.abort_now()
    }

    fn abort_now(&mut self) -> Result<()> {
        match self.writer.take() {
            Some(mut writer) => self
                .store
                .runtime
                .block_on(writer.abort())
                .map_err(|err| self.store.failed("abort the upload of", &self.name, &err)),
            None => Ok(()),
        }
    }
}

impl Drop for ObjectWriter<'_> {
    fn drop(&mut self) {
        // Unfinished (an error, a cancel, a panic): never leave a half-sent upload behind. A
        // failure here leaves an incomplete upload, which is invisible and aborted by the next run.
        let _ = self.abort_now();
    }
}

impl Write for ObjectWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.push(buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }

    /// Parts are sent when full; flushing early would make parts smaller than S3 allows.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An object read as a stream: see [`ObjectStore::reader`]. It owns what it needs, so it can
/// feed the archive reader's own thread.
pub struct ObjectReader {
    runtime: Arc<tokio::runtime::Runtime>,
    /// The store as shown in messages.
    store: String,
    name: String,
    reader: opendal::Reader,
    size: u64,
    /// Next byte to fetch.
    offset: u64,
    held: Vec<u8>,
    held_from: usize,
}

impl ObjectReader {
    /// The object's size when the read started.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.held_from == self.held.len() {
            if self.offset >= self.size {
                return Ok(0);
            }
            let end = (self.offset + READ_BYTES).min(self.size);
            let fetched = self
                .runtime
                .block_on(self.reader.read(self.offset..end))
                .map_err(|err| {
                    io::Error::other(Error::Remote {
                        store: self.store.clone(),
                        action: "read",
                        object: crate::limits::quoted(&self.name),
                        reason: reason_of(&err),
                    })
                })?;
            self.held = fetched.to_vec();
            self.held_from = 0;
            if self.held.is_empty() {
                // The object shrank under us: say so rather than loop.
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the object ended before its recorded size",
                ));
            }
            self.offset += self.held.len() as u64;
        }
        let count = buf.len().min(self.held.len() - self.held_from);
        buf[..count].copy_from_slice(&self.held[self.held_from..self.held_from + count]);
        self.held_from += count;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_validated() {
        let location = S3Location::parse("s3://my-bucket/team/results").expect("valid");
        assert_eq!(location.bucket, "my-bucket");
        assert_eq!(location.prefix, "team/results");
        assert_eq!(location.shown(), "s3://my-bucket/team/results");
        assert_eq!(
            S3Location::parse("s3://my-bucket/").expect("valid").prefix,
            ""
        );
        for bad in [
            "my-bucket",
            "s3://",
            "s3://ab",
            "s3://Upper",
            "s3://-bucket",
            "s3://bucket../x",
            "s3://bucket/../x",
            "s3://bucket/a//b",
            "s3://bucket/a b",
            "s3://bucket/ä",
        ] {
            let err = S3Location::parse(bad).expect_err(bad);
            assert_eq!(err.code(), "invalid_store_address", "{bad}");
        }
        let long = format!("s3://bucket/{}", "a".repeat(MAX_PREFIX_BYTES + 1));
        assert!(S3Location::parse(&long).is_err());
    }

    #[test]
    fn endpoints_carry_no_credentials() {
        let location = S3Location::parse("s3://bucket").expect("valid");
        assert!(location
            .clone()
            .with_endpoint("http://127.0.0.1:9000/")
            .is_ok());
        for bad in [
            "ftp://host",
            "http://user:secret@host",
            "http://",
            "http://host/?x=1",
            "http://ho st",
        ] {
            let err = location.clone().with_endpoint(bad).expect_err(bad);
            assert!(!err.to_string().contains("secret"), "{err}");
        }
        let err = location
            .clone()
            .with_endpoint("http://user:secret@host")
            .expect_err("refused");
        assert_eq!(err.code(), "invalid_store_address");
        assert!(location.clone().with_region("eu-west-1").is_ok());
        assert!(location.with_region("EU west").is_err());
    }
}
