//! Automatic protection as it is configured and remembered: the policies in the settings file
//! (`automatic`), and the small state file that remembers when each strategy's schedule last
//! ran, so a missed run happens once on the next start and never twice. Both are read back as
//! untrusted and checked here, where they are parsed.

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::archive::StrategyName;
use crate::error::{Error, Result};
use crate::limits::{quoted, MAX_SETTINGS_BYTES};
use crate::sys;

/// The shortest and longest quiet period: under 2 seconds a backtest still writing would start a
/// backup between two of its files; over a day, "on change" is really a schedule.
pub const QUIET_SECONDS_RANGE: std::ops::RangeInclusive<u32> = 2..=86_400;
pub const DEFAULT_QUIET_SECONDS: u32 = 60;

/// `automatic` in the settings file: a policy for every strategy, policies for single strategies
/// (each replaces the one for all), and a switch that pauses everything without forgetting it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AutomaticSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub all: Option<AutomaticPolicy>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(type = "Record<string, AutomaticPolicy>")]
    pub strategies: BTreeMap<String, AutomaticPolicy>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub paused: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// When one strategy (or every strategy) is backed up by itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AutomaticPolicy {
    /// Back up when the strategy's files change, once they have been quiet for `quiet_seconds`.
    #[serde(default)]
    pub on_change: bool,
    #[serde(default = "default_quiet")]
    pub quiet_seconds: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub schedule: Option<Schedule>,
}

fn default_quiet() -> u32 {
    DEFAULT_QUIET_SECONDS
}

impl Default for AutomaticPolicy {
    fn default() -> Self {
        AutomaticPolicy {
            on_change: false,
            quiet_seconds: DEFAULT_QUIET_SECONDS,
            schedule: None,
        }
    }
}

impl AutomaticPolicy {
    /// True when the policy would ever start a backup.
    pub fn is_active(&self) -> bool {
        self.on_change || self.schedule.is_some()
    }
}

/// A schedule in local time: `{"every":"hour","minute":15}`, `{"every":"day","at":"18:30"}`,
/// `{"every":"week","on":"friday","at":"18:30"}`. Times are kept as the "HH:MM" text the
/// person wrote (checked when the settings are read), so the file reads as it was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "every", rename_all = "snake_case")]
pub enum Schedule {
    Hour {
        #[serde(default)]
        minute: u32,
    },
    Day {
        at: String,
    },
    Week {
        on: Weekday,
        at: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub fn to_chrono(self) -> chrono::Weekday {
        match self {
            Weekday::Monday => chrono::Weekday::Mon,
            Weekday::Tuesday => chrono::Weekday::Tue,
            Weekday::Wednesday => chrono::Weekday::Wed,
            Weekday::Thursday => chrono::Weekday::Thu,
            Weekday::Friday => chrono::Weekday::Fri,
            Weekday::Saturday => chrono::Weekday::Sat,
            Weekday::Sunday => chrono::Weekday::Sun,
        }
    }

    /// Parses "monday", "Mon", "fri" and the like (command-line flags).
    pub fn parse(text: &str) -> Option<Weekday> {
        let lower = text.trim().to_ascii_lowercase();
        let all = [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ];
        all.into_iter().find(|day| {
            let name = format!("{day:?}").to_ascii_lowercase();
            lower.len() >= 3 && name.starts_with(&lower)
        })
    }
}

impl Schedule {
    /// The period between two runs, the longest a change may wait for a scheduled backup.
    pub fn period(&self) -> chrono::Duration {
        match self {
            Schedule::Hour { .. } => chrono::Duration::hours(1),
            Schedule::Day { .. } => chrono::Duration::days(1),
            Schedule::Week { .. } => chrono::Duration::weeks(1),
        }
    }

    /// Checks the schedule; `key` names it in the message (`automatic.all.schedule`).
    pub fn validate(&self, key: &str) -> std::result::Result<(), String> {
        match self {
            Schedule::Hour { minute } if *minute > 59 => Err(format!(
                "{key}.minute must be a minute from 0 to 59, not {minute}"
            )),
            Schedule::Hour { .. } => Ok(()),
            Schedule::Day { at } | Schedule::Week { at, .. } => {
                parse_time_of_day(at).map(|_| ()).ok_or_else(|| {
                    format!("{key}.at must be a time like 18:30, not \"{}\"", quoted(at))
                })
            }
        }
    }
}

/// "HH:MM" on a 24-hour clock, 00:00 to 23:59; nothing else (no seconds, no "6pm").
pub fn parse_time_of_day(text: &str) -> Option<NaiveTime> {
    let (hours, minutes) = text.split_once(':')?;
    let digits = |s: &str| (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(hours) || minutes.len() != 2 || !digits(minutes) {
        return None;
    }
    NaiveTime::from_hms_opt(hours.parse().ok()?, minutes.parse().ok()?, 0)
}

impl AutomaticSettings {
    /// The policy that applies to `strategy`: its own, else the one for all.
    pub fn policy_for(&self, strategy: &str) -> Option<&AutomaticPolicy> {
        self.strategies.get(strategy).or(self.all.as_ref())
    }

    /// True when some policy could start a backup (paused or not).
    pub fn has_any_policy(&self) -> bool {
        self.all.as_ref().is_some_and(AutomaticPolicy::is_active)
            || self.strategies.values().any(AutomaticPolicy::is_active)
    }

    /// Checks every value; the message names the key, e.g. `automatic.all.quiet_seconds`.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if let Some(all) = &self.all {
            validate_policy(all, "automatic.all")?;
        }
        for (name, policy) in &self.strategies {
            if let Err(error) = StrategyName::new(name.clone()) {
                return Err(format!("automatic.strategies has a key that {error}"));
            }
            validate_policy(
                policy,
                &format!("automatic.strategies.\"{}\"", quoted(name)),
            )?;
        }
        Ok(())
    }
}

fn validate_policy(policy: &AutomaticPolicy, key: &str) -> std::result::Result<(), String> {
    if !QUIET_SECONDS_RANGE.contains(&policy.quiet_seconds) {
        return Err(format!(
            "{key}.quiet_seconds must be between {} and {} seconds, not {}",
            QUIET_SECONDS_RANGE.start(),
            QUIET_SECONDS_RANGE.end(),
            policy.quiet_seconds
        ));
    }
    match &policy.schedule {
        Some(schedule) => schedule.validate(&format!("{key}.schedule")),
        None => Ok(()),
    }
}

const STATE_FORMAT_VERSION: u32 = 1;
/// The state file's name, beside the settings file.
pub const STATE_FILE: &str = "automatic-state.json";

/// When each strategy's schedule last ran (`automatic-state.json` beside the settings file,
/// shared by the command line and the app so that neither repeats the other's run).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleState {
    #[serde(default = "state_version")]
    pub format_version: u32,
    #[serde(default)]
    pub last_scheduled_run: BTreeMap<StrategyName, DateTime<Utc>>,
}

fn state_version() -> u32 {
    STATE_FORMAT_VERSION
}

impl ScheduleState {
    /// The state file beside `settings_path`.
    pub fn path_beside(settings_path: &Path) -> PathBuf {
        sys::parent_of(settings_path).join(STATE_FILE)
    }

    /// Reads the state. A missing file is "never run". A broken one (too large, not JSON, a bad
    /// name) is reported as an error for the caller to show, who then treats it as never run:
    /// the worst outcome is one extra backup, skipped anyway when nothing changed.
    pub fn load(path: &Path) -> Result<ScheduleState> {
        let Some(bytes) = sys::read_bounded(path, false, MAX_SETTINGS_BYTES)? else {
            return Ok(ScheduleState::default());
        };
        let invalid = |detail: String| Error::InvalidSettings {
            path: path.to_path_buf(),
            detail,
        };
        if bytes.len() as u64 > MAX_SETTINGS_BYTES {
            return Err(invalid(format!(
                "it is larger than {MAX_SETTINGS_BYTES} bytes"
            )));
        }
        let state: ScheduleState =
            serde_json::from_slice(&bytes).map_err(|e| invalid(quoted(&e.to_string())))?;
        if state.format_version > STATE_FORMAT_VERSION {
            return Err(invalid(format!(
                "it uses format version {}, newer than this app understands ({STATE_FORMAT_VERSION})",
                state.format_version
            )));
        }
        Ok(state)
    }

    /// Writes the state atomically (a crash leaves the old file or the new one).
    pub fn save(&self, path: &Path) -> Result<()> {
        sys::ensure_dir(sys::parent_of(path))?;
        let mut doc = self.clone();
        doc.format_version = STATE_FORMAT_VERSION;
        let json = serde_json::to_vec_pretty(&doc).map_err(|e| Error::InvalidSettings {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        sys::write_atomically(path, &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_are_hours_and_minutes_that_exist() {
        for good in ["00:00", "9:05", "18:30", "23:59"] {
            assert!(parse_time_of_day(good).is_some(), "{good}");
        }
        for bad in [
            "24:00",
            "25:00",
            "24:61",
            "12:60",
            "12",
            "12:5",
            "12:05:00",
            "-1:00",
            "ab:cd",
            "",
            " 1:00",
            "１２:00",
        ] {
            assert!(parse_time_of_day(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn weekdays_parse_from_names_and_abbreviations() {
        assert_eq!(Weekday::parse("Mon"), Some(Weekday::Monday));
        assert_eq!(Weekday::parse("friday"), Some(Weekday::Friday));
        assert_eq!(Weekday::parse("f"), None);
        assert_eq!(Weekday::parse("funday"), None);
    }

    #[test]
    fn policies_are_checked_and_name_the_key() {
        let mut settings = AutomaticSettings {
            all: Some(AutomaticPolicy {
                on_change: true,
                quiet_seconds: 0,
                schedule: None,
            }),
            ..Default::default()
        };
        let message = settings.validate().unwrap_err();
        assert!(message.contains("automatic.all.quiet_seconds"), "{message}");
        settings.all = Some(AutomaticPolicy {
            schedule: Some(Schedule::Day { at: "25:00".into() }),
            ..Default::default()
        });
        assert_eq!(
            settings.validate().unwrap_err(),
            "automatic.all.schedule.at must be a time like 18:30, not \"25:00\""
        );
        settings.all = None;
        settings
            .strategies
            .insert("../etc".into(), AutomaticPolicy::default());
        assert!(settings
            .validate()
            .unwrap_err()
            .contains("automatic.strategies"));
    }
}
