//! Initialisation: the responsibilities an estimator turns into its first model with one
//! M-step (docs/maths.md, section "Initialisation").
//!
//! Every method is deterministic for a given seed. Hard methods (k-means, k-means++, random
//! from data, from labels, from means) give every point a label; `Random` gives
//! responsibilities drawn from U(0, 1) and normalised per point, as scikit-learn does.
//!
//! Where scikit-learn's `k-means++` and `random_from_data` give responsibilities to the K
//! chosen points only (every other row zero; their issue #24085), here every point is
//! assigned to its nearest chosen centre, so the first model is built from all the data.
//!
//! **Canonical order.** The seeded methods never walk the rows in their given order: they
//! walk them in a *canonical order* ([`canonical_order`]), the row indices sorted by the
//! rows' values (lexicographically, by [`f64::total_cmp`]), then by weight, then by index.
//! Rows that tie on values and weight are interchangeable, so any permutation of the rows
//! gives the same sequence of (values, weight) in canonical order, and from the same seed
//! k-means, k-means++ and random-from-data choose the same centres: the start does not depend
//! on the order of the rows (up to the floating-point summation order of Lloyd's means,
//! which decides only an assignment within rounding of a tie). It costs one sort of N indices
//! (N `usize`s, no copy of the data) per initialisation. `Random` needs no order: each
//! point's draws come from a stream fixed by the seed and the point's own values.
//!
//! **Frequency weights.** Every random choice of a seeding is a draw over the running sums
//! of the rows' weights (1 each without weights) in canonical order, so a row of integer
//! weight `w` is drawn exactly as `w` copies of itself (adjacent in canonical order, wherever
//! they are in the data) and a row of weight 0 as an absent one: from the same seed, k-means,
//! k-means++ and random-from-data give weighted data and its repeated rows, in any order of
//! either, the same centres (up to the rounding of sums of `w D^2` and of weighted means,
//! which decides only a draw or an assignment within rounding of a tie). `Random` gives
//! copies of a row the same draws (a stream keyed by the seed and the row's values), so `w`
//! copies and a row of weight `w` start alike, exactly; scikit-learn draws an independent row
//! of uniforms per position, which has the same distribution for distinct rows.
//!
//! **Empty components.** With fewer distinct points than K, k-means and k-means++ leave some
//! components without points, and random-from-data does when it draws two rows of equal
//! values (the later centre loses every tie). That is not an error: as scikit-learn, the
//! first M-step then gives such a component weight ~0 (its `N_k` is `10 eps`), and EM mean 0
//! and covariance `reg_covar I` (gmm-em's `m_step`), VB the prior. Given labels and given
//! means are the user's, and must still leave every component a point.

use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng, rngs::StdRng};

use crate::data::Dataset;
use crate::error::{GmmError, Result};
use crate::stats::{ScatterKind, SufficientStats};

mod start_rows;
mod streamed;

pub use streamed::{DEFAULT_INIT_SAMPLE, data_statistics, nearest_mean_statistics};

/// How to choose the initial responsibilities.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum InitMethod {
    /// k-means++ seeding, then Lloyd's algorithm to convergence (weighted means); each point
    /// to its cluster. With fewer distinct points than K some clusters stay empty. Invariant
    /// to the order of the rows (see the module documentation).
    #[default]
    KMeans,
    /// k-means++ seeding only (draws proportional to `w_n D(x_n)^2`, over the rows in
    /// canonical order); each point to its nearest seed.
    KMeansPlusPlus,
    /// Responsibilities drawn from U(0, 1], normalised per point, from a stream keyed by the
    /// seed and the point's values: invariant to the order of the rows, and a row of weight
    /// `w` starts as `w` copies of it (equal rows get equal draws, where scikit-learn draws
    /// each position independently).
    Random,
    /// K rows drawn as centres without replacement, with probability proportional to their
    /// weights (uniformly without weights; a row of weight `w` as `w` copies; the draws over
    /// the rows in canonical order, see the module documentation); each point to its nearest
    /// centre. Rows of equal values are different
    /// rows, as in scikit-learn's `choice(n_samples, K, replace=False)`: two centres may
    /// coincide, and the later one then starts with no point.
    RandomFromData,
    /// Given labels, one per point, each in `0..K`.
    FromLabels(Vec<usize>),
    /// Given K x D means; each point to its nearest mean (squared Euclidean, ties to the
    /// lowest index). This is scikit-learn reference harness's `init_means`.
    FromMeans(DMatrix<f64>),
}

/// Initial responsibilities, hard or soft.
#[derive(Debug, Clone, PartialEq)]
pub enum InitialResponsibilities {
    /// Each point fully in one component.
    Hard {
        /// Component of each point.
        labels: Vec<usize>,
        /// Number of components K.
        n_components: usize,
    },
    /// Soft responsibilities, N x K row-major, each row summing to 1.
    Soft {
        /// The responsibilities.
        resp: Vec<f64>,
        /// Number of components K.
        n_components: usize,
    },
}

impl InitialResponsibilities {
    /// Sufficient statistics of these responsibilities over `data`, means relative to the
    /// data's first point (as the E-step stores them).
    ///
    /// Rows with missing coordinates count with their missing values replaced by the observed
    /// means of their columns ([`Dataset::mean_imputed`]).
    pub fn sufficient_stats(&self, data: &Dataset, kind: ScatterKind) -> SufficientStats {
        let data = &*data.mean_imputed();
        let origin = data.row(0);
        match self {
            Self::Hard {
                labels,
                n_components,
            } => SufficientStats::from_labels(
                data.as_slice(),
                labels,
                data.weights(),
                *n_components,
                origin,
                kind,
            ),
            Self::Soft { resp, n_components } => SufficientStats::from_chunk(
                data.as_slice(),
                resp,
                data.weights(),
                *n_components,
                origin,
                kind,
            ),
        }
    }

    /// Checks that these responsibilities fit `n_samples` points and `k` components: one
    /// label per point, each below `k`, or `n_samples x k` finite non-negative values.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`], [`GmmError::InvalidLabels`] or
    /// [`GmmError::InvalidParameter`] naming the first offending point.
    pub fn check(&self, n_samples: usize, k: usize) -> Result<()> {
        if self.n_components() != k {
            return Err(GmmError::ShapeMismatch {
                what: "number of components of the initial responsibilities against n_components"
                    .into(),
                expected: k,
                found: self.n_components(),
            });
        }
        match self {
            Self::Hard { labels, .. } => {
                if labels.len() != n_samples {
                    return Err(GmmError::InvalidLabels {
                        reason: format!(
                            "{} labels for {n_samples} points: give one label per point",
                            labels.len()
                        ),
                    });
                }
                if let Some((i, l)) = labels.iter().enumerate().find(|(_, l)| **l >= k) {
                    return Err(GmmError::InvalidLabels {
                        reason: format!("label {l} at point {i} is not below n_components = {k}"),
                    });
                }
            }
            Self::Soft { resp, .. } => {
                if resp.len() != n_samples * k {
                    return Err(GmmError::ShapeMismatch {
                        what: format!(
                            "number of responsibilities ({n_samples} points x {k} components)"
                        ),
                        expected: n_samples * k,
                        found: resp.len(),
                    });
                }
                if let Some(i) = resp.iter().position(|r| !(r.is_finite() && *r >= 0.0)) {
                    return Err(GmmError::InvalidParameter {
                        name: "responsibilities",
                        value: resp[i].to_string(),
                        reason: format!(
                            "entry for point {}, component {} must be finite and >= 0",
                            i / k,
                            i % k
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Number of components K.
    pub fn n_components(&self) -> usize {
        match self {
            Self::Hard { n_components, .. } | Self::Soft { n_components, .. } => *n_components,
        }
    }
}

impl InitMethod {
    /// The points this method starts a fit of `k` components from ([`Dataset::start_rows`]):
    /// `data` itself when nothing is missing; with missing coordinates, the complete rows
    /// when at least `k` of them count, else every row mean-imputed; given labels name
    /// every row, so they always start from the mean-imputed rows.
    pub fn start_rows<'a>(&self, data: &'a Dataset, k: usize) -> std::borrow::Cow<'a, Dataset> {
        data.start_rows(k, matches!(self, Self::FromLabels(_)))
    }

    /// A short name (`kmeans`, `kmeans++`, `random`, `random-from-data`, `labels`, `means`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::KMeans => "kmeans",
            Self::KMeansPlusPlus => "kmeans++",
            Self::Random => "random",
            Self::RandomFromData => "random-from-data",
            Self::FromLabels(_) => "labels",
            Self::FromMeans(_) => "means",
        }
    }

    /// Initial responsibilities of `k` components over `data`, from `seed`.
    ///
    /// # Errors
    /// - [`GmmError::InvalidParameter`] for `k = 0`; [`GmmError::TooFewSamples`] for `k > N`.
    /// - [`GmmError::InvalidLabels`] when given labels have the wrong length, a label
    ///   `>= k`, or leave a component empty; when given means leave a component with no
    ///   nearest point. (The seeded methods may leave a component empty: see the module
    ///   documentation.)
    /// - [`GmmError::ShapeMismatch`] when given means are not K x D.
    pub fn initial_responsibilities(
        &self,
        data: &Dataset,
        k: usize,
        seed: u64,
    ) -> Result<InitialResponsibilities> {
        check_k(data, k)?;
        let mut rng = StdRng::seed_from_u64(seed);
        let hard = |labels: Vec<usize>| InitialResponsibilities::Hard {
            labels,
            n_components: k,
        };
        match self {
            Self::KMeans => {
                let order = canonical_order(data);
                let centres = kmeans_plus_plus(data, &order, k, &mut rng);
                Ok(hard(lloyd(data, &order, centres, 300).labels))
            }
            Self::KMeansPlusPlus => {
                let order = canonical_order(data);
                let centres = kmeans_plus_plus(data, &order, k, &mut rng);
                Ok(hard(nearest_labels(data, &centres)))
            }
            Self::RandomFromData => {
                let d = data.n_features();
                let order = canonical_order(data);
                let mut centres = Vec::with_capacity(k * d);
                for i in units_drawn(data, &order, k, &mut rng) {
                    centres.extend_from_slice(data.row(i));
                }
                Ok(hard(nearest_labels(data, &centres)))
            }
            Self::Random => {
                let mut resp = Vec::with_capacity(data.n_samples() * k);
                for x in data.rows() {
                    random_responsibilities_of(x, k, seed, &mut resp);
                }
                Ok(InitialResponsibilities::Soft {
                    resp,
                    n_components: k,
                })
            }
            Self::FromLabels(labels) => {
                check_labels(labels, data, k)?;
                Ok(hard(labels.clone()))
            }
            Self::FromMeans(means) => {
                let flat = flat_means(means, k, data.n_features())?;
                let labels = nearest_labels(data, &flat);
                check_labels(&labels, data, k).map_err(|_| mean_without_points())?;
                Ok(hard(labels))
            }
        }
    }
}

/// Given K x D initial means, checked (shape, finite values), row-major.
/// Responsibilities drawn from U(0, 1] for the point `x` and normalised, appended to `out`:
/// the draws come from a stream fixed by the seed and the point's values (SplitMix64 over
/// the seed and the values' bits), not by its position, so copies of a row get the same
/// draws wherever they stand. The start then does not depend on the order of the rows, and
/// a weight of `w` starts as `w` copies (scikit-learn draws one row of uniforms per
/// position; the distribution of a point's draws is the same).
pub(crate) fn random_responsibilities_of(x: &[f64], k: usize, seed: u64, out: &mut Vec<f64>) {
    let mut h = splitmix64(seed);
    for v in x {
        h = splitmix64(h ^ v.to_bits());
    }
    let start = out.len();
    let mut sum = 0.0;
    for c in 0..k as u64 {
        // 53 random bits as a value in (0, 1]
        let u = ((splitmix64(h.wrapping_add(c + 1)) >> 11) + 1) as f64 / (1u64 << 53) as f64;
        sum += u;
        out.push(u);
    }
    for v in &mut out[start..] {
        *v /= sum;
    }
}

/// One step of SplitMix64 (Steele, Lea & Flood 2014): a well-mixed 64-bit hash of `z`.
fn splitmix64(z: u64) -> u64 {
    let mut z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn flat_means(means: &DMatrix<f64>, k: usize, d: usize) -> Result<Vec<f64>> {
    if means.shape() != (k, d) {
        return Err(GmmError::ShapeMismatch {
            what: format!("initial means must be {k} x {d} (rows x columns); rows given"),
            expected: k,
            found: means.nrows(),
        });
    }
    if let Some(v) = means.iter().find(|v| !v.is_finite()) {
        return Err(GmmError::InvalidParameter {
            name: "init_means",
            value: v.to_string(),
            reason: "initial means must be finite".into(),
        });
    }
    let mut flat = Vec::with_capacity(means.len());
    for c in 0..k {
        flat.extend(means.row(c).iter().copied());
    }
    Ok(flat)
}

/// The error of initial means one of which is nearest to no point (of positive weight).
fn mean_without_points() -> GmmError {
    GmmError::InvalidLabels {
        reason: "some initial mean is nearest to no point: move it towards the data or lower K"
            .into(),
    }
}

fn check_k(data: &Dataset, k: usize) -> Result<()> {
    check_k_of(data.n_counted(), k)
}

/// Checks `k` against the number of points of positive weight.
fn check_k_of(counted: usize, k: usize) -> Result<()> {
    if k == 0 {
        return Err(GmmError::InvalidParameter {
            name: "n_components",
            value: "0".into(),
            reason: "a mixture needs at least one component".into(),
        });
    }
    if k > counted {
        return Err(GmmError::TooFewSamples {
            n_samples: counted,
            n_components: k,
        });
    }
    Ok(())
}

/// The row indices sorted into the canonical order of the seeding: by the rows' values,
/// lexicographically by [`f64::total_cmp`], then by weight (also by `total_cmp`), then by
/// index. Only rows equal in values and weight keep their relative order, and those are
/// interchangeable in every draw, so a permutation of the rows changes the returned indices
/// but not the sequence of (values, weight) they point to. Copies of a row are adjacent.
///
/// One sort of N indices: `O(N log N)` comparisons of up to D values each (most decided by
/// a key of the first value held next to each index, 16 bytes a row during the sort), and
/// N `usize`s kept; the data are not copied.
pub(crate) fn canonical_order(data: &Dataset) -> Vec<usize> {
    // each index with its row's first value as a key ordered as `total_cmp` orders the
    // value, so most comparisons stay in the sorted array instead of fetching two rows
    let mut keyed: Vec<(u64, usize)> = (0..data.n_samples())
        .map(|i| (total_order_key(data.row(i)[0]), i))
        .collect();
    // the index closes every tie, so the unstable sort gives the stable sort's order
    keyed.sort_unstable_by(|&(ka, a), &(kb, b)| {
        ka.cmp(&kb).then_with(|| {
            compare_values(&data.row(a)[1..], &data.row(b)[1..])
                .then_with(|| data.weight(a).total_cmp(&data.weight(b)))
                .then(a.cmp(&b))
        })
    });
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// An unsigned key of `x` in the order of [`f64::total_cmp`] (its bit trick: negative
/// values have their other bits flipped, then the sign bit is flipped).
fn total_order_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Lexicographic order of two rows of equal length by [`f64::total_cmp`].
fn compare_values(x: &[f64], y: &[f64]) -> std::cmp::Ordering {
    x.iter()
        .zip(y)
        .map(|(a, b)| a.total_cmp(b))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// The `k` rows whose values become the centres of `RandomFromData`: `k` draws without
/// replacement of *units of weight*, as scikit-learn's `choice(n_samples, k, replace=False)`
/// draws row indices, over the rows in canonical `order`.
///
/// Each draw takes a position `u * W` uniform in `[0, W)`, `W` the weight not drawn yet, and
/// picks the row whose stretch of the cumulative weights (in canonical order) holds it; then
/// one unit (or what is left of the row's weight, if less) is taken off that row. A row of
/// integer weight `w` is thus exactly `w` copies of itself, which are adjacent in canonical
/// order: the copies of a row cover the same stretch of the cumulative weights as the row, so
/// the same position picks a copy of the same row, and the row can be drawn as often as it has
/// copies. Without weights every row weighs 1 and this is a uniform draw of `k` distinct rows.
/// A weight of 0.5 is half a point (drawn at most once, with half the chance). Duplicate rows
/// are different rows: two centres can have the same values (the later one then starts empty;
/// see [`InitMethod::RandomFromData`]). Needs at least `k` rows of positive weight
/// (`check_k`).
fn units_drawn(data: &Dataset, order: &[usize], k: usize, rng: &mut StdRng) -> Vec<usize> {
    // the weights not drawn yet, in canonical order
    let mut left: Vec<f64> = order.iter().map(|&i| data.weight(i)).collect();
    (0..k)
        .map(|_| {
            let r = draw_or_last(&left, rng);
            left[r] -= left[r].min(1.0);
            order[r]
        })
        .collect()
}

/// A position drawn with probability proportional to `masses` (`>= 0`, the rows' masses in
/// canonical order): `u * total` (`u` uniform in `[0, 1)`) located in the running sums of
/// the masses; `None`, without drawing, when the total is not positive and finite. Integer
/// masses are summed exactly, so `m` masses of 1 in a row and one mass of `m` cover the same
/// stretch and take the same draws. A permutation of the rows leaves the masses in canonical
/// order as they are, so it changes no bit of the draw.
fn draw_proportional(masses: &[f64], rng: &mut StdRng) -> Option<usize> {
    let total: f64 = masses.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    let u = rng.random::<f64>() * total;
    let mut acc = 0.0;
    for (r, m) in masses.iter().enumerate() {
        acc += m;
        if u < acc {
            return Some(r);
        }
    }
    // rounding left `u` at or past the last running sum: the last position that has mass
    masses.iter().rposition(|m| *m > 0.0)
}

/// [`draw_proportional`], or where its total is not positive and finite (weights summing
/// past `f64::MAX`) the last position of positive mass, without drawing. The callers hold a
/// row of positive mass (`check_k`); failing that, position 0.
fn draw_or_last(masses: &[f64], rng: &mut StdRng) -> usize {
    draw_proportional(masses, rng)
        .or_else(|| masses.iter().rposition(|m| *m > 0.0))
        .unwrap_or(0)
}

fn check_labels(labels: &[usize], data: &Dataset, k: usize) -> Result<()> {
    check_label_values(labels, data.n_samples(), k)?;
    let mut counts = vec![0usize; k];
    for (i, &l) in labels.iter().enumerate() {
        if data.weight(i) > 0.0 {
            counts[l] += 1;
        }
    }
    check_label_counts(&counts)
}

/// Checks that every component has a point (of positive weight), given their counts.
fn check_label_counts(counts: &[usize]) -> Result<()> {
    match counts.iter().position(|&c| c == 0) {
        Some(c) => Err(GmmError::InvalidLabels {
            reason: format!(
                "component {c} has no point (of positive weight): every component needs at \
                 least one"
            ),
        }),
        None => Ok(()),
    }
}

/// Checks that there is one label per point, each below `k`.
fn check_label_values(labels: &[usize], n: usize, k: usize) -> Result<()> {
    if labels.len() != n {
        return Err(GmmError::InvalidLabels {
            reason: format!(
                "{} labels for {n} points: give one label per point",
                labels.len()
            ),
        });
    }
    if let Some((i, l)) = labels.iter().enumerate().find(|(_, l)| **l >= k) {
        return Err(GmmError::InvalidLabels {
            reason: format!("label {l} at point {i} is not below n_components = {k}"),
        });
    }
    Ok(())
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Index of the nearest of the `centres` (row-major K x D) to `x`, ties to the lowest index.
fn nearest(x: &[f64], centres: &[f64]) -> (usize, f64) {
    let d = x.len();
    let mut best = (0, f64::INFINITY);
    for (c, centre) in centres.chunks_exact(d).enumerate() {
        let dist = squared_distance(x, centre);
        if dist < best.1 {
            best = (c, dist);
        }
    }
    best
}

/// Label of every point: its nearest centre (row-major K x D), ties to the lowest index.
pub(crate) fn nearest_labels(data: &Dataset, centres: &[f64]) -> Vec<usize> {
    data.rows().map(|x| nearest(x, centres).0).collect()
}

/// k-means++ seeding (Arthur & Vassilvitskii 2007): the first centre drawn with probability
/// proportional to the points' weights (uniformly without weights), each next one with
/// probability proportional to `w_n D(x_n)^2`, `D` the distance to the nearest centre so far.
/// Every draw is [`draw_proportional`] over the rows in canonical `order`, so the centres do
/// not depend on the order of the rows, and a row of integer weight `w` draws as `w` copies
/// of itself (adjacent in canonical order; up to the rounding of the running sums of `w D^2`,
/// which only matters for a draw that lands within rounding of a boundary). Returns K x D
/// centres, row-major. Where every remaining distance is zero (fewer distinct points than
/// K), the next centre is drawn as the first, and duplicates an earlier one.
pub(crate) fn kmeans_plus_plus(
    data: &Dataset,
    order: &[usize],
    k: usize,
    rng: &mut StdRng,
) -> Vec<f64> {
    let d = data.n_features();
    // the draws run through the masses in canonical order; the distances are updated in
    // the rows' order (sequential reads of the data) and gathered for each draw
    let weights: Vec<f64> = order.iter().map(|&i| data.weight(i)).collect();
    let mut centres = Vec::with_capacity(k * d);
    centres.extend_from_slice(data.row(order[draw_or_last(&weights, rng)]));
    let mut dist: Vec<f64> = data
        .rows()
        .enumerate()
        .map(|(i, x)| data.weight(i) * squared_distance(x, &centres[0..d]))
        .collect();
    let mut ranked = Vec::with_capacity(dist.len());
    for _ in 1..k {
        ranked.clear();
        ranked.extend(order.iter().map(|&i| dist[i]));
        let r = draw_proportional(&ranked, rng).unwrap_or_else(|| draw_or_last(&weights, rng));
        let c = data.row(order[r]).to_vec();
        for (i, (x, dist)) in data.rows().zip(dist.iter_mut()).enumerate() {
            *dist = dist.min(data.weight(i) * squared_distance(x, &c));
        }
        centres.extend_from_slice(&c);
    }
    centres
}

/// Result of Lloyd's algorithm.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KMeansResult {
    /// Final centres, K x D row-major.
    pub centres: Vec<f64>,
    /// Cluster of each point.
    pub labels: Vec<usize>,
    /// Iterations run.
    pub n_iter: usize,
    /// Weighted sum of squared distances of the points to their centres.
    pub inertia: f64,
}

/// Lloyd's algorithm from the given centres until no label changes or `max_iter` passes.
/// Centres are weighted means. A cluster left without weight is moved to the point (of
/// positive weight) farthest from its nearest centre, clusters in index order, each move
/// counted before the next (ties to the first in canonical `order`, so the move does not
/// depend on the order of the rows); when every point already sits on a
/// centre (fewer distinct points than K) the cluster stays empty, as scikit-learn's `KMeans`
/// leaves it (with its warning "Number of distinct clusters found smaller than
/// n_clusters"). Labels are only ever nearest centres, so identical rows share a label and
/// a row of integer weight `w` goes where its `w` copies would; a label change of a point of
/// weight 0 does not count as a change.
pub(crate) fn lloyd(
    data: &Dataset,
    order: &[usize],
    mut centres: Vec<f64>,
    max_iter: usize,
) -> KMeansResult {
    let d = data.n_features();
    let k = centres.len() / d;
    let mut labels = nearest_labels(data, &centres);
    let mut n_iter = 0;
    while n_iter < max_iter {
        n_iter += 1;
        // update step: centroids, computed relative to the first point for precision
        let origin = data.row(0);
        let mut sums = vec![0.0; k * d];
        let mut counts = vec![0.0; k];
        for (i, (x, &l)) in data.rows().zip(&labels).enumerate() {
            let w = data.weight(i);
            counts[l] += w;
            for j in 0..d {
                sums[l * d + j] += w * (x[j] - origin[j]);
            }
        }
        for c in 0..k {
            if counts[c] > 0.0 {
                for j in 0..d {
                    centres[c * d + j] = origin[j] + sums[c * d + j] / counts[c];
                }
            }
        }
        if counts.contains(&0.0) {
            relocate_empty(data, order, &mut centres, &counts);
        }
        let new_labels = nearest_labels(data, &centres);
        // points of weight 0 do not count: they would not be there as copies
        let changed = (0..labels.len()).any(|i| data.weight(i) > 0.0 && new_labels[i] != labels[i]);
        labels = new_labels;
        if !changed {
            break;
        }
    }
    let inertia = data
        .rows()
        .zip(&labels)
        .enumerate()
        .map(|(i, (x, &l))| data.weight(i) * squared_distance(x, &centres[l * d..(l + 1) * d]))
        .sum();
    KMeansResult {
        centres,
        labels,
        n_iter,
        inertia,
    }
}

/// Moves each cluster of zero weight (`counts`) to the point of positive weight farthest
/// from its nearest centre (ties to the first in canonical `order`), in cluster order, the
/// distances updated after each move; a cluster stays where it is when every such point is
/// on a centre already.
fn relocate_empty(data: &Dataset, order: &[usize], centres: &mut [f64], counts: &[f64]) {
    let d = data.n_features();
    let mut dist: Vec<f64> = data
        .rows()
        .enumerate()
        .map(|(i, x)| {
            if data.weight(i) > 0.0 {
                nearest(x, centres).1
            } else {
                0.0
            }
        })
        .collect();
    for (c, _) in counts.iter().enumerate().filter(|(_, n)| **n == 0.0) {
        let (far, farthest) =
            order.iter().fold(
                (0, 0.0),
                |b, &i| if dist[i] > b.1 { (i, dist[i]) } else { b },
            );
        if farthest <= 0.0 {
            return;
        }
        let x = data.row(far);
        centres[c * d..(c + 1) * d].copy_from_slice(x);
        for (y, v) in data.rows().zip(dist.iter_mut()) {
            *v = v.min(squared_distance(y, x));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three_blobs() -> Dataset {
        let mut rows = Vec::new();
        for (i, c) in [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]].iter().enumerate() {
            for j in 0..20 {
                let t = j as f64 * 0.37 + i as f64;
                rows.push(vec![c[0] + t.sin(), c[1] + t.cos()]);
            }
        }
        Dataset::from_rows(&rows).unwrap()
    }

    fn partition_of(labels: &[usize]) -> Vec<Vec<usize>> {
        let k = labels.iter().max().unwrap() + 1;
        let mut groups = vec![vec![]; k];
        for (i, &l) in labels.iter().enumerate() {
            groups[l].push(i);
        }
        groups.sort();
        groups
    }

    #[test]
    fn hard_methods_find_the_blobs_and_repeat_for_a_seed() {
        let data = three_blobs();
        let truth: Vec<usize> = (0..60).map(|i| i / 20).collect();
        for method in [
            InitMethod::KMeans,
            InitMethod::KMeansPlusPlus,
            InitMethod::RandomFromData,
        ] {
            let a = method.initial_responsibilities(&data, 3, 11).unwrap();
            let b = method.initial_responsibilities(&data, 3, 11).unwrap();
            assert_eq!(a, b, "{} is not deterministic", method.name());
            let InitialResponsibilities::Hard { labels, .. } = a else {
                panic!("{} should be hard", method.name())
            };
            assert_eq!(labels.len(), 60);
            assert!(labels.iter().all(|&l| l < 3));
            if method == InitMethod::KMeans {
                assert_eq!(partition_of(&labels), partition_of(&truth));
            }
        }
    }

    #[test]
    fn random_responsibilities_are_normalised() {
        let data = three_blobs();
        let InitialResponsibilities::Soft { resp, n_components } = InitMethod::Random
            .initial_responsibilities(&data, 4, 5)
            .unwrap()
        else {
            panic!("random should be soft")
        };
        assert_eq!(n_components, 4);
        for row in resp.chunks_exact(4) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(row.iter().all(|&r| r > 0.0));
        }
        let stats = InitMethod::Random
            .initial_responsibilities(&data, 4, 5)
            .unwrap()
            .sufficient_stats(&data, ScatterKind::Full);
        assert!((stats.total() - 60.0).abs() < 1e-10);
    }

    #[test]
    fn random_responsibilities_follow_the_points_not_their_positions() {
        let data = three_blobs();
        let n = data.n_samples();
        let mut reversed: Vec<Vec<f64>> = data.rows().map(<[f64]>::to_vec).collect();
        reversed.reverse();
        let reversed = Dataset::from_rows(&reversed).unwrap();
        let resp = |d: &Dataset, seed| match InitMethod::Random
            .initial_responsibilities(d, 3, seed)
            .unwrap()
        {
            InitialResponsibilities::Soft { resp, .. } => resp,
            other => panic!("random should be soft: {other:?}"),
        };
        let (a, b) = (resp(&data, 9), resp(&reversed, 9));
        for i in 0..n {
            assert_eq!(
                a[3 * i..3 * i + 3],
                b[3 * (n - 1 - i)..3 * (n - i)],
                "row {i}"
            );
        }
        assert_ne!(resp(&data, 9), resp(&data, 10), "another seed, other draws");
        // a row twice and the row of weight 2: the same statistics
        let twice = Dataset::from_rows(&[vec![1.0, 2.0], vec![1.0, 2.0], vec![3.0, 0.5]]).unwrap();
        let weighted = Dataset::from_rows(&[vec![1.0, 2.0], vec![3.0, 0.5]])
            .unwrap()
            .with_weights(vec![2.0, 1.0])
            .unwrap();
        let stats = |d: &Dataset| {
            InitMethod::Random
                .initial_responsibilities(d, 2, 4)
                .unwrap()
                .sufficient_stats(d, ScatterKind::Full)
        };
        let (s2, sw) = (stats(&twice), stats(&weighted));
        for c in 0..2 {
            assert!((s2.n_k()[c] - sw.n_k()[c]).abs() < 1e-12);
            assert!((s2.mean(c) - sw.mean(c)).norm() < 1e-12);
        }
    }

    #[test]
    fn from_means_assigns_nearest_with_ties_to_lowest() {
        let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0, 3.0]).unwrap();
        let means = DMatrix::from_row_slice(2, 1, &[0.5, 1.5]);
        // 1.0 is equidistant: goes to component 0.
        let init = InitMethod::FromMeans(means)
            .initial_responsibilities(&data, 2, 0)
            .unwrap();
        assert_eq!(
            init,
            InitialResponsibilities::Hard {
                labels: vec![0, 0, 1, 1],
                n_components: 2
            }
        );
        let far = DMatrix::from_row_slice(2, 1, &[0.5, 100.0]);
        assert!(matches!(
            InitMethod::FromMeans(far).initial_responsibilities(&data, 2, 0),
            Err(GmmError::InvalidLabels { .. })
        ));
        let wrong = DMatrix::from_row_slice(1, 1, &[0.5]);
        assert!(matches!(
            InitMethod::FromMeans(wrong).initial_responsibilities(&data, 2, 0),
            Err(GmmError::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn from_labels_validates() {
        let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0]).unwrap();
        assert!(
            InitMethod::FromLabels(vec![0, 1, 1])
                .initial_responsibilities(&data, 2, 0)
                .is_ok()
        );
        for bad in [vec![0, 1], vec![0, 2, 1], vec![0, 0, 0]] {
            assert!(matches!(
                InitMethod::FromLabels(bad).initial_responsibilities(&data, 2, 0),
                Err(GmmError::InvalidLabels { .. })
            ));
        }
    }

    #[test]
    fn k_out_of_range_is_an_error() {
        let data = Dataset::from_slice_1d(&[0.0, 1.0]).unwrap();
        assert!(matches!(
            InitMethod::KMeans.initial_responsibilities(&data, 0, 0),
            Err(GmmError::InvalidParameter { .. })
        ));
        assert!(matches!(
            InitMethod::KMeans.initial_responsibilities(&data, 3, 0),
            Err(GmmError::TooFewSamples {
                n_samples: 2,
                n_components: 3
            })
        ));
    }

    #[test]
    fn duplicate_points_do_not_break_kmeans() {
        let data = Dataset::from_rows(&vec![vec![1.0, 1.0]; 10]).unwrap();
        for method in [
            InitMethod::KMeans,
            InitMethod::KMeansPlusPlus,
            InitMethod::RandomFromData,
        ] {
            let init = method.initial_responsibilities(&data, 3, 2).unwrap();
            assert_eq!(init.n_components(), 3);
        }
    }

    /// Points around three centres, weights 0..=3 in a fixed pattern, and the same points
    /// with each row repeated as often as its weight (rows of weight 0 dropped); the index
    /// of the row each repeated point copies.
    fn weighted_and_copies() -> (Dataset, Dataset, Vec<usize>) {
        let data = three_blobs();
        let weights: Vec<f64> = (0..60).map(|i| ((i * 7) % 4) as f64).collect();
        let copies: Vec<usize> = (0..60)
            .flat_map(|i| std::iter::repeat_n(i, weights[i] as usize))
            .collect();
        let repeated = data.select(&copies).unwrap();
        (data.with_weights(weights).unwrap(), repeated, copies)
    }

    #[test]
    fn integer_weights_seed_as_their_copies() {
        let (weighted, repeated, copies) = weighted_and_copies();
        for seed in 0..40 {
            let mut a = StdRng::seed_from_u64(seed);
            let mut b = StdRng::seed_from_u64(seed);
            let (ow, or) = (canonical_order(&weighted), canonical_order(&repeated));
            assert_eq!(
                kmeans_plus_plus(&weighted, &ow, 4, &mut a),
                kmeans_plus_plus(&repeated, &or, 4, &mut b),
                "k-means++, seed {seed}"
            );
            let drawn = units_drawn(&weighted, &ow, 5, &mut a);
            let drawn_copies = units_drawn(&repeated, &or, 5, &mut b);
            let rows: Vec<usize> = drawn_copies.iter().map(|&j| copies[j]).collect();
            assert_eq!(drawn, rows, "random-from-data, seed {seed}");
            // whole initialisations: the label of each copy is its row's
            for method in [
                InitMethod::KMeans,
                InitMethod::KMeansPlusPlus,
                InitMethod::RandomFromData,
            ] {
                let hard = |data: &Dataset| match method
                    .initial_responsibilities(data, 3, seed)
                    .unwrap()
                {
                    InitialResponsibilities::Hard { labels, .. } => labels,
                    InitialResponsibilities::Soft { .. } => unreachable!(),
                };
                let (lw, lr) = (hard(&weighted), hard(&repeated));
                let of_copies: Vec<usize> = copies.iter().map(|&i| lw[i]).collect();
                assert_eq!(of_copies, lr, "{}, seed {seed}", method.name());
            }
        }
    }

    #[test]
    fn a_row_of_weight_w_is_drawn_up_to_w_times() {
        // one row of weight 3 among rows of weight 0: random-from-data draws it three times
        let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0, 3.0])
            .unwrap()
            .with_weights(vec![0.0, 3.0, 0.0, 1.0])
            .unwrap();
        for seed in 0..20 {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut drawn = units_drawn(&data, &canonical_order(&data), 4, &mut rng);
            drawn.sort_unstable();
            assert_eq!(drawn, vec![1, 1, 1, 3]);
        }
    }

    #[test]
    fn half_weights_are_half_points() {
        // scaling every weight by 1/2 moves every draw position by the same exact factor:
        // the same centres as without weights; a weight of 0.5 is drawn at most once
        let data = three_blobs();
        let halves = data.clone().with_weights(vec![0.5; 60]).unwrap();
        for seed in 0..10 {
            for method in [
                InitMethod::KMeans,
                InitMethod::KMeansPlusPlus,
                InitMethod::RandomFromData,
            ] {
                assert_eq!(
                    method.initial_responsibilities(&data, 3, seed).unwrap(),
                    method.initial_responsibilities(&halves, 3, seed).unwrap(),
                    "{}",
                    method.name()
                );
            }
            let mut rng = StdRng::seed_from_u64(seed);
            let mut drawn = units_drawn(&halves, &canonical_order(&halves), 60, &mut rng);
            drawn.sort_unstable();
            assert_eq!(drawn, (0..60).collect::<Vec<_>>());
        }
        // and a 0.5 counts half in Lloyd's means
        let pair = Dataset::from_slice_1d(&[0.0, 3.0])
            .unwrap()
            .with_weights(vec![1.0, 0.5])
            .unwrap();
        let out = lloyd(&pair, &canonical_order(&pair), vec![1.0], 10);
        assert!((out.centres[0] - 1.0).abs() < 1e-15);
        assert!((out.inertia - (1.0 + 0.5 * 4.0)).abs() < 1e-12);
    }

    /// Three distinct rows, each repeated four times.
    fn three_distinct_rows() -> Dataset {
        let rows: Vec<Vec<f64>> = (0..12)
            .map(|i| [[1.0, 2.0], [4.0, -1.0], [-3.0, 0.5]][i % 3].to_vec())
            .collect();
        Dataset::from_rows(&rows).unwrap()
    }

    #[test]
    fn more_components_than_distinct_points_leave_components_empty() {
        // scikit-learn's KMeans(5) on these data warns "Number of distinct clusters (3)
        // found smaller than n_clusters (5)" and returns labels in three clusters
        let data = three_distinct_rows();
        for seed in 0..20 {
            for method in [
                InitMethod::KMeans,
                InitMethod::KMeansPlusPlus,
                InitMethod::RandomFromData,
            ] {
                let init = method.initial_responsibilities(&data, 5, seed).unwrap();
                let stats = init.sufficient_stats(&data, ScatterKind::Full);
                let mut n_k = stats.n_k().to_vec();
                n_k.sort_by(f64::total_cmp);
                // k-means finds the three rows; the seeds may put two centres on one
                // row, which leaves one more component empty
                let occupied = n_k.iter().filter(|&&n| n > 0.0).count();
                assert!((1..=3).contains(&occupied), "{}: {n_k:?}", method.name());
                if method == InitMethod::KMeans {
                    assert_eq!(n_k, vec![0.0, 0.0, 4.0, 4.0, 4.0], "seed {seed}");
                }
                assert_eq!(stats.total(), 12.0);
            }
        }
    }

    #[test]
    fn random_from_data_takes_duplicate_rows() {
        // K = N on rows of two values: every row is drawn; the centres repeat values
        let data = Dataset::from_slice_1d(&[0.0, 0.0, 5.0, 5.0, 5.0]).unwrap();
        for seed in 0..50 {
            let init = InitMethod::RandomFromData
                .initial_responsibilities(&data, 5, seed)
                .unwrap();
            let mut rng = StdRng::seed_from_u64(seed);
            let mut drawn = units_drawn(&data, &canonical_order(&data), 5, &mut rng);
            drawn.sort_unstable();
            assert_eq!(drawn, vec![0, 1, 2, 3, 4]);
            let n_k = init
                .sufficient_stats(&data, ScatterKind::Full)
                .n_k()
                .to_vec();
            assert_eq!(n_k.iter().filter(|&&n| n > 0.0).count(), 2, "{n_k:?}");
        }
    }

    /// Points around three centres with some rows repeated in the data (ties of the
    /// canonical order), integer weights 0..=4; the rows shuffled by a seeded permutation
    /// (row `j` of the shuffled data is row `perm[j]`, with its weight); and the rows repeated
    /// as often as their weights, in the original order (row `j` copies row `copies[j]`).
    #[allow(clippy::type_complexity)]
    fn weighted_shuffled_and_copies(
        seed: u64,
    ) -> (Dataset, Dataset, Vec<usize>, Dataset, Vec<usize>) {
        use rand::seq::SliceRandom;
        let blobs = three_blobs();
        // rows 60..70 repeat rows 0, 7, 14, ... (equal values, their own weights)
        let rows: Vec<usize> = (0..60).chain((0..10).map(|i| (i * 7) % 60)).collect();
        let data = blobs.select(&rows).unwrap();
        let n = data.n_samples();
        let weights: Vec<f64> = (0..n).map(|i| ((i * 11 + 3) % 5) as f64).collect();
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut StdRng::seed_from_u64(seed));
        let shuffled = data
            .select(&perm)
            .unwrap()
            .with_weights(perm.iter().map(|&i| weights[i]).collect())
            .unwrap();
        let copies: Vec<usize> = (0..n)
            .flat_map(|i| std::iter::repeat_n(i, weights[i] as usize))
            .collect();
        let repeated = data.select(&copies).unwrap();
        let weighted = data.with_weights(weights).unwrap();
        (weighted, shuffled, perm, repeated, copies)
    }

    /// The largest difference of the counts, means and scatters of two statistics (an empty
    /// component's mean is its statistics' origin, which is the data's first row: not
    /// compared).
    fn stats_difference(a: &SufficientStats, b: &SufficientStats) -> f64 {
        let mut worst = 0.0f64;
        for c in 0..a.n_components() {
            worst = worst.max((a.n_k()[c] - b.n_k()[c]).abs());
            if a.n_k()[c] == 0.0 && b.n_k()[c] == 0.0 {
                continue;
            }
            worst = worst.max((a.mean(c) - b.mean(c)).amax());
            worst = worst.max((a.scatter(c) - b.scatter(c)).amax());
        }
        worst
    }

    #[test]
    fn seeding_does_not_depend_on_the_order_of_the_rows() {
        for shuffle_seed in 0..4 {
            let (weighted, shuffled, perm, repeated, copies) =
                weighted_shuffled_and_copies(shuffle_seed);
            // the canonical order is the same sequence of rows, whatever their order
            let (ow, os) = (canonical_order(&weighted), canonical_order(&shuffled));
            for (&i, &j) in ow.iter().zip(&os) {
                assert_eq!(weighted.row(i), shuffled.row(j));
                assert_eq!(weighted.weight(i), shuffled.weight(j));
            }
            for method in [
                InitMethod::KMeans,
                InitMethod::KMeansPlusPlus,
                InitMethod::RandomFromData,
            ] {
                for (k, seed) in [(2, 0), (3, 1), (3, 2), (4, 3), (5, 4), (8, 5)] {
                    let what =
                        format!("{} K {k} seed {seed} shuffle {shuffle_seed}", method.name());
                    let init = |data: &Dataset| method.initial_responsibilities(data, k, seed);
                    let (iw, is, ir) = (
                        init(&weighted).unwrap(),
                        init(&shuffled).unwrap(),
                        init(&repeated).unwrap(),
                    );
                    let labels = |init: &InitialResponsibilities| match init {
                        InitialResponsibilities::Hard { labels, .. } => labels.clone(),
                        InitialResponsibilities::Soft { .. } => unreachable!(),
                    };
                    let (lw, ls, lr) = (labels(&iw), labels(&is), labels(&ir));
                    // each row keeps its label through the permutation, each copy its row's
                    let through_perm: Vec<usize> = perm.iter().map(|&i| lw[i]).collect();
                    assert_eq!(ls, through_perm, "{what}: shuffled");
                    let of_copies: Vec<usize> = copies.iter().map(|&i| lw[i]).collect();
                    assert_eq!(lr, of_copies, "{what}: repeated rows");
                    for kind in [ScatterKind::Full, ScatterKind::Diagonal] {
                        let sw = iw.sufficient_stats(&weighted, kind);
                        let ss = is.sufficient_stats(&shuffled, kind);
                        let sr = ir.sufficient_stats(&repeated, kind);
                        let (ds, dr) = (stats_difference(&sw, &ss), stats_difference(&sw, &sr));
                        assert!(ds < 1e-12, "{what}: shuffled statistics differ by {ds:e}");
                        assert!(dr < 1e-12, "{what}: repeated statistics differ by {dr:e}");
                    }
                }
            }
        }
    }

    #[test]
    fn seeding_of_fractional_weights_does_not_depend_on_the_order_of_the_rows() {
        // equal rows of unequal fractional weights: a draw takes a different amount off
        // each, so their place among the equal rows is decided by weight, not by position
        let values = [0.0, 1.0, 1.0, 1.0, 4.0, 4.0, 9.0, -3.0, 1.0, 4.0];
        let weights = vec![0.5, 1.5, 0.25, 2.0, 0.75, 1.0, 0.5, 3.0, 1.5, 0.0];
        let data = Dataset::from_slice_1d(&values)
            .unwrap()
            .with_weights(weights.clone())
            .unwrap();
        let reversed: Vec<usize> = (0..10).rev().collect();
        let other = data
            .select(&reversed)
            .unwrap()
            .with_weights(reversed.iter().map(|&i| weights[i]).collect())
            .unwrap();
        for seed in 0..50 {
            let mut a = StdRng::seed_from_u64(seed);
            let mut b = StdRng::seed_from_u64(seed);
            let (oa, ob) = (canonical_order(&data), canonical_order(&other));
            let drawn = |data: &Dataset, order: &[usize], rng: &mut StdRng| {
                units_drawn(data, order, 6, rng)
                    .into_iter()
                    .map(|i| (data.row(i)[0], data.weight(i)))
                    .collect::<Vec<_>>()
            };
            assert_eq!(drawn(&data, &oa, &mut a), drawn(&other, &ob, &mut b));
            assert_eq!(
                kmeans_plus_plus(&data, &oa, 4, &mut a),
                kmeans_plus_plus(&other, &ob, 4, &mut b)
            );
        }
    }

    #[test]
    fn the_first_value_key_orders_as_total_cmp() {
        let values = [
            f64::NEG_INFINITY,
            -f64::MAX,
            -1.5,
            -f64::MIN_POSITIVE,
            -5e-324,
            -0.0,
            0.0,
            5e-324,
            f64::MIN_POSITIVE,
            1.0,
            1.5,
            f64::MAX,
            f64::INFINITY,
        ];
        for a in values {
            for b in values {
                assert_eq!(
                    total_order_key(a).cmp(&total_order_key(b)),
                    a.total_cmp(&b),
                    "{a} {b}"
                );
            }
        }
    }

    #[test]
    fn lloyd_breaks_ties_of_the_farthest_point_by_canonical_rank() {
        // the emptied cluster 1 has two farthest points, -10 and 10: it takes -10, the
        // first in canonical order, in either order of the rows
        for values in [[0.0, -10.0, 10.0, 0.0], [10.0, 0.0, 0.0, -10.0]] {
            let data = Dataset::from_slice_1d(&values).unwrap();
            let order = canonical_order(&data);
            let out = lloyd(&data, &order, vec![0.0, 100.0], 1);
            assert_eq!(out.centres, vec![0.0, -10.0], "{values:?}");
        }
    }

    #[test]
    fn lloyd_moves_an_emptied_cluster_to_the_worst_served_point() {
        // both centres start left of every point: centre 1 gets nothing and moves to the
        // point farthest from centre 0's new mean
        let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0, 10.0]).unwrap();
        let out = lloyd(&data, &canonical_order(&data), vec![-5.0, -6.0], 100);
        assert_eq!(out.labels, vec![0, 0, 0, 1]);
        assert_eq!(out.centres, vec![1.0, 10.0]);
        assert!((out.inertia - 2.0).abs() < 1e-12);
    }
}
