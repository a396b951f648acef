// The throughput–latency curve of load tests: each finished step a point (requests/s achieved, a latency percentile), one
// line per load test, so several cars or servers overlay on the same axes.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { LoadStep } from "./api";
import { h } from "./dom";

export const palette = ["#22f3ff", "#ff2bd6", "#b6ff3b", "#ffb43b", "#a78bfa", "#ff4d6d", "#4ade80", "#f472b6"];

export interface Curve { label: string; steps: LoadStep[] }

export type CurveMetric = "ttft_ms" | "itl_ms" | "e2e_ms" | "tpot_ms";

/** The points of one curve, by rising rate: a step with no measured request has no point. */
export function points(steps: LoadStep[], metric: CurveMetric, at: "p50" | "p95" | "p99"): [number, number][] {
  return steps.filter((s) => s[metric] && s.completed > 0).map((s) => [s.requests_per_s, s[metric]![at]] as [number, number])
    .sort((a, b) => a[0] - b[0]);
}

/** Draws (or redraws) the curves into <c>box</c>; with no point yet, says so. */
export function drawCurves(box: HTMLElement, curves: Curve[], metric: CurveMetric = "ttft_ms", at: "p50" | "p95" | "p99" = "p95"):
    void {
  box.replaceChildren(h("figcaption", {}, `${label(metric)} ${at} against requests/s achieved, step by step`));
  const lines = curves.map((c) => points(c.steps, metric, at));
  const xs = [...new Set(lines.flatMap((l) => l.map(([x]) => x)))].sort((a, b) => a - b);
  if (!xs.length) { box.append(h("p", { class: "muted" }, "No finished step yet.")); return; }
  const ys = lines.map((l) => xs.map((x) => l.find(([px]) => px === x)?.[1] ?? null));
  new uPlot({
    width: 640, height: 280,
    scales: { x: { time: false } },
    axes: [{ stroke: "#8d89b8", grid: { stroke: "#221d4a" }, label: "requests/s" },
      { stroke: "#8d89b8", grid: { stroke: "#221d4a" }, label: "ms" }],
    series: [{ label: "req/s" }, ...curves.map((c, i) => ({ label: c.label, stroke: palette[i % palette.length], width: 2, spanGaps: true,
        points: { show: true, size: 7 } }))],
    legend: { show: false },
  }, [xs, ...ys] as uPlot.AlignedData, box);
  box.append(h("div", { class: "legend" }, curves.map((c, i) => h("span", {},
      h("i", { style: `background:${palette[i % palette.length]}` }), c.label))));
}

function label(metric: CurveMetric): string {
  return { ttft_ms: "TTFT", itl_ms: "ITL", e2e_ms: "E2E", tpot_ms: "TPOT" }[metric];
}
