//! Where results and backups live. Each location comes from, in order: the command line, the
//! environment, the settings file shared by the command line and the desktop app, then the
//! original scripts' defaults (`./results`, `./backups`).
//!
//! Backups are kept in a folder on this computer or in a shared S3 store (`s3://bucket/prefix`).
//! The folder is always resolved too: it is where the store is when no S3 store is chosen, and
//! where a replacing restore keeps its safety backup when one is.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::automatic::AutomaticSettings;
use super::retention::RetentionPolicies;
use crate::error::{Error, Result};
use crate::limits::{quoted, MAX_PATH_BYTES, MAX_SETTINGS_BYTES};
use crate::sys;
use crate::sys::s3::S3Location;

pub const RESULTS_ENV: &str = "RESULTS_BACKUP_RESULTS";
pub const BACKUPS_ENV: &str = "RESULTS_BACKUP_BACKUPS";
/// Overrides the settings file location (tests and portable installs).
pub const SETTINGS_ENV: &str = "RESULTS_BACKUP_SETTINGS";
pub const DEFAULT_RESULTS: &str = "results";
pub const DEFAULT_BACKUPS: &str = "backups";
pub const DEFAULT_LEVEL: u32 = 6;
/// The S3-compatible server of an `s3://` store given on the command line or in the environment
/// (the AWS tools' own variables, so one setting serves both).
pub const ENDPOINT_ENVS: [&str; 2] = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"];
pub const REGION_ENVS: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];
/// AWS profile names: what the AWS tools accept in practice, bounded.
const MAX_PROFILE_CHARS: usize = 64;
/// 2 added `automatic`, 3 added `backups` (a shared S3 store); older files still load.
const SETTINGS_FORMAT_VERSION: u32 = 3;

/// The persisted settings document (`settings.json` in the user's config folder).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default = "settings_version")]
    pub format_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_dir: Option<PathBuf>,
    /// The backups folder on this computer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backups_dir: Option<PathBuf>,
    /// Where backups are kept: absent or `{"kind": "folder"}` means `backups_dir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backups: Option<BackupsSetting>,
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

/// Where backups are kept, as the settings file says it. Credentials are never part of it: they
/// come from the AWS chain (environment, `~/.aws` files), optionally from the named `profile`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BackupsSetting {
    Folder,
    S3 {
        bucket: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        prefix: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        profile: Option<String>,
    },
}

/// A shared S3 store and the AWS profile its keys come from (`None`: the default chain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteChoice {
    pub location: S3Location,
    pub profile: Option<String>,
}

impl RemoteChoice {
    /// An `s3://` address given on the command line or in the environment, with the endpoint and
    /// region of `--endpoint`/`--region`, else of the AWS variables; keys from the default chain.
    pub fn given(
        address: &str,
        overrides: &Overrides,
        env: &impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<RemoteChoice> {
        let location = with_given_endpoint(S3Location::parse(address)?, overrides, env)?;
        Ok(RemoteChoice {
            location,
            profile: None,
        })
    }
}

impl BackupsSetting {
    /// The S3 store this setting names, checked like a command-line address; `None` for a folder.
    pub fn remote(&self) -> Result<Option<RemoteChoice>> {
        check_store_fields(self).map_err(|refused| refused.error)
    }
}

/// A field of the shared-storage form, so a refused value is shown where it was typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum StoreField {
    Bucket,
    Prefix,
    Endpoint,
    Region,
    Profile,
}

/// A value of the form the store's rules refuse, and which field it is.
#[derive(Debug)]
pub struct StoreFieldError {
    pub field: StoreField,
    pub error: Error,
}

/// Trims what a form sends: spaces around values, slashes around the prefix, and empty optional
/// fields meaning "not set" (AWS itself, the default region, the default key chain).
pub fn tidy_store_setting(setting: BackupsSetting) -> BackupsSetting {
    let optional = |value: Option<String>| {
        value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    match setting {
        BackupsSetting::Folder => BackupsSetting::Folder,
        BackupsSetting::S3 {
            bucket,
            prefix,
            endpoint,
            region,
            profile,
        } => BackupsSetting::S3 {
            bucket: bucket.trim().to_string(),
            prefix: prefix.trim().trim_matches('/').to_string(),
            endpoint: optional(endpoint),
            region: optional(region),
            profile: optional(profile),
        },
    }
}

/// The store a form names, each field checked by the same rules as the settings file, so the
/// first refused value is reported with its field. `None` for a folder.
pub fn check_store_fields(
    setting: &BackupsSetting,
) -> std::result::Result<Option<RemoteChoice>, StoreFieldError> {
    let BackupsSetting::S3 {
        bucket,
        prefix,
        endpoint,
        region,
        profile,
    } = setting
    else {
        return Ok(None);
    };
    let at = |field: StoreField| move |error: Error| StoreFieldError { field, error };
    // A slash would move the rest of the bucket into the prefix unnoticed.
    let bucket_only = if bucket.contains('/') {
        Err(Error::InvalidStoreAddress {
            text: quoted(bucket),
            detail: "a bucket name has no slashes; put folders in \"Folder in the bucket\"".into(),
        })
    } else {
        S3Location::parse(&format!("s3://{bucket}"))
    };
    let mut location = bucket_only.map_err(at(StoreField::Bucket))?;
    location.prefix = S3Location::parse(&format!("s3://{bucket}/{prefix}"))
        .map_err(at(StoreField::Prefix))?
        .prefix;
    if let Some(endpoint) = endpoint {
        location = location
            .with_endpoint(endpoint)
            .map_err(at(StoreField::Endpoint))?;
    }
    if let Some(region) = region {
        location = location
            .with_region(region)
            .map_err(at(StoreField::Region))?;
    }
    if let Some(profile) = profile {
        check_profile(profile).map_err(at(StoreField::Profile))?;
    }
    Ok(Some(RemoteChoice {
        location,
        profile: profile.clone(),
    }))
}

/// A profile name ends up in a file lookup: plain characters only, bounded.
pub fn check_profile(profile: &str) -> Result<()> {
    let valid = !profile.is_empty()
        && profile.chars().count() <= MAX_PROFILE_CHARS
        && profile
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@' | b'+'));
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidStoreAddress {
            text: quoted(profile),
            detail: format!(
                "an AWS profile name is up to {MAX_PROFILE_CHARS} letters, digits and - _ . @ +"
            ),
        })
    }
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
        if let Some(backups) = &settings.backups {
            backups
                .remote()
                .map_err(|e| invalid(format!("backups: {e}")))?;
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

/// The resolved places every operation works on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Locations {
    pub results: PathBuf,
    /// The backups folder on this computer: the store itself unless `remote` is set.
    pub backups: PathBuf,
    pub level: u32,
    /// The shared S3 store backups are kept in, when one is chosen.
    #[serde(skip)]
    pub remote: Option<RemoteChoice>,
}

/// What the caller asked for explicitly (command-line flags); `None` falls through to the
/// environment, then the settings file, then the defaults.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub results: Option<PathBuf>,
    /// A folder, or an `s3://bucket/prefix` address.
    pub backups: Option<PathBuf>,
    pub level: Option<u32>,
    /// For an `s3://` store given on the command line or in the environment.
    pub endpoint: Option<String>,
    pub region: Option<String>,
}

impl Locations {
    pub fn new(results: impl Into<PathBuf>, backups: impl Into<PathBuf>) -> Self {
        Locations {
            results: results.into(),
            backups: backups.into(),
            level: DEFAULT_LEVEL,
            remote: None,
        }
    }

    /// Resolves with the real environment and settings file.
    pub fn resolve(overrides: &Overrides) -> Result<Locations> {
        let settings = match Settings::default_path() {
            Some(path) => Settings::load(&path)?,
            None => Settings::default(),
        };
        Self::resolve_from(overrides, |k| std::env::var_os(k), &settings)
    }

    /// The backups place comes whole from the first of flag, environment and settings that names
    /// one: an `s3://` flag or variable is the store, and the folder on this computer then comes
    /// from the settings or the default. An S3 store's endpoint and region come from the flags,
    /// else the settings' store, else the AWS variables.
    pub fn resolve_from(
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<std::ffi::OsString>,
        settings: &Settings,
    ) -> Result<Locations> {
        let results = overrides
            .results
            .clone()
            .or_else(|| {
                env(RESULTS_ENV)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .or_else(|| settings.results_dir.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_RESULTS));
        let saved_folder = settings
            .backups_dir
            .clone()
            .unwrap_or_else(|| default_backups_beside(&results));
        let given = overrides.backups.clone().or_else(|| {
            env(BACKUPS_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        let (backups, remote) = match given {
            Some(given) => match given.to_str().filter(|text| S3Location::is_address(text)) {
                Some(address) => (
                    saved_folder,
                    Some(RemoteChoice::given(address, overrides, &env)?),
                ),
                None => (given, None),
            },
            None => {
                let remote = match &settings.backups {
                    Some(setting) => setting.remote()?,
                    None => None,
                };
                let remote = match remote {
                    Some(mut choice) => {
                        choice.location =
                            with_given_endpoint(choice.location, overrides, &|_| None)?;
                        Some(choice)
                    }
                    None => None,
                };
                (saved_folder, remote)
            }
        };
        Ok(Locations {
            results,
            backups,
            level: overrides
                .level
                .or(settings.compression_level)
                .unwrap_or(DEFAULT_LEVEL),
            remote,
        })
    }
}

/// Applies `--endpoint`/`--region`, else (for a store not from the settings) the AWS variables.
fn with_given_endpoint(
    mut location: S3Location,
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<std::ffi::OsString>,
) -> Result<S3Location> {
    let from_env = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| env(name).and_then(|v| v.into_string().ok()))
            .filter(|v| !v.is_empty())
    };
    let endpoint = overrides.endpoint.clone().or_else(|| {
        location
            .endpoint
            .is_none()
            .then(|| from_env(&ENDPOINT_ENVS))
            .flatten()
    });
    if let Some(endpoint) = endpoint {
        location = location.with_endpoint(&endpoint)?;
    }
    let region = overrides.region.clone().or_else(|| {
        location
            .region
            .is_none()
            .then(|| from_env(&REGION_ENVS))
            .flatten()
    });
    if let Some(region) = region {
        location = location.with_region(&region)?;
    }
    Ok(location)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| OsString::from(v))
        }
    }

    fn s3_settings() -> Settings {
        Settings::from_json(
            br#"{"results_dir": "/r", "backups_dir": "/local",
                 "backups": {"kind": "s3", "bucket": "team-results", "prefix": "desk/a",
                             "endpoint": "https://s3.example.net", "region": "eu-west-1",
                             "profile": "team"}}"#,
            Path::new("settings.json"),
        )
        .expect("valid settings")
    }

    #[test]
    fn a_store_in_the_settings_is_chosen_with_its_endpoint_region_and_profile() {
        let locations =
            Locations::resolve_from(&Overrides::default(), env_of(&[]), &s3_settings()).unwrap();
        let remote = locations.remote.expect("the S3 store");
        assert_eq!(remote.location.shown(), "s3://team-results/desk/a");
        assert_eq!(
            remote.location.endpoint.as_deref(),
            Some("https://s3.example.net")
        );
        assert_eq!(remote.location.region.as_deref(), Some("eu-west-1"));
        assert_eq!(remote.profile.as_deref(), Some("team"));
        // The folder on this computer is still known: safety backups of a replacing restore.
        assert_eq!(locations.backups, PathBuf::from("/local"));
    }

    #[test]
    fn a_folder_given_in_the_environment_beats_the_settings_store() {
        let env = env_of(&[(BACKUPS_ENV, "/elsewhere")]);
        let locations =
            Locations::resolve_from(&Overrides::default(), env, &s3_settings()).unwrap();
        assert_eq!(locations.remote, None);
        assert_eq!(locations.backups, PathBuf::from("/elsewhere"));
    }

    #[test]
    fn an_address_in_the_environment_takes_its_endpoint_from_the_aws_variables() {
        let env = env_of(&[
            (BACKUPS_ENV, "s3://other-bucket/p"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
            ("AWS_REGION", "eu-north-1"),
        ]);
        let locations =
            Locations::resolve_from(&Overrides::default(), env, &s3_settings()).unwrap();
        let remote = locations.remote.expect("the S3 store");
        assert_eq!(remote.location.shown(), "s3://other-bucket/p");
        assert_eq!(
            remote.location.endpoint.as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(remote.location.region.as_deref(), Some("eu-north-1"));
        assert_eq!(remote.profile, None);
    }

    #[test]
    fn flags_beat_the_environment_for_the_address_endpoint_and_region() {
        let env = env_of(&[
            (BACKUPS_ENV, "s3://other-bucket/p"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
        ]);
        let overrides = Overrides {
            backups: Some("s3://flag-bucket".into()),
            endpoint: Some("http://localhost:1234/".into()),
            region: Some("ap-south-1".into()),
            ..Overrides::default()
        };
        let remote = Locations::resolve_from(&overrides, env, &Settings::default())
            .unwrap()
            .remote
            .expect("the S3 store");
        assert_eq!(remote.location.shown(), "s3://flag-bucket");
        assert_eq!(
            remote.location.endpoint.as_deref(),
            Some("http://localhost:1234")
        );
        assert_eq!(remote.location.region.as_deref(), Some("ap-south-1"));
    }

    #[test]
    fn a_bad_address_in_the_environment_is_a_plain_error() {
        let env = env_of(&[(BACKUPS_ENV, "s3://Bad_Bucket")]);
        let error =
            Locations::resolve_from(&Overrides::default(), env, &Settings::default()).unwrap_err();
        assert_eq!(error.code(), "invalid_store_address");
    }

    #[test]
    fn hostile_store_settings_are_refused_where_parsed() {
        for (doc, says) in [
            (r#"{"kind": "s3", "bucket": "../etc"}"#, "bucket"),
            // Would silently move "desk" into the prefix.
            (r#"{"kind": "s3", "bucket": "team/desk"}"#, "no slashes"),
            (
                r#"{"kind": "s3", "bucket": "ok-bucket", "prefix": "a/../b"}"#,
                "prefix",
            ),
            (
                r#"{"kind": "s3", "bucket": "ok-bucket", "endpoint": "https://key:secret@host"}"#,
                "endpoint",
            ),
            (
                r#"{"kind": "s3", "bucket": "ok-bucket", "region": "EU WEST"}"#,
                "region",
            ),
            (
                r#"{"kind": "s3", "bucket": "ok-bucket", "profile": "../../x"}"#,
                "profile",
            ),
            (
                r#"{"kind": "s3", "bucket": "ok-bucket", "secret_access_key": "x"}"#,
                "unknown field",
            ),
            (r#"{"kind": "ftp"}"#, "unknown variant"),
        ] {
            let json = format!(r#"{{"backups": {doc}}}"#);
            let error =
                Settings::from_json(json.as_bytes(), Path::new("settings.json")).expect_err(doc);
            let message = error.to_string();
            assert_eq!(error.code(), "invalid_settings", "{doc}: {message}");
            assert!(message.contains(says), "{doc}: {message}");
            assert!(!message.contains("secret@"), "{message}");
        }
    }

    #[test]
    fn a_folder_setting_and_older_files_keep_the_folder() {
        let settings = Settings::from_json(
            br#"{"format_version": 2, "backups_dir": "/b", "backups": {"kind": "folder"}}"#,
            Path::new("settings.json"),
        )
        .unwrap();
        let locations =
            Locations::resolve_from(&Overrides::default(), env_of(&[]), &settings).unwrap();
        assert_eq!(locations.backups, PathBuf::from("/b"));
        assert_eq!(locations.remote, None);
    }

    fn s3(bucket: &str, prefix: &str, endpoint: Option<&str>) -> BackupsSetting {
        BackupsSetting::S3 {
            bucket: bucket.into(),
            prefix: prefix.into(),
            endpoint: endpoint.map(String::from),
            region: None,
            profile: None,
        }
    }

    #[test]
    fn a_refused_value_names_its_field() {
        let field_of = |setting: BackupsSetting| {
            check_store_fields(&setting)
                .err()
                .map(|refused| refused.field)
        };
        assert_eq!(field_of(s3("No_Such", "", None)), Some(StoreField::Bucket));
        assert_eq!(
            field_of(s3("team/results", "", None)),
            Some(StoreField::Bucket)
        );
        assert_eq!(
            field_of(s3("team", "a/../b", None)),
            Some(StoreField::Prefix)
        );
        assert_eq!(
            field_of(s3("team", "", Some("ftp://host"))),
            Some(StoreField::Endpoint)
        );
        let mut bad_region = s3("team", "", None);
        if let BackupsSetting::S3 { region, .. } = &mut bad_region {
            *region = Some("EU West".into());
        }
        assert_eq!(field_of(bad_region), Some(StoreField::Region));
        assert_eq!(field_of(s3("team", "quant/results", None)), None);
    }

    #[test]
    fn an_endpoint_with_a_password_is_refused_without_echoing_it() {
        let refused =
            check_store_fields(&s3("team", "", Some("https://me:hunter2@s3.example.com")))
                .expect_err("refused");
        assert_eq!(refused.field, StoreField::Endpoint);
        assert!(!refused.error.to_string().contains("hunter2"));
    }

    #[test]
    fn a_form_is_tidied_before_it_is_checked() {
        let tidy = tidy_store_setting(BackupsSetting::S3 {
            bucket: " team ".into(),
            prefix: "/quant/results/".into(),
            endpoint: Some("  ".into()),
            region: Some(String::new()),
            profile: Some(" research ".into()),
        });
        assert_eq!(
            tidy,
            BackupsSetting::S3 {
                bucket: "team".into(),
                prefix: "quant/results".into(),
                endpoint: None,
                region: None,
                profile: Some("research".into()),
            }
        );
    }
}
