//! Automatic protection: the engine that watches the results folder and backs strategies up by
//! the policies in the settings (on change, after a quiet period; on a schedule), shared by
//! `results-backup watch` and the desktop app. It only reports what happens, as
//! [`ProtectionEvent`]s; the caller prints them or turns them into UI state.
//!
//! One thread runs [`Protector::run`]: it waits on the watcher (at most a quarter second, so a
//! cancel is seen quickly), then starts whatever is due, one backup at a time. Backups go into
//! the chosen store (`locations.remote`: an S3 store, else the backups folder) through
//! `back_up_in` with if-changed semantics against that store's latest backup, so a change that
//! was undone, or a schedule with nothing new, makes no backup. What the engine remembers (the
//! schedule state file, failures and retries) stays on this computer whichever the store.

pub mod health;
pub mod schedule;

use chrono::{DateTime, Local, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::backup::{back_up_in, BackupOptions, BackupOutcome, BackupStatus};
use super::scan::strategy_names;
use crate::archive::StrategyName;
use crate::error::{Error, Result};
use crate::progress::{CancelToken, NoProgress};
use crate::store::automatic::{AutomaticPolicy, AutomaticSettings, ScheduleState};
use crate::store::backups_store::BackupsStore;
use crate::store::catalog::CatalogEntry;
use crate::store::settings::Locations;
use crate::sys::watch::{FolderEvent, FolderWatcher, WatchMode, WatchOptions};

/// What time it is; tests inject their own.
pub trait Clock: Send {
    fn now(&self) -> DateTime<Utc>;
}

/// The computer's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// An error as the person sees it: what crosses to the UI and into `--json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ErrorReport {
    pub code: String,
    pub message: String,
    pub hint: String,
}

impl From<&Error> for ErrorReport {
    fn from(error: &Error) -> Self {
        ErrorReport {
            code: error.code().into(),
            message: error.to_string(),
            hint: error.hint(),
        }
    }
}

/// Why an automatic backup started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The strategy changed and then stayed quiet for its quiet period.
    Change,
    /// Its schedule came due (or a run was missed while asleep or closed).
    Schedule,
    /// An earlier attempt failed; this is the retry.
    Retry,
}

/// Everything the engine reports, in order.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProtectionEvent {
    /// Watching began, natively or by polling (`reason` says why it polls).
    Watching {
        results: PathBuf,
        mode: WatchMode,
        #[ts(optional)]
        reason: Option<String>,
    },
    /// Files of the strategy changed on disk (for live state; at most once a second each).
    StrategyChanged {
        strategy: StrategyName,
    },
    BackupStarted {
        strategy: StrategyName,
        trigger: Trigger,
    },
    /// `status` is `created`, or `unchanged` when nothing changed since the latest backup.
    BackupFinished {
        strategy: StrategyName,
        trigger: Trigger,
        status: BackupStatus,
        #[ts(optional)]
        backup: Option<CatalogEntry>,
    },
    /// The backup failed; it is tried again in `retry_in_seconds` (or when the results folder
    /// is back, if it went missing).
    BackupFailed {
        strategy: StrategyName,
        trigger: Trigger,
        error: ErrorReport,
        retry_in_seconds: u64,
    },
    /// The hook run after an automatic backup (retention) failed; the backup itself is made.
    AfterBackupFailed {
        strategy: StrategyName,
        error: ErrorReport,
    },
    /// The results folder is gone (deleted, renamed, its disk unplugged): nothing starts until
    /// it is back.
    ResultsFolderMissing {
        results: PathBuf,
    },
    ResultsFolderBack {
        results: PathBuf,
    },
    /// Something the person should know that stopped nothing.
    Warning {
        message: String,
    },
}

/// Called after each automatic backup that made a new archive, e.g. to apply retention, with the
/// store the backup went to (the protector's own, opened once).
pub type AfterBackup = Box<dyn FnMut(&BackupsStore, &BackupOutcome) -> Result<()> + Send>;

/// How the engine runs, beyond the policies.
pub struct ProtectorOptions {
    pub watch: WatchOptions,
    /// Where the last scheduled run per strategy is remembered (see
    /// [`ScheduleState::path_beside`]); `None` keeps it in memory only.
    pub state_file: Option<PathBuf>,
    pub clock: Box<dyn Clock>,
    /// Waits before each retry after a failure; the last one repeats.
    pub retry_delays: Vec<Duration>,
    /// Runs after each automatic backup that created an archive (retention goes here).
    pub after_backup: Option<AfterBackup>,
}

impl Default for ProtectorOptions {
    fn default() -> Self {
        ProtectorOptions {
            watch: WatchOptions::from_env(),
            state_file: None,
            clock: Box::new(SystemClock),
            retry_delays: [60, 5 * 60, 15 * 60]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            after_backup: None,
        }
    }
}

/// The longest the loop sleeps, so cancellation and the clock are looked at often enough.
const TICK: Duration = Duration::from_millis(250);
/// Live-state events for one strategy are sent at most this often.
const CHANGED_EVENT_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Default)]
struct StrategyTrack {
    /// A change seen and not yet covered by a backup.
    pending_change: bool,
    last_change: Option<Instant>,
    last_changed_event: Option<Instant>,
    failures: u32,
    retry_at: Option<Instant>,
}

/// The engine. Build it with the locations and the settings' `automatic` part, then call
/// [`Protector::run`] on a thread of its own (or use [`spawn_protector`]).
pub struct Protector {
    locations: Locations,
    automatic: AutomaticSettings,
    options: ProtectorOptions,
    tracks: BTreeMap<StrategyName, StrategyTrack>,
    state: ScheduleState,
    /// Where backups go, opened at the first backup and kept (an S3 store's client and its
    /// connections are reused); `None` until then, or after opening it failed.
    store: Option<BackupsStore>,
    present: bool,
    /// The backups folder's name when it sits directly in the results folder: its writes are
    /// our own, not a strategy's.
    backups_inside: Option<std::ffi::OsString>,
}

impl Protector {
    pub fn new(
        locations: Locations,
        automatic: AutomaticSettings,
        options: ProtectorOptions,
    ) -> Protector {
        let backups_inside = backups_inside(&locations.results, &locations.backups);
        Protector {
            locations,
            automatic,
            options,
            tracks: BTreeMap::new(),
            state: ScheduleState::default(),
            store: None,
            present: false,
            backups_inside,
        }
    }

    /// [`Protector::new`] backing up into `store`, already open (one the caller shares, or opened
    /// with keys of its own) instead of the one `locations.remote` names.
    pub fn with_store(
        locations: Locations,
        store: BackupsStore,
        automatic: AutomaticSettings,
        options: ProtectorOptions,
    ) -> Protector {
        Protector {
            store: Some(store),
            ..Protector::new(locations, automatic, options)
        }
    }

    /// Watches and backs up until `cancel` is set. A backup running then is cancelled at its
    /// next checkpoint and leaves nothing behind. Returns only when cancelled.
    pub fn run(
        &mut self,
        cancel: &CancelToken,
        on_event: &mut dyn FnMut(ProtectionEvent),
    ) -> Result<()> {
        if let Some(path) = &self.options.state_file {
            match ScheduleState::load(path) {
                Ok(state) => self.state = state,
                Err(error) => on_event(ProtectionEvent::Warning {
                    message: format!(
                        "{error}. Schedules start as if they had never run; the file is rewritten after the next scheduled backup."
                    ),
                }),
            }
        }
        if self.automatic.paused {
            on_event(ProtectionEvent::Warning {
                message: "Automatic backups are paused in the settings: watching only.".into(),
            });
        }
        let mut watcher = FolderWatcher::start(&self.locations.results, self.options.watch.clone());
        while !cancel.is_cancelled() {
            for event in watcher.next(TICK) {
                self.take(event, on_event);
            }
            if cancel.is_cancelled() {
                break;
            }
            if self.present && !self.automatic.paused {
                self.start_due(cancel, on_event)?;
            }
        }
        Ok(())
    }

    fn take(&mut self, event: FolderEvent, on_event: &mut dyn FnMut(ProtectionEvent)) {
        let results = self.locations.results.clone();
        match event {
            FolderEvent::Watching { mode, reason } => {
                if !self.present {
                    self.present = true;
                    // At start and when the folder comes back, whatever changed meanwhile is
                    // caught up (after a quiet period; unchanged strategies make no backup).
                    self.track_all_present(on_event);
                }
                on_event(ProtectionEvent::Watching {
                    results,
                    mode,
                    reason,
                });
            }
            FolderEvent::Missing => {
                self.present = false;
                on_event(ProtectionEvent::ResultsFolderMissing { results });
            }
            FolderEvent::Back => on_event(ProtectionEvent::ResultsFolderBack { results }),
            FolderEvent::Changed(names) => {
                let now = Instant::now();
                for name in names {
                    let Some(strategy) = self.strategy_of(&name) else {
                        continue;
                    };
                    let track = self.tracks.entry(strategy.clone()).or_default();
                    track.pending_change = true;
                    track.last_change = Some(now);
                    let quiet = track
                        .last_changed_event
                        .is_none_or(|at| now.duration_since(at) >= CHANGED_EVENT_INTERVAL);
                    if quiet {
                        track.last_changed_event = Some(now);
                        on_event(ProtectionEvent::StrategyChanged { strategy });
                    }
                }
            }
            FolderEvent::Trouble(message) => on_event(ProtectionEvent::Warning { message }),
        }
    }

    /// Marks every strategy folder as possibly changed, as of now.
    fn track_all_present(&mut self, on_event: &mut dyn FnMut(ProtectionEvent)) {
        let names = match strategy_names(&self.locations, &NoProgress) {
            Ok(names) => names,
            Err(error) => {
                on_event(ProtectionEvent::Warning {
                    message: format!("{error}."),
                });
                return;
            }
        };
        let now = Instant::now();
        for name in names {
            let track = self.tracks.entry(name).or_default();
            track.pending_change = true;
            track.last_change = Some(now);
            // A failure while the folder was going away is retried as soon as it is quiet.
            track.retry_at = None;
        }
    }

    /// The strategy a first-level entry of the results folder is, if it is one.
    fn strategy_of(&self, name: &std::ffi::OsStr) -> Option<StrategyName> {
        if self.backups_inside.as_deref() == Some(name) {
            return None;
        }
        let strategy = StrategyName::new(name.to_str()?).ok()?;
        Some(strategy)
    }

    fn start_due(
        &mut self,
        cancel: &CancelToken,
        on_event: &mut dyn FnMut(ProtectionEvent),
    ) -> Result<()> {
        let now = Instant::now();
        let wall = self.options.clock.now();
        let mut due = Vec::new();
        for (strategy, track) in &self.tracks {
            let Some(policy) = self.automatic.policy_for(strategy.as_str()) else {
                continue;
            };
            let quiet_for = Duration::from_secs(policy.quiet_seconds.into());
            let quiet = track
                .last_change
                .is_none_or(|at| now.duration_since(at) >= quiet_for);
            let may_retry = track.retry_at.is_none_or(|at| now >= at);
            if !quiet || !may_retry {
                continue;
            }
            let retrying = track.failures > 0;
            if let Some(schedule) = &policy.schedule {
                let last = self.state.last_scheduled_run.get(strategy).copied();
                if schedule::due(schedule, &Local, last, wall).now {
                    due.push((strategy.clone(), pick(retrying, Trigger::Schedule)));
                    continue;
                }
            }
            if policy.on_change && track.pending_change {
                due.push((strategy.clone(), pick(retrying, Trigger::Change)));
            }
        }
        for (strategy, trigger) in due {
            if cancel.is_cancelled() || !self.present {
                break;
            }
            self.back_up_one(&strategy, trigger, wall, cancel, on_event)?;
        }
        Ok(())
    }

    fn back_up_one(
        &mut self,
        strategy: &StrategyName,
        trigger: Trigger,
        wall: DateTime<Utc>,
        cancel: &CancelToken,
        on_event: &mut dyn FnMut(ProtectionEvent),
    ) -> Result<()> {
        let policy = self
            .automatic
            .policy_for(strategy.as_str())
            .cloned()
            .unwrap_or_else(AutomaticPolicy::default);
        let Some(track) = self.tracks.get_mut(strategy) else {
            return Ok(());
        };
        // A strategy folder deleted since: nothing to protect, nothing to retry.
        if !self.locations.results.join(strategy).is_dir() {
            self.tracks.remove(strategy);
            return Ok(());
        }
        // Cleared before the backup: a change during it sets it again and makes another.
        track.pending_change = false;
        on_event(ProtectionEvent::BackupStarted {
            strategy: strategy.clone(),
            trigger,
        });
        let options = BackupOptions {
            level: self.locations.level,
            if_changed: true,
        };
        let result = opened_store(&mut self.store, &self.locations).and_then(|store| {
            back_up_in(
                &self.locations,
                store,
                strategy.as_str(),
                &options,
                &NoProgress,
                cancel,
            )
        });
        let Some(track) = self.tracks.get_mut(strategy) else {
            return Ok(());
        };
        match result {
            Ok(outcome) => {
                track.failures = 0;
                track.retry_at = None;
                if policy.schedule.is_some() {
                    self.record_scheduled_run(strategy, wall, on_event);
                }
                on_event(ProtectionEvent::BackupFinished {
                    strategy: strategy.clone(),
                    trigger,
                    status: outcome.status,
                    backup: outcome.backup.clone(),
                });
                if outcome.status == BackupStatus::Created {
                    if let (Some(hook), Some(store)) =
                        (self.options.after_backup.as_mut(), self.store.as_ref())
                    {
                        if let Err(error) = hook(store, &outcome) {
                            on_event(ProtectionEvent::AfterBackupFailed {
                                strategy: strategy.clone(),
                                error: ErrorReport::from(&error),
                            });
                        }
                    }
                }
                Ok(())
            }
            Err(Error::Cancelled) => {
                track.pending_change = true;
                Ok(())
            }
            Err(error) => {
                track.pending_change = true;
                track.failures += 1;
                let delays = &self.options.retry_delays;
                let index = (track.failures as usize - 1).min(delays.len().saturating_sub(1));
                let delay = delays
                    .get(index)
                    .copied()
                    .unwrap_or(Duration::from_secs(60));
                track.retry_at = Some(Instant::now() + delay);
                on_event(ProtectionEvent::BackupFailed {
                    strategy: strategy.clone(),
                    trigger,
                    error: ErrorReport::from(&error),
                    retry_in_seconds: delay.as_secs(),
                });
                Ok(())
            }
        }
    }

    fn record_scheduled_run(
        &mut self,
        strategy: &StrategyName,
        wall: DateTime<Utc>,
        on_event: &mut dyn FnMut(ProtectionEvent),
    ) {
        self.state.last_scheduled_run.insert(strategy.clone(), wall);
        if let Some(path) = &self.options.state_file {
            if let Err(error) = self.state.save(path) {
                on_event(ProtectionEvent::Warning {
                    message: format!(
                        "{error}. The schedule is remembered until this program stops; a run may repeat after a restart."
                    ),
                });
            }
        }
    }
}

/// The store in `slot`, opened from `locations` the first time. Opening an S3 store sends no
/// request; it fails only on what is local (an unusable profile, no network runtime), which fails
/// the backup like any other failure, and the retry opens it again.
fn opened_store<'a>(
    slot: &'a mut Option<BackupsStore>,
    locations: &Locations,
) -> Result<&'a BackupsStore> {
    let store = match slot.take() {
        Some(store) => store,
        None => BackupsStore::open(locations)?,
    };
    Ok(slot.insert(store))
}

fn pick(retrying: bool, trigger: Trigger) -> Trigger {
    if retrying {
        Trigger::Retry
    } else {
        trigger
    }
}

/// The name of the backups folder when it is a direct child of the results folder.
fn backups_inside(results: &Path, backups: &Path) -> Option<std::ffi::OsString> {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (results, backups) = (absolute(results), absolute(backups));
    let rest = backups.strip_prefix(&results).ok()?;
    rest.components()
        .next()
        .map(|c| c.as_os_str().to_os_string())
}

/// A protector running on a thread of its own; [`ProtectorThread::stop`] cancels and joins it.
pub struct ProtectorThread {
    cancel: CancelToken,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

/// Runs `protector` on a new thread, handing each event to `on_event` there.
pub fn spawn_protector(
    mut protector: Protector,
    mut on_event: impl FnMut(ProtectionEvent) + Send + 'static,
) -> ProtectorThread {
    let cancel = CancelToken::new();
    let token = cancel.clone();
    let thread = std::thread::Builder::new()
        .name("automatic-protection".into())
        .spawn(move || protector.run(&token, &mut on_event));
    ProtectorThread {
        cancel,
        thread: thread.ok(),
    }
}

impl ProtectorThread {
    /// Stops the protector (a running backup is cancelled and cleaned up) and waits for it.
    pub fn stop(mut self) -> Result<()> {
        self.cancel.cancel();
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(outcome)) => outcome,
            Some(Err(_)) => Err(Error::io(
                "run automatic protection for",
                "the results folder",
                std::io::Error::other("its thread stopped unexpectedly"),
            )),
            None => Err(Error::io(
                "start automatic protection for",
                "the results folder",
                std::io::Error::other("no thread could be started"),
            )),
        }
    }

    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for ProtectorThread {
    fn drop(&mut self) {
        self.cancel.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
