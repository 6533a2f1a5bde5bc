//! The reference fixtures under `tests/fixtures/` (made by scikit-learn, see
//! tests/fixtures/README.md) and the real data sets under `data/`.

use gmm_core::Dataset;
use serde_json::Value;

/// The workspace's `tests/fixtures/` directory, with a trailing slash.
pub const FIXTURES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/");

/// The workspace's `data/` directory (real data sets), with a trailing slash.
pub const REAL_DATA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/");

/// The parsed JSON fixture `name` (with or without the `.json` extension).
///
/// # Panics
/// When the file is missing or is not JSON, naming the file.
pub fn fixture_json(name: &str) -> Value {
    let file = if name.ends_with(".json") {
        name.to_string()
    } else {
        format!("{name}.json")
    };
    let path = format!("{FIXTURES_DIR}{file}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The path of the fixture data set `name` (`tests/fixtures/data/<name>.csv`).
pub fn fixture_data_path(name: &str) -> String {
    format!("{FIXTURES_DIR}data/{name}.csv")
}

/// The fixture data set `name`: a headerless CSV of numbers, one point per line.
///
/// # Panics
/// When the file is missing or holds anything but a valid data set, naming the file.
pub fn fixture_data(name: &str) -> Dataset {
    numbers_csv(&fixture_data_path(name), 0)
}

/// The data set in the CSV file at `path`, one point per line, after `header_lines` lines.
fn numbers_csv(path: &str, header_lines: usize) -> Dataset {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(header_lines)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(',')
                .map(|v| {
                    v.trim()
                        .parse()
                        .unwrap_or_else(|e| panic!("{path}: {v:?}: {e}"))
                })
                .collect()
        })
        .collect();
    Dataset::from_rows(&rows).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The real data set `file` (e.g. `"iris.csv"`) under `data/`: a CSV with a first row of
/// column names, one point per line.
///
/// # Panics
/// When the file is missing or holds anything but a valid data set, naming the file.
pub fn real_data(file: &str) -> Dataset {
    numbers_csv(&real_data_path(file), 1)
}

/// The path of the real data set file `file` (e.g. `"old_faithful.csv"`) under `data/`.
pub fn real_data_path(file: &str) -> String {
    format!("{REAL_DATA_DIR}{file}")
}

/// Every number in `v`, nested arrays flattened in order.
///
/// # Panics
/// On anything but numbers and arrays of them.
pub fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::Number(n) => vec![n.as_f64().expect("an f64")],
        Value::Array(a) => a.iter().flat_map(floats).collect(),
        other => panic!("not numeric: {other}"),
    }
}

/// An array of arrays of numbers as rows.
///
/// # Panics
/// When `v` is not an array.
pub fn rows(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(floats)
        .collect()
}
