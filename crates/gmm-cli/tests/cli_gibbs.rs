//! `gmm fit --method gibbs`: the model file is the library's (posterior means, with the
//! standard deviations and diagnostics under "gibbs"), `--draws-out` writes every draw as
//! CSV or JSON, predict and score use the posterior predictive of the kept draws (issue 24's
//! ten points), and bad flags are refused naming the flag, with no output file.

mod support;

use std::fs;
use std::path::Path;

use gmm_core::{CovarianceType, FittedModel, MixtureModel};
use gmm_gibbs::GibbsParams;
use gmm_io::read_data_file;

use support::*;

const ARGS: [&str; 8] = [
    "--draws",
    "40",
    "--burn-in",
    "10",
    "--chains",
    "2",
    "--seed",
    "3",
];

#[test]
fn the_model_file_is_the_librarys_fit_and_draws_are_written() {
    let dir = scratch_dir("cli-gibbs");
    let data_path = format!("{REAL_DATA_DIR}old_faithful.csv");
    let data = read_data_file(Path::new(&data_path)).unwrap().data;
    let model = dir.join("g.json");
    let csv = dir.join("draws.csv");
    let json = dir.join("draws.json");
    for (out, draws) in [(&model, &csv), (&dir.join("g2.json"), &json)] {
        let mut args = vec![
            "fit",
            &data_path,
            "--method",
            "gibbs",
            "-k",
            "2",
            "--covariance",
            "diag",
        ];
        args.extend(ARGS);
        args.extend(["-o", s(out), "--draws-out", s(draws)]);
        ok(gmm(&args));
    }
    let fit = GibbsParams::new(2)
        .covariance_type(CovarianceType::Diagonal)
        .draws(40)
        .burn_in(10)
        .chains(2)
        .seed(3)
        .fit(&data)
        .unwrap();
    // the library's file, with the names of the columns read (the file's header)
    let names = Some(vec!["eruptions".to_string(), "waiting".to_string()]);
    assert_eq!(
        fs::read_to_string(&model).unwrap(),
        fit.to_model_file()
            .with_feature_names(names)
            .unwrap()
            .to_json()
    );
    assert_eq!(fs::read_to_string(&csv).unwrap(), fit.draws_to_csv());
    let file = load(&model);
    assert_eq!(file["fit"]["method"], "gibbs");
    assert_eq!(file["gibbs"]["means_sd"].as_array().unwrap().len(), 2);
    assert!(file["gibbs"]["diagnostics"]["max_rhat"].as_f64().unwrap() > 0.99);
    // CSV: a header and one row per draw; JSON: one object per draw.
    assert_eq!(
        fs::read_to_string(&csv).unwrap().lines().count(),
        1 + 2 * 40
    );
    let records: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(records.as_array().unwrap().len(), 2 * 40);
    // score and predict use the posterior predictive of the kept draws, as the fit does.
    let score: f64 = ok(gmm(&["score", s(&model), &data_path]))
        .trim()
        .parse()
        .unwrap();
    assert!((score - fit.score(&data).unwrap()).abs() <= 1e-12 * score.abs());
    let labels = ok(gmm(&["predict", s(&model), &data_path]));
    let want = fit.predict(&data).unwrap();
    let got: Vec<usize> = labels.lines().skip(1).map(|l| l.parse().unwrap()).collect();
    assert_eq!(got, want);
}

#[test]
fn bad_flags_are_named_and_nothing_is_written() {
    let dir = scratch_dir("cli-gibbs-bad");
    let data_path = format!("{REAL_DATA_DIR}old_faithful.csv");
    let out = dir.join("m.json");
    let draws = dir.join("d.csv");
    let cases: [(&[&str], &str); 10] = [
        (&["--method", "gibbs", "--draws", "3"], "--draws 3"),
        (
            &["--method", "gibbs", "--reg-covar", "1e-3"],
            "--reg-covar given: the Gibbs sampler samples the exact posterior",
        ),
        // even at its default value: given is given
        (&["--method", "gibbs", "--reg-covar", "1e-6"], "--reg-covar"),
        (
            &["--method", "gibbs", "--reg-covar-rule", "point-noise"],
            "--reg-covar-rule",
        ),
        (&["--method", "gibbs", "--chains", "0"], "--chains 0"),
        (&["--method", "gibbs", "--max-iter", "5"], "--max-iter"),
        (&["--method", "gibbs", "--n-init", "2"], "--n-init"),
        (
            &["--method", "gibbs", "--mean-precision", "-1"],
            "--mean-precision",
        ),
        (&["--method", "em", "--burn-in", "5"], "--burn-in"),
        (&["--method", "vb", "--draws-out", "x.csv"], "--draws-out"),
    ];
    for (flags, named) in cases {
        let mut args = vec![
            "fit",
            &data_path,
            "-k",
            "2",
            "-o",
            s(&out),
            "--draws-out",
            s(&draws),
        ];
        if flags.contains(&"--draws-out") {
            args.truncate(6);
        }
        args.extend(flags);
        let o = gmm(&args);
        assert!(!o.status.success(), "{flags:?} succeeded");
        let err = stderr(&o);
        assert!(err.contains(named), "{flags:?}: {err}");
        assert!(!out.exists() && !draws.exists(), "{flags:?} left a file");
    }
}

#[test]
fn compare_with_gibbs_reports_predictive_densities_and_posterior_spreads() {
    let data_path = format!("{REAL_DATA_DIR}old_faithful.csv");
    let out = ok(gmm(&[
        "compare",
        &data_path,
        "-k",
        "2",
        "--gibbs",
        "--draws",
        "100",
        "--burn-in",
        "20",
        "--chains",
        "2",
        "--json",
    ]));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let g = &report["gibbs"];
    assert_eq!(g["chains"], 2);
    let h = &g["holdout_log_predictive"];
    // On two well-separated clusters the three predictive densities are close.
    for m in ["em", "vb"] {
        let gap = (h[m].as_f64().unwrap() - h["gibbs"].as_f64().unwrap()).abs();
        assert!(gap < 0.1, "{m}: {h}");
    }
    let components = g["components"].as_array().unwrap();
    assert_eq!(components.len(), 2);
    for c in components {
        for r in c["sd_ratio"].as_array().unwrap() {
            // Separated components: VB's spread of the means is Gibbs's within the Monte
            // Carlo error of 200 draws' standard deviations (about 10 %), far inside 2x.
            let r = r.as_f64().unwrap();
            assert!((0.5..2.0).contains(&r), "{c}");
        }
    }
    // The Gibbs flags need --gibbs.
    let o = gmm(&["compare", &data_path, "-k", "2", "--draws", "10"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--gibbs"), "{}", stderr(&o));
}

/// Issue 24: ten 1-D points, K = 3, the default priors. `gmm score` at the cluster centres
/// is the posterior predictive of the file's draws (the library's fit's), not the density of
/// the posterior-mean mixture, which is far below it; `gmm fit` warns about the components
/// whose posterior means are not summaries; a file without draws scores with its posterior
/// means and says so.
#[test]
fn score_on_ten_points_is_the_posterior_predictive() {
    let dir = scratch_dir("cli-gibbs-ten");
    let points = [-0.6, -0.3, 0.0, 0.2, 0.5, 4.5, 4.8, 5.0, 5.3, 5.6];
    let data_path = dir.join("ten.csv");
    let lines: Vec<String> = points.iter().map(|x| x.to_string()).collect();
    fs::write(&data_path, format!("x\n{}\n", lines.join("\n"))).unwrap();
    let centres_path = dir.join("centres.csv");
    fs::write(&centres_path, "x\n0\n5\n").unwrap();
    let model = dir.join("g.json");
    let args = [
        "fit",
        s(&data_path),
        "--method",
        "gibbs",
        "-k",
        "3",
        "-o",
        s(&model),
    ];
    let out = gmm(&args);
    let err = stderr(&out);
    ok(out);
    assert!(err.contains("warning: component"), "{err}");
    assert!(err.contains("no finite posterior mean"), "{err}");
    let data = read_data_file(&data_path).unwrap().data;
    let centres = read_data_file(&centres_path).unwrap().data;
    let fit = GibbsParams::new(3).fit(&data).unwrap();
    let score = |path: &Path| -> (f64, String) {
        let o = gmm(&["score", s(path), s(&centres_path)]);
        let err = stderr(&o);
        (ok(o).trim().parse().unwrap(), err)
    };
    let (got, _) = score(&model);
    let predictive = fit.score(&centres).unwrap();
    let mean_mixture = fit.posterior_mean_mixture().score(&centres).unwrap();
    assert!(
        (got - predictive).abs() <= 1e-12 * predictive.abs(),
        "{got} vs {predictive}"
    );
    assert!(got - mean_mixture > 0.5, "{got} vs {mean_mixture}");
    assert_eq!(
        load(&model)["gibbs"]["draws"].as_array().unwrap().len(),
        200
    );
    // an older file, without draws
    let mut v = load(&model);
    v["gibbs"].as_object_mut().unwrap().remove("draws");
    let old = dir.join("old.json");
    fs::write(&old, v.to_string()).unwrap();
    let (got, err) = score(&old);
    assert!((got - mean_mixture).abs() <= 1e-12 * mean_mixture.abs());
    assert!(err.contains("without posterior draws"), "{err}");
    // --predictive-draws chooses how many
    let few = dir.join("few.json");
    let mut args = args.to_vec();
    args.truncate(6);
    args.extend(["--predictive-draws", "7", "-o", s(&few)]);
    ok(gmm(&args));
    assert_eq!(load(&few)["gibbs"]["draws"].as_array().unwrap().len(), 7);
}
