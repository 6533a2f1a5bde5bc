//! What the points with missing coordinates add to the statistics (docs/em.md, eqs.
//! M3-M5): each point completed by its conditional expectation under a component, and the
//! conditional covariance of its missing block added to that component's scatter. A plain
//! loop (no lanes): the complete points keep the vectorised path.

use nalgebra::DMatrix;

use super::{ComponentPart, ScatterKind, SufficientStats};

impl SufficientStats {
    /// Merges into component `c` the points `points` (row-major, D per point, no NaN), point
    /// `n` with weight `r[n]` (its responsibility times its weight, finite and `>= 0`):
    /// their `N`, mean and centred scatter computed in two passes relative to the origin,
    /// then Chan's update.
    pub(crate) fn add_component_points(&mut self, c: usize, points: &[f64], r: &[f64]) {
        let d = self.n_features;
        let n: f64 = r.iter().sum();
        if n == 0.0 {
            return;
        }
        let mut mean_offset = vec![0.0; d];
        for (x, &w) in points.chunks_exact(d).zip(r) {
            for j in 0..d {
                mean_offset[j] += w * (x[j] - self.origin[j]);
            }
        }
        for m in &mut mean_offset {
            *m /= n;
        }
        let mut scatter = vec![0.0; self.kind.len(d)];
        let mut u = vec![0.0; d];
        for (x, &w) in points.chunks_exact(d).zip(r) {
            for j in 0..d {
                u[j] = (x[j] - self.origin[j]) - mean_offset[j];
            }
            match self.kind {
                ScatterKind::Full => {
                    for a in 0..d {
                        for b in 0..d {
                            scatter[a * d + b] += w * u[a] * u[b];
                        }
                    }
                }
                ScatterKind::Diagonal => {
                    for j in 0..d {
                        scatter[j] += w * u[j] * u[j];
                    }
                }
            }
        }
        let part = ComponentPart {
            n,
            mean_offset: &mean_offset,
            scatter: &scatter,
        };
        self.merge_component(c, &part, &vec![0.0; d], &mut vec![0.0; d]);
    }

    /// Adds `weight * cov` to the scatter of component `c` at the rows and columns
    /// `indices` (`cov` is `indices.len()` square; only its diagonal when the statistics
    /// keep the diagonal). The scatter is a sum over points, so this term, the conditional
    /// covariance of missing coordinates, commutes with every merge.
    pub(crate) fn add_conditional_scatter(
        &mut self,
        c: usize,
        indices: &[usize],
        cov: &DMatrix<f64>,
        weight: f64,
    ) {
        let d = self.n_features;
        let block = self.kind.len(d);
        let s = &mut self.scatter[c * block..(c + 1) * block];
        for (a, &i) in indices.iter().enumerate() {
            match self.kind {
                ScatterKind::Full => {
                    for (b, &j) in indices.iter().enumerate() {
                        s[i * d + j] += weight * cov[(a, b)];
                    }
                }
                ScatterKind::Diagonal => s[i] += weight * cov[(a, a)],
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_added_to_one_component_equal_the_chunk_statistics() {
        let points = [1.0, 2.0, 3.0, -1.0, 0.5, 4.0, 2.0, 2.0];
        let r = [0.3, 1.0, 0.0, 2.5];
        let origin = [1e3, -2e3];
        for kind in [ScatterKind::Full, ScatterKind::Diagonal] {
            let resp: Vec<f64> = r.iter().flat_map(|&v| [0.0, v]).collect();
            let whole = SufficientStats::from_chunk(&points, &resp, None, 2, &origin, kind);
            let mut stats = SufficientStats::zeros(2, &origin, kind);
            stats.add_component_points(1, &points[..4], &r[..2]);
            stats.add_component_points(1, &points[4..], &r[2..]);
            assert!((stats.n_k()[1] - whole.n_k()[1]).abs() < 1e-12);
            let mean_error = (stats.mean(1) - whole.mean(1)).amax();
            let scatter_error = (stats.scatter(1) - whole.scatter(1)).amax();
            assert!(mean_error < 1e-12 && scatter_error < 1e-12, "{kind:?}");
        }
    }
}
