// The equity curve of a backup, drawn as an SVG line with its area, the start and end values,
// the highest and lowest point and the deepest drawdown named in words for screen readers.
import type { EquityCurve } from "./types";

const SVG = "http://www.w3.org/2000/svg";

export type CurveSummary = {
  first: number;
  last: number;
  high: number;
  low: number;
  /** The deepest fall from a previous high, as a negative fraction (-0.125 is -12.5 %). */
  maxDrawdown: number;
};

export function summarise(values: readonly number[]): CurveSummary | null {
  if (values.length === 0) return null;
  let peak = values[0] as number;
  let maxDrawdown = 0;
  let high = -Infinity;
  let low = Infinity;
  for (const v of values) {
    high = Math.max(high, v);
    low = Math.min(low, v);
    peak = Math.max(peak, v);
    if (peak > 0) maxDrawdown = Math.min(maxDrawdown, v / peak - 1);
  }
  return { first: values[0] as number, last: values[values.length - 1] as number, high, low, maxDrawdown };
}

/** The polyline's points for a width × height box (y grows downwards; a flat line sits in the middle). */
export function linePoints(values: readonly number[], width: number, height: number): [number, number][] {
  if (values.length === 0) return [];
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values.map((v, i) => [
    Math.round(i * step * 10) / 10,
    Math.round((span === 0 ? height / 2 : height - ((v - min) / span) * height) * 10) / 10,
  ]);
}

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

const number = (v: number) => v.toLocaleString("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2 });

export function equityChart(curve: EquityCurve, width = 640, height = 200): SVGSVGElement {
  const values = curve.points.map((p) => p.value);
  const s = summarise(values);
  const pad = { left: 8, right: 8, top: 10, bottom: 10 };
  const inner = { w: width - pad.left - pad.right, h: height - pad.top - pad.bottom };
  const points = linePoints(values, inner.w, inner.h).map(([x, y]) => [x + pad.left, y + pad.top] as const);
  const change = s && s.first !== 0 ? (s.last / s.first - 1) * 100 : null;
  const words = s
    ? `Equity from ${number(s.first)} to ${number(s.last)}${change === null ? "" : ` (${change >= 0 ? "+" : ""}${change.toFixed(1)} %)`}, ` +
      `between ${number(s.low)} and ${number(s.high)}, deepest drawdown ${(s.maxDrawdown * 100).toFixed(1)} %, ` +
      `${curve.rows.toLocaleString("en-US")} rows from ${curve.file}.`
    : "No values.";
  const svg = el("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "equity-chart",
    role: "img",
    "aria-label": words,
    "data-testid": "equity-chart",
    "data-points": String(points.length),
  });
  const title = el("title", {});
  title.textContent = words;
  svg.append(title);
  if (points.length > 0) {
    const line = points.map(([x, y]) => `${x},${y}`).join(" ");
    const first = points[0] as readonly [number, number];
    const last = points[points.length - 1] as readonly [number, number];
    svg.append(
      el("polygon", { class: "equity-area", points: `${first[0]},${height - pad.bottom} ${line} ${last[0]},${height - pad.bottom}` }),
      el("polyline", { class: `equity-line ${change !== null && change < 0 ? "equity-down" : "equity-up"}`, points: line }),
    );
  }
  return svg;
}
