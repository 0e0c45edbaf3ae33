//! Hostile `.tar.gz` archives crafted byte by byte: raw 512-byte ustar (and GNU) headers with
//! correct checksums, PAX and GNU long-name records, gzipped with flate2. The `tar` crate's safe
//! setters refuse most of these names, which is exactly why they are written by hand here: an
//! attacker does not use a safe setter either.
//!
//! `harness` holds what the hostile, bad-input and crash tests share: a CLI runner with isolated
//! settings, sandboxes, tree snapshots and the "plain error" assertion.

#![allow(dead_code)]

pub mod harness;

use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;

pub const BLOCK: usize = 512;

/// Tar type flags used by the crafted members.
pub mod flag {
    pub const FILE: u8 = b'0';
    pub const HARD_LINK: u8 = b'1';
    pub const SYMLINK: u8 = b'2';
    pub const CHAR_DEVICE: u8 = b'3';
    pub const BLOCK_DEVICE: u8 = b'4';
    pub const DIR: u8 = b'5';
    pub const FIFO: u8 = b'6';
    pub const PAX_LOCAL: u8 = b'x';
    pub const GNU_LONG_NAME: u8 = b'L';
    pub const GNU_LONG_LINK: u8 = b'K';
}

/// Every field of one raw header we care to set; the rest stay zero.
#[derive(Clone, Debug)]
pub struct RawHeader {
    pub name: Vec<u8>,
    /// The ustar `prefix` field, joined to `name` with `/` by readers.
    pub prefix: Vec<u8>,
    pub typeflag: u8,
    pub mode: u32,
    pub size: u64,
    pub mtime: u64,
    pub link: Vec<u8>,
    /// GNU magic (`"ustar  \0"`) instead of POSIX ustar (`"ustar\0" "00"`).
    pub gnu: bool,
}

impl RawHeader {
    pub fn new(name: &[u8], typeflag: u8, size: u64) -> Self {
        RawHeader {
            name: name.to_vec(),
            prefix: Vec::new(),
            typeflag,
            mode: if typeflag == flag::DIR { 0o755 } else { 0o644 },
            size,
            mtime: 1_700_000_000,
            link: Vec::new(),
            gnu: false,
        }
    }

    /// The 512 header bytes, checksum included.
    pub fn encode(&self) -> [u8; BLOCK] {
        let mut h = [0u8; BLOCK];
        put(&mut h, 0, 100, &self.name);
        put(&mut h, 100, 8, format!("{:07o}\0", self.mode).as_bytes());
        put(&mut h, 108, 8, b"0000000\0");
        put(&mut h, 116, 8, b"0000000\0");
        put(&mut h, 124, 12, format!("{:011o}\0", self.size).as_bytes());
        put(&mut h, 136, 12, format!("{:011o}\0", self.mtime).as_bytes());
        h[156] = self.typeflag;
        put(&mut h, 157, 100, &self.link);
        if self.gnu {
            put(&mut h, 257, 8, b"ustar  \0");
        } else {
            put(&mut h, 257, 6, b"ustar\0");
            put(&mut h, 263, 2, b"00");
        }
        put(&mut h, 265, 32, b"root");
        put(&mut h, 297, 32, b"root");
        put(&mut h, 329, 8, b"0000000\0");
        put(&mut h, 337, 8, b"0000000\0");
        put(&mut h, 345, 155, &self.prefix);
        // The checksum is computed with its own field read as eight spaces.
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        put(&mut h, 148, 8, format!("{sum:06o}\0 ").as_bytes());
        h
    }
}

/// Copies `value` into a fixed-size field; a value that does not fit is a bug in the test.
fn put(header: &mut [u8; BLOCK], offset: usize, len: usize, value: &[u8]) {
    assert!(
        value.len() <= len,
        "{:?} does not fit a {len}-byte header field",
        String::from_utf8_lossy(value)
    );
    header[offset..offset + value.len()].copy_from_slice(value);
}

/// One PAX extended-header record: `"<len> <key>=<value>\n"`, where `len` counts itself.
pub fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let body_len = 1 + key.len() + 1 + value.len() + 1;
    let mut total = body_len + 1;
    while total != body_len + total.to_string().len() {
        total = body_len + total.to_string().len();
    }
    let mut record = format!("{total} {key}=").into_bytes();
    record.extend_from_slice(value);
    record.push(b'\n');
    assert_eq!(record.len(), total);
    record
}

/// A tar stream assembled member by member.
#[derive(Clone, Debug, Default)]
pub struct RawTar {
    bytes: Vec<u8>,
}

impl RawTar {
    pub fn new() -> Self {
        RawTar::default()
    }

    /// Appends a header and its content, padded to whole blocks.
    pub fn member(mut self, header: &RawHeader, content: &[u8]) -> Self {
        assert_eq!(
            header.size,
            content.len() as u64,
            "header size and content differ"
        );
        self.bytes.extend_from_slice(&header.encode());
        self.bytes.extend_from_slice(content);
        let pad = (BLOCK - content.len() % BLOCK) % BLOCK;
        self.bytes.extend(std::iter::repeat_n(0u8, pad));
        self
    }

    pub fn dir(self, name: &str) -> Self {
        self.member(&RawHeader::new(name.as_bytes(), flag::DIR, 0), b"")
    }

    pub fn file(self, name: &str, content: &[u8]) -> Self {
        self.file_bytes(name.as_bytes(), content)
    }

    pub fn file_bytes(self, name: &[u8], content: &[u8]) -> Self {
        let header = RawHeader::new(name, flag::FILE, content.len() as u64);
        self.member(&header, content)
    }

    /// A file whose header claims `declared` bytes while only `content` follows before the stream
    /// ends: what a swollen (or cut-off) archive looks like to a reader.
    pub fn truncated_file(mut self, name: &str, declared: u64, content: &[u8]) -> Self {
        assert!(
            declared > content.len() as u64,
            "the header must claim more"
        );
        let header = RawHeader::new(name.as_bytes(), flag::FILE, declared);
        self.bytes.extend_from_slice(&header.encode());
        self.bytes.extend_from_slice(content);
        self
    }

    /// A member whose path is split between the ustar `prefix` and `name` fields.
    pub fn file_with_prefix(self, prefix: &str, name: &str, content: &[u8]) -> Self {
        let mut header = RawHeader::new(name.as_bytes(), flag::FILE, content.len() as u64);
        header.prefix = prefix.as_bytes().to_vec();
        self.member(&header, content)
    }

    pub fn symlink(self, name: &str, target: &str) -> Self {
        self.link_member(name, flag::SYMLINK, target)
    }

    pub fn hard_link(self, name: &str, target: &str) -> Self {
        self.link_member(name, flag::HARD_LINK, target)
    }

    fn link_member(self, name: &str, typeflag: u8, target: &str) -> Self {
        let mut header = RawHeader::new(name.as_bytes(), typeflag, 0);
        header.mode = 0o777;
        header.link = target.as_bytes().to_vec();
        self.member(&header, b"")
    }

    pub fn char_device(self, name: &str) -> Self {
        self.special(name, flag::CHAR_DEVICE)
    }

    pub fn block_device(self, name: &str) -> Self {
        self.special(name, flag::BLOCK_DEVICE)
    }

    pub fn fifo(self, name: &str) -> Self {
        self.special(name, flag::FIFO)
    }

    fn special(self, name: &str, typeflag: u8) -> Self {
        let mut header = RawHeader::new(name.as_bytes(), typeflag, 0);
        if typeflag != flag::FIFO {
            // /dev/null's numbers on Linux (1, 3): a plausible device an attacker would pick.
            header.mode = 0o666;
        }
        let mut encoded = header.encode();
        put_dev(&mut encoded, 1, 3);
        self.raw_block(encoded)
    }

    /// Appends an already-encoded header block (fields edited after encoding must re-checksum).
    fn raw_block(mut self, block: [u8; BLOCK]) -> Self {
        self.bytes.extend_from_slice(&block);
        self
    }

    /// A PAX `x` header carrying `records`, then the member it describes.
    pub fn pax(self, records: &[(&str, &[u8])], described: &RawHeader, content: &[u8]) -> Self {
        let mut data = Vec::new();
        for (key, value) in records {
            data.extend_from_slice(&pax_record(key, value));
        }
        let pax_header = RawHeader::new(b"PaxHeaders/member", flag::PAX_LOCAL, data.len() as u64);
        self.member(&pax_header, &data).member(described, content)
    }

    /// A regular file whose header name is harmless but whose PAX `path` record says otherwise.
    pub fn pax_path_file(self, header_name: &str, pax_path: &str, content: &[u8]) -> Self {
        let header = RawHeader::new(header_name.as_bytes(), flag::FILE, content.len() as u64);
        self.pax(&[("path", pax_path.as_bytes())], &header, content)
    }

    /// A symlink whose header target is harmless but whose PAX `linkpath` record escapes.
    pub fn pax_linkpath_symlink(self, name: &str, header_target: &str, pax_target: &str) -> Self {
        let mut header = RawHeader::new(name.as_bytes(), flag::SYMLINK, 0);
        header.link = header_target.as_bytes().to_vec();
        self.pax(&[("linkpath", pax_target.as_bytes())], &header, b"")
    }

    /// A GNU `././@LongLink` record of type `L` (long name) or `K` (long link target).
    fn gnu_long(self, typeflag: u8, value: &str) -> Self {
        let mut data = value.as_bytes().to_vec();
        data.push(0);
        let mut header = RawHeader::new(b"././@LongLink", typeflag, data.len() as u64);
        header.gnu = true;
        self.member(&header, &data)
    }

    /// A regular file whose real name comes from a GNU long-name record.
    pub fn gnu_long_name_file(self, header_name: &str, long_name: &str, content: &[u8]) -> Self {
        let mut header = RawHeader::new(header_name.as_bytes(), flag::FILE, content.len() as u64);
        header.gnu = true;
        self.gnu_long(flag::GNU_LONG_NAME, long_name)
            .member(&header, content)
    }

    /// A symlink whose real target comes from a GNU long-link record.
    pub fn gnu_long_link_symlink(self, name: &str, header_target: &str, long_target: &str) -> Self {
        let mut header = RawHeader::new(name.as_bytes(), flag::SYMLINK, 0);
        header.gnu = true;
        header.link = header_target.as_bytes().to_vec();
        self.gnu_long(flag::GNU_LONG_LINK, long_target)
            .member(&header, b"")
    }

    /// Appends a header alone, whatever content it claims: what a bomb's header looks like
    /// before the (compressed) content that follows it.
    pub fn bare_header(mut self, header: &RawHeader) -> Self {
        self.bytes.extend_from_slice(&header.encode());
        self
    }

    /// The tar stream so far, without an end marker.
    pub fn unfinished(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// The tar stream with its end marker (two zero blocks).
    pub fn tar_bytes(&self) -> Vec<u8> {
        let mut bytes = self.bytes.clone();
        bytes.extend(std::iter::repeat_n(0u8, 2 * BLOCK));
        bytes
    }

    /// The finished `.tar.gz` bytes.
    pub fn gzip(&self) -> Vec<u8> {
        gzip(&self.tar_bytes())
    }
}

fn put_dev(header: &mut [u8; BLOCK], major: u32, minor: u32) {
    header[329..337].copy_from_slice(format!("{major:07o}\0").as_bytes());
    header[337..345].copy_from_slice(format!("{minor:07o}\0").as_bytes());
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|&b| b as u32).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

/// Gzips `data` as a single standard member (so the trailer CRC is right).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).expect("gzip into memory");
    encoder.finish().expect("finish gzip into memory")
}

/// `mib` MiB of zeros as that many gzip members of 1 MiB each: a gigabyte of inflated data in
/// about a megabyte, made by compressing one block once (multi-member gzip is standard).
pub fn gzipped_zeros(mib: usize) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder
        .write_all(&vec![0u8; 1 << 20])
        .expect("gzip into memory");
    let member = encoder.finish().expect("finish gzip into memory");
    member.repeat(mib)
}

/// A `.tar.gz` whose tar stream is `tar` (unfinished), then `mib` MiB of zeros, then the end
/// marker: a member that claims a gigabyte really is followed by one.
pub fn with_zeros_after(tar: &RawTar, mib: usize) -> Vec<u8> {
    let mut archive = gzip(&tar.unfinished());
    archive.extend(gzipped_zeros(mib));
    archive.extend(gzip(&[0u8; 2 * BLOCK]));
    archive
}

/// A valid embedded manifest for `benign_start(strategy)` with the given timestamp (no
/// `archive` field, as inside an archive).
pub fn benign_manifest(strategy: &str, timestamp: &str) -> Vec<u8> {
    let content = b"harmless content\n";
    serde_json::to_vec_pretty(&serde_json::json!({
        "format": "results-backup-manifest",
        "format_version": 1,
        "app_version": "0.1.0",
        "strategy": strategy,
        "timestamp": timestamp,
        "created": "2023-11-14T22:13:20+00:00",
        "source": format!("/somewhere/{strategy}"),
        "totals": {"files": 1, "dirs": 1, "symlinks": 0, "bytes": content.len()},
        "entries": [
            {"path": strategy, "kind": "dir", "size": 0, "mode": 0o755, "mtime": 1_700_000_000},
            {"path": format!("{strategy}/ok.txt"), "kind": "file", "size": content.len(),
             "mode": 0o644, "mtime": 1_700_000_000, "sha256": harness::sha256(content)},
        ],
    }))
    .expect("a manifest serializes")
}

/// Decompresses a whole `.tar.gz` into its tar bytes.
pub fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(data), &mut out)
        .expect("gunzip a valid archive");
    out
}

/// The benign start every hostile archive shares, so the staging folder already holds something
/// when the hostile member arrives and must be cleaned up.
pub fn benign_start(strategy: &str) -> RawTar {
    RawTar::new()
        .dir(&format!("{strategy}/"))
        .file(&format!("{strategy}/ok.txt"), b"harmless content\n")
}

/// Replaces the first occurrence of `marker` in a valid archive's decompressed tar stream with
/// `replacement` (same length), and gzips it again: sizes, tar checksums and the gzip CRC are all
/// consistent, only the content (and so its SHA-256) changed.
pub fn tamper_content(archive: &[u8], marker: &[u8], replacement: &[u8]) -> Vec<u8> {
    assert_eq!(
        marker.len(),
        replacement.len(),
        "the tampering must keep sizes"
    );
    let mut tar = gunzip(archive);
    let at = tar
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("the marker is in the archive");
    tar[at..at + marker.len()].copy_from_slice(replacement);
    gzip(&tar)
}
