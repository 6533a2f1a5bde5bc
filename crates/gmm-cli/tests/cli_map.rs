//! `gmm fit --method map`: the model file is the library's MAP-EM fit (method "map", its
//! prior recorded), in memory and streamed, with the conjugate prior set by VB's flags or
//! mclust's; the flags MAP-EM has no use for are refused naming the flag; `gmm select`
//! prints ICL beside BIC.

mod support;

use std::path::Path;

use gmm_core::{FittedModel, ModelFile};
use gmm_em::{MapParams, MapPrior};
use gmm_io::read_data_file;
use gmm_vb::{PriorSpec, WeightPrior};

use support::*;

#[test]
fn the_model_file_is_the_librarys_map_fit() {
    let dir = scratch_dir("cli-map");
    let data_path = format!("{REAL_DATA_DIR}old_faithful.csv");
    let data = read_data_file(Path::new(&data_path)).unwrap().data;
    let cases: [(&[&str], MapPrior); 2] = [
        (&["--map-prior", "mclust"], MapPrior::Mclust),
        (
            &["--weight-concentration", "2", "--mean-precision", "0.5"],
            MapPrior::Conjugate(PriorSpec {
                weight_prior: WeightPrior::DirichletDistribution {
                    concentration: Some(2.0),
                },
                mean_precision: Some(0.5),
                ..PriorSpec::default()
            }),
        ),
    ];
    for (i, (flags, prior)) in cases.into_iter().enumerate() {
        for stream in [false, true] {
            let out = dir.join(format!("m{i}{stream}.json"));
            let mut args = vec![
                "fit", &data_path, "--method", "map", "-k", "2", "--seed", "1",
            ];
            args.extend(flags);
            if stream {
                args.push("--stream");
            }
            args.extend(["-o", s(&out)]);
            let summary = ok(gmm(&args));
            assert!(summary.contains("MAP-EM, K = 2") && summary.contains("log posterior"));
            let fit = MapParams::new(2)
                .prior(prior.clone())
                .seed(1)
                .fit(&data)
                .unwrap();
            let file = ModelFile::from_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
            assert_eq!(file.fit.as_ref().unwrap().estimator().name(), "map");
            assert_eq!(
                file.fit.as_ref().unwrap().lower_bounds(),
                fit.lower_bounds()
            );
            assert_eq!(file.to_mixture().unwrap(), *fit.mixture());
            assert_eq!(&file.prior, &fit.to_model_file().prior);
        }
    }
    // the file scores and predicts like any mixture
    let score = ok(gmm(&["score", s(&dir.join("m0false.json")), &data_path]));
    assert!(!score.trim().is_empty());
}

fn fails_naming(extra: &[&str], expected: &str) {
    let data_path = format!("{REAL_DATA_DIR}old_faithful.csv");
    let mut args = vec!["fit", &data_path, "--method", "map", "-k", "2"];
    args.extend(extra);
    let o = gmm(&args);
    assert!(!o.status.success(), "{extra:?} was accepted");
    assert!(stderr(&o).contains(expected), "{extra:?}: {}", stderr(&o));
}

#[test]
fn flags_map_em_cannot_use_are_refused() {
    fails_naming(&["--reg-covar", "1e-6"], "Leave --reg-covar at 0");
    fails_naming(&["--reg-covar-rule", "point-noise"], "--reg-covar-rule");
    fails_naming(
        &["--map-prior", "mclust", "--mean-precision", "2"],
        "--mean-precision",
    );
    fails_naming(&["--weight-concentration", "0.5"], "no interior mode");
    fails_naming(&["--weight-prior", "dirichlet-process"], "--weight-prior");
    fails_naming(&["--degrees-of-freedom", "1.5"], "--degrees-of-freedom");
    let data_path = format!("{REAL_DATA_DIR}old_faithful.csv");
    let o = gmm(&[
        "fit",
        &data_path,
        "--method",
        "em",
        "-k",
        "2",
        "--map-prior",
        "mclust",
    ]);
    assert!(!o.status.success() && stderr(&o).contains("--map-prior"));
}

#[test]
fn select_prints_icl_beside_bic() {
    let data_path = format!("{REAL_DATA_DIR}old_faithful.csv");
    let table = ok(gmm(&["select", &data_path, "--k-min", "1", "--k-max", "3"]));
    assert!(table.contains("EM ICL"), "{table}");
    assert!(
        table.contains("best K: BIC") && table.contains(", ICL "),
        "{table}"
    );
    let json = ok(gmm(&[
        "select", &data_path, "--k-min", "1", "--k-max", "2", "--json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let (bic, icl) = (
        rows[1]["em_bic"].as_f64().unwrap(),
        rows[1]["em_icl"].as_f64().unwrap(),
    );
    assert!(icl > bic);
    assert_eq!(rows[0]["em_icl"], rows[0]["em_bic"]);
}

/// `gmm compare --map`: the MAP-EM lines on stdout and under "map" in the JSON are the
/// library's `compare_map` with the CLI's default settings (K-means start, seed 0, held-out
/// fraction 0.2, VB's prior with flat Dirichlet weights).
#[test]
fn compare_with_map_reports_the_librarys_map_fit() {
    use gmm_compare::{ComparisonSettings, compare_map};
    let path = format!("{REAL_DATA_DIR}old_faithful.csv");
    let text = ok(gmm(&["compare", &path, "-k", "2", "--map"]));
    assert!(text.contains("MAP-EM (VB's Normal-Wishart prior"), "{text}");
    assert!(text.contains("MAP-EM: held-out mean log density"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(gmm(&["compare", &path, "-k", "2", "--map", "--json"]))).unwrap();
    let m = &json["map"];
    let data = read_data_file(Path::new(&path)).unwrap().data;
    let lib = compare_map(&data, &ComparisonSettings::new(2), None)
        .unwrap()
        .report;
    assert_eq!(m["weight_concentration"].as_f64(), Some(1.0));
    assert_eq!(
        m["holdout_log_predictive"].as_f64(),
        lib.holdout_log_predictive
    );
    assert_eq!(m["bic"].as_f64(), Some(lib.bic));
    assert_eq!(m["icl"].as_f64(), Some(lib.icl));
    assert_eq!(m["n_iter"].as_u64(), Some(lib.n_iter as u64));
    let held_out = format!(
        "held-out mean log density {:.4}",
        lib.holdout_log_predictive.unwrap()
    );
    assert!(text.contains(&held_out), "{held_out} not in {text}");
    // without --map there is no MAP-EM report
    let plain = ok(gmm(&["compare", &path, "-k", "2"]));
    assert!(!plain.contains("MAP-EM"), "{plain}");
    // --map --out writes its JSON beside the others
    let dir = scratch_dir("cli-compare-map");
    ok(gmm(&[
        "compare",
        &path,
        "-k",
        "2",
        "--map",
        "--out",
        s(&dir),
    ]));
    let written = load(&dir.join("old_faithful-map.json"));
    assert_eq!(written["bic"].as_f64(), Some(lib.bic));
}
