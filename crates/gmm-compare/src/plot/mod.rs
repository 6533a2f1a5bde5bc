//! SVG plots of fits, built with plotters' SVG backend from plain inputs (points, mixtures,
//! bound sequences, selection tables). Every function returns the SVG text; writing it is the
//! caller's business (`gmm_io::write_all_atomic` writes files atomically).
//!
//! Colours follow the matching of components: the reference fit's component `k` and the
//! component of the other fit matched to it share colour `k`.

mod interval_plots;
mod mixture_plots;
mod series_plots;

pub use interval_plots::{IntervalSeries, intervals_svg};
pub use mixture_plots::{MixturePanel, density_svg, ellipses_svg};
pub use series_plots::{bounds_svg, selection_svg, weights_svg};

use plotters::coord::CoordTranslate;
use plotters::prelude::*;

use gmm_core::{GmmError, Result};

/// The ten colours of the Category10 palette (d3 / matplotlib), cycled beyond ten.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of index `i` (cycled).
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The font family used for all text.
const FONT: &str = "sans-serif";

/// Turns a drawing error into the workspace's error type.
fn draw_error<E: std::fmt::Debug>(plot: &str) -> impl FnOnce(E) -> GmmError + '_ {
    move |e| GmmError::Io {
        path: plot.to_string(),
        reason: format!("drawing the plot failed ({e:?})"),
    }
}

/// Draws the chart's series labels at `position` on a white box with a black border.
fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    font_size: u32,
    plot: &str,
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font((FONT, font_size))
        .draw()
        .map_err(draw_error(plot))
}

/// A padded range covering `values` (at least a small width around a single value).
fn padded_range(values: impl Iterator<Item = f64>, pad_fraction: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let width = hi - lo;
    let pad = if width > 0.0 {
        width * pad_fraction
    } else {
        lo.abs().max(1.0) * 0.05
    };
    (lo - pad, hi + pad)
}

/// Tick text with as many decimals as the axis span needs (no long float tails); values of
/// a million or more, and small values on a small span, in scientific notation.
fn tick(v: f64, span: f64) -> String {
    if v.abs() < span * 1e-9 {
        return "0".to_string();
    }
    let magnitude = v.abs();
    if span.is_finite() && span > 0.0 && (magnitude >= 1e6 || (magnitude < 1e-2 && span < 1e-2)) {
        let digits = ((magnitude / span).log10().ceil() + 1.0).clamp(1.0, 6.0) as usize;
        return format!("{v:.digits$e}");
    }
    let decimals = if span <= 0.0 || !span.is_finite() {
        2
    } else {
        (2.0 - span.log10().floor()).clamp(0.0, 8.0) as usize
    };
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_have_sensible_decimals() {
        assert_eq!(tick(1234.5678, 2000.0), "1235");
        assert_eq!(tick(0.123456, 0.5), "0.123");
        assert_eq!(tick(-1e-12, 10.0), "0");
        assert_eq!(tick(1.5e-4, 3e-4), "1.5e-4");
        assert_eq!(tick(-2.39812, 0.004), "-2.39812");
        assert_eq!(tick(2.5e7, 1e7), "2.50e7");
        assert_eq!(tick(-3.25, 10.0), "-3.2");
    }

    #[test]
    fn ranges_are_padded_and_never_empty() {
        assert_eq!(padded_range([0.0, 10.0].into_iter(), 0.1), (-1.0, 11.0));
        let (lo, hi) = padded_range([5.0].into_iter(), 0.1);
        assert!(lo < 5.0 && hi > 5.0);
        assert_eq!(padded_range(std::iter::empty(), 0.1), (-1.0, 1.0));
    }
}
