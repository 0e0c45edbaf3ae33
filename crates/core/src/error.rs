//! The one error type of the core. Every variant names the file or backup it is about, reads as a
//! plain sentence, and carries a stable `code` plus a `hint` saying what to do next, so the command
//! line and the desktop app only render it.

use std::io;
use std::path::{Path, PathBuf};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("The results folder {} does not exist", .path.display())]
    ResultsFolderMissing { path: PathBuf },

    #[error("{} is a file, not a folder", .path.display())]
    NotAFolder { path: PathBuf },

    #[error("There is no strategy named \"{name}\" in {}", .results.display())]
    UnknownStrategy { name: String, results: PathBuf },

    #[error("\"{name}\" is not a valid strategy name")]
    InvalidStrategyName { name: String },

    #[error("There is no backup named \"{name}\" in {}", .backups.display())]
    UnknownBackup { name: String, backups: PathBuf },

    #[error("Could not {action} {}: {}", .path.display(), plain_io_reason(.source))]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{} has a name that is not valid Unicode", .path.display())]
    InvalidFileName { path: PathBuf },

    #[error("{} {reason}", .path.display())]
    UnsafeLink { path: PathBuf, reason: String },

    #[error("{} changed while it was being backed up", .path.display())]
    ChangedDuringBackup { path: PathBuf },

    #[error("{} is not a gzip file", .path.display())]
    NotGzip { path: PathBuf },

    #[error("{} is damaged: {detail}", .path.display())]
    CorruptArchive { path: PathBuf, detail: String },

    #[error("{} refuses to restore: entry \"{entry}\" {reason}", .path.display())]
    UnsafeEntry {
        path: PathBuf,
        entry: String,
        reason: String,
    },

    #[error("The manifest {} cannot be read: {detail}", .path.display())]
    InvalidManifest { path: PathBuf, detail: String },

    #[error("{} does not match its manifest: {detail}", .path.display())]
    VerificationFailed { path: PathBuf, detail: String },

    #[error("{} already exists", .path.display())]
    AlreadyExists { path: PathBuf },

    #[error("The settings file {} cannot be read: {detail}", .path.display())]
    InvalidSettings { path: PathBuf, detail: String },

    #[error("{file} cannot be drawn as an equity curve: {detail}")]
    InvalidEquityCurve { file: String, detail: String },

    #[error("There is nothing to back up automatically: no policy in {}", .settings.display())]
    NoAutomaticPolicy { settings: PathBuf },

    #[error("Compression level {level} is not between 1 and 9")]
    InvalidLevel { level: u32 },

    #[error("{} is not a regular file", .path.display())]
    NotARegularFile { path: PathBuf },

    #[error("{} is no longer the one that was chosen: it was moved or replaced since", .path.display())]
    ChangedSinceChosen { path: PathBuf },

    #[error("{} is refused: {detail}", .path.display())]
    UnsafeArchive { path: PathBuf, detail: String },

    #[error(
        "There is not enough free space for this restore in {}: it needs {} and room to spare, and {} is free",
        .path.display(), human_bytes(*.needed), human_bytes(*.available)
    )]
    NotEnoughSpace {
        path: PathBuf,
        needed: u64,
        available: u64,
    },

    #[error("{} is too large for one backup: {detail}", .path.display())]
    TooLarge { path: PathBuf, detail: String },

    #[error("The retention policy cannot be used: {detail}")]
    InvalidPolicy { detail: String },

    #[error("No retention policy was given, and the settings hold none")]
    NoPolicy,

    #[error("The filter \"{}\" cannot be read: {detail}", crate::limits::quoted(.query))]
    InvalidQuery {
        query: String,
        /// 1-based column (in characters) of the problem; one past the end when it ends early.
        position: usize,
        detail: String,
    },

    #[error("{} has no manifest beside it, and comparing reads manifests only", .path.display())]
    ManifestMissing { path: PathBuf },
    #[error("{} cannot be copied into another store: {detail}", .path.display())]
    NotCopyable { path: PathBuf, detail: String },
    #[error("\"{path}\" cannot be taken from this backup: {reason}")]
    InvalidSelection { path: String, reason: String },

    #[error("The index of {} cannot be followed: {detail}", .path.display())]
    IndexRefused { path: PathBuf, detail: String },

    #[error("The operation was cancelled")]
    Cancelled,

    /// A request to an S3-compatible store failed. Built from the kind of failure only, never
    /// from the server's or the client's own text, so no credential or signature can leak here.
    #[error("Could not {action} {object} in {store}: {}", .reason.sentence(store))]
    Remote {
        /// `s3://bucket/prefix`, as the analyst wrote it (validated).
        store: String,
        action: &'static str,
        object: String,
        reason: RemoteReason,
    },

    #[error("{} is not a store this app can use: {detail}", crate::limits::quoted(.text))]
    InvalidStoreAddress { text: String, detail: String },

    /// A named AWS profile cannot give keys. Names the profile and the files, never their text.
    #[error("The AWS profile \"{}\" {detail} {files}", crate::limits::quoted(.profile))]
    AwsProfileUnusable {
        profile: String,
        files: String,
        detail: String,
    },
}

/// Why a request to a remote store failed, in the few kinds a person can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoteReason {
    /// The object, or the bucket itself, does not exist.
    NotFound,
    /// The credentials were refused or do not allow this.
    AccessDenied,
    /// A conditional publish found the object already there.
    AlreadyExists,
    /// No answer, or only server errors, after the bounded retries.
    Unreachable,
    /// The connection broke part-way through a transfer, and the retries did not get it back.
    ConnectionLost,
    /// The store kept asking us to slow down (S3's 503 Slow Down, 429) through every retry.
    Throttled,
    /// The bucket itself does not exist (S3's `NoSuchBucket`): deleted, or a wrong name or
    /// endpoint.
    BucketMissing,
    /// The store's own settings (endpoint, region, credentials) cannot be used.
    Misconfigured,
    /// Anything else the server answered.
    Unexpected,
}

impl RemoteReason {
    /// `store` is the validated `s3://bucket/prefix` the error is about.
    fn sentence(&self, store: &str) -> String {
        let sentence = match self {
            RemoteReason::NotFound => "it does not exist (or the bucket does not)",
            RemoteReason::AccessDenied => {
                "access was denied: the store refused the credentials in use, or they do not allow this"
            }
            RemoteReason::AlreadyExists => "an object with that name already exists",
            RemoteReason::Unreachable => {
                "the store did not answer, or answered only with errors, after several tries"
            }
            RemoteReason::ConnectionLost => {
                "the connection was lost part-way through, and several tries did not get it back"
            }
            RemoteReason::Throttled => {
                "the store kept asking to slow down (it is busy), through several tries"
            }
            RemoteReason::BucketMissing => {
                let bucket = store
                    .strip_prefix("s3://")
                    .and_then(|rest| rest.split('/').next())
                    .unwrap_or(store);
                return format!("the bucket \"{bucket}\" does not exist");
            }
            RemoteReason::Misconfigured => {
                "the bucket does not exist, or the endpoint, region or credentials cannot be used"
            }
            RemoteReason::Unexpected => "the store gave an unexpected answer",
        };
        sentence.to_string()
    }
}

impl Error {
    /// Wraps an I/O failure with the file it concerns and what we were doing to it. A store's
    /// failure that travelled inside the `io::Error` (see [`Error::carried_by`]) is returned as
    /// itself: a dropped connection is the store's failure, not the file's.
    pub fn io(action: &'static str, path: impl AsRef<Path>, source: io::Error) -> Self {
        if let Some(carried) = Error::carried_by(&source) {
            return carried;
        }
        Error::Io {
            action,
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// The store's failure inside an `io::Error`, taken back out. A stream from a store reaches
    /// the archive reader as a plain `Read` (through threads and channels that only know
    /// `io::Error`), so the reader wraps its typed error with `io::Error::other`; wherever the
    /// error surfaces it is unwrapped here, so a cut connection reads as the store's failure
    /// and never as damage to the backup. Only [`Error::Remote`] travels this way (it is the one
    /// that can be copied: the pipeline hands one error to two stages).
    pub fn carried_by(err: &io::Error) -> Option<Error> {
        match err.get_ref()?.downcast_ref::<Error>()? {
            Error::Remote {
                store,
                action,
                object,
                reason,
            } => Some(Error::Remote {
                store: store.clone(),
                action,
                object: object.clone(),
                reason: *reason,
            }),
            _ => None,
        }
    }

    /// One of our errors that had to travel inside an I/O error (through a `Write` such as an
    /// upload's) comes out as itself, with its own code: "store_unreachable", not "io".
    pub(crate) fn surfaced(self) -> Self {
        match self {
            Error::Io {
                action,
                path,
                source,
            } if source.get_ref().is_some_and(|inner| inner.is::<Error>()) => {
                let kind = source.kind();
                match source.into_inner().map(|inner| inner.downcast::<Error>()) {
                    Some(Ok(ours)) => *ours,
                    Some(Err(other)) => Error::io(action, path, io::Error::new(kind, other)),
                    None => Error::io(action, path, io::Error::from(kind)),
                }
            }
            other => other,
        }
    }

    /// A stable identifier scripts and the UI can match on; never reworded.
    pub fn code(&self) -> &'static str {
        match self {
            Error::ResultsFolderMissing { .. } => "results_folder_missing",
            Error::NotAFolder { .. } => "not_a_folder",
            Error::UnknownStrategy { .. } => "unknown_strategy",
            Error::InvalidStrategyName { .. } => "invalid_strategy_name",
            Error::UnknownBackup { .. } => "unknown_backup",
            Error::Io { source, .. } => match source.kind() {
                io::ErrorKind::NotFound => "not_found",
                io::ErrorKind::PermissionDenied => "permission_denied",
                io::ErrorKind::StorageFull => "disk_full",
                io::ErrorKind::ReadOnlyFilesystem => "read_only",
                _ => "io",
            },
            Error::InvalidFileName { .. } => "invalid_file_name",
            Error::UnsafeLink { .. } => "unsafe_link",
            Error::ChangedDuringBackup { .. } => "changed_during_backup",
            Error::NotGzip { .. } => "not_gzip",
            Error::CorruptArchive { .. } => "corrupt_archive",
            Error::UnsafeEntry { .. } => "unsafe_entry",
            Error::InvalidManifest { .. } => "invalid_manifest",
            Error::VerificationFailed { .. } => "verification_failed",
            Error::AlreadyExists { .. } => "already_exists",
            Error::InvalidSettings { .. } => "invalid_settings",
            Error::InvalidEquityCurve { .. } => "invalid_equity_curve",
            Error::NoAutomaticPolicy { .. } => "no_automatic_policy",
            Error::InvalidLevel { .. } => "invalid_level",
            Error::NotARegularFile { .. } => "not_a_regular_file",
            Error::ChangedSinceChosen { .. } => "changed_since_chosen",
            Error::UnsafeArchive { .. } => "unsafe_archive",
            Error::NotEnoughSpace { .. } => "not_enough_space",
            Error::TooLarge { .. } => "too_large",
            Error::InvalidPolicy { .. } => "invalid_policy",
            Error::NoPolicy => "no_policy",
            Error::InvalidQuery { .. } => "invalid_query",
            Error::ManifestMissing { .. } => "manifest_missing",
            Error::NotCopyable { .. } => "not_copyable",
            Error::InvalidSelection { .. } => "invalid_selection",
            Error::IndexRefused { .. } => "index_refused",
            Error::Cancelled => "cancelled",
            Error::Remote { reason, .. } => match reason {
                RemoteReason::NotFound => "store_not_found",
                RemoteReason::AccessDenied => "store_access_denied",
                RemoteReason::AlreadyExists => "store_object_exists",
                RemoteReason::Unreachable
                | RemoteReason::ConnectionLost
                | RemoteReason::Throttled => "store_unreachable",
                // Kept from before the bucket was told apart: scripts match on codes.
                RemoteReason::Misconfigured | RemoteReason::BucketMissing => "store_misconfigured",
                RemoteReason::Unexpected => "store_error",
            },
            Error::InvalidStoreAddress { .. } => "invalid_store_address",
            Error::AwsProfileUnusable { .. } => "aws_profile_unusable",
        }
    }

    /// What the person should do next, in one sentence.
    pub fn hint(&self) -> String {
        match self {
            Error::ResultsFolderMissing { .. } => {
                "Choose the folder that holds your strategy folders in Settings (on the command line: --results DIR).".into()
            }
            Error::NotAFolder { .. } => "Choose the folder that contains it instead.".into(),
            Error::UnknownStrategy { .. } => {
                "Run `scan` to see the strategies that exist, and check the spelling.".into()
            }
            Error::InvalidStrategyName { .. } => {
                "Use the name of a folder inside the results folder, without slashes.".into()
            }
            Error::UnknownBackup { .. } => {
                "Run `list` to see the backups, or give the path to a .tar.gz file.".into()
            }
            Error::Io { source, .. } => match source.kind() {
                io::ErrorKind::NotFound => "Check that the path is right and still exists.".into(),
                io::ErrorKind::PermissionDenied => {
                    "Check the file's permissions, or choose a folder you can write to.".into()
                }
                io::ErrorKind::StorageFull => {
                    "Free some space on that disk, or choose a backups folder on another disk. Nothing was left half-written.".into()
                }
                io::ErrorKind::ReadOnlyFilesystem => "Choose a folder on a writable disk.".into(),
                _ => "Check the disk and try again.".into(),
            },
            Error::InvalidFileName { .. } => {
                "Rename the file so its name uses ordinary characters, then back up again.".into()
            }
            Error::UnsafeLink { .. } => {
                "A backup keeps links as links and could not restore this one safely; replace the link with a copy of what it points to.".into()
            }
            Error::ChangedDuringBackup { .. } => {
                "Wait until the backtest writing this folder has finished, then back up again.".into()
            }
            Error::NotGzip { .. } | Error::CorruptArchive { .. } => {
                "This file cannot be trusted; restore from another backup of the same strategy.".into()
            }
            Error::UnsafeEntry { .. } => {
                "Nothing was written. Do not restore this archive; it may have been tampered with.".into()
            }
            Error::InvalidManifest { .. } => {
                "Run `catalog rebuild` to recreate it from the archive's embedded manifest.".into()
            }
            Error::VerificationFailed { .. } => {
                "Nothing was written. Restore from another backup of the same strategy.".into()
            }
            Error::AlreadyExists { .. } => {
                "Choose another destination, or pick copy or replace for the conflict.".into()
            }
            Error::InvalidSettings { .. } => {
                "Fix or delete the settings file; the defaults will be used until then.".into()
            }
            Error::InvalidEquityCurve { .. } => {
                "Open the file itself to look at it; a curve needs a column named equity (or balance, nav, portfolio_value) with numbers.".into()
            }
            Error::NoAutomaticPolicy { .. } => {
                "Turn on automatic backups in Settings; on the command line run `results-backup watch --on-change` (or `--every day --at 18:30`), or add \"automatic\": {\"all\": {\"on_change\": true}} to the settings file.".into()
            }
            Error::InvalidLevel { .. } => "Use a level from 1 (fastest) to 9 (smallest).".into(),
            Error::NotARegularFile { .. } => {
                "Results Backup reads and writes only regular files, never through links, pipes or devices; remove it or choose another file.".into()
            }
            Error::ChangedSinceChosen { .. } => {
                "Nothing was written. Choose the folder or file again.".into()
            }
            Error::UnsafeArchive { .. } => {
                "Nothing was written. Do not restore this archive unless you trust where it came from; with its .manifest.json beside it, the sizes it lists are allowed.".into()
            }
            Error::NotEnoughSpace { .. } => {
                "Free some space on that disk, or restore into a folder on another disk. Nothing was written.".into()
            }
            Error::TooLarge { .. } => {
                "Split it into several strategy folders, move old runs out of it, or shorten very long names, then back up again.".into()
            }
            Error::InvalidPolicy { .. } => {
                "Nothing was deleted. Give each --keep-... a whole number of 1 or more (for example --keep-daily 7 --keep-weekly 4) and --keep-within a duration such as 30d.".into()
            }
            Error::NoPolicy => {
                "Nothing was deleted. Say what to keep, for example `forget --keep-daily 7 --keep-weekly 4 --keep-monthly 12`, or set a retention policy in Settings.".into()
            }
            Error::InvalidQuery { .. } => {
                "Write comparisons like `sharpe >= 1.5 and max_drawdown > -20`, joined by and, or, not and parentheses, with one of >= <= > < = != and a number; quote names with spaces (\"Sharpe Ratio\"); percent metrics compare in percent, as shown.".into()
            }
            Error::NotCopyable { .. } => {
                "Nothing was copied. A store takes backups made by Results Backup under their own name (strategy_YYYYmmdd_HHMMSS.tar.gz) with their manifest: restore this one and back it up again instead.".into()
            }
            Error::ManifestMissing { .. } => {
                "Run `catalog rebuild` to recreate the manifest from the archive's embedded copy, then compare again.".into()
            }
            Error::InvalidSelection { .. } => {
                "Nothing was written. Name files or folders inside the strategy folder as `show` lists them, without the strategy's own name (for example runs/run_003/trades.csv).".into()
            }
            Error::IndexRefused { .. } => {
                "Nothing was taken from it; the whole archive is read instead. Run `check` on this backup to see whether the archive or its manifest changed.".into()
            }
            Error::Cancelled => "Nothing was changed; start it again when you are ready.".into(),
            Error::Remote { reason, .. } => match reason {
                RemoteReason::NotFound => "Check the bucket and prefix (s3://bucket/prefix) and the endpoint.".into(),
                RemoteReason::AccessDenied => "Check the credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile in ~/.aws.".into(),
                RemoteReason::AlreadyExists => "Nothing was overwritten; another writer published it first.".into(),
                RemoteReason::Unreachable => "Check the network and the endpoint, then try again; nothing was left half-published.".into(),
                RemoteReason::ConnectionLost => "Check the network and try again; nothing was left half-published or half-restored.".into(),
                RemoteReason::Throttled => "Wait a few minutes and try again; nothing was left half-published.".into(),
                RemoteReason::BucketMissing => "Check the bucket's name and --endpoint; if the bucket was deleted, ask whoever runs the store to create it again.".into(),
                RemoteReason::Misconfigured => "Check the bucket's name, give --endpoint URL and --region, and credentials through the environment or ~/.aws.".into(),
                RemoteReason::Unexpected => "Try again; nothing was left half-published.".into(),
            },
            Error::InvalidStoreAddress { .. } => "Write the store as s3://bucket/prefix, with --endpoint http(s)://host:port for a server other than AWS.".into(),
            Error::AwsProfileUnusable { .. } => "Add the profile with aws_access_key_id and aws_secret_access_key to ~/.aws/credentials (or the file AWS_SHARED_CREDENTIALS_FILE names), or choose another profile in Settings.".into(),
        }
    }
}

/// `1.5 GB` and the like, for messages.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Turns the common I/O failures into words an analyst understands; the rest keep the system's text.
fn plain_io_reason(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "it does not exist".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::StorageFull => "the disk is full".into(),
        io::ErrorKind::ReadOnlyFilesystem => "the disk is read-only".into(),
        io::ErrorKind::UnexpectedEof => "the file ends too early".into(),
        _ => err.to_string(),
    }
}

/// Attaches a path and action to an `io::Result`.
pub trait IoContext<T> {
    fn at(self, action: &'static str, path: impl AsRef<Path>) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn at(self, action: &'static str, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| Error::io(action, path, e))
    }
}
