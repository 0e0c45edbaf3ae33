//! What the fuzz targets share: temporary folders on a RAM disk (restore syncs every file it
//! writes; on tmpfs that costs nothing), gzip, tree snapshots and the lexical resolution of a
//! link target.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

/// Where per-input temporary folders go: `$FUZZ_TMPDIR`, else `/dev/shm` when it is there (a
/// RAM disk on Linux), else the system's temporary folder.
pub fn temp_base() -> PathBuf {
    if let Some(dir) = std::env::var_os("FUZZ_TMPDIR") {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

/// A fresh temporary folder for one input, removed when dropped. Its path is canonical, so
/// comparisons with paths the core returns are exact.
pub fn temp_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("rb-fuzz-")
        .tempdir_in(temp_base())
        .expect("create a temporary folder");
    let root = dir
        .path()
        .canonicalize()
        .expect("canonical temporary folder");
    (dir, root)
}

/// `data` as one gzip member, compressed at the fast level.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).expect("gzip into memory");
    encoder.finish().expect("finish gzip into memory")
}

pub fn starts_with_gzip_magic(data: &[u8]) -> bool {
    data.starts_with(&[0x1f, 0x8b])
}

/// One item of a folder tree, with everything a restore could change about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Dir {
        mode: u32,
        mtime: (i64, i64),
    },
    File {
        mode: u32,
        mtime: (i64, i64),
        content: Vec<u8>,
    },
    Symlink {
        target: PathBuf,
    },
    Other {
        mode: u32,
    },
    /// Its absolute path is longer than the system takes (a restored path may be 4095 bytes
    /// below the destination): it is there, but not looked into.
    TooLong,
}

pub type Tree = BTreeMap<PathBuf, Node>;

/// Everything below `root` (not `root` itself), by path relative to it, leaving out `skip`
/// (relative to `root`) and what lies below it.
pub fn snapshot(root: &Path, skip: Option<&Path>) -> Tree {
    let mut tree = Tree::new();
    walk(root, root, skip, &mut tree);
    tree
}

fn walk(root: &Path, dir: &Path, skip: Option<&Path>, tree: &mut Tree) {
    use std::os::unix::fs::MetadataExt;
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    for item in listing {
        let item = item.expect("list a folder");
        let path = item.path();
        let relative = path.strip_prefix(root).expect("inside root").to_path_buf();
        if skip.is_some_and(|s| relative == s) {
            continue;
        }
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidFilename => {
                tree.insert(relative, Node::TooLong);
                continue;
            }
            Err(e) => panic!("stat {path:?}: {e}"),
        };
        let mode = meta.mode() & 0o7777;
        let mtime = (meta.mtime(), meta.mtime_nsec());
        let kind = meta.file_type();
        let node = if kind.is_symlink() {
            Node::Symlink {
                target: std::fs::read_link(&path).expect("read a link"),
            }
        } else if kind.is_dir() {
            walk(root, &path, skip, tree);
            Node::Dir { mode, mtime }
        } else if kind.is_file() {
            Node::File {
                mode,
                mtime,
                content: std::fs::read(&path).expect("read a file"),
            }
        } else {
            Node::Other { mode }
        };
        tree.insert(relative, node);
    }
}

/// Where `target` leads, read lexically from the folder `from` (parts below the strategy
/// folder): the parts below the strategy folder, or `None` once it climbs above it.
pub fn resolve_within(from: &[String], target: &str) -> Option<Vec<String>> {
    let mut at = from.to_vec();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                at.pop()?;
            }
            other => at.push(other.to_string()),
        }
    }
    Some(at)
}
