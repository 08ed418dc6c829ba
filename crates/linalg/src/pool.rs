//! A small persistent team of worker threads for the kernels' parallel loops.
//!
//! A training step is a string of products and row passes, some only microseconds long,
//! so handing out work must cost far less than that: no allocation, no channel, no lock on
//! the way. The team is a generation counter and a job slot. A call writes its job
//! (`Fn(part)` for parts `0..parts`) into the slot, bumps the generation (which also says
//! how many workers take part), runs part 0 itself, and waits until each of those workers
//! has run its part and acknowledged; the other workers skip the call. Each part is
//! computed by the same code whichever thread takes it, so results never depend on the
//! thread count. A worker's panic is handed to the caller, which raises it again.
//!
//! Workers poll for a short while ([`SPIN`]) before they sleep, because waking a sleeping
//! core costs more than the gap between a training step's parallel calls. One call uses the
//! team at a time: a call made while another thread holds it, or from inside a job, runs its
//! parts one after another on the calling thread (the same results, only later).

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A job as callers hand it over: part index in, nothing out.
pub(crate) type Job<'a> = &'a (dyn Fn(usize) + Sync);

thread_local! {
    /// Set on worker threads and on a caller while it runs its part: a job that itself asks
    /// for parallel work runs it inline (no deadlock).
    static BUSY_HERE: Cell<bool> = const { Cell::new(false) };
}

/// How long a worker polls for its next job before it sleeps: a training step hands out
/// its parallel work microseconds apart, and a sleeping core (a virtual one above all)
/// takes tens of microseconds to wake.
const SPIN: Duration = Duration::from_micros(200);

/// The generation's low part: how many workers a call uses (at most `ACTIVE - 1`).
const ACTIVE: usize = 1 << 16;

/// A value on a cache line of its own, so that polling it does not share a line with
/// values others write.
#[repr(align(128))]
struct Line<T>(T);

impl<T> std::ops::Deref for Line<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The job slot and the counters the caller and the workers meet at.
struct Team {
    /// Bumped once per call, after the slot is written: the call's number times
    /// [`ACTIVE`], plus the number of workers that take part in it (`parts - 1`). Workers
    /// past that count neither read the slot nor acknowledge.
    generation: Line<AtomicUsize>,
    /// The current job and its number of parts; written only while no worker reads it
    /// (every worker that took part in the previous call has acknowledged it, and the
    /// others never read it).
    slot: UnsafeCell<Option<(Job<'static>, usize)>>,
    /// Taking workers that have not yet acknowledged the current generation.
    remaining: Line<AtomicUsize>,
    /// Whether a worker's part panicked in the current generation.
    panicked: AtomicBool,
    /// The first such panic, raised again by the caller (never dropped on the worker: a
    /// payload whose drop panics would kill it, and the caller would wait forever).
    payload: Mutex<Option<Box<dyn Any + Send>>>,
    /// Workers started so far (only the caller holding `in_use` changes it).
    workers: AtomicUsize,
    /// Held by the one call that uses the team.
    in_use: AtomicBool,
    /// Workers asleep, or about to be; a caller wakes them through `wake`.
    sleepers: AtomicUsize,
    sleep: Mutex<()>,
    wake: Condvar,
}

// SAFETY: the slot is written by the caller holding `in_use` only when no worker reads it,
// and read by workers only between a generation's bump and their acknowledgement.
unsafe impl Sync for Team {}

fn team() -> &'static Team {
    static TEAM: OnceLock<Team> = OnceLock::new();
    TEAM.get_or_init(|| Team {
        generation: Line(AtomicUsize::new(0)),
        slot: UnsafeCell::new(None),
        remaining: Line(AtomicUsize::new(0)),
        panicked: AtomicBool::new(false),
        payload: Mutex::new(None),
        workers: AtomicUsize::new(0),
        in_use: AtomicBool::new(false),
        sleepers: AtomicUsize::new(0),
        sleep: Mutex::new(()),
        wake: Condvar::new(),
    })
}

/// Runs `job(p)` for every p in `0..parts`, part 0 on the calling thread and the others on
/// the team's workers, and returns when all have finished. A panic in any part is raised
/// again here.
pub(crate) fn run_parts(parts: usize, job: Job<'_>) {
    if parts <= 1 || parts > ACTIVE || BUSY_HERE.with(Cell::get) {
        return (0..parts).for_each(job);
    }
    let team = team();
    if team
        .in_use
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        // another thread's call holds the team: the same parts, here
        return (0..parts).for_each(job);
    }
    // release the team however this call ends
    struct Release<'t>(&'t Team);
    impl Drop for Release<'_> {
        fn drop(&mut self) {
            self.0.in_use.store(false, Ordering::Release);
        }
    }
    let _release = Release(team);

    let generation = team.generation.load(Ordering::Relaxed);
    while team.workers.load(Ordering::Relaxed) < parts - 1 {
        let index = team.workers.load(Ordering::Relaxed);
        spawn_worker(team, index, generation);
        team.workers.store(index + 1, Ordering::Relaxed);
    }
    // SAFETY: the last call's workers all acknowledged it, so none reads the slot now;
    // the job outlives its use, as this function waits for every acknowledgement below.
    unsafe {
        *team.slot.get() = Some((std::mem::transmute::<Job<'_>, Job<'static>>(job), parts));
    }
    team.panicked.store(false, Ordering::Relaxed);
    team.remaining.store(parts - 1, Ordering::Relaxed);
    let next = (generation / ACTIVE).wrapping_add(1).wrapping_mul(ACTIVE) + (parts - 1);
    team.generation.store(next, Ordering::SeqCst);
    if team.sleepers.load(Ordering::SeqCst) > 0 {
        // taking the lock orders this wake-up after a sleeper's last look at the generation
        let _guard = team.sleep.lock().unwrap_or_else(|e| e.into_inner());
        team.wake.notify_all();
    }

    BUSY_HERE.with(|b| b.set(true));
    let inline = catch_unwind(AssertUnwindSafe(|| job(0)));
    BUSY_HERE.with(|b| b.set(false));
    wait_for_workers(team);
    // SAFETY: every worker has acknowledged; nothing reads the slot until the next call
    unsafe { *team.slot.get() = None };
    let worker_panic = match team.panicked.load(Ordering::Relaxed) {
        true => team
            .payload
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(),
        false => None,
    };
    match (inline, worker_panic) {
        (Err(payload), other) => {
            // part 0's panic wins; the other payload's drop could panic during unwinding
            std::mem::forget(other);
            resume_unwind(payload)
        }
        (Ok(()), Some(payload)) => resume_unwind(payload),
        (Ok(()), None) => {}
    }
}

/// Returns once every worker taking part in the current call has acknowledged it: polls
/// for [`SPIN`], then yields the core between looks. A worker the OS has put on this very
/// core (the machine busy with other work) can then run; polling alone would keep it off
/// for a whole time slice.
fn wait_for_workers(team: &Team) {
    let start = Instant::now();
    let mut polls = 0_u32;
    while team.remaining.load(Ordering::Acquire) > 0 {
        polls = polls.wrapping_add(1);
        if polls.is_multiple_of(64) && start.elapsed() >= SPIN {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Starts worker `index` (it takes part `index + 1`), which first waits for a generation
/// after `seen`.
fn spawn_worker(team: &'static Team, index: usize, seen: usize) {
    std::thread::Builder::new()
        .name("layerwise-worker".into())
        .spawn(move || {
            BUSY_HERE.with(|b| b.set(true));
            let (mut seen, mut spin) = (seen, true);
            loop {
                seen = next_generation(team, seen, spin);
                // a call that does not use this worker: leave the slot alone, and next time
                // sleep at once rather than poll (it is likely not to be used again soon)
                spin = index < seen % ACTIVE;
                if !spin {
                    continue;
                }
                // SAFETY: the caller wrote the slot before bumping the generation and does
                // not touch it again before this worker acknowledges below.
                let (job, _) = unsafe { (*team.slot.get()).expect("a job in the slot") };
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| job(index + 1))) {
                    let mut first = team.payload.lock().unwrap_or_else(|e| e.into_inner());
                    if first.is_none() {
                        *first = Some(payload);
                    } else {
                        // a later panic of the same call: dropping it here could panic
                        std::mem::forget(payload);
                    }
                    team.panicked.store(true, Ordering::Relaxed);
                }
                team.remaining.fetch_sub(1, Ordering::AcqRel);
            }
        })
        .expect("the OS refused to start a worker thread");
}

/// Waits until the generation differs from `seen` and returns it: polls for [`SPIN`], then
/// sleeps until a caller wakes it.
fn next_generation(team: &Team, seen: usize, spin: bool) -> usize {
    let start = Instant::now();
    while spin && start.elapsed() < SPIN {
        for _ in 0..64 {
            let now = team.generation.load(Ordering::Acquire);
            if now != seen {
                return now;
            }
            std::hint::spin_loop();
        }
    }
    let mut guard = team.sleep.lock().unwrap_or_else(|e| e.into_inner());
    team.sleepers.fetch_add(1, Ordering::SeqCst);
    loop {
        let now = team.generation.load(Ordering::SeqCst);
        if now != seen {
            team.sleepers.fetch_sub(1, Ordering::SeqCst);
            return now;
        }
        guard = team.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    #[test]
    fn every_part_runs_once_and_all_finish_before_the_call_returns() {
        for parts in [1, 2, 3, 5] {
            let seen = StdMutex::new(vec![0_usize; parts]);
            run_parts(parts, &|p| seen.lock().unwrap()[p] += 1);
            assert_eq!(*seen.lock().unwrap(), vec![1; parts]);
        }
    }

    #[test]
    fn a_panicking_part_is_reported_to_the_caller_and_the_team_still_works() {
        let boom = catch_unwind(|| {
            run_parts(2, &|p| {
                if p == 1 {
                    panic!("boom")
                }
            })
        });
        assert!(boom.is_err());
        let count = AtomicUsize::new(0);
        run_parts(2, &|_| {
            count.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(count.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn calls_from_many_threads_and_from_inside_a_part_all_complete() {
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..200 {
                        let count = AtomicUsize::new(0);
                        run_parts(3, &|_| {
                            run_parts(2, &|_| {
                                count.fetch_add(1, Ordering::Relaxed);
                            })
                        });
                        assert_eq!(count.load(Ordering::Relaxed), 6);
                    }
                });
            }
        });
    }
}
