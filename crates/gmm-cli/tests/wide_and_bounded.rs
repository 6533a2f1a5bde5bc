//! Wide data and bounded queries (issue 12): a file of 3 rows and 40,000 random columns fits
//! with diagonal and spherical covariances, by EM and by VB, its model file holds K x D numbers, and `predict`, `score`
//! and `sample` answer with it; with full covariances the fit is refused at once. `predict
//! --proba`, `score --per-point` and `sample` refuse output over the memory limit before
//! allocating it. See docs/testing.md.

mod support;

use std::path::Path;

use rand::{RngExt, SeedableRng, rngs::StdRng};
use serde_json::Value;
use support::{gmm_in, load, ok, scratch_dir, stderr, stdout};

const WIDE_COLUMNS: usize = 40_000;

/// `dir/wide.csv`: 3 rows of 40,000 values drawn uniformly from [-10, 10) (seeded).
fn write_wide_file(dir: &Path) {
    let mut rng = StdRng::seed_from_u64(12);
    let text: String = (0..3)
        .map(|_| {
            let row: Vec<String> = (0..WIDE_COLUMNS)
                .map(|_| format!("{:.6}", rng.random_range(-10.0..10.0)))
                .collect();
            row.join(",") + "\n"
        })
        .collect();
    std::fs::write(dir.join("wide.csv"), text).unwrap();
}

/// The memory-limit error: exit status 1, the amount in the message, nothing on stdout.
fn assert_memory_refusal(out: &std::process::Output, what: &str) {
    assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(out));
    let message = stderr(out);
    assert!(message.contains("needs about"), "{what}: {message}");
    assert!(!message.contains("panicked"), "{what}: {message}");
    assert!(stdout(out).is_empty(), "{what}: printed {}", stdout(out));
}

/// `gmm fit --method METHOD --covariance TYPE -k 1 wide.csv -o OUT` in `dir`.
fn fit_wide(dir: &Path, method: &str, covariance: &str, out: &str) -> std::process::Output {
    gmm_in(
        dir,
        &[
            "fit",
            "wide.csv",
            "--method",
            method,
            "--covariance",
            covariance,
            "-k",
            "1",
            "-o",
            out,
        ],
    )
}

/// The model file of a diagonal or spherical fit of the wide file holds K x D (or K)
/// covariance numbers, and predict, score and sample answer with it.
fn assert_wide_model_answers(dir: &Path, model: &str, covariance: &str) {
    let file: Value = load(&dir.join(model));
    assert_eq!(file["format_version"], 2);
    let covariances = file["covariances"].as_array().unwrap();
    assert_eq!(covariances.len(), 1);
    match covariance {
        "diag" => assert_eq!(covariances[0].as_array().unwrap().len(), WIDE_COLUMNS),
        _ => assert!(covariances[0].is_number(), "{}", covariances[0]),
    }
    let labels = ok(gmm_in(dir, &["predict", model, "wide.csv"]));
    assert_eq!(labels, "label\n0\n0\n0\n");
    let proba = ok(gmm_in(dir, &["predict", model, "wide.csv", "--proba"]));
    assert_eq!(proba, "p0\n1\n1\n1\n");
    let per_point = ok(gmm_in(dir, &["score", model, "wide.csv", "--per-point"]));
    let densities: Vec<f64> = per_point.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(densities.len(), 3);
    assert!(densities.iter().all(|v| v.is_finite()), "{densities:?}");
    let sample = ok(gmm_in(dir, &["sample", model, "-n", "2", "--seed", "3"]));
    let lines: Vec<&str> = sample.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two points");
    assert_eq!(lines[1].split(',').count(), WIDE_COLUMNS);
}

#[test]
fn a_wide_file_fits_with_diagonal_and_spherical_covariances() {
    let dir = scratch_dir("wide-diag");
    write_wide_file(&dir);
    for method in ["em", "vb"] {
        for covariance in ["diag", "spherical"] {
            let model = format!("{method}-{covariance}.json");
            ok(fit_wide(&dir, method, covariance, &model));
            assert_wide_model_answers(&dir, &model, covariance);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_wide_file_with_full_covariances_is_refused_and_writes_nothing() {
    let dir = scratch_dir("wide-full");
    write_wide_file(&dir);
    for (method, covariance) in [
        ("em", "full"),
        ("em", "tied"),
        ("vb", "full"),
        ("vb", "tied"),
    ] {
        let out = fit_wide(&dir, method, covariance, "m.json");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("needs about"), "{}", stderr(&out));
        assert!(!dir.join("m.json").exists());
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `predict --proba`, `score --per-point` and `sample` check their output against
/// `--max-memory` (and the default limit) before allocating it.
#[test]
fn queries_over_the_memory_limit_are_refused_before_allocating() {
    let dir = scratch_dir("bounded-queries");
    let data: String = (0..200)
        .map(|i| format!("{},{}\n", (i % 17) as f64 * 0.5, (i % 5) as f64))
        .collect();
    std::fs::write(dir.join("data.csv"), data).unwrap();
    ok(gmm_in(
        &dir,
        &[
            "fit", "data.csv", "--method", "em", "-k", "3", "-o", "m.json",
        ],
    ));
    for args in [
        &[
            "predict",
            "m.json",
            "data.csv",
            "--proba",
            "--max-memory",
            "1000",
        ][..],
        &[
            "score",
            "m.json",
            "data.csv",
            "--per-point",
            "--max-memory",
            "1000",
        ],
        // a block of the printed sample (a CSV sample is drawn and printed block by
        // block, so -n alone no longer bounds its memory)
        &["sample", "m.json", "-n", "1000", "--max-memory", "1000"],
    ] {
        assert_memory_refusal(&gmm_in(&dir, args), &args.join(" "));
    }
    // within the limit they answer
    for args in [
        &[
            "predict",
            "m.json",
            "data.csv",
            "--proba",
            "--max-memory",
            "1MB",
        ][..],
        &[
            "score",
            "m.json",
            "data.csv",
            "--per-point",
            "--max-memory",
            "1MB",
        ],
        &["sample", "m.json", "-n", "10", "--max-memory", "1MB"],
    ] {
        ok(gmm_in(&dir, args));
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `compare` on the wide file with diagonal covariances: the two fits run; what would need
/// D x D matrices (the parameter errors against true labels, the plots' principal axes) is
/// refused before it is allocated, with nothing written.
#[test]
fn compare_on_a_wide_file_fits_and_refuses_only_its_d_by_d_parts() {
    let dir = scratch_dir("wide-compare");
    write_wide_file(&dir);
    std::fs::write(dir.join("labels.txt"), "a\nb\na\n").unwrap();
    let base = [
        "compare",
        "wide.csv",
        "-k",
        "1",
        "--covariance",
        "diag",
        "--holdout",
        "0",
        "--max-memory",
        "8GB",
    ];
    let table = ok(gmm_in(&dir, &base));
    assert!(table.contains("EM") && table.contains("VB"), "{table}");
    for extra in [&["--labels", "labels.txt"][..], &["--out", "plots"]] {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        assert_memory_refusal(&gmm_in(&dir, &args), &args.join(" "));
        assert!(!dir.join("plots").exists(), "{args:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
