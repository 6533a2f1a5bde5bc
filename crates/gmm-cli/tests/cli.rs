//! The `gmm` binary, run as a user would: every subcommand, its output and exit code, and
//! bad input.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;

use support::*;

#[test]
fn predict_proba_score_and_sample_work_on_a_fitted_model() {
    let dir = scratch_dir("use");
    let model = dir.join("m.json");
    let out = ok(gmm(&[
        "fit",
        &fixture_data_path("d2"),
        "--method",
        "em",
        "-k",
        "3",
        "--seed",
        "4",
        "-o",
        s(&model),
    ]));
    assert!(out.contains("EM, K = 3") && out.contains("wrote"), "{out}");
    let proba = ok(gmm(&[
        "predict",
        s(&model),
        &fixture_data_path("d2"),
        "--proba",
    ]));
    let mut lines = proba.lines();
    assert_eq!(lines.next(), Some("p0,p1,p2"));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 400);
    for r in &rows {
        assert_eq!(r.len(), 3);
        assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
    let labels = ok(gmm(&["predict", s(&model), &fixture_data_path("d2")]));
    let labels: Vec<usize> = labels.lines().skip(1).map(|l| l.parse().unwrap()).collect();
    for (r, l) in rows.iter().zip(&labels) {
        assert!(
            r.iter().all(|p| *p <= r[*l]),
            "label is the most probable component"
        );
    }

    let a = ok(gmm(&["sample", s(&model), "-n", "50", "--seed", "3"]));
    let b = ok(gmm(&["sample", s(&model), "-n", "50", "--seed", "3"]));
    let c = ok(gmm(&["sample", s(&model), "-n", "50", "--seed", "4"]));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.lines().next(), Some("x1,x2"));
    assert_eq!(a.lines().count(), 51);
    // a large sample, read back, scores close to the data's own score under the model
    let big = ok(gmm(&["sample", s(&model), "-n", "20000", "--seed", "1"]));
    let sample_file = dir.join("sample.csv");
    std::fs::write(&sample_file, big).unwrap();
    let on_sample: f64 = ok(gmm(&["score", s(&model), s(&sample_file)]))
        .trim()
        .parse()
        .unwrap();
    let on_data: f64 = ok(gmm(&["score", s(&model), &fixture_data_path("d2")]))
        .trim()
        .parse()
        .unwrap();
    assert!(
        (on_sample - on_data).abs() < 0.1,
        "{on_sample} vs {on_data}"
    );
}

#[test]
fn compare_reports_both_fits_and_writes_its_plots() {
    let dir = scratch_dir("compare");
    let fx = load(&Path::new(FIXTURES_DIR).join("em_d2_full.json"));
    let truth: Vec<String> = fx["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| format!("c{v}"))
        .collect();
    let labels = dir.join("truth.txt");
    std::fs::write(&labels, format!("cluster\n{}\n", truth.join("\n"))).unwrap();
    let out_dir = dir.join("out");
    let json = ok(gmm(&[
        "compare",
        &fixture_data_path("d2"),
        "-k",
        "3",
        "--labels",
        s(&labels),
        "--holdout",
        "0.25",
        "--out",
        s(&out_dir),
        "--json",
    ]));
    let report: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["n_train"], 300);
    assert_eq!(report["n_holdout"], 100);
    for m in ["em", "vb"] {
        let ari = report[m]["adjusted_rand_index"].as_f64().unwrap();
        assert!(ari > 0.9, "{m}: ARI {ari}");
        assert!(report[m]["holdout_mean_log_likelihood"].is_number());
        assert!(
            report[m]["parameter_error"]["max_mean_distance"]
                .as_f64()
                .unwrap()
                < 0.5
        );
    }
    assert!(report["em"]["bic"].is_number() && report["vb"]["bic"].is_null());
    for f in [
        "d2-ellipses.svg",
        "d2-bounds.svg",
        "d2-weights.svg",
        "d2-report.json",
    ] {
        let text = std::fs::read_to_string(out_dir.join(f)).unwrap();
        assert!(text.len() > 100, "{f}");
    }
    let table = ok(gmm(&["compare", &fixture_data_path("d2"), "-k", "3"]));
    for row in [
        "mean log-lik, held out",
        "BIC",
        "iterations",
        "components (VB matched",
    ] {
        assert!(table.contains(row), "{row} missing from\n{table}");
    }
}

#[test]
fn select_finds_three_components_in_three_clusters() {
    let dir = scratch_dir("select");
    let json = ok(gmm(&[
        "select",
        &fixture_data_path("d1"),
        "--k-min",
        "1",
        "--k-max",
        "5",
        "--out",
        s(&dir),
        "--json",
    ]));
    let report: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["rows"].as_array().unwrap().len(), 5);
    assert_eq!(report["best_k_bic"], 3);
    assert_eq!(report["best_k_elbo"], 3);
    assert!(dir.join("d1-selection.svg").exists());
    let table = ok(gmm(&["select", &fixture_data_path("d1"), "--k-max", "4"]));
    assert!(table.contains("best K: BIC 3"), "{table}");
}

#[test]
fn demo_runs_without_files_and_writes_its_plots() {
    let dir = scratch_dir("demo");
    let out = ok(gmm(&["demo", "--out", s(&dir)]));
    for title in [
        "1-D, three clusters",
        "2-D, three clusters",
        "K = 10 on three clusters",
        "choosing K",
    ] {
        assert!(out.contains(title), "{title} missing");
    }
    let svgs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    assert_eq!(svgs.len(), 10, "{svgs:?}");
    for p in svgs {
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
    }
}

#[test]
fn real_data_compare_runs() {
    let out = ok(gmm(&[
        "compare",
        &format!("{REAL_DATA_DIR}old_faithful.csv"),
        "-k",
        "2",
        "--holdout",
        "0",
        "--json",
    ]));
    let report: Value = serde_json::from_str(&out).unwrap();
    // the two Old Faithful clusters: weights about 0.36 / 0.64
    let mut w = floats(&report["em"]["model"]["weights"]);
    w.sort_by(f64::total_cmp);
    assert!((w[0] - 0.356).abs() < 0.01, "{w:?}");
}

fn fails(args: &[&str], code: i32, needles: &[&str]) {
    let o = gmm(args);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
    let err = stderr(&o);
    for n in needles {
        assert!(err.contains(n), "{args:?}: {n:?} not in {err}");
    }
}

#[test]
fn bad_input_fails_with_a_message_and_a_nonzero_exit() {
    let dir = scratch_dir("bad");
    let model = dir.join("m.json");
    let missing = dir.join("nope.csv");
    failed_fits_write_nothing(&dir, &model, &missing);
    bad_options_and_arguments_fail(&model, &missing);
    a_model_refuses_data_of_another_dimension(&model);
}

/// Fits of missing or bad data, or with bad parameters, fail and leave no file in `dir`.
fn failed_fits_write_nothing(dir: &Path, model: &Path, missing: &Path) {
    fails(
        &[
            "fit",
            s(missing),
            "--method",
            "em",
            "-k",
            "2",
            "-o",
            s(model),
        ],
        1,
        &["nope.csv", "check the path"],
    );
    // a negative number reaches the parameter check rather than being taken for a flag
    for flag in ["--reg-covar", "--tol"] {
        fails(
            &[
                "fit",
                &fixture_data_path("d1"),
                "--method",
                "em",
                "-k",
                "2",
                flag,
                "-1",
                "-o",
                s(model),
            ],
            1,
            &[&format!("{flag} -1: "), ">= 0"],
        );
    }
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "a,b\n1,2\n3,x\n").unwrap();
    fails(
        &["fit", s(&bad), "--method", "vb", "-k", "1", "-o", s(model)],
        1,
        &["bad.csv: line 3, column 2", "not a number"],
    );
    fails(
        &[
            "fit",
            &fixture_data_path("d1"),
            "--method",
            "em",
            "-k",
            "301",
            "-o",
            s(model),
        ],
        1,
        &["exceeds the number of points 300"],
    );
    assert!(!model.exists(), "a failed fit writes nothing");
    let leftovers = std::fs::read_dir(dir).unwrap().count();
    assert_eq!(leftovers, 1, "only bad.csv: no temporary files");
}

/// Unknown flags, VB options given to EM, missing model files and out-of-range settings of
/// the other subcommands fail with a message.
fn bad_options_and_arguments_fail(model: &Path, missing: &Path) {
    fails(
        &[
            "fit",
            &fixture_data_path("d1"),
            "--method",
            "em",
            "-k",
            "2",
            "--bogus",
            "-o",
            s(model),
        ],
        2,
        &["--bogus"],
    );
    fails(
        &[
            "fit",
            &fixture_data_path("d1"),
            "--method",
            "em",
            "-k",
            "2",
            "--weight-prior",
            "dirichlet",
            "-o",
            s(model),
        ],
        1,
        &["--method vb"],
    );
    fails(
        &["predict", s(missing), &fixture_data_path("d1")],
        1,
        &["nope.csv"],
    );
    fails(
        &["compare", &fixture_data_path("d1"), "-k", "0"],
        1,
        &["-k 0: "],
    );
    fails(
        &[
            "compare",
            &fixture_data_path("d1"),
            "-k",
            "2",
            "--holdout",
            "1.5",
        ],
        1,
        &["holdout"],
    );
    fails(
        &[
            "select",
            &fixture_data_path("d1"),
            "--k-min",
            "4",
            "--k-max",
            "2",
        ],
        1,
        &["k-min"],
    );
}

/// A model of dimension 2 refuses 1-D data; sampling no points is an error.
fn a_model_refuses_data_of_another_dimension(model: &Path) {
    // a model of dimension 2 against 1-D data
    ok(gmm(&[
        "fit",
        &fixture_data_path("d2"),
        "--method",
        "em",
        "-k",
        "2",
        "-o",
        s(model),
    ]));
    fails(
        &["score", s(model), &fixture_data_path("d1")],
        1,
        &["columns", "expected 2, found 1"],
    );
    fails(&["sample", s(model), "-n", "0"], 1, &["-n 0: "]);
}

#[test]
fn fit_starts_from_given_labels_or_means_and_checks_them() {
    let dir = scratch_dir("init");
    let fx = load(&Path::new(FIXTURES_DIR).join("em_d2_full.json"));
    let labels: Vec<String> = fx["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.to_string())
        .collect();
    let labels_file = dir.join("labels.txt");
    std::fs::write(&labels_file, labels.join("\n") + "\n").unwrap();
    let model = dir.join("m.json");
    let args = |k: &str, init: &[&str]| {
        let mut owned: Vec<String> = ["fit", &fixture_data_path("d2"), "--method", "vb", "-k", k]
            .iter()
            .map(|a| a.to_string())
            .collect();
        owned.extend(init.iter().map(|a| a.to_string()));
        owned.extend(["-o".to_string(), s(&model).to_string()]);
        owned
    };
    let run = |v: Vec<String>| gmm(&v.iter().map(String::as_str).collect::<Vec<_>>());
    ok(run(args("3", &["--init-labels", s(&labels_file)])));
    // starting from sklearn's converged labels, VB keeps the same partition
    let predicted = ok(gmm(&["predict", s(&model), &fixture_data_path("d2")]));
    let same = predicted
        .lines()
        .skip(1)
        .zip(&labels)
        .filter(|(a, b)| a == b)
        .count();
    assert!(same >= 390, "{same} of 400");
    // a label not below K
    let o = run(args("2", &["--init-labels", s(&labels_file)]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("label 2"), "{}", stderr(&o));
    // two means for K = 3
    let means = dir.join("means.csv");
    std::fs::write(&means, "0,0\n5,3\n").unwrap();
    let o = run(args("3", &["--init-means", s(&means)]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("give K = 3 means"), "{}", stderr(&o));
    // --init-means and --init-labels together: a usage error
    let o = run(args(
        "3",
        &["--init-means", s(&means), "--init-labels", s(&labels_file)],
    ));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        "fit", "predict", "score", "sample", "compare", "select", "demo",
    ] {
        let out = ok(gmm(&[sub, "--help"]));
        assert!(out.contains(&format!("Usage: gmm {sub}")), "{sub}: {out}");
    }
    let out = ok(gmm(&["--help"]));
    assert!(out.contains("gmm demo"), "{out}");
}
