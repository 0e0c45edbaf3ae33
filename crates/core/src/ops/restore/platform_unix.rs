//! The Unix side of restore: folders, files and links created relative to an open folder with
//! their final permission bits (the umask narrows them at creation), free space on the
//! destination's disk, and durable folder entries.

use cap_fs_ext::{FollowSymlinks, OpenOptionsFollowExt};
use cap_std::fs::{
    Dir, DirBuilder, DirBuilderExt, OpenOptions, OpenOptionsExt, Permissions, PermissionsExt,
};
use rustix::fs::OFlags;
use std::io;
use std::path::Path;

/// Creates `relative` and its missing parents; the owner can always enter them (a folder we
/// could not enter again could be neither finished nor cleaned up).
pub fn create_dir_all(dir: &Dir, relative: &Path, mode: u32) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    builder.mode(mode | 0o700);
    dir.create_dir_with(relative, &builder)
}

/// Creates a new file (never an existing one, never through a link) with `mode`.
pub fn create_file(dir: &Dir, relative: &Path, mode: u32) -> io::Result<std::fs::File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true).mode(mode);
    Ok(dir.open_with(relative, &options)?.into_std())
}

/// Opens an existing lock file for writing, never through a link or into a pipe.
pub fn open_lock(dir: &Dir, name: &str) -> io::Result<std::fs::File> {
    let mut options = OpenOptions::new();
    options
        .write(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .follow(FollowSymlinks::No);
    let file = dir.open_with(name, &options)?.into_std();
    if file.metadata()?.is_file() {
        Ok(file)
    } else {
        Err(io::Error::other("not a regular file"))
    }
}

pub fn symlink(dir: &Dir, target: &str, relative: &Path) -> io::Result<()> {
    dir.symlink(target, relative)
}

/// Gives a folder the archive's permission bits without ever widening what the umask allowed
/// when it was created: the current bits, narrowed to the archive's (plus the owner's access).
pub fn narrow_dir_mode(dir: &Dir, relative: &Path, mode: u32) -> io::Result<()> {
    let meta = dir.symlink_metadata(relative)?;
    if !meta.is_dir() {
        return Err(io::Error::other("not a folder"));
    }
    let current = meta.permissions().mode() & 0o7777;
    let narrowed = current & (mode | 0o700);
    if narrowed != current {
        dir.set_permissions(relative, Permissions::from_mode(narrowed))?;
    }
    Ok(())
}

/// The handle `Dir` keeps may not allow a sync (Linux opens it `O_PATH`): the folder is opened
/// again, read-only, through it.
pub fn sync_dir(dir: &Dir) -> io::Result<()> {
    dir.open(".")?.into_std().sync_all()
}

/// Bytes an unprivileged writer may still use on the folder's disk.
pub fn available_space(dir: &Dir) -> Option<u64> {
    let stats = rustix::fs::fstatvfs(dir).ok()?;
    Some(stats.f_bavail.saturating_mul(stats.f_frsize))
}
