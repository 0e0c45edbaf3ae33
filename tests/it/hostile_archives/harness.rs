//! What the hostile, bad-input and crash tests share: a sandbox per test with the CLI run as a
//! process under isolated settings, snapshots of folder trees to prove "nothing changed", the
//! assertion that an error is plain words rather than a panic or a debug dump, and the few
//! privilege tricks needed because the tests run as root here.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_results-backup");

/// Text that must never reach a person: panics, backtraces, `Debug` dumps of errors.
pub const FORBIDDEN_IN_OUTPUT: [&str; 4] = ["panicked", "RUST_BACKTRACE", "Os {", "Error {"];

/// One test's private world: `results/`, `backups/` and whatever else the test creates, plus a
/// settings file path that never exists, so the user's real settings are never read.
pub struct Sandbox {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("rb-hostile-")
            .tempdir()
            .expect("create a temporary folder");
        let root = dir.path().canonicalize().expect("canonical temp path");
        Sandbox { _dir: dir, root }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    pub fn results(&self) -> PathBuf {
        self.root.join("results")
    }

    pub fn backups(&self) -> PathBuf {
        self.root.join("backups")
    }

    /// The CLI with `--results` and `--backups` pointing into the sandbox.
    pub fn command(&self) -> Command {
        self.command_wrapped(&[])
    }

    /// The same, run through `wrapper` (e.g. `setpriv ...`), which gets the binary as argument.
    pub fn command_wrapped(&self, wrapper: &[String]) -> Command {
        let mut command = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        isolate(&mut command, &self.root);
        command
            .arg("--results")
            .arg(self.results())
            .arg("--backups")
            .arg(self.backups());
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::of(self.command().args(args))
    }

    pub fn run_wrapped(&self, wrapper: &[String], args: &[&str]) -> Run {
        Run::of(self.command_wrapped(wrapper).args(args))
    }
}

/// Environment every CLI child gets: settings from a file that does not exist, no location
/// variables inherited from whoever runs the tests, backtraces on (so a panic could not hide).
pub fn isolate(command: &mut Command, root: &Path) {
    command
        .current_dir(root)
        .env("RESULTS_BACKUP_SETTINGS", root.join("no-settings.json"))
        .env_remove("RESULTS_BACKUP_RESULTS")
        .env_remove("RESULTS_BACKUP_BACKUPS")
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null());
}

/// A finished CLI process.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub command: String,
}

impl Run {
    pub fn of(command: &mut Command) -> Run {
        let shown = format!("{command:?}");
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("could not start {shown}: {e}"));
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            command: shown,
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "command: {}\nexit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }

    pub fn assert_success(&self) -> &Self {
        assert_eq!(self.code, Some(0), "expected success\n{}", self.describe());
        self.assert_no_dump();
        self
    }

    /// Neither stream holds a panic, a backtrace or a `Debug` dump.
    pub fn assert_no_dump(&self) -> &Self {
        for bad in FORBIDDEN_IN_OUTPUT {
            assert!(
                !self.stderr.contains(bad) && !self.stdout.contains(bad),
                "output contains {bad:?}\n{}",
                self.describe()
            );
        }
        self
    }

    /// Exit `code`, and stderr is `error: <one sentence>.` + `hint: ...` per failure (warnings
    /// aside), naming everything in `mentions`.
    pub fn assert_plain_error(&self, code: i32, mentions: &[&str]) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "wrong exit status\n{}",
            self.describe()
        );
        self.assert_no_dump();
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.starts_with("warning: "))
            .collect();
        assert!(
            !lines.is_empty() && lines.len().is_multiple_of(2),
            "stderr should be error + hint lines\n{}",
            self.describe()
        );
        for pair in lines.chunks(2) {
            assert!(
                pair[0].starts_with("error: ") && pair[0].ends_with('.'),
                "not a plain error sentence: {:?}\n{}",
                pair[0],
                self.describe()
            );
            assert!(
                pair[1].starts_with("hint: ") && pair[1].len() > "hint: ".len(),
                "no hint after the error: {:?}\n{}",
                pair[1],
                self.describe()
            );
        }
        for mention in mentions {
            assert!(
                self.stderr.contains(mention),
                "the error should name {mention:?}\n{}",
                self.describe()
            );
        }
        self
    }

    /// Exit 2 with clap's usage error, still without dumps.
    pub fn assert_usage_error(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(2),
            "expected a usage error\n{}",
            self.describe()
        );
        self.assert_no_dump();
        assert!(
            self.stderr.starts_with("error:"),
            "a usage error starts with `error:`\n{}",
            self.describe()
        );
        self
    }
}

/// What a snapshot records of one item. Links are recorded, never followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Dir {
        mode: u32,
        /// Left out (`None`) by loose snapshots.
        mtime: Option<(i64, u32)>,
    },
    File {
        mode: u32,
        mtime: (i64, u32),
        size: u64,
        sha256: String,
    },
    Symlink {
        target: PathBuf,
    },
    Special {
        mode: u32,
    },
}

pub type Tree = BTreeMap<String, Node>;

/// Everything below `root` (not `root` itself: a restore's staging folder is created and removed
/// inside it, which moves its own modification time and nothing else), folder times included.
pub fn snapshot(root: &Path) -> Tree {
    let mut tree = Tree::new();
    walk(root, root, true, &mut tree);
    tree
}

/// Like `snapshot` but without folder times: for areas that contain the destination itself.
pub fn snapshot_loose(root: &Path) -> Tree {
    let mut tree = Tree::new();
    walk(root, root, false, &mut tree);
    tree
}

fn walk(root: &Path, dir: &Path, dir_times: bool, tree: &mut Tree) {
    let Ok(listing) = fs::read_dir(dir) else {
        return;
    };
    for item in listing {
        let item = item.expect("list a folder");
        let path = item.path();
        let meta = fs::symlink_metadata(&path).expect("stat an item");
        let relative = path
            .strip_prefix(root)
            .expect("inside root")
            .to_string_lossy()
            .into_owned();
        let kind = meta.file_type();
        let node = if kind.is_symlink() {
            Node::Symlink {
                target: fs::read_link(&path).expect("read a link"),
            }
        } else if kind.is_dir() {
            Node::Dir {
                mode: mode_of(&meta),
                mtime: dir_times.then(|| mtime_of(&meta)),
            }
        } else if kind.is_file() {
            Node::File {
                mode: mode_of(&meta),
                mtime: mtime_of(&meta),
                size: meta.len(),
                sha256: sha256_file(&path),
            }
        } else {
            Node::Special {
                mode: mode_of(&meta),
            }
        };
        let recurse = kind.is_dir();
        tree.insert(relative, node);
        if recurse {
            walk(root, &path, dir_times, tree);
        }
    }
}

#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode()
}

#[cfg(not(unix))]
fn mode_of(meta: &fs::Metadata) -> u32 {
    meta.permissions().readonly() as u32
}

fn mtime_of(meta: &fs::Metadata) -> (i64, u32) {
    let t = filetime::FileTime::from_last_modification_time(meta);
    (t.unix_seconds(), t.nanoseconds())
}

pub fn sha256_file(path: &Path) -> String {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    sha256(&bytes)
}

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Fails with the exact differences between two snapshots.
pub fn assert_same_tree(before: &Tree, after: &Tree, what: &str) {
    if before == after {
        return;
    }
    let mut report = String::new();
    for (path, node) in before {
        match after.get(path) {
            None => report.push_str(&format!("  removed: {path} ({node:?})\n")),
            Some(now) if now != node => {
                report.push_str(&format!("  changed: {path}: {node:?} -> {now:?}\n"))
            }
            Some(_) => {}
        }
    }
    for (path, node) in after {
        if !before.contains_key(path) {
            report.push_str(&format!("  added:   {path} ({node:?})\n"));
        }
    }
    panic!("{what} changed:\n{report}");
}

/// Writes a file, creating its folders.
pub fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create folders");
    }
    fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Incompressible bytes from a fixed seed (xorshift64*), fast enough for many megabytes.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
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

/// Finished-looking archives in a backups folder (what a person would see).
pub fn visible_archives(dir: &Path) -> Vec<String> {
    names_in(dir)
        .into_iter()
        .filter(|n| n.ends_with(".tar.gz") && !n.starts_with('.'))
        .collect()
}

/// True when the effective user is root (who ignores file permissions).
pub fn is_root() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}

/// Panics loudly when a tool a test needs is not installed (CI installs it; a skip would hide
/// an untested guarantee).
pub fn require_tool(tool: &str, package_hint: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found,
        "`{tool}` is needed by this test and is not installed (install {package_hint})"
    );
}

/// A wrapper under which the CLI really meets "permission denied": as root, the child runs
/// without the capabilities that let root ignore file permissions (`setpriv` from util-linux);
/// as anyone else, plain permissions already apply.
pub fn without_permission_override() -> Vec<String> {
    if !is_root() {
        return Vec::new();
    }
    require_tool("setpriv", "util-linux");
    [
        "setpriv",
        "--inh-caps=-all",
        "--ambient-caps=-all",
        "--bounding-set=-dac_override,-dac_read_search",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Sets permission bits (unix only).
#[cfg(unix)]
pub fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}
