//! The command line's progress sink: one line on stderr, redrawn at most every
//! `REDRAW_INTERVAL`, only when stderr is a terminal (scripts get clean output).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use results_backup::{Operation, Progress, ProgressUpdate};

use crate::cli_output::terminal_safe;
use results_backup::human_bytes;

const REDRAW_INTERVAL: Duration = Duration::from_millis(100);

pub struct TerminalProgress {
    enabled: bool,
    state: Mutex<DrawState>,
}

struct DrawState {
    item: String,
    started: Instant,
    last_draw: Option<Instant>,
    drawn: bool,
}

impl TerminalProgress {
    pub fn new() -> Self {
        TerminalProgress {
            enabled: std::io::stderr().is_terminal(),
            state: Mutex::new(DrawState {
                item: String::new(),
                started: Instant::now(),
                last_draw: None,
                drawn: false,
            }),
        }
    }

    /// Erases the progress line so normal output starts on a clean line.
    pub fn clear(&self) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if state.drawn {
            eprint!("\r\x1b[2K");
            state.drawn = false;
        }
    }
}

impl Progress for TerminalProgress {
    fn update(&self, update: &ProgressUpdate) {
        if !self.enabled {
            return;
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let now = Instant::now();
        if state.item != update.item {
            state.item = update.item.clone();
            state.started = now;
            state.last_draw = None;
        }
        let finished = update.bytes_total > 0 && update.bytes_done >= update.bytes_total;
        if let Some(last) = state.last_draw {
            if now - last < REDRAW_INTERVAL && !finished {
                return;
            }
        }
        state.last_draw = Some(now);
        state.drawn = true;
        let elapsed = (now - state.started).as_secs_f64().max(0.001);
        let rate = update.bytes_done as f64 / elapsed;
        let percent = if update.bytes_total > 0 {
            update.bytes_done as f64 * 100.0 / update.bytes_total as f64
        } else {
            0.0
        };
        let eta = if rate > 0.0 && update.bytes_total > update.bytes_done {
            format!(
                ", {} left",
                human_duration((update.bytes_total - update.bytes_done) as f64 / rate)
            )
        } else {
            String::new()
        };
        let verb = match update.operation {
            Operation::Backup => "Backing up",
            Operation::Check => "Checking",
            Operation::Restore => "Restoring",
            Operation::Rebuild => "Rebuilding",
        };
        let files = if update.files_total > 0 {
            format!(", {}/{} files", update.files_done, update.files_total)
        } else if update.files_done > 0 {
            format!(", {} files", update.files_done)
        } else {
            String::new()
        };
        eprint!(
            "\r\x1b[2K{verb} {}: {percent:.0}% ({} of {}{files}, {}/s{eta})",
            terminal_safe(&update.item),
            human_bytes(update.bytes_done),
            human_bytes(update.bytes_total),
            human_bytes(rate as u64),
        );
        let _ = std::io::stderr().flush();
    }

    fn warn(&self, message: &str) {
        self.clear();
        eprintln!("warning: {}", terminal_safe(message));
    }
}

fn human_duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}
