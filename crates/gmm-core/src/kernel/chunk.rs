//! The E-step over one chunk of points: the chunk loaded feature-major, the log densities
//! a group of points at a time (two registers for a full factor), the fused logsumexp and
//! responsibilities, then the chunk's statistics, with a copy compiled for AVX2 + FMA chosen
//! at run time.

use super::lanes::KernelLane;
use super::triangular::{points_per_product, whitened_square_norm};
use super::{EStepKernel, EStepOutput, Factors};
use crate::simd::{LANES, Lane, avx2_fma_dispatch, lanes};
use crate::source::Precision;
use crate::stats::{ScatterKind, TransposedChunk};

impl EStepKernel {
    avx2_fma_dispatch! {
        /// The E-step over one chunk of points of type `S`, computed in lanes of `T`, on the
        /// widest instructions the processor has.
        pub(super) fn chunk_e_step<S: Lane, T: KernelLane>(
            &self,
            chunk: &[S],
            weights: Option<&[f64]>,
            origin: &[f64],
            kind: ScatterKind,
            work: &mut TransposedChunk<T>,
        ) -> EStepOutput = chunk_e_step_generic / chunk_e_step_avx2_fma;

        /// [`Self::load_log_rho_generic`] on the widest instructions the processor has.
        pub(super) fn load_log_rho<S: Lane, T: KernelLane>(
            &self,
            chunk: &[S],
            origin: &[f64],
            work: &mut TransposedChunk<T>,
        ) = load_log_rho_generic / load_log_rho_avx2_fma;
    }

    /// The E-step over one chunk: load it feature-major, `log rho`, then per point the
    /// logsumexp, the responsibilities and `r ln r` (one `exp` per point and component),
    /// then the statistics, all on the chunk while it is in cache. With `weights` (one per
    /// point), each point's responsibilities, log normaliser and `r ln r` are multiplied by
    /// its weight before they are summed; a weight of 1 changes no bit. The log densities,
    /// responsibilities and sums are stored as `f64` whatever `T` (see
    /// [`Self::load_log_rho_generic`]); the responsibilities are computed in `T`'s lanes
    /// ([`KernelLane::responsibilities_in_place`]).
    #[inline(always)]
    pub(super) fn chunk_e_step_generic<const FMA: bool, S: Lane, T: KernelLane>(
        &self,
        chunk: &[S],
        weights: Option<&[f64]>,
        origin: &[f64],
        kind: ScatterKind,
        work: &mut TransposedChunk<T>,
    ) -> EStepOutput {
        let k = self.n_components;
        self.load_log_rho_generic::<FMA, S, T>(chunk, origin, work);
        let (log_norm_sum, resp_log_resp_sum) = T::responsibilities_in_place::<FMA>(
            &mut work.resp,
            (work.rows, work.stride),
            k,
            weights,
        );
        let rows = work.rows;
        let stats = work.stats::<FMA>(k, origin, kind);
        EStepOutput {
            stats,
            log_norm_sum,
            resp_log_resp_sum,
            missing_entropy_sum: 0.0,
            n_samples: rows,
            total_weight: weights.map_or(rows as f64, |w| w.iter().sum()),
            lanes: if T::REGISTER_LANES > f64::REGISTER_LANES {
                Precision::F32
            } else {
                Precision::F64
            },
        }
    }

    /// Loads `chunk` feature-major relative to `origin` into `work.xt` and writes
    /// `log rho` into `work.resp` (`c * stride + n`): per block of points
    /// ([`points_per_block`]), per component, [`LANES`] points at a time
    /// ([`Self::block_log_rho`]). The differences, the product and the squared norm are
    /// in `T` (the means relative to `origin` and the factors rounded to it once);
    /// `c_k - q / 2` is formed in `f64`.
    #[inline(always)]
    fn load_log_rho_generic<const FMA: bool, S: Lane, T: KernelLane>(
        &self,
        chunk: &[S],
        origin: &[f64],
        work: &mut TransposedChunk<T>,
    ) {
        let (d, k) = (self.n_features, self.n_components);
        work.load::<FMA, S>(chunk, origin);
        let stride = work.stride;
        // Every value is written below (the padding too), so the buffer is not zeroed first.
        work.resp.resize(k * stride, 0.0);
        let shifted_means: Vec<T> = (0..k * d)
            .map(|i| T::from_f64(self.means[i] - origin[i % d]))
            .collect();
        // The differences of one call of the triangular product beyond D = 8 (16 points at
        // most), reused.
        let mut diff = vec![T::default(); d * 2 * LANES];
        let block = points_per_block::<T>(d, stride);
        for b0 in (0..stride).step_by(block) {
            let b1 = (b0 + block).min(stride);
            for (c, shifted_mean) in shifted_means.chunks_exact(d.max(1)).enumerate().take(k) {
                let out = &mut work.resp[c * stride + b0..c * stride + b1];
                let points = (&work.xt[..], stride, b0);
                self.block_log_rho::<FMA, T>(c, shifted_mean, points, &mut diff, out);
            }
        }
    }

    /// Writes `log rho` of component `c` (its mean relative to the origin `shifted_mean`)
    /// into `out` for the points of `xt` (`stride` per feature) from `b0` (`points`): with a
    /// full factor [`points_per_product`] at a time ([`packed_log_rho`]; beyond D = 8 their
    /// differences in `diff`), else [`LANES`].
    #[inline(always)]
    fn block_log_rho<const FMA: bool, T: KernelLane>(
        &self,
        c: usize,
        shifted_mean: &[T],
        (xt, stride, b0): (&[T], usize, usize),
        diff: &mut [T],
        out: &mut [f64],
    ) {
        let d = self.n_features;
        let constant = self.log_constants[c];
        let groups = out.chunks_exact_mut(LANES).enumerate();
        match T::factors(self) {
            Factors::Packed { blocks: p, .. } => {
                let packed_len = d * (d + 1) / 2;
                let p = &p[c * packed_len..(c + 1) * packed_len];
                let factor = (p, constant);
                let points = (xt, stride, b0);
                if points_per_product::<T>() == 2 * LANES {
                    packed_log_rho::<FMA, T, { 2 * LANES }>(
                        factor,
                        shifted_mean,
                        points,
                        diff,
                        out,
                    );
                } else {
                    packed_log_rho::<FMA, T, LANES>(factor, shifted_mean, points, diff, out);
                }
            }
            Factors::Diagonal(p) => {
                let p = &p[c * d..(c + 1) * d];
                for (t, o) in groups {
                    let mut q = [T::default(); LANES];
                    for ((m, p), column) in shifted_mean.iter().zip(p).zip(xt.chunks_exact(stride))
                    {
                        let x = lanes(column, b0 + t * LANES);
                        for l in 0..LANES {
                            let y = (x[l] - *m) * *p;
                            q[l] = y.fma::<FMA>(y, q[l]);
                        }
                    }
                    write_log_rho(o, constant, q);
                }
            }
            Factors::Spherical(p) => {
                let p2 = p[c] * p[c];
                for (t, o) in groups {
                    let mut q = [T::default(); LANES];
                    for (m, column) in shifted_mean.iter().zip(xt.chunks_exact(stride)) {
                        let x = lanes(column, b0 + t * LANES);
                        for l in 0..LANES {
                            let y = x[l] - *m;
                            q[l] = y.fma::<FMA>(y, q[l]);
                        }
                    }
                    for v in q.iter_mut() {
                        *v = *v * p2;
                    }
                    write_log_rho(o, constant, q);
                }
            }
        }
    }
}

/// `log rho` of one component with a packed factor (`p`, and its log constant) for the
/// points of `out`, `W` at a time ([`points_per_product`]; the chunk's stride and its
/// blocks are whole multiples of it). For D
/// up to 8 the choice of D is made here, once per block of points
/// ([`packed_log_rho_of_d`]); beyond it the differences of a call go in `diff` (at least
/// `D W` values).
#[inline(always)]
fn packed_log_rho<const FMA: bool, T: Lane, const W: usize>(
    factor: (&[T], f64),
    mean: &[T],
    points: (&[T], usize, usize),
    diff: &mut [T],
    out: &mut [f64],
) {
    match mean.len() {
        1 => packed_log_rho_of_d::<FMA, T, 1, W>(factor, mean, points, out),
        2 => packed_log_rho_of_d::<FMA, T, 2, W>(factor, mean, points, out),
        3 => packed_log_rho_of_d::<FMA, T, 3, W>(factor, mean, points, out),
        4 => packed_log_rho_of_d::<FMA, T, 4, W>(factor, mean, points, out),
        5 => packed_log_rho_of_d::<FMA, T, 5, W>(factor, mean, points, out),
        6 => packed_log_rho_of_d::<FMA, T, 6, W>(factor, mean, points, out),
        7 => packed_log_rho_of_d::<FMA, T, 7, W>(factor, mean, points, out),
        8 => packed_log_rho_of_d::<FMA, T, 8, W>(factor, mean, points, out),
        d => {
            let (p, constant) = factor;
            let (xt, stride, b0) = points;
            let diff = &mut diff[..d * W];
            debug_assert_eq!(out.len() % W, 0, "blocks of whole calls");
            for (t, o) in out.chunks_exact_mut(W).enumerate() {
                let t0 = b0 + t * W;
                // Column by column of `xt`, each `stride` long, so that the check that the
                // group fits is the same for every feature (hoisted).
                for ((row, m), column) in diff
                    .as_chunks_mut::<W>()
                    .0
                    .iter_mut()
                    .zip(mean)
                    .zip(xt.chunks_exact(stride))
                {
                    let x: &[T; W] = column[t0..t0 + W].try_into().expect("W points");
                    *row = std::array::from_fn(|l| x[l] - *m);
                }
                write_log_rho(o, constant, whitened_square_norm::<FMA, T, W>(p, diff, d));
            }
        }
    }
}

/// [`packed_log_rho`] for `D` features known to the compiler, `D <= 8`: the loops over
/// features are unrolled whole, the differences stay in a local array, and the choice of
/// `D` is made once per block of points rather than once per group (at D = 8 the per-group
/// dispatch, the differences' loop and its bounds checks were an eighth of the `f32`
/// E-step's instructions). The same operations in the same order as for any `D`, so the
/// same bits.
#[inline(always)]
fn packed_log_rho_of_d<const FMA: bool, T: Lane, const D: usize, const W: usize>(
    (p, constant): (&[T], f64),
    mean: &[T],
    (xt, stride, b0): (&[T], usize, usize),
    out: &mut [f64],
) {
    let mean: &[T; D] = mean.try_into().expect("D features");
    let mut diff = [[T::default(); W]; D];
    debug_assert_eq!(out.len() % W, 0, "blocks of whole calls");
    for (t, o) in out.chunks_exact_mut(W).enumerate() {
        let t0 = b0 + t * W;
        for ((row, m), column) in diff.iter_mut().zip(mean).zip(xt.chunks_exact(stride)) {
            let x: &[T; W] = column[t0..t0 + W].try_into().expect("W points");
            for l in 0..W {
                row[l] = x[l] - *m;
            }
        }
        let q = whitened_square_norm::<FMA, T, W>(p, diff.as_flattened(), D);
        write_log_rho(o, constant, q);
    }
}

/// Writes `constant - q / 2` (in `f64`) for each lane of `q` into `out` (as many as `out`
/// holds). A function, not a closure: a closure is compiled without the caller's AVX2 + FMA.
#[inline(always)]
fn write_log_rho<T: Lane, const W: usize>(out: &mut [f64], constant: f64, q: [T; W]) {
    for (o, q) in out.iter_mut().zip(q) {
        *o = constant - 0.5 * q.to_f64();
    }
}

/// Points of a chunk whose log densities are computed for every component before the next
/// points are read, from [`BLOCKED_MIN_D`] features: their features in `T` fill about
/// 16 KiB, half the L1 cache, so that they are read from the L2 cache once rather than once
/// per component (a multiple of `2 LANES`, so of every lane type's
/// [`points_per_product`], and at least that). Below that a component's
/// pass reads only a few feature rows, which the hardware prefetches well, and the whole
/// chunk is one block (blocks cost 2 % more instructions at D = 8 for no gain in time).
fn points_per_block<T: Lane>(d: usize, stride: usize) -> usize {
    if d < BLOCKED_MIN_D {
        return stride.max(LANES);
    }
    let points = 16384 / (d * std::mem::size_of::<T>());
    (points / (2 * LANES) * (2 * LANES)).max(2 * LANES)
}

/// The number of features from which [`points_per_block`] splits a chunk: at D = 32 blocks
/// of 64 points made the `f64` E-step 3 to 6 % faster (the chunk's features were read
/// from the L2 cache once per component); at D = 8 they were no faster.
const BLOCKED_MIN_D: usize = 16;
