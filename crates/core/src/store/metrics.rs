//! The metrics an analyst recognises a run by: which names mean the same thing (`sharpe`,
//! `sharpe_ratio`, `Sharpe Ratio`), their unit, which direction is better, and how important
//! each is; and the small, bounded summary of one backup's metrics the catalog keeps.
//!
//! Pure: no files. The summary is built from a manifest's `metrics` map (itself read from the
//! strategy's `metrics.json`) and read back from the catalog as untrusted.
//!
//! The unit rule, decided by the name as written: a percent metric (return, CAGR, drawdown, win
//! rate, volatility, exposure) whose name carries a percent marker (`%`, or ending in `pct`,
//! `percent` or `perc` once spaces and punctuation are dropped: `max_drawdown_pct`,
//! `Return [%]`) is already in percent; without a marker it is a fraction (`total_return: 0.18`
//! is 18 %). The summary stores every percent metric in percent, as it is shown, so a filter
//! compares with what the analyst reads (`max_drawdown > -20` means "better than -20 %").

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// At most this many metrics in one summary (what a manifest read back may carry).
pub const MAX_SUMMARY_METRICS: usize = 64;
/// At most this many characters in a metric's key or name.
pub const MAX_METRIC_NAME_CHARS: usize = 200;

/// What a metric's number means, for formatting and comparing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum MetricUnit {
    /// Stored in percent (`-12.5` is `-12.5 %`): see the module's unit rule.
    Percent,
    /// A ratio such as Sharpe's: two decimals.
    Ratio,
    /// A whole number of things (trades).
    Count,
    /// Money (equity, profit): thousands separators, two decimals.
    Currency,
    /// Anything else: shown as it is.
    Number,
}

/// Which way a change is an improvement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Higher,
    Lower,
    /// Drawdowns: written as negative by some tools and positive by others, smaller in size is
    /// better either way.
    CloserToZero,
    /// No better direction (the number of trades).
    Neither,
}

/// One metric the app recognises under its usual names.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct KnownMetric {
    /// The canonical key the catalog and filters use (`sharpe`).
    #[ts(type = "string")]
    pub key: &'static str,
    /// How it is shown ("Sharpe ratio").
    #[ts(type = "string")]
    pub label: &'static str,
    /// Spellings recognised, compared without case, spaces or punctuation (`Sharpe Ratio`,
    /// `sharpe-ratio`); a percent marker is dropped before comparing (see the module).
    #[ts(type = "Array<string>")]
    pub aliases: &'static [&'static str],
    pub unit: MetricUnit,
    pub better: Direction,
    /// 1 is shown first: return, Sharpe, drawdown and trades lead.
    pub rank: u32,
}

macro_rules! known {
    ($key:literal, $label:literal, [$($alias:literal),*], $unit:ident, $better:ident, $rank:literal) => {
        KnownMetric {
            key: $key,
            label: $label,
            aliases: &[$($alias),*],
            unit: MetricUnit::$unit,
            better: Direction::$better,
            rank: $rank,
        }
    };
}

/// The table, in order of importance.
static KNOWN: &[KnownMetric] = &[
    known!(
        "total_return",
        "Total return",
        [
            "total_return",
            "return",
            "returns",
            "net_return",
            "total_return_ratio",
            "cumulative_return"
        ],
        Percent,
        Higher,
        1
    ),
    known!(
        "sharpe",
        "Sharpe ratio",
        ["sharpe", "sharpe_ratio", "sharpe_annualized"],
        Ratio,
        Higher,
        2
    ),
    known!(
        "max_drawdown",
        "Max drawdown",
        [
            "max_drawdown",
            "maxdd",
            "max_dd",
            "mdd",
            "max_draw_down",
            "maximum_drawdown",
            "max. drawdown"
        ],
        Percent,
        CloserToZero,
        3
    ),
    known!(
        "trades",
        "Trades",
        [
            "trades",
            "num_trades",
            "n_trades",
            "total_trades",
            "trade_count",
            "number_of_trades",
            "# trades"
        ],
        Count,
        Neither,
        4
    ),
    known!(
        "cagr",
        "CAGR",
        [
            "cagr",
            "annual_return",
            "annualized_return",
            "annualised_return",
            "return (ann.)"
        ],
        Percent,
        Higher,
        5
    ),
    known!(
        "win_rate",
        "Win rate",
        ["win_rate", "winrate", "hit_rate", "win_ratio"],
        Percent,
        Higher,
        6
    ),
    known!(
        "sortino",
        "Sortino ratio",
        ["sortino", "sortino_ratio"],
        Ratio,
        Higher,
        7
    ),
    known!(
        "calmar",
        "Calmar ratio",
        ["calmar", "calmar_ratio"],
        Ratio,
        Higher,
        8
    ),
    known!(
        "profit_factor",
        "Profit factor",
        ["profit_factor"],
        Ratio,
        Higher,
        9
    ),
    known!(
        "volatility",
        "Volatility",
        [
            "volatility",
            "vol",
            "annual_volatility",
            "annualized_volatility",
            "volatility (ann.)"
        ],
        Percent,
        Lower,
        10
    ),
    known!(
        "final_equity",
        "Final equity",
        [
            "final_equity",
            "ending_equity",
            "end_equity",
            "equity_final",
            "final_value",
            "final_balance",
            "final_capital"
        ],
        Currency,
        Higher,
        11
    ),
    known!(
        "net_profit",
        "Net profit",
        ["net_profit", "pnl", "total_pnl", "net_pnl", "profit"],
        Currency,
        Higher,
        12
    ),
    known!(
        "avg_trade",
        "Average trade",
        ["avg_trade", "average_trade", "avg_trade_pnl", "avg. trade"],
        Currency,
        Higher,
        13
    ),
    known!(
        "exposure",
        "Exposure",
        ["exposure", "exposure_time", "time_in_market"],
        Percent,
        Neither,
        14
    ),
];

/// The metrics the app recognises, in order of importance (for the app's labels and units).
pub fn known_metrics() -> &'static [KnownMetric] {
    KNOWN
}

/// `Sharpe Ratio`, `sharpe-ratio` and `sharpe_ratio` all become `sharperatio`.
fn folded(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a name as written says its value is already in percent (see the module's rule).
pub fn stored_in_percent(name: &str) -> bool {
    let folded = folded(name);
    name.contains('%')
        || ["pct", "percent", "perc"]
            .iter()
            .any(|m| folded.ends_with(m))
}

/// The known metric a name means, whatever its case, spacing or punctuation, with or without a
/// percent marker.
pub fn recognise(name: &str) -> Option<&'static KnownMetric> {
    if name.chars().count() > MAX_METRIC_NAME_CHARS {
        return None;
    }
    let folded = folded(name);
    let find = |wanted: &str| {
        KNOWN
            .iter()
            .find(|k| k.aliases.iter().any(|alias| folded_alias(alias) == wanted))
    };
    if let Some(known) = find(&folded) {
        return Some(known);
    }
    // `max_drawdown_pct`, `Win Rate [%]`: the marker changes the scale, not the metric.
    ["pct", "percent", "perc"]
        .iter()
        .find_map(|marker| folded.strip_suffix(marker))
        .and_then(find)
        .filter(|known| known.unit == MetricUnit::Percent)
}

fn folded_alias(alias: &str) -> String {
    folded(alias)
}

/// The canonical key for a name a person typed: the known key, or the name itself.
pub fn metric_key(name: &str) -> String {
    recognise(name).map_or_else(|| name.to_string(), |k| k.key.to_string())
}

/// One metric of one backup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct MetricValue {
    /// The name as written in `metrics.json` (`Sharpe Ratio`).
    pub name: String,
    /// The number, percent metrics in percent (see the module's unit rule).
    pub value: f64,
}

/// What is known about a key in a summary: the known metric's facts, or the key shown as it is.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct MetricInfo {
    pub key: String,
    pub label: String,
    pub unit: MetricUnit,
    pub better: Direction,
    /// The known metric's rank; unknown metrics come after every known one.
    pub rank: u32,
}

/// The numeric metrics of one backup, keyed by canonical key when known (keeping the name as
/// written) and by the name as written otherwise. Bounded: at most [`MAX_SUMMARY_METRICS`]
/// entries, names of at most [`MAX_METRIC_NAME_CHARS`] characters, finite numbers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ts_rs::TS)]
#[serde(transparent)]
#[ts(type = "Record<string, MetricValue>")]
pub struct MetricsSummary {
    values: BTreeMap<String, MetricValue>,
}

impl MetricsSummary {
    /// The summary of a manifest's metrics: numbers only (text and flags are not compared),
    /// without the strategy's own name (`"strategy": "btc"` or `"name": "btc"`).
    pub fn from_fields(
        fields: &serde_json::Map<String, serde_json::Value>,
        strategy: &str,
    ) -> MetricsSummary {
        let mut values = BTreeMap::new();
        for (name, value) in fields {
            let is_strategy_name = ["strategy", "name", "strategy_name"].contains(&name.as_str())
                && (value.as_str() == Some(strategy)
                    || value.as_number().is_some_and(|n| n.to_string() == strategy));
            let Some(number) = value.as_f64().filter(|n| n.is_finite()) else {
                continue;
            };
            let length = name.chars().count();
            if is_strategy_name || length == 0 || length > MAX_METRIC_NAME_CHARS {
                continue;
            }
            let (key, number) = match recognise(name) {
                Some(known) if known.unit == MetricUnit::Percent && !stored_in_percent(name) => {
                    (known.key.to_string(), number * 100.0)
                }
                Some(known) => (known.key.to_string(), number),
                None => (name.clone(), number),
            };
            if !number.is_finite() {
                continue;
            }
            // Two spellings of one metric: the canonical spelling wins, else the first.
            let canonical_spelling = folded(name) == folded(&key);
            match values.get(&key) {
                Some(MetricValue { name: kept, .. })
                    if !canonical_spelling || folded(kept) == folded(&key) => {}
                _ if values.len() >= MAX_SUMMARY_METRICS && !values.contains_key(&key) => {}
                _ => {
                    values.insert(
                        key,
                        MetricValue {
                            name: name.clone(),
                            value: number,
                        },
                    );
                }
            }
        }
        MetricsSummary { values }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// The value under a canonical key (or an unknown metric's name).
    pub fn get(&self, key: &str) -> Option<f64> {
        self.values.get(key).map(|m| m.value)
    }

    pub fn metric(&self, key: &str) -> Option<&MetricValue> {
        self.values.get(key)
    }

    /// Keys in order of importance: known metrics by rank, then unknown ones by name.
    pub fn keys_by_importance(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.values.keys().map(String::as_str).collect();
        keys.sort_by_key(|key| (describe_metric(key).rank, *key));
        keys
    }
}

/// The facts about a key: the known metric's, or an unknown one shown under its own name.
pub fn describe_metric(key: &str) -> MetricInfo {
    match KNOWN.iter().find(|k| k.key == key) {
        Some(known) => MetricInfo {
            key: known.key.to_string(),
            label: known.label.to_string(),
            unit: known.unit,
            better: known.better,
            rank: known.rank,
        },
        None => MetricInfo {
            key: key.to_string(),
            label: key.to_string(),
            unit: MetricUnit::Number,
            better: Direction::Neither,
            rank: u32::MAX,
        },
    }
}

/// Whether `after` is better than `before` for a metric going `better`; `None` when the
/// direction is neither or nothing changed.
pub fn improved(better: Direction, before: f64, after: f64) -> Option<bool> {
    if before == after {
        return None;
    }
    match better {
        Direction::Higher => Some(after > before),
        Direction::Lower => Some(after < before),
        Direction::CloserToZero => {
            (after.abs() != before.abs()).then_some(after.abs() < before.abs())
        }
        Direction::Neither => None,
    }
}

/// A number as an analyst expects it: `2.00` (ratio), `145,519.40` (money), `-12.5 %`
/// (percent), `1,204` (count); an unknown metric as it is.
pub fn format_metric(value: f64, unit: MetricUnit) -> String {
    match unit {
        MetricUnit::Percent => format!("{} %", grouped(value, 1)),
        MetricUnit::Ratio => format!("{value:.2}"),
        MetricUnit::Count => grouped(value, 0),
        MetricUnit::Currency => grouped(value, 2),
        MetricUnit::Number => format!("{value}"),
    }
}

/// A signed difference in the same unit (`+0.40`, `-2.5 %`).
pub fn format_metric_delta(delta: f64, unit: MetricUnit) -> String {
    let text = format_metric(delta, unit);
    if delta > 0.0 || (delta == 0.0 && !text.starts_with('-')) {
        format!("+{text}")
    } else {
        text
    }
}

/// `value` with `decimals` decimals and a comma between thousands.
fn grouped(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text.as_str(), None),
    };
    let mut out = String::with_capacity(text.len() + whole.len() / 3 + 1);
    // A value that rounds to zero keeps no minus sign (`-0.0 %` reads as a mistake).
    if value < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('-');
    }
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

/// Read back (from the catalog), a summary is untrusted: the count is checked while reading, so
/// a hostile line cannot make it allocate more than the bound; names are checked for length and
/// numbers for being finite. Any problem makes the whole summary an error.
impl<'de> Deserialize<'de> for MetricsSummary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SummaryVisitor;
        impl<'de> Visitor<'de> for SummaryVisitor {
            type Value = MetricsSummary;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of metrics")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MetricsSummary, A::Error> {
                let mut values = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    if values.len() >= MAX_SUMMARY_METRICS {
                        // Drain nothing more: the error ends the read here.
                        let _ = map.next_value::<IgnoredAny>();
                        return Err(de::Error::custom(format!(
                            "it holds more than {MAX_SUMMARY_METRICS} metrics"
                        )));
                    }
                    let value: MetricValue = map.next_value()?;
                    check_metric(&key, &value).map_err(de::Error::custom)?;
                    if values.insert(key, value).is_some() {
                        return Err(de::Error::custom("it names a metric twice"));
                    }
                }
                Ok(MetricsSummary { values })
            }
        }
        deserializer.deserialize_map(SummaryVisitor)
    }
}

fn check_metric(key: &str, value: &MetricValue) -> Result<(), String> {
    let fits = |text: &str| (1..=MAX_METRIC_NAME_CHARS).contains(&text.chars().count());
    if !fits(key) || !fits(&value.name) {
        return Err(format!(
            "a metric's name is empty or longer than {MAX_METRIC_NAME_CHARS} characters"
        ));
    }
    if !value.value.is_finite() {
        return Err("a metric's value is not a finite number".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn usual_spellings_are_recognised_whatever_their_case_and_punctuation() {
        for (name, key) in [
            ("sharpe", "sharpe"),
            ("sharpe_ratio", "sharpe"),
            ("Sharpe Ratio", "sharpe"),
            ("sharpe-ratio", "sharpe"),
            ("SHARPE", "sharpe"),
            ("max_drawdown", "max_drawdown"),
            ("max_drawdown_pct", "max_drawdown"),
            ("maxdd", "max_drawdown"),
            ("Max. Drawdown [%]", "max_drawdown"),
            ("cagr", "cagr"),
            ("Return (Ann.) [%]", "cagr"),
            ("total_return", "total_return"),
            ("return", "total_return"),
            ("total_return_pct", "total_return"),
            ("Return [%]", "total_return"),
            ("trades", "trades"),
            ("num_trades", "trades"),
            ("n_trades", "trades"),
            ("total_trades", "trades"),
            ("# Trades", "trades"),
            ("win_rate", "win_rate"),
            ("Win Rate [%]", "win_rate"),
            ("sortino", "sortino"),
            ("calmar", "calmar"),
            ("profit_factor", "profit_factor"),
            ("volatility", "volatility"),
            ("final_equity", "final_equity"),
            ("ending_equity", "final_equity"),
            ("Equity Final [$]", "final_equity"),
        ] {
            assert_eq!(recognise(name).map(|k| k.key), Some(key), "{name}");
        }
        for unknown in ["sharp", "lookback", "sharpe_pct", "trades_pct", "", "pct"] {
            assert!(recognise(unknown).is_none(), "{unknown}");
        }
    }

    #[test]
    fn units_and_directions_are_an_analysts() {
        let of = |key: &str| describe_metric(key);
        assert_eq!(of("sharpe").unit, MetricUnit::Ratio);
        assert_eq!(of("total_return").unit, MetricUnit::Percent);
        assert_eq!(of("trades").unit, MetricUnit::Count);
        assert_eq!(of("final_equity").unit, MetricUnit::Currency);
        assert_eq!(of("volatility").better, Direction::Lower);
        assert_eq!(of("max_drawdown").better, Direction::CloserToZero);
        assert_eq!(of("trades").better, Direction::Neither);
        assert_eq!(of("lookback").unit, MetricUnit::Number);
        assert_eq!(of("lookback").label, "lookback");
        assert_eq!(improved(Direction::CloserToZero, -20.0, -12.5), Some(true));
        assert_eq!(improved(Direction::CloserToZero, 12.5, 20.0), Some(false));
        assert_eq!(improved(Direction::Lower, 10.0, 12.0), Some(false));
        assert_eq!(improved(Direction::Higher, 1.0, 1.0), None);
        assert_eq!(improved(Direction::Neither, 1.0, 2.0), None);
    }

    #[test]
    fn fractions_become_percent_unless_the_name_says_percent() {
        assert!(stored_in_percent("max_drawdown_pct"));
        assert!(stored_in_percent("Return [%]"));
        assert!(stored_in_percent("win_rate_percent"));
        assert!(!stored_in_percent("max_drawdown"));
        let summary = MetricsSummary::from_fields(
            &fields(
                json!({"total_return": 0.18, "max_drawdown_pct": -12.5, "win_rate": 0.5,
                           "sharpe": 1.8, "trades": 412}),
            ),
            "btc",
        );
        assert!((summary.get("total_return").unwrap() - 18.0).abs() < 1e-9);
        assert_eq!(summary.get("max_drawdown"), Some(-12.5));
        assert_eq!(summary.get("win_rate"), Some(50.0));
        assert_eq!(summary.get("sharpe"), Some(1.8));
        assert_eq!(summary.get("trades"), Some(412.0));
        assert_eq!(
            summary.metric("max_drawdown").unwrap().name,
            "max_drawdown_pct"
        );
    }

    #[test]
    fn the_summary_keeps_numbers_only_without_the_strategy_name_and_bounded() {
        let summary = MetricsSummary::from_fields(
            &fields(
                json!({"strategy": "btc", "name": "btc", "symbol": "BTC-USD", "final": true,
                           "Sharpe Ratio": 2.0, "lookback": 60}),
            ),
            "btc",
        );
        assert_eq!(summary.keys_by_importance(), ["sharpe", "lookback"]);
        assert_eq!(summary.metric("sharpe").unwrap().name, "Sharpe Ratio");
        // A strategy named by a number is still not a metric of itself.
        let numeric = MetricsSummary::from_fields(&fields(json!({"name": 42, "x": 1})), "42");
        assert_eq!(numeric.keys_by_importance(), ["x"]);
        let mut many = serde_json::Map::new();
        for i in 0..100 {
            many.insert(format!("m{i:03}"), json!(i));
        }
        many.insert("x".repeat(MAX_METRIC_NAME_CHARS + 1), json!(1));
        let bounded = MetricsSummary::from_fields(&many, "s");
        assert_eq!(bounded.len(), MAX_SUMMARY_METRICS);
        assert!(bounded
            .get(&"x".repeat(MAX_METRIC_NAME_CHARS + 1))
            .is_none());
    }

    #[test]
    fn two_spellings_of_one_metric_keep_the_canonical_one() {
        let summary = MetricsSummary::from_fields(
            &fields(json!({"Sharpe Ratio": 2.0, "sharpe": 1.5, "a_sharpe": 3.0})),
            "s",
        );
        assert_eq!(summary.get("sharpe"), Some(1.5));
        let summary =
            MetricsSummary::from_fields(&fields(json!({"sharpe_ratio": 2.0, "Sharpe": 1.0})), "s");
        assert_eq!(summary.get("sharpe"), Some(1.0));
    }

    #[test]
    fn metrics_are_ordered_by_importance_not_alphabetically() {
        let summary = MetricsSummary::from_fields(
            &fields(
                json!({"alpha_param": 1, "win_rate": 0.6, "trades": 3, "max_drawdown": -0.1,
                           "sharpe": 1.0, "total_return": 0.2, "cagr": 0.1}),
            ),
            "s",
        );
        assert_eq!(
            summary.keys_by_importance(),
            [
                "total_return",
                "sharpe",
                "max_drawdown",
                "trades",
                "cagr",
                "win_rate",
                "alpha_param"
            ]
        );
        let ranks: Vec<u32> = known_metrics().iter().map(|k| k.rank).collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn numbers_are_formatted_as_an_analyst_expects() {
        assert_eq!(format_metric(2.0, MetricUnit::Ratio), "2.00");
        assert_eq!(format_metric(145_519.4, MetricUnit::Currency), "145,519.40");
        assert_eq!(
            format_metric(-1_234_567.891, MetricUnit::Currency),
            "-1,234,567.89"
        );
        assert_eq!(format_metric(-12.5, MetricUnit::Percent), "-12.5 %");
        assert_eq!(format_metric(-0.01, MetricUnit::Percent), "0.0 %");
        assert_eq!(format_metric(1204.0, MetricUnit::Count), "1,204");
        assert_eq!(format_metric(999.0, MetricUnit::Count), "999");
        assert_eq!(format_metric(60.0, MetricUnit::Number), "60");
        assert_eq!(format_metric(0.25, MetricUnit::Number), "0.25");
        assert_eq!(format_metric_delta(0.4, MetricUnit::Ratio), "+0.40");
        assert_eq!(format_metric_delta(-2.5, MetricUnit::Percent), "-2.5 %");
    }

    #[test]
    fn a_summary_read_back_is_checked() {
        let ok: MetricsSummary =
            serde_json::from_str(r#"{"sharpe": {"name": "Sharpe", "value": 1.5}}"#).unwrap();
        assert_eq!(ok.get("sharpe"), Some(1.5));
        for bad in [
            r#"{"sharpe": {"name": "Sharpe", "value": "1.5"}}"#.to_string(),
            r#"{"sharpe": {"name": "", "value": 1.5}}"#.to_string(),
            r#"{"sharpe": {"name": "s", "value": 1e999}}"#.to_string(),
            r#"{"sharpe": 1.5}"#.to_string(),
            format!(r#"{{"{}": {{"name": "s", "value": 1}}}}"#, "k".repeat(201)),
            format!(
                "{{{}}}",
                (0..65)
                    .map(|i| format!(r#""m{i}": {{"name": "m", "value": 1}}"#))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ] {
            assert!(
                serde_json::from_str::<MetricsSummary>(&bad).is_err(),
                "{bad}"
            );
        }
    }
}
