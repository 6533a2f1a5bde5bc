//! Hostile files and file systems through the readers (issue 22): ambiguous names, pipes,
//! wide rows and columns that are not numbers get a typed error naming the file (or are
//! read right), never a panic or a silently different data set. See docs/testing.md
//! ("Hostile readers").

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use gmm_core::GmmError;
use gmm_io::{ColumnSelection, SourceOptions};
use gmm_test_support::scratch_dir;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn columns(names: &[&str]) -> SourceOptions {
    SourceOptions {
        selection: ColumnSelection {
            columns: Some(names.iter().map(|s| s.to_string()).collect()),
            weight_column: None,
        },
        weights: None,
    }
}

/// The message of an error, or a panic naming what was expected.
fn message<T>(result: Result<T, GmmError>, what: &str) -> String {
    match result {
        Err(e) => e.to_string(),
        Ok(_) => panic!("{what}: expected an error"),
    }
}

#[cfg(feature = "npy")]
#[test]
fn an_npy_header_with_a_key_twice_is_refused_naming_the_key() {
    let dir = scratch_dir("io-readers-npy-keys");
    // NumPy reads the last 'shape' (300, 2); the first says (600, 1)
    let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (600, 1), 'shape': (300, 2), }";
    let total = (10 + dict.len() + 1).div_ceil(64) * 64;
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    bytes.resize(total - 1, b' ');
    bytes.push(b'\n');
    bytes.extend((0..600).flat_map(|i| f64::from(i).to_le_bytes()));
    let path = write(&dir, "twice.npy", &bytes);
    match gmm_io::NpyFile::open(&path) {
        Err(GmmError::BinaryFile {
            path: p,
            place,
            reason,
        }) => {
            assert!(p.ends_with("twice.npy"));
            assert_eq!(place, "header");
            assert!(reason.contains("\"shape\" twice"), "{reason}");
        }
        other => panic!("expected BinaryFile, got {:?}", other.map(|f| f.n_rows())),
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "csv")]
#[test]
fn a_csv_column_name_used_twice_is_refused_when_it_selects() {
    let dir = scratch_dir("io-readers-csv-twice");
    let path = write(&dir, "twice.csv", b"x,y,x\n1,2,3\n4,5,6\n");
    let e = message(
        gmm_io::read_dataset(&path, &columns(&["x", "y"])),
        "x twice",
    );
    assert!(
        e.contains("twice.csv") && e.contains("two columns named \"x\" (columns 1 and 3)"),
        "{e}"
    );
    // y names one column: read
    let data = gmm_io::read_dataset(&path, &columns(&["y"])).unwrap();
    assert_eq!(data.as_slice(), &[2.0, 5.0]);
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "parquet")]
#[test]
fn a_parquet_column_name_used_twice_is_refused_when_it_selects() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, RecordBatch};
    use arrow_schema::{DataType, Field, Schema};

    let dir = scratch_dir("io-readers-parquet-twice");
    let path = dir.join("twice.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("x", DataType::Float64, false),
        Field::new("y", DataType::Float64, false),
        Field::new("x", DataType::Float64, false),
    ]));
    let col = |v: [f64; 2]| -> ArrayRef { Arc::new(Float64Array::from(v.to_vec())) };
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![col([1.0, 4.0]), col([2.0, 5.0]), col([3.0, 6.0])],
    )
    .unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None)
            .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let e = message(
        gmm_io::read_dataset(&path, &columns(&["x", "y"])),
        "x twice",
    );
    assert!(
        e.contains("twice.parquet") && e.contains("two columns named \"x\" (columns 1 and 3)"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
