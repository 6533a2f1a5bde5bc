//! The JSON model file: exact round trip, any field order, and every kind of bad file gets a
//! typed error. See docs/testing.md.

mod common;

use common::{config, mixture_spec, random_spd};
use gmm::core::{
    CovarianceType, Covariances, Estimator, FitRecord, GaussianMixture, GmmError, MixtureModel,
    ModelFile, model_file::StoredCovariances,
};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng, rngs::StdRng};

/// A mixture whose numbers span many orders of magnitude: means anywhere in
/// `±10^{±300}`, covariances scaled by `10^{±100}`, weights with no short decimal form.
fn extreme_mixture(k: usize, d: usize, ct: CovarianceType, seed: u64) -> GaussianMixture {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut w = DVector::from_fn(k, |_, _| rng.random::<f64>() + 1e-3);
    w /= w.sum();
    let means = DMatrix::from_fn(k, d, |_, _| {
        let e: i32 = rng.random_range(-300..300);
        rng.random_range(-1.0..1.0) * 10f64.powi(e)
    });
    let scale = 10f64.powi(rng.random_range(-100..100));
    let covs = match ct {
        CovarianceType::Full => {
            Covariances::Full((0..k).map(|_| random_spd(&mut rng, d) * scale).collect())
        }
        CovarianceType::Tied => Covariances::Tied(random_spd(&mut rng, d) * scale),
        CovarianceType::Diagonal => Covariances::Diagonal(
            (0..k)
                .map(|_| DVector::from_fn(d, |_, _| rng.random::<f64>() * scale + 1e-300))
                .collect(),
        ),
        CovarianceType::Spherical => Covariances::Spherical(
            (0..k)
                .map(|_| rng.random::<f64>() * scale + 1e-300)
                .collect(),
        ),
    };
    GaussianMixture::new(w, means, covs).expect("a valid generated mixture")
}

/// The file of `gm` as format 1 wrote it: every covariance a full D x D matrix.
fn format_one(gm: &GaussianMixture) -> ModelFile {
    let (k, d) = (gm.n_components(), gm.n_features());
    let mut file = ModelFile::from_mixture(gm);
    file.format_version = 1;
    file.covariances = StoredCovariances::Matrices(
        (0..k)
            .map(|c| {
                let m = gm.covariances().full_matrix(c, d);
                (0..d).map(|a| m.row(a).iter().copied().collect()).collect()
            })
            .collect(),
    );
    file
}

/// The file of `gm` in format 2 (`false`) or format 1 (`true`).
fn file_of(gm: &GaussianMixture, old_format: bool) -> ModelFile {
    if old_format {
        format_one(gm)
    } else {
        ModelFile::from_mixture(gm)
    }
}

/// Sets diagonal entry `j` of stored covariance `c` to `f` of its value, in any stored form
/// (a spherical component has one entry, whatever `j`; its matrix form has all D set).
fn edit_diagonal(file: &mut ModelFile, c: usize, j: usize, f: impl Fn(f64) -> f64) {
    let spherical = file.covariance_type == CovarianceType::Spherical;
    match &mut file.covariances {
        StoredCovariances::Matrices(m) => {
            let d = m[c].len();
            let rows: Vec<usize> = if spherical { (0..d).collect() } else { vec![j] };
            for a in rows {
                m[c][a][a] = f(m[c][a][a]);
            }
        }
        StoredCovariances::Variances(v) => v[c][j] = f(v[c][j]),
        StoredCovariances::Scalars(s) => s[c] = f(s[c]),
    }
}

fn fit_record(seed: u64) -> FitRecord {
    let mut rng = StdRng::seed_from_u64(seed);
    let estimator = [Estimator::Em, Estimator::Vb, Estimator::Cavi][(seed % 3) as usize];
    let mut record = FitRecord::new(estimator);
    for _ in 0..rng.random_range(1..500) {
        record.push_bound(-rng.random::<f64>() * 1e4, 1.0, 0.0);
    }
    record.finish(rng.random());
    record
}

/// The file written with its top-level fields in the order `order`.
fn json_in_order(file: &ModelFile, order: &[usize]) -> String {
    let value = serde_json::to_value(file).unwrap();
    let obj = value.as_object().unwrap();
    let keys = [
        "format_version",
        "covariance_type",
        "weights",
        "means",
        "covariances",
        "fit",
        "posterior",
    ];
    let parts: Vec<String> = order
        .iter()
        .map(|&i| keys[i])
        .filter_map(|key| {
            obj.get(key)
                .map(|v| format!("{:?}: {}", key, serde_json::to_string(v).unwrap()))
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

proptest! {
    #![proptest_config(config())]

    /// Writing then reading gives back the same mixture bit for bit, and the same text.
    #[test]
    fn round_trip_is_exact(spec in mixture_spec(5), extreme in any::<bool>()) {
        let gm = if extreme {
            extreme_mixture(spec.k, spec.d, spec.covariance_type, spec.seed)
        } else {
            spec.build(10.0)
        };
        let text = gm.to_json();
        let back = GaussianMixture::from_json(&text).unwrap();
        prop_assert_eq!(&back, &gm);
        prop_assert_eq!(back.to_json(), text);
        let mut file = ModelFile::from_mixture(&gm);
        file.fit = Some(fit_record(spec.seed));
        file.posterior = Some(serde_json::json!({"alpha": [1.5, 2.0], "note": "kept as written"}));
        prop_assert_eq!(ModelFile::from_json(&file.to_json()).unwrap(), file);
    }

    /// A file whose fields come in any order (an older writer's order, a hand-edited file)
    /// reads to the same model.
    #[test]
    fn fields_in_any_order_read_the_same(spec in mixture_spec(4), order in Just((0..7).collect::<Vec<usize>>()).prop_shuffle()) {
        let gm = spec.build(10.0);
        let mut file = ModelFile::from_mixture(&gm);
        file.fit = Some(fit_record(spec.seed));
        let text = json_in_order(&file, &order);
        prop_assert_eq!(ModelFile::from_json(&text).unwrap(), file.clone());
        prop_assert_eq!(ModelFile::from_json(&text).unwrap().to_mixture().unwrap(), gm.clone());
        // A VB fit's file is not a plain mixture: reading it as one is an error that says
        // what to call instead, never a silent point estimate.
        match GaussianMixture::from_json(&text) {
            Ok(back) => {
                prop_assert!(!file.holds_vb_posterior());
                prop_assert_eq!(back, gm);
            }
            Err(GmmError::InvalidModel { reason }) => {
                prop_assert!(file.holds_vb_posterior());
                prop_assert!(reason.contains("gmm::load_model"), "{}", reason);
            }
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }

    /// Every strict prefix of a valid file is rejected as an invalid model.
    #[test]
    fn truncated_files_are_rejected(spec in mixture_spec(3), cut in any::<usize>()) {
        let text = spec.build(10.0).to_json();
        let at = cut % text.len();
        let truncated = &text[..at];
        let is_invalid = matches!(GaussianMixture::from_json(truncated), Err(GmmError::InvalidModel { .. }));
        prop_assert!(is_invalid, "prefix of length {} was accepted", at);
    }

    /// Weights that do not sum to 1 (beyond 1e-8), or a negative weight, are rejected.
    #[test]
    fn weights_that_are_not_a_distribution_are_rejected(spec in mixture_spec(4), factor in prop_oneof![0.0..0.999_999f64, 1.000_001..10.0f64], negate in any::<bool>()) {
        let mut file = ModelFile::from_mixture(&spec.build(10.0));
        if negate && spec.k >= 2 {
            file.weights[0] = -file.weights[0];
            file.weights[1] -= 2.0 * file.weights[0];
        } else {
            file.weights.iter_mut().for_each(|w| *w *= factor);
        }
        let is_invalid = matches!(file.to_mixture(), Err(GmmError::InvalidWeights { .. }));
        prop_assert!(is_invalid, "{:?}", file.weights);
    }

    /// A covariance that is not symmetric positive definite is rejected, naming the component,
    /// in files of either format.
    #[test]
    fn non_spd_covariances_are_rejected(spec in mixture_spec(4), which in any::<usize>(), how in 0usize..3, old in any::<bool>()) {
        let gm = spec.build(10.0);
        let mut file = file_of(&gm, old);
        let (k, d) = (spec.k, spec.d);
        let tied = spec.covariance_type == CovarianceType::Tied;
        let c = if tied { 0 } else { which % k };
        let j = which % d;
        let targets: Vec<usize> = if tied { (0..k).collect() } else { vec![c] };
        let full_form = matches!(spec.covariance_type, CovarianceType::Full | CovarianceType::Tied);
        for &t in &targets {
            match how {
                // a zero or negative variance
                0 => edit_diagonal(&mut file, t, j, |_| 0.0),
                1 => edit_diagonal(&mut file, t, j, |x| -x),
                // indefinite: a huge symmetric off-diagonal pair (full and tied only)
                _ => match (&mut file.covariances, full_form && d >= 2) {
                    (StoredCovariances::Matrices(m), true) => {
                        let m = &mut m[t];
                        let big = 10.0 * (m[0][0] * m[1][1]).sqrt();
                        m[0][1] = big;
                        m[1][0] = big;
                    }
                    _ => edit_diagonal(&mut file, t, j, |_| 0.0),
                },
            }
        }
        // a file's covariance is named as damaged, not as a fit's to regularise
        let named = format!("component {c} is not symmetric positive definite");
        match file.to_mixture() {
            Err(GmmError::InvalidModel { reason }) => {
                prop_assert!(reason.contains(&named) && reason.contains("damaged"), "{}", reason)
            }
            other => prop_assert!(false, "expected InvalidModel for component {}, got {:?}", c, other),
        }
    }

    /// Files of format 1 (every covariance a full matrix) read to the same mixture bit for bit.
    #[test]
    fn format_one_files_still_read(spec in mixture_spec(5)) {
        let gm = spec.build(10.0);
        let text = serde_json::to_string(&format_one(&gm)).unwrap().replace("\"format_version\":1,", "");
        prop_assert!(!text.contains("format_version"));
        prop_assert_eq!(GaussianMixture::from_json(&text).unwrap(), gm);
    }

    /// Every kind of wrong shape is rejected with a typed error, never a panic.
    #[test]
    fn wrong_shapes_are_rejected(spec in mixture_spec(4), which in any::<usize>(), how in 0usize..6, old in any::<bool>()) {
        let mut file = file_of(&spec.build(10.0), old);
        let (k, d) = (spec.k, spec.d);
        let c = which % k;
        match (how, &mut file.covariances) {
            (0, _) => { file.means[c].push(0.0); }
            (1, _) => { file.means.push(vec![0.0; d]); }
            (2, StoredCovariances::Matrices(m)) => { m.pop(); }
            (2, StoredCovariances::Variances(v)) => { v.pop(); }
            (2, StoredCovariances::Scalars(s)) => { s.pop(); }
            (3, StoredCovariances::Matrices(m)) => { m[c][which % d].push(1.0); }
            (3, StoredCovariances::Variances(v)) => { v[c].push(1.0); }
            (4, StoredCovariances::Matrices(m)) => { m[c].pop(); }
            (4, StoredCovariances::Variances(v)) => { v[c].pop(); }
            // a spherical file's one number per component has no shape but its count
            (3 | 4, StoredCovariances::Scalars(s)) => { s.push(1.0); }
            _ => { file.weights.clear(); }
        }
        let result = file.to_mixture();
        // A spherical file of format 2 holds no D beyond its means: with one component, a
        // longer mean is a valid model of one more dimension.
        if how == 0 && k == 1 && !old && spec.covariance_type == CovarianceType::Spherical {
            prop_assert_eq!(result.map(|gm| gm.n_features()).ok(), Some(d + 1));
            return Ok(());
        }
        let is_shape_error = matches!(result, Err(GmmError::InvalidModel { .. } | GmmError::ShapeMismatch { .. }));
        prop_assert!(is_shape_error, "{:?}", result);
    }
}

#[test]
fn malformed_json_gets_invalid_model() {
    let cases = [
        "",
        "null",
        "[]",
        "{}",
        r#"{"covariance_type": "fulll", "weights": [1], "means": [[0]], "covariances": [[[1]]]}"#,
        r#"{"covariance_type": "full", "weights": "one", "means": [[0]], "covariances": [[[1]]]}"#,
        r#"{"covariance_type": "full", "weights": [1e400], "means": [[0]], "covariances": [[[1]]]}"#,
        r#"{"covariance_type": "full", "weights": [1], "means": [[NaN]], "covariances": [[[1]]]}"#,
        r#"{"covariance_type": "full", "weights": [1], "means": [[0]]}"#,
        r#"{"covariance_type": "full", "weights": [1], "means": [[0]], "covariances": [[[1]]]} trailing"#,
    ];
    for text in cases {
        assert!(
            matches!(
                GaussianMixture::from_json(text),
                Err(GmmError::InvalidModel { .. })
            ),
            "accepted or wrong error for {text:?}"
        );
    }
    // a well-formed file with no components, and one with empty means
    let empty = r#"{"covariance_type": "full", "weights": [], "means": [], "covariances": []}"#;
    assert!(matches!(
        GaussianMixture::from_json(empty),
        Err(GmmError::InvalidModel { .. })
    ));
    let no_dim =
        r#"{"covariance_type": "full", "weights": [1], "means": [[]], "covariances": [[]]}"#;
    assert!(matches!(
        GaussianMixture::from_json(no_dim),
        Err(GmmError::InvalidModel { .. })
    ));
}

#[test]
fn covariances_without_their_types_structure_are_rejected() {
    let file = |ct: &str, covs: &str| {
        format!(
            r#"{{"covariance_type": "{ct}", "weights": [0.5, 0.5], "means": [[0, 0], [1, 1]], "covariances": {covs}}}"#
        )
    };
    let differing = "[[[1, 0], [0, 1]], [[2, 0], [0, 1]]]";
    let off_diagonal = "[[[1, 0.5], [0.5, 1]], [[1, 0.5], [0.5, 1]]]";
    let unequal_diagonal = "[[[1, 0], [0, 2]], [[1, 0], [0, 2]]]";
    for (ct, covs) in [
        ("tied", differing),
        ("diag", off_diagonal),
        ("spherical", off_diagonal),
        ("spherical", unequal_diagonal),
    ] {
        let r = GaussianMixture::from_json(&file(ct, covs));
        assert!(
            matches!(r, Err(GmmError::InvalidModel { .. })),
            "{ct} {covs}: {r:?}"
        );
    }
    let asymmetric = "[[[1, 0.5], [0.4, 1]], [[1, 0], [0, 1]]]";
    let r = GaussianMixture::from_json(&file("full", asymmetric));
    assert!(
        matches!(&r, Err(GmmError::InvalidModel { reason }) if reason.contains("component 0 is not symmetric")),
        "{r:?}"
    );
    // and the good one reads
    let gm = GaussianMixture::from_json(&file("full", differing)).unwrap();
    assert_eq!(gm.n_components(), 2);
}
