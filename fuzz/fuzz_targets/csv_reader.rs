//! Fuzz target: the CSV data and label readers on arbitrary bytes.
//!
//! Whatever the bytes, parsing returns a table or a typed error; a table holds finite
//! values only, in a consistent shape.
//! Run from `fuzz/`: `RUSTC_BOOTSTRAP=1 cargo fuzz run csv_reader` (docs/testing.md).
#![no_main]

use gmm_io::{parse_data, parse_labels};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(table) = parse_data(bytes, "fuzz") {
        let data = &table.data;
        assert!(data.n_samples() > 0 && data.n_features() > 0);
        assert_eq!(data.as_slice().len(), data.n_samples() * data.n_features());
        assert!(data.as_slice().iter().all(|v| v.is_finite()));
        if let Some(names) = &table.column_names {
            assert_eq!(names.len(), data.n_features());
        }
    }
    let n_points = bytes.first().map_or(0, |b| *b as usize % 16);
    if let Ok(labels) = parse_labels(bytes, "fuzz", n_points) {
        let _ = labels.classes();
        let _ = labels.indices();
    }
});
