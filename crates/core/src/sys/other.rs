//! `sys` where there is no `O_NOFOLLOW` nor inode number in `std` (Windows): a link is refused
//! by looking before opening, identities stand on the creation time, folders cannot be synced.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::path::Path;

pub type Identity = (u64, u64);

const LINK_REFUSED: &str = "refusing to open a link";

pub fn open_no_follow(options: &mut OpenOptions, path: &Path) -> io::Result<File> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(io::Error::other(LINK_REFUSED));
    }
    options.open(path)
}

pub fn open_no_block(options: &mut OpenOptions, path: &Path) -> io::Result<File> {
    options.open(path)
}

pub fn is_link_refusal(error: &io::Error) -> bool {
    error.to_string() == LINK_REFUSED
}

pub fn identity(meta: &Metadata) -> io::Result<Identity> {
    let created = meta
        .created()?
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    Ok((created, u64::from(meta.is_dir())))
}

pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Without Unix permission bits: folders 0755, read-only files 0444, others 0644.
pub fn file_mode(meta: &Metadata) -> u32 {
    match (meta.is_dir(), meta.permissions().readonly()) {
        (true, _) => 0o755,
        (false, true) => 0o444,
        (false, false) => 0o644,
    }
}
