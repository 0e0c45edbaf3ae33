//! Files on disk: writing them, their modes and times, their hashes, and what a folder holds.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use filetime::FileTime;
use sha2::{Digest, Sha256};

/// Writes a file, creating its parent folders.
pub fn write_file(path: &Path, content: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
    }
    fs::write(path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Sets the permission bits of a file or folder.
pub fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// Sets the modification (and access) time of a file, folder or link itself (links not followed).
pub fn set_mtime(path: &Path, mtime: i64) {
    let t = FileTime::from_unix_time(mtime, 0);
    filetime::set_symlink_file_times(path, t, t)
        .unwrap_or_else(|e| panic!("set time of {}: {e}", path.display()));
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Hex SHA-256 of a file's content.
pub fn sha256_file(path: &Path) -> String {
    sha256_hex(&fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
}

/// `path` and every item below it (links not followed), parents before children.
pub fn all_paths(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect_paths(path, &mut out);
    out
}

fn collect_paths(path: &Path, out: &mut Vec<PathBuf>) {
    out.push(path.to_path_buf());
    let meta =
        fs::symlink_metadata(path).unwrap_or_else(|e| panic!("stat {}: {e}", path.display()));
    if meta.is_dir() {
        for entry in fs::read_dir(path).unwrap_or_else(|e| panic!("list {}: {e}", path.display())) {
            collect_paths(&entry.expect("list a folder").path(), out);
        }
    }
}

/// The names in a folder, sorted (empty when it does not exist).
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every `*.tar.gz` in a folder, hidden ones included (sorted; empty when it does not exist).
pub fn archives_in(dir: &Path) -> Vec<String> {
    names_in(dir)
        .into_iter()
        .filter(|n| n.ends_with(".tar.gz"))
        .collect()
}

/// Finished-looking archives in a backups folder: what a person would see (no hidden names).
pub fn visible_archives(dir: &Path) -> Vec<String> {
    archives_in(dir)
        .into_iter()
        .filter(|n| !n.starts_with('.'))
        .collect()
}

/// Anything in a folder that looks like an unfinished write.
pub fn partial_files_in(dir: &Path) -> Vec<String> {
    names_in(dir)
        .into_iter()
        .filter(|n| {
            n.contains(".partial") || n.contains(".tmp") || n.starts_with(".results-backup-")
        })
        .collect()
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// The sidecar manifest path for an archive file name in `backups`.
pub fn sidecar_of(backups: &Path, archive_file: &str) -> PathBuf {
    backups.join(format!(
        "{}.manifest.json",
        archive_file.trim_end_matches(".tar.gz")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_tell_visible_archives_from_hidden_and_partial_ones() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "a_20240101_000000.tar.gz",
            ".results-backup-tmp.tar.gz",
            "b.tar.gz.partial",
            "notes.txt",
        ] {
            write_file(&dir.path().join(name), b"x");
        }
        assert_eq!(
            archives_in(dir.path()),
            [".results-backup-tmp.tar.gz", "a_20240101_000000.tar.gz"]
        );
        assert_eq!(visible_archives(dir.path()), ["a_20240101_000000.tar.gz"]);
        assert_eq!(
            partial_files_in(dir.path()),
            [".results-backup-tmp.tar.gz", "b.tar.gz.partial"]
        );
        assert!(names_in(&dir.path().join("missing")).is_empty());
    }

    #[test]
    fn sha256_matches_a_known_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
