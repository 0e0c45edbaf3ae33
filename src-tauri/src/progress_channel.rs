//! Core progress, forwarded to the webview over a `tauri::ipc::Channel`, throttled so a fast job
//! does not flood the UI: the first update goes at once, then at most one per interval, and the
//! last one is always delivered when the job ends.

use results_backup::Operation;
use results_backup::{Progress, ProgressUpdate};
use serde::Serialize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// About ten updates a second: smooth for the eye, negligible for the job.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum JobEvent {
    Queued {
        position: usize,
    },
    Started,
    Progress {
        operation: Operation,
        item: String,
        bytes_done: u64,
        bytes_total: u64,
        files_done: u64,
        files_total: u64,
        elapsed_ms: u64,
    },
    Warning {
        message: String,
    },
}

/// Where job events go; the app sends them over an IPC channel, tests collect them.
pub trait EventSink: Send + Sync {
    fn send(&self, event: JobEvent);
}

impl EventSink for tauri::ipc::Channel<JobEvent> {
    fn send(&self, event: JobEvent) {
        // A closed window cannot be told anything; the job itself goes on or is cancelled.
        let _ = tauri::ipc::Channel::send(self, event);
    }
}

/// Decides which updates go out.
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    last_sent: Option<Instant>,
}

impl Throttle {
    pub fn new(interval: Duration) -> Self {
        Throttle {
            interval,
            last_sent: None,
        }
    }

    /// True for the first call, then once `interval` has passed since the last `true`.
    pub fn admit(&mut self, now: Instant) -> bool {
        let due = self
            .last_sent
            .is_none_or(|last| now.duration_since(last) >= self.interval);
        if due {
            self.last_sent = Some(now);
        }
        due
    }
}

struct ThrottleState {
    throttle: Throttle,
    /// The newest update not yet sent, delivered by `finish`.
    held_back: Option<ProgressUpdate>,
}

pub struct ChannelProgress<S: EventSink> {
    sink: S,
    started: Instant,
    state: Mutex<ThrottleState>,
}

impl<S: EventSink> ChannelProgress<S> {
    pub fn new(sink: S, interval: Duration) -> Self {
        ChannelProgress {
            sink,
            started: Instant::now(),
            state: Mutex::new(ThrottleState {
                throttle: Throttle::new(interval),
                held_back: None,
            }),
        }
    }

    /// Sends the last update if the throttle held it back: the UI always sees where a job ended.
    pub fn finish(&self) {
        let held_back = self.lock().held_back.take();
        if let Some(update) = held_back {
            self.sink.send(self.event(&update));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ThrottleState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn event(&self, update: &ProgressUpdate) -> JobEvent {
        JobEvent::Progress {
            operation: update.operation,
            item: update.item.clone(),
            bytes_done: update.bytes_done,
            bytes_total: update.bytes_total,
            files_done: update.files_done,
            files_total: update.files_total,
            elapsed_ms: self.started.elapsed().as_millis() as u64,
        }
    }
}

impl<S: EventSink> Progress for ChannelProgress<S> {
    fn update(&self, update: &ProgressUpdate) {
        let send = {
            let mut state = self.lock();
            if state.throttle.admit(Instant::now()) {
                state.held_back = None;
                true
            } else {
                state.held_back = Some(update.clone());
                false
            }
        };
        if send {
            self.sink.send(self.event(update));
        }
    }

    fn warn(&self, message: &str) {
        self.sink.send(JobEvent::Warning {
            message: message.to_string(),
        });
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Clone, Default)]
    pub struct Collected(pub Arc<Mutex<Vec<JobEvent>>>);

    impl EventSink for Collected {
        fn send(&self, event: JobEvent) {
            self.0.lock().unwrap().push(event);
        }
    }

    fn update(bytes_done: u64) -> ProgressUpdate {
        ProgressUpdate {
            operation: Operation::Backup,
            item: "alpha".into(),
            bytes_done,
            bytes_total: 1000,
            files_done: 0,
            files_total: 3,
        }
    }

    fn bytes_sent(events: &[JobEvent]) -> Vec<u64> {
        events
            .iter()
            .filter_map(|e| match e {
                JobEvent::Progress { bytes_done, .. } => Some(*bytes_done),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn throttle_admits_the_first_then_one_per_interval() {
        let start = Instant::now();
        let mut throttle = Throttle::new(Duration::from_millis(100));
        assert!(throttle.admit(start));
        assert!(!throttle.admit(start + Duration::from_millis(50)));
        assert!(!throttle.admit(start + Duration::from_millis(99)));
        assert!(throttle.admit(start + Duration::from_millis(100)));
        assert!(!throttle.admit(start + Duration::from_millis(150)));
        assert!(throttle.admit(start + Duration::from_millis(230)));
    }

    #[test]
    fn a_burst_sends_the_first_update_and_finish_sends_the_last() {
        let collected = Collected::default();
        let progress = ChannelProgress::new(collected.clone(), Duration::from_secs(60));
        for done in 0..=1000 {
            progress.update(&update(done));
        }
        progress.finish();
        let events = collected.0.lock().unwrap().clone();
        assert_eq!(bytes_sent(&events), vec![0, 1000]);
    }

    #[test]
    fn finish_sends_nothing_twice_when_the_last_update_already_went_out() {
        let collected = Collected::default();
        let progress = ChannelProgress::new(collected.clone(), Duration::ZERO);
        progress.update(&update(10));
        progress.update(&update(20));
        progress.finish();
        let events = collected.0.lock().unwrap().clone();
        assert_eq!(bytes_sent(&events), vec![10, 20]);
    }

    #[test]
    fn warnings_are_never_throttled() {
        let collected = Collected::default();
        let progress = ChannelProgress::new(collected.clone(), Duration::from_secs(60));
        progress.update(&update(1));
        progress.warn("first");
        progress.warn("second");
        let events = collected.0.lock().unwrap().clone();
        assert_eq!(events.len(), 3);
        assert_eq!(
            serde_json::to_value(&events[1]).unwrap(),
            serde_json::json!({"event": "warning", "message": "first"})
        );
    }

    #[test]
    fn progress_events_have_the_documented_wire_shape() {
        let collected = Collected::default();
        let progress = ChannelProgress::new(collected.clone(), Duration::ZERO);
        progress.update(&update(5));
        let wire = serde_json::to_value(&collected.0.lock().unwrap()[0]).unwrap();
        assert_eq!(wire["event"], "progress");
        assert_eq!(wire["operation"], "backup");
        assert_eq!(wire["item"], "alpha");
        assert_eq!(wire["bytes_done"], 5);
        assert_eq!(wire["bytes_total"], 1000);
        assert_eq!(wire["files_total"], 3);
        assert!(wire["elapsed_ms"].is_u64());
        assert_eq!(
            serde_json::to_value(JobEvent::Queued { position: 2 }).unwrap(),
            serde_json::json!({"event": "queued", "position": 2})
        );
    }
}
