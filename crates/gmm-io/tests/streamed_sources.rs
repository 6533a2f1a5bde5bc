//! Every file format read as a stream gives, through `EmParams::fit_source`, the fit of the
//! same numbers held in memory, bit for bit (with and without weights); f32 .npy data give
//! the fit of the f64 data cast from f32. Test files are written here, in a scratch
//! directory.

use std::path::Path;

use gmm_core::{
    CovarianceType, DataSource, Dataset, FittedModel, GaussianMixture, InitMethod, synthetic,
};
use gmm_em::{EmFit, EmParams};
use gmm_io::ColumnSelection;
use gmm_test_support::scratch_dir;
use nalgebra::DMatrix;

/// More points than one E-step batch, so that a pass hands out several batches.
const N: usize = 70_000;

fn points() -> Dataset {
    synthetic::draw(&synthetic::two_d_three_clusters(), N, 11)
        .unwrap()
        .data
}

/// Weights 0, 1, 2, 0.5 in turn.
fn weights() -> Vec<f64> {
    (0..N).map(|i| [0.0, 1.0, 2.0, 0.5][i % 4]).collect()
}

fn em(kind: CovarianceType) -> EmParams {
    let means = DMatrix::from_row_slice(3, 2, &[-3.0, 0.5, 0.5, 2.5, 3.0, -2.0]);
    EmParams::new(3)
        .covariance_type(kind)
        .init(InitMethod::FromMeans(means))
        .tol(0.0)
        .max_iter(4)
}

fn same_bits(a: &GaussianMixture, b: &GaussianMixture) -> bool {
    a.weights() == b.weights() && a.means() == b.means() && a.covariances() == b.covariances()
}

/// The streamed fit of `source` equals the in-memory fit of `data`, bit for bit, for every
/// covariance type.
fn assert_same_fit(source: &mut dyn DataSource, data: &Dataset, what: &str) {
    for kind in [
        CovarianceType::Full,
        CovarianceType::Tied,
        CovarianceType::Diagonal,
        CovarianceType::Spherical,
    ] {
        let memory: EmFit = em(kind).fit(data).unwrap();
        let streamed = em(kind).fit_source(source).unwrap();
        assert!(
            same_bits(memory.mixture(), streamed.mixture()),
            "{what}, {kind:?}"
        );
        assert_eq!(memory.lower_bounds(), streamed.lower_bounds(), "{what}");
    }
}

#[cfg(feature = "npy")]
fn write_npy(path: &Path, data: &Dataset, dtype: gmm_io::NpyDtype) {
    let mut w =
        gmm_io::NpyWriter::create(path, data.n_samples() as u64, data.n_features(), dtype).unwrap();
    // in blocks of rows, as a large file would be written
    for block in data.as_slice().chunks(1000 * data.n_features()) {
        w.write_rows(block).unwrap();
    }
    w.finish().unwrap();
}

#[cfg(feature = "npy")]
#[test]
fn npy_f64_and_f32_fit_as_in_memory() {
    use gmm_io::{NpyDtype, NpyFile};
    let dir = scratch_dir("io-npy-fit");
    let data = points();
    let path = dir.join("points.npy");
    write_npy(&path, &data, NpyDtype::F64);
    let mut npy = NpyFile::open(&path).unwrap();
    assert_eq!((npy.n_rows(), npy.n_features()), (N, 2));
    assert_same_fit(&mut npy, &data, "npy f8");

    let path32 = dir.join("points32.npy");
    write_npy(&path32, &data, NpyDtype::F32);
    let cast: Vec<f64> = data
        .as_slice()
        .iter()
        .map(|&v| f64::from(v as f32))
        .collect();
    let data32 = Dataset::from_row_major(N, 2, cast).unwrap();
    assert_ne!(data32, data, "the f32 values differ from the f64 ones");
    let mut npy = NpyFile::open(&path32).unwrap();
    assert_eq!(npy.dtype(), NpyDtype::F32);
    assert_same_fit(&mut npy, &data32, "npy f4");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "npy")]
#[test]
fn big_endian_and_one_dimensional_npy_read_the_same_numbers() {
    use gmm_io::NpyFile;
    let dir = scratch_dir("io-npy-be");
    let values: [f64; 6] = [1.5, -2.25, 1e-300, 7.0, 0.1, 3.0];
    let mut bytes = npy_header(">f8", "(3, 2)");
    values
        .iter()
        .for_each(|v| bytes.extend_from_slice(&v.to_be_bytes()));
    let path = dir.join("be.npy");
    std::fs::write(&path, &bytes).unwrap();
    let data = gmm_io::read_all(&mut NpyFile::open(&path).unwrap()).unwrap();
    assert_eq!(data.as_slice(), &values);

    let mut bytes = npy_header("<f4", "(6,)");
    values
        .iter()
        .for_each(|v| bytes.extend_from_slice(&(*v as f32).to_le_bytes()));
    let path = dir.join("one.npy");
    std::fs::write(&path, &bytes).unwrap();
    let data = gmm_io::read_all(&mut NpyFile::open(&path).unwrap()).unwrap();
    assert_eq!(data.n_features(), 1);
    let expected: Vec<f64> = values.iter().map(|&v| f64::from(v as f32)).collect();
    assert_eq!(data.as_slice(), &expected[..]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A version 1.0 header with `descr` and `shape`, C order, padded to 64 bytes.
#[cfg(feature = "npy")]
fn npy_header(descr: &str, shape: &str) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let total = (10 + dict.len() + 1).div_ceil(64) * 64;
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

#[cfg(feature = "csv")]
#[test]
fn csv_with_columns_and_weights_fits_as_in_memory() {
    use gmm_io::{CsvFile, WithWeightsFile, rows_to_csv};
    let dir = scratch_dir("io-csv-fit");
    let data = points();
    let w = weights();
    // columns in another order than wanted, a text column and a weight column
    let mut text = String::from("y,label,count,x\n");
    for (i, p) in data.rows().enumerate() {
        text.push_str(&format!("{},c{},{},{}\n", p[1], i % 3, w[i], p[0]));
    }
    let path = dir.join("points.csv");
    std::fs::write(&path, text).unwrap();
    let selection = ColumnSelection {
        columns: Some(vec!["x".into(), "y".into()]),
        weight_column: Some("count".into()),
        feature_names: None,
    };
    let weighted = data.clone().with_weights(w.clone()).unwrap();
    let mut csv = CsvFile::open(&path, &selection).unwrap();
    assert_eq!(csv.column_names(), vec!["x", "y"]);
    assert_same_fit(&mut csv, &weighted, "csv, weight column");

    // plain numbers without a header, weights from their own file
    let plain = dir.join("plain.csv");
    std::fs::write(&plain, rows_to_csv(&[], data.rows()).trim_start()).unwrap();
    let weights_path = dir.join("w.txt");
    let lines: String = w.iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(&weights_path, format!("weight\n{lines}")).unwrap();
    let csv = CsvFile::open(&plain, &ColumnSelection::all()).unwrap();
    assert_eq!(csv.column_names(), vec!["x1", "x2"]);
    let mut with_weights = WithWeightsFile::new(csv, &weights_path).unwrap();
    assert_same_fit(&mut with_weights, &weighted, "csv, weights file");
    let mut csv = CsvFile::open(&plain, &ColumnSelection::all()).unwrap();
    assert_same_fit(&mut csv, &data, "csv");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_over_several_row_groups_fits_as_in_memory() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float32Array, Float64Array, Int64Array, RecordBatch};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    let dir = scratch_dir("io-parquet-fit");
    // x as f64, y as integers (cast to f64 exactly), a weight column of f32
    let data = synthetic::draw(&synthetic::two_d_three_clusters(), N, 11)
        .unwrap()
        .data;
    let ys: Vec<i64> = data
        .rows()
        .map(|p| (p[1] * 1000.0).round() as i64)
        .collect();
    let xs: Vec<f64> = data.rows().map(|p| p[0]).collect();
    let w = weights();
    let schema = Arc::new(Schema::new(vec![
        Field::new("y", DataType::Int64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("x", DataType::Float64, false),
        Field::new("w", DataType::Float32, false),
    ]));
    let path = dir.join("points.parquet");
    // row groups of 25,000 rows, written in record batches of 10,000
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(25_000))
        .build();
    let mut writer = ArrowWriter::try_new(
        std::fs::File::create(&path).unwrap(),
        schema.clone(),
        Some(props),
    )
    .unwrap();
    for start in (0..N).step_by(10_000) {
        let end = (start + 10_000).min(N);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(ys[start..end].to_vec())),
            Arc::new(arrow_array::StringArray::from(vec!["p"; end - start])),
            Arc::new(Float64Array::from(xs[start..end].to_vec())),
            Arc::new(Float32Array::from(
                w[start..end].iter().map(|&v| v as f32).collect::<Vec<_>>(),
            )),
        ];
        writer
            .write(&RecordBatch::try_new(schema.clone(), columns).unwrap())
            .unwrap();
    }
    let metadata = writer.close().unwrap();
    assert!(metadata.num_row_groups() >= 3);

    let values: Vec<f64> = xs
        .iter()
        .zip(&ys)
        .flat_map(|(&x, &y)| [x, y as f64])
        .collect();
    let memory = Dataset::from_row_major(N, 2, values).unwrap();
    let selection = ColumnSelection {
        columns: Some(vec!["x".into(), "y".into()]),
        weight_column: Some("w".into()),
        feature_names: None,
    };
    let mut file = gmm_io::ParquetFile::open(&path, &selection).unwrap();
    assert_eq!(file.n_rows(), N as u64);
    let weighted = memory.clone().with_weights(w).unwrap();
    assert_same_fit(&mut file, &weighted, "parquet, weight column");

    // by default every column but the weights is read: the text column is an error that
    // names it (issue 22: never skipped silently) ...
    let Err(err) = gmm_io::ParquetFile::open(
        &path,
        &ColumnSelection {
            columns: None,
            weight_column: Some("w".into()),
            feature_names: None,
        },
    ) else {
        panic!("a text column is refused")
    };
    assert!(err.to_string().contains("\"name\""), "{err}");
    // ... and the numeric ones, named, are read in the order given
    let mut file = gmm_io::ParquetFile::open(
        &path,
        &ColumnSelection {
            columns: Some(vec!["y".into(), "x".into()]),
            weight_column: Some("w".into()),
            feature_names: None,
        },
    )
    .unwrap();
    assert_eq!(file.column_names(), vec!["y", "x"]);
    let swapped: Vec<f64> = memory.rows().flat_map(|p| [p[1], p[0]]).collect();
    let swapped = Dataset::from_row_major(N, 2, swapped).unwrap();
    let read = gmm_io::read_all(&mut file).unwrap();
    assert_eq!(read.as_slice(), swapped.as_slice());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "ndarray")]
#[test]
fn ndarray_views_of_any_layout_fit_as_in_memory() {
    use gmm_io::ArraySource;
    use ndarray::{Array1, Array2, ShapeBuilder};

    let data = points();
    let array = Array2::from_shape_vec((N, 2), data.as_slice().to_vec()).unwrap();
    let mut source = ArraySource::new(array.view()).unwrap();
    assert!(source.is_borrowed());
    assert_same_fit(&mut source, &data, "ndarray, standard layout");

    // the same numbers in Fortran (column-major) order: copied one batch at a time
    let mut fortran = Array2::<f64>::zeros((N, 2).f());
    fortran.assign(&array);
    let w = Array1::from(weights());
    let mut source = ArraySource::new(fortran.view())
        .unwrap()
        .with_weights(w.view())
        .unwrap();
    assert!(!source.is_borrowed());
    let weighted = data.clone().with_weights(weights()).unwrap();
    assert_same_fit(&mut source, &weighted, "ndarray, Fortran layout, weights");
}
