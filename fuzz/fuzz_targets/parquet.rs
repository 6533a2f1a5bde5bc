//! Fuzz target: the Parquet reader on arbitrary bytes, read in memory and by batches.
//!
//! The first byte chooses the columns (every numeric column, or the last one as a weight
//! column and the others as points) and the batch size; the rest is written to a scratch
//! file and read whole (`read_dataset`, within 64 MiB) and as a stream of batches
//! (`ParquetFile`). Whatever the bytes, each read returns data or a typed error, never a
//! panic; an opened file has columns and rows; a stream hands out its rows in order, in
//! batches of the size asked for, with one weight a row when a weight column was chosen;
//! when both reads succeed they agree bit for bit (weights rescaled as `rescaled_weights`
//! does), and a whole read fails only if the
//! stream does or a value or weight is not valid (not finite, negative) or the data do not
//! fit in the memory given. Run from `fuzz/`: `RUSTC_BOOTSTRAP=1 cargo fuzz run parquet`
//! (docs/testing.md).
#![no_main]

mod common;

use common::{MAX_MEMORY, check_dataset, read_pass, same_bits, scratch_file};
use gmm_core::{DataSource, rescaled_weights};
use gmm_io::{ColumnSelection, ParquetFile, SourceOptions, read_dataset};
use libfuzzer_sys::fuzz_target;

/// Lets the panics of the arrow-rs decoder unwind to gmm-io, which turns them into errors
/// (`ParquetFile::for_each_batch` reads under `catch_unwind`): libFuzzer's hook aborts on
/// any panic, caught or not. Every other panic (gmm-io's own, the harness's) still aborts.
fn tolerate_decoder_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_decoder = info
                .location()
                .is_some_and(|l| l.file().contains("/parquet-60."));
            if !in_decoder {
                abort(info);
            }
        }));
    });
}

fuzz_target!(|input: &[u8]| {
    tolerate_decoder_panics();
    let Some((&choice, bytes)) = input.split_first() else {
        return;
    };
    let path = scratch_file("input.parquet");
    std::fs::write(&path, bytes).expect("the scratch file is written");
    let Ok(first) = ParquetFile::open(&path, &ColumnSelection::default()) else {
        assert!(read_dataset(&path, &options(ColumnSelection::default())).is_err());
        return;
    };
    assert!(first.n_features() > 0 && first.n_rows() > 0);
    let names = first.column_names();
    assert_eq!(names.len(), first.n_features());
    let selection = if choice & 1 == 1 && names.len() > 1 {
        let (weight, columns) = names.split_last().expect("two names or more");
        ColumnSelection {
            columns: Some(columns.to_vec()),
            weight_column: Some(weight.clone()),
            ..ColumnSelection::default()
        }
    } else {
        ColumnSelection::default()
    };
    let batch_rows = 1 + usize::from(choice >> 1) % 64;
    let whole = read_dataset(&path, &options(selection.clone()));
    if let Ok(data) = &whole {
        check_dataset(data);
        assert_eq!(data.weights().is_some(), selection.weight_column.is_some());
        assert_eq!(data.n_samples() as u64, first.n_rows());
    }
    let mut file = match ParquetFile::open(&path, &selection) {
        Ok(file) => file,
        // a column name used twice may be refused once selected by name
        Err(_) => {
            assert!(whole.is_err(), "read whole but not opened");
            return;
        }
    };
    let n_rows = file.n_rows();
    let d = file.n_features();
    assert_eq!(file.has_weights(), selection.weight_column.is_some());
    let streamed = read_pass(&mut file, batch_rows);
    match (&whole, &streamed) {
        (Ok(data), Ok((values, weights, rows))) => {
            assert_eq!(*rows, data.n_samples());
            assert_eq!(data.n_features(), d);
            assert!(same_bits(data.as_slice(), values), "the two reads differ");
            // a whole read rescales weights near the ends of f64 (`rescaled_weights`)
            match data.weights() {
                Some(w) => assert!(same_bits(w, &rescaled_weights(weights.clone()))),
                None => assert!(weights.is_empty()),
            }
        }
        (Ok(_), Err(e)) => panic!("read whole but not streamed: {e}"),
        (Err(e), Ok((values, weights, rows))) => {
            assert_eq!(
                *rows as u64, n_rows,
                "a stream of another length than the metadata"
            );
            let invalid = values.iter().any(|v| !v.is_finite())
                || weights.iter().any(|w| !w.is_finite() || *w < 0.0)
                || (!weights.is_empty() && weights.iter().sum::<f64>() <= 0.0)
                || (!weights.is_empty() && !weights.iter().sum::<f64>().is_finite())
                || (values.len() as u64 + weights.len() as u64) * 8 > MAX_MEMORY;
            assert!(invalid, "valid values streamed but not read whole: {e}");
        }
        (Err(_), Err(_)) => {}
    }
});

/// Reading options with `selection` and the target's memory limit.
fn options(selection: ColumnSelection) -> SourceOptions {
    SourceOptions {
        selection,
        weights: None,
        max_memory: Some(MAX_MEMORY),
    }
}
