//! A panic on a worker reaches the caller as it was raised (its own payload, whatever the
//! thread count), and a payload whose drop panics does not take a worker down with it (the
//! caller would otherwise wait forever). One test in this binary, so that no other test
//! holds the team and makes the parts run inline.

use layerwise_linalg::{set_threads, Matrix};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

#[test]
fn a_worker_panic_keeps_its_payload_and_a_panicking_drop_does_not_hang_the_team() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("dropped")
        }
    }
    set_threads(2);
    // 1000 × 700 is large enough to be split; row 999 lies in the worker's half
    let mut m = Matrix::<f32>::zeros(1000, 700);
    let r = catch_unwind(AssertUnwindSafe(|| {
        m.par_rows_mut(|i, _| {
            if i == 999 {
                panic!("row {i}")
            }
        })
    }));
    let payload = r.expect_err("the worker's panic reaches the caller");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("row 999")
    );

    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut m = Matrix::<f32>::zeros(1000, 700);
        let r = catch_unwind(AssertUnwindSafe(|| {
            m.par_rows_mut(|i, _| {
                if i == 999 {
                    std::panic::panic_any(Bomb)
                }
            })
        }));
        // dropping the Bomb here would panic this thread: keep it
        std::mem::forget(r);
        m.par_rows_mut(|i, row| row[0] = i as f32);
        tx.send(m[(999, 0)]).unwrap();
    });
    let last = rx.recv_timeout(Duration::from_secs(20));
    assert_eq!(last.expect("the team hung after a panicking drop"), 999.0);
    set_threads(0);
}
