//! Everything the command line prints: plain text for people, or exactly one JSON document on
//! stdout with `--json` for scripts. Errors go to stderr as text, or into the JSON document.

use serde::Serialize;
use serde_json::{json, Value};
use std::io::Write;

use results_backup::{
    describe_metric, format_metric, format_metric_delta, human_bytes, BackupDiff, BackupOutcome,
    BackupStatus, CatalogEntry, Change, CheckReport, CheckResult, CopyOutcome, CopyStatus, Deleted,
    DiffSide, EntryKind, Error, ExtractedFile, ForgetItem, ForgetReport, Manifest, MetricsSummary,
    Proof, ProtectionEvent, RestoreOutcome, StrategyState, StrategyStatus, Trigger, WatchMode,
};

/// The metrics `list` shows a column for when any listed backup has them: the ones an analyst
/// recognises a run by (return, Sharpe, drawdown, trades).
const LIST_METRICS: [&str; 4] = ["total_return", "sharpe", "max_drawdown", "trades"];

/// Prints a line on stdout with control characters escaped (names read from a catalog or an
/// archive could otherwise move the cursor or rewrite the screen); a closed pipe (`| head`) is
/// not an error worth a panic.
macro_rules! outln {
    () => {{
        let _ = writeln!(std::io::stdout());
    }};
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), "{}", terminal_safe(&format!($($arg)*)));
    }};
}

/// [`outln!`] for stderr.
macro_rules! errln {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), "{}", terminal_safe(&format!($($arg)*)));
    }};
}

/// `text` with every control character (escape, newline, carriage return, ...) written as an
/// escape sequence, so it prints as one inert line.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            safe.extend(c.escape_default());
        } else {
            safe.push(c);
        }
    }
    std::borrow::Cow::Owned(safe)
}

pub struct Output {
    json: bool,
}

pub fn error_json(error: &Error) -> Value {
    let mut value =
        json!({"code": error.code(), "message": error.to_string(), "hint": error.hint()});
    if let Error::InvalidQuery { position, .. } = error {
        value["position"] = json!(position);
    }
    value
}

/// The expression and a caret under the column it names, for a filter that cannot be read.
/// Control characters become spaces so the caret stays under its character.
fn caret_lines(query: &str, position: usize) -> (String, String) {
    let shown: String = query
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    (
        format!("  {shown}"),
        format!("  {}^", " ".repeat(position.saturating_sub(1))),
    )
}

impl Output {
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    fn print_json(&self, value: &impl Serialize) {
        match serde_json::to_string_pretty(value) {
            // JSON escapes control characters itself; its own newlines are layout.
            Ok(text) => {
                let _ = writeln!(std::io::stdout(), "{text}");
            }
            Err(e) => errln!("error: could not format the output as JSON ({e})"),
        }
    }

    pub fn error(&self, error: &Error) {
        if self.json {
            self.print_json(&json!({ "error": error_json(error) }));
        } else {
            errln!("error: {error}.");
            if let Error::InvalidQuery {
                query, position, ..
            } = error
            {
                let (expression, caret) = caret_lines(query, *position);
                errln!("{expression}");
                errln!("{caret}");
            }
            errln!("hint: {}", error.hint());
        }
    }

    pub fn strategies(&self, strategies: &[StrategyStatus]) {
        if self.json {
            return self.print_json(&strategies);
        }
        if strategies.is_empty() {
            outln!("No strategy folders found.");
            return;
        }
        let rows: Vec<Vec<String>> = strategies
            .iter()
            .map(|s| {
                vec![
                    s.name.to_string(),
                    match s.state {
                        StrategyState::NeverBackedUp => "never backed up",
                        StrategyState::Changed => "changed since last backup",
                        StrategyState::Protected => "protected",
                    }
                    .to_string(),
                    s.files.to_string(),
                    human_bytes(s.bytes),
                    s.latest_backup
                        .as_ref()
                        .map(|b| b.created.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        print_table(
            &["STRATEGY", "STATE", "FILES", "SIZE", "LAST BACKUP"],
            &rows,
        );
    }

    /// Reports one strategy's backup as soon as it is done (text mode; JSON waits for all).
    pub fn backup_done(&self, name: &str, result: &Result<BackupOutcome, Error>) {
        if self.json {
            return;
        }
        match result {
            Ok(outcome) => match (&outcome.status, &outcome.backup) {
                (BackupStatus::Created, Some(b)) => outln!(
                    "Backed up {name}: {} ({}, {} -> {})",
                    b.backup_file,
                    count(b.files, "file"),
                    human_bytes(b.bytes),
                    human_bytes(b.size)
                ),
                (BackupStatus::Unchanged, Some(b)) => {
                    outln!("Skipped {name}: unchanged since {}", b.backup_file)
                }
                _ => outln!("{name}: done"),
            },
            Err(e) => {
                errln!("error: {name}: {e}.");
                errln!("hint: {}", e.hint());
            }
        }
    }

    /// Prints the JSON document for a backup run; returns true when every backup succeeded.
    pub fn backups(&self, results: &[(String, Result<BackupOutcome, Error>)]) -> bool {
        if self.json {
            let items: Vec<Value> = results
                .iter()
                .map(|(name, r)| match r {
                    Ok(outcome) => serde_json::to_value(outcome).unwrap_or(Value::Null),
                    Err(e) => json!({"strategy": name, "status": "failed", "error": error_json(e)}),
                })
                .collect();
            self.print_json(&items);
        }
        results.iter().all(|(_, r)| r.is_ok())
    }

    /// The backups, with a column for each key metric any of them has and for each metric
    /// the filter or the sort named (`named`).
    pub fn list(&self, entries: &[CatalogEntry], named: &[String]) {
        if self.json {
            return self.print_json(&entries);
        }
        if entries.is_empty() {
            outln!(
                "{}",
                if named.is_empty() {
                    "No backups yet."
                } else {
                    "No backups match."
                }
            );
            return;
        }
        let mut columns: Vec<String> = LIST_METRICS
            .iter()
            .filter(|key| entries.iter().any(|e| e.metrics.get(key).is_some()))
            .map(|key| key.to_string())
            .collect();
        for key in named {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                let mut row = vec![
                    e.backup_file.to_string(),
                    e.strategy.to_string(),
                    e.created.format("%Y-%m-%d %H:%M:%S").to_string(),
                    human_bytes(e.size),
                    e.files.to_string(),
                    check_word(e.check_result).to_string(),
                ];
                row.extend(columns.iter().map(|key| shown_metric(&e.metrics, key)));
                row
            })
            .collect();
        let mut headers: Vec<String> = [
            "BACKUP",
            "STRATEGY",
            "CREATED",
            "SIZE",
            "FILES",
            "LAST CHECK",
        ]
        .map(String::from)
        .to_vec();
        headers.extend(
            columns
                .iter()
                .map(|key| describe_metric(key).label.to_uppercase()),
        );
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        print_table(&headers, &rows);
    }

    /// restic's `diff`: the two sides, the metrics with their changes, then one line per
    /// changed path with its marker, then the totals.
    pub fn diff(&self, report: &BackupDiff) {
        if self.json {
            return self.print_json(report);
        }
        let side = |side: &DiffSide| match side {
            DiffSide::Backup {
                backup_file,
                created,
                ..
            } => format!("{backup_file} ({})", created.format("%Y-%m-%d %H:%M:%S")),
            DiffSide::Current { path, .. } => format!("{} as it is now", path.display()),
        };
        outln!("Comparing {}", side(&report.a));
        outln!("     with {}", side(&report.b));
        if !report.metrics.is_empty() {
            outln!();
            let rows: Vec<Vec<String>> = report
                .metrics
                .iter()
                .map(|m| {
                    let value = |v: Option<f64>| {
                        v.map(|v| format_metric(v, m.unit))
                            .unwrap_or_else(|| "-".into())
                    };
                    let change = match (m.delta, m.better) {
                        (None, _) => String::new(),
                        (Some(0.0), _) => "same".into(),
                        (Some(d), Some(true)) => {
                            format!("{} (better)", format_metric_delta(d, m.unit))
                        }
                        (Some(d), Some(false)) => {
                            format!("{} (worse)", format_metric_delta(d, m.unit))
                        }
                        (Some(d), None) => format_metric_delta(d, m.unit),
                    };
                    vec![m.label.clone(), value(m.a), value(m.b), change]
                })
                .collect();
            print_table(&["METRIC", "A", "B", "CHANGE"], &rows);
        }
        if !report.files.is_empty() {
            outln!();
        }
        let mut counts = [0usize; 4];
        for file in &report.files {
            let slash = if file.kind == EntryKind::Dir { "/" } else { "" };
            let detail = match &file.change {
                Change::Modified {
                    size_before,
                    size_after,
                } if size_before != size_after => {
                    format!(
                        "  ({} -> {})",
                        human_bytes(*size_before),
                        human_bytes(*size_after)
                    )
                }
                _ => String::new(),
            };
            let index = match file.change {
                Change::Added => 0,
                Change::Removed => 1,
                Change::Modified { .. } => 2,
                Change::TypeChanged { .. } => 3,
            };
            counts[index] += 1;
            outln!("{}    {}{slash}{detail}", file.change.marker(), file.path);
        }
        outln!();
        outln!(
            "{} added, {} removed, {} modified, {} type changed; {} unchanged.{}",
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            report.unchanged_count,
            match (&report.b, report.contents_compared) {
                (DiffSide::Current { .. }, false) =>
                    " Sizes and times compared; --verify compares contents.",
                (DiffSide::Current { .. }, true) => " Contents compared.",
                _ => "",
            }
        );
    }

    pub fn manifest(&self, manifest: &Manifest) {
        if self.json {
            return self.print_json(manifest);
        }
        outln!("Strategy:  {}", manifest.strategy);
        outln!("Created:   {}", manifest.created.to_rfc3339());
        outln!("Source:    {}", manifest.source);
        outln!(
            "Contents:  {}, {}, {}, {}",
            count(manifest.totals.files, "file"),
            count(manifest.totals.dirs, "folder"),
            count(manifest.totals.symlinks, "link"),
            human_bytes(manifest.totals.bytes)
        );
        if let Some(archive) = &manifest.archive {
            outln!(
                "Archive:   {} ({}, sha256 {})",
                archive.file,
                human_bytes(archive.size),
                archive.sha256
            );
        }
        if let Some(fields) = &manifest.metrics {
            // Numbers in order of importance, formatted; other facts (text, flags) as they
            // are; the strategy's own name is not repeated.
            let summary = MetricsSummary::from_fields(fields, manifest.strategy.as_str());
            let mut rows: Vec<(String, String)> = summary
                .keys_by_importance()
                .into_iter()
                .filter_map(|key| {
                    let info = describe_metric(key);
                    let value = summary.get(key)?;
                    Some((info.label, format_metric(value, info.unit)))
                })
                .collect();
            for (key, value) in fields {
                let is_name = value.as_str() == Some(manifest.strategy.as_str());
                if !value.is_number() && !is_name {
                    let text = value
                        .as_str()
                        .map_or_else(|| value.to_string(), String::from);
                    rows.push((key.clone(), text));
                }
            }
            if !rows.is_empty() {
                outln!("Metrics:");
                let width = rows
                    .iter()
                    .map(|(k, _)| k.chars().count())
                    .max()
                    .unwrap_or(0);
                for (key, value) in rows {
                    outln!("  {key:<width$}  {value}");
                }
            }
        }
        outln!();
        let rows: Vec<Vec<String>> = manifest
            .entries
            .iter()
            .map(|e| {
                vec![
                    match e.kind {
                        EntryKind::Dir => "dir",
                        EntryKind::File => "file",
                        EntryKind::Symlink => "link",
                    }
                    .to_string(),
                    format!("{:o}", e.mode),
                    if e.kind == EntryKind::File {
                        human_bytes(e.size)
                    } else {
                        String::new()
                    },
                    match (&e.sha256, &e.target) {
                        (Some(sha), _) => sha[..16.min(sha.len())].to_string(),
                        (None, Some(target)) => format!("-> {target}"),
                        _ => String::new(),
                    },
                    e.path.clone(),
                ]
            })
            .collect();
        print_table(&["KIND", "MODE", "SIZE", "SHA-256", "PATH"], &rows);
    }

    /// Returns true when every check passed.
    pub fn checks(&self, results: &[(String, Result<CheckReport, Error>)]) -> bool {
        let all_ok = results
            .iter()
            .all(|(_, r)| matches!(r, Ok(report) if report.ok));
        if self.json {
            let items: Vec<Value> = results
                .iter()
                .map(|(name, r)| match r {
                    Ok(report) => serde_json::to_value(report).unwrap_or(Value::Null),
                    Err(e) => json!({"backup_file": name, "ok": false, "error": error_json(e)}),
                })
                .collect();
            self.print_json(&items);
            return all_ok;
        }
        for (name, result) in results {
            match result {
                Ok(report) if report.ok => outln!(
                    "OK       {} ({}{})",
                    report.backup_file,
                    if report.quick {
                        "archive checksum matches".to_string()
                    } else {
                        format!("{} verified", count(report.files_checked, "file"))
                    },
                    match report.proof {
                        Proof::None => ", but it has no manifest: contents unproven",
                        _ => "",
                    }
                ),
                Ok(report) => {
                    let word = if report.result == CheckResult::Missing {
                        "MISSING"
                    } else {
                        "DAMAGED"
                    };
                    outln!("{word:<8} {}", report.backup_file);
                    for problem in &report.problems {
                        match &problem.path {
                            Some(path) => outln!("         {path}: {}", problem.issue),
                            None => outln!("         {}", problem.issue),
                        }
                    }
                }
                Err(e) => {
                    errln!("error: {name}: {e}.");
                    errln!("hint: {}", e.hint());
                }
            }
        }
        all_ok
    }

    pub fn restored(&self, outcome: &RestoreOutcome) {
        if self.json {
            return self.print_json(outcome);
        }
        if let Some(safety) = &outcome.safety_backup {
            outln!(
                "Backed up the existing folder first: {}",
                safety.backup_file
            );
        }
        outln!(
            "Restored {} to {} ({}, {}; {})",
            outcome.backup_file,
            outcome.restored_to.display(),
            count(outcome.files, "file"),
            human_bytes(outcome.bytes),
            match outcome.proof {
                Proof::None => "no manifest, so nothing could be verified",
                _ => "every file verified against its manifest",
            }
        );
    }

    /// `extract`: the path alone on stdout in text mode, so `open "$(results-backup extract ...)"`
    /// works; what it was checked against goes to stderr.
    pub fn extracted(&self, file: &ExtractedFile) {
        if self.json {
            return self.print_json(file);
        }
        outln!("{}", file.path.display());
        errln!(
            "Extracted {} from {} ({}; {})",
            file.member,
            file.backup_file,
            human_bytes(file.size),
            match file.proof {
                Proof::None => "no manifest, so nothing could be verified",
                _ => "verified against its manifest",
            }
        );
    }

    /// Reports one backup's copy as soon as it is done (text mode; JSON waits for all).
    pub fn copy_done(&self, name: &str, result: &Result<CopyOutcome, Error>, store: &str) {
        if self.json {
            return;
        }
        match result {
            Ok(copied) => match copied.status {
                CopyStatus::Copied => outln!(
                    "Copied {} to {store} ({}, SHA-256 verified)",
                    copied.backup_file,
                    human_bytes(copied.size)
                ),
                CopyStatus::AlreadyThere => {
                    outln!("Skipped {}: {store} already has it", copied.backup_file)
                }
            },
            Err(e) => {
                errln!("error: {}: {e}.", terminal_safe(name));
                errln!("hint: {}", e.hint());
            }
        }
    }

    /// The JSON document for a copy run; returns true when every copy succeeded.
    pub fn copies(&self, results: &[(String, Result<CopyOutcome, Error>)]) -> bool {
        if self.json {
            let items: Vec<Value> = results
                .iter()
                .map(|(name, r)| match r {
                    Ok(outcome) => serde_json::to_value(outcome).unwrap_or(Value::Null),
                    Err(e) => json!({"backup": name, "status": "failed", "error": error_json(e)}),
                })
                .collect();
            self.print_json(&items);
        }
        results.iter().all(|(_, r)| r.is_ok())
    }

    pub fn deleted(&self, deleted: &Deleted) {
        if self.json {
            return self.print_json(deleted);
        }
        outln!("Deleted {} and its manifest.", deleted.backup_file);
    }

    /// restic's `forget` tables: per strategy, every backup with keep or remove and why, then
    /// the totals.
    pub fn forgot(&self, report: &ForgetReport) {
        if self.json {
            return self.print_json(report);
        }
        let (remove_word, freed_word) = if report.dry_run {
            ("would remove", "would be freed")
        } else {
            ("remove", "freed")
        };
        for (i, strategy) in report.strategies.iter().enumerate() {
            if i > 0 {
                outln!();
            }
            outln!("{}: keep {}", strategy.strategy, strategy.policy);
            let mut rows: Vec<(&ForgetItem, &str)> = strategy
                .kept
                .iter()
                .map(|item| (item, "keep"))
                .chain(strategy.removed.iter().map(|item| (item, remove_word)))
                .collect();
            rows.sort_by(|(a, _), (b, _)| {
                (b.timestamp.wall_clock(), b.timestamp.sequence())
                    .cmp(&(a.timestamp.wall_clock(), a.timestamp.sequence()))
            });
            let rows: Vec<Vec<String>> = rows
                .into_iter()
                .map(|(item, action)| {
                    vec![
                        action.to_string(),
                        item.timestamp
                            .wall_clock()
                            .format("%Y-%m-%d %H:%M:%S")
                            .to_string(),
                        item.backup_file.to_string(),
                        human_bytes(item.size),
                        item.reasons.join(", "),
                    ]
                })
                .collect();
            print_table(&["ACTION", "TIME", "BACKUP", "SIZE", "REASONS"], &rows);
            outln!(
                "{} kept, {} {}, {} {freed_word}",
                strategy.kept.len(),
                strategy.removed.len(),
                if report.dry_run {
                    "to remove"
                } else {
                    "removed"
                },
                human_bytes(strategy.bytes_freed)
            );
        }
        for strategy in &report.without_policy {
            outln!("{strategy}: no retention policy applies; its backups are left alone.");
        }
        if report.strategies.is_empty() && report.without_policy.is_empty() {
            outln!("No backups to judge.");
            return;
        }
        outln!();
        outln!(
            "{} backups kept, {} {}, {} {freed_word}.{}",
            report.kept,
            report.removed,
            if report.dry_run {
                "would be removed"
            } else {
                "removed"
            },
            human_bytes(report.bytes_freed),
            if report.dry_run {
                " Dry run: nothing was deleted."
            } else {
                ""
            }
        );
    }

    pub fn rebuilt(&self, entries: &[CatalogEntry]) {
        if self.json {
            return self.print_json(&entries);
        }
        outln!("Catalog rebuilt: {} backups.", entries.len());
    }
}

impl Output {
    /// One line per event of `watch`: a local timestamp and a sentence, or with `--json` one
    /// JSON object per line (the event with a `time` field), flushed at once for pipes.
    pub fn protection_event(&self, event: &ProtectionEvent) {
        let now = chrono::Local::now();
        if self.json {
            let mut value = serde_json::to_value(event).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert("time".into(), Value::String(now.to_rfc3339()));
            }
            let _ = writeln!(std::io::stdout(), "{value}");
            return;
        }
        let time = now.format("%Y-%m-%d %H:%M:%S");
        let why = |trigger: &Trigger| match trigger {
            Trigger::Change => "changed",
            Trigger::Schedule => "scheduled",
            Trigger::Retry => "retry",
        };
        match event {
            ProtectionEvent::Watching {
                results,
                mode,
                reason,
            } => match (mode, reason) {
                (WatchMode::Native, _) => {
                    outln!("{time}  Watching {} for changes.", results.display())
                }
                (WatchMode::Polling, reason) => outln!(
                    "{time}  Watching {} by polling every few seconds{}.",
                    results.display(),
                    reason
                        .as_ref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            },
            ProtectionEvent::StrategyChanged { strategy } => {
                outln!("{time}  {strategy} changed.")
            }
            ProtectionEvent::BackupStarted { strategy, trigger } => {
                outln!("{time}  Backing up {strategy} ({}).", why(trigger))
            }
            ProtectionEvent::BackupFinished {
                strategy, backup, status, ..
            } => match (status, backup) {
                (BackupStatus::Created, Some(b)) => outln!(
                    "{time}  Backed up {strategy}: {} ({}, {} -> {}).",
                    b.backup_file,
                    count(b.files, "file"),
                    human_bytes(b.bytes),
                    human_bytes(b.size)
                ),
                (BackupStatus::Unchanged, Some(b)) => outln!(
                    "{time}  {strategy} is unchanged since {}; no new backup.",
                    b.backup_file
                ),
                _ => outln!("{time}  {strategy}: done."),
            },
            ProtectionEvent::BackupFailed {
                strategy,
                error,
                retry_in_seconds,
                ..
            } => {
                errln!(
                    "{time}  error: the backup of {strategy} failed: {}. Trying again in {}.",
                    error.message,
                    plain_seconds(*retry_in_seconds)
                );
                errln!("{time}  hint: {}", error.hint);
            }
            ProtectionEvent::AfterBackupFailed { strategy, error } => {
                errln!(
                    "{time}  error: after backing up {strategy}: {}.",
                    error.message
                );
                errln!("{time}  hint: {}", error.hint);
            }
            ProtectionEvent::ResultsFolderMissing { results } => errln!(
                "{time}  The results folder {} is missing (deleted, renamed or its disk unplugged). No backup starts until it is back.",
                results.display()
            ),
            ProtectionEvent::ResultsFolderBack { results } => {
                outln!("{time}  The results folder {} is back.", results.display())
            }
            ProtectionEvent::Warning { message } => errln!("{time}  warning: {message}"),
        }
    }
}

/// "45 seconds", "5 minutes".
fn plain_seconds(seconds: u64) -> String {
    match seconds {
        1 => "1 second".into(),
        0..120 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds / 60),
    }
}

/// A backup's metric in a table cell, `-` when it has none.
fn shown_metric(metrics: &MetricsSummary, key: &str) -> String {
    metrics
        .get(key)
        .map(|value| format_metric(value, describe_metric(key).unit))
        .unwrap_or_else(|| "-".into())
}

fn check_word(result: Option<CheckResult>) -> &'static str {
    match result {
        None => "not checked",
        Some(CheckResult::Ok) => "ok",
        Some(CheckResult::Damaged) => "DAMAGED",
        Some(CheckResult::Missing) => "MISSING",
    }
}

fn print_table(headers: &[&str], rows: &[Vec<String>]) {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| terminal_safe(cell).into_owned())
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<w$}  ", w = *w));
            }
        }
        outln!("{}", text.trim_end());
    };
    line(headers.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// "1 file", "2 files": a count with its noun.
fn count(n: impl Into<u64>, noun: &str) -> String {
    match n.into() {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}
