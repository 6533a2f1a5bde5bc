//! Hostile files: CSV data the reader must reject with the line and column (the `gmm`
//! command's side is in `crates/gmm-cli/tests/hostile_files.rs`). See docs/testing.md.
#![cfg(feature = "csv")]

use std::path::Path;

use gmm_core::GmmError;
use gmm_io::{DataTable, parse_data, read_data_file};

fn parse(text: &[u8]) -> Result<DataTable, GmmError> {
    parse_data(text, "test.csv")
}

/// Asserts a data-file error at `line` (and `column` when given) whose message contains
/// `needle`.
fn assert_data_error(text: &[u8], line: usize, column: Option<usize>, needle: &str) {
    match parse(text) {
        Err(GmmError::DataFile {
            path,
            line: l,
            column: c,
            reason,
        }) => {
            assert_eq!(path, "test.csv");
            assert_eq!(l, line, "line of {reason:?}");
            if let Some(column) = column {
                assert_eq!(c, column, "column of {reason:?}");
            }
            assert!(
                reason.contains(needle),
                "{reason:?} does not mention {needle:?}"
            );
        }
        other => panic!(
            "{:?}: expected a DataFile error, got {other:?}",
            String::from_utf8_lossy(&text[..text.len().min(80)])
        ),
    }
}

#[test]
fn csv_ragged_rows() {
    assert_data_error(b"1,2\n3,4\n5\n", 3, Some(0), "same number of columns");
    assert_data_error(b"1,2\n3,4,5\n", 2, Some(0), "same number of columns");
    assert_data_error(b"x,y\n1,2\n3\n", 3, Some(0), "same number of columns");
}

#[test]
fn csv_text_and_empty_cells() {
    assert_data_error(b"1,2\n3,abc\n", 2, Some(2), "not a number");
    assert_data_error(b"1,2\n3,\n", 2, Some(2), "empty cell");
    assert_data_error(b"1,2\n0x10,2\n", 2, Some(1), "not a number");
    assert_data_error(b"1,2\n1,2\n\"7\",\xff\xfe\n", 3, None, "");
    // a header is recognised only when none of its cells is a number
    assert_data_error(b"x,1\n1,2\n", 1, Some(1), "not a number");
}

#[test]
fn csv_non_finite_and_out_of_range_cells() {
    for cell in ["inf", "-inf", "infinity", "1e400", "-1e999"] {
        let text = format!("1,2\n3,{cell}\n");
        assert_data_error(text.as_bytes(), 2, Some(2), "not finite");
    }
    // a NaN marks a missing value: refused, naming how to read it as one
    for cell in ["nan", "NaN"] {
        let text = format!("1,2\n3,{cell}\n");
        assert_data_error(text.as_bytes(), 2, Some(2), "--missing marginalise");
    }
    // underflow to zero or a subnormal is a legitimate number
    let table = parse(b"1e-400,4.9e-324\n1e-300,2\n").unwrap();
    assert_eq!(table.data.row(0), &[0.0, 4.9e-324]);
}

#[test]
fn csv_empty_files() {
    for text in [&b""[..], b"\n\n\n", b"x,y\n", b" , \n"] {
        match parse(text) {
            Err(GmmError::DataFile { reason, .. }) => {
                assert!(
                    reason.contains("no data rows") || reason.contains("empty"),
                    "{reason}"
                )
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let missing = Path::new("/nonexistent/gmm/data.csv");
    assert!(matches!(read_data_file(missing), Err(GmmError::Io { .. })));
}

#[test]
fn csv_huge_lines() {
    // 200 000 columns in one line: read as one point of dimension 200 000.
    let row: Vec<String> = (0..200_000).map(|i| (i % 97).to_string()).collect();
    let line = row.join(",");
    let table = parse(format!("{line}\n{line}\n").as_bytes()).unwrap();
    assert_eq!(
        (table.data.n_samples(), table.data.n_features()),
        (2, 200_000)
    );
    // the same huge line after a short one is a ragged row
    assert_data_error(format!("1,2\n{line}\n").as_bytes(), 2, Some(0), "columns");
    // one cell of 4 million digits overflows f64: not finite
    let digits = "7".repeat(4_000_000);
    assert_data_error(
        format!("1\n{digits}\n").as_bytes(),
        2,
        Some(1),
        "not finite",
    );
    // 4 MB of text in one cell
    let text = "z".repeat(4_000_000);
    assert_data_error(
        format!("1\n{text}\n").as_bytes(),
        2,
        Some(1),
        "not a number",
    );
}

#[test]
fn csv_other_separators_are_named() {
    // numbers joined by ';', a tab or '|': named at the line where they are found, header or not
    assert_data_error(b"0.5;1.5\n2;3\n", 1, Some(1), "';'-separated");
    assert_data_error(b"x;y\n0.5;-1.5\n", 2, Some(1), "';'-separated");
    assert_data_error(b"x\ty\n0.5\t1.5\n", 2, Some(1), "tab-separated");
    assert_data_error(b"1|2\n", 1, Some(1), "'|'-separated");
    // a header that merely contains ';' is a header; text is not numbers
    assert_data_error(
        b"a;b\nfoo\n",
        2,
        Some(1),
        "is not a number: use plain decimal",
    );
}
