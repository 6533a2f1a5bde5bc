//! The responsibilities of a chunk from its log densities: per group of points the maximum
//! over components, one `exp` per point and component, the logsumexp, the responsibilities
//! and `r ln r`. In `f64` lanes for the `f64` E-step (the same bits on any register width),
//! and with the exponentials in `f32` lanes for the `f32` E-step, eight to a register.

use crate::simd::f32_register;
use crate::simd::f64_register::{self, F64Register};
use crate::simd::{LANES, Lane, exp_f32_register, exp_register, hsum, ln_register};

/// Turns the log densities in `resp` (`c * stride + n`, `k` components, `rows` points and
/// padding up to `stride`) into responsibilities times each point's weight, in place, and
/// returns the weighted sums of the log normalisers and of `r ln r`: per group of [`LANES`]
/// points, one register of [`f64::REGISTER_LANES`] at a time, the maximum over components,
/// one `exp` per point and component, the logsumexp (its `ln` on the register too, within
/// an ulp of the standard library's) and the responsibilities. Padding
/// points get responsibility 0 and add nothing. Every lane sums its points and components in
/// increasing order, so the result does not depend on the register width.
#[inline(always)]
pub(super) fn responsibilities_in_place<const FMA: bool>(
    resp: &mut [f64],
    (rows, stride): (usize, usize),
    k: usize,
    weights: Option<&[f64]>,
) -> (f64, f64) {
    const HALF: usize = f64::REGISTER_LANES;
    let zero = f64::zero_register();
    let mut log_norm_lanes = [0.0; LANES];
    let mut resp_log_resp = [zero; LANES / HALF];
    let mut exps = vec![zero; k];
    for t0 in (0..stride).step_by(LANES) {
        let valid = LANES.min(rows.saturating_sub(t0));
        let weight = lane_weights(weights, t0, valid);
        for (h, resp_log_resp) in resp_log_resp.iter_mut().enumerate() {
            let at = t0 + h * HALF;
            let mut max = f64::splat_register::<FMA>(f64::NEG_INFINITY);
            // Component by component, each row `stride` long, so that the check that the
            // register fits is the same for every component (hoisted).
            for row in resp.chunks_exact(stride).take(k) {
                max = f64_register::max::<FMA>(load::<FMA>(row, at), max);
            }
            let mut sum = zero;
            for (e, row) in exps.iter_mut().zip(resp.chunks_exact(stride)) {
                let shifted = f64_register::sub::<FMA>(load::<FMA>(row, at), max);
                *e = exp_register::<FMA>(shifted);
                sum = f64_register::add::<FMA>(sum, *e);
            }
            // The logsumexp and the reciprocal of the sum, zero in the padding lanes (so
            // their responsibilities are zero).
            let count = HALF.min(valid.saturating_sub(h * HALF));
            let mut lse = f64_register::add::<FMA>(max, ln_register::<FMA>(sum));
            let mut inv = f64_register::div::<FMA>(f64::splat_register::<FMA>(1.0), sum);
            if count < HALF {
                let (mut l, mut i) = (to_lanes::<FMA>(lse), to_lanes::<FMA>(inv));
                l[count..].fill(0.0);
                i[count..].fill(0.0);
                (lse, inv) = (f64::load_register::<FMA>(&l), f64::load_register::<FMA>(&i));
            }
            let lse_lanes = to_lanes::<FMA>(lse);
            for l in 0..count {
                log_norm_lanes[h * HALF + l] += weight[h * HALF + l] * lse_lanes[l];
            }
            let w = f64::load_register::<FMA>(&weight[h * HALF..]);
            for (e, row) in exps.iter().zip(resp.chunks_exact_mut(stride)) {
                let r = f64_register::mul::<FMA>(*e, inv);
                let log_rho = load::<FMA>(row, at);
                let term = f64_register::mul::<FMA>(
                    w,
                    f64_register::mul::<FMA>(r, f64_register::sub::<FMA>(log_rho, lse)),
                );
                let counted = f64_register::select_less::<FMA>(zero, r, term, zero);
                *resp_log_resp = f64_register::add::<FMA>(*resp_log_resp, counted);
                f64::store_register::<FMA>(f64_register::mul::<FMA>(r, w), &mut row[at..at + HALF]);
            }
        }
    }
    totals::<FMA>(log_norm_lanes, resp_log_resp)
}

/// [`responsibilities_in_place`] for the `f32` E-step, whose log densities carry `f32`'s
/// resolution: the maximum over components, the differences `log rho - max` and the
/// logsumexp are in `f64` (a log density of large magnitude keeps its digits), the
/// differences are then rounded to `f32` (within 6e-8 relative, so within 5e-6 of the
/// exponent of the smallest responsibility `f32` holds), and the exponentials, their sum
/// over components, the responsibilities and `r ln r` are in `f32` lanes, eight points to a
/// register; each point's weight multiplies in `f64`. Exponentials below 2^-126 (a
/// responsibility under about 1e-38 relative to the point's largest) are 0. Padding points
/// get responsibility 0 and add nothing. Every lane sums its points in increasing order, so
/// the result does not depend on the number of threads.
#[inline(always)]
pub(super) fn responsibilities_in_f32_lanes<const FMA: bool>(
    resp: &mut [f64],
    (rows, stride): (usize, usize),
    k: usize,
    weights: Option<&[f64]>,
) -> (f64, f64) {
    const HALF: usize = f64::REGISTER_LANES;
    let zero = f32::zero_register();
    let mut log_norm_lanes = [0.0; LANES];
    let mut resp_log_resp = [f64::zero_register(); LANES / HALF];
    // Per component, the differences from the maximum and their exponentials.
    let mut shifted = vec![zero; k];
    let mut exps = vec![zero; k];
    for t0 in (0..stride).step_by(LANES) {
        let valid = LANES.min(rows.saturating_sub(t0));
        let weight = lane_weights(weights, t0, valid);
        let mut max = [f64::splat_register::<FMA>(f64::NEG_INFINITY); LANES / HALF];
        // Component by component, each row `stride` long, so that the check that the group
        // fits is the same for every component (hoisted).
        for row in resp.chunks_exact(stride).take(k) {
            for (h, max) in max.iter_mut().enumerate() {
                *max = f64_register::max::<FMA>(load::<FMA>(row, t0 + h * HALF), *max);
            }
        }
        let mut sum = zero;
        for ((s, e), row) in shifted
            .iter_mut()
            .zip(&mut exps)
            .zip(resp.chunks_exact(stride))
        {
            let low = f64_register::sub::<FMA>(load::<FMA>(row, t0), max[0]);
            let high = f64_register::sub::<FMA>(load::<FMA>(row, t0 + HALF), max[1]);
            *s = f32_register::narrow::<FMA>(low, high);
            *e = exp_f32_register::<FMA>(*s);
            sum = f32_register::add::<FMA>(sum, *e);
        }
        // The logsumexp in f64, `ln` by a loop, not `map` with a closure: a closure is
        // compiled without the caller's AVX2 + FMA.
        let mut ln_sum = f32_register::widen::<FMA>(sum);
        for v in ln_sum.iter_mut() {
            *v = ln_register::<FMA>(*v);
        }
        for h in 0..LANES / HALF {
            let lse = to_lanes::<FMA>(f64_register::add::<FMA>(max[h], ln_sum[h]));
            for l in 0..HALF.min(valid.saturating_sub(h * HALF)) {
                log_norm_lanes[h * HALF + l] += weight[h * HALF + l] * lse[l];
            }
        }
        let narrow_ln_sum = f32_register::narrow::<FMA>(ln_sum[0], ln_sum[1]);
        // The reciprocal of the sum, zero in the padding lanes (so their responsibilities
        // are zero).
        let mut inv = f32_register::div::<FMA>(f32::splat_register::<FMA>(1.0), sum);
        if valid < LANES {
            let mut i = [0.0f32; LANES];
            f32::store_register::<FMA>(inv, &mut i);
            i[valid..].fill(0.0);
            inv = f32::load_register::<FMA>(&i);
        }
        let mut w = [f64::zero_register(); LANES / HALF];
        for (h, w) in w.iter_mut().enumerate() {
            *w = f64::load_register::<FMA>(&weight[h * HALF..]);
        }
        let mut counted = zero;
        for ((s, e), row) in shifted.iter().zip(&exps).zip(resp.chunks_exact_mut(stride)) {
            let r = f32_register::mul::<FMA>(*e, inv);
            let term = f32_register::mul::<FMA>(r, f32_register::sub::<FMA>(*s, narrow_ln_sum));
            let term = f32_register::select_less::<FMA>(zero, r, term, zero);
            counted = f32_register::add::<FMA>(counted, term);
            for (h, r) in f32_register::widen::<FMA>(r).into_iter().enumerate() {
                let at = t0 + h * HALF;
                let r = match weights {
                    Some(_) => f64_register::mul::<FMA>(r, w[h]),
                    None => r,
                };
                f64::store_register::<FMA>(r, &mut row[at..at + HALF]);
            }
        }
        for (h, counted) in f32_register::widen::<FMA>(counted).into_iter().enumerate() {
            let weighted = f64_register::mul::<FMA>(counted, w[h]);
            resp_log_resp[h] = f64_register::add::<FMA>(resp_log_resp[h], weighted);
        }
    }
    totals::<FMA>(log_norm_lanes, resp_log_resp)
}

/// The sums of the log normalisers' lanes and of the `r ln r` registers' lanes, each by
/// [`hsum`].
#[inline(always)]
fn totals<const FMA: bool>(
    log_norm_lanes: [f64; LANES],
    resp_log_resp: [F64Register; LANES / f64::REGISTER_LANES],
) -> (f64, f64) {
    let mut resp_log_resp_lanes = [0.0; LANES];
    for (h, acc) in resp_log_resp.into_iter().enumerate() {
        f64::store_register::<FMA>(acc, &mut resp_log_resp_lanes[h * f64::REGISTER_LANES..]);
    }
    (hsum(log_norm_lanes), hsum(resp_log_resp_lanes))
}

/// The register of [`f64::REGISTER_LANES`] values of `v` from `at`. A function, not a
/// closure: a closure is compiled without the caller's AVX2 + FMA.
#[inline(always)]
fn load<const FMA: bool>(v: &[f64], at: usize) -> F64Register {
    f64::load_register::<FMA>(&v[at..at + f64::REGISTER_LANES])
}

/// A register's lanes as an array.
#[inline(always)]
fn to_lanes<const FMA: bool>(r: F64Register) -> [f64; f64::REGISTER_LANES] {
    let mut out = [0.0; f64::REGISTER_LANES];
    f64::store_register::<FMA>(r, &mut out);
    out
}

/// The weights of the [`LANES`] points from `t0`: theirs (1 without weights) for the first
/// `valid`, 0 for the padding.
#[inline(always)]
fn lane_weights(weights: Option<&[f64]>, t0: usize, valid: usize) -> [f64; LANES] {
    std::array::from_fn(|l| match weights {
        _ if l >= valid => 0.0,
        Some(w) => w[t0 + l],
        None => 1.0,
    })
}
