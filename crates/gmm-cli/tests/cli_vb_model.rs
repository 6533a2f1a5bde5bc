//! `gmm score` and `gmm predict` on VB model files: the rebuilt posterior answers exactly as
//! the library's fit does (Student-t posterior predictive, variational responsibilities);
//! a VB file without a posterior falls back to its point estimate with a note; an invalid
//! posterior is an error; `gmm sample` draws from the point estimate.
//!
//! Tolerances: the score to 1e-9 relative (the brief's; the binary prints the shortest
//! representation that reads back to the same f64, so the only differences are those of
//! the fit itself, which is deterministic); probabilities to 1e-12 absolute.

mod support;

use std::path::Path;

use gmm_core::{CovarianceType, Dataset, MixtureModel};
use gmm_io::read_data_file;
use gmm_vb::{VbFit, VbParams, WeightPrior};
use rand::{SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

use support::*;

/// One VB configuration: the CLI's options and the library parameters they mean.
struct Config {
    name: &'static str,
    args: &'static [&'static str],
    params: VbParams,
}

fn configs() -> Vec<Config> {
    vec![
        Config {
            name: "full-dp",
            args: &["-k", "4", "--seed", "2"],
            params: VbParams::new(4).seed(2),
        },
        Config {
            name: "diag-dd",
            args: &[
                "-k",
                "3",
                "--covariance",
                "diag",
                "--weight-prior",
                "dirichlet",
                "--seed",
                "5",
            ],
            params: VbParams::new(3)
                .covariance_type(CovarianceType::Diagonal)
                .weight_prior(WeightPrior::DirichletDistribution {
                    concentration: None,
                })
                .seed(5),
        },
        Config {
            name: "tied-dp",
            args: &["-k", "3", "--covariance", "tied", "--tol", "1e-6"],
            params: VbParams::new(3)
                .covariance_type(CovarianceType::Tied)
                .tol(1e-6),
        },
        Config {
            name: "spherical-dd",
            args: &[
                "-k",
                "5",
                "--covariance",
                "spherical",
                "--weight-prior",
                "dirichlet",
                "--weight-concentration",
                "0.01",
                "--mean-precision",
                "0.5",
            ],
            params: VbParams::new(5)
                .covariance_type(CovarianceType::Spherical)
                .weight_prior(WeightPrior::DirichletDistribution {
                    concentration: Some(0.01),
                })
                .mean_precision_prior(0.5),
        },
    ]
}

fn d2() -> Dataset {
    read_data_file(Path::new(&fixture_data_path("d2")))
        .unwrap()
        .data
}

/// Runs `gmm fit --method vb` with the config's options into `model`.
fn cli_fit(config: &Config, model: &Path) {
    let data = fixture_data_path("d2");
    let mut args = vec!["fit", &data, "--method", "vb", "-o", s(model)];
    args.extend(config.args);
    ok(gmm(&args));
}

fn cli_score(model: &Path, data: &str) -> f64 {
    ok(gmm(&["score", s(model), data])).trim().parse().unwrap()
}

fn cli_labels(model: &Path, data: &str) -> Vec<usize> {
    let out = ok(gmm(&["predict", s(model), data]));
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("label"));
    lines.map(|l| l.parse().unwrap()).collect()
}

fn cli_proba(model: &Path, data: &str) -> Vec<Vec<f64>> {
    let out = ok(gmm(&["predict", s(model), data, "--proba"]));
    out.lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn score_and_predict_of_a_vb_model_file_are_the_fits() {
    let dir = scratch_dir("vb-model");
    let data = d2();
    for config in configs() {
        let model = dir.join(format!("{}.json", config.name));
        cli_fit(&config, &model);
        let fit: VbFit = config.params.fit(&data).unwrap();

        let score = cli_score(&model, &fixture_data_path("d2"));
        let want = fit.score(&data).unwrap();
        assert!(
            rel(score, want) < 1e-9,
            "{}: gmm score {score} vs VbFit::score {want}",
            config.name
        );
        // the posterior predictive, not the plug-in density of the point estimate
        let plug_in = fit.point_estimate().score(&data).unwrap();
        assert!(
            rel(score, plug_in) > 1e-6,
            "{}: {score} vs {plug_in}",
            config.name
        );

        assert_eq!(
            cli_labels(&model, &fixture_data_path("d2")),
            fit.predict(&data).unwrap(),
            "{}: labels",
            config.name
        );
        let proba = cli_proba(&model, &fixture_data_path("d2"));
        let want = fit.predict_proba(&data).unwrap();
        assert_eq!(proba.len(), want.nrows());
        for (n, row) in proba.iter().enumerate() {
            assert_eq!(row.len(), want.ncols());
            for (k, p) in row.iter().enumerate() {
                assert!(
                    (p - want[(n, k)]).abs() < 1e-12,
                    "{}: p[{n}][{k}] {p} vs {}",
                    config.name,
                    want[(n, k)]
                );
            }
        }
    }
}

/// Writes `value` as a model file next to the others.
fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

#[test]
fn a_vb_file_without_its_posterior_falls_back_to_the_point_estimate_with_a_note() {
    let dir = scratch_dir("vb-no-posterior");
    let config = configs().swap_remove(0);
    let model = dir.join("m.json");
    cli_fit(&config, &model);
    let mut file = load(&model);
    file.as_object_mut().unwrap().remove("posterior");
    let stripped = dir.join("stripped.json");
    write_json(&stripped, &file);

    let data = d2();
    let fit = config.params.fit(&data).unwrap();
    let o = gmm(&["score", s(&stripped), &fixture_data_path("d2")]);
    let note = stderr(&o);
    let score: f64 = ok(o).trim().parse().unwrap();
    let want = fit.point_estimate().score(&data).unwrap();
    assert!(rel(score, want) < 1e-9, "{score} vs {want}");
    assert_eq!(note.lines().count(), 1, "{note}");
    assert!(
        note.starts_with("note: ")
            && note.contains("stripped.json")
            && note.contains("point estimate"),
        "{note}"
    );
    assert_eq!(
        cli_labels(&stripped, &fixture_data_path("d2")),
        fit.point_estimate().predict(&data).unwrap()
    );
    // with the posterior there is no note
    let o = gmm(&["score", s(&model), &fixture_data_path("d2")]);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

/// A change to a model file's JSON.
type Edit = fn(&mut Value);

#[test]
fn an_invalid_posterior_is_an_error_naming_the_field() {
    let dir = scratch_dir("vb-bad-posterior");
    let config = configs().swap_remove(1);
    let model = dir.join("m.json");
    cli_fit(&config, &model);
    let good = load(&model);
    let cases: [(&str, Edit, &str); 4] = [
        (
            "nu.json",
            |v| v["posterior"]["degrees_of_freedom"][0] = json!(0.5),
            "posterior.degrees_of_freedom[0] = 0.5",
        ),
        (
            "beta.json",
            |v| v["posterior"]["mean_precision"][2] = json!(-1.0),
            "posterior.mean_precision[2]",
        ),
        (
            "type.json",
            |v| v["posterior"]["weight_prior_type"] = json!("dirichlet_process"),
            "posterior.weight_concentration",
        ),
        (
            "scale.json",
            // a negative variance, in the form the covariance type stores
            |v| {
                let scales = &mut v["posterior"]["scale_inverse"];
                scales[1] = match &scales[0] {
                    Value::Number(_) => json!(-2.0),
                    Value::Array(row) if row[0].is_number() => json!([1.0, -2.0]),
                    _ => json!([[1.0, 0.0], [0.0, -2.0]]),
                };
            },
            "posterior.scale_inverse[1] is not symmetric positive definite",
        ),
    ];
    for (name, edit, needle) in cases {
        let mut file = good.clone();
        edit(&mut file);
        let path = dir.join(name);
        write_json(&path, &file);
        for args in [
            vec!["score", s(&path), &fixture_data_path("d2")],
            vec!["predict", s(&path), &fixture_data_path("d2")],
            vec!["predict", s(&path), &fixture_data_path("d2"), "--proba"],
        ] {
            let o = gmm(&args);
            assert_eq!(o.status.code(), Some(1), "{args:?}");
            let err = stderr(&o);
            assert!(
                err.contains(needle) && err.contains(name) && err.contains("refit"),
                "{args:?}: {err}"
            );
            assert!(stdout(&o).is_empty());
        }
        // sampling uses only the point estimate, which is intact
        ok(gmm(&["sample", s(&path), "-n", "3"]));
    }
}

#[test]
fn sample_draws_from_the_point_estimate_of_a_vb_model() {
    let dir = scratch_dir("vb-sample");
    let config = configs().swap_remove(2);
    let model = dir.join("m.json");
    cli_fit(&config, &model);
    let fit = config.params.fit(&d2()).unwrap();
    let out = ok(gmm(&["sample", s(&model), "-n", "40", "--seed", "9"]));
    let (want, _) = fit
        .point_estimate()
        .sample(40, &mut StdRng::seed_from_u64(9))
        .unwrap();
    let rows: Vec<Vec<f64>> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    let want: Vec<Vec<f64>> = want.rows().map(<[f64]>::to_vec).collect();
    assert_eq!(rows, want);
}
