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
