//! Random access into our archives: where each entry's tar header starts, and a reader that
//! goes straight there, inflating only the gzip members it needs.
//!
//! The archive is a chain of independently compressed, length-framed gzip members (see
//! `gzip_blocks`), so a member can be decoded on its own once its offset in the file is known.
//! The index records, for every member, where it starts in the inflated stream and in the file,
//! and for every manifest entry where its first tar header (a PAX record, when it has one)
//! starts in the inflated stream. That is the least the format needs: the member holding an
//! entry is found by a binary search, and the entry by skipping into that member.
//!
//! The index travels in the sidecar manifest, which sits on a disk others may write to: it is
//! untrusted. Its shape is checked where it is parsed ([`ArchiveIndex::validate`]), and every
//! read through it is checked again against the archive itself: the offset must fall inside the
//! file, land on a member of ours that decodes and passes its CRC-32, and the header found there
//! must name exactly the entry asked for. Anything else is an [`IndexRefusal`]; the caller then
//! reads the archive the ordinary way.

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use super::gzip_blocks::read_member_at;
use super::gzip_write::MemberStart;
use super::layout::{classify, MemberPath};
use super::tar_read::{Content, MemberHeader, TarError, TarReader};
use crate::limits::{quoted, quoted_bytes};

/// Tar headers start on 512-byte boundaries of the inflated stream.
const TAR_BLOCK: u64 = 512;
/// Members in one index: a 64 TiB archive at 1 MiB a member. The manifest's own size cap binds
/// first; this bounds the work of validating one.
const MAX_INDEX_MEMBERS: usize = 64 << 20;
/// The most one member of ours inflates to (our members hold 1 MiB).
const MAX_MEMBER_PLAIN: u64 = 8 << 20;
/// A member's header and trailer alone take this many bytes.
const MIN_MEMBER_LEN: u64 = 28;

/// Where every member and every entry of an archive starts (see the module notes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveIndex {
    /// `[inflated offset, file offset]` of each gzip member, in file order.
    pub members: Vec<[u64; 2]>,
    /// For each manifest entry, in the manifest's order: the inflated offset of its first tar
    /// header.
    pub entries: Vec<u64>,
}

/// Where to start reading one entry: a member's offset in the file, and how many inflated
/// bytes of that member come before the entry's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexPosition {
    pub member_offset: u64,
    pub skip: u64,
}

/// An archive that can be read from any offset: a local file (a seek), or an object in a store
/// (ranged reads), so one entry of a large archive is not a whole read or download.
pub trait RandomAccess {
    /// The archive's bytes from `offset` on, read as far as the caller wants.
    fn read_from(&self, offset: u64) -> io::Result<Box<dyn Read + '_>>;
}

impl RandomAccess for File {
    fn read_from(&self, offset: u64) -> io::Result<Box<dyn Read + '_>> {
        let mut reader = self;
        reader.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(reader))
    }
}

/// Why an entry could not be reached through the index, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRefusal(pub String);

impl ArchiveIndex {
    /// The index of an archive just written: `members` from the compressor, `entry_starts` the
    /// inflated offset of each entry's header, in manifest order.
    pub fn from_written(members: &[MemberStart], entry_starts: Vec<u64>) -> ArchiveIndex {
        ArchiveIndex {
            members: members.iter().map(|m| [m.plain, m.compressed]).collect(),
            entries: entry_starts,
        }
    }

    /// Checks the shape of an index read back for a manifest of `entry_count` entries: one
    /// offset per entry, on tar block boundaries and increasing; members that start at 0 and
    /// increase, each no larger than a member of ours may be.
    pub fn validate(&self, entry_count: usize) -> Result<(), String> {
        if self.entries.len() != entry_count {
            return Err(format!(
                "its index lists {} entries but the manifest {entry_count}",
                self.entries.len()
            ));
        }
        if self.members.is_empty() || self.members.len() > MAX_INDEX_MEMBERS {
            return Err("its index lists no compressed blocks, or implausibly many".into());
        }
        if self.members[0] != [0, 0] {
            return Err("its index does not start at the archive's first block".into());
        }
        for pair in self.members.windows(2) {
            let ([plain_a, file_a], [plain_b, file_b]) = (pair[0], pair[1]);
            let plain_ok = plain_b > plain_a && plain_b - plain_a <= MAX_MEMBER_PLAIN;
            let file_ok = file_b >= file_a.saturating_add(MIN_MEMBER_LEN);
            if !plain_ok || !file_ok {
                return Err("its index lists compressed blocks out of order or out of size".into());
            }
        }
        let mut previous: Option<u64> = None;
        for &start in &self.entries {
            let increasing = previous.is_none_or(|p| start > p);
            if start % TAR_BLOCK != 0 || !increasing {
                return Err("its index lists entry offsets out of order or off a tar block".into());
            }
            previous = Some(start);
        }
        Ok(())
    }

    /// Where entry number `entry` starts, or `None` when the index does not cover it.
    pub fn position(&self, entry: usize) -> Option<IndexPosition> {
        let start = *self.entries.get(entry)?;
        // The last member starting at or before the entry's header.
        let after = self.members.partition_point(|m| m[0] <= start);
        let [plain, member_offset] = *self.members.get(after.checked_sub(1)?)?;
        Some(IndexPosition {
            member_offset,
            skip: start - plain,
        })
    }
}

/// The inflated stream from one member on: members are decoded one at a time, as the reader
/// asks for more, each checked (framing, CRC-32, size) before a byte of it is handed out.
pub struct MemberChain<'f> {
    file: &'f dyn RandomAccess,
    file_size: u64,
    next_offset: u64,
    current: io::Cursor<Vec<u8>>,
}

impl<'f> MemberChain<'f> {
    /// Starts at the member at `position.member_offset`, `position.skip` bytes into it.
    pub fn open(
        file: &'f dyn RandomAccess,
        file_size: u64,
        position: IndexPosition,
    ) -> Result<MemberChain<'f>, IndexRefusal> {
        if position.member_offset >= file_size {
            return Err(IndexRefusal(format!(
                "it points at byte {}, past the end of the {file_size}-byte archive",
                position.member_offset
            )));
        }
        let mut chain = MemberChain {
            file,
            file_size,
            next_offset: position.member_offset,
            current: io::Cursor::new(Vec::new()),
        };
        let at = chain.next_offset;
        if !chain
            .advance()
            .map_err(|e| IndexRefusal(format!("at byte {at}: {e}")))?
        {
            return Err(IndexRefusal(format!(
                "it points at byte {at}, the archive's end"
            )));
        }
        if position.skip >= chain.current.get_ref().len() as u64 {
            return Err(IndexRefusal(format!(
                "it points {} bytes into the block at byte {at}, which holds fewer",
                position.skip
            )));
        }
        chain.current.set_position(position.skip);
        Ok(chain)
    }

    /// Decodes the next member; `false` at the end of the file.
    fn advance(&mut self) -> io::Result<bool> {
        if self.next_offset >= self.file_size {
            return Ok(false);
        }
        let mut reader = self.file.read_from(self.next_offset)?;
        let (length, plain) = read_member_at(&mut *reader, self.next_offset)?;
        self.next_offset += length;
        self.current = io::Cursor::new(plain);
        Ok(true)
    }
}

impl Read for MemberChain<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.current.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            if !self.advance()? {
                return Ok(0);
            }
        }
    }
}

/// One entry reached through the index: its header (checked to name the entry asked for) and
/// its content, which the caller reads (at most `header.size` bytes).
pub struct IndexedMember<'f> {
    pub header: MemberHeader,
    tar: TarReader<MemberChain<'f>>,
}

impl<'f> IndexedMember<'f> {
    /// Goes to `position` in `file` and reads the tar header there, which must be the header of
    /// the entry the manifest names `wanted` (`strategy/a/b`).
    pub fn open(
        file: &'f dyn RandomAccess,
        file_size: u64,
        position: IndexPosition,
        wanted: &str,
    ) -> Result<IndexedMember<'f>, IndexRefusal> {
        let chain = MemberChain::open(file, file_size, position)?;
        let mut tar = TarReader::new(chain);
        let header = match tar.next_header() {
            Ok(Some(header)) => header,
            Ok(None) => {
                return Err(IndexRefusal(format!(
                    "it points at the end of the archive instead of \"{}\"",
                    quoted(wanted)
                )))
            }
            Err(TarError::Truncated) => {
                return Err(IndexRefusal("it points at a truncated tar header".into()))
            }
            Err(TarError::Malformed(detail)) => {
                return Err(IndexRefusal(format!(
                    "it points at no tar header ({})",
                    quoted(&detail)
                )))
            }
            Err(TarError::Io(e)) => return Err(IndexRefusal(quoted(&e.to_string()))),
        };
        let names_wanted = matches!(
            classify(&header.raw_path),
            Ok(member @ MemberPath::Strategy { .. }) if member.canonical() == wanted
        );
        if !names_wanted {
            return Err(IndexRefusal(format!(
                "it points at \"{}\", not at \"{}\"",
                quoted_bytes(&header.raw_path),
                quoted(wanted)
            )));
        }
        Ok(IndexedMember { header, tar })
    }

    /// The entry's content; it ends where the header says the content ends.
    pub fn content(&mut self) -> Content<'_, MemberChain<'f>> {
        self.tar.content()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::gzip_write::ParallelGzEncoder;
    use std::io::Write;

    /// A tar stream of `files` (name, content) written the way backups are, plus its index.
    fn archive(files: &[(&str, Vec<u8>)]) -> (tempfile::NamedTempFile, ArchiveIndex) {
        let mut builder = tar::Builder::new(ParallelGzEncoder::new(Vec::new(), 1, 2));
        let mut starts = Vec::new();
        for (name, content) in files {
            starts.push(builder.get_ref().plain_position());
            let mut header = tar::Header::new_ustar();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            builder
                .append_data(&mut header, name, &content[..])
                .expect("append");
        }
        let encoder = builder.into_inner().expect("tar");
        let (bytes, members) = encoder.finish_with_members().expect("gzip");
        let mut file = tempfile::NamedTempFile::new().expect("temp");
        file.write_all(&bytes).expect("write");
        (file, ArchiveIndex::from_written(&members, starts))
    }

    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    fn sample() -> Vec<(&'static str, Vec<u8>)> {
        vec![
            ("s/a.csv", noise(1_500_000, 1)),
            ("s/b.csv", b"small".to_vec()),
            ("s/c.bin", noise(2_200_000, 3)),
            ("s/d.txt", b"last".to_vec()),
        ]
    }

    fn read(
        file: &tempfile::NamedTempFile,
        index: &ArchiveIndex,
        entry: usize,
        wanted: &str,
    ) -> Result<Vec<u8>, IndexRefusal> {
        let handle = file.as_file();
        let size = handle.metadata().expect("size").len();
        let position = index.position(entry).ok_or(IndexRefusal("none".into()))?;
        let mut member = IndexedMember::open(handle, size, position, wanted)?;
        let mut bytes = Vec::new();
        member
            .content()
            .read_to_end(&mut bytes)
            .map_err(|e| IndexRefusal(e.to_string()))?;
        Ok(bytes)
    }

    #[test]
    fn every_entry_is_reached_through_the_index() {
        let files = sample();
        let (file, index) = archive(&files);
        index.validate(files.len()).expect("valid");
        assert!(index.members.len() >= 4, "{:?}", index.members);
        for (i, (name, content)) in files.iter().enumerate() {
            assert_eq!(&read(&file, &index, i, name).expect(name), content);
        }
    }

    #[test]
    fn the_index_survives_json() {
        let (_file, index) = archive(&sample());
        let text = serde_json::to_string(&index).expect("json");
        let back: ArchiveIndex = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, index);
    }

    #[test]
    fn an_offset_past_the_end_is_refused() {
        let (file, mut index) = archive(&sample());
        let size = file.as_file().metadata().unwrap().len();
        let last = index.members.len() - 1;
        index.members[last][1] = size + 10;
        let error = read(&file, &index, 3, "s/d.txt").unwrap_err();
        assert!(error.0.contains("past the end"), "{error:?}");
    }

    #[test]
    fn an_offset_into_the_middle_of_a_member_is_refused() {
        let (file, mut index) = archive(&sample());
        index.members[1][1] += 7;
        index.validate(4).expect("the shape still looks right");
        let error = read(&file, &index, 2, "s/c.bin").unwrap_err();
        assert!(error.0.contains("not a compressed block"), "{error:?}");
    }

    #[test]
    fn an_offset_at_another_entry_is_refused() {
        let (file, mut index) = archive(&sample());
        // d.txt's offset now leads to c.bin's header: a valid member, the wrong entry.
        index.entries[3] = index.entries[2];
        let error = read(&file, &index, 3, "s/d.txt").unwrap_err();
        assert!(error.0.contains("not at \"s/d.txt\""), "{error:?}");
    }

    #[test]
    fn an_offset_past_its_member_or_off_a_header_is_refused() {
        let (file, mut index) = archive(&sample());
        index.entries[1] += 512;
        let error = read(&file, &index, 1, "s/b.csv").unwrap_err();
        assert!(error.0.contains("no tar header"), "{error:?}");
    }

    #[test]
    fn malformed_indexes_are_refused_where_parsed() {
        let (_file, index) = archive(&sample());
        let mut wrong_count = index.clone();
        wrong_count.entries.pop();
        assert!(wrong_count.validate(4).is_err());
        let mut unaligned = index.clone();
        unaligned.entries[1] += 1;
        assert!(unaligned.validate(4).is_err());
        let mut backwards = index.clone();
        backwards.entries.swap(1, 2);
        assert!(backwards.validate(4).is_err());
        let mut not_at_start = index.clone();
        not_at_start.members[0] = [0, 5];
        assert!(not_at_start.validate(4).is_err());
        let mut huge_member = index;
        huge_member.members[1][0] = 1 << 40;
        assert!(huge_member.validate(4).is_err());
    }
}
