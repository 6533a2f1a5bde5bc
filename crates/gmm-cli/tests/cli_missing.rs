//! `--missing` (issue 25): a CSV file with empty and `NA` cells fits with
//! `--missing marginalise` (EM, VB, MAP-EM; the streamed model file equals the in-memory one
//! byte for byte) and is refused without it (the message names the flag, no output file);
//! Gibbs refuses the flag; predict and score give the model's marginal densities of points
//! with missing coordinates, streamed or not.

mod support;

use std::path::{Path, PathBuf};

use gmm_core::synthetic;
use support::{gmm, ok, s, scratch_dir, stderr};

/// 3000 points of three clusters in 2-D as CSV, about a fifth of the rows missing a
/// coordinate (an empty cell or `NA`), and the same points complete.
fn write_files(dir: &Path) -> (PathBuf, PathBuf) {
    let data = synthetic::draw(&synthetic::two_d_three_clusters(), 3000, 3)
        .unwrap()
        .data;
    let (mut holed, mut complete) = (String::from("x,y\n"), String::from("x,y\n"));
    for (i, p) in data.rows().enumerate() {
        complete.push_str(&format!("{},{}\n", p[0], p[1]));
        let line = match i % 10 {
            3 => format!(",{}\n", p[1]),
            7 => format!("{},NA\n", p[0]),
            _ => format!("{},{}\n", p[0], p[1]),
        };
        holed.push_str(&line);
    }
    let (holed_path, complete_path) = (dir.join("holed.csv"), dir.join("complete.csv"));
    std::fs::write(&holed_path, holed).unwrap();
    std::fs::write(&complete_path, complete).unwrap();
    (holed_path, complete_path)
}

/// Runs `gmm fit DATA --method METHOD -k 3 -o OUT` with `extra`; the output's bytes, or
/// the error's text when it fails (then asserting that no output file was left).
fn fit(data: &Path, method: &str, out: &Path, extra: &[&str]) -> Result<Vec<u8>, String> {
    let mut args = vec!["fit", s(data), "--method", method, "-k", "3", "--seed", "2"];
    args.extend(["--max-iter", "15", "-o", s(out)]);
    args.extend_from_slice(extra);
    let run = gmm(&args);
    if run.status.success() {
        Ok(std::fs::read(out).unwrap())
    } else {
        assert!(!out.exists(), "{} left behind", out.display());
        Err(stderr(&run))
    }
}

#[test]
fn a_csv_file_with_missing_cells_fits_with_the_flag_and_is_refused_without() {
    let dir = scratch_dir("cli-missing-fit");
    let (holed, _) = write_files(&dir);
    for method in ["em", "vb", "map"] {
        let (out, refused) = (dir.join(format!("{method}.json")), dir.join("refused.json"));
        let err = fit(&holed, method, &refused, &[]).unwrap_err();
        assert!(
            err.contains("line 5, column 1") && err.contains("--missing marginalise"),
            "{method}: {err}"
        );
        let memory = fit(&holed, method, &out, &["--missing", "marginalise"]).unwrap();
        let streamed = fit(
            &holed,
            method,
            &out,
            &["--missing", "marginalise", "--stream"],
        );
        assert!(memory == streamed.unwrap(), "{method}: streamed differs");
        let err = fit(&holed, method, &refused, &["--stream"]).unwrap_err();
        assert!(err.contains("--missing marginalise"), "{method}: {err}");
    }
    let out = dir.join("gibbs.json");
    let err = fit(&holed, "gibbs", &out, &["--missing", "marginalise"]).unwrap_err();
    assert!(err.contains("--missing") && err.contains("Gibbs"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn predict_and_score_give_marginal_densities_of_points_with_missing_coordinates() {
    let dir = scratch_dir("cli-missing-queries");
    let (holed, complete) = write_files(&dir);
    let model = dir.join("model.json");
    ok(gmm(&[
        "fit",
        s(&complete),
        "--method",
        "em",
        "-k",
        "3",
        "--seed",
        "1",
        "-o",
        s(&model),
    ]));
    let query = |command: &str, data: &Path, extra: &[&str]| {
        let mut args = vec![command, s(&model), s(data)];
        args.extend_from_slice(extra);
        gmm(&args)
    };
    for (command, flag) in [("predict", "--proba"), ("score", "--per-point")] {
        let refused = query(command, &holed, &[flag]);
        assert!(!refused.status.success());
        assert!(
            stderr(&refused).contains("--missing marginalise"),
            "{command}"
        );
        let marginal = ok(query(command, &holed, &[flag, "--missing", "marginalise"]));
        let streamed = ok(query(
            command,
            &holed,
            &[flag, "--missing", "marginalise", "--stream"],
        ));
        assert_eq!(marginal, streamed, "{command}");
        // the complete rows answer as without missing values; the others are finite
        let full = ok(query(command, &complete, &[flag]));
        let (marginal, full): (Vec<&str>, Vec<&str>) =
            (marginal.lines().collect(), full.lines().collect());
        assert_eq!(marginal.len(), full.len());
        for (i, (m, f)) in marginal.iter().zip(&full).enumerate() {
            // line 0 is predict's header; data row r is line r + 1
            let row = if command == "predict" {
                i.wrapping_sub(1)
            } else {
                i
            };
            if row % 10 != 3 && row % 10 != 7 || (command == "predict" && i == 0) {
                assert_eq!(m, f, "{command} line {i}");
            } else {
                let values: Vec<f64> = m.split(',').map(|v| v.parse().unwrap()).collect();
                assert!(
                    values.iter().all(|v| v.is_finite()),
                    "{command} line {i}: {m}"
                );
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
