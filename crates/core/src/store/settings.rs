//! Where results and backups live. Each location comes from, in order: the command line, the
//! environment, the settings file shared by the command line and the desktop app, then the
//! original scripts' defaults (`./results`, `./backups`).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::automatic::AutomaticSettings;
use super::retention::RetentionPolicies;
use crate::error::{Error, Result};
use crate::limits::{quoted, MAX_PATH_BYTES, MAX_SETTINGS_BYTES};
use crate::sys;

pub const RESULTS_ENV: &str = "RESULTS_BACKUP_RESULTS";
pub const BACKUPS_ENV: &str = "RESULTS_BACKUP_BACKUPS";
/// Overrides the settings file location (tests and portable installs).
pub const SETTINGS_ENV: &str = "RESULTS_BACKUP_SETTINGS";
pub const DEFAULT_RESULTS: &str = "results";
pub const DEFAULT_BACKUPS: &str = "backups";
pub const DEFAULT_LEVEL: u32 = 6;
/// 2 added `automatic`; version-1 files still load (the field defaults to "nothing automatic").
const SETTINGS_FORMAT_VERSION: u32 = 2;

/// The persisted settings document (`settings.json` in the user's config folder).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default = "settings_version")]
    pub format_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_dir: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backups_dir: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression_level: Option<u32>,
    /// Automatic backups: on change and on a schedule (`store/automatic.rs`).
    #[serde(default, skip_serializing_if = "is_default_automatic")]
    pub automatic: AutomaticSettings,
    /// What `forget` keeps when no `--keep-*` flag is given. Checked as it is parsed: a bad
    /// policy or strategy key is an `InvalidSettings` error naming it.
    #[serde(default, skip_serializing_if = "RetentionPolicies::is_empty")]
    pub retention: RetentionPolicies,
}

fn is_default_automatic(automatic: &AutomaticSettings) -> bool {
    *automatic == AutomaticSettings::default()
}

fn settings_version() -> u32 {
    SETTINGS_FORMAT_VERSION
}

impl Settings {
    /// The settings file path: `$RESULTS_BACKUP_SETTINGS`, else `<config dir>/results-backup/settings.json`.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(SETTINGS_ENV) {
            return Some(PathBuf::from(p));
        }
        dirs::config_dir().map(|d| d.join("results-backup").join("settings.json"))
    }

    /// Loads the settings; a missing file means "nothing configured", not an error. The file is
    /// untrusted like everything read back: a regular file of bounded size, a known format
    /// version, absolute folders and a compression level in range, or a plain error.
    pub fn load(path: &Path) -> Result<Settings> {
        let Some(bytes) = sys::read_bounded(path, true, MAX_SETTINGS_BYTES)? else {
            return Ok(Settings::default());
        };
        Settings::from_json(&bytes, path)
    }

    /// Parses and checks a settings document read from `origin`.
    pub fn from_json(bytes: &[u8], origin: &Path) -> Result<Settings> {
        let invalid = |detail: String| Error::InvalidSettings {
            path: origin.to_path_buf(),
            detail,
        };
        if bytes.len() as u64 > MAX_SETTINGS_BYTES {
            return Err(invalid(format!(
                "it is larger than {MAX_SETTINGS_BYTES} bytes"
            )));
        }
        let settings: Settings =
            serde_json::from_slice(bytes).map_err(|e| invalid(quoted(&e.to_string())))?;
        if settings.format_version > SETTINGS_FORMAT_VERSION {
            return Err(invalid(format!(
                "it uses format version {}, newer than this app understands ({SETTINGS_FORMAT_VERSION}); update Results Backup",
                settings.format_version
            )));
        }
        for (key, folder) in [
            ("results_dir", &settings.results_dir),
            ("backups_dir", &settings.backups_dir),
        ] {
            if let Some(folder) = folder {
                if !folder.is_absolute() || folder.as_os_str().len() > MAX_PATH_BYTES {
                    return Err(invalid(format!(
                        "{key} must be an absolute folder path, not \"{}\"",
                        quoted(&folder.display().to_string())
                    )));
                }
            }
        }
        if let Some(level) = settings.compression_level {
            validate_level(level).map_err(|e| invalid(e.to_string()))?;
        }
        settings.automatic.validate().map_err(invalid)?;
        Ok(settings)
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        sys::ensure_dir(sys::parent_of(path))?;
        let mut doc = self.clone();
        doc.format_version = SETTINGS_FORMAT_VERSION;
        let json = serde_json::to_vec_pretty(&doc).map_err(|e| Error::InvalidSettings {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        sys::write_atomically(path, &json)
    }
}

/// The resolved folders every operation works on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Locations {
    pub results: PathBuf,
    pub backups: PathBuf,
    pub level: u32,
}

/// What the caller asked for explicitly (command-line flags); `None` falls through to the
/// environment, then the settings file, then the defaults.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub results: Option<PathBuf>,
    pub backups: Option<PathBuf>,
    pub level: Option<u32>,
}

impl Locations {
    pub fn new(results: impl Into<PathBuf>, backups: impl Into<PathBuf>) -> Self {
        Locations {
            results: results.into(),
            backups: backups.into(),
            level: DEFAULT_LEVEL,
        }
    }

    /// Resolves with the real environment and settings file.
    pub fn resolve(overrides: &Overrides) -> Result<Locations> {
        let settings = match Settings::default_path() {
            Some(path) => Settings::load(&path)?,
            None => Settings::default(),
        };
        Ok(Self::resolve_from(
            overrides,
            |k| std::env::var_os(k),
            &settings,
        ))
    }

    pub fn resolve_from(
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<std::ffi::OsString>,
        settings: &Settings,
    ) -> Locations {
        let pick = |flag: &Option<PathBuf>, var: &str, saved: &Option<PathBuf>| {
            flag.clone()
                .or_else(|| env(var).filter(|v| !v.is_empty()).map(PathBuf::from))
                .or_else(|| saved.clone())
        };
        let results = pick(&overrides.results, RESULTS_ENV, &settings.results_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_RESULTS));
        let backups = pick(&overrides.backups, BACKUPS_ENV, &settings.backups_dir)
            .unwrap_or_else(|| default_backups_beside(&results));
        Locations {
            results,
            backups,
            level: overrides
                .level
                .or(settings.compression_level)
                .unwrap_or(DEFAULT_LEVEL),
        }
    }
}

/// The backups folder when none is configured: `backups` beside the results folder, which for the
/// original scripts' `./results` is their `./backups`.
pub fn default_backups_beside(results: &Path) -> PathBuf {
    match results.parent() {
        Some(parent) => parent.join(DEFAULT_BACKUPS),
        None => PathBuf::from(DEFAULT_BACKUPS),
    }
}

/// Rejects compression levels outside 1..=9 with a plain error.
pub fn validate_level(level: u32) -> Result<u32> {
    if (1..=9).contains(&level) {
        Ok(level)
    } else {
        Err(Error::InvalidLevel { level })
    }
}

/// Checks that the results folder exists and is a folder.
pub fn check_results_folder(results: &Path) -> Result<()> {
    match std::fs::metadata(results) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::NotAFolder {
            path: results.to_path_buf(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::ResultsFolderMissing {
            path: results.to_path_buf(),
        }),
        Err(e) => Err(Error::io("open", results, e)),
    }
}
