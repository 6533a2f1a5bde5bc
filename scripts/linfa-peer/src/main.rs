//! Times linfa-clustering's `GaussianMixtureModel` (full covariance) on a CSV file, for the
//! side-by-side table of docs/performance.md.
//!
//! ```text
//! cargo run --release -- DATA.csv K ITERATIONS...
//! ```
//!
//! For each iteration count it fits once (random initial responsibilities with a fixed seed,
//! one run, tolerance 1e-300 so the loop runs to the iteration count) and prints the
//! wall-clock seconds and whether all the iterations ran. linfa cannot start from given means
//! and rejects a tolerance of 0. From its k-means start EM reaches an exact fixed point
//! (a change of exactly 0) within a few iterations on well separated data and stops there,
//! so the peer starts from random responsibilities instead: EM then runs every iteration, and
//! the cost of an iteration does not depend on where it starts. With a tolerance it never
//! reaches, linfa returns "did not converge" after the last iteration: that is the expected
//! outcome here (`ran all`). Seconds per EM iteration are the difference between two counts
//! divided by the difference of the counts.

use std::time::Instant;

use linfa::DatasetBase;
use linfa::traits::Fit;
use linfa_clustering::{GaussianMixtureModel, GmmInitMethod};
use ndarray::Array2;
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;

fn read_csv(path: &str) -> Array2<f64> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let mut values = Vec::new();
    let mut cols = 0;
    let mut rows = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: Result<Vec<f64>, _> = line.split(',').map(|c| c.trim().parse::<f64>()).collect();
        let Ok(row) = row else { continue }; // a header row
        cols = row.len();
        values.extend(row);
        rows += 1;
    }
    Array2::from_shape_vec((rows, cols), values).expect("rows of equal length")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: linfa-peer DATA.csv K ITERATIONS...");
        std::process::exit(2);
    }
    let data = read_csv(&args[0]);
    let k: usize = args[1].parse().expect("K is a whole number");
    let dataset = DatasetBase::from(data);
    for iters in &args[2..] {
        let iters: u64 = iters.parse().expect("an iteration count");
        let params = GaussianMixtureModel::params_with_rng(k, Xoshiro256Plus::seed_from_u64(0))
            .init_method(GmmInitMethod::Random)
            .n_runs(1)
            .tolerance(1e-300)
            .max_n_iterations(iters);
        let start = Instant::now();
        let outcome = params.fit(&dataset);
        let seconds = start.elapsed().as_secs_f64();
        let status = match outcome {
            Ok(_) => "stopped early: a change of exactly 0".to_string(),
            Err(linfa_clustering::GmmError::NotConverged(_)) => "ran all".to_string(),
            Err(e) => format!("failed: {e}"),
        };
        println!("linfa max_iter={iters} seconds={seconds:.6} ({status})");
    }
}
