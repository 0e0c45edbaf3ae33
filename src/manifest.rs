//! The manifest: what went into one backup, down to each file's SHA-256. It travels twice: as the
//! archive's last member (so a lone archive proves itself) and beside the archive as
//! `<backup>.manifest.json`, which also records the archive's own size and SHA-256.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::error::{Error, Result};

pub const MANIFEST_FORMAT: &str = "results-backup-manifest";
pub const MANIFEST_FORMAT_VERSION: u32 = 1;
/// The archive member that holds the embedded manifest; always the archive's last member.
pub const EMBEDDED_MANIFEST_PATH: &str = ".results-backup/manifest.json";
pub const SIDECAR_SUFFIX: &str = ".manifest.json";
pub const ARCHIVE_SUFFIX: &str = ".tar.gz";
/// Only small, scalar facts from `metrics.json` are kept: enough to recognise a run.
const METRICS_FILE: &str = "metrics.json";
const METRICS_SUMMARY_MAX_FIELDS: usize = 24;
const METRICS_FILE_MAX_BYTES: u64 = 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Dir,
    File,
    Symlink,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Path inside the archive, `/`-separated, starting with the strategy folder.
    pub path: String,
    pub kind: EntryKind,
    /// Bytes of content (0 for folders and links).
    pub size: u64,
    /// Permission bits, e.g. 0o644 (stored as a number).
    pub mode: u32,
    /// Seconds since 1970-01-01 UTC.
    pub mtime: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Where a symbolic link points, exactly as stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    /// Content bytes of all files.
    pub bytes: u64,
}

/// The archive's own identity, known only after it is written: sidecar only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveInfo {
    pub file: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub app_version: String,
    pub strategy: String,
    /// `YYYYmmdd_HHMMSS` in local time, as in the backup's file name.
    pub timestamp: String,
    pub created: DateTime<FixedOffset>,
    /// The folder that was backed up.
    pub source: String,
    pub totals: Totals,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<serde_json::Map<String, serde_json::Value>>,
    pub entries: Vec<ManifestEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<ArchiveInfo>,
}

impl Manifest {
    /// Parses a manifest, accepting every format version up to ours.
    pub fn from_json(bytes: &[u8], origin: &Path) -> Result<Manifest> {
        let invalid = |detail: String| Error::InvalidManifest {
            path: origin.to_path_buf(),
            detail,
        };
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(invalid(format!(
                "it is a \"{}\" document, not a backup manifest",
                manifest.format
            )));
        }
        if manifest.format_version > MANIFEST_FORMAT_VERSION {
            return Err(invalid(format!(
                "it uses format version {}, newer than this app understands ({}); update Results Backup",
                manifest.format_version, MANIFEST_FORMAT_VERSION
            )));
        }
        Ok(manifest)
    }

    pub fn load(path: &Path) -> Result<Manifest> {
        let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
        Self::from_json(&bytes, path)
    }

    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain data structures into memory cannot fail.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// The sidecar file name for an archive file name.
    pub fn sidecar_name(archive_file: &str) -> String {
        format!("{}{SIDECAR_SUFFIX}", archive_stem(archive_file))
    }
}

/// `btc_20240220_143000.tar.gz` -> `btc_20240220_143000`.
pub fn archive_stem(archive_file: &str) -> &str {
    archive_file
        .strip_suffix(ARCHIVE_SUFFIX)
        .unwrap_or(archive_file)
}

/// Reads the scalar top-level fields of `<strategy>/metrics.json`, if it exists and is an object.
pub fn metrics_summary(strategy_dir: &Path) -> Option<serde_json::Map<String, serde_json::Value>> {
    let path = strategy_dir.join(METRICS_FILE);
    let meta = std::fs::metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > METRICS_FILE_MAX_BYTES {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    let object = value.as_object()?;
    let summary: serde_json::Map<_, _> = object
        .iter()
        .filter(|(_, v)| v.is_number() || v.is_string() || v.is_boolean())
        .filter(|(_, v)| v.as_str().is_none_or(|s| s.len() <= 200))
        .take(METRICS_SUMMARY_MAX_FIELDS)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!summary.is_empty()).then_some(summary)
}
