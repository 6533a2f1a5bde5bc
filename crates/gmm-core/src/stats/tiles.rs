//! The chunk layout the vectorised loops read ([`TransposedChunk`]: points feature-major,
//! responsibilities component-major) and the statistics of such a chunk: lane sums for `N_k`
//! and the means, then the centred scatter as a rank update over tiles of points.

use super::rank_update::{rank_update_upper, rank_update_upper_same};
use super::{ScatterKind, SufficientStats};
use crate::simd::f64_register::{self, F64Register};
use crate::simd::{LANES, Lane, hsum, mul_add};

/// Points per tile of the first moments' lane sums, and of the centred scatter in `f64`
/// ([`scatter_tile`]): the tile's differences (`D TILE` values scaled by `sqrt(r)` from
/// [`ROOT_WEIGHTS_MIN_D`] features, else `2 D TILE` centred and weighted ones) stay in the
/// L1 cache while every pair of features is summed.
pub(super) const TILE: usize = 128;

/// Points per tile of the centred scatter in lanes of `T`: [`TILE`] for `f64` and twice
/// that for `f32`, so that a row of the tile is 1 KiB (the same bytes in the L1 cache)
/// either way, and the rank update widens its sums to `f64` (per pair of features) half as
/// often per point in `f32`: at D = 32 that epilogue was two fifths of the `f32` rank
/// update's instructions. An `f32` lane then sums 32 products per tile before they are
/// widened (within 2e-6 relative).
const fn scatter_tile<T>() -> usize {
    1024 / std::mem::size_of::<T>()
}

/// From this many features the scatter of a tile is summed as `sum_n u_n u_n^T` with
/// `u_n = sqrt(r_n) (x_n - xbar)`: one array of differences to write and keep in cache
/// instead of two (centred, and weighted by `r_n`), for one square root per point. Below
/// it the square roots cost more than the few products they save.
const ROOT_WEIGHTS_MIN_D: usize = 8;

/// Rows per block of [`SufficientStats::from_chunk`] and per chunk of the E-step for
/// dimension `d`: about 256 KiB of points (between 64 and 2048 rows, a multiple of 64), so
/// that a block's points, their feature-major copy and its K responsibilities per point stay
/// in an L2 cache of 1 MiB. It depends on D only, never on the number of threads. (Half that,
/// 512 rows at D = 32, made the E-step 5 to 8 % slower: each chunk's merge, lane sums and
/// partial tiles cost as much as a few hundred points.)
pub(crate) fn block_rows(d: usize) -> usize {
    ((32768 / d.max(1)) / 64 * 64).clamp(64, 2048)
}

/// Lane sums of `r (x - m)^2` (in `f64` whatever the points' type); lengths a multiple of
/// [`LANES`].
#[inline(always)]
fn centred_square_sum<const FMA: bool, T: Lane>(r: &[f64], x: &[T], m: f64) -> [f64; LANES] {
    let mut acc = [0.0; LANES];
    for (rg, xg) in r.chunks_exact(LANES).zip(x.chunks_exact(LANES)) {
        for l in 0..LANES {
            let t = xg[l].to_f64() - m;
            acc[l] = mul_add::<FMA>(rg[l] * t, t, acc[l]);
        }
    }
    acc
}

/// Lane sums of `r_c` and of `r_c x_i` for every component `c` and feature `i`, in one pass
/// over tiles of the chunk (each tile's points stay in the L1 cache while every component
/// reads them): `out[(c * (d + 1)) * LANES..]` holds the lanes of `N_c`, then those of each
/// feature, [`FEATURES_PER_PASS`] features at a time. In `f64` lanes every lane sums its
/// points in increasing order from zero, exactly as one pass per feature would. A lane type
/// that sums its moments per tile ([`Lane::SUMS_MOMENTS_PER_TILE`]) takes tiles of
/// [`scatter_tile`] points and, per tile and component, the responsibilities divided by the
/// tile's largest and rounded to `T` once (as the scatter's tiles take them:
/// [`tile_weight`], so that a component far from every point keeps its tiny `N_c` and its
/// mean); the tile's sums in registers of `T` are multiplied back by the largest and added
/// to `out` in `f64` (which holds zeros or the earlier tiles' sums). Those rescaled weights
/// are left in `tile_weights` (`c * stride + n`) and the tiles' largest in `tile_scales`
/// (`c * tiles + t`), where the full scatter's tiles, the same tiles, take them
/// ([`full_scatter_lanes`]) instead of rescaling them again; for a type that does not
/// rescale, both are untouched (and may be empty).
#[inline(always)]
fn weighted_lane_sums<const FMA: bool, T: Lane>(
    xt: &[T],
    resp_t: &[f64],
    (stride, k, d): (usize, usize, usize),
    out: &mut [f64],
    (tile_weights, tile_scales): (&mut [T], &mut [f64]),
) {
    let tile = moment_tile::<T>(stride);
    for (t, t0) in (0..stride).step_by(tile).enumerate() {
        let len = tile.min(stride - t0);
        for (c, sums) in out.chunks_exact_mut((d + 1) * LANES).enumerate().take(k) {
            let r = &resp_t[c * stride + t0..c * stride + t0 + len];
            let weights = if T::SUMS_MOMENTS_PER_TILE {
                let scale = tile_weight_scale::<FMA, T>(r);
                let inverse_scale = 1.0 / scale;
                let narrowed = &mut tile_weights[c * stride + t0..c * stride + t0 + len];
                for (n, r) in narrowed.iter_mut().zip(r) {
                    *n = T::from_f64(tile_weight::<T>(*r, inverse_scale));
                }
                tile_scales[c * stride.div_ceil(tile) + t] = scale;
                TileWeights::Narrowed(&*narrowed, scale)
            } else {
                TileWeights::Wide(r)
            };
            let (n_lanes, x_lanes) = sums.split_at_mut(LANES);
            weights.count_sums::<FMA>(n_lanes);
            let column = |i: usize| &xt[i * stride + t0..i * stride + t0 + len];
            let whole = d - d % FEATURES_PER_PASS;
            for i in (0..whole).step_by(FEATURES_PER_PASS) {
                weights.column_sums::<FMA, FEATURES_PER_PASS>(
                    std::array::from_fn(|f| column(i + f)),
                    &mut x_lanes[i * LANES..(i + FEATURES_PER_PASS) * LANES],
                );
            }
            for i in whole..d {
                weights
                    .column_sums::<FMA, 1>([column(i)], &mut x_lanes[i * LANES..(i + 1) * LANES]);
            }
        }
    }
}

/// Points per tile of [`weighted_lane_sums`] in a chunk of `stride` points: [`TILE`], or the
/// scatter's tile ([`scatter_tile`], at most `2 TILE`) for a type that sums its moments per
/// tile; at most the chunk.
fn moment_tile<T: Lane>(stride: usize) -> usize {
    let tile = if T::SUMS_MOMENTS_PER_TILE {
        scatter_tile::<T>().min(2 * TILE)
    } else {
        TILE
    };
    tile.min(stride)
}

/// Features whose weighted sums share one pass over a tile's responsibilities.
const FEATURES_PER_PASS: usize = 4;

/// The responsibilities of one tile and component as [`weighted_lane_sums`] reads them.
#[derive(Clone, Copy)]
enum TileWeights<'a, T> {
    /// As they are, summed in `f64` lanes.
    Wide(&'a [f64]),
    /// Divided by the tile's largest (the second value) and rounded to `T`, summed in
    /// registers of `T` over the tile.
    Narrowed(&'a [T], f64),
}

impl<T: Lane> TileWeights<'_, T> {
    /// Adds the lane sums of the weights to the [`LANES`] values of `sums`.
    #[inline(always)]
    fn count_sums<const FMA: bool>(self, sums: &mut [f64]) {
        match self {
            Self::Wide(r) => {
                let mut acc: [f64; LANES] = (&*sums).try_into().unwrap();
                for rg in r.chunks_exact(LANES) {
                    for l in 0..LANES {
                        acc[l] += rg[l];
                    }
                }
                sums.copy_from_slice(&acc);
            }
            Self::Narrowed(r, scale) => tile_count_sums::<FMA, T>((r, scale), sums),
        }
    }

    /// Adds the lane sums of the weights times each of the `F` columns `x` to `sums`.
    #[inline(always)]
    fn column_sums<const FMA: bool, const F: usize>(self, x: [&[T]; F], sums: &mut [f64]) {
        match self {
            Self::Wide(r) => weighted_column_sums::<FMA, T, F>(r, x, sums),
            Self::Narrowed(r, scale) => tile_column_sums::<FMA, T, F>((r, scale), x, sums),
        }
    }
}

/// Adds `sum_n r_n x_{f,n}` per lane to `sums` (`F` groups of [`LANES`], one per column `x_f`),
/// for `F` columns at once: each group of responsibilities is loaded once for all of them.
/// Every lane of every column still sums its points in increasing order, so the same bits as
/// one column at a time.
#[inline(always)]
fn weighted_column_sums<const FMA: bool, T: Lane, const F: usize>(
    r: &[f64],
    x: [&[T]; F],
    sums: &mut [f64],
) {
    let r = r.as_chunks::<LANES>().0;
    let groups = r.len();
    let x: [&[[T; LANES]]; F] = x.map(|x| &x.as_chunks::<LANES>().0[..groups]);
    let sums = &mut sums.as_chunks_mut::<LANES>().0[..F];
    let mut acc: [[f64; LANES]; F] = std::array::from_fn(|f| sums[f]);
    for (n, rg) in r.iter().enumerate() {
        for f in 0..F {
            for l in 0..LANES {
                acc[f][l] = mul_add::<FMA>(rg[l], x[f][n][l].to_f64(), acc[f][l]);
            }
        }
    }
    sums.copy_from_slice(&acc);
}

/// Adds `scale * sum_n r_n` per lane to the [`LANES`] values of `sums`: the sum over the
/// tile in registers of `T`, then multiplied by `scale` and added in `f64`.
#[inline(always)]
fn tile_count_sums<const FMA: bool, T: Lane>((r, scale): (&[T], f64), sums: &mut [f64]) {
    let regs = LANES / T::REGISTER_LANES;
    let one = T::splat_register::<FMA>(T::from_f64(1.0));
    let mut acc = [T::zero_register(); 2];
    for rg in r.as_chunks::<LANES>().0 {
        let rg = T::load_group::<FMA>(rg);
        for h in 0..regs {
            acc[h] = T::fma_register::<FMA>(rg[h], one, acc[h]);
        }
    }
    for (h, acc) in acc.iter().enumerate().take(regs) {
        T::add_scaled_register::<FMA>(*acc, scale, &mut sums[h * T::REGISTER_LANES..], false);
    }
}

/// Adds `scale * sum_n r_n x_{f,n}` per lane (the sum over the tile in registers of `T`,
/// then multiplied by `scale` and added in `f64`) to `sums` (`F` groups of [`LANES`], one per column `x_f`), for `F` columns at
/// once: each group of responsibilities is loaded once for all of them.
#[inline(always)]
fn tile_column_sums<const FMA: bool, T: Lane, const F: usize>(
    (r, scale): (&[T], f64),
    x: [&[T]; F],
    sums: &mut [f64],
) {
    let regs = LANES / T::REGISTER_LANES;
    let r = r.as_chunks::<LANES>().0;
    let groups = r.len();
    let x: [&[[T; LANES]]; F] = x.map(|x| &x.as_chunks::<LANES>().0[..groups]);
    let mut acc = [[T::zero_register(); 2]; F];
    for (n, rg) in r.iter().enumerate() {
        let rg = T::load_group::<FMA>(rg);
        for f in 0..F {
            let xg = T::load_group::<FMA>(&x[f][n]);
            for h in 0..regs {
                acc[f][h] = T::fma_register::<FMA>(rg[h], xg[h], acc[f][h]);
            }
        }
    }
    for (f, acc) in acc.iter().enumerate() {
        for (h, acc) in acc.iter().enumerate().take(regs) {
            let at = f * LANES + h * T::REGISTER_LANES;
            T::add_scaled_register::<FMA>(*acc, scale, &mut sums[at..], false);
        }
    }
}

/// A pitch (in values) that [`TransposedChunk::stride`] avoids: rows 1 KiB apart fall in
/// only a few sets of the L1 cache, so that the D rows of one group of points (read together
/// by the triangular product and the rank update) would evict each other. The full chunks of
/// the E-step (`EStepKernel::chunk_rows`, a multiple of 64 rows) hit this without padding.
const ALIASING_PITCH: usize = 128;

/// A chunk of points stored feature-major relative to an origin, in lanes of `T` (`f64`, or
/// `f32` for the single-precision E-step), with room for its responsibilities (always
/// `f64`): the layout [`SufficientStats::from_transposed`] reads.
#[derive(Debug, Default)]
pub(crate) struct TransposedChunk<T = f64> {
    /// `x_{n,i} - origin_i` at `i * stride + n` (computed in `f64`, then stored as `T`); zero
    /// in the padding.
    pub(crate) xt: Vec<T>,
    /// Responsibilities (or log densities) at `c * stride + n`.
    pub(crate) resp: Vec<f64>,
    /// Number of points.
    pub(crate) rows: usize,
    /// Distance between two features (or two components) of one point: `rows` rounded up
    /// to a multiple of two registers of `T` (8 `f64` points, [`LANES`]; 16 `f32` points,
    /// what the triangular product takes at once), plus one more such group of padding
    /// points when that is a multiple of [`ALIASING_PITCH`]. The loops run over all `stride`
    /// points; padding points have zero coordinates and responsibility zero, so they add
    /// exactly nothing.
    pub(crate) stride: usize,
    /// Reused by the statistics: their lane sums.
    pub(crate) scratch: Vec<f64>,
    /// Reused by the statistics: the tiles of the centred scatter, in lanes of `T`.
    pub(crate) tiles: Vec<T>,
    /// Reused by the statistics of a type that rescales its tiles' weights: the
    /// responsibilities divided by their tile's largest, in `T` (`c * stride + n`).
    pub(crate) tile_weights: Vec<T>,
    /// Reused with [`Self::tile_weights`]: each tile's largest responsibility.
    pub(crate) tile_scales: Vec<f64>,
}

/// The buffers [`SufficientStats::from_transposed`] reuses from call to call: those of a
/// [`TransposedChunk`] but its points and responsibilities.
pub(super) struct StatsBuffers<'a, T> {
    /// The lane sums.
    pub(crate) scratch: &'a mut Vec<f64>,
    /// The tiles of the centred scatter.
    pub(crate) tiles: &'a mut Vec<T>,
    /// The rescaled responsibilities of every tile ([`TransposedChunk::tile_weights`]).
    pub(crate) tile_weights: &'a mut Vec<T>,
    /// Each tile's scale ([`TransposedChunk::tile_scales`]).
    pub(crate) tile_scales: &'a mut Vec<f64>,
}

impl<T: Lane> TransposedChunk<T> {
    /// Loads row-major `points` (of either lane type) relative to `origin`: each difference
    /// is computed in `f64` and stored as `T`. Blocks of 4 points x 4 features are
    /// transposed in registers ([`transposed_block`]); the features past the last whole
    /// block of 4 and the points past the last whole block of 4 are copied one by one. The
    /// same values either way.
    #[inline(always)]
    pub(crate) fn load<const FMA: bool, S: Lane>(&mut self, points: &[S], origin: &[f64]) {
        let d = origin.len();
        self.rows = points.len() / d;
        let group = 2 * T::REGISTER_LANES;
        self.stride = self.rows.div_ceil(group) * group;
        if self.stride.is_multiple_of(ALIASING_PITCH) {
            self.stride += group;
        }
        // Every value is written below (the padding with zeros), so the buffer is not
        // zeroed first: at D = 8 that zeroing was a tenth of the E-step's instructions.
        self.xt.resize(d * self.stride, T::default());
        let (rows, stride) = (self.rows, self.stride);
        let (block_rows, block_features) = (rows / 4 * 4, d / 4 * 4);
        for n0 in (0..block_rows).step_by(4) {
            let rows = &points[n0 * d..(n0 + 4) * d];
            for i0 in (0..block_features).step_by(4) {
                let columns = transposed_block::<FMA, S>(rows, d, i0, origin);
                for (j, column) in columns.into_iter().enumerate() {
                    let at = (i0 + j) * stride + n0;
                    let out = (&mut self.xt[at..at + 4]).try_into().expect("4 values");
                    T::store_narrowed::<FMA>(column, out);
                }
            }
        }
        for (i, (column, o)) in self.xt.chunks_exact_mut(stride).zip(origin).enumerate() {
            let first = if i < block_features { block_rows } else { 0 };
            let (values, padding) = column.split_at_mut(rows);
            let values = &mut values[first..];
            if d == 1 {
                for (t, x) in values.iter_mut().zip(&points[first..]) {
                    *t = T::from_f64(x.to_f64() - o);
                }
            } else {
                for (t, x) in values.iter_mut().zip(points[first * d..].chunks_exact(d)) {
                    *t = T::from_f64(x[i].to_f64() - o);
                }
            }
            padding.fill(T::default());
        }
    }

    /// The responsibilities buffer for `k` components, zeroed.
    pub(crate) fn zeroed_resp(&mut self, k: usize) -> &mut [f64] {
        self.resp.clear();
        self.resp.resize(k * self.stride, 0.0);
        &mut self.resp
    }

    /// The statistics of the loaded points with the responsibilities in `resp`
    /// ([`SufficientStats::from_transposed`] on this chunk's buffers; `FMA` selects the copy,
    /// and it is always inlined so that the E-step's AVX2 + FMA copy gets it compiled for
    /// those instructions).
    #[inline(always)]
    pub(crate) fn stats<const FMA: bool>(
        &mut self,
        k: usize,
        origin: &[f64],
        kind: ScatterKind,
    ) -> SufficientStats {
        SufficientStats::from_transposed::<FMA, T>(
            &self.xt,
            &self.resp,
            (self.rows, self.stride),
            k,
            origin,
            kind,
            StatsBuffers {
                scratch: &mut self.scratch,
                tiles: &mut self.tiles,
                tile_weights: &mut self.tile_weights,
                tile_scales: &mut self.tile_scales,
            },
        )
    }
}

/// Features `i0..i0 + 4` of the 4 row-major `rows` (`d` features each) relative to
/// `origin`, feature by feature: register `j` holds feature `i0 + j` of the 4 points, each
/// difference computed in `f64`.
#[inline(always)]
fn transposed_block<const FMA: bool, S: Lane>(
    rows: &[S],
    d: usize,
    i0: usize,
    origin: &[f64],
) -> [F64Register; 4] {
    let o = f64::load_register::<FMA>(&origin[i0..i0 + 4]);
    let mut block = [f64::zero_register(); 4];
    for (q, row) in block.iter_mut().enumerate() {
        let x = rows[q * d + i0..q * d + i0 + 4]
            .try_into()
            .expect("4 values");
        *row = f64_register::sub::<FMA>(S::load_widened::<FMA>(x), o);
    }
    f64_register::transpose4::<FMA>(block)
}

impl SufficientStats {
    /// Statistics of a chunk of `rows` points stored feature-major in lanes of `T`:
    /// `xt[i * stride + n] = x_{n,i} - origin_i` and `resp_t[c * stride + n] = r_{n,c}`,
    /// `stride` a multiple of [`LANES`], with responsibility zero for the padding points past
    /// the last. Two passes over the chunk (`N_k` and the means, then the centred scatter),
    /// every loop over points in groups of [`LANES`] so that it vectorises; `scratch` (the lane
    /// sums) and `tiles` are reused between calls. `N_k` and the means are summed in `f64`
    /// (over each tile in `T` first where [`Lane::SUMS_MOMENTS_PER_TILE`]), a diagonal
    /// scatter in `f64`; a full scatter is summed over each tile of [`scatter_tile`] points
    /// in `T`, then added in `f64`, its tiles covering the groups that hold points: not a
    /// group the stride adds only against cache aliasing (it holds no point, and at D = 32 it
    /// was a fifth tile of 8 points per chunk and component, 4 % of the E-step's
    /// instructions).
    ///
    /// Always inlined so that a caller compiled for wider vector instructions (the E-step
    /// kernel) gets this code compiled for them too; `FMA` selects fused multiply-adds.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn from_transposed<const FMA: bool, T: Lane>(
        xt: &[T],
        resp_t: &[f64],
        (rows, stride): (usize, usize),
        k: usize,
        origin: &[f64],
        kind: ScatterKind,
        buffers: StatsBuffers<'_, T>,
    ) -> Self {
        let StatsBuffers {
            scratch,
            tiles,
            tile_weights,
            tile_scales,
        } = buffers;
        let d = origin.len();
        debug_assert_eq!(stride % LANES, 0);
        debug_assert!(xt.len() >= d * stride && resp_t.len() >= k * stride);
        let mut stats = Self::zeros(k, origin, kind);
        // Only the full scatter needs the tiles and a sum per pair of features: a diagonal fit
        // of wide data must not ask for D x D values.
        let full = kind == ScatterKind::Full;
        let pairs = if full { d * (d + 1) / 2 } else { 0 };
        // Grown, never shrunk or zeroed: the scatter's lane sums and the tiles are written
        // before they are read (the first tile's sums overwrite), only the first moments
        // are summed onto zeros.
        grow(scratch, pairs * LANES + k * (d + 1) * LANES);
        grow(tiles, if full { 2 * d * scatter_tile::<T>() } else { 0 });
        let (lane_sums, first_moments) = scratch.split_at_mut(pairs * LANES);
        let first_moments = &mut first_moments[..k * (d + 1) * LANES];
        first_moments.fill(0.0);
        // The responsibilities of each tile in `T`, for a type that sums its moments per
        // tile (rescaled where it rescales them): written by the first moments, read again
        // by the full scatter's tiles.
        let rescaled = T::SUMS_MOMENTS_PER_TILE;
        let n_tiles = stride.div_ceil(moment_tile::<T>(stride));
        grow(tile_weights, if rescaled { k * stride } else { 0 });
        grow(tile_scales, if rescaled { k * n_tiles } else { 0 });
        weighted_lane_sums::<FMA, T>(
            xt,
            resp_t,
            (stride, k, d),
            first_moments,
            (tile_weights, tile_scales),
        );
        for c in 0..k {
            let r = &resp_t[c * stride..(c + 1) * stride];
            let moments = &first_moments[c * (d + 1) * LANES..(c + 1) * (d + 1) * LANES];
            if !stats.set_count_and_mean(c, moments) {
                continue;
            }
            let mean = &stats.mean_offsets[c * d..(c + 1) * d];
            match kind {
                ScatterKind::Diagonal => {
                    let s = &mut stats.scatter[c * d..(c + 1) * d];
                    for i in 0..d {
                        let x = &xt[i * stride..(i + 1) * stride];
                        s[i] = hsum(centred_square_sum::<FMA, T>(r, x, mean[i]));
                    }
                }
                ScatterKind::Full => {
                    let points = (rows.div_ceil(LANES) * LANES).min(stride);
                    let (points, r) = ((xt, stride), &r[..points]);
                    let rescaled = rescaled.then(|| {
                        let weights = &tile_weights[c * stride..(c + 1) * stride];
                        (weights, &tile_scales[c * n_tiles..(c + 1) * n_tiles])
                    });
                    let out = (&mut tiles[..], &mut lane_sums[..]);
                    if scatter_tile::<T>() == 2 * TILE {
                        full_scatter_lanes::<FMA, T, { 2 * TILE }>(
                            points,
                            (r, rescaled),
                            mean,
                            out,
                        );
                    } else {
                        full_scatter_lanes::<FMA, T, TILE>(points, (r, rescaled), mean, out);
                    }
                    let s = &mut stats.scatter[c * d * d..(c + 1) * d * d];
                    write_symmetric(lane_sums, d, s);
                }
            }
        }
        stats
    }

    /// Sets `N_c` and the mean offset of component `c` from its lane sums (`moments`: the
    /// lanes of `N_c`, then those of each feature); false, leaving them at zero, for an
    /// empty component.
    #[inline(always)]
    fn set_count_and_mean(&mut self, c: usize, moments: &[f64]) -> bool {
        let d = self.n_features;
        let n_k = hsum(moments[..LANES].try_into().unwrap());
        if n_k <= 0.0 {
            return false;
        }
        self.n_k[c] = n_k;
        let inv = 1.0 / n_k;
        let mean = &mut self.mean_offsets[c * d..(c + 1) * d];
        for (m, lanes) in mean.iter_mut().zip(moments[LANES..].chunks_exact(LANES)) {
            let sum = hsum(lanes.try_into().unwrap());
            // below N_c = 5.6e-309 (a component all but empty, its responsibilities
            // subnormal: VB at large K) the reciprocal overflows: divide instead
            *m = if inv.is_finite() {
                sum * inv
            } else {
                sum / n_k
            };
        }
        true
    }
}

/// Lane sums of one component's centred scatter `sum_n r_n (x_n - m)(x_n - m)^T` over a
/// chunk's first `r.len()` points, a multiple of [`LANES`] (`xt` feature-major with `stride`
/// values per feature, `r` their responsibilities, `m` = `mean`), tile by tile: each
/// tile's differences are written into `tiles` (`2 D POINTS` values), then added by the rank
/// update into `lane_sums` (overwritten by the first tile; one group of [`LANES`] per pair of
/// features of the upper triangle, in row order). The differences are computed in `f64` and
/// stored as `T`; the rank update sums a tile in `T` and adds it to `lane_sums` in `f64`.
///
/// With `rescaled` (a type that rescales its tiles' weights: the component's weights of
/// every tile as [`weighted_lane_sums`] left them, and each tile's scale), the tiles take
/// those instead of rescaling `r` again: the same values.
#[inline(always)]
pub(super) fn full_scatter_lanes<const FMA: bool, T: Lane, const POINTS: usize>(
    (xt, stride): (&[T], usize),
    (r, rescaled): (&[f64], Option<RescaledWeights<'_, T>>),
    mean: &[f64],
    (tiles, lane_sums): (&mut [T], &mut [f64]),
) {
    let d = mean.len();
    let points = r.len();
    for t0 in (0..points).step_by(POINTS) {
        let fresh = t0 == 0;
        let len = POINTS.min(points - t0);
        let r = &r[t0..t0 + len];
        if d >= ROOT_WEIGHTS_MIN_D {
            let (scaled, root) = tiles[..2 * d * POINTS].split_at_mut(d * POINTS);
            let root = &mut root[..len];
            let scale = match rescaled {
                Some((weights, scales)) => {
                    for (s, w) in root.iter_mut().zip(&weights[t0..t0 + len]) {
                        *s = T::root_of(w.to_f64());
                    }
                    scales[t0 / POINTS]
                }
                None => {
                    let scale = tile_weight_scale::<FMA, T>(r);
                    let inverse_scale = 1.0 / scale;
                    for (s, r) in root.iter_mut().zip(r) {
                        *s = T::root_of(tile_weight::<T>(*r, inverse_scale));
                    }
                    scale
                }
            };
            for (i, m) in mean.iter().enumerate() {
                let x = &xt[i * stride + t0..i * stride + t0 + len];
                let u = &mut scaled[i * POINTS..i * POINTS + len];
                let m = T::from_f64(*m);
                for ((u, x), s) in u.iter_mut().zip(x).zip(&*root) {
                    *u = (*x - m) * *s;
                }
            }
            rank_update_upper_same::<FMA, T, POINTS>(
                rows::<T, POINTS>(scaled),
                len,
                (lane_sums, scale, fresh),
            );
        } else {
            let scale = tile_weight_scale::<FMA, T>(r);
            let inverse_scale = 1.0 / scale;
            let (centred, weighted) = tiles[..2 * d * POINTS].split_at_mut(d * POINTS);
            for i in 0..d {
                let x = &xt[i * stride + t0..i * stride + t0 + len];
                let dc = &mut centred[i * POINTS..i * POINTS + len];
                let w = &mut weighted[i * POINTS..i * POINTS + len];
                for (((dc, w), x), r) in dc.iter_mut().zip(w).zip(x).zip(r) {
                    let centred = x.to_f64() - mean[i];
                    *dc = T::from_f64(centred);
                    *w = T::from_f64(tile_weight::<T>(*r, inverse_scale) * centred);
                }
            }
            rank_update_upper::<FMA, T, POINTS>(
                rows::<T, POINTS>(weighted),
                rows::<T, POINTS>(centred),
                len,
                (lane_sums, scale, fresh),
            );
        }
    }
}

/// One component's responsibilities as [`weighted_lane_sums`] rescaled them, tile by tile
/// (`T` values, one per point of the chunk), and each tile's scale.
type RescaledWeights<'a, T> = (&'a [T], &'a [f64]);

/// Lengthens `buffer` to at least `len` values (with zeros); never shortens it.
#[inline(always)]
fn grow<T: Lane>(buffer: &mut Vec<T>, len: usize) {
    if buffer.len() < len {
        buffer.resize(len, T::default());
    }
}

/// A tile buffer as its rows of `POINTS` values each (the tile's points first in every row).
#[inline(always)]
fn rows<T, const POINTS: usize>(tile: &[T]) -> &[[T; POINTS]] {
    tile.as_chunks::<POINTS>().0
}

/// A weight of a tile below this fraction of the tile's largest is summed as zero in the
/// lanes of a type that rescales its tiles (`f32`): its products would fall below `f32`'s
/// normal range, and a term so small changes a sum only if its point lies 1e12 times
/// farther from the mean than the tile's heaviest point (`f32` resolves 6e-8).
const TILE_WEIGHT_FLOOR: f64 = 1e-24;

/// What a tile's weights are divided by before their products are summed in `T`
/// ([`Lane::RESCALES_TILE_WEIGHTS`]): their largest, or 1 (`f64`, or a tile of zeros). The
/// tile holds whole groups of [`LANES`] weights.
#[inline(always)]
fn tile_weight_scale<const FMA: bool, T: Lane>(r: &[f64]) -> f64 {
    if !T::RESCALES_TILE_WEIGHTS {
        return 1.0;
    }
    debug_assert_eq!(r.len() % LANES, 0);
    // On registers: `f64::max` folded over the slice compiled to a blend that keeps a NaN
    // out (six instructions per four weights); `f64_register::max` passes over a NaN
    // weight too, in one instruction.
    let mut lanes = [f64::zero_register(); 2];
    for group in r.as_chunks::<LANES>().0 {
        for (h, lanes) in lanes.iter_mut().enumerate() {
            let v = f64::load_register::<FMA>(&group[h * f64::REGISTER_LANES..]);
            *lanes = f64_register::max::<FMA>(v, *lanes);
        }
    }
    let mut largest = 0.0f64;
    for lanes in lanes {
        let mut values = [0.0; f64::REGISTER_LANES];
        f64::store_register::<FMA>(lanes, &mut values);
        for v in values {
            largest = if v > largest { v } else { largest };
        }
    }
    if largest > 0.0 { largest } else { 1.0 }
}

/// A weight of a tile as the lanes of `T` sum it: as it is in `f64`; in `f32` multiplied
/// by the reciprocal of the tile's scale (a product, not a division per point), and zero
/// below [`TILE_WEIGHT_FLOOR`].
#[inline(always)]
fn tile_weight<T: Lane>(r: f64, inverse_scale: f64) -> f64 {
    if !T::RESCALES_TILE_WEIGHTS {
        return r;
    }
    let relative = r * inverse_scale;
    if relative < TILE_WEIGHT_FLOOR {
        0.0
    } else {
        relative
    }
}

/// Writes the `d x d` symmetric matrix `s` (row-major) from the lane sums of the pairs of
/// its upper triangle (in row order), each pair's lanes summed by [`hsum`].
#[inline(always)]
fn write_symmetric(lane_sums: &[f64], d: usize, s: &mut [f64]) {
    let mut pair = 0;
    for a in 0..d {
        for b in a..d {
            let v = hsum(
                lane_sums[pair * LANES..(pair + 1) * LANES]
                    .try_into()
                    .unwrap(),
            );
            s[a * d + b] = v;
            s[b * d + a] = v;
            pair += 1;
        }
    }
}
