//! A fit is the same, bit for bit, on one thread and on several (several chains, several
//! chunks of points per sweep), and the same seed gives the same fit.

use gmm_core::{CovarianceType, FittedModel, synthetic};
use gmm_gibbs::GibbsParams;

fn fit_on(threads: usize, covariance_type: CovarianceType) -> gmm_gibbs::GibbsFit {
    // 5000 points: more than two of the kernel's chunks at D = 2.
    let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 5000, 9).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        GibbsParams::new(3)
            .covariance_type(covariance_type)
            .draws(20)
            .burn_in(5)
            .chains(3)
            .seed(11)
            .fit(&sample.data)
            .unwrap()
    })
}

#[test]
fn draws_are_identical_on_any_thread_count() {
    for t in [CovarianceType::Full, CovarianceType::Diagonal] {
        let one = fit_on(1, t);
        let three = fit_on(3, t);
        assert_eq!(one.draws(), three.draws(), "{t}");
        assert_eq!(one.to_model_file(), three.to_model_file(), "{t}");
        // Chains differ from each other (each has its own seed).
        assert_ne!(one.draws()[0], one.draws()[1]);
    }
}
