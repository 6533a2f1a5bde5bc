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

#[test]
fn consecutive_seeds_share_no_chain() {
    // With chain c seeded by seed + c, chain 1 of seed 11 was chain 0 of seed 12 (and so
    // on): the first kept draw of every chain of one fit against every chain of the other.
    let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 200, 3).unwrap();
    let fit = |seed| {
        GibbsParams::new(3)
            .draws(4)
            .burn_in(2)
            .chains(4)
            .seed(seed)
            .fit(&sample.data)
            .unwrap()
    };
    let (a, b) = (fit(11), fit(12));
    for (i, ca) in a.draws().iter().enumerate() {
        for (j, cb) in b.draws().iter().enumerate() {
            assert_ne!(
                ca[0].log_likelihood(),
                cb[0].log_likelihood(),
                "chain {i} of seed 11 and chain {j} of seed 12"
            );
        }
    }
    // and within one seed, the chains' seeds differ from each other
    let p = GibbsParams::new(3).seed(11);
    assert_ne!(p.chain_seed(0), p.chain_seed(1));
    assert_ne!(p.chain_seed(1), GibbsParams::new(3).seed(12).chain_seed(0));
}
