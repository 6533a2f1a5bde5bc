//! Checking a posterior in file form before it becomes a [`VbModel`](super::VbModel): every
//! failure is a [`GmmError::InvalidModel`] naming the field (`posterior.<field>`).

use std::fmt::Display;

use gmm_core::model_file::{StoredCovariances, StoredMatrix};
use gmm_core::{Covariances, Estimator, GaussianMixture, GmmError, ModelFile, Result};
use nalgebra::{DMatrix, DVector};

use crate::params::{Priors, RegCovarRule, WeightPrior};
use crate::state::{Posterior, VariationalState, WeightConcentration};

/// Relative tolerance between a model file's point estimate (weights, means, covariances)
/// and the one its posterior gives. Files written by this crate agree exactly; the slack
/// admits writers that print fewer digits.
pub const POINT_ESTIMATE_TOLERANCE: f64 = 1e-9;

fn invalid(field: impl Display, reason: impl Display) -> GmmError {
    GmmError::InvalidModel {
        reason: format!("posterior.{field} {reason}"),
    }
}

/// The posterior of a VB model file, parsed and checked against the file's shapes.
pub(crate) fn posterior_of_file(file: &ModelFile) -> Result<Posterior> {
    if let Some(fit) = &file.fit
        && fit.estimator() != Estimator::Vb
    {
        return Err(GmmError::InvalidModel {
            reason: format!(
                "fit.method is {:?}: only a model file written by a VB fit holds a posterior",
                fit.estimator().name()
            ),
        });
    }
    let Some(value) = &file.posterior else {
        return Err(GmmError::InvalidModel {
            reason: "the file has no \"posterior\" object, only a point estimate: write it \
                     with VbFit::to_model_file (gmm fit --method vb)"
                .into(),
        });
    };
    let posterior: Posterior =
        serde_json::from_value(value.clone()).map_err(|e| GmmError::InvalidModel {
            reason: format!("posterior: {e}; expected the object a VB fit writes"),
        })?;
    if posterior.covariance_type != file.covariance_type {
        return Err(invalid(
            "covariance_type",
            format!(
                "is {} but the file's covariance_type is {}",
                posterior.covariance_type.name(),
                file.covariance_type.name()
            ),
        ));
    }
    let k = file.weights.len();
    if posterior.means.len() != k {
        return Err(invalid(
            "means",
            format!(
                "has {} components but the file has {k} weights",
                posterior.means.len()
            ),
        ));
    }
    if let (Some(ours), Some(theirs)) = (posterior.means.first(), file.means.first())
        && ours.len() != theirs.len()
    {
        return Err(invalid(
            "means[0]",
            format!(
                "has dimension {} but the file's means[0] has {}",
                ours.len(),
                theirs.len()
            ),
        ));
    }
    Ok(posterior)
}

/// `values` as a vector of length `k` whose every entry passes `ok`.
fn vector(
    field: &str,
    values: &[f64],
    k: usize,
    ok: impl Fn(f64) -> bool,
    requirement: &str,
) -> Result<DVector<f64>> {
    if values.len() != k {
        return Err(invalid(
            field,
            format!(
                "has {} entries; expected one per component, K = {k}",
                values.len()
            ),
        ));
    }
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !ok(**v)) {
        return Err(invalid(
            format!("{field}[{i}]"),
            format!("= {v}: {requirement}"),
        ));
    }
    Ok(DVector::from_column_slice(values))
}

/// `rows` as a finite `n x d` matrix.
fn matrix(field: &str, rows: &[Vec<f64>], n: usize, d: usize) -> Result<DMatrix<f64>> {
    if rows.len() != n {
        return Err(invalid(
            field,
            format!("has {} rows; expected {n}", rows.len()),
        ));
    }
    for (a, row) in rows.iter().enumerate() {
        if row.len() != d {
            return Err(invalid(
                format!("{field}[{a}]"),
                format!("has {} entries; expected D = {d}", row.len()),
            ));
        }
        if let Some((b, v)) = row.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(invalid(
                format!("{field}[{a}][{b}]"),
                format!("= {v}: not finite"),
            ));
        }
    }
    Ok(DMatrix::from_fn(n, d, |a, b| rows[a][b]))
}

/// Symmetric positive definite scale matrices read as `converted` (the stored form turned
/// into the storage of the covariance type), `k` of them of dimension `d`.
/// `indexed`: name the failing matrix `field[k]` (else `field`).
fn scale_matrices(
    field: &str,
    indexed: bool,
    k: usize,
    d: usize,
    converted: Result<Covariances>,
) -> Result<Covariances> {
    let spd = |e: GmmError| match e {
        GmmError::NotPositiveDefinite { component, reason } => invalid(
            if indexed {
                format!("{field}[{component}]")
            } else {
                field.to_string()
            },
            format!("is not symmetric positive definite ({reason})"),
        ),
        GmmError::InvalidModel { reason } => invalid(field, format!("is invalid: {reason}")),
        other => invalid(field, format!("is invalid: {other}")),
    };
    let covariances = converted.map_err(spd)?;
    covariances.check_shape(k, d).map_err(spd)?;
    covariances.precision_cholesky().map_err(spd)?;
    Ok(covariances)
}

/// `values` of one stored diagonal (`field`): D finite numbers.
fn diagonal_entries(field: &str, values: &[f64], d: usize) -> Result<()> {
    if values.len() != d {
        return Err(invalid(
            field,
            format!("has {} entries; expected D = {d}", values.len()),
        ));
    }
    vector(field, values, d, f64::is_finite, "not finite").map(|_| ())
}

const CONCENTRATION_REQUIREMENT: &str = "a concentration must be finite and > 0";

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// Degrees of freedom of a Wishart over D x D matrices must exceed `D - 1`.
fn valid_dof(v: f64, d: usize) -> bool {
    v.is_finite() && v > d as f64 - 1.0
}

fn dof_requirement(d: usize) -> String {
    format!("must be finite and > D - 1 = {}", d as f64 - 1.0)
}

/// The typed posterior and priors of a posterior in file form, after every check.
pub(crate) fn state_and_priors(p: &Posterior) -> Result<(VariationalState, Priors)> {
    let is_process = is_dirichlet_process(&p.weight_prior_type)?;
    let k = p.means.len();
    if k == 0 {
        return Err(invalid("means", "is empty: a posterior needs a component"));
    }
    let d = p.means[0].len();
    if d == 0 {
        return Err(invalid("means[0]", "is empty: the points need a dimension"));
    }
    let means = matrix("means", &p.means, k, d)?;
    let weights = weight_concentration(p, k, is_process)?;
    let beta = vector(
        "mean_precision",
        &p.mean_precision,
        k,
        positive,
        "beta_k must be finite and > 0",
    )?;
    let nu = vector(
        "degrees_of_freedom",
        &p.degrees_of_freedom,
        k,
        |v| valid_dof(v, d),
        &format!("nu_k {}", dof_requirement(d)),
    )?;
    let scale_inverse = scale_inverses(p, k, d)?;
    let priors = priors_of_file(p, d, is_process)?;
    let state = VariationalState::new(p.covariance_type, weights, beta, means, nu, scale_inverse)
        .map_err(|e| invalid("scale_inverse", format!("is invalid: {e}")))?
        .with_point_noise(point_noise(p, &priors)?);
    Ok((state, priors))
}

/// The posterior's point noise: finite, `>= 0`, and 0 unless the priors' rule is
/// point noise.
fn point_noise(p: &Posterior, priors: &Priors) -> Result<f64> {
    let v = p.point_noise;
    if !(v.is_finite() && v >= 0.0) {
        return Err(invalid(
            "point_noise",
            format!("= {v}: must be finite and >= 0"),
        ));
    }
    if v > 0.0 && priors.reg_covar_rule != RegCovarRule::PointNoise {
        return Err(invalid(
            "point_noise",
            format!(
                "= {v} but priors.reg_covar_rule is {}: point noise needs the rule point_noise",
                priors.reg_covar_rule.name()
            ),
        ));
    }
    Ok(v)
}

/// Whether `weight_prior_type` names a Dirichlet process (else a Dirichlet distribution).
fn is_dirichlet_process(weight_prior_type: &str) -> Result<bool> {
    match weight_prior_type {
        "dirichlet_distribution" => Ok(false),
        "dirichlet_process" => Ok(true),
        other => Err(invalid(
            "weight_prior_type",
            format!("= {other:?}: expected \"dirichlet_distribution\" or \"dirichlet_process\""),
        )),
    }
}

/// The posterior's weight concentrations, of the form the weight prior type requires.
fn weight_concentration(p: &Posterior, k: usize, is_process: bool) -> Result<WeightConcentration> {
    let checked = |field: &str, values: &[f64]| -> Result<Vec<f64>> {
        let v = vector(field, values, k, positive, CONCENTRATION_REQUIREMENT)?;
        Ok(v.as_slice().to_vec())
    };
    match (&p.weight_concentration, is_process) {
        (WeightConcentration::Dirichlet { alpha }, false) => Ok(WeightConcentration::Dirichlet {
            alpha: checked("weight_concentration.alpha", alpha)?,
        }),
        (WeightConcentration::StickBreaking { a, b }, true) => {
            Ok(WeightConcentration::StickBreaking {
                a: checked("weight_concentration.a", a)?,
                b: checked("weight_concentration.b", b)?,
            })
        }
        (_, _) => Err(invalid(
            "weight_concentration",
            format!(
                "does not fit weight_prior_type {:?}: a Dirichlet distribution has \
                 {{\"type\": \"dirichlet\", \"alpha\"}}, a Dirichlet process \
                 {{\"type\": \"stick_breaking\", \"a\", \"b\"}}",
                p.weight_prior_type
            ),
        )),
    }
}

/// The K posterior scale matrices `W_k^{-1}`, finite and positive definite with the
/// structure of the covariance type, in its storage (format 1 files: full matrices of that
/// structure).
fn scale_inverses(p: &Posterior, k: usize, d: usize) -> Result<Covariances> {
    let stored = &p.scale_inverse;
    if stored.len() != k {
        return Err(invalid(
            "scale_inverse",
            format!(
                "has {} matrices; expected one per component, K = {k}",
                stored.len()
            ),
        ));
    }
    match stored {
        StoredCovariances::Matrices(mats) => {
            for (c, rows) in mats.iter().enumerate() {
                matrix(&format!("scale_inverse[{c}]"), rows, d, d)?;
            }
        }
        StoredCovariances::Variances(rows) => {
            for (c, row) in rows.iter().enumerate() {
                diagonal_entries(&format!("scale_inverse[{c}]"), row, d)?;
            }
        }
        StoredCovariances::Scalars(values) => {
            vector("scale_inverse", values, k, f64::is_finite, "not finite")?;
        }
    }
    scale_matrices(
        "scale_inverse",
        true,
        k,
        d,
        stored.to_covariances(p.covariance_type, d),
    )
}

/// The covariance prior `W0^{-1}` of a posterior, finite and positive definite with the
/// structure of the covariance type, in its storage (one component).
fn covariance_prior(p: &Posterior, d: usize) -> Result<Covariances> {
    const FIELD: &str = "priors.covariance_prior";
    let stored = &p.priors.covariance_prior;
    match stored {
        StoredMatrix::Matrix(rows) => {
            matrix(FIELD, rows, d, d)?;
        }
        StoredMatrix::Variances(values) => diagonal_entries(FIELD, values, d)?,
        StoredMatrix::Scalar(x) => {
            vector(FIELD, &[*x], 1, f64::is_finite, "not finite")?;
        }
    }
    scale_matrices(
        FIELD,
        false,
        1,
        d,
        stored.to_covariances(p.covariance_type, d),
    )
}

/// The priors recorded beside the posterior, checked.
fn priors_of_file(p: &Posterior, d: usize, is_process: bool) -> Result<Priors> {
    let r = &p.priors;
    let scalar = |field: &str, v: f64, ok: bool, requirement: &str| {
        if ok {
            Ok(v)
        } else {
            Err(invalid(
                format!("priors.{field}"),
                format!("= {v}: {requirement}"),
            ))
        }
    };
    let gamma = r.weight_concentration_prior;
    scalar(
        "weight_concentration_prior",
        gamma,
        positive(gamma),
        CONCENTRATION_REQUIREMENT,
    )?;
    let beta0 = r.mean_precision_prior;
    scalar(
        "mean_precision_prior",
        beta0,
        positive(beta0),
        "beta0 must be finite and > 0",
    )?;
    let nu0 = r.degrees_of_freedom_prior;
    scalar(
        "degrees_of_freedom_prior",
        nu0,
        valid_dof(nu0, d),
        &format!("nu0 {}", dof_requirement(d)),
    )?;
    if r.mean_prior.len() != d {
        return Err(invalid(
            "priors.mean_prior",
            format!("has {} entries; expected D = {d}", r.mean_prior.len()),
        ));
    }
    let m0 = vector(
        "priors.mean_prior",
        &r.mean_prior,
        d,
        f64::is_finite,
        "not finite",
    )?;
    let w0_inv = covariance_prior(p, d)?;
    let concentration = Some(gamma);
    Ok(Priors {
        weight_prior: if is_process {
            WeightPrior::DirichletProcess { concentration }
        } else {
            WeightPrior::DirichletDistribution { concentration }
        },
        weight_concentration: gamma,
        mean_precision: beta0,
        mean: m0,
        degrees_of_freedom: nu0,
        covariance: w0_inv,
        reg_covar_rule: r.reg_covar_rule,
    })
}

/// Checks that a file's point estimate is the one its posterior gives.
pub(crate) fn point_estimate_matches(file: &GaussianMixture, ours: &GaussianMixture) -> Result<()> {
    let d = ours.means().ncols();
    // the covariances' numbers as their type stores them, and how many per component
    let stored = |g: &GaussianMixture| -> (Vec<f64>, usize) {
        match g.covariances() {
            Covariances::Full(m) => (
                m.iter().flat_map(|m| m.as_slice().to_vec()).collect(),
                d * d,
            ),
            Covariances::Tied(m) => (m.as_slice().to_vec(), d * d),
            Covariances::Diagonal(v) => (v.iter().flat_map(|v| v.as_slice().to_vec()).collect(), d),
            Covariances::Spherical(v) => (v.clone(), 1),
        }
    };
    let ((theirs_cov, per_cov), (mine_cov, _)) = (stored(file), stored(ours));
    let row_major = |m: &DMatrix<f64>| m.transpose().as_slice().to_vec();
    let fields: [(&str, Vec<f64>, Vec<f64>, usize); 3] = [
        (
            "weights",
            file.weights().as_slice().to_vec(),
            ours.weights().as_slice().to_vec(),
            1,
        ),
        ("means", row_major(file.means()), row_major(ours.means()), d),
        ("covariances", theirs_cov, mine_cov, per_cov),
    ];
    for (name, theirs, mine, per_component) in fields {
        let scale = mine.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, (&a, &b)) in theirs.iter().zip(&mine).enumerate() {
            if (a - b).abs() > POINT_ESTIMATE_TOLERANCE * a.abs().max(b.abs()).max(1e-3 * scale) {
                return Err(GmmError::InvalidModel {
                    reason: format!(
                        "the file's {name} (component {}) hold {a} but the posterior gives {b}: \
                         the point estimate was changed without the posterior; refit, or \
                         remove \"posterior\" to use the point estimate as it is",
                        i / per_component
                    ),
                });
            }
        }
    }
    Ok(())
}
