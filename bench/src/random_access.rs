//! Random access: restoring one ~1 MB file from one archive of the whole corpus (about
//! `--size` bytes before compression) with `restore --only`, against the full restore of the
//! same archive, in the same run. Target: under 2% of the full restore's time.
//!
//! The corpus's strategies become one strategy folder of hard links (no bytes copied; a copy
//! where hard links are refused), backed up once. The file restored is the last one of about
//! 1 MB in the archive's order: the worst case for a sequential read, which would inflate
//! nearly the whole archive before reaching it.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::corpus::Corpus;
use crate::error::{BenchError, Context, Result};
use crate::measure::{shell_quote, shell_quote_path, Outcome, Runner};

/// The strategy folder that holds the whole corpus.
const STRATEGY: &str = "whole_corpus";
/// The target: restoring one file takes less than this share of the full restore.
const TARGET_FRACTION: f64 = 0.02;

pub struct RandomAccess {
    pub archive_bytes: u64,
    /// The member restored, its size, and its position among the archive's entries (0..1).
    pub member: String,
    pub member_bytes: u64,
    pub member_position: f64,
    pub full: Outcome,
    pub one_file: Outcome,
}

impl RandomAccess {
    pub fn failed(&self) -> bool {
        matches!(self.full, Outcome::Failed(_)) || matches!(self.one_file, Outcome::Failed(_))
    }
}

pub fn run(runner: &Runner, corpus: &Corpus, bin: &Path, work_dir: &Path) -> Result<RandomAccess> {
    let root = work_dir.join("random-access");
    if root.exists() {
        fs::remove_dir_all(&root).context(|| format!("removing {}", root.display()))?;
    }
    let results = root.join("results");
    let backups = root.join("backups");
    println!("random access: linking the corpus into one strategy folder ...");
    link_tree(&corpus.results_dir, &results.join(STRATEGY))?;

    println!("random access: backing it up as one archive ...");
    let backup = runner.run(
        "random-access-backup",
        &format!(
            "{} --results {} --backups {} backup {STRATEGY} --level 6",
            shell_quote_path(bin)?,
            shell_quote_path(&results)?,
            shell_quote_path(&backups)?,
        ),
    )?;
    if let Outcome::Failed(reason) = backup {
        return Err(BenchError::new(format!(
            "backing up the whole corpus failed: {reason}"
        )));
    }
    let archive = only_archive(&backups)?;
    let archive_bytes = fs::metadata(backups.join(&archive))
        .context(|| format!("inspecting {archive}"))?
        .len();
    let (member, member_bytes, member_position) = pick_member(bin, &backups, &archive)?;
    println!("random access: {member} ({member_bytes} bytes)");

    let full_target = root.join("full");
    fs::create_dir_all(&full_target).context(|| format!("creating {}", full_target.display()))?;
    println!("running restore / whole archive ...");
    let full = runner.run(
        "random-access-full",
        &format!(
            "{} --backups {} restore {} --to {}",
            shell_quote_path(bin)?,
            shell_quote_path(&backups)?,
            shell_quote(&archive),
            shell_quote_path(&full_target)?,
        ),
    )?;
    report(&full);
    let _ = fs::remove_dir_all(&full_target);

    let one_target = root.join("one");
    fs::create_dir_all(&one_target).context(|| format!("creating {}", one_target.display()))?;
    println!("running restore one file (--only) ...");
    let mut one_file = runner.run(
        "random-access-one-file",
        &format!(
            "{} --backups {} restore {} --only {} --to {}",
            shell_quote_path(bin)?,
            shell_quote_path(&backups)?,
            shell_quote(&archive),
            shell_quote(&member),
            shell_quote_path(&one_target)?,
        ),
    )?;
    // A fast restore that wrote the wrong thing must not look like a win.
    if matches!(one_file, Outcome::Measured(_)) {
        let restored = one_target.join(STRATEGY).join(&member);
        let size = fs::metadata(&restored).map(|m| m.len()).ok();
        if size != Some(member_bytes) {
            one_file = Outcome::Failed(format!(
                "{} has {size:?} bytes, expected {member_bytes}",
                restored.display()
            ));
        }
    }
    report(&one_file);
    let _ = fs::remove_dir_all(&root);
    Ok(RandomAccess {
        archive_bytes,
        member,
        member_bytes,
        member_position,
        full,
        one_file,
    })
}

fn report(outcome: &Outcome) {
    match outcome {
        Outcome::Measured(m) => println!("  {:.3} s", m.wall_secs),
        Outcome::Failed(reason) => println!("  FAILED: {reason}"),
        Outcome::Skipped(reason) => println!("  skipped: {reason}"),
    }
}

/// The Markdown section: both rows, the fraction, and the target's verdict.
pub fn render(result: &RandomAccess) -> String {
    let wall = |o: &Outcome| o.measurement().map(|m| m.wall_secs);
    let cell = |o: &Outcome| match o {
        Outcome::Measured(m) => format!("{:.3}", m.wall_secs),
        Outcome::Failed(_) => "FAILED".to_string(),
        Outcome::Skipped(_) => "skipped".to_string(),
    };
    let fraction = match (wall(&result.one_file), wall(&result.full)) {
        (Some(one), Some(full)) if full > 0.0 => Some(one / full),
        _ => None,
    };
    let mut text = String::new();
    text.push_str("## Random access (one archive of the whole corpus)\n\n");
    text.push_str(&format!(
        "One archive of {:.1} MB; the file restored is `{}` ({:.2} MB), entry {:.0}% of the way \
         through the archive.\n\n",
        result.archive_bytes as f64 / 1e6,
        result.member,
        result.member_bytes as f64 / 1e6,
        result.member_position * 100.0
    ));
    text.push_str("| row | wall s | vs full restore |\n|---|---:|---:|\n");
    text.push_str(&format!(
        "| restore / whole archive | {} | 1.000 |\n",
        cell(&result.full)
    ));
    text.push_str(&format!(
        "| restore one file (`--only`) | {} | {} |\n\n",
        cell(&result.one_file),
        fraction.map_or("-".to_string(), |f| format!("{:.2}%", f * 100.0))
    ));
    let verdict = match fraction {
        Some(f) if f < TARGET_FRACTION => format!("met ({:.2}%)", f * 100.0),
        Some(f) => format!("NOT met ({:.2}%)", f * 100.0),
        None => "n/a".to_string(),
    };
    text.push_str(&format!(
        "Target: restoring one ~1 MB file takes < {:.0}% of the full restore: {verdict}\n",
        TARGET_FRACTION * 100.0
    ));
    text
}

/// Mirrors `from` into `to` with hard links (a copy where a link is refused).
fn link_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).context(|| format!("creating {}", to.display()))?;
    for entry in fs::read_dir(from).context(|| format!("listing {}", from.display()))? {
        let entry = entry.context(|| format!("listing {}", from.display()))?;
        let source = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry
            .file_type()
            .context(|| format!("inspecting {}", source.display()))?;
        if kind.is_dir() {
            link_tree(&source, &target)?;
        } else if kind.is_file() && fs::hard_link(&source, &target).is_err() {
            fs::copy(&source, &target).context(|| format!("copying {}", source.display()))?;
        }
    }
    Ok(())
}

fn only_archive(backups: &Path) -> Result<String> {
    let mut names: Vec<String> = fs::read_dir(backups)
        .context(|| format!("listing {}", backups.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tar.gz"))
        .collect();
    match (names.pop(), names.is_empty()) {
        (Some(name), true) => Ok(name),
        _ => Err(BenchError::new(format!(
            "expected one archive in {}",
            backups.display()
        ))),
    }
}

/// The last file of 0.5 to 2 MiB in the archive's order (from `show --json`), as a path inside
/// the strategy folder; else the file closest to 1 MB in the archive's second half.
fn pick_member(bin: &Path, backups: &Path, archive: &str) -> Result<(String, u64, f64)> {
    let output = Command::new(bin)
        .arg("--backups")
        .arg(backups)
        .args(["--json", "show", archive])
        .output()
        .context(|| "running show --json".to_string())?;
    if !output.status.success() {
        return Err(BenchError::new("show --json failed".to_string()));
    }
    let entries = file_entries(&String::from_utf8_lossy(&output.stdout));
    let count = entries.len().max(1) as f64;
    let in_range = |size: u64| (512 * 1024..=2 * 1024 * 1024).contains(&size);
    let chosen = entries
        .iter()
        .enumerate()
        .rev()
        .find(|(_, (_, size))| in_range(*size))
        .or_else(|| {
            entries
                .iter()
                .enumerate()
                .skip(entries.len() / 2)
                .min_by_key(|(_, (_, size))| size.abs_diff(1_000_000))
        });
    let Some((position, (path, size))) = chosen else {
        return Err(BenchError::new("the archive holds no file".to_string()));
    };
    let inside = path
        .strip_prefix(&format!("{STRATEGY}/"))
        .unwrap_or(path)
        .to_string();
    Ok((inside, *size, position as f64 / count))
}

/// `(path, size)` of each file entry in the pretty-printed manifest `show --json` prints, in
/// order. A line-based reading of our own output: std only, and the fields we need are
/// one per line.
fn file_entries(json: &str) -> Vec<(String, u64)> {
    let mut entries = Vec::new();
    let mut path: Option<String> = None;
    let mut kind: Option<String> = None;
    let mut size: Option<u64> = None;
    let value = |line: &str| {
        line.split_once(':')
            .map(|(_, v)| v.trim().trim_end_matches(',').trim_matches('"').to_string())
    };
    for line in json.lines().map(str::trim) {
        if line.starts_with("\"path\":") {
            path = value(line);
        } else if line.starts_with("\"kind\":") {
            kind = value(line);
        } else if line.starts_with("\"size\":") {
            size = value(line).and_then(|v| v.parse().ok());
        } else if line.starts_with('}') {
            if let (Some(p), Some("file"), Some(s)) =
                (path.take(), kind.take().as_deref(), size.take())
            {
                entries.push((p, s));
            }
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_entries_are_read_in_order_from_pretty_json() {
        let json = r#"{
  "entries": [
    {
      "path": "s",
      "kind": "dir",
      "size": 0,
      "mode": 493
    },
    {
      "path": "s/a.csv",
      "kind": "file",
      "size": 1048576,
      "sha256": "ab"
    },
    {
      "kind": "file",
      "path": "s/b.csv",
      "size": 3
    }
  ],
  "totals": {
    "files": 2
  }
}"#;
        assert_eq!(
            file_entries(json),
            vec![("s/a.csv".to_string(), 1048576), ("s/b.csv".to_string(), 3)]
        );
    }
}
