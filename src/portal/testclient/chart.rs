//! Costs over time by claim type: a stacked bar chart drawn on the server as inline SVG
//! (presentation attributes only, so the page's CSP needs no inline styles), with the same
//! numbers as a table for screen readers.

use std::fmt::Write as _;

use super::claims::{money, CLAIM_TYPES};

/// One claim's contribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub claim_type: String,
    pub amount: f64,
}

/// A claim type's colour (Okabe–Ito, distinguishable with colour-blindness) and label.
pub struct Series {
    pub code: String,
    pub label: String,
    pub color: &'static str,
}

/// One period's amounts, per series, formatted.
pub struct PeriodRow {
    pub label: String,
    pub amounts: Vec<String>,
    pub total: String,
}

pub struct Chart {
    pub svg: String,
    pub series: Vec<Series>,
    pub rows: Vec<PeriodRow>,
    /// "month", "quarter" or "year".
    pub bucket: &'static str,
}

fn color_of(code: &str) -> &'static str {
    match code {
        "professional" => "#0072B2",
        "institutional" => "#D55E00",
        "pharmacy" => "#009E73",
        "oral" => "#CC79A7",
        "vision" => "#E69F00",
        _ => "#56B4E9",
    }
}

fn label_of(code: &str) -> String {
    CLAIM_TYPES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_string(), |(_, l)| l.to_string())
}

/// Year and month (1–12) of a date.
fn year_month(date: &str) -> Option<(i32, u32)> {
    let year = date.get(..4)?.parse().ok()?;
    let month: u32 = date.get(5..7)?.parse().ok()?;
    (1..=12).contains(&month).then_some((year, month))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Ticks of a y axis from 0: a round step (1, 2, 2.5 or 5 × 10ⁿ) giving about four of them.
fn ticks(max: f64) -> Vec<f64> {
    if max <= 0.0 {
        return vec![0.0, 1.0];
    }
    let rough = max / 4.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude);
    let mut out = vec![0.0];
    while *out.last().unwrap_or(&0.0) < max {
        let next = out.len() as f64 * step;
        out.push(next);
    }
    out
}

/// `$1.2k`, `$350`, `$2M`.
fn short_money(v: f64) -> String {
    if v >= 1_000_000.0 {
        format!("${}M", trim(v / 1_000_000.0))
    } else if v >= 1_000.0 {
        format!("${}k", trim(v / 1_000.0))
    } else {
        format!("${}", trim(v))
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").unwrap_or(&s).to_string()
}

/// Text for SVG and HTML: the five XML specials escaped.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Draws the chart; `measure` names what the amounts are ("Billed", "Plan paid", …).
pub fn build(points: &[Point], measure: &str) -> Option<Chart> {
    let dated: Vec<((i32, u32), &Point)> = points
        .iter()
        .filter_map(|p| year_month(&p.date).map(|ym| (ym, p)))
        .collect();
    let first = dated.iter().map(|(ym, _)| *ym).min()?;
    let last = dated.iter().map(|(ym, _)| *ym).max()?;
    let month_index = |(y, m): (i32, u32)| i64::from(y) * 12 + i64::from(m) - 1;
    let span = month_index(last) - month_index(first) + 1;
    let (bucket, size) = match span {
        0..=24 => ("month", 1),
        25..=120 => ("quarter", 3),
        _ => ("year", 12),
    };
    let bucket_of = |ym: (i32, u32)| {
        let i = month_index(ym);
        i.div_euclid(size) - month_index(first).div_euclid(size)
    };
    let periods = usize::try_from(bucket_of(last) + 1).ok()?;
    let start_index = month_index(first).div_euclid(size) * size;
    let label = |n: usize| {
        let index = start_index + n as i64 * size;
        let (year, month0) = (index.div_euclid(12), index.rem_euclid(12));
        match bucket {
            "month" => format!("{} {year}", MONTHS[month0 as usize]),
            "quarter" => format!("Q{} {year}", month0 / 3 + 1),
            _ => year.to_string(),
        }
    };

    // Series in the IG's order, then anything else, only those present.
    let mut codes: Vec<String> = CLAIM_TYPES
        .iter()
        .map(|(c, _)| c.to_string())
        .filter(|c| dated.iter().any(|(_, p)| &p.claim_type == c))
        .collect();
    for (_, p) in &dated {
        if !codes.contains(&p.claim_type) {
            codes.push(p.claim_type.clone());
        }
    }
    let mut sums = vec![vec![0.0f64; codes.len()]; periods];
    for (ym, p) in &dated {
        let (Ok(b), Some(s)) = (
            usize::try_from(bucket_of(*ym)),
            codes.iter().position(|c| c == &p.claim_type),
        ) else {
            continue;
        };
        sums[b][s] += p.amount.max(0.0);
    }
    let series: Vec<Series> = codes
        .iter()
        .map(|c| Series {
            code: c.clone(),
            label: label_of(c),
            color: color_of(c),
        })
        .collect();

    // Geometry (the SVG scales to its box; these are viewBox units).
    let (width, height) = (760.0, 360.0);
    let (left, right, top, bottom) = (64.0, 12.0, 44.0, 40.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max = sums
        .iter()
        .map(|s| s.iter().sum::<f64>())
        .fold(0.0, f64::max);
    let ticks = ticks(max);
    let top_value = ticks.last().copied().unwrap_or(1.0).max(1.0);
    let y = |v: f64| top + plot_h - v / top_value * plot_h;
    let slot = plot_w / periods as f64;
    let bar = (slot * 0.72).max(1.0);

    let mut svg = String::new();
    let title = format!("{measure} by claim type, per {bucket}");
    let _ = write!(
        svg,
        r##"<svg id="cost-chart" class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="12">"##
    );
    let _ = write!(
        svg,
        r#"<title id="chart-title">{}</title><desc id="chart-desc">Stacked bars, one per {bucket} from {} to {}; the table below the chart lists the same amounts.</desc>"#,
        esc(&title),
        esc(&label(0)),
        esc(&label(periods - 1))
    );
    // Legend.
    let mut x = left;
    for s in &series {
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="12" width="14" height="14" rx="2" fill="{}"/><text x="{}" y="24" fill="#1b1b1b">{}</text>"##,
            s.color,
            x + 20.0,
            esc(&s.label)
        );
        x += 20.0 + 7.0 * s.label.len() as f64 + 20.0;
    }
    // Grid and y labels.
    for t in &ticks {
        let ty = y(*t);
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{ty:.1}" y2="{ty:.1}" stroke="#d0d0d0" stroke-width="1"/><text x="{}" y="{:.1}" text-anchor="end" fill="#4a4a4a">{}</text>"##,
            width - right,
            left - 8.0,
            ty + 4.0,
            short_money(*t)
        );
    }
    // Bars.
    for (n, amounts) in sums.iter().enumerate() {
        let x = left + n as f64 * slot + (slot - bar) / 2.0;
        let mut base = 0.0;
        for (s, amount) in amounts.iter().enumerate() {
            if *amount <= 0.0 {
                continue;
            }
            let (y0, y1) = (y(base + amount), y(base));
            let _ = write!(
                svg,
                r#"<rect class="bar" x="{x:.1}" y="{y0:.1}" width="{bar:.1}" height="{:.1}" fill="{}"><title>{}: {} {}</title></rect>"#,
                (y1 - y0).max(0.5),
                series[s].color,
                esc(&label(n)),
                esc(&series[s].label),
                money(Some(*amount))
            );
            base += amount;
        }
    }
    // X axis and its labels (thinned out so they never overlap).
    let every = periods.div_ceil(10).max(1);
    let _ = write!(
        svg,
        r##"<line x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#565c65" stroke-width="1"/>"##,
        width - right,
        top + plot_h,
        top + plot_h
    );
    for n in (0..periods).step_by(every) {
        let cx = left + (n as f64 + 0.5) * slot;
        let _ = write!(
            svg,
            r##"<text x="{cx:.1}" y="{:.1}" text-anchor="middle" fill="#4a4a4a">{}</text>"##,
            top + plot_h + 20.0,
            esc(&label(n))
        );
    }
    svg.push_str("</svg>");

    let rows = sums
        .iter()
        .enumerate()
        .map(|(n, amounts)| PeriodRow {
            label: label(n),
            amounts: amounts.iter().map(|a| money(Some(*a))).collect(),
            total: money(Some(amounts.iter().sum())),
        })
        .collect();
    Some(Chart {
        svg,
        series,
        rows,
        bucket,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(date: &str, ty: &str, amount: f64) -> Point {
        Point {
            date: date.into(),
            claim_type: ty.into(),
            amount,
        }
    }

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(ticks(950.0), [0.0, 250.0, 500.0, 750.0, 1000.0]);
        assert_eq!(ticks(12.0), [0.0, 5.0, 10.0, 15.0]);
        assert_eq!(ticks(0.0), [0.0, 1.0]);
        assert_eq!(short_money(1500.0), "$1.5k");
        assert_eq!(short_money(250.0), "$250");
        assert_eq!(short_money(2_000_000.0), "$2M");
    }

    #[test]
    fn claims_stack_by_type_per_period() {
        let chart = build(
            &[
                p("2024-01-05", "pharmacy", 10.0),
                p("2024-01-20", "professional", 100.0),
                p("2024-03-02", "pharmacy", 5.0),
                p("not a date", "pharmacy", 1.0),
            ],
            "Billed",
        )
        .unwrap();
        assert_eq!(chart.bucket, "month");
        let labels: Vec<&str> = chart.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            ["Jan 2024", "Feb 2024", "Mar 2024"],
            "empty months kept"
        );
        let codes: Vec<&str> = chart.series.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["professional", "pharmacy"]);
        assert_eq!(chart.rows[0].amounts, ["$100.00", "$10.00"]);
        assert_eq!(chart.rows[0].total, "$110.00");
        assert_eq!(chart.svg.matches("class=\"bar\"").count(), 3);
        assert!(chart.svg.starts_with("<svg id=\"cost-chart\""));
        assert!(!chart.svg.contains("style="), "no inline styles (CSP)");
    }

    #[test]
    fn long_histories_are_drawn_by_quarter_or_year() {
        let chart = build(
            &[p("2021-01-08", "oral", 1.0), p("2025-09-14", "vision", 2.0)],
            "Billed",
        )
        .unwrap();
        assert_eq!(chart.bucket, "quarter");
        assert_eq!(chart.rows.first().unwrap().label, "Q1 2021");
        assert_eq!(chart.rows.last().unwrap().label, "Q3 2025");
        let chart = build(
            &[p("2001-01-08", "oral", 1.0), p("2025-09-14", "oral", 2.0)],
            "Billed",
        )
        .unwrap();
        assert_eq!(chart.bucket, "year");
        assert_eq!(chart.rows.len(), 25);
        assert!(build(&[], "Billed").is_none());
    }
}
