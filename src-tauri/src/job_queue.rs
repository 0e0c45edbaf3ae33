//! The job queue: long work (back up, check, restore) runs one job at a time, in the order
//! asked, off the window's thread, so the window never waits and two jobs never fight over the
//! same disk. Every job can be cancelled, waiting or running. A job may hand over: say that what
//! it has left reads nothing from disk (a backup into shared storage whose bytes are all sent,
//! being completed by the server and published). The next job then starts while it finishes,
//! and it finishes even if cancelled. At most two jobs are ever under way: when the next one
//! hands over too, the queue waits for the first to end before it starts a third.

use results_backup::{CancelToken, Progress};
use std::collections::VecDeque;
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::error::{CommandResult, IpcError};
use crate::progress_channel::{ChannelProgress, EventSink, JobEvent};

/// A job's work: it reports progress, stops at a cancel, and may call its third argument once
/// to hand over (see the module's comment).
pub type Work<R> =
    Box<dyn FnOnce(&dyn Progress, &CancelToken, &dyn Fn()) -> CommandResult<R> + Send>;

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
    /// Jobs that handed over and are finishing beside the running one (at most two).
    finishing: Vec<String>,
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
                finishing: Vec::new(),
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
            || state.finishing.iter().any(|f| f == id)
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
    /// A job that handed over finishes anyway: all its reading is done.
    pub fn cancel(&self, id: &str) -> CommandResult<()> {
        let mut state = lock(&self.shared.state);
        if let Some((running, token)) = &state.running {
            if running == id {
                token.cancel();
                return Ok(());
            }
        }
        if state.finishing.iter().any(|f| f == id) {
            return Ok(());
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

/// What a job's thread tells the worker.
enum Step {
    HandedOver,
    Ended,
}

fn run_worker<R: Send + 'static>(shared: Arc<Shared<R>>, interval: Duration) {
    // The steps of the job finishing after it handed over: before another job may hand over,
    // the worker waits for it to end, so at most two are ever under way.
    let mut finishing: Option<mpsc::Receiver<Step>> = None;
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
        let steps = run_on_own_thread(job, Arc::clone(&shared), interval);
        if let Ok(Step::HandedOver) = steps.recv() {
            if let Some(earlier) = finishing.take() {
                wait_for_end(&earlier);
            }
            finishing = Some(steps);
        }
        lock(&shared.state).running = None;
    }
}

/// Runs `job` on a thread of its own, which replies with its result; the receiver hears when
/// it hands over and when it ends.
fn run_on_own_thread<R: Send + 'static>(
    job: Waiting<R>,
    shared: Arc<Shared<R>>,
    interval: Duration,
) -> mpsc::Receiver<Step> {
    let (step, steps) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("results-backup-job".into())
        .spawn(move || {
            let result = if job.cancel.is_cancelled() {
                Err(results_backup::Error::Cancelled.into())
            } else {
                job.sink.send(JobEvent::Started);
                let progress = ChannelProgress::new(Arc::clone(&job.sink), interval);
                let handing = step.clone();
                let (state, id) = (Arc::clone(&shared), job.id.clone());
                let hand_over = move || {
                    lock(&state.state).finishing.push(id.clone());
                    let _ = handing.send(Step::HandedOver);
                };
                let outcome = (job.work)(&progress, &job.cancel, &hand_over);
                progress.finish();
                outcome
            };
            lock(&shared.state).finishing.retain(|f| *f != job.id);
            let _ = job.reply.send(result);
            let _ = step.send(Step::Ended);
        });
    if let Err(error) = spawned {
        eprintln!("results-backup: a job could not start: {error}");
    }
    steps
}

/// Waits until the job behind `steps` has ended (or its thread is gone).
fn wait_for_end(steps: &mpsc::Receiver<Step>) {
    while let Ok(step) = steps.recv() {
        if matches!(step, Step::Ended) {
            return;
        }
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
        let work: Work<String> = Box::new(move |_, _, _| {
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
                    Box::new(move |_, _, _| {
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
                    Box::new(move |_, _, _| {
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
                    Box::new(move |_, _, _| {
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
                Box::new(move |_, cancel, _| {
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

    /// A job that hands over, then holds on until released (its finishing part), and answers
    /// `answer`; `handed` hears when it handed over.
    fn handing_over(
        answer: &str,
        handed: mpsc::Sender<String>,
    ) -> (mpsc::Sender<()>, Work<String>) {
        let (release, gate) = mpsc::channel::<()>();
        let answer = answer.to_string();
        let work: Work<String> = Box::new(move |_, _, hand_over| {
            hand_over();
            let _ = handed.send(answer.clone());
            let _ = gate.recv();
            Ok(answer)
        });
        (release, work)
    }

    #[test]
    fn the_next_job_runs_while_one_that_handed_over_finishes_and_at_most_two_are_under_way() {
        let queue = queue();
        let (handed_tx, handed) = mpsc::channel();
        let (release_first, first_work) = handing_over("first", handed_tx.clone());
        let (release_second, second_work) = handing_over("second", handed_tx);
        let first = queue
            .submit("first", Arc::new(Collected::default()), first_work)
            .unwrap();
        let second = queue
            .submit("second", Arc::new(Collected::default()), second_work)
            .unwrap();
        let third_ran = Arc::new(Mutex::new(false));
        let third = {
            let ran = Arc::clone(&third_ran);
            queue
                .submit(
                    "third",
                    Arc::new(Collected::default()),
                    Box::new(move |_, _, _| {
                        *ran.lock().unwrap() = true;
                        Ok("third".into())
                    }),
                )
                .unwrap()
        };

        // The first hands over and is still finishing: the second starts meanwhile.
        assert_eq!(handed.recv().unwrap(), "first");
        assert_eq!(
            handed.recv_timeout(Duration::from_secs(10)).unwrap(),
            "second"
        );
        // A job that handed over cannot be stopped, and says so without an error.
        queue.cancel("first").unwrap();
        // Two are under way: the third waits until the first has ended.
        std::thread::sleep(Duration::from_millis(100));
        assert!(!*third_ran.lock().unwrap());
        release_first.send(()).unwrap();
        assert_eq!(first.recv().unwrap().unwrap(), "first");
        assert_eq!(third.recv().unwrap().unwrap(), "third");
        release_second.send(()).unwrap();
        assert_eq!(second.recv().unwrap().unwrap(), "second");
        assert_eq!(queue.cancel("first").unwrap_err().code, "no_such_job");
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
            Box::new(|_, _, _| Ok("second".into())),
        );
        assert!(again.is_err());
        release.send(()).unwrap();
        assert_eq!(first.recv().unwrap().unwrap(), "first");
    }
}
