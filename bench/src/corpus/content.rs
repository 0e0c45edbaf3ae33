//! Writers for each kind of file a backtest leaves behind.
//!
//! The goal is realistic *compressibility*, not realistic finance: CSV and
//! JSON carry random-walk numbers with the precision real exports have (so
//! gzip gets roughly 4-6x, not 100x), logs are template-heavy, plots are
//! incompressible and float arrays are nearly so.
//!
//! Only exact IEEE arithmetic (+, -, *, /) and Rust's own float formatting are
//! used, so the bytes are identical on every platform.

use std::io::{self, Write};

use crate::prng::SplitMix64;

/// The traded instrument a strategy's files talk about.
#[derive(Debug, Clone, Copy)]
pub struct Market {
    pub symbol: &'static str,
    pub base_price: f64,
    /// Typical order size in base units, so notionals look plausible.
    pub typical_qty: f64,
}

/// Everything a content writer needs besides its own PRNG.
#[derive(Debug, Clone, Copy)]
pub struct FileContext<'a> {
    pub strategy: &'a str,
    pub market: Market,
    /// Unix milliseconds where this file's time series starts.
    pub start_ms: i64,
}

/// Writes lines until a byte budget is used up. Files may overshoot their
/// budget by at most one line, which keeps every file syntactically whole.
struct BudgetedWriter<'w, W: Write> {
    out: &'w mut W,
    written: u64,
    budget: u64,
}

impl<'w, W: Write> BudgetedWriter<'w, W> {
    fn new(out: &'w mut W, budget: u64) -> Self {
        Self {
            out,
            written: 0,
            budget,
        }
    }

    fn has_room(&self) -> bool {
        self.written < self.budget
    }

    fn write(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(text.as_bytes())?;
        self.written += text.len() as u64;
        Ok(())
    }
}

pub fn write_trades_csv<W: Write>(
    out: &mut W,
    rng: &mut SplitMix64,
    ctx: &FileContext,
    budget: u64,
) -> io::Result<()> {
    const EXIT_REASONS: [&str; 4] = ["signal", "signal", "stop_loss", "take_profit"];
    let mut sink = BudgetedWriter::new(out, budget);
    sink.write(
        "trade_id,timestamp,symbol,side,price,quantity,notional,fee,pnl,position_after,reason\n",
    )?;
    let mut trade_id = 100_000 + rng.below(900_000);
    let mut ts = ctx.start_ms;
    let mut price = ctx.market.base_price;
    let mut entry: Option<(bool, f64, f64)> = None; // (long, entry price, quantity)
    let mut line = String::with_capacity(160);
    while sink.has_room() {
        trade_id += 1;
        // Fills happen on bar closes of a one-minute backtest.
        ts += 60_000 * (1 + rng.below(45)) as i64;
        price *= 1.0 + rng.signed_unit() * 0.004;
        // Round-trips: an entry, then the exit that realises the pnl.
        let (buying, quantity, pnl, position, reason) = match entry.take() {
            None => {
                let long = rng.below(2) == 0;
                // Sizes come from a small lot grid, as position sizing does.
                let quantity = ctx.market.typical_qty * (1 + rng.below(8)) as f64 / 4.0;
                entry = Some((long, price, quantity));
                let position = if long { quantity } else { -quantity };
                (long, quantity, 0.0, position, "signal")
            }
            Some((long, entry_price, quantity)) => {
                let direction = if long { 1.0 } else { -1.0 };
                let pnl = (price - entry_price) * quantity * direction;
                (!long, quantity, pnl, 0.0, *rng.pick(&EXIT_REASONS))
            }
        };
        let notional = price * quantity;
        let fee = notional * 0.0004;
        line.clear();
        use std::fmt::Write as _;
        let _ = writeln!(
            line,
            "{trade_id},{},{},{},{price:.2},{quantity:.4},{notional:.2},{fee:.4},{pnl:.2},{position:.4},{reason}",
            iso_timestamp(ts),
            ctx.market.symbol,
            if buying { "BUY" } else { "SELL" },
        );
        sink.write(&line)?;
    }
    Ok(())
}

pub fn write_equity_curve_csv<W: Write>(
    out: &mut W,
    rng: &mut SplitMix64,
    ctx: &FileContext,
    budget: u64,
) -> io::Result<()> {
    let mut sink = BudgetedWriter::new(out, budget);
    sink.write("timestamp,equity,cash,position_value,drawdown_pct,exposure,open_trades\n")?;
    let mut ts = ctx.start_ms;
    let mut equity = 100_000.0_f64;
    let mut peak = equity;
    let mut exposure = 0.0_f64;
    let mut line = String::with_capacity(120);
    while sink.has_room() {
        ts += 60_000; // one-minute bars: timestamps are regular, as in real curves
                      // Exposure only changes when a trade happens; flat periods don't move equity.
        if rng.below(20) == 0 {
            exposure = if exposure > 0.0 {
                0.0
            } else {
                0.25 * (1 + rng.below(4)) as f64
            };
        }
        equity *= 1.0 + rng.signed_unit() * 0.002 * exposure;
        peak = peak.max(equity);
        let position_value = equity * exposure;
        let cash = equity - position_value;
        let drawdown = (peak - equity) / peak * 100.0;
        line.clear();
        use std::fmt::Write as _;
        let _ = writeln!(
            line,
            "{},{equity:.2},{cash:.2},{position_value:.2},{drawdown:.3},{exposure:.2},{}",
            iso_timestamp(ts),
            u8::from(exposure > 0.0),
        );
        sink.write(&line)?;
    }
    Ok(())
}

pub fn write_orders_json<W: Write>(
    out: &mut W,
    rng: &mut SplitMix64,
    ctx: &FileContext,
    budget: u64,
) -> io::Result<()> {
    const TYPES: [&str; 3] = ["LIMIT", "LIMIT", "MARKET"];
    const STATUSES: [&str; 4] = ["FILLED", "FILLED", "FILLED", "CANCELED"];
    let mut sink = BudgetedWriter::new(out, budget);
    sink.write("[\n")?;
    let mut order_id = 5_000_000 + rng.below(1_000_000);
    let mut ts = ctx.start_ms;
    let mut price = ctx.market.base_price;
    let mut line = String::with_capacity(220);
    let mut first = true;
    while sink.has_room() {
        order_id += 1 + rng.below(3);
        ts += 200 + rng.below(90_000) as i64;
        price *= 1.0 + rng.signed_unit() * 0.002;
        let quantity = ctx.market.typical_qty * (1 + rng.below(200)) as f64 / 50.0;
        line.clear();
        use std::fmt::Write as _;
        let _ = write!(
            line,
            "{}  {{\"order_id\": {order_id}, \"client_id\": \"{:016x}\", \"ts\": \"{}\", \"symbol\": \"{}\", \"side\": \"{}\", \
             \"type\": \"{}\", \"price\": {price:.2}, \"qty\": {quantity:.4}, \"status\": \"{}\", \
             \"strategy\": \"{}\"}}",
            if first { "" } else { ",\n" },
            rng.next_u64(),
            iso_timestamp(ts),
            ctx.market.symbol,
            if rng.below(2) == 0 { "BUY" } else { "SELL" },
            rng.pick(&TYPES),
            rng.pick(&STATUSES),
            ctx.strategy,
        );
        first = false;
        sink.write(&line)?;
    }
    sink.write("\n]\n")
}

pub fn write_log<W: Write>(
    out: &mut W,
    rng: &mut SplitMix64,
    ctx: &FileContext,
    budget: u64,
) -> io::Result<()> {
    let mut sink = BudgetedWriter::new(out, budget);
    let mut ts = ctx.start_ms;
    let mut bar = 0u64;
    let mut price = ctx.market.base_price;
    let mut line = String::with_capacity(160);
    while sink.has_room() {
        ts += 1 + rng.below(4_000) as i64;
        bar += 1;
        price *= 1.0 + rng.signed_unit() * 0.001;
        line.clear();
        append_log_line(&mut line, rng, ctx, ts, bar, price);
        sink.write(&line)?;
    }
    Ok(())
}

/// One line from a handful of templates, weighted like a chatty backtester:
/// mostly identical bookkeeping messages with a few changing numbers.
fn append_log_line(
    line: &mut String,
    rng: &mut SplitMix64,
    ctx: &FileContext,
    ts: i64,
    bar: u64,
    price: f64,
) {
    use std::fmt::Write as _;
    let stamp = log_timestamp(ts);
    let symbol = ctx.market.symbol;
    let _ = match rng.below(10) {
        0..=3 => writeln!(
            line,
            "{stamp} INFO  [engine] processed bar {bar} for {symbol}"
        ),
        4 | 5 => writeln!(
            line,
            "{stamp} DEBUG [signal] {symbol} close={price:.2} signal=hold"
        ),
        6 => writeln!(
            line,
            "{stamp} DEBUG [data] cache hit for {symbol} 1m bars (chunk {})",
            bar / 1_000
        ),
        7 => writeln!(
            line,
            "{stamp} INFO  [broker] order {} {} {symbol} @ {price:.2} filled",
            bar * 7 + 100_000,
            if rng.below(2) == 0 { "BUY" } else { "SELL" },
        ),
        8 => writeln!(
            line,
            "{stamp} INFO  [portfolio] {} rebalance check: no action needed",
            ctx.strategy
        ),
        _ => writeln!(
            line,
            "{stamp} WARN  [risk] {symbol} position near limit (80% of max exposure)"
        ),
    };
}

/// NumPy `.npy` v1.0 file holding a 1-D float64 signal series. The bytes are
/// what `np.save` would write, so tools that sniff formats see a real npy.
pub fn write_signals_npy<W: Write>(
    out: &mut W,
    rng: &mut SplitMix64,
    budget: u64,
) -> io::Result<()> {
    const HEADER_LEN: usize = 128; // magic + version + length + padded dict
    let count = budget.saturating_sub(HEADER_LEN as u64) / 8;
    out.write_all(&npy_header(count, HEADER_LEN))?;
    let mut signal = 0.0_f64;
    let mut buffer = Vec::with_capacity(64 * 1024);
    for _ in 0..count {
        // A smoothed noise process, like an indicator or model score.
        signal = signal * 0.97 + rng.signed_unit() * 0.05;
        buffer.extend_from_slice(&signal.to_le_bytes());
        if buffer.len() >= 64 * 1024 {
            out.write_all(&buffer)?;
            buffer.clear();
        }
    }
    out.write_all(&buffer)
}

fn npy_header(count: u64, total_len: usize) -> Vec<u8> {
    let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({count},), }}");
    let mut header = b"\x93NUMPY\x01\x00".to_vec();
    let dict_len = total_len - header.len() - 2;
    header.extend_from_slice(&(dict_len as u16).to_le_bytes());
    header.extend_from_slice(dict.as_bytes());
    header.resize(total_len - 1, b' ');
    header.push(b'\n');
    header
}

/// A "plot": PNG signature followed by random bytes. Real PNGs are already
/// deflate-compressed, so incompressible data is the honest stand-in.
pub fn write_plot_png<W: Write>(out: &mut W, rng: &mut SplitMix64, budget: u64) -> io::Result<()> {
    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    out.write_all(PNG_SIGNATURE)?;
    let mut remaining = budget.saturating_sub(PNG_SIGNATURE.len() as u64);
    let mut buffer = vec![0u8; 64 * 1024];
    while remaining > 0 {
        let chunk = remaining.min(buffer.len() as u64) as usize;
        rng.fill_bytes(&mut buffer[..chunk]);
        out.write_all(&buffer[..chunk])?;
        remaining -= chunk as u64;
    }
    Ok(())
}

pub fn write_metrics_json<W: Write>(
    out: &mut W,
    rng: &mut SplitMix64,
    ctx: &FileContext,
) -> io::Result<()> {
    let total_return = rng.signed_unit() * 80.0;
    writeln!(out, "{{")?;
    writeln!(out, "  \"strategy\": \"{}\",", ctx.strategy)?;
    writeln!(out, "  \"symbol\": \"{}\",", ctx.market.symbol)?;
    writeln!(out, "  \"start\": \"{}\",", iso_timestamp(ctx.start_ms))?;
    writeln!(out, "  \"total_return_pct\": {total_return:.4},")?;
    writeln!(out, "  \"cagr_pct\": {:.4},", total_return * 0.6)?;
    writeln!(out, "  \"sharpe\": {:.4},", rng.signed_unit() * 3.0)?;
    writeln!(out, "  \"sortino\": {:.4},", rng.signed_unit() * 4.0)?;
    writeln!(out, "  \"max_drawdown_pct\": {:.4},", rng.unit() * 45.0)?;
    writeln!(out, "  \"win_rate\": {:.4},", 0.3 + rng.unit() * 0.4)?;
    writeln!(out, "  \"profit_factor\": {:.4},", 0.5 + rng.unit() * 2.0)?;
    writeln!(out, "  \"num_trades\": {},", 100 + rng.below(20_000))?;
    writeln!(
        out,
        "  \"avg_trade_duration_min\": {:.2},",
        rng.unit() * 600.0
    )?;
    writeln!(out, "  \"exposure_pct\": {:.2},", rng.unit() * 100.0)?;
    writeln!(out, "  \"fees_paid\": {:.2}", rng.unit() * 5_000.0)?;
    writeln!(out, "}}")
}

pub fn write_params_json<W: Write>(
    out: &mut W,
    rng: &mut SplitMix64,
    ctx: &FileContext,
) -> io::Result<()> {
    writeln!(out, "{{")?;
    writeln!(out, "  \"strategy\": \"{}\",", ctx.strategy)?;
    writeln!(out, "  \"symbol\": \"{}\",", ctx.market.symbol)?;
    writeln!(
        out,
        "  \"timeframe\": \"{}\",",
        rng.pick(&["1m", "5m", "15m", "1h", "4h"])
    )?;
    writeln!(out, "  \"fast_period\": {},", 5 + rng.below(20))?;
    writeln!(out, "  \"slow_period\": {},", 30 + rng.below(170))?;
    writeln!(out, "  \"stop_loss_pct\": {:.2},", 0.5 + rng.unit() * 4.5)?;
    writeln!(out, "  \"take_profit_pct\": {:.2},", 1.0 + rng.unit() * 9.0)?;
    writeln!(out, "  \"fee_bps\": 4,")?;
    writeln!(out, "  \"seed\": {}", rng.below(1_000_000))?;
    writeln!(out, "}}")
}

/// `2024-01-03T09:31:12.345Z` from Unix milliseconds.
fn iso_timestamp(unix_ms: i64) -> String {
    let (date, h, m, s, ms) = split_timestamp(unix_ms);
    format!("{date}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

/// `2024-01-03 09:31:12,345`, the Python `logging` default format.
fn log_timestamp(unix_ms: i64) -> String {
    let (date, h, m, s, ms) = split_timestamp(unix_ms);
    format!("{date} {h:02}:{m:02}:{s:02},{ms:03}")
}

fn split_timestamp(unix_ms: i64) -> (String, i64, i64, i64, i64) {
    let days = unix_ms.div_euclid(86_400_000);
    let ms_of_day = unix_ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1_000 % 60,
        ms_of_day % 1_000,
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm;
/// saves a date crate for one conversion.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_known_instants() {
        assert_eq!(iso_timestamp(0), "1970-01-01T00:00:00.000Z");
        // 2024-02-29 12:34:56.789 UTC (leap day)
        assert_eq!(iso_timestamp(1_709_210_096_789), "2024-02-29T12:34:56.789Z");
        assert_eq!(log_timestamp(1_709_210_096_789), "2024-02-29 12:34:56,789");
    }

    #[test]
    fn npy_header_is_aligned_and_parsable() {
        let header = npy_header(1234, 128);
        assert_eq!(header.len(), 128);
        assert_eq!(&header[..6], b"\x93NUMPY");
        assert_eq!(u16::from_le_bytes([header[8], header[9]]) as usize, 118);
        assert_eq!(header[127], b'\n');
        let dict = String::from_utf8_lossy(&header[10..]);
        assert!(dict.contains("'shape': (1234,)"));
    }
}
