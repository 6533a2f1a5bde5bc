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
//!
//! Without arguments (`cargo run --release -p gmm-em --example em_iteration_seconds`) it
//! times a small default case instead of a file: 10,000 points of
//! `gmm_core::synthetic::separated(8, 8)` drawn with seed 0, fits of 2 and 6 iterations,
//! then prints the seconds per iteration, `(t(6) - t(2)) / 4`, so that the one-time costs
//! (initialisation) cancel. Under a second in a release build, a few seconds in a debug
//! build (whose times it says are not the library's).

use std::error::Error;
use std::time::Instant;

use gmm_core::{Dataset, FittedModel, SliceSource, synthetic};
use gmm_em::EmParams;

/// N, D and K of the case timed without arguments.
const DEFAULT_SHAPE: (usize, usize, usize) = (10_000, 8, 8);

/// The iteration counts timed without arguments.
const DEFAULT_ITERS: [usize; 2] = [2, 6];

/// One timed iteration count: `(iterations, seconds, mean log-likelihood)`.
type Line = (usize, f64, f64);

/// What to time: the data, K and the iteration counts.
struct Case {
    data: Dataset,
    k: usize,
    iters: Vec<usize>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let case = if args.is_empty() {
        let (n, d, k) = DEFAULT_SHAPE;
        eprintln!(
            "no arguments: timing the default case, {n} x {d} points of {k} components \
             (usage: em_iteration_seconds [FILE N D K ITERS...])"
        );
        if cfg!(debug_assertions) {
            eprintln!("a debug build: time a release build (cargo run --release ...)");
        }
        default_case()?
    } else {
        file_case(&args)?
    };
    let lines = time_fits(&case, |iters, best, bound| {
        println!("{iters} {best:.6} {bound:.12}")
    })?;
    if args.is_empty() {
        println!("seconds per iteration: {:.6}", per_iteration(&lines));
    }
    Ok(())
}

/// The case timed without arguments: [`DEFAULT_SHAPE`] drawn from
/// `synthetic::separated(K, D)` with seed 0, [`DEFAULT_ITERS`].
fn default_case() -> Result<Case, Box<dyn Error>> {
    let (n, d, k) = DEFAULT_SHAPE;
    let data = synthetic::draw(&synthetic::separated(k, d), n, 0)?.data;
    Ok(Case {
        data,
        k,
        iters: DEFAULT_ITERS.to_vec(),
    })
}

/// The case of the arguments `FILE N D K ITERS...` (a raw file of little-endian f64).
fn file_case(args: &[String]) -> Result<Case, Box<dyn Error>> {
    if args.len() < 5 {
        return Err("usage: em_iteration_seconds [FILE N D K ITERS...]".into());
    }
    let bytes = std::fs::read(&args[0])?;
    let (n, d, k): (usize, usize, usize) = (args[1].parse()?, args[2].parse()?, args[3].parse()?);
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    let data = Dataset::from_row_major(n, d, values)?;
    let iters = args[4..]
        .iter()
        .map(|i| i.parse())
        .collect::<Result<_, _>>()?;
    Ok(Case { data, k, iters })
}

/// Fits `case` once per iteration count, the fastest of three runs each, handing
/// `(iterations, seconds, mean log-likelihood)` to `report` as each is done; returns them.
fn time_fits(
    case: &Case,
    mut report: impl FnMut(usize, f64, f64),
) -> Result<Vec<Line>, Box<dyn Error>> {
    let (data, d) = (&case.data, case.data.n_features());
    let mut lines = Vec::with_capacity(case.iters.len());
    for &iters in &case.iters {
        let params = EmParams::new(case.k).tol(0.0).max_iter(iters).seed(0);
        let mut best = f64::INFINITY;
        let mut bound = f64::NAN;
        for _ in 0..3 {
            let start = Instant::now();
            let fit = if std::env::var_os("GMM_BENCH_SOURCE").is_some() {
                params.fit_source(&mut SliceSource::new(data.as_slice(), d)?)?
            } else {
                params.fit(data)?
            };
            best = best.min(start.elapsed().as_secs_f64());
            bound = fit.lower_bound();
        }
        report(iters, best, bound);
        lines.push((iters, best, bound));
    }
    Ok(lines)
}

/// Seconds per iteration from the first and last of `lines`: the difference of their times
/// over the difference of their iteration counts.
fn per_iteration(lines: &[Line]) -> f64 {
    let (first, last) = (lines[0], lines[lines.len() - 1]);
    (last.1 - first.1) / (last.0 as f64 - first.0 as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_case_times_its_fits_on_a_part_of_its_data() {
        let case = default_case().unwrap();
        let (n, d, k) = DEFAULT_SHAPE;
        assert_eq!((case.data.n_samples(), case.data.n_features()), (n, d));
        assert_eq!((case.k, case.iters.as_slice()), (k, &DEFAULT_ITERS[..]));
        // the same path as `main` without arguments, on the first 2,000 points (cheap)
        let head = case.data.as_slice()[..2000 * d].to_vec();
        let small = Case {
            data: Dataset::from_row_major(2000, d, head).unwrap(),
            k,
            iters: vec![1, 3],
        };
        let mut reported = Vec::new();
        let lines = time_fits(&small, |i, s, b| reported.push((i, s, b))).unwrap();
        assert_eq!(lines, reported);
        assert_eq!(lines.iter().map(|l| l.0).collect::<Vec<_>>(), vec![1, 3]);
        assert!(lines.iter().all(|l| l.1 > 0.0 && l.2.is_finite()));
        assert!(lines[1].2 >= lines[0].2 - 1e-12, "EM's bound never falls");
        assert!(per_iteration(&lines).is_finite());
    }

    #[test]
    fn a_file_needs_all_of_its_arguments() {
        let args: Vec<String> = ["data.bin", "10", "2"].map(String::from).to_vec();
        let err = file_case(&args).err().expect("too few arguments");
        assert!(err.to_string().starts_with("usage:"), "{err}");
    }
}
