//! One point given as a slice answers exactly what the batch methods answer for it (issue
//! 16): the same log density, responsibilities and label, bit for bit, for every model type.

use gmm::core::{CovarianceType, Dataset, GmmError, MixtureModel, synthetic};
use gmm::em::EmParams;
use gmm::vb::VbParams;

fn assert_points_match_the_batch(model: &dyn MixtureModel, data: &Dataset, what: &str) {
    let densities = model.score_samples(data).unwrap();
    let proba = model.predict_proba(data).unwrap();
    let labels = model.predict(data).unwrap();
    for (n, x) in data.rows().enumerate() {
        assert_eq!(
            model.score_point(x).unwrap().to_bits(),
            densities[n].to_bits(),
            "{what}: density of point {n}"
        );
        let row: Vec<f64> = proba.row(n).iter().copied().collect();
        assert_eq!(model.predict_proba_point(x).unwrap(), row, "{what}: {n}");
        assert_eq!(model.predict_point(x).unwrap(), labels[n], "{what}: {n}");
    }
}

#[test]
fn a_point_gets_what_the_batch_gives_it() {
    let data = synthetic::draw(&synthetic::two_d_three_clusters(), 300, 4)
        .unwrap()
        .data;
    for t in CovarianceType::ALL {
        let em = EmParams::new(3).covariance_type(t).fit(&data).unwrap();
        assert_points_match_the_batch(&em, &data, &format!("EM {t}"));
        assert_points_match_the_batch(em.mixture(), &data, &format!("mixture {t}"));
        let vb = VbParams::new(4).covariance_type(t).fit(&data).unwrap();
        assert_points_match_the_batch(&vb, &data, &format!("VB {t}"));
        assert_points_match_the_batch(vb.model(), &data, &format!("VB model {t}"));
    }
}

#[test]
fn a_point_of_the_wrong_length_or_not_finite_is_an_error() {
    let data = synthetic::draw(&synthetic::two_d_three_clusters(), 100, 4)
        .unwrap()
        .data;
    let em = EmParams::new(2).fit(&data).unwrap();
    assert!(matches!(
        em.score_point(&[1.0]),
        Err(GmmError::ShapeMismatch {
            expected: 2,
            found: 1,
            ..
        })
    ));
    assert!(matches!(
        em.predict_point(&[1.0, 2.0, 3.0]),
        Err(GmmError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        em.predict_proba_point(&[f64::NAN, 0.0]),
        Err(GmmError::NonFinite { .. })
    ));
}
