import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api, type CompareSeries } from "../api";
import { empty, h } from "../dom";
import { ms, num, pct } from "../format";
import { drawCurves } from "../loadcurve";

const palette = ["#22f3ff", "#ff2bd6", "#b6ff3b", "#ffb43b", "#a78bfa", "#ff4d6d", "#4ade80", "#f472b6"];

/** Comparison: cars and runs side by side, as charts a person would rather look at than read. */
export async function comparePage(root: HTMLElement, idList?: string): Promise<void> {
  const ids = (idList ?? "").split(",").filter(Boolean);
  if (!ids.length) {
    const runs = await api.runs("&status=completed");
    root.replaceChildren(h("section", { class: "panel" }, h("h2", {}, "Comparison"),
      runs.length
        ? h("div", {}, h("p", { class: "muted" }, "Pick runs in Run History and press Compare, or compare the latest:"),
            h("a", { class: "neon-button", href: `#/compare/${runs.slice(0, 2).map((r) => r.id).join(",")}` }, "Compare the latest runs"))
        : empty("No finished races yet.", h("a", { class: "neon-button", href: "#/race" }, "Start a race"))));
    return;
  }
  const runs = await Promise.all(ids.map((id) => api.run(id)));
  if (runs.every((r) => r.kind === "load")) return compareLoadTests(root, ids);
  const data = await api.compare(ids);
  const series = data.series;
  const charts = h("div", { class: "charts" });
  root.replaceChildren(h("section", { class: "panel", "data-testid": "comparison-page" },
    h("h2", {}, "Comparison"),
    h("p", { class: "muted" }, data.runs.map((r) => `${r.suite_name} (${r.created_at.slice(0, 16).replace("T", " ")})`).join(" vs ")),
    h("div", { class: "legend" }, series.map((s, i) => h("span", {}, h("i", { style: `background:${palette[i % palette.length]}` }),
        s.label))),
    charts,
    h("div", { class: "bars-grid" },
      bars("Check pass rate", series, (s) => s.pass_rate, (v) => pct(v), 1),
      bars("Error rate", series, (s) => s.error_rate, (v) => pct(v), 1),
      bars("Decode tokens/s (median)", series, (s) => median(s.decode_tokens_per_s), (v) => num(v, 0)),
      bars("Judge score (mean)", series, (s) => mean(s.judge_scores), (v) => (v === null ? "not judged" : `${num(v)}/10`), 10))));
  charts.append(cdf("TTFT distribution", series, (s) => s.ttft_ms), cdf("E2E latency distribution", series, (s) => s.e2e_ms));
  const trends = overTime(data.runs, series);
  if (trends) root.querySelector("[data-testid=comparison-page]")!.append(trends);
}

/** Load tests side by side: their throughput–latency curves on the same axes, TTFT and E2E. */
async function compareLoadTests(root: HTMLElement, ids: string[]): Promise<void> {
  const tests = await Promise.all(ids.map((id) => api.loadTest(id)));
  const curves = tests.map((t) => ({ label: `${t.car.name} · ${t.profile.profile} · ${t.run.created_at.slice(0, 16).replace("T", " ")}`,
    steps: t.steps }));
  const ttft = h("figure", { class: "chart load-curve", "data-testid": "load-compare-ttft" });
  const e2e = h("figure", { class: "chart load-curve" });
  root.replaceChildren(h("section", { class: "panel", "data-testid": "comparison-page" }, h("h2", {}, "Comparison of load tests"),
    h("div", { class: "charts" }, ttft, e2e),
    h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["Load test", "Steps", "Best req/s", "Best goodput/s", "Verdict"]
        .map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, tests.map((t, i) => h("tr", {},
        h("th", { scope: "row" }, h("a", { href: `#/load/${t.run.id}` }, curves[i].label)),
        h("td", {}, String(t.steps.length)),
        h("td", {}, num(Math.max(0, ...t.steps.map((s) => s.requests_per_s)), 2)),
        h("td", {}, num(Math.max(0, ...t.steps.map((s) => s.goodput_per_s ?? 0)), 2)),
        h("td", {}, t.verdict?.summary ?? "—")))))));
  drawCurves(ttft, curves, "ttft_ms", "p95");
  drawCurves(e2e, curves, "e2e_ms", "p95");
}

/** Each car that raced in several of these runs, run after run (oldest first): its line over time. */
function overTime(runs: { run_id: string; created_at: string }[], series: CompareSeries[]): HTMLElement | null {
  const order = [...runs].sort((a, b) => a.created_at.localeCompare(b.created_at)).map((r) => r.run_id);
  const cars = [...new Set(series.map((s) => s.car_id))].map((id) => series.filter((s) => s.car_id === id)
      .sort((a, b) => order.indexOf(a.run_id) - order.indexOf(b.run_id))).filter((runsOfCar) => runsOfCar.length > 1);
  if (!cars.length) return null;
  const when = (runId: string) => runs.find((r) => r.run_id === runId)!.created_at.slice(0, 16).replace("T", " ");
  return h("section", { class: "over-time", "data-testid": "car-over-time" },
    h("h3", {}, "Each car across these runs"),
    cars.map((runsOfCar) => {
      const xs = runsOfCar.map((_, i) => i + 1);
      const box = h("figure", { class: "chart", "data-car": runsOfCar[0].car_name },
        h("figcaption", {}, `${runsOfCar[0].car_name}: TTFT p50 run after run`));
      new uPlot({
        width: 520, height: 200, scales: { x: { time: false } }, legend: { show: false },
        axes: [{ stroke: "#8d89b8", grid: { stroke: "#221d4a" }, values: (_u, v) => v.map((i) => (Number.isInteger(i) ? `run ${i}` : "")) },
          { stroke: "#8d89b8", grid: { stroke: "#221d4a" }, label: "ms" }],
        series: [{ label: "run" }, { label: "TTFT p50", stroke: palette[0], width: 2, points: { show: true } }],
      }, [xs, runsOfCar.map((s) => quantile([...s.ttft_ms].sort((a, b) => a - b), 0.5))] as uPlot.AlignedData, box);
      box.append(h("table", { class: "grid" },
        h("thead", {}, h("tr", {}, ["Run", "Started", "Pass rate", "TTFT p50", "E2E p50"].map((t) => h("th", {}, t)))),
        h("tbody", {}, runsOfCar.map((s, i) => h("tr", {},
          h("td", {}, `run ${i + 1}`), h("td", {}, when(s.run_id)), h("td", {}, pct(s.pass_rate)),
          h("td", {}, ms(quantile([...s.ttft_ms].sort((a, b) => a - b), 0.5))),
          h("td", {}, ms(quantile([...s.e2e_ms].sort((a, b) => a - b), 0.5))))))));
      return box;
    }));
}

/** An empirical CDF per car: x is latency, y the share of requests at or under it. */
function cdf(title: string, series: CompareSeries[], pick: (s: CompareSeries) => number[]): HTMLElement {
  const box = h("figure", { class: "chart" }, h("figcaption", {}, title));
  const xs = [...new Set(series.flatMap(pick))].sort((a, b) => a - b);
  if (!xs.length) { box.append(h("p", { class: "muted" }, "No samples.")); return box; }
  const ys = series.map((s) => {
    const sorted = [...pick(s)].sort((a, b) => a - b);
    return xs.map((x) => (sorted.length ? sorted.filter((v) => v <= x).length / sorted.length : null));
  });
  const opts: uPlot.Options = {
    width: 520, height: 240,
    scales: { x: { time: false }, y: { range: [0, 1] } },
    axes: [{ stroke: "#8d89b8", grid: { stroke: "#221d4a" }, label: "ms" }, { stroke: "#8d89b8", grid: { stroke: "#221d4a" }, values: (_u,
        v) => v.map((t) => `${Math.round(t * 100)}%`) }],
    series: [{ label: "ms" }, ...series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 2,
        paths: uPlot.paths.stepped!({ align: 1 }) }))],
    legend: { show: false },
  };
  new uPlot(opts, [xs, ...ys] as uPlot.AlignedData, box);
  box.append(h("p", { class: "muted small" }, series.map((s) => {
    const values = [...pick(s)].sort((a, b) => a - b);
    return `${s.car_name}: p50 ${ms(quantile(values, 0.5))}, p90 ${ms(quantile(values, 0.9))}`;
  }).join(" · ")));
  return box;
}

function bars(title: string, series: CompareSeries[], pick: (s: CompareSeries) => number | null, label: (v: number | null) => string,
    max?: number): HTMLElement {
  const values = series.map(pick);
  const top = max ?? Math.max(1, ...values.map((v) => v ?? 0));
  return h("figure", { class: "bars" }, h("figcaption", {}, title),
    series.map((s, i) => h("div", { class: "bar-row" },
      h("span", { class: "bar-label" }, series.some((o) => o.run_id !== s.run_id) ? s.label : s.car_name),
      h("span", { class: "bar" }, h("span", { class: "bar-fill",
          style: `width:${Math.round((100 * (values[i] ?? 0)) / top)}%;background:${palette[i % palette.length]}` })),
      h("span", { class: "bar-value" }, label(values[i])))));
}

export function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  const rank = q * (sorted.length - 1);
  const lo = Math.floor(rank), hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}
const median = (values: number[]) => quantile([...values].sort((a, b) => a - b), 0.5);
const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);
