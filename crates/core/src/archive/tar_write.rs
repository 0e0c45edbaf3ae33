//! Writing an archive: members streamed into a tar with PAX headers where names or times need
//! them, compressed in framed gzip blocks on every core, hashed on the way out; the embedded
//! manifest goes last.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::gzip_write::ParallelGzEncoder;
use super::{ArchiveIndex, ManifestEntry, EMBEDDED_MANIFEST_PATH};
use crate::error::{Error, Result};
use crate::progress::{CancelToken, Tracker};
use crate::sys::hashing::{BackgroundHashingWriter, HashingWriter, Sha256};
use crate::sys::walk::SourceEntry;
use crate::sys::{worker_threads, EntryKind};

/// Read size for source files; small enough to report progress and notice cancel quickly.
const READ_CHUNK: usize = 256 * 1024;
/// The ustar header's name and link fields hold this many bytes; longer or non-ASCII names go
/// into a PAX record.
const USTAR_NAME_MAX: usize = 100;

/// Where the compressed archive goes, hashed and counted on the way: a file (hashed and written
/// on a thread of its own) or an upload (hashed inline, see [`HashingWriter`]).
pub trait ArchiveOutput: Write {
    /// Writes what is left; returns the SHA-256 and size of everything written.
    fn finish(self) -> io::Result<(String, u64)>;
}

impl ArchiveOutput for BackgroundHashingWriter {
    fn finish(self) -> io::Result<(String, u64)> {
        BackgroundHashingWriter::finish(self)
    }
}

impl<W: Write> ArchiveOutput for HashingWriter<W> {
    fn finish(self) -> io::Result<(String, u64)> {
        let (mut inner, sha256, size) = HashingWriter::finish(self);
        inner.flush()?;
        Ok((sha256, size))
    }
}

/// An archive being written to an output (a file, or an upload).
pub struct ArchiveWriter<O: ArchiveOutput> {
    builder: tar::Builder<ParallelGzEncoder<O>>,
    path: PathBuf,
    /// Where each appended entry's first header starts in the inflated stream, for the index.
    entry_starts: Vec<u64>,
}

/// A finished archive: its SHA-256, size, and where every entry can be found again.
pub struct WrittenArchive {
    pub sha256: String,
    pub size: u64,
    pub index: ArchiveIndex,
}

impl ArchiveWriter<BackgroundHashingWriter> {
    /// Starts an archive in `file` (shown as `path` in messages) at compression `level`.
    pub fn to_file(file: &File, path: &Path, level: u32) -> Result<Self> {
        let clone = file
            .try_clone()
            .map_err(|e| Error::io("write the backup", path, e))?;
        Ok(Self::new(BackgroundHashingWriter::new(clone), path, level))
    }
}

impl<O: ArchiveOutput> ArchiveWriter<O> {
    /// Starts an archive in `output` (shown as `path` in messages) at compression `level`.
    pub fn new(output: O, path: &Path, level: u32) -> Self {
        ArchiveWriter {
            builder: tar::Builder::new(ParallelGzEncoder::new(output, level, worker_threads())),
            path: path.to_path_buf(),
            entry_starts: Vec::new(),
        }
    }

    /// Appends one walked item and returns what the manifest records for it.
    pub fn append(
        &mut self,
        entry: &SourceEntry,
        tracker: &mut Tracker,
        cancel: &CancelToken,
    ) -> Result<ManifestEntry> {
        // Every member so far ended on a tar block, so this is where the entry's first header
        // (its PAX record, when it needs one) will start.
        self.entry_starts
            .push(self.builder.get_ref().plain_position());
        append_entry(&mut self.builder, entry, tracker, cancel, &self.path)
    }

    /// Appends the embedded manifest as the last member and ends the stream; returns the
    /// archive's SHA-256, size and index.
    pub fn finish(mut self, manifest_json: &[u8], mtime: i64) -> Result<WrittenArchive> {
        let path = self.path.clone();
        let write_error = |e: io::Error| Error::io("write the backup", &path, e);
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_size(manifest_json.len() as u64);
        header.set_mtime(mtime.max(0) as u64);
        write_member(
            &mut self.builder,
            &mut header,
            EMBEDDED_MANIFEST_PATH,
            None,
            0,
            manifest_json,
        )
        .map_err(write_error)?;
        let compressor = self.builder.into_inner().map_err(write_error)?;
        let (output, members) = compressor.finish_with_members().map_err(write_error)?;
        let (sha256, size) = output.finish().map_err(write_error)?;
        Ok(WrittenArchive {
            sha256,
            size,
            index: ArchiveIndex::from_written(&members, self.entry_starts),
        })
    }
}

/// Appends one walked item and returns what the manifest records for it.
fn append_entry<W: Write>(
    builder: &mut tar::Builder<W>,
    entry: &SourceEntry,
    tracker: &mut Tracker,
    cancel: &CancelToken,
    archive_path: &Path,
) -> Result<ManifestEntry> {
    let write_error = |e: io::Error| Error::io("write the backup", archive_path, e);
    let mut header = tar::Header::new_ustar();
    header.set_mode(entry.mode);
    header.set_mtime(entry.mtime.max(0) as u64);
    let mut recorded = ManifestEntry {
        path: entry.archive_path.clone(),
        kind: entry.kind,
        size: 0,
        mode: entry.mode,
        mtime: entry.mtime,
        sha256: None,
        target: None,
    };
    match entry.kind {
        EntryKind::Dir => {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_size(0);
            let name = format!("{}/", entry.archive_path);
            write_member(builder, &mut header, &name, None, entry.mtime, io::empty())
                .map_err(write_error)?;
        }
        EntryKind::Symlink => {
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            let target = entry.link_target.clone().unwrap_or_default();
            write_member(
                builder,
                &mut header,
                &entry.archive_path,
                Some(&target),
                entry.mtime,
                io::empty(),
            )
            .map_err(write_error)?;
            recorded.target = Some(target);
        }
        EntryKind::File => {
            let file = open_source(&entry.absolute)?;
            // The size is taken from the open file: it is what will be read and recorded.
            let size = file
                .metadata()
                .map_err(|e| Error::io("read", &entry.absolute, e))?
                .len();
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(size);
            // The header goes through the builder (it adds PAX records when needed); the content
            // is streamed by hand with large reads instead of `io::copy`'s small buffer.
            write_member(
                builder,
                &mut header,
                &entry.archive_path,
                None,
                entry.mtime,
                io::empty(),
            )
            .map_err(write_error)?;
            let sha256 = copy_source(
                file,
                size,
                &entry.absolute,
                builder.get_mut(),
                tracker,
                cancel,
            )
            .map_err(|failure| match failure {
                CopyFailure::Source(error) => error,
                CopyFailure::Output(e) => write_error(e),
            })?;
            recorded.size = size;
            recorded.sha256 = Some(sha256);
        }
    }
    Ok(recorded)
}

fn open_source(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Error::ChangedDuringBackup {
            path: path.to_path_buf(),
        },
        _ => Error::io("read", path, e),
    })
}

/// Writes a header (with a PAX record first when the name, link or time does not fit ustar) and
/// the member's content.
fn write_member<W: Write>(
    builder: &mut tar::Builder<W>,
    header: &mut tar::Header,
    name: &str,
    link_target: Option<&str>,
    mtime: i64,
    content: impl Read,
) -> io::Result<()> {
    let mut pax: Vec<(&str, Vec<u8>)> = Vec::new();
    if !fits_ustar(name) {
        pax.push(("path", name.as_bytes().to_vec()));
    }
    if let Some(target) = link_target {
        if !fits_ustar(target) {
            pax.push(("linkpath", target.as_bytes().to_vec()));
        }
        set_field(&mut header.as_old_mut().linkname, target);
    }
    if mtime < 0 {
        pax.push(("mtime", mtime.to_string().into_bytes()));
    }
    if !pax.is_empty() {
        builder.append_pax_extensions(pax.iter().map(|(k, v)| (*k, v.as_slice())))?;
    }
    set_field(&mut header.as_old_mut().name, name);
    header.set_cksum();
    builder.append(header, content)
}

fn fits_ustar(text: &str) -> bool {
    text.is_ascii() && text.len() <= USTAR_NAME_MAX
}

/// Fills a fixed-size header field; a name too long or not ASCII gets an ASCII stand-in (readers
/// use the PAX record instead).
fn set_field(field: &mut [u8], text: &str) {
    field.fill(0);
    for (slot, byte) in field.iter_mut().zip(text.bytes()) {
        *slot = if byte.is_ascii() && byte != 0 {
            byte
        } else {
            b'_'
        };
    }
}

enum CopyFailure {
    /// The source file could not be read, shrank or vanished, or the job was cancelled.
    Source(Error),
    /// The archive could not be written.
    Output(io::Error),
}

/// Copies exactly `size` bytes of a source file into the tar stream, hashing them, then pads to
/// the 512-byte tar block. A file that shrank mid-read is an error: the member would otherwise
/// be shorter than its header says.
fn copy_source(
    mut file: File,
    size: u64,
    path: &Path,
    out: &mut impl Write,
    tracker: &mut Tracker,
    cancel: &CancelToken,
) -> std::result::Result<String, CopyFailure> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; READ_CHUNK.min(size.max(1) as usize)];
    let mut remaining = size;
    while remaining > 0 {
        if cancel.is_cancelled() {
            return Err(CopyFailure::Source(Error::Cancelled));
        }
        let want = buf.len().min(remaining as usize);
        let n = match file.read(&mut buf[..want]) {
            Ok(0) => {
                return Err(CopyFailure::Source(Error::ChangedDuringBackup {
                    path: path.to_path_buf(),
                }))
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyFailure::Source(Error::io("read", path, e))),
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(CopyFailure::Output)?;
        remaining -= n as u64;
        tracker.add_bytes(n as u64);
    }
    let padding = (512 - (size % 512) as usize) % 512;
    out.write_all(&[0u8; 512][..padding])
        .map_err(CopyFailure::Output)?;
    Ok(hasher.finish_hex())
}
