//! Automatic protection in the app: the core's protection engine runs on its own thread for as
//! long as the app runs (window open or hidden in the tray). It watches the results folder, so the
//! window's state follows the disk within a second or two, and backs up as the settings say.
//! Its events go to the window (live state), to the failures kept until the analyst has seen
//! them, and to system notifications: always for a failure, once per streak; optionally for
//! successes, one summary per batch.

use results_backup::{
    back_up_each_in, forget_after_automatic, health, spawn_protector, AutomaticSettings,
    BackupOptions, BackupStatus, CancelToken, ErrorReport, Failure, HealthSummary, NoProgress,
    ProtectionEvent, Protector, ProtectorOptions, ProtectorThread, ScheduleState, StrategyName,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime};

use crate::app_state::AppState;
use crate::commands::settings::{settings_and_locations, settings_to_change};
use crate::desktop::notify;
use crate::error::CommandResult;
use crate::store::{current_store, open_store};

/// What the window hears about, as it happens.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveUpdate {
    /// Something the engine saw or did (boxed: an event can carry a whole catalog entry).
    Engine { event: Box<ProtectionEvent> },
    /// "Back up now" from the tray finished: what it made.
    BackedUpNow {
        created: u32,
        unchanged: u32,
        failed: u32,
    },
}

/// Successes that finish within this long of each other are announced in one notification.
const SUCCESS_BATCH_WINDOW: Duration = Duration::from_secs(3);

#[derive(Default)]
struct Inner {
    engine: Option<ProtectorThread>,
    automatic: AutomaticSettings,
    failures: BTreeMap<StrategyName, Failure>,
    results_missing: bool,
    listeners: Vec<Channel<LiveUpdate>>,
    successes_to_announce: Vec<String>,
    backing_up_now: bool,
}

#[derive(Default)]
pub struct Protection {
    inner: Mutex<Inner>,
}

impl Protection {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep going with it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// (Re)starts the engine with the settings as they are now: at launch and after every change
    /// of the folders or the automatic settings.
    pub fn restart<R: Runtime>(&self, app: &AppHandle<R>) {
        let old = self.lock().engine.take();
        if let Some(old) = old {
            let _ = old.stop();
        }
        let Ok((settings_path, settings, locations)) = settings_and_locations() else {
            return;
        };
        let configured = settings.results_dir.is_some()
            || std::env::var_os(results_backup::RESULTS_ENV).is_some();
        let mut inner = self.lock();
        inner.automatic = settings.automatic.clone();
        inner.results_missing = false;
        // The engine backs up into the store `locations` names: the folder or shared storage.
        if !configured {
            return;
        }
        let in_use = app.state::<crate::commands::Shell>().in_use.clone();
        let options = ProtectorOptions {
            state_file: settings_path.as_deref().map(ScheduleState::path_beside),
            after_backup: forget_after_automatic(
                settings.retention.clone(),
                Box::new(move || in_use.names()),
            ),
            ..ProtectorOptions::default()
        };
        let protector = Protector::new(locations, settings.automatic, options);
        let handle = app.clone();
        inner.engine = Some(spawn_protector(protector, move |event| {
            handle.state::<Protection>().on_event(&handle, event);
        }));
    }

    /// Stops the engine (a running backup is cancelled and cleaned up); on quit.
    pub fn stop(&self) {
        let engine = self.lock().engine.take();
        if let Some(engine) = engine {
            let _ = engine.stop();
        }
    }

    fn on_event<R: Runtime>(&self, app: &AppHandle<R>, mut event: ProtectionEvent) {
        if let ProtectionEvent::BackupFailed { error, .. }
        | ProtectionEvent::AfterBackupFailed { error, .. } = &mut event
        {
            *error = report_for_the_window(error);
        }
        let mut first_failure = None;
        let mut folder_gone = None;
        let mut announce_batch = false;
        {
            let mut inner = self.lock();
            match &event {
                ProtectionEvent::BackupFailed {
                    strategy, error, ..
                } => {
                    if !inner.failures.contains_key(strategy) {
                        first_failure = Some((strategy.to_string(), error.clone()));
                    }
                    inner.failures.insert(
                        strategy.clone(),
                        Failure {
                            at: chrono::Utc::now(),
                            error: error.clone(),
                        },
                    );
                }
                ProtectionEvent::BackupFinished {
                    strategy, status, ..
                } => {
                    inner.failures.remove(strategy);
                    if *status == BackupStatus::Created
                        && app
                            .try_state::<AppState>()
                            .is_some_and(|state| state.notify_success())
                    {
                        announce_batch = inner.successes_to_announce.is_empty();
                        inner.successes_to_announce.push(strategy.to_string());
                    }
                }
                ProtectionEvent::ResultsFolderMissing { results } => {
                    if !inner.results_missing {
                        folder_gone = Some(results.clone());
                    }
                    inner.results_missing = true;
                }
                ProtectionEvent::ResultsFolderBack { .. } => inner.results_missing = false,
                _ => {}
            }
        }
        if let Some((strategy, error)) = first_failure {
            notify(
                app,
                &format!("Automatic backup of {strategy} failed"),
                &format!("{} {}", error.message, error.hint),
            );
        }
        if let Some(results) = folder_gone {
            notify(
                app,
                "Your results folder is gone",
                &format!(
                    "{} is missing. Reconnect its drive or choose it again in Settings; automatic backups resume by themselves when it is back.",
                    results.display()
                ),
            );
        }
        if announce_batch {
            let handle = app.clone();
            std::thread::spawn(move || {
                std::thread::sleep(SUCCESS_BATCH_WINDOW);
                handle.state::<Protection>().announce_successes(&handle);
            });
        }
        self.tell_listeners(LiveUpdate::Engine {
            event: Box::new(event),
        });
    }

    fn announce_successes<R: Runtime>(&self, app: &AppHandle<R>) {
        let names = std::mem::take(&mut self.lock().successes_to_announce);
        match names.as_slice() {
            [] => {}
            [one] => notify(app, "Backed up", &format!("{one} is protected.")),
            many => notify(
                app,
                &format!("Backed up {} strategies", many.len()),
                &format!("{} are protected.", many.join(", ")),
            ),
        }
    }

    fn tell_listeners(&self, update: LiveUpdate) {
        let mut inner = self.lock();
        // A listener whose window went away stops accepting; forget it.
        inner
            .listeners
            .retain(|listener| listener.send(update.clone()).is_ok());
    }

    pub fn listen(&self, listener: Channel<LiveUpdate>) {
        self.lock().listeners.push(listener);
    }

    pub fn paused(&self) -> bool {
        self.lock().automatic.paused
    }

    /// Pauses or resumes every automatic backup, in the settings file the command line reads too.
    pub fn set_paused<R: Runtime>(&self, app: &AppHandle<R>, paused: bool) -> CommandResult<()> {
        let (path, mut settings) = settings_to_change()?;
        settings.automatic.paused = paused;
        settings.save(&path)?;
        self.restart(app);
        Ok(())
    }

    /// Closing the window hides it only when automatic backups have something to do.
    pub fn keeps_running_when_closed(&self) -> bool {
        self.lock().automatic.has_any_policy()
    }

    /// The analyst has seen this failure: it leaves the summary (a new failure brings it back).
    pub fn acknowledge_failure(&self, strategy: &str) {
        self.lock()
            .failures
            .retain(|name, _| name.as_str() != strategy);
    }

    /// Every strategy's protection and the one-sentence summary.
    pub fn health(&self) -> CommandResult<HealthSummary> {
        let (_, settings, locations) = settings_and_locations()?;
        // Judged against where backups are kept now, as the strategies view is.
        let statuses = open_store(&locations)?.scan(&locations)?;
        let failures = self.lock().failures.clone();
        Ok(health(
            &statuses,
            &settings.automatic,
            &failures,
            chrono::Utc::now(),
        ))
    }

    /// "Back up now" from the tray: every strategy whose files changed, on a thread of its own,
    /// then one notification.
    pub fn back_up_now<R: Runtime>(&self, app: &AppHandle<R>) {
        {
            let mut inner = self.lock();
            if inner.backing_up_now {
                return;
            }
            inner.backing_up_now = true;
        }
        let handle = app.clone();
        std::thread::spawn(move || {
            let protection = handle.state::<Protection>();
            let outcome = back_up_every_changed_strategy();
            protection.lock().backing_up_now = false;
            match outcome {
                Ok((created, unchanged, failures)) => {
                    let failed = failures.len() as u32;
                    if let Some((strategy, error)) = failures.first() {
                        notify(
                            &handle,
                            &format!("Backing up {strategy} failed"),
                            &format!("{} {}", error.message, error.hint),
                        );
                    } else {
                        notify(
                            &handle,
                            "Backed up now",
                            &match created {
                                0 => "Nothing had changed since the latest backups.".to_string(),
                                1 => "1 strategy backed up; the others had not changed.".into(),
                                n => {
                                    format!("{n} strategies backed up; the others had not changed.")
                                }
                            },
                        );
                    }
                    protection.tell_listeners(LiveUpdate::BackedUpNow {
                        created,
                        unchanged,
                        failed,
                    });
                }
                Err(error) => notify(&handle, "Could not back up now", &error.message),
            }
        });
    }
}

/// The engine's reports carry the command line's hints; the window shows its own.
fn report_for_the_window(report: &ErrorReport) -> ErrorReport {
    ErrorReport {
        hint: crate::error::app_hint(&report.code)
            .map_or_else(|| report.hint.clone(), str::to_string),
        ..report.clone()
    }
}

type NowOutcome = (u32, u32, Vec<(String, ErrorReport)>);

fn back_up_every_changed_strategy() -> CommandResult<NowOutcome> {
    // The tray's "Back up now" goes where the window's does: the folder or the shared store.
    let (locations, store) = current_store()?;
    let options = BackupOptions {
        level: locations.level,
        if_changed: true,
    };
    let (mut created, mut unchanged, mut failures) = (0, 0, Vec::new());
    let names: Vec<String> = store
        .scan(&locations)?
        .into_iter()
        .map(|status| status.name.to_string())
        .collect();
    // Into shared storage, each backup's publishing overlaps the next one's compression.
    back_up_each_in(
        &locations,
        &store.backups(&locations),
        &names,
        &options,
        &NoProgress,
        &CancelToken::new(),
        &mut |name, outcome| match outcome {
            Ok(outcome) if outcome.status == BackupStatus::Created => created += 1,
            Ok(_) => unchanged += 1,
            Err(error) => failures.push((
                name.to_string(),
                report_for_the_window(&ErrorReport::from(&error)),
            )),
        },
    );
    Ok((created, unchanged, failures))
}
