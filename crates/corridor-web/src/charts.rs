//! Charts drawn on the server as SVG, so that dashboards show without JavaScript: a heat map
//! for matrices (flows) and horizontal bars for breakdowns. Every mark carries its value in a
//! `<title>` (a tooltip in browsers, read by screen readers) and in data attributes for tests.

use std::fmt::Write;

use crate::map::escape;

/// One bar: its label, its length (any unit, bars are scaled to the largest) and the text
/// printed at its end.
pub struct Bar {
    pub key: String,
    pub label: String,
    pub value: f64,
    pub text: String,
}

const BAR_HEIGHT: f64 = 22.0;
const LABEL_WIDTH: f64 = 280.0;
const BAR_AREA: f64 = 380.0;

pub fn bar_chart(bars: &[Bar], title: &str, test_id: &str) -> String {
    let height = BAR_HEIGHT * bars.len() as f64 + 8.0;
    let width = LABEL_WIDTH + BAR_AREA + 200.0;
    let largest = bars.iter().map(|bar| bar.value).fold(0.0, f64::max);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{}" data-testid="{test_id}" class="chart">"#,
        escape(title)
    );
    for (index, bar) in bars.iter().enumerate() {
        let y = 4.0 + BAR_HEIGHT * index as f64;
        let length = if largest > 0.0 {
            (bar.value / largest * BAR_AREA).max(1.0)
        } else {
            1.0
        };
        let _ = write!(
            svg,
            r##"<g data-key="{key}" data-value="{value}"><title>{label}: {text}</title><text x="{lx}" y="{ty}" text-anchor="end" font-size="12">{label}</text><rect x="{bx}" y="{ry}" width="{length:.1}" height="{bh}" fill="#2e86c1"/><text x="{vx:.1}" y="{ty}" font-size="12">{text}</text></g>"##,
            key = escape(&bar.key),
            value = bar.value,
            label = escape(&bar.label),
            text = escape(&bar.text),
            lx = LABEL_WIDTH - 6.0,
            ty = y + 15.0,
            bx = LABEL_WIDTH,
            ry = y + 3.0,
            bh = BAR_HEIGHT - 6.0,
            vx = LABEL_WIDTH + length + 6.0,
        );
    }
    svg.push_str("</svg>");
    // The figures as a table for screen readers: the drawing is one image to them.
    let _ = write!(
        svg,
        r#"<table class="visually-hidden"><caption>{}</caption><tbody>"#,
        escape(title)
    );
    for bar in bars {
        let _ = write!(
            svg,
            r#"<tr><th scope="row">{}</th><td>{}</td></tr>"#,
            escape(&bar.label),
            escape(&bar.text)
        );
    }
    svg.push_str("</tbody></table>");
    svg
}

/// A square matrix of values: rows are origins, columns providers, both in `labels` order.
pub struct HeatMap<'a> {
    pub keys: &'a [String],
    pub labels: &'a [String],
    /// `values[row][column]`.
    pub values: &'a [Vec<f64>],
    /// How a value is printed in its cell.
    pub format: &'a dyn Fn(f64) -> String,
    pub row_caption: &'a str,
    pub column_caption: &'a str,
}

const CELL: f64 = 96.0;
const HEAT_LABEL: f64 = 150.0;

pub fn heat_map(map: &HeatMap<'_>, title: &str, test_id: &str) -> String {
    let count = map.labels.len() as f64;
    let width = HEAT_LABEL + CELL * count + 10.0;
    let height = HEAT_LABEL / 2.0 + CELL * count + 30.0;
    let largest = map.values.iter().flatten().copied().fold(0.0, f64::max);
    let top = HEAT_LABEL / 2.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{}" data-testid="{test_id}" class="chart heat">"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r#"<text x="{x}" y="14" font-size="12" text-anchor="middle" font-style="italic">{}</text>"#,
        escape(map.column_caption),
        x = HEAT_LABEL + CELL * count / 2.0
    );
    for (column, label) in map.labels.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<text x="{x}" y="{y}" font-size="12" text-anchor="middle">{}</text>"#,
            escape(label),
            x = HEAT_LABEL + CELL * column as f64 + CELL / 2.0,
            y = top - 10.0
        );
    }
    let _ = write!(
        svg,
        r#"<text x="4" y="{y}" font-size="12" font-style="italic">{}</text>"#,
        escape(map.row_caption),
        y = top - 10.0
    );
    for (row, label) in map.labels.iter().enumerate() {
        let y = top + CELL * row as f64;
        let _ = write!(
            svg,
            r#"<text x="{x}" y="{ty}" font-size="12" text-anchor="end">{}</text>"#,
            escape(label),
            x = HEAT_LABEL - 8.0,
            ty = y + CELL / 2.0 + 4.0
        );
        for column in 0..map.labels.len() {
            let value = map.values[row][column];
            // Square-root scale: the diagonal (providers' own province) dwarfs the rest.
            let intensity = if largest > 0.0 {
                (value / largest).sqrt()
            } else {
                0.0
            };
            let light = 97.0 - intensity * 62.0;
            let text = (map.format)(value);
            let ink = if light < 60.0 { "#fff" } else { "#1b2631" };
            let _ = write!(
                svg,
                r##"<g data-origin="{origin}" data-provider="{provider}" data-value="{value}"><title>{from} → {to}: {text}</title><rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="hsl(205, 70%, {light:.0}%)" stroke="#fff"/><text x="{tx}" y="{ty}" font-size="11" text-anchor="middle" fill="{ink}">{text}</text></g>"##,
                origin = escape(&map.keys[row]),
                provider = escape(&map.keys[column]),
                from = escape(label),
                to = escape(&map.labels[column]),
                text = escape(&text),
                x = HEAT_LABEL + CELL * column as f64,
                cell = CELL,
                tx = HEAT_LABEL + CELL * column as f64 + CELL / 2.0,
                ty = y + CELL / 2.0 + 4.0,
            );
        }
    }
    svg.push_str("</svg>");
    // The matrix as a table for screen readers, rows and columns as drawn.
    let _ = write!(
        svg,
        r#"<table class="visually-hidden"><caption>{}</caption><thead><tr><td>{} / {}</td>"#,
        escape(title),
        escape(map.row_caption),
        escape(map.column_caption)
    );
    for label in map.labels {
        let _ = write!(svg, r#"<th scope="col">{}</th>"#, escape(label));
    }
    svg.push_str("</tr></thead><tbody>");
    for (row, label) in map.labels.iter().enumerate() {
        let _ = write!(svg, r#"<tr><th scope="row">{}</th>"#, escape(label));
        for column in 0..map.labels.len() {
            let _ = write!(
                svg,
                "<td>{}</td>",
                escape(&(map.format)(map.values[row][column]))
            );
        }
        svg.push_str("</tr>");
    }
    svg.push_str("</tbody></table>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let bars = [
            Bar {
                key: "a".into(),
                label: "A & <b>".into(),
                value: 10.0,
                text: "10 h".into(),
            },
            Bar {
                key: "b".into(),
                label: "B".into(),
                value: 5.0,
                text: "5 h".into(),
            },
        ];
        let svg = bar_chart(&bars, "Hours", "bars");
        assert!(svg.contains(r#"width="380.0""#), "{svg}");
        assert!(svg.contains(r#"width="190.0""#), "{svg}");
        assert!(svg.contains("A &amp; &lt;b&gt;") && !svg.contains("<b>"));
    }

    #[test]
    fn heat_map_cells_carry_their_values() {
        let keys = ["SH".to_owned(), "AH".to_owned()];
        let values = vec![vec![9.0, 1.0], vec![4.0, 0.0]];
        let svg = heat_map(
            &HeatMap {
                keys: &keys,
                labels: &keys,
                values: &values,
                format: &|value| format!("{value:.0} h"),
                row_caption: "from",
                column_caption: "to",
            },
            "Flows",
            "heat",
        );
        assert!(
            svg.contains(r#"data-origin="AH" data-provider="SH" data-value="4""#),
            "{svg}"
        );
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(
            svg.contains("hsl(205, 70%, 35%)"),
            "the largest is darkest: {svg}"
        );
    }
}
