//! Criterion benchmark of the shared E-step alone (kernel, logsumexp and sufficient
//! statistics, merged over chunks) at the sizes of issue 6, full and diagonal covariance.
//!
//! Run with `cargo bench --bench e_step`; `python3 scripts/criterion_table.py` then turns
//! criterion's estimates into seconds and achieved GFLOP/s (the flop count is
//! `common::e_step_flops`, documented in docs/performance.md).

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn e_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("e_step");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (n, d, k) in common::SIZES {
        let data = common::data(n, d, k);
        for kind in common::TYPES {
            let kernel = common::mid_fit_kernel(d, k, kind);
            group.throughput(Throughput::Elements(n as u64));
            group.bench_function(common::label(kind, n, d, k), |b| {
                b.iter(|| {
                    black_box(
                        kernel
                            .e_step(black_box(&data), kind.scatter_kind())
                            .expect(common::SAME_D),
                    )
                })
            });
        }
    }
    group.finish();
}

/// The E-step with sample weights beside the same E-step without (issue 13: a weighted
/// iteration may cost at most 1.1x an unweighted one). Weights 0..=3 in a fixed pattern.
fn weighted_e_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("weighted_e_step");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let (n, d, k) = (100_000, 8, 8);
    let data = common::data(n, d, k);
    let weights: Vec<f64> = (0..n).map(|i| (i % 4) as f64).collect();
    let weighted = data.clone().with_weights(weights).expect("valid weights");
    for kind in common::TYPES {
        let kernel = common::mid_fit_kernel(d, k, kind);
        group.throughput(Throughput::Elements(n as u64));
        for (name, data) in [("unweighted", &data), ("weighted", &weighted)] {
            let label = format!("{}/{name}", common::label(kind, n, d, k));
            group.bench_function(label, |b| {
                b.iter(|| {
                    black_box(
                        kernel
                            .e_step(black_box(data), kind.scatter_kind())
                            .expect(common::SAME_D),
                    )
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, e_step, weighted_e_step);
criterion_main!(benches);
