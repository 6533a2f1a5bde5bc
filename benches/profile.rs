//! A fixed-work harness for profilers (`perf stat`, `perf record`, `valgrind --tool=callgrind`)
//! and for timing outside criterion: runs one step a given number of times on one problem and
//! prints the wall-clock seconds per call and the achieved GFLOP/s of the E-step.
//!
//! ```text
//! cargo bench --bench profile -- e_step full 100000 8 8 20
//! ```
//!
//! Arguments: what (`e_step`, `em_iteration` or `vb_iteration`; `e_step_f32` and
//! `em_iteration_f32` on the same points rounded to `f32`; the queries `predict_proba` and
//! `score_samples` of a mid-fit model), covariance (`full` or `diag`), N, D, K,
//! repetitions.
//!
//! `--large-k [N] [REPS]` times one EM and one VB iteration at (N, 8, K) for K = 8, 64 and
//! 256, full covariances (N = 1e6 and 3 repetitions by default), and prints each one's
//! seconds per iteration and per component (docs/performance.md, "Large K"):
//!
//! ```text
//! cargo bench --bench profile -- --large-k
//! ```

mod common;

use std::hint::black_box;
use std::time::Instant;

use gmm::core::CovarianceType;

/// Seconds of processor time used so far by all threads of this process (Linux
/// `/proc/self/task/*/schedstat`, nanoseconds), or 0 where that is not available.
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .sum::<f64>()
        / 1e9
}

/// Wall-clock and processor seconds per call of `f`, over `reps` calls. On a loaded machine
/// the processor time is the steadier figure.
fn timed(reps: usize, mut f: impl FnMut()) -> (f64, f64) {
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    for _ in 0..reps {
        f();
    }
    let reps = reps as f64;
    (
        wall.elapsed().as_secs_f64() / reps,
        (cpu_seconds() - cpu) / reps,
    )
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().is_some_and(|a| a == "--large-k") {
        large_k(&args[1..]);
        return;
    }
    if args.len() != 6 {
        eprintln!("usage: profile e_step|em_iteration|vb_iteration full|diag N D K repetitions");
        std::process::exit(2);
    }
    let number = |i: usize| -> usize {
        args[i].parse().unwrap_or_else(|_| {
            eprintln!("argument {i} ({}) is not a whole number", args[i]);
            std::process::exit(2)
        })
    };
    let kind = match args[1].as_str() {
        "full" => CovarianceType::Full,
        "diag" => CovarianceType::Diagonal,
        other => {
            eprintln!("covariance must be full or diag, not {other}");
            std::process::exit(2)
        }
    };
    let (n, d, k, reps) = (number(2), number(3), number(4), number(5));
    let data = common::data(n, d, k);
    match args[0].as_str() {
        "e_step" => {
            let kernel = common::mid_fit_kernel(d, k, kind);
            black_box(
                kernel
                    .e_step(&data, kind.scatter_kind())
                    .expect(common::SAME_D),
            );
            let (wall, cpu) = timed(reps, || {
                black_box(
                    kernel
                        .e_step(black_box(&data), kind.scatter_kind())
                        .expect(common::SAME_D),
                );
            });
            let flops = common::e_step_flops(n, d, k, kind);
            println!(
                "e_step {} N={n} D={d} K={k}: {wall:.6} s per call, cpu {cpu:.6} s per call, \
                 {:.3} GFLOP/s of cpu time ({:.3e} flop)",
                kind.name(),
                flops / cpu / 1e9,
                flops
            );
        }
        "e_step_f32" => {
            let (values, model) = (common::narrowed(&data), common::mid_fit_model(d, k, kind));
            let mut source = gmm::core::SliceSource::from_f32(&values, d).expect("valid points");
            let mut passes = common::checked_passes(&mut source);
            let out = common::e_step_f32(&mut passes, &model, kind);
            assert_eq!(
                out.lanes,
                gmm::core::Precision::F32,
                "the E-step fell back to f64"
            );
            let (wall, cpu) = timed(reps, || {
                black_box(common::e_step_f32(black_box(&mut passes), &model, kind));
            });
            let flops = common::e_step_flops(n, d, k, kind);
            println!(
                "e_step_f32 {} N={n} D={d} K={k}: {wall:.6} s per call, cpu {cpu:.6} s per call, \
                 {:.3} GFLOP/s of cpu time ({:.3e} flop)",
                kind.name(),
                flops / cpu / 1e9,
                flops
            );
        }
        "em_iteration_f32" => {
            let (values, model) = (common::narrowed(&data), common::mid_fit_model(d, k, kind));
            let mut source = gmm::core::SliceSource::from_f32(&values, d).expect("valid points");
            let mut passes = common::checked_passes(&mut source);
            let (wall, cpu) = timed(reps, || {
                black_box(common::em_iteration_f32(black_box(&mut passes), &model));
            });
            println!(
                "em_iteration_f32 {} N={n} D={d} K={k}: {wall:.6} s per call, cpu {cpu:.6} s per call",
                kind.name()
            );
        }
        "em_iteration" => {
            let model = common::mid_fit_model(d, k, kind);
            let (wall, cpu) = timed(reps, || {
                black_box(common::em_iteration(black_box(&data), &model));
            });
            println!(
                "em_iteration {} N={n} D={d} K={k}: {wall:.6} s per call, cpu {cpu:.6} s per call",
                kind.name()
            );
        }
        "vb_iteration" => {
            let (priors, state) = common::vb_start(&data, d, k, kind);
            let (wall, cpu) = timed(reps, || {
                black_box(common::vb_iteration(black_box(&data), &state, &priors));
            });
            println!(
                "vb_iteration {} N={n} D={d} K={k}: {wall:.6} s per call, cpu {cpu:.6} s per call",
                kind.name()
            );
        }
        "predict_proba" | "score_samples" => {
            use gmm::core::MixtureModel;
            let model = common::mid_fit_model(d, k, kind);
            let (wall, cpu) = timed(reps, || match args[0].as_str() {
                "predict_proba" => drop(black_box(model.predict_proba(black_box(&data)))),
                _ => drop(black_box(model.score_samples(black_box(&data)))),
            });
            println!(
                "{} {} N={n} D={d} K={k}: {wall:.6} s per call, cpu {cpu:.6} s per call",
                args[0],
                kind.name()
            );
        }
        other => {
            eprintln!("unknown step {other}");
            std::process::exit(2)
        }
    }
}

/// The dimension of the large-K runs.
const LARGE_K_D: usize = 8;

/// The numbers of components of the large-K runs.
const LARGE_KS: [usize; 3] = [8, 64, 256];

/// `--large-k [N] [REPS]`: one EM and one VB iteration at (N, 8, K) for every K of
/// [`LARGE_KS`], full covariances, each timed over REPS calls after one untimed call; prints
/// the seconds per iteration and per component (wall-clock and processor time, the steadier
/// figure on a shared machine) and the bytes of one batch of chunk statistics
/// (`32 K (D + D^2)` values), so that a quadratic term in K would show as a cost per
/// component that grows with K.
fn large_k(args: &[String]) {
    let number = |i: usize, default: usize| -> usize {
        args.get(i).map_or(default, |a| {
            a.parse::<f64>()
                .ok()
                .filter(|v| *v >= 1.0 && v.fract() == 0.0)
                .map(|v| v as usize)
                .unwrap_or_else(|| {
                    eprintln!("usage: profile --large-k [N] [REPS] (whole numbers, not {a})");
                    std::process::exit(2)
                })
        })
    };
    let (n, reps, d) = (number(0, 1_000_000), number(1, 3), LARGE_K_D);
    let kind = CovarianceType::Full;
    println!(
        "large K: N={n} D={d} full, {reps} timed calls each, {} cores",
        std::thread::available_parallelism().map_or(1, |c| c.get())
    );
    println!(
        "{:>4} {:>4} {:>10} {:>10} {:>12} {:>12} {:>10}",
        "K", "step", "wall s", "cpu s", "wall ms/K", "cpu ms/K", "stats MiB"
    );
    for k in LARGE_KS {
        let data = common::data(n, d, k);
        let model = common::mid_fit_model(d, k, kind);
        black_box(common::em_iteration(&data, &model));
        let em = timed(reps, || {
            black_box(common::em_iteration(black_box(&data), &model));
        });
        let (priors, state) = common::vb_start(&data, d, k, kind);
        black_box(common::vb_iteration(&data, &state, &priors));
        let vb = timed(reps, || {
            black_box(common::vb_iteration(black_box(&data), &state, &priors));
        });
        let stats_mib = (32 * k * (d + d * d) * 8) as f64 / (1024.0 * 1024.0);
        for (step, (wall, cpu)) in [("em", em), ("vb", vb)] {
            println!(
                "{k:>4} {step:>4} {wall:>10.4} {cpu:>10.4} {:>12.3} {:>12.3} {stats_mib:>10.2}",
                1e3 * wall / k as f64,
                1e3 * cpu / k as f64,
            );
        }
    }
}
