//! Reading `.tar.gz` archives safely and fast: one thread reads and hashes the file, the gzip
//! members are inflated on every core (see `members`), and the caller parses tar members (and
//! hands their content to a background hasher). Gzip and tar failures become plain "damaged"
//! errors.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::thread::JoinHandle;

use super::gzip_blocks;
use super::tar_read::{MemberHeader, MemberKind, TarError, TarReader};
use crate::error::{Error, IoContext, Result};
use crate::limits::{quoted_bytes, MAX_EXPANSION_RATIO};
use crate::progress::{CancelToken, Operation, Progress, Tracker};
use crate::sys::hashing::{hash_reader, HashingReader};
use crate::sys::pipe::{Chunk, ChunkReader};
use crate::sys::{self, worker_threads, FileIdentity};

/// Decompressed bytes handed from the decompression thread to the tar parser at a time; with
/// `PIPE_DEPTH` chunks in flight this bounds read-side memory to a few MiB.
const PIPE_CHUNK: usize = 1024 * 1024;
/// Compressed bytes read from the file at a time.
const RAW_CHUNK: usize = 256 * 1024;
const PIPE_DEPTH: usize = 4;

/// The archive file's own size and SHA-256, measured while it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveStats {
    pub sha256: String,
    pub size: u64,
}

/// An archive opened for reading: a regular file reached the way its caller allows, or an object
/// streamed from a store (never written to disk first).
pub struct ArchiveFile {
    /// Where the archive is, for messages (`s3://bucket/prefix/name` for an object).
    pub path: PathBuf,
    source: ArchiveSource,
    pub size: u64,
}

enum ArchiveSource {
    File(File),
    /// Read once, front to back: no random access through an index.
    Stream(Box<dyn Read + Send>),
}

impl Read for ArchiveSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ArchiveSource::File(file) => file.read(buf),
            ArchiveSource::Stream(stream) => stream.read(buf),
        }
    }
}

impl ArchiveFile {
    /// Opens `path`, which must be a regular file (never a pipe, device or folder). A name read
    /// from the catalog is opened with `follow_links` false; `expected` is the identity a file
    /// handed over earlier must still have.
    pub fn open(
        path: &Path,
        follow_links: bool,
        expected: Option<FileIdentity>,
    ) -> Result<ArchiveFile> {
        let file = sys::open_regular(path, follow_links)?;
        if let Some(expected) = expected {
            let now = FileIdentity::of_file(&file).at("read", path)?;
            if now != expected {
                return Err(Error::ChangedSinceChosen {
                    path: path.to_path_buf(),
                });
            }
        }
        let size = file.metadata().at("read", path)?.len();
        Ok(ArchiveFile {
            path: path.to_path_buf(),
            source: ArchiveSource::File(file),
            size,
        })
    }

    /// An archive read as a stream of `size` bytes (an object in a store); `shown` names it.
    pub fn streamed(shown: PathBuf, size: u64, stream: Box<dyn Read + Send>) -> ArchiveFile {
        ArchiveFile {
            path: shown,
            source: ArchiveSource::Stream(stream),
            size,
        }
    }

    /// The open file, for reading at chosen offsets (see `archive::index`); `None` for a stream.
    pub fn file(&self) -> Option<&File> {
        match &self.source {
            ArchiveSource::File(file) => Some(file),
            ArchiveSource::Stream(_) => None,
        }
    }

    /// The archive's bytes as they are stored, front to back.
    pub fn into_reader(self) -> Box<dyn Read + Send> {
        Box::new(self.source)
    }

    /// The archive file's own SHA-256 and size, read to its end (stopping when `cancel` is
    /// set); `on_bytes` hears of each piece read.
    pub fn hash(self, cancel: &CancelToken, on_bytes: impl FnMut(u64)) -> Result<(String, u64)> {
        hash_reader(self.source, &self.path, cancel, on_bytes)
    }
}

/// Stops the inflated stream once it passes what the archive may inflate to.
struct ExpansionLimit<R> {
    inner: R,
    left: u64,
}

/// The marker inside the `io::Error` an [`ExpansionLimit`] returns.
#[derive(Debug)]
struct ExpansionExceeded(u64);

impl std::fmt::Display for ExpansionExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "inflates past {} bytes", self.0)
    }
}

impl std::error::Error for ExpansionExceeded {}

impl<R: Read> Read for ExpansionLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(n)
            }
            None => Err(io::Error::other(ExpansionExceeded(self.left))),
        }
    }
}

/// How a failure to read a member's content reads to a person: a decompression bomb is refused
/// as such, a short or undecodable stream is damage, and a store that failed while streaming
/// the archive is the store's failure (the backup may well be whole).
pub fn content_error(path: &Path, err: io::Error) -> Error {
    if let Some(carried) = Error::carried_by(&err) {
        return carried;
    }
    if let Some(ExpansionExceeded(_)) = err.get_ref().and_then(|e| e.downcast_ref()) {
        return Error::UnsafeArchive {
            path: path.to_path_buf(),
            detail: format!(
                "it inflates to far more than its own size (over {MAX_EXPANSION_RATIO} times) and more than any manifest lists: it looks like a decompression bomb"
            ),
        };
    }
    if err.kind() == io::ErrorKind::UnexpectedEof {
        return Error::CorruptArchive {
            path: path.to_path_buf(),
            detail: "it ends too early (the file is truncated)".into(),
        };
    }
    Error::CorruptArchive {
        path: path.to_path_buf(),
        detail: format!(
            "a member's content is damaged ({})",
            one_line(&err.to_string())
        ),
    }
}

fn tar_error(path: &Path, error: TarError, first: bool) -> Error {
    match error {
        TarError::Truncated => Error::CorruptArchive {
            path: path.to_path_buf(),
            detail: "it ends too early (the file is truncated)".into(),
        },
        TarError::Malformed(detail) if first => Error::CorruptArchive {
            path: path.to_path_buf(),
            detail: format!("it does not contain a tar archive ({detail})"),
        },
        TarError::Malformed(detail) => Error::CorruptArchive {
            path: path.to_path_buf(),
            detail,
        },
        TarError::Io(err) => content_error(path, err),
    }
}

/// Counter of compressed bytes read so far, shared with the decompression thread for progress.
#[derive(Clone, Default)]
struct ReadCounter(Arc<AtomicU64>);

impl ReadCounter {
    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A progress tracker for reading an archive of `size` bytes.
pub fn archive_tracker<'a>(
    size: u64,
    progress: &'a dyn Progress,
    operation: Operation,
    item: &str,
) -> Tracker<'a> {
    Tracker::new(progress, operation, item, size, 0)
}

/// Skipped or drained content is read this much at a time, with a cancellation check between.
const SKIP_CHUNK: u64 = 1024 * 1024;

/// Streams every member of `archive` to `visit` (header and a reader of its content), then
/// drains the gzip stream to its end so the trailer CRC and anything after the tar end marker are
/// checked. The inflated stream may not pass `expansion_limit` bytes (see
/// [`crate::limits::allowed_expansion`]). Cancellation is checked between members and every
/// megabyte of skipped data; `visit` checks it while it reads. `tracker`, when given, advances
/// with the compressed bytes read and the files visited.
pub fn read_members(
    archive: ArchiveFile,
    expansion_limit: u64,
    cancel: &CancelToken,
    mut tracker: Option<&mut Tracker>,
    mut visit: impl FnMut(&MemberHeader, &mut dyn Read) -> Result<()>,
) -> Result<ArchiveStats> {
    let ArchiveFile { path, source, .. } = archive;
    let path = path.as_path();
    let source = check_gzip_magic(source, path)?;
    let counter = ReadCounter::default();
    let mut reported = 0u64;
    let mut pipe = spawn_decompressor(source, counter.clone());
    let result = (|| {
        let mut tar = TarReader::new(ExpansionLimit {
            inner: &mut pipe,
            left: expansion_limit,
        });
        let mut first = true;
        loop {
            cancel.check()?;
            let header = match tar.next_header() {
                Ok(Some(header)) => header,
                Ok(None) => break,
                Err(e) => return Err(tar_error(path, e, first)),
            };
            first = false;
            // A member claiming more than the archive may still inflate to can never be whole:
            // refused before its content is read (or written anywhere).
            if header.size > tar.inner_mut().left {
                return Err(Error::UnsafeArchive {
                    path: path.to_path_buf(),
                    detail: format!(
                        "the member \"{}\" claims {} bytes, far more than an archive of this size holds: it looks like a decompression bomb",
                        quoted_bytes(&header.raw_path),
                        header.size
                    ),
                });
            }
            visit(&header, &mut tar.content())?;
            if let Some(tracker) = tracker.as_deref_mut() {
                let now = counter.get();
                tracker.add_bytes(now.saturating_sub(reported));
                reported = now;
                if header.kind == MemberKind::File {
                    tracker.add_file();
                }
            }
            // Skip whatever the visitor did not read so the next header lines up.
            while tar.remaining() > 0 {
                cancel.check()?;
                tar.skip_content(SKIP_CHUNK)
                    .map_err(|e| tar_error(path, e, false))?;
            }
        }
        let mut scratch = vec![0u8; SKIP_CHUNK as usize];
        loop {
            cancel.check()?;
            match tar.inner_mut().read(&mut scratch) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(content_error(path, e)),
            }
        }
        Ok(())
    })();
    let stats = pipe.finish(path);
    match (result, stats) {
        (Err(Error::Cancelled), _) => Err(Error::Cancelled),
        // A decompression failure explains a tar failure better than the tar error does.
        (Err(_), Err(decompress_error @ Error::CorruptArchive { .. })) => Err(decompress_error),
        (Err(e), _) => Err(e),
        (Ok(()), Ok(Some(stats))) => {
            if let Some(tracker) = tracker {
                tracker.add_bytes(stats.size.saturating_sub(reported));
            }
            Ok(stats)
        }
        (Ok(()), Ok(None)) => Err(Error::CorruptArchive {
            path: path.to_path_buf(),
            detail: "it could not be read to its end".into(),
        }),
        (Ok(()), Err(e)) => Err(e),
    }
}

/// The tar reader's messages can quote raw header bytes (newlines, control characters, whole
/// lines of a file that is not a tar): keep the first line, printable, and short.
fn one_line(text: &str) -> String {
    const MAX_CHARS: usize = 80;
    let first = text.lines().next().unwrap_or_default();
    let mut clean: String = first
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_CHARS)
        .collect();
    if first.chars().count() > MAX_CHARS {
        clean.push_str("...");
    }
    clean.trim_end().to_string()
}

/// Recognises the common wrong files up front so the message can say what the file really is.
/// The bytes looked at are put back in front of the rest: a stream cannot seek back to them.
fn check_gzip_magic(mut source: ArchiveSource, path: &Path) -> Result<impl Read + Send> {
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut source, &mut magic).at("read", path)?;
    if n >= 2 && magic[..2] == [0x1f, 0x8b] {
        return Ok(io::Cursor::new(magic[..n].to_vec()).chain(source));
    }
    let detail = if n == 0 {
        "it is empty"
    } else if magic.starts_with(b"PK") {
        "it is a zip file"
    } else {
        "it is not compressed with gzip"
    };
    Err(Error::CorruptArchive {
        path: path.to_path_buf(),
        detail: format!("{detail}, not a .tar.gz backup"),
    })
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Counts bytes as they are read from the archive file, for progress.
struct CountingReader<R> {
    inner: R,
    counter: ReadCounter,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The compressed file's SHA-256 and size, or `None` when reading stopped before its end.
type ReaderOutcome = io::Result<Option<(String, u64)>>;

/// The archive read as a pipeline: a reader thread hashes the compressed file and cuts it into
/// gzip members, an inflating stage decompresses them on every core in file order, and the
/// caller parses tar from the output. Keeping the hashes off the inflating threads keeps every
/// core busy.
struct DecompressPipe {
    output: ChunkReader,
    decompressor: Option<JoinHandle<io::Result<bool>>>,
    reader: Option<JoinHandle<ReaderOutcome>>,
}

fn spawn_decompressor(file: impl Read + Send + 'static, counter: ReadCounter) -> DecompressPipe {
    let (raw_sender, raw_receiver) = sync_channel::<io::Result<gzip_blocks::Unit>>(PIPE_DEPTH);
    let reader = std::thread::spawn(move || {
        let mut source = HashingReader::new(CountingReader {
            inner: file,
            counter,
        });
        if gzip_blocks::split(&mut source, &raw_sender, RAW_CHUNK)? {
            let (_, sha256, size) = source.finish();
            Ok(Some((sha256, size)))
        } else {
            Ok(None)
        }
    });
    let (plain_sender, plain_receiver) = sync_channel::<Chunk>(PIPE_DEPTH);
    let decompressor = std::thread::spawn(move || {
        gzip_blocks::inflate(raw_receiver, &plain_sender, worker_threads(), PIPE_CHUNK)
    });
    DecompressPipe {
        output: ChunkReader::new(plain_receiver),
        decompressor: Some(decompressor),
        reader: Some(reader),
    }
}

impl Read for DecompressPipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.output.read(buf)
    }
}

impl DecompressPipe {
    /// Stops the pipeline and returns the archive's size and SHA-256, or `None` when the caller
    /// stopped reading before the end.
    fn finish(mut self, path: &Path) -> Result<Option<ArchiveStats>> {
        // Dropping the receiving ends unblocks stages still waiting to hand over a chunk; the
        // decompressor goes first, which in turn releases the reader.
        self.output.close();
        let stopped = || io::Error::other("a reading thread stopped unexpectedly");
        let decompressed = match self.decompressor.take().map(|t| t.join()) {
            Some(Ok(outcome)) => outcome,
            _ => Err(stopped()),
        };
        let read = match self.reader.take().map(|t| t.join()) {
            Some(Ok(outcome)) => outcome,
            _ => Err(stopped()),
        };
        match (decompressed, read) {
            (Err(e), _) | (Ok(true), Err(e)) => Err(decompress_error(path, e)),
            (Ok(true), Ok(Some((sha256, size)))) => Ok(Some(ArchiveStats { sha256, size })),
            (Ok(_), _) => Ok(None),
        }
    }
}

fn decompress_error(path: &Path, err: io::Error) -> Error {
    if let Some(carried) = Error::carried_by(&err) {
        return carried;
    }
    let detail = match err.kind() {
        io::ErrorKind::UnexpectedEof => "it ends too early (the file is truncated)".to_string(),
        // Our own blocks already say where the damage is, in words.
        io::ErrorKind::InvalidData if err.to_string().starts_with("the archive is damaged") => {
            err.to_string()
        }
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => {
            format!("the compressed data is damaged ({err})")
        }
        _ => format!("it could not be read ({err})"),
    };
    Error::CorruptArchive {
        path: PathBuf::from(path),
        detail,
    }
}
