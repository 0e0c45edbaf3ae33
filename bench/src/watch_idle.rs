//! `--watch-idle`: what `results-backup watch` costs while nothing happens. It builds a results
//! tree of 100,000 small files (100 strategies x 10 folders x 100 files), starts
//! `watch --on-change` on it, waits until it reports that it is watching, lets it settle, then
//! reads its memory (VmHWM, VmRSS from /proc/<pid>/status) and the CPU time it used over ten
//! idle seconds (utime + stime from /proc/<pid>/stat). Linux only (/proc).

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::error::{BenchError, Context, Result};

const STRATEGIES: usize = 100;
const FOLDERS: usize = 10;
const FILES: usize = 100;
const IDLE: Duration = Duration::from_secs(10);
const SETTLE: Duration = Duration::from_secs(2);
const MEMORY_TARGET_MB: f64 = 50.0;

/// Runs the measurement; returns whether both targets were met.
pub fn run(work_dir: &Path, bin: &Path) -> Result<bool> {
    let results = work_dir.join("watch-corpus").join("results");
    let files = prepare(&results)?;
    println!("watching {files} files in {}", results.display());
    let started = Instant::now();
    // --quiet 1h: the start-up catch-up (which would back up all 100 never-backed-up strategies
    // after the quiet period) stays outside the window; what is measured is idle watching.
    let mut child = Command::new(bin)
        .arg("--results")
        .arg(&results)
        .arg("--backups")
        .arg(work_dir.join("watch-backups"))
        .args(["--json", "watch", "--on-change", "--quiet", "1h"])
        .env(
            "RESULTS_BACKUP_SETTINGS",
            work_dir.join("watch-settings.json"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context(|| format!("starting {}", bin.display()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| BenchError::new("no stdout from watch"))?;
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            if line.contains("\"event\":\"watching\"") {
                let _ = tx.send(line.clone());
            }
        }
    });
    let outcome = measure(child.id(), &rx, started);
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child
        .wait()
        .context(|| "waiting for watch to stop".into())?;
    let _ = reader.join();
    let (line, ready_after, hwm_kb, rss_kb, cpu_ticks, ticks_per_second) = outcome?;
    let cpu_ms = cpu_ticks as f64 * 1000.0 / ticks_per_second as f64;
    let hwm_mb = hwm_kb as f64 / 1024.0;
    let memory_ok = hwm_mb < MEMORY_TARGET_MB;
    let cpu_ok = cpu_ticks == 0;
    println!("\n| watch, {files} files | value | target |");
    println!("|---|---|---|");
    println!("| mode | {} | native |", mode_of(&line));
    println!("| ready after | {:.1} s | - |", ready_after.as_secs_f64());
    println!(
        "| peak RSS (VmHWM) | {hwm_mb:.1} MB | < {MEMORY_TARGET_MB} MB: {} |",
        met(memory_ok)
    );
    println!(
        "| RSS while idle (VmRSS) | {:.1} MB | - |",
        rss_kb as f64 / 1024.0
    );
    println!(
        "| CPU over {} s idle | {cpu_ms:.0} ms ({cpu_ticks} ticks of 1/{ticks_per_second} s) | none measurable: {} |",
        IDLE.as_secs(),
        met(cpu_ok)
    );
    println!("| exit after SIGINT | {:?} | 0 |", status.code());
    Ok(memory_ok && cpu_ok && status.code() == Some(0))
}

type Measured = (String, Duration, u64, u64, u64, u64);

fn measure(pid: u32, watching: &mpsc::Receiver<String>, started: Instant) -> Result<Measured> {
    let line = watching
        .recv_timeout(Duration::from_secs(120))
        .map_err(|_| BenchError::new("watch did not report that it was watching within 120 s"))?;
    let ready_after = started.elapsed();
    std::thread::sleep(SETTLE);
    let before = cpu_ticks(pid)?;
    std::thread::sleep(IDLE);
    let after = cpu_ticks(pid)?;
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .context(|| format!("reading /proc/{pid}/status"))?;
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Ok((
        line,
        ready_after,
        field("VmHWM:"),
        field("VmRSS:"),
        after.saturating_sub(before),
        clock_ticks_per_second(),
    ))
}

/// utime + stime of the process, in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))
        .context(|| format!("reading /proc/{pid}/stat"))?;
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| BenchError::new("unexpected /proc/<pid>/stat format"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ')' come state (field 3) ...; utime and stime are fields 14 and 15.
    let get = |index: usize| -> u64 {
        fields
            .get(index - 3)
            .and_then(|f| f.parse().ok())
            .unwrap_or(0)
    };
    Ok(get(14) + get(15))
}

fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

fn mode_of(line: &str) -> &'static str {
    if line.contains("\"mode\":\"polling\"") {
        "polling"
    } else {
        "native"
    }
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

/// Creates the tree once; a marker file lets later runs reuse it.
fn prepare(results: &Path) -> Result<usize> {
    let total = STRATEGIES * FOLDERS * FILES;
    let marker = results.with_file_name("READY");
    if marker.is_file() {
        return Ok(total);
    }
    for s in 0..STRATEGIES {
        for f in 0..FOLDERS {
            let dir = results
                .join(format!("strategy_{s:03}"))
                .join(format!("run_{f:02}"));
            fs::create_dir_all(&dir).context(|| format!("creating {}", dir.display()))?;
            for n in 0..FILES {
                let path = dir.join(format!("part_{n:03}.csv"));
                fs::write(&path, format!("{s},{f},{n}\n"))
                    .context(|| format!("writing {}", path.display()))?;
            }
        }
    }
    fs::write(&marker, b"").context(|| format!("writing {}", marker.display()))?;
    Ok(total)
}
