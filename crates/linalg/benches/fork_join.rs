//! What handing work to the pool's threads costs: a row pass over a matrix just large
//! enough to be split between threads (512 × 1024 f32), touching one value per part, so that
//! nearly all of a call's time is the fork and the join.
//!
//! `cargo bench -p layerwise-linalg --bench fork_join`

use layerwise_linalg::{set_threads, threads, Matrix};
use std::time::Instant;

fn main() {
    let mut m = Matrix::<f32>::zeros(512, 1024);
    let calls = 200_000;
    println!("row pass over 512 × 1024 f32, one value per part; best of 5 × {calls} calls");
    for n in [1, 2, 1, 2] {
        set_threads(n);
        let mut best = f64::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            for _ in 0..calls {
                m.par_row_chunks_mut(512, |first, chunk| chunk[0] += first as f32);
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        let ns = best * 1e9 / calls as f64;
        println!("threads {}: {ns:>6.0} ns per call", threads());
    }
    std::hint::black_box(&m);
}
