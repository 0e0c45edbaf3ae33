//! When a schedule is due: pure functions of the schedule, the time zone, the time of the last
//! scheduled run and "now", so tests drive them with any zone and any clock.
//!
//! A schedule names moments in local time ("every day at 02:30"); each becomes a slot, one
//! instant. A run is due when a slot has passed since the last run: however many slots were
//! missed (laptop asleep, app closed), that is one run. Daylight saving: a local time that does
//! not exist (spring forward) runs at the first valid instant after it; a time that happens
//! twice (fall back) runs once, at its first occurrence. Hourly slots are every real hour at the
//! local minute (both 01:30s of a fall-back night are separate hours, and a skipped local hour
//! has no slot of its own).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::store::automatic::{parse_time_of_day, Schedule};

/// Whether a scheduled run is due at `now`, and when the next one is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    /// A slot passed since `last_run` (or there was never a run and a slot has passed).
    pub now: bool,
    /// The first slot after both `now` and `last_run`.
    pub next: Option<DateTime<Utc>>,
}

/// Decides whether `schedule` is due at `now` given the last scheduled run, in zone `zone`.
/// A clock that went backwards (last run "in the future") is never due before the first slot
/// after that last run, so a run is never repeated.
pub fn due<Tz: TimeZone>(
    schedule: &Schedule,
    zone: &Tz,
    last_run: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Due {
    let previous = previous_slot(schedule, zone, now);
    let is_due = match (previous, last_run) {
        (Some(slot), Some(last)) => slot > last,
        (Some(_), None) => true,
        (None, _) => false,
    };
    let after = match last_run {
        Some(last) if last > now => last,
        _ => now,
    };
    Due {
        now: is_due,
        next: next_slot(schedule, zone, after),
    }
}

/// The latest slot at or before `at`.
pub fn previous_slot<Tz: TimeZone>(
    schedule: &Schedule,
    zone: &Tz,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    slots_around(schedule, zone, at)
        .into_iter()
        .rev()
        .find(|slot| *slot <= at)
}

/// The first slot strictly after `at`.
pub fn next_slot<Tz: TimeZone>(
    schedule: &Schedule,
    zone: &Tz,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    slots_around(schedule, zone, at)
        .into_iter()
        .find(|slot| *slot > at)
}

/// Every slot of the local days around `at` (eight days either side covers a weekly schedule),
/// sorted and without repeats.
fn slots_around<Tz: TimeZone>(
    schedule: &Schedule,
    zone: &Tz,
    at: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let today = at.with_timezone(zone).date_naive();
    let span = match schedule {
        Schedule::Hour { .. } => 1,
        Schedule::Day { .. } => 2,
        Schedule::Week { .. } => 8,
    };
    let mut slots = Vec::new();
    for offset in -span..=span {
        let Some(date) = today.checked_add_signed(Duration::days(offset)) else {
            continue;
        };
        slots_on(schedule, zone, date, &mut slots);
    }
    slots.sort();
    slots.dedup();
    slots
}

fn slots_on<Tz: TimeZone>(
    schedule: &Schedule,
    zone: &Tz,
    date: NaiveDate,
    slots: &mut Vec<DateTime<Utc>>,
) {
    match schedule {
        Schedule::Hour { minute } => {
            for hour in 0..24 {
                let Some(local) = date.and_hms_opt(hour, *minute, 0) else {
                    continue;
                };
                // Both occurrences of a repeated hour are real hours; a skipped one has none.
                match zone.from_local_datetime(&local) {
                    chrono::LocalResult::Single(t) => slots.push(t.with_timezone(&Utc)),
                    chrono::LocalResult::Ambiguous(first, second) => {
                        slots.push(first.with_timezone(&Utc));
                        slots.push(second.with_timezone(&Utc));
                    }
                    chrono::LocalResult::None => {}
                }
            }
        }
        Schedule::Day { at } => {
            if let Some(time) = parse_time_of_day(at) {
                slots.extend(instant_of(zone, date.and_time(time)));
            }
        }
        Schedule::Week { on, at } => {
            if date.weekday() == on.to_chrono() {
                if let Some(time) = parse_time_of_day(at) {
                    slots.extend(instant_of(zone, date.and_time(time)));
                }
            }
        }
    }
}

/// The one instant a local date and time stands for: its first occurrence when it happens
/// twice, the first valid instant after it when it does not exist.
fn instant_of<Tz: TimeZone>(zone: &Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    if let Some(t) = zone.from_local_datetime(&local).earliest() {
        return Some(t.with_timezone(&Utc));
    }
    // In a gap: the first local minute that exists is the instant the clocks jumped. Gaps are
    // an hour or two in every real zone; a day bounds the search.
    (1..=24 * 60).find_map(|minutes| {
        let later = local.checked_add_signed(Duration::minutes(minutes))?;
        zone.from_local_datetime(&later)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::automatic::Weekday;
    use chrono::FixedOffset;
    use chrono_tz::{America::New_York, Europe::Berlin};

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test time")
            .with_timezone(&Utc)
    }

    fn daily(at: &str) -> Schedule {
        Schedule::Day { at: at.into() }
    }

    #[test]
    fn hourly_daily_and_weekly_slots_in_a_fixed_zone() {
        let zone = FixedOffset::east_opt(2 * 3600).expect("offset");
        // (schedule, now, previous slot, next slot), all in +02:00.
        let table = [
            (
                Schedule::Hour { minute: 15 },
                "2026-03-04T10:20:00+02:00",
                "2026-03-04T10:15:00+02:00",
                "2026-03-04T11:15:00+02:00",
            ),
            (
                Schedule::Hour { minute: 0 },
                "2026-03-04T23:59:59+02:00",
                "2026-03-04T23:00:00+02:00",
                "2026-03-05T00:00:00+02:00",
            ),
            (
                daily("18:30"),
                "2026-03-04T18:30:00+02:00",
                "2026-03-04T18:30:00+02:00",
                "2026-03-05T18:30:00+02:00",
            ),
            (
                daily("18:30"),
                "2026-03-04T08:00:00+02:00",
                "2026-03-03T18:30:00+02:00",
                "2026-03-04T18:30:00+02:00",
            ),
            // 2026-03-04 is a Wednesday; ISO weeks start on Monday, and a weekly slot is on its
            // own day whatever the week number.
            (
                Schedule::Week {
                    on: Weekday::Monday,
                    at: "09:00".into(),
                },
                "2026-03-04T08:00:00+02:00",
                "2026-03-02T09:00:00+02:00",
                "2026-03-09T09:00:00+02:00",
            ),
            (
                Schedule::Week {
                    on: Weekday::Sunday,
                    at: "23:30".into(),
                },
                "2026-03-04T08:00:00+02:00",
                "2026-03-01T23:30:00+02:00",
                "2026-03-08T23:30:00+02:00",
            ),
        ];
        for (schedule, now, previous, next) in table {
            let now = utc(now);
            assert_eq!(
                previous_slot(&schedule, &zone, now),
                Some(utc(previous)),
                "{schedule:?} at {now}"
            );
            assert_eq!(
                next_slot(&schedule, &zone, now),
                Some(utc(next)),
                "{schedule:?} at {now}"
            );
        }
    }

    #[test]
    fn missed_slots_coalesce_into_one_run() {
        let zone = FixedOffset::east_opt(0).expect("offset");
        let schedule = Schedule::Hour { minute: 0 };
        // Asleep for three days: one run on wake, then nothing until the next hour.
        let last = utc("2026-03-01T10:00:00Z");
        let wake = utc("2026-03-04T10:42:00Z");
        let d = due(&schedule, &zone, Some(last), wake);
        assert!(d.now);
        assert_eq!(d.next, Some(utc("2026-03-04T11:00:00Z")));
        let after_run = due(&schedule, &zone, Some(wake), wake + Duration::minutes(5));
        assert!(!after_run.now);
    }

    #[test]
    fn never_run_is_due_once_a_slot_has_passed() {
        let zone = FixedOffset::east_opt(0).expect("offset");
        assert!(due(&daily("18:00"), &zone, None, utc("2026-03-04T10:00:00Z")).now);
    }

    #[test]
    fn a_clock_that_goes_backwards_never_repeats_a_run() {
        let zone = FixedOffset::east_opt(0).expect("offset");
        let schedule = daily("18:00");
        let ran = utc("2026-03-04T18:00:05Z");
        // The clock is set back an hour after the run.
        let back = utc("2026-03-04T17:10:00Z");
        let d = due(&schedule, &zone, Some(ran), back);
        assert!(!d.now);
        assert_eq!(d.next, Some(utc("2026-03-05T18:00:00Z")));
        // At 18:00 again by the wrong clock: the slot equals the one already run.
        assert!(!due(&schedule, &zone, Some(ran), utc("2026-03-04T18:00:30Z")).now);
        assert!(due(&schedule, &zone, Some(ran), utc("2026-03-05T18:00:00Z")).now);
    }

    #[test]
    fn a_daily_time_that_does_not_exist_runs_at_the_first_valid_instant_after_it() {
        // Berlin springs forward on 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:30 never is.
        let schedule = daily("02:30");
        let on_the_day = previous_slot(&schedule, &Berlin, utc("2026-03-29T12:00:00Z"));
        // 03:00 CEST = 01:00 UTC.
        assert_eq!(on_the_day, Some(utc("2026-03-29T01:00:00Z")));
        let day_before = previous_slot(&schedule, &Berlin, utc("2026-03-29T00:59:00Z"));
        assert_eq!(day_before, Some(utc("2026-03-28T01:30:00Z")));
        let day_after = next_slot(&schedule, &Berlin, utc("2026-03-29T01:00:00Z"));
        assert_eq!(day_after, Some(utc("2026-03-30T00:30:00Z")));
    }

    #[test]
    fn an_ambiguous_fall_back_time_runs_once() {
        // New York falls back on 2026-11-01: 01:30 happens at 05:30 UTC (EDT) and 06:30 (EST).
        let schedule = daily("01:30");
        let first = utc("2026-11-01T05:30:00Z");
        let d = due(
            &schedule,
            &New_York,
            Some(first),
            utc("2026-11-01T06:45:00Z"),
        );
        assert!(!d.now, "the second 01:30 is not a second run");
        assert_eq!(d.next, Some(utc("2026-11-02T06:30:00Z")));
        assert_eq!(
            previous_slot(&schedule, &New_York, utc("2026-11-01T06:45:00Z")),
            Some(first)
        );
    }

    #[test]
    fn hourly_slots_follow_real_hours_across_daylight_saving() {
        let schedule = Schedule::Hour { minute: 30 };
        // Fall back: 01:30 EDT, 01:30 EST, 02:30 EST are three hours one after the other.
        let mut at = utc("2026-11-01T05:00:00Z");
        let mut seen = Vec::new();
        for _ in 0..3 {
            let next = next_slot(&schedule, &New_York, at).expect("slot");
            seen.push(next);
            at = next;
        }
        assert_eq!(
            seen,
            [
                utc("2026-11-01T05:30:00Z"),
                utc("2026-11-01T06:30:00Z"),
                utc("2026-11-01T07:30:00Z")
            ]
        );
        // Spring forward in Berlin: 01:30 CET, then 03:30 CEST, one real hour later.
        let next = next_slot(&schedule, &Berlin, utc("2026-03-29T00:30:00Z"));
        assert_eq!(next, Some(utc("2026-03-29T01:30:00Z")));
    }
}
