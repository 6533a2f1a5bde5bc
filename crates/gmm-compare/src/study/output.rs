//! A study's files: every run as CSV, every cell as CSV, the report as JSON, a table for
//! the terminal, and (feature `plots`) one SVG per measure against N.

use std::fmt::{self, Write as _};

use gmm_core::Result;

use super::running::StudyRun;
use super::summary::{CellSummary, Measure, StudyReport};

/// The columns of [`StudyReport::runs_csv`].
pub const RUNS_CSV_HEADER: &str = "n,replicate,method,seed,holdout_log_predictive,\
adjusted_rand_index,k_bic,k_elbo,k_effective,singular,converged,n_iter,wall_time_seconds,\
selection_seconds";

fn cell<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

fn run_row(r: &StudyRun) -> String {
    [
        r.n.to_string(),
        r.replicate.to_string(),
        r.method.name().to_string(),
        r.seed.to_string(),
        cell(r.holdout_log_predictive),
        cell(r.adjusted_rand_index),
        cell(r.k_bic),
        cell(r.k_elbo),
        cell(r.k_effective),
        r.singular.to_string(),
        cell(r.converged),
        cell(r.n_iter),
        r.wall_time_seconds.to_string(),
        r.selection_seconds.to_string(),
    ]
    .join(",")
}

impl StudyReport {
    /// Every run, one CSV row each ([`RUNS_CSV_HEADER`]); a missing value is an empty
    /// field; numbers in the shortest form that reads back to the same `f64`.
    pub fn runs_csv(&self) -> String {
        let mut out = format!("{RUNS_CSV_HEADER}\n");
        for r in &self.runs {
            out.push_str(&run_row(r));
            out.push('\n');
        }
        out
    }

    /// Every cell, one CSV row each: `n,method,measure,count,mean,lower,upper`.
    pub fn cells_csv(&self) -> String {
        let mut out = String::from("n,method,measure,count,mean,lower,upper\n");
        for c in &self.cells {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{}",
                c.n,
                c.method.name(),
                c.measure.name(),
                c.count,
                cell(c.mean),
                cell(c.lower),
                cell(c.upper)
            );
        }
        out
    }

    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a study report always serialises")
    }

    /// The study's files, `(name, contents)`: `runs.csv`, `cells.csv`, `report.json` and,
    /// with the feature `plots`, one `{measure}.svg` per measure with values.
    ///
    /// # Errors
    /// Errors of drawing.
    pub fn files(&self) -> Result<Vec<(String, String)>> {
        let tables = vec![
            ("runs.csv".to_string(), self.runs_csv()),
            ("cells.csv".to_string(), self.cells_csv()),
            ("report.json".to_string(), self.to_json()),
        ];
        #[cfg(feature = "plots")]
        let tables = tables.into_iter().chain(self.figures()?).collect();
        Ok(tables)
    }

    /// One SVG per measure that has values: each method's mean against N (log scale) with
    /// its 95% interval, named `{measure}.svg`.
    ///
    /// # Errors
    /// Errors of drawing.
    #[cfg(feature = "plots")]
    pub fn figures(&self) -> Result<Vec<(String, String)>> {
        use crate::plot::{IntervalSeries, intervals_svg};
        let mut files = Vec::new();
        for measure in Measure::ALL {
            let series: Vec<IntervalSeries> = self
                .settings
                .methods
                .iter()
                .map(|&m| IntervalSeries {
                    label: m.label().to_string(),
                    points: self
                        .series(m, measure)
                        .iter()
                        .filter_map(|c| Some((c.n as f64, c.mean?, c.lower?, c.upper?)))
                        .collect(),
                })
                .filter(|s| !s.points.is_empty())
                .collect();
            if series.is_empty() {
                continue;
            }
            let title = format!(
                "{}: {} ({} replicates, 95% bootstrap intervals)",
                self.settings.scenario,
                measure.label(),
                self.settings.replicates
            );
            let svg = intervals_svg(&series, &title, "training points N", measure.label())?;
            files.push((format!("{}.svg", measure.name()), svg));
        }
        Ok(files)
    }
}

/// `mean [lower, upper]` of a cell, or `-`.
fn interval_text(c: Option<&CellSummary>, decimals: usize) -> String {
    match c.and_then(|c| Some((c.mean?, c.lower?, c.upper?))) {
        Some((m, lo, hi)) => format!("{m:.decimals$} [{lo:.decimals$}, {hi:.decimals$}]"),
        None => "-".to_string(),
    }
}

impl fmt::Display for StudyReport {
    /// The table of the main measures: one row per N and method.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.settings;
        writeln!(
            f,
            "Study: {}, K = {}, {} replicates, {} held-out points, seed {} (means, 95% bootstrap intervals)",
            s.scenario, s.n_components, s.replicates, s.test_size, s.seed
        )?;
        let columns = [
            (Measure::HoldoutLogPredictive, 3),
            (Measure::AdjustedRandIndex, 3),
            (Measure::Singular, 2),
            (Measure::KBic, 2),
            (Measure::KElbo, 2),
            (Measure::KEffective, 2),
        ];
        let mut rows = vec![
            [
                "N",
                "method",
                "held-out log pred.",
                "ARI",
                "singular",
                "K by BIC",
                "K by ELBO",
                "VB K eff.",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for &n in &s.sizes {
            for &m in &s.methods {
                let mut row = vec![n.to_string(), m.name().to_string()];
                for (measure, decimals) in columns {
                    row.push(interval_text(self.cell(n, m, measure), decimals));
                }
                rows.push(row);
            }
        }
        let widths: Vec<usize> = (0..rows[0].len())
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        for row in rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(text, &w)| format!("{text:<w$}"))
                .collect();
            writeln!(f, "  {}", cells.join("  ").trim_end())?;
        }
        Ok(())
    }
}
