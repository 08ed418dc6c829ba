//! A small persistent pool of worker threads for the kernels' parallel loops.
//!
//! Spawning a thread per parallel call costs tens of microseconds (a fresh stack to map and
//! zero), which a minibatch's many short GEMMs and row passes cannot repay. Workers are
//! started on first use, one per extra thread asked for, and then wait on a channel. A call
//! hands one job to each of the first workers, runs the last job itself, and returns only
//! when every job has finished, so jobs may borrow from the caller. Workers and the caller
//! poll for a short while ([`SPIN`]) before they sleep, because waking a sleeping core costs
//! more than the gap between a training step's parallel calls.

use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A job as a worker receives it.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// A job that may borrow from the caller of [`run_all`].
pub(crate) type ScopedJob<'a> = Box<dyn FnOnce() + Send + 'a>;

thread_local! {
    /// Set on worker threads: a job that itself runs jobs runs them inline (no deadlock).
    static IN_WORKER: Cell<bool> = const { Cell::new(false) };
}

/// The channels to the workers started so far.
fn workers() -> &'static Mutex<Vec<Sender<Job>>> {
    static WORKERS: OnceLock<Mutex<Vec<Sender<Job>>>> = OnceLock::new();
    WORKERS.get_or_init(|| Mutex::new(Vec::new()))
}

fn spawn_worker() -> Sender<Job> {
    let (tx, rx) = channel::<Job>();
    std::thread::Builder::new()
        .name("layerwise-worker".into())
        .spawn(move || {
            IN_WORKER.with(|w| w.set(true));
            while let Some(job) = next_job(&rx) {
                job();
            }
        })
        .expect("the OS refused to start a worker thread");
    tx
}

/// How long a worker polls for its next job before it sleeps: a training step hands out
/// its GEMMs a fraction of a millisecond apart, and a sleeping core (a virtual one above all)
/// takes tens of microseconds to wake.
const SPIN: Duration = Duration::from_micros(200);

/// The next job, polled for [`SPIN`] and then waited for; `None` once the pool is gone.
fn next_job(rx: &Receiver<Job>) -> Option<Job> {
    let start = Instant::now();
    loop {
        for _ in 0..64 {
            match rx.try_recv() {
                Ok(job) => return Some(job),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => std::hint::spin_loop(),
            }
        }
        if start.elapsed() >= SPIN {
            return rx.recv().ok();
        }
    }
}

/// Counts the jobs still running and whether one of them panicked; the mutex and condvar
/// are only for a caller that has polled [`SPIN`] long and goes to sleep.
struct Latch {
    remaining: AtomicUsize,
    panicked: AtomicBool,
    sleep: Mutex<()>,
    done: Condvar,
}

impl Latch {
    /// One job has finished.
    fn count_down(&self, ok: bool) {
        if !ok {
            self.panicked.store(true, Ordering::Release);
        }
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            // taking the lock orders this wake-up after a sleeper's last check
            let _guard = self.sleep.lock().unwrap_or_else(|e| e.into_inner());
            self.done.notify_all();
        }
    }

    /// Returns once every job has finished: polls for [`SPIN`], then sleeps.
    fn wait(&self) {
        let start = Instant::now();
        while self.remaining.load(Ordering::Acquire) > 0 {
            if start.elapsed() >= SPIN {
                let mut guard = self.sleep.lock().unwrap_or_else(|e| e.into_inner());
                while self.remaining.load(Ordering::Acquire) > 0 {
                    guard = self.done.wait(guard).unwrap_or_else(|e| e.into_inner());
                }
                return;
            }
            std::hint::spin_loop();
        }
    }
}

/// Runs every job, the last on the calling thread and the others on pool workers, and
/// returns when all have finished. A panic in any job is raised again here.
pub(crate) fn run_all(mut jobs: Vec<ScopedJob<'_>>) {
    let Some(last) = jobs.pop() else { return };
    if jobs.is_empty() || IN_WORKER.with(Cell::get) {
        jobs.into_iter().for_each(|job| job());
        return last();
    }
    let latch = Arc::new(Latch {
        remaining: AtomicUsize::new(jobs.len()),
        panicked: AtomicBool::new(false),
        sleep: Mutex::new(()),
        done: Condvar::new(),
    });
    {
        let mut senders = workers().lock().unwrap_or_else(|e| e.into_inner());
        while senders.len() < jobs.len() {
            senders.push(spawn_worker());
        }
        for (job, tx) in jobs.into_iter().zip(senders.iter()) {
            let latch = Arc::clone(&latch);
            let counted: ScopedJob<'_> = Box::new(move || {
                let ok = catch_unwind(AssertUnwindSafe(job)).is_ok();
                latch.count_down(ok);
            });
            // SAFETY: this function does not return before the latch counts every job
            // finished, so whatever the job borrows outlives it; only the lifetime changes.
            let job: Job = unsafe { std::mem::transmute::<ScopedJob<'_>, Job>(counted) };
            tx.send(job).expect("workers never exit");
        }
    }
    let inline = catch_unwind(AssertUnwindSafe(last));
    latch.wait();
    if let Err(payload) = inline {
        resume_unwind(payload);
    }
    assert!(
        !latch.panicked.load(Ordering::Acquire),
        "a job on a layerwise worker thread panicked"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_borrow_from_the_caller_and_all_finish() {
        let mut out = vec![0_usize; 8];
        let jobs: Vec<ScopedJob<'_>> = out
            .chunks_mut(2)
            .enumerate()
            .map(|(i, chunk)| Box::new(move || chunk.fill(i + 1)) as ScopedJob<'_>)
            .collect();
        run_all(jobs);
        assert_eq!(out, [1, 1, 2, 2, 3, 3, 4, 4]);
    }

    #[test]
    fn a_panicking_worker_job_is_reported_to_the_caller() {
        let jobs: Vec<ScopedJob<'_>> = vec![Box::new(|| panic!("boom")), Box::new(|| {})];
        assert!(catch_unwind(AssertUnwindSafe(|| run_all(jobs))).is_err());
        // the pool still works afterwards
        let mut x = [0; 2];
        let (a, b) = x.split_at_mut(1);
        run_all(vec![Box::new(|| a[0] = 1), Box::new(|| b[0] = 2)]);
        assert_eq!(x, [1, 2]);
    }
}
