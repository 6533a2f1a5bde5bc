//! Mergeable sufficient statistics of a soft partition of the data.
//!
//! For each component k the statistics hold (docs/maths.md, eqs. S1-S4):
//! - `N_k = sum_n r_nk`,
//! - the weighted mean `xbar_k = sum_n r_nk x_n / N_k`, stored as an offset from an
//!   `origin` shared by all chunks of one data set, so that data far from zero keeps its
//!   precision,
//! - the centred weighted scatter `S_k = sum_n r_nk (x_n - xbar_k)(x_n - xbar_k)^T`
//!   (full D x D, or only its diagonal).
//!
//! Two statistics of disjoint chunks merge exactly (up to rounding) into those of their union
//! by the pairwise update of Chan, Golub & LeVeque (1979):
//! `delta = xbar_b - xbar_a`, `N = N_a + N_b`, `xbar = xbar_a + delta N_b / N`,
//! `S = S_a + S_b + delta delta^T N_a N_b / N`.

use nalgebra::{DMatrix, DVector};

/// Which part of the scatter matrix the statistics keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScatterKind {
    /// The full D x D scatter (for full and tied covariances).
    Full,
    /// Only the D diagonal entries (for diagonal and spherical covariances).
    Diagonal,
}

impl ScatterKind {
    fn len(self, d: usize) -> usize {
        match self {
            Self::Full => d * d,
            Self::Diagonal => d,
        }
    }
}

/// Points processed together by the vectorised loops (one 512-bit or two 256-bit registers
/// of `f64`).
pub(crate) const LANES: usize = 8;

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

/// `a * b + c`, fused when `FMA` (the caller is compiled with FMA instructions).
#[inline(always)]
pub(crate) fn mul_add<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// Sum of the lanes in a fixed order.
#[inline(always)]
pub(crate) fn hsum(v: [f64; LANES]) -> f64 {
    ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]))
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

/// Adds `sum_n w_{a,n} dc_{b,n}` for every pair `a <= b` of the `d` features of one tile
/// (`len` points, rows of `tile` values) into `lane_sums` (one group of [`LANES`] per pair,
/// pairs in row order of the upper triangle). Four columns `b` share each load of `w_a`.
#[inline(always)]
fn rank_update_upper<const FMA: bool>(
    centred: &[f64],
    weighted: &[f64],
    tile: usize,
    len: usize,
    d: usize,
    lane_sums: &mut [f64],
) {
    let mut pair = 0;
    for a in 0..d {
        let w = &weighted[a * tile..a * tile + len];
        let mut b = a;
        while b + 4 <= d {
            let c0 = &centred[b * tile..b * tile + len];
            let c1 = &centred[(b + 1) * tile..(b + 1) * tile + len];
            let c2 = &centred[(b + 2) * tile..(b + 2) * tile + len];
            let c3 = &centred[(b + 3) * tile..(b + 3) * tile + len];
            let mut acc = [[0.0; LANES]; 4];
            for ((((wg, g0), g1), g2), g3) in w
                .chunks_exact(LANES)
                .zip(c0.chunks_exact(LANES))
                .zip(c1.chunks_exact(LANES))
                .zip(c2.chunks_exact(LANES))
                .zip(c3.chunks_exact(LANES))
            {
                for l in 0..LANES {
                    acc[0][l] = mul_add::<FMA>(wg[l], g0[l], acc[0][l]);
                    acc[1][l] = mul_add::<FMA>(wg[l], g1[l], acc[1][l]);
                    acc[2][l] = mul_add::<FMA>(wg[l], g2[l], acc[2][l]);
                    acc[3][l] = mul_add::<FMA>(wg[l], g3[l], acc[3][l]);
                }
            }
            for (q, a) in acc.iter().enumerate() {
                let dst = &mut lane_sums[(pair + q) * LANES..(pair + q + 1) * LANES];
                for l in 0..LANES {
                    dst[l] += a[l];
                }
            }
            pair += 4;
            b += 4;
        }
        while b < d {
            let cb = &centred[b * tile..b * tile + len];
            let mut acc = [0.0; LANES];
            for (wg, g) in w.chunks_exact(LANES).zip(cb.chunks_exact(LANES)) {
                for l in 0..LANES {
                    acc[l] = mul_add::<FMA>(wg[l], g[l], acc[l]);
                }
            }
            let dst = &mut lane_sums[pair * LANES..(pair + 1) * LANES];
            for l in 0..LANES {
                dst[l] += acc[l];
            }
            pair += 1;
            b += 1;
        }
    }
}

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
    /// `rows` rounded up to a multiple of [`LANES`].
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
    fn stats(&mut self, k: usize, origin: &[f64], kind: ScatterKind) -> SufficientStats {
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

/// Sufficient statistics of K components over some points: `N_k`, weighted means and centred
/// weighted scatter. See the module documentation for the definitions and the merge rule.
#[derive(Debug, Clone, PartialEq)]
pub struct SufficientStats {
    n_features: usize,
    kind: ScatterKind,
    origin: Vec<f64>,
    n_k: Vec<f64>,
    /// K x D, row k = xbar_k - origin.
    mean_offsets: Vec<f64>,
    /// K blocks of D x D (row-major) or D.
    scatter: Vec<f64>,
}

impl SufficientStats {
    /// Empty statistics (all `N_k = 0`) for `k` components in `d` dimensions, with means
    /// stored relative to `origin` (length `d`).
    ///
    /// # Panics
    /// If `origin.len() != d` (a programming error, not user input).
    pub fn zeros(k: usize, origin: &[f64], kind: ScatterKind) -> Self {
        let d = origin.len();
        Self {
            n_features: d,
            kind,
            origin: origin.to_vec(),
            n_k: vec![0.0; k],
            mean_offsets: vec![0.0; k * d],
            scatter: vec![0.0; k * kind.len(d)],
        }
    }

    /// Statistics of a chunk of points (row-major, `points.len() = rows * d`) with their
    /// responsibilities (row-major `rows x k`), computed in two passes over blocks of
    /// [`block_rows`] points (first `N_k` and the means, then the scatter around those
    /// means), the blocks merged in order.
    pub fn from_chunk(
        points: &[f64],
        resp: &[f64],
        k: usize,
        origin: &[f64],
        kind: ScatterKind,
    ) -> Self {
        let d = origin.len();
        let rows = points.len() / d;
        debug_assert_eq!(resp.len(), rows * k);
        Self::from_row_blocks(
            points,
            k,
            origin,
            kind,
            |first, block_rows, resp_t, stride| {
                for c in 0..k {
                    let dst = &mut resp_t[c * stride..c * stride + block_rows];
                    for (n, r) in dst.iter_mut().enumerate() {
                        *r = resp[(first + n) * k + c];
                    }
                }
            },
        )
    }

    /// Statistics of hard labels (each point fully in component `labels[n]`).
    ///
    /// # Panics
    /// If a label is `>= k` or `labels.len()` differs from the number of points; callers
    /// validate labels first (see [`crate::init`]).
    pub fn from_labels(
        points: &[f64],
        labels: &[usize],
        k: usize,
        origin: &[f64],
        kind: ScatterKind,
    ) -> Self {
        let d = origin.len();
        assert_eq!(labels.len() * d, points.len(), "one label per point");
        assert!(labels.iter().all(|&l| l < k), "a label is not below k");
        Self::from_row_blocks(
            points,
            k,
            origin,
            kind,
            |first, block_rows, resp_t, stride| {
                for (n, &l) in labels[first..first + block_rows].iter().enumerate() {
                    resp_t[l * stride + n] = 1.0;
                }
            },
        )
    }

    /// Runs [`Self::from_transposed`] over blocks of [`block_rows`] points of a row-major
    /// `points`, with `fill_resp(first_row, rows, resp_t, stride)` writing the block's
    /// responsibilities feature-major into a zeroed `resp_t`, and merges the blocks in order.
    fn from_row_blocks(
        points: &[f64],
        k: usize,
        origin: &[f64],
        kind: ScatterKind,
        mut fill_resp: impl FnMut(usize, usize, &mut [f64], usize),
    ) -> Self {
        let d = origin.len();
        let rows = points.len() / d;
        let block = block_rows(d);
        if rows <= block {
            let mut work = TransposedChunk::default();
            work.load(points, origin);
            let stride = work.stride;
            fill_resp(0, rows, work.zeroed_resp(k), stride);
            return work.stats(k, origin, kind);
        }
        let mut total = Self::zeros(k, origin, kind);
        let mut work = TransposedChunk::default();
        for (b, chunk) in points.chunks(block * d).enumerate() {
            work.load(chunk, origin);
            let n = chunk.len() / d;
            let stride = work.stride;
            fill_resp(b * block, n, work.zeroed_resp(k), stride);
            total.merge(&work.stats(k, origin, kind));
        }
        total
    }

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

    /// Adds the statistics of a disjoint set of points (Chan's pairwise update).
    ///
    /// If the two origins differ, `other` is first re-expressed relative to this origin.
    ///
    /// # Panics
    /// If the two statistics differ in number of components, dimension or scatter kind.
    pub fn merge(&mut self, other: &SufficientStats) {
        assert_eq!(
            self.n_k.len(),
            other.n_k.len(),
            "merging stats of different K"
        );
        assert_eq!(
            self.n_features, other.n_features,
            "merging stats of different D"
        );
        assert_eq!(
            self.kind, other.kind,
            "merging stats of different scatter kinds"
        );
        let d = self.n_features;
        let block = self.kind.len(d);
        let shift: Vec<f64> = (0..d).map(|j| other.origin[j] - self.origin[j]).collect();
        for c in 0..self.n_k.len() {
            let nb = other.n_k[c];
            if nb == 0.0 {
                continue;
            }
            let na = self.n_k[c];
            let n = na + nb;
            let mb = &other.mean_offsets[c * d..(c + 1) * d];
            let ma = &mut self.mean_offsets[c * d..(c + 1) * d];
            let delta: Vec<f64> = (0..d).map(|j| (mb[j] + shift[j]) - ma[j]).collect();
            let f = nb / n;
            for j in 0..d {
                ma[j] += delta[j] * f;
            }
            let w = na * f;
            let sa = &mut self.scatter[c * block..(c + 1) * block];
            let sb = &other.scatter[c * block..(c + 1) * block];
            match self.kind {
                ScatterKind::Full => {
                    for a in 0..d {
                        for b in 0..d {
                            sa[a * d + b] += sb[a * d + b] + w * delta[a] * delta[b];
                        }
                    }
                }
                ScatterKind::Diagonal => {
                    for j in 0..d {
                        sa[j] += sb[j] + w * delta[j] * delta[j];
                    }
                }
            }
            self.n_k[c] = n;
        }
    }

    /// Number of components K.
    pub fn n_components(&self) -> usize {
        self.n_k.len()
    }

    /// Dimension D.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Which scatter is kept.
    pub fn scatter_kind(&self) -> ScatterKind {
        self.kind
    }

    /// The origin the means are stored relative to.
    pub fn origin(&self) -> &[f64] {
        &self.origin
    }

    /// `N_k = sum_n r_nk` for every component.
    pub fn n_k(&self) -> &[f64] {
        &self.n_k
    }

    /// `sum_k N_k`: the total weight (the number of points for responsibilities that sum to 1).
    pub fn total(&self) -> f64 {
        self.n_k.iter().sum()
    }

    /// `xbar_k - origin` (zero for an empty component).
    pub fn mean_offset(&self, k: usize) -> &[f64] {
        &self.mean_offsets[k * self.n_features..(k + 1) * self.n_features]
    }

    /// The weighted mean `xbar_k` (the origin for an empty component).
    pub fn mean(&self, k: usize) -> DVector<f64> {
        DVector::from_iterator(
            self.n_features,
            self.mean_offset(k)
                .iter()
                .zip(&self.origin)
                .map(|(m, o)| m + o),
        )
    }

    /// The centred scatter `S_k` as a full matrix (diagonal when only the diagonal is kept).
    pub fn scatter(&self, k: usize) -> DMatrix<f64> {
        let d = self.n_features;
        match self.kind {
            ScatterKind::Full => {
                DMatrix::from_row_slice(d, d, &self.scatter[k * d * d..(k + 1) * d * d])
            }
            ScatterKind::Diagonal => DMatrix::from_diagonal(&self.scatter_diagonal(k)),
        }
    }

    /// The diagonal of the centred scatter `S_k`.
    pub fn scatter_diagonal(&self, k: usize) -> DVector<f64> {
        let d = self.n_features;
        match self.kind {
            ScatterKind::Full => {
                DVector::from_iterator(d, (0..d).map(|j| self.scatter[k * d * d + j * d + j]))
            }
            ScatterKind::Diagonal => DVector::from_row_slice(&self.scatter[k * d..(k + 1) * d]),
        }
    }

    /// Within-component scatter summed over components, `sum_k S_k` (the tied statistic).
    pub fn pooled_scatter(&self) -> DMatrix<f64> {
        let d = self.n_features;
        (0..self.n_components()).fold(DMatrix::zeros(d, d), |acc, k| acc + self.scatter(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
                let whole = SufficientStats::from_chunk(&points, &resp, k, origin, kind);
                for split in [1usize, 37, 250, 499] {
                    let mut a = SufficientStats::from_chunk(
                        &points[..split * d],
                        &resp[..split * k],
                        k,
                        origin,
                        kind,
                    );
                    let b = SufficientStats::from_chunk(
                        &points[split * d..],
                        &resp[split * k..],
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
                    acc.merge(&SufficientStats::from_chunk(pc, rc, k, &o, kind));
                }
                assert_close(&acc, &whole, 1e-12);
            }
        }
    }

    #[test]
    fn hard_labels_give_cluster_means_and_scatter() {
        let points = [0.0, 2.0, 10.0, 14.0];
        let stats =
            SufficientStats::from_labels(&points, &[0, 0, 1, 1], 2, &[0.0], ScatterKind::Full);
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
            SufficientStats::from_labels(&[1.0, 3.0], &[1, 1], 2, &[0.0], ScatterKind::Diagonal);
        a.merge(&b);
        assert_eq!(a, b);
    }
}
