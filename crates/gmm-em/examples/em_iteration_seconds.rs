//! Times EM fits of the Rust library on a raw file of little-endian f64 values (N x D,
//! row-major, as NumPy's `tofile` writes them), for scripts/bench_python.py, which times
//! the same fits from Python.
//!
//! `cargo run --release -p gmm-em --example em_iteration_seconds -- FILE N D K ITERS...`
//! prints one line per iteration count: `iterations seconds mean_log_likelihood` (the
//! fastest of three runs, k-means initialisation with seed 0, tol 0, full covariances).
//! With `GMM_BENCH_SOURCE` set, the fit reads the values in place through a `SliceSource`
//! (`EmParams::fit_source`), as `gmm_rs` does with a NumPy array; otherwise from a
//! `Dataset` (`EmParams::fit`). Both give the same fit.

use std::time::Instant;

use gmm_core::{Dataset, FittedModel, SliceSource};
use gmm_em::EmParams;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        return Err("usage: em_iteration_seconds FILE N D K ITERS...".into());
    }
    let bytes = std::fs::read(&args[0])?;
    let (n, d, k): (usize, usize, usize) = (args[1].parse()?, args[2].parse()?, args[3].parse()?);
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    let data = Dataset::from_row_major(n, d, values)?;
    for iters in &args[4..] {
        let iters: usize = iters.parse()?;
        let params = EmParams::new(k).tol(0.0).max_iter(iters).seed(0);
        let mut best = f64::INFINITY;
        let mut bound = f64::NAN;
        for _ in 0..3 {
            let start = Instant::now();
            let fit = if std::env::var_os("GMM_BENCH_SOURCE").is_some() {
                params.fit_source(&mut SliceSource::new(data.as_slice(), d)?)?
            } else {
                params.fit(&data)?
            };
            best = best.min(start.elapsed().as_secs_f64());
            bound = fit.lower_bound();
        }
        println!("{iters} {best:.6} {bound:.12}");
    }
    Ok(())
}
