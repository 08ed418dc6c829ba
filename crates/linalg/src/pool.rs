//! A small persistent pool of worker threads for the kernels' parallel loops.
//!
//! Spawning a thread per parallel call costs tens of microseconds (a fresh stack to map and
//! zero), which a minibatch's many short GEMMs and row passes cannot repay. Workers are
//! started on first use, one per extra thread asked for, and then wait on a channel. A call
//! hands one job to each of the first workers, runs the last job itself, and returns only
//! when every job has finished, so jobs may borrow from the caller.

use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

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
            for job in rx {
                job();
            }
        })
        .expect("the OS refused to start a worker thread");
    tx
}

/// Counts the jobs still running and whether one of them panicked.
struct Latch {
    state: Mutex<(usize, bool)>,
    done: Condvar,
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
        state: Mutex::new((jobs.len(), false)),
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
                let mut state = latch.state.lock().unwrap_or_else(|e| e.into_inner());
                state.0 -= 1;
                state.1 |= !ok;
                latch.done.notify_one();
            });
            // SAFETY: this function does not return before the latch counts every job
            // finished, so whatever the job borrows outlives it; only the lifetime changes.
            let job: Job = unsafe { std::mem::transmute::<ScopedJob<'_>, Job>(counted) };
            tx.send(job).expect("workers never exit");
        }
    }
    let inline = catch_unwind(AssertUnwindSafe(last));
    let mut state = latch.state.lock().unwrap_or_else(|e| e.into_inner());
    while state.0 > 0 {
        state = latch.done.wait(state).unwrap_or_else(|e| e.into_inner());
    }
    let worker_panicked = state.1;
    drop(state);
    if let Err(payload) = inline {
        resume_unwind(payload);
    }
    assert!(
        !worker_panicked,
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
