//! `gmm study`: the files it writes and their contents, the same numbers on any number of
//! threads, and bad flags named as typed with nothing written.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::*;

const SMALL: &[&str] = &[
    "study",
    "--scenario",
    "two-d-three-clusters",
    "--sizes",
    "15,80",
    "--replicates",
    "4",
    "-k",
    "3",
    "--max-k",
    "4",
    "--methods",
    "em,em-noreg,vb",
    "--test-size",
    "200",
    "--bootstrap",
    "100",
    "--seed",
    "5",
];

fn study_on_threads(threads: &str, out: &Path) -> Output {
    let mut args = SMALL.to_vec();
    args.extend(["-o", s(out)]);
    Command::new(env!("CARGO_BIN_EXE_gmm"))
        .args(&args)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("the gmm binary runs")
}

/// The CSV without its wall-time columns (the last two).
fn without_times(csv: &str) -> String {
    csv.lines()
        .map(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            fields[..fields.len() - 2].join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_study_writes_its_files_and_is_the_same_on_any_thread_count() {
    let dir = scratch_dir("cli-study");
    let (one, two) = (dir.join("one"), dir.join("two"));
    let table = ok(study_on_threads("1", &one));
    ok(study_on_threads("2", &two));
    for name in [
        "runs.csv",
        "cells.csv",
        "report.json",
        "holdout_log_predictive.svg",
        "adjusted_rand_index.svg",
        "singular.svg",
        "k_bic.svg",
        "k_elbo.svg",
        "k_effective.svg",
    ] {
        assert!(one.join(name).is_file(), "{name} missing");
    }
    let runs_one = std::fs::read_to_string(one.join("runs.csv")).unwrap();
    let runs_two = std::fs::read_to_string(two.join("runs.csv")).unwrap();
    assert_eq!(without_times(&runs_one), without_times(&runs_two));
    // 2 sizes x 4 replicates x 3 methods, a header
    let lines: Vec<&str> = runs_one.lines().collect();
    assert_eq!(lines.len(), 1 + 2 * 4 * 3);
    assert!(lines[0].starts_with("n,replicate,method,seed,holdout_log_predictive"));
    let methods: Vec<&str> = lines[1..4]
        .iter()
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(methods, ["em", "em-noreg", "vb"]);
    // the JSON report holds the same runs and the settings as given
    let report = load(&one.join("report.json"));
    assert_eq!(report["runs"].as_array().unwrap().len(), 24);
    assert_eq!(report["settings"]["sizes"], serde_json::json!([15, 80]));
    assert_eq!(report["settings"]["max_k"], 4);
    for (run, line) in report["runs"].as_array().unwrap().iter().zip(&lines[1..]) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(run["n"].to_string(), fields[0]);
        if let Some(v) = run["holdout_log_predictive"].as_f64() {
            assert_eq!(fields[4].parse::<f64>().unwrap(), v);
        }
    }
    // the table on stdout: one row per N and method
    assert!(table.contains("held-out log pred."), "{table}");
    assert_eq!(
        table
            .lines()
            .filter(|l| l.trim_start().starts_with("80 "))
            .count(),
        3
    );
}

#[test]
fn a_data_file_is_subsampled_with_its_labels() {
    let dir = scratch_dir("cli-study-data");
    let data = dir.join("points.csv");
    let labels = dir.join("labels.txt");
    let mut points = String::from("x\n");
    let mut classes = String::new();
    for i in 0..120 {
        let c = i % 2;
        points.push_str(&format!("{}\n", c as f64 * 10.0 + (i as f64 * 0.37).sin()));
        classes.push_str(&format!("{}\n", ["a", "b"][c]));
    }
    std::fs::write(&data, points).unwrap();
    std::fs::write(&labels, classes).unwrap();
    let out = dir.join("out");
    ok(gmm(&[
        "study",
        s(&data),
        "--labels",
        s(&labels),
        "--sizes",
        "20,40",
        "--replicates",
        "3",
        "-k",
        "2",
        "--test-size",
        "60",
        "-o",
        s(&out),
    ]));
    let report = load(&out.join("report.json"));
    assert_eq!(report["settings"]["scenario"], "points");
    for run in report["runs"].as_array().unwrap() {
        // two well-separated classes: every held-out point in its class
        assert_eq!(run["adjusted_rand_index"].as_f64(), Some(1.0), "{run}");
    }
    // 40 + 60 of 120 points is possible; 70 + 60 is not
    let too_many = dir.join("too-many");
    let o = gmm(&[
        "study",
        s(&data),
        "--sizes",
        "70",
        "-k",
        "2",
        "--test-size",
        "60",
        "-o",
        s(&too_many),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("error: --sizes 70: the data set has 120 points"),
        "{}",
        stderr(&o)
    );
    assert!(!too_many.exists());
}

/// `gmm study` with `args` fails naming `expected` and writes nothing.
fn fails_naming(extra: &[&str], expected: &str) {
    let dir = scratch_dir("cli-study-bad");
    let out = dir.join("out");
    let mut args = vec!["study"];
    args.extend(extra);
    args.extend(["-o", s(&out)]);
    let o = gmm(&args);
    let err = stderr(&o);
    assert_ne!(o.status.code(), Some(0), "{args:?}");
    assert!(
        err.contains(expected),
        "{args:?}: {expected:?} not in {err}"
    );
    assert!(o.stdout.is_empty(), "{args:?}: {}", stdout(&o));
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
}

#[test]
fn bad_flags_are_named_and_nothing_is_written() {
    let sc = ["--scenario", "two-d-three-clusters"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut v = sc.to_vec();
        v.extend(extra);
        v
    };
    fails_naming(&with(&["--sizes", "0,10", "-k", "3"]), "error: --sizes 0");
    fails_naming(
        &with(&["--sizes", "10,10", "-k", "3"]),
        "error: --sizes 10: give each sample size once",
    );
    fails_naming(&with(&["--sizes", "10", "-k", "0"]), "error: -k 0");
    fails_naming(
        &with(&["--sizes", "10", "-k", "3", "--max-k", "12"]),
        "error: --sizes 10",
    );
    fails_naming(
        &with(&["--sizes", "10", "-k", "3", "--replicates", "0"]),
        "error: --replicates 0",
    );
    fails_naming(
        &with(&["--sizes", "10", "-k", "3", "--test-size", "0"]),
        "error: --test-size 0",
    );
    fails_naming(
        &with(&["--sizes", "10", "-k", "3", "--bootstrap", "0"]),
        "error: --bootstrap 0",
    );
    fails_naming(
        &with(&["--sizes", "10", "-k", "3", "--methods", "em,em"]),
        "error: --methods em",
    );
    fails_naming(
        &with(&["--sizes", "10", "-k", "3", "--methods", "em,gibs"]),
        "--methods",
    );
    fails_naming(
        &with(&["--sizes", "10", "-k", "3", "--methods", "map,map"]),
        "error: --methods map",
    );
    fails_naming(
        &with(&["--sizes", "10", "-k", "3", "--methods", "mapem"]),
        "map",
    );
    fails_naming(&with(&["--sizes", "ten", "-k", "3"]), "--sizes");
    fails_naming(
        &["--scenario", "four-d", "--sizes", "10", "-k", "3"],
        "error: --scenario four-d",
    );
    fails_naming(
        &with(&["--sizes", "10", "-k", "3", "--draws", "50"]),
        "error: --draws 50: a Gibbs option",
    );
    fails_naming(
        &with(&[
            "--sizes",
            "10",
            "-k",
            "3",
            "--methods",
            "gibbs",
            "--draws",
            "3",
        ]),
        "error: the Gibbs sampler with K = 3 failed: --draws 3",
    );
    fails_naming(&["--sizes", "10", "-k", "3"], "--scenario");
    fails_naming(
        &["no-such-file.csv", "--sizes", "10", "-k", "3"],
        "no-such-file.csv",
    );
    fails_naming(
        &[
            "--scenario",
            "two-d-three-clusters",
            "--labels",
            "l.txt",
            "--sizes",
            "10",
            "-k",
            "3",
        ],
        "--labels",
    );
}

/// `--methods em-noreg,map,vb`: MAP-EM is a study method; its runs are the library's
/// (`run_study` with `StudyMethod::Map`), and they never fail on a singular component.
#[test]
fn map_em_is_a_study_method_and_its_runs_are_the_librarys() {
    use gmm_compare::{StudyMethod, StudySettings, TrueScenario, run_study};
    let dir = scratch_dir("cli-study-map");
    let out = dir.join("out");
    let table = ok(gmm(&[
        "study",
        "--scenario",
        "two-d-three-clusters",
        "--sizes",
        "10,40",
        "--replicates",
        "5",
        "-k",
        "3",
        "--methods",
        "em-noreg,map,vb",
        "--test-size",
        "150",
        "--bootstrap",
        "50",
        "--seed",
        "8",
        "-o",
        s(&out),
    ]));
    assert!(table.contains("map"), "{table}");
    let settings = StudySettings::new(
        TrueScenario::synthetic("two-d-three-clusters").unwrap(),
        vec![10, 40],
        3,
    )
    .replicates(5)
    .test_size(150)
    .seed(8)
    .bootstrap_resamples(50)
    .methods(vec![
        StudyMethod::EmNoReg,
        StudyMethod::Map,
        StudyMethod::Vb,
    ]);
    let library = run_study(&settings, &|| {}).unwrap();
    let report = load(&out.join("report.json"));
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), library.runs.len());
    let mut maps = 0;
    for (cli, lib) in runs.iter().zip(&library.runs) {
        assert_eq!(cli["method"], serde_json::to_value(lib.method).unwrap());
        assert_eq!(
            cli["holdout_log_predictive"].as_f64(),
            lib.holdout_log_predictive
        );
        assert_eq!(cli["adjusted_rand_index"].as_f64(), lib.adjusted_rand_index);
        if lib.method == StudyMethod::Map {
            maps += 1;
            assert_eq!(cli["singular"], false);
        }
    }
    assert_eq!(maps, 2 * 5);
}
