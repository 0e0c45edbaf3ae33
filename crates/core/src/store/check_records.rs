//! Check results of an S3 store's backups. A store's catalog entries are published once and
//! never rewritten (a rewrite could race a delete and bring an entry back), so each check adds a
//! record of its own instead: an empty object whose name says everything,
//! `checks.d/<archive>/<YYYYmmddTHHMMSSmmmZ>.<ok|damaged|missing>` (UTC, to the millisecond).
//! One listing of `checks.d/` gives every result without reading a byte; the newest record of a
//! backup wins, and the checker removes the older ones. Names read back are untrusted: one that
//! does not parse, or that dates from before its backup was made (left by a backup deleted and
//! made again under the same name), is ignored.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use std::collections::HashMap;

use super::catalog::{CatalogEntry, CheckResult};
use super::names::ArchiveFileName;

/// The folder of check records under a store's prefix.
pub const CHECKS_FOLDER: &str = "checks.d/";
const TIME_FORMAT: &str = "%Y%m%dT%H%M%S%3fZ";
/// The width of a time written in [`TIME_FORMAT`].
const TIME_CHARS: usize = 19;

/// One check of one backup, as its record's name says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckRecord {
    pub archive: ArchiveFileName,
    pub checked_at: DateTime<Utc>,
    pub result: CheckResult,
}

impl CheckRecord {
    /// A record of a check at `checked_at`, kept to the millisecond its name can hold.
    pub fn new(
        archive: ArchiveFileName,
        checked_at: DateTime<FixedOffset>,
        result: CheckResult,
    ) -> CheckRecord {
        let checked_at = checked_at.with_timezone(&Utc);
        let millis = DateTime::from_timestamp_millis(checked_at.timestamp_millis());
        CheckRecord {
            archive,
            checked_at: millis.unwrap_or(checked_at),
            result,
        }
    }

    /// The folder of `archive`'s records, below the store's prefix.
    pub fn folder_of(archive: &ArchiveFileName) -> String {
        format!("{CHECKS_FOLDER}{archive}/")
    }

    /// The record's object name, below the store's prefix.
    pub fn object_name(&self) -> String {
        format!(
            "{}{}.{}",
            Self::folder_of(&self.archive),
            self.checked_at.format(TIME_FORMAT),
            result_word(self.result)
        )
    }

    /// The record a name below `checks.d/` stands for (`<archive>/<time>.<result>`), if any.
    pub fn parse(name: &str) -> Option<CheckRecord> {
        let (archive, record) = name.split_once('/')?;
        let archive = ArchiveFileName::new(archive).ok()?;
        let (time, result) = record.split_once('.')?;
        // The format has a fixed width: a longer name is not one of ours.
        if time.len() != TIME_CHARS {
            return None;
        }
        let checked_at = NaiveDateTime::parse_from_str(time, TIME_FORMAT)
            .ok()?
            .and_utc();
        let result = match result {
            "ok" => CheckResult::Ok,
            "damaged" => CheckResult::Damaged,
            "missing" => CheckResult::Missing,
            _ => return None,
        };
        Some(CheckRecord {
            archive,
            checked_at,
            result,
        })
    }
}

fn result_word(result: CheckResult) -> &'static str {
    match result {
        CheckResult::Ok => "ok",
        CheckResult::Damaged => "damaged",
        CheckResult::Missing => "missing",
    }
}

/// The newest of `records` for each backup; of two made in the same millisecond, the worse.
pub fn newest_by_archive(
    records: impl IntoIterator<Item = CheckRecord>,
) -> HashMap<String, CheckRecord> {
    let mut newest: HashMap<String, CheckRecord> = HashMap::new();
    for record in records {
        let key = record.archive.to_string();
        let rank = |r: &CheckRecord| (r.checked_at, severity(r.result));
        if newest
            .get(&key)
            .is_none_or(|known| rank(&record) > rank(known))
        {
            newest.insert(key, record);
        }
    }
    newest
}

fn severity(result: CheckResult) -> u8 {
    match result {
        CheckResult::Ok => 0,
        CheckResult::Missing => 1,
        CheckResult::Damaged => 2,
    }
}

/// Sets `entry`'s last check from `record`, unless the record is older than the backup (it
/// belongs to an earlier backup of the same name).
pub fn apply(entry: &mut CatalogEntry, record: &CheckRecord) {
    if record.checked_at < entry.created.with_timezone(&Utc) {
        return;
    }
    entry.last_checked = Some(record.checked_at.fixed_offset());
    entry.check_result = Some(record.result);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive() -> ArchiveFileName {
        ArchiveFileName::new("alpha_20261201_080000.tar.gz").expect("a name")
    }

    #[test]
    fn a_record_names_its_backup_time_and_result_and_reads_back() {
        let checked_at = DateTime::parse_from_rfc3339("2026-12-01T09:05:07.250999+01:00").unwrap();
        let record = CheckRecord::new(archive(), checked_at, CheckResult::Damaged);
        let name = record.object_name();
        assert_eq!(
            name,
            "checks.d/alpha_20261201_080000.tar.gz/20261201T080507250Z.damaged"
        );
        let back = CheckRecord::parse(name.strip_prefix(CHECKS_FOLDER).unwrap());
        assert_eq!(back, Some(record));
    }

    #[test]
    fn names_that_are_not_records_are_ignored() {
        for name in [
            "",
            "alpha_20261201_080000.tar.gz",
            "alpha_20261201_080000.tar.gz/",
            "alpha_20261201_080000.tar.gz/20261201T080507000Z",
            "alpha_20261201_080000.tar.gz/20261201T080507000Z.fine",
            "alpha_20261201_080000.tar.gz/20261301T080507000Z.ok",
            "alpha_20261201_080000.tar.gz/20261201T080507Z.ok",
            "alpha_20261201_080000.tar.gz/020261201T080507000Z.ok",
            "alpha_20261201_080000.tar.gz/20261201T080507000Z.ok/x",
            "../x.tar.gz/20261201T080507000Z.ok",
            "catalog.json/20261201T080507000Z.ok",
        ] {
            assert_eq!(CheckRecord::parse(name), None, "{name}");
        }
    }

    #[test]
    fn the_newest_record_wins_unless_it_predates_the_backup() {
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap();
        let older = CheckRecord::new(archive(), at("2026-12-01T10:00:00Z"), CheckResult::Ok);
        let newer = CheckRecord::new(archive(), at("2026-12-01T11:00:00Z"), CheckResult::Damaged);
        let newest = newest_by_archive([newer.clone(), older.clone()]);
        assert_eq!(newest.get(archive().as_str()), Some(&newer));
        let same_time =
            CheckRecord::new(archive(), at("2026-12-01T10:00:00Z"), CheckResult::Damaged);
        for order in [
            [older.clone(), same_time.clone()],
            [same_time.clone(), older.clone()],
        ] {
            let newest = newest_by_archive(order);
            assert_eq!(
                newest.get(archive().as_str()),
                Some(&same_time),
                "the worse wins a tie"
            );
        }

        let mut entry: CatalogEntry = serde_json::from_value(serde_json::json!({
            "strategy": "alpha", "timestamp": "20261201_080000",
            "backup_file": "alpha_20261201_080000.tar.gz", "size": 10,
            "created": "2026-12-01T10:30:00Z", "sha256": "", "files": 1, "bytes": 1,
            "last_checked": null, "check_result": null, "has_manifest": true
        }))
        .expect("an entry");
        let before_it = CheckRecord::new(archive(), at("2026-12-01T10:00:00Z"), CheckResult::Ok);
        apply(&mut entry, &before_it);
        assert_eq!(entry.check_result, None, "a record from before the backup");
        apply(&mut entry, &newer);
        assert_eq!(entry.check_result, Some(CheckResult::Damaged));
        assert_eq!(entry.last_checked, Some(at("2026-12-01T11:00:00Z")));
    }
}
