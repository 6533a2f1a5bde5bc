//! The log-likelihood never decreases from one EM iteration to the next (Bishop 9.4: each
//! E-step makes the bound tight, each M-step maximises it), up to rounding: we allow a fall of
//! at most 1e-10 relative, many orders above f64 rounding of a mean of a few hundred terms
//! (~1e-14) and far below any real decrease.

use gmm_core::{CovarianceType, FittedModel, InitMethod, synthetic};
use gmm_em::EmParams;

const MONOTONE_RTOL: f64 = 1e-10;

#[test]
fn log_likelihood_never_decreases() {
    let scenarios = [
        ("1-D", synthetic::one_d_three_clusters(), 3),
        ("2-D", synthetic::two_d_three_clusters(), 3),
        ("5-D", synthetic::separated(4, 5), 4),
    ];
    let mut fits = 0;
    let mut iterations = 0;
    let mut worst_fall = 0.0f64;
    for (name, truth, k) in &scenarios {
        for seed in 0..10u64 {
            let sample = synthetic::draw(truth, 300, 100 + seed).unwrap();
            for t in CovarianceType::ALL {
                for init in [InitMethod::Random, InitMethod::KMeansPlusPlus] {
                    let fit = EmParams::new(*k)
                        .covariance_type(t)
                        .tol(0.0)
                        .max_iter(40)
                        .init(init.clone())
                        .seed(seed)
                        .fit(&sample.data)
                        .unwrap();
                    assert!(fit.reseeds().is_empty());
                    assert_eq!(fit.n_iter(), 40);
                    let lb = fit.lower_bounds();
                    for (i, w) in lb.windows(2).enumerate() {
                        let fall = (w[0] - w[1]) / w[0].abs();
                        worst_fall = worst_fall.max(fall);
                        assert!(
                            fall <= MONOTONE_RTOL,
                            "{name}, {t}, {}, seed {seed}: bound fell from {} to {} at iteration {}",
                            init.name(),
                            w[0],
                            w[1],
                            i + 2
                        );
                    }
                    // the final parameters are at least as good as the last bound
                    let score = gmm_core::MixtureModel::score(&fit, &sample.data).unwrap();
                    assert!(score >= fit.lower_bound() - MONOTONE_RTOL * score.abs());
                    fits += 1;
                    iterations += lb.len();
                }
            }
        }
    }
    println!("{fits} fits, {iterations} iterations, worst relative fall {worst_fall:e}");
}
