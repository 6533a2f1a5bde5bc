//! Criterion benchmarks of one EM iteration (E-step and M-step), one VB iteration (E-step,
//! M-step and full ELBO) and whole fits (tol 0, [`FIT_ITERATIONS`] iterations from given
//! means) at the sizes of issue 6, full and diagonal covariance.
//!
//! Run with `cargo bench --bench em_vb`; see docs/performance.md.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Iterations of the whole-fit benches (a fixed count: tol 0).
const FIT_ITERATIONS: usize = 20;

fn iterations(c: &mut Criterion) {
    for (n, d, k) in common::SIZES {
        let data = common::data(n, d, k);
        for kind in common::TYPES {
            let name = common::label(kind, n, d, k);
            let model = common::mid_fit_model(d, k, kind);
            let mut group = c.benchmark_group("em_iteration");
            group
                .sample_size(10)
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(2))
                .throughput(Throughput::Elements(n as u64));
            group.bench_function(&name, |b| {
                b.iter(|| black_box(common::em_iteration(black_box(&data), &model)))
            });
            group.finish();

            let (priors, state) = common::vb_start(&data, d, k, kind);
            let mut group = c.benchmark_group("vb_iteration");
            group
                .sample_size(10)
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(2))
                .throughput(Throughput::Elements(n as u64));
            group.bench_function(&name, |b| {
                b.iter(|| black_box(common::vb_iteration(black_box(&data), &state, &priors)))
            });
            group.finish();
        }
    }
}

fn whole_fits(c: &mut Criterion) {
    for (n, d, k) in common::SIZES {
        let data = common::data(n, d, k);
        for kind in common::TYPES {
            let name = common::label(kind, n, d, k);
            let em = common::em_params(d, k, kind, FIT_ITERATIONS);
            let vb = common::vb_params(d, k, kind, FIT_ITERATIONS);
            let mut group = c.benchmark_group("fit");
            group
                .sample_size(10)
                .warm_up_time(Duration::from_millis(100))
                .measurement_time(Duration::from_secs(2));
            group.bench_function(format!("em/{name}"), |b| {
                b.iter(|| black_box(em.fit(black_box(&data)).expect("a fit")))
            });
            group.bench_function(format!("vb/{name}"), |b| {
                b.iter(|| black_box(vb.fit(black_box(&data)).expect("a fit")))
            });
            group.finish();
        }
    }
}

criterion_group!(benches, iterations, whole_fits);
criterion_main!(benches);
