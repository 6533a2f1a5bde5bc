//! Errors speak of what the user typed: every bad value the library refuses is reported with
//! its flag and value, never with the library's parameter names or `None`; a failing
//! `select` says which K and which estimator failed, and why.

mod support;

use std::path::Path;

use support::*;

/// The library's parameter names, none of which may reach the user.
const RUST_NAMES: &[&str] = &[
    "n_components",
    "max_iter",
    "reg_covar",
    "n_init",
    "weight_concentration_prior",
    "mean_precision_prior",
    "degrees_of_freedom_prior",
    "n_samples",
    "k range",
    "None",
];

/// Runs `gmm args`: exit code 1, `error: ` followed by `expected` (the flag and value as
/// typed) and no Rust name on stderr, nothing on stdout.
fn fails_naming(args: &[&str], expected: &str) {
    let o = gmm(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(
        err.starts_with(&format!("error: {expected}")),
        "{args:?}: {expected:?} does not start {err}"
    );
    for name in RUST_NAMES {
        assert!(!err.contains(name), "{args:?}: {name:?} in {err}");
    }
    assert!(o.stdout.is_empty(), "{args:?}: {}", stdout(&o));
}

/// `gmm fit DATA --method METHOD -k 2 EXTRA -o -`.
fn fit<'a>(data: &'a str, method: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["fit", data, "--method", method, "-k", "2"];
    args.extend(extra);
    args.extend(["-o", "-"]);
    args
}

#[test]
fn every_flag_the_library_checks_is_named_as_typed() {
    let d1 = fixture_data_path("d1");
    let d = d1.as_str();
    for method in ["em", "vb"] {
        for (flag, value) in [
            ("--tol", "-1"),
            ("--tol", "inf"),
            ("--max-iter", "0"),
            ("--reg-covar", "-1"),
            ("--n-init", "0"),
        ] {
            fails_naming(
                &fit(d, method, &[flag, value]),
                &format!("{flag} {value}: "),
            );
        }
    }
    for (flag, value) in [
        ("--weight-concentration", "-1"),
        ("--weight-concentration", "0"),
        ("--mean-precision", "0"),
        ("--mean-precision", "-2.5"),
        // d1 has one column: nu0 > D - 1 = 0
        ("--degrees-of-freedom", "-1"),
    ] {
        fails_naming(&fit(d, "vb", &[flag, value]), &format!("{flag} {value}: "));
    }
    fails_naming(
        &["fit", d, "--method", "em", "-k", "0", "-o", "-"],
        "-k 0: ",
    );
    fails_naming(
        &["fit", d, "--method", "vb", "-k", "301", "-o", "-"],
        "-k 301 exceeds the number of points 300",
    );
    fails_naming(&["compare", d, "-k", "0"], "-k 0: ");
    fails_naming(
        &["compare", d, "-k", "2", "--holdout", "1"],
        "--holdout 1: ",
    );
    fails_naming(
        &["compare", d, "-k", "2", "--mean-precision", "0"],
        "--mean-precision 0: ",
    );
    fails_naming(
        &["select", d, "--k-max", "3", "--reg-covar", "-1"],
        "--reg-covar -1: ",
    );
    fails_naming(
        &["select", d, "--k-min", "0"],
        "--k-min 0 with --k-max 10: ",
    );
    fails_naming(
        &["select", d, "--k-min", "4", "--k-max", "2"],
        "--k-min 4 with --k-max 2: ",
    );
}

#[test]
fn the_weight_concentration_message_says_what_to_type() {
    let o = gmm(&fit(
        &fixture_data_path("d1"),
        "vb",
        &["--weight-concentration", "-1"],
    ));
    assert_eq!(
        stderr(&o),
        "error: --weight-concentration -1: use a value > 0 (leave the flag out for the \
         default 1/K)\n"
    );
}

#[test]
fn sample_names_its_n_flag() {
    let dir = scratch_dir("errors-sample");
    let model = dir.join("m.json");
    ok(gmm(&[
        "fit",
        &fixture_data_path("d1"),
        "--method",
        "em",
        "-k",
        "2",
        "-o",
        s(&model),
    ]));
    fails_naming(&["sample", s(&model), "-n", "0"], "-n 0: ");
}

/// 1-D data: ten points at 0 and ten at 5. K = 1 fits; K = 2 puts each pile in its own
/// component, whose variance is 0: singular without regularisation.
fn two_piles(dir: &Path) -> String {
    let path = dir.join("piles.csv");
    let rows: Vec<&str> = [["0"; 10], ["5"; 10]].concat();
    std::fs::write(&path, format!("x\n{}\n", rows.join("\n"))).unwrap();
    s(&path).to_string()
}

#[test]
fn a_failing_select_names_k_the_estimator_and_the_cause() {
    let dir = scratch_dir("errors-select");
    let data = two_piles(&dir);
    let out = dir.join("out");
    let args = [
        "select",
        &data,
        "--k-max",
        "3",
        "--reg-covar",
        "0",
        "--out",
        s(&out),
    ];
    fails_naming(&args, "the EM fit with K = 2 failed: component ");
    let err = stderr(&gmm(&args));
    assert!(err.contains("collapsed"), "{err}");
    assert!(err.contains("--reg-covar (now 0)"), "{err}");
    assert!(!out.exists(), "a failed select writes nothing");
    // with the default regularisation every K fits
    let report = ok(gmm(&["select", &data, "--k-max", "3", "--json"]));
    assert!(report.contains("\"best_k_bic\": 2"), "{report}");
}

#[test]
fn select_refuses_more_components_than_points_before_fitting() {
    let dir = scratch_dir("errors-select-k");
    let data = two_piles(&dir);
    fails_naming(
        &["select", &data, "--k-min", "2", "--k-max", "21"],
        "--k-max 21: K = 21 exceeds the number of points 20",
    );
    let err = stderr(&gmm(&["select", &data, "--k-max", "21"]));
    assert!(err.contains("use --k-max 20 or less"), "{err}");
}
