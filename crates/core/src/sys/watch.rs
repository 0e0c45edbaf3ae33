//! Watching a folder tree for changes, with the `notify` crate: the system's native watcher
//! (inotify, FSEvents, ReadDirectoryChangesW), or polling when the native one cannot be had (the
//! inotify watch limit reached, a network disk) or is asked for (`RESULTS_BACKUP_WATCH=poll`).
//!
//! Events are reduced to "which first-level entries of the root changed": a set bounded by the
//! number of strategies, whatever the number of files, drained by the caller. That reduction is
//! the debouncing; the quiet period per strategy lives above, in the protection engine. The
//! root itself is checked every second (one `stat`) and at once when an event names it, so its
//! disappearance (a folder deleted, a disk unplugged) and its return are noticed; while it is
//! missing no watcher runs.

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};
use serde::Serialize;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::FileIdentity;

/// `RESULTS_BACKUP_WATCH=poll` forces polling (tests, network disks where native events do not
/// arrive).
pub const WATCH_ENV: &str = "RESULTS_BACKUP_WATCH";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum WatchMode {
    Native,
    Polling,
}

#[derive(Clone, Debug)]
pub struct WatchOptions {
    pub force_polling: bool,
    /// How often the polling watcher looks at every file. It reads the metadata of the whole
    /// tree each time, so it is only the fallback.
    pub poll_interval: Duration,
    /// How often the root's existence is checked.
    pub presence_interval: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            force_polling: false,
            poll_interval: Duration::from_secs(2),
            presence_interval: Duration::from_secs(1),
        }
    }
}

impl WatchOptions {
    /// The defaults, with polling forced when `RESULTS_BACKUP_WATCH=poll`.
    pub fn from_env() -> Self {
        WatchOptions {
            force_polling: std::env::var(WATCH_ENV).is_ok_and(|v| v.eq_ignore_ascii_case("poll")),
            ..WatchOptions::default()
        }
    }
}

/// What happened to the watched tree since the last call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FolderEvent {
    /// Watching began (or began again) in this mode; `reason` says why it is polling.
    Watching {
        mode: WatchMode,
        reason: Option<String>,
    },
    /// These first-level entries of the root (strategy folders) had something change inside.
    Changed(BTreeSet<OsString>),
    /// The root is gone (or is no longer a folder).
    Missing,
    /// The root is back.
    Back,
    /// The watcher reported a problem that did not stop it.
    Trouble(String),
}

#[derive(Default)]
struct Pending {
    changed: BTreeSet<OsString>,
    root_touched: bool,
    watch_limit_reached: bool,
    troubles: Vec<String>,
}

#[derive(Default)]
struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        // A panic in notify's thread while holding the lock leaves plain data behind; keep going.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Watches one folder tree. Driven by the caller's thread through [`FolderWatcher::next`];
/// notify's own threads only fill a small shared set.
pub struct FolderWatcher {
    root: PathBuf,
    options: WatchOptions,
    watcher: Option<Box<dyn Watcher + Send>>,
    shared: Arc<Shared>,
    /// The root's identity while it is present, so a folder deleted and recreated between two
    /// checks is noticed (the old watches died with the old folder).
    identity: Option<FileIdentity>,
    next_presence_check: Instant,
    queued: Vec<FolderEvent>,
    forced_polling_reason: Option<String>,
}

impl FolderWatcher {
    /// Starts watching `root`. The first events say how (or that the root is missing).
    pub fn start(root: &Path, options: WatchOptions) -> FolderWatcher {
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        let mut watcher = FolderWatcher {
            root,
            options,
            watcher: None,
            shared: Arc::new(Shared::default()),
            identity: None,
            next_presence_check: Instant::now(),
            queued: Vec::new(),
            forced_polling_reason: None,
        };
        match watcher.root_identity() {
            Some(identity) => {
                watcher.identity = Some(identity);
                watcher.begin();
            }
            None => watcher.queued.push(FolderEvent::Missing),
        }
        watcher
    }

    pub fn is_present(&self) -> bool {
        self.identity.is_some()
    }

    /// Waits up to `timeout` for something to happen, then returns what did (maybe nothing).
    pub fn next(&mut self, timeout: Duration) -> Vec<FolderEvent> {
        let mut events = std::mem::take(&mut self.queued);
        if events.is_empty() {
            let deadline = Instant::now() + timeout.min(self.options.presence_interval);
            let shared = Arc::clone(&self.shared);
            let mut pending = shared.lock();
            while pending.changed.is_empty()
                && !pending.root_touched
                && !pending.watch_limit_reached
                && pending.troubles.is_empty()
            {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                pending = shared
                    .wake
                    .wait_timeout(pending, left)
                    .map(|(guard, _)| guard)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
        }
        let taken = std::mem::take(&mut *self.shared.lock());
        events.extend(taken.troubles.into_iter().map(FolderEvent::Trouble));
        if taken.root_touched || Instant::now() >= self.next_presence_check {
            self.check_presence(&mut events);
        }
        if taken.watch_limit_reached && self.is_present() && self.forced_polling_reason.is_none() {
            self.forced_polling_reason = Some(watch_limit_reason());
            self.begin();
            events.append(&mut self.queued);
        }
        if self.is_present() && !taken.changed.is_empty() {
            events.push(FolderEvent::Changed(taken.changed));
        }
        events
    }

    fn root_identity(&self) -> Option<FileIdentity> {
        match std::fs::metadata(&self.root) {
            Ok(meta) if meta.is_dir() => FileIdentity::of_metadata(&meta).ok(),
            _ => None,
        }
    }

    fn check_presence(&mut self, events: &mut Vec<FolderEvent>) {
        self.next_presence_check = Instant::now() + self.options.presence_interval;
        let now = self.root_identity();
        if now == self.identity {
            return;
        }
        if self.identity.is_some() {
            self.stop();
            events.push(FolderEvent::Missing);
        }
        self.identity = now;
        if self.identity.is_some() {
            events.push(FolderEvent::Back);
            self.begin();
            events.append(&mut self.queued);
        }
    }

    fn stop(&mut self) {
        self.watcher = None;
        *self.shared.lock() = Pending::default();
    }

    /// (Re)starts the watcher: native unless polling is forced or the native one fails.
    fn begin(&mut self) {
        self.stop();
        let polling_reason = if self.options.force_polling {
            Some(format!("polling was asked for ({WATCH_ENV}=poll)"))
        } else {
            self.forced_polling_reason.clone()
        };
        let reason = match polling_reason {
            Some(reason) => Some(reason),
            None => match self.native() {
                Ok(watcher) => {
                    self.watcher = Some(watcher);
                    self.queued.push(FolderEvent::Watching {
                        mode: WatchMode::Native,
                        reason: None,
                    });
                    return;
                }
                Err(error) => Some(native_failure_reason(&error)),
            },
        };
        match self.polling() {
            Ok(watcher) => {
                self.watcher = Some(watcher);
                self.queued.push(FolderEvent::Watching {
                    mode: WatchMode::Polling,
                    reason,
                });
            }
            Err(error) => self.queued.push(FolderEvent::Trouble(format!(
                "Could not watch {} at all ({}); changes are only seen by the existence check",
                self.root.display(),
                plain_notify_error(&error)
            ))),
        }
    }

    fn native(&self) -> notify::Result<Box<dyn Watcher + Send>> {
        let mut watcher =
            notify::RecommendedWatcher::new(self.handler(), notify::Config::default())?;
        watcher.watch(&self.root, RecursiveMode::Recursive)?;
        Ok(Box::new(watcher))
    }

    fn polling(&self) -> notify::Result<Box<dyn Watcher + Send>> {
        let config = notify::Config::default().with_poll_interval(self.options.poll_interval);
        let mut watcher = notify::PollWatcher::new(self.handler(), config)?;
        watcher.watch(&self.root, RecursiveMode::Recursive)?;
        Ok(Box::new(watcher))
    }

    /// What notify's thread runs for each event: keep the first component under the root.
    fn handler(&self) -> impl notify::EventHandler {
        let shared = Arc::clone(&self.shared);
        let root = self.root.clone();
        move |result: notify::Result<notify::Event>| {
            let mut pending = shared.lock();
            match result {
                Ok(event) => {
                    if is_read_only(&event.kind) {
                        return;
                    }
                    for path in &event.paths {
                        match first_component(&root, path) {
                            Some(name) => {
                                pending.changed.insert(name);
                            }
                            None => pending.root_touched = true,
                        }
                    }
                    if event.need_rescan() {
                        pending.root_touched = true;
                    }
                }
                Err(error) if matches!(error.kind, notify::ErrorKind::MaxFilesWatch) => {
                    pending.watch_limit_reached = true;
                }
                Err(error) => {
                    // Bounded: a flood of errors must not grow memory between two drains.
                    if pending.troubles.len() < 16 {
                        pending.troubles.push(plain_notify_error(&error));
                    }
                }
            }
            drop(pending);
            shared.wake.notify_all();
        }
    }
}

/// Opening or reading a file is not a change, and a backup reads every file of its strategy:
/// counting reads would make each backup trigger the next.
fn is_read_only(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => false,
        EventKind::Access(_) => true,
        _ => false,
    }
}

/// The first component of `path` below `root`, or `None` for the root itself (or outside it).
fn first_component(root: &Path, path: &Path) -> Option<OsString> {
    match path.strip_prefix(root).ok()?.components().next()? {
        Component::Normal(name) => Some(name.to_os_string()),
        _ => None,
    }
}

fn watch_limit_reason() -> String {
    "the system's limit on watched folders was reached (on Linux, raise fs.inotify.max_user_watches to watch without polling)".into()
}

fn native_failure_reason(error: &notify::Error) -> String {
    if matches!(error.kind, notify::ErrorKind::MaxFilesWatch) {
        watch_limit_reason()
    } else {
        format!(
            "the system's file watcher could not be used ({})",
            plain_notify_error(error)
        )
    }
}

fn plain_notify_error(error: &notify::Error) -> String {
    match &error.kind {
        notify::ErrorKind::Io(io) => io.to_string(),
        notify::ErrorKind::Generic(text) => text.clone(),
        notify::ErrorKind::PathNotFound => "the folder does not exist".into(),
        notify::ErrorKind::MaxFilesWatch => watch_limit_reason(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_map_to_the_first_component_under_the_root() {
        let root = Path::new("/r/results");
        assert_eq!(
            first_component(root, Path::new("/r/results/alpha/run/x.csv")),
            Some(OsString::from("alpha"))
        );
        assert_eq!(first_component(root, Path::new("/r/results")), None);
        assert_eq!(first_component(root, Path::new("/r/other/a")), None);
    }

    #[test]
    fn reads_are_not_changes() {
        assert!(is_read_only(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!is_read_only(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(!is_read_only(&EventKind::Modify(
            notify::event::ModifyKind::Any
        )));
    }
}
