//! The benchmark rows: which commands run, in which order, on which data.
//!
//! Rows run once each, in a fixed order, on a warm page cache (dropping the
//! cache needs root). Every row starts from an empty output directory.

use std::fs;
use std::path::{Path, PathBuf};

use crate::corpus::{tree_stats, Corpus};
use crate::error::{Context, Result};
use crate::measure::{on_path, shell_quote, shell_quote_path, Outcome, Runner};
use crate::s3::{S3Server, ServerKind, BUCKET};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Backup,
    Check,
    Restore,
    BackupToS3,
    RestoreFromS3,
}

impl Operation {
    pub fn label(self) -> &'static str {
        match self {
            Operation::Backup => "backup",
            Operation::Check => "check",
            Operation::Restore => "restore",
            Operation::BackupToS3 => "backup to S3",
            Operation::RestoreFromS3 => "restore from S3",
        }
    }
}

/// Identifies each row, in the order the rows run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    BackupOurs,
    BackupTarGzip,
    BackupTarPigz,
    CheckOurs,
    CheckGzipTarList,
    RestoreOurs,
    RestoreTarExtract,
    BackupS3Ours,
    BackupS3TarRclone,
    RestoreS3Ours,
    RestoreS3RcloneTar,
}

impl RowKind {
    pub fn operation(self) -> Operation {
        match self {
            RowKind::BackupOurs | RowKind::BackupTarGzip | RowKind::BackupTarPigz => {
                Operation::Backup
            }
            RowKind::CheckOurs | RowKind::CheckGzipTarList => Operation::Check,
            RowKind::RestoreOurs | RowKind::RestoreTarExtract => Operation::Restore,
            RowKind::BackupS3Ours | RowKind::BackupS3TarRclone => Operation::BackupToS3,
            RowKind::RestoreS3Ours | RowKind::RestoreS3RcloneTar => Operation::RestoreFromS3,
        }
    }

    pub fn tool(self) -> &'static str {
        match self {
            RowKind::BackupOurs
            | RowKind::CheckOurs
            | RowKind::RestoreOurs
            | RowKind::BackupS3Ours
            | RowKind::RestoreS3Ours => "results-backup",
            RowKind::BackupTarGzip => "tar czf (gzip -6)",
            RowKind::BackupTarPigz => "tar -I 'pigz -6'",
            RowKind::CheckGzipTarList => "gzip -dc | tar tf",
            RowKind::RestoreTarExtract => "tar xzf",
            RowKind::BackupS3TarRclone => "tar czf + rclone copy",
            RowKind::RestoreS3RcloneTar => "rclone copy + tar xzf",
        }
    }

    /// The row this one is compared against in the "vs baseline" column.
    pub fn baseline(self) -> RowKind {
        match self.operation() {
            Operation::Backup => RowKind::BackupTarGzip,
            Operation::Check => RowKind::CheckGzipTarList,
            Operation::Restore => RowKind::RestoreTarExtract,
            Operation::BackupToS3 => RowKind::BackupS3TarRclone,
            Operation::RestoreFromS3 => RowKind::RestoreS3RcloneTar,
        }
    }

    pub fn is_ours(self) -> bool {
        matches!(
            self,
            RowKind::BackupOurs
                | RowKind::CheckOurs
                | RowKind::RestoreOurs
                | RowKind::BackupS3Ours
                | RowKind::RestoreS3Ours
        )
    }

    pub fn is_s3(self) -> bool {
        matches!(
            self.operation(),
            Operation::BackupToS3 | Operation::RestoreFromS3
        )
    }

    fn slug(self) -> &'static str {
        match self {
            RowKind::BackupOurs => "backup-ours",
            RowKind::BackupTarGzip => "backup-tar-gzip",
            RowKind::BackupTarPigz => "backup-tar-pigz",
            RowKind::CheckOurs => "check-ours",
            RowKind::CheckGzipTarList => "check-gzip-tar-list",
            RowKind::RestoreOurs => "restore-ours",
            RowKind::RestoreTarExtract => "restore-tar-xzf",
            RowKind::BackupS3Ours => "backup-s3-ours",
            RowKind::BackupS3TarRclone => "backup-s3-tar-rclone",
            RowKind::RestoreS3Ours => "restore-s3-ours",
            RowKind::RestoreS3RcloneTar => "restore-s3-rclone-tar",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    pub kind: RowKind,
    pub outcome: Outcome,
    /// Total size of the archives a backup row produced.
    pub archive_bytes: Option<u64>,
    /// CPU time the S3 server used during the row (S3 rows only).
    pub server_cpu_secs: Option<f64>,
}

/// Where each row writes, all below the work directory.
pub struct Layout {
    pub ours_backups: PathBuf,
    pub tar_gzip: PathBuf,
    pub tar_pigz: PathBuf,
    pub restore_root: PathBuf,
    /// tar czf's archives on their way to the S3 server, and back (the rclone rows).
    pub s3_staging: PathBuf,
}

impl Layout {
    pub fn new(work_dir: &Path) -> Self {
        Self {
            ours_backups: work_dir.join("ours"),
            tar_gzip: work_dir.join("tar-gzip"),
            tar_pigz: work_dir.join("tar-pigz"),
            restore_root: work_dir.join("restore"),
            s3_staging: work_dir.join("s3-staging"),
        }
    }

    /// Removes every output of a previous run (the corpus and logs stay).
    pub fn remove_outputs(&self) -> Result<()> {
        for dir in [
            &self.ours_backups,
            &self.tar_gzip,
            &self.tar_pigz,
            &self.restore_root,
            &self.s3_staging,
        ] {
            remove_dir_if_present(dir)?;
        }
        Ok(())
    }
}

pub struct Suite<'a> {
    pub runner: &'a Runner,
    pub corpus: &'a Corpus,
    pub bin: &'a Path,
    pub layout: &'a Layout,
    /// Keep restored trees for inspection instead of deleting them at once.
    pub keep: bool,
}

/// The results of all rows plus facts the report wants to mention.
pub struct SuiteResults {
    pub rows: Vec<Row>,
    /// Bytes of our manifests/catalog, written next to the archives.
    pub ours_sidecar_bytes: Option<u64>,
}

impl SuiteResults {
    pub fn row(&self, kind: RowKind) -> Option<&Row> {
        self.rows.iter().find(|row| row.kind == kind)
    }
}

impl Suite<'_> {
    pub fn run_all(&self) -> Result<SuiteResults> {
        let mut rows = Vec::new();
        let backup_ours = self.backup_ours()?;
        let ours_ok = matches!(backup_ours.outcome, Outcome::Measured(_));
        rows.push(report_progress(backup_ours));
        let backup_gzip = self.backup_tar(RowKind::BackupTarGzip, &self.layout.tar_gzip)?;
        let gzip_ok = matches!(backup_gzip.outcome, Outcome::Measured(_));
        rows.push(report_progress(backup_gzip));
        rows.push(report_progress(self.backup_pigz()?));

        let ours_archives = if ours_ok {
            archive_names(&self.layout.ours_backups)?
        } else {
            Vec::new()
        };
        let gzip_archives = if gzip_ok {
            archive_names(&self.layout.tar_gzip)?
        } else {
            Vec::new()
        };
        rows.push(report_progress(self.check_ours(ours_ok)?));
        rows.push(report_progress(self.check_tar(&gzip_archives, gzip_ok)?));
        rows.push(report_progress(self.restore_ours(&ours_archives, ours_ok)?));
        rows.push(report_progress(self.restore_tar(&gzip_archives, gzip_ok)?));

        self.s3_rows(&mut rows)?;

        let ours_sidecar_bytes = if ours_ok {
            Some(sidecar_bytes(&self.layout.ours_backups)?)
        } else {
            None
        };
        Ok(SuiteResults {
            rows,
            ours_sidecar_bytes,
        })
    }

    /// Backup to and restore from an S3 server on loopback (s3s-fs, else moto): ours straight
    /// into the store and back, against `tar czf` then `rclone copy` and back. Each tool gets a
    /// fresh server, so the server holds one tool's objects at a time.
    fn s3_rows(&self, rows: &mut Vec<Row>) -> Result<()> {
        let server_kind = ServerKind::available(on_path);
        let mut missing: Vec<&str> = ["rclone"]
            .into_iter()
            .filter(|tool| !on_path(tool))
            .collect();
        if server_kind.is_none() {
            missing.push("s3s-fs or moto_server");
        }
        if !missing.is_empty() {
            let reason = format!(
                "{} not installed (scripts/bench installs it)",
                missing.join(", ")
            );
            println!("note: {reason}; skipping the S3 rows");
            for kind in [
                RowKind::BackupS3Ours,
                RowKind::RestoreS3Ours,
                RowKind::BackupS3TarRclone,
                RowKind::RestoreS3RcloneTar,
            ] {
                rows.push(skipped(kind, &reason));
            }
            return Ok(());
        }
        let Some(server_kind) = server_kind else {
            return Ok(());
        };
        println!(
            "note: the S3 rows run against {} on loopback",
            server_kind.name()
        );
        {
            let server = S3Server::start(server_kind)?;
            let backup = with_server_cpu(&server, || self.backup_s3_ours(&server))?;
            let ok = matches!(backup.outcome, Outcome::Measured(_));
            rows.push(report_progress(backup));
            let archives = if ok {
                self.s3_archive_names(&server)?
            } else {
                Vec::new()
            };
            rows.push(report_progress(with_server_cpu(&server, || {
                self.restore_s3_ours(&server, &archives, ok)
            })?));
        }
        let server = S3Server::start(server_kind)?;
        let backup = with_server_cpu(&server, || self.backup_s3_rclone(&server))?;
        let ok = matches!(backup.outcome, Outcome::Measured(_));
        rows.push(report_progress(backup));
        rows.push(report_progress(with_server_cpu(&server, || {
            self.restore_s3_rclone(&server, ok)
        })?));
        Ok(())
    }

    fn store_args(server: &S3Server) -> String {
        format!(
            "--backups s3://{BUCKET}/ours --endpoint {}",
            shell_quote(&server.endpoint())
        )
    }

    fn backup_s3_ours(&self, server: &S3Server) -> Result<Row> {
        let script = format!(
            "{}{} --results {} {} --json backup --all --level 6",
            server.exports(),
            shell_quote_path(self.bin)?,
            shell_quote_path(&self.corpus.results_dir)?,
            Self::store_args(server),
        );
        self.run_row(RowKind::BackupS3Ours, &script)
    }

    /// The backups in the store, read with `list --json` (not timed).
    fn s3_archive_names(&self, server: &S3Server) -> Result<Vec<String>> {
        let script = format!(
            "{}{} {} --json list",
            server.exports(),
            shell_quote_path(self.bin)?,
            Self::store_args(server),
        );
        let output = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .context(|| "listing the S3 store".to_string())?;
        let text = String::from_utf8_lossy(&output.stdout);
        let mut names = json_strings(&text, "backup_file");
        names.sort();
        Ok(names)
    }

    fn restore_s3_ours(
        &self,
        server: &S3Server,
        archives: &[String],
        backups_exist: bool,
    ) -> Result<Row> {
        if !backups_exist || archives.len() != self.corpus.strategies.len() {
            return Ok(skipped(
                RowKind::RestoreS3Ours,
                "no backups in the store (backup row failed)",
            ));
        }
        let store = Self::store_args(server);
        self.restore_each(
            RowKind::RestoreS3Ours,
            "s3-ours",
            &server.exports(),
            &store,
            archives,
        )
    }

    /// What a script does without us: an archive per strategy with `tar czf` into a staging
    /// folder, `rclone copy` of the folder to the bucket, then the staging folder goes.
    fn backup_s3_rclone(&self, server: &S3Server) -> Result<Row> {
        let staging = shell_quote_path(&self.layout.s3_staging)?;
        let strategies: Vec<String> = self
            .corpus
            .strategies
            .iter()
            .map(|s| shell_quote(s))
            .collect();
        let script = format!(
            "{}set -e; rm -rf {staging}; mkdir -p {staging}; cd {}; \
             for s in {}; do tar czf {staging}/\"$s\".tar.gz \"$s\"; done; \
             rclone copy {staging} bench:{BUCKET}/rclone; rm -rf {staging}",
            server.exports(),
            shell_quote_path(&self.corpus.results_dir)?,
            strategies.join(" "),
        );
        self.run_row(RowKind::BackupS3TarRclone, &script)
    }

    fn restore_s3_rclone(&self, server: &S3Server, backups_exist: bool) -> Result<Row> {
        if !backups_exist {
            return Ok(skipped(
                RowKind::RestoreS3RcloneTar,
                "no archives in the store (backup row failed)",
            ));
        }
        let staging = shell_quote_path(&self.layout.s3_staging)?;
        let target = self.layout.restore_root.join("s3-rclone");
        recreate_dir(&target)?;
        let script = format!(
            "{}set -e; rm -rf {staging}; rclone copy bench:{BUCKET}/rclone {staging}; \
             cd {staging}; for a in *.tar.gz; do mkdir -p {target}/\"${{a%.tar.gz}}\"; \
             tar xzf \"$a\" -C {target}/\"${{a%.tar.gz}}\"; done; rm -rf {staging}",
            server.exports(),
            target = shell_quote_path(&target)?,
        );
        self.run_restore_row(RowKind::RestoreS3RcloneTar, &script, &target)
    }

    fn backup_ours(&self) -> Result<Row> {
        let out = &self.layout.ours_backups;
        recreate_dir(out)?;
        let script = format!(
            "{} --results {} --backups {} --json backup --all --level 6",
            shell_quote_path(self.bin)?,
            shell_quote_path(&self.corpus.results_dir)?,
            shell_quote_path(out)?,
        );
        let mut row = self.run_row(RowKind::BackupOurs, &script)?;
        if matches!(row.outcome, Outcome::Measured(_)) {
            let archives = archive_names(out)?;
            if archives.len() != self.corpus.strategies.len() {
                row.outcome = Outcome::Failed(format!(
                    "wrote {} .tar.gz archives for {} strategies",
                    archives.len(),
                    self.corpus.strategies.len()
                ));
            }
            row.archive_bytes = Some(archive_bytes(out)?);
        }
        Ok(row)
    }

    /// One archive per strategy folder, in one `sh -c` loop, like a user's
    /// backup script would do.
    fn backup_tar(&self, kind: RowKind, out: &Path) -> Result<Row> {
        recreate_dir(out)?;
        let tar_command = match kind {
            RowKind::BackupTarPigz => "tar -I 'pigz -6' -cf",
            // tar's `z` runs plain `gzip`, whose default level is 6.
            _ => "tar czf",
        };
        let strategies: Vec<String> = self
            .corpus
            .strategies
            .iter()
            .map(|s| shell_quote(s))
            .collect();
        let script = format!(
            "set -e; cd {}; for s in {}; do {tar_command} {}/\"$s\".tar.gz \"$s\"; done",
            shell_quote_path(&self.corpus.results_dir)?,
            strategies.join(" "),
            shell_quote_path(out)?,
        );
        let mut row = self.run_row(kind, &script)?;
        if matches!(row.outcome, Outcome::Measured(_)) {
            row.archive_bytes = Some(archive_bytes(out)?);
        }
        Ok(row)
    }

    fn backup_pigz(&self) -> Result<Row> {
        if !on_path("pigz") {
            println!("note: pigz is not on PATH, skipping the pigz rows (apt-get install pigz)");
            return Ok(skipped(
                RowKind::BackupTarPigz,
                "pigz not installed (apt-get install pigz)",
            ));
        }
        self.backup_tar(RowKind::BackupTarPigz, &self.layout.tar_pigz)
    }

    fn check_ours(&self, backups_exist: bool) -> Result<Row> {
        if !backups_exist {
            return Ok(skipped(
                RowKind::CheckOurs,
                "no backups (backup row failed)",
            ));
        }
        let script = format!(
            "{} --backups {} --json check --all",
            shell_quote_path(self.bin)?,
            shell_quote_path(&self.layout.ours_backups)?,
        );
        self.run_row(RowKind::CheckOurs, &script)
    }

    fn check_tar(&self, archives: &[String], archives_exist: bool) -> Result<Row> {
        if !archives_exist {
            return Ok(skipped(RowKind::CheckGzipTarList, "no tar czf archives"));
        }
        let script = format!(
            "set -e; cd {}; for a in {}; do gzip -dc \"$a\" | tar tf - >/dev/null; done",
            shell_quote_path(&self.layout.tar_gzip)?,
            quoted_list(archives),
        );
        self.run_row(RowKind::CheckGzipTarList, &script)
    }

    /// One process per archive, each into its own fresh directory; the tar
    /// side does exactly the same so the process overhead is comparable.
    fn restore_ours(&self, archives: &[String], backups_exist: bool) -> Result<Row> {
        if !backups_exist {
            return Ok(skipped(
                RowKind::RestoreOurs,
                "no backups (backup row failed)",
            ));
        }
        let store = format!("--backups {}", shell_quote_path(&self.layout.ours_backups)?);
        self.restore_each(RowKind::RestoreOurs, "ours", "", &store, archives)
    }

    /// Our restore of each archive, one process each, into its own fresh directory under
    /// `folder`: `exports` start the script, `store` (the `--backups` arguments) goes before
    /// `restore`.
    fn restore_each(
        &self,
        kind: RowKind,
        folder: &str,
        exports: &str,
        store: &str,
        archives: &[String],
    ) -> Result<Row> {
        let target = self.layout.restore_root.join(folder);
        recreate_dir(&target)?;
        let script = format!(
            "{exports}set -e; for a in {}; do mkdir -p {target}/\"${{a%.tar.gz}}\"; \
             {} {store} restore \"$a\" --to {target}/\"${{a%.tar.gz}}\"; done",
            quoted_list(archives),
            shell_quote_path(self.bin)?,
            target = shell_quote_path(&target)?,
        );
        self.run_restore_row(kind, &script, &target)
    }

    fn restore_tar(&self, archives: &[String], archives_exist: bool) -> Result<Row> {
        if !archives_exist {
            return Ok(skipped(RowKind::RestoreTarExtract, "no tar czf archives"));
        }
        let target = self.layout.restore_root.join("tar-xzf");
        recreate_dir(&target)?;
        let script = format!(
            "set -e; cd {}; for a in {}; do mkdir -p {target}/\"${{a%.tar.gz}}\"; \
             tar xzf \"$a\" -C {target}/\"${{a%.tar.gz}}\"; done",
            shell_quote_path(&self.layout.tar_gzip)?,
            quoted_list(archives),
            target = shell_quote_path(&target)?,
        );
        self.run_restore_row(RowKind::RestoreTarExtract, &script, &target)
    }

    /// Runs a restore and then checks it really restored the whole corpus:
    /// a fast restore that drops files must not look like a win.
    fn run_restore_row(&self, kind: RowKind, script: &str, target: &Path) -> Result<Row> {
        let mut row = self.run_row(kind, script)?;
        if matches!(row.outcome, Outcome::Measured(_)) {
            let restored = tree_stats(target)?;
            let expected = self.corpus.stats;
            if restored != expected {
                row.outcome = Outcome::Failed(format!(
                    "restored {} files / {} bytes, corpus has {} files / {} bytes",
                    restored.files, restored.bytes, expected.files, expected.bytes
                ));
            }
        }
        if !self.keep {
            remove_dir_if_present(target)?;
        }
        Ok(row)
    }

    fn run_row(&self, kind: RowKind, script: &str) -> Result<Row> {
        println!("running {} / {} ...", kind.operation().label(), kind.tool());
        let outcome = self.runner.run(kind.slug(), script)?;
        Ok(Row {
            kind,
            outcome,
            archive_bytes: None,
            server_cpu_secs: None,
        })
    }
}

fn skipped(kind: RowKind, reason: &str) -> Row {
    Row {
        kind,
        outcome: Outcome::Skipped(reason.to_string()),
        archive_bytes: None,
        server_cpu_secs: None,
    }
}

/// Runs an S3 row, noting the CPU time the server spent meanwhile.
fn with_server_cpu(server: &S3Server, row: impl FnOnce() -> Result<Row>) -> Result<Row> {
    let before = server.cpu_secs();
    let mut row = row()?;
    row.server_cpu_secs = before
        .zip(server.cpu_secs())
        .map(|(before, after)| after - before);
    Ok(row)
}

fn report_progress(row: Row) -> Row {
    match &row.outcome {
        Outcome::Measured(m) => println!("  {:.2} s", m.wall_secs),
        Outcome::Failed(reason) => println!("  FAILED: {reason}"),
        Outcome::Skipped(reason) => println!("  skipped: {reason}"),
    }
    row
}

/// Every string value of `"key":` in a JSON text (our own output; no escapes in these values).
fn json_strings(text: &str, key: &str) -> Vec<String> {
    let needle = format!("\"{key}\":");
    text.split(&needle)
        .skip(1)
        .filter_map(|rest| {
            let value = rest.trim_start().strip_prefix('"')?;
            value.split_once('"').map(|(value, _)| value.to_string())
        })
        .collect()
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| shell_quote(item))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Names of the `.tar.gz` files directly in `dir`, sorted.
fn archive_names(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).context(|| format!("listing {}", dir.display()))? {
        let entry = entry.context(|| format!("listing {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tar.gz") {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn archive_bytes(dir: &Path) -> Result<u64> {
    sum_file_sizes(dir, |name| name.ends_with(".tar.gz"))
}

/// Everything in the backups folder that is not an archive (manifests, catalog).
fn sidecar_bytes(dir: &Path) -> Result<u64> {
    Ok(tree_stats(dir)?.bytes.saturating_sub(archive_bytes(dir)?))
}

fn sum_file_sizes(dir: &Path, wanted: impl Fn(&str) -> bool) -> Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir).context(|| format!("listing {}", dir.display()))? {
        let entry = entry.context(|| format!("listing {}", dir.display()))?;
        if wanted(&entry.file_name().to_string_lossy()) {
            let metadata = entry
                .metadata()
                .context(|| format!("inspecting {}", entry.path().display()))?;
            if metadata.is_file() {
                total += metadata.len();
            }
        }
    }
    Ok(total)
}

fn recreate_dir(dir: &Path) -> Result<()> {
    remove_dir_if_present(dir)?;
    fs::create_dir_all(dir).context(|| format!("creating {}", dir.display()))
}

fn remove_dir_if_present(dir: &Path) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).context(|| format!("removing {}", dir.display()))?;
    }
    Ok(())
}
