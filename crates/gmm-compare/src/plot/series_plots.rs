//! Plots of sequences: the bound per iteration, the criteria against K, the weights.

use plotters::coord::Shift;
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use gmm_core::Result;

use super::{FONT, colour, draw_error, draw_legend, padded_range, tick};
use crate::report::SelectionRow;

/// One named line of a [`LinePanel`].
struct Series {
    label: String,
    points: Vec<(f64, f64)>,
    colour: usize,
}

impl Series {
    fn new(label: &str, points: Vec<(f64, f64)>, colour: usize) -> Self {
        Self {
            label: label.to_string(),
            points,
            colour,
        }
    }
}

/// A line chart: title, axis labels, series, whether the axes are integers, a point to
/// circle, and where the legend goes (drawn when there is more than one series). A series
/// whose label contains "reference" is drawn dashed.
struct LinePanel<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    series: Vec<Series>,
    integer_axes: (bool, bool),
    best: Option<(f64, f64)>,
    legend_position: SeriesLabelPosition,
}

/// The chart of a [`LinePanel`]: x against y, both axes `f64`.
type LineChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The name of line plots in drawing errors.
const LINE_PLOT: &str = "line plot";

fn line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: LinePanel<'_>,
) -> Result<()> {
    let mut chart = line_chart(area, &panel)?;
    for series in &panel.series {
        draw_line_series(&mut chart, series)?;
    }
    if let Some(p) = panel.best {
        chart
            .draw_series(std::iter::once(Circle::new(p, 8, BLACK.stroke_width(2))))
            .map_err(draw_error(LINE_PLOT))?;
    }
    if panel.series.len() > 1 {
        draw_legend(&mut chart, panel.legend_position, 13, LINE_PLOT)?;
    }
    Ok(())
}

/// The panel's chart with its title and axes drawn, the ranges padded around every
/// series' points; integer axes get integer ticks.
fn line_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    panel: &LinePanel<'_>,
) -> Result<LineChart<'a, DB>> {
    let series = &panel.series;
    let (integer_x, integer_y) = panel.integer_axes;
    let (x0, x1) = padded_range(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.0)),
        0.04,
    );
    let (y0, y1) = padded_range(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
        0.12,
    );
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, (FONT, 17))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(88)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_error(LINE_PLOT))?;
    let x_span = x1 - x0;
    let y_span = y1 - y0;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc(panel.x_label)
        .y_desc(panel.y_label)
        .x_labels(if integer_x {
            (x_span as usize + 1).min(12)
        } else {
            10
        })
        .y_labels(if integer_y {
            (y_span as usize + 1).min(12)
        } else {
            10
        })
        .x_label_formatter(&|v| {
            if integer_x {
                format!("{}", v.round() as i64)
            } else {
                tick(*v, x_span)
            }
        })
        .y_label_formatter(&|v| {
            if integer_y {
                format!("{}", v.round() as i64)
            } else {
                tick(*v, y1 - y0)
            }
        })
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(draw_error(LINE_PLOT))?;
    Ok(chart)
}

/// One series: a dashed line if its label says "reference", otherwise a solid line with
/// its points circled when there are at most 60.
fn draw_line_series<DB: DrawingBackend>(
    chart: &mut LineChart<'_, DB>,
    series: &Series,
) -> Result<()> {
    let Series {
        label,
        points,
        colour: colour_index,
    } = series;
    let c = colour(*colour_index);
    let dashed = label.contains("reference");
    if dashed {
        chart
            .draw_series(DashedLineSeries::new(
                points.iter().copied(),
                5,
                4,
                c.stroke_width(1),
            ))
            .map_err(draw_error(LINE_PLOT))?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(1)));
        return Ok(());
    }
    chart
        .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
        .map_err(draw_error(LINE_PLOT))?
        .label(label.as_str())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    if points.len() <= 60 {
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, c.filled())))
            .map_err(draw_error(LINE_PLOT))?;
    }
    Ok(())
}

/// The bound per iteration of each fit, one panel per fit (their bounds are on different
/// scales: EM's is a mean per point, VB's ELBO a total). `fits` holds
/// `(title, y-axis label, bounds)`.
///
/// # Errors
/// [`gmm_core::GmmError::Io`] if drawing fails.
pub fn bounds_svg(fits: &[(&str, &str, &[f64])]) -> Result<String> {
    let mut svg = String::new();
    {
        let width = 520 * fits.len().max(1) as u32;
        let root = SVGBackend::with_string(&mut svg, (width, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error("bound plot"))?;
        for (i, (area, (title, y_label, bounds))) in root
            .split_evenly((1, fits.len().max(1)))
            .iter()
            .zip(fits)
            .enumerate()
        {
            let points: Vec<(f64, f64)> = bounds
                .iter()
                .enumerate()
                .map(|(t, &b)| ((t + 1) as f64, b))
                .collect();
            line_panel(
                area,
                LinePanel {
                    title,
                    x_label: "iteration",
                    y_label,
                    series: vec![Series::new(title, points, i)],
                    integer_axes: (true, false),
                    best: None,
                    legend_position: SeriesLabelPosition::LowerRight,
                },
            )?;
        }
        root.present().map_err(draw_error("bound plot"))?;
    }
    Ok(svg)
}

/// Choosing K: EM's BIC, AIC and ICL against K, VB's ELBO (and ELBO + ln K!) against K, and VB's
/// effective number of components against K; the lowest BIC and the highest ELBO are
/// circled.
///
/// # Errors
/// [`gmm_core::GmmError::Io`] if drawing fails.
pub fn selection_svg(rows: &[SelectionRow], title: &str) -> Result<String> {
    let ks: Vec<f64> = rows.iter().map(|r| r.k as f64).collect();
    let pts = |f: fn(&SelectionRow) -> f64| -> Vec<(f64, f64)> {
        ks.iter().copied().zip(rows.iter().map(f)).collect()
    };
    let best_bic = rows
        .iter()
        .min_by(|a, b| a.em_bic.total_cmp(&b.em_bic))
        .map(|r| (r.k as f64, r.em_bic));
    let best_elbo = rows
        .iter()
        .max_by(|a, b| a.vb_elbo.total_cmp(&b.vb_elbo))
        .map(|r| (r.k as f64, r.vb_elbo));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1500, 460)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error("selection plot"))?;
        let root = root
            .titled(title, (FONT, 20))
            .map_err(draw_error("selection plot"))?;
        let areas = root.split_evenly((1, 3));
        line_panel(
            &areas[0],
            LinePanel {
                title: "EM: information criteria (lower is better)",
                x_label: "K",
                y_label: "criterion",
                series: vec![
                    Series::new("BIC", pts(|r| r.em_bic), 0),
                    Series::new("AIC", pts(|r| r.em_aic), 7),
                    Series::new("ICL", pts(|r| r.em_icl), 2),
                ],
                integer_axes: (true, false),
                best: best_bic,
                legend_position: SeriesLabelPosition::UpperRight,
            },
        )?;
        line_panel(
            &areas[1],
            LinePanel {
                title: "VB: evidence lower bound (higher is better)",
                x_label: "K",
                y_label: "ELBO",
                series: vec![
                    Series::new("ELBO", pts(|r| r.vb_elbo), 1),
                    Series::new("ELBO + ln K!", pts(|r| r.vb_elbo_plus_ln_k_factorial), 7),
                ],
                integer_axes: (true, false),
                best: best_elbo,
                legend_position: SeriesLabelPosition::LowerRight,
            },
        )?;
        line_panel(
            &areas[2],
            LinePanel {
                title: "VB: components kept",
                x_label: "K",
                y_label: "effective components",
                series: vec![
                    Series::new("effective K", pts(|r| r.vb_effective_components as f64), 1),
                    Series::new("reference: all K", pts(|r| r.k as f64), 7),
                ],
                integer_axes: (true, true),
                best: None,
                legend_position: SeriesLabelPosition::UpperLeft,
            },
        )?;
        root.present().map_err(draw_error("selection plot"))?;
    }
    Ok(svg)
}

/// The weights of two fits side by side, component by component in display order (matched
/// components in one group). `fits` holds `(name, weights)`; a missing weight is absent.
///
/// # Errors
/// [`gmm_core::GmmError::Io`] if drawing fails.
pub fn weights_svg(fits: &[(&str, &[f64])], title: &str) -> Result<String> {
    let k = fits.iter().map(|f| f.1.len()).max().unwrap_or(1).max(1);
    let top = fits
        .iter()
        .flat_map(|f| f.1.iter().copied())
        .fold(0.0f64, f64::max)
        .max(0.05)
        * 1.2;
    let groups = fits.len().max(1) as f64;
    let mut svg = String::new();
    {
        let width = (360 + 60 * k as u32).clamp(640, 1200);
        let root = SVGBackend::with_string(&mut svg, (width, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error("weight plot"))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(60)
            .build_cartesian_2d(0.4..(k as f64 + 0.6), 0.0..top)
            .map_err(draw_error("weight plot"))?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .disable_x_mesh()
            .x_labels(k.min(30))
            .x_label_formatter(&|v| {
                let r = v.round();
                if (v - r).abs() < 1e-9 && r >= 1.0 {
                    format!("{}", r as usize)
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| tick(*v, top))
            .x_desc("component (matched across fits)")
            .y_desc("weight")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(draw_error("weight plot"))?;
        let bar = 0.8 / groups;
        for (g, (name, weights)) in fits.iter().enumerate() {
            let c = colour(g);
            chart
                .draw_series(weights.iter().enumerate().map(|(i, &w)| {
                    let left = (i + 1) as f64 - 0.4 + g as f64 * bar;
                    Rectangle::new([(left, 0.0), (left + bar * 0.92, w)], c.filled())
                }))
                .map_err(draw_error("weight plot"))?
                .label(*name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
        }
        draw_legend(
            &mut chart,
            SeriesLabelPosition::UpperRight,
            14,
            "weight plot",
        )?;
        root.present().map_err(draw_error("weight plot"))?;
    }
    Ok(svg)
}
