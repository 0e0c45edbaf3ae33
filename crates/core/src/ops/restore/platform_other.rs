//! Restore where Unix permission bits and `fstatvfs` do not exist (Windows): links become file
//! links, permissions keep only "read-only", and free space is not known in advance (a full disk
//! still fails cleanly).

use cap_fs_ext::{FollowSymlinks, OpenOptionsFollowExt};
use cap_std::fs::{Dir, DirBuilder, OpenOptions};
use std::io;
use std::path::Path;

pub fn create_dir_all(dir: &Dir, relative: &Path, _mode: u32) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    dir.create_dir_with(relative, &builder)
}

pub fn create_file(dir: &Dir, relative: &Path, mode: u32) -> io::Result<std::fs::File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    let file = dir.open_with(relative, &options)?.into_std();
    if mode & 0o200 == 0 {
        let mut permissions = file.metadata()?.permissions();
        permissions.set_readonly(true);
        file.set_permissions(permissions)?;
    }
    Ok(file)
}

pub fn open_lock(dir: &Dir, name: &str) -> io::Result<std::fs::File> {
    let mut options = OpenOptions::new();
    options.write(true).follow(FollowSymlinks::No);
    Ok(dir.open_with(name, &options)?.into_std())
}

pub fn symlink(dir: &Dir, target: &str, relative: &Path) -> io::Result<()> {
    dir.symlink_file(target.replace('/', "\\"), relative)
}

pub fn narrow_dir_mode(_dir: &Dir, _relative: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

pub fn sync_dir(_dir: &Dir) -> io::Result<()> {
    Ok(())
}

pub fn available_space(_dir: &Dir) -> Option<u64> {
    None
}
