//! Renders the results as Markdown: header, table, targets, notes.

use std::fmt::Write as _;

use crate::measure::Outcome;
use crate::suite::{Row, RowKind, SuiteResults};

/// Decimal megabytes, as `du --si` and most throughput figures use.
const MB: f64 = 1_000_000.0;
const RSS_LIMIT_BYTES: f64 = 100.0 * MB;

/// Facts printed above the table so numbers can be compared across runs.
pub struct Header {
    pub cpu_count: usize,
    pub cpu_model: String,
    pub load_average: String,
    pub corpus_summary: String,
    pub binary: String,
    pub tool_versions: String,
}

pub fn render(header: &Header, results: &SuiteResults, corpus_bytes: u64) -> String {
    let mut text = String::new();
    render_header(&mut text, header);
    render_table(&mut text, results, corpus_bytes);
    render_targets(&mut text, results, header.cpu_count);
    render_notes(&mut text, results);
    text
}

fn render_header(text: &mut String, header: &Header) {
    let _ = writeln!(text, "# Results Backup benchmark\n");
    let _ = writeln!(
        text,
        "- machine: {} CPUs (nproc), {}; load average at start: {}",
        header.cpu_count, header.cpu_model, header.load_average
    );
    let _ = writeln!(text, "- corpus: {}", header.corpus_summary);
    let _ = writeln!(text, "- binary: {}", header.binary);
    let _ = writeln!(text, "- tools: {}\n", header.tool_versions);
}

fn render_table(text: &mut String, results: &SuiteResults, corpus_bytes: u64) {
    let _ = writeln!(
        text,
        "| operation | tool | wall s | MB/s | vs baseline | archive MB | size vs gzip -6 | peak RSS MB | CPU s |"
    );
    let _ = writeln!(text, "|---|---|--:|--:|--:|--:|--:|--:|--:|");
    let gzip_bytes = results
        .row(RowKind::BackupTarGzip)
        .and_then(|row| row.archive_bytes);
    for row in &results.rows {
        let baseline_wall = results
            .row(row.kind.baseline())
            .and_then(|baseline| baseline.outcome.measurement())
            .map(|m| m.wall_secs);
        let _ = writeln!(
            text,
            "| {} | {} | {} |",
            row.kind.operation().label(),
            // A bare `|` would split the Markdown cell.
            row.kind.tool().replace('|', "\\|"),
            measured_cells(row, corpus_bytes, baseline_wall, gzip_bytes).join(" | ")
        );
    }
    text.push('\n');
}

/// The numeric cells of one row (wall .. CPU).
fn measured_cells(
    row: &Row,
    corpus_bytes: u64,
    baseline_wall: Option<f64>,
    gzip_bytes: Option<u64>,
) -> Vec<String> {
    let measurement = match &row.outcome {
        Outcome::Measured(m) => *m,
        Outcome::Failed(_) => return placeholder_cells("FAILED"),
        Outcome::Skipped(_) => return placeholder_cells("skipped"),
    };
    let is_baseline = row.kind.baseline() == row.kind;
    let vs_baseline = match baseline_wall {
        _ if is_baseline => "baseline".to_string(),
        Some(base) if base > 0.0 => format!("{:.2}x", measurement.wall_secs / base),
        _ => "-".to_string(),
    };
    let size_vs_gzip = match (row.archive_bytes, gzip_bytes) {
        _ if row.kind == RowKind::BackupTarGzip => "baseline".to_string(),
        (Some(ours), Some(gzip)) if gzip > 0 => format!("{:.3}x", ours as f64 / gzip as f64),
        _ => "-".to_string(),
    };
    vec![
        format!("{:.2}", measurement.wall_secs),
        format!(
            "{:.1}",
            corpus_bytes as f64 / MB / measurement.wall_secs.max(1e-9)
        ),
        vs_baseline,
        row.archive_bytes
            .map_or("-".to_string(), |b| format!("{:.1}", b as f64 / MB)),
        size_vs_gzip,
        format!("{:.1}", measurement.peak_rss_bytes as f64 / MB),
        match row.server_cpu_secs {
            Some(server) => format!("{:.2} + {server:.2} server", measurement.cpu_secs),
            None => format!("{:.2}", measurement.cpu_secs),
        },
    ]
}

fn placeholder_cells(status: &str) -> Vec<String> {
    let mut cells = vec![status.to_string()];
    cells.extend(std::iter::repeat_n("-".to_string(), 6));
    cells
}

fn render_targets(text: &mut String, results: &SuiteResults, cpu_count: usize) {
    let _ = writeln!(text, "Targets:\n");
    let wall = |kind| wall_of(results, kind);
    let targets = [
        (
            "backup wall <= tar+pigz wall",
            judge(wall(RowKind::BackupOurs), wall(RowKind::BackupTarPigz), "s"),
        ),
        (
            "archive size <= 1.02 x gzip -6",
            judge(
                archive_mb(results, RowKind::BackupOurs),
                archive_mb(results, RowKind::BackupTarGzip).map(|mb| mb * 1.02),
                "MB",
            ),
        ),
        (
            "check wall <= 0.8 x tar xzf wall",
            judge(
                wall(RowKind::CheckOurs),
                wall(RowKind::RestoreTarExtract).map(|secs| secs * 0.8),
                "s",
            ),
        ),
        (
            "restore wall <= tar xzf wall",
            judge(
                wall(RowKind::RestoreOurs),
                wall(RowKind::RestoreTarExtract),
                "s",
            ),
        ),
        (
            "backup to S3 wall <= 1.15 x our local backup wall",
            judge(
                wall(RowKind::BackupS3Ours),
                wall(RowKind::BackupOurs).map(|secs| secs * 1.15),
                "s",
            ),
        ),
        (
            "backup to S3 wall <= tar czf + rclone copy wall",
            judge(
                wall(RowKind::BackupS3Ours),
                wall(RowKind::BackupS3TarRclone),
                "s",
            ),
        ),
        (
            "restore from S3 wall <= rclone copy + tar xzf wall",
            judge(
                wall(RowKind::RestoreS3Ours),
                wall(RowKind::RestoreS3RcloneTar),
                "s",
            ),
        ),
        ("our peak RSS < 100 MB", judge_rss(our_peak_rss_mb(results))),
    ];
    for (description, verdict) in targets {
        let _ = writeln!(text, "- {description}: {verdict}");
    }
    if let Some(line) = s3_backup_cpu(results, cpu_count) {
        let _ = writeln!(text, "- {line}");
    }
    text.push('\n');
}

/// What the backup to S3 cost in CPU against the local backup, and the least wall time that
/// CPU allows when the server shares the machine's cores: how much of the difference is the
/// upload's and how much the server's.
fn s3_backup_cpu(results: &SuiteResults, cpu_count: usize) -> Option<String> {
    let (_, local) = measured_row(results, RowKind::BackupOurs).ok()?;
    let (row, s3) = measured_row(results, RowKind::BackupS3Ours).ok()?;
    let server = row.server_cpu_secs?;
    if local.cpu_secs <= 0.0 || local.wall_secs <= 0.0 || cpu_count == 0 {
        return None;
    }
    let least_wall = (s3.cpu_secs + server) / cpu_count as f64;
    Some(format!(
        "backup to S3, CPU: ours {:.2} s ({:.2}x the local backup's {:.2} s), the server's \
         {server:.2} s on the same {cpu_count} CPUs; together they allow no less than \
         {least_wall:.2} s wall ({:.2}x the local backup), measured {:.2} s ({:.2}x)",
        s3.cpu_secs,
        s3.cpu_secs / local.cpu_secs,
        local.cpu_secs,
        least_wall / local.wall_secs,
        s3.wall_secs,
        s3.wall_secs / local.wall_secs,
    ))
}

/// "met"/"NOT met" with the numbers behind it. Our side missing counts as
/// NOT met (a failure is not a pass); a missing baseline is "n/a".
fn judge(ours: Result<f64, String>, limit: Result<f64, String>, unit: &str) -> String {
    match (ours, limit) {
        (Err(reason), _) => format!("NOT met ({reason})"),
        (_, Err(reason)) => format!("n/a ({reason})"),
        (Ok(ours), Ok(limit)) => {
            let verdict = if ours <= limit { "met" } else { "NOT met" };
            format!("{verdict} ({ours:.2} {unit} vs limit {limit:.2} {unit})")
        }
    }
}

fn judge_rss(peak_mb: Result<f64, String>) -> String {
    match peak_mb {
        Err(reason) => format!("NOT met ({reason})"),
        Ok(mb) if mb * MB < RSS_LIMIT_BYTES => format!("met ({mb:.1} MB)"),
        Ok(mb) => format!("NOT met ({mb:.1} MB)"),
    }
}

fn wall_of(results: &SuiteResults, kind: RowKind) -> Result<f64, String> {
    measured_row(results, kind).map(|(_, m)| m.wall_secs)
}

fn archive_mb(results: &SuiteResults, kind: RowKind) -> Result<f64, String> {
    let (row, _) = measured_row(results, kind)?;
    row.archive_bytes
        .map(|bytes| bytes as f64 / MB)
        .ok_or_else(|| format!("{} produced no archive size", kind.tool()))
}

/// The largest peak over all our rows; every one of them must have run, except rows skipped
/// for a missing tool (the S3 rows without moto or rclone).
fn our_peak_rss_mb(results: &SuiteResults) -> Result<f64, String> {
    let mut peak: f64 = 0.0;
    let ran = |row: &&Row| !matches!(row.outcome, Outcome::Skipped(_)) || !row.kind.is_s3();
    for row in results
        .rows
        .iter()
        .filter(|row| row.kind.is_ours())
        .filter(ran)
    {
        let (_, m) = measured_row(results, row.kind)?;
        peak = peak.max(m.peak_rss_bytes as f64 / MB);
    }
    Ok(peak)
}

fn measured_row(
    results: &SuiteResults,
    kind: RowKind,
) -> Result<(&Row, crate::measure::Measurement), String> {
    let row = results
        .row(kind)
        .ok_or_else(|| format!("{} {} did not run", kind.operation().label(), kind.tool()))?;
    match &row.outcome {
        Outcome::Measured(m) => Ok((row, *m)),
        Outcome::Failed(_) => Err(format!(
            "{} {} FAILED",
            kind.operation().label(),
            kind.tool()
        )),
        Outcome::Skipped(reason) => Err(format!(
            "{} {} skipped: {reason}",
            kind.operation().label(),
            kind.tool()
        )),
    }
}

fn render_notes(text: &mut String, results: &SuiteResults) {
    let _ = writeln!(text, "Notes:\n");
    let _ = writeln!(
        text,
        "- MB = 10^6 bytes. MB/s = corpus bytes / wall time (uncompressed data processed). \
         vs baseline = wall / baseline wall (lower is faster)."
    );
    let _ = writeln!(
        text,
        "- Peak RSS is the largest single process of the command (GNU time, rusage incl. \
         reaped children); pipeline stages are not summed."
    );
    let _ = writeln!(
        text,
        "- Each row runs once, in table order, on a warm page cache, into an emptied output directory."
    );
    if let Some(bytes) = results.ours_sidecar_bytes {
        let _ = writeln!(
            text,
            "- results-backup also wrote {:.1} KB of manifests/catalog (not in archive MB).",
            bytes as f64 / 1_000.0
        );
    }
    for row in &results.rows {
        if let Outcome::Failed(reason) = &row.outcome {
            let _ = writeln!(
                text,
                "- FAILED {} / {}: {reason}",
                row.kind.operation().label(),
                row.kind.tool()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Measurement;

    fn measured(kind: RowKind, wall_secs: f64, archive_bytes: Option<u64>) -> Row {
        Row {
            kind,
            outcome: Outcome::Measured(Measurement {
                wall_secs,
                peak_rss_bytes: 10_000_000,
                cpu_secs: wall_secs * 2.0,
            }),
            archive_bytes,
            server_cpu_secs: None,
        }
    }

    fn sample_results() -> SuiteResults {
        SuiteResults {
            rows: vec![
                measured(RowKind::BackupOurs, 1.0, Some(101)),
                measured(RowKind::BackupTarGzip, 4.0, Some(100)),
                Row {
                    kind: RowKind::BackupTarPigz,
                    outcome: Outcome::Skipped("pigz not installed".into()),
                    archive_bytes: None,
                    server_cpu_secs: None,
                },
                measured(RowKind::CheckOurs, 1.0, None),
                measured(RowKind::CheckGzipTarList, 1.0, None),
                Row {
                    kind: RowKind::RestoreOurs,
                    outcome: Outcome::Failed("exit code 1".into()),
                    archive_bytes: None,
                    server_cpu_secs: None,
                },
                measured(RowKind::RestoreTarExtract, 2.0, None),
                Row {
                    server_cpu_secs: Some(0.5),
                    ..measured(RowKind::BackupS3Ours, 1.2, None)
                },
            ],
            ours_sidecar_bytes: Some(2_000),
        }
    }

    #[test]
    fn table_and_targets_are_honest() {
        let header = Header {
            cpu_count: 2,
            cpu_model: "Test CPU".into(),
            load_average: "0.00".into(),
            corpus_summary: "4 MB".into(),
            binary: "/bin/rb".into(),
            tool_versions: "tar".into(),
        };
        let text = render(&header, &sample_results(), 4_000_000);
        assert!(text.contains(
            "| backup | results-backup | 1.00 | 4.0 | 0.25x | 0.0 | 1.010x | 10.0 | 2.00 |"
        ));
        assert!(text.contains("| backup to S3 | results-backup | 1.20 | 3.3 | - | - | - | 10.0 | 2.40 + 0.50 server |"));
        assert!(text.contains(
            "backup to S3 wall <= 1.15 x our local backup wall: NOT met (1.20 s vs limit 1.15 s)"
        ));
        assert!(text.contains(
            "ours 2.40 s (1.20x the local backup's 2.00 s), the server's 0.50 s on the same 2 CPUs; \
             together they allow no less than 1.45 s wall (1.45x the local backup), measured 1.20 s (1.20x)"
        ));
        assert!(text.contains("| restore | results-backup | FAILED |"));
        assert!(text.contains("backup wall <= tar+pigz wall: n/a"));
        assert!(text.contains("archive size <= 1.02 x gzip -6: met"));
        assert!(text.contains("check wall <= 0.8 x tar xzf wall: met"));
        assert!(text.contains("restore wall <= tar xzf wall: NOT met"));
        assert!(text.contains("our peak RSS < 100 MB: NOT met"));
    }
}
