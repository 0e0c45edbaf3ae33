//! Deterministic test data: one seeded generator ([`Rng`]), the bytes made from it ([`noise`],
//! [`csv_bytes`]), and strategy folders full of awkward cases ([`build_strategy`]) or just
//! plain ([`build_small_strategy`]). The same seed always gives the same bytes and, since every
//! time and mode is fixed, the same snapshot.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use crate::files::{all_paths, set_mode, set_mtime, write_file};

/// 2024-02-20 14:30:00 UTC: the base mtime of every corpus item (offsets are added per item).
pub const BASE_MTIME: i64 = 1_708_439_400;
/// 1990-01-01 00:00:00 UTC.
pub const MTIME_1990: i64 = 631_152_000;
/// 1969-12-31 00:00:00 UTC: negative, which ustar cannot hold (PAX record needed).
pub const MTIME_BEFORE_1970: i64 = -86_400;

/// A tiny seeded PRNG (SplitMix64): the same seed always gives the same stream.
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

    /// `len` pseudo-random bytes (incompressible content).
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// `len` incompressible bytes from `seed`, fast enough for many megabytes.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    Rng::new(seed).bytes(len)
}

/// Writes [`noise`]`(len, seed)` to `path` (creating its folders) a block at a time, for files
/// too big to hold in memory.
pub fn write_noise(path: &Path, len: u64, seed: u64) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
    }
    let file = fs::File::create(path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    let mut out = std::io::BufWriter::new(file);
    let mut rng = Rng::new(seed);
    let mut block = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        for chunk in block[..n].chunks_mut(8) {
            let word = rng.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        std::io::Write::write_all(&mut out, &block[..n])
            .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        left -= n as u64;
    }
    std::io::Write::flush(&mut out).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
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
/// and returns the strategy folder: unicode and spaces, empty files and folders, paths past 100
/// and 255 bytes, links (to a file, to a folder, `../`), executable and read-only files, times in
/// 1990, at the epoch and before it, `metrics.json`, some hundred KB of CSV, an incompressible
/// blob. All mtimes are fixed, so two builds with the same seed snapshot identically.
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

/// Builds `results/<name>/` with a handful of small plain files (`equity.csv`, `metrics.json`,
/// `sub/trades.csv`) and a link (`latest.csv`): quick to back up, for tests that only need "a
/// strategy".
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
    for path in all_paths(dir) {
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
    let mut all = all_paths(dir);
    all.sort();
    for (i, path) in all.iter().enumerate().rev() {
        set_mtime(path, BASE_MTIME + i as i64 * 61);
    }
}

/// Backs one strategy up through the core library (as the CLI would, at compression `level`)
/// and returns the archive's file name.
pub fn back_up_with_core(results: &Path, backups: &Path, strategy: &str, level: u32) -> String {
    let locations = results_backup::Locations {
        results: results.to_path_buf(),
        backups: backups.to_path_buf(),
        level,
        remote: None,
    };
    let outcome = results_backup::back_up(
        &locations,
        strategy,
        &results_backup::BackupOptions {
            level,
            if_changed: false,
        },
        &results_backup::NoProgress,
        &results_backup::CancelToken::new(),
    )
    .unwrap_or_else(|e| panic!("backup of {strategy} failed: {e}"));
    outcome.backup.expect("a catalog entry").backup_file.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{assert_same_tree, snapshot};

    #[test]
    fn the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes() {
        assert_eq!(noise(1000, 7), noise(1000, 7));
        assert_ne!(noise(1000, 7), noise(1000, 8));
        assert_eq!(noise(13, 7).len(), 13);
        assert_eq!(csv_bytes(3, 4096), csv_bytes(3, 4096));
        assert!(csv_bytes(3, 4096).len() >= 4096);
    }

    #[test]
    fn written_noise_is_the_same_noise_whatever_its_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/noise.bin");
        for len in [0, 5, 8, 1 << 20, (1 << 20) + 3] {
            write_noise(&path, len as u64, 11);
            assert_eq!(fs::read(&path).unwrap(), noise(len, 11), "{len} bytes");
        }
    }

    #[test]
    fn a_strategy_built_twice_from_one_seed_snapshots_identically() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let one = build_strategy(a.path(), "s", 5);
        let two = build_strategy(b.path(), "s", 5);
        assert_same_tree(&snapshot(&one), &snapshot(&two), "a rebuilt corpus");
        let one = build_small_strategy(a.path(), "small", 5);
        let two = build_small_strategy(b.path(), "small", 5);
        assert_same_tree(&snapshot(&one), &snapshot(&two), "a rebuilt small corpus");
    }
}
