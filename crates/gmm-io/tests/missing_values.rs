//! Missing values in data files (issue 25): CSV cells of `MISSING_CELLS`, Parquet nulls and
//! .npy NaN read as NaN under `MissingPolicy::Marginalise`, in memory and streamed alike;
//! refused otherwise with an error naming the option; a weight is never missing.

use std::path::{Path, PathBuf};

use gmm_core::{GmmError, MissingPolicy, Passes};
use gmm_io::SourceOptions;
use gmm_test_support::scratch_dir;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn options(missing: MissingPolicy) -> SourceOptions {
    SourceOptions {
        missing,
        ..SourceOptions::default()
    }
}

/// The values a streamed read of `path` hands out.
fn streamed(path: &Path, missing: MissingPolicy) -> Result<Vec<f64>, GmmError> {
    let mut source = gmm_io::open_source(path, &options(missing))?;
    let mut values = Vec::new();
    Passes::new(source.as_mut()).run(2, &mut |batch| {
        values.extend_from_slice(&batch.points.widened());
        Ok(())
    })?;
    Ok(values)
}

/// `a` and `b` hold the same values, NaN at the same places.
fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

#[cfg(feature = "csv")]
/// `path` read whole and streamed under `Marginalise` gives `expected` (NaN where a value is
/// missing); read under `Refuse` it is an error naming `cause` and the option.
fn read_with_and_without_the_policy(path: &Path, expected: &[f64], cause: &str) {
    let data = gmm_io::read_dataset(path, &options(MissingPolicy::Marginalise)).unwrap();
    assert!(data.has_missing() && same(data.as_slice(), expected));
    assert!(same(
        &streamed(path, MissingPolicy::Marginalise).unwrap(),
        expected
    ));
    let err = gmm_io::read_dataset(path, &options(MissingPolicy::Refuse)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(cause) && text.contains("--missing marginalise"),
        "{text}"
    );
}

#[test]
fn csv_missing_cells_are_nan_under_the_policy_and_refused_naming_it_without() {
    let dir = scratch_dir("io-missing-csv");
    let nan = f64::NAN;
    let text = "x,y,z\n1,,3\nNA,5,6\n7,NaN,nan\n10,11,NAN\n13,14,15\n";
    let path = write(&dir, "holes.csv", text.as_bytes());
    let expected = [
        1.0, nan, 3.0, nan, 5.0, 6.0, 7.0, nan, nan, 10.0, 11.0, nan, 13.0, 14.0, 15.0,
    ];
    let data = gmm_io::read_dataset(&path, &options(MissingPolicy::Marginalise)).unwrap();
    assert!(data.has_missing());
    assert!(same(data.as_slice(), &expected));
    assert!(same(
        &streamed(&path, MissingPolicy::Marginalise).unwrap(),
        &expected
    ));

    for read in [
        gmm_io::read_dataset(&path, &options(MissingPolicy::Refuse)).map(|_| ()),
        streamed(&path, MissingPolicy::Refuse).map(|_| ()),
    ] {
        let err = read.unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(
                err,
                GmmError::DataFile {
                    line: 2,
                    column: 2,
                    ..
                }
            ),
            "{text}"
        );
        assert!(text.contains("--missing marginalise"), "{text}");
    }

    // a row without an observed value is refused, by its data row
    let path = write(&dir, "empty_row.csv", b"x,y\n1,2\nNA,\n");
    let err = gmm_io::read_dataset(&path, &options(MissingPolicy::Marginalise)).unwrap_err();
    assert!(err.to_string().contains("data row 2"), "{err}");
    assert!(err.to_string().contains("every value is missing"), "{err}");
    // inf stays refused; "N/A" is not a missing cell
    for cell in ["inf", "N/A"] {
        let path = write(&dir, "bad.csv", format!("x,y\n1,2\n{cell},3\n").as_bytes());
        let err = gmm_io::read_dataset(&path, &options(MissingPolicy::Marginalise)).unwrap_err();
        assert!(
            matches!(
                err,
                GmmError::DataFile {
                    line: 3,
                    column: 1,
                    ..
                }
            ),
            "{err}"
        );
    }
    // a weight is never missing
    let path = write(&dir, "weights.csv", b"x,y,w\n1,2,1\n3,,\n");
    let mut marginalising = options(MissingPolicy::Marginalise);
    marginalising.selection.columns = Some(vec!["x".into(), "y".into()]);
    marginalising.selection.weight_column = Some("w".into());
    let err = gmm_io::read_dataset(&path, &marginalising).unwrap_err();
    assert!(
        matches!(
            err,
            GmmError::DataFile {
                line: 3,
                column: 3,
                ..
            }
        ),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "npy")]
#[test]
fn npy_nan_is_missing_under_the_policy_and_refused_naming_it_without() {
    let dir = scratch_dir("io-missing-npy");
    let path = dir.join("holes.npy");
    let values = [1.0, f64::NAN, 3.0, 4.0];
    let mut w = gmm_io::NpyWriter::create(&path, 2, 2, gmm_io::NpyDtype::F64).unwrap();
    w.write_rows(&values).unwrap();
    w.finish().unwrap();
    read_with_and_without_the_policy(&path, &values, "data row 1");
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_nulls_are_missing_under_the_policy_and_refused_naming_it_without() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, RecordBatch};
    use arrow_schema::{DataType, Field, Schema};

    let dir = scratch_dir("io-missing-parquet");
    let path = dir.join("holes.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("x", DataType::Float64, true),
        Field::new("y", DataType::Float64, true),
    ]));
    let x: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.0), None, Some(5.0)]));
    let y: ArrayRef = Arc::new(Float64Array::from(vec![Some(2.0), Some(4.0), None]));
    let batch = RecordBatch::try_new(schema.clone(), vec![x, y]).unwrap();
    let file = std::fs::File::create(&path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let nan = f64::NAN;
    let expected = [1.0, 2.0, nan, 4.0, 5.0, nan];
    read_with_and_without_the_policy(&path, &expected, "null");
    std::fs::remove_dir_all(&dir).ok();
}
