//! The chunk layout the vectorised loops read ([`TransposedChunk`]: points feature-major,
//! responsibilities component-major) and the statistics of such a chunk: lane sums for `N_k`
//! and the means, then the centred scatter as a rank update over tiles of points.

use super::rank_update::rank_update_upper;
use super::{ScatterKind, SufficientStats};
use crate::kernel::{LANES, hsum, mul_add};

/// Points per tile of the centred scatter: the tile's centred and weighted differences
/// (`2 D TILE` values) stay in the L1 cache while every pair of features is summed.
const TILE: usize = 64;

/// Rows per block of [`SufficientStats::from_chunk`] and per chunk of the E-step for
/// dimension `d`: about 128 KiB of points (between 64 and 2048 rows, a multiple of 64), so
/// that a block's points and its K responsibilities per point stay in the L2 cache. It
/// depends on D only, never on the number of threads.
pub(crate) fn block_rows(d: usize) -> usize {
    ((16384 / d.max(1)) / 64 * 64).clamp(64, 2048)
}

/// Lane sums of `r` (when `x` is `None`) or of `r * x`; lengths a multiple of [`LANES`].
#[inline(always)]
fn lane_sum<const FMA: bool>(r: &[f64], x: Option<&[f64]>) -> [f64; LANES] {
    let mut acc = [0.0; LANES];
    match x {
        None => {
            for rg in r.chunks_exact(LANES) {
                for l in 0..LANES {
                    acc[l] += rg[l];
                }
            }
        }
        Some(x) => {
            for (rg, xg) in r.chunks_exact(LANES).zip(x.chunks_exact(LANES)) {
                for l in 0..LANES {
                    acc[l] = mul_add::<FMA>(rg[l], xg[l], acc[l]);
                }
            }
        }
    }
    acc
}

/// Lane sums of `r (x - m)^2`; lengths a multiple of [`LANES`].
#[inline(always)]
fn centred_square_sum<const FMA: bool>(r: &[f64], x: &[f64], m: f64) -> [f64; LANES] {
    let mut acc = [0.0; LANES];
    for (rg, xg) in r.chunks_exact(LANES).zip(x.chunks_exact(LANES)) {
        for l in 0..LANES {
            let t = xg[l] - m;
            acc[l] = mul_add::<FMA>(rg[l] * t, t, acc[l]);
        }
    }
    acc
}

/// A pitch (in values) that [`TransposedChunk::stride`] avoids: rows 1 KiB apart fall in
/// only a few sets of the L1 cache, so that the D rows of one group of points (read together
/// by the triangular product and the rank update) would evict each other. The full chunks of
/// the E-step (`EStepKernel::chunk_rows`, a multiple of 64 rows) hit this without padding.
const ALIASING_PITCH: usize = 128;

/// A chunk of points stored feature-major relative to an origin, with room for its
/// responsibilities: the layout [`SufficientStats::from_transposed`] reads.
#[derive(Debug, Default)]
pub(crate) struct TransposedChunk {
    /// `x_{n,i} - origin_i` at `i * stride + n`; zero in the padding.
    pub(crate) xt: Vec<f64>,
    /// Responsibilities (or log densities) at `c * stride + n`.
    pub(crate) resp: Vec<f64>,
    /// Number of points.
    pub(crate) rows: usize,
    /// Distance between two features (or two components) of one point: `rows` rounded up
    /// to a multiple of [`LANES`], plus one more group of [`LANES`] padding points when that
    /// is a multiple of [`ALIASING_PITCH`]. The loops run over all `stride` points; padding
    /// points have zero coordinates and responsibility zero, so they add exactly nothing.
    pub(crate) stride: usize,
    /// Reused by the statistics.
    pub(crate) scratch: Vec<f64>,
}

impl TransposedChunk {
    /// Loads row-major `points` relative to `origin`.
    #[inline(always)]
    pub(crate) fn load(&mut self, points: &[f64], origin: &[f64]) {
        let d = origin.len();
        self.rows = points.len() / d;
        self.stride = self.rows.div_ceil(LANES) * LANES;
        if self.stride % ALIASING_PITCH == 0 {
            self.stride += LANES;
        }
        self.xt.clear();
        self.xt.resize(d * self.stride, 0.0);
        let stride = self.stride;
        if d == 1 {
            for (t, x) in self.xt.iter_mut().zip(points) {
                *t = x - origin[0];
            }
            return;
        }
        for (i, (column, o)) in self.xt.chunks_exact_mut(stride).zip(origin).enumerate() {
            for (t, x) in column.iter_mut().zip(points.chunks_exact(d)) {
                *t = x[i] - o;
            }
        }
    }

    /// The responsibilities buffer for `k` components, zeroed.
    pub(crate) fn zeroed_resp(&mut self, k: usize) -> &mut [f64] {
        self.resp.clear();
        self.resp.resize(k * self.stride, 0.0);
        &mut self.resp
    }

    /// The statistics of the loaded points with the responsibilities in `resp`.
    pub(super) fn stats(&mut self, k: usize, origin: &[f64], kind: ScatterKind) -> SufficientStats {
        SufficientStats::from_transposed::<false>(
            &self.xt,
            &self.resp,
            self.stride,
            k,
            origin,
            kind,
            &mut self.scratch,
        )
    }
}

impl SufficientStats {
    /// Statistics of a chunk stored feature-major: `xt[i * stride + n] = x_{n,i} - origin_i`
    /// and `resp_t[c * stride + n] = r_{n,c}`, `stride` a multiple of [`LANES`], with
    /// responsibility zero for the padding points past the last. Two passes over the chunk
    /// (`N_k` and the means, then the centred scatter), every loop over points in groups of
    /// [`LANES`] so that it vectorises; `scratch` is reused between calls.
    ///
    /// Always inlined so that a caller compiled for wider vector instructions (the E-step
    /// kernel) gets this code compiled for them too; `FMA` selects fused multiply-adds.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_transposed<const FMA: bool>(
        xt: &[f64],
        resp_t: &[f64],
        stride: usize,
        k: usize,
        origin: &[f64],
        kind: ScatterKind,
        scratch: &mut Vec<f64>,
    ) -> Self {
        let d = origin.len();
        debug_assert_eq!(stride % LANES, 0);
        debug_assert!(xt.len() >= d * stride && resp_t.len() >= k * stride);
        let mut stats = Self::zeros(k, origin, kind);
        let pairs = d * (d + 1) / 2;
        let tile = TILE.min(stride);
        scratch.clear();
        scratch.resize(2 * d * tile + pairs * LANES, 0.0);
        let (tiles, lane_sums) = scratch.split_at_mut(2 * d * tile);
        let (centred, weighted) = tiles.split_at_mut(d * tile);
        for c in 0..k {
            let r = &resp_t[c * stride..(c + 1) * stride];
            let n_k = hsum(lane_sum::<FMA>(r, None));
            if n_k <= 0.0 {
                continue;
            }
            stats.n_k[c] = n_k;
            let inv = 1.0 / n_k;
            let mean = &mut stats.mean_offsets[c * d..(c + 1) * d];
            for (i, m) in mean.iter_mut().enumerate() {
                *m = hsum(lane_sum::<FMA>(r, Some(&xt[i * stride..(i + 1) * stride]))) * inv;
            }
            let mean = &stats.mean_offsets[c * d..(c + 1) * d];
            match kind {
                ScatterKind::Diagonal => {
                    let s = &mut stats.scatter[c * d..(c + 1) * d];
                    for i in 0..d {
                        let x = &xt[i * stride..(i + 1) * stride];
                        s[i] = hsum(centred_square_sum::<FMA>(r, x, mean[i]));
                    }
                }
                ScatterKind::Full => {
                    lane_sums.fill(0.0);
                    for t0 in (0..stride).step_by(tile) {
                        let len = tile.min(stride - t0);
                        let r = &r[t0..t0 + len];
                        for i in 0..d {
                            let x = &xt[i * stride + t0..i * stride + t0 + len];
                            let dc = &mut centred[i * tile..i * tile + len];
                            let w = &mut weighted[i * tile..i * tile + len];
                            for (((dc, w), x), r) in dc.iter_mut().zip(w).zip(x).zip(r) {
                                *dc = x - mean[i];
                                *w = r * *dc;
                            }
                        }
                        rank_update_upper::<FMA>(centred, weighted, tile, len, d, lane_sums);
                    }
                    let s = &mut stats.scatter[c * d * d..(c + 1) * d * d];
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
            }
        }
        stats
    }
}
