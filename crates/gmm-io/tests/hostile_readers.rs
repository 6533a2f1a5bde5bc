//! Hostile files and file systems through the readers (issue 22): ambiguous names, pipes,
//! wide rows and columns that are not numbers get a typed error naming the file (or are
//! read right), never a panic or a silently different data set. See docs/testing.md
//! ("Hostile readers").

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use gmm_core::{GmmError, Passes};
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
            feature_names: None,
        },
        weights: None,
        max_memory: None,
        precision: gmm_core::Precision::F64,
        missing: gmm_core::MissingPolicy::Refuse,
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

/// A FIFO at `dir/name` (made by `mkfifo`).
#[cfg(unix)]
fn fifo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo failed");
    path
}

/// Writes `bytes` into the FIFO `path` from another thread (which waits for a reader).
#[cfg(unix)]
fn feed(path: &Path, bytes: Vec<u8>) -> std::thread::JoinHandle<()> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        // a reader that stops early closes the pipe: not this test's failure
        let _ = f.write_all(&bytes);
    })
}

/// `f()` on another thread, or a panic after `seconds` (a read that hangs on a pipe).
#[cfg(unix)]
fn within<T: Send + 'static>(seconds: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(seconds))
        .expect("the read hung")
}

/// A CSV file of `n` rows `i, -i/2` with a header, and its values.
fn csv_rows(n: usize) -> (Vec<u8>, Vec<f64>) {
    let mut text = String::from("x,y\n");
    let mut values = Vec::new();
    for i in 0..n {
        text.push_str(&format!("{i},{}\n", -(i as f64) / 2.0));
        values.extend([i as f64, -(i as f64) / 2.0]);
    }
    (text.into_bytes(), values)
}

#[cfg(all(unix, feature = "csv"))]
#[test]
fn a_pipe_is_read_once_in_memory_and_refused_for_a_second_pass() {
    let dir = scratch_dir("io-readers-pipe");
    // more than the 64 KB a reader buffers: a second opening would see only the rest
    let (bytes, values) = csv_rows(20_000);

    let path = fifo(&dir, "points.csv");
    let writer = feed(&path, bytes.clone());
    let p = path.clone();
    let data = within(20, move || {
        gmm_io::read_dataset(&p, &SourceOptions::default())
    })
    .unwrap();
    writer.join().unwrap();
    assert_eq!(data.as_slice(), &values[..]);

    // weights from a pipe too
    let weights = fifo(&dir, "weights.txt");
    let file = write(&dir, "file.csv", &bytes);
    let w_text: String = (0..20_000).map(|i| format!("{}\n", i % 3)).collect();
    let writer = feed(&weights, w_text.into_bytes());
    let options = SourceOptions {
        weights: Some(weights.clone()),
        ..SourceOptions::default()
    };
    let data = within(20, move || gmm_io::read_dataset(&file, &options)).unwrap();
    writer.join().unwrap();
    let want: Vec<f64> = (0..20_000).map(|i| f64::from(i % 3)).collect();
    assert_eq!(data.weights(), Some(&want[..]));

    // a streamed fit's second pass is refused, naming the pipe
    let writer = feed(&path, bytes);
    let p = path.clone();
    let e = within(20, move || {
        let mut source = gmm_io::open_source(&p, &SourceOptions::default())?;
        let mut passes = Passes::new(source.as_mut());
        passes.run(1000, &mut |_| Ok(()))?;
        passes.run(1000, &mut |_| Ok(())).map(|_| ())
    });
    writer.join().unwrap();
    let e = message(e, "a second pass over a pipe");
    assert!(
        e.contains("points.csv") && e.contains("is a pipe") && e.contains("save it to a file"),
        "{e}"
    );

    // checked before anything is read, without opening (nobody writes now: no hang)
    let e = message(
        gmm_io::check_rereadable(&path),
        "check_rereadable on a pipe",
    );
    assert!(
        e.contains("points.csv: is a pipe, which can be read only once"),
        "{e}"
    );
    gmm_io::check_rereadable(&dir.join("file.csv")).unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(all(unix, feature = "npy"))]
#[test]
fn a_pipe_given_as_npy_is_refused_without_waiting_for_a_writer() {
    let dir = scratch_dir("io-readers-pipe-npy");
    let path = fifo(&dir, "points.npy");
    let p = path.clone();
    let e = message(
        within(20, move || gmm_io::NpyFile::open(&p).map(|_| ())),
        "a .npy pipe",
    );
    assert!(
        e.contains("points.npy: is a pipe") && e.contains("save it to a file first"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(all(unix, feature = "csv"))]
#[test]
fn dev_null_is_an_empty_file_and_not_rereadable() {
    let null = Path::new("/dev/null");
    match gmm_io::read_dataset(null, &SourceOptions::default()) {
        Err(GmmError::DataFile { path, reason, .. }) => {
            assert_eq!(path, "/dev/null");
            assert!(reason.contains("no data rows"), "{reason}");
        }
        other => panic!("expected DataFile, got {other:?}"),
    }
    let e = message(gmm_io::check_rereadable(null), "/dev/null");
    assert!(e.contains("/dev/null: is a character device"), "{e}");
}

/// Two rows of 200,000 values: `row * 1e-3 + j * 1e-6`.
fn wide_values() -> Vec<f64> {
    (0..2)
        .flat_map(|r| (0..200_000).map(move |j| f64::from(r) * 1e-3 + f64::from(j) * 1e-6))
        .collect()
}

/// A streamed pass in batches of 65,536 rows (a `--stream` summary) and the in-memory read
/// of `path` give the values: the readers do not hold 65,536 x 200,000 values for 2 rows.
fn assert_wide_file_reads(path: &Path) {
    let want = wide_values();
    let mut source = gmm_io::open_source(path, &SourceOptions::default()).unwrap();
    assert_eq!(source.n_features(), 200_000);
    let summary = Passes::new(source.as_mut()).summary().unwrap();
    assert_eq!(summary.n_samples, 2);
    let mut seen = Vec::new();
    Passes::new(source.as_mut())
        .run(1 << 16, &mut |batch| {
            seen.extend_from_slice(&batch.points.widened());
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, want);
    let data = gmm_io::read_dataset(path, &SourceOptions::default()).unwrap();
    assert_eq!(data.as_slice(), &want[..]);
}

#[cfg(feature = "csv")]
#[test]
fn a_wide_csv_file_is_read_without_a_buffer_of_the_rows_asked_for() {
    let dir = scratch_dir("io-readers-wide-csv");
    let values = wide_values();
    let mut text = String::new();
    for row in values.chunks(200_000) {
        let cells: Vec<String> = row.iter().map(|v| gmm_io::shortest(*v)).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    let path = write(&dir, "wide.csv", text.as_bytes());
    assert_wide_file_reads(&path);
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "parquet")]
#[test]
fn a_wide_parquet_file_is_read_without_a_buffer_of_the_rows_asked_for() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, RecordBatch};
    use arrow_schema::{DataType, Field, Schema};

    let dir = scratch_dir("io-readers-wide-parquet");
    let path = dir.join("wide.parquet");
    let values = wide_values();
    let d = 200_000;
    let schema = Arc::new(Schema::new(
        (0..d)
            .map(|j| Field::new(format!("c{j}"), DataType::Float64, false))
            .collect::<Vec<_>>(),
    ));
    let columns: Vec<ArrayRef> = (0..d)
        .map(|j| Arc::new(Float64Array::from(vec![values[j], values[d + j]])) as ArrayRef)
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None)
            .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    assert_wide_file_reads(&path);
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "csv")]
#[test]
fn a_csv_column_whose_first_value_is_not_a_number_is_an_error_not_dropped() {
    let dir = scratch_dir("io-readers-csv-first");
    for (first, name) in [("NA", "na"), ("1.5e", "typo"), ("\"1,000.5\"", "comma")] {
        let text = format!("x,y\n1,{first}\n2,3\n4,5\n");
        let path = write(&dir, &format!("{name}.csv"), text.as_bytes());
        for stream in [false, true] {
            let result = if stream {
                gmm_io::open_source(&path, &SourceOptions::default())
                    .and_then(|mut s| Passes::new(s.as_mut()).run(64, &mut |_| Ok(())).map(|_| ()))
            } else {
                gmm_io::read_dataset(&path, &SourceOptions::default()).map(|_| ())
            };
            match result {
                Err(GmmError::DataFile {
                    path: p,
                    line,
                    column,
                    reason,
                }) => {
                    assert!(p.ends_with(&format!("{name}.csv")));
                    assert_eq!((line, column), (2, 2), "{name}");
                    // "NA" marks a missing value, refused naming how to read it as one
                    let what = if name == "na" {
                        "--missing marginalise"
                    } else {
                        "not a number"
                    };
                    assert!(
                        reason.contains(what)
                            && reason.contains("(column \"y\")")
                            && reason.contains("--columns"),
                        "{reason}"
                    );
                }
                other => panic!("{name}: expected DataFile, got {:?}", other.err()),
            }
        }
        // the column left out by name: read
        let data = gmm_io::read_dataset(&path, &columns(&["x"])).unwrap();
        assert_eq!(data.as_slice(), &[1.0, 2.0, 4.0]);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "parquet")]
#[test]
fn a_parquet_column_that_is_not_numeric_is_named_not_skipped() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};

    let dir = scratch_dir("io-readers-parquet-text");
    for (kind, array, t) in [
        (
            "text",
            Arc::new(StringArray::from(vec!["1.5", "2.5"])) as ArrayRef,
            DataType::Utf8,
        ),
        (
            "bool",
            Arc::new(BooleanArray::from(vec![true, false])) as ArrayRef,
            DataType::Boolean,
        ),
    ] {
        let path = dir.join(format!("{kind}.parquet"));
        let schema = Arc::new(Schema::new(vec![
            Field::new("x", DataType::Float64, false),
            Field::new("y", t, false),
        ]));
        let x: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 2.0]));
        let batch = RecordBatch::try_new(schema.clone(), vec![x, array]).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(
            std::fs::File::create(&path).unwrap(),
            schema,
            None,
        )
        .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let e = message(gmm_io::read_dataset(&path, &SourceOptions::default()), kind);
        assert!(
            e.contains("column \"y\" (column 2)") && e.contains(&format!("{kind}.parquet")),
            "{e}"
        );
        // not selected: read
        let data = gmm_io::read_dataset(&path, &columns(&["x"])).unwrap();
        assert_eq!(data.as_slice(), &[1.0, 2.0]);
    }
    std::fs::remove_dir_all(&dir).ok();
}
