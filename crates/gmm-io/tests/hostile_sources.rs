//! Hostile files read as streams: every bad .npy, Parquet or CSV input gets its typed error
//! naming the file (and the place), and a file changed between two passes is
//! `SourceChanged`. See docs/testing.md ("Data sources").

use std::path::Path;

use gmm_core::{DataSource, GmmError, Passes};
use gmm_io::ColumnSelection;
use gmm_test_support::scratch_dir;

/// One validated pass over `source`.
fn one_pass(source: &mut dyn DataSource) -> Result<(), GmmError> {
    Passes::new(source).run(64, &mut |_| Ok(())).map(|_| ())
}

/// Asserts that `result` is a `BinaryFile` error at a place containing `place`, whose
/// reason contains `needle`, and that the message names `path`.
#[cfg(any(feature = "npy", feature = "parquet"))]
fn assert_binary_error<T: std::fmt::Debug>(
    result: Result<T, GmmError>,
    path: &Path,
    place: &str,
    needle: &str,
) {
    match result {
        Err(e @ GmmError::BinaryFile { .. }) => {
            let GmmError::BinaryFile {
                path: p,
                place: at,
                reason,
            } = &e
            else {
                unreachable!()
            };
            assert_eq!(p, &path.display().to_string());
            assert!(
                at.contains(place),
                "place {at:?} does not contain {place:?}"
            );
            assert!(
                reason.contains(needle),
                "{reason:?} does not mention {needle:?}"
            );
            assert!(e.to_string().contains(&path.display().to_string()));
        }
        other => panic!(
            "{}: expected a BinaryFile error, got {other:?}",
            path.display()
        ),
    }
}

#[cfg(feature = "npy")]
mod npy {
    use super::*;
    use gmm_io::{NpyDtype, NpyFile, NpyWriter};

    /// A version 1.0 header of `dict`, padded to 64 bytes.
    fn header(dict: &str) -> Vec<u8> {
        let total = (10 + dict.len() + 1).div_ceil(64) * 64;
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&((total - 10) as u16).to_le_bytes());
        out.extend_from_slice(dict.as_bytes());
        out.resize(total - 1, b' ');
        out.push(b'\n');
        out
    }

    fn c_order(descr: &str, shape: &str) -> Vec<u8> {
        header(&format!(
            "{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
        ))
    }

    fn f8(values: &[f64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn bad_npy_files_get_typed_errors_naming_the_file() {
        let dir = scratch_dir("io-hostile-npy");
        let six = f8(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);

        // truncated: the header promises 3 x 2 values, 40 of 48 bytes are there
        let mut bytes = c_order("<f8", "(3, 2)");
        let offset = bytes.len();
        bytes.extend_from_slice(&six[..40]);
        let path = write(&dir, "truncated.npy", &bytes);
        assert_binary_error(
            NpyFile::open(&path),
            &path,
            &format!("byte {}", offset + 40),
            "truncated",
        );
        // and with bytes to spare
        let mut bytes = c_order("<f8", "(2, 2)");
        bytes.extend_from_slice(&six);
        let path = write(&dir, "long.npy", &bytes);
        assert_binary_error(NpyFile::open(&path), &path, "byte", "16 bytes more");

        // wrong dtypes are named
        for descr in ["<i8", "<f2", "<c16", "|u1", "<M8[ns]"] {
            let mut bytes = c_order(descr, "(3, 2)");
            bytes.extend_from_slice(&six);
            let path = write(&dir, "dtype.npy", &bytes);
            assert_binary_error(NpyFile::open(&path), &path, "header", &format!("'{descr}'"));
        }
        let mut bytes = header(
            "{'descr': [('a', '<f8'), ('b', '<f8')], 'fortran_order': False, 'shape': (3,), }",
        );
        bytes.extend_from_slice(&six);
        let path = write(&dir, "structured.npy", &bytes);
        assert_binary_error(NpyFile::open(&path), &path, "header", "('a', '<f8')");

        // Fortran order
        let mut bytes = header("{'descr': '<f8', 'fortran_order': True, 'shape': (3, 2), }");
        bytes.extend_from_slice(&six);
        let path = write(&dir, "fortran.npy", &bytes);
        assert_binary_error(NpyFile::open(&path), &path, "header", "Fortran");

        // bad headers
        let path = write(&dir, "magic.npy", b"PK\x03\x04 this is a zip file");
        assert_binary_error(
            NpyFile::open(&path),
            &path,
            "header",
            "not a NumPy .npy file",
        );
        let path = write(&dir, "short.npy", b"\x93NU");
        assert_binary_error(NpyFile::open(&path), &path, "header", "shorter");
        let path = write(&dir, "version.npy", b"\x93NUMPY\x09\x00\x10\x00");
        assert_binary_error(NpyFile::open(&path), &path, "header", "version 9.0");
        let mut huge = b"\x93NUMPY\x02\x00".to_vec();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        let path = write(&dir, "huge-header.npy", &huge);
        assert_binary_error(NpyFile::open(&path), &path, "header", "damaged");
        let mut cut = c_order("<f8", "(3, 2)");
        cut.truncate(30);
        let path = write(&dir, "cut-header.npy", &cut);
        assert_binary_error(NpyFile::open(&path), &path, "header", "truncated");
        for (name, dict) in [
            ("garbage.npy", "descr = f8"),
            ("no-shape.npy", "{'descr': '<f8', 'fortran_order': False, }"),
            (
                "3d.npy",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3, 2), }",
            ),
            (
                "scalar.npy",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
            ),
        ] {
            let mut bytes = header(dict);
            bytes.extend_from_slice(&six);
            let path = write(&dir, name, &bytes);
            assert_binary_error(NpyFile::open(&path), &path, "header", "");
        }
        let huge_shape = c_order("<f8", "(18446744073709551615, 2)");
        let path = write(&dir, "huge-shape.npy", &huge_shape);
        assert_binary_error(NpyFile::open(&path), &path, "header", "too large");

        // empty arrays
        let path = write(&dir, "empty.npy", &c_order("<f8", "(0, 2)"));
        assert_binary_error(NpyFile::open(&path), &path, "header", "holds no points");
        let path = write(&dir, "no-columns.npy", &c_order("<f8", "(3, 0)"));
        assert_binary_error(NpyFile::open(&path), &path, "header", "holds no points");

        // a NaN is located by the pass
        let mut bytes = c_order("<f8", "(3, 2)");
        bytes.extend_from_slice(&f8(&[1.0, 2.0, 3.0, f64::NAN, 5.0, 6.0]));
        let path = write(&dir, "nan.npy", &bytes);
        let err = one_pass(&mut NpyFile::open(&path).unwrap()).unwrap_err();
        assert!(
            matches!(
                err,
                GmmError::NonFinite {
                    row: 1,
                    column: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        // opened as a data file, the error names the file and counts from 1
        let options = gmm_io::SourceOptions::default();
        for err in [
            gmm_io::read_dataset(&path, &options).unwrap_err(),
            one_pass(&mut gmm_io::open_source(&path, &options).unwrap()).unwrap_err(),
        ] {
            assert_binary_error(
                Err::<(), _>(err.clone()),
                &path,
                "data row 2",
                "column 2 is NaN",
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_npy_file_changed_between_passes_is_an_error() {
        let dir = scratch_dir("io-changed-npy");
        let path = dir.join("points.npy");
        let write_rows = |n: u64| {
            let mut w = NpyWriter::create(&path, n, 2, NpyDtype::F64).unwrap();
            w.write_rows(&vec![0.5; n as usize * 2]).unwrap();
            w.finish().unwrap();
        };
        write_rows(100);
        let mut npy = NpyFile::open(&path).unwrap();
        let mut passes = Passes::new(&mut npy);
        passes.run(64, &mut |_| Ok(())).unwrap();
        write_rows(90);
        match passes.run(64, &mut |_| Ok(())) {
            Err(GmmError::SourceChanged { reason }) => {
                assert!(reason.contains(&path.display().to_string()), "{reason}");
                assert!(reason.contains("changed"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        // a writer that is not finished leaves nothing behind
        let partial = dir.join("partial.npy");
        let mut w = NpyWriter::create(&partial, 10, 2, NpyDtype::F64).unwrap();
        w.write_rows(&[1.0; 4]).unwrap();
        assert!(matches!(
            w.write_rows(&[1.0; 3]),
            Err(GmmError::ShapeMismatch { .. })
        ));
        assert!(matches!(w.finish(), Err(GmmError::ShapeMismatch { .. })));
        assert!(!partial.exists());
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(names.len(), 1, "only points.npy remains: {names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[cfg(feature = "parquet")]
mod parquet_files {
    use std::sync::Arc;

    use super::*;
    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use gmm_io::ParquetFile;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    /// Writes columns a (f64, nullable), b (f64), s (text) in row groups of 4 rows.
    fn write(path: &Path, a: Vec<Option<f64>>) {
        let n = a.len();
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Float64, true),
            Field::new("b", DataType::Float64, false),
            Field::new("s", DataType::Utf8, false),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Float64Array::from(a)),
            Arc::new(Float64Array::from(
                (0..n).map(|i| i as f64).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(vec!["t"; n])),
        ];
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(4))
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

    fn selection(columns: &[&str], weight: Option<&str>) -> ColumnSelection {
        ColumnSelection {
            columns: Some(columns.iter().map(|s| s.to_string()).collect()),
            weight_column: weight.map(str::to_string),
            feature_names: None,
        }
    }

    #[test]
    fn bad_parquet_files_get_typed_errors_naming_the_place() {
        let dir = scratch_dir("io-hostile-parquet");
        let path = dir.join("nulls.parquet");
        let mut a: Vec<Option<f64>> = (0..10).map(|i| Some(i as f64)).collect();
        a[6] = None;
        write(&path, a);

        // a null: row group 1 (rows 4..8), row 2 in it, row 6 of the file, column "a"
        let mut file = ParquetFile::open(&path, &selection(&["b", "a"], None)).unwrap();
        assert_binary_error(
            one_pass(&mut file),
            &path,
            "row group 1, row 2 (row 6 of the file), column \"a\"",
            "null",
        );
        // as a weight column too
        let mut file = ParquetFile::open(&path, &selection(&["b"], Some("a"))).unwrap();
        assert_binary_error(one_pass(&mut file), &path, "column \"a\"", "null");
        // the column without nulls reads
        let mut file = ParquetFile::open(&path, &selection(&["b"], None)).unwrap();
        one_pass(&mut file).unwrap();

        // missing and non-numeric columns: named, with the file's columns listed
        let message = |s: ColumnSelection| match ParquetFile::open(&path, &s) {
            Err(e @ GmmError::InvalidParameter { .. }) => e.to_string(),
            other => panic!("{other:?}"),
        };
        let missing = message(selection(&["b", "c"], None));
        assert!(missing.contains("no column \"c\""), "{missing}");
        assert!(missing.contains("\"a\", \"b\", \"s\""), "{missing}");
        assert!(missing.contains(&path.display().to_string()), "{missing}");
        let text = message(selection(&["s"], None));
        assert!(text.contains("\"s\"") && text.contains("Utf8"), "{text}");
        let weight = message(selection(&["a"], Some("count")));
        assert!(weight.contains("weight_column"), "{weight}");
        // by default every column is read: the text column is named, not left out silently
        let all = ParquetFile::open(&path, &ColumnSelection::all()).unwrap_err();
        assert!(all.to_string().contains("column \"s\" (column 3)"), "{all}");

        // not a Parquet file
        let bogus = dir.join("bogus.parquet");
        std::fs::write(&bogus, b"a,b\n1,2\n").unwrap();
        assert_binary_error(
            ParquetFile::open(&bogus, &ColumnSelection::all()),
            &bogus,
            "footer",
            "not a readable Parquet file",
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_parquet_file_changed_between_passes_is_an_error() {
        let dir = scratch_dir("io-changed-parquet");
        let path = dir.join("p.parquet");
        write(&path, (0..10).map(|i| Some(i as f64)).collect());
        let mut file = ParquetFile::open(&path, &selection(&["a"], None)).unwrap();
        let mut passes = Passes::new(&mut file);
        passes.run(3, &mut |_| Ok(())).unwrap();
        write(&path, (0..12).map(|i| Some(i as f64)).collect());
        let err = passes.run(3, &mut |_| Ok(())).unwrap_err();
        assert!(matches!(err, GmmError::SourceChanged { .. }), "{err:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[cfg(feature = "csv")]
mod csv_files {
    use super::*;
    use gmm_io::{CsvFile, WithWeightsFile};

    fn selection(columns: &[&str], weight: Option<&str>) -> ColumnSelection {
        ColumnSelection {
            columns: Some(columns.iter().map(|s| s.to_string()).collect()),
            weight_column: weight.map(str::to_string),
            feature_names: None,
        }
    }

    #[test]
    fn bad_csv_streams_get_the_readers_errors() {
        let dir = scratch_dir("io-hostile-csv-stream");
        let path = dir.join("d.csv");
        std::fs::write(&path, "a,b,w\n1,2,1\n3,4,1\n5,oops,1\n7,8\n").unwrap();
        // the cell is located as the in-memory reader locates it
        let mut csv = CsvFile::open(&path, &ColumnSelection::all()).unwrap();
        match one_pass(&mut csv).unwrap_err() {
            GmmError::DataFile { line, column, .. } => assert_eq!((line, column), (4, 2)),
            other => panic!("{other:?}"),
        }
        // an unselected column is not read, but a short row still is an error
        let mut csv = CsvFile::open(&path, &selection(&["a"], Some("w"))).unwrap();
        match one_pass(&mut csv).unwrap_err() {
            GmmError::DataFile { line, reason, .. } => {
                assert_eq!(line, 5);
                assert!(reason.contains("same number of columns"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let e = CsvFile::open(&path, &selection(&["a", "z"], None)).unwrap_err();
        assert!(e.to_string().contains("no column \"z\""), "{e}");
        // names need a header
        let plain = dir.join("plain.csv");
        std::fs::write(&plain, "1,2\n3,4\n").unwrap();
        let e = CsvFile::open(&plain, &selection(&["a"], None)).unwrap_err();
        assert!(e.to_string().contains("no header row"), "{e}");
        // no data rows
        let empty = dir.join("empty.csv");
        std::fs::write(&empty, "a,b\n\n").unwrap();
        let e = CsvFile::open(&empty, &ColumnSelection::all()).unwrap_err();
        assert!(e.to_string().contains("no data rows"), "{e}");
        // a negative weight is named by its line and column, counted from 1
        let neg = dir.join("neg.csv");
        std::fs::write(&neg, "a,w\n1,1\n2,-1\n").unwrap();
        let mut csv = CsvFile::open(&neg, &selection(&["a"], Some("w"))).unwrap();
        assert!(matches!(
            one_pass(&mut csv).unwrap_err(),
            GmmError::DataFile { line: 3, column: 2, reason, .. } if reason.contains("the weight -1 is negative")
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn weights_files_must_match_the_points() {
        let dir = scratch_dir("io-weights-file");
        let data = dir.join("d.csv");
        std::fs::write(&data, "1\n2\n3\n").unwrap();
        let check = |weights: &str, needle: &str| {
            let path = dir.join("w.txt");
            std::fs::write(&path, weights).unwrap();
            let csv = CsvFile::open(&data, &ColumnSelection::all()).unwrap();
            let mut source = WithWeightsFile::new(csv, &path).unwrap();
            let e = one_pass(&mut source).unwrap_err().to_string();
            assert!(e.contains(needle), "{weights:?}: {e}");
            assert!(e.contains(&path.display().to_string()), "{e}");
        };
        check("1\n2\n", "has 2 weights but the data have more points");
        check("1\n2\n3\n4\n", "more weights than the 3 points");
        check("1\nx\n3\n", "line 2");
        check("1,2\n1,2\n1,2\n", "one weight per line");
        // a negative weight is named by its line in the weights file, counted from 1
        check(
            "w\n1\n-1\n3\n",
            "line 3, column 1: the weight -1 is negative",
        );
        // weights whose total passes f64, read whole: left to Dataset::with_weights, which
        // divides them by the largest (Passes::rescaled_later)
        let huge = dir.join("huge.txt");
        std::fs::write(&huge, "1e308\n1.5e308\n0\n").unwrap();
        let options = gmm_io::SourceOptions {
            weights: Some(huge.clone()),
            ..gmm_io::SourceOptions::default()
        };
        let whole = gmm_io::read_dataset(&data, &options).unwrap();
        let w = whole.weights().unwrap();
        assert!(
            (w[0] - 2.0 / 3.0).abs() < 1e-15 && w[1] == 1.0 && w[2] == 0.0,
            "{w:?}"
        );
        let path = dir.join("w.txt");
        std::fs::write(&path, "w\n1\n0\n2.5\n").unwrap();
        let csv = CsvFile::open(&data, &ColumnSelection::all()).unwrap();
        let mut source = WithWeightsFile::new(csv, &path).unwrap();
        let summary = Passes::new(&mut source).summary().unwrap();
        assert_eq!((summary.total_weight, summary.n_counted), (3.5, 2));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_csv_file_changed_between_passes_is_an_error() {
        let dir = scratch_dir("io-changed-csv");
        let path = dir.join("d.csv");
        std::fs::write(&path, "1\n2\n3\n").unwrap();
        let mut csv = CsvFile::open(&path, &ColumnSelection::all()).unwrap();
        let mut passes = Passes::new(&mut csv);
        passes.run(2, &mut |_| Ok(())).unwrap();
        std::fs::write(&path, "1\n2\n3\n4\n").unwrap();
        let err = passes.run(2, &mut |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("d.csv changed"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Found by the `parquet` fuzz target (docs/testing.md, "Fuzzing"): a data page that says it
/// is dictionary-encoded in a column chunk without a dictionary page made the arrow-rs
/// decoder panic ("Decoder for dict should have been set"); the reader turns it into an
/// error naming the file.
#[cfg(feature = "parquet")]
#[test]
fn a_dictionary_page_missing_is_an_error_not_a_panic() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dictionary_page_missing.parquet");
    let options = gmm_io::SourceOptions::default();
    match gmm_io::read_dataset(&path, &options) {
        Err(GmmError::BinaryFile { path, reason, .. }) => {
            assert!(path.ends_with("dictionary_page_missing.parquet"), "{path}");
            // parquet 60.1 (this workspace's lock) refuses its footer; 60.2 (the fuzz
            // crate's) reads the footer and panicked decoding the page
            assert!(
                reason.contains("cannot decode the data") || reason.contains("not a readable"),
                "{reason}"
            );
        }
        other => panic!("expected BinaryFile, got {:?}", other.map(|_| ())),
    }
}

/// Found by the `parquet` fuzz target: a damaged file whose row groups promise 12 rows in
/// their metadata but whose pages decode to 5 was read as 5 points without an error; now
/// fewer rows than the metadata promise are an error naming the file.
#[cfg(feature = "parquet")]
#[test]
fn fewer_rows_than_the_metadata_promise_are_an_error() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fewer_rows_than_metadata.parquet");
    match gmm_io::read_dataset(&path, &gmm_io::SourceOptions::default()) {
        Err(GmmError::BinaryFile { path, .. }) => {
            assert!(path.ends_with("fewer_rows_than_metadata.parquet"), "{path}")
        }
        other => panic!("expected BinaryFile, got {:?}", other.map(|_| ())),
    }
}

/// Found by the `parquet` fuzz target (its third finding): a footer whose row groups claim
/// row counts that sum beyond any file made the decoder's own sum of the counts overflow (a
/// panic with overflow checks). The counts are summed with a check when the file is opened.
#[cfg(feature = "parquet")]
#[test]
fn row_counts_beyond_any_file_are_an_error() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/row_counts_overflow.parquet");
    for result in [
        gmm_io::read_dataset(&path, &gmm_io::SourceOptions::default()).map(|_| ()),
        gmm_io::ParquetFile::open(&path, &gmm_io::ColumnSelection::default()).map(|_| ()),
    ] {
        match result {
            Err(GmmError::BinaryFile { path, reason, .. }) => {
                assert!(path.ends_with("row_counts_overflow.parquet"), "{path}");
                assert!(reason.contains("damaged"), "{reason}");
            }
            other => panic!("expected BinaryFile, got {other:?}"),
        }
    }
}

/// Found by the `parquet` fuzz target (its fourth finding): a 1.5 KB file whose dictionary
/// page claims 845 million Int64 values made the decoder allocate 6.8 GB before reading
/// them. Such a page is refused when the file is opened.
#[cfg(feature = "parquet")]
#[test]
fn a_dictionary_claiming_more_values_than_it_holds_is_refused() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dictionary_count_too_large.parquet");
    match gmm_io::ParquetFile::open(&path, &gmm_io::ColumnSelection::default()) {
        Err(GmmError::BinaryFile { path, reason, .. }) => {
            assert!(
                path.ends_with("dictionary_count_too_large.parquet"),
                "{path}"
            );
            assert!(reason.contains("damaged"), "{reason}");
        }
        other => panic!("expected BinaryFile, got {:?}", other.map(|_| ())),
    }
}

/// Found by the `parquet` fuzz target (its fifth finding, from the check above): a footer
/// whose column chunk starts at a negative byte made the page reader assert (a panic).
/// Refused when the file is opened, naming the row group and column.
#[cfg(feature = "parquet")]
#[test]
fn a_column_chunk_at_a_negative_offset_is_refused() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/negative_column_start.parquet");
    match gmm_io::ParquetFile::open(&path, &gmm_io::ColumnSelection::default()) {
        Err(GmmError::BinaryFile { reason, place, .. }) => {
            assert!(place.contains("row group 0, column 1"), "{place}");
            assert!(reason.contains("starts at byte -6"), "{reason}");
        }
        other => panic!("expected BinaryFile, got {:?}", other.map(|_| ())),
    }
}
