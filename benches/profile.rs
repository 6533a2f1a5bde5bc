//! A fixed-work harness for profilers (`perf stat`, `perf record`, `valgrind --tool=callgrind`)
//! and for timing outside criterion: runs one step a given number of times on one problem and
//! prints the wall-clock seconds per call and the achieved GFLOP/s of the E-step.
//!
//! ```text
//! cargo bench --bench profile -- e_step full 100000 8 8 20
//! ```
//!
//! Arguments: what (`e_step`, `em_iteration` or `vb_iteration`), covariance (`full` or `diag`), N, D, K, repetitions.

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
            black_box(kernel.e_step(&data, kind.scatter_kind()));
            let (wall, cpu) = timed(reps, || {
                black_box(kernel.e_step(black_box(&data), kind.scatter_kind()));
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
        other => {
            eprintln!("unknown step {other}");
            std::process::exit(2)
        }
    }
}
