//! Retention: which backups of one strategy a policy keeps. Pure (no I/O, no clock of its own):
//! `ops::forget` reads the catalog, asks [`apply_policy`], and deletes what it says.
//!
//! The semantics are restic's `forget` (`internal/restic/snapshot_policy.go`), followed step by
//! step so a restic user meets no surprise:
//! - backups are sorted newest first;
//! - `keep_last N` keeps the N newest; `keep_hourly/daily/weekly/monthly/yearly N` walk that
//!   list and keep a backup when its period (hour, day, ISO week, month, year) differs from the
//!   period of the last backup that rule kept, until the rule has kept N; periods without a
//!   backup do not count, and the rules add up (a backup is kept if any rule keeps it);
//! - when a rule still has count left at the oldest backup, the oldest is kept too ("oldest
//!   daily ...", restic 0.16 and later: a young history keeps its first backup);
//! - `keep_within 1y2m3d4h` keeps every backup made strictly after (newest backup's time minus
//!   that duration), where "newest" is the newest backup not dated after `now`, as restic does:
//!   the window follows the backups, not the clock, so a machine that stopped backing up for a
//!   month does not lose everything at once. Years, months and days are subtracted on the
//!   calendar with Go's `AddDate` normalisation (March 31 minus one month is March 3), hours
//!   as hours.
//!
//! Times are the backups' timestamps: local wall-clock times as the original scripts named the
//! archives, with no offset. They are bucketed as written: a backup named 01:30 belongs to hour
//! 01 of that day, whether it was the first or the second 01:30 of a daylight-saving fall-back
//! night. Two such backups share the hour (one is kept by `keep_hourly`), and their order is the
//! order of their names. A spring-forward day simply has no backup named in its missing hour.
//! The alternative (converting to UTC) would need the offset, which the names do not carry, and
//! would put a 00:30 backup into the previous day's bucket on some machines but not others.
//!
//! On top of restic: the newest backup is always kept ("newest"), whatever the policy (with a
//! valid policy restic keeps it anyway), and a policy with no rule is refused rather than read
//! as "keep everything".

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

use super::names::Timestamp;
use crate::archive::StrategyName;
use crate::error::{Error, Result};
use crate::limits::quoted;

/// The largest count or duration part accepted: far beyond any real policy, and small enough
/// that no date arithmetic on it can overflow.
pub const MAX_KEEP: u32 = 1_000_000;

/// `keep_within`: a calendar duration in restic's syntax, `1y2m3d4h` (years, months, days,
/// hours; any subset, each unit once, in any order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeepWithin {
    pub years: u32,
    pub months: u32,
    pub days: u32,
    pub hours: u32,
}

impl KeepWithin {
    /// Parses `30d`, `1y6m`, `2d12h`... Refuses what restic would misread or we cannot honour:
    /// negative numbers, unknown units, a unit twice, an all-zero duration, numbers over
    /// [`MAX_KEEP`].
    pub fn parse(text: &str) -> std::result::Result<KeepWithin, String> {
        let shown = quoted(text);
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("keep_within is empty; give a duration such as 30d, 6m or 1y2m".into());
        }
        if trimmed.starts_with('-') {
            return Err(format!(
                "keep_within \"{shown}\" is negative; give a duration such as 30d"
            ));
        }
        let mut within = KeepWithin::default();
        let mut seen = String::new();
        let mut rest = trimmed;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(format!(
                    "keep_within \"{shown}\" is not a duration: write numbers followed by y, m, d or h, such as 30d or 1y2m"
                ));
            }
            let (number, after) = rest.split_at(digits);
            let Some(unit) = after.chars().next() else {
                return Err(format!(
                    "keep_within \"{shown}\" has no unit after {number}: add y, m, d or h"
                ));
            };
            let value = number
                .parse::<u32>()
                .ok()
                .filter(|v| *v <= MAX_KEEP)
                .ok_or_else(|| {
                    format!("keep_within \"{shown}\" has a number larger than {MAX_KEEP}")
                })?;
            let part = match unit {
                'y' => &mut within.years,
                'm' => &mut within.months,
                'd' => &mut within.days,
                'h' => &mut within.hours,
                _ => {
                    return Err(format!(
                        "keep_within \"{shown}\" has an unknown unit \"{}\": use y (years), m (months), d (days) or h (hours)",
                        quoted(&unit.to_string())
                    ))
                }
            };
            if seen.contains(unit) {
                return Err(format!(
                    "keep_within \"{shown}\" gives the unit {unit} twice"
                ));
            }
            seen.push(unit);
            *part = value;
            rest = &after[unit.len_utf8()..];
        }
        if within.is_zero() {
            return Err(format!(
                "keep_within \"{shown}\" is zero, which would keep nothing; give a duration such as 30d"
            ));
        }
        Ok(within)
    }

    pub fn is_zero(&self) -> bool {
        *self == KeepWithin::default()
    }

    /// `reference` minus this duration, the way restic computes it: Go's
    /// `t.AddDate(-years, -months, -days).Add(-hours)`, on wall-clock times. `None` when the
    /// result is before any representable date (then every backup is within).
    fn before(&self, reference: NaiveDateTime) -> Option<NaiveDateTime> {
        // AddDate normalises: months first (carrying into years), then the day of the month is
        // kept even when that month is shorter, overflowing into the next (Mar 31 - 1m = Mar 3).
        let months = i64::from(reference.year()) * 12 + i64::from(reference.month0())
            - i64::from(self.years) * 12
            - i64::from(self.months);
        let year = i32::try_from(months.div_euclid(12)).ok()?;
        let month = u32::try_from(months.rem_euclid(12)).ok()? + 1;
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let day_offset = i64::from(reference.day()) - 1 - i64::from(self.days);
        let date = if day_offset >= 0 {
            first.checked_add_days(Days::new(day_offset.unsigned_abs()))?
        } else {
            first.checked_sub_days(Days::new(day_offset.unsigned_abs()))?
        };
        date.and_time(reference.time())
            .checked_sub_signed(chrono::TimeDelta::hours(i64::from(self.hours)))
    }
}

/// restic's spelling: `1y2m3d4h`, zero parts left out.
impl fmt::Display for KeepWithin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (value, unit) in [
            (self.years, 'y'),
            (self.months, 'm'),
            (self.days, 'd'),
            (self.hours, 'h'),
        ] {
            if value != 0 {
                write!(f, "{value}{unit}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for KeepWithin {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KeepWithin {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        KeepWithin::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A string on the wire and in the generated TypeScript types.
impl ts_rs::TS for KeepWithin {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;
    fn name(_: &ts_rs::Config) -> String {
        "string".into()
    }
    fn inline(_: &ts_rs::Config) -> String {
        "string".into()
    }
}

/// One retention policy: restic's `--keep-*` options. At least one must be given; counts are
/// at least 1.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RetentionPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_last: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_hourly: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_daily: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_weekly: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_monthly: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_yearly: Option<u32>,
    /// restic's duration syntax, `1y2m3d4h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_within: Option<KeepWithin>,
}

/// The names of the count rules, in restic's order, as in JSON and on the command line.
const COUNT_KEYS: [&str; 6] = [
    "keep_last",
    "keep_hourly",
    "keep_daily",
    "keep_weekly",
    "keep_monthly",
    "keep_yearly",
];

impl RetentionPolicy {
    fn counts(&self) -> [Option<u32>; 6] {
        [
            self.keep_last,
            self.keep_hourly,
            self.keep_daily,
            self.keep_weekly,
            self.keep_monthly,
            self.keep_yearly,
        ]
    }

    /// No rule at all.
    pub fn is_empty(&self) -> bool {
        self.counts().iter().all(Option::is_none) && self.keep_within.is_none()
    }

    /// Refuses an empty policy and counts or durations that are zero or too large.
    pub fn validate(&self) -> Result<()> {
        self.problem()
            .map_or(Ok(()), |detail| Err(Error::InvalidPolicy { detail }))
    }

    fn problem(&self) -> Option<String> {
        if self.is_empty() {
            return Some(
                "it is empty: give at least one keep_... rule (last, hourly, daily, weekly, monthly, yearly, within)".into(),
            );
        }
        for (key, count) in COUNT_KEYS.iter().zip(self.counts()) {
            match count {
                Some(0) => return Some(format!("{key} must be at least 1, not 0")),
                Some(n) if n > MAX_KEEP => {
                    return Some(format!("{key} must be at most {MAX_KEEP}, not {n}"))
                }
                _ => {}
            }
        }
        match &self.keep_within {
            Some(within) if within.is_zero() => Some("keep_within must not be zero".into()),
            Some(within)
                if [within.years, within.months, within.days, within.hours]
                    .iter()
                    .any(|v| *v > MAX_KEEP) =>
            {
                Some(format!("keep_within has a number larger than {MAX_KEEP}"))
            }
            _ => None,
        }
    }

    /// A count given as a signed number (the command line, a JSON document), refused with a
    /// plain message when it is not a whole number from 1 to [`MAX_KEEP`].
    pub fn count(key: &str, value: i128) -> std::result::Result<u32, String> {
        if value < 1 {
            return Err(format!(
                "{key} must be at least 1, not {value} (a policy says how many backups to keep)"
            ));
        }
        u32::try_from(value)
            .ok()
            .filter(|v| *v <= MAX_KEEP)
            .ok_or_else(|| format!("{key} must be at most {MAX_KEEP}, not {value}"))
    }
}

/// `last 3, daily 7, within 30d`: the policy as the command line shows it.
impl fmt::Display for RetentionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = COUNT_KEYS
            .iter()
            .zip(self.counts())
            .filter_map(|(key, count)| {
                count.map(|n| format!("{} {n}", key.trim_start_matches("keep_")))
            })
            .collect();
        if let Some(within) = &self.keep_within {
            parts.push(format!("within {within}"));
        }
        if parts.is_empty() {
            return f.write_str("nothing");
        }
        f.write_str(&parts.join(", "))
    }
}

/// A policy as written in a document, before its values are checked: any JSON value, so a
/// negative, fractional or huge count gets a plain message naming its key rather than serde's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyDocument {
    #[serde(default)]
    keep_last: Option<serde_json::Value>,
    #[serde(default)]
    keep_hourly: Option<serde_json::Value>,
    #[serde(default)]
    keep_daily: Option<serde_json::Value>,
    #[serde(default)]
    keep_weekly: Option<serde_json::Value>,
    #[serde(default)]
    keep_monthly: Option<serde_json::Value>,
    #[serde(default)]
    keep_yearly: Option<serde_json::Value>,
    #[serde(default)]
    keep_within: Option<serde_json::Value>,
}

/// Parsed through [`PolicyDocument`], so every value is checked with a message naming its key.
impl<'de> Deserialize<'de> for RetentionPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let document = PolicyDocument::deserialize(deserializer)?;
        RetentionPolicy::try_from(document).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<PolicyDocument> for RetentionPolicy {
    type Error = String;

    fn try_from(doc: PolicyDocument) -> std::result::Result<Self, String> {
        let count = |key: &str, value: Option<serde_json::Value>| match value {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::Number(n)) => match n.as_i64() {
                Some(v) => RetentionPolicy::count(key, i128::from(v)).map(Some),
                None if n.as_u64().is_some() => {
                    Err(format!("{key} must be at most {MAX_KEEP}, not {n}"))
                }
                None => Err(format!("{key} must be a whole number, not {n}")),
            },
            Some(other) => Err(format!(
                "{key} must be a whole number, not {}",
                quoted(&other.to_string())
            )),
        };
        let policy = RetentionPolicy {
            keep_last: count("keep_last", doc.keep_last)?,
            keep_hourly: count("keep_hourly", doc.keep_hourly)?,
            keep_daily: count("keep_daily", doc.keep_daily)?,
            keep_weekly: count("keep_weekly", doc.keep_weekly)?,
            keep_monthly: count("keep_monthly", doc.keep_monthly)?,
            keep_yearly: count("keep_yearly", doc.keep_yearly)?,
            keep_within: match doc.keep_within {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(text)) => Some(KeepWithin::parse(&text)?),
                Some(other) => {
                    return Err(format!(
                        "keep_within must be a duration such as \"30d\", not {}",
                        quoted(&other.to_string())
                    ))
                }
            },
        };
        match policy.problem() {
            None => Ok(policy),
            Some(problem) => Err(problem),
        }
    }
}

/// The policies of the settings: one for every strategy, and per-strategy ones that replace it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RetentionPolicies {
    /// For every strategy without its own policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<RetentionPolicy>,
    /// Per strategy (keys are strategy names); replaces `all` for that strategy.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub strategies: BTreeMap<String, RetentionPolicy>,
    /// Forget by these policies after each automatic backup.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub apply_after_automatic: bool,
}

impl RetentionPolicies {
    /// One policy for every strategy (the command line's `--keep-*` flags).
    pub fn for_all(policy: RetentionPolicy) -> RetentionPolicies {
        RetentionPolicies {
            all: Some(policy),
            ..RetentionPolicies::default()
        }
    }

    /// Nothing configured (and nothing to write into the settings file).
    pub fn is_empty(&self) -> bool {
        self.all.is_none() && self.strategies.is_empty() && !self.apply_after_automatic
    }

    /// True when no strategy has a policy.
    pub fn has_no_policy(&self) -> bool {
        self.all.is_none() && self.strategies.is_empty()
    }

    /// The policy that applies to `strategy`: its own, else the one for all.
    pub fn for_strategy(&self, strategy: &str) -> Option<&RetentionPolicy> {
        self.strategies.get(strategy).or(self.all.as_ref())
    }

    /// Checks every policy and every strategy key; the message names the key.
    pub fn validate(&self) -> Result<()> {
        self.problem()
            .map_or(Ok(()), |detail| Err(Error::InvalidPolicy { detail }))
    }

    fn problem(&self) -> Option<String> {
        if let Some(problem) = self.all.as_ref().and_then(RetentionPolicy::problem) {
            return Some(format!("retention.all: {problem}"));
        }
        for (name, policy) in &self.strategies {
            if let Err(e) = StrategyName::new(name.as_str()) {
                return Some(format!("retention.strategies: {e}"));
            }
            if let Some(problem) = policy.problem() {
                return Some(format!("retention.strategies.{}: {problem}", quoted(name)));
            }
        }
        None
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoliciesDocument {
    #[serde(default)]
    all: Option<serde_json::Value>,
    #[serde(default)]
    strategies: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    apply_after_automatic: bool,
}

/// Parsed through [`PoliciesDocument`]: strategy keys and policies checked, messages saying where.
impl<'de> Deserialize<'de> for RetentionPolicies {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let document = PoliciesDocument::deserialize(deserializer)?;
        RetentionPolicies::try_from(document).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<PoliciesDocument> for RetentionPolicies {
    type Error = String;

    fn try_from(doc: PoliciesDocument) -> std::result::Result<Self, String> {
        // Each policy is parsed here rather than by serde, so its message can say where it is.
        let policy = |place: String, value: serde_json::Value| {
            serde_json::from_value::<RetentionPolicy>(value)
                .map_err(|e| format!("{place}: {}", quoted(&e.to_string())))
        };
        let all = match doc.all {
            None | Some(serde_json::Value::Null) => None,
            Some(value) => Some(policy("retention.all".into(), value)?),
        };
        let mut strategies = BTreeMap::new();
        for (name, value) in doc.strategies {
            if let Err(e) = StrategyName::new(name.as_str()) {
                return Err(format!("retention.strategies: {e}"));
            }
            let parsed = policy(format!("retention.strategies.{}", quoted(&name)), value)?;
            strategies.insert(name, parsed);
        }
        Ok(RetentionPolicies {
            all,
            strategies,
            apply_after_automatic: doc.apply_after_automatic,
        })
    }
}

/// What the policy decided for one backup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionDecision {
    /// Index of the backup in the list given to [`apply_policy`].
    pub index: usize,
    pub keep: bool,
    /// Why it is kept ("daily 2026-11-28", "last 2", "within 30d", "newest"), or, when it is
    /// removed, why no rule keeps it ("daily: 2026-11-28 has a newer backup", "last: 3 kept").
    pub reasons: Vec<String>,
}

/// The period kinds of the count rules, in restic's order.
#[derive(Clone, Copy)]
enum Period {
    Last,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Period {
    const ALL: [Period; 6] = [
        Period::Last,
        Period::Hourly,
        Period::Daily,
        Period::Weekly,
        Period::Monthly,
        Period::Yearly,
    ];

    fn word(self) -> &'static str {
        match self {
            Period::Last => "last",
            Period::Hourly => "hourly",
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
            Period::Yearly => "yearly",
        }
    }

    /// restic's bucket value (`ymdh`, `ymd`, `yw`, `ym`, `y`, or the position for "last").
    fn bucket(self, time: NaiveDateTime, position: usize) -> i64 {
        let (y, m, d, h) = (
            i64::from(time.year()),
            i64::from(time.month()),
            i64::from(time.day()),
            i64::from(time.hour()),
        );
        match self {
            Period::Last => position as i64,
            Period::Hourly => ((y * 100 + m) * 100 + d) * 100 + h,
            Period::Daily => (y * 100 + m) * 100 + d,
            Period::Weekly => {
                let week = time.iso_week();
                i64::from(week.year()) * 100 + i64::from(week.week())
            }
            Period::Monthly => y * 100 + m,
            Period::Yearly => y,
        }
    }

    /// The period as people read it: `2026-11-28 14h`, `2026-W48`, ...
    fn label(self, time: NaiveDateTime, position: usize) -> String {
        match self {
            Period::Last => (position + 1).to_string(),
            Period::Hourly => time.format("%Y-%m-%d %Hh").to_string(),
            Period::Daily => time.format("%Y-%m-%d").to_string(),
            Period::Weekly => {
                let week = time.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            Period::Monthly => time.format("%Y-%m").to_string(),
            Period::Yearly => time.format("%Y").to_string(),
        }
    }
}

/// The wall-clock time a timestamp names, and its `_N`, for sorting.
fn sort_key(timestamp: &Timestamp) -> (NaiveDateTime, u32) {
    (timestamp.wall_clock(), timestamp.sequence())
}

/// Applies `policy` to one strategy's backups (their timestamps, in any order) and returns a
/// decision for each, newest first. `now` is the local wall-clock time: a backup dated after
/// it is not taken as the newest for `keep_within` (restic's rule against clocks set wrong).
/// An invalid policy (see [`RetentionPolicy::validate`]) keeps everything.
pub fn apply_policy(
    timestamps: &[Timestamp],
    policy: &RetentionPolicy,
    now: NaiveDateTime,
) -> Vec<RetentionDecision> {
    let mut order: Vec<usize> = (0..timestamps.len()).collect();
    // Newest first; stable, so equal times keep the caller's order (restic's `sort.Stable`).
    order.sort_by(|a, b| sort_key(&timestamps[*b]).cmp(&sort_key(&timestamps[*a])));
    if policy.problem().is_some() {
        return order
            .into_iter()
            .map(|index| RetentionDecision {
                index,
                keep: true,
                reasons: vec!["the policy is not valid".into()],
            })
            .collect();
    }
    let times: Vec<NaiveDateTime> = order.iter().map(|i| timestamps[*i].wall_clock()).collect();

    struct Rule {
        period: Period,
        left: u32,
        given: u32,
        last: Option<i64>,
        last_label: String,
    }
    let mut rules: Vec<Rule> = Period::ALL
        .iter()
        .zip(policy.counts())
        .filter_map(|(period, count)| {
            count.map(|n| Rule {
                period: *period,
                left: n,
                given: n,
                last: None,
                last_label: String::new(),
            })
        })
        .collect();

    // restic's findLatestTimestamp: the newest time not after `now`.
    let latest = times.iter().copied().filter(|t| *t < now).max();
    let within_after = policy.keep_within.map(|within| {
        let cutoff = latest.and_then(|latest| within.before(latest));
        (within, cutoff)
    });

    let oldest = times.len().saturating_sub(1);
    let mut decisions = Vec::with_capacity(times.len());
    for (position, (&index, &time)) in order.iter().zip(&times).enumerate() {
        let mut keep_reasons = Vec::new();
        let mut remove_reasons = Vec::new();
        if let Some((within, cutoff)) = &within_after {
            if cutoff.is_none_or(|cutoff| time > cutoff) {
                keep_reasons.push(format!("within {within}"));
            } else {
                remove_reasons.push(format!("within: older than {within} before the newest"));
            }
        }
        for rule in &mut rules {
            if rule.left == 0 {
                remove_reasons.push(format!("{}: {} kept", rule.period.word(), rule.given));
                continue;
            }
            let value = rule.period.bucket(time, position);
            let label = rule.period.label(time, position);
            let new_period = rule.last != Some(value);
            if new_period || position == oldest {
                keep_reasons.push(if new_period {
                    format!("{} {label}", rule.period.word())
                } else {
                    format!("oldest {} {label}", rule.period.word())
                });
                rule.last = Some(value);
                rule.last_label = label;
                rule.left -= 1;
            } else {
                remove_reasons.push(format!(
                    "{}: {} has a newer backup",
                    rule.period.word(),
                    rule.last_label
                ));
            }
        }
        if position == 0 && keep_reasons.is_empty() {
            keep_reasons.push("newest".into());
        }
        let keep = !keep_reasons.is_empty();
        decisions.push(RetentionDecision {
            index,
            keep,
            reasons: if keep { keep_reasons } else { remove_reasons },
        });
    }
    decisions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        Timestamp::new(text).expect("timestamp")
    }

    fn at(text: &str) -> NaiveDateTime {
        ts(text).wall_clock()
    }

    const FAR_FUTURE: &str = "29991231_235959";

    /// The timestamps a policy keeps, newest first.
    fn kept(times: &[&str], policy: &RetentionPolicy) -> Vec<String> {
        let stamps: Vec<Timestamp> = times.iter().map(|t| ts(t)).collect();
        apply_policy(&stamps, policy, at(FAR_FUTURE))
            .into_iter()
            .filter(|d| d.keep)
            .map(|d| stamps[d.index].to_string())
            .collect()
    }

    fn reasons_of(times: &[&str], policy: &RetentionPolicy) -> Vec<(String, bool, Vec<String>)> {
        let stamps: Vec<Timestamp> = times.iter().map(|t| ts(t)).collect();
        apply_policy(&stamps, policy, at(FAR_FUTURE))
            .into_iter()
            .map(|d| (stamps[d.index].to_string(), d.keep, d.reasons))
            .collect()
    }

    /// One backup a day at noon through November 2026, newest first.
    fn daily_2026_november() -> Vec<String> {
        (1..=30)
            .rev()
            .map(|d| format!("202611{d:02}_120000"))
            .collect()
    }

    #[test]
    fn keep_within_parses_restics_syntax() {
        let w = KeepWithin::parse("1y2m3d4h").unwrap();
        assert_eq!((w.years, w.months, w.days, w.hours), (1, 2, 3, 4));
        assert_eq!(w.to_string(), "1y2m3d4h");
        assert_eq!(KeepWithin::parse("4h30d").unwrap().to_string(), "30d4h");
        assert_eq!(KeepWithin::parse(" 2y ").unwrap().to_string(), "2y");
        for bad in [
            "",
            "0d",
            "-1d",
            "30",
            "d",
            "30x",
            "1d1d",
            "1d-2h",
            "99999999999d",
            "３0d",
            "1.5d",
        ] {
            let error = KeepWithin::parse(bad).expect_err(bad);
            assert!(error.starts_with("keep_within"), "{bad}: {error}");
        }
    }

    #[test]
    fn keep_within_subtracts_like_gos_add_date() {
        let within = |s: &str| KeepWithin::parse(s).unwrap();
        // Mar 31 - 1 month = "Feb 31" = Mar 3 (2026 is not a leap year).
        assert_eq!(
            within("1m").before(at("20260331_120000")),
            Some(at("20260303_120000"))
        );
        assert_eq!(
            within("1y").before(at("20240229_000000")),
            Some(at("20230301_000000"))
        );
        assert_eq!(
            within("2d5h").before(at("20260101_030000")),
            Some(at("20251229_220000"))
        );
        assert_eq!(
            within("13m").before(at("20260115_000000")),
            Some(at("20241215_000000"))
        );
    }

    #[test]
    fn an_empty_zero_or_huge_policy_is_refused_with_a_plain_message() {
        let empty = RetentionPolicy::default();
        let message = empty.validate().unwrap_err().to_string();
        assert!(message.contains("is empty"), "{message}");
        let zero = RetentionPolicy {
            keep_daily: Some(0),
            ..Default::default()
        };
        assert!(zero
            .validate()
            .unwrap_err()
            .to_string()
            .contains("keep_daily must be at least 1"));
        let huge = RetentionPolicy {
            keep_last: Some(u32::MAX),
            ..Default::default()
        };
        assert!(huge.validate().is_err());
        assert!(RetentionPolicy::count("keep_last", -1)
            .unwrap_err()
            .contains("at least 1, not -1"));
        assert!(RetentionPolicy::count("keep_last", 1 << 40).is_err());
        assert_eq!(RetentionPolicy::count("keep_last", 7), Ok(7));
    }

    #[test]
    fn policies_read_from_json_name_the_bad_key() {
        let parse = |text: &str| serde_json::from_str::<RetentionPolicies>(text);
        let good = parse(
            r#"{"all": {"keep_daily": 7, "keep_within": "30d"},
                "strategies": {"btc": {"keep_last": 3}}, "apply_after_automatic": true}"#,
        )
        .unwrap();
        assert_eq!(good.for_strategy("btc").unwrap().keep_last, Some(3));
        assert_eq!(good.for_strategy("eth").unwrap().keep_daily, Some(7));
        let json = serde_json::to_string(&good).unwrap();
        assert!(json.contains(r#""keep_within":"30d""#), "{json}");
        assert_eq!(parse(&json).unwrap(), good);
        for (bad, says) in [
            (r#"{"all": {}}"#, "retention.all: it is empty"),
            (
                r#"{"all": {"keep_daily": -1}}"#,
                "keep_daily must be at least 1, not -1",
            ),
            (
                r#"{"all": {"keep_daily": 0}}"#,
                "keep_daily must be at least 1, not 0",
            ),
            (
                r#"{"all": {"keep_daily": 1e30}}"#,
                "keep_daily must be a whole number",
            ),
            (
                r#"{"all": {"keep_daily": 99999999999999999999}}"#,
                "keep_daily must be",
            ),
            (
                r#"{"all": {"keep_daily": "7"}}"#,
                "keep_daily must be a whole number",
            ),
            (r#"{"all": {"keep_dayly": 7}}"#, "unknown field"),
            (r#"{"all": {"keep_within": "-3d"}}"#, "keep_within"),
            (
                r#"{"strategies": {"../x": {"keep_last": 1}}}"#,
                "retention.strategies",
            ),
            (
                r#"{"strategies": {"btc": {"keep_last": 0}}}"#,
                "retention.strategies.btc: keep_last",
            ),
        ] {
            let error = parse(bad).expect_err(bad).to_string();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn restics_documented_table_twelve_sundays_keep_daily_4() {
        // restic's documentation ("Removing snapshots according to a policy"): one backup every
        // Sunday at 11:00 for 12 weeks; `forget --keep-daily 4` keeps the last four Sundays.
        let sundays = [
            "20190901_110000",
            "20190908_110000",
            "20190915_110000",
            "20190922_110000",
            "20190929_110000",
            "20191006_110000",
            "20191013_110000",
            "20191020_110000",
            "20191027_110000",
            "20191103_110000",
            "20191110_110000",
            "20191117_110000",
        ];
        let policy = RetentionPolicy {
            keep_daily: Some(4),
            ..Default::default()
        };
        assert_eq!(
            kept(&sundays, &policy),
            [
                "20191117_110000",
                "20191110_110000",
                "20191103_110000",
                "20191027_110000"
            ]
        );
        let decided = reasons_of(&sundays, &policy);
        assert_eq!(decided[0].2, ["daily 2019-11-17"]);
        assert_eq!(decided[4].2, ["daily: 4 kept"]);
    }

    #[test]
    fn daily_and_weekly_over_a_month_of_daily_backups() {
        // A backup every day, `--keep-daily 7 --keep-weekly 5`: the last 7 days, then the newest
        // backup of each earlier ISO week, 5 weeks in all (the newest week shared with daily).
        let times = daily_2026_november();
        let times: Vec<&str> = times.iter().map(String::as_str).collect();
        let policy = RetentionPolicy {
            keep_daily: Some(7),
            keep_weekly: Some(5),
            ..Default::default()
        };
        // Nov 30 2026 is a Monday (W49): the weeks seen newest first are W49 (30), W48 (29),
        // W47 (22), W46 (15), W45 (8); days 30..24.
        assert_eq!(
            kept(&times, &policy),
            [
                "20261130_120000",
                "20261129_120000",
                "20261128_120000",
                "20261127_120000",
                "20261126_120000",
                "20261125_120000",
                "20261124_120000",
                "20261122_120000",
                "20261115_120000",
                "20261108_120000",
            ]
        );
        let reasons = reasons_of(&times, &policy);
        assert_eq!(reasons[1].2, ["daily 2026-11-29", "weekly 2026-W48"]);
        assert_eq!(
            reasons[8],
            (
                "20261122_120000".into(),
                true,
                vec!["weekly 2026-W47".into()]
            )
        );
        assert_eq!(
            reasons[7],
            (
                "20261123_120000".into(),
                false,
                vec![
                    "daily: 7 kept".into(),
                    "weekly: 2026-W48 has a newer backup".into()
                ]
            )
        );
        assert_eq!(
            reasons[9].2,
            ["daily: 7 kept", "weekly: 2026-W47 has a newer backup"]
        );
    }

    #[test]
    fn keep_last_and_hourly_add_up() {
        // Backups at 10:00, 10:30, 11:00, 11:30 and 12:00, `--keep-last 3 --keep-hourly 2`:
        // last keeps 12:00, 11:30, 11:00; hourly keeps 12:00 and 11:30 (the newest of hours 12
        // and 11); 10:30 and 10:00 go.
        let times = [
            "20261128_100000",
            "20261128_103000",
            "20261128_110000",
            "20261128_113000",
            "20261128_120000",
        ];
        let policy = RetentionPolicy {
            keep_last: Some(3),
            keep_hourly: Some(2),
            ..Default::default()
        };
        let decided = reasons_of(&times, &policy);
        assert_eq!(decided[0].2, ["last 1", "hourly 2026-11-28 12h"]);
        assert_eq!(decided[1].2, ["last 2", "hourly 2026-11-28 11h"]);
        assert_eq!(decided[2].2, ["last 3"]);
        assert!(!decided[3].1 && !decided[4].1);
        assert_eq!(decided[3].2, ["last: 3 kept", "hourly: 2 kept"]);
    }

    #[test]
    fn periods_without_backups_do_not_count() {
        // Three days with backups spread over a month: keep-daily 3 keeps all three.
        let times = ["20261101_090000", "20261115_090000", "20261130_090000"];
        let policy = RetentionPolicy {
            keep_daily: Some(3),
            ..Default::default()
        };
        assert_eq!(kept(&times, &policy).len(), 3);
    }

    #[test]
    fn the_oldest_is_kept_while_a_rule_has_count_left() {
        // keep-yearly 3 over two years: the newest of each year, and the oldest backup too.
        let times = ["20250301_000000", "20250601_000000", "20260101_000000"];
        let policy = RetentionPolicy {
            keep_yearly: Some(3),
            ..Default::default()
        };
        let decided = reasons_of(&times, &policy);
        assert_eq!(decided[0].2, ["yearly 2026"]);
        assert_eq!(decided[1].2, ["yearly 2025"]);
        assert_eq!(decided[2].2, ["oldest yearly 2025"]);
    }

    #[test]
    fn iso_weeks_cross_the_year_boundary() {
        // 2020-12-31 (Thu) and 2021-01-01 (Fri) are both in 2020-W53; 2021-01-04 opens 2021-W01.
        let times = [
            "20201228_120000",
            "20201231_120000",
            "20210101_120000",
            "20210104_120000",
        ];
        let policy = RetentionPolicy {
            keep_weekly: Some(2),
            ..Default::default()
        };
        let decided = reasons_of(&times, &policy);
        assert_eq!(decided[0].2, ["weekly 2021-W01"]);
        assert_eq!(decided[1].2, ["weekly 2020-W53"]);
        assert!(!decided[2].1, "same ISO week as 2021-01-01");
        assert_eq!(decided[2].2, ["weekly: 2 kept"]);
        // The years split them although the week does not.
        let yearly = RetentionPolicy {
            keep_yearly: Some(2),
            ..Default::default()
        };
        assert_eq!(
            kept(&times[..3], &yearly),
            ["20210101_120000", "20201231_120000"]
        );
        // 2026-12-31 is a Thursday: 2026-W53, which 2027-01-01 to 01-03 share.
        let stamps = ["20261231_235959", "20270103_000000"];
        let weekly1 = RetentionPolicy {
            keep_weekly: Some(1),
            ..Default::default()
        };
        assert_eq!(kept(&stamps, &weekly1), ["20270103_000000"]);
        assert_eq!(reasons_of(&stamps, &weekly1)[0].2, ["weekly 2026-W53"]);
    }

    #[test]
    fn monthly_and_yearly_at_the_year_boundary() {
        let times = ["20251231_235959", "20260101_000000", "20260101_000001"];
        let monthly = RetentionPolicy {
            keep_monthly: Some(2),
            ..Default::default()
        };
        assert_eq!(
            kept(&times, &monthly),
            ["20260101_000001", "20251231_235959"]
        );
        assert_eq!(reasons_of(&times, &monthly)[2].2, ["monthly 2025-12"]);
    }

    #[test]
    fn a_daylight_saving_night_is_bucketed_by_wall_clock() {
        // Fall back (Europe, 2026-10-25): 01:30 happens twice (outside Europe's 02:00-03:00, but
        // the names carry no offset, so any repeated wall-clock hour reads the same). The two
        // 01:30 backups are one hour and one day: hourly keeps the later name.
        let times = [
            "20261025_013000",
            "20261025_013000_2",
            "20261025_023000",
            "20261025_033000",
        ];
        let hourly = RetentionPolicy {
            keep_hourly: Some(3),
            ..Default::default()
        };
        let decided = reasons_of(&times, &hourly);
        assert_eq!(decided[0].0, "20261025_033000");
        assert_eq!(
            decided[2],
            (
                "20261025_013000_2".into(),
                true,
                vec!["hourly 2026-10-25 01h".into()]
            )
        );
        assert!(
            !decided[3].1,
            "the first 01:30 shares its hour with the second"
        );
        let daily = RetentionPolicy {
            keep_daily: Some(1),
            ..Default::default()
        };
        assert_eq!(kept(&times, &daily), ["20261025_033000"]);
        // Spring forward (2026-03-29): 02:30 never happens locally, but a name saying so (made
        // elsewhere, or by hand) is still a valid timestamp and bucketed as written; a 23-hour
        // day is still one day.
        let spring = [
            "20260329_013000",
            "20260329_023000",
            "20260329_033000",
            "20260328_233000",
        ];
        assert_eq!(
            kept(&spring, &hourly),
            ["20260329_033000", "20260329_023000", "20260329_013000"]
        );
        assert_eq!(kept(&spring, &daily), ["20260329_033000"]);
        // keep_within counts hours on the wall clock: 2h before 03:30 is 01:30, excluded.
        let within = RetentionPolicy {
            keep_within: Some(KeepWithin::parse("2h").unwrap()),
            ..Default::default()
        };
        assert_eq!(
            kept(&spring, &within),
            ["20260329_033000", "20260329_023000"]
        );
    }

    #[test]
    fn keep_within_is_measured_from_the_newest_backup_not_the_clock() {
        let times = ["20260101_000000", "20260110_000000", "20260120_000000"];
        let policy = RetentionPolicy {
            keep_within: Some(KeepWithin::parse("10d").unwrap()),
            ..Default::default()
        };
        // Months later, the newest backup still anchors the window (restic's rule). 01-10 is
        // exactly 10 days before: restic keeps only what is strictly after.
        assert_eq!(kept(&times, &policy), ["20260120_000000"]);
        let policy = RetentionPolicy {
            keep_within: Some(KeepWithin::parse("10d1h").unwrap()),
            ..Default::default()
        };
        assert_eq!(
            kept(&times, &policy),
            ["20260120_000000", "20260110_000000"]
        );
        // A backup dated after `now` (a clock set wrong) does not move the window.
        let stamps: Vec<Timestamp> = ["20260101_000000", "20260110_000000", "20270101_000000"]
            .iter()
            .map(|t| ts(t))
            .collect();
        let decided = apply_policy(&stamps, &policy, at("20260115_000000"));
        assert!(decided.iter().all(|d| d.keep), "{decided:?}");
    }

    #[test]
    fn the_newest_is_always_kept() {
        let times = ["20260101_000000", "20260102_000000"];
        let policy = RetentionPolicy {
            keep_within: Some(KeepWithin::parse("1h").unwrap()),
            ..Default::default()
        };
        // Both dated after `now`: restic's window then keeps everything; either way the newest.
        let stamps: Vec<Timestamp> = times.iter().map(|t| ts(t)).collect();
        let decided = apply_policy(&stamps, &policy, at("20250101_000000"));
        assert!(decided[0].keep);
        assert_eq!(kept(&times, &policy), ["20260102_000000"]);
    }

    #[test]
    fn the_counts_add_up_across_rules() {
        let times = daily_2026_november();
        let times: Vec<&str> = times.iter().map(String::as_str).collect();
        let policy = RetentionPolicy {
            keep_last: Some(2),
            keep_monthly: Some(1),
            keep_within: Some(KeepWithin::parse("3d").unwrap()),
            ..Default::default()
        };
        // last: 30, 29; monthly: 30; within 3 days of Nov 30 12:00: 30, 29, 28 (27 12:00 is
        // exactly 3 days before, so out).
        assert_eq!(
            kept(&times, &policy),
            ["20261130_120000", "20261129_120000", "20261128_120000"]
        );
    }
}
