//! Hostile files: CSV data the reader must reject with the line and column, and the `gmm`
//! command-line tool, which must never leave a partial output file behind on error.
//! See docs/testing.md.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gmm::compare::data_file::{parse_data, read_data_file};
use gmm::core::GmmError;

fn parse(text: &[u8]) -> Result<gmm::compare::data_file::DataTable, GmmError> {
    parse_data(text, "test.csv")
}

/// Asserts a data-file error at `line` (and `column` when given) whose message contains
/// `needle`.
fn assert_data_error(text: &[u8], line: usize, column: Option<usize>, needle: &str) {
    match parse(text) {
        Err(GmmError::DataFile {
            path,
            line: l,
            column: c,
            reason,
        }) => {
            assert_eq!(path, "test.csv");
            assert_eq!(l, line, "line of {reason:?}");
            if let Some(column) = column {
                assert_eq!(c, column, "column of {reason:?}");
            }
            assert!(
                reason.contains(needle),
                "{reason:?} does not mention {needle:?}"
            );
        }
        other => panic!(
            "{:?}: expected a DataFile error, got {other:?}",
            String::from_utf8_lossy(&text[..text.len().min(80)])
        ),
    }
}

#[test]
fn csv_ragged_rows() {
    assert_data_error(b"1,2\n3,4\n5\n", 3, Some(0), "same number of columns");
    assert_data_error(b"1,2\n3,4,5\n", 2, Some(0), "same number of columns");
    assert_data_error(b"x,y\n1,2\n3\n", 3, Some(0), "same number of columns");
}

#[test]
fn csv_text_and_empty_cells() {
    assert_data_error(b"1,2\n3,abc\n", 2, Some(2), "not a number");
    assert_data_error(b"1,2\n3,\n", 2, Some(2), "empty cell");
    assert_data_error(b"1,2\n0x10,2\n", 2, Some(1), "not a number");
    assert_data_error(b"1,2\n1,2\n\"7\",\xff\xfe\n", 3, None, "");
    // a header is recognised only when none of its cells is a number
    assert_data_error(b"x,1\n1,2\n", 1, Some(1), "not a number");
}

#[test]
fn csv_non_finite_and_out_of_range_cells() {
    for cell in ["nan", "NaN", "inf", "-inf", "infinity", "1e400", "-1e999"] {
        let text = format!("1,2\n3,{cell}\n");
        assert_data_error(text.as_bytes(), 2, Some(2), "not finite");
    }
    // underflow to zero or a subnormal is a legitimate number
    let table = parse(b"1e-400,4.9e-324\n1e-300,2\n").unwrap();
    assert_eq!(table.data.row(0), &[0.0, 4.9e-324]);
}

#[test]
fn csv_empty_files() {
    for text in [&b""[..], b"\n\n\n", b"x,y\n", b" , \n"] {
        match parse(text) {
            Err(GmmError::DataFile { reason, .. }) => {
                assert!(
                    reason.contains("no data rows") || reason.contains("empty"),
                    "{reason}"
                )
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let missing = Path::new("/nonexistent/gmm/data.csv");
    assert!(matches!(read_data_file(missing), Err(GmmError::Io { .. })));
}

#[test]
fn csv_huge_lines() {
    // 200 000 columns in one line: read as one point of dimension 200 000.
    let row: Vec<String> = (0..200_000).map(|i| (i % 97).to_string()).collect();
    let line = row.join(",");
    let table = parse(format!("{line}\n{line}\n").as_bytes()).unwrap();
    assert_eq!(
        (table.data.n_samples(), table.data.n_features()),
        (2, 200_000)
    );
    // the same huge line after a short one is a ragged row
    assert_data_error(format!("1,2\n{line}\n").as_bytes(), 2, Some(0), "columns");
    // one cell of 4 million digits overflows f64: not finite
    let digits = "7".repeat(4_000_000);
    assert_data_error(
        format!("1\n{digits}\n").as_bytes(),
        2,
        Some(1),
        "not finite",
    );
    // 4 MB of text in one cell
    let text = "z".repeat(4_000_000);
    assert_data_error(
        format!("1\n{text}\n").as_bytes(),
        2,
        Some(1),
        "not a number",
    );
}

/// The `gmm` binary of this workspace: next to the test executable's target directory
/// (`target/<profile>/gmm`), built with `cargo build -p gmm-compare --bin gmm` if missing.
fn gmm_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/hostile_files-HASH -> target/<profile>/gmm
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let bin = profile_dir.join(format!("gmm{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "gmm-compare", "--bin", "gmm"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("running cargo build for the gmm binary");
        assert!(
            status.success(),
            "cargo build -p gmm-compare --bin gmm failed"
        );
    }
    assert!(bin.exists(), "no gmm binary at {}", bin.display());
    bin
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gmm-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(gmm_binary())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running gmm")
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn assert_failed(out: &Output, what: &str) {
    assert!(!out.status.success(), "{what}: gmm succeeded");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error"), "{what}: stderr {stderr:?}");
    assert!(
        !stderr.contains("panicked"),
        "{what}: gmm panicked: {stderr}"
    );
}

const GOOD: &str = "0.1,0.2\n0.3,0.1\n5.0,5.2\n5.1,4.9\n0.2,0.0\n4.8,5.1\n";

#[test]
fn cli_fit_leaves_no_partial_output_on_error() {
    let dir = scratch("fit");
    let bad_inputs = [
        ("ragged.csv", "1,2\n3\n"),
        ("text.csv", "1,2\n3,x\n"),
        ("nan.csv", "1,2\n3,nan\n"),
        ("empty.csv", ""),
        ("one.csv", "1,2\n"),
    ];
    for (name, text) in bad_inputs {
        std::fs::write(dir.join(name), text).unwrap();
    }
    std::fs::write(dir.join("good.csv"), GOOD).unwrap();
    let before = listing(&dir);
    for (name, _) in bad_inputs {
        for method in ["em", "vb"] {
            let out = run(
                &dir,
                &[
                    "fit",
                    name,
                    "--method",
                    method,
                    "-k",
                    "2",
                    "-o",
                    "model.json",
                ],
            );
            assert_failed(&out, &format!("fit {name} by {method}"));
            assert_eq!(listing(&dir), before, "fit {name} by {method} left files");
        }
    }
    // invalid parameters
    for args in [
        &["-k", "0"][..],
        &["-k", "7"],
        &["-k", "2", "--tol", "-1"],
        &["-k", "2", "--reg-covar", "-1e-6"],
        &["-k", "2", "--reg-covar", "NaN"],
    ] {
        let mut all = vec!["fit", "good.csv", "--method", "em", "-o", "model.json"];
        all.extend_from_slice(args);
        let out = run(&dir, &all);
        assert_failed(&out, &format!("{args:?}"));
        assert_eq!(listing(&dir), before, "{args:?} left files");
    }
    // a good fit writes the model; a failing one leaves it untouched
    let out = run(
        &dir,
        &[
            "fit",
            "good.csv",
            "--method",
            "em",
            "-k",
            "2",
            "-o",
            "model.json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read(dir.join("model.json")).unwrap();
    let out = run(
        &dir,
        &[
            "fit",
            "ragged.csv",
            "--method",
            "vb",
            "-k",
            "2",
            "-o",
            "model.json",
        ],
    );
    assert_failed(&out, "refit on bad data");
    assert_eq!(std::fs::read(dir.join("model.json")).unwrap(), written);
    let mut with_model = before.clone();
    with_model.push("model.json".into());
    with_model.sort();
    assert_eq!(listing(&dir), with_model);
    // an output directory that does not exist
    let out = run(
        &dir,
        &[
            "fit",
            "good.csv",
            "--method",
            "em",
            "-k",
            "2",
            "-o",
            "missing/model.json",
        ],
    );
    assert_failed(&out, "output into a missing directory");
    assert_eq!(listing(&dir), with_model);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_reading_bad_model_files_prints_nothing() {
    let dir = scratch("model");
    std::fs::write(dir.join("good.csv"), GOOD).unwrap();
    let out = run(
        &dir,
        &[
            "fit",
            "good.csv",
            "--method",
            "em",
            "-k",
            "2",
            "-o",
            "model.json",
        ],
    );
    assert!(out.status.success());
    let text = std::fs::read_to_string(dir.join("model.json")).unwrap();
    let bad_models = [
        ("truncated.json", text[..text.len() / 2].to_string()),
        (
            "weights.json",
            r#"{"covariance_type": "full", "weights": [0.7, 0.7], "means": [[0, 0], [1, 1]], "covariances": [[[1, 0], [0, 1]], [[1, 0], [0, 1]]]}"#.into(),
        ),
        (
            "spd.json",
            r#"{"covariance_type": "full", "weights": [0.5, 0.5], "means": [[0, 0], [1, 1]], "covariances": [[[1, 2], [2, 1]], [[1, 0], [0, 1]]]}"#.into(),
        ),
        (
            "shape.json",
            r#"{"covariance_type": "full", "weights": [0.5, 0.5], "means": [[0, 0], [1]], "covariances": [[[1, 0], [0, 1]], [[1, 0], [0, 1]]]}"#.into(),
        ),
    ];
    for (name, body) in &bad_models {
        std::fs::write(dir.join(name), body).unwrap();
        for args in [
            vec!["predict", name, "good.csv"],
            vec!["predict", "--proba", name, "good.csv"],
            vec!["score", name, "good.csv"],
            vec!["sample", name, "-n", "5"],
        ] {
            let out = run(&dir, &args);
            assert_failed(&out, &format!("{args:?}"));
            assert!(
                out.stdout.is_empty(),
                "{args:?} printed {:?}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
    // data of the wrong dimension for the model
    std::fs::write(dir.join("three.csv"), "1,2,3\n4,5,6\n").unwrap();
    let out = run(&dir, &["predict", "model.json", "three.csv"]);
    assert_failed(&out, "predict with 3 columns");
    assert!(out.stdout.is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_compare_writes_no_directory_on_error() {
    let dir = scratch("compare");
    std::fs::write(dir.join("ragged.csv"), "1,2\n3\n").unwrap();
    std::fs::write(dir.join("good.csv"), GOOD).unwrap();
    for args in [
        vec!["compare", "ragged.csv", "-k", "2", "--out", "report"],
        vec!["compare", "good.csv", "-k", "9", "--out", "report"],
        vec!["select", "ragged.csv", "--out", "report"],
    ] {
        let out = run(&dir, &args);
        assert_failed(&out, &format!("{args:?}"));
        let report = dir.join("report");
        assert!(
            !report.exists() || listing(&report).is_empty(),
            "{args:?} left {:?}",
            listing(&report)
        );
        assert_eq!(listing(&dir), vec!["good.csv", "ragged.csv"], "{args:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
