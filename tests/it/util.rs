//! Shared helpers for the integration tests. Each test file pulls them in with `mod util;`.
//!
//! - [`Workspace`]: a temporary folder holding `results/`, `backups/` and an isolated settings
//!   file; [`Workspace::locations`] for library calls, [`Workspace::cli`] to run the real binary.
//! - [`build_strategy`] / [`build_small_strategy`]: deterministic corpora (seeded PRNG, fixed
//!   mtimes) full of awkward cases: unicode and spaces, empty files and folders, long paths,
//!   symlinks, executable and read-only files, old times, `metrics.json`, some hundred KB of CSV.
//! - [`snapshot`] / [`assert_same_tree`]: record every path of a tree (kind, mode, mtime, size,
//!   SHA-256, link target) and compare two trees exactly, with a readable diff on failure.
//!
//! Not every test file uses every helper.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use filetime::FileTime;
use results_backup::Locations;
use sha2::{Digest, Sha256};

/// The CLI binary built by cargo for this package.
pub const BIN: &str = env!("CARGO_BIN_EXE_results-backup");

/// 2024-02-20 14:30:00 UTC: the base mtime of every corpus item (offsets are added per item).
pub const BASE_MTIME: i64 = 1_708_439_400;
/// 1990-01-01 00:00:00 UTC.
pub const MTIME_1990: i64 = 631_152_000;
/// 1969-12-31 00:00:00 UTC: negative, which ustar cannot hold (PAX record needed).
pub const MTIME_BEFORE_1970: i64 = -86_400;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------------------------

/// A tiny seeded PRNG (SplitMix64): the same seed always gives the same corpus.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `len` pseudo-random bytes (incompressible-ish content).
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// A realistic equity-curve CSV of at least `min_bytes` bytes, deterministic for `seed`.
pub fn csv_bytes(seed: u64, min_bytes: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = String::from("timestamp,open,high,low,close,volume,equity\n");
    let mut price: i64 = 4_200_000; // in 1/100 cents
    let mut equity: i64 = 100_000_000;
    let mut t = BASE_MTIME - 86_400 * 365;
    while out.len() < min_bytes {
        let step = rng.below(20_001) as i64 - 10_000;
        let open = price;
        price = (price + step).max(1000);
        let high = open.max(price) + rng.below(5_000) as i64;
        let low = open.min(price) - rng.below(5_000) as i64;
        equity += (rng.below(2_001) as i64 - 1_000) * 7;
        out.push_str(&format!(
            "{t},{}.{:04},{}.{:04},{}.{:04},{}.{:04},{},{}.{:02}\n",
            open / 10_000,
            open % 10_000,
            high / 10_000,
            high % 10_000,
            low / 10_000,
            low.rem_euclid(10_000),
            price / 10_000,
            price % 10_000,
            rng.below(1_000_000),
            equity / 100,
            equity % 100
        ));
        t += 60;
    }
    out.into_bytes()
}

// ---------------------------------------------------------------------------------------------
// File helpers
// ---------------------------------------------------------------------------------------------

/// Writes a file, creating its parent folders.
pub fn write_file(path: &Path, content: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
    }
    fs::write(path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

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
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex SHA-256 of a file's content.
pub fn sha256_file(path: &Path) -> String {
    sha256_hex(&fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
}

/// Names in a folder (sorted); empty when it does not exist.
pub fn list_dir(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `*.tar.gz` archive names in a backups folder (sorted).
pub fn archives_in(backups: &Path) -> Vec<String> {
    list_dir(backups)
        .into_iter()
        .filter(|n| n.ends_with(".tar.gz"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Corpora
// ---------------------------------------------------------------------------------------------

/// A folder name that pushes paths past 100 bytes (ustar's name limit).
pub const LONG_DIR: &str =
    "parameter_sweep_lookback_060_window_020_threshold_0.75_stop_loss_0.02_take_profit_0.05";
/// A single file name longer than 100 bytes (but under the 255-byte limit of most disks).
pub fn long_file_name() -> String {
    format!("{}_trades_ledger.csv", "very_long_name_segment_".repeat(5))
}
/// Relative path (inside the strategy) of the deep file whose full path exceeds 255 bytes.
pub fn deep_file_rel() -> String {
    let mut p = String::new();
    for i in 0..4 {
        p.push_str(&format!("deep_level_{i:02}_{}/", "x".repeat(40)));
    }
    p.push_str(&long_file_name());
    p
}

/// Relative paths (inside the strategy) the full corpus contains, for tests that name them.
pub mod paths {
    pub const EQUITY_CSV: &str = "run résumé/équity curve.csv";
    pub const CJK_FILE: &str = "回测结果/净值曲线.csv";
    pub const EMPTY_FILE: &str = "empty.txt";
    pub const EMPTY_DIR: &str = "empty folder";
    pub const NESTED_EMPTY_DIR: &str = "nested/empty/leaf";
    pub const METRICS: &str = "metrics.json";
    pub const SCRIPT: &str = "scripts/run backtest.sh";
    pub const READ_ONLY: &str = "locked.txt";
    pub const OLD_1990: &str = "archive/prices_1990.csv";
    pub const OLD_EPOCH: &str = "archive/epoch_plus_one.txt";
    pub const BEFORE_1970: &str = "archive/before 1970.txt";
    pub const FILE_LINK: &str = "latest.csv";
    pub const FILE_LINK_TARGET: &str = "run résumé/équity curve.csv";
    pub const DIR_LINK: &str = "current run";
    pub const DIR_LINK_TARGET: &str = "run résumé";
    pub const UP_LINK: &str = "reports/metrics link.json";
    pub const UP_LINK_TARGET: &str = "../metrics.json";
    pub const NOTES: &str = "notes.md";
}

/// The `metrics.json` content of the full corpus: scalar fields plus a nested object and an
/// array (which a summary should leave out).
pub const METRICS_JSON: &str = r#"{
  "sharpe": 1.87,
  "max_drawdown": -0.123,
  "trades": 412,
  "symbol": "BTC-USD",
  "final": true,
  "params": {"lookback": 60, "window": 20},
  "equity_tail": [1.0, 1.1, 1.2]
}
"#;

/// Builds `results/<name>/` with every awkward case (about 400 KB), deterministic for `seed`,
/// and returns the strategy folder. All mtimes are fixed, so two builds with the same seed
/// snapshot identically.
pub fn build_strategy(results: &Path, name: &str, seed: u64) -> PathBuf {
    use paths::*;
    let dir = results.join(name);
    fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng::new(seed);

    write_file(&dir.join(EQUITY_CSV), csv_bytes(seed, 300 * 1024));
    write_file(&dir.join(CJK_FILE), csv_bytes(seed ^ 0xC7C, 4 * 1024));
    write_file(&dir.join(EMPTY_FILE), b"");
    fs::create_dir_all(dir.join(EMPTY_DIR)).unwrap();
    fs::create_dir_all(dir.join(NESTED_EMPTY_DIR)).unwrap();
    write_file(&dir.join(METRICS), METRICS_JSON);
    write_file(
        &dir.join(NOTES),
        format!("# Run notes\n\nseed {seed}\nÜmlauts, ünïcödé and tabs\there.\n"),
    );
    // A binary blob: incompressible bytes.
    write_file(&dir.join("model/weights.bin"), rng.bytes(64 * 1024));
    // Paths over 100 bytes, and a >100-byte name in a deep folder (total > 255 bytes).
    write_file(
        &dir.join(LONG_DIR)
            .join("trades_by_month_and_instrument.csv"),
        csv_bytes(seed ^ 0x10, 2 * 1024),
    );
    write_file(&dir.join(deep_file_rel()), csv_bytes(seed ^ 0x20, 1024));
    // Executable script and read-only file.
    write_file(&dir.join(SCRIPT), "#!/bin/sh\necho \"running backtest\"\n");
    write_file(&dir.join(READ_ONLY), "do not edit\n");
    // Old times.
    write_file(&dir.join(OLD_1990), csv_bytes(seed ^ 0x1990, 1024));
    write_file(&dir.join(OLD_EPOCH), "one second after the epoch\n");
    write_file(&dir.join(BEFORE_1970), "a day before the epoch\n");
    // Links: to a file, to a folder, and `../` from a subfolder.
    symlink(FILE_LINK_TARGET, dir.join(FILE_LINK)).unwrap();
    symlink(DIR_LINK_TARGET, dir.join(DIR_LINK)).unwrap();
    fs::create_dir_all(dir.join("reports")).unwrap();
    write_file(&dir.join("reports/summary.txt"), "see metrics\n");
    symlink(UP_LINK_TARGET, dir.join(UP_LINK)).unwrap();

    fix_modes(&dir);
    set_mode(&dir.join(SCRIPT), 0o755);
    fix_times(&dir);
    set_mtime(&dir.join(OLD_1990), MTIME_1990);
    set_mtime(&dir.join(OLD_EPOCH), 1);
    set_mtime(&dir.join(BEFORE_1970), MTIME_BEFORE_1970);
    // Read-only last, once its time is set.
    set_mode(&dir.join(READ_ONLY), 0o444);
    dir
}

/// Builds `results/<name>/` with a handful of small plain files, a subfolder and a link:
/// quick to back up, for tests that only need "a strategy".
pub fn build_small_strategy(results: &Path, name: &str, seed: u64) -> PathBuf {
    let dir = results.join(name);
    fs::create_dir_all(&dir).unwrap();
    write_file(&dir.join("equity.csv"), csv_bytes(seed, 8 * 1024));
    write_file(
        &dir.join("metrics.json"),
        format!("{{\"sharpe\": 1.{seed}, \"trades\": {}}}\n", 100 + seed),
    );
    write_file(&dir.join("sub/trades.csv"), csv_bytes(seed ^ 1, 2 * 1024));
    symlink("equity.csv", dir.join("latest.csv")).unwrap();
    fix_modes(&dir);
    fix_times(&dir);
    dir
}

/// Sets every file under `dir` to 0644 and every folder (and `dir`) to 0755, whatever the umask.
pub fn fix_modes(dir: &Path) {
    let mut all = Vec::new();
    collect_paths(dir, &mut all);
    for path in all {
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            set_mode(&path, 0o755);
        } else if meta.is_file() {
            set_mode(&path, 0o644);
        }
    }
}

/// Gives every item under `dir` (and `dir` itself) a fixed, distinct mtime derived from its
/// sorted position, children before parents so folder times stick.
pub fn fix_times(dir: &Path) {
    let mut all = Vec::new();
    collect_paths(dir, &mut all);
    all.sort();
    for (i, path) in all.iter().enumerate().rev() {
        set_mtime(path, BASE_MTIME + i as i64 * 61);
    }
}

fn collect_paths(path: &Path, out: &mut Vec<PathBuf>) {
    out.push(path.to_path_buf());
    let meta = fs::symlink_metadata(path).unwrap();
    if meta.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            collect_paths(&entry.unwrap().path(), out);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tree snapshots
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    Other,
}

/// What a snapshot records for one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    /// Permission bits only (`& 0o7777`); 0 for links (their bits mean nothing on Linux).
    pub mode: u32,
    /// Seconds; for links, the link's own time.
    pub mtime: i64,
    /// Content bytes for files, 0 otherwise.
    pub size: u64,
    pub sha256: Option<String>,
    pub link_target: Option<String>,
}

/// Every path under `root` (relative, `/`-separated; the root itself is `"."`), links not
/// followed.
pub type Snapshot = BTreeMap<String, Node>;

pub fn snapshot(root: &Path) -> Snapshot {
    let mut all = Vec::new();
    collect_paths(root, &mut all);
    all.into_iter()
        .map(|path| {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let rel = if rel.is_empty() { ".".to_string() } else { rel };
            let meta = fs::symlink_metadata(&path).unwrap();
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
            let node = Node {
                kind,
                mode: if kind == Kind::Symlink {
                    0
                } else {
                    meta.permissions().mode() & 0o7777
                },
                mtime: FileTime::from_last_modification_time(&meta).unix_seconds(),
                size: if kind == Kind::File { meta.len() } else { 0 },
                sha256: (kind == Kind::File).then(|| sha256_file(&path)),
                link_target: (kind == Kind::Symlink)
                    .then(|| fs::read_link(&path).unwrap().to_string_lossy().into_owned()),
            };
            (rel, node)
        })
        .collect()
}

/// Panics with a per-path diff when the two snapshots differ in anything.
pub fn assert_same_snapshot(expected: &Snapshot, actual: &Snapshot) {
    let mut diffs = Vec::new();
    for (path, e) in expected {
        match actual.get(path) {
            None => diffs.push(format!("missing: {path}")),
            Some(a) if a != e => diffs.push(format!(
                "differs: {path}\n  expected {}\n  actual   {}",
                describe(e),
                describe(a)
            )),
            _ => {}
        }
    }
    for path in actual.keys().filter(|p| !expected.contains_key(*p)) {
        diffs.push(format!("unexpected: {path}"));
    }
    assert!(diffs.is_empty(), "trees differ:\n{}", diffs.join("\n"));
}

fn describe(n: &Node) -> String {
    format!(
        "{:?} mode {:o} mtime {} size {} sha256 {} target {}",
        n.kind,
        n.mode,
        n.mtime,
        n.size,
        n.sha256.as_deref().unwrap_or("-"),
        n.link_target.as_deref().unwrap_or("-")
    )
}

/// Snapshots both trees and asserts they are identical.
pub fn assert_same_tree(expected: &Path, actual: &Path) {
    assert_same_snapshot(&snapshot(expected), &snapshot(actual));
}

// ---------------------------------------------------------------------------------------------
// Workspace and CLI
// ---------------------------------------------------------------------------------------------

/// A temporary folder with `results/` (created, empty), `backups/` (not created) and an
/// isolated `settings.json` that points the CLI at both. Dropped = deleted.
pub struct Workspace {
    pub temp: tempfile::TempDir,
    /// The temporary folder itself; also the CLI's working directory.
    pub root: PathBuf,
    pub results: PathBuf,
    pub backups: PathBuf,
    /// Passed to the CLI as `RESULTS_BACKUP_SETTINGS`.
    pub settings: PathBuf,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Workspace {
    pub fn new() -> Self {
        let temp = tempfile::Builder::new()
            .prefix("rb-test-")
            .tempdir()
            .expect("temp dir");
        let root = temp.path().to_path_buf();
        let results = root.join("results");
        let backups = root.join("backups");
        let settings = root.join("settings.json");
        fs::create_dir_all(&results).unwrap();
        let doc = serde_json::json!({
            "format_version": 1,
            "results_dir": results,
            "backups_dir": backups,
        });
        fs::write(&settings, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        Workspace {
            temp,
            root,
            results,
            backups,
            settings,
        }
    }

    /// The library's view of this workspace (default compression level).
    pub fn locations(&self) -> Locations {
        Locations::new(&self.results, &self.backups)
    }

    /// A fresh folder `<root>/<name>` (e.g. a restore destination), created.
    pub fn dir(&self, name: &str) -> PathBuf {
        let d = self.root.join(name);
        fs::create_dir_all(&d).unwrap();
        d
    }

    /// The CLI as a `Command`, ready to spawn: isolated settings file, no location variables
    /// from the parent's environment, working directory = workspace root. Add `--results` /
    /// `--backups` yourself to override the settings file.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(&self.root)
            .env("RESULTS_BACKUP_SETTINGS", &self.settings)
            .env_remove("RESULTS_BACKUP_RESULTS")
            .env_remove("RESULTS_BACKUP_BACKUPS")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs the CLI to completion and captures its output.
    pub fn cli<I, S>(&self, args: I) -> CliRun
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let output = self.command(args).output().expect("run results-backup");
        CliRun::from(output)
    }

    /// Backs up one strategy through the library with default options; returns the archive's
    /// file name.
    pub fn backup_lib(&self, strategy: &str) -> String {
        let outcome = results_backup::back_up(
            &self.locations(),
            strategy,
            &results_backup::BackupOptions {
                level: 6,
                if_changed: false,
            },
            &results_backup::NoProgress,
            &results_backup::CancelToken::new(),
        )
        .unwrap_or_else(|e| panic!("backup of {strategy} failed: {e}"));
        outcome.backup.expect("a catalog entry").backup_file.into()
    }

    /// Backs up one strategy through the CLI (`backup <strategy> --json`), asserting success;
    /// returns the archive's file name.
    pub fn backup_cli(&self, strategy: &str) -> String {
        let run = self.cli(["backup", strategy, "--json"]).success();
        let json = run.json();
        find_backup_file(&json).unwrap_or_else(|| panic!("no backup_file in {json}"))
    }
}

/// Finds the first `"backup_file"` string anywhere in a JSON document.
pub fn find_backup_file(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(s)) = map.get("backup_file") {
                return Some(s.clone());
            }
            map.values().find_map(find_backup_file)
        }
        serde_json::Value::Array(items) => items.iter().find_map(find_backup_file),
        _ => None,
    }
}

/// A finished CLI run.
#[derive(Debug)]
pub struct CliRun {
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for CliRun {
    fn from(o: std::process::Output) -> Self {
        CliRun {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl CliRun {
    /// Asserts exit code 0 and returns self.
    pub fn success(self) -> Self {
        self.code(0)
    }

    /// Asserts the exit code and returns self; the failure message shows both output streams.
    pub fn code(self, expected: i32) -> Self {
        assert_eq!(
            self.code, expected,
            "expected exit {expected}, got {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// Parses stdout as exactly one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\n--- stderr\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs an external tool; panics loudly (with install advice) when it is missing.
pub fn tool(program: &str) -> Command {
    let probe = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if probe.is_err() {
        panic!("`{program}` is required by this test but was not found on PATH; install it");
    }
    Command::new(program)
}

/// Runs a command to completion, asserting success; returns stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Reading archives independently of the library
// ---------------------------------------------------------------------------------------------

/// One member of a `.tar.gz`, as read by the `tar` crate (PAX names resolved).
#[derive(Clone, Debug)]
pub struct Member {
    pub path: String,
    pub entry_type: tar::EntryType,
    pub size: u64,
    pub mode: u32,
    pub mtime: u64,
    pub link_target: Option<String>,
    pub content: Vec<u8>,
}

/// Every member of a gzip-compressed tar, in order, content included (multi-member gzip
/// streams are read to the end).
pub fn archive_members(path: &Path) -> Vec<Member> {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut archive = tar::Archive::new(flate2::read::MultiGzDecoder::new(file));
    let mut out = Vec::new();
    for entry in archive.entries().expect("tar entries") {
        let mut entry = entry.expect("tar entry");
        let header = entry.header().clone();
        let path = entry
            .path()
            .expect("member path")
            .to_string_lossy()
            .into_owned();
        let link_target = entry
            .link_name()
            .expect("link name")
            .map(|l| l.to_string_lossy().into_owned());
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).expect("member content");
        out.push(Member {
            path,
            entry_type: header.entry_type(),
            size: header.size().unwrap_or(0),
            mode: header.mode().unwrap_or(0),
            mtime: header.mtime().unwrap_or(0),
            link_target,
            content,
        });
    }
    out
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
