//! The manifest: what went into one backup, down to each file's SHA-256. It travels twice: as the
//! archive's last member (so a lone archive proves itself) and beside the archive as
//! `<backup>.manifest.json`, which also records the archive's own size and SHA-256.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

use super::names::{ArchiveFileName, Timestamp};
use crate::archive::{
    Admitted, ArchiveIndex, Layout, ManifestEntry, MemberHeader, MemberKind, StrategyName,
};
use crate::error::{Error, Result};
use crate::limits::{quoted, MAX_ENTRIES, MAX_MANIFEST_BYTES, MAX_PATH_BYTES};
use crate::sys::{self, EntryKind};

pub const MANIFEST_FORMAT: &str = "results-backup-manifest";
/// Version 2 added the optional `index` (random access into the archive); version 1 documents,
/// without it, are read as before.
pub const MANIFEST_FORMAT_VERSION: u32 = 2;
/// Only small, scalar facts from `metrics.json` are kept: enough to recognise a run.
const METRICS_FILE: &str = "metrics.json";
const METRICS_SUMMARY_MAX_FIELDS: usize = 24;
const METRICS_FILE_MAX_BYTES: u64 = 1024 * 1024;
/// What a manifest read back may carry in its metrics summary (older versions kept more).
const METRICS_MAX_FIELDS: usize = 64;
const METRICS_MAX_TEXT: usize = 200;
const APP_VERSION_MAX_BYTES: usize = 64;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Totals {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    /// Content bytes of all files.
    pub bytes: u64,
}

/// The archive's own identity, known only after it is written: sidecar only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ArchiveInfo {
    pub file: ArchiveFileName,
    pub size: u64,
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub app_version: String,
    pub strategy: StrategyName,
    /// `YYYYmmdd_HHMMSS` in local time, as in the backup's file name.
    pub timestamp: Timestamp,
    pub created: DateTime<FixedOffset>,
    /// The folder that was backed up.
    pub source: String,
    pub totals: Totals,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "Record<string, number | string | boolean>")]
    pub metrics: Option<serde_json::Map<String, serde_json::Value>>,
    pub entries: Vec<ManifestEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub archive: Option<ArchiveInfo>,
    /// Where each entry starts inside the archive, for reading one file without inflating the
    /// rest (sidecar only, like `archive`; untrusted, see `archive::index`). Not shown to the
    /// app: it is for the core's readers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(skip)]
    pub index: Option<ArchiveIndex>,
}

impl Manifest {
    /// Parses a manifest, accepting every format version up to ours, and checks everything in it
    /// that anything is later built from: names, entry paths (by the archive layout rules),
    /// kinds, checksums and totals. A manifest is untrusted like the archive it describes.
    pub fn from_json(bytes: &[u8], origin: &Path) -> Result<Manifest> {
        let invalid = |detail: String| Error::InvalidManifest {
            path: origin.to_path_buf(),
            detail,
        };
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(invalid(format!(
                "it is larger than a manifest may be ({MAX_MANIFEST_BYTES} bytes)"
            )));
        }
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| invalid(quoted(&e.to_string())))?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(invalid(format!(
                "it is a \"{}\" document, not a backup manifest",
                quoted(&manifest.format)
            )));
        }
        if manifest.format_version > MANIFEST_FORMAT_VERSION {
            return Err(invalid(format!(
                "it uses format version {}, newer than this app understands ({}); update Results Backup",
                manifest.format_version, MANIFEST_FORMAT_VERSION
            )));
        }
        manifest.validate().map_err(invalid)?;
        Ok(manifest)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if self.app_version.len() > APP_VERSION_MAX_BYTES || self.source.len() > MAX_PATH_BYTES {
            return Err("its app version or source folder is implausibly long".into());
        }
        if self.entries.len() > MAX_ENTRIES {
            return Err(format!("it lists more than {MAX_ENTRIES} entries"));
        }
        if let Some(metrics) = &self.metrics {
            validate_metrics(metrics)?;
        }
        if let Some(archive) = &self.archive {
            if !is_sha256_hex(&archive.sha256) {
                return Err("its archive checksum is not a SHA-256".into());
            }
        }
        if let Some(index) = &self.index {
            if self.archive.is_none() {
                return Err("it has an index but does not say which archive it indexes".into());
            }
            index.validate(self.entries.len())?;
        }
        let mut layout = Layout::new(Some(self.strategy.clone()));
        let mut totals = Totals::default();
        for entry in &self.entries {
            let refused = |reason: String| format!("entry \"{}\" {reason}", quoted(&entry.path));
            let header = MemberHeader {
                raw_path: entry.path.as_bytes().to_vec(),
                kind: match entry.kind {
                    EntryKind::Dir => MemberKind::Dir,
                    EntryKind::File => MemberKind::File,
                    EntryKind::Symlink => MemberKind::Symlink,
                },
                size: entry.size,
                mode: entry.mode,
                mtime: entry.mtime,
                link_target: entry.target.as_ref().map(|t| t.as_bytes().to_vec()),
            };
            match layout.admit(&header).map_err(refused)? {
                Admitted::Entry(admitted) if admitted.canonical == entry.path => {}
                _ => {
                    return Err(refused(
                        "is not a plain path inside the strategy folder".into(),
                    ))
                }
            }
            let well_formed = entry.mode <= 0o7777
                && match entry.kind {
                    EntryKind::File => {
                        entry.sha256.as_deref().is_some_and(is_sha256_hex) && entry.target.is_none()
                    }
                    EntryKind::Dir => {
                        entry.size == 0 && entry.sha256.is_none() && entry.target.is_none()
                    }
                    EntryKind::Symlink => entry.size == 0 && entry.sha256.is_none(),
                };
            if !well_formed {
                return Err(refused(
                    "has fields that do not fit its kind (size, mode, checksum or link)".into(),
                ));
            }
            match entry.kind {
                EntryKind::File => {
                    totals.files += 1;
                    totals.bytes = totals
                        .bytes
                        .checked_add(entry.size)
                        .ok_or_else(|| refused("makes the total size overflow".into()))?;
                }
                EntryKind::Dir => totals.dirs += 1,
                EntryKind::Symlink => totals.symlinks += 1,
            }
        }
        if totals != self.totals {
            return Err("its totals do not match its entries".into());
        }
        Ok(())
    }

    /// Reads a sidecar manifest: a regular file (never through a link), no larger than a
    /// manifest may be.
    pub fn load(path: &Path) -> Result<Manifest> {
        let file = sys::open_regular(path, false)?;
        let mut bytes = Vec::new();
        file.take(MAX_MANIFEST_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("read", path, e))?;
        Self::from_json(&bytes, path)
    }

    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain data structures into memory cannot fail.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// Whether an embedded copy tells the same as this sidecar (the sidecar adds only the
    /// archive's own identity).
    pub fn agrees_with(&self, embedded: &Manifest) -> bool {
        self.strategy == embedded.strategy
            && self.timestamp == embedded.timestamp
            && self.entries == embedded.entries
    }
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn validate_metrics(
    metrics: &serde_json::Map<String, serde_json::Value>,
) -> std::result::Result<(), String> {
    if metrics.len() > METRICS_MAX_FIELDS {
        return Err(format!(
            "its metrics hold more than {METRICS_MAX_FIELDS} fields"
        ));
    }
    for (key, value) in metrics {
        let scalar = value.is_number()
            || value.is_boolean()
            || value
                .as_str()
                .is_some_and(|s| s.chars().count() <= METRICS_MAX_TEXT);
        if key.chars().count() > METRICS_MAX_TEXT || !scalar {
            return Err("its metrics hold something other than short scalar values".into());
        }
    }
    Ok(())
}

/// Reads the scalar top-level fields of `<strategy>/metrics.json`, if it exists and is an object.
pub fn metrics_summary(strategy_dir: &Path) -> Option<serde_json::Map<String, serde_json::Value>> {
    let path = strategy_dir.join(METRICS_FILE);
    let file = sys::open_regular(&path, false).ok()?;
    let mut bytes = Vec::new();
    file.take(METRICS_FILE_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.len() as u64 > METRICS_FILE_MAX_BYTES {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let object = value.as_object()?;
    let summary: serde_json::Map<_, _> = object
        .iter()
        .filter(|(_, v)| v.is_number() || v.is_string() || v.is_boolean())
        .filter(|(k, v)| {
            k.chars().count() <= METRICS_MAX_TEXT
                && v.as_str()
                    .is_none_or(|s| s.chars().count() <= METRICS_MAX_TEXT)
        })
        .take(METRICS_SUMMARY_MAX_FIELDS)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!summary.is_empty()).then_some(summary)
}
