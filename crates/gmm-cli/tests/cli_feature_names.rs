//! Model files keep the names of the columns they were fitted on (issue 22, item 5), and
//! `predict` / `score` read a data file's columns by those names: a file with the model's
//! columns in another order scores as the original, a file lacking one is an error naming
//! it and the file; files without names (.npy, CSV without a header) and model files
//! without names (older ones) go by position.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use gmm_core::{Dataset, synthetic};
use gmm_io::{NpyDtype, NpyWriter};
use parquet::arrow::ArrowWriter;

use support::*;

/// The points of the tests: two well separated clusters in 2-D, not symmetric in x and y
/// (so that swapped columns score differently).
fn points() -> Dataset {
    synthetic::draw(&synthetic::two_d_three_clusters(), 300, 11)
        .unwrap()
        .data
}

/// Writes `data` as CSV with the columns `order` (indices into a point, with their names).
fn write_csv(path: &Path, data: &Dataset, order: &[(&str, usize)]) {
    let header: Vec<&str> = order.iter().map(|(n, _)| *n).collect();
    let mut text = format!("{}\n", header.join(","));
    for p in data.rows() {
        let cells: Vec<String> = order.iter().map(|&(_, j)| format!("{:?}", p[j])).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// The files of a test: the data as x,y, as y,x with an extra column, and without y.
struct Files {
    dir: PathBuf,
    xy: PathBuf,
    yx: PathBuf,
    model: PathBuf,
}

fn files(name: &str) -> Files {
    let dir = scratch_dir(name);
    let data = points();
    let xy = dir.join("xy.csv");
    write_csv(&xy, &data, &[("x", 0), ("y", 1)]);
    let yx = dir.join("yx.csv");
    write_csv(&yx, &data, &[("id", 0), ("y", 1), ("x", 0)]);
    let model = dir.join("model.json");
    ok(gmm(&[
        "fit",
        s(&xy),
        "--method",
        "em",
        "-k",
        "3",
        "--seed",
        "1",
        "-o",
        s(&model),
    ]));
    Files { dir, xy, yx, model }
}

/// `gmm score MODEL DATA extra...`, its standard output.
fn score(model: &Path, data: &Path, extra: &[&str]) -> String {
    let mut args = vec!["score", s(model), s(data)];
    args.extend_from_slice(extra);
    ok(gmm(&args))
}

#[test]
fn fit_records_the_header_s_names() {
    let f = files("names-fit");
    assert_eq!(
        load(&f.model)["feature_names"],
        serde_json::json!(["x", "y"])
    );
    // --columns: the names of the columns read, in the order read
    let chosen = f.dir.join("chosen.json");
    ok(gmm(&[
        "fit",
        s(&f.yx),
        "--columns",
        "x,y",
        "--method",
        "vb",
        "-k",
        "2",
        "--seed",
        "1",
        "-o",
        s(&chosen),
    ]));
    assert_eq!(
        load(&chosen)["feature_names"],
        serde_json::json!(["x", "y"])
    );
    // streamed alike
    let streamed = f.dir.join("streamed.json");
    ok(gmm(&[
        "fit",
        s(&f.xy),
        "--stream",
        "--method",
        "em",
        "-k",
        "3",
        "--seed",
        "1",
        "-o",
        s(&streamed),
    ]));
    assert_eq!(
        load(&streamed)["feature_names"],
        serde_json::json!(["x", "y"])
    );
    // a sample of the model is headed by its names, so it scores by name
    let sample = f.dir.join("sample.csv");
    ok(gmm(&["sample", s(&f.model), "-n", "20", "-o", s(&sample)]));
    let text = std::fs::read_to_string(&sample).unwrap();
    assert_eq!(text.lines().next(), Some("x,y"));
    score(&f.model, &sample, &[]);
    // the Gibbs sampler's file alike, and score reads it by name
    let gibbs = f.dir.join("gibbs.json");
    let args = "--method gibbs -k 2 --draws 40 --burn-in 10 --chains 2 --seed 1 -o";
    let mut fit = vec!["fit", s(&f.xy)];
    fit.extend(args.split(' '));
    fit.push(s(&gibbs));
    ok(gmm(&fit));
    assert_eq!(load(&gibbs)["feature_names"], serde_json::json!(["x", "y"]));
    assert_eq!(score(&gibbs, &f.yx, &[]), score(&gibbs, &f.xy, &[]));
    std::fs::remove_dir_all(&f.dir).ok();
}

#[test]
fn columns_in_another_order_score_and_predict_as_the_original() {
    let f = files("names-order");
    for extra in [&[][..], &["--stream"][..]] {
        let want = score(&f.model, &f.xy, extra);
        assert_eq!(score(&f.model, &f.yx, extra), want, "{extra:?}");
        let per_point: Vec<&str> = [extra, &["--per-point"][..]].concat();
        assert_eq!(
            score(&f.model, &f.yx, &per_point),
            score(&f.model, &f.xy, &per_point),
            "{extra:?}"
        );
        let labels = |data: &Path| {
            let mut args = vec!["predict", s(&f.model), s(data), "--proba"];
            args.extend_from_slice(extra);
            ok(gmm(&args))
        };
        assert_eq!(labels(&f.yx), labels(&f.xy), "{extra:?}");
    }
    std::fs::remove_dir_all(&f.dir).ok();
}

#[test]
fn a_file_lacking_a_feature_is_an_error_naming_it_and_the_file() {
    let f = files("names-missing");
    let lacking = f.dir.join("lacking.csv");
    write_csv(&lacking, &points(), &[("x", 0), ("z", 1)]);
    for command in ["score", "predict"] {
        for extra in [&[][..], &["--stream"][..]] {
            let mut args = vec![command, s(&f.model), s(&lacking)];
            args.extend_from_slice(extra);
            let out = gmm(&args);
            assert_eq!(out.status.code(), Some(1), "{command} {extra:?}");
            let e = stderr(&out);
            assert!(
                e.contains("lacking.csv")
                    && e.contains("feature \"y\"")
                    && e.contains("with --columns"),
                "{command} {extra:?}: {e}"
            );
            assert!(stdout(&out).is_empty(), "{command} {extra:?}");
        }
    }
    std::fs::remove_dir_all(&f.dir).ok();
}

#[test]
fn unnamed_data_and_unnamed_models_go_by_position() {
    let f = files("names-position");
    let data = points();
    let want = score(&f.model, &f.xy, &[]);
    // a .npy file has no names: its columns are the model's features in order
    let npy = f.dir.join("xy.npy");
    let mut w = NpyWriter::create(&npy, data.n_samples() as u64, 2, NpyDtype::F64).unwrap();
    w.write_rows(data.as_slice()).unwrap();
    w.finish().unwrap();
    assert_eq!(score(&f.model, &npy, &[]), want);
    // a CSV file without a header alike
    let bare = f.dir.join("bare.csv");
    let text = std::fs::read_to_string(&f.xy).unwrap();
    std::fs::write(&bare, text.split_once('\n').unwrap().1).unwrap();
    assert_eq!(score(&f.model, &bare, &[]), want);
    // a model file without names (written before they were recorded): by position, as
    // before, so a file of two columns in another order is read as it stands
    let mut old = load(&f.model);
    old.as_object_mut().unwrap().remove("feature_names");
    let old_model = f.dir.join("old.json");
    std::fs::write(&old_model, old.to_string()).unwrap();
    assert_eq!(score(&old_model, &f.xy, &[]), want);
    let swapped = f.dir.join("swapped.csv");
    write_csv(&swapped, &data, &[("y", 1), ("x", 0)]);
    assert_ne!(score(&old_model, &swapped, &[]), want);
    assert_eq!(score(&f.model, &swapped, &[]), want);
    std::fs::remove_dir_all(&f.dir).ok();
}

#[test]
fn the_user_s_columns_win_with_a_warning_when_they_are_not_the_features() {
    let f = files("names-columns");
    let out = gmm(&["score", s(&f.model), s(&f.yx), "--columns", "x,y"]);
    assert_eq!(stdout(&out), score(&f.model, &f.xy, &[]));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    // other names: read as named, by position against the model, with a warning
    let out = gmm(&["score", s(&f.model), s(&f.yx), "--columns", "id,y"]);
    assert_eq!(stdout(&out), score(&f.model, &f.xy, &[]));
    let e = stderr(&out);
    assert!(
        e.contains("warning: --columns id,y are not the model's features x,y"),
        "{e}"
    );
    // a different count is refused, as always
    let out = gmm(&["score", s(&f.model), s(&f.yx), "--columns", "x"]);
    assert_eq!(out.status.code(), Some(1));
    std::fs::remove_dir_all(&f.dir).ok();
}

#[test]
fn parquet_columns_are_read_by_the_model_s_names() {
    let f = files("names-parquet");
    let data = points();
    let path = f.dir.join("yx.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("y", DataType::Float64, false),
        Field::new("x", DataType::Float64, false),
    ]));
    let column = |j: usize| -> ArrayRef {
        Arc::new(Float64Array::from(
            data.rows().map(|p| p[j]).collect::<Vec<_>>(),
        ))
    };
    let batch = RecordBatch::try_new(schema.clone(), vec![column(1), column(0)]).unwrap();
    let mut w = ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let want = score(&f.model, &f.xy, &[]);
    assert_eq!(score(&f.model, &path, &[]), want);
    assert_eq!(score(&f.model, &path, &["--stream"]), want);
    // a model fitted on the Parquet file records its names, in the file's order
    let model = f.dir.join("pq.json");
    ok(gmm(&[
        "fit",
        s(&path),
        "--method",
        "em",
        "-k",
        "3",
        "--seed",
        "1",
        "-o",
        s(&model),
    ]));
    assert_eq!(load(&model)["feature_names"], serde_json::json!(["y", "x"]));
    assert_eq!(score(&model, &f.yx, &[]), score(&model, &path, &[]));
    std::fs::remove_dir_all(&f.dir).ok();
}
