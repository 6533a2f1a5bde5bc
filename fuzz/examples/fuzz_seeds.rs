//! Writes the seed corpora of the fuzz targets: a few small valid inputs of each reader,
//! under `seeds/<target>/` (committed; docs/testing.md, "Fuzzing"). Run from `fuzz/`:
//!
//!     cargo run --example fuzz_seeds
//!
//! The same files every time (fixed seeds). The Parquet and weights targets read their
//! first byte as a choice (columns and batch size; points and batch size): their seeds
//! start with one, then the file.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float32Array, Float64Array, Int32Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use gmm_core::{CovarianceType, FittedModel, synthetic};
use gmm_em::EmParams;
use gmm_io::{NpyDtype, NpyWriter};
use gmm_vb::VbParams;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

/// Writes every target's seeds under `seeds/`.
fn main() {
    let root = Path::new("seeds");
    csv(&root.join("csv_reader"));
    npy(&root.join("npy"));
    parquet(&root.join("parquet"));
    weights(&root.join("weights_file"));
    models(&root.join("model_file"));
}

/// Writes `bytes` to `dir/name`, making `dir`.
fn put(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).expect("a seed directory");
    std::fs::write(dir.join(name), bytes).expect("a seed file");
}

/// CSV data files (with and without a header, quoted, CRLF) and a label file.
fn csv(dir: &Path) {
    put(dir, "header.csv", b"height,weight\n1.62,55\n1.80,79.5\n");
    put(dir, "plain.csv", b"1,2,3\n4,5,6\n-1e-3,2E5,0\n");
    put(
        dir,
        "quoted.csv",
        b"\"a\",\"b\"\r\n\"1.5\",\" 2\"\r\n3,4\r\n",
    );
    put(dir, "labels.csv", b"\x03label\n0\n1\n2\n");
}

/// .npy files: f8 and f4 by the library's writer, 1-D, big-endian, a version 2.0 header.
fn npy(dir: &Path) {
    let scratch = std::env::temp_dir().join(format!("gmm-fuzz-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("a scratch directory");
    for (name, n, d, dtype) in [
        ("f8_3x2.npy", 3u64, 2usize, NpyDtype::F64),
        ("f4_4x3.npy", 4, 3, NpyDtype::F32),
    ] {
        let path = scratch.join(name);
        let mut w = NpyWriter::create(&path, n, d, dtype).expect("a .npy writer");
        let values: Vec<f64> = (0..n as usize * d).map(|i| i as f64 * 0.5 - 1.0).collect();
        w.write_rows(&values).expect("rows");
        w.finish().expect("a .npy file");
        put(dir, name, &std::fs::read(&path).expect("the file written"));
    }
    std::fs::remove_dir_all(&scratch).ok();
    // what NumPy writes besides: a 1-D array, big-endian values, a version 2.0 header
    put(
        dir,
        "f8_1d.npy",
        &npy_bytes(
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
            &le8(&[1.0, 2.5, -3.0]),
        ),
    );
    put(
        dir,
        "f8_big_endian.npy",
        &npy_bytes(
            1,
            "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 1), }",
            &[1.5f64.to_be_bytes(), (-2.0f64).to_be_bytes()].concat(),
        ),
    );
    put(
        dir,
        "v2_f4.npy",
        &npy_bytes(
            2,
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }",
            &[1.0f32.to_le_bytes(), 2.0f32.to_le_bytes()].concat(),
        ),
    );
}

/// Little-endian bytes of `values`.
fn le8(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A .npy file of format `major`.0 with the header `dict` and the data `data`.
fn npy_bytes(major: u8, dict: &str, data: &[u8]) -> Vec<u8> {
    let prefix = if major == 1 { 10 } else { 12 };
    let mut header = dict.to_string();
    while (prefix + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY".to_vec();
    out.extend_from_slice(&[major, 0]);
    if major == 1 {
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// Parquet files: plain, several row groups, Snappy, dictionary-encoded Int64.
fn parquet(dir: &Path) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("x", DataType::Float64, false),
        Field::new("y", DataType::Float32, true),
        Field::new("n", DataType::Int32, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Float64Array::from(vec![0.5, 1.5, -2.0, 4.0, 1e-3])),
        Arc::new(Float32Array::from(vec![
            Some(1.0),
            Some(2.0),
            Some(3.0),
            Some(4.5),
            Some(5.0),
        ])),
        Arc::new(Int32Array::from(vec![3, 1, 0, 2, 1])),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).expect("a batch");
    let plain = WriterProperties::builder()
        .set_dictionary_enabled(false)
        .build();
    let groups = WriterProperties::builder()
        .set_max_row_group_row_count(Some(2))
        .build();
    let snappy = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    for (name, choice, props) in [
        ("plain.parquet", 0u8, plain),
        ("row_groups_weighted.parquet", 3, groups),
        ("snappy_weighted.parquet", 5, snappy),
    ] {
        let mut bytes = vec![choice];
        let mut w =
            ArrowWriter::try_new(&mut bytes, schema.clone(), Some(props)).expect("a writer");
        w.write(&batch).expect("a batch written");
        w.close().expect("a Parquet file");
        put(dir, name, &bytes);
    }
    // one Int64 column, dictionary-encoded (the writer's default)
    let schema = Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, false)]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from(vec![7, 7, 8, 7, 9, 8])) as ArrayRef],
    )
    .expect("a batch");
    let mut bytes = vec![2u8];
    let mut w = ArrowWriter::try_new(&mut bytes, schema, None).expect("a writer");
    w.write(&batch).expect("a batch written");
    w.close().expect("a Parquet file");
    put(dir, "dictionary.parquet", &bytes);
}

/// Weights files: plain, with a header, CRLF, values near the largest f64.
fn weights(dir: &Path) {
    put(dir, "three.txt", b"\x02 1\n2.5\n0\n");
    put(dir, "header.txt", b"\x21weight\n1\n1e-3\n");
    put(dir, "crlf.txt", b"\x01 3\r\n4\r\n");
    put(dir, "big.txt", b"\x12 1e300\n1e308\n0.5\n");
}

/// Model files: an EM fit of each covariance type, a VB fit with and without its
/// posterior, a plain mixture.
fn models(dir: &Path) {
    let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 60, 1).expect("a sample");
    for ct in CovarianceType::ALL {
        let fit = EmParams::new(2)
            .covariance_type(ct)
            .seed(1)
            .max_iter(5)
            .fit(&sample.data)
            .expect("an EM fit");
        put(
            dir,
            &format!("em_{ct:?}.json").to_lowercase(),
            fit.to_model_file().to_json().as_bytes(),
        );
    }
    let vb = VbParams::new(2)
        .seed(1)
        .max_iter(5)
        .fit(&sample.data)
        .expect("a VB fit");
    let text = vb.to_model_file().to_json();
    put(dir, "vb_full.json", text.as_bytes());
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    value
        .as_object_mut()
        .expect("an object")
        .remove("posterior");
    put(
        dir,
        "vb_no_posterior.json",
        serde_json::to_string_pretty(&value)
            .expect("JSON")
            .as_bytes(),
    );
    put(
        dir,
        "plain.json",
        synthetic::two_d_three_clusters().to_json().as_bytes(),
    );
}
