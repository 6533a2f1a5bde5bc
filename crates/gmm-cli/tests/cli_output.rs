//! What `gmm` prints as data: every number reads back to exactly the `f64` the library
//! computes, in its shortest form (an exponent for tiny values); and where the model goes
//! (`-o FILE`, or `-o -` / no `-o` for standard output, the summary then on stderr).

mod support;

use std::path::Path;

use gmm_core::{GaussianMixture, MixtureModel, ModelFile};
use gmm_io::read_data_file;
use rand::{SeedableRng, rngs::StdRng};

use support::*;

fn fit_em(data: &str, k: &str, model: &Path) {
    ok(gmm(&[
        "fit",
        data,
        "--method",
        "em",
        "-k",
        k,
        "--seed",
        "4",
        "-o",
        s(model),
    ]));
}

fn library_mixture(model: &Path) -> GaussianMixture {
    let text = std::fs::read_to_string(model).unwrap();
    ModelFile::from_json(&text).unwrap().to_mixture().unwrap()
}

/// The cells of CSV output (header skipped), as printed.
fn cells(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// `text` reads back to exactly `expected`, and is no longer than either of Rust's
/// shortest round-trip forms.
fn assert_exact_and_short(text: &str, expected: f64) {
    let back: f64 = text.parse().unwrap();
    assert_eq!(back.to_bits(), expected.to_bits(), "{text} vs {expected:e}");
    let plain = format!("{expected}");
    let scientific = format!("{expected:e}");
    assert!(
        text.len() <= plain.len().min(scientific.len()),
        "{text}: longer than {plain} or {scientific}"
    );
}

#[test]
fn predict_proba_prints_the_librarys_probabilities_exactly_and_briefly() {
    let dir = scratch_dir("output-proba");
    let model = dir.join("m.json");
    let data_path = fixture_data_path("d2");
    fit_em(&data_path, "3", &model);
    let data = read_data_file(Path::new(&data_path)).unwrap().data;
    let p = library_mixture(&model).predict_proba(&data).unwrap();
    let out = ok(gmm(&["predict", s(&model), &data_path, "--proba"]));
    assert_eq!(out.lines().next(), Some("p0,p1,p2"));
    let printed = cells(&out);
    assert_eq!(printed.len(), p.nrows());
    let mut tiny = 0;
    for (n, row) in printed.iter().enumerate() {
        assert_eq!(row.len(), p.ncols());
        for (k, text) in row.iter().enumerate() {
            assert_exact_and_short(text, p[(n, k)]);
            if p[(n, k)] > 0.0 && p[(n, k)] < 1e-10 {
                tiny += 1;
                assert!(text.contains('e'), "{text} has no exponent");
                assert!(!text.starts_with("0.000"), "{text}");
            }
        }
    }
    assert!(tiny > 10, "the test needs tiny probabilities: {tiny}");
}

#[test]
fn score_and_sample_print_the_librarys_values_exactly() {
    let dir = scratch_dir("output-score-sample");
    let model = dir.join("m.json");
    let data_path = fixture_data_path("d2");
    fit_em(&data_path, "3", &model);
    let gm = library_mixture(&model);
    let data = read_data_file(Path::new(&data_path)).unwrap().data;
    let score = ok(gmm(&["score", s(&model), &data_path]));
    assert_exact_and_short(score.trim(), gm.score(&data).unwrap());

    let out = ok(gmm(&["sample", s(&model), "-n", "200", "--seed", "9"]));
    let (drawn, _) = gm.sample(200, &mut StdRng::seed_from_u64(9)).unwrap();
    let printed = cells(&out);
    assert_eq!(printed.len(), 200);
    for (row, expected) in printed.iter().zip(drawn.rows()) {
        assert_eq!(row.len(), expected.len());
        for (text, &v) in row.iter().zip(expected) {
            assert_exact_and_short(text, v);
        }
    }
}

fn fit_args<'a>(data: &'a str, output: &'a [&'a str]) -> Vec<&'a str> {
    let mut args = vec!["fit", data, "--method", "vb", "-k", "3", "--seed", "2"];
    args.extend(output);
    args
}

#[test]
fn the_model_goes_to_stdout_with_dash_or_by_default_and_the_summary_to_stderr() {
    let dir = scratch_dir("output-stdout");
    let data = fixture_data_path("d2");
    let file = dir.join("m.json");
    let to_file = gmm(&fit_args(&data, &["-o", s(&file)]));
    let summary = ok(to_file);
    assert!(
        summary.contains("VB, K = 3") && summary.contains("wrote"),
        "{summary}"
    );
    let written = std::fs::read_to_string(&file).unwrap();

    for output in [&["-o", "-"][..], &["--output", "-"][..], &[][..]] {
        let o = gmm(&fit_args(&data, output));
        let err = stderr(&o);
        let model = ok(o);
        // the same model as -o FILE writes, and nothing else on stdout
        assert_eq!(model.trim_end(), written, "{output:?}");
        let parsed = ModelFile::from_json(&model).unwrap();
        assert_eq!(parsed.to_mixture().unwrap().n_components(), 3);
        assert!(
            err.contains("VB, K = 3"),
            "{output:?}: summary on stderr: {err}"
        );
        assert!(!err.contains("wrote"), "{err}");
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "-o - writes no file"
    );
}

#[test]
fn a_failed_fit_to_stdout_prints_no_model() {
    let data = fixture_data_path("d1");
    let o = gmm(&["fit", &data, "--method", "em", "-k", "301", "-o", "-"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
    assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
}

#[test]
fn fit_help_documents_the_output_default() {
    let help = ok(gmm(&["fit", "--help"]));
    assert!(help.contains("standard output"), "{help}");
    assert!(help.contains("[default: -]"), "{help}");
}
