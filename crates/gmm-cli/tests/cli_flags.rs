//! The flags that reach what scikit-learn users set: VB's `--mean-prior` and
//! `--covariance-prior`, `--init-model` (weights, means and precisions to start from, or a
//! warm start) and `gmm score --per-point`. Each output is the library's with the same
//! settings, bit for bit (model files as the same JSON text, numbers through the shortest
//! form, which reads back to the same f64); each bad input fails naming its flag.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use gmm_core::{
    CovarianceType, Dataset, FittedModel, InitialResponsibilities, MixtureModel, ModelFile,
};
use gmm_em::EmParams;
use gmm_io::read_data_file;
use gmm_vb::{RegCovarRule, VbModel, VbParams};
use nalgebra::{DMatrix, DVector};
use serde_json::Value;

use support::*;

fn d2() -> Dataset {
    read_data_file(Path::new(&fixture_data_path("d2")))
        .unwrap()
        .data
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

/// `gmm fit DATA --method METHOD ARGS -o out`; the model file's text.
fn cli_fit(data: &str, method: &str, args: &[&str], out: &Path) -> String {
    let mut all = vec!["fit", data, "--method", method, "-o", s(out)];
    all.extend(args);
    ok(gmm(&all));
    fs::read_to_string(out).unwrap()
}

/// The JSON of a model file without its fit record.
fn without_fit(text: &str) -> Value {
    let mut v: Value = serde_json::from_str(text).unwrap();
    v.as_object_mut().unwrap().remove("fit");
    v
}

fn bounds(text: &str) -> Vec<f64> {
    let v: Value = serde_json::from_str(text).unwrap();
    floats(&v["fit"]["lower_bounds"])
}

#[test]
fn prior_files_give_the_librarys_vb_fit() {
    let dir = scratch_dir("flags-priors");
    let data = fixture_data_path("d2");
    let m0 = write(&dir, "m0.csv", "0.5,-1.25\n");
    let w0 = write(&dir, "w0.csv", "2,0.3\n0.3,1.5\n");
    let mean = DVector::from_vec(vec![0.5, -1.25]);
    let cov = DMatrix::from_row_slice(2, 2, &[2.0, 0.3, 0.3, 1.5]);
    for (flag, t) in [
        ("full", CovarianceType::Full),
        ("diag", CovarianceType::Diagonal),
    ] {
        let args = [
            "-k",
            "3",
            "--seed",
            "1",
            "--covariance",
            flag,
            "--mean-prior",
            s(&m0),
            "--covariance-prior",
            s(&w0),
        ];
        let text = cli_fit(&data, "vb", &args, &dir.join(format!("{flag}.json")));
        let fit = VbParams::new(3)
            .seed(1)
            .covariance_type(t)
            .mean_prior(mean.clone())
            .covariance_prior(cov.clone())
            .fit(&d2())
            .unwrap();
        assert_eq!(text, fit.to_model_file().to_json(), "{flag}");
        let plain = cli_fit(&data, "vb", &args[..6], &dir.join("plain.json"));
        assert_ne!(text, plain, "{flag}: the priors change the fit");
    }
    for command in [
        vec!["compare", &data, "-k", "2", "--json"],
        vec!["select", &data, "--k-max", "2", "--json"],
    ] {
        let mut args = command.clone();
        args.extend(["--mean-prior", s(&m0), "--covariance-prior", s(&w0)]);
        ok(gmm(&args));
    }
}

/// `--reg-covar-rule` gives the library's fit with that rule; the default is the library's
/// automatic choice (point noise on the constant column, where the prior falls back).
#[test]
fn reg_covar_rule_gives_the_librarys_vb_fit() {
    let dir = scratch_dir("flags-rule");
    let rows: String = (0..60)
        .map(|i| {
            format!(
                "{},{},7.5\n",
                (i as f64 * 0.37) % 5.0,
                (i as f64 * 0.61) % 3.0
            )
        })
        .collect();
    let path = write(&dir, "constant.csv", &rows);
    let data = read_data_file(&path).unwrap().data;
    for (flag, rule) in [
        (Some("point-noise"), Some(RegCovarRule::PointNoise)),
        (Some("scikit-learn"), Some(RegCovarRule::ScikitLearn)),
        (None, None),
    ] {
        let mut args = vec!["-k", "2", "--seed", "3"];
        if let Some(f) = flag {
            args.extend(["--reg-covar-rule", f]);
        }
        let text = cli_fit(s(&path), "vb", &args, &dir.join("model.json"));
        let mut params = VbParams::new(2).seed(3);
        if let Some(r) = rule {
            params = params.reg_covar_rule(r);
        }
        let fit = params.fit(&data).unwrap();
        assert_eq!(text, fit.to_model_file().to_json(), "{flag:?}");
        let noise = rule != Some(RegCovarRule::ScikitLearn);
        assert_eq!(text.contains("\"point_noise\""), noise, "{flag:?}");
    }
    fails_naming(
        &[
            "fit",
            s(&path),
            "--method",
            "vb",
            "--reg-covar-rule",
            "jitter",
        ],
        "--reg-covar-rule",
    );
}

/// Fitting 5 iterations, then 7 more from the file, is fitting 12.
#[test]
fn init_model_continues_a_fit() {
    let dir = scratch_dir("flags-warm");
    let data = fixture_data_path("d2");
    for (method, cov) in [
        ("em", "full"),
        ("em", "tied"),
        ("vb", "full"),
        ("vb", "diag"),
    ] {
        let common = ["--tol", "0", "--seed", "3"];
        let first = dir.join(format!("{method}-{cov}-5.json"));
        let mut args = vec!["-k", "3", "--covariance", cov, "--max-iter", "5"];
        args.extend(common);
        cli_fit(&data, method, &args, &first);
        let mut args = vec!["--init-model", s(&first), "--max-iter", "7"];
        args.extend(common);
        let continued = cli_fit(&data, method, &args, &dir.join("continued.json"));
        let mut args = vec!["-k", "3", "--covariance", cov, "--max-iter", "12"];
        args.extend(common);
        let whole = cli_fit(&data, method, &args, &dir.join("whole.json"));
        let (b, w) = (bounds(&continued), bounds(&whole));
        assert_eq!(b.len(), 7, "{method} {cov}");
        assert_eq!(b, w[5..], "{method} {cov}");
        assert_eq!(
            without_fit(&continued),
            without_fit(&whole),
            "{method} {cov}"
        );
    }
}

#[test]
fn init_model_across_methods_is_the_librarys_start() {
    let dir = scratch_dir("flags-across");
    let data = fixture_data_path("d2");
    let em = dir.join("em.json");
    cli_fit(&data, "em", &["-k", "3", "--covariance", "diag"], &em);
    let vb = dir.join("vb.json");
    cli_fit(&data, "vb", &["-k", "4", "--seed", "2"], &vb);
    let m0 = write(&dir, "m0.csv", "1,2\n");

    // VB from a mixture: one VB M-step on the mixture's responsibilities, under the
    // priors of the flags
    let args = [
        "--init-model",
        s(&em),
        "--max-iter",
        "6",
        "--mean-prior",
        s(&m0),
    ];
    let text = cli_fit(&data, "vb", &args, &dir.join("vb-from-em.json"));
    let gm = ModelFile::load(&em).unwrap().to_mixture().unwrap();
    let p = gm.predict_proba(&d2()).unwrap();
    let init = InitialResponsibilities::Soft {
        resp: p.transpose().as_slice().to_vec(),
        n_components: 3,
    };
    let fit = VbParams::new(3)
        .covariance_type(CovarianceType::Diagonal)
        .max_iter(6)
        .mean_prior(DVector::from_vec(vec![1.0, 2.0]))
        .fit_from(&d2(), &init)
        .unwrap();
    assert_eq!(text, fit.to_model_file().to_json());

    // EM from a VB file: its point estimate
    let text = cli_fit(
        &data,
        "em",
        &["--init-model", s(&vb)],
        &dir.join("em-from-vb.json"),
    );
    let gm = ModelFile::load(&vb).unwrap().to_mixture().unwrap();
    let fit = EmParams::new(1).warm_start(gm).fit(&d2()).unwrap();
    assert_eq!(text, fit.to_model_file().to_json());

    // VB from a VB file: its posterior, under its priors
    let text = cli_fit(
        &data,
        "vb",
        &["--init-model", s(&vb)],
        &dir.join("vb-from-vb.json"),
    );
    let model = VbModel::from_model_file(&ModelFile::load(&vb).unwrap()).unwrap();
    let fit = VbParams::new(1).warm_start(model).fit(&d2()).unwrap();
    assert_eq!(text, fit.to_model_file().to_json());
}

#[test]
fn score_per_point_prints_the_librarys_log_densities() {
    let dir = scratch_dir("flags-score");
    let data = fixture_data_path("d2");
    let em = dir.join("em.json");
    cli_fit(&data, "em", &["-k", "3"], &em);
    let vb = dir.join("vb.json");
    cli_fit(&data, "vb", &["-k", "3"], &vb);
    let file = ModelFile::load(&em).unwrap();
    let em_model: Box<dyn MixtureModel> = Box::new(file.to_mixture().unwrap());
    let file = ModelFile::load(&vb).unwrap();
    let vb_model: Box<dyn MixtureModel> = Box::new(VbModel::from_model_file(&file).unwrap());
    for (path, model) in [(&em, em_model), (&vb, vb_model)] {
        let out = ok(gmm(&["score", s(path), &data, "--per-point"]));
        let printed: Vec<f64> = out.lines().map(|l| l.parse().unwrap()).collect();
        let expected = model.score_samples(&d2()).unwrap();
        assert_eq!(printed.len(), d2().n_samples());
        for (a, b) in printed.iter().zip(&expected) {
            assert_eq!(a.to_bits(), b.to_bits(), "{}", path.display());
        }
        let mean: f64 = ok(gmm(&["score", s(path), &data])).trim().parse().unwrap();
        assert_eq!(mean.to_bits(), model.score(&d2()).unwrap().to_bits());
    }
}

/// `gmm args` fails (exit status not 0), naming `flag` on stderr, with nothing on stdout.
fn fails_naming(args: &[&str], flag: &str) {
    let o = gmm(args);
    let err = stderr(&o);
    assert!(!o.status.success(), "{args:?} succeeded");
    assert!(err.contains(flag), "{args:?}: {flag:?} not in {err}");
    assert!(o.stdout.is_empty(), "{args:?}: {}", stdout(&o));
}

#[test]
fn bad_prior_files_fail_naming_the_flag_and_the_file() {
    let dir = scratch_dir("flags-bad-priors");
    let data = fixture_data_path("d2");
    let good_m0 = write(&dir, "good-m0.csv", "0,0\n");
    let missing = dir.join("missing.csv");
    let bad_means = [
        write(&dir, "long.csv", "1,2,3\n"),
        write(&dir, "two-rows.csv", "1,2\n3,4\n"),
        write(&dir, "nan.csv", "1,NaN\n"),
        write(&dir, "empty.csv", ""),
        missing.clone(),
    ];
    let bad_covariances = [
        write(&dir, "not-square.csv", "1,0,0\n0,1,0\n"),
        write(&dir, "three.csv", "1,0,0\n0,1,0\n0,0,1\n"),
        write(&dir, "not-symmetric.csv", "1,0.5\n0.4,1\n"),
        write(&dir, "not-pd.csv", "1,2\n2,1\n"),
        write(&dir, "inf.csv", "1,0\n0,inf\n"),
        write(&dir, "text.csv", "1,a\n0,1\n"),
        missing,
    ];
    let cases = bad_means
        .iter()
        .map(|p| ("--mean-prior", p))
        .chain(bad_covariances.iter().map(|p| ("--covariance-prior", p)));
    for (flag, path) in cases {
        let named = format!("{flag} {}: ", path.display());
        fails_naming(
            &["fit", &data, "--method", "vb", "-k", "2", flag, s(path)],
            &named,
        );
        fails_naming(&["compare", &data, "-k", "2", flag, s(path)], &named);
        fails_naming(&["select", &data, "--k-max", "2", flag, s(path)], &named);
    }
    for flag in ["--mean-prior", "--covariance-prior"] {
        fails_naming(
            &["fit", &data, "--method", "em", "-k", "2", flag, s(&good_m0)],
            &format!("error: {flag} given: VB-only"),
        );
    }
}

#[test]
fn bad_init_models_fail_naming_the_flags() {
    let dir = scratch_dir("flags-bad-init");
    let data = fixture_data_path("d2");
    let vb = dir.join("vb.json");
    cli_fit(&data, "vb", &["-k", "3"], &vb);
    let d1_model = dir.join("d1.json");
    cli_fit(&fixture_data_path("d1"), "em", &["-k", "2"], &d1_model);
    let not_json = write(&dir, "not.json", "{ not json");
    let means = write(&dir, "means.csv", "0,0\n1,1\n2,2\n");
    let labels = write(&dir, "labels.txt", "0\n");
    let fit = |method: &str, extra: &[&str], model: &Path| -> Vec<String> {
        let mut args: Vec<String> = ["fit", &data, "--method", method, "--init-model"]
            .iter()
            .map(|a| a.to_string())
            .collect();
        args.push(s(model).to_string());
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (fit("em", &[], &dir.join("missing.json")), "--init-model"),
        (fit("vb", &[], &not_json), "--init-model"),
        (fit("em", &[], &d1_model), "--init-model"),
        (fit("em", &["-k", "2"], &vb), "-k 2: --init-model"),
        (fit("vb", &["-k", "4"], &vb), "-k 4: --init-model"),
        (
            fit("vb", &["--covariance", "diag"], &vb),
            "--covariance diag: ",
        ),
        (
            fit("em", &["--covariance", "tied"], &vb),
            "--covariance tied: ",
        ),
        (
            fit("vb", &["--mean-precision", "2"], &vb),
            "drop --mean-precision",
        ),
        (fit("em", &["--init-means", s(&means)], &vb), "--init-means"),
        (
            fit("em", &["--init-labels", s(&labels)], &vb),
            "--init-labels",
        ),
        (fit("vb", &["--init", "random"], &vb), "--init"),
        (fit("vb", &["--n-init", "2"], &vb), "--n-init"),
    ];
    for (args, flag) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fails_naming(&args, flag);
    }
    fails_naming(&["fit", &data, "--method", "em"], "-k");
}
