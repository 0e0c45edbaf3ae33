//! End-to-end benchmark of the `results-backup` CLI against tar/gzip/pigz.
//!
//! The CLI is driven as a separate process (never linked), so what we measure
//! is exactly what users run, including process start-up and I/O.

mod args;
mod corpus;
mod error;
mod measure;
mod prng;
mod random_access;
mod report;
mod s3;
mod suite;
mod watch_idle;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use args::ParseOutcome;
use error::{BenchError, Context, Result};
use measure::{on_path, Outcome, Runner};
use suite::{Layout, Suite};

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let options = match args::parse(&arguments, &workspace_root()) {
        Ok(ParseOutcome::Run(options)) => options,
        Ok(ParseOutcome::Help) => {
            println!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(all_rows_ok) if all_rows_ok => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}

/// The workspace root is the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Runs the whole benchmark; returns whether every row that ran succeeded.
fn run(options: &args::Options) -> Result<bool> {
    let bin = resolve_binary(&options.bin)?;
    fs::create_dir_all(&options.work_dir)
        .context(|| format!("creating {}", options.work_dir.display()))?;
    // Absolute paths, because some scripts `cd` before using them.
    let work_dir = options
        .work_dir
        .canonicalize()
        .context(|| format!("resolving {}", options.work_dir.display()))?;
    if options.watch_idle {
        return watch_idle::run(&work_dir, &bin);
    }
    let runner = Runner::new(&work_dir.join("logs"))?;

    println!(
        "preparing corpus of {} under {} ...",
        human_size(options.size),
        work_dir.display()
    );
    let corpus = corpus::prepare(&work_dir.join("corpus"), options.size)?;
    let header = collect_header(&corpus, &bin);
    println!(
        "machine: {} CPUs, {}\ncorpus: {}\n",
        header.cpu_count, header.cpu_model, header.corpus_summary
    );

    if options.random_access_only {
        let result = random_access::run(&runner, &corpus, &bin, &work_dir)?;
        let markdown = random_access::render(&result);
        println!("\n{markdown}");
        return Ok(!result.failed());
    }

    let layout = Layout::new(&work_dir);
    layout.remove_outputs()?;
    let suite = Suite {
        runner: &runner,
        corpus: &corpus,
        bin: &bin,
        layout: &layout,
        keep: options.keep,
    };
    let results = suite.run_all()?;
    if !options.keep {
        layout.remove_outputs()?;
    }
    let random_access = random_access::run(&runner, &corpus, &bin, &work_dir)?;

    let mut markdown = report::render(&header, &results, corpus.stats.bytes);
    markdown.push('\n');
    markdown.push_str(&random_access::render(&random_access));
    println!("\n{markdown}");
    let latest = work_dir.join("LATEST.md");
    fs::write(&latest, &markdown).context(|| format!("writing {}", latest.display()))?;
    println!(
        "written to {} (command logs in {})",
        latest.display(),
        work_dir.join("logs").display()
    );
    Ok(!random_access.failed()
        && !results
            .rows
            .iter()
            .any(|row| matches!(row.outcome, Outcome::Failed(_))))
}

fn resolve_binary(bin: &Path) -> Result<PathBuf> {
    if !bin.is_file() {
        return Err(BenchError::new(format!(
            "results-backup binary not found at {}; run `cargo build --release` first \
             (or pass --bin PATH)",
            bin.display()
        )));
    }
    bin.canonicalize()
        .context(|| format!("resolving {}", bin.display()))
}

fn collect_header(corpus: &corpus::Corpus, bin: &Path) -> report::Header {
    report::Header {
        cpu_count: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model: cpu_model(),
        load_average: load_average(),
        corpus_summary: format!(
            "{} in {} files, {} strategies, {} at {}",
            human_size(corpus.stats.bytes),
            corpus.stats.files,
            corpus.strategies.len(),
            if corpus.reused { "reused" } else { "generated" },
            corpus.results_dir.display()
        ),
        binary: bin.display().to_string(),
        tool_versions: tool_versions(),
    }
}

fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

/// The machine may be shared; a high load at start explains noisy numbers.
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// First line of `--version` of each external tool, for reproducibility.
fn tool_versions() -> String {
    ["tar", "gzip", "pigz", "rclone"]
        .iter()
        .map(|tool| {
            if !on_path(tool) {
                return format!("{tool}: not installed");
            }
            Command::new(tool)
                .arg("--version")
                .output()
                .ok()
                .map(|output| {
                    // pigz prints its version on stderr.
                    let text = [output.stdout, output.stderr].concat();
                    String::from_utf8_lossy(&text)
                        .lines()
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_string()
                })
                .unwrap_or_else(|| format!("{tool}: version unknown"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn human_size(bytes: u64) -> String {
    format!(
        "{:.1} MB ({:.2} GiB)",
        bytes as f64 / 1e6,
        bytes as f64 / (1u64 << 30) as f64
    )
}
