//! Command-line options. Hand-parsed: five flags do not justify a parser crate.

use std::path::{Path, PathBuf};

pub const USAGE: &str = "\
Usage: results-backup-bench [--size SIZE] [--work DIR] [--bin PATH] [--keep] [--watch-idle]
                            [--random-access-only]

  --size SIZE  corpus size, e.g. 30M, 1G (binary units; default 1G)
  --work DIR   working directory for corpus, outputs and logs
               (default: <workspace>/bench-data)
  --bin PATH   results-backup binary to measure
               (default: <workspace>/target/release/results-backup)
  --keep       keep archives and restored trees after the run
  --random-access-only  only the random-access rows (restore one file vs
               the full restore of one archive of the whole corpus)
  --watch-idle instead of the speed rows: the memory and idle CPU of
               `watch --on-change` on a results tree of 100,000 files
  -h, --help   show this help";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub size: u64,
    pub work_dir: PathBuf,
    pub bin: PathBuf,
    pub keep: bool,
    pub watch_idle: bool,
    pub random_access_only: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ParseOutcome {
    Run(Options),
    Help,
}

/// Parses arguments (without the program name). `workspace` supplies the
/// defaults for `--work` and `--bin`.
pub fn parse(args: &[String], workspace: &Path) -> Result<ParseOutcome, String> {
    let mut options = Options {
        size: 1 << 30,
        work_dir: workspace.join("bench-data"),
        bin: workspace.join("target/release/results-backup"),
        keep: false,
        watch_idle: false,
        random_access_only: false,
    };
    let mut remaining = args.iter();
    while let Some(arg) = remaining.next() {
        // Accept both `--size 1G` and `--size=1G`.
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline_value
                .clone()
                .or_else(|| remaining.next().cloned())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag {
            "--size" => options.size = parse_size(&value()?)?,
            "--work" => options.work_dir = PathBuf::from(value()?),
            "--bin" => options.bin = PathBuf::from(value()?),
            "--keep" => options.keep = true,
            "--watch-idle" => options.watch_idle = true,
            "--random-access-only" => options.random_access_only = true,
            "-h" | "--help" => return Ok(ParseOutcome::Help),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(ParseOutcome::Run(options))
}

/// Parses `123`, `64K`, `30M`, `1G` (also `30MB`, `30MiB`); units are binary.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let upper = text.trim().to_ascii_uppercase();
    let without_b = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (digits, multiplier) = match without_b.chars().last() {
        Some('K') => (&without_b[..without_b.len() - 1], 1u64 << 10),
        Some('M') => (&without_b[..without_b.len() - 1], 1 << 20),
        Some('G') => (&without_b[..without_b.len() - 1], 1 << 30),
        _ => (without_b, 1),
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("invalid size {text:?} (examples: 30M, 1G)"))?;
    let size = number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("size {text:?} is too large"))?;
    if size < (1 << 20) {
        return Err(format!("size {text:?} is too small (minimum 1M)"));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sizes_accept_suffixes() {
        assert_eq!(parse_size("30M"), Ok(30 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("2048K"), Ok(2 << 20));
        assert_eq!(parse_size("5MiB"), Ok(5 << 20));
        assert_eq!(parse_size("3MB"), Ok(3 << 20));
        assert_eq!(parse_size("2097152"), Ok(2 << 20));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("10K").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn defaults_come_from_the_workspace() {
        let outcome = parse(&[], Path::new("/ws")).expect("parse");
        let ParseOutcome::Run(options) = outcome else {
            panic!("expected Run");
        };
        assert_eq!(options.size, 1 << 30);
        assert_eq!(options.work_dir, PathBuf::from("/ws/bench-data"));
        assert_eq!(
            options.bin,
            PathBuf::from("/ws/target/release/results-backup")
        );
        assert!(!options.keep);
    }

    #[test]
    fn flags_override_defaults() {
        let args = strings(&["--size=30M", "--work", "/tmp/w", "--bin", "/x/rb", "--keep"]);
        let ParseOutcome::Run(options) = parse(&args, Path::new("/ws")).expect("parse") else {
            panic!("expected Run");
        };
        assert_eq!(options.size, 30 << 20);
        assert_eq!(options.work_dir, PathBuf::from("/tmp/w"));
        assert_eq!(options.bin, PathBuf::from("/x/rb"));
        assert!(options.keep);
    }

    #[test]
    fn bad_arguments_are_reported() {
        assert!(parse(&strings(&["--size"]), Path::new("/ws")).is_err());
        assert!(parse(&strings(&["--frobnicate"]), Path::new("/ws")).is_err());
        assert_eq!(
            parse(&strings(&["--help"]), Path::new("/ws")),
            Ok(ParseOutcome::Help)
        );
    }
}
