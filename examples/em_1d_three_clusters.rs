//! Reproduces the seeds' 1-D three-cluster fit: draws 1000 points from
//! `gmm::core::synthetic::one_d_three_clusters()` (weights 0.3 / 0.45 / 0.25, means -4 / 0 / 5,
//! standard deviations 1 / 0.7 / 1.5), fits K = 3 by EM, and prints the estimated weights,
//! means and variances next to the truth (components matched by sorting the means).
//!
//! Run with `cargo run --release --example em_1d_three_clusters`.

use gmm::core::{FittedModel, GaussianMixture, GmmError, MixtureModel, synthetic};
use gmm::em::EmParams;

/// (weight, mean, variance) of every component, sorted by mean.
fn components(gm: &GaussianMixture) -> Vec<(f64, f64, f64)> {
    let mut out: Vec<(f64, f64, f64)> = (0..gm.n_components())
        .map(|c| {
            (
                gm.weights()[c],
                gm.means()[(c, 0)],
                gm.covariances().full_matrix(c, 1)[(0, 0)],
            )
        })
        .collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    out
}

fn main() -> Result<(), GmmError> {
    let truth = synthetic::one_d_three_clusters();
    let sample = synthetic::draw(&truth, 1000, 2024)?;
    let fit = EmParams::new(3)
        .tol(1e-8)
        .n_init(3)
        .seed(1)
        .fit(&sample.data)?;

    println!(
        "EM on {} points: {} iterations, converged = {}, mean log-likelihood {:.6}",
        sample.data.n_samples(),
        fit.n_iter(),
        fit.converged(),
        fit.score(&sample.data)?
    );
    println!(
        "true model's mean log-likelihood on the same points: {:.6}",
        truth.score(&sample.data)?
    );
    println!(
        "BIC {:.2}, AIC {:.2}",
        fit.bic(&sample.data)?,
        fit.aic(&sample.data)?
    );
    println!();
    println!(
        "{:>4} | {:>8} {:>8} | {:>8} {:>8} | {:>8} {:>8}",
        "k", "weight", "true", "mean", "true", "variance", "true"
    );
    for (c, (est, tru)) in components(fit.mixture())
        .iter()
        .zip(components(&truth))
        .enumerate()
    {
        println!(
            "{c:>4} | {:>8.4} {:>8.4} | {:>8.4} {:>8.4} | {:>8.4} {:>8.4}",
            est.0, tru.0, est.1, tru.1, est.2, tru.2
        );
    }
    Ok(())
}
