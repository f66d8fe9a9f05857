//! The published beam schedule as a Gantt chart: one row per beamline, one column per day of
//! the cycle, a bar per placed block of shifts coloured by proposal type, closed days shaded.
//! Plain SVG with `<title>` tooltips, so it renders without JavaScript.

use std::fmt::Write;

/// A bar to draw.
pub struct GanttBar {
    pub row: usize,
    pub first_shift: u32,
    pub shifts: u32,
    /// `general`, `rapid_access`, `long_term` or `proprietary`: the bar's colour.
    pub kind: &'static str,
    pub label: String,
}

const LABEL_WIDTH: f64 = 70.0;
const ROW_HEIGHT: f64 = 14.0;
const CHART_WIDTH: f64 = 900.0;

fn colour(kind: &str) -> &'static str {
    match kind {
        "proprietary" => "#c2410c",
        "rapid_access" => "#7c3aed",
        "long_term" => "#0f766e",
        _ => "#2563eb",
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart for `rows` (beamline codes) over `days` days with `closed_days` shaded.
pub fn gantt_svg(rows: &[String], days: u32, closed_days: &[u32], bars: &[GanttBar]) -> String {
    let days = days.max(1);
    let height = ROW_HEIGHT * rows.len() as f64 + 20.0;
    let width = LABEL_WIDTH + CHART_WIDTH;
    let per_shift = CHART_WIDTH / f64::from(days * 3);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="gantt" data-testid="gantt" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="beam schedule">"#
    );
    for day in closed_days {
        let x = LABEL_WIDTH + f64::from(day * 3) * per_shift;
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="0" width="{:.1}" height="{:.1}" fill="#e5e7eb"><title>closed day {}</title></rect>"##,
            per_shift * 3.0,
            height - 20.0,
            day + 1
        );
    }
    for (index, code) in rows.iter().enumerate() {
        let y = ROW_HEIGHT * index as f64;
        let _ = write!(
            svg,
            r##"<text x="2" y="{:.1}" font-size="10" fill="#374151">{}</text><line x1="{LABEL_WIDTH}" x2="{width}" y1="{:.1}" y2="{:.1}" stroke="#f3f4f6"/>"##,
            y + ROW_HEIGHT - 3.0,
            escape(code),
            y + ROW_HEIGHT,
            y + ROW_HEIGHT
        );
    }
    for bar in bars {
        let x = LABEL_WIDTH + f64::from(bar.first_shift) * per_shift;
        let y = ROW_HEIGHT * bar.row as f64 + 2.0;
        let _ = write!(
            svg,
            r#"<rect class="gantt-bar" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}" data-kind="{}"><title>{}</title></rect>"#,
            (f64::from(bar.shifts) * per_shift).max(0.5),
            ROW_HEIGHT - 4.0,
            colour(bar.kind),
            bar.kind,
            escape(&bar.label)
        );
    }
    // A tick every fortnight.
    let mut day = 0;
    while day < days {
        let x = LABEL_WIDTH + f64::from(day * 3) * per_shift;
        let _ = write!(
            svg,
            r##"<text x="{x:.1}" y="{:.1}" font-size="9" fill="#6b7280">{}</text>"##,
            height - 6.0,
            day + 1
        );
        day += 14;
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_sit_on_their_rows_and_labels_are_escaped() {
        let rows = vec!["BL01".to_owned(), "BL<2>".to_owned()];
        let bars = vec![GanttBar {
            row: 1,
            first_shift: 15,
            shifts: 6,
            kind: "proprietary",
            label: "P 7 \"x\"".into(),
        }];
        let svg = gantt_svg(&rows, 10, &[0], &bars);
        assert_eq!(svg.matches("class=\"gantt-bar\"").count(), 1);
        assert!(svg.contains("BL&lt;2&gt;") && svg.contains("P 7 &quot;x&quot;"));
        // Shift 15 of 30 lies half-way: 70 + 450.
        assert!(svg.contains(r#"x="520.0" y="16.0""#), "{svg}");
        assert!(svg.contains("closed day 1"));
    }
}
