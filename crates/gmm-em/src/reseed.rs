//! Re-seeding collapsed components (an option, off by default; docs/em.md, "Singularities").
//!
//! A component is collapsed when its covariance has no Cholesky factorisation (it sits on
//! one point or on a lower-dimensional set and `reg_covar` is too small to save it), when
//! only scikit-learn's tiny shrinkage variance saves it (zero scatter with `reg_covar = 0`:
//! [`MStepParameters::zero_scatter`]), or when it holds less than [`MIN_POINTS`] point's
//! worth of responsibility. With re-seeding on, such
//! a component is moved to the worst-explained point (the lowest log density under the
//! healthy components; ties to the lowest index), given the covariance of the whole data set
//! (maximum likelihood, plus `reg_covar`, in the shape of the covariance type) and weight
//! `1/K`; the other weights are scaled to fill the rest. At most K re-seeds happen per run;
//! after that, a collapse fails (or, for a merely emptied component, stays) as without the
//! option.

use gmm_core::{Covariances, Dataset, GaussianMixture, MixtureModel, Result};
use nalgebra::{DMatrix, DVector};

use crate::m_step::{MStepParameters, unfactorisable_components};

/// Below this `N_k` (in points) a component counts as collapsed when re-seeding is on.
pub const MIN_POINTS: f64 = 1.0;

/// One re-seeding of a collapsed component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReseedEvent {
    /// The M-step after which it happened: 0 for the initial M-step, `t` for the M-step of
    /// iteration `t`.
    pub iteration: usize,
    /// The component re-seeded.
    pub component: usize,
    /// Index of the data point it was moved to.
    pub point: usize,
}

/// Components to re-seed: unfactorisable ones and those of zero scatter, then emptied ones
/// (`N_k < MIN_POINTS`).
/// A tied covariance that fails cannot be helped by moving means, so it is not listed.
pub(crate) fn collapsed_components(params: &MStepParameters) -> Vec<usize> {
    let k = params.n_k.len();
    // a flag per component, not searches of lists: linear in K however many collapse
    let mut collapsed = vec![false; k];
    if !matches!(params.covariances, Covariances::Tied(_)) {
        for c in unfactorisable_components(&params.covariances) {
            collapsed[c] = true;
        }
    }
    for &c in &params.zero_scatter {
        collapsed[c] = true;
    }
    for (flag, &n) in collapsed.iter_mut().zip(&params.n_k) {
        *flag |= n < MIN_POINTS;
    }
    (0..k).filter(|&c| collapsed[c]).collect()
}

/// One flag per component of `k`: whether it is among `components`.
fn membership(components: &[usize], k: usize) -> Vec<bool> {
    let mut member = vec![false; k];
    for &c in components {
        member[c] = true;
    }
    member
}

/// Re-seeds `components` of `params` in place (see the module documentation) and returns
/// the events, labelled with `iteration`.
///
/// # Errors
/// Errors of building the mixture of the healthy components (they were checked, so only
/// rounding pathologies can reach this).
pub(crate) fn reseed(
    data: &Dataset,
    params: &mut MStepParameters,
    components: &[usize],
    iteration: usize,
) -> Result<Vec<ReseedEvent>> {
    let k = params.weights.len();
    let d = data.n_features();
    let reseeded = membership(components, k);
    let healthy: Vec<usize> = (0..k).filter(|&c| !reseeded[c]).collect();
    let badness = point_badness(data, params, &healthy)?;
    // points of weight zero are absent
    let mut order: Vec<usize> = (0..data.n_samples())
        .filter(|&i| data.weight(i) > 0.0)
        .collect();
    // worst explained first; ties to the lowest index (stable sort)
    order.sort_by(|&a, &b| badness[b].total_cmp(&badness[a]));

    let data_cov = data.covariance(0);
    let mut events = Vec::with_capacity(components.len());
    for (i, &c) in components.iter().enumerate() {
        let point = order[i % order.len()];
        params
            .means
            .row_mut(c)
            .copy_from(&DVector::from_row_slice(data.row(point)).transpose());
        let reg = params.reg_covar;
        match &mut params.covariances {
            Covariances::Full(mats) => {
                mats[c] = &data_cov + DMatrix::from_diagonal_element(d, d, reg);
            }
            Covariances::Diagonal(vs) => vs[c] = data_cov.diagonal().map(|v| v + reg),
            Covariances::Spherical(vs) => vs[c] = data_cov.diagonal().mean() + reg,
            Covariances::Tied(_) => {}
        }
        events.push(ReseedEvent {
            iteration,
            component: c,
            point,
        });
    }
    let share = 1.0 / k as f64;
    let healthy_total: f64 = healthy.iter().map(|&c| params.weights[c]).sum();
    let rest = 1.0 - share * components.len() as f64;
    for (w, &moved) in params.weights.iter_mut().zip(&reseeded) {
        *w = if moved {
            share
        } else if healthy_total > 0.0 {
            *w / healthy_total * rest
        } else {
            share
        };
    }
    Ok(events)
}

/// How badly each point is explained: minus its log density under the healthy components
/// (renormalised), or, when none is healthy, its squared distance to the data mean.
fn point_badness(data: &Dataset, params: &MStepParameters, healthy: &[usize]) -> Result<Vec<f64>> {
    if healthy.is_empty() {
        let mean = data.mean();
        return Ok(data
            .rows()
            .map(|x| {
                x.iter()
                    .zip(mean.iter())
                    .map(|(a, m)| (a - m) * (a - m))
                    .sum()
            })
            .collect());
    }
    let total: f64 = healthy.iter().map(|&c| params.weights[c]).sum();
    let weights = DVector::from_iterator(
        healthy.len(),
        healthy.iter().map(|&c| params.weights[c] / total),
    );
    let means = params.means.select_rows(healthy);
    let covariances = match &params.covariances {
        Covariances::Full(m) => Covariances::Full(healthy.iter().map(|&c| m[c].clone()).collect()),
        Covariances::Diagonal(v) => {
            Covariances::Diagonal(healthy.iter().map(|&c| v[c].clone()).collect())
        }
        Covariances::Spherical(v) => {
            Covariances::Spherical(healthy.iter().map(|&c| v[c]).collect())
        }
        Covariances::Tied(m) => Covariances::Tied(m.clone()),
    };
    let sub = GaussianMixture::new(weights, means, covariances)?;
    Ok(sub.score_samples(data)?.into_iter().map(|v| -v).collect())
}
