use nalgebra::{DMatrix, DVector};

use super::*;
use crate::simd::{LANES, Lane, exp_f32_lanes, exp_lanes, ln_lanes};
use crate::stats::TransposedChunk;

#[test]
fn logsumexp_is_stable() {
    assert_eq!(logsumexp(&[]), f64::NEG_INFINITY);
    assert_eq!(
        logsumexp(&[f64::NEG_INFINITY, f64::NEG_INFINITY]),
        f64::NEG_INFINITY
    );
    let v = logsumexp(&[-1000.0, -1000.0]);
    assert!((v - (-1000.0 + 2f64.ln())).abs() < 1e-12);
    assert!((logsumexp(&[1000.0, 0.0]) - 1000.0).abs() < 1e-12);
}

#[test]
fn log_rho_matches_a_direct_computation_for_every_factor_type() {
    // D = 1 to 9 (each D up to 8 has its own unrolled loop, `packed_log_rho_of_d`) and 37
    // points: not a multiple of the lane count, so the padding is used.
    for d in 1..=9 {
        log_rho_matches_a_direct_computation(37, d);
    }
    // D = 17 and 150 points: the chunk's log densities are computed in blocks of points
    // (`points_per_block`: 120 here), the last one partial.
    log_rho_matches_a_direct_computation(150, 17);
}

/// The log densities and the E-step of `n` points in `d` dimensions for three components
/// of every factor type against a direct computation.
fn log_rho_matches_a_direct_computation(n: usize, d: usize) {
    let k = 3;
    let pts: Vec<f64> = (0..n * d)
        .map(|i| 1e3 + ((i * 7919) % 997) as f64 / 97.0)
        .collect();
    let means = DMatrix::from_fn(k, d, |c, j| 1e3 + (c * 3 + j) as f64);
    let upper = |s: f64| {
        DMatrix::from_fn(d, d, |i, j| {
            if i <= j {
                s * (1.0 + (i + 2 * j) as f64 / 7.0)
            } else {
                0.0
            }
        })
    };
    let constants = vec![-1.0, -2.5, f64::NEG_INFINITY];
    let kinds = [
        PrecisionCholesky::Full((0..k).map(|c| upper(0.3 + c as f64 * 0.1)).collect()),
        PrecisionCholesky::Tied(upper(0.4)),
        PrecisionCholesky::Diagonal(
            (0..k)
                .map(|c| DVector::from_fn(d, |j, _| 0.5 + (c + j) as f64 / 9.0))
                .collect(),
        ),
        PrecisionCholesky::Spherical(vec![0.7, 1.3, 0.2]),
    ];
    for factors in kinds {
        let kernel = EStepKernel::new(&means, &factors, constants.clone()).unwrap();
        let mut got = vec![0.0; n * k];
        kernel.log_rho_into(&pts, &mut got).unwrap();
        for p in 0..n {
            let x = DVector::from_row_slice(&pts[p * d..(p + 1) * d]);
            for c in 0..k {
                let diff = &x - means.row(c).transpose();
                let factor = match &factors {
                    PrecisionCholesky::Full(ps) => ps[c].clone(),
                    PrecisionCholesky::Tied(pm) => pm.clone(),
                    PrecisionCholesky::Diagonal(vs) => DMatrix::from_diagonal(&vs[c]),
                    PrecisionCholesky::Spherical(v) => DMatrix::identity(d, d) * v[c],
                };
                let want = constants[c] - 0.5 * (factor.transpose() * diff).norm_squared();
                let g = got[p * k + c];
                assert!(
                    g == want || (g - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "{factors:?} point {p} component {c}: {g} vs {want}"
                );
            }
        }
        // The E-step's responsibilities are those of the log densities.
        let data = Dataset::from_row_major(n, d, pts.clone()).unwrap();
        let out = kernel.e_step(&data, ScatterKind::Full).unwrap();
        let direct: f64 = got.chunks_exact(k).map(logsumexp).sum();
        assert!((out.log_norm_sum - direct).abs() <= 1e-12 * direct.abs());
        assert!((out.stats.total() - n as f64).abs() < 1e-12 * n as f64);
        assert_eq!(
            out.stats.n_k()[2],
            0.0,
            "a component of weight zero gets nothing"
        );
        // The portable path (no FMA) agrees with the one the processor runs.
        let mut work = TransposedChunk::<f64>::default();
        let plain = kernel.chunk_e_step_generic::<false, f64, f64>(
            &pts,
            None,
            data.row(0),
            ScatterKind::Full,
            &mut work,
        );
        assert!((plain.log_norm_sum - out.log_norm_sum).abs() <= 1e-12 * direct.abs());
        for c in 0..2 {
            let (a, b) = (plain.stats.scatter(c), out.stats.scatter(c));
            assert!((&a - &b).abs().max() <= 1e-10 * b.abs().max());
        }
    }
}

/// A register function of the tests on `lanes` through its portable copy and, where the
/// processor has AVX2 and FMA, its fast copy: `(fused, results)` for each.
fn both_copies<T: Copy>(
    lanes: [T; LANES],
    portable: fn([T; LANES]) -> [T; LANES],
    fused: fn([T; LANES]) -> [T; LANES],
) -> Vec<(bool, [T; LANES])> {
    let mut results = vec![(false, portable(lanes))];
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2_fma() {
        results.push((true, fused(lanes)));
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = fused;
    results
}

/// Distance in units in the last place between two finite positive or negative `f64`.
fn ulps(a: f64, b: f64) -> u64 {
    let key = |v: f64| {
        let bits = v.to_bits() as i64;
        if bits < 0 { i64::MIN - bits } else { bits }
    };
    key(a).abs_diff(key(b))
}

#[test]
fn vector_ln_is_within_one_ulp_of_the_standard_library() {
    // The E-step takes ln of sums of exponentials in [1, K]; the whole normal range is
    // checked too, mantissas near sqrt(2) / 2 and sqrt(2) (where the reduction switches) and
    // near 1 (where ln is small and its relative error largest) included.
    let mut checked = 0;
    let mut worst = 0;
    let mut check = |lanes: [f64; LANES]| {
        let results = both_copies(lanes, ln_lanes::<false>, ln_lanes::<true>);
        for (fused, got) in results {
            for l in 0..LANES {
                let want = lanes[l].ln();
                let off = ulps(got[l], want);
                assert!(
                    off <= 1,
                    "ln({:e}) fused={fused}: {:e} vs {want:e}",
                    lanes[l],
                    got[l]
                );
                worst = worst.max(off);
                checked += 1;
            }
        }
    };
    for i in 0..20_000 {
        let x = 1.0 + 255.0 * i as f64 / 19_999.0;
        check(std::array::from_fn(|l| x * (1.0 + l as f64 * 1e-9)));
    }
    for e in -1020..1020 {
        let base = 2f64.powi(e);
        let (root_half, root_two) = (std::f64::consts::FRAC_1_SQRT_2, std::f64::consts::SQRT_2);
        let below = |v: f64| f64::from_bits(v.to_bits() - 1);
        let mantissas = [
            below(root_half),
            root_half,
            1.0,
            1.0 + 1e-12,
            below(root_two),
            root_two,
            below(2.0),
            1.3,
        ];
        check(mantissas.map(|m| base * m));
    }
    assert!(
        checked > 200_000 && worst <= 1,
        "the comparison ran ({checked} values)"
    );
    // lanes outside the normal positive range take the standard library's results exactly
    let edges = [
        0.0,
        -1.0,
        f64::INFINITY,
        f64::NAN,
        1e-310,
        1.0,
        2.0,
        f64::MAX,
    ];
    for (_, got) in both_copies(edges, ln_lanes::<false>, ln_lanes::<true>) {
        assert_eq!(got[0], f64::NEG_INFINITY);
        assert!(got[1].is_nan() && got[3].is_nan());
        assert_eq!(got[2], f64::INFINITY);
        assert_eq!(got[4], 1e-310f64.ln());
        assert_eq!(got[5], 0.0);
        assert!(ulps(got[6], std::f64::consts::LN_2) <= 1 && ulps(got[7], f64::MAX.ln()) <= 1);
    }
}

#[test]
fn vector_exp_matches_the_standard_library() {
    let mut worst = 0.0f64;
    for i in 0..20_000 {
        let x = -708.0 + 1417.0 * i as f64 / 19_999.0;
        let mut lanes = [0.0; LANES];
        for (l, v) in lanes.iter_mut().enumerate() {
            *v = x - l as f64 * 1e-3;
        }
        let results = both_copies(lanes, exp_lanes::<false>, exp_lanes::<true>);
        for (fused, got) in results {
            for l in 0..LANES {
                let want = lanes[l].exp();
                let rel = ((got[l] - want) / want).abs();
                assert!(
                    rel < 1e-15,
                    "exp({}) fused={fused}: {} vs {want}",
                    lanes[l],
                    got[l]
                );
                worst = worst.max(rel);
            }
        }
    }
    assert!(worst > 0.0, "the comparison ran");
    let edges = [
        f64::NEG_INFINITY,
        -800.0,
        -708.5,
        0.0,
        1.0,
        800.0,
        f64::NAN,
        -1e-300,
    ];
    for (_, edge) in both_copies(edges, exp_lanes::<false>, exp_lanes::<true>) {
        assert_eq!(&edge[..4], &[0.0, 0.0, 0.0, 1.0]);
        assert!((edge[4] - std::f64::consts::E).abs() < 1e-15);
        assert_eq!(edge[5], f64::INFINITY);
        assert!(edge[6].is_nan());
        assert_eq!(edge[7], 1.0);
    }
}

#[test]
fn single_precision_exp_is_within_a_few_ulp_of_f32() {
    // Against the f64 exp of the same f32 argument, over the whole range the E-step asks
    // for (the differences from a point's largest log density, <= 0) and beyond.
    let mut worst = 0.0f64;
    for i in 0..20_000 {
        let x = -87.0 + 175.0 * i as f64 / 19_999.0;
        let lanes: [f32; LANES] = std::array::from_fn(|l| (x - l as f64 * 1e-3) as f32);
        for (fused, got) in both_copies(lanes, exp_f32_lanes::<false>, exp_f32_lanes::<true>) {
            for l in 0..LANES {
                let want = f64::from(lanes[l]).exp();
                let rel = ((f64::from(got[l]) - want) / want).abs();
                assert!(
                    rel < 4.0 * f64::from(f32::EPSILON),
                    "exp({}) fused={fused}: {} vs {want}",
                    lanes[l],
                    got[l]
                );
                worst = worst.max(rel);
            }
        }
    }
    assert!(worst > 0.0, "the comparison ran");
    let edges = [
        f32::NEG_INFINITY,
        -100.0,
        -87.5,
        0.0,
        1.0,
        100.0,
        f32::NAN,
        -1e-30,
    ];
    for (_, edge) in both_copies(edges, exp_f32_lanes::<false>, exp_f32_lanes::<true>) {
        assert_eq!(&edge[..4], &[0.0, 0.0, 0.0, 1.0]);
        assert!((edge[4] - std::f32::consts::E).abs() <= f32::EPSILON * 3.0);
        assert_eq!(edge[5], f32::INFINITY);
        assert!(edge[6].is_nan());
        assert_eq!(edge[7], 1.0);
    }
}

#[test]
fn chunked_e_step_equals_one_chunk() {
    // More points than one chunk holds, so the parallel path and the merge are used.
    let d = 2;
    let n = EStepKernel::chunk_rows(d) * 3 + 17;
    let pts: Vec<f64> = (0..n * d)
        .map(|i| ((i * 7919) % 1000) as f64 / 100.0)
        .collect();
    let data = Dataset::from_row_major(n, d, pts.clone()).unwrap();
    let means = DMatrix::from_row_slice(2, 2, &[2.0, 2.0, 7.0, 7.0]);
    let p = DMatrix::from_row_slice(2, 2, &[0.5, 0.1, 0.0, 0.4]);
    let kernel = EStepKernel::new(&means, &PrecisionCholesky::Tied(p), vec![-1.0, -1.5]).unwrap();
    let all = kernel.e_step(&data, ScatterKind::Full).unwrap();
    let mut buf = Vec::new();
    let one = e_step_chunk(&kernel, &pts, data.row(0), ScatterKind::Full, &mut buf);
    assert_eq!(all.n_samples, n);
    assert!((all.log_norm_sum - one.log_norm_sum).abs() < 1e-10 * one.log_norm_sum.abs());
    for c in 0..2 {
        assert!((all.stats.n_k()[c] - one.stats.n_k()[c]).abs() < 1e-9);
        assert!(
            (all.stats.scatter(c) - one.stats.scatter(c)).abs().max()
                < 1e-9 * one.stats.scatter(c).abs().max()
        );
    }
    let log_norm = kernel.log_norm(&data).unwrap();
    assert!(
        (log_norm.iter().sum::<f64>() - all.log_norm_sum).abs() < 1e-9 * all.log_norm_sum.abs()
    );
}

/// The E-step over one chunk, reusing `buf` as its workspace (instead of the per-thread one).
fn e_step_chunk(
    kernel: &EStepKernel,
    chunk: &[f64],
    origin: &[f64],
    kind: ScatterKind,
    buf: &mut Vec<f64>,
) -> EStepOutput {
    let mut work = TransposedChunk {
        xt: std::mem::take(buf),
        ..TransposedChunk::default()
    };
    let out = kernel.chunk_e_step(chunk, None, origin, kind, &mut work);
    *buf = work.xt;
    out
}

/// `sum_j (sum_{i <= j} P_ij diff_i)^2` per lane (`W` of them), one column at a time from
/// the factors packed column by column, with unfused products: what the blocked product
/// must equal.
fn column_by_column<T: crate::simd::Lane, const W: usize>(
    columns: &[T],
    diff: &[T],
    d: usize,
) -> [T; W] {
    let mut q = [T::default(); W];
    let mut off = 0;
    for j in 0..d {
        let mut y = [T::default(); W];
        for i in 0..=j {
            for l in 0..W {
                y[l] = columns[off + i] * diff[i * W + l] + y[l];
            }
        }
        for l in 0..W {
            q[l] = y[l] * y[l] + q[l];
        }
        off += j + 1;
    }
    q
}

/// The blocked product of `W` points (two registers of `T`) against [`column_by_column`].
fn blocked_product_equals_columns<T: crate::simd::Lane, const W: usize>() {
    use super::triangular::{blocked_layout, whitened_square_norm};
    // Every D from 1 to 21: whole blocks of 4 columns and remaining columns; two
    // components, the second read from offset. (The loop unrolled for D <= 8 is checked
    // through the log densities, `log_rho_matches_a_direct_computation`.)
    for d in 1..=21 {
        let len = d * (d + 1) / 2;
        let k = 2;
        let columns: Vec<T> = (0..k * len)
            .map(|i| T::from_f64(0.3 + ((i * 37) % 23) as f64 / 11.0))
            .collect();
        let blocks = blocked_layout(&columns, k, d);
        assert_eq!(blocks.len(), columns.len());
        let diff: Vec<T> = (0..d * W)
            .map(|i| T::from_f64(((i * 53) % 29) as f64 / 7.0 - 2.0))
            .collect();
        for c in 0..k {
            let p = &blocks[c * len..(c + 1) * len];
            let got = whitened_square_norm::<false, T, W>(p, &diff, d);
            let want = column_by_column::<T, W>(&columns[c * len..(c + 1) * len], &diff, d);
            assert_eq!(got, want, "D = {d}, component {c}");
        }
    }
}

#[test]
fn blocked_triangular_product_equals_the_columns_one_by_one() {
    blocked_product_equals_columns::<f64, 8>();
    blocked_product_equals_columns::<f32, 16>();
}

#[test]
fn scaled_register_sums_equal_one_lane_at_a_time() {
    scaled_register_sums_equal_lanes::<f64>();
    scaled_register_sums_equal_lanes::<f32>();
}

/// `add_scaled_register` of `T` (portable, and AVX2 + FMA where the processor has them)
/// adds the same bits as widening, scaling and adding one lane at a time, for scales that
/// round (1/3) and the exact 1.
fn scaled_register_sums_equal_lanes<T: Lane>() {
    let n = T::REGISTER_LANES;
    let values: Vec<T> = (0..n)
        .map(|l| T::from_f64((l as f64 + 0.7).powi(3) / 7.0 - 3.1))
        .collect();
    let start: Vec<f64> = (0..n).map(|l| 1e3 / (l as f64 + 1.3)).collect();
    for scale in [1.0, 1.0 / 3.0, 2.5e-7] {
        let expected: Vec<f64> = start
            .iter()
            .zip(&values)
            .map(|(s, v)| s + scale * v.to_f64())
            .collect();
        let mut portable = start.clone();
        let register = T::load_register::<false>(&values);
        T::add_scaled_register::<false>(register, scale, &mut portable, false);
        assert_eq!(portable, expected, "portable, scale {scale}");
        // fresh: the same bits as adding to zeros, whatever `sums` held
        let onto_zeros: Vec<f64> = values.iter().map(|v| 0.0 + scale * v.to_f64()).collect();
        let mut fresh = start.clone();
        T::add_scaled_register::<false>(register, scale, &mut fresh, true);
        assert_eq!(fresh, onto_zeros, "portable, fresh, scale {scale}");
        #[cfg(target_arch = "x86_64")]
        if crate::simd::has_avx2_fma() {
            let register = T::load_register::<true>(&values);
            let mut wide = start.clone();
            T::add_scaled_register::<true>(register, scale, &mut wide, false);
            assert_eq!(wide, expected, "AVX2 + FMA, scale {scale}");
            let mut fresh = start.clone();
            T::add_scaled_register::<true>(register, scale, &mut fresh, true);
            assert_eq!(fresh, onto_zeros, "AVX2 + FMA, fresh, scale {scale}");
        }
    }
}

#[test]
fn batches_are_whole_chunks_of_at_most_4_mib() {
    for d in [1, 2, 8, 9, 16, 32, 64, 1000, 100_000] {
        let (chunk, batch) = (EStepKernel::chunk_rows(d), EStepKernel::batch_rows(d));
        assert_eq!(batch % chunk, 0, "D = {d}: whole chunks");
        assert!(
            (1..=32).contains(&(batch / chunk)),
            "D = {d}: 1 to 32 chunks"
        );
        // A batch holds more than 4 MiB only when one chunk does (the 64 rows minimum).
        assert!(
            batch * d * 8 <= (4 << 20) || batch == chunk,
            "D = {d}: {batch} rows"
        );
    }
    // D = 8: 32 chunks of 2048 points, 4 MiB (the figure docs/maths.md gives).
    assert_eq!(EStepKernel::batch_rows(8), 65_536);
    assert_eq!(EStepKernel::batch_rows(32) * 32 * 8, 4 << 20);
}

/// Log densities of `rows` points (padded to `stride`) for `k` components, component-major:
/// some of large magnitude, one `-inf`, one far below the rest (its responsibility under
/// `f32`'s range).
fn hard_log_densities(rows: usize, stride: usize, k: usize) -> Vec<f64> {
    let mut resp = vec![0.0; k * stride];
    for c in 0..k {
        for n in 0..rows {
            let base = if n % 3 == 0 { -1.0e4 } else { -3.0 };
            resp[c * stride + n] = base - ((n * 31 + c * 17) % 23) as f64 / 4.0;
        }
    }
    resp[stride + 1] = f64::NEG_INFINITY;
    resp[2] = -500.0;
    resp
}

/// The responsibilities with the exponentials in `f32` lanes against those in `f64` lanes,
/// with and without weights, on the portable copy and (where the processor has them) the
/// AVX2 + FMA one.
fn f32_lane_responsibilities_match_f64<const FMA: bool>() {
    use super::responsibilities::{responsibilities_in_f32_lanes, responsibilities_in_place};
    let (rows, stride, k) = (13, 16, 5);
    let weights: Vec<f64> = (0..rows).map(|n| 0.5 + n as f64).collect();
    for w in [None, Some(&weights[..])] {
        let mut wide = hard_log_densities(rows, stride, k);
        let mut narrow = wide.clone();
        let (norm, entropy) = responsibilities_in_place::<FMA>(&mut wide, (rows, stride), k, w);
        let (norm32, entropy32) =
            responsibilities_in_f32_lanes::<FMA>(&mut narrow, (rows, stride), k, w);
        let total_weight: f64 = w.map_or(rows as f64, |w| w.iter().sum());
        assert!(norm.is_finite() && entropy.is_finite() && entropy < 0.0);
        assert!(
            (norm - norm32).abs() <= 1e-6 * total_weight,
            "{norm} vs {norm32}"
        );
        assert!(
            (entropy - entropy32).abs() <= 1e-6 * entropy.abs(),
            "{entropy} vs {entropy32}"
        );
        for c in 0..k {
            for n in 0..stride {
                let (a, b) = (wide[c * stride + n], narrow[c * stride + n]);
                let weight = w.map_or(1.0, |w| w.get(n).copied().unwrap_or(0.0));
                assert!(
                    (a - b).abs() <= 3e-7 * weight,
                    "point {n} component {c}: {a} vs {b}"
                );
                if n >= rows || (c, n) == (1, 1) || (c, n) == (0, 2) {
                    assert_eq!(b, 0.0, "padding, -inf and e^-497 give 0 in f32 lanes");
                }
            }
        }
    }
}

#[test]
fn responsibilities_in_f32_lanes_match_those_in_f64_lanes() {
    f32_lane_responsibilities_match_f64::<false>();
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2_fma() {
        f32_lane_responsibilities_match_f64::<true>();
    }
}

/// Every public entry of the kernel answers arguments of the wrong size with
/// `ShapeMismatch` naming what differs, never a panic: data of another dimension for the
/// E-step and each query, a ragged chunk or an output buffer of the wrong size for
/// `log_rho_into`, a batch whose weights, origin or running total disagree with it for
/// `e_step_batch`, and a point of another dimension for `nearest_in_the_limit`.
#[test]
fn wrong_sizes_are_errors_naming_what_differs() {
    let means = DMatrix::from_row_slice(2, 2, &[0.0, 0.0, 3.0, 1.0]);
    let kernel = EStepKernel::new(
        &means,
        &PrecisionCholesky::Spherical(vec![1.0, 2.0]),
        vec![0.0; 2],
    )
    .unwrap();
    let mismatch = |what: &str, r: Result<()>| match r {
        Err(GmmError::ShapeMismatch { what: found, .. }) => {
            assert!(found.contains(what), "{found:?} should name {what:?}")
        }
        other => panic!("{what}: expected ShapeMismatch, got {other:?}"),
    };
    let three_d = Dataset::from_row_major(4, 3, vec![0.0; 12]).unwrap();
    let features = "number of features";
    mismatch(
        features,
        kernel.e_step(&three_d, ScatterKind::Full).map(drop),
    );
    mismatch(features, kernel.log_norm(&three_d).map(drop));
    mismatch(features, kernel.log_resp(&three_d).map(drop));
    mismatch(features, kernel.resp(&three_d).map(drop));
    mismatch(features, kernel.log_max_resp(&three_d).map(drop));
    mismatch(features, kernel.argmax(&three_d).map(drop));
    mismatch(
        "coordinates of the point",
        kernel.nearest_in_the_limit(&[1.0]).map(drop),
    );

    mismatch(
        "values of the chunk",
        kernel.log_rho_into(&[1.0; 5], &mut [0.0; 4]),
    );
    mismatch(
        "output buffer",
        kernel.log_rho_into(&[1.0; 6], &mut [0.0; 5]),
    );

    let origin = [0.0, 0.0];
    let batch = [1.0; 8];
    let total = || EStepOutput::zeros(2, &origin, ScatterKind::Full);
    let run = |points: &[f64], weights: Option<&[f64]>, origin: &[f64], total: &mut EStepOutput| {
        kernel.e_step_batch(points.into(), weights, origin, ScatterKind::Full, total)
    };
    mismatch(
        "values of the batch",
        run(&batch[..7], None, &origin, &mut total()),
    );
    mismatch(
        "weights of the batch",
        run(&batch, Some(&[1.0; 3]), &origin, &mut total()),
    );
    mismatch(
        "coordinates of the origin",
        run(&batch, None, &[0.0], &mut total()),
    );
    let mut three = EStepOutput::zeros(3, &origin, ScatterKind::Full);
    mismatch(
        "components of the running total",
        run(&batch, None, &origin, &mut three),
    );
    let mut wide = EStepOutput::zeros(2, &[0.0; 3], ScatterKind::Full);
    mismatch(
        "features of the running total",
        run(&batch, None, &origin, &mut wide),
    );
    let mut diagonal = EStepOutput::zeros(2, &origin, ScatterKind::Diagonal);
    mismatch("scatter entries", run(&batch, None, &origin, &mut diagonal));

    // The same calls with the right sizes succeed, and the batch is the in-memory E-step.
    let mut out = total();
    run(&batch, Some(&[1.0; 4]), &origin, &mut out).unwrap();
    let data = Dataset::from_row_major(4, 2, batch.to_vec()).unwrap();
    let whole = kernel.e_step(&data, ScatterKind::Full).unwrap();
    assert_eq!(out.log_norm_sum, whole.log_norm_sum);
    assert_eq!(out.stats.n_k(), whole.stats.n_k());
    let mut log_rho = [0.0; 6];
    kernel.log_rho_into(&[1.0; 6], &mut log_rho).unwrap();
    assert_eq!(kernel.nearest_in_the_limit(&[2.9, 1.1]).unwrap(), 1);

    // A kernel of zero features (whose sizes could not be checked without dividing by
    // zero) is refused when it is made.
    let none = EStepKernel::new(
        &DMatrix::zeros(2, 0),
        &PrecisionCholesky::Spherical(vec![1.0, 1.0]),
        vec![0.0; 2],
    );
    assert!(matches!(none, Err(GmmError::ZeroFeatures)), "{none:?}");
}
