//! Snapshots of folder trees, to prove "nothing changed" or "the copy is the original", and one
//! comparison that names every path that differs.
//!
//! A [`Tree`] maps every path under a root (relative, `/`-separated; the root itself is `"."`)
//! to a [`Node`]. Links are recorded, never followed. How much a node holds depends on how it was
//! taken:
//!
//! - [`snapshot`] (strict): kind, permission bits, modification time to the nanosecond (folders
//!   and links included), size, SHA-256 and link target.
//! - [`snapshot_loose`]: the same without folder times, for an area that holds the place where
//!   work happens (a destination's own time moves when its staging folder comes and goes).
//! - [`Tree::without_root`]: drops the root's own entry, for a folder whose own time moves while
//!   everything in it must stay put (a backups folder a failed backup wrote into and cleaned).
//! - [`Tree::whole_seconds`]: times cut to whole seconds, for a restored copy of an original
//!   whose times were not (archives keep whole seconds).
//! - [`Tree::contents`]: only kinds, sizes, hashes and link targets, for copies whose modes and
//!   times are not what the test is about.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::ops::{Deref, DerefMut};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use filetime::FileTime;

use crate::files::{all_paths, sha256_file};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    /// A device, FIFO or socket.
    Other,
}

/// A modification time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mtime {
    pub secs: i64,
    pub nanos: u32,
}

impl fmt::Display for Mtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs, self.nanos)
    }
}

/// What a snapshot records for one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    /// Permission bits only (`& 0o7777`); 0 for links (their bits mean nothing on Linux) and in
    /// a [`Tree::contents`] view.
    pub mode: u32,
    /// For links, the link's own time; `None` where the snapshot leaves times out.
    pub mtime: Option<Mtime>,
    /// Content bytes for files, 0 otherwise.
    pub size: u64,
    pub sha256: Option<String>,
    pub link_target: Option<String>,
}

impl Node {
    /// The modification time in whole seconds (what an archive keeps); panics when the snapshot
    /// left this node's time out.
    pub fn mtime_secs(&self) -> i64 {
        self.mtime
            .unwrap_or_else(|| panic!("this snapshot did not record the time of {self}"))
            .secs
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} mode {:o}", self.kind, self.mode)?;
        match self.mtime {
            Some(t) => write!(f, " mtime {t}")?,
            None => write!(f, " mtime -")?,
        }
        write!(
            f,
            " size {} sha256 {} target {}",
            self.size,
            self.sha256.as_deref().unwrap_or("-"),
            self.link_target.as_deref().unwrap_or("-")
        )
    }
}

/// Every path under a root and what it was. Derefs to the map, so `tree.get(path)`,
/// `tree.values()`, `tree.remove(path)` work as on any `BTreeMap`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree(BTreeMap<String, Node>);

impl Tree {
    /// An empty tree (before anything was recorded).
    pub fn new() -> Tree {
        Tree::default()
    }

    /// The same tree without the root's own entry (`"."`).
    pub fn without_root(mut self) -> Tree {
        self.0.remove(".");
        self
    }

    /// Times cut to whole seconds, what an archive keeps: for comparing a restored copy with
    /// an original whose times were not whole seconds.
    pub fn whole_seconds(mut self) -> Tree {
        for node in self.0.values_mut() {
            if let Some(t) = &mut node.mtime {
                t.nanos = 0;
            }
        }
        self
    }

    /// Only what each item holds: kinds, sizes, hashes and link targets; modes and times
    /// cleared.
    pub fn contents(&self) -> Tree {
        Tree(
            self.0
                .iter()
                .map(|(path, node)| {
                    let node = Node {
                        mode: 0,
                        mtime: None,
                        ..node.clone()
                    };
                    (path.clone(), node)
                })
                .collect(),
        )
    }
}

impl Deref for Tree {
    type Target = BTreeMap<String, Node>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Tree {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl FromIterator<(String, Node)> for Tree {
    fn from_iter<I: IntoIterator<Item = (String, Node)>>(iter: I) -> Self {
        Tree(iter.into_iter().collect())
    }
}

/// Strict: `root` and every path under it, every time included. An empty tree when `root` does
/// not exist.
pub fn snapshot(root: &Path) -> Tree {
    take(root, true)
}

/// Loose: like [`snapshot`] but without folder times.
pub fn snapshot_loose(root: &Path) -> Tree {
    take(root, false)
}

fn take(root: &Path, folder_times: bool) -> Tree {
    if fs::symlink_metadata(root).is_err() {
        return Tree::new();
    }
    all_paths(root)
        .into_iter()
        .map(|path| {
            let rel = path
                .strip_prefix(root)
                .expect("inside the root")
                .to_string_lossy()
                .into_owned();
            let rel = if rel.is_empty() { ".".to_string() } else { rel };
            let meta = fs::symlink_metadata(&path)
                .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()));
            let ft = meta.file_type();
            let kind = if ft.is_symlink() {
                Kind::Symlink
            } else if ft.is_dir() {
                Kind::Dir
            } else if ft.is_file() {
                Kind::File
            } else {
                Kind::Other
            };
            let time = FileTime::from_last_modification_time(&meta);
            let node = Node {
                kind,
                mode: if kind == Kind::Symlink {
                    0
                } else {
                    meta.permissions().mode() & 0o7777
                },
                mtime: (folder_times || kind != Kind::Dir).then(|| Mtime {
                    secs: time.unix_seconds(),
                    nanos: time.nanoseconds(),
                }),
                size: if kind == Kind::File { meta.len() } else { 0 },
                sha256: (kind == Kind::File).then(|| sha256_file(&path)),
                link_target: (kind == Kind::Symlink).then(|| {
                    fs::read_link(&path)
                        .unwrap_or_else(|e| panic!("read link {}: {e}", path.display()))
                        .to_string_lossy()
                        .into_owned()
                }),
            };
            (rel, node)
        })
        .collect()
}

/// The differences between two trees, one path each: `missing` (expected, not there),
/// `unexpected` (there, not expected), `differs` (with both versions). Empty when they are equal.
pub fn tree_diff(expected: &Tree, actual: &Tree) -> Vec<String> {
    let mut diffs = Vec::new();
    for (path, e) in expected.iter() {
        match actual.get(path) {
            None => diffs.push(format!("missing:    {path} ({e})")),
            Some(a) if a != e => diffs.push(format!(
                "differs:    {path}\n  expected  {e}\n  actual    {a}"
            )),
            Some(_) => {}
        }
    }
    for (path, a) in actual.iter() {
        if !expected.contains_key(path) {
            diffs.push(format!("unexpected: {path} ({a})"));
        }
    }
    diffs
}

/// Panics with every difference when the two trees differ in anything; `what` names the tree in
/// the message ("the destination after restore").
pub fn assert_same_tree(expected: &Tree, actual: &Tree, what: &str) {
    let diffs = tree_diff(expected, actual);
    assert!(diffs.is_empty(), "{what} differs:\n{}", diffs.join("\n"));
}

/// Snapshots two folders strictly and asserts they are identical, their roots included.
pub fn assert_same_folders(expected: &Path, actual: &Path) {
    assert_same_tree(
        &snapshot(expected),
        &snapshot(actual),
        &format!("{} against {}", actual.display(), expected.display()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::{set_mode, set_mtime, write_file};

    fn sample() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write_file(&dir.path().join("a/b.txt"), b"hello");
        std::os::unix::fs::symlink("a/b.txt", dir.path().join("link")).unwrap();
        for path in all_paths(dir.path()).iter().rev() {
            set_mtime(path, 1_700_000_000);
        }
        dir
    }

    #[test]
    fn a_snapshot_records_the_root_every_item_and_links_as_links() {
        let dir = sample();
        let tree = snapshot(dir.path());
        assert_eq!(
            tree.keys().collect::<Vec<_>>(),
            [".", "a", "a/b.txt", "link"]
        );
        let file = &tree["a/b.txt"];
        assert_eq!(file.kind, Kind::File);
        assert_eq!(file.size, 5);
        assert_eq!(file.mtime_secs(), 1_700_000_000);
        assert_eq!(
            file.sha256.as_deref(),
            Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        );
        assert_eq!(tree["link"].kind, Kind::Symlink);
        assert_eq!(tree["link"].link_target.as_deref(), Some("a/b.txt"));
        assert_eq!(tree["link"].mode, 0);
        assert!(snapshot(&dir.path().join("missing")).is_empty());
    }

    #[test]
    fn strict_sees_a_folder_time_loose_does_not_and_contents_sees_only_content() {
        let dir = sample();
        let strict = snapshot(dir.path());
        let loose = snapshot_loose(dir.path());
        set_mtime(&dir.path().join("a"), 1_600_000_000);
        assert_ne!(strict, snapshot(dir.path()));
        assert_same_tree(&loose, &snapshot_loose(dir.path()), "the loose tree");

        set_mode(&dir.path().join("a/b.txt"), 0o600);
        set_mtime(&dir.path().join("a/b.txt"), 1);
        assert_ne!(loose, snapshot_loose(dir.path()));
        assert_same_tree(
            &strict.contents(),
            &snapshot(dir.path()).contents(),
            "the contents",
        );
        write_file(&dir.path().join("a/b.txt"), b"HELLO");
        assert_ne!(strict.contents(), snapshot(dir.path()).contents());
    }

    #[test]
    fn whole_seconds_forgets_only_the_fraction() {
        let dir = sample();
        let file = dir.path().join("a/b.txt");
        let at = |nanos| FileTime::from_unix_time(1_700_000_000, nanos);
        filetime::set_symlink_file_times(&file, at(5), at(5)).unwrap();
        let before = snapshot(dir.path());
        filetime::set_symlink_file_times(&file, at(999), at(999)).unwrap();
        assert_ne!(before, snapshot(dir.path()));
        assert_eq!(
            before.clone().whole_seconds(),
            snapshot(dir.path()).whole_seconds()
        );
        set_mtime(&file, 1_700_000_001);
        assert_ne!(before.whole_seconds(), snapshot(dir.path()).whole_seconds());
    }

    #[test]
    fn without_root_ignores_the_root_and_nothing_else() {
        let dir = sample();
        let before = snapshot(dir.path()).without_root();
        set_mtime(dir.path(), 1);
        assert_same_tree(&before, &snapshot(dir.path()).without_root(), "inside");
        assert_ne!(snapshot(dir.path()).get("."), None);
    }

    #[test]
    fn the_diff_names_every_missing_unexpected_and_changed_path() {
        let dir = sample();
        let before = snapshot(dir.path());
        write_file(&dir.path().join("new.txt"), b"x");
        fs::remove_file(dir.path().join("link")).unwrap();
        write_file(&dir.path().join("a/b.txt"), b"changed");
        let diffs = tree_diff(&before, &snapshot(dir.path()));
        let text = diffs.join("\n");
        assert!(text.contains("missing:    link"), "{text}");
        assert!(text.contains("unexpected: new.txt"), "{text}");
        assert!(text.contains("differs:    a/b.txt"), "{text}");
        let failure = std::panic::catch_unwind(|| {
            assert_same_tree(&before, &snapshot(dir.path()), "the sample")
        })
        .expect_err("different trees fail");
        let message = failure
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.starts_with("the sample differs:"), "{message}");
    }
}
