//! Plots of fitted mixtures over their data: 2-D ellipses and 1-D densities.

use nalgebra::{DMatrix, SymmetricEigen};
use plotters::coord::Shift;
use plotters::prelude::*;

use gmm_core::{Dataset, GaussianMixture, MixtureModel, Result};

use super::{FONT, colour, draw_error, draw_legend, padded_range, tick};

/// One panel of [`ellipses_svg`]: 2-D points and a 2-D mixture fitted to them.
#[derive(Debug, Clone)]
pub struct MixturePanel<'a> {
    /// The panel's title.
    pub title: String,
    /// The points, in the plotted coordinates.
    pub points: &'a [[f64; 2]],
    /// The mixture, in the same coordinates (2-D).
    pub mixture: &'a GaussianMixture,
    /// Colour index of each component (matched components share a colour).
    pub colour_of_component: Vec<usize>,
    /// Components lighter than this are not drawn (and are counted in the legend).
    pub min_weight: f64,
}

/// Points on the `scale`-sigma ellipse `{x : (x - mu)^T Sigma^{-1} (x - mu) = scale^2}`.
fn ellipse(mean: (f64, f64), cov: &DMatrix<f64>, scale: f64) -> Vec<(f64, f64)> {
    let eig = SymmetricEigen::new(cov.clone());
    let (a, b) = (
        eig.eigenvalues[0].max(0.0).sqrt(),
        eig.eigenvalues[1].max(0.0).sqrt(),
    );
    let (v1, v2) = (eig.eigenvectors.column(0), eig.eigenvectors.column(1));
    (0..=120)
        .map(|i| {
            let t = i as f64 / 120.0 * std::f64::consts::TAU;
            let (c, s) = (scale * a * t.cos(), scale * b * t.sin());
            (
                mean.0 + c * v1[0] + s * v2[0],
                mean.1 + c * v1[1] + s * v2[1],
            )
        })
        .collect()
}

/// Side-by-side panels of 2-D points, each component's 1- and 2-sigma ellipses and its mean
/// (a cross), points coloured by their most probable component. All panels share their
/// axis ranges; each has its legend to the right of its plotting area.
///
/// # Errors
/// [`gmm_core::GmmError::ShapeMismatch`] when a mixture is not 2-D;
/// [`gmm_core::GmmError::Io`] if drawing fails.
pub fn ellipses_svg(panels: &[MixturePanel<'_>], x_label: &str, y_label: &str) -> Result<String> {
    let (contents, axes) = panel_contents(panels, x_label, y_label)?;
    let panel_width = 560u32;
    let (width, height) = (panel_width * panels.len().max(1) as u32, 500u32);
    let mut svg = String::new();
    {
        let err = draw_error("ellipse plot");
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error("ellipse plot"))?;
        let areas = root.split_evenly((1, panels.len().max(1)));
        for ((panel, area), content) in panels.iter().zip(areas).zip(&contents) {
            let (plot_area, legend_area) = area.split_horizontally(panel_width - 130);
            draw_panel_plot(&plot_area, panel, content, &axes)?;
            draw_panel_legend(&legend_area, panel, &content.drawn)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// What one panel of [`ellipses_svg`] shows besides its inputs.
struct PanelContent {
    /// The components drawn (those of weight at least the panel's `min_weight`).
    drawn: Vec<usize>,
    /// The most probable component of each point.
    point_labels: Vec<usize>,
}

/// The shared axes of the panels: ranges and descriptions.
struct Axes<'a> {
    x: (f64, f64),
    y: (f64, f64),
    x_label: &'a str,
    y_label: &'a str,
}

/// Each panel's drawn components and point labels, and the shared axes: x and y ranges
/// covering every panel's points and drawn 2-sigma ellipses.
fn panel_contents<'a>(
    panels: &[MixturePanel<'_>],
    x_label: &'a str,
    y_label: &'a str,
) -> Result<(Vec<PanelContent>, Axes<'a>)> {
    let mut contents = Vec::with_capacity(panels.len());
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for panel in panels {
        let gm = panel.mixture;
        let flat: Vec<f64> = panel.points.iter().flatten().copied().collect();
        let data = Dataset::from_row_major(panel.points.len(), 2, flat)?;
        let point_labels = gm.predict(&data)?;
        let drawn: Vec<usize> = (0..gm.n_components())
            .filter(|&c| gm.weights()[c] >= panel.min_weight)
            .collect();
        for &c in &drawn {
            let m = (gm.means()[(c, 0)], gm.means()[(c, 1)]);
            for p in ellipse(m, &gm.covariances().full_matrix(c, 2), 2.0) {
                xs.push(p.0);
                ys.push(p.1);
            }
        }
        xs.extend(panel.points.iter().map(|p| p[0]));
        ys.extend(panel.points.iter().map(|p| p[1]));
        contents.push(PanelContent {
            drawn,
            point_labels,
        });
    }
    let axes = Axes {
        x: padded_range(xs.into_iter(), 0.04),
        y: padded_range(ys.into_iter(), 0.04),
        x_label,
        y_label,
    };
    Ok((contents, axes))
}

/// The colour of component `c` of a panel.
fn component_colour(panel: &MixturePanel<'_>, c: usize) -> RGBColor {
    colour(panel.colour_of_component.get(c).copied().unwrap_or(c))
}

/// A panel's plotting area: axes, the points, and each drawn component's ellipses and mean.
fn draw_panel_plot(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &MixturePanel<'_>,
    content: &PanelContent,
    axes: &Axes<'_>,
) -> Result<()> {
    let ((x0, x1), (y0, y1)) = (axes.x, axes.y);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FONT, 18))
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_error("ellipse plot"))?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc(axes.x_label)
        .y_desc(axes.y_label)
        .x_label_formatter(&|v| tick(*v, x1 - x0))
        .y_label_formatter(&|v| tick(*v, y1 - y0))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(draw_error("ellipse plot"))?;
    let gm = panel.mixture;
    let col = |c: usize| component_colour(panel, c);
    chart
        .draw_series(
            panel
                .points
                .iter()
                .zip(&content.point_labels)
                .map(|(p, &l)| Circle::new((p[0], p[1]), 2, col(l).mix(0.35).filled())),
        )
        .map_err(draw_error("ellipse plot"))?;
    for &c in &content.drawn {
        let m = (gm.means()[(c, 0)], gm.means()[(c, 1)]);
        let cov = gm.covariances().full_matrix(c, 2);
        chart
            .draw_series(LineSeries::new(
                ellipse(m, &cov, 1.0),
                col(c).stroke_width(2),
            ))
            .map_err(draw_error("ellipse plot"))?;
        chart
            .draw_series(DashedLineSeries::new(
                ellipse(m, &cov, 2.0),
                6,
                4,
                col(c).stroke_width(1),
            ))
            .map_err(draw_error("ellipse plot"))?;
        chart
            .draw_series(std::iter::once(Cross::new(m, 6, BLACK.stroke_width(2))))
            .map_err(draw_error("ellipse plot"))?;
    }
    Ok(())
}

/// A panel's legend, outside its plotting area: the weight of each drawn component, how
/// many are hidden, and what the marks mean.
fn draw_panel_legend(
    legend_area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &MixturePanel<'_>,
    drawn: &[usize],
) -> Result<()> {
    let gm = panel.mixture;
    let style = (FONT, 13).into_font();
    let mut y = 60;
    legend_area
        .draw(&Text::new("weight", (10, y - 22), style.clone()))
        .map_err(draw_error("ellipse plot"))?;
    for &c in drawn {
        legend_area
            .draw(&Rectangle::new(
                [(10, y - 9), (22, y + 3)],
                component_colour(panel, c).filled(),
            ))
            .map_err(draw_error("ellipse plot"))?;
        let text = format!("#{}  {:.3}", c + 1, gm.weights()[c]);
        legend_area
            .draw(&Text::new(text, (28, y - 10), style.clone()))
            .map_err(draw_error("ellipse plot"))?;
        y += 20;
    }
    let hidden = gm.n_components() - drawn.len();
    if hidden > 0 {
        let text = format!("+{hidden} below {}", panel.min_weight);
        legend_area
            .draw(&Text::new(text, (10, y - 6), style.clone()))
            .map_err(draw_error("ellipse plot"))?;
        y += 20;
    }
    for (i, line) in ["solid: 1 sigma", "dashed: 2 sigma", "x: mean"]
        .iter()
        .enumerate()
    {
        legend_area
            .draw(&Text::new(
                *line,
                (10, y + 10 + 18 * i as i32),
                style.clone(),
            ))
            .map_err(draw_error("ellipse plot"))?;
    }
    Ok(())
}

/// A histogram of 1-D values, as a density.
struct Histogram {
    /// The number of values (at least 1).
    n: usize,
    /// The left edge of the first bin.
    lo: f64,
    /// The width of every bin.
    bin_width: f64,
    /// The height of each bin: its count over `n` times the bin width.
    heights: Vec<f64>,
}

impl Histogram {
    /// Between 10 and 60 bins (twice the cube root of the number of values) spanning the
    /// values.
    fn of(values: &[f64]) -> Self {
        let n = values.len().max(1);
        let n_bins = ((2.0 * (n as f64).cbrt()).ceil() as usize).clamp(10, 60);
        let (lo, hi) = padded_range(values.iter().copied(), 0.0);
        let bin_width = (hi - lo) / n_bins as f64;
        let mut counts = vec![0usize; n_bins];
        for &v in values {
            let b = (((v - lo) / bin_width) as usize).min(n_bins - 1);
            counts[b] += 1;
        }
        let heights = counts
            .iter()
            .map(|&c| c as f64 / (n as f64 * bin_width))
            .collect();
        Self {
            n,
            lo,
            bin_width,
            heights,
        }
    }
}

/// What [`density_svg`] draws: the histogram and each model's density on a grid.
struct DensityFigure<'a> {
    histogram: Histogram,
    /// The x values of the density curves (the x range of the plot).
    grid: Vec<f64>,
    /// Each model's name and density at the grid.
    curves: Vec<(String, Vec<f64>)>,
    /// The top of the y range.
    top: f64,
    title: &'a str,
    x_label: &'a str,
}

/// A histogram of 1-D `values` (as a density) with the density of each named model drawn
/// over it.
///
/// # Errors
/// Any error of the models' `score_samples`; [`gmm_core::GmmError::Io`] if drawing fails.
pub fn density_svg(
    values: &[f64],
    models: &[(&str, &dyn MixtureModel)],
    title: &str,
    x_label: &str,
) -> Result<String> {
    let (lo, hi) = padded_range(values.iter().copied(), 0.08);
    let histogram = Histogram::of(values);
    let grid: Vec<f64> = (0..=400)
        .map(|i| lo + (hi - lo) * i as f64 / 400.0)
        .collect();
    let grid_data = Dataset::from_slice_1d(&grid)?;
    let mut curves = Vec::new();
    for (name, model) in models {
        let dens: Vec<f64> = model
            .score_samples(&grid_data)?
            .iter()
            .map(|l| l.exp())
            .collect();
        curves.push((name.to_string(), dens));
    }
    let top = histogram
        .heights
        .iter()
        .chain(curves.iter().flat_map(|(_, d)| d.iter()))
        .copied()
        .fold(0.0f64, f64::max)
        * 1.25;
    let top = if top > 0.0 { top } else { 1.0 };
    let figure = DensityFigure {
        histogram,
        grid,
        curves,
        top,
        title,
        x_label,
    };
    let mut svg = String::new();
    draw_density(&mut svg, &figure, (lo, hi))?;
    Ok(svg)
}

/// Draws a [`DensityFigure`] over the x range `(lo, hi)` into `svg`.
fn draw_density(svg: &mut String, figure: &DensityFigure<'_>, (lo, hi): (f64, f64)) -> Result<()> {
    let (histogram, top) = (&figure.histogram, figure.top);
    let root = SVGBackend::with_string(svg, (800, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_error("density plot"))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(figure.title, (FONT, 20))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(70)
        .build_cartesian_2d(lo..hi, 0.0..top)
        .map_err(draw_error("density plot"))?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc(figure.x_label)
        .y_desc("density")
        .x_label_formatter(&|v| tick(*v, hi - lo))
        .y_label_formatter(&|v| tick(*v, top))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(draw_error("density plot"))?;
    chart
        .draw_series(histogram.heights.iter().enumerate().map(|(b, &h)| {
            let x = histogram.lo + b as f64 * histogram.bin_width;
            Rectangle::new(
                [(x, 0.0), (x + histogram.bin_width, h)],
                RGBColor(200, 200, 200).filled(),
            )
        }))
        .map_err(draw_error("density plot"))?
        .label(format!("data ({} points)", histogram.n))
        .legend(|(x, y)| {
            Rectangle::new(
                [(x, y - 5), (x + 18, y + 5)],
                RGBColor(200, 200, 200).filled(),
            )
        });
    for (i, (name, dens)) in figure.curves.iter().enumerate() {
        let c = colour(i);
        chart
            .draw_series(LineSeries::new(
                figure.grid.iter().copied().zip(dens.iter().copied()),
                c.stroke_width(if i == 0 { 3 } else { 2 }),
            ))
            .map_err(draw_error("density plot"))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
    }
    draw_legend(
        &mut chart,
        SeriesLabelPosition::UpperRight,
        14,
        "density plot",
    )?;
    root.present().map_err(draw_error("density plot"))?;
    Ok(())
}
