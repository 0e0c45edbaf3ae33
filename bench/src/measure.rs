//! Runs one shell script under GNU `time` and records wall time and peak RSS.
//!
//! Why `/usr/bin/time` rather than our own `wait4`: it keeps the crate std-only
//! (no `libc`), and it reports the rusage of `sh -c` *including the children
//! it reaped*, so loops and pipelines are covered. Note the kernel's semantics:
//! "max RSS" is the largest single process of the script, not the sum of
//! processes that ran concurrently in a pipeline.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::error::{BenchError, Context, Result};

pub const GNU_TIME: &str = "/usr/bin/time";

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    pub wall_secs: f64,
    pub peak_rss_bytes: u64,
    /// User plus system CPU time of the command and the children it waited for.
    pub cpu_secs: f64,
}

/// What happened to one benchmark row.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Measured(Measurement),
    /// The command ran and failed (or produced wrong output).
    Failed(String),
    /// The command was not run, e.g. a tool is missing.
    Skipped(String),
}

impl Outcome {
    pub fn measurement(&self) -> Option<Measurement> {
        match self {
            Outcome::Measured(m) => Some(*m),
            _ => None,
        }
    }
}

/// Runs scripts with their stdout/stderr captured into one log per row.
pub struct Runner {
    log_dir: PathBuf,
}

impl Runner {
    pub fn new(log_dir: &Path) -> Result<Self> {
        if !Path::new(GNU_TIME).is_file() {
            return Err(BenchError::new(format!(
                "{GNU_TIME} not found; install GNU time (Debian/Ubuntu: apt-get install time)"
            )));
        }
        fs::create_dir_all(log_dir).context(|| format!("creating {}", log_dir.display()))?;
        Ok(Self {
            log_dir: log_dir.to_path_buf(),
        })
    }

    pub fn log_path(&self, slug: &str) -> PathBuf {
        self.log_dir.join(format!("{slug}.log"))
    }

    /// Runs `script` with `sh -c`. A non-zero exit becomes `Outcome::Failed`
    /// (with the log's tail printed), never an `Err`: one failing row must not
    /// abort the whole benchmark.
    pub fn run(&self, slug: &str, script: &str) -> Result<Outcome> {
        let log_path = self.log_path(slug);
        let time_path = self.log_dir.join(format!("{slug}.time"));
        let mut log =
            File::create(&log_path).context(|| format!("creating {}", log_path.display()))?;
        writeln!(log, "# script run with sh -c:\n{script}\n# output:")
            .context(|| format!("writing {}", log_path.display()))?;
        let log_for_stderr = log
            .try_clone()
            .context(|| format!("duplicating handle of {}", log_path.display()))?;

        let started = Instant::now();
        let status = Command::new(GNU_TIME)
            .args(["-f", "%e %M %U %S", "-o"])
            .arg(&time_path)
            .args(["sh", "-c", script])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_for_stderr)
            .status()
            .context(|| format!("starting {GNU_TIME} for {slug}"))?;
        // Our own clock: finer than time's 10 ms `%e`, and the extra fork/exec
        // of `time` itself costs well under a millisecond.
        let wall_secs = started.elapsed().as_secs_f64();

        if !status.success() {
            let reason = match status.code() {
                Some(code) => format!("exit code {code}"),
                None => "killed by a signal".to_string(),
            };
            print_log_tail(&log_path);
            return Ok(Outcome::Failed(format!(
                "{reason}; log: {}",
                log_path.display()
            )));
        }
        let usage = read_usage(&time_path)?;
        Ok(Outcome::Measured(Measurement {
            wall_secs,
            peak_rss_bytes: usage.peak_rss_kib * 1024,
            cpu_secs: usage.cpu_secs,
        }))
    }
}

/// What GNU time reports besides the wall time.
#[derive(Debug, PartialEq)]
struct Usage {
    peak_rss_kib: u64,
    cpu_secs: f64,
}

fn read_usage(time_path: &Path) -> Result<Usage> {
    let text =
        fs::read_to_string(time_path).context(|| format!("reading {}", time_path.display()))?;
    parse_time_output(&text).ok_or_else(|| {
        BenchError::new(format!(
            "unexpected GNU time output in {}: {text:?}",
            time_path.display()
        ))
    })
}

/// GNU time writes `%e %M %U %S` as the last line (after a "Command exited..."
/// line on failure); `%M` is in KiB.
fn parse_time_output(text: &str) -> Option<Usage> {
    let last_line = text.lines().rev().find(|line| !line.trim().is_empty())?;
    let mut fields = last_line.split_whitespace();
    let _elapsed = fields.next()?;
    let peak_rss_kib = fields.next()?.parse().ok()?;
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some(Usage {
        peak_rss_kib,
        cpu_secs: user + system,
    })
}

fn print_log_tail(log_path: &Path) {
    const TAIL_LINES: usize = 20;
    eprintln!("---- last lines of {} ----", log_path.display());
    match fs::read_to_string(log_path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            for line in &lines[lines.len().saturating_sub(TAIL_LINES)..] {
                eprintln!("{line}");
            }
        }
        Err(error) => eprintln!("(could not read log: {error})"),
    }
    eprintln!("----");
}

/// Quotes a string for a POSIX shell: everything inside single quotes is
/// literal, and an embedded quote becomes `'\''`.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Like [`shell_quote`] for paths; non-UTF-8 paths are refused rather than
/// mangled, since a mangled path would point at the wrong file.
pub fn shell_quote_path(path: &Path) -> Result<String> {
    path.to_str()
        .map(shell_quote)
        .ok_or_else(|| BenchError::new(format!("path is not UTF-8: {}", path.display())))
}

/// Whether an executable named `name` is on `PATH`.
pub fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_time_output_with_and_without_exit_line() {
        let usage = |peak_rss_kib, cpu_secs| {
            Some(Usage {
                peak_rss_kib,
                cpu_secs,
            })
        };
        assert_eq!(
            parse_time_output("1.23 45678 2.50 0.25\n"),
            usage(45678, 2.75)
        );
        assert_eq!(
            parse_time_output("Command exited with non-zero status 1\n0.01 2048 0.00 0.01\n"),
            usage(2048, 0.01)
        );
        assert_eq!(parse_time_output("1.23 45678\n"), None);
        assert_eq!(parse_time_output(""), None);
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn runner_measures_success_and_reports_failure() {
        if !Path::new(GNU_TIME).is_file() {
            eprintln!("skipping: {GNU_TIME} not installed");
            return;
        }
        let dir = std::env::temp_dir().join(format!("rbb-measure-{}", std::process::id()));
        let runner = Runner::new(&dir).expect("runner");
        let ok = runner.run("ok", "echo hello; true").expect("run ok");
        let measurement = ok.measurement().expect("measured");
        assert!(measurement.peak_rss_bytes > 0);
        let log = fs::read_to_string(runner.log_path("ok")).expect("log");
        assert!(log.contains("hello"));

        let failed = runner
            .run("fail", "echo oops >&2; exit 3")
            .expect("run fail");
        assert!(matches!(failed, Outcome::Failed(ref reason) if reason.contains("exit code 3")));
        let _ = fs::remove_dir_all(&dir);
    }
}
