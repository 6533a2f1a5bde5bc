//! `gmm fit`, `predict` and `score` on .csv, .npy and .parquet files, `--columns`,
//! `--weights`, `--weight-column` and `--stream`: the same numbers give the same model file,
//! byte for byte, from every format, streamed or not; the outputs of predict and score are
//! the same streamed or not; bad files and flags are errors naming the flag and the file,
//! and leave no output file.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use gmm_core::{Dataset, ModelFile, synthetic};
use gmm_io::{NpyDtype, NpyWriter};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use support::{gmm, ok, s, scratch_dir, stderr};

/// More points than one E-step batch at D = 2.
const N: usize = 20_000;

fn points() -> Dataset {
    synthetic::draw(&synthetic::two_d_three_clusters(), N, 3)
        .unwrap()
        .data
}

/// Weights 1, 2, 0, 3 in turn.
fn weight(i: usize) -> i32 {
    [1, 2, 0, 3][i % 4]
}

/// The same points (and weights) as CSV (columns y, label, count, x), .npy (x, y), Parquet
/// (y, label, x, count, row groups of 6000), and a weights file.
struct Files {
    dir: PathBuf,
    csv: PathBuf,
    npy: PathBuf,
    parquet: PathBuf,
    weights: PathBuf,
    means: PathBuf,
}

fn write_files(name: &str) -> Files {
    let dir = scratch_dir(name);
    let data = points();
    let mut csv = String::from("y,label,count,x\n");
    let mut weights = String::from("weight\n");
    for (i, p) in data.rows().enumerate() {
        csv.push_str(&format!("{},c{},{},{}\n", p[1], i % 3, weight(i), p[0]));
        weights.push_str(&format!("{}\n", weight(i)));
    }
    let files = Files {
        csv: dir.join("points.csv"),
        npy: dir.join("points.npy"),
        parquet: dir.join("points.parquet"),
        weights: dir.join("weights.txt"),
        means: dir.join("means.csv"),
        dir,
    };
    std::fs::write(&files.csv, csv).unwrap();
    std::fs::write(&files.weights, weights).unwrap();
    std::fs::write(&files.means, "-3,0.5\n0.5,2.5\n3,-2\n").unwrap();
    let mut npy = NpyWriter::create(&files.npy, N as u64, 2, NpyDtype::F64).unwrap();
    npy.write_rows(data.as_slice()).unwrap();
    npy.finish().unwrap();
    write_parquet(&files.parquet, &data);
    files
}

fn write_parquet(path: &Path, data: &Dataset) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("y", DataType::Float64, false),
        Field::new("label", DataType::Utf8, false),
        Field::new("x", DataType::Float64, false),
        Field::new("count", DataType::Int32, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Float64Array::from(
            data.rows().map(|p| p[1]).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(vec!["c"; N])),
        Arc::new(Float64Array::from(
            data.rows().map(|p| p[0]).collect::<Vec<_>>(),
        )),
        Arc::new(Int32Array::from((0..N).map(weight).collect::<Vec<_>>())),
    ];
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(6000))
        .build();
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        schema.clone(),
        Some(props),
    )
    .unwrap();
    w.write(&RecordBatch::try_new(schema, columns).unwrap())
        .unwrap();
    w.close().unwrap();
}

/// Fits `data` with `extra` flags from the means file and returns the model file's bytes,
/// without the feature names (which only the named formats record: the names of the columns
/// read, checked to be x,y, or y,x with `--columns y,x`).
fn fit_model(files: &Files, data: &Path, extra: &[&str], name: &str) -> Vec<u8> {
    let out = files.dir.join(name);
    let method = if extra.contains(&"--method") {
        &[][..]
    } else {
        &["--method", "em"][..]
    };
    let mut args = vec!["fit", s(data)];
    args.extend_from_slice(method);
    args.extend([
        "-k",
        "3",
        "--init-means",
        s(&files.means),
        "--max-iter",
        "6",
        "--tol",
        "0",
        "-o",
        s(&out),
    ]);
    args.extend_from_slice(extra);
    ok(gmm(&args));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut file = ModelFile::from_json(&text).unwrap();
    let names = file.feature_names.take();
    let named = extra
        .iter()
        .any(|f| *f == "--columns" || *f == "--weight-column")
        || data.extension().is_some_and(|e| e != "npy");
    let want: Option<&[&str]> = match (named, extra.contains(&"y,x")) {
        (false, _) => None,
        (true, false) => Some(&["x", "y"]),
        (true, true) => Some(&["y", "x"]),
    };
    assert_eq!(
        names.as_deref(),
        want.map(|w| w.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .as_deref(),
        "{name}"
    );
    file.to_json().into_bytes()
}

#[test]
fn every_format_streamed_or_not_gives_the_same_model_file() {
    let files = write_files("cli-stream-formats");
    let xy = ["--columns", "x,y"];
    let reference = fit_model(&files, &files.npy, &[], "npy.json");
    for (name, data, flags) in [
        ("npy-stream", &files.npy, &["--stream"][..]),
        ("csv", &files.csv, &xy[..]),
        (
            "csv-stream",
            &files.csv,
            &["--columns", "x,y", "--stream"][..],
        ),
        ("parquet", &files.parquet, &xy[..]),
        (
            "parquet-stream",
            &files.parquet,
            &["--columns", "x,y", "--stream"][..],
        ),
    ] {
        let model = fit_model(&files, data, flags, &format!("{name}.json"));
        assert!(model == reference, "{name}: another model file than npy's");
    }
    // VB streams too
    let vb = |flags: &[&str], name: &str| {
        let mut all = vec!["--method", "vb"];
        all.extend_from_slice(flags);
        fit_model(&files, &files.parquet, &all, name)
    };
    let vb_memory = vb(&["--columns", "x,y"], "vb.json");
    assert!(vb_memory == vb(&["--columns", "x,y", "--stream"], "vb-stream.json"));
    assert!(vb_memory != reference);
    // the columns in another order are another fit
    let swapped = fit_model(&files, &files.parquet, &["--columns", "y,x"], "yx.json");
    assert!(swapped != reference);

    // weights from a file or a column, streamed or not: one model
    let weighted = fit_model(
        &files,
        &files.npy,
        &["--weights", s(&files.weights)],
        "w.json",
    );
    assert!(weighted != reference, "the weights change the fit");
    for (name, data, flags) in [
        (
            "npy-w-stream",
            &files.npy,
            &["--weights", s(&files.weights), "--stream"][..],
        ),
        (
            "csv-wc",
            &files.csv,
            &["--columns", "x,y", "--weight-column", "count"][..],
        ),
        (
            "csv-wc-stream",
            &files.csv,
            &["--columns", "x,y", "--weight-column", "count", "--stream"][..],
        ),
        (
            "parquet-wc-stream",
            &files.parquet,
            &["--columns", "x,y", "--weight-column", "count", "--stream"][..],
        ),
        (
            "csv-wfile",
            &files.csv,
            &["--columns", "x,y", "--weights", s(&files.weights)][..],
        ),
    ] {
        let model = fit_model(&files, data, flags, &format!("{name}.json"));
        assert!(model == weighted, "{name}: another model file than npy's");
    }
    std::fs::remove_dir_all(&files.dir).unwrap();
}

#[test]
fn default_initialisation_streams_to_the_same_model_on_small_data() {
    // N = 20,000 is within the streamed k-means sample: the sample is all the points
    let files = write_files("cli-stream-kmeans");
    let fit = |flags: &[&str], name: &str| {
        let out = files.dir.join(name);
        let mut args = vec![
            "fit",
            s(&files.npy),
            "--method",
            "em",
            "-k",
            "3",
            "-o",
            s(&out),
        ];
        args.extend_from_slice(flags);
        let summary = ok(gmm(&args));
        (std::fs::read(&out).unwrap(), summary)
    };
    let (memory, memory_summary) = fit(&[], "memory.json");
    let (streamed, streamed_summary) = fit(&["--stream"], "streamed.json");
    assert!(memory == streamed);
    // a start sampled from fewer points than the file has differs (issue 22, item 7: the
    // streamed start is a sample of --init-sample rows, 100,000 by default, as --help says);
    // a sample of every row gives the in-memory fit again
    let (sampled, _) = fit(&["--stream", "--init-sample", "500"], "sampled.json");
    assert!(sampled != memory, "a start from 500 of 20,000 points");
    let n = N.to_string();
    let (whole, _) = fit(&["--stream", "--init-sample", &n], "whole.json");
    assert!(whole == memory);
    // the flag belongs to a streamed fit: in memory every point is the sample
    let out = files.dir.join("refused.json");
    let refused = gmm(&[
        "fit",
        s(&files.npy),
        "--method",
        "em",
        "-k",
        "3",
        "--init-sample",
        "10",
        "-o",
        s(&out),
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--stream"));
    // the summary's score and BIC come from a streamed pass, bit for bit
    let first_line = |t: &str| t.lines().next().unwrap().to_string();
    assert_eq!(first_line(&memory_summary), first_line(&streamed_summary));
    std::fs::remove_dir_all(&files.dir).unwrap();
}

#[test]
fn predict_and_score_stream_the_same_output() {
    let files = write_files("cli-stream-predict");
    let model = files.dir.join("model.json");
    fit_model(&files, &files.npy, &[], "model.json");
    for flags in [
        &["predict"][..],
        &["predict", "--proba"],
        &["score"],
        &["score", "--per-point"],
    ] {
        for (data, columns) in [
            (&files.npy, &[][..]),
            (&files.csv, &["--columns", "x,y"][..]),
            (&files.parquet, &["--columns", "x,y"][..]),
        ] {
            let run = |extra: &[&str]| {
                let mut args = flags.to_vec();
                args.extend([s(&model), s(data)]);
                args.extend_from_slice(columns);
                args.extend_from_slice(extra);
                ok(gmm(&args))
            };
            let held = run(&[]);
            assert!(held.lines().count() >= 1);
            assert_eq!(run(&["--stream"]), held, "{flags:?} {}", data.display());
            // to a file
            let out = files.dir.join("out.txt");
            run(&["--stream", "-o", s(&out)]);
            assert_eq!(std::fs::read_to_string(&out).unwrap(), held);
        }
    }
    // a weighted score is the weighted mean, streamed or not
    let score = |extra: &[&str]| {
        let mut args = vec!["score", s(&model), s(&files.csv), "--columns", "x,y"];
        args.extend_from_slice(extra);
        ok(gmm(&args))
    };
    let weighted = score(&["--weight-column", "count"]);
    assert_ne!(weighted, score(&[]));
    assert_eq!(weighted, score(&["--weight-column", "count", "--stream"]));
    assert_eq!(
        weighted,
        score(&["--weights", s(&files.weights), "--stream"])
    );
    std::fs::remove_dir_all(&files.dir).unwrap();
}

/// Asserts that `args` fail with a message containing every one of `needles`.
fn assert_fails(args: &[&str], needles: &[&str]) {
    let out = gmm(args);
    let message = stderr(&out);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(!message.contains("panicked"), "{message}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "{args:?}: {message:?} lacks {needle:?}"
        );
    }
}

#[test]
fn bad_files_and_flags_are_errors_naming_them() {
    let files = write_files("cli-stream-errors");
    let dir = &files.dir;
    let fit = |data: &Path, extra: &[&str]| {
        let mut args = vec!["fit", s(data), "--method", "em", "-k", "2"];
        args.extend_from_slice(extra);
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>, needles: &[&str]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_fails(&args, needles);
    };
    run(
        fit(&files.csv, &["--columns", "x,z"]),
        &["--columns", "no column \"z\"", "points.csv", "\"label\""],
    );
    run(
        fit(&files.parquet, &["--columns", "x,label"]),
        &["--columns", "\"label\"", "points.parquet", "Utf8"],
    );
    run(
        fit(&files.parquet, &["--weight-column", "w"]),
        &["--weight-column", "no column \"w\""],
    );
    run(
        fit(&files.npy, &["--columns", "x"]),
        &["--columns", ".npy file", "points.npy"],
    );
    let em_model = dir.join("em.json");
    fit_model(&files, &files.npy, &[], "em.json");
    let mut vb_from_em = fit(&files.npy, &["--stream", "--init-model", s(&em_model)]);
    vb_from_em[3] = "vb".into();
    vb_from_em.retain(|a| a != "-k" && a != "2");
    run(vb_from_em, &["--init-model", "em.json", "--stream"]);
    let short = dir.join("short.txt");
    std::fs::write(&short, "1\n2\n").unwrap();
    run(
        fit(&files.npy, &["--weights", s(&short), "--stream"]),
        &["--weights", "short.txt", "2 weights"],
    );
    // a truncated .npy and a wrong dtype
    let bytes = std::fs::read(&files.npy).unwrap();
    let truncated = dir.join("truncated.npy");
    std::fs::write(&truncated, &bytes[..bytes.len() - 12]).unwrap();
    run(
        fit(&truncated, &["--stream"]),
        &["truncated.npy", "truncated"],
    );
    let mut wrong = bytes.clone();
    let at = wrong.windows(3).position(|w| w == b"<f8").unwrap();
    wrong[at..at + 3].copy_from_slice(b"<i8");
    let wrong_path = dir.join("ints.npy");
    std::fs::write(&wrong_path, &wrong).unwrap();
    run(fit(&wrong_path, &[]), &["ints.npy", "'<i8'"]);
    std::fs::remove_dir_all(&files.dir).unwrap();
}

#[test]
fn a_failed_streamed_output_leaves_no_file() {
    let files = write_files("cli-stream-atomic");
    let model = files.dir.join("model.json");
    fit_model(&files, &files.npy, &[], "model.json");
    // a bad cell far down the file: the first batches are written before it is read
    let mut text = std::fs::read_to_string(&files.csv).unwrap();
    text.push_str("1,c,1,oops\n");
    let bad = files.dir.join("bad.csv");
    std::fs::write(&bad, text).unwrap();
    let out = files.dir.join("labels.csv");
    assert_fails(
        &[
            "predict",
            s(&model),
            s(&bad),
            "--columns",
            "x,y",
            "--stream",
            "-o",
            s(&out),
        ],
        &["bad.csv", &format!("line {}", N + 2)],
    );
    let left: Vec<String> = std::fs::read_dir(&files.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("labels"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    std::fs::remove_dir_all(&files.dir).unwrap();
}

#[test]
fn sample_writes_npy_with_the_numbers_of_the_csv_draw() {
    let files = write_files("cli-sample-npy");
    let model = files.dir.join("model.json");
    fit_model(&files, &files.npy, &[], "model.json");
    let n = "70000";
    let csv = ok(gmm(&["sample", s(&model), "-n", n, "--seed", "4"]));
    let npy = files.dir.join("drawn.npy");
    ok(gmm(&[
        "sample",
        s(&model),
        "-n",
        n,
        "--seed",
        "4",
        "-o",
        s(&npy),
    ]));
    let drawn = gmm_io::read_all(&mut gmm_io::NpyFile::open(&npy).unwrap()).unwrap();
    let from_csv = gmm_io::parse_data(csv.as_bytes(), "stdout").unwrap().data;
    assert_eq!(drawn.as_slice(), from_csv.as_slice());
    std::fs::remove_dir_all(&files.dir).unwrap();
}
