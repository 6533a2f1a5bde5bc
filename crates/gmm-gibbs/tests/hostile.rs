//! Bad settings and inputs get a typed error naming the cause; degenerate data fit under VB's
//! fallback prior.

use gmm_core::{CovarianceType, Covariances, Dataset, GaussianMixture, GmmError};
use gmm_gibbs::{Draw, GibbsParams, Sampler};
use gmm_vb::{Priors, RegCovarRule, WeightPrior};
use nalgebra::{DMatrix, DVector};
use rand::{SeedableRng, rngs::StdRng};

fn data() -> Dataset {
    Dataset::from_rows(&[
        vec![0.0, 1.0],
        vec![0.5, 1.2],
        vec![3.0, -1.0],
        vec![3.2, -0.7],
        vec![1.5, 0.2],
    ])
    .unwrap()
}

fn name_of(r: Result<impl std::fmt::Debug, GmmError>) -> &'static str {
    match r {
        Err(GmmError::InvalidParameter { name, .. }) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    }
}

#[test]
fn bad_settings_are_named() {
    let x = data();
    let small = |p: GibbsParams| p.draws(10).burn_in(2).chains(1);
    assert_eq!(
        name_of(small(GibbsParams::new(2)).draws(3).fit(&x)),
        "draws"
    );
    assert_eq!(
        name_of(small(GibbsParams::new(2)).chains(0).fit(&x)),
        "chains"
    );
    assert_eq!(name_of(small(GibbsParams::new(0)).fit(&x)), "n_components");
    assert_eq!(
        name_of(small(GibbsParams::new(2)).mean_precision_prior(0.0).fit(&x)),
        "mean_precision_prior"
    );
    assert_eq!(
        name_of(
            small(GibbsParams::new(2))
                .degrees_of_freedom_prior(0.5)
                .fit(&x)
        ),
        "degrees_of_freedom_prior"
    );
    assert_eq!(
        name_of(
            small(GibbsParams::new(2))
                .weight_prior(WeightPrior::DirichletDistribution {
                    concentration: Some(f64::NAN)
                })
                .fit(&x)
        ),
        "weight_concentration_prior"
    );
    let indefinite = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]);
    assert_eq!(
        name_of(
            small(GibbsParams::new(2))
                .covariance_prior(indefinite)
                .fit(&x)
        ),
        "covariance_prior"
    );
    assert!(matches!(
        small(GibbsParams::new(6)).fit(&x),
        Err(GmmError::TooFewSamples { .. })
    ));
    assert!(matches!(
        small(GibbsParams::new(2)).max_memory(1000).fit(&x),
        Err(GmmError::MemoryLimit { .. })
    ));
}

#[test]
fn hand_built_priors_and_draws_are_checked() {
    let good = Priors {
        weight_prior: WeightPrior::default(),
        weight_concentration: 1.0,
        mean_precision: 1.0,
        mean: DVector::zeros(2),
        degrees_of_freedom: 2.0,
        covariance: Covariances::Full(vec![DMatrix::identity(2, 2)]),
        reg_covar_rule: RegCovarRule::ScikitLearn,
    };
    let spoil = |f: fn(&mut Priors)| {
        let mut p = good.clone();
        f(&mut p);
        name_of(Sampler::new(p, CovarianceType::Full, 2))
    };
    assert_eq!(
        spoil(|p| p.weight_concentration = 0.0),
        "weight_concentration_prior"
    );
    assert_eq!(
        spoil(|p| p.mean_precision = f64::INFINITY),
        "mean_precision_prior"
    );
    assert_eq!(
        spoil(|p| p.degrees_of_freedom = 1.0),
        "degrees_of_freedom_prior"
    );
    assert_eq!(spoil(|p| p.mean[1] = f64::NAN), "mean_prior");
    let negative_variance = |p: &mut Priors| {
        if let Covariances::Full(m) = &mut p.covariance {
            m[0][(1, 1)] = -1.0;
        }
    };
    assert_eq!(spoil(negative_variance), "covariance_prior");
    let sampler = Sampler::new(good, CovarianceType::Full, 2).unwrap();
    let mut draw = sampler.draw_prior(&mut StdRng::seed_from_u64(0)).unwrap();
    let mut labels = vec![0; 3];
    assert!(matches!(
        sampler.draw_labels(&data(), &mut draw, &mut labels, 0),
        Err(GmmError::ShapeMismatch { .. })
    ));
    let one_d = Dataset::from_slice_1d(&[1.0, 2.0]).unwrap();
    assert!(matches!(
        sampler.draw_labels(&one_d, &mut draw, &mut [0, 0], 0),
        Err(GmmError::ShapeMismatch { .. })
    ));
    let means = DMatrix::zeros(2, 2);
    let covs = Covariances::Spherical(vec![1.0, 1.0]);
    assert!(matches!(
        Draw::new(&[0.5, -0.5], means.clone(), covs.clone()),
        Err(GmmError::InvalidWeights { .. })
    ));
    assert!(Draw::new(&[0.5], means.clone(), covs).is_err());
    assert!(Draw::new(&[0.5, 0.5], means, Covariances::Spherical(vec![1.0, 0.0])).is_err());
}

#[test]
fn degenerate_data_fit_under_the_fallback_prior() {
    // A constant column and identical points: VB's default prior falls back to a ridge.
    let x = Dataset::from_rows(&[
        vec![1.0, 5.0],
        vec![1.0, 5.0],
        vec![1.0, 5.0],
        vec![2.0, 5.0],
    ])
    .unwrap();
    for t in CovarianceType::ALL {
        let fit = GibbsParams::new(2)
            .covariance_type(t)
            .draws(20)
            .burn_in(5)
            .chains(2)
            .fit(&x)
            .unwrap();
        let s = fit.summary();
        assert!(s.means_mean.iter().all(|v| v.is_finite()), "{t}");
        assert!((s.weights_mean.sum() - 1.0).abs() < 1e-9, "{t}");
    }
}

#[test]
fn the_predictive_density_averages_the_draws_densities() {
    let x = data();
    let fit = GibbsParams::new(2)
        .draws(8)
        .burn_in(2)
        .chains(2)
        .fit(&x)
        .unwrap();
    let got = fit.log_predictive_density(&x).unwrap();
    for (i, g) in got.iter().enumerate() {
        let point = Dataset::from_rows(&[x.row(i).to_vec()]).unwrap();
        let mut total = 0.0;
        for d in fit.draws().iter().flatten() {
            use gmm_core::MixtureModel;
            let m = GaussianMixture::new(
                d.weights() / d.weights().sum(),
                d.means().clone(),
                d.covariances().clone(),
            )
            .unwrap();
            total += m.score_samples(&point).unwrap()[0].exp();
        }
        let want = (total / 16.0).ln();
        assert!(
            (g - want).abs() < 1e-9 * want.abs().max(1.0),
            "point {i}: {g} vs {want}"
        );
    }
    assert!(
        fit.log_predictive_density(&Dataset::from_slice_1d(&[1.0]).unwrap())
            .is_err()
    );
}
