//! The Unix side of `sys`: opens that never follow a link or block on a pipe, file identities
//! (device and inode), permission bits, and folder syncs.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use rustix::fs::OFlags;

pub type Identity = (u64, u64);

pub fn open_no_follow(options: &mut OpenOptions, path: &Path) -> io::Result<File> {
    options
        .custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits() as i32)
        .open(path)
}

pub fn open_no_block(options: &mut OpenOptions, path: &Path) -> io::Result<File> {
    options
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(path)
}

/// `O_NOFOLLOW` on a link fails with `ELOOP` (Linux) or `EMLINK` (some BSDs).
pub fn is_link_refusal(error: &io::Error) -> bool {
    matches!(
        error
            .raw_os_error()
            .map(rustix::io::Errno::from_raw_os_error),
        Some(rustix::io::Errno::LOOP) | Some(rustix::io::Errno::MLINK)
    )
}

pub fn identity(meta: &Metadata) -> io::Result<Identity> {
    Ok((meta.dev(), meta.ino()))
}

pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

pub fn file_mode(meta: &Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}
