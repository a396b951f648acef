import { api, type LoadStep, type LoadTest, type LoadTestInput, type RaceEvent } from "../api";
import { withToken } from "../auth";
import { apiUrl } from "../base";
import { empty, field, h, status } from "../dom";
import { ms, num, pct, when } from "../format";
import { drawCurves, type Curve } from "../loadcurve";
import { followRun } from "./race";

const profiles: [string, string][] = [
  ["sweep", "Sweep: one at a time, then flat out, then rates between"],
  ["slo", "SLO: the highest rate at which the objectives hold"],
  ["constant", "Constant: a fixed rate"],
  ["poisson", "Poisson: a rate with random gaps"],
  ["concurrent", "Concurrent: N streams held busy"],
  ["synchronous", "Synchronous: one request at a time"],
];

/** Load: pick a car, a suite and a profile with objectives; then watch the curve grow step by step. */
export async function loadPage(root: HTMLElement, runId?: string): Promise<void> {
  if (runId) return watch(root, runId);
  const [suites, cars] = await Promise.all([api.suites(), api.cars()]);
  if (!suites.length || !cars.length) {
    root.replaceChildren(h("section", { class: "panel" }, h("h2", {}, "Load test"),
      empty(!cars.length ? "No cars yet: add a connection and a car in the Garage first." : "No suites yet: write or import one first.",
        h("a", { class: "neon-button", href: !cars.length ? "#/garage" : "#/suites" }, !cars.length ? "Open the Garage" : "Open Suites"))));
    return;
  }
  const number = (name: string, attrs: Record<string, string> = {}) => h("input", { type: "number", name, step: "any", ...attrs });
  const car = h("select", { name: "car_id" }, cars.map((c) => h("option", { value: c.id }, `${c.name} (${c.model})`)));
  const suite = h("select", { name: "suite_id" }, suites.map((s) => h("option", { value: s.id }, `${s.name} (${s.test_count})`)));
  const profile = h("select", { name: "profile" }, profiles.map(([value, text]) => h("option", { value }, text)));
  const inputs = {
    rate: number("rate", { min: "0" }), concurrency: number("concurrency", { min: "1", max: "1024", step: "1" }),
    burstiness: number("burstiness", { min: "0" }), steps: number("steps", { min: "1", max: "20", step: "1", value: "5" }),
    duration_s: number("duration_s", { min: "0", value: "10" }), max_requests: number("max_requests", { min: "1", step: "1" }),
    warmup_s: number("warmup_s", { min: "0" }), cooldown_s: number("cooldown_s", { min: "0" }),
    seed: number("seed", { step: "1" }), max_concurrency: number("max_concurrency", { min: "1", max: "1024", step: "1" }),
  };
  const slo = {
    ttft_ms: number("slo_ttft_ms", { min: "0" }), itl_ms: number("slo_itl_ms", { min: "0" }), tpot_ms: number("slo_tpot_ms", { min: "0" }),
    e2e_ms: number("slo_e2e_ms", { min: "0" }), check_pass_rate: number("slo_check_pass_rate", { min: "0", max: "100" }),
    percentile: number("slo_percentile", { min: "1", max: "100", value: "95" }),
  };
  const message = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "form", "aria-label": "Start a load test" },
    h("div", { class: "row" }, field("Car", car), field("Suite (its prompts, cycled)", suite)),
    field("Profile", profile),
    h("div", { class: "row" }, field("Rate (requests/s)", inputs.rate, "constant and poisson"),
      field("Concurrency", inputs.concurrency, "concurrent"), field("Burstiness", inputs.burstiness, "poisson: 1 = Poisson, < 1 burstier")),
    h("div", { class: "row" }, field("Steps", inputs.steps, "sweep (3–20) and the slo search"),
      field("Seconds per step", inputs.duration_s), field("Requests per step at most", inputs.max_requests)),
    h("div", { class: "row" }, field("Warm-up (s)", inputs.warmup_s, "left out of the figures"), field("Cool-down (s)", inputs.cooldown_s),
      field("Seed", inputs.seed), field("In flight at most", inputs.max_concurrency, "default 64")),
    h("fieldset", {}, h("legend", {}, "Objectives (SLOs): empty means none"),
      h("div", { class: "row" }, field("TTFT ms", slo.ttft_ms), field("ITL ms", slo.itl_ms), field("TPOT ms", slo.tpot_ms),
        field("E2E ms", slo.e2e_ms)),
      h("div", { class: "row" }, field("Check pass rate %", slo.check_pass_rate), field("At percentile", slo.percentile))),
    h("button", { type: "submit", class: "neon-button" }, "Start the load test"), message);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = (input: HTMLInputElement) => (input.value.trim() === "" ? null : Number(input.value));
    const objectives = {
      ttft_ms: value(slo.ttft_ms), itl_ms: value(slo.itl_ms), tpot_ms: value(slo.tpot_ms), e2e_ms: value(slo.e2e_ms),
      check_pass_rate: value(slo.check_pass_rate) === null ? null : value(slo.check_pass_rate)! / 100, percentile: value(slo.percentile),
    };
    const any = [objectives.ttft_ms, objectives.itl_ms, objectives.tpot_ms, objectives.e2e_ms, objectives.check_pass_rate]
      .some((v) => v !== null);
    const input = {
      suite_id: suite.value, car_id: car.value, profile: profile.value,
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, value(v)])),
      slo: any ? objectives : null,
    } as LoadTestInput;
    try {
      const created = await api.startLoadTest(input);
      location.hash = `#/load/${created.id}`;
    } catch (err) {
      const errors = (err as { errors?: Record<string, string[]> }).errors ?? {};
      message.replaceChildren(status([(err as Error).message, ...Object.entries(errors).map(([k, v]) => `${k}: ${v.join(" ")}`)]
        .join(" — "), "bad"));
    }
  });
  root.replaceChildren(h("section", { class: "panel" }, h("h2", {}, "Start a load test"),
    h("p", { class: "muted" }, "How much load a car's server takes before TTFT, ITL or the answers go bad: requests go out on " +
      "schedule whether or not earlier ones finished, and every answer is checked."), form));
}

async function watch(root: HTMLElement, runId: string): Promise<void> {
  let test: LoadTest = await api.loadTest(runId);
  const chart = h("figure", { class: "chart load-curve", "data-testid": "load-curve" });
  const table = h("div", { "data-testid": "load-steps" });
  const verdict = h("div", { "data-testid": "load-verdict", "aria-live": "polite" });
  const live = h("p", { class: "muted", "data-testid": "load-live", "aria-live": "off" });
  const state = h("span", { class: `pill ${test.run.status}`, "data-testid": "load-status" }, test.run.status);
  const cancel = h("button", { type: "button", class: "link danger", onclick: () => void api.cancelRun(runId) }, "Cancel");
  const earlier = h("div", { "data-testid": "load-earlier" });
  const overlays: Curve[] = [];
  const exports = h("div", { class: "actions" }, ([["json", "JSON"], ["csv", "CSV (requests)"], ["steps_csv", "CSV (steps)"]] as const)
    .map(([format, text]) => h("a", { class: "neon-button small",
      href: withToken(apiUrl(`/api/load-tests/${runId}/export?format=${format}`)),
      download: `llmrace-load-${runId}${format === "json" ? ".json" : format === "csv" ? "-requests.csv" : "-steps.csv"}` }, text)));
  const render = () => {
    state.textContent = test.run.status;
    state.className = `pill ${test.run.status}`;
    if (!["queued", "running"].includes(test.run.status)) cancel.remove();
    drawCurves(chart, [{ label: `${test.car.name} (this test)`, steps: test.steps }, ...overlays]);
    table.replaceChildren(stepsTable(test.steps));
    verdict.replaceChildren(test.verdict
      ? status(test.verdict.summary, test.verdict.met && test.verdict.confirmed ? "ok" : "bad")
      : test.profile.slo && test.steps.length && test.run.status === "completed"
        ? status(test.steps.every((s) => s.slo_met) ? "The objectives held at every step." : "The objectives were missed at a step.",
            test.steps.every((s) => s.slo_met) ? "ok" : "bad")
        : h("span", {}));
  };
  root.replaceChildren(h("section", { class: "panel", "data-testid": "load-page" },
    h("div", { class: "panel-head" }, h("h2", {}, `Load test — ${test.car.name}`), h("div", { class: "actions" }, state, cancel)),
    h("p", { class: "muted" }, `${test.profile.profile} · suite ${test.run.suite_name} · started ${when(test.run.created_at)}`),
    live, verdict, chart, h("h3", {}, "Steps"), table, h("h3", {}, "Exports"), exports,
    h("h3", {}, "Earlier load tests of this car"), earlier));
  render();
  void listEarlier(earlier, test, overlays, render);

  // Events: a step's figures redraw the curve; a second's tally says what the running step is doing.
  let refreshing = false;
  const refresh = async () => {
    if (refreshing) return;
    refreshing = true;
    try { test = await api.loadTest(runId); render(); } finally { refreshing = false; }
  };
  await followRun(runId, 0, (e: RaceEvent) => {
    if (e.type === "load.second") {
      const d = e.data as { step: number; second: number; in_flight: number; completed: number; errors: number;
        ttft_p50_ms: number | null };
      live.textContent = `Step ${d.step + 1}, second ${d.second}: ${d.completed} done, ${d.errors} errors, ${d.in_flight} in flight, ` +
        `TTFT p50 ${ms(d.ttft_p50_ms)}`;
    } else if (e.type === "load.step" || e.type === "load.verdict" || e.type.startsWith("run.")) {
      if (e.type.startsWith("run.") && e.type !== "run.started") live.textContent = "Finished.";
      void refresh();
    }
  });
}

function stepsTable(steps: LoadStep[]): HTMLElement {
  if (!steps.length) return h("p", { class: "muted" }, "The first step is running.");
  const stat = (s: LoadStep, k: "ttft_ms" | "itl_ms" | "e2e_ms" | "schedule_error_ms", at: "p50" | "p95" | "p99") => ms(s[k]?.[at]);
  return h("table", { class: "grid" },
    h("thead", {}, h("tr", {}, ["Step", "Requests", "req/s", "out tok/s", "Peak in flight", "TTFT p50", "TTFT p95", "ITL p95", "E2E p95",
      "Schedule error p99", "Errors", "Checks passed", "Goodput/s", "SLO"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, steps.map((s) => h("tr", { "data-step": s.step },
      h("th", { scope: "row" }, `${s.step + 1}. ${s.kind}${s.target_rate ? ` ${num(s.target_rate, 2)}/s` : ""}` +
        `${s.kind === "concurrent" || s.kind === "throughput" ? ` ×${s.concurrency}` : ""}${s.purpose ? ` (${s.purpose})` : ""}`),
      h("td", {}, String(s.requests)), h("td", {}, num(s.requests_per_s, 2)), h("td", {}, num(s.output_tokens_per_s, 0)),
      h("td", {}, String(s.peak_concurrency)), h("td", {}, stat(s, "ttft_ms", "p50")), h("td", {}, stat(s, "ttft_ms", "p95")),
      h("td", {}, stat(s, "itl_ms", "p95")), h("td", {}, stat(s, "e2e_ms", "p95")), h("td", {}, stat(s, "schedule_error_ms", "p99")),
      h("td", {}, s.error_rate > 0 ? `${pct(s.error_rate)} (${Object.entries(s.errors_by_kind).map(([k, n]) => `${k}: ${n}`).join(", ")})`
        : "0%"),
      h("td", {}, pct(s.check_pass_rate)), h("td", {}, num(s.goodput_per_s, 2)),
      h("td", {}, s.slo_met === null ? "—" : s.slo_met ? "met" : h("span", { title: s.slo_misses.join("; ") }, "missed"))))));
}

/** The car's earlier load tests, each a checkbox that overlays its curve on this one's. */
async function listEarlier(box: HTMLElement, test: LoadTest, overlays: Curve[], render: () => void): Promise<void> {
  const runs = (await api.runs(`&kind=load&car_id=${encodeURIComponent(test.car.id)}`)).filter((r) => r.id !== test.run.id);
  if (!runs.length) { box.replaceChildren(h("p", { class: "muted" }, "None yet.")); return; }
  box.replaceChildren(h("ul", { class: "plain" }, runs.slice(0, 20).map((r) => {
    const label = `${r.suite_name} ${when(r.created_at)} (${r.status})`;
    const toggle = h("input", { type: "checkbox", name: "overlay", value: r.id, "aria-label": `Overlay ${label}` });
    toggle.addEventListener("change", async () => {
      const at = overlays.findIndex((o) => o.label.endsWith(r.id));
      if (at >= 0) overlays.splice(at, 1);
      if (toggle.checked) overlays.push({ label: `${label} · ${r.id}`, steps: (await api.loadTest(r.id)).steps });
      render();
    });
    return h("li", {}, toggle, " ", h("a", { href: `#/load/${r.id}` }, label));
  })));
}
