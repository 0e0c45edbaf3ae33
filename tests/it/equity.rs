//! A backup's equity curve, read without restoring: found by its usual name, taken out alone and
//! verified, parsed, and nothing left behind.

use crate::BIN;
use results_backup::{equity_curve, CancelToken, Locations, Locator, NoProgress};
use results_backup_testkit::*;

fn curve_of(
    ws: &Sandbox,
    file: &str,
    scratch: &std::path::Path,
) -> results_backup::Result<Option<results_backup::EquityCurve>> {
    equity_curve(
        &Locations::new(&ws.results, &ws.backups),
        &Locator::from_argument(file),
        scratch,
        &NoProgress,
        &CancelToken::new(),
    )
}

#[test]
fn the_equity_curve_is_read_from_the_backup_and_nothing_is_left_behind() {
    let ws = Sandbox::new(BIN);
    let mut csv = String::from("date,equity,drawdown_pct\n");
    for day in 0..500 {
        csv.push_str(&format!("2024-01-{:03},{},0\n", day, 100_000 + day * 10));
    }
    write_file(&ws.results.join("alpha").join("equity_curve.csv"), &csv);
    write_file(
        &ws.results.join("alpha").join("trades.csv"),
        b"id,pnl\n1,2\n",
    );
    let file = back_up_with_core(&ws.results, &ws.backups, "alpha", 1);
    let scratch = ws.dir("scratch");
    let curve = curve_of(&ws, &file, &scratch)
        .expect("read")
        .expect("a curve");
    assert_eq!(curve.file, "equity_curve.csv");
    assert_eq!(curve.column, "equity");
    assert_eq!(curve.rows, 500);
    assert_eq!(curve.points[0].value, 100_000.0);
    assert_eq!(curve.points.last().map(|p| p.value), Some(104_990.0));
    assert_eq!(
        std::fs::read_dir(&scratch).expect("scratch").count(),
        0,
        "the file taken out for reading is gone"
    );
}

#[test]
fn a_backup_without_a_curve_says_so_and_a_curve_without_numbers_is_a_plain_error() {
    let ws = Sandbox::new(BIN);
    write_file(
        &ws.results.join("plain").join("trades.csv"),
        b"id,pnl\n1,2\n",
    );
    let file = back_up_with_core(&ws.results, &ws.backups, "plain", 1);
    let scratch = ws.dir("scratch");
    assert!(curve_of(&ws, &file, &scratch).expect("read").is_none());

    write_file(
        &ws.results.join("odd").join("equity.csv"),
        b"date,equity\nmonday,lots\n",
    );
    let odd = back_up_with_core(&ws.results, &ws.backups, "odd", 1);
    let error = curve_of(&ws, &odd, &scratch).expect_err("no numbers");
    assert_eq!(error.code(), "invalid_equity_curve");
    assert!(error.to_string().contains("equity.csv"), "{error}");
    assert_eq!(std::fs::read_dir(&scratch).expect("scratch").count(), 0);
}
