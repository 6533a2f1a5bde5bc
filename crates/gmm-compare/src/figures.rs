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
    let em = comparison.em.mixture();
    let vb = comparison.vb.point_estimate();
    let name = |j: usize| {
        column_names
            .get(j)
            .cloned()
            .unwrap_or_else(|| format!("x{}", j + 1))
    };
    let mut files = Vec::new();
    if data.n_features() == 1 {
        let values: Vec<f64> = data.as_slice().to_vec();
        let models: [(&str, &dyn MixtureModel); 2] = [
            ("EM (maximum likelihood)", &comparison.em),
            ("VB (posterior predictive)", &comparison.vb),
        ];
        let title = format!("{}: K = {}", report.title, report.n_components);
        files.push((
            format!("{prefix}-density.svg"),
            density_svg(&values, &models, &title, &name(0))?,
        ));
    } else {
        let (points, em2, vb2, x_label, y_label): (
            Vec<[f64; 2]>,
            GaussianMixture,
            GaussianMixture,
            String,
            String,
        ) = if data.n_features() == 2 {
            (
                data.rows().map(|r| [r[0], r[1]]).collect(),
                em.clone(),
                vb.clone(),
                name(0),
                name(1),
            )
        } else {
            let pca = Pca2::fit(data)?;
            let ratio = pca.explained_variance_ratio();
            (
                pca.project_data(data)?,
                pca.project_mixture(em)?,
                pca.project_mixture(vb)?,
                format!("PC1 ({:.0}% of variance)", 100.0 * ratio[0]),
                format!("PC2 ({:.0}% of variance)", 100.0 * ratio[1]),
            )
        };
        let panels = [
            MixturePanel {
                title: format!(
                    "EM, K = {}: {} components",
                    report.n_components, report.em.effective_components
                ),
                points: &points,
                mixture: &em2,
                colour_of_component: (0..em.n_components()).collect(),
                min_weight: report.weight_threshold,
            },
            MixturePanel {
                title: format!(
                    "VB, K = {}: {} components",
                    report.n_components, report.vb.effective_components
                ),
                points: &points,
                mixture: &vb2,
                colour_of_component: report.vb_colours(),
                min_weight: report.weight_threshold,
            },
        ];
        files.push((
            format!("{prefix}-ellipses.svg"),
            ellipses_svg(&panels, &x_label, &y_label)?,
        ));
    }
    files.push((
        format!("{prefix}-bounds.svg"),
        bounds_svg(&[
            (
                "EM: mean log-likelihood per point",
                "mean log-likelihood",
                &report.em.lower_bounds,
            ),
            ("VB: ELBO (total)", "ELBO", &report.vb.lower_bounds),
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
