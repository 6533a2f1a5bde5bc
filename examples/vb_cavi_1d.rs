//! The simple Bayesian mixture of Blei, Kucukelbir & McAuliffe (2017): unit-variance
//! components, uniform weights, a Normal prior on the means, fitted by coordinate-ascent
//! variational inference on 1-D data. Prints the fitted means against the truth and the
//! ELBO after every sweep.
//!
//! Run with `cargo run --release --example vb_cavi_1d`.

use gmm::core::{Covariances, FittedModel, GaussianMixture, GmmError, synthetic};
use gmm::vb::cavi::CaviParams;
use nalgebra::{DMatrix, DVector};

fn main() -> Result<(), GmmError> {
    let true_means = [-6.0, -1.5, 4.0];
    let truth = GaussianMixture::new(
        DVector::from_element(3, 1.0 / 3.0),
        DMatrix::from_row_slice(3, 1, &true_means),
        Covariances::Spherical(vec![1.0; 3]),
    )?;
    let sample = synthetic::draw(&truth, 1000, 2017)?;
    let fit = CaviParams::new(3)
        .prior_variance(100.0)
        .seed(1)
        .fit(&sample.data)?;

    println!(
        "CAVI on {} points, K = 3, {} sweeps, converged: {}",
        sample.data.n_samples(),
        fit.n_iter(),
        fit.converged()
    );
    for (t, elbo) in fit.lower_bounds().iter().enumerate() {
        println!("  sweep {:>2}: ELBO = {elbo:.6}", t + 1);
    }
    let mut fitted: Vec<(f64, f64)> = (0..3)
        .map(|k| (fit.means()[(k, 0)], fit.variances()[k].sqrt()))
        .collect();
    fitted.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!("\n  true mean   fitted m_k   posterior sd s_k");
    for (truth, (m, s)) in true_means.iter().zip(&fitted) {
        println!("  {truth:>9.3}   {m:>10.4}   {s:>10.4}");
    }
    Ok(())
}
