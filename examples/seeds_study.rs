//! The seeds' claims, measured: EM against VB on a 2-D three-cluster mixture over a grid of
//! sample sizes, with replicates and bootstrap intervals (docs/comparison.md, "Replicated
//! studies").
//!
//!     cargo run --release --example seeds_study [OUT_DIR] [REPLICATES] [SELECTION_TOL]
//!
//! N from 10 to 2000 (10 sizes), 50 replicates (default), K = 3, the choice of K over
//! 1..=6; EM (reg_covar 1e-6), EM with reg_covar 0, VB (Dirichlet-process weights) and the
//! Gibbs sampler under VB's priors (the exact posterior; K not chosen) on the same points
//! from the same k-means start, 1000 fresh held-out points per run. Prints the
//! table and writes runs.csv, cells.csv, report.json and one SVG per measure into OUT_DIR
//! (default `seeds-study`). SELECTION_TOL (default 1e-6, `SELECTION_TOL`) is the tolerance
//! of the K-selection fits; giving the comparison's 1e-10 (with 10,000 iterations) checks
//! that the lean default does not change the choices.
//!
//! The claims tested: EM over-fits when the data are few and VB mitigates it (the held-out
//! log predictive density of both against N), and EM hits singularities (the share of EM
//! fits at reg_covar 0 that fail on a singular component).

use std::path::PathBuf;
use std::time::Instant;

use gmm::compare::{StudyMethod, StudySettings, TrueScenario, run_study};
use gmm::core::{GmmError, write_all_atomic};

fn main() -> Result<(), GmmError> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "seeds-study".into()));
    let replicates = match args.next() {
        Some(r) => r.parse().map_err(|_| GmmError::InvalidParameter {
            name: "replicates",
            value: r.clone(),
            reason: "give a whole number, for example 50".into(),
        })?,
        None => 50,
    };
    let selection_tol = match args.next() {
        Some(t) => t.parse().map_err(|_| GmmError::InvalidParameter {
            name: "tol",
            value: t.clone(),
            reason: "give a number, for example 1e-10".into(),
        })?,
        None => gmm::compare::SELECTION_TOL,
    };
    let settings = StudySettings::new(
        TrueScenario::synthetic("two-d-three-clusters")?,
        vec![10, 20, 35, 50, 100, 200, 350, 500, 1000, 2000],
        3,
    )
    .replicates(replicates)
    .max_k(6)
    .test_size(1000)
    .seed(2026)
    .methods(vec![
        StudyMethod::Em,
        StudyMethod::EmNoReg,
        StudyMethod::Vb,
        StudyMethod::Gibbs,
    ]);
    let settings = StudySettings {
        selection_tol,
        selection_max_iter: if selection_tol < gmm::compare::SELECTION_TOL {
            gmm::compare::COMPARISON_MAX_ITER
        } else {
            gmm::compare::SELECTION_MAX_ITER
        },
        ..settings
    };
    let start = Instant::now();
    let report = run_study(&settings, &|| {})?;
    let seconds = start.elapsed().as_secs_f64();
    print!("{report}");
    let written = write_all_atomic(&out, &report.files()?)?;
    println!(
        "\n{} fits in {seconds:.1} s on {} threads; wrote {} files to {}",
        report.runs.len(),
        rayon_threads(),
        written.len(),
        out.display()
    );
    Ok(())
}

/// The threads the study ran on (RAYON_NUM_THREADS, else the cores).
fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}
