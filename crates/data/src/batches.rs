//! Shuffled sample orders and the minibatches cut from them.
//!
//! An epoch draws one order with [`shuffled_indices`] and walks it with [`minibatches`];
//! each batch is a slice of row indices for `Matrix::select_rows` or [`Dataset::select`].
//!
//! [`Dataset::select`]: crate::Dataset::select

use rand::seq::SliceRandom;
use rand::Rng;
use std::slice::Chunks;

/// The indices `0..n` in a uniformly random order (a Fisher–Yates shuffle driven by `rng`).
///
/// # Examples
/// ```
/// use layerwise_data::shuffled_indices;
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let mut order = shuffled_indices(5, &mut rng);
/// order.sort_unstable();
/// assert_eq!(order, vec![0, 1, 2, 3, 4]);
/// ```
pub fn shuffled_indices<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    order
}

/// Consecutive batches of `batch_size` indices from `order`; the last one holds the rest
/// and may be shorter. An empty `order` gives no batch.
///
/// # Panics
/// If `batch_size` is 0 (validate it where the hyperparameters are checked).
///
/// # Examples
/// ```
/// use layerwise_data::minibatches;
/// let order: Vec<usize> = (0..13).collect();
/// let sizes: Vec<usize> = minibatches(&order, 10).map(|b| b.len()).collect();
/// assert_eq!(sizes, vec![10, 3]);
/// ```
#[track_caller]
pub fn minibatches(order: &[usize], batch_size: usize) -> Chunks<'_, usize> {
    assert!(
        batch_size >= 1,
        "minibatches: batch_size must be at least 1, got 0"
    );
    order.chunks(batch_size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn thirteen_rows_in_batches_of_ten_give_ten_and_three() {
        let order = shuffled_indices(13, &mut ChaCha8Rng::seed_from_u64(5));
        let batches: Vec<&[usize]> = minibatches(&order, 10).collect();
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0], &order[..10]);
        assert_eq!(batches[1], &order[10..]);
    }

    #[test]
    fn exact_multiple_and_empty_order() {
        let order: Vec<usize> = (0..6).collect();
        assert!(minibatches(&order, 3).all(|b| b.len() == 3));
        assert_eq!(minibatches(&[], 4).count(), 0);
    }

    #[test]
    #[should_panic(expected = "batch_size must be at least 1")]
    fn zero_batch_size_panics() {
        let _ = minibatches(&[0, 1], 0);
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut order = shuffled_indices(100, &mut ChaCha8Rng::seed_from_u64(11));
        assert_ne!(order, (0..100).collect::<Vec<_>>());
        order.sort_unstable();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn same_seed_same_order_other_seed_other_order() {
        let draw = |seed| shuffled_indices(50, &mut ChaCha8Rng::seed_from_u64(seed));
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
    }
}
