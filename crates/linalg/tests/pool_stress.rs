//! Stress tests for the worker team (`pool.rs`) through the public API. Run in release:
//! `cargo test --release -p layerwise-linalg --test pool_stress -- --test-threads=1`
//! (`STRESS_SECS` sets how long each test runs; a watchdog aborts on a stall).

use layerwise_linalg::{gemm, set_threads, Matrix, Trans};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static PROGRESS: AtomicUsize = AtomicUsize::new(0);

/// Aborts the process when PROGRESS has not moved for 20 s (a hang).
fn watchdog(name: &'static str) -> impl Drop {
    struct Stop(&'static AtomicBool);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let stop: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
    std::thread::spawn(move || {
        let mut last = (PROGRESS.load(Ordering::Relaxed), Instant::now());
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            let now = PROGRESS.load(Ordering::Relaxed);
            if now != last.0 {
                last = (now, Instant::now());
            } else if last.1.elapsed() > Duration::from_secs(20) {
                eprintln!("HANG in {name}: no progress for 20 s");
                std::process::abort();
            }
        }
    });
    Stop(stop)
}

fn secs() -> f64 {
    std::env::var("STRESS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0)
}

/// A tiny deterministic generator (no dev-dependency needed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn filled(rows: usize, cols: usize, seed: u64) -> Matrix<f32> {
    let mut g = Lcg(seed);
    let data = (0..rows * cols)
        .map(|_| g.below(2001) as f32 / 1000.0 - 1.0)
        .collect();
    Matrix::from_vec(rows, cols, data).unwrap()
}

/// (m, n, k, ta, tb): packed and direct paths, split by rows and by columns, ragged edges.
const SHAPES: [(usize, usize, usize, Trans, Trans); 7] = [
    (300, 300, 300, Trans::N, Trans::N),
    (257, 131, 199, Trans::T, Trans::T),
    (100, 500, 784, Trans::N, Trans::T),
    (500, 100, 784, Trans::N, Trans::N),
    (37, 1001, 64, Trans::N, Trans::N),
    (1001, 37, 64, Trans::T, Trans::N),
    (64, 64, 70, Trans::N, Trans::T),
];

struct Case {
    a: Matrix<f32>,
    b: Matrix<f32>,
    c0: Matrix<f32>,
    ta: Trans,
    tb: Trans,
    want: Vec<u32>,
}

fn run(case: &Case) -> Vec<u32> {
    let mut c = case.c0.clone();
    gemm(0.75, &case.a, case.ta, &case.b, case.tb, 0.5, &mut c);
    c.as_slice().iter().map(|x| x.to_bits()).collect()
}

/// Row pass large enough to be split; returns bits.
fn row_pass(rows: usize) -> Vec<u32> {
    let mut m = Matrix::<f32>::zeros(rows, 700);
    m.par_rows_mut(|i, row| {
        for (j, x) in row.iter_mut().enumerate() {
            *x = (i as f32).mul_add(0.5, j as f32).sqrt();
        }
    });
    m.as_slice().iter().map(|x| x.to_bits()).collect()
}

fn cases() -> Vec<Case> {
    set_threads(1);
    let out = SHAPES
        .iter()
        .enumerate()
        .map(|(s, &(m, n, k, ta, tb))| {
            let (ar, ac) = if ta == Trans::N { (m, k) } else { (k, m) };
            let (br, bc) = if tb == Trans::N { (k, n) } else { (n, k) };
            let mut case = Case {
                a: filled(ar, ac, 3 * s as u64 + 1),
                b: filled(br, bc, 3 * s as u64 + 2),
                c0: filled(m, n, 3 * s as u64 + 3),
                ta,
                tb,
                want: Vec::new(),
            };
            case.want = run(&case);
            case
        })
        .collect();
    out
}

/// One caller: thousands of GEMMs, thread counts 1–4 (and sometimes 8), gaps past the
/// 200 µs spin so the workers sleep, every result checked bit for bit.
#[test]
fn gemms_alternating_thread_counts_and_gaps_match_one_thread() {
    let _w = watchdog("gemms_alternating");
    let cases = cases();
    let rows_want = row_pass(1000);
    let mut g = Lcg(7);
    let (start, mut calls) = (Instant::now(), 0_usize);
    while start.elapsed().as_secs_f64() < secs() {
        let t = [1, 2, 3, 4, 2, 3, 8][g.below(7) as usize];
        set_threads(t);
        let case = &cases[g.below(cases.len() as u64) as usize];
        assert_eq!(run(case), case.want, "threads {t}");
        if g.below(4) == 0 {
            assert_eq!(row_pass(1000), rows_want, "row pass, threads {t}");
        }
        match g.below(8) {
            0 => std::thread::sleep(Duration::from_micros(250 + g.below(2000))),
            1 => std::thread::yield_now(),
            _ => {}
        }
        calls += 1;
        PROGRESS.fetch_add(1, Ordering::Relaxed);
    }
    set_threads(0);
    eprintln!("gemms_alternating: {calls} calls");
}

/// 6 callers at once (most run inline while one holds the team), a 7th thread flipping
/// the thread count, all results bit for bit.
#[test]
fn concurrent_callers_match_one_thread() {
    let _w = watchdog("concurrent_callers");
    let cases = cases();
    let rows_want = row_pass(1000);
    let done = AtomicBool::new(false);
    let total = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for id in 0..6_u64 {
            let (cases, rows_want, done, total) = (&cases, &rows_want, &done, &total);
            s.spawn(move || {
                let mut g = Lcg(100 + id);
                while !done.load(Ordering::Relaxed) {
                    let case = &cases[g.below(cases.len() as u64) as usize];
                    assert_eq!(run(case), case.want, "caller {id}");
                    if g.below(3) == 0 {
                        assert_eq!(&row_pass(1000), rows_want, "caller {id} rows");
                    }
                    if g.below(6) == 0 {
                        std::thread::sleep(Duration::from_micros(200 + g.below(800)));
                    }
                    total.fetch_add(1, Ordering::Relaxed);
                    PROGRESS.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let mut g = Lcg(99);
        let start = Instant::now();
        while start.elapsed().as_secs_f64() < secs() {
            set_threads(1 + g.below(4) as usize);
            std::thread::sleep(Duration::from_micros(g.below(3000)));
        }
        done.store(true, Ordering::Relaxed);
    });
    set_threads(0);
    eprintln!(
        "concurrent_callers: {} calls",
        total.load(Ordering::Relaxed)
    );
}

/// Panics in part 0 (row 0, on the caller) and in a worker's part (the last row), then a
/// correct call: the team survives and every panic reaches the caller.
#[test]
fn panicking_parts_reach_the_caller_and_the_team_survives() {
    let _w = watchdog("panics");
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let rows_want = row_pass(1000);
    let mut g = Lcg(5);
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed().as_secs_f64() < secs().min(5.0) {
        set_threads(2 + g.below(3) as usize);
        let bad_row = [0, 999, 500][g.below(3) as usize];
        let mut m = Matrix::<f32>::zeros(1000, 700);
        let r = catch_unwind(AssertUnwindSafe(|| {
            m.par_rows_mut(|i, row| {
                if i == bad_row {
                    panic!("boom {i}");
                }
                row[0] = 1.0;
            })
        }));
        let payload = r.expect_err("a panic was lost");
        let msg = payload.downcast_ref::<String>().map(String::as_str);
        assert_eq!(
            msg,
            Some(&*format!("boom {bad_row}")),
            "the panic's own message"
        );
        assert_eq!(row_pass(1000), rows_want);
        if g.below(5) == 0 {
            std::thread::sleep(Duration::from_micros(300));
        }
        n += 1;
        PROGRESS.fetch_add(1, Ordering::Relaxed);
    }
    std::panic::set_hook(prev);
    set_threads(0);
    eprintln!("panics: {n} rounds");
}

/// A row pass whose rows each run a parallel-sized GEMM: the inner calls run inline.
#[test]
fn nested_calls_complete_and_match() {
    let _w = watchdog("nested");
    set_threads(1);
    let (a, b) = (filled(64, 64, 11), filled(64, 70, 12));
    let one = |i: usize| -> f32 {
        let mut c = Matrix::<f32>::zeros(64, 70);
        gemm(1.0 + i as f32, &a, Trans::N, &b, Trans::N, 0.0, &mut c);
        c.as_slice().iter().sum()
    };
    let want: Vec<u32> = (0..400).map(|i| one(i).to_bits()).collect();
    for t in [2, 3, 4, 2] {
        set_threads(t);
        for _ in 0..5 {
            let mut m = Matrix::<f32>::zeros(400, 700);
            m.par_rows_mut(|i, row| row[0] = one(i));
            let got: Vec<u32> = (0..400).map(|i| m[(i, 0)].to_bits()).collect();
            assert_eq!(got, want, "threads {t}");
            PROGRESS.fetch_add(1, Ordering::Relaxed);
        }
    }
    set_threads(0);
}
