//! How backups are named: a timestamp (`YYYYmmdd_HHMMSS` with an optional `_N`), an archive file
//! name (one visible component ending in `.tar.gz`), a backup's name joining a strategy and a
//! timestamp (`<strategy>_<timestamp>[_N].tar.gz`, sidecar `<stem>.manifest.json`), and the name
//! of a restore "as a copy". Each is validated where it is parsed, so a path joined from them
//! cannot leave the folder it is joined to, whatever a manifest, a catalog or the webview said.

use chrono::{DateTime, Local, NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::archive::StrategyName;
use crate::limits::MAX_ARCHIVE_NAME_BYTES;
use crate::sys::name_rules::validated_string;
use crate::sys::{component_problem, NameError};

pub const ARCHIVE_SUFFIX: &str = ".tar.gz";
pub const SIDECAR_SUFFIX: &str = ".manifest.json";
/// Local time, as the original scripts named their archives.
pub const TIMESTAMP_FORMAT: &str = "%Y%m%d_%H%M%S";
/// A later backup of the same strategy in the same second is `_2`, `_3`, ... up to this.
pub const MAX_SEQUENCE: u32 = 9999;
/// What a restore "as a copy" puts between the strategy and the backup's timestamp.
const COPY_INFIX: &str = "_restored_";
/// Stands in for the timestamp of an archive made by another tool under a free-form name.
const UNKNOWN_TIMESTAMP: &str = "backup";

validated_string!(
    /// When a backup was made: `YYYYmmdd_HHMMSS` (a real local date and time), optionally
    /// followed by `_N` for the N-th backup of a strategy in that second.
    Timestamp
);

impl Timestamp {
    pub fn new(text: impl Into<String>) -> Result<Self, NameError> {
        let text = text.into();
        match timestamp_problem(&text) {
            None => Ok(Timestamp(text)),
            Some(reason) => Err(NameError {
                what: "timestamp",
                value: text,
                reason,
            }),
        }
    }

    /// The timestamp of a backup started at `time`.
    pub fn of(time: &DateTime<Local>) -> Timestamp {
        Timestamp(time.format(TIMESTAMP_FORMAT).to_string())
    }

    /// The timestamp of a backup started at the local wall-clock time `time`.
    pub fn of_wall_clock(time: &NaiveDateTime) -> Timestamp {
        Timestamp(time.format(TIMESTAMP_FORMAT).to_string())
    }

    /// The wall-clock date and time it names, without offset or `_N` (what retention buckets).
    pub fn wall_clock(&self) -> NaiveDateTime {
        // `new` accepted only real dates and times, so this parse cannot fail; the epoch stands
        // in rather than a panic should that ever change.
        NaiveDateTime::parse_from_str(&self.0[..15], TIMESTAMP_FORMAT).unwrap_or_default()
    }

    /// The `N` of a trailing `_N` (the N-th backup in that second), 1 without one.
    pub fn sequence(&self) -> u32 {
        self.0.get(16..).and_then(parse_sequence).unwrap_or(1)
    }

    /// The date and time it names, in local time (without the `_N`).
    pub fn local_time(&self) -> Option<DateTime<Local>> {
        let naive = NaiveDateTime::parse_from_str(&self.0[..15], TIMESTAMP_FORMAT).ok()?;
        Local.from_local_datetime(&naive).earliest()
    }
}

fn timestamp_problem(text: &str) -> Option<&'static str> {
    const SHAPE: &str = "does not have the shape YYYYmmdd_HHMMSS (with an optional _N)";
    let bytes = text.as_bytes();
    if bytes.len() < 15 || !text.is_ascii() {
        return Some(SHAPE);
    }
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if !(digits(0..8) && bytes[8] == b'_' && digits(9..15)) {
        return Some(SHAPE);
    }
    if NaiveDateTime::parse_from_str(&text[..15], TIMESTAMP_FORMAT).is_err() {
        return Some("is not a real date and time");
    }
    match &text[15..] {
        "" => None,
        rest => match rest.strip_prefix('_').and_then(parse_sequence) {
            Some(_) => None,
            None => Some(SHAPE),
        },
    }
}

/// `2`..=`9999` written without leading zeros.
fn parse_sequence(text: &str) -> Option<u32> {
    if text.is_empty() || text.starts_with('0') || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = text.parse().ok()?;
    (2..=MAX_SEQUENCE).contains(&n).then_some(n)
}

validated_string!(
    /// The file name of an archive in the backups folder: one visible component ending in
    /// `.tar.gz`. Archives made by other tools may have any such name.
    ArchiveFileName
);

impl ArchiveFileName {
    pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
        let name = name.into();
        let reason = match component_problem(&name) {
            Some(reason) => Some(reason),
            None if !name.ends_with(ARCHIVE_SUFFIX) || name.len() == ARCHIVE_SUFFIX.len() => {
                Some("does not end in .tar.gz")
            }
            None if name.len() > MAX_ARCHIVE_NAME_BYTES => {
                Some("is longer than 248 bytes, so its manifest's name would not fit on the disk")
            }
            None => None,
        };
        match reason {
            None => Ok(ArchiveFileName(name)),
            Some(reason) => Err(NameError {
                what: "backup file name",
                value: name,
                reason,
            }),
        }
    }

    /// A name as a person types it, with or without `.tar.gz`.
    pub fn with_suffix(name: &str) -> Result<Self, NameError> {
        if name.ends_with(ARCHIVE_SUFFIX) {
            Self::new(name)
        } else {
            Self::new(format!("{name}{ARCHIVE_SUFFIX}"))
        }
    }

    /// `btc_20240220_143000.tar.gz` -> `btc_20240220_143000`.
    pub fn stem(&self) -> &str {
        archive_stem(&self.0)
    }

    /// The sidecar manifest's file name.
    pub fn sidecar_name(&self) -> String {
        sidecar_name(&self.0)
    }

    /// The name without `.tar.gz`, as the strategy of an archive that names none (cut to the
    /// longest a strategy name may be).
    pub fn stem_as_strategy(&self) -> StrategyName {
        StrategyName::from_checked(self.stem())
    }

    /// The strategy and timestamp the name carries, when it is one of ours.
    pub fn backup_name(&self) -> Option<BackupName> {
        BackupName::parse_stem(self.stem())
    }
}

/// `name` without `.tar.gz`.
pub fn archive_stem(name: &str) -> &str {
    name.strip_suffix(ARCHIVE_SUFFIX).unwrap_or(name)
}

/// The sidecar manifest's file name for an archive file name.
pub fn sidecar_name(archive_file: &str) -> String {
    format!("{}{SIDECAR_SUFFIX}", archive_stem(archive_file))
}

/// A backup's name: `<strategy>_<YYYYmmdd_HHMMSS>[_N]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupName {
    pub strategy: StrategyName,
    /// Without the `_N`: the second the backup started.
    pub timestamp: Timestamp,
    /// 1 for the first backup of that second, else the `N` of `_N`.
    pub sequence: u32,
}

impl BackupName {
    pub fn new(strategy: StrategyName, timestamp: Timestamp, sequence: u32) -> BackupName {
        BackupName {
            strategy,
            timestamp,
            sequence,
        }
    }

    /// `<strategy>_<timestamp>[_N].tar.gz`; only validated parts, so always one file name.
    pub fn file_name(&self) -> ArchiveFileName {
        let stem = match self.sequence {
            0 | 1 => format!("{}_{}", self.strategy, self.timestamp),
            n => format!("{}_{}_{n}", self.strategy, self.timestamp),
        };
        ArchiveFileName(format!("{stem}{ARCHIVE_SUFFIX}"))
    }

    /// Splits `btc_sma_20240220_143000` or `btc_sma_20240220_143000_2`.
    pub fn parse_stem(stem: &str) -> Option<BackupName> {
        let (head, sequence) = match stem.rsplit_once('_') {
            Some((head, tail)) if parse_sequence(tail).is_some() => (head, parse_sequence(tail)?),
            _ => (stem, 1),
        };
        if head.len() < 17 || !head.is_char_boundary(head.len() - 16) {
            return None;
        }
        let (strategy, rest) = head.split_at(head.len() - 16);
        let timestamp = Timestamp::new(rest.strip_prefix('_')?).ok()?;
        if timestamp.len() != 15 {
            return None;
        }
        Some(BackupName {
            strategy: StrategyName::new(strategy).ok()?,
            timestamp,
            sequence,
        })
    }
}

/// The folder name a restore "as a copy" uses: `<strategy>_restored_<timestamp>`, or
/// `<strategy>_restored_backup` when the backup carries no timestamp. One component, always.
pub fn copy_folder_name(strategy: &StrategyName, timestamp: Option<&Timestamp>) -> String {
    let when = timestamp.map_or(UNKNOWN_TIMESTAMP, Timestamp::as_str);
    format!("{strategy}{COPY_INFIX}{when}")
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_real_times_with_an_optional_sequence() {
        for good in [
            "20240220_143000",
            "20240220_143000_2",
            "19991231_235959_9999",
        ] {
            assert!(Timestamp::new(good).is_ok(), "{good}");
        }
        for bad in [
            "x/../../../.ssh",
            "20240220_143000/..",
            "20241320_143000",
            "20240220_146000",
            "20240220-143000",
            "20240220_143000_",
            "20240220_143000_1",
            "20240220_143000_02",
            "20240220_143000_10000",
            "2024022_1430000",
            "",
        ] {
            assert!(Timestamp::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn backup_names_round_trip() {
        let name = BackupName::parse_stem("btc_sma_cross_20240220_143000").unwrap();
        assert_eq!(name.strategy, "btc_sma_cross");
        assert_eq!(name.timestamp, "20240220_143000");
        assert_eq!(name.sequence, 1);
        assert_eq!(name.file_name(), "btc_sma_cross_20240220_143000.tar.gz");
        let second = BackupName::parse_stem("btc_20240220_143000_2").unwrap();
        assert_eq!(second.sequence, 2);
        assert_eq!(second.file_name(), "btc_20240220_143000_2.tar.gz");
        assert_eq!(BackupName::parse_stem("notes"), None);
        assert_eq!(BackupName::parse_stem("_20240220_143000"), None);
        assert_eq!(BackupName::parse_stem(".x_20240220_143000"), None);
    }

    #[test]
    fn archive_file_names_stay_in_their_folder() {
        assert!(ArchiveFileName::new("export from the old server.tar.gz").is_ok());
        for bad in [
            "../outside/x.tar.gz",
            "/etc/x.tar.gz",
            ".catalog.lock",
            ".x.tar.gz",
            "x.zip",
            ".tar.gz",
            "a/b.tar.gz",
        ] {
            assert!(ArchiveFileName::new(bad).is_err(), "{bad}");
        }
        let longest = format!("{}.tar.gz", "x".repeat(241));
        let file = ArchiveFileName::new(longest).expect("248 bytes");
        assert_eq!(file.sidecar_name().len(), 255);
        assert!(ArchiveFileName::new(format!("{}.tar.gz", "x".repeat(242))).is_err());
        assert_eq!(file.stem_as_strategy().len(), 220);
    }

    #[test]
    fn the_longest_strategy_name_still_names_one_file_everywhere() {
        let strategy = StrategyName::new("s".repeat(220)).expect("220 bytes");
        let timestamp = Timestamp::new("20240220_143000").expect("timestamp");
        let name = BackupName::new(strategy.clone(), timestamp.clone(), 9999).file_name();
        assert!(ArchiveFileName::new(name.to_string()).is_ok());
        assert!(name.sidecar_name().len() <= 255);
        let copy = copy_folder_name(
            &strategy,
            Some(&Timestamp::new("20240220_143000_9999").expect("ts")),
        );
        assert!(copy.len() <= 255, "{}", copy.len());
    }

    #[test]
    fn copy_folder_names_are_one_component() {
        let strategy = StrategyName::new("btc").unwrap();
        let ts = Timestamp::new("20240220_143000").unwrap();
        assert_eq!(
            copy_folder_name(&strategy, Some(&ts)),
            "btc_restored_20240220_143000"
        );
        assert_eq!(copy_folder_name(&strategy, None), "btc_restored_backup");
    }
}
