use super::*;
use crate::simd::Lane;
use rand::{RngExt, SeedableRng, rngs::StdRng};

fn random_chunk(
    rng: &mut StdRng,
    rows: usize,
    d: usize,
    k: usize,
    offset: f64,
) -> (Vec<f64>, Vec<f64>) {
    let points: Vec<f64> = (0..rows * d)
        .map(|i| offset + (i % d) as f64 + rng.random::<f64>() * 3.0)
        .collect();
    let mut resp = vec![0.0; rows * k];
    for n in 0..rows {
        let row: Vec<f64> = (0..k).map(|_| rng.random::<f64>()).collect();
        let s: f64 = row.iter().sum();
        for c in 0..k {
            resp[n * k + c] = row[c] / s;
        }
    }
    (points, resp)
}

fn assert_close(a: &SufficientStats, b: &SufficientStats, rel: f64) {
    for k in 0..a.n_components() {
        let scale = b.n_k()[k].abs().max(1.0);
        assert!(
            (a.n_k()[k] - b.n_k()[k]).abs() <= rel * scale,
            "N_k differs"
        );
        let (ma, mb) = (a.mean(k), b.mean(k));
        assert!(
            (&ma - &mb).abs().max() <= rel * mb.abs().max().max(1.0),
            "mean differs: {ma} vs {mb}"
        );
        let (sa, sb) = (a.scatter(k), b.scatter(k));
        let err = (&sa - &sb).abs().max();
        assert!(
            err <= rel * sb.abs().max(),
            "scatter differs by {err:e} of {:e}",
            sb.abs().max()
        );
    }
}

#[test]
fn merging_any_split_equals_the_whole() {
    let mut rng = StdRng::seed_from_u64(7);
    for &offset in &[0.0, 1e6] {
        for kind in [ScatterKind::Full, ScatterKind::Diagonal] {
            let (d, k, rows) = (3, 4, 500);
            let (points, resp) = random_chunk(&mut rng, rows, d, k, offset);
            let origin = &points[0..d];
            let whole = SufficientStats::from_chunk(&points, &resp, None, k, origin, kind);
            for split in [1usize, 37, 250, 499] {
                let mut a = SufficientStats::from_chunk(
                    &points[..split * d],
                    &resp[..split * k],
                    None,
                    k,
                    origin,
                    kind,
                );
                let b = SufficientStats::from_chunk(
                    &points[split * d..],
                    &resp[split * k..],
                    None,
                    k,
                    origin,
                    kind,
                );
                a.merge(&b);
                assert_close(&a, &whole, 1e-12);
            }
            // many small chunks merged one after the other, with different origins
            let mut acc = SufficientStats::zeros(k, origin, kind);
            for (i, (pc, rc)) in points.chunks(7 * d).zip(resp.chunks(7 * k)).enumerate() {
                let o: Vec<f64> = origin.iter().map(|x| x + i as f64 * 1e-3).collect();
                acc.merge(&SufficientStats::from_chunk(pc, rc, None, k, &o, kind));
            }
            assert_close(&acc, &whole, 1e-12);
        }
    }
}

#[test]
fn hard_labels_give_cluster_means_and_scatter() {
    let points = [0.0, 2.0, 10.0, 14.0];
    let stats =
        SufficientStats::from_labels(&points, &[0, 0, 1, 1], None, 2, &[0.0], ScatterKind::Full);
    assert_eq!(stats.n_k(), &[2.0, 2.0]);
    assert_eq!(stats.mean(0)[0], 1.0);
    assert_eq!(stats.mean(1)[0], 12.0);
    assert_eq!(stats.scatter(0)[(0, 0)], 2.0);
    assert_eq!(stats.scatter(1)[(0, 0)], 8.0);
    assert_eq!(stats.pooled_scatter()[(0, 0)], 10.0);
}

#[test]
fn an_empty_component_merges_as_nothing() {
    let mut a = SufficientStats::zeros(2, &[0.0], ScatterKind::Diagonal);
    let b =
        SufficientStats::from_labels(&[1.0, 3.0], &[1, 1], None, 2, &[0.0], ScatterKind::Diagonal);
    a.merge(&b);
    assert_eq!(a, b);
}

#[test]
fn scatter_equals_a_direct_sum_for_every_block_shape() {
    // D from 1 to 10 meets every block of the rank update (one or two rows, one to four
    // columns), both the padded and unpadded strides (rows a multiple of 128 or not) and
    // chunks of one, two and three tiles.
    let mut rng = StdRng::seed_from_u64(11);
    for d in 1..=10 {
        for rows in [1, 37, 128, 300] {
            let k = 2;
            let (points, resp) = random_chunk(&mut rng, rows, d, k, 5.0);
            let origin = &points[0..d];
            let stats =
                SufficientStats::from_chunk(&points, &resp, None, k, origin, ScatterKind::Full);
            for c in 0..k {
                let n_k: f64 = (0..rows).map(|n| resp[n * k + c]).sum();
                let mean: Vec<f64> = (0..d)
                    .map(|i| {
                        (0..rows)
                            .map(|n| resp[n * k + c] * points[n * d + i])
                            .sum::<f64>()
                            / n_k
                    })
                    .collect();
                let got = stats.scatter(c);
                for a in 0..d {
                    for b in 0..d {
                        let want: f64 = (0..rows)
                            .map(|n| {
                                resp[n * k + c]
                                    * (points[n * d + a] - mean[a])
                                    * (points[n * d + b] - mean[b])
                            })
                            .sum();
                        // Relative to the diagonal, plus a floor for a single point, whose
                        // scatter is zero up to the rounding of its mean (about 1e-15 of x).
                        let scale = got[(a, a)].abs().max(got[(b, b)].abs());
                        assert!(
                            (got[(a, b)] - want).abs() <= 1e-12 * scale + 1e-20 * n_k,
                            "D {d}, {rows} rows, component {c}, entry ({a}, {b}): {} vs {want}",
                            got[(a, b)]
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn bytes_round_trip_exactly_for_both_kinds() {
    let mut rng = StdRng::seed_from_u64(11);
    let (points, resp) = random_chunk(&mut rng, 50, 3, 4, 1e3);
    for kind in [ScatterKind::Full, ScatterKind::Diagonal] {
        let stats = SufficientStats::from_chunk(&points, &resp, None, 4, &points[..3], kind);
        assert_eq!(
            SufficientStats::from_bytes(&stats.to_bytes()).unwrap(),
            stats
        );
    }
}

#[test]
fn malformed_bytes_are_errors_naming_the_cause() {
    let stats = SufficientStats::from_labels(
        &[0.0, 1.0, 5.0],
        &[0, 0, 1],
        None,
        2,
        &[0.0],
        ScatterKind::Full,
    );
    let good = String::from_utf8(stats.to_bytes()).unwrap();
    let cases: Vec<(String, &str)> = vec![
        (good[..good.len() / 2].to_string(), "EOF"),
        ("\u{0}\u{1}binary".into(), "expected value"),
        (good.replace("\"version\":1", "\"version\":2"), "version 2"),
        (good.replace("gmm-sufficient-stats", "other"), "format"),
        (
            good.replace("\"n_k\":[2.0,1.0]", "\"n_k\":[2.0,-1.0]"),
            "negative",
        ),
        (
            good.replace("\"n_k\":[2.0,1.0]", "\"n_k\":[2.0]"),
            "values, not the",
        ),
        (
            good.replace("\"n_features\":1", "\"n_features\":0"),
            "at least 1",
        ),
        (
            good.replace("\"n_k\":[2.0,1.0]", "\"n_k\":[2.0,1e999]"),
            "number out of range",
        ),
    ];
    for (text, expected) in cases {
        match SufficientStats::from_bytes(text.as_bytes()) {
            Err(crate::GmmError::InvalidParameter { reason, .. }) => {
                assert!(reason.contains(expected), "{reason:?} lacks {expected:?}")
            }
            other => panic!("{text:?} gave {other:?}"),
        }
    }
}

#[test]
fn check_mergeable_names_what_differs() {
    let a = SufficientStats::zeros(2, &[0.0, 0.0], ScatterKind::Full);
    assert!(a.check_mergeable(&a.clone()).is_ok());
    for other in [
        SufficientStats::zeros(3, &[0.0, 0.0], ScatterKind::Full),
        SufficientStats::zeros(2, &[0.0], ScatterKind::Full),
        SufficientStats::zeros(2, &[0.0, 0.0], ScatterKind::Diagonal),
    ] {
        assert!(matches!(
            a.check_mergeable(&other),
            Err(crate::GmmError::ShapeMismatch { .. })
        ));
    }
}

/// A component all but empty (VB at large K: responsibilities of 1e-310 and below, whose
/// count's reciprocal overflows) gets a finite mean within the points' range and a finite
/// scatter, for both scatter kinds; before, `1 / N_k` was infinite and the mean NaN, and
/// VB's M-step called the component collapsed (issue 22, item 11).
#[test]
fn subnormal_responsibilities_give_finite_statistics() {
    let d = 3;
    let rows = 40;
    let points: Vec<f64> = (0..rows * d).map(|i| 0.25 + (i % 7) as f64 * 0.5).collect();
    for tiny in [1e-310, 5e-324, 2e-320] {
        let mut resp = vec![0.0; rows * 2];
        for n in 0..rows {
            resp[n * 2] = 1.0;
            resp[n * 2 + 1] = if n % 3 == 0 { tiny } else { 0.0 };
        }
        for kind in [ScatterKind::Full, ScatterKind::Diagonal] {
            let stats = SufficientStats::from_chunk(&points, &resp, None, 2, &[0.0; 3], kind);
            assert!(stats.n_k()[1] > 0.0 && stats.n_k()[1] < 1e-300, "{tiny}");
            let mean = stats.mean(1);
            assert!(
                mean.iter()
                    .all(|m| m.is_finite() && (0.0..=4.0).contains(m)),
                "{tiny} {kind:?}: {mean}"
            );
            assert!(
                stats.scatter(1).iter().all(|s| s.is_finite()),
                "{tiny} {kind:?}"
            );
        }
    }
}

/// The statistics of `points` (row-major, `d` per point) summed in lanes of `T`, through the
/// chunk layout the E-step uses.
fn stats_in_lanes<T: crate::simd::Lane>(
    points: &[f64],
    resp: &[f64],
    d: usize,
    k: usize,
) -> SufficientStats {
    stats_in_workspace(&mut TransposedChunk::<T>::default(), points, resp, d, k)
}

/// [`stats_in_lanes`] in a given workspace (which may hold another chunk's buffers).
fn stats_in_workspace<T: crate::simd::Lane>(
    work: &mut TransposedChunk<T>,
    points: &[f64],
    resp: &[f64],
    d: usize,
    k: usize,
) -> SufficientStats {
    let origin = points[..d].to_vec();
    work.load::<false, f64>(points, &origin);
    let (rows, stride) = (points.len() / d, work.stride);
    let resp_t = work.zeroed_resp(k);
    for n in 0..rows {
        for c in 0..k {
            resp_t[c * stride + n] = resp[n * k + c];
        }
    }
    work.stats::<false>(k, &origin, ScatterKind::Full)
}

#[test]
fn single_precision_scatter_of_tiny_responsibilities_keeps_its_relative_accuracy() {
    // A component whose responsibilities are all near 1e-60 (far from every point): in f32
    // lanes `sqrt(r) (x - m)` is near 1e-30 and its products near 1e-60, below f32's range;
    // summed as they are, its scatter was zero (and every product a slow subnormal one).
    // Each tile's weights are divided by their largest, so the scatter keeps f32's
    // relative accuracy. Both branches: D >= 8 (square-root weights) and D < 8.
    let mut rng = StdRng::seed_from_u64(11);
    for d in [3, 9] {
        let (k, rows) = (2, 700);
        let (points, mut resp) = random_chunk(&mut rng, rows, d, k, 0.0);
        for n in 0..rows {
            resp[n * k + 1] *= 1e-60 * (1.0 + (n % 7) as f64);
        }
        let exact = stats_in_lanes::<f64>(&points, &resp, d, k);
        let single = stats_in_lanes::<f32>(&points, &resp, d, k);
        assert!(exact.scatter(1).abs().max() > 0.0);
        assert_close(&single, &exact, 1e-6);
    }
}

#[test]
fn a_reused_workspace_gives_the_statistics_of_a_fresh_one() {
    // The workspace's buffers only grow: after a wider chunk with more components they are
    // longer than the next chunk needs, and must not change a bit of its statistics (both
    // tile layouts: D below and from 8, where the tiles hold sqrt(r)-scaled differences).
    let mut rng = StdRng::seed_from_u64(23);
    let mut reused = TransposedChunk::<f64>::default();
    let mut reused_f32 = TransposedChunk::<f32>::default();
    for (d, k, rows) in [
        (12, 5, 300),
        (9, 3, 200),
        (7, 4, 130),
        (3, 2, 40),
        (10, 1, 9),
    ] {
        let (points, resp) = random_chunk(&mut rng, rows, d, k, 2.0);
        assert_eq!(
            stats_in_workspace(&mut reused, &points, &resp, d, k),
            stats_in_lanes::<f64>(&points, &resp, d, k),
            "f64, D {d}, K {k}"
        );
        assert_eq!(
            stats_in_workspace(&mut reused_f32, &points, &resp, d, k),
            stats_in_lanes::<f32>(&points, &resp, d, k),
            "f32, D {d}, K {k}"
        );
    }
}

/// Loads `rows x d` points of type `S` into a chunk of `T` (`FMA` selects the copy) and
/// checks every value against its definition, and the padding against zero.
fn load_matches_its_definition<const FMA: bool, S: Lane, T: Lane>(rows: usize, d: usize) {
    let points: Vec<S> = (0..rows * d)
        .map(|i| S::from_f64(1e3 + (i * 7919 % 1013) as f64 / 7.0))
        .collect();
    let origin: Vec<f64> = (0..d).map(|i| 1e3 + i as f64 / 3.0).collect();
    // A stale, larger chunk first: the load must overwrite (or pad) every value it keeps.
    let mut work = TransposedChunk::<T> {
        xt: vec![T::from_f64(9.0); (rows + 40) * d],
        ..TransposedChunk::default()
    };
    work.load::<FMA, S>(&points, &origin);
    assert_eq!(work.rows, rows);
    for i in 0..d {
        for n in 0..work.stride {
            let got = work.xt[i * work.stride + n];
            let want = if n < rows {
                T::from_f64(points[n * d + i].to_f64() - origin[i])
            } else {
                T::default()
            };
            assert_eq!(
                got, want,
                "rows {rows} d {d} feature {i} point {n} fma {FMA}"
            );
        }
    }
}

#[test]
fn loading_a_chunk_gives_every_difference_whatever_the_blocks_of_four() {
    // Whole 4 x 4 blocks, features past the last block, points past it, and neither.
    for (rows, d) in [(13, 7), (8, 4), (3, 5), (9, 1), (16, 8), (1, 12), (21, 6)] {
        load_matches_its_definition::<false, f64, f64>(rows, d);
        load_matches_its_definition::<false, f32, f32>(rows, d);
        load_matches_its_definition::<false, f64, f32>(rows, d);
        load_matches_its_definition::<false, f32, f64>(rows, d);
        #[cfg(target_arch = "x86_64")]
        if crate::simd::has_avx2_fma() {
            load_matches_its_definition::<true, f64, f64>(rows, d);
            load_matches_its_definition::<true, f32, f32>(rows, d);
            load_matches_its_definition::<true, f64, f32>(rows, d);
            load_matches_its_definition::<true, f32, f64>(rows, d);
        }
    }
}

/// The `f32` scatter's tiles take the weights the first moments rescaled (`tile_weights`,
/// `tile_scales` of the workspace) instead of rescaling the responsibilities again: the same
/// lane sums as rescaling afresh, bit for bit, for a chunk of one partial tile, several
/// whole tiles and a partial last one, with a component whose responsibilities are all
/// tiny (so that its scale is far from 1).
#[test]
fn the_scatter_takes_the_first_moments_rescaled_weights_bit_for_bit() {
    const POINTS: usize = 2 * tiles::TILE;
    let mut rng = StdRng::seed_from_u64(29);
    for (d, k, rows) in [(8, 3, 37), (9, 2, 700), (16, 2, 513)] {
        let (points, mut resp) = random_chunk(&mut rng, rows, d, k, 1.0);
        for n in 0..rows {
            resp[n * k + 1] *= 1e-30 * (1.0 + (n % 5) as f64);
        }
        let mut work = TransposedChunk::<f32>::default();
        let stats = stats_in_workspace(&mut work, &points, &resp, d, k);
        let stride = work.stride;
        let n_tiles = stride.div_ceil(POINTS.min(stride));
        let used = (rows.div_ceil(crate::simd::LANES) * crate::simd::LANES).min(stride);
        let pairs = d * (d + 1) / 2 * crate::simd::LANES;
        for c in 0..k {
            let r = &work.resp[c * stride..c * stride + used];
            let weights = &work.tile_weights[c * stride..(c + 1) * stride];
            let scales = &work.tile_scales[c * n_tiles..(c + 1) * n_tiles];
            let mean = &stats.mean_offsets[c * d..(c + 1) * d];
            let mut sums = [vec![0.0; pairs], vec![0.0; pairs]];
            for (sums, rescaled) in sums.iter_mut().zip([Some((weights, scales)), None]) {
                let mut tiles = vec![0.0f32; 2 * d * POINTS];
                tiles::full_scatter_lanes::<false, f32, POINTS>(
                    (&work.xt, stride),
                    (r, rescaled),
                    mean,
                    (&mut tiles, sums),
                );
            }
            assert!(sums[0].iter().any(|v| *v != 0.0), "D {d}, component {c}");
            assert_eq!(sums[0], sums[1], "D {d}, component {c}");
        }
    }
}

/// The rank update of one array of rows with itself (`rank_update_upper_same`, on AVX-512
/// registers where the processor has them) gives the lane sums of the general rank update:
/// in `f64` bit for bit; in `f32` (with a tile's scale) within `f32`'s rounding of a direct
/// sum in `f64`; for every shape of the row blocks, partial tiles and both ways of starting
/// (onto zeros, onto earlier sums).
#[test]
fn the_rank_update_of_one_array_gives_the_general_rank_updates_sums() {
    const TILE: usize = tiles::TILE;
    const LANES: usize = crate::simd::LANES;
    let mut rng = StdRng::seed_from_u64(31);
    for d in [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 16, 31, 32, 33] {
        for len in [8, 40, TILE, 2 * TILE - 8, 2 * TILE] {
            let values: Vec<f64> = (0..d * 2 * TILE)
                .map(|_| rng.random::<f64>() * 4.0 - 2.0)
                .collect();
            let before: Vec<f64> = (0..d * (d + 1) / 2 * LANES)
                .map(|_| rng.random::<f64>())
                .collect();
            let f32_rows: Vec<[f32; 2 * TILE]> = values
                .as_chunks::<{ 2 * TILE }>()
                .0
                .iter()
                .map(|row| row.map(|v| v as f32))
                .collect();
            for fresh in [true, false] {
                let shape = format!("D {d}, {len} points, fresh {fresh}");
                let [general, same] =
                    rank_updates::<f32, { 2 * TILE }>(&f32_rows, len, (&before, 0.37, fresh));
                // Each pair's lanes against the sum in f64 of the f32 values' products.
                let mut pair = 0;
                for a in 0..d {
                    for b in a..d {
                        for l in 0..LANES {
                            let (mut exact, mut size) =
                                (if fresh { 0.0 } else { before[pair * LANES + l] }, 0.0);
                            for n in (l..len).step_by(LANES) {
                                let product =
                                    0.37 * f64::from(f32_rows[a][n]) * f64::from(f32_rows[b][n]);
                                exact += product;
                                size += product.abs();
                            }
                            for (what, sums) in [("general", &general), ("same", &same)] {
                                let error = (sums[pair * LANES + l] - exact).abs();
                                assert!(
                                    error <= 1e-6 * size + 1e-12,
                                    "{what} {shape} pair ({a}, {b}) lane {l}: {error:e} of {size:e}"
                                );
                            }
                        }
                        pair += 1;
                    }
                }
                if len > TILE {
                    continue;
                }
                let f64_rows: Vec<[f64; TILE]> = values
                    .as_chunks::<TILE>()
                    .0
                    .iter()
                    .take(d)
                    .copied()
                    .collect();
                let [general, same] =
                    rank_updates::<f64, TILE>(&f64_rows, len, (&before, 1.0, fresh));
                assert_ne!(general, before, "{shape}");
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&general), bits(&same), "f64 {shape}");
            }
        }
    }
}

/// The lane sums `rank_update_upper` and `rank_update_upper_same` add onto `before` for
/// `rows` with themselves.
fn rank_updates<T: Lane, const TILE: usize>(
    rows: &[[T; TILE]],
    len: usize,
    (before, scale, fresh): (&[f64], f64, bool),
) -> [Vec<f64>; 2] {
    use super::rank_update::{rank_update_upper, rank_update_upper_same};
    let (mut general, mut same) = (before.to_vec(), before.to_vec());
    if crate::simd::has_avx2_fma() {
        rank_update_upper::<true, T, TILE>(rows, rows, len, (&mut general, scale, fresh));
        rank_update_upper_same::<true, T, TILE>(rows, len, (&mut same, scale, fresh));
    } else {
        rank_update_upper::<false, T, TILE>(rows, rows, len, (&mut general, scale, fresh));
        rank_update_upper_same::<false, T, TILE>(rows, len, (&mut same, scale, fresh));
    }
    [general, same]
}
