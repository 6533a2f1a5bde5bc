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
mod missing;
mod rank_update;
#[cfg(test)]
mod tests;
mod tiles;
mod wire;

pub use wire::{STATS_FORMAT, STATS_FORMAT_VERSION};

pub(crate) use tiles::{TransposedChunk, block_rows};

/// Checks that there is one weight per point, each finite and `>= 0`.
fn check_weights_shape(weights: Option<&[f64]>, rows: usize) {
    if let Some(w) = weights {
        assert_eq!(w.len(), rows, "one weight per point");
        assert!(
            w.iter().all(|w| w.is_finite() && *w >= 0.0),
            "weights must be finite and non-negative"
        );
    }
}

/// The statistics of one component over some points, as [`SufficientStats`] stores them.
struct ComponentPart<'a> {
    /// `N_k`.
    n: f64,
    /// `xbar_k` minus an origin.
    mean_offset: &'a [f64],
    /// The centred scatter (D x D row-major, or its diagonal).
    scatter: &'a [f64],
}

/// Which part of the scatter matrix the statistics keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScatterKind {
    /// The full D x D scatter (for full and tied covariances).
    Full,
    /// Only the D diagonal entries (for diagonal and spherical covariances).
    Diagonal,
}

impl ScatterKind {
    /// Scatter entries per component for dimension `d`: `d * d` (full) or `d` (diagonal).
    fn len(self, d: usize) -> usize {
        match self {
            Self::Full => d * d,
            Self::Diagonal => d,
        }
    }
}

/// What the M-steps add to every `N_k` before dividing by it (`10 * eps` of f64, as
/// scikit-learn), so that an empty component gives finite parameters.
pub const N_K_EPSILON: f64 = 10.0 * f64::EPSILON;

/// Sufficient statistics of K components over some points: `N_k`, weighted means and centred
/// weighted scatter. See the module documentation for the definitions and the merge rule.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(into = "wire::StatsWire", try_from = "wire::StatsWire")]
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
    /// responsibilities (row-major `rows x k`) and optional weights (one per point, which
    /// multiply its responsibilities): `zeros` then [`Self::add_points`].
    ///
    /// # Panics
    /// As [`Self::add_points`].
    pub fn from_chunk(
        points: &[f64],
        resp: &[f64],
        weights: Option<&[f64]>,
        k: usize,
        origin: &[f64],
        kind: ScatterKind,
    ) -> Self {
        let mut stats = Self::zeros(k, origin, kind);
        stats.add_points(points, resp, weights);
        stats
    }

    /// Statistics of hard labels (each point fully in component `labels[n]`, with its
    /// weight if `weights` are given): `zeros` then [`Self::add_labelled_points`].
    ///
    /// # Panics
    /// As [`Self::add_labelled_points`].
    pub fn from_labels(
        points: &[f64],
        labels: &[usize],
        weights: Option<&[f64]>,
        k: usize,
        origin: &[f64],
        kind: ScatterKind,
    ) -> Self {
        let mut stats = Self::zeros(k, origin, kind);
        stats.add_labelled_points(points, labels, weights);
        stats
    }

    /// Merges in the statistics of a chunk of points with their responsibilities (row-major
    /// `rows x k`, each multiplied by the point's weight when `weights` are given), computed
    /// over blocks as large as the E-step's chunks (about 256 KiB of points), in two passes
    /// per block (first `N_k` and the means, then the scatter around those means), the
    /// blocks merged in order. A stream of batches cut at multiples of the block size gives
    /// the same statistics bit for bit as the whole data at once. The responsibilities and
    /// weights must be finite and non-negative (from D = 8 the scatter is summed over
    /// `sqrt(r)`-scaled differences).
    ///
    /// # Panics
    /// If `resp.len() != rows * k` or `weights` has another length than the points, or a
    /// responsibility or weight is negative or not finite (user-given ones are checked by
    /// `InitialResponsibilities::check` and `Dataset::with_weights` first).
    pub fn add_points(&mut self, points: &[f64], resp: &[f64], weights: Option<&[f64]>) {
        let (d, k) = (self.n_features, self.n_components());
        let rows = points.len() / d;
        assert_eq!(resp.len(), rows * k, "responsibilities are not rows x k");
        assert!(
            resp.iter().all(|r| r.is_finite() && *r >= 0.0),
            "responsibilities must be finite and non-negative"
        );
        check_weights_shape(weights, rows);
        self.add_row_blocks(points, |first, block_rows, resp_t, stride| {
            for c in 0..k {
                let dst = &mut resp_t[c * stride..c * stride + block_rows];
                for (n, r) in dst.iter_mut().enumerate() {
                    let w = weights.map_or(1.0, |w| w[first + n]);
                    *r = resp[(first + n) * k + c] * w;
                }
            }
        });
    }

    /// Merges in the statistics of hard labels (each point fully in component `labels[n]`,
    /// with its weight when `weights` are given), block by block as
    /// [`Self::add_points`].
    ///
    /// # Panics
    /// If a label is `>= k`, `labels.len()` or `weights.len()` differs from the number of
    /// points, or a weight is negative or not finite; callers validate labels and weights
    /// first (the initialisation and `Dataset` do).
    pub fn add_labelled_points(
        &mut self,
        points: &[f64],
        labels: &[usize],
        weights: Option<&[f64]>,
    ) {
        let (d, k) = (self.n_features, self.n_components());
        assert_eq!(labels.len() * d, points.len(), "one label per point");
        assert!(labels.iter().all(|&l| l < k), "a label is not below k");
        check_weights_shape(weights, labels.len());
        self.add_row_blocks(points, |first, block_rows, resp_t, stride| {
            for (n, &l) in labels[first..first + block_rows].iter().enumerate() {
                resp_t[l * stride + n] = weights.map_or(1.0, |w| w[first + n]);
            }
        });
    }

    /// Runs [`Self::from_transposed`] over blocks of [`block_rows`] points of a row-major
    /// `points`, with `fill_resp(first_row, rows, resp_t, stride)` writing the block's
    /// responsibilities feature-major into a zeroed `resp_t`, and merges the blocks into
    /// `self` in order.
    fn add_row_blocks(
        &mut self,
        points: &[f64],
        mut fill_resp: impl FnMut(usize, usize, &mut [f64], usize),
    ) {
        let (d, k, kind) = (self.n_features, self.n_components(), self.kind);
        let block = block_rows(d);
        let origin = self.origin.clone();
        let mut work = TransposedChunk::<f64>::default();
        for (b, chunk) in points.chunks(block * d).enumerate() {
            work.load::<false, f64>(chunk, &origin);
            let n = chunk.len() / d;
            let stride = work.stride;
            fill_resp(b * block, n, work.zeroed_resp(k), stride);
            self.merge(&work.stats::<false>(k, &origin, kind));
        }
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
        // one buffer for every component's difference of means: no allocation per component
        let mut delta = vec![0.0; d];
        for c in 0..self.n_k.len() {
            let part = ComponentPart {
                n: other.n_k[c],
                mean_offset: &other.mean_offsets[c * d..(c + 1) * d],
                scatter: &other.scatter[c * block..(c + 1) * block],
            };
            self.merge_component(c, &part, &shift, &mut delta);
        }
    }

    /// Chan's update of component `c` with the statistics `part` of a disjoint set of points
    /// whose mean offset is relative to `origin + shift` (`delta` is a buffer of length D).
    fn merge_component(
        &mut self,
        c: usize,
        part: &ComponentPart<'_>,
        shift: &[f64],
        delta: &mut [f64],
    ) {
        let d = self.n_features;
        let block = self.kind.len(d);
        let nb = part.n;
        if nb == 0.0 {
            return;
        }
        let na = self.n_k[c];
        let n = na + nb;
        let mb = part.mean_offset;
        let ma = &mut self.mean_offsets[c * d..(c + 1) * d];
        for (j, dj) in delta.iter_mut().enumerate() {
            *dj = (mb[j] + shift[j]) - ma[j];
        }
        let f = nb / n;
        for j in 0..d {
            ma[j] += delta[j] * f;
        }
        let w = na * f;
        let sa = &mut self.scatter[c * block..(c + 1) * block];
        let sb = part.scatter;
        match self.kind {
            ScatterKind::Full => {
                // Row by row as slices, so that the loop has no bounds checks and vectorises
                // (`w delta_a` once per row: the same bits as `w * delta[a] * delta[b]`).
                for ((row_a, row_b), da) in
                    sa.chunks_exact_mut(d).zip(sb.chunks_exact(d)).zip(&*delta)
                {
                    let wa = w * da;
                    for ((s, t), db) in row_a.iter_mut().zip(row_b).zip(&*delta) {
                        *s += t + wa * db;
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
