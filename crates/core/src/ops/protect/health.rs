//! How well protected each strategy is, and one sentence that says it: a pure function of the
//! scan, the policies, the failures the engine reported and the time, so the app's summary, its
//! tray and `results-backup` all say the same thing. Failures are named first, never averaged
//! away.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

use super::ErrorReport;
use crate::archive::StrategyName;
use crate::ops::scan::{StrategyState, StrategyStatus};
use crate::store::automatic::AutomaticSettings;

/// The latest failed automatic backup of a strategy (kept by the caller from
/// `ProtectionEvent::BackupFailed`, cleared by the next `BackupFinished`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Failure {
    pub at: DateTime<Utc>,
    pub error: ErrorReport,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct StrategyHealth {
    pub strategy: StrategyName,
    /// A policy applies and automatic backups are not paused.
    pub automatic: bool,
    #[ts(optional)]
    pub last_backup: Option<DateTime<FixedOffset>>,
    pub state: StrategyState,
    /// Changes that no backup covers, older than the policy allows (or any, without a policy).
    pub overdue: bool,
    #[ts(optional)]
    pub last_failure: Option<Failure>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct HealthSummary {
    pub strategies: Vec<StrategyHealth>,
    /// Every strategy automatic, none overdue, none failing.
    pub all_well: bool,
    /// "All 12 strategies protected, last backup 5 minutes ago", or what is not.
    pub sentence: String,
}

/// Extra time a change may wait beyond its policy (a backup takes a while).
const GRACE_MINUTES: i64 = 10;

/// Builds the health of every scanned strategy.
pub fn health(
    statuses: &[StrategyStatus],
    automatic: &AutomaticSettings,
    failures: &BTreeMap<StrategyName, Failure>,
    now: DateTime<Utc>,
) -> HealthSummary {
    let strategies: Vec<StrategyHealth> = statuses
        .iter()
        .map(|status| {
            let policy = automatic
                .policy_for(status.name.as_str())
                .filter(|p| p.is_active());
            let is_automatic = policy.is_some() && !automatic.paused;
            let allowed = policy.filter(|_| is_automatic).map(|policy| {
                let mut longest = Duration::zero();
                if policy.on_change {
                    longest = Duration::seconds(policy.quiet_seconds.into());
                }
                if let Some(schedule) = &policy.schedule {
                    longest = if policy.on_change {
                        longest.min(schedule.period())
                    } else {
                        schedule.period()
                    };
                }
                longest + Duration::minutes(GRACE_MINUTES)
            });
            let unprotected = status.state != StrategyState::Protected;
            let overdue = unprotected
                && match allowed {
                    None => true,
                    Some(allowed) => status
                        .newest_change
                        .is_none_or(|changed| now - changed.with_timezone(&Utc) > allowed),
                };
            StrategyHealth {
                strategy: status.name.clone(),
                automatic: is_automatic,
                last_backup: status.latest_backup.as_ref().map(|b| b.created),
                state: status.state,
                overdue,
                last_failure: failures.get(&status.name).cloned(),
            }
        })
        .collect();
    let sentence = sentence_of(&strategies, automatic.paused, now);
    let all_well = strategies
        .iter()
        .all(|s| s.automatic && !s.overdue && s.last_failure.is_none());
    HealthSummary {
        strategies,
        all_well,
        sentence,
    }
}

fn sentence_of(strategies: &[StrategyHealth], paused: bool, now: DateTime<Utc>) -> String {
    let total = strategies.len();
    if total == 0 {
        return "No strategy folders found.".into();
    }
    let strategies_count = |n: usize| {
        if n == 1 {
            "1 strategy".to_string()
        } else {
            format!("{n} strategies")
        }
    };
    let failing: Vec<&StrategyHealth> = strategies
        .iter()
        .filter(|s| s.last_failure.is_some())
        .collect();
    let overdue: Vec<&StrategyHealth> = strategies
        .iter()
        .filter(|s| s.overdue && s.last_failure.is_none())
        .collect();
    let manual = strategies.iter().filter(|s| !s.automatic).count();
    let latest = strategies.iter().filter_map(|s| s.last_backup).max();
    let last = match latest {
        Some(at) => format!("last backup {}", ago(now, at.with_timezone(&Utc))),
        None => "no backup yet".into(),
    };
    let mut parts = Vec::new();
    if !failing.is_empty() {
        parts.push(format!("backup failed for {}", names(&failing)));
    }
    if !overdue.is_empty() {
        parts.push(format!("not backed up since changes: {}", names(&overdue)));
    }
    if paused {
        parts.push("automatic backups are paused".into());
    } else if manual > 0 {
        parts.push(format!(
            "{} without automatic backups",
            strategies_count(manual)
        ));
    }
    if parts.is_empty() {
        let all = if total == 1 {
            "The strategy is protected".to_string()
        } else {
            format!("All {total} strategies protected")
        };
        return format!("{all}, {last}");
    }
    let mut sentence = parts.join("; ");
    if let Some(first) = sentence.get(..1) {
        sentence = first.to_uppercase() + &sentence[1..];
    }
    format!("{sentence} ({} in all, {last})", strategies_count(total))
}

fn names(strategies: &[&StrategyHealth]) -> String {
    const SHOWN: usize = 3;
    let mut text: Vec<String> = strategies
        .iter()
        .take(SHOWN)
        .map(|s| s.strategy.to_string())
        .collect();
    if strategies.len() > SHOWN {
        text.push(format!("{} more", strategies.len() - SHOWN));
    }
    text.join(", ")
}

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago".
pub fn ago(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let seconds = (now - then).num_seconds().max(0);
    let unit = |n: i64, word: &str| {
        if n == 1 {
            format!("1 {word} ago")
        } else {
            format!("{n} {word}s ago")
        }
    };
    match seconds {
        0..60 => "just now".into(),
        60..3600 => unit(seconds / 60, "minute"),
        3600..86_400 => unit(seconds / 3600, "hour"),
        _ => unit(seconds / 86_400, "day"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::automatic::{AutomaticPolicy, Schedule};
    use std::path::PathBuf;

    fn status(name: &str, state: StrategyState, changed_minutes_ago: i64) -> StrategyStatus {
        let now = now();
        StrategyStatus {
            name: StrategyName::new(name).expect("name"),
            path: PathBuf::from(name),
            files: 1,
            bytes: 1,
            newest_change: Some((now - Duration::minutes(changed_minutes_ago)).fixed_offset()),
            latest_backup: None,
            state,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-04T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    fn on_change() -> AutomaticSettings {
        AutomaticSettings {
            all: Some(AutomaticPolicy {
                on_change: true,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn all_protected_says_so() {
        let statuses = [
            status("a", StrategyState::Protected, 5),
            status("b", StrategyState::Protected, 50),
        ];
        let h = health(&statuses, &on_change(), &BTreeMap::new(), now());
        assert!(h.all_well);
        assert_eq!(h.sentence, "All 2 strategies protected, no backup yet");
    }

    #[test]
    fn failures_and_overdue_changes_are_named() {
        let statuses = [
            status("fresh", StrategyState::Changed, 1),
            status("stale", StrategyState::Changed, 120),
            status("broken", StrategyState::Protected, 1),
        ];
        let mut failures = BTreeMap::new();
        failures.insert(
            StrategyName::new("broken").expect("name"),
            Failure {
                at: now(),
                error: ErrorReport {
                    code: "io".into(),
                    message: "m".into(),
                    hint: "h".into(),
                },
            },
        );
        let h = health(&statuses, &on_change(), &failures, now());
        assert!(!h.all_well);
        assert!(
            !h.strategies[0].overdue,
            "within the quiet period and grace"
        );
        assert!(h.strategies[1].overdue);
        assert_eq!(
            h.sentence,
            "Backup failed for broken; not backed up since changes: stale (3 strategies in all, no backup yet)"
        );
    }

    #[test]
    fn a_schedule_allows_its_period_and_no_policy_allows_nothing() {
        let daily = AutomaticSettings {
            all: Some(AutomaticPolicy {
                schedule: Some(Schedule::Day { at: "18:00".into() }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let statuses = [status("a", StrategyState::Changed, 600)];
        assert!(!health(&statuses, &daily, &BTreeMap::new(), now()).strategies[0].overdue);
        let none = health(
            &statuses,
            &AutomaticSettings::default(),
            &BTreeMap::new(),
            now(),
        );
        assert!(none.strategies[0].overdue && !none.strategies[0].automatic);
        assert!(none
            .sentence
            .contains("1 strategy without automatic backups"));
    }

    #[test]
    fn ages_read_as_people_say_them() {
        let n = now();
        assert_eq!(ago(n, n), "just now");
        assert_eq!(ago(n, n - Duration::minutes(5)), "5 minutes ago");
        assert_eq!(ago(n, n - Duration::hours(1)), "1 hour ago");
        assert_eq!(ago(n, n - Duration::days(3)), "3 days ago");
    }
}
