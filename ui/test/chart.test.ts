// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { equityChart, linePoints, summarise } from "../src/chart";

describe("equity chart", () => {
  it("summarises a curve: start, end, range and the deepest drawdown", () => {
    expect(summarise([100, 120, 90, 130, 117])).toEqual({ first: 100, last: 117, high: 130, low: 90, maxDrawdown: 90 / 120 - 1 });
    expect(summarise([])).toBeNull();
  });

  it("maps values into the box, highest at the top, a flat line in the middle", () => {
    expect(linePoints([0, 5, 10], 100, 50)).toEqual([
      [0, 50],
      [50, 25],
      [100, 0],
    ]);
    expect(linePoints([7, 7], 10, 40)).toEqual([
      [0, 20],
      [10, 20],
    ]);
  });

  it("draws one point per value and says the curve in words", () => {
    const svg = equityChart({
      file: "equity_curve.csv",
      column: "equity",
      rows: 3,
      points: [
        { label: "2021-01-04", value: 100000 },
        { label: "2021-01-05", value: 90000 },
        { label: "2021-01-06", value: 110000 },
      ],
    });
    expect(svg.dataset.points).toBe("3");
    expect(svg.querySelector("polyline")?.getAttribute("points")?.split(" ")).toHaveLength(3);
    const words = svg.getAttribute("aria-label") ?? "";
    expect(words).toContain("from 100,000.00 to 110,000.00 (+10.0 %)");
    expect(words).toContain("deepest drawdown -10.0 %");
  });
});
