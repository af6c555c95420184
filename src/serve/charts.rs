//! The charts' geometry: the figures of [`crate::postings::data::ChartData`] laid out as SVG coordinates,
//! which the template draws. Everything is computed here so the template only places numbers
//! and (escaped) names; colours are CSS classes, so the page needs no inline style.

use crate::postings::data::{Bands, DailySeries};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 36.0;
/// Series drawn at most: each gets one of the stylesheet's colour classes `c0`..`c7`.
const COLOURS: usize = 8;

/// A label on an axis.
#[derive(Debug)]
pub struct Tick {
    /// Position along its axis.
    pub at: f64,
    /// The text.
    pub text: String,
}

/// One line of a line chart.
#[derive(Debug)]
pub struct Line {
    /// Its name (a search or a skill).
    pub name: String,
    /// `c0`..`c7`.
    pub class: String,
    /// The `points` attribute of a polyline.
    pub points: String,
}

/// A line chart, laid out.
#[derive(Debug)]
pub struct LineChart {
    /// Its lines.
    pub lines: Vec<Line>,
    /// Day labels.
    pub x_ticks: Vec<Tick>,
    /// Count labels.
    pub y_ticks: Vec<Tick>,
    /// Nothing to draw.
    pub empty: bool,
}

/// One bar.
#[derive(Debug)]
pub struct Bar {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// Centre, for its label.
    pub middle: f64,
    /// Its band.
    pub label: String,
    /// Its count.
    pub value: i64,
}

/// A bar chart, laid out.
#[derive(Debug)]
pub struct BarChart {
    /// Its bars.
    pub bars: Vec<Bar>,
    /// Count labels.
    pub y_ticks: Vec<Tick>,
    /// Nothing to draw.
    pub empty: bool,
}

/// The drawing area's size, for the template's `viewBox`.
pub const VIEW_BOX: &str = "0 0 640 220";
/// The x axis's y and the y axis's x, for the template.
pub const AXIS_Y: f64 = HEIGHT - BOTTOM;
/// The y axis's x.
pub const AXIS_X: f64 = LEFT;

fn y_of(value: f64, max: f64) -> f64 {
    TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - value / max)
}

fn y_ticks(max: f64) -> Vec<Tick> {
    [0.0, 0.5, 1.0]
        .iter()
        .map(|share| Tick {
            at: y_of(max * share, max),
            text: format!("{:.0}", max * share),
        })
        .collect()
}

/// Lays out daily series as lines.
pub fn lines(data: &DailySeries) -> LineChart {
    let max = data
        .series
        .values()
        .flat_map(|v| v.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let steps = data.days.len().saturating_sub(1).max(1) as f64;
    let x_of = |i: usize| LEFT + (WIDTH - LEFT - RIGHT) * i as f64 / steps;
    let lines = data
        .series
        .iter()
        .take(COLOURS)
        .enumerate()
        .map(|(n, (name, values))| Line {
            name: name.clone(),
            class: format!("c{n}"),
            points: values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{:.1},{:.1}", x_of(i), y_of(*v as f64, max)))
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect();
    let every = data.days.len().div_ceil(6).max(1);
    let x_ticks = data
        .days
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, day)| Tick {
            at: x_of(i),
            text: day.get(5..).unwrap_or(day).to_string(),
        })
        .collect();
    LineChart {
        lines,
        x_ticks,
        y_ticks: y_ticks(max),
        empty: data.days.is_empty(),
    }
}

/// Lays out a distribution as bars.
pub fn bars(data: &Bands) -> BarChart {
    let max = data.postings.iter().copied().max().unwrap_or(0).max(1) as f64;
    let slot = (WIDTH - LEFT - RIGHT) / data.bands.len().max(1) as f64;
    let bars = data
        .bands
        .iter()
        .zip(&data.postings)
        .enumerate()
        .map(|(i, (label, value))| {
            let y = y_of(*value as f64, max);
            let x = LEFT + slot * i as f64 + slot * 0.15;
            Bar {
                x,
                y,
                width: slot * 0.7,
                height: AXIS_Y - y,
                middle: x + slot * 0.35,
                label: (*label).to_string(),
                value: *value,
            }
        })
        .collect();
    BarChart {
        bars,
        y_ticks: y_ticks(max),
        empty: data.postings.iter().all(|v| *v == 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn lines_stay_inside_the_drawing() {
        let data = DailySeries {
            days: vec!["2026-01-01".into(), "2026-01-02".into()],
            series: BTreeMap::from([("rust".to_string(), vec![0, 10])]),
        };
        let chart = lines(&data);
        assert_eq!(chart.lines[0].points, "44.0,184.0 628.0,12.0");
        assert_eq!(chart.x_ticks[0].text, "01-01");
        let bars = bars(&Bands {
            bands: vec!["a", "b"],
            postings: vec![0, 4],
        });
        assert_eq!(bars.bars[1].y, TOP);
        assert_eq!(bars.bars[0].height, 0.0);
    }
}
