//! Gibbs draws per second at (N, D, K) = (1e4, 2, 3) and (1e5, 8, 8), full and diagonal
//! covariances, one chain and two chains in parallel (docs/performance.md).
//!
//! `cargo run --release -p gmm-gibbs --example gibbs_speed`. Each run fits the
//! `synthetic::separated(K, D)` sample from a k-means start with no burn-in and times the
//! whole fit (initialisation, sweeps, relabelling, diagnostics); a sweep is one draw.

use std::time::Instant;

use gmm_core::{CovarianceType, synthetic};
use gmm_gibbs::GibbsParams;

fn main() -> Result<(), gmm_core::GmmError> {
    println!("| N | D | K | covariance | chains | draws per chain | seconds | draws / s |");
    println!("|---:|---:|---:|---|---:|---:|---:|---:|");
    for (n, d, k, draws) in [(10_000, 2, 3, 2000), (100_000, 8, 8, 100)] {
        let data = synthetic::draw(&synthetic::separated(k, d), n, 1)?.data;
        for t in [CovarianceType::Full, CovarianceType::Diagonal] {
            for chains in [1, 2] {
                let params = GibbsParams::new(k)
                    .covariance_type(t)
                    .draws(draws)
                    .burn_in(0)
                    .chains(chains)
                    .seed(0);
                let start = Instant::now();
                let fit = params.fit(&data)?;
                let seconds = start.elapsed().as_secs_f64();
                let total = (chains * draws) as f64;
                println!(
                    "| {n} | {d} | {k} | {t} | {chains} | {draws} | {seconds:.2} | {:.0} |",
                    total / seconds
                );
                assert_eq!(fit.draws().len(), chains);
            }
        }
    }
    Ok(())
}
