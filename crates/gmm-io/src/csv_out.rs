//! Writing numbers as CSV text: every value as the shortest text that reads back to the
//! same `f64` ([`shortest`]), a header row ([`rows_to_csv`]) or none ([`csv_lines`]). The
//! one writer of numeric rows for the library and the `gmm` command.

/// The shortest text that parses back to exactly `v`: Rust's `{}` (shortest round-trip
/// digits, never an exponent) or `{:e}` (shortest round-trip digits with an exponent),
/// whichever is shorter; `{}` on a tie. So `0.25` and `0.01` stay as they are, `0.001`
/// prints as `1e-3`, and a tiny probability as `1.3377889146084553e-22` rather than with
/// twenty leading zeros.
///
/// ```
/// assert_eq!(gmm_io::shortest(0.25), "0.25");
/// assert_eq!(gmm_io::shortest(0.001), "1e-3");
/// assert_eq!(gmm_io::shortest(1e20), "1e20");
/// ```
pub fn shortest(v: f64) -> String {
    let plain = format!("{v}");
    let scientific = format!("{v:e}");
    if scientific.len() < plain.len() {
        scientific
    } else {
        plain
    }
}

/// CSV text: the header row (the names joined by commas), then one line per row, every
/// value printed by [`shortest`].
///
/// ```
/// let rows = [vec![0.5, 1e-30], vec![1.0, 0.0]];
/// let text = gmm_io::rows_to_csv(&["p0".into(), "p1".into()], rows.iter().map(Vec::as_slice));
/// assert_eq!(text, "p0,p1\n0.5,1e-30\n1,0\n");
/// ```
pub fn rows_to_csv<'a>(header: &[String], rows: impl IntoIterator<Item = &'a [f64]>) -> String {
    let mut out = header.join(",");
    out.push('\n');
    out.push_str(&csv_lines(rows));
    out
}

/// CSV lines, one per row, every value printed by [`shortest`] (no header row).
pub fn csv_lines<'a>(rows: impl IntoIterator<Item = &'a [f64]>) -> String {
    let mut out = String::new();
    for row in rows {
        for (j, &v) in row.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(&shortest(v));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shorter_form_is_chosen_and_ties_go_to_plain() {
        let cases = [
            (0.0, "0"),
            (1.0, "1"),
            (0.25, "0.25"),
            (-3.5, "-3.5"),
            (1234.5, "1234.5"),
            (0.01, "0.01"),
            (0.001, "1e-3"),
            (1e-5, "1e-5"),
            (100.0, "100"),
            (1e20, "1e20"),
            (1.3377889146084553e-22, "1.3377889146084553e-22"),
            (-2.5e-300, "-2.5e-300"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (v, text) in cases {
            assert_eq!(shortest(v), text, "{v:?}");
        }
        assert_eq!(shortest(f64::NAN), "NaN");
    }

    #[test]
    fn every_value_reads_back_exactly() {
        let mut values = vec![
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::EPSILON,
            0.1 + 0.2,
            1.0 / 3.0,
            -0.0,
        ];
        let mut x = 0.7_f64;
        for i in -320..300 {
            x = (x * 3.7).fract() + 0.05;
            values.push(x * 10f64.powi(i));
        }
        for v in values {
            let text = shortest(v);
            let back: f64 = text.parse().unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{v:?} printed as {text}");
            assert!(text.len() <= format!("{v}").len().min(format!("{v:e}").len()));
        }
    }

    #[test]
    fn a_table_has_its_header_and_lines_have_none() {
        let rows = [vec![0.5, 1e-30], vec![1.0, 0.0], vec![]];
        let lines = csv_lines(rows.iter().map(Vec::as_slice));
        assert_eq!(lines, "0.5,1e-30\n1,0\n\n");
        let table = rows_to_csv(
            &["p0".to_string(), "p1".to_string()],
            rows[..2].iter().map(Vec::as_slice),
        );
        assert_eq!(table, "p0,p1\n0.5,1e-30\n1,0\n");
        assert_eq!(rows_to_csv(&[], std::iter::empty()), "\n");
    }
}
