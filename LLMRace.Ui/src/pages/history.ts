import { api, ApiError, type CarScore, type Comparison, type Run, type RunItem } from "../api";
import { withToken } from "../auth";
import { apiUrl } from "../base";
import { empty, field, h, status } from "../dom";
import { delta, ms, num, pct, seconds, when } from "../format";

/** Run History: the list with filters, and per run its scorecard, baseline comparison, exports, judge and Inspect. */
export async function historyPage(root: HTMLElement, runId?: string): Promise<void> {
  if (runId) return runPage(root, runId);
  const params = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const [suites, runs] = await Promise.all([api.suites(), api.runs(params.toString() ? `&${params}` : "")]);
  const suite = h("select", { name: "suite_id", "aria-label": "Filter by suite" }, h("option", { value: "" }, "All suites"),
      suites.map((s) => h("option", { value: s.id, selected: params.get("suite_id") === s.id }, s.name)));
  const statuses = ["", "completed", "running", "failed", "cancelled", "interrupted"];
  const state = h("select", { name: "status", "aria-label": "Filter by status" }, statuses.map((s) => h("option",
      { value: s, selected: params.get("status") === s }, s || "Any status")));
  const filter = () => {
    const q = new URLSearchParams();
    if (suite.value) q.set("suite_id", suite.value);
    if (state.value) q.set("status", state.value);
    location.hash = `#/history${q.toString() ? `?${q}` : ""}`;
  };
  suite.addEventListener("change", filter);
  state.addEventListener("change", filter);
  const selected = () => [...root.querySelectorAll<HTMLInputElement>("input[name=compare]:checked")].map((i) => i.value);
  const compareButton = h("button", { type: "button", class: "neon-button small", onclick: () => {
    const ids = selected();
    if (ids.length) location.hash = `#/compare/${ids.join(",")}`;
  } }, "Compare selected");
  const message = h("div", { "aria-live": "polite" });
  const deleteButton = h("button", { type: "button", class: "link danger", onclick: async () => {
    const ids = selected();
    if (!ids.length || !confirm(`Delete ${ids.length} run(s) with their items and events? This cannot be undone.`)) return;
    try {
      await api.deleteRuns(ids);
      void historyPage(root);
    } catch (e) {
      message.replaceChildren(status((e as Error).message, "bad"));
    }
  } }, "Delete selected");

  root.replaceChildren(h("section", { class: "panel" },
    h("div", { class: "panel-head" }, h("h2", {}, "Run History"),
      h("div", { class: "actions" }, suite, state, compareButton, deleteButton)),
    message,
    runs.length
      ? h("table", { class: "grid" },
          h("thead", {}, h("tr", {}, ["", "Suite", "Cars", "Status", "Items", "Pass rate", "Duration", "TTFT p50", "Started", ""]
              .map((t) => h("th", {}, t)))),
          h("tbody", {}, runs.map((r) => h("tr", { "data-run": r.id },
            h("td", {}, h("input", { type: "checkbox", name: "compare", value: r.id,
                "aria-label": `select ${r.suite_name} ${when(r.created_at)}` })),
            h("td", {}, r.suite_name, r.is_baseline ? h("span", { class: "tag" }, "baseline") : null,
                r.kind === "load" ? h("span", { class: "tag", "data-testid": "load-tag" }, "load test") : null),
            h("td", { "data-col": "cars" }, r.car_names.join(", ")),
            h("td", {}, h("span", { class: `pill ${r.status}` }, r.status)),
            h("td", {}, r.kind === "load" ? `${r.items_done} requests`
                : [h("progress", { max: r.items_total, value: r.items_done }), ` ${r.items_done}/${r.items_total}`]),
            h("td", { "data-col": "pass-rate" }, r.pass_rate === null || r.pass_rate === undefined ? "—" : pct(r.pass_rate)),
            h("td", { "data-col": "duration" }, seconds(r.duration_s)),
            h("td", { "data-col": "ttft" }, ms(r.ttft_p50_ms)),
            h("td", {}, when(r.created_at)),
            h("td", {}, r.kind === "load" ? h("a", { href: `#/load/${r.id}` }, "Open")
                : h("a", { href: `#/history/${r.id}` }, "Inspect"))))))
      : empty("No races yet.", h("a", { class: "neon-button", href: "#/race" }, "Start a race"))));
}

async function runPage(root: HTMLElement, runId: string): Promise<void> {
  // The page is drawn without waiting for the scorecard (a 10,000-item run's takes a few hundred ms): its panel and the
  // items' car filter fill in when it comes. A load test goes to its own page.
  const scored = api.scorecard(runId);
  scored.catch(() => undefined);
  const [run, cars] = await Promise.all([api.run(runId), api.cars()]);
  if (run.kind === "load") { location.hash = `#/load/${runId}`; return; }
  const scoreView = h("div", { "aria-busy": "true" }, h("p", { class: "muted" }, "Scoring…"));
  scored.then((score) => {
    scoreView.replaceChildren(
      score.winner ? h("p", { class: "winner-reason", "data-testid": "scorecard-winner" }, `★ ${score.winner.reason}`)
        : score.status === "completed"
          ? h("p", { class: "muted", "data-testid": "scorecard-winner" }, "No winner: no car finished an item.")
        : "",
      scorecard(score.cars));
    scoreView.removeAttribute("aria-busy");
  }, (e: Error) => { scoreView.replaceChildren(status(e.message, "bad")); scoreView.removeAttribute("aria-busy"); });
  const message = h("div", { "aria-live": "polite" });
  const comparison = h("div", {});
  const judgeCar = h("select", { name: "judge_car", "aria-label": "Judge car" }, cars.map((c) => h("option", { value: c.id }, c.name)));
  const rubric = h("input", { name: "rubric", "aria-label": "Judge rubric", placeholder: "optional rubric" });
  const refresh = () => void runPage(root, runId);

  root.replaceChildren(
    h("section", { class: "panel" },
      h("div", { class: "panel-head" },
        h("h2", {}, `${run.suite_name} — ${when(run.created_at)}`),
        h("div", { class: "actions" },
          ["json", "csv", "junit"].map((f) => h("a", { class: "neon-button small",
              href: withToken(apiUrl(`/api/runs/${run.id}/export?format=${f}`)),
              download: `llmrace-${run.id}.${f === "junit" ? "junit.xml" : f}` },
              `Export ${f.toUpperCase()}`)),
          h("a", { class: "neon-button small", href: `#/race/${run.id}` }, "Replay race"),
          h("button", { type: "button", class: "link danger", onclick: async () => {
            if (!confirm("Delete this run with its items and events? This cannot be undone.")) return;
            try {
              await api.deleteRun(run.id);
              location.hash = "#/history";
            } catch (e) {
              message.replaceChildren(status((e as Error).message, "bad"));
            }
          } }, "Delete run"))),
      h("p", {}, h("span", { class: `pill ${run.status}` }, run.status),
          ` ${run.items_done}/${run.items_total} items · concurrency ${run.settings.concurrency} · repeats ${run.settings.repeats}`,
        run.is_baseline ? h("span", { class: "tag" }, "baseline of its suite") : null, run.error ? h("span", { class: "error-text" },
            ` · ${run.error}`) : null),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "neon-button small", onclick: async () => {
          try { await api.markBaseline(run.id); refresh(); } catch (e) { message.replaceChildren(status((e as Error).message, "bad")); }
        } }, "Mark as baseline"),
        h("button", { type: "button", class: "neon-button small", onclick: () => void showComparison(comparison, run) },
            "Compare with baseline"),
        h("span", { class: "judge" }, judgeCar, rubric, h("button", { type: "button", class: "neon-button small", onclick: async () => {
          try { await api.judge(run.id, judgeCar.value,
              rubric.value || undefined); message.replaceChildren(status("The judge is grading; this page refreshes when it is done.",
              "info")); await waitForJudge(run.id); refresh(); }
          catch (e) { message.replaceChildren(status((e as Error).message, "bad")); }
        } }, "Run judge"))),
      message),
    h("section", { class: "panel" }, h("h2", {}, "Run Scorecard"), scoreView),
    h("section", { class: "panel" }, h("h2", {}, "Baseline Comparison"), comparison),
    h("section", { class: "panel" }, h("h2", {}, "Items"), pagedItems(run, scored.then((score) => score.cars, () => []))));
  if (!run.is_baseline) void showComparison(comparison, run, true);
}

async function waitForJudge(runId: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const run = await api.run(runId);
    if (!run.judging) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function showComparison(target: HTMLElement, run: Run, quiet = false): Promise<void> {
  try {
    target.replaceChildren(comparisonView(await api.compareWithBaseline(run.id)));
  } catch (e) {
    target.replaceChildren(quiet && e instanceof ApiError && e.status === 400
      ? h("p", { class: "muted" },
          "No baseline for this suite yet: mark a run as its baseline, then later runs show their regressions here.")
      : status((e as Error).message, "bad"));
  }
}

function comparisonView(c: Comparison): HTMLElement {
  const flagged = c.items.filter((i) => i.change !== "same");
  return h("div", { "data-testid": "comparison" },
    h("p", { class: c.regressed ? "error-text" : "ok-text" },
        c.regressed ? "⚠ Regressions against the baseline" : "✔ No regressions against the baseline"),
    h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["Car", "Pass rate", "TTFT p50", "E2E p50", "New failures", "Fixed", "Flags"].map((t) => h("th", {}, t)))),
      h("tbody", {}, c.cars.map((car) => h("tr", { class: car.flags.length ? "regression" : "" },
        h("td", {}, car.car_name),
        h("td", {}, `${pct(car.pass_rate.current)} (${delta(car.pass_rate.delta === null ? null : car.pass_rate.delta * 100, "pts")})`),
        h("td", { class: car.ttft_p50_ms.regression ? "bad" : "" },
            `${ms(car.ttft_p50_ms.current)} (${delta(car.ttft_p50_ms.delta_pct, "%")})`),
        h("td", { class: car.e2e_p50_ms.regression ? "bad" : "" },
            `${ms(car.e2e_p50_ms.current)} (${delta(car.e2e_p50_ms.delta_pct, "%")})`),
        h("td", {}, car.new_failures), h("td", {}, car.fixed), h("td", {}, car.flags.join("; ")))))),
    flagged.length ? h("ul", { class: "flips" }, flagged.map((i) => h("li", { class: i.change },
        `${i.change.toUpperCase()}: ${i.test_name} · ${i.car_name} `
          + `(${i.baseline_status ?? "—"} → ${i.status ?? "—"}), TTFT ${delta(i.ttft_ms_delta)}`))) : null);
}

function scorecard(cars: CarScore[]): HTMLElement {
  if (!cars.length) return empty("No items yet.");
  return h("table", { class: "grid scorecard", "data-testid": "scorecard" },
    h("thead", {}, h("tr", {}, ["Car", "Pass", "Errors", "TTFT p50 / p90 / p99", "ITL p50", "TPOT p50", "E2E p50 / p95", "tok/s", "Retries",
        "pass^N", "LLM judge", "By hand"].map((t) => h("th", {}, t)))),
    h("tbody", {}, cars.map((c) => h("tr", {},
      h("td", {}, c.car_name),
      h("td", {}, `${pct(c.pass_rate)} (${c.passed}/${c.items})`),
      h("td", {}, pct(c.error_rate)),
      h("td", {}, `${ms(c.ttft_ms.p50)} / ${ms(c.ttft_ms.p90)} / ${ms(c.ttft_ms.p99)}`),
      h("td", {}, ms(c.itl_ms.p50)), h("td", {}, ms(c.tpot_ms.p50)),
      h("td", {}, `${ms(c.e2e_ms.p50)} / ${ms(c.e2e_ms.p95)}`),
      h("td", {}, num(c.decode_tokens_per_s.p50, 0)), h("td", {}, c.retries),
      h("td", {}, c.repeats > 1 ? pct(c.pass_all_repeats_rate) : "—"),
      h("td", {}, c.judge_mean === null ? "—" : `${num(c.judge_mean)}/10`),
      h("td", { "data-testid": "manual-mean" }, c.manual_mean === null || c.manual_mean === undefined ? "—"
        : `${num(c.manual_mean)}/10 · ${pct(c.manual_pass_rate ?? null)} pass (${c.manual_graded})`)))));
}

const pageSize = 100;

/** The run's items a page at a time, filtered on the server by status and car: a run of 10,000 items opens at once. */
function pagedItems(run: Run, racedCars: Promise<CarScore[]>): HTMLElement {
  const status = h("select", { name: "item_status", "aria-label": "Filter items by status" },
    ["", "passed", "failed", "error", "cancelled", "pending"].map((s) => h("option", { value: s }, s || "Any status")));
  const car = h("select", { name: "item_car", "aria-label": "Filter items by car" }, h("option", { value: "" }, "Any car"));
  void racedCars.then((cars) => car.append(...cars.map((c) => h("option", { value: c.car_id }, c.car_name))));
  const list = h("div", {});
  const where = h("span", { class: "muted", "data-testid": "items-range" });
  let offset = 0;
  let total = 0;
  const previous = h("button", { type: "button", class: "link", onclick: () => { offset = Math.max(0, offset - pageSize); void load(); } },
      "← Previous");
  const next = h("button", { type: "button", class: "link", onclick: () => { offset += pageSize; void load(); } }, "Next →");
  const load = async () => {
    const query = new URLSearchParams({ limit: String(pageSize), offset: String(offset) });
    if (status.value) query.set("status", status.value);
    if (car.value) query.set("car_id", car.value);
    const found = await api.itemsPage(run.id, query);
    total = found.total;
    list.replaceChildren(itemsTable(run, found.items));
    where.textContent = total ? `items ${offset + 1}–${offset + found.items.length} of ${total}` : "no items match";
    previous.toggleAttribute("disabled", offset === 0);
    next.toggleAttribute("disabled", offset + pageSize >= total);
  };
  const refilter = () => { offset = 0; void load(); };
  status.addEventListener("change", refilter);
  car.addEventListener("change", refilter);
  void load();
  return h("div", {}, h("div", { class: "actions" }, status, car, previous, where, next), list);
}

function itemsTable(run: Run, items: RunItem[]): HTMLElement {
  if (!items.length) return empty("No items.");
  return h("div", { class: "items" }, items.map((item) => {
    const details = h("details", { class: `item ${item.status}`, "data-item": item.id },
      h("summary", {},
        h("span", { class: `pill ${item.status}` }, item.status),
            ` ${item.test_name} · ${item.car_name}${item.repeat_index ? ` #${item.repeat_index + 1}` : ""}`
              + ` · TTFT ${ms(item.metrics?.ttft_ms)} · E2E ${ms(item.metrics?.e2e_ms)}`),
      h("div", { class: "inspect" }, h("p", { class: "muted" }, "Loading…")));
    details.addEventListener("toggle", async () => {
      if (!details.open || details.dataset.loaded) return;
      details.dataset.loaded = "1";
      const data = await api.inspect(run.id, item.id);
      details.querySelector(".inspect")!.replaceChildren(inspectView(data.item, data.prompt, data.events.length, run.id));
      details.querySelector(".inspect")!.append(h("details", {}, h("summary", {}, `Raw events (${data.events.length})`), h("pre",
          { class: "raw" }, data.events.map((e) => JSON.stringify(e)).join("\n"))));
    });
    return details;
  }));
}

/** The original's manual judge: a person grades the output (score, pass or fail, a note), apart from the LLM judge. */
function manualGrade(runId: string, item: RunItem): HTMLElement {
  const shown = h("p", { "data-testid": "manual-grade" });
  const show = (g: RunItem["manual_grade"]) => shown.replaceChildren(g
    ? `Graded by hand: ${g.score}/10 ${g.verdict}${g.note ? ` — ${g.note}` : ""}` : "Not graded by hand yet.");
  show(item.manual_grade);
  const score = h("input", { name: "manual_score", type: "number", min: "0", max: "10", step: "0.5", required: true,
      value: item.manual_grade ? String(item.manual_grade.score) : "" });
  const verdict = h("select", { name: "manual_verdict" }, ["pass", "fail"].map((v) => h("option",
      { value: v, selected: item.manual_grade?.verdict === v }, v)));
  const note = h("input", { name: "manual_note", maxlength: "4000", placeholder: "why (optional)", value: item.manual_grade?.note ?? "" });
  const message = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "form manual-grade", "aria-label": "Grade by hand" },
    h("div", { class: "row" }, field("Score (0–10)", score), field("Verdict", verdict), field("Note", note)),
    h("button", { type: "submit", class: "neon-button small" }, "Save grade"), message);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const saved = await api.gradeByHand(runId, item.id, { score: Number(score.value), verdict: verdict.value,
          note: note.value || undefined });
      show(saved.manual_grade);
      message.replaceChildren(status("Saved.", "ok"));
    } catch (err) {
      message.replaceChildren(status((err as Error).message, "bad"));
    }
  });
  return h("div", {}, h("h4", {}, "Graded by hand"), shown, form);
}

function inspectView(item: RunItem, prompt: Record<string, string | null>, eventCount: number, runId?: string): HTMLElement {
  const m = item.metrics;
  return h("div", { class: "inspect-grid", "data-testid": "inspect" },
    h("div", {},
      h("h4", {}, "Prompt"), prompt.system_prompt ? h("p", { class: "muted" }, `system: ${prompt.system_prompt}`) : null, h("p", {},
          prompt.user_prompt ?? ""),
      h("h4", {}, "Output"), h("pre", { class: "output" }, item.output ?? ""),
      item.reasoning ? [h("h4", {}, "Reasoning"), h("pre", { class: "output muted" }, item.reasoning)] : null,
      item.tool_calls ? [h("h4", {}, "Tool calls"), h("pre", { class: "output" }, JSON.stringify(item.tool_calls, null, 2))] : null,
      item.error ? [h("h4", {}, "Error"), h("p", { class: "error-text" }, item.error)] : null),
    h("div", {},
      h("h4", {}, "Checks"),
      item.checks?.checks.length ? h("ul", { class: "checks" }, item.checks.checks.map((c) => h("li", { class: c.verdict },
          `${c.verdict.toUpperCase()} ${c.check}: ${c.reason}`))) : h("p", { class: "muted" }, "No checks."),
      item.checks?.criteria.length ? h("p", { class: "muted" }, `Judge criteria: ${item.checks.criteria.join(" · ")}`) : null,
      item.judge ? h("p", {}, item.judge.error ? h("span", { class: "error-text" },
          `Judge error: ${item.judge.error}`)
        : `LLM judge: ${item.judge.score}/10 ${item.judge.verdict} — ${item.judge.rationale ?? ""}`) : null,
      runId && (item.status === "passed" || item.status === "failed") ? manualGrade(runId, item) : null,
      h("h4", {}, "Metrics"),
      m ? h("dl", { class: "metrics" },
        ...([["TTFB", ms(m.ttfb_ms)], ["TTFT", ms(m.ttft_ms)], ["First text", ms(m.ttft_text_ms)], ["E2E", ms(m.e2e_ms)], ["TPOT",
            ms(m.tpot_ms)],
          ["Decode", `${num(m.decode_tokens_per_s, 0)} tok/s`], ["ITL p50 / p99", `${ms(m.itl_p50_ms)} / ${ms(m.itl_p99_ms)}`],
              ["Queue wait", ms(m.queue_wait_ms)],
          ["Output tokens", `${m.output_tokens}${m.output_tokens_estimated ? " (estimated)" : ""}`], ["Input tokens",
              String(m.input_tokens ?? "—")],
          ["Retries", String(item.retries)], ["Turns", String(m.turns ?? 1)], ["Events", String(eventCount)],
          ["Clock", m.timing_source === "kernel" ? `kernel receive stamps${m.coalesced_chunks ? `, ${m.coalesced_chunks} chunk(s) ` +
              "in one read with the one before (left out of ITL)" : ""}` : m.timing_source === "user" ? "user space" : "—"]] as
            [string, string][])
          .flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])) : null,
      item.server_timings ? [h("h4", {}, "Server timings"), h("pre", { class: "raw" }, JSON.stringify(item.server_timings, null,
          2))] : null));
}
