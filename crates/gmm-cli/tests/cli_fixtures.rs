//! `gmm fit` reproducing scikit-learn's fixtures (tests/fixtures/README.md) through the
//! binary, with --init-means, --tol 0 and --max-iter 25, as the library does.
//!
//! Tolerance: 1e-8 relative, entrywise, relative to
//! `max(|reference entry|, 1e-3 * largest |entry| of that field)` (entries that are zero up to
//! rounding are not divided by ~0), as the estimators' own fixture tests use.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;

use support::*;

/// Writes a fixture's `init_means` as a CSV file (no header), shortest round-trip text.
fn write_init_means(fixture: &Value, path: &Path) {
    let rows: Vec<String> = fixture["config"]["init_means"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            floats(row)
                .iter()
                .map(|v| format!("{v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    std::fs::write(path, rows.join("\n") + "\n").unwrap();
}

/// Full covariance matrices of our model file, whatever its covariance type (the file stores
/// diag as K x D and spherical as K numbers: docs/model-format.md), row-major.
fn our_full_covariances(ours: &Value, k: usize, d: usize) -> Vec<f64> {
    let gm = gmm_core::ModelFile::from_json(&ours.to_string())
        .and_then(|f| f.to_mixture())
        .unwrap();
    (0..k)
        .flat_map(|c| {
            let m = gm.covariances().full_matrix(c, d);
            (0..d)
                .flat_map(|a| m.row(a).iter().copied().collect::<Vec<_>>())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Full covariance matrices of a fixture, whatever its covariance type (sklearn's shapes).
fn fixture_full_covariances(fx: &Value, k: usize, d: usize) -> Vec<f64> {
    let c = floats(&fx["covariances"]);
    let mut out = Vec::with_capacity(k * d * d);
    for comp in 0..k {
        for a in 0..d {
            for b in 0..d {
                out.push(match fx["config"]["covariance_type"].as_str().unwrap() {
                    "full" => c[comp * d * d + a * d + b],
                    "tied" => c[a * d + b],
                    "diag" => {
                        if a == b {
                            c[comp * d + a]
                        } else {
                            0.0
                        }
                    }
                    _ => {
                        if a == b {
                            c[comp]
                        } else {
                            0.0
                        }
                    }
                });
            }
        }
    }
    out
}

/// Runs `gmm fit` as the fixture was produced and checks the model file against it.
fn reproduce(fixture_name: &str, extra: &[&str]) {
    let fx = load(&Path::new(FIXTURES_DIR).join(fixture_name));
    let dir = scratch_dir(&fixture_name.replace('.', "_"));
    let model = fit_as_the_fixture_was(&fx, &dir, extra);
    let ours = load(&model);
    check_model_file(fixture_name, &fx, &ours);
    check_predictions(fixture_name, &fx, &model);
}

/// Runs `gmm fit` in `dir` with the fixture's configuration (and `extra` arguments), from
/// its initial means, for exactly 25 iterations; returns the model file's path.
fn fit_as_the_fixture_was(fx: &Value, dir: &Path, extra: &[&str]) -> PathBuf {
    let means = dir.join("means.csv");
    write_init_means(fx, &means);
    let model = dir.join("model.json");
    let cfg = &fx["config"];
    let k = cfg["n_components"].as_u64().unwrap().to_string();
    let dim = format!("d{}", fx["n_features"]);
    let method = cfg["model"].as_str().unwrap();
    let mut args = vec![
        "fit",
        &fixture_data_path(&dim),
        "--method",
        method,
        "-k",
        &k,
        "--covariance",
        cfg["covariance_type"].as_str().unwrap(),
        "--init-means",
        s(&means),
        "--tol",
        "0",
        "--max-iter",
        "25",
        "-o",
        s(&model),
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    args.extend(extra.iter().map(|a| a.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(gmm(&refs));
    model
}

/// The model file's parameters and fit record against the fixture's.
fn check_model_file(fixture_name: &str, fx: &Value, ours: &Value) {
    let cfg = &fx["config"];
    let method = cfg["model"].as_str().unwrap();
    let (kk, d) = (
        cfg["n_components"].as_u64().unwrap() as usize,
        fx["n_features"].as_u64().unwrap() as usize,
    );
    for field in ["weights", "means"] {
        let diff = max_error_relative_to_each(&floats(&ours[field]), &floats(&fx[field]));
        assert!(diff < REL_TOL, "{fixture_name}: {field} differ by {diff:e}");
    }
    let diff = max_error_relative_to_each(
        &our_full_covariances(ours, kk, d),
        &fixture_full_covariances(fx, kk, d),
    );
    assert!(
        diff < REL_TOL,
        "{fixture_name}: covariances differ by {diff:e}"
    );
    let fit = &ours["fit"];
    assert_eq!(fit["method"], cfg["model"]);
    assert_eq!(fit["n_iter"], 25);
    assert_eq!(fit["converged"], false);
    assert_eq!(floats(&fit["lower_bounds"]).len(), 25);
    if method == "em" {
        // EM's bound is sklearn's (mean log-likelihood before each M-step)
        let diff =
            max_error_relative_to_each(&floats(&fit["lower_bounds"]), &floats(&fx["lower_bounds"]));
        assert!(diff < REL_TOL, "{fixture_name}: bounds differ by {diff:e}");
        assert!(ours.get("posterior").is_none());
    } else {
        // VB's bound is the full ELBO: sklearn's plus the constant it drops
        if let Some(full) = fx.get("lower_bounds_full_elbo").filter(|v| !v.is_null()) {
            let diff = max_error_relative_to_each(&floats(&fit["lower_bounds"]), &floats(full));
            // sklearn adds reg_covar to S_k inside its bound; 1e-6 on O(1) scatters
            assert!(diff < 1e-5, "{fixture_name}: full ELBO differs by {diff:e}");
        }
        assert!(
            ours["posterior"].is_object(),
            "VB model files carry the posterior"
        );
    }
}

/// `gmm predict` (and for EM `gmm score`) with the model file against the fixture's
/// labels (and score).
fn check_predictions(fixture_name: &str, fx: &Value, model: &Path) {
    let method = fx["config"]["model"].as_str().unwrap();
    let dim = format!("d{}", fx["n_features"]);
    let predicted = ok(gmm(&["predict", s(model), &fixture_data_path(&dim)]));
    let labels: Vec<u64> = predicted
        .lines()
        .skip(1)
        .map(|l| l.parse().unwrap())
        .collect();
    let want: Vec<u64> = fx["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    if method == "em" {
        assert_eq!(labels, want, "{fixture_name}: labels");
        let score: f64 = ok(gmm(&["score", s(model), &fixture_data_path(&dim)]))
            .trim()
            .parse()
            .unwrap();
        let want = fx["score"].as_f64().unwrap();
        assert!(
            (score - want).abs() < REL_TOL * want.abs(),
            "{fixture_name}: score {score} vs {want}"
        );
    } else {
        // the model file's posterior gives the variational responsibilities, as sklearn's
        // fit_predict uses them
        assert_eq!(labels, want, "{fixture_name}: labels");
    }
}

#[test]
fn fit_reproduces_sklearn_em_fixtures() {
    reproduce("em_d2_full.json", &[]);
    reproduce("em_d1_tied.json", &[]);
    reproduce("em_d5_diag.json", &[]);
}

#[test]
fn fit_reproduces_sklearn_vb_fixtures() {
    reproduce(
        "vb_d2_full_dp.json",
        &["--weight-prior", "dirichlet-process"],
    );
    reproduce("vb_d2_full_dd.json", &["--weight-prior", "dirichlet"]);
    reproduce("vb_d5_spherical_dp.json", &[]);
}
