//! The standard scenarios of `gmm demo` (and of the root examples): data drawn from known
//! mixtures, EM and VB compared on each, and a choice of K.

use gmm_core::{GaussianMixture, Result, synthetic};

use crate::compare::{ComparisonSettings, Truth, compare, select};
use crate::figures::{comparison_figures, selection_figures};
use crate::report::{ComparisonReport, SelectionReport};

/// A scenario: a known mixture, how many points to draw from it, and the K to fit.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// A short name for file names (`one-d-three-clusters`, ...).
    pub slug: &'static str,
    /// A title for tables and plots.
    pub title: &'static str,
    /// The mixture the points are drawn from.
    pub truth: GaussianMixture,
    /// Number of points.
    pub n_samples: usize,
    /// Seed of the draw.
    pub data_seed: u64,
    /// K given to both fits.
    pub n_components: usize,
}

/// The three standard scenarios: 1-D three clusters (K = 3), 2-D three clusters with full
/// covariances (K = 3), and K = 10 on the same 2-D three clusters.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            slug: "one-d-three-clusters",
            title: "1-D, three clusters",
            truth: synthetic::one_d_three_clusters(),
            n_samples: 600,
            data_seed: 1,
            n_components: 3,
        },
        Scenario {
            slug: "two-d-three-clusters",
            title: "2-D, three clusters",
            truth: synthetic::two_d_three_clusters(),
            n_samples: 900,
            data_seed: 2,
            n_components: 3,
        },
        Scenario {
            slug: "k10-on-three-clusters",
            title: "K = 10 on three clusters",
            truth: synthetic::two_d_three_clusters(),
            n_samples: 900,
            data_seed: 2,
            n_components: 10,
        },
    ]
}

/// What one scenario produced.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    /// The comparison's report.
    pub report: ComparisonReport,
    /// Its figures and its JSON report, as `(file name, contents)`.
    pub files: Vec<(String, String)>,
}

/// The settings of every demo fit: K components, everything else the comparison's default
/// (both fits run to convergence).
pub fn demo_settings(k: usize) -> ComparisonSettings {
    ComparisonSettings::new(k)
}

/// Runs one scenario: draws its data, compares EM and VB (seed 0, 20% held out, k-means
/// initialisation, both fits run to convergence), and draws the figures.
///
/// # Errors
/// Any error of the draw, the fits or the figures.
pub fn run_scenario(scenario: &Scenario) -> Result<ScenarioResult> {
    let sample = synthetic::draw(&scenario.truth, scenario.n_samples, scenario.data_seed)?;
    let settings = demo_settings(scenario.n_components);
    let truth = Truth {
        labels: Some(&sample.labels),
        mixture: Some(&sample.truth),
    };
    let comparison = compare(&sample.data, scenario.title, &settings, truth)?;
    let mut files = comparison_figures(&comparison, &sample.data, &[], scenario.slug)?;
    files.push((
        format!("{}-report.json", scenario.slug),
        comparison.report.to_json(),
    ));
    Ok(ScenarioResult {
        report: comparison.report,
        files,
    })
}

/// Chooses K from 1 to `k_max` on the 2-D three-clusters scenario's data, with its figure
/// and JSON report (`two-d-three-clusters-selection.*`).
///
/// # Errors
/// Any error of the fits or the figure.
pub fn run_selection(
    k_max: usize,
    on_fit: &mut dyn FnMut(),
) -> Result<(SelectionReport, Vec<(String, String)>)> {
    let scenario = &scenarios()[1];
    let sample = synthetic::draw(&scenario.truth, scenario.n_samples, scenario.data_seed)?;
    let report = select(
        &sample.data,
        scenario.title,
        1,
        k_max,
        &demo_settings(1),
        on_fit,
    )?;
    let mut files = selection_figures(&report, scenario.slug)?;
    files.push((
        format!("{}-selection.json", scenario.slug),
        report.to_json(),
    ));
    Ok((report, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_produce_their_files() {
        let s = &scenarios()[0];
        let r = run_scenario(s).unwrap();
        let names: Vec<&str> = r.files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "one-d-three-clusters-density.svg",
                "one-d-three-clusters-bounds.svg",
                "one-d-three-clusters-weights.svg",
                "one-d-three-clusters-report.json"
            ]
        );
        for (name, text) in &r.files {
            if name.ends_with(".svg") {
                assert!(
                    text.starts_with("<svg") && text.trim_end().ends_with("</svg>"),
                    "{name}"
                );
            }
        }
        // three well-separated 1-D clusters: both fits recover the labels well
        assert!(r.report.em.adjusted_rand_index.unwrap() > 0.8);
        assert!(r.report.vb.adjusted_rand_index.unwrap() > 0.8);
    }
}
