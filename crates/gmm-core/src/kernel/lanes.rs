//! The two lane types the E-step runs in: `f64`, and `f32` for the single-precision E-step
//! (docs/performance.md, "float32"). Each has its whitening factors in the kernel and its
//! own per-thread workspace; everything else is the same generic code.

use std::cell::RefCell;

use super::responsibilities::{responsibilities_in_f32_lanes, responsibilities_in_place};
use super::{EStepKernel, Factors};
use crate::simd::Lane;
use crate::stats::TransposedChunk;

/// A lane type the kernel computes in: where its factors and workspace are.
pub(super) trait KernelLane: Lane {
    /// The kernel's whitening factors in this type.
    fn factors(kernel: &EStepKernel) -> &Factors<Self>;

    /// Runs `f` on this thread's workspace of this type (or on a fresh one if it is already
    /// in use).
    fn with_workspace<R>(f: impl FnOnce(&mut TransposedChunk<Self>) -> R) -> R;

    /// Turns a chunk's log densities in `resp` (`c * stride + n`, `k` components, `rows`
    /// points and padding up to `stride`) into responsibilities times each point's weight,
    /// in place, and returns the weighted sums of the log normalisers and of `r ln r`: in
    /// `f64` lanes ([`responsibilities_in_place`]) or with the exponentials in `f32` lanes
    /// ([`responsibilities_in_f32_lanes`]). Always inlined, so compiled with the caller's
    /// AVX2 + FMA when `FMA`.
    fn responsibilities_in_place<const FMA: bool>(
        resp: &mut [f64],
        rows_and_stride: (usize, usize),
        k: usize,
        weights: Option<&[f64]>,
    ) -> (f64, f64);
}

thread_local! {
    /// Per-thread workspace of the `f64` E-step, reused from chunk to chunk.
    static WORKSPACE_F64: RefCell<TransposedChunk<f64>> = RefCell::new(TransposedChunk::default());
    /// Per-thread workspace of the `f32` E-step, reused from chunk to chunk.
    static WORKSPACE_F32: RefCell<TransposedChunk<f32>> = RefCell::new(TransposedChunk::default());
}

impl KernelLane for f64 {
    fn factors(kernel: &EStepKernel) -> &Factors<f64> {
        &kernel.factors
    }

    fn with_workspace<R>(f: impl FnOnce(&mut TransposedChunk<f64>) -> R) -> R {
        WORKSPACE_F64.with(|cell| reuse(cell, f))
    }

    #[inline(always)]
    fn responsibilities_in_place<const FMA: bool>(
        resp: &mut [f64],
        rows_and_stride: (usize, usize),
        k: usize,
        weights: Option<&[f64]>,
    ) -> (f64, f64) {
        responsibilities_in_place::<FMA>(resp, rows_and_stride, k, weights)
    }
}

impl KernelLane for f32 {
    fn factors(kernel: &EStepKernel) -> &Factors<f32> {
        &kernel.narrow_factors
    }

    fn with_workspace<R>(f: impl FnOnce(&mut TransposedChunk<f32>) -> R) -> R {
        WORKSPACE_F32.with(|cell| reuse(cell, f))
    }

    #[inline(always)]
    fn responsibilities_in_place<const FMA: bool>(
        resp: &mut [f64],
        rows_and_stride: (usize, usize),
        k: usize,
        weights: Option<&[f64]>,
    ) -> (f64, f64) {
        responsibilities_in_f32_lanes::<FMA>(resp, rows_and_stride, k, weights)
    }
}

/// Values a per-thread workspace may keep between calls (8 MiB of `f64`); a larger one, left
/// by a call on an unusually large chunk, is released.
const WORKSPACE_KEEP: usize = 1 << 20;

/// Runs `f` on the workspace in `cell`, or on a fresh one if it is in use; releases a
/// workspace grown past [`WORKSPACE_KEEP`].
fn reuse<T: Lane, R>(
    cell: &RefCell<TransposedChunk<T>>,
    f: impl FnOnce(&mut TransposedChunk<T>) -> R,
) -> R {
    match cell.try_borrow_mut() {
        Ok(mut work) => {
            let out = f(&mut work);
            let kept = work.xt.capacity()
                + work.tiles.capacity()
                + work.tile_weights.capacity()
                + work.resp.capacity()
                + work.scratch.capacity()
                + work.tile_scales.capacity();
            if kept > WORKSPACE_KEEP {
                *work = TransposedChunk::default();
            }
            out
        }
        Err(_) => f(&mut TransposedChunk::default()),
    }
}
