// Typed access to the LLMRace Api (same origin: Vite proxies /api and /hubs in development).
import { askForToken, getToken } from "./auth";

export interface Connection {
  id: string; name: string; type: string; base_url: string; api_key_set: boolean; api_key_hint: string | null;
  api_key_env_var: string | null; timeout_s: number; max_retries: number; max_concurrency: number; managed: boolean;
}
export interface ConnectionInput {
  name: string; type: string; base_url: string; api_key?: string; api_key_env_var?: string | null;
  timeout_s?: number; max_retries?: number; max_concurrency?: number;
}
export interface TestResult { status: "ONLINE" | "OFFLINE"; latency_ms: number; model_count: number; error: string | null }
export interface VerifyResult {
  auth_source: string; auth_present: boolean; hints: string[];
  discovery: { status: string; models: string[]; error: string | null; failure: string | null; http_status: number | null; latency_ms: number };
}
export interface Car { id: string; name: string; model: string; connection_id: string; params: Record<string, unknown> }
export interface SuiteSummary { id: string; name: string; category: string; description: string; test_count: number }
export interface SuiteTestView {
  id: string; order_index: number; name: string; system_prompt: string | null; user_prompt: string;
  expected_constraints: string | null; tools_schema_json: string | null; max_tool_turns: number; checks: string[]; criteria: string[];
}
export interface Suite { id: string; name: string; category: string; description: string; tests: SuiteTestView[] }

export interface Run {
  id: string; suite_id: string; suite_name: string; status: string; items_total: number; items_done: number;
  car_ids: string[]; created_at: string; finished_at: string | null; error: string | null; is_baseline: boolean; judging: boolean;
  settings: { concurrency: number; repeats: number };
}
export interface Metrics {
  queue_wait_ms: number; ttfb_ms: number | null; ttft_ms: number | null; ttft_text_ms: number | null; e2e_ms: number | null;
  tpot_ms: number | null; decode_tokens_per_s: number | null; itl_p50_ms: number | null; itl_p99_ms: number | null;
  output_tokens: number; output_tokens_estimated: boolean; input_tokens: number | null; retries: number; turns: number;
}
export interface CheckResult { check: string; verdict: "pass" | "fail" | "error"; reason: string }
export interface Judge { score: number | null; verdict: string | null; rationale: string | null; error: string | null }
export interface RunItem {
  id: string; ordinal: number; test_id: string; test_name: string; car_id: string; car_name: string; repeat_index: number;
  status: string; output: string | null; reasoning: string | null; tool_calls: unknown; error: string | null;
  metrics: Metrics | null; checks: { checks: CheckResult[]; criteria: string[] } | null; judge: Judge | null;
  server_timings: unknown; retries: number;
}
export interface Distribution { count: number; mean: number | null; min: number | null; p50: number | null; p90: number | null; p95: number | null; p99: number | null; max: number | null; std_dev: number | null }
export interface CarScore {
  car_id: string; car_name: string; items: number; passed: number; failed: number; errors: number; pass_rate: number; error_rate: number;
  goodput: number | null; retries: number; ttft_ms: Distribution; itl_ms: Distribution; tpot_ms: Distribution; e2e_ms: Distribution;
  decode_tokens_per_s: Distribution; repeats: number; pass_all_repeats_rate: number | null; judge_mean: number | null; judged: number;
}
export interface MetricDelta { baseline: number | null; current: number | null; delta: number | null; delta_pct: number | null; regression: boolean }
export interface Comparison {
  run_id: string; baseline_run_id: string; regressed: boolean;
  cars: { car_id: string; car_name: string; pass_rate: MetricDelta; error_rate: MetricDelta; ttft_p50_ms: MetricDelta; e2e_p50_ms: MetricDelta; tpot_p50_ms: MetricDelta; new_failures: number; fixed: number; flags: string[] }[];
  items: { test_name: string; car_name: string; repeat_index: number; baseline_status: string | null; status: string | null; change: string; ttft_ms_delta: number | null; e2e_ms_delta: number | null; flags: string[] }[];
}
export interface CompareSeries { run_id: string; car_id: string; car_name: string; label: string; ttft_ms: number[]; e2e_ms: number[]; decode_tokens_per_s: number[]; judge_scores: number[]; pass_rate: number; error_rate: number }
export interface RaceEvent { run_id: string; seq: number; ts: string; type: string; item_id: string | null; data: Record<string, unknown> }

/** An Api error: the problem's detail, and per-field messages (JSON paths for suites). */
export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly errors: Record<string, string[]> = {}) { super(message); }
}

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  for (let attempt = 0; ; attempt++) {
    const token = getToken();
    response = await fetch(path, {
      ...init,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init?.headers ?? {}) },
    });
    if (response.status !== 401 || attempt > 5) break;
    await askForToken(token !== null);
  }
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    let errors: Record<string, string[]> = {};
    try {
      const problem = await response.json();
      detail = problem.detail ?? problem.title ?? detail;
      errors = problem.errors ?? {};
    } catch { /* not a problem document */ }
    throw new ApiError(detail, response.status, errors);
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

const post = <T>(path: string, body?: unknown) => request<T>(path, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });
const put = <T>(path: string, body: unknown) => request<T>(path, { method: "PUT", body: JSON.stringify(body) });
const del = (path: string) => request<void>(path, { method: "DELETE" });

/** What the Api knows: its connection types and check keywords (GET /api/meta), the one source of the UI's lists. */
export interface Meta {
  connection_types: { type: string; example_base_url: string }[];
  checks: { keyword: string; argument: string; meaning: string }[];
}

export const api = {
  meta: () => request<Meta>("/api/meta"),
  connections: () => request<Connection[]>("/api/connections"),
  createConnection: (input: ConnectionInput) => post<Connection>("/api/connections", input),
  updateConnection: (id: string, input: ConnectionInput) => put<Connection>(`/api/connections/${id}`, input),
  deleteConnection: (id: string) => del(`/api/connections/${id}`),
  testConnection: (id: string) => post<TestResult>(`/api/connections/${id}/test`),
  verifyConnection: (id: string) => post<VerifyResult>(`/api/connections/${id}/verify`),
  models: (id: string) => request<{ models: string[] }>(`/api/connections/${id}/models`),
  cars: () => request<Car[]>("/api/cars"),
  createCar: (input: { name: string; connection_id: string; model: string; params?: Record<string, unknown> }) => post<Car>("/api/cars", input),
  deleteCar: (id: string) => del(`/api/cars/${id}`),
  suites: () => request<SuiteSummary[]>("/api/suites"),
  suite: (id: string) => request<Suite>(`/api/suites/${id}`),
  importSuite: (json: string) => request<Suite>("/api/suites/import", { method: "POST", body: json }),
  replaceSuite: (id: string, json: string) => request<Suite>(`/api/suites/${id}`, { method: "PUT", body: json }),
  deleteSuite: (id: string) => del(`/api/suites/${id}`),
  exportSuite: async (id: string) => (await fetch(`/api/suites/${id}/export`, { headers: getToken() ? { authorization: `Bearer ${getToken()}` } : {} })).text(),
  runs: (query = "") => request<Run[]>(`/api/runs?limit=100${query}`),
  run: (id: string) => request<Run>(`/api/runs/${id}`),
  items: (id: string) => request<RunItem[]>(`/api/runs/${id}/items`),
  inspect: (id: string, itemId: string) => request<{ item: RunItem; prompt: Record<string, string | null>; events: RaceEvent[] }>(`/api/runs/${id}/items/${itemId}`),
  startRun: (suiteId: string, carIds: string[], settings: { concurrency: number; repeats: number }) =>
    post<{ id: string; status: string }>("/api/runs", { suite_id: suiteId, car_ids: carIds, settings }),
  cancelRun: (id: string) => post<unknown>(`/api/runs/${id}/cancel`),
  scorecard: (id: string) => request<{ cars: CarScore[] }>(`/api/runs/${id}/scorecard`),
  markBaseline: (id: string) => post<unknown>(`/api/runs/${id}/baseline`),
  compareWithBaseline: (id: string) => request<Comparison>(`/api/runs/${id}/compare`),
  judge: (id: string, judgeCarId: string, rubric?: string) => post<unknown>(`/api/runs/${id}/judge`, { judge_car_id: judgeCarId, rubric }),
  compare: (runIds: string[]) => request<{ runs: { run_id: string; suite_name: string; created_at: string; cars: CarScore[] }[]; series: CompareSeries[] }>(`/api/compare?run_ids=${runIds.join(",")}`),
};
