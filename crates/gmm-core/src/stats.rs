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
    /// responsibilities (row-major `rows x k`), computed in two passes: first `N_k` and the
    /// means, then the scatter around those means.
    pub fn from_chunk(
        points: &[f64],
        resp: &[f64],
        k: usize,
        origin: &[f64],
        kind: ScatterKind,
    ) -> Self {
        let d = origin.len();
        let mut stats = Self::zeros(k, origin, kind);
        let rows = points.len() / d;
        debug_assert_eq!(resp.len(), rows * k);
        for n in 0..rows {
            let x = &points[n * d..(n + 1) * d];
            for c in 0..k {
                let r = resp[n * k + c];
                if r == 0.0 {
                    continue;
                }
                stats.n_k[c] += r;
                let m = &mut stats.mean_offsets[c * d..(c + 1) * d];
                for j in 0..d {
                    m[j] += r * (x[j] - origin[j]);
                }
            }
        }
        for c in 0..k {
            if stats.n_k[c] > 0.0 {
                let inv = 1.0 / stats.n_k[c];
                stats.mean_offsets[c * d..(c + 1) * d]
                    .iter_mut()
                    .for_each(|m| *m *= inv);
            }
        }
        let mut diff = vec![0.0; d];
        let block = kind.len(d);
        for n in 0..rows {
            let x = &points[n * d..(n + 1) * d];
            for c in 0..k {
                let r = resp[n * k + c];
                if r == 0.0 {
                    continue;
                }
                let m = &stats.mean_offsets[c * d..(c + 1) * d];
                for j in 0..d {
                    diff[j] = (x[j] - origin[j]) - m[j];
                }
                let s = &mut stats.scatter[c * block..(c + 1) * block];
                match kind {
                    ScatterKind::Full => {
                        for a in 0..d {
                            let ra = r * diff[a];
                            let row = &mut s[a * d..(a + 1) * d];
                            for b in a..d {
                                row[b] += ra * diff[b];
                            }
                        }
                    }
                    ScatterKind::Diagonal => {
                        for j in 0..d {
                            s[j] += r * diff[j] * diff[j];
                        }
                    }
                }
            }
        }
        if kind == ScatterKind::Full {
            stats.mirror_upper();
        }
        stats
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
        let mut resp = vec![0.0; labels.len() * k];
        for (n, &l) in labels.iter().enumerate() {
            resp[n * k + l] = 1.0;
        }
        Self::from_chunk(points, &resp, k, origin, kind)
    }

    fn mirror_upper(&mut self) {
        let d = self.n_features;
        for s in self.scatter.chunks_exact_mut(d * d) {
            for a in 0..d {
                for b in 0..a {
                    s[a * d + b] = s[b * d + a];
                }
            }
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
