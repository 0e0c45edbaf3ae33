//! Finding backups by their metrics: the filter expression of `list --where` and the order of
//! `list --sort`. Pure: it works on catalog entries.
//!
//! Grammar (keywords in any case; `and` binds tighter than `or`):
//!
//! ```text
//! expr       := and_expr ("or" and_expr)*
//! and_expr   := unary ("and" unary)*
//! unary      := "not" unary | "(" expr ")" | comparison
//! comparison := metric op number
//! metric     := name | "quoted name" | 'quoted name' | `quoted name`
//! op         := ">=" | "<=" | ">" | "<" | "=" | "==" | "!="
//! number     := [+-] digits [. digits] [%]
//! ```
//!
//! A metric name is resolved like the catalog's keys ([`super::metrics::recognise`]:
//! `sharpe_ratio` means `sharpe`), else it is an unknown metric's exact name. Percent metrics
//! compare in percent, as they are shown: `max_drawdown > -20` keeps drawdowns better than
//! -20 %, whether `metrics.json` wrote `-0.2` or `max_drawdown_pct: -20`; a `%` after the number
//! changes nothing and is refused after a metric that is not a percentage. A backup without the
//! metric does not match a comparison on it (and does match its `not`).

use std::cmp::Ordering;

use super::catalog::CatalogEntry;
use super::metrics::{recognise, MetricUnit, MetricsSummary, MAX_METRIC_NAME_CHARS};
use crate::error::{Error, Result};

/// Longer expressions are refused before they are read.
pub const MAX_QUERY_CHARS: usize = 1000;
/// Parentheses and `not`s nest at most this deep (the parser is recursive).
const MAX_NESTING: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    AtLeast,
    AtMost,
    Above,
    Below,
    Equal,
    NotEqual,
}

/// A parsed `--where` expression.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricFilter {
    text: String,
    root: Node,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Or(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    Compare {
        key: String,
        comparison: Comparison,
        number: f64,
    },
}

impl MetricFilter {
    /// Reads an expression, or says where and why it cannot be read.
    pub fn parse(text: &str) -> Result<MetricFilter> {
        let fail = |column: usize, detail: String| Error::InvalidQuery {
            query: text.to_string(),
            position: column,
            detail,
        };
        let length = text.chars().count();
        if length > MAX_QUERY_CHARS {
            return Err(fail(
                MAX_QUERY_CHARS + 1,
                format!("it is longer than {MAX_QUERY_CHARS} characters"),
            ));
        }
        let tokens = tokenize(text).map_err(|(column, detail)| fail(column, detail))?;
        if tokens.is_empty() {
            return Err(fail(1, "it is empty".into()));
        }
        let mut parser = Parser {
            tokens: &tokens,
            at: 0,
            end_column: length + 1,
            depth: 0,
        };
        let root = parser
            .expression()
            .map_err(|(column, detail)| fail(column, detail))?;
        if let Some(token) = parser.peek() {
            let detail = match &token.kind {
                TokenKind::Close => format!("the `)` at column {} closes nothing", token.column),
                _ => format!(
                    "expected `and`, `or` or the end at column {}, found {}",
                    token.column,
                    token.shown()
                ),
            };
            return Err(fail(token.column, detail));
        }
        Ok(MetricFilter {
            text: text.to_string(),
            root,
        })
    }

    /// The expression as it was given.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, metrics: &MetricsSummary) -> bool {
        self.root.matches(metrics)
    }

    /// The metric keys the expression compares, once each, in order of appearance.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys = Vec::new();
        self.root.collect_keys(&mut keys);
        keys
    }
}

impl Node {
    fn matches(&self, metrics: &MetricsSummary) -> bool {
        match self {
            Node::Or(terms) => terms.iter().any(|t| t.matches(metrics)),
            Node::And(terms) => terms.iter().all(|t| t.matches(metrics)),
            Node::Not(term) => !term.matches(metrics),
            Node::Compare {
                key,
                comparison,
                number,
            } => metrics
                .get(key)
                .is_some_and(|value| comparison.holds(value, *number)),
        }
    }

    fn collect_keys<'a>(&'a self, keys: &mut Vec<&'a str>) {
        match self {
            Node::Or(terms) | Node::And(terms) => {
                terms.iter().for_each(|t| t.collect_keys(keys));
            }
            Node::Not(term) => term.collect_keys(keys),
            Node::Compare { key, .. } => {
                if !keys.contains(&key.as_str()) {
                    keys.push(key);
                }
            }
        }
    }
}

impl Comparison {
    fn holds(self, value: f64, number: f64) -> bool {
        // Values are read from text and may have been scaled from a fraction (0.18 * 100):
        // equal means equal to the digits anyone would write.
        let same = (value - number).abs() <= 1e-9 * value.abs().max(number.abs()).max(1.0);
        match self {
            Comparison::AtLeast => value >= number || same,
            Comparison::AtMost => value <= number || same,
            Comparison::Above => value > number && !same,
            Comparison::Below => value < number && !same,
            Comparison::Equal => same,
            Comparison::NotEqual => !same,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum TokenKind {
    Name(String),
    Number { value: f64, percent: bool },
    Op(Comparison),
    And,
    Or,
    Not,
    Open,
    Close,
}

#[derive(Clone, Debug)]
struct Token {
    kind: TokenKind,
    /// 1-based column of its first character.
    column: usize,
    text: String,
}

impl Token {
    fn shown(&self) -> String {
        format!("`{}`", self.text)
    }
}

type Failure = (usize, String);

fn tokenize(text: &str) -> std::result::Result<Vec<Token>, Failure> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let start = i;
        let token = |kind: TokenKind, end: usize| Token {
            kind,
            column,
            text: chars[start..end].iter().collect(),
        };
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' || c == ')' {
            i += 1;
            tokens.push(token(
                if c == '(' {
                    TokenKind::Open
                } else {
                    TokenKind::Close
                },
                i,
            ));
        } else if "<>=!".contains(c) {
            while i < chars.len() && "<>=!".contains(chars[i]) {
                i += 1;
            }
            let op: String = chars[start..i].iter().collect();
            let comparison = match op.as_str() {
                ">=" => Comparison::AtLeast,
                "<=" => Comparison::AtMost,
                ">" => Comparison::Above,
                "<" => Comparison::Below,
                "=" | "==" => Comparison::Equal,
                "!=" => Comparison::NotEqual,
                other => {
                    let advice = match other {
                        "=>" => "; use >=",
                        "=<" => "; use <=",
                        "<>" | "=!" => "; use !=",
                        "!" => "; use != to compare, or `not` before a comparison",
                        _ => "; use one of >= <= > < = !=",
                    };
                    return Err((
                        column,
                        format!("unknown operator `{other}` at column {column}{advice}"),
                    ));
                }
            };
            tokens.push(token(TokenKind::Op(comparison), i));
        } else if c.is_ascii_digit()
            || c == '.'
            || ((c == '-' || c == '+')
                && chars
                    .get(i + 1)
                    .is_some_and(|n| n.is_ascii_digit() || *n == '.'))
        {
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || ".,_".contains(chars[i])) {
                i += 1;
            }
            let digits: String = chars[start..i].iter().collect();
            if digits.contains(',') || digits.contains('_') {
                return Err((
                    column,
                    format!(
                        "write the number `{digits}` at column {column} without thousands separators"
                    ),
                ));
            }
            let value: f64 = digits
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| {
                    (
                        column,
                        format!("`{digits}` at column {column} is not a number"),
                    )
                })?;
            let percent = chars.get(i) == Some(&'%');
            if percent {
                i += 1;
            }
            if let Some(next) = chars.get(i).filter(|n| n.is_alphanumeric()) {
                return Err((
                    i + 1,
                    format!(
                        "unexpected `{next}` at column {}, right after a number; numbers take no unit except %",
                        i + 1
                    ),
                ));
            }
            tokens.push(token(TokenKind::Number { value, percent }, i));
        } else if c == '"' || c == '\'' || c == '`' {
            let close = chars[i + 1..].iter().position(|&q| q == c).ok_or_else(|| {
                (
                    column,
                    format!("the name quoted at column {column} has no closing {c}"),
                )
            })?;
            let name: String = chars[i + 1..i + 1 + close].iter().collect();
            i += close + 2;
            if name.trim().is_empty() || name.chars().count() > MAX_METRIC_NAME_CHARS {
                return Err((
                    column,
                    format!(
                        "the name quoted at column {column} is empty or longer than {MAX_METRIC_NAME_CHARS} characters"
                    ),
                ));
            }
            tokens.push(token(TokenKind::Name(name), i));
        } else if c.is_alphabetic() || c == '_' {
            i += 1;
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || chars[i] == '_'
                    || (chars[i] == '-' && chars.get(i + 1).is_some_and(|n| n.is_alphabetic())))
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let kind = match word.to_lowercase().as_str() {
                "and" => TokenKind::And,
                "or" => TokenKind::Or,
                "not" => TokenKind::Not,
                _ if word.chars().count() > MAX_METRIC_NAME_CHARS => {
                    return Err((
                        column,
                        format!("the name at column {column} is longer than {MAX_METRIC_NAME_CHARS} characters"),
                    ))
                }
                _ => TokenKind::Name(word),
            };
            tokens.push(token(kind, i));
        } else {
            let advice = match (c, chars.get(i + 1)) {
                ('&', _) => "; use `and`",
                ('|', _) => "; use `or`",
                _ => "",
            };
            return Err((
                column,
                format!("unexpected `{c}` at column {column}{advice}"),
            ));
        }
    }
    Ok(tokens)
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
    /// The column just past the expression, where "it ends too early" points.
    end_column: usize,
    depth: usize,
}

impl<'t> Parser<'t> {
    fn peek(&self) -> Option<&'t Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<&'t Token> {
        let token = self.tokens.get(self.at);
        self.at += 1;
        token
    }

    fn expression(&mut self) -> std::result::Result<Node, Failure> {
        let mut terms = vec![self.and_expression()?];
        while self.peek().is_some_and(|t| t.kind == TokenKind::Or) {
            self.at += 1;
            terms.push(self.and_expression()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Node::Or(terms)
        })
    }

    fn and_expression(&mut self) -> std::result::Result<Node, Failure> {
        let mut terms = vec![self.unary()?];
        while self.peek().is_some_and(|t| t.kind == TokenKind::And) {
            self.at += 1;
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Node::And(terms)
        })
    }

    fn unary(&mut self) -> std::result::Result<Node, Failure> {
        let Some(token) = self.next() else {
            return Err((
                self.end_column,
                format!(
                    "the expression ends at column {} where a comparison was expected (like `sharpe >= 1.5`)",
                    self.end_column
                ),
            ));
        };
        match &token.kind {
            TokenKind::Not | TokenKind::Open => {
                self.depth += 1;
                if self.depth > MAX_NESTING {
                    return Err((
                        token.column,
                        format!("it nests deeper than {MAX_NESTING} levels at column {}", token.column),
                    ));
                }
                let node = if token.kind == TokenKind::Not {
                    Node::Not(Box::new(self.unary()?))
                } else {
                    let inner = self.expression()?;
                    match self.next() {
                        Some(t) if t.kind == TokenKind::Close => inner,
                        Some(t) => {
                            return Err((
                                t.column,
                                format!(
                                    "expected `)` at column {} to close the `(` at column {}, found {}",
                                    t.column,
                                    token.column,
                                    t.shown()
                                ),
                            ))
                        }
                        None => {
                            return Err((
                                token.column,
                                format!("the `(` at column {} is never closed", token.column),
                            ))
                        }
                    }
                };
                self.depth -= 1;
                Ok(node)
            }
            TokenKind::Name(name) => self.comparison(name),
            TokenKind::Number { .. } => Err((
                token.column,
                format!(
                    "expected a metric name at column {}, found the number {}; put the metric first, like `sharpe >= 1.5`",
                    token.column,
                    token.shown()
                ),
            )),
            _ => Err((
                token.column,
                format!(
                    "expected a comparison (like `sharpe >= 1.5`) at column {}, found {}",
                    token.column,
                    token.shown()
                ),
            )),
        }
    }

    fn comparison(&mut self, name: &str) -> std::result::Result<Node, Failure> {
        let comparison = match self.next() {
            Some(Token {
                kind: TokenKind::Op(op),
                ..
            }) => *op,
            Some(other) => {
                let advice = if matches!(other.kind, TokenKind::Name(_)) {
                    "; quote a name with spaces, like \"Sharpe Ratio\""
                } else {
                    ""
                };
                return Err((
                    other.column,
                    format!(
                        "expected an operator (>= <= > < = !=) after `{name}` at column {}, found {}{advice}",
                        other.column,
                        other.shown()
                    ),
                ));
            }
            None => {
                return Err((
                    self.end_column,
                    format!(
                        "the expression ends at column {} after `{name}`: an operator and a number are missing",
                        self.end_column
                    ),
                ))
            }
        };
        let (number, percent, number_column) = match self.next() {
            Some(Token {
                kind: TokenKind::Number { value, percent },
                column,
                ..
            }) => (*value, *percent, *column),
            Some(other) => {
                return Err((
                    other.column,
                    format!(
                    "expected a number at column {}, found {}; a metric is compared with a number",
                    other.column,
                    other.shown()
                ),
                ))
            }
            None => {
                return Err((
                    self.end_column,
                    format!(
                        "the expression ends at column {} where a number was expected",
                        self.end_column
                    ),
                ))
            }
        };
        let known = recognise(name);
        if percent {
            if let Some(known) = known.filter(|k| k.unit != MetricUnit::Percent) {
                return Err((
                    number_column,
                    format!(
                        "{} is not a percentage, so the number at column {number_column} takes no %",
                        known.label
                    ),
                ));
            }
        }
        Ok(Node::Compare {
            key: known.map_or_else(|| name.to_string(), |k| k.key.to_string()),
            comparison,
            number,
        })
    }
}

/// The backups that pass `filter`, in `sort`'s order (newest first without one).
pub fn select_backups(
    mut entries: Vec<CatalogEntry>,
    filter: Option<&MetricFilter>,
    sort: Option<&MetricSort>,
) -> Vec<CatalogEntry> {
    if let Some(filter) = filter {
        entries.retain(|e| filter.matches(&e.metrics));
    }
    match sort {
        Some(sort) => sort.apply(&mut entries),
        None => entries.sort_by(|a, b| {
            b.created
                .cmp(&a.created)
                .then(b.backup_file.cmp(&a.backup_file))
        }),
    }
    entries
}

/// The order of `list --sort`: a metric, ascending or (`-key`) descending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricSort {
    /// The canonical key (or an unknown metric's name).
    pub key: String,
    pub descending: bool,
}

impl MetricSort {
    /// `sharpe`, `-sharpe`, `+Sharpe Ratio`.
    pub fn parse(text: &str) -> Result<MetricSort> {
        let (descending, name) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let name = name.trim();
        let length = name.chars().count();
        if length == 0 || length > MAX_METRIC_NAME_CHARS {
            return Err(Error::InvalidQuery {
                query: text.to_string(),
                position: 1,
                detail: format!(
                    "a sort key is a metric name (like `sharpe`, or `-sharpe` for highest first) of at most {MAX_METRIC_NAME_CHARS} characters"
                ),
            });
        }
        Ok(MetricSort {
            key: recognise(name).map_or_else(|| name.to_string(), |k| k.key.to_string()),
            descending,
        })
    }

    /// Sorts by the metric; backups without it come last either way; ties newest first.
    pub fn apply(&self, entries: &mut [CatalogEntry]) {
        entries.sort_by(|a, b| {
            let by_metric = match (a.metrics.get(&self.key), b.metrics.get(&self.key)) {
                (Some(x), Some(y)) => {
                    let order = x.partial_cmp(&y).unwrap_or(Ordering::Equal);
                    if self.descending {
                        order.reverse()
                    } else {
                        order
                    }
                }
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            by_metric.then_with(|| {
                b.created
                    .cmp(&a.created)
                    .then(b.backup_file.cmp(&a.backup_file))
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary(value: serde_json::Value) -> MetricsSummary {
        MetricsSummary::from_fields(value.as_object().unwrap(), "s")
    }

    fn failure(text: &str) -> (usize, String) {
        match MetricFilter::parse(text) {
            Err(Error::InvalidQuery {
                position, detail, ..
            }) => (position, detail),
            other => panic!("{text:?} should not parse: {other:?}"),
        }
    }

    #[test]
    fn and_binds_tighter_than_or() {
        // a or (b and c): true when only a holds.
        let f = MetricFilter::parse("sharpe > 1 or trades > 100 and win_rate > 50").unwrap();
        assert!(f.matches(&summary(json!({"sharpe": 2, "trades": 1, "win_rate": 0.1}))));
        assert!(!f.matches(&summary(
            json!({"sharpe": 0, "trades": 200, "win_rate": 0.1})
        )));
        assert!(f.matches(&summary(
            json!({"sharpe": 0, "trades": 200, "win_rate": 0.6})
        )));
        // (a or b) and c: false when c fails.
        let g = MetricFilter::parse("(sharpe > 1 or trades > 100) and win_rate > 50").unwrap();
        assert!(!g.matches(&summary(json!({"sharpe": 2, "trades": 1, "win_rate": 0.1}))));
        assert!(g.matches(&summary(json!({"sharpe": 2, "trades": 1, "win_rate": 0.6}))));
    }

    #[test]
    fn not_parentheses_and_keywords_in_any_case() {
        let f = MetricFilter::parse("NOT (sharpe < 1) AND not trades = 0").unwrap();
        assert!(f.matches(&summary(json!({"sharpe": 1, "trades": 3}))));
        assert!(!f.matches(&summary(json!({"sharpe": 1, "trades": 0}))));
        assert_eq!(f.keys(), ["sharpe", "trades"]);
    }

    #[test]
    fn names_resolve_through_the_known_spellings_and_unknown_ones_match_exactly() {
        let f = MetricFilter::parse("sharpe_ratio >= 1.5 and \"Sharpe Ratio\" < 2").unwrap();
        assert_eq!(f.keys(), ["sharpe"]);
        assert!(f.matches(&summary(json!({"Sharpe": 1.5}))));
        let unknown = MetricFilter::parse("lookback = 60").unwrap();
        assert!(unknown.matches(&summary(json!({"lookback": 60}))));
        assert!(!unknown.matches(&summary(json!({"Lookback": 60}))));
    }

    #[test]
    fn percent_metrics_compare_in_percent_as_shown() {
        let f = MetricFilter::parse("max_drawdown > -20 and total_return >= 18%").unwrap();
        assert!(f.matches(&summary(
            json!({"max_drawdown": -0.125, "total_return": 0.18})
        )));
        assert!(f.matches(&summary(
            json!({"max_drawdown_pct": -12.5, "return_pct": 18})
        )));
        assert!(!f.matches(&summary(
            json!({"max_drawdown": -0.25, "total_return": 0.18})
        )));
    }

    #[test]
    fn a_backup_without_the_metric_does_not_match() {
        let empty = summary(json!({}));
        for text in ["sharpe >= 0", "sharpe < 0", "sharpe != 1", "sharpe = 1"] {
            assert!(
                !MetricFilter::parse(text).unwrap().matches(&empty),
                "{text}"
            );
        }
        assert!(MetricFilter::parse("not sharpe > 1")
            .unwrap()
            .matches(&empty));
    }

    #[test]
    fn every_error_says_where() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 1, "empty"),
            ("   ", 1, "empty"),
            (
                "sharpe => 1.5",
                8,
                "unknown operator `=>` at column 8; use >=",
            ),
            ("sharpe =< 1.5", 8, "use <="),
            ("sharpe <> 1.5", 8, "use !="),
            ("sharpe >>= 1", 8, "unknown operator"),
            ("sharpe ! 1", 8, "not"),
            ("sharpe >= 1 && trades > 3", 13, "use `and`"),
            ("sharpe >= 1 || trades > 3", 13, "use `or`"),
            ("sharpe >= 1.2.3", 11, "not a number"),
            ("final_equity > 145,519", 16, "thousands separators"),
            ("sharpe >= 1.5x", 14, "right after a number"),
            ("sharpe >= 15%", 11, "not a percentage"),
            ("1.5 <= sharpe", 1, "put the metric first"),
            ("sharpe 1.5", 8, "expected an operator"),
            ("Sharpe Ratio >= 1", 8, "quote a name"),
            ("sharpe >= high", 11, "expected a number"),
            ("sharpe >=", 10, "at column 10 where a number was expected"),
            ("sharpe", 7, "operator and a number are missing"),
            ("sharpe > 1 and", 15, "where a comparison was expected"),
            ("sharpe > 1 trades < 3", 12, "expected `and`, `or`"),
            ("(sharpe > 1", 1, "never closed"),
            ("(sharpe > 1 trades", 13, "expected `)`"),
            ("sharpe > 1)", 11, "closes nothing"),
            ("()", 2, "found `)`"),
            ("\"Sharpe > 1", 1, "no closing"),
            ("\"\" > 1", 1, "empty"),
            ("sharpe > 1 and ; trades", 16, "unexpected `;`"),
            ("and sharpe > 1", 1, "found `and`"),
        ];
        for (text, column, words) in cases {
            let (position, detail) = failure(text);
            assert_eq!(position, *column, "{text:?}: {detail}");
            assert!(detail.contains(words), "{text:?}: {detail}");
        }
        let (position, _) = failure(&"(".repeat(40));
        assert_eq!(position, MAX_NESTING + 1);
        let (position, detail) = failure(&"x".repeat(MAX_QUERY_CHARS + 1));
        assert_eq!(position, MAX_QUERY_CHARS + 1);
        assert!(detail.contains("longer"), "{detail}");
    }

    #[test]
    fn the_message_quotes_the_expression() {
        let error = MetricFilter::parse("sharpe => 1.5").unwrap_err();
        assert_eq!(error.code(), "invalid_query");
        let message = error.to_string();
        assert!(message.contains("\"sharpe => 1.5\""), "{message}");
        assert!(message.contains("column 8"), "{message}");
        assert!(error.hint().contains(">="), "{}", error.hint());
    }

    #[test]
    fn sorting_puts_missing_values_last_both_ways_and_ties_newest_first() {
        use crate::store::names::{ArchiveFileName, Timestamp};
        let entry = |file: &str, minute: u32, metrics: serde_json::Value| CatalogEntry {
            strategy: crate::archive::StrategyName::new("s").unwrap(),
            timestamp: Timestamp::new(format!("20240101_10{minute:02}00")).unwrap(),
            backup_file: ArchiveFileName::new(format!("{file}.tar.gz")).unwrap(),
            size: 1,
            created: chrono::DateTime::parse_from_rfc3339(&format!(
                "2024-01-01T10:{minute:02}:00+00:00"
            ))
            .unwrap(),
            sha256: String::new(),
            files: 0,
            bytes: 0,
            last_checked: None,
            check_result: None,
            has_manifest: true,
            metrics: summary(metrics),
        };
        let mut entries = vec![
            entry("none_old", 1, json!({})),
            entry("low", 2, json!({"sharpe": 0.5})),
            entry("high", 3, json!({"sharpe": 2.0})),
            entry("none_new", 4, json!({})),
            entry("mid_old", 5, json!({"sharpe": 1.0})),
            entry("mid_new", 6, json!({"Sharpe Ratio": 1.0})),
        ];
        let order = |entries: &[CatalogEntry]| -> Vec<String> {
            entries
                .iter()
                .map(|e| {
                    e.backup_file
                        .as_str()
                        .trim_end_matches(".tar.gz")
                        .to_string()
                })
                .collect()
        };
        MetricSort::parse("-sharpe").unwrap().apply(&mut entries);
        assert_eq!(
            order(&entries),
            ["high", "mid_new", "mid_old", "low", "none_new", "none_old"]
        );
        MetricSort::parse("sharpe_ratio")
            .unwrap()
            .apply(&mut entries);
        assert_eq!(
            order(&entries),
            ["low", "mid_new", "mid_old", "high", "none_new", "none_old"]
        );
        assert!(MetricSort::parse("-").is_err());
        assert!(MetricSort::parse("").is_err());
    }
}
