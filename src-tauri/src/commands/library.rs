//! The strategies and the backups: scanning, listing, a backup's details, what a restore would
//! do, and deleting a backup.

use results_backup::CatalogEntry;
use results_backup::Manifest;
use results_backup::Proof;
use results_backup::StrategyStatus;
use results_backup::{delete_in, Deleted};
use results_backup::{describe_metric, format_metric, MetricFilter, MetricInfo, MetricsSummary};
use results_backup::{inspect, known_identity};
use results_backup::{preview, RestorePreview};
use results_backup::{CancelToken, NoProgress, Progress, ProgressUpdate};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Mutex;
use tauri::{AppHandle, Manager, Runtime};

use super::{named_backup, off_ui_thread, Shell};
use crate::access::{self, absolute, BackupRef};
use crate::error::CommandResult;
use crate::store::{current_store, StoreShown};

/// Collects the core's warnings (a repaired catalog, say) so the UI can show them.
#[derive(Default)]
struct Warnings(Mutex<Vec<String>>);

impl Progress for Warnings {
    fn update(&self, _update: &ProgressUpdate) {}
    fn warn(&self, message: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message.to_string());
    }
}

/// The backups a metric expression keeps (`sharpe >= 1.5 and max_drawdown > -20`), read by the
/// core's parser (the same as `list --where`): the window filters its list by these names.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct FilterResult {
    pub matching: Vec<String>,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn filter_backups(expression: String) -> CommandResult<FilterResult> {
    off_ui_thread(move || {
        let filter = MetricFilter::parse(&expression)?;
        let (locations, store) = current_store()?;
        let matching = store
            .list(&locations, &NoProgress)?
            .into_iter()
            .filter(|entry| filter.matches(&entry.metrics))
            .map(|entry| entry.backup_file.to_string())
            .collect();
        Ok(FilterResult { matching })
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn scan_strategies() -> CommandResult<Vec<StrategyStatus>> {
    off_ui_thread(|| {
        // Protected or changed is judged against the backups where they are kept now.
        let (locations, store) = current_store()?;
        Ok(store.scan(&locations)?)
    })
    .await
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct BackupList {
    pub backups_dir: PathBuf,
    /// Where these backups are kept: the folder above, or a shared store.
    pub store: StoreShown,
    pub backups: Vec<CatalogEntry>,
    pub warnings: Vec<String>,
    /// Every metric some listed backup has, most important first: the columns and filters.
    pub metrics: Vec<MetricInfo>,
}

/// The metrics present in these backups, by importance (known ones by rank, then by name).
fn metrics_present(backups: &[CatalogEntry]) -> Vec<MetricInfo> {
    let mut keys: Vec<&str> = backups
        .iter()
        .flat_map(|b| b.metrics.keys_by_importance())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut infos: Vec<MetricInfo> = keys.into_iter().map(describe_metric).collect();
    infos.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.key.cmp(&b.key)));
    infos
}

/// A metric as the details show it: in importance order, formatted as an analyst reads it.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct ShownMetric {
    pub key: String,
    pub label: String,
    /// The name as the strategy's metrics file wrote it.
    pub name: String,
    pub value: f64,
    pub text: String,
}

fn shown_metrics(manifest: Option<&Manifest>) -> Vec<ShownMetric> {
    let Some(manifest) = manifest else {
        return Vec::new();
    };
    let Some(fields) = manifest.metrics.as_ref() else {
        return Vec::new();
    };
    let summary = MetricsSummary::from_fields(fields, manifest.strategy.as_str());
    summary
        .keys_by_importance()
        .into_iter()
        .filter_map(|key| {
            let metric = summary.metric(key)?;
            let info = describe_metric(key);
            Some(ShownMetric {
                key: key.to_string(),
                label: info.label.clone(),
                name: metric.name.clone(),
                value: metric.value,
                text: format_metric(metric.value, info.unit),
            })
        })
        .collect()
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_backups() -> CommandResult<BackupList> {
    off_ui_thread(|| {
        let (locations, store) = current_store()?;
        let warnings = Warnings::default();
        let backups = store.list(&locations, &warnings)?;
        Ok(BackupList {
            backups_dir: absolute(&locations.backups),
            store: StoreShown::of(&locations),
            metrics: metrics_present(&backups),
            backups,
            warnings: warnings.0.into_inner().unwrap_or_else(|p| p.into_inner()),
        })
    })
    .await
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct BackupDetails {
    pub backup: BackupRef,
    pub backup_file: String,
    /// On this computer, or `s3://bucket/prefix/<file>` in a shared store.
    pub path: PathBuf,
    /// Kept in a shared store: there is no folder to show; it can be copied to this computer.
    pub shared: bool,
    pub folder: PathBuf,
    pub size: u64,
    pub in_catalog: bool,
    pub entry: Option<CatalogEntry>,
    pub manifest: Option<Manifest>,
    pub proof: Proof,
    /// The manifest's metrics by importance, formatted (`2.00`, `145,519.40`, `-12.5 %`).
    pub metrics: Vec<ShownMetric>,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn backup_details<R: Runtime>(
    app: AppHandle<R>,
    backup: BackupRef,
) -> CommandResult<BackupDetails> {
    off_ui_thread(move || {
        let shell = app.state::<Shell>();
        let (locations, store) = current_store()?;
        let located = store.locate(&shell.grants, &locations, &backup)?;
        let shared = located.is_remote();
        let inspection = inspect(&located, &CancelToken::new())?;
        let proof = Proof::of(located.sidecar.as_ref(), inspection.manifest.as_ref());
        shell
            .identities
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(located.path.clone(), inspection.identity);
        let size = located.open()?.size;
        let shown = |path: &std::path::Path| {
            if shared {
                path.to_path_buf()
            } else {
                absolute(path)
            }
        };
        Ok(BackupDetails {
            backup,
            backup_file: located.file_name.clone(),
            folder: shown(results_backup::parent_of(&located.path)),
            path: shown(&located.path),
            shared,
            size,
            in_catalog: located.catalog_entry.is_some(),
            entry: located.catalog_entry.clone(),
            metrics: shown_metrics(inspection.manifest.as_ref()),
            manifest: inspection.manifest,
            proof,
        })
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn restore_preview<R: Runtime>(
    app: AppHandle<R>,
    backup: BackupRef,
    destination: Option<PathBuf>,
) -> CommandResult<RestorePreview> {
    off_ui_thread(move || {
        let shell = app.state::<Shell>();
        let (locations, store) = current_store()?;
        let (destination, _) = access::destination(&shell.grants, &locations, destination)?;
        let located = store.locate(&shell.grants, &locations, &backup)?;
        let known = shell
            .identities
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&located.path)
            .cloned();
        let identity = match known.or_else(|| known_identity(&located)) {
            Some(identity) => identity,
            None => inspect(&located, &CancelToken::new())?.identity,
        };
        Ok(preview(
            &identity.strategy,
            identity.timestamp.as_ref(),
            &destination,
        ))
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn delete_backup<R: Runtime>(
    app: AppHandle<R>,
    backup_file: String,
) -> CommandResult<Deleted> {
    off_ui_thread(move || {
        let (_, backups, wanted) = named_backup(&app, &BackupRef::Catalog(backup_file))?;
        Ok(delete_in(&backups, &wanted, &NoProgress)?)
    })
    .await
}
