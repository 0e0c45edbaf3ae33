//! Every bound the core puts on what it reads back, in one place. Archives, manifests, catalogs
//! and settings are untrusted: each length is compared with these before anything is allocated,
//! and backup refuses to write what restore would refuse to read.

/// Entries (files, folders, links) in one backup. Backtest result folders hold hundreds or a few
/// thousand; an archive of a hundred thousand empty files is an attack on the restore's disk.
pub const MAX_ENTRIES: usize = 100_000;

/// Bytes of one path or link target inside an archive: Linux's PATH_MAX (4096) counts the
/// terminating NUL, so 4095 is the longest path or link target restore can create.
pub const MAX_PATH_BYTES: usize = 4095;

/// Bytes of one name (a single path component), as on every common file system.
pub const MAX_NAME_BYTES: usize = 255;

/// Bytes of a strategy name: what is built from it must stay one name too, the longest being
/// `<strategy>_<YYYYmmdd_HHMMSS>_<N>.manifest.json` (35 bytes more) and a restored copy's
/// `<strategy>_restored_<YYYYmmdd_HHMMSS>_<N>` (30 more).
pub const MAX_STRATEGY_NAME_BYTES: usize = MAX_NAME_BYTES - 35;

/// Bytes of an archive file name, so its sidecar (`.tar.gz` becomes `.manifest.json`, 7 bytes
/// more) is one name too.
pub const MAX_ARCHIVE_NAME_BYTES: usize = MAX_NAME_BYTES - 7;

/// Bytes of one PAX extended header record set: real ones hold a path, a link target and a time.
pub const MAX_PAX_HEADER_BYTES: u64 = 64 * 1024;

/// Extended headers (PAX, GNU long names) allowed in a row before the member they describe.
pub const MAX_EXTENSION_HEADERS: usize = 8;

/// Bytes of one manifest, embedded or sidecar. A manifest of `MAX_ENTRIES` entries with long
/// paths stays well below.
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

/// Bytes of `catalog.json` (about 400 bytes a backup: room for hundreds of thousands).
pub const MAX_CATALOG_BYTES: u64 = 256 * 1024 * 1024;

/// Bytes of the settings file.
pub const MAX_SETTINGS_BYTES: u64 = 1024 * 1024;

/// Bytes of the deletion journal (a list of archive names: about 260 bytes each, so room for
/// every backup a catalog can hold).
pub const MAX_JOURNAL_BYTES: u64 = 64 * 1024 * 1024;

/// How many times its own size an archive may inflate to when nothing trusted says otherwise
/// (the ratio zip-bomb defences commonly use). Real backups of CSVs and plots inflate 2-20 times.
pub const MAX_EXPANSION_RATIO: u64 = 100;

/// Inflated bytes always allowed, whatever the ratio: small archives of very repetitive text.
pub const EXPANSION_ALLOWANCE: u64 = 64 * 1024 * 1024;

/// Tar bytes a listed entry may add besides its content: header, PAX record, padding.
pub const TAR_OVERHEAD_PER_ENTRY: u64 = 16 * 1024;

/// Free space a restore leaves on the destination's disk beyond what it writes, so the
/// analyst's system keeps working: as much again as the restore, up to this.
pub const DISK_RESERVE_BYTES: u64 = 64 * 1024 * 1024;

/// The free space writing `bytes` needs: the bytes and a margin (see [`DISK_RESERVE_BYTES`]).
pub fn space_needed(bytes: u64) -> u64 {
    bytes.saturating_add(bytes.min(DISK_RESERVE_BYTES))
}

/// Bytes of a message quoting something read from a file (a name, a parser's complaint).
pub const MAX_QUOTED_CHARS: usize = 160;

/// The most inflated tar bytes an archive of `archive_size` bytes may produce. `listed`, when a
/// manifest was read beforehand, is its (content bytes, entries): the archive may then inflate to
/// what it lists, whatever the ratio (the manifest's sizes are enforced member by member).
pub fn allowed_expansion(archive_size: u64, listed: Option<(u64, u64)>) -> u64 {
    let by_ratio = archive_size
        .saturating_mul(MAX_EXPANSION_RATIO)
        .saturating_add(EXPANSION_ALLOWANCE);
    let by_listing = listed.map_or(0, |(bytes, entries)| {
        bytes
            .saturating_add(entries.saturating_mul(TAR_OVERHEAD_PER_ENTRY))
            .saturating_add(MAX_MANIFEST_BYTES)
            .saturating_add(EXPANSION_ALLOWANCE)
    });
    by_ratio.max(by_listing)
}

/// `text` made safe to quote in a message: control characters escaped (a name can carry
/// terminal escape sequences) and cut to a bounded length.
pub fn quoted(text: &str) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == MAX_QUOTED_CHARS {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// [`quoted`] for raw bytes that may not be UTF-8.
pub fn quoted_bytes(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(MAX_QUOTED_CHARS * 4)];
    let mut text = quoted(&String::from_utf8_lossy(head));
    if head.len() < bytes.len() && !text.ends_with("...") {
        text.push_str("...");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_control_characters_and_bounds_length() {
        assert_eq!(quoted("a\u{1b}[31mred\n"), "a\\u{1b}[31mred\\n");
        let long = "x".repeat(10_000);
        assert_eq!(quoted(&long).len(), MAX_QUOTED_CHARS + 3);
        assert!(quoted_bytes(&[b'y'; 100_000]).ends_with("..."));
        assert_eq!(quoted_bytes(b"\xff"), "\u{fffd}");
    }

    #[test]
    fn expansion_is_bounded_by_ratio_or_by_what_a_manifest_lists() {
        let mib = 1024 * 1024;
        assert!(allowed_expansion(mib, None) < 1024 * mib);
        assert!(allowed_expansion(mib, Some((2048 * mib, 10))) > 2048 * mib);
    }
}
