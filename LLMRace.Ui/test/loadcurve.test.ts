import { describe, expect, it } from "vitest";
import type { LoadStep } from "../src/api";
import { points } from "../src/loadcurve";

const stats = (p50: number, p95: number) => ({ mean: p50, p50, p90: p95, p95, p99: p95, max: p95 });
const step = (index: number, rps: number, ttft: number | null, completed = 5): LoadStep => ({
  step: index, kind: "constant", target_rate: rps, concurrency: 4, purpose: null, requests: 5, measured: 5, completed, window_s: 1,
  requests_per_s: rps, output_tokens_per_s: rps * 10, mean_concurrency: 1, peak_concurrency: 2,
  ttft_ms: ttft === null ? null : stats(ttft, ttft * 2), itl_ms: null, tpot_ms: null, e2e_ms: null, schedule_error_ms: null,
  error_rate: 0, errors_by_kind: {}, check_pass_rate: 1, goodput_per_s: rps, slo_met: null, slo_misses: [],
});

describe("the throughput–latency curve", () => {
  it("has a point per step with measured requests, by rising rate, at the percentile asked for", () => {
    const steps = [step(0, 30, 100), step(1, 5, 40), step(2, 12, null), step(3, 20, 70, 0)];
    expect(points(steps, "ttft_ms", "p95")).toEqual([[5, 80], [30, 200]]);
    expect(points(steps, "ttft_ms", "p50")).toEqual([[5, 40], [30, 100]]);
    expect(points([], "e2e_ms", "p95")).toEqual([]);
  });
});
