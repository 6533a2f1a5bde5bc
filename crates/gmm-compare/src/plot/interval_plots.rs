//! A measure against the sample size, with intervals: one line per method, its points
//! with vertical error bars, the sample size on a logarithmic axis (a study's plots).

use plotters::prelude::*;

use gmm_core::Result;

use super::{FONT, colour, draw_error, draw_legend, padded_range, tick};

/// One method's points of an [`intervals_svg`] plot: `(x, mean, lower, upper)`.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalSeries {
    /// The legend's text.
    pub label: String,
    /// `(x, mean, lower, upper)` in increasing x; x must be positive (logarithmic axis).
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// The name of these plots in drawing errors.
const INTERVAL_PLOT: &str = "interval plot";

/// Each series' means against x (logarithmic) joined by a line, with a vertical bar from
/// lower to upper at each point; series `i` in colour `i`, slightly offset along x so that
/// the bars of different series do not hide each other.
///
/// # Errors
/// [`gmm_core::GmmError::Io`] if drawing fails.
pub fn intervals_svg(
    series: &[IntervalSeries],
    title: &str,
    x_label: &str,
    y_label: &str,
) -> Result<String> {
    let xs = || series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let x0 = xs().filter(|x| *x > 0.0).fold(f64::INFINITY, f64::min);
    let x1 = xs().fold(f64::NEG_INFINITY, f64::max);
    let (x0, x1) = if x0.is_finite() && x1 >= x0 {
        (x0 / 1.25, x1 * 1.25)
    } else {
        (1.0, 10.0)
    };
    let (y0, y1) = padded_range(
        series
            .iter()
            .flat_map(|s| s.points.iter().flat_map(|p| [p.2, p.3])),
        0.08,
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error(INTERVAL_PLOT))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d((x0..x1).log_scale(), y0..y1)
            .map_err(draw_error(INTERVAL_PLOT))?;
        let y_span = y1 - y0;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc(x_label)
            .y_desc(y_label)
            .x_label_formatter(&|v| format!("{}", v.round() as i64))
            .y_label_formatter(&|v| tick(*v, y_span))
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(draw_error(INTERVAL_PLOT))?;
        let n = series.len() as f64;
        for (i, s) in series.iter().enumerate() {
            let c = colour(i);
            // offsets of a few per cent, symmetric about the true x
            let shift = 1.0 + 0.025 * (i as f64 - (n - 1.0) / 2.0);
            let at = |x: f64| x * shift;
            chart
                .draw_series(LineSeries::new(
                    s.points.iter().map(|p| (at(p.0), p.1)),
                    c.stroke_width(2),
                ))
                .map_err(draw_error(INTERVAL_PLOT))?
                .label(s.label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
            chart
                .draw_series(
                    s.points.iter().map(|p| {
                        ErrorBar::new_vertical(at(p.0), p.2, p.1, p.3, c.stroke_width(1), 6)
                    }),
                )
                .map_err(draw_error(INTERVAL_PLOT))?;
            chart
                .draw_series(
                    s.points
                        .iter()
                        .map(|p| Circle::new((at(p.0), p.1), 3, c.filled())),
                )
                .map_err(draw_error(INTERVAL_PLOT))?;
        }
        if !series.is_empty() {
            draw_legend(
                &mut chart,
                SeriesLabelPosition::LowerRight,
                13,
                INTERVAL_PLOT,
            )?;
        }
        root.present().map_err(draw_error(INTERVAL_PLOT))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_is_drawn_with_its_label() {
        let series = vec![
            IntervalSeries {
                label: "EM".into(),
                points: vec![(10.0, -4.0, -5.0, -3.5), (100.0, -3.2, -3.3, -3.1)],
            },
            IntervalSeries {
                label: "VB".into(),
                points: vec![(10.0, -3.6, -3.9, -3.4), (100.0, -3.2, -3.25, -3.15)],
            },
        ];
        let svg = intervals_svg(&series, "t", "N", "log pred").unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("\nEM\n") && svg.contains("\nVB\n"), "{svg}");
        // one filled marker per point, in its series' colour (Category10 blue and orange)
        let filled = |c: &str| {
            svg.matches(&format!("fill=\"{c}\" stroke=\"none\""))
                .count()
        };
        assert_eq!((filled("#1F77B4"), filled("#FF7F0E")), (2, 2), "{svg}");
        // an empty plot still draws
        assert!(intervals_svg(&[], "t", "N", "y").unwrap().contains("<svg"));
    }
}
