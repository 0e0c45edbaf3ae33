//! Reading `.tar.gz` archives safely and fast: one thread reads and hashes the file, the gzip
//! members are inflated on every core (see `members`), and the caller parses tar members (and
//! hands their content to a background hasher). Gzip and tar failures become plain "damaged"
//! errors.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::error::{Error, IoContext, Result};
use crate::hashing::HashingReader;
use crate::members;
use crate::progress::{CancelToken, Operation, Progress, Tracker};

/// Decompressed bytes handed from the decompression thread to the tar parser at a time; with
/// `PIPE_DEPTH` chunks in flight this bounds read-side memory to a few MiB.
const PIPE_CHUNK: usize = 1024 * 1024;
/// Compressed bytes read from the file at a time.
const RAW_CHUNK: usize = 256 * 1024;
const PIPE_DEPTH: usize = 4;

/// One archive member's header, after PAX and GNU long-name records were applied.
#[derive(Clone, Debug)]
pub struct MemberHeader {
    pub raw_path: Vec<u8>,
    pub entry_type: tar::EntryType,
    pub size: u64,
    pub mode: u32,
    pub mtime: i64,
    pub link_target: Option<Vec<u8>>,
}

/// The archive file's own size and SHA-256, measured while it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveStats {
    pub sha256: String,
    pub size: u64,
}

/// Counter of compressed bytes read so far, shared with the decompression thread for progress.
#[derive(Clone, Default)]
struct ReadCounter(Arc<AtomicU64>);

impl ReadCounter {
    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A progress tracker for reading `path`: its total is the archive's size in bytes.
pub fn archive_tracker<'a>(
    path: &Path,
    progress: &'a dyn Progress,
    operation: Operation,
    item: &str,
) -> Tracker<'a> {
    let total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Tracker::new(progress, operation, item, total, 0)
}

/// Streams every member of `path` to `visit` (header and a reader of its content), then drains the
/// gzip stream to its end so the trailer CRC and anything after the tar end marker are checked.
/// `tracker`, when given, advances with the compressed bytes read and the files visited.
pub fn read_members(
    path: &Path,
    cancel: &CancelToken,
    mut tracker: Option<&mut Tracker>,
    mut visit: impl FnMut(&MemberHeader, &mut dyn Read) -> Result<()>,
) -> Result<ArchiveStats> {
    let file = File::open(path).at("open", path)?;
    check_gzip_magic(&file, path)?;
    let counter = ReadCounter::default();
    let mut reported = 0u64;
    let mut pipe = spawn_decompressor(file, counter.clone());
    let result = (|| {
        let mut archive = tar::Archive::new(&mut pipe);
        let entries = archive
            .entries()
            .map_err(|e| damaged(path, &e, "it does not contain a tar archive"))?;
        for (index, entry) in entries.enumerate() {
            cancel.check()?;
            let what = match index {
                0 => "it does not contain a tar archive",
                _ => "a tar header is damaged",
            };
            let mut entry = entry.map_err(|e| damaged(path, &e, what))?;
            let header = member_header(&mut entry, path)?;
            visit(&header, &mut entry)?;
            if let Some(tracker) = tracker.as_deref_mut() {
                let now = counter.get();
                tracker.add_bytes(now.saturating_sub(reported));
                reported = now;
                if header.entry_type.is_file() {
                    tracker.add_file();
                }
            }
            // Skip whatever the visitor did not read so the next header lines up.
            io::copy(&mut entry, &mut io::sink())
                .map_err(|e| damaged(path, &e, "a member's content is damaged"))?;
        }
        cancel.check()?;
        io::copy(&mut pipe, &mut io::sink())
            .map_err(|e| damaged(path, &e, "the data after the last member is damaged"))?;
        Ok(())
    })();
    let stats = pipe.finish(path);
    match (result, stats) {
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

fn member_header(entry: &mut tar::Entry<'_, impl Read>, path: &Path) -> Result<MemberHeader> {
    let bad = |e: io::Error| damaged(path, &e, "a tar header is damaged");
    let raw_path = entry.path_bytes().into_owned();
    let header = entry.header();
    let entry_type = header.entry_type();
    let size = entry.size();
    let mode = header.mode().map_err(bad)?;
    let mtime = pax_mtime(entry).unwrap_or(entry.header().mtime().map_err(bad)? as i64);
    let link_target = entry.link_name_bytes().map(|b| b.into_owned());
    Ok(MemberHeader {
        raw_path,
        entry_type,
        size,
        mode,
        mtime,
        link_target,
    })
}

/// Reads a PAX `mtime` record (used for times before 1970, which the ustar field cannot hold).
fn pax_mtime(entry: &mut tar::Entry<'_, impl Read>) -> Option<i64> {
    let extensions = entry.pax_extensions().ok()??;
    for ext in extensions.flatten() {
        if ext.key().ok()? == "mtime" {
            let value = ext.value().ok()?;
            let whole = value.split('.').next()?;
            return whole.parse().ok();
        }
    }
    None
}

fn damaged(path: &Path, err: &io::Error, what: &str) -> Error {
    if err.kind() == io::ErrorKind::UnexpectedEof {
        return Error::CorruptArchive {
            path: path.to_path_buf(),
            detail: "it ends too early (the file is truncated)".into(),
        };
    }
    Error::CorruptArchive {
        path: path.to_path_buf(),
        detail: format!("{what} ({})", one_line(&err.to_string())),
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
fn check_gzip_magic(file: &File, path: &Path) -> Result<()> {
    let mut magic = [0u8; 4];
    let mut reader = file;
    let n = read_up_to(&mut reader, &mut magic).at("read", path)?;
    use std::io::Seek;
    reader.seek(io::SeekFrom::Start(0)).at("read", path)?;
    if n >= 2 && magic[..2] == [0x1f, 0x8b] {
        return Ok(());
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

/// Reads up to `max` bytes into a new buffer, empty at the end of the input. The buffer is not
/// zeroed first (`read_to_end` fills spare capacity), which matters at a gigabyte a run.
pub fn read_piece(reader: &mut dyn Read, max: usize) -> io::Result<Vec<u8>> {
    let mut piece = Vec::with_capacity(max);
    reader.take(max as u64).read_to_end(&mut piece)?;
    Ok(piece)
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

type Chunk = io::Result<Vec<u8>>;

/// Reads, as a stream, the chunks another thread sends.
struct ChunkReader {
    chunks: Option<Receiver<Chunk>>,
    current: Vec<u8>,
    offset: usize,
}

impl ChunkReader {
    fn new(chunks: Receiver<Chunk>) -> Self {
        ChunkReader {
            chunks: Some(chunks),
            current: Vec::new(),
            offset: 0,
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.offset == self.current.len() {
            let Some(chunks) = &self.chunks else {
                return Ok(0);
            };
            match chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.offset = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    self.chunks = None;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.offset);
        buf[..n].copy_from_slice(&self.current[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

/// Hands a read error to the stage downstream (which reports it where the data was wanted) and
/// returns a copy for the stage's own outcome.
pub(crate) fn forward<T>(sender: &SyncSender<io::Result<T>>, error: io::Error) -> io::Error {
    let returned = io::Error::new(error.kind(), error.to_string());
    let _ = sender.send(Err(error));
    returned
}

/// Moves `source` into the channel chunk by chunk. `Ok(true)` at the end of the source,
/// `Ok(false)` when the receiving side stopped listening (an error or cancel there); a read
/// error is forwarded to the receiver and returned.
pub(crate) fn pump(
    source: &mut dyn Read,
    sender: &SyncSender<Chunk>,
    chunk_size: usize,
) -> io::Result<bool> {
    loop {
        let chunk = match read_piece(source, chunk_size) {
            Ok(chunk) => chunk,
            Err(e) => return Err(forward(sender, e)),
        };
        if chunk.is_empty() {
            return Ok(true);
        }
        if sender.send(Ok(chunk)).is_err() {
            return Ok(false);
        }
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

fn spawn_decompressor(file: File, counter: ReadCounter) -> DecompressPipe {
    let (raw_sender, raw_receiver) = sync_channel::<io::Result<members::Unit>>(PIPE_DEPTH);
    let reader = std::thread::spawn(move || {
        let mut source = HashingReader::new(CountingReader {
            inner: file,
            counter,
        });
        if members::split(&mut source, &raw_sender, RAW_CHUNK)? {
            let (_, sha256, size) = source.finish();
            Ok(Some((sha256, size)))
        } else {
            Ok(None)
        }
    });
    let (plain_sender, plain_receiver) = sync_channel::<Chunk>(PIPE_DEPTH);
    let decompressor = std::thread::spawn(move || {
        members::inflate(
            raw_receiver,
            &plain_sender,
            crate::compress::default_threads(),
            PIPE_CHUNK,
        )
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
        self.output.chunks = None;
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
    let detail = match err.kind() {
        io::ErrorKind::UnexpectedEof => "it ends too early (the file is truncated)".to_string(),
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
