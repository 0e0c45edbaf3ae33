//! The job queue: long work (back up, check, restore) runs one job at a time on a worker thread,
//! in the order asked, so the window never waits and two jobs never fight over the same disk.
//! Every job can be cancelled, waiting or running.

use results_backup::{CancelToken, Progress};
use std::collections::VecDeque;
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::error::{CommandResult, IpcError};
use crate::progress_channel::{ChannelProgress, EventSink, JobEvent};

pub type Work<R> = Box<dyn FnOnce(&dyn Progress, &CancelToken) -> CommandResult<R> + Send>;

struct Waiting<R> {
    id: String,
    cancel: CancelToken,
    sink: Arc<dyn EventSink>,
    work: Work<R>,
    reply: mpsc::Sender<CommandResult<R>>,
}

struct QueueState<R> {
    waiting: VecDeque<Waiting<R>>,
    running: Option<(String, CancelToken)>,
}

struct Shared<R> {
    state: Mutex<QueueState<R>>,
    more_work: Condvar,
}

pub struct JobQueue<R> {
    shared: Arc<Shared<R>>,
}

impl EventSink for Arc<dyn EventSink> {
    fn send(&self, event: JobEvent) {
        self.as_ref().send(event);
    }
}

impl<R: Send + 'static> JobQueue<R> {
    /// Starts the worker thread; `interval` is the progress throttle.
    pub fn start(interval: Duration) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(QueueState {
                waiting: VecDeque::new(),
                running: None,
            }),
            more_work: Condvar::new(),
        });
        let worker = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("results-backup-jobs".into())
            .spawn(move || run_worker(worker, interval))
            .map(|_| ())
            .unwrap_or_else(|e| eprintln!("results-backup: the job worker could not start: {e}"));
        JobQueue { shared }
    }

    /// Queues a job; the receiver yields its result once it ran (or was cancelled while waiting).
    pub fn submit(
        &self,
        id: &str,
        sink: Arc<dyn EventSink>,
        work: Work<R>,
    ) -> CommandResult<mpsc::Receiver<CommandResult<R>>> {
        let (reply, result) = mpsc::channel();
        let mut state = lock(&self.shared.state);
        let taken = state.running.as_ref().is_some_and(|(r, _)| r == id)
            || state.waiting.iter().any(|w| w.id == id);
        if taken {
            return Err(IpcError::internal(format!("job id {id} is already in use")));
        }
        let position = state.waiting.len() + usize::from(state.running.is_some());
        sink.send(JobEvent::Queued { position });
        state.waiting.push_back(Waiting {
            id: id.to_string(),
            cancel: CancelToken::new(),
            sink,
            work,
            reply,
        });
        self.shared.more_work.notify_one();
        Ok(result)
    }

    /// Cancels a waiting job at once, or asks the running one to stop at its next checkpoint.
    pub fn cancel(&self, id: &str) -> CommandResult<()> {
        let mut state = lock(&self.shared.state);
        if let Some((running, token)) = &state.running {
            if running == id {
                token.cancel();
                return Ok(());
            }
        }
        let Some(index) = state.waiting.iter().position(|w| w.id == id) else {
            return Err(IpcError::no_such_job(id));
        };
        if let Some(removed) = state.waiting.remove(index) {
            removed.cancel.cancel();
            let _ = removed
                .reply
                .send(Err(results_backup::Error::Cancelled.into()));
        }
        announce_positions(&state);
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Tells every waiting job how many are ahead of it now.
fn announce_positions<R>(state: &QueueState<R>) {
    let ahead = usize::from(state.running.is_some());
    for (index, waiting) in state.waiting.iter().enumerate() {
        waiting.sink.send(JobEvent::Queued {
            position: ahead + index,
        });
    }
}

fn run_worker<R: Send + 'static>(shared: Arc<Shared<R>>, interval: Duration) {
    loop {
        let job = {
            let mut state = lock(&shared.state);
            while state.waiting.is_empty() {
                state = shared
                    .more_work
                    .wait(state)
                    .unwrap_or_else(|p| p.into_inner());
            }
            let Some(job) = state.waiting.pop_front() else {
                continue;
            };
            state.running = Some((job.id.clone(), job.cancel.clone()));
            announce_positions(&state);
            job
        };
        let result = if job.cancel.is_cancelled() {
            Err(results_backup::Error::Cancelled.into())
        } else {
            job.sink.send(JobEvent::Started);
            let progress = ChannelProgress::new(Arc::clone(&job.sink), interval);
            let outcome = (job.work)(&progress, &job.cancel);
            progress.finish();
            outcome
        };
        lock(&shared.state).running = None;
        let _ = job.reply.send(result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress_channel::tests::Collected;
    use std::time::Instant;

    fn queue() -> JobQueue<String> {
        JobQueue::start(Duration::from_millis(10))
    }

    /// A job that holds the worker until the returned sender releases it, then answers `answer`.
    fn held_until_released(answer: &str) -> (mpsc::Sender<()>, Work<String>) {
        let (release, gate) = mpsc::channel::<()>();
        let answer = answer.to_string();
        let work: Work<String> = Box::new(move |_, _| {
            let _ = gate.recv();
            Ok(answer)
        });
        (release, work)
    }

    fn events(collected: &Collected) -> Vec<JobEvent> {
        collected.0.lock().unwrap().clone()
    }

    #[test]
    fn jobs_run_one_at_a_time_in_the_order_asked_and_report_their_place() {
        let queue = queue();
        let order = Arc::new(Mutex::new(Vec::new()));
        let (release, gate) = mpsc::channel::<()>();
        let gate = Mutex::new(gate);
        let first_sink = Collected::default();
        let first = {
            let order = Arc::clone(&order);
            queue
                .submit(
                    "first",
                    Arc::new(first_sink.clone()),
                    Box::new(move |_, _| {
                        let _ = gate.lock().unwrap().recv();
                        order.lock().unwrap().push("first");
                        Ok("one".to_string())
                    }),
                )
                .unwrap()
        };
        let second_sink = Collected::default();
        let second = {
            let order = Arc::clone(&order);
            queue
                .submit(
                    "second",
                    Arc::new(second_sink.clone()),
                    Box::new(move |_, _| {
                        order.lock().unwrap().push("second");
                        Ok("two".to_string())
                    }),
                )
                .unwrap()
        };
        release.send(()).unwrap();
        assert_eq!(first.recv().unwrap().unwrap(), "one");
        assert_eq!(second.recv().unwrap().unwrap(), "two");
        assert_eq!(*order.lock().unwrap(), vec!["first", "second"]);
        assert_eq!(events(&first_sink)[0], JobEvent::Queued { position: 0 });
        assert!(events(&first_sink).contains(&JobEvent::Started));
        let second_events = events(&second_sink);
        assert_eq!(second_events[0], JobEvent::Queued { position: 1 });
        assert!(second_events.contains(&JobEvent::Started));
    }

    #[test]
    fn cancelling_a_waiting_job_removes_it_without_running_it() {
        let queue = queue();
        let (release, work) = held_until_released("done");
        let blocker = queue
            .submit("blocker", Arc::new(Collected::default()), work)
            .unwrap();
        let ran = Arc::new(Mutex::new(false));
        let waiting = {
            let ran = Arc::clone(&ran);
            queue
                .submit(
                    "waiting",
                    Arc::new(Collected::default()),
                    Box::new(move |_, _| {
                        *ran.lock().unwrap() = true;
                        Ok("ran".into())
                    }),
                )
                .unwrap()
        };
        queue.cancel("waiting").unwrap();
        assert_eq!(waiting.recv().unwrap().unwrap_err().code, "cancelled");
        release.send(()).unwrap();
        assert_eq!(blocker.recv().unwrap().unwrap(), "done");
        assert!(!*ran.lock().unwrap());
        assert_eq!(queue.cancel("waiting").unwrap_err().code, "no_such_job");
    }

    #[test]
    fn cancelling_the_running_job_reaches_it_through_its_token() {
        let queue = queue();
        let (started_tx, started) = mpsc::channel();
        let result = queue
            .submit(
                "long",
                Arc::new(Collected::default()),
                Box::new(move |_, cancel| {
                    let _ = started_tx.send(());
                    let deadline = Instant::now() + Duration::from_secs(30);
                    while Instant::now() < deadline {
                        cancel.check()?;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Ok("never cancelled".into())
                }),
            )
            .unwrap();
        started.recv().unwrap();
        let asked = Instant::now();
        queue.cancel("long").unwrap();
        let error = result.recv().unwrap().unwrap_err();
        assert_eq!(error.code, "cancelled");
        assert!(asked.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_job_id_cannot_be_used_twice_at_once() {
        let queue = queue();
        let (release, work) = held_until_released("first");
        let first = queue
            .submit("same", Arc::new(Collected::default()), work)
            .unwrap();
        let again = queue.submit(
            "same",
            Arc::new(Collected::default()),
            Box::new(|_, _| Ok("second".into())),
        );
        assert!(again.is_err());
        release.send(()).unwrap();
        assert_eq!(first.recv().unwrap().unwrap(), "first");
    }
}
