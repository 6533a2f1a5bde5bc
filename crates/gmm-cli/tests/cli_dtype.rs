//! `gmm fit --dtype f32`: the file read as `f32` (a `<f4` .npy file as it is, an `<f8` or
//! CSV file rounded), the E-step in `f32` lanes; in memory and `--stream` give the same
//! model file as the library's fit of the same `f32` points, which is within 1e-5 of the
//! `f64` fit, with weights too; the summary counts the iterations in `f32` lanes; the
//! sampler refuses it.

mod support;

use std::path::Path;

use gmm_core::{Dataset, FittedModel, ModelFile, SliceSource, synthetic};
use gmm_em::EmParams;
use gmm_io::{NpyDtype, NpyWriter};
use support::{gmm, ok, s, scratch_dir, stderr};

const N: usize = 30_000;

fn points() -> Dataset {
    synthetic::draw(&synthetic::separated(3, 3), N, 21)
        .unwrap()
        .data
}

fn write_npy(path: &Path, data: &Dataset, dtype: NpyDtype) {
    let mut npy = NpyWriter::create(path, N as u64, 3, dtype).unwrap();
    npy.write_rows(data.as_slice()).unwrap();
    npy.finish().unwrap();
}

fn fit_file(dir: &Path, data: &str, extra: &[&str], out: &str) -> (ModelFile, String) {
    let out = dir.join(out);
    let mut args = vec!["fit", data, "--method", "em", "-k", "3", "--seed", "4"];
    args.extend_from_slice(&["--tol", "0", "--max-iter", "12", "-o", s(&out)]);
    args.extend_from_slice(extra);
    let summary = ok(gmm(&args));
    let text = std::fs::read_to_string(&out).unwrap();
    (ModelFile::from_json(&text).unwrap(), summary)
}

/// The points rounded to `f32`, row-major.
fn narrowed(data: &Dataset) -> Vec<f32> {
    data.as_slice().iter().map(|&x| x as f32).collect()
}

/// The library's fit of `source` with the command's settings (`fit_file`).
fn library_fit(source: &mut SliceSource<'_>) -> ModelFile {
    EmParams::new(3)
        .seed(4)
        .tol(0.0)
        .max_iter(12)
        .fit_source(source)
        .unwrap()
        .to_model_file()
}

/// Fits `file` with `extra` flags and checks: all 12 iterations in f32 lanes, and the
/// library's model number for number.
fn assert_fits_as_library(
    dir: &Path,
    file: &Path,
    extra: &[&str],
    name: &str,
    library: &ModelFile,
) {
    let (model, summary) = fit_file(dir, s(file), extra, name);
    assert!(
        summary.contains("12 iterations (12 in f32 lanes)"),
        "{summary}"
    );
    assert_eq!(model.means, library.means, "{file:?} {extra:?}");
    assert_eq!(model.covariances, library.covariances, "{file:?} {extra:?}");
    assert_eq!(model.weights, library.weights, "{file:?} {extra:?}");
}

#[test]
fn f32_fits_equal_the_library_fit_of_the_f32_points() {
    let dir = scratch_dir("cli-dtype-f32");
    let data = points();
    let (npy32, npy64, csv) = (dir.join("x32.npy"), dir.join("x64.npy"), dir.join("x.csv"));
    write_npy(&npy32, &data, NpyDtype::F32);
    write_npy(&npy64, &data, NpyDtype::F64);
    let mut text = String::from("a,b,c\n");
    for p in data.rows() {
        text.push_str(&format!("{},{},{}\n", p[0], p[1], p[2]));
    }
    std::fs::write(&csv, text).unwrap();
    let narrow = narrowed(&data);
    let library = library_fit(&mut SliceSource::from_f32(&narrow, 3).unwrap());
    let f32_flag = ["--dtype", "f32"];
    let streamed = ["--dtype", "f32", "--stream", "--init-sample", "100000"];
    for (file, extra, name) in [
        (&npy32, &f32_flag[..], "a.json"),
        (&npy64, &f32_flag[..], "b.json"),
        (&csv, &f32_flag[..], "c.json"),
        (&npy32, &streamed[..], "d.json"),
    ] {
        assert_fits_as_library(&dir, file, extra, name, &library);
    }
    // the f64 fit of the same (f32) values: no f32 lanes, parameters within 1e-5
    let (double, summary) = fit_file(&dir, s(&npy32), &[], "e.json");
    assert!(!summary.contains("f32 lanes"), "{summary}");
    for (a, b) in library
        .means
        .iter()
        .flatten()
        .zip(double.means.iter().flatten())
    {
        assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} against {b}");
    }
}

#[test]
fn weighted_f32_fits_equal_the_library_fit_of_the_weighted_f32_points() {
    // weights 1, 2 and 3 in turn: a weights file with `--dtype f32`, in memory and streamed,
    // gives the library's fit of the same f32 points and weights, bit for bit
    let dir = scratch_dir("cli-dtype-f32-weights");
    let data = points();
    let npy32 = dir.join("x32.npy");
    write_npy(&npy32, &data, NpyDtype::F32);
    let weights: Vec<f64> = (0..N).map(|i| (i % 3 + 1) as f64).collect();
    let mut text = String::from("weight\n");
    for w in &weights {
        text.push_str(&format!("{w}\n"));
    }
    let weights_file = dir.join("w.txt");
    std::fs::write(&weights_file, text).unwrap();
    let narrow = narrowed(&data);
    let source = SliceSource::from_f32(&narrow, 3).unwrap();
    let library = library_fit(&mut source.with_weights(&weights).unwrap());
    let unweighted = library_fit(&mut SliceSource::from_f32(&narrow, 3).unwrap());
    assert!(
        library.means != unweighted.means,
        "the weights change the fit"
    );
    let memory = ["--dtype", "f32", "--weights", s(&weights_file)];
    let streamed = [&memory[..], &["--stream", "--init-sample", "100000"]].concat();
    for (extra, name) in [(&memory[..], "a.json"), (&streamed[..], "b.json")] {
        assert_fits_as_library(&dir, &npy32, extra, name, &library);
    }
}

#[test]
fn the_sampler_refuses_f32() {
    let dir = scratch_dir("cli-dtype-gibbs");
    let npy = dir.join("x.npy");
    write_npy(&npy, &points(), NpyDtype::F32);
    let out = dir.join("m.json");
    let o = gmm(&[
        "fit",
        s(&npy),
        "--method",
        "gibbs",
        "-k",
        "2",
        "--dtype",
        "f32",
        "-o",
        s(&out),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--dtype"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn f32_data_beyond_single_precision_fall_back_with_a_warning() {
    // two clusters 1e6 apart with unit spread: every E-step runs in f64 lanes
    let dir = scratch_dir("cli-dtype-fallback");
    let mut text = String::from("a,b\n");
    for i in 0..2000 {
        let centre = if i % 2 == 0 { 0.0 } else { 1e6 };
        let t = f64::from(i) * 0.618;
        text.push_str(&format!(
            "{},{}\n",
            centre + t.sin(),
            centre + (1.7 * t).cos()
        ));
    }
    let csv = dir.join("far.csv");
    std::fs::write(&csv, text).unwrap();
    let out = dir.join("m.json");
    let o = gmm(&[
        "fit",
        s(&csv),
        "--method",
        "em",
        "-k",
        "2",
        "--seed",
        "1",
        "--tol",
        "0",
        "--max-iter",
        "5",
        "--dtype",
        "f32",
        "-o",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("5 of 5 iterations ran the E-step in f64 lanes"),
        "{err}"
    );
    assert!(!support::stdout(&o).contains("f32 lanes"));
}
