//! Reading a tar stream that may have been crafted to hurt us. It understands what GNU tar,
//! Python's tarfile, 7-Zip and we write (ustar, POSIX PAX local and global headers, GNU long
//! names and links, base-256 numbers), checks every header's checksum, and caps every length it
//! reads before allocating: a PAX header or a GNU long name that claims a gigabyte is refused
//! after its header block, not read into memory. (The `tar` crate reads such records whole,
//! which is why restore and check do not use its reader.) Content is never buffered here: the
//! caller streams it through [`TarReader::content`].

use std::io::{self, Read};

use crate::limits::{quoted_bytes, MAX_EXTENSION_HEADERS, MAX_PATH_BYTES, MAX_PAX_HEADER_BYTES};

const BLOCK: usize = 512;

/// What kind of thing a member is. Anything not listed is `Other` with its type byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberKind {
    File,
    Dir,
    Symlink,
    HardLink,
    CharDevice,
    BlockDevice,
    Fifo,
    /// A GNU sparse file, a volume label, a dump directory, a vendor extension...
    Other(u8),
}

/// One member's header, after its PAX and GNU extension records were applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberHeader {
    pub raw_path: Vec<u8>,
    pub kind: MemberKind,
    /// Bytes of content that follow the header.
    pub size: u64,
    pub mode: u32,
    /// Seconds since 1970 (negative before).
    pub mtime: i64,
    pub link_target: Option<Vec<u8>>,
}

/// Why the stream cannot be read as a tar archive.
#[derive(Debug)]
pub enum TarError {
    /// The stream ends inside a header or a member's content.
    Truncated,
    /// A header is malformed, fails its checksum, or claims more than the limits allow.
    Malformed(String),
    /// The underlying stream failed (damaged compression, say).
    Io(io::Error),
}

impl From<io::Error> for TarError {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            TarError::Truncated
        } else {
            TarError::Io(error)
        }
    }
}

fn malformed(detail: impl Into<String>) -> TarError {
    TarError::Malformed(detail.into())
}

/// Extension records collected before the member they apply to.
#[derive(Default)]
struct Pending {
    path: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
    mtime: Option<i64>,
    sparse: bool,
    headers: usize,
}

/// A tar stream read member by member.
pub struct TarReader<R> {
    inner: R,
    /// Content bytes of the current member not read yet, then its padding to the next block.
    remaining: u64,
    padding: u64,
    finished: bool,
}

impl<R: Read> TarReader<R> {
    pub fn new(inner: R) -> Self {
        TarReader {
            inner,
            remaining: 0,
            padding: 0,
            finished: false,
        }
    }

    /// Content bytes of the current member not read yet.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// A reader of the current member's content; it ends where the content ends.
    pub fn content(&mut self) -> Content<'_, R> {
        Content { tar: self }
    }

    /// The underlying stream (to drain what follows the end-of-archive marker).
    pub fn inner_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Skips at most `max` bytes of the current member's unread content (and, once it is all
    /// gone, its padding); returns how many content bytes were skipped. Callers loop with a
    /// cancellation check between calls.
    pub fn skip_content(&mut self, max: u64) -> Result<u64, TarError> {
        let mut scratch = [0u8; 64 * 1024];
        let mut skipped = 0;
        while self.remaining > 0 && skipped < max {
            let want = (scratch.len() as u64)
                .min(self.remaining)
                .min(max - skipped) as usize;
            let n = self.inner.read(&mut scratch[..want])?;
            if n == 0 {
                return Err(TarError::Truncated);
            }
            self.remaining -= n as u64;
            skipped += n as u64;
        }
        if self.remaining == 0 && self.padding > 0 {
            let padding = self.padding as usize;
            self.inner.read_exact(&mut scratch[..padding])?;
            self.padding = 0;
        }
        Ok(skipped)
    }

    /// The next member's header, or `None` at the end-of-archive marker (or at the stream's end
    /// on a block boundary, which some writers leave). The current member's content must have
    /// been read or skipped first.
    pub fn next_header(&mut self) -> Result<Option<MemberHeader>, TarError> {
        if self.finished {
            return Ok(None);
        }
        if self.remaining > 0 {
            return Err(malformed("a member was not read to its end"));
        }
        self.skip_content(0)?;
        let mut pending = Pending::default();
        loop {
            let mut block = [0u8; BLOCK];
            if !read_block(&mut self.inner, &mut block)? {
                self.finished = true;
                return Ok(None);
            }
            if block.iter().all(|&b| b == 0) {
                self.finished = true;
                return Ok(None);
            }
            verify_checksum(&block)?;
            let type_byte = block[156];
            let size = match pending.size.take() {
                // A PAX size applies to the member it precedes, not to extension headers.
                Some(size) if !is_extension(type_byte) => size,
                other => {
                    pending.size = other;
                    numeric(&block[124..136], "size")?
                        .try_into()
                        .map_err(|_| malformed("a header has a negative size"))?
                }
            };
            if is_extension(type_byte) {
                pending.headers += 1;
                if pending.headers > MAX_EXTENSION_HEADERS {
                    return Err(malformed(format!(
                        "more than {MAX_EXTENSION_HEADERS} extended headers follow one another"
                    )));
                }
                let record = self.read_extension(type_byte, size)?;
                match type_byte {
                    b'x' => apply_pax(&record, &mut pending)?,
                    b'g' => check_pax_records(&record)?,
                    b'L' => pending.path = Some(until_nul(&record).to_vec()),
                    _ => pending.link = Some(until_nul(&record).to_vec()),
                }
                continue;
            }
            return self.member(&block, size, pending).map(Some);
        }
    }

    /// Reads a PAX or GNU extension record after checking the length its header claims.
    fn read_extension(&mut self, type_byte: u8, size: u64) -> Result<Vec<u8>, TarError> {
        let (limit, what) = match type_byte {
            b'x' | b'g' => (MAX_PAX_HEADER_BYTES, "an extended (PAX) header"),
            _ => (MAX_PATH_BYTES as u64 + 1, "a GNU long name"),
        };
        if size > limit {
            return Err(malformed(format!(
                "{what} claims {size} bytes, more than the {limit} it may hold"
            )));
        }
        let mut record = vec![0u8; size as usize];
        self.inner.read_exact(&mut record)?;
        let padding = padding_after(size) as usize;
        let mut scratch = [0u8; BLOCK];
        self.inner.read_exact(&mut scratch[..padding])?;
        Ok(record)
    }

    fn member(
        &mut self,
        block: &[u8; BLOCK],
        size: u64,
        pending: Pending,
    ) -> Result<MemberHeader, TarError> {
        let ustar = &block[257..263] == b"ustar\0";
        let raw_path = match pending.path {
            Some(path) => path,
            None => {
                let name = until_nul(&block[0..100]);
                let prefix = if ustar {
                    until_nul(&block[345..500])
                } else {
                    &[]
                };
                if prefix.is_empty() {
                    name.to_vec()
                } else {
                    [prefix, b"/", name].concat()
                }
            }
        };
        let link = match pending.link {
            Some(link) => Some(link),
            None => Some(until_nul(&block[157..257]).to_vec()).filter(|l| !l.is_empty()),
        };
        for (text, what) in [(Some(&raw_path), "name"), (link.as_ref(), "link target")] {
            if text.is_some_and(|t| t.len() > MAX_PATH_BYTES) {
                return Err(malformed(format!(
                    "a member's {what} is longer than {MAX_PATH_BYTES} bytes"
                )));
            }
        }
        let mut kind = match block[156] {
            b'0' | b'\0' | b'7' => MemberKind::File,
            b'1' => MemberKind::HardLink,
            b'2' => MemberKind::Symlink,
            b'3' => MemberKind::CharDevice,
            b'4' => MemberKind::BlockDevice,
            b'5' => MemberKind::Dir,
            b'6' => MemberKind::Fifo,
            other => MemberKind::Other(other),
        };
        // Old (v7) archives mark folders only by the trailing slash, as GNU tar reads them.
        if kind == MemberKind::File && block[156] == b'\0' && raw_path.ends_with(b"/") {
            kind = MemberKind::Dir;
        }
        if pending.sparse {
            kind = MemberKind::Other(b'S');
        }
        let mode = numeric(&block[100..108], "mode")?;
        let mtime = match pending.mtime {
            Some(mtime) => mtime,
            None => numeric(&block[136..148], "modification time")?,
        };
        self.remaining = size;
        self.padding = padding_after(size);
        Ok(MemberHeader {
            raw_path,
            kind,
            size,
            mode: (mode & 0o7777) as u32,
            mtime,
            link_target: if matches!(kind, MemberKind::Symlink | MemberKind::HardLink) {
                link
            } else {
                None
            },
        })
    }
}

/// The content of the member [`TarReader::content`] was called for.
pub struct Content<'a, R> {
    tar: &'a mut TarReader<R>,
}

impl<R: Read> Read for Content<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.tar.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(self.tar.remaining) as usize;
        let n = self.tar.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the archive ends inside a member",
            ));
        }
        self.tar.remaining -= n as u64;
        Ok(n)
    }
}

fn is_extension(type_byte: u8) -> bool {
    matches!(type_byte, b'x' | b'g' | b'L' | b'K')
}

fn padding_after(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

/// Fills `block`; `false` at a clean end of the stream, `Truncated` inside a block.
fn read_block(reader: &mut impl Read, block: &mut [u8; BLOCK]) -> Result<bool, TarError> {
    let mut filled = 0;
    while filled < BLOCK {
        match reader.read(&mut block[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err(TarError::Truncated),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(true)
}

/// The header checksum: the sum of its bytes with the checksum field read as spaces. Old
/// writers summed signed bytes; both are accepted.
fn verify_checksum(block: &[u8; BLOCK]) -> Result<(), TarError> {
    let recorded = numeric(&block[148..156], "checksum")?;
    let mut unsigned: i64 = 0;
    let mut signed: i64 = 0;
    for (i, &byte) in block.iter().enumerate() {
        let byte = if (148..156).contains(&i) { b' ' } else { byte };
        unsigned += i64::from(byte);
        signed += i64::from(byte as i8);
    }
    if recorded == unsigned || recorded == signed {
        Ok(())
    } else {
        Err(malformed("a tar header fails its checksum"))
    }
}

/// A numeric header field: octal text (padded with spaces or NULs), or GNU's base-256 binary
/// form (first byte 0x80 positive, 0xff negative).
fn numeric(field: &[u8], what: &str) -> Result<i64, TarError> {
    let bad = || malformed(format!("a tar header has an unreadable {what} field"));
    if let Some(&first) = field.first() {
        if first & 0x80 != 0 {
            let negative = first == 0xff;
            let mut value: i128 = if negative { -1 } else { 0 };
            for (i, &byte) in field.iter().enumerate() {
                let byte = if i == 0 && !negative {
                    byte & 0x7f
                } else {
                    byte
                };
                value = (value << 8) | i128::from(byte);
                if value > i128::from(i64::MAX) || value < i128::from(i64::MIN) {
                    return Err(bad());
                }
            }
            return i64::try_from(value).map_err(|_| bad());
        }
    }
    let text: &[u8] = {
        let start = field.iter().position(|&b| b != b' ').unwrap_or(field.len());
        let rest = &field[start..];
        let end = rest
            .iter()
            .position(|&b| b == 0 || b == b' ')
            .unwrap_or(rest.len());
        if rest[end..].iter().any(|&b| b != 0 && b != b' ') {
            return Err(bad());
        }
        &rest[..end]
    };
    let mut value: i64 = 0;
    for &digit in text {
        if !(b'0'..=b'7').contains(&digit) {
            return Err(bad());
        }
        value = value
            .checked_mul(8)
            .and_then(|v| v.checked_add(i64::from(digit - b'0')))
            .ok_or_else(bad)?;
    }
    Ok(value)
}

fn until_nul(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// One PAX record: its key and its value.
type PaxRecord<'a> = (&'a [u8], &'a [u8]);

/// Splits PAX records (`<length> <key>=<value>\n`), refusing any malformed one.
fn pax_records(data: &[u8]) -> Result<Vec<PaxRecord<'_>>, TarError> {
    let bad = || malformed("an extended (PAX) header is malformed");
    let mut records = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        // Some writers pad the record set with NULs.
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let space = rest
            .iter()
            .take(20)
            .position(|&b| b == b' ')
            .ok_or_else(bad)?;
        let length: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse().ok())
            .ok_or_else(bad)?;
        if length <= space + 1 || length > rest.len() || rest[length - 1] != b'\n' {
            return Err(bad());
        }
        let record = &rest[space + 1..length - 1];
        let equals = record.iter().position(|&b| b == b'=').ok_or_else(bad)?;
        if equals == 0 {
            return Err(bad());
        }
        records.push((&record[..equals], &record[equals + 1..]));
        rest = &rest[length..];
    }
    Ok(records)
}

fn check_pax_records(data: &[u8]) -> Result<(), TarError> {
    pax_records(data).map(|_| ())
}

fn apply_pax(data: &[u8], pending: &mut Pending) -> Result<(), TarError> {
    for (key, value) in pax_records(data)? {
        match key {
            b"path" => pending.path = Some(value.to_vec()),
            b"linkpath" => pending.link = Some(value.to_vec()),
            b"size" => pending.size = Some(pax_number(value, "size")?),
            b"mtime" => pending.mtime = Some(pax_time(value)?),
            key if key.starts_with(b"GNU.sparse.") => pending.sparse = true,
            _ => {}
        }
    }
    Ok(())
}

fn pax_number(value: &[u8], what: &str) -> Result<u64, TarError> {
    std::str::from_utf8(value)
        .ok()
        .filter(|t| !t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| {
            malformed(format!(
                "an extended (PAX) header has an unreadable {what} (\"{}\")",
                quoted_bytes(value)
            ))
        })
}

/// A PAX time: decimal seconds, maybe negative, maybe with a fraction (dropped).
fn pax_time(value: &[u8]) -> Result<i64, TarError> {
    let text = std::str::from_utf8(value).unwrap_or("");
    let whole = text.split('.').next().unwrap_or("");
    let (negative, digits) = match whole.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, whole),
    };
    let magnitude = pax_number(digits.as_bytes(), "time")?;
    let magnitude = i64::try_from(magnitude)
        .map_err(|_| malformed("an extended (PAX) header has an impossible time"))?;
    Ok(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ustar header block with a correct checksum.
    fn header(name: &[u8], type_byte: u8, size: u64) -> [u8; BLOCK] {
        let mut block = [0u8; BLOCK];
        block[..name.len()].copy_from_slice(name);
        block[100..107].copy_from_slice(b"0000644");
        block[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        block[136..147].copy_from_slice(b"00000000000");
        block[156] = type_byte;
        block[257..263].copy_from_slice(b"ustar\0");
        block[263..265].copy_from_slice(b"00");
        block[148..156].fill(b' ');
        let sum: u32 = block.iter().map(|&b| u32::from(b)).sum();
        block[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        block
    }

    fn padded(data: &[u8]) -> Vec<u8> {
        let mut out = data.to_vec();
        out.resize(data.len() + padding_after(data.len() as u64) as usize, 0);
        out
    }

    fn pax(records: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (key, value) in records {
            let body = format!(" {key}={value}\n");
            let mut length = body.len() + 1;
            while format!("{length}{body}").len() != length {
                length += 1;
            }
            out.extend_from_slice(format!("{length}{body}").as_bytes());
        }
        out
    }

    #[test]
    fn reads_ustar_pax_and_gnu_long_names() {
        let mut stream = Vec::new();
        stream.extend_from_slice(&header(b"strat/", b'5', 0));
        stream.extend_from_slice(&header(b"strat/a.csv", b'0', 5));
        stream.extend(padded(b"1,2\n\n"));
        let records = pax(&[("path", "strat/é long"), ("mtime", "-5.25")]);
        stream.extend_from_slice(&header(b"PaxHeader", b'x', records.len() as u64));
        stream.extend(padded(&records));
        stream.extend_from_slice(&header(b"ignored", b'0', 0));
        stream.extend_from_slice(&header(b"././@LongLink", b'L', 12));
        stream.extend(padded(b"strat/link\0\0"));
        let mut link = header(b"x", b'2', 0);
        link[157..161].copy_from_slice(b"a.cs");
        link[148..156].fill(b' ');
        let sum: u32 = link.iter().map(|&b| u32::from(b)).sum();
        link[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        stream.extend_from_slice(&link);
        stream.extend_from_slice(&[0u8; 1024]);

        let mut tar = TarReader::new(&stream[..]);
        let dir = tar.next_header().unwrap().unwrap();
        assert_eq!(
            (dir.raw_path.as_slice(), dir.kind),
            (&b"strat/"[..], MemberKind::Dir)
        );
        let file = tar.next_header().unwrap().unwrap();
        let mut content = Vec::new();
        tar.content().read_to_end(&mut content).unwrap();
        assert_eq!((file.size, content.as_slice()), (5, &b"1,2\n\n"[..]));
        let renamed = tar.next_header().unwrap().unwrap();
        assert_eq!(renamed.raw_path, "strat/é long".as_bytes());
        assert_eq!(renamed.mtime, -5);
        let long = tar.next_header().unwrap().unwrap();
        assert_eq!(long.raw_path, b"strat/link");
        assert_eq!(long.link_target.as_deref(), Some(&b"a.cs"[..]));
        assert!(tar.next_header().unwrap().is_none());
    }

    #[test]
    fn a_gigantic_pax_header_is_refused_before_it_is_read() {
        let mut stream = header(b"PaxHeader", b'x', 1 << 30).to_vec();
        stream.extend_from_slice(&[b'9'; 4096]);
        let error = TarReader::new(&stream[..]).next_header().unwrap_err();
        assert!(matches!(error, TarError::Malformed(ref m) if m.contains("1073741824")));
    }

    #[test]
    fn a_gigantic_gnu_long_name_is_refused_before_it_is_read() {
        let stream = header(b"././@LongLink", b'L', 1 << 30);
        let error = TarReader::new(&stream[..]).next_header().unwrap_err();
        assert!(matches!(error, TarError::Malformed(ref m) if m.contains("long name")));
    }

    #[test]
    fn a_damaged_checksum_is_refused() {
        let mut block = header(b"strat/", b'5', 0);
        block[0] = b'x';
        assert!(TarReader::new(&block[..]).next_header().is_err());
    }

    #[test]
    fn a_stream_cut_inside_content_is_truncated() {
        let mut stream = header(b"strat/a", b'0', 1000).to_vec();
        stream.extend_from_slice(&[1u8; 10]);
        let mut tar = TarReader::new(&stream[..]);
        tar.next_header().unwrap().unwrap();
        let mut sink = Vec::new();
        let error = tar.content().read_to_end(&mut sink).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn numbers_in_octal_and_base_256() {
        assert_eq!(numeric(b"0000644 \0", "mode").unwrap(), 0o644);
        assert_eq!(numeric(b"   17\0", "size").unwrap(), 0o17);
        assert_eq!(
            numeric(&[0x80, 0, 0, 0, 0, 0, 0, 1, 0], "size").unwrap(),
            256
        );
        assert_eq!(numeric(&[0xff; 8], "mtime").unwrap(), -1);
        assert!(numeric(b"12x4", "size").is_err());
        assert!(numeric(
            &[0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            "s"
        )
        .is_err());
    }

    #[test]
    fn malformed_pax_records_are_refused() {
        for bad in [
            &b"5 a=b"[..],
            b"99 path=x\n",
            b"x path=y\n",
            b"6 =ab\n",
            b"7 path\n",
        ] {
            assert!(
                pax_records(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
