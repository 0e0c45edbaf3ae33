#!/usr/bin/env python3
"""Generates the bundled sample results: four strategy folders of small, made-up backtest output.

usage: python3 samples/generate.py

Standard library only, fixed seeds: every run writes byte-identical files. Each strategy folder
gets metrics.json (flat scalars), params.json, trades.csv, equity_curve.csv (one row per
weekday), logs/backtest.log and plots/equity_curve.png (drawn here, no imaging library).
trend_following_futures also gets walk_forward/fold_N/ sub-folders. The numbers are
consistent with each other (the equity curve is built from the trades, the metrics from the
equity curve and the trades) but the trades themselves are invented.

Only the strategy folders listed in STRATEGIES are removed and rewritten; this script (the one
file beside them) is not a strategy, and the app's scan ignores plain files there.
"""
import csv
import io
import json
import math
import os
import random
import shutil
import struct
import zlib
from datetime import date, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- strategies


def instrument(symbol, price, tick, multiplier=1.0, vol=0.02, quote_usd=True):
    return {"symbol": symbol, "price": price, "tick": tick, "multiplier": multiplier,
            "vol": vol, "quote_usd": quote_usd}


STRATEGIES = [
    {
        "name": "momentum_breakout",
        "title": "Momentum breakout",
        "seed": 1101,
        "start": date(2021, 1, 4),
        "end": date(2023, 12, 29),
        "capital": 100_000.0,
        "trades": 320,
        "hold_days": (0, 9),
        "long_share": 0.85,
        "win_rate": 0.42,
        "win_return": (0.034, 0.022),
        "loss_return": (0.018, 0.009),
        "notional_share": 0.25,
        "session": ("stock", 9 * 60 + 30, 15 * 60 + 55),
        "bars_per_day": 78,
        "commission": ("per_share", 0.005, 1.0),
        "instruments": [
            instrument("AAPL", 131.0, 0.01), instrument("MSFT", 218.0, 0.01),
            instrument("NVDA", 131.0, 0.01, vol=0.03), instrument("AMZN", 159.0, 0.01),
            instrument("META", 268.0, 0.01, vol=0.028), instrument("GOOGL", 87.0, 0.01),
            instrument("TSLA", 243.0, 0.01, vol=0.035), instrument("AMD", 92.0, 0.01, vol=0.03),
        ],
        "params": {
            "universe": ["AAPL", "MSFT", "NVDA", "AMZN", "META", "GOOGL", "TSLA", "AMD"],
            "bar_size": "5min",
            "timezone": "America/New_York",
            "entry": {"breakout_lookback_days": 20, "volume_surge_ratio": 1.8,
                      "min_adx": 22, "confirm_bars": 2},
            "exit": {"trailing_stop_atr": 2.5, "atr_period": 14, "max_holding_days": 10,
                     "take_profit_atr": 6.0},
            "risk": {"position_size_pct": 18.0, "max_positions": 4, "max_gross_exposure_pct": 72.0},
            "costs": {"commission_per_share": 0.005, "min_commission": 1.0, "slippage_bps": 2.0},
        },
    },
    {
        "name": "mean_reversion_fx",
        "title": "Mean reversion FX",
        "seed": 2202,
        "start": date(2022, 1, 3),
        "end": date(2023, 12, 29),
        "capital": 250_000.0,
        "trades": 380,
        "hold_days": (0, 3),
        "long_share": 0.5,
        "win_rate": 0.55,
        "win_return": (0.0042, 0.0025),
        "loss_return": (0.0055, 0.003),
        "notional_share": 0.8,
        "session": ("fx", 0, 23 * 60 + 55),
        "bars_per_day": 96,
        "commission": ("per_million", 25.0, 0.0),
        "instruments": [
            instrument("EURUSD", 1.1370, 0.00001, vol=0.005),
            instrument("GBPUSD", 1.3530, 0.00001, vol=0.006),
            instrument("USDJPY", 115.10, 0.001, vol=0.006, quote_usd=False),
            instrument("AUDUSD", 0.7190, 0.00001, vol=0.007),
            instrument("USDCHF", 0.9150, 0.00001, vol=0.005, quote_usd=False),
            instrument("NZDUSD", 0.6810, 0.00001, vol=0.007),
        ],
        "params": {
            "pairs": ["EURUSD", "GBPUSD", "USDJPY", "AUDUSD", "USDCHF", "NZDUSD"],
            "bar_size": "15min",
            "timezone": "UTC",
            "signal": {"zscore_lookback_bars": 96, "entry_zscore": 2.2, "exit_zscore": 0.3,
                       "bollinger_std": 2.0, "rsi_period": 14, "rsi_oversold": 25,
                       "rsi_overbought": 75},
            "filters": {"skip_news_minutes": 30, "max_spread_pips": 1.8,
                        "sessions": ["london", "new_york"]},
            "exit": {"stop_loss_pips": 35, "max_holding_hours": 72},
            "risk": {"units_per_trade": 200000, "max_open_trades": 3},
            "costs": {"commission_per_million": 25.0, "slippage_pips": 0.2},
        },
    },
    {
        "name": "pairs_trading_energy",
        "title": "Pairs trading energy",
        "seed": 3303,
        "start": date(2020, 7, 1),
        "end": date(2023, 12, 29),
        "capital": 500_000.0,
        "trades": 150,
        "hold_days": (2, 25),
        "long_share": 0.5,
        "win_rate": 0.54,
        "win_return": (0.028, 0.016),
        "loss_return": (0.026, 0.014),
        "notional_share": 0.22,
        "session": ("stock", 9 * 60 + 35, 15 * 60 + 50),
        "bars_per_day": 7,
        "commission": ("per_share", 0.0035, 0.35),
        "pairs": [("XOM", "CVX"), ("COP", "EOG"), ("SLB", "HAL"), ("OXY", "DVN"), ("MPC", "VLO")],
        "instruments": [
            instrument("XOM", 44.5, 0.01), instrument("CVX", 85.0, 0.01),
            instrument("COP", 41.0, 0.01), instrument("EOG", 47.5, 0.01),
            instrument("SLB", 18.6, 0.01, vol=0.03), instrument("HAL", 14.2, 0.01, vol=0.03),
            instrument("OXY", 17.8, 0.01, vol=0.035), instrument("DVN", 10.9, 0.01, vol=0.035),
            instrument("MPC", 37.5, 0.01), instrument("VLO", 56.0, 0.01),
        ],
        "params": {
            "pairs": [["XOM", "CVX"], ["COP", "EOG"], ["SLB", "HAL"], ["OXY", "DVN"], ["MPC", "VLO"]],
            "bar_size": "1h",
            "timezone": "America/New_York",
            "hedge_ratio": {"method": "rolling_ols", "lookback_days": 120, "refit_every_days": 20},
            "cointegration": {"test": "engle_granger", "max_pvalue": 0.05, "lookback_days": 250},
            "signal": {"entry_zscore": 2.0, "exit_zscore": 0.5, "stop_zscore": 3.5},
            "exit": {"max_holding_days": 30},
            "risk": {"gross_per_pair_pct": 22.0, "max_pairs_open": 3, "dollar_neutral": True},
            "costs": {"commission_per_share": 0.0035, "min_commission": 0.35,
                      "borrow_fee_annual_pct": 0.5, "slippage_bps": 3.0},
        },
    },
    {
        "name": "trend_following_futures",
        "title": "Trend following futures",
        "seed": 4404,
        "start": date(2019, 1, 2),
        "end": date(2023, 12, 29),
        "capital": 1_000_000.0,
        "trades": 230,
        "hold_days": (5, 60),
        "long_share": 0.55,
        "win_rate": 0.39,
        "win_return": (0.050, 0.038),
        "loss_return": (0.021, 0.011),
        "notional_share": 0.3,
        "session": ("close", 15 * 60, 15 * 60),
        "bars_per_day": 1,
        "commission": ("per_contract", 2.25, 0.0),
        "walk_forward_folds": 4,
        "instruments": [
            instrument("ES", 2510.0, 0.25, 50.0, vol=0.012),
            instrument("NQ", 6330.0, 0.25, 20.0, vol=0.015),
            instrument("CL", 46.5, 0.01, 1000.0, vol=0.025),
            instrument("GC", 1285.0, 0.1, 100.0, vol=0.01),
            instrument("ZN", 121.5, 0.015625, 1000.0, vol=0.004),
            instrument("6E", 1.1460, 0.00005, 125000.0, vol=0.005),
            instrument("ZC", 375.0, 0.25, 50.0, vol=0.017),
            instrument("HG", 2.63, 0.0005, 25000.0, vol=0.015),
        ],
        "params": {
            "markets": ["ES", "NQ", "CL", "GC", "ZN", "6E", "ZC", "HG"],
            "bar_size": "1d",
            "roll": {"method": "volume", "days_before_expiry": 5, "back_adjusted": True},
            "signal": {"fast_ma": 50, "slow_ma": 200, "breakout_days": 55, "exit_breakout_days": 20},
            "sizing": {"target_annual_vol_pct": 12.0, "vol_lookback_days": 60,
                       "max_contracts_per_market": 20},
            "risk": {"stop_atr": 3.0, "atr_period": 20, "max_portfolio_heat_pct": 8.0},
            "costs": {"commission_per_contract": 2.25, "slippage_ticks": 1},
        },
    },
]


# ---------------------------------------------------------------- trades and equity


def weekdays(start, end):
    days, d = [], start
    while d <= end:
        if d.weekday() < 5:
            days.append(d)
        d += timedelta(days=1)
    return days


def round_to_tick(price, tick):
    return round(round(price / tick) * tick, 6)


def decimals_of(tick):
    text = f"{tick:.6f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def clock(rng, session, day, after=None):
    kind, first, last = session
    if kind == "close":
        minute = first
    else:
        lo = first if after is None else max(first, after + 5)
        minute = rng.randint(lo, max(lo, last)) // 5 * 5
    return datetime(day.year, day.month, day.day) + timedelta(minutes=minute)


def commission(spec, qty, price_usd_notional):
    kind, rate, minimum = spec
    if kind == "per_share":
        return max(minimum, qty * rate)
    if kind == "per_contract":
        return qty * rate
    return price_usd_notional / 1_000_000 * rate  # per_million of notional


def pnl_usd(inst, side, qty, entry, exit_):
    sign = 1 if side == "long" else -1
    gross = sign * (exit_ - entry) * qty * inst["multiplier"]
    return gross if inst["quote_usd"] else gross / exit_


def draw_return(rng, s):
    if rng.random() < s["win_rate"]:
        mu, sd = s["win_return"]
        return abs(rng.gauss(mu, sd)) + 0.0005
    mu, sd = s["loss_return"]
    return -(abs(rng.gauss(mu, sd)) + 0.0005)


def price_paths(s, rng, n_days):
    """A daily close for every instrument (a random walk from its starting price)."""
    paths = {}
    for inst in s["instruments"]:
        price, path = inst["price"], []
        for _ in range(n_days):
            path.append(price)
            price *= math.exp(rng.gauss(0.0002, inst["vol"]))
        paths[inst["symbol"]] = path
    return paths


def make_trades(s, rng, days):
    """Trades with returns drawn from the strategy's edge, scaled to each instrument's
    volatility (and sized inversely to it, as vol-targeting would); entries sit on the
    instrument's price path, exits follow from the return."""
    insts = {i["symbol"]: i for i in s["instruments"]}
    vols = sorted(i["vol"] for i in s["instruments"])
    ref_vol = vols[len(vols) // 2]
    n_days = len(days)
    paths = price_paths(s, rng, n_days)
    lo, hi = s["hold_days"]
    entries = sorted(rng.randrange(0, n_days - 1) for _ in range(s["trades"]))
    trades = []

    def leg(sym, side, entry_idx, exit_idx, ret, notional, entry_dt, exit_dt):
        inst = insts[sym]
        scale = inst["vol"] / ref_vol
        ret *= scale
        notional = notional / max(0.4, min(2.5, scale))
        entry = round_to_tick(paths[sym][entry_idx] * (1 + rng.uniform(-0.002, 0.002)), inst["tick"])
        usd_price = entry * inst["multiplier"] if inst["quote_usd"] else inst["multiplier"]
        qty = max(1, int(notional / usd_price))
        if s["commission"][0] == "per_million":
            qty = max(10_000, int(notional / usd_price / 10_000) * 10_000)
        sign = 1 if side == "long" else -1
        exit_ = round_to_tick(entry * (1 + sign * ret), inst["tick"])
        if exit_ <= 0:
            exit_ = inst["tick"]
        notional_usd = qty * usd_price
        fees = commission(s["commission"], qty, notional_usd) * 2
        pnl = pnl_usd(inst, side, qty, entry, exit_) - fees
        return {
            "symbol": sym, "side": side, "qty": qty,
            "entry_time": entry_dt, "exit_time": exit_dt,
            "entry_price": entry, "exit_price": exit_,
            "commission": round(fees, 2), "pnl": round(pnl, 2),
            "decimals": decimals_of(inst["tick"]),
        }

    for n, entry_idx in enumerate(entries, start=1):
        hold = rng.randint(lo, hi)
        exit_idx = min(entry_idx + hold, n_days - 1)
        entry_dt = clock(rng, s["session"], days[entry_idx])
        if exit_idx == entry_idx and entry_idx + 1 < n_days:
            start_minute = entry_dt.hour * 60 + entry_dt.minute
            if start_minute + 5 > s["session"][2]:
                exit_idx += 1
                exit_dt = clock(rng, s["session"], days[exit_idx])
            else:
                exit_dt = clock(rng, s["session"], days[exit_idx], after=start_minute)
        else:
            exit_dt = clock(rng, s["session"], days[exit_idx])
        ret = draw_return(rng, s)
        notional = s["capital"] * s["notional_share"] * rng.uniform(0.7, 1.3)
        if "pairs" in s:
            a, b = rng.choice(s["pairs"])
            long_first = rng.random() < s["long_share"]
            sides = ("long", "short") if long_first else ("short", "long")
            split = rng.uniform(0.3, 0.7)
            # Both stocks move with the sector (the hedge cancels most of it); the spread's
            # reversion is the trade's edge.
            sector = rng.gauss(0, 0.012 * math.sqrt(exit_idx - entry_idx + 1))
            sign_a = 1 if sides[0] == "long" else -1
            legs = [leg(a, sides[0], entry_idx, exit_idx, ret * split * 2 + sign_a * sector,
                        notional / 2, entry_dt, exit_dt),
                    leg(b, sides[1], entry_idx, exit_idx, ret * (1 - split) * 2 - sign_a * sector,
                        notional / 2, entry_dt, exit_dt)]
            trade_id = f"P{n:04d}"
        else:
            inst = rng.choice(s["instruments"])["symbol"]
            side = "long" if rng.random() < s["long_share"] else "short"
            legs = [leg(inst, side, entry_idx, exit_idx, ret, notional, entry_dt, exit_dt)]
            trade_id = f"T{n:04d}"
        for piece in legs:
            piece.update(trade_id=trade_id, entry_idx=entry_idx, exit_idx=exit_idx)
            trades.append(piece)
    return trades


def equity_curve(s, rng, days, trades):
    """Daily equity: realised P&L by exit day plus a noisy mark-to-market of open trades."""
    n = len(days)
    realised = [0.0] * n
    open_mark = [0.0] * n
    for t in trades:
        realised[t["exit_idx"]] += t["pnl"]
        span = t["exit_idx"] - t["entry_idx"]
        if span <= 0:
            continue
        scale = max(abs(t["pnl"]), s["capital"] * 0.0015)
        walk = 0.0
        for k in range(span):
            frac = k / span
            walk += rng.gauss(0, scale * 0.35)
            open_mark[t["entry_idx"] + k] += t["pnl"] * frac + walk * (1 - frac)
    equity, cash = [], s["capital"]
    for i in range(n):
        cash += realised[i]
        equity.append(round(cash + open_mark[i], 2))
    return equity


def stats(equity, capital, first_day, last_day, pnls):
    returns = [equity[0] / capital - 1] + [equity[i] / equity[i - 1] - 1 for i in range(1, len(equity))]
    mean = sum(returns) / len(returns)
    sd = math.sqrt(sum((r - mean) ** 2 for r in returns) / (len(returns) - 1))
    downside = math.sqrt(sum(min(r, 0.0) ** 2 for r in returns) / len(returns))
    peak, worst = capital, 0.0
    drawdowns = []
    for e in equity:
        peak = max(peak, e)
        dd = e / peak - 1
        worst = min(worst, dd)
        drawdowns.append(dd)
    years = ((last_day - first_day).days + 1) / 365.25
    final = equity[-1]
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p <= 0]
    return {
        "returns": returns,
        "drawdowns": drawdowns,
        "sharpe_ratio": round(mean / sd * math.sqrt(252), 2),
        "sortino_ratio": round(mean / downside * math.sqrt(252), 2),
        "total_return_pct": round((final / capital - 1) * 100, 2),
        "cagr_pct": round(((final / capital) ** (1 / years) - 1) * 100, 2),
        "max_drawdown_pct": round(worst * 100, 2),
        "annual_volatility_pct": round(sd * math.sqrt(252) * 100, 2),
        "win_rate_pct": round(len(wins) / len(pnls) * 100, 2),
        "trades": len(pnls),
        "profit_factor": round(sum(wins) / -sum(losses), 2),
        "avg_trade_pnl": round(sum(pnls) / len(pnls), 2),
        "final_equity": round(final, 2),
    }


def trade_pnls(trades):
    """P&L per trade (a pairs trade's two legs count as one trade)."""
    by_id = {}
    for t in trades:
        by_id[t["trade_id"]] = by_id.get(t["trade_id"], 0.0) + t["pnl"]
    return [round(v, 2) for v in by_id.values()]


def metrics_json(s, st, first_day, last_day, capital, extra=None):
    out = {
        "strategy": s["name"],
        "sharpe_ratio": st["sharpe_ratio"],
        "sortino_ratio": st["sortino_ratio"],
        "total_return_pct": st["total_return_pct"],
        "cagr_pct": st["cagr_pct"],
        "max_drawdown_pct": st["max_drawdown_pct"],
        "annual_volatility_pct": st["annual_volatility_pct"],
        "win_rate_pct": st["win_rate_pct"],
        "trades": st["trades"],
        "profit_factor": st["profit_factor"],
        "avg_trade_pnl": st["avg_trade_pnl"],
        "start_date": first_day.isoformat(),
        "end_date": last_day.isoformat(),
        "initial_capital": round(capital, 2),
        "final_equity": st["final_equity"],
        "currency": "USD",
    }
    out.update(extra or {})
    return out


# ---------------------------------------------------------------- files


def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_json(path, obj):
    write_text(path, json.dumps(obj, indent=2) + "\n")


def csv_text(header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def trades_csv(trades):
    rows = []
    for t in trades:
        fmt = f"{{:.{t['decimals']}f}}"
        rows.append([t["trade_id"], t["symbol"], t["side"],
                     t["entry_time"].strftime("%Y-%m-%d %H:%M:%S"),
                     t["exit_time"].strftime("%Y-%m-%d %H:%M:%S"),
                     t["qty"], fmt.format(t["entry_price"]), fmt.format(t["exit_price"]),
                     f"{t['commission']:.2f}", f"{t['pnl']:.2f}"])
    return csv_text(["trade_id", "symbol", "side", "entry_time", "exit_time", "qty",
                     "entry_price", "exit_price", "commission", "pnl"], rows)


def equity_csv(days, equity, st):
    rows = [[d.isoformat(), f"{e:.2f}", f"{r * 100:.4f}", f"{dd * 100:.4f}"]
            for d, e, r, dd in zip(days, equity, st["returns"], st["drawdowns"])]
    return csv_text(["date", "equity", "daily_return_pct", "drawdown_pct"], rows)


def backtest_log(s, rng, days, trades, equity, st):
    lines = []
    clock_at = datetime(2024, 1, 8, 18, 2, 11)

    def log(level, source, message, seconds=0.0):
        nonlocal clock_at
        clock_at += timedelta(milliseconds=int(seconds * 1000) + rng.randint(1, 40))
        stamp = clock_at.strftime("%Y-%m-%d %H:%M:%S") + f",{clock_at.microsecond // 1000:03d}"
        lines.append(f"{stamp} {level:<5} {source}: {message}")

    symbols = sorted({t["symbol"] for t in trades})
    log("INFO", "runner", f"backtest {s['name']} started (engine 3.8.2, python 3.11.7)")
    log("INFO", "runner", f"params: {json.dumps(s['params'], separators=(',', ':'))}")
    log("INFO", "data", f"period {days[0].isoformat()} .. {days[-1].isoformat()} ({len(days)} sessions)")
    for sym in symbols:
        bars = len(days) * s["bars_per_day"]
        log("INFO", "data", f"loaded {sym}: {bars} bars", seconds=rng.uniform(0.05, 0.4))
    gaps = rng.sample(days[5:-5], 3)
    for g in sorted(gaps):
        log("WARN", "data", f"{rng.choice(symbols)}: {rng.randint(1, 4)} missing bars on {g.isoformat()}, forward-filled")
    log("INFO", "broker", f"initial capital {s['capital']:,.2f} USD, commission model {s['commission'][0]}")
    month_start = 0
    for i in range(1, len(days) + 1):
        if i == len(days) or days[i].month != days[i - 1].month:
            d = days[i - 1]
            opened = sum(1 for t in trades if month_start <= t["entry_idx"] < i)
            closed = [t for t in trades if month_start <= t["exit_idx"] < i]
            base = equity[month_start - 1] if month_start else s["capital"]
            ret = (equity[i - 1] / base - 1) * 100
            log("INFO", "engine", f"{d.strftime('%Y-%m')}: opened {opened}, closed {len(closed)}, "
                f"pnl {sum(t['pnl'] for t in closed):,.2f}, month {ret:+.2f}%, equity {equity[i - 1]:,.2f}",
                seconds=rng.uniform(0.2, 1.5))
            if rng.random() < 0.12:
                log("WARN", "broker", f"partial fill on {rng.choice(symbols)}, remainder filled next bar")
            month_start = i
    log("INFO", "report", f"sharpe {st['sharpe_ratio']}, sortino {st['sortino_ratio']}, "
        f"max drawdown {st['max_drawdown_pct']}%, cagr {st['cagr_pct']}%")
    log("INFO", "report", f"trades {st['trades']}, win rate {st['win_rate_pct']}%, "
        f"profit factor {st['profit_factor']}, final equity {st['final_equity']:,.2f}")
    log("INFO", "report", "wrote metrics.json, params.json, trades.csv, equity_curve.csv, plots/equity_curve.png")
    log("INFO", "runner", f"backtest {s['name']} finished")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- chart (a tiny PNG writer)

FONT = {  # 5x7 glyphs, one string of five bits per row
    "0": "01110 10001 10011 10101 11001 10001 01110", "1": "00100 01100 00100 00100 00100 00100 01110",
    "2": "01110 10001 00001 00010 00100 01000 11111", "3": "11111 00010 00100 00010 00001 10001 01110",
    "4": "00010 00110 01010 10010 11111 00010 00010", "5": "11111 10000 11110 00001 00001 10001 01110",
    "6": "00110 01000 10000 11110 10001 10001 01110", "7": "11111 00001 00010 00100 01000 01000 01000",
    "8": "01110 10001 10001 01110 10001 10001 01110", "9": "01110 10001 10001 01111 00001 00010 01100",
    "A": "01110 10001 10001 11111 10001 10001 10001", "B": "11110 10001 10001 11110 10001 10001 11110",
    "C": "01110 10001 10000 10000 10000 10001 01110", "D": "11100 10010 10001 10001 10001 10010 11100",
    "E": "11111 10000 10000 11110 10000 10000 11111", "F": "11111 10000 10000 11110 10000 10000 10000",
    "G": "01110 10001 10000 10111 10001 10001 01111", "H": "10001 10001 10001 11111 10001 10001 10001",
    "I": "01110 00100 00100 00100 00100 00100 01110", "J": "00111 00010 00010 00010 00010 10010 01100",
    "K": "10001 10010 10100 11000 10100 10010 10001", "L": "10000 10000 10000 10000 10000 10000 11111",
    "M": "10001 11011 10101 10101 10001 10001 10001", "N": "10001 10001 11001 10101 10011 10001 10001",
    "O": "01110 10001 10001 10001 10001 10001 01110", "P": "11110 10001 10001 11110 10000 10000 10000",
    "Q": "01110 10001 10001 10001 10101 10010 01101", "R": "11110 10001 10001 11110 10100 10010 10001",
    "S": "01111 10000 10000 01110 00001 00001 11110", "T": "11111 00100 00100 00100 00100 00100 00100",
    "U": "10001 10001 10001 10001 10001 10001 01110", "V": "10001 10001 10001 10001 10001 01010 00100",
    "W": "10001 10001 10001 10101 10101 10101 01010", "X": "10001 10001 01010 00100 01010 10001 10001",
    "Y": "10001 10001 10001 01010 00100 00100 00100", "Z": "11111 00001 00010 00100 01000 10000 11111",
    ".": "00000 00000 00000 00000 00000 01100 01100", "-": "00000 00000 00000 11111 00000 00000 00000",
    "%": "11000 11001 00010 00100 01000 10011 00011", " ": "00000 00000 00000 00000 00000 00000 00000",
}
PALETTE = [
    (255, 255, 255),  # 0 background
    (228, 232, 238),  # 1 grid
    (120, 130, 145),  # 2 axis and labels
    (31, 78, 121),    # 3 equity line
    (214, 69, 65),    # 4 drawdown line
    (248, 214, 212),  # 5 drawdown fill
    (40, 44, 52),     # 6 title
    (170, 196, 222),  # 7 equity line edge (cheap anti-aliasing)
]


class Canvas:
    def __init__(self, width, height):
        self.w, self.h = width, height
        self.px = [bytearray(width) for _ in range(height)]

    def set(self, x, y, c):
        if 0 <= x < self.w and 0 <= y < self.h:
            self.px[y][x] = c

    def hline(self, x0, x1, y, c):
        for x in range(x0, x1 + 1):
            self.set(x, y, c)

    def vline(self, x, y0, y1, c):
        for y in range(min(y0, y1), max(y0, y1) + 1):
            self.set(x, y, c)

    def line(self, x0, y0, x1, y1, c):
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            self.set(x0, y0, c)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def text(self, x, y, s, c):
        for ch in s.upper():
            rows = FONT.get(ch, FONT[" "]).split()
            for j, row in enumerate(rows):
                for i, bit in enumerate(row):
                    if bit == "1":
                        self.set(x + i, y + j, c)
            x += 6

    def png(self):
        raw = b"".join(b"\x00" + bytes(row) for row in self.px)

        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

        plte = b"".join(bytes(c) for c in PALETTE)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 3, 0, 0, 0))
                + chunk(b"PLTE", plte) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def money_label(v):
    if abs(v) >= 1_000_000:
        return f"{v / 1_000_000:.2f}M"
    return f"{v / 1000:.0f}K"


def nice_step(span, count):
    raw = span / count
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def chart(s, days, equity, st):
    width, height = 480, 240
    left, right, top = 50, 470, 24
    eq_bottom, dd_top, dd_bottom = 170, 180, 216
    cv = Canvas(width, height)
    cv.text(left, 8, f"{s['title']} - equity", 6)
    cv.text(right - 6 * len(f"DD {st['max_drawdown_pct']:.1f}%") + 1, 8,
            f"DD {st['max_drawdown_pct']:.1f}%", 4)

    lo, hi = min(equity + [s["capital"]]), max(equity)
    step = nice_step(hi - lo, 5)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    n = len(equity)

    def x_at(i):
        return left + round(i * (right - left) / (n - 1))

    def y_eq(v):
        return eq_bottom - round((v - lo) * (eq_bottom - top) / (hi - lo))

    worst = min(st["drawdowns"]) or -0.01

    def y_dd(v):
        return dd_top + round(v / worst * (dd_bottom - dd_top))

    level = lo
    while level <= hi + step / 2:
        y = y_eq(level)
        cv.hline(left, right, y, 1)
        label = money_label(level)
        cv.text(left - 4 - 6 * len(label), y - 3, label, 2)
        level += step
    for i, d in enumerate(days):
        if i == 0 or d.year != days[i - 1].year:
            x = x_at(i)
            cv.vline(x, top, dd_bottom, 1)
            cv.text(x + 2, dd_bottom + 6, str(d.year), 2)
    cv.hline(left, right, eq_bottom, 2)
    cv.hline(left, right, dd_top, 2)
    cv.vline(left, top, dd_bottom, 2)
    cv.text(left - 4 - 6 * 2, dd_top + 2, "DD", 2)

    for i, dd in enumerate(st["drawdowns"]):
        x = x_at(i)
        if dd < 0:
            cv.vline(x, dd_top + 1, y_dd(dd), 5)
    prev = None
    for i, dd in enumerate(st["drawdowns"]):
        point = (x_at(i), y_dd(dd))
        if prev:
            cv.line(*prev, *point, 4)
        prev = point
    prev = None
    for i, v in enumerate(equity):
        point = (x_at(i), y_eq(v))
        if prev:
            cv.line(prev[0], prev[1] + 1, point[0], point[1] + 1, 7)
            cv.line(*prev, *point, 3)
        prev = point
    return cv.png()


# ---------------------------------------------------------------- walk-forward folds


def walk_forward(s, folder, days, equity, trades, capital_rng):
    folds = s["walk_forward_folds"]
    n = len(days)
    test_len = n // (folds + 1)
    rows = []
    for k in range(1, folds + 1):
        train_start, test_start = (k - 1) * test_len, k * test_len
        test_end = n - 1 if k == folds else (k + 1) * test_len - 1
        base = equity[test_start - 1]
        seg = equity[test_start:test_end + 1]
        pnls = trade_pnls([t for t in trades if test_start <= t["exit_idx"] <= test_end])
        st = stats(seg, base, days[test_start], days[test_end], pnls)
        fast = capital_rng.choice([30, 40, 50, 60])
        slow = capital_rng.choice([150, 200, 250])
        breakout = capital_rng.choice([40, 55, 70])
        fold_dir = os.path.join(folder, "walk_forward", f"fold_{k}")
        write_json(os.path.join(fold_dir, "metrics.json"), metrics_json(s, st, days[test_start], days[test_end], base, {
            "fold": k,
            "train_start": days[train_start].isoformat(),
            "train_end": days[test_start - 1].isoformat(),
            "in_sample_sharpe": round(st["sharpe_ratio"] + capital_rng.uniform(0.2, 0.7), 2),
        }))
        write_json(os.path.join(fold_dir, "params.json"), {
            "fold": k, "optimised_on": [days[train_start].isoformat(), days[test_start - 1].isoformat()],
            "signal": {"fast_ma": fast, "slow_ma": slow, "breakout_days": breakout,
                       "exit_breakout_days": breakout // 2 - breakout // 2 % 5},
            "objective": "sharpe_ratio", "grid_points_tested": 48,
        })
        rows.append([k, days[train_start].isoformat(), days[test_start - 1].isoformat(),
                     days[test_start].isoformat(), days[test_end].isoformat(), fast, slow, breakout,
                     st["sharpe_ratio"], st["total_return_pct"], st["max_drawdown_pct"], st["trades"]])
    write_text(os.path.join(folder, "walk_forward", "summary.csv"), csv_text(
        ["fold", "train_start", "train_end", "test_start", "test_end", "fast_ma", "slow_ma",
         "breakout_days", "test_sharpe", "test_return_pct", "test_max_drawdown_pct", "test_trades"], rows))


# ---------------------------------------------------------------- main


def generate(s):
    rng = random.Random(s["seed"])
    folder = os.path.join(HERE, s["name"])
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    days = weekdays(s["start"], s["end"])
    trades = make_trades(s, rng, days)
    equity = equity_curve(s, rng, days, trades)
    st = stats(equity, s["capital"], days[0], days[-1], trade_pnls(trades))
    write_json(os.path.join(folder, "metrics.json"), metrics_json(s, st, days[0], days[-1], s["capital"]))
    write_json(os.path.join(folder, "params.json"), {"strategy": s["name"], **s["params"],
                                                     "initial_capital": s["capital"], "seed": s["seed"]})
    write_text(os.path.join(folder, "trades.csv"), trades_csv(trades))
    write_text(os.path.join(folder, "equity_curve.csv"), equity_csv(days, equity, st))
    write_text(os.path.join(folder, "logs", "backtest.log"), backtest_log(s, rng, days, trades, equity, st))
    os.makedirs(os.path.join(folder, "plots"), exist_ok=True)
    with open(os.path.join(folder, "plots", "equity_curve.png"), "wb") as f:
        f.write(chart(s, days, equity, st))
    if "walk_forward_folds" in s:
        walk_forward(s, folder, days, equity, trades, random.Random(s["seed"] + 1))
    return st


def main():
    for s in STRATEGIES:
        st = generate(s)
        print(f"{s['name']:<24} sharpe {st['sharpe_ratio']:>5}  return {st['total_return_pct']:>7}%  "
              f"max dd {st['max_drawdown_pct']:>7}%  trades {st['trades']}")


if __name__ == "__main__":
    main()
