//! The equity curve of a backed-up run, for drawing: which file holds it (`equity_curve.csv` or
//! the usual equivalents), and its points read from CSV. The file is untrusted like everything
//! read back: its size is bounded by the caller, its lines and fields here, and the points are
//! thinned to what a chart can show, keeping each bucket's lowest and highest value so drawdowns
//! stay visible.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::limits::quoted;

/// File names that hold an equity curve, most specific first (compared without case).
const EQUITY_FILES: [&str; 6] = [
    "equity_curve.csv",
    "equity.csv",
    "portfolio_value.csv",
    "portfolio.csv",
    "balance.csv",
    "nav.csv",
];
/// Column names that hold the value, most specific first (compared without case, `_`/space).
const VALUE_COLUMNS: [&str; 8] = [
    "equity",
    "portfolio_value",
    "total_equity",
    "balance",
    "nav",
    "value",
    "capital",
    "net_liquidation",
];
const TIME_COLUMNS: [&str; 6] = ["date", "datetime", "time", "timestamp", "day", "period"];

/// Points a chart gets at most; more are thinned (two per bucket: its low and its high).
pub const MAX_CURVE_POINTS: usize = 2000;
/// A line longer than this is not a CSV row of an equity curve.
const MAX_LINE_BYTES: usize = 4096;
const MAX_LABEL_CHARS: usize = 40;

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct EquityPoint {
    /// The row's time as written (a date or a timestamp), or its row number.
    pub label: String,
    pub value: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct EquityCurve {
    /// The member it was read from, relative to the strategy folder.
    pub file: String,
    pub column: String,
    /// In file order, thinned to at most [`MAX_CURVE_POINTS`].
    pub points: Vec<EquityPoint>,
    /// Rows with a value before thinning.
    pub rows: u64,
}

/// The strategy-relative path of the file that holds the equity curve, among `files` (paths
/// relative to the strategy folder): a known name at the top level first, then anywhere.
pub fn equity_file<'a>(files: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let files: Vec<&str> = files.into_iter().collect();
    let name_of = |path: &str| path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    for wanted in EQUITY_FILES {
        let mut matches: Vec<&str> = files
            .iter()
            .copied()
            .filter(|p| name_of(p) == wanted)
            .collect();
        // Shallowest first, then by name, so the choice is stable.
        matches.sort_by_key(|p| (p.matches('/').count(), *p));
        if let Some(first) = matches.first() {
            return Some(first);
        }
    }
    None
}

fn normalised(name: &str) -> String {
    name.trim()
        .trim_matches('"')
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

/// Reads the curve from CSV text: the header names a value column (and maybe a time column);
/// rows whose value is not a finite number are skipped.
pub fn parse_equity_csv(file: &str, bytes: &[u8]) -> Result<EquityCurve> {
    let invalid = |detail: String| Error::InvalidEquityCurve {
        file: quoted(file),
        detail,
    };
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().ok_or_else(|| invalid("it is empty".into()))?;
    if header.len() > MAX_LINE_BYTES {
        return Err(invalid("its first line is not a CSV header".into()));
    }
    let delimiter = if header.contains(',') {
        ','
    } else if header.contains(';') {
        ';'
    } else {
        '\t'
    };
    let columns: Vec<String> = header.split(delimiter).map(normalised).collect();
    let value_at = VALUE_COLUMNS
        .iter()
        .find_map(|wanted| columns.iter().position(|c| c == wanted))
        .ok_or_else(|| {
            invalid(format!(
                "no column holds the equity (looked for {})",
                VALUE_COLUMNS.join(", ")
            ))
        })?;
    let time_at = TIME_COLUMNS
        .iter()
        .find_map(|wanted| columns.iter().position(|c| c == wanted));
    let mut points = Vec::new();
    for (row, line) in lines.enumerate() {
        if line.len() > MAX_LINE_BYTES {
            continue;
        }
        let fields: Vec<&str> = line.split(delimiter).collect();
        let Some(value) = fields
            .get(value_at)
            .and_then(|v| v.trim().trim_matches('"').parse::<f64>().ok())
            .filter(|v| v.is_finite())
        else {
            continue;
        };
        let label = match time_at.and_then(|i| fields.get(i)) {
            Some(t) => t
                .trim()
                .trim_matches('"')
                .chars()
                .take(MAX_LABEL_CHARS)
                .collect(),
            None => (row + 1).to_string(),
        };
        points.push(EquityPoint { label, value });
    }
    if points.is_empty() {
        return Err(invalid(format!(
            "its column \"{}\" holds no numbers",
            quoted(&columns[value_at])
        )));
    }
    let rows = points.len() as u64;
    Ok(EquityCurve {
        file: file.to_string(),
        column: columns[value_at].clone(),
        points: thin(points, MAX_CURVE_POINTS),
        rows,
    })
}

/// At most `max` points: the first and last kept, each bucket in between giving its lowest and
/// highest point in their order.
fn thin(points: Vec<EquityPoint>, max: usize) -> Vec<EquityPoint> {
    if points.len() <= max || max < 4 {
        return points;
    }
    let inner = &points[1..points.len() - 1];
    let buckets = (max - 2) / 2;
    let size = inner.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(max);
    out.push(points[0].clone());
    for bucket in inner.chunks(size) {
        let low = bucket
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.value.total_cmp(&b.1.value))
            .map(|(i, _)| i);
        let high = bucket
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.value.total_cmp(&b.1.value))
            .map(|(i, _)| i);
        let (Some(low), Some(high)) = (low, high) else {
            continue;
        };
        let (first, second) = if low <= high {
            (low, high)
        } else {
            (high, low)
        };
        out.push(bucket[first].clone());
        if second != first {
            out.push(bucket[second].clone());
        }
    }
    if let Some(last) = points.last() {
        out.push(last.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_file_is_found_shallowest_first() {
        let files = [
            "runs/2/equity_curve.csv",
            "trades.csv",
            "Equity_Curve.CSV",
            "equity.csv",
        ];
        assert_eq!(equity_file(files), Some("Equity_Curve.CSV"));
        assert_eq!(equity_file(["a/nav.csv", "trades.csv"]), Some("a/nav.csv"));
        assert_eq!(equity_file(["trades.csv", "metrics.json"]), None);
    }

    #[test]
    fn a_curve_is_read_by_its_column_names() {
        let csv = b"date,equity,daily_return_pct\n2021-01-04,100070.82,0.07\n2021-01-05,100290.53,0.22\n\n2021-01-06,not a number,0\n";
        let curve = parse_equity_csv("equity_curve.csv", csv).unwrap();
        assert_eq!(curve.column, "equity");
        assert_eq!(curve.rows, 2);
        assert_eq!(curve.points[1].label, "2021-01-05");
        assert_eq!(curve.points[1].value, 100290.53);
        let semicolons = b"Day;Portfolio Value\n1;10\n2;11\n";
        let curve = parse_equity_csv("nav.csv", semicolons).unwrap();
        assert_eq!(curve.column, "portfolio_value");
        assert_eq!(curve.points.len(), 2);
    }

    #[test]
    fn files_without_a_curve_say_why() {
        for (bytes, says) in [
            (&b""[..], "empty"),
            (&b"date,pnl\n1,2\n"[..], "no column holds the equity"),
            (&b"date,equity\nx,y\n"[..], "holds no numbers"),
            (&b"date,equity\n1,NaN\n2,inf\n"[..], "holds no numbers"),
        ] {
            let error = parse_equity_csv("e.csv", bytes).unwrap_err().to_string();
            assert!(error.contains(says), "{error}");
        }
    }

    #[test]
    fn a_long_curve_is_thinned_keeping_its_extremes() {
        let mut csv = String::from("date,equity\n");
        for i in 0..100_000 {
            let value = if i == 54_321 {
                -5.0
            } else {
                100.0 + (i % 7) as f64
            };
            csv.push_str(&format!("{i},{value}\n"));
        }
        let curve = parse_equity_csv("equity.csv", csv.as_bytes()).unwrap();
        assert_eq!(curve.rows, 100_000);
        assert!(curve.points.len() <= MAX_CURVE_POINTS);
        assert_eq!(curve.points.first().map(|p| p.label.as_str()), Some("0"));
        assert_eq!(curve.points.last().map(|p| p.label.as_str()), Some("99999"));
        assert!(
            curve.points.iter().any(|p| p.value == -5.0),
            "the deepest drawdown survives thinning"
        );
        let labels: Vec<u64> = curve
            .points
            .iter()
            .map(|p| p.label.parse().unwrap())
            .collect();
        assert!(labels.windows(2).all(|w| w[0] < w[1]), "file order kept");
    }
}
