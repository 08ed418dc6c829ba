//! Gibbs sampling from a trained RBM, to see what it has learnt.
//!
//! A chain alternates h ~ p(h | v) and v ~ p(v | h). [`Rbm::generate`] starts chains from
//! noise (each binary unit on with probability ½; Gaussian units N(0, 1)) or from data rows,
//! runs N sweeps and returns E[v | h] of the last one: probabilities for Bernoulli units,
//! means for Gaussian ones, `(n_chains, n_visible)`.

use super::{CdWorkspace, Rbm, Visible};
use crate::activation::{bernoulli, standard_normals, RowStreams};
use crate::error::{check_size, Result};
use layerwise_linalg::{Float, Matrix};
use rand::Rng;

/// Where Gibbs chains start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GibbsStart<'a, T> {
    /// `n_chains` chains from noise: binary units on with probability ½, Gaussian units
    /// N(0, 1).
    Noise {
        /// How many chains.
        n_chains: usize,
    },
    /// One chain per row of the data, `(n_chains, n_visible)`.
    Data(&'a Matrix<T>),
}

impl<T: Float> Rbm<T> {
    /// A binary sample of h | v: `(n_samples, n_visible) → (n_samples, n_hidden)`.
    ///
    /// One value is drawn from `rng` ([`crate::RowStreams`]).
    ///
    /// # Panics
    /// If `v.cols() ≠ n_visible`.
    #[track_caller]
    pub fn sample_hidden<R: Rng + ?Sized>(&self, v: &Matrix<T>, rng: &mut R) -> Matrix<T> {
        self.hidden.forward_sample(v, rng)
    }

    /// A sample of v | h: binary for Bernoulli units, E[v | h] + N(0, I) for Gaussian ones;
    /// `(n_samples, n_hidden) → (n_samples, n_visible)`.
    ///
    /// One value is drawn from `rng` ([`crate::RowStreams`]).
    ///
    /// # Panics
    /// If `h.cols() ≠ n_hidden`.
    #[track_caller]
    pub fn sample_visible<R: Rng + ?Sized>(&self, h: &Matrix<T>, rng: &mut R) -> Matrix<T> {
        let (mut means, mut sample) = (Matrix::zeros(0, 0), Matrix::zeros(0, 0));
        self.visible_sample_into(h, &mut means, &mut sample, rng);
        sample
    }

    /// Runs Gibbs chains for `steps` sweeps and returns E[v | h] of the last one,
    /// `(n_chains, n_visible)`.
    ///
    /// Each sweep samples h ~ p(h | v), then v ~ p(v | h) except in the last sweep, which
    /// returns the probabilities (means) instead. `rng` gives 2 · `steps` − 1 values, and
    /// one more to draw noise.
    ///
    /// # Errors
    /// [`crate::Error::InvalidHyperparameter`] when `steps` is 0;
    /// [`crate::Error::ZeroSize`] for no chains.
    ///
    /// # Panics
    /// If the data's width is not `n_visible`.
    ///
    /// # Examples
    /// ```
    /// use layerwise_layers::{GibbsStart, Rbm};
    /// use rand::SeedableRng;
    ///
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// let rbm = Rbm::<f32>::new(6, 4, &mut rng).unwrap();
    /// let start = GibbsStart::Noise { n_chains: 3 };
    /// let v = rbm.generate(start, 100, &mut rng).unwrap();
    /// assert_eq!(v.shape(), (3, 6));
    /// assert!(v.as_slice().iter().all(|&p| (0.0..=1.0).contains(&p)));
    /// ```
    #[track_caller]
    pub fn generate<R: Rng + ?Sized>(
        &self,
        start: GibbsStart<'_, T>,
        steps: usize,
        rng: &mut R,
    ) -> Result<Matrix<T>> {
        super::check_steps("steps", steps)?;
        let mut ws = CdWorkspace::new();
        ws.v_sample = match start {
            GibbsStart::Noise { n_chains } => {
                check_size("n_chains", n_chains)?;
                self.noise(n_chains, rng)
            }
            GibbsStart::Data(v) => {
                assert_eq!(
                    v.cols(),
                    self.n_visible(),
                    "generate: data width ≠ n_visible"
                );
                check_size("n_chains", v.rows())?;
                v.clone()
            }
        };
        for step in 0..steps {
            // up: a hidden sample
            let (probs, sample) = (&mut ws.h_probs, &mut ws.h_sample);
            self.hidden
                .forward_sample_into(&ws.v_sample, probs, sample, rng);

            // down: a visible sample, or the means at the end
            if step + 1 < steps {
                self.visible_sample_into(&ws.h_sample, &mut ws.v_probs, &mut ws.v_sample, rng);
            } else {
                self.visible_means_into(&ws.h_sample, &mut ws.v_probs);
            }
        }
        Ok(ws.v_probs)
    }

    /// `(n_chains, n_visible)` of noise: Bernoulli(½) or N(0, 1) units, one stream per row.
    fn noise<R: Rng + ?Sized>(&self, n_chains: usize, rng: &mut R) -> Matrix<T> {
        let streams = RowStreams::new(rng);
        let mut v = Matrix::zeros(n_chains, self.n_visible());
        let half = T::from_f64(0.5);
        let mut normals = vec![0.0; self.n_visible()];
        for i in 0..n_chains {
            let mut stream = streams.row(i);
            let row = v.row_mut(i);
            match self.visible {
                Visible::Bernoulli => row
                    .iter_mut()
                    .for_each(|x| *x = bernoulli(half, &mut stream)),
                Visible::Gaussian => {
                    standard_normals(&mut normals, &mut stream);
                    for (x, &e) in row.iter_mut().zip(&normals) {
                        *x = T::from_f64(e);
                    }
                }
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// An RBM whose hidden unit j copies visible block j: after a sweep from data the chain
    /// stays near the data.
    fn block_rbm() -> Rbm<f64> {
        let w = Matrix::from_fn(2, 8, |j, i| if i / 4 == j { 6.0 } else { -6.0 });
        let hidden = crate::HiddenLayer::from_parts(w, vec![-12.0 + 6.0; 2]);
        Rbm::from_parts(hidden, vec![0.0; 8])
    }

    #[test]
    fn chains_from_data_keep_a_strongly_coupled_pattern() {
        let rbm = block_rbm();
        let data = Matrix::from_fn(2, 8, |r, i| if i / 4 == r { 1.0 } else { 0.0 });
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let v = rbm.generate(GibbsStart::Data(&data), 20, &mut rng).unwrap();
        for (p, x) in v.as_slice().iter().zip(data.as_slice()) {
            assert!((p - x).abs() < 0.05, "{p} vs {x}");
        }
    }

    #[test]
    fn generation_is_seeded_and_checks_its_arguments() {
        let rbm = block_rbm();
        let run = |seed| {
            let start = GibbsStart::Noise { n_chains: 5 };
            rbm.generate(start, 7, &mut ChaCha8Rng::seed_from_u64(seed))
                .unwrap()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let start = GibbsStart::Noise { n_chains: 5 };
        assert!(rbm.generate(start, 0, &mut rng).is_err());
        let none = GibbsStart::Noise { n_chains: 0 };
        assert!(rbm.generate(none, 1, &mut rng).is_err());
    }

    #[test]
    fn gaussian_visible_samples_have_the_model_mean_and_unit_variance() {
        // h fixed: v | h ~ N(c + Wᵀh, I); 4000 draws per unit
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let w = Matrix::from_fn(3, 5, |j, i| 0.3 * j as f64 - 0.2 * i as f64);
        let c = vec![1.0, -2.0, 0.5, 0.0, 3.0];
        let hidden = crate::HiddenLayer::from_parts(w.clone(), vec![0.0; 3]);
        let rbm = Rbm::from_parts(hidden, c.clone()).with_visible(Visible::Gaussian);
        let h = Matrix::from_fn(4000, 3, |_, j| if j == 1 { 0.0 } else { 1.0 });
        let v = rbm.sample_visible(&h, &mut rng);
        let mean = rbm.visible_probabilities(&h.select_rows(&[0]));
        for i in 0..5 {
            let col: Vec<f64> = (0..4000).map(|n| v[(n, i)]).collect();
            let m = col.iter().sum::<f64>() / 4000.0;
            let var = col.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 3999.0;
            let want = c[i] + w[(0, i)] + w[(2, i)];
            approx::assert_abs_diff_eq!(mean[(0, i)], want, epsilon = 1e-12);
            approx::assert_abs_diff_eq!(m, want, epsilon = 0.06); // 4 σ / √4000 ≈ 0.063
            approx::assert_abs_diff_eq!(var, 1.0, epsilon = 0.1);
        }
        let distinct = v
            .as_slice()
            .iter()
            .filter(|&&x| x != 0.0 && x != 1.0)
            .count();
        assert_eq!(distinct, 4000 * 5, "Gaussian samples are not binary");
    }
}
