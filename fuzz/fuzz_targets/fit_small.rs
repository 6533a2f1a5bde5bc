//! Fuzz target: EM and VB fits on arbitrary small inputs.
//!
//! The bytes choose the estimator, K, D, the covariance type, reg_covar, tol and the
//! initialisation, then the values of up to 32 points (raw f64 bits, so NaN, infinities,
//! subnormals and values near 1e308 all occur). A fit returns a model or a typed error, never
//! a panic; a model's weights sum to 1 and its bounds are finite.
//! Run from `fuzz/`: `RUSTC_BOOTSTRAP=1 cargo fuzz run fit_small`.
#![no_main]

use gmm_core::{CovarianceType, Dataset, FittedModel, InitMethod, MixtureModel};
use gmm_em::EmParams;
use gmm_vb::{VbParams, WeightPrior};
use libfuzzer_sys::fuzz_target;

fn take<const N: usize>(bytes: &mut &[u8]) -> Option<[u8; N]> {
    let (head, rest) = bytes.split_first_chunk::<N>()?;
    *bytes = rest;
    Some(*head)
}

fuzz_target!(|input: &[u8]| {
    let mut bytes = input;
    let Some([choice, shape, ct, init, reg]) = take::<5>(&mut bytes) else {
        return;
    };
    let k = (shape & 0x07) as usize; // 0..=7, 0 included on purpose
    let d = 1 + ((shape >> 3) & 0x03) as usize; // 1..=4
    let covariance_type = CovarianceType::ALL[(ct & 3) as usize];
    let reg_covar = match reg & 7 {
        0 => 0.0,
        1 => 1e-6,
        2 => 1e-3,
        3 => -1.0,
        4 => f64::NAN,
        5 => f64::INFINITY,
        6 => 1e300,
        _ => 1e-300,
    };
    let tol = match (reg >> 3) & 3 {
        0 => 1e-3,
        1 => 0.0,
        2 => -1e-3,
        _ => f64::NAN,
    };
    let method = match init % 4 {
        0 => InitMethod::KMeans,
        1 => InitMethod::KMeansPlusPlus,
        2 => InitMethod::Random,
        _ => InitMethod::RandomFromData,
    };
    let mut values = Vec::new();
    while values.len() < 32 * d {
        let Some(raw) = take::<8>(&mut bytes) else {
            break;
        };
        let v = f64::from_le_bytes(raw);
        // Half of the inputs keep raw bits; the others are folded into a moderate range so
        // that fits get past validation often.
        values.push(if choice & 0x80 != 0 { v } else { fold(v) });
    }
    let n = values.len() / d;
    values.truncate(n * d);
    let Ok(data) = Dataset::from_row_major(n, d, values) else {
        return;
    };
    let seed = u64::from(init);
    if choice & 1 == 0 {
        let params = EmParams::new(k)
            .covariance_type(covariance_type)
            .tol(tol)
            .reg_covar(reg_covar)
            .max_iter(20)
            .init(method)
            .seed(seed);
        if let Ok(fit) = params.fit(&data) {
            let gm = fit.mixture();
            assert!((gm.weights().sum() - 1.0).abs() <= 1e-8);
            assert!(fit.lower_bounds().iter().all(|b| b.is_finite()));
            let _ = gm.score_samples(&data);
            let _ = gm.predict_proba(&data);
        }
    } else {
        let prior = if choice & 2 == 0 {
            WeightPrior::DirichletProcess {
                concentration: None,
            }
        } else {
            WeightPrior::DirichletDistribution {
                concentration: None,
            }
        };
        let params = VbParams::new(k)
            .covariance_type(covariance_type)
            .tol(tol)
            .reg_covar(reg_covar)
            .max_iter(20)
            .init(method)
            .seed(seed)
            .weight_prior(prior);
        if let Ok(fit) = params.fit(&data) {
            assert!(fit.lower_bounds().iter().all(|b| b.is_finite()));
            assert!((fit.point_estimate().weights().sum() - 1.0).abs() <= 1e-8);
            let _ = fit.score_samples(&data);
            let _ = fit.predict_proba(&data);
        }
    }
});

/// Maps a finite f64 into (-2048, 2048) (its remainder), keeping NaN and infinities.
fn fold(v: f64) -> f64 {
    if v.is_finite() { v % 2048.0 } else { v }
}
