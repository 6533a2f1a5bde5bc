//! The figures of a comparison and of a choice of K, as named SVG files.

use gmm_core::{Dataset, GaussianMixture, MixtureModel, Result};

use crate::compare::Comparison;
use crate::pca::Pca2;
use crate::plot::{
    MixturePanel, bounds_svg, density_svg, ellipses_svg, selection_svg, weights_svg,
};
use crate::report::SelectionReport;

/// The SVG files of a comparison, as `(file name, SVG text)`, names prefixed by `prefix`:
///
/// - `{prefix}-density.svg` (D = 1): histogram with EM's density and VB's posterior
///   predictive;
/// - `{prefix}-ellipses.svg` (D >= 2; D > 2 on the first two principal components): EM and
///   VB side by side, 1- and 2-sigma ellipses, matched components in matched colours;
/// - `{prefix}-bounds.svg`: the bound per iteration of each fit;
/// - `{prefix}-weights.svg`: the weights of both fits, matched.
///
/// `column_names` label the axes of 1-D and 2-D data.
///
/// # Errors
/// Errors of the models' densities or of drawing.
pub fn comparison_figures(
    comparison: &Comparison,
    data: &Dataset,
    column_names: &[String],
    prefix: &str,
) -> Result<Vec<(String, String)>> {
    let report = &comparison.report;
    let mut files = Vec::new();
    if data.n_features() == 1 {
        files.push((
            format!("{prefix}-density.svg"),
            density_figure(comparison, data, &column_name(column_names, 0))?,
        ));
    } else {
        files.push((
            format!("{prefix}-ellipses.svg"),
            ellipses_figure(comparison, data, column_names)?,
        ));
    }
    files.push((
        format!("{prefix}-bounds.svg"),
        bounds_svg(&[
            (
                "EM: mean log-likelihood per point",
                "mean log-likelihood",
                report.em.fit.lower_bounds(),
            ),
            ("VB: ELBO (total)", "ELBO", report.vb.fit.lower_bounds()),
        ])?,
    ));
    let (em_w, vb_w) = report.display_weights();
    files.push((
        format!("{prefix}-weights.svg"),
        weights_svg(
            &[("EM", &em_w), ("VB", &vb_w)],
            &format!("{}: weights, K = {}", report.title, report.n_components),
        )?,
    ));
    Ok(files)
}

/// The name of column `j`: the given one, or `x1`, `x2`, ... (1-based).
fn column_name(column_names: &[String], j: usize) -> String {
    column_names
        .get(j)
        .cloned()
        .unwrap_or_else(|| format!("x{}", j + 1))
}

/// 1-D data: the histogram with EM's density and VB's posterior predictive.
fn density_figure(comparison: &Comparison, data: &Dataset, x_label: &str) -> Result<String> {
    let report = &comparison.report;
    let values: Vec<f64> = data.as_slice().to_vec();
    let models: [(&str, &dyn MixtureModel); 2] = [
        ("EM (maximum likelihood)", &comparison.em),
        ("VB (posterior predictive)", &comparison.vb),
    ];
    let title = format!("{}: K = {}", report.title, report.n_components);
    density_svg(&values, &models, &title, x_label)
}

/// The plane a comparison of data of dimension D >= 2 is drawn in: the points and both
/// fits' mixtures in it, and its axes' descriptions.
struct Plane {
    points: Vec<[f64; 2]>,
    em: GaussianMixture,
    vb: GaussianMixture,
    x_label: String,
    y_label: String,
}

impl Plane {
    /// The data's own plane for D = 2; the first two principal components for D > 2.
    fn of(comparison: &Comparison, data: &Dataset, column_names: &[String]) -> Result<Self> {
        let em = comparison.em.mixture();
        let vb = comparison.vb.point_estimate();
        if data.n_features() == 2 {
            return Ok(Self {
                points: data.rows().map(|r| [r[0], r[1]]).collect(),
                em: em.clone(),
                vb: vb.clone(),
                x_label: column_name(column_names, 0),
                y_label: column_name(column_names, 1),
            });
        }
        let pca = Pca2::fit_within(data, comparison.vb.params().control().max_memory)?;
        let ratio = pca.explained_variance_ratio();
        Ok(Self {
            points: pca.project_data(data)?,
            em: pca.project_mixture(em)?,
            vb: pca.project_mixture(vb)?,
            x_label: format!("PC1 ({:.0}% of variance)", 100.0 * ratio[0]),
            y_label: format!("PC2 ({:.0}% of variance)", 100.0 * ratio[1]),
        })
    }
}

/// Data of dimension D >= 2: EM and VB side by side in the [`Plane`], matched components
/// in matched colours.
fn ellipses_figure(
    comparison: &Comparison,
    data: &Dataset,
    column_names: &[String],
) -> Result<String> {
    let report = &comparison.report;
    let plane = Plane::of(comparison, data, column_names)?;
    let panels = [
        MixturePanel {
            title: format!(
                "EM, K = {}: {} components",
                report.n_components, report.em.effective_components
            ),
            points: &plane.points,
            mixture: &plane.em,
            colour_of_component: (0..comparison.em.mixture().n_components()).collect(),
            min_weight: report.weight_threshold,
        },
        MixturePanel {
            title: format!(
                "VB, K = {}: {} components",
                report.n_components, report.vb.effective_components
            ),
            points: &plane.points,
            mixture: &plane.vb,
            colour_of_component: report.vb_colours(),
            min_weight: report.weight_threshold,
        },
    ];
    ellipses_svg(&panels, &plane.x_label, &plane.y_label)
}

/// The SVG file of a choice of K, `{prefix}-selection.svg`.
///
/// # Errors
/// Errors of drawing.
pub fn selection_figures(report: &SelectionReport, prefix: &str) -> Result<Vec<(String, String)>> {
    let title = format!("{}: choosing K", report.title);
    Ok(vec![(
        format!("{prefix}-selection.svg"),
        selection_svg(&report.rows, &title)?,
    )])
}
