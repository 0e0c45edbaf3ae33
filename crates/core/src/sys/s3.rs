//! Objects in a bucket and prefix of an S3-compatible store, behind a synchronous API.
//!
//! This sits beside the local files in `sys`: it moves bytes and knows nothing about archives,
//! manifests or catalogs (`store/` gives the objects their names and meaning). The core stays
//! synchronous, so the store owns a small tokio runtime (one worker thread, which sends upload
//! parts while the caller works) and blocks on each request; the client is `opendal`'s S3
//! service.
//!
//! Credentials come only from the standard AWS chain (the environment, then the `~/.aws` profile
//! files); never from our settings, never from the EC2 metadata service (it would be a request off
//! this machine that nobody asked for). Errors are built from the kind of failure alone, never
//! from the client's or server's text, so no key, signature or token can reach a message.
//!
//! Every request has a timeout, and temporary failures (5xx, throttling, timeouts, refused or
//! cut connections) are retried a bounded number of times with backoff: a dead network ends in
//! a plain error within a bounded time (`docs/FORMAT.md`, "S3 stores"), never in a hang.
//!
//! A process killed mid-upload leaves an incomplete multipart upload behind (invisible, but its
//! parts are stored): the first upload a process starts into a store first aborts the stale ones
//! of ours (see [`ObjectStore::abort_stale_uploads`]).

use std::cell::Cell;
use std::future::{Future, IntoFuture};
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use opendal::layers::{RetryEvent, RetryLayer, TimeoutLayer};
use opendal::{ErrorKind, Operator};

use crate::error::{Error, RemoteReason, Result};

mod stale_uploads;

/// Each part of a multipart upload. S3 needs at least 5 MiB per part but the last; with
/// [`PARTS_IN_FLIGHT`] this bounds the memory an upload holds, whatever the object's size.
pub const PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts handed over and not yet sent (one on the wire, one queued): enough to keep the link
/// busy while the next part is filled.
pub const PARTS_IN_FLIGHT: usize = 2;
/// How often a small read starts again when the object changed under it.
const SMALL_READ_TRIES: u32 = 5;
/// Ranges of an object read on their way at once, besides the one being handed over.
const READS_AHEAD: usize = 2;
/// A read fetches at most this much per request, so a large object streams in bounded memory.
const READ_BYTES: u64 = 4 * 1024 * 1024;
/// Tries after the first for a temporary failure, and the backoff between them (doubling from
/// the first, with jitter, at most the longest): 0.2 s, 0.4 s, 0.8 s.
const RETRIES: usize = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const LONGEST_BACKOFF: Duration = Duration::from_secs(4);
/// How long one try may take: a request that is not moving data (stat, list, delete,
/// completing an upload), and each read or write call of one moving data. With the retries, a
/// server that accepts connections and never answers is given up on after about
/// `(1 + RETRIES) * TIMEOUT` plus the backoff: 4 minutes.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Overrides [`TIMEOUT`], in whole seconds (1 to 600): for tests, which cannot wait minutes for
/// a blackholed server, and for links known to be slow.
const TIMEOUT_VAR: &str = "RESULTS_BACKUP_S3_TIMEOUT_SECONDS";
const MAX_TIMEOUT_SECONDS: u64 = 600;
/// An incomplete multipart upload of ours initiated longer ago than this, and with no part
/// stored for as long, is taken for the leftover of a killed process and aborted. A live upload
/// stores an 8 MiB part every few seconds to minutes (at 100 kB/s, one every 84 s), so a day
/// without a part is far past any live one, whoever started it, and far past any difference
/// between the server's clock and ours.
const STALE_UPLOAD_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// Overrides [`STALE_UPLOAD_AGE`], in whole seconds (0 to 30 days): for tests, which cannot
/// wait a day for an upload to look stale.
const STALE_UPLOAD_VAR: &str = "RESULTS_BACKUP_S3_STALE_UPLOAD_SECONDS";
const MAX_STALE_UPLOAD_SECONDS: u64 = 30 * 24 * 60 * 60;

/// The knobs above as this process uses them: read from the environment here, and only here.
#[derive(Clone, Copy, Debug)]
struct Tuning {
    timeout: Duration,
    stale_upload_age: Duration,
}

impl Tuning {
    /// A value that is missing, not a number or out of range is ignored: the default is safe.
    fn from_env() -> Tuning {
        let seconds = |name: &str, allowed: std::ops::RangeInclusive<u64>| {
            std::env::var(name)
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                .filter(|value| allowed.contains(value))
                .map(Duration::from_secs)
        };
        Tuning {
            timeout: seconds(TIMEOUT_VAR, 1..=MAX_TIMEOUT_SECONDS).unwrap_or(TIMEOUT),
            stale_upload_age: seconds(STALE_UPLOAD_VAR, 0..=MAX_STALE_UPLOAD_SECONDS)
                .unwrap_or(STALE_UPLOAD_AGE),
        }
    }
}

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
/// One version of an object, as a HEAD describes it.
#[derive(Debug, PartialEq, Eq)]
struct Version {
    size: u64,
    etag: Option<String>,
}

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
    tuning: Tuning,
    /// Signed requests opendal has no call for (listing and aborting multipart uploads).
    uploads: stale_uploads::UploadsApi,
    /// Set once this process has looked for stale uploads in the store.
    swept: AtomicBool,
    /// Set once the bucket is known to exist (see [`ObjectStore::size_of`]).
    bucket_seen: AtomicBool,
}

thread_local! {
    /// Retries the retry layer has made on this thread. A call made with `block_on` runs on the
    /// calling thread (the upload's task, on the runtime's one worker), so its retries happen on
    /// that thread: comparing the count before and after tells whether the call's failure came
    /// after retries.
    static RETRIES_SEEN: Cell<u64> = const { Cell::new(0) };
}

fn note_retry(_: RetryEvent<'_>) {
    RETRIES_SEEN.with(|seen| seen.set(seen.get().wrapping_add(1)));
}

/// A failed call: opendal's error, and whether it came after the retry layer retried (which it
/// does only for temporary failures, marking every error it returns persistent alike).
struct Failure {
    error: opendal::Error,
    retried: bool,
}

/// Runs one call on `runtime` to its end.
fn run<T>(
    runtime: &tokio::runtime::Runtime,
    call: impl Future<Output = opendal::Result<T>>,
) -> Result<T, Failure> {
    runtime.block_on(counted(call))
}

/// Awaits one call, noting whether the retry layer retried it. The count is read on the thread
/// the call runs on: the caller's for `block_on`, the runtime's one worker for a spawned task.
async fn counted<T>(call: impl Future<Output = opendal::Result<T>>) -> Result<T, Failure> {
    let before = RETRIES_SEEN.with(Cell::get);
    call.await.map_err(|error| Failure {
        error,
        retried: RETRIES_SEEN.with(Cell::get) != before,
    })
}

/// The credentials every signed request uses, ours and opendal's alike: the ones handed over
/// in code first, then the environment and the `~/.aws` files; never the EC2 metadata service.
fn credential_chain(
    credentials: Option<&S3Credentials>,
) -> reqsign_core::ProvideCredentialChain<reqsign_aws_v4::Credential> {
    let chain = reqsign_core::ProvideCredentialChain::new().push(
        reqsign_aws_v4::DefaultCredentialProvider::builder()
            .no_imds()
            .build(),
    );
    match credentials {
        Some(credentials) => {
            let mut given = reqsign_aws_v4::StaticCredentialProvider::new(
                &credentials.access_key_id,
                &credentials.secret_access_key,
            );
            if let Some(token) = &credentials.session_token {
                given = given.with_session_token(token);
            }
            chain.push_front(given)
        }
        None => chain,
    }
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
        // One worker thread: the parts of an upload are spawned tasks, and on a current-thread
        // runtime they would move only while the caller blocks on the client, never while it
        // compresses the next part. The worker sends them meanwhile.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|source| Error::io("start the network runtime for", &shown, source))?;
        let tuning = Tuning::from_env();
        let region = location.region.as_deref().unwrap_or(DEFAULT_REGION);
        let mut builder = opendal::services::S3::default()
            .bucket(&location.bucket)
            .root(&format!("/{}", location.prefix))
            .region(region)
            .disable_ec2_metadata()
            .credential_provider_chain(credential_chain(credentials));
        if let Some(endpoint) = &location.endpoint {
            builder = builder.endpoint(endpoint);
        }
        let operator = Operator::new(builder)
            .map_err(|_| misconfigured())?
            .layer(
                TimeoutLayer::new()
                    .with_timeout(tuning.timeout)
                    .with_io_timeout(tuning.timeout),
            )
            .layer(
                RetryLayer::new()
                    .with_max_times(RETRIES)
                    .with_min_delay(FIRST_BACKOFF)
                    .with_max_delay(LONGEST_BACKOFF)
                    .with_jitter()
                    .with_notify(note_retry),
            )
            .finish();
        let uploads = stale_uploads::UploadsApi::new(
            location,
            region,
            credential_chain(credentials),
            tuning.timeout,
        )
        .map_err(|_| misconfigured())?;
        Ok(ObjectStore {
            runtime: Arc::new(runtime),
            operator,
            shown,
            tuning,
            uploads,
            swept: AtomicBool::new(false),
            bucket_seen: AtomicBool::new(false),
        })
    }

    /// `s3://bucket/prefix`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    fn failed(&self, action: &'static str, object: &str, failure: &Failure) -> Error {
        Error::Remote {
            store: self.shown.clone(),
            action,
            // Listing the prefix itself names no object.
            object: if object.is_empty() {
                "the objects".into()
            } else {
                crate::limits::quoted(object)
            },
            reason: reason_of(failure),
        }
    }

    /// The object's size, or `None` when it does not exist.
    pub fn size_of(&self, name: &str) -> Result<Option<u64>> {
        Ok(self.version_of(name)?.map(|version| version.size))
    }

    /// What a HEAD says of the object: its size and ETag, `None` when it is not there.
    fn version_of(&self, name: &str) -> Result<Option<Version>> {
        match run(&self.runtime, self.operator.stat(name)) {
            Ok(meta) => {
                self.bucket_seen.store(true, Ordering::Relaxed);
                Ok(Some(Version {
                    size: meta.content_length(),
                    etag: meta.etag().map(str::to_string),
                }))
            }
            Err(failure) if failure.error.kind() == ErrorKind::NotFound => {
                self.check_bucket(name)?;
                Ok(None)
            }
            Err(failure) => Err(self.failed("look up", name, &failure)),
        }
    }

    /// A HEAD answers 404 without a body for a missing object and a missing bucket alike: the
    /// first time an object is missing, one listing (whose answer names `NoSuchBucket`) tells
    /// "not there yet" from "the bucket was deleted". Only that answer changes the outcome: a
    /// key allowed to read but not to list, or a listing that fails otherwise, leaves the HEAD's
    /// "not there" standing.
    fn check_bucket(&self, name: &str) -> Result<()> {
        if self.bucket_seen.load(Ordering::Relaxed) {
            return Ok(());
        }
        match run(
            &self.runtime,
            self.operator.list_with("").limit(1).into_future(),
        ) {
            Err(failure) if reason_of(&failure) == RemoteReason::BucketMissing => {
                Err(self.failed("look up", name, &failure))
            }
            _ => {
                self.bucket_seen.store(true, Ordering::Relaxed);
                Ok(())
            }
        }
    }

    /// The objects directly in `folder` (`""` for the prefix itself, else ending in `/`).
    pub fn list(&self, folder: &str) -> Result<Vec<ListedObject>> {
        self.list_below(folder, false)
    }

    /// Every object in `folder` and the folders below it, named from `folder` on (`a/b`).
    pub fn list_all(&self, folder: &str) -> Result<Vec<ListedObject>> {
        self.list_below(folder, true)
    }

    fn list_below(&self, folder: &str, recursive: bool) -> Result<Vec<ListedObject>> {
        let entries = run(
            &self.runtime,
            self.operator
                .list_with(folder)
                .recursive(recursive)
                .into_future(),
        )
        .map_err(|failure| self.failed("list", folder, &failure))?;
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
        self.read_small_if_present(name, max_bytes)?
            .ok_or_else(|| self.failed("read", name, &not_found()))
    }

    /// [`ObjectStore::read_small`], with `None` for an object that is not there: one HEAD
    /// (which also caps the size before anything is allocated), then one GET of that version
    /// only (`If-Match` its ETag).
    pub fn read_small_if_present(&self, name: &str, max_bytes: u64) -> Result<Option<Vec<u8>>> {
        let mut version = self.version_of(name)?;
        let mut tries = 1;
        loop {
            let Some(known) = &version else {
                return Ok(None);
            };
            if known.size > max_bytes {
                return Err(Error::TooLarge {
                    path: format!("{}/{name}", self.shown).into(),
                    detail: format!(
                        "it is {} and at most {} is read",
                        crate::error::human_bytes(known.size),
                        crate::error::human_bytes(max_bytes)
                    ),
                });
            }
            // Only the version the HEAD described: a replaced object is refused, never read
            // half old, half new or cut at the old size.
            let mut read = self.operator.read_with(name).range(0..known.size);
            if let Some(etag) = &known.etag {
                read = read.if_match(etag);
            }
            let failure = match run(&self.runtime, read.into_future()) {
                Ok(buffer) => return Ok(Some(buffer.to_vec())),
                Err(failure) => failure,
            };
            // Another writer replaced the object between the two requests (the catalog cache
            // is rewritten by every backup): the ETag no longer matches (or, where the store
            // gives none, the size changed), and the read starts again from the new version.
            // Any other failure is the store's.
            let replaced = failure.error.kind() == ErrorKind::ConditionNotMatch;
            let now = self.version_of(name)?;
            if !(replaced || now != version) || tries == SMALL_READ_TRIES {
                return Err(self.failed("read", name, &failure));
            }
            version = now;
            tries += 1;
            // Give the other writer's burst a moment to pass.
            std::thread::sleep(Duration::from_millis(10 * u64::from(tries)));
        }
    }

    /// At most `len` bytes of an object from `start` (fewer at its end): one ranged GET.
    pub fn read_range(&self, name: &str, start: u64, len: u64) -> Result<Vec<u8>> {
        let buffer = run(
            &self.runtime,
            self.operator
                .read_with(name)
                .range(start..start.saturating_add(len))
                .into_future(),
        )
        .map_err(|failure| self.failed("read", name, &failure))?;
        Ok(buffer.to_vec())
    }

    /// Writes a small object in one request.
    pub fn put_small(&self, name: &str, bytes: Vec<u8>, publish: Publish) -> Result<()> {
        run(
            &self.runtime,
            self.operator
                .write_with(name, bytes)
                .if_not_exists(publish == Publish::IfAbsent)
                .into_future(),
        )
        .map(|_| ())
        .map_err(|failure| self.failed("publish", name, &failure))
    }

    /// Starts a streamed, conditional upload: a multipart upload whose completion carries
    /// `If-None-Match: *`. Nothing is visible under `name` until [`ObjectWriter::finish`]
    /// succeeds; dropping the writer unfinished aborts the upload. The first upload of a
    /// process into this store first aborts the stale uploads a killed run left behind; that
    /// clean-up is best effort (a failure leaves them for the next run, and the upload's own
    /// requests then report the problem).
    pub fn writer(&self, name: &str) -> Result<ObjectWriter<'_>> {
        if !self.swept.swap(true, Ordering::Relaxed) {
            let _ = self.abort_stale_uploads(self.tuning.stale_upload_age);
        }
        let mut writer = run(
            &self.runtime,
            self.operator
                .writer_with(name)
                .chunk(PART_BYTES)
                .if_not_exists(true)
                .into_future(),
        )
        .map_err(|failure| self.failed("start uploading", name, &failure))?;
        // Parts go out one at a time on the runtime's worker thread while the caller fills the
        // next. Not opendal's own `concurrent` writer: it keeps every sent part's bytes until the
        // upload completes (0.57 buffers up to 8192 finished parts), so memory grew with the
        // object (445 MB held for a 433 MB archive).
        let (parts, mut queue) = tokio::sync::mpsc::channel::<Vec<u8>>(PARTS_IN_FLIGHT - 1);
        let stopping = Arc::new(AtomicBool::new(false));
        let stop_asked = Arc::clone(&stopping);
        let uploader = self.runtime.spawn(async move {
            while let Some(part) = queue.recv().await {
                // An abort need not send what is still queued.
                if stop_asked.load(Ordering::Relaxed) {
                    break;
                }
                if let Err(failure) = counted(writer.write(part)).await {
                    return (writer, Err(failure));
                }
            }
            (writer, Ok(()))
        });
        Ok(ObjectWriter {
            store: self,
            name: name.to_string(),
            parts: Some(parts),
            uploader: Some(uploader),
            stopping,
            pending: Vec::with_capacity(PART_BYTES),
            written: 0,
        })
    }

    /// Streams an object: at most `1 + READS_AHEAD` ranges of `READ_BYTES` are held at a time,
    /// the one being handed over and the next ones, read ahead.
    pub fn reader(&self, name: &str) -> Result<ObjectReader> {
        let size = self
            .size_of(name)?
            .ok_or_else(|| self.failed("read", name, &not_found()))?;
        let reader = run(&self.runtime, self.operator.reader(name))
            .map_err(|failure| self.failed("download", name, &failure))?;
        Ok(ObjectReader {
            runtime: Arc::clone(&self.runtime),
            store: self.shown.clone(),
            name: name.to_string(),
            reader,
            size,
            offset: 0,
            held: Vec::new(),
            held_from: 0,
            ahead: std::collections::VecDeque::new(),
            requested: 0,
        })
    }

    /// Deletes an object; one that is already gone is not an error.
    pub fn delete(&self, name: &str) -> Result<()> {
        run(&self.runtime, self.operator.delete(name))
            .map_err(|failure| self.failed("delete", name, &failure))
    }

    /// Aborts the stale incomplete multipart uploads of ours in this store, and returns how
    /// many. "Ours" is the only kind of upload this app starts: an archive directly under the
    /// prefix (one name ending in `.tar.gz`, of the characters archive names use). "Stale" is
    /// initiated more than `older_than` ago and no part stored for as long (none at all
    /// counts): a live upload, ours or a colleague's, stores a part every few minutes however
    /// long it runs, so it is never taken for stale. Anything else is left alone. At most 20
    /// listing pages (20,000 uploads under the prefix) are looked at per run; the rest wait for
    /// the next.
    pub fn abort_stale_uploads(&self, older_than: Duration) -> Result<usize> {
        let failed = |reason| Error::Remote {
            store: self.shown.clone(),
            action: "clean up",
            object: "the interrupted uploads".into(),
            reason,
        };
        let now = chrono::Utc::now();
        let older = |time: chrono::DateTime<chrono::Utc>| {
            now.signed_duration_since(time)
                .to_std()
                .is_ok_and(|age| age >= older_than)
        };
        let mut aborted = 0;
        for upload in self.runtime.block_on(self.uploads.list()).map_err(failed)? {
            if !older(upload.initiated) {
                continue;
            }
            let newest_part = self
                .runtime
                .block_on(self.uploads.newest_part(&upload))
                .map_err(failed)?;
            if newest_part.is_some_and(|time| !older(time)) {
                continue;
            }
            self.runtime
                .block_on(self.uploads.abort(&upload))
                .map_err(failed)?;
            aborted += 1;
        }
        Ok(aborted)
    }
}

fn not_found() -> Failure {
    Failure {
        error: opendal::Error::new(ErrorKind::NotFound, "not found"),
        retried: false,
    }
}

/// The kind of failure only: the client's text may quote request headers or the server's body,
/// so it is never looked at (nor shown).
fn reason_of(failure: &Failure) -> RemoteReason {
    let err = &failure.error;
    match err.kind() {
        ErrorKind::NotFound => RemoteReason::NotFound,
        ErrorKind::PermissionDenied => RemoteReason::AccessDenied,
        ErrorKind::ConditionNotMatch | ErrorKind::AlreadyExists => RemoteReason::AlreadyExists,
        // A configuration opendal cannot use fails when the store is opened; at request time
        // its S3 service reports only S3's `NoSuchBucket` so.
        ErrorKind::ConfigInvalid => RemoteReason::BucketMissing,
        ErrorKind::RateLimited => RemoteReason::Throttled,
        _ => transport_failure(err).unwrap_or(
            // The retry layer retries temporary failures only (5xx, timeouts): one that came
            // back after retries is a store that answered only with errors, or not at all.
            if failure.retried || err.is_temporary() {
                RemoteReason::Unreachable
            } else {
                RemoteReason::Unexpected
            },
        ),
    }
}

/// Once a transfer is under way (the upload started, the download was answered), a store that
/// stops answering is a connection lost part-way: the analyst hears that the transfer broke,
/// not that the store was never there.
fn mid_transfer(reason: RemoteReason) -> RemoteReason {
    match reason {
        RemoteReason::Unreachable => RemoteReason::ConnectionLost,
        other => other,
    }
}

/// A failure of the connection itself, told by the types in the error's source chain (the HTTP
/// client's error and the operating system's), never by their text.
fn transport_failure(err: &opendal::Error) -> Option<RemoteReason> {
    let mut cause = std::error::Error::source(err);
    while let Some(current) = cause {
        if let Some(http) = current.downcast_ref::<reqwest::Error>() {
            if http.is_connect() || http.is_timeout() {
                return Some(RemoteReason::Unreachable);
            }
            if http.is_body() || http.is_decode() {
                return Some(RemoteReason::ConnectionLost);
            }
        }
        if let Some(os) = current.downcast_ref::<io::Error>() {
            match os.kind() {
                io::ErrorKind::ConnectionRefused
                | io::ErrorKind::HostUnreachable
                | io::ErrorKind::NetworkUnreachable
                | io::ErrorKind::AddrNotAvailable
                | io::ErrorKind::NotConnected
                | io::ErrorKind::TimedOut => return Some(RemoteReason::Unreachable),
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof => return Some(RemoteReason::ConnectionLost),
                _ => {}
            }
        }
        cause = current.source();
    }
    None
}

/// A streamed upload in progress: see [`ObjectStore::writer`]. It also implements
/// [`std::io::Write`] so a compressor can write into it directly. At most
/// [`PARTS_IN_FLIGHT`] parts are held (one being sent, one queued) besides the one being filled.
pub struct ObjectWriter<'a> {
    store: &'a ObjectStore,
    name: String,
    /// Full parts, to the task that sends them; `None` once no more will come.
    parts: Option<tokio::sync::mpsc::Sender<Vec<u8>>>,
    /// The task sending the parts; it hands the client's writer back when the parts end or one
    /// fails. `None` once finished or aborted.
    uploader: Option<UploadTask>,
    /// Asks the task to drop what is queued (an abort).
    stopping: Arc<AtomicBool>,
    /// Bytes not yet handed over, at most one part.
    pending: Vec<u8>,
    written: u64,
}

type UploadTask = tokio::task::JoinHandle<(opendal::Writer, Result<(), Failure>)>;

impl ObjectWriter<'_> {
    /// Bytes accepted so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The upload cannot go on and its client is lost (the sending task panicked), or it was
    /// used after it ended.
    fn broken(&self) -> Error {
        Error::Remote {
            store: self.store.shown.clone(),
            action: "upload",
            object: crate::limits::quoted(&self.name),
            reason: RemoteReason::Unexpected,
        }
    }

    /// Hands the full part to the sending task, waiting while one part is queued already.
    fn send_pending(&mut self) -> Result<()> {
        let part = std::mem::replace(&mut self.pending, Vec::with_capacity(PART_BYTES));
        let sent = match &self.parts {
            Some(parts) => self.store.runtime.block_on(parts.send(part)).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The task ended early: a part failed. Its error says why; the upload is aborted.
        match self.stop() {
            Some((mut writer, outcome)) => {
                let _ = self.store.runtime.block_on(writer.abort());
                match outcome {
                    Err(failure) => Err(self.upload_failed(&failure)),
                    Ok(()) => Err(self.broken()),
                }
            }
            None => Err(self.broken()),
        }
    }

    /// A part that could not be sent: once the upload is under way, a store that stops
    /// answering is a connection lost part-way.
    fn upload_failed(&self, failure: &Failure) -> Error {
        let mut error = self.store.failed("upload", &self.name, failure);
        if let Error::Remote { reason, .. } = &mut error {
            *reason = mid_transfer(*reason);
        }
        error
    }

    /// No more parts: waits until the task has sent what it holds (or, when stopping, the part
    /// on the wire) and takes the client's writer back with the task's outcome.
    fn stop(&mut self) -> Option<(opendal::Writer, Result<(), Failure>)> {
        self.parts = None;
        let uploader = self.uploader.take()?;
        self.store.runtime.block_on(uploader).ok()
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
        let Some((mut writer, sent)) = self.stop() else {
            return Err(self.broken());
        };
        let outcome = match sent {
            Ok(()) => run(&self.store.runtime, writer.close()).map(|_| ()),
            Err(failure) => {
                let _ = self.store.runtime.block_on(writer.abort());
                return Err(self.upload_failed(&failure));
            }
        };
        match outcome {
            Ok(()) => Ok(self.written),
            Err(failure) => {
                // A refused completion leaves the multipart upload open (moto and S3 alike):
                // abort it so its parts are not kept, and billed, forever.
                let _ = self.store.runtime.block_on(writer.abort());
                Err(self.store.failed("publish", &self.name, &failure))
            }
        }
    }

    /// Gives up: the parts sent so far are discarded and nothing becomes visible.
    pub fn abort(mut self) -> Result<()> {
        self.abort_now()
    }

    fn abort_now(&mut self) -> Result<()> {
        self.stopping.store(true, Ordering::Relaxed);
        match self.stop() {
            Some((mut writer, _)) => run(&self.store.runtime, writer.abort()).map_err(|failure| {
                self.store
                    .failed("abort the upload of", &self.name, &failure)
            }),
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
    /// Next byte to hand over after `held`.
    offset: u64,
    held: Vec<u8>,
    held_from: usize,
    /// The ranges after `held`, in order, already on their way while the caller works through
    /// `held`: one stream from a store is slower than the store and the link allow.
    ahead: std::collections::VecDeque<Fetch>,
    /// Where the next range to ask for starts.
    requested: u64,
}

/// One range read running on the store's runtime.
type Fetch = tokio::task::JoinHandle<Result<opendal::Buffer, Failure>>;

impl ObjectReader {
    /// The object's size when the read started.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Asks for the next ranges, up to [`READS_AHEAD`] on their way.
    fn read_ahead(&mut self) {
        while self.ahead.len() < READS_AHEAD && self.requested < self.size {
            let range = self.requested..(self.requested + READ_BYTES).min(self.size);
            self.requested = range.end;
            let fetch = self.fetch(range);
            self.ahead.push_back(fetch);
        }
    }

    /// Starts reading `range` on the store's runtime.
    fn fetch(&self, range: std::ops::Range<u64>) -> Fetch {
        let reader = self.reader.clone();
        self.runtime
            .spawn(async move { counted(reader.read(range)).await })
    }

    /// The typed error travels inside the io::Error to wherever the stream is read
    /// (`Error::carried_by`), so a cut connection is reported as the store's failure.
    fn broke_off(&self, reason: RemoteReason) -> io::Error {
        io::Error::other(Error::Remote {
            store: self.store.clone(),
            action: "download",
            object: crate::limits::quoted(&self.name),
            reason,
        })
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.held_from == self.held.len() {
            if self.offset >= self.size {
                return Ok(0);
            }
            self.read_ahead();
            let Some(fetch) = self.ahead.pop_front() else {
                return Ok(0);
            };
            let fetched = match self.runtime.block_on(fetch) {
                Ok(Ok(fetched)) => fetched,
                // The store answered when the reader was made (its size): a failure now is the
                // download breaking off.
                Ok(Err(failure)) => return Err(self.broke_off(mid_transfer(reason_of(&failure)))),
                Err(_) => return Err(self.broke_off(RemoteReason::Unexpected)),
            };
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
            // The next ranges download while the caller decompresses and writes this one.
            self.read_ahead();
        }
        let count = buf.len().min(self.held.len() - self.held_from);
        buf[..count].copy_from_slice(&self.held[self.held_from..self.held_from + count]);
        self.held_from += count;
        Ok(count)
    }
}

impl Drop for ObjectReader {
    fn drop(&mut self) {
        // A read given up on (an error, a cancel, the stream's end reached early) stops its
        // range read rather than leaving it running.
        for fetch in self.ahead.drain(..) {
            fetch.abort();
        }
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
