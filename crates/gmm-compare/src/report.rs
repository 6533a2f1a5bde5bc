//! The report values (serde) of a comparison and of a choice of K, and their terminal tables.
//!
//! A report is plain data: it serialises to JSON as it is, prints as a table with
//! `Display`, and the plots in [`crate::plot`] are drawn from it and the data.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

use gmm_core::{CovarianceType, FitRecord, GaussianMixture, ModelFile, Result};

use crate::matching::ParameterError;

/// What one estimator achieved on the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodSummary {
    /// The fit's record: the estimator, the bound after every iteration, whether it
    /// converged, the restarts' final bounds.
    pub fit: FitRecord,
    /// What the bound is: EM's mean log-likelihood per point, or VB's full ELBO (a total).
    pub bound_name: String,
    /// Mean log density of the training points (EM: the mixture; VB: the Student-t
    /// posterior predictive).
    pub train_mean_log_likelihood: f64,
    /// The same on the held-out points, when some were held out.
    pub holdout_mean_log_likelihood: Option<f64>,
    /// Bayesian information criterion on the training data (EM only; lower is better).
    pub bic: Option<f64>,
    /// Akaike information criterion on the training data (EM only; lower is better).
    pub aic: Option<f64>,
    /// Integrated completed likelihood on the training data (EM only; mclust's ICL, lower
    /// is better: BIC plus twice the entropy of the hard classification).
    #[serde(default)]
    pub icl: Option<f64>,
    /// Components whose weight exceeds the report's `weight_threshold`.
    pub effective_components: usize,
    /// Wall-clock time of the fit, in seconds (not deterministic).
    pub wall_time_seconds: f64,
    /// Adjusted Rand index of the predicted labels against the true ones, if given.
    pub adjusted_rand_index: Option<f64>,
    /// Normalised mutual information of the predicted labels against the true ones.
    pub normalized_mutual_info: Option<f64>,
    /// Error of the parameters against the true mixture after matching components.
    pub parameter_error: Option<ParameterError>,
    /// The fitted point estimate (for VB, the posterior's expected weights, means
    /// and covariances `W_k^{-1} / nu_k`), in its own component order.
    pub model: ModelFile,
}

impl MethodSummary {
    /// The fitted point estimate as a mixture.
    ///
    /// # Errors
    /// As [`ModelFile::to_mixture`] (only for a hand-edited report).
    pub fn mixture(&self) -> Result<GaussianMixture> {
        self.model.to_mixture()
    }
}

/// EM and VB fitted on the same data from the same initial responsibilities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonReport {
    /// What was compared (a data set's name or a scenario).
    pub title: String,
    /// Number of points N (training and held-out).
    pub n_samples: usize,
    /// Dimension D.
    pub n_features: usize,
    /// Points used for fitting.
    pub n_train: usize,
    /// Points held out for the held-out log-likelihood.
    pub n_holdout: usize,
    /// Number of components K given to both fits.
    pub n_components: usize,
    /// The covariance type of both fits.
    pub covariance_type: CovarianceType,
    /// The initialisation shared by both fits.
    pub init: String,
    /// The seed of the initialisation and of the split.
    pub seed: u64,
    /// The weight above which a component counts as effective.
    pub weight_threshold: f64,
    /// The EM fit.
    pub em: MethodSummary,
    /// The VB fit.
    pub vb: MethodSummary,
    /// VB's components in display order: `vb_order[k]` is shown next to EM's component `k`
    /// (matched by their means), VB's unmatched components follow.
    pub vb_order: Vec<usize>,
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.decimals$}"))
}

fn mean_text(means: &[f64]) -> String {
    let shown: Vec<String> = means.iter().take(3).map(|m| format!("{m:.3}")).collect();
    let more = if means.len() > 3 { ", ..." } else { "" };
    format!("({}{more})", shown.join(", "))
}

/// Writes rows as left-aligned columns separated by two spaces.
fn write_columns(out: &mut String, rows: &[Vec<String>]) {
    let n_cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n_cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| format!("{s:<w$}", w = widths[c]))
            .collect();
        let _ = writeln!(out, "  {}", cells.join("  ").trim_end());
    }
}

impl ComparisonReport {
    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }

    /// The two fits' weights in display order (EM's order; VB matched to it).
    pub fn display_weights(&self) -> (Vec<f64>, Vec<f64>) {
        let em = self.em.model.weights.clone();
        let vb = self
            .vb_order
            .iter()
            .map(|&i| self.vb.model.weights[i])
            .collect();
        (em, vb)
    }

    /// Colour index of each VB component (that of its EM partner, or beyond EM's K).
    pub fn vb_colours(&self) -> Vec<usize> {
        let mut colours = vec![0; self.vb_order.len()];
        for (slot, &c) in self.vb_order.iter().enumerate() {
            colours[c] = slot;
        }
        colours
    }
}

/// `true`, or a visible `NO (max_iter)` for a fit that stopped at its iteration limit.
fn converged_text(record: &FitRecord) -> String {
    if record.converged() {
        "true".into()
    } else {
        format!("NO ({} iterations, the limit)", record.n_iter())
    }
}

/// The warning printed under a table beside a fit that did not converge.
fn not_converged_warning(name: &str, record: &FitRecord) -> String {
    format!(
        "  WARNING: the {name} fit stopped at its iteration limit ({}) without \
         converging: its numbers describe an unfinished fit; raise --max-iter",
        record.n_iter()
    )
}

impl fmt::Display for ComparisonReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: N = {} (train {}, held out {}), D = {}, K = {}, {} covariances, init {}, seed {}",
            self.title,
            self.n_samples,
            self.n_train,
            self.n_holdout,
            self.n_features,
            self.n_components,
            self.covariance_type.name(),
            self.init,
            self.seed
        );
        write_columns(&mut out, &self.summary_rows());
        for (name, summary) in [("EM", &self.em), ("VB", &self.vb)] {
            if !summary.fit.converged() {
                let _ = writeln!(out, "{}", not_converged_warning(name, &summary.fit));
            }
        }
        let _ = writeln!(out, "  components (VB matched to EM by their means):");
        write_columns(&mut out, &self.component_rows());
        f.write_str(&out)
    }
}

impl ComparisonReport {
    /// The table of the two fits' measures: a header row, then one row per measure.
    fn summary_rows(&self) -> Vec<Vec<String>> {
        let (em, vb) = (&self.em, &self.vb);
        let pe = |s: &MethodSummary, get: fn(&ParameterError) -> f64| {
            opt(s.parameter_error.as_ref().map(get), 3)
        };
        vec![
            vec!["".into(), "EM".into(), "VB".into()],
            vec![
                "bound".into(),
                format!("{:.4} ({})", em.fit.lower_bound(), em.bound_name),
                format!("{:.4} ({})", vb.fit.lower_bound(), vb.bound_name),
            ],
            vec![
                "mean log-lik, train".into(),
                format!("{:.4}", em.train_mean_log_likelihood),
                format!("{:.4} (predictive)", vb.train_mean_log_likelihood),
            ],
            vec![
                "mean log-lik, held out".into(),
                opt(em.holdout_mean_log_likelihood, 4),
                opt(vb.holdout_mean_log_likelihood, 4),
            ],
            vec!["BIC".into(), opt(em.bic, 2), opt(vb.bic, 2)],
            vec!["AIC".into(), opt(em.aic, 2), opt(vb.aic, 2)],
            vec!["ICL".into(), opt(em.icl, 2), opt(vb.icl, 2)],
            vec![
                format!("components > {}", self.weight_threshold),
                em.effective_components.to_string(),
                vb.effective_components.to_string(),
            ],
            vec![
                "iterations".into(),
                em.fit.n_iter().to_string(),
                vb.fit.n_iter().to_string(),
            ],
            vec![
                "converged".into(),
                converged_text(&em.fit),
                converged_text(&vb.fit),
            ],
            vec![
                "wall time".into(),
                format!("{:.1} ms", em.wall_time_seconds * 1e3),
                format!("{:.1} ms", vb.wall_time_seconds * 1e3),
            ],
            vec![
                "ARI vs truth".into(),
                opt(em.adjusted_rand_index, 4),
                opt(vb.adjusted_rand_index, 4),
            ],
            vec![
                "NMI vs truth".into(),
                opt(em.normalized_mutual_info, 4),
                opt(vb.normalized_mutual_info, 4),
            ],
            vec![
                "max mean error".into(),
                pe(em, |p| p.max_mean_distance),
                pe(vb, |p| p.max_mean_distance),
            ],
            vec![
                "weight L1 error".into(),
                pe(em, |p| p.weight_l1),
                pe(vb, |p| p.weight_l1),
            ],
            vec![
                "max cov. rel. error".into(),
                pe(em, |p| p.max_relative_covariance_error),
                pe(vb, |p| p.max_relative_covariance_error),
            ],
        ]
    }

    /// The table of components: EM's in order, each beside the VB component matched to it.
    fn component_rows(&self) -> Vec<Vec<String>> {
        let (em, vb) = (&self.em, &self.vb);
        let mut comp = vec![vec![
            "#".into(),
            "EM weight".into(),
            "EM mean".into(),
            "VB #".into(),
            "VB weight".into(),
            "VB mean".into(),
        ]];
        let k_rows = em.model.weights.len().max(self.vb_order.len());
        for slot in 0..k_rows {
            let mut row = if slot < em.model.weights.len() {
                vec![
                    (slot + 1).to_string(),
                    format!("{:.4}", em.model.weights[slot]),
                    mean_text(&em.model.means[slot]),
                ]
            } else {
                vec!["".into(), "".into(), "".into()]
            };
            if let Some(&v) = self.vb_order.get(slot) {
                row.push((v + 1).to_string());
                row.push(format!("{:.4}", vb.model.weights[v]));
                row.push(mean_text(&vb.model.means[v]));
            }
            comp.push(row);
        }
        comp
    }
}

/// One K of a choice of K: EM's criteria and VB's bound at that K.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionRow {
    /// Number of components.
    pub k: usize,
    /// EM's BIC (lower is better).
    pub em_bic: f64,
    /// EM's AIC (lower is better).
    pub em_aic: f64,
    /// EM's ICL (mclust's, lower is better; NaN in reports written before it existed).
    #[serde(default = "not_recorded")]
    pub em_icl: f64,
    /// EM's mean log-likelihood per point.
    pub em_mean_log_likelihood: f64,
    /// Whether EM converged.
    pub em_converged: bool,
    /// VB's full ELBO (total over points).
    pub vb_elbo: f64,
    /// VB's ELBO plus `ln K!`, the count of equivalent labellings (Bishop 2006, 10.2.4),
    /// which makes it comparable across K as an approximation of the log evidence.
    pub vb_elbo_plus_ln_k_factorial: f64,
    /// VB's components with weight above the report's threshold.
    pub vb_effective_components: usize,
    /// Whether VB converged.
    pub vb_converged: bool,
}

fn not_recorded() -> f64 {
    f64::NAN
}

/// EM's BIC, AIC and ICL and VB's ELBO over a range of K.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionReport {
    /// What the data are.
    pub title: String,
    /// Number of points.
    pub n_samples: usize,
    /// Dimension.
    pub n_features: usize,
    /// Covariance type of every fit.
    pub covariance_type: CovarianceType,
    /// Weight threshold of VB's effective components.
    pub weight_threshold: f64,
    /// One row per K, in increasing K.
    pub rows: Vec<SelectionRow>,
    /// The K of the lowest BIC.
    pub best_k_bic: usize,
    /// The K of the lowest ICL (0 in reports written before it existed).
    #[serde(default)]
    pub best_k_icl: usize,
    /// The K of the highest ELBO.
    pub best_k_elbo: usize,
    /// The K of the highest ELBO + ln K! (this correction assumes all K components are
    /// occupied and distinct, which fails once VB empties some: then it favours large K).
    pub best_k_elbo_plus_ln_k_factorial: usize,
    /// VB's effective components at the largest K tried.
    pub vb_effective_components_at_k_max: usize,
}

impl SelectionReport {
    /// Builds the report and finds the best K of each criterion (`rows` non-empty, in
    /// increasing K).
    pub fn new(
        title: String,
        n_samples: usize,
        n_features: usize,
        covariance_type: CovarianceType,
        weight_threshold: f64,
        rows: Vec<SelectionRow>,
    ) -> Self {
        let best_k_bic = rows
            .iter()
            .min_by(|a, b| a.em_bic.total_cmp(&b.em_bic))
            .map_or(0, |r| r.k);
        let best_k_icl = rows
            .iter()
            .min_by(|a, b| a.em_icl.total_cmp(&b.em_icl))
            .map_or(0, |r| r.k);
        let best_k_elbo = rows
            .iter()
            .max_by(|a, b| a.vb_elbo.total_cmp(&b.vb_elbo))
            .map_or(0, |r| r.k);
        let best_k_elbo_plus_ln_k_factorial = rows
            .iter()
            .max_by(|a, b| {
                a.vb_elbo_plus_ln_k_factorial
                    .total_cmp(&b.vb_elbo_plus_ln_k_factorial)
            })
            .map_or(0, |r| r.k);
        let vb_effective_components_at_k_max = rows.last().map_or(0, |r| r.vb_effective_components);
        Self {
            title,
            n_samples,
            n_features,
            covariance_type,
            weight_threshold,
            rows,
            best_k_bic,
            best_k_icl,
            best_k_elbo,
            best_k_elbo_plus_ln_k_factorial,
            vb_effective_components_at_k_max,
        }
    }

    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

impl fmt::Display for SelectionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: choosing K (N = {}, D = {}, {} covariances)",
            self.title,
            self.n_samples,
            self.n_features,
            self.covariance_type.name()
        );
        let mut rows = vec![vec![
            "K".into(),
            "EM BIC".into(),
            "EM AIC".into(),
            "EM ICL".into(),
            "EM mean log-lik".into(),
            "VB ELBO".into(),
            "VB ELBO + ln K!".into(),
            format!("VB K (w > {})", self.weight_threshold),
        ]];
        for r in &self.rows {
            let mark = |best: bool| if best { " *" } else { "" };
            rows.push(vec![
                r.k.to_string(),
                format!("{:.2}{}", r.em_bic, mark(r.k == self.best_k_bic)),
                format!("{:.2}", r.em_aic),
                format!("{:.2}{}", r.em_icl, mark(r.k == self.best_k_icl)),
                format!("{:.4}", r.em_mean_log_likelihood),
                format!("{:.2}{}", r.vb_elbo, mark(r.k == self.best_k_elbo)),
                format!(
                    "{:.2}{}",
                    r.vb_elbo_plus_ln_k_factorial,
                    mark(r.k == self.best_k_elbo_plus_ln_k_factorial)
                ),
                r.vb_effective_components.to_string(),
            ]);
        }
        write_columns(&mut out, &rows);
        for r in &self.rows {
            for (name, converged) in [("EM", r.em_converged), ("VB", r.vb_converged)] {
                if !converged {
                    let _ = writeln!(
                        out,
                        "  WARNING: the {name} fit with K = {} stopped at its iteration limit \
                         without converging: compare its row with care, or raise --max-iter",
                        r.k
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "  best K: BIC {}, ICL {}, ELBO {}, ELBO + ln K! {}; VB keeps {} components at K = {}",
            self.best_k_bic,
            self.best_k_icl,
            self.best_k_elbo,
            self.best_k_elbo_plus_ln_k_factorial,
            self.vb_effective_components_at_k_max,
            self.rows.last().map_or(0, |r| r.k)
        );
        f.write_str(&out)
    }
}
