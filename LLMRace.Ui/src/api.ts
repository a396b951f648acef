// Typed access to the LLMRace Api (at apiUrl: same origin unless VITE_PROXY_BASE_URL says otherwise). The response types come
// from the Api's OpenAPI document (openapi.json → api-schema.ts, made by npm run api-types); what the Api serves as free
// JSON (the events, a tool call, a server's own timings) is typed here by hand.
import { askForToken, getToken } from "./auth";
import type { components } from "./api-schema";
import { apiUrl } from "./base";

type Schemas = components["schemas"];
export type Connection = Schemas["ConnectionView"];
export interface ConnectionInput {
  name: string; type: string; base_url: string; api_key?: string; api_key_env_var?: string | null;
  timeout_s?: number; headers_timeout_s?: number; total_timeout_s?: number; max_retries?: number; max_concurrency?: number;
}
export interface CarInput { name: string; connection_id: string; model: string; params?: Record<string, unknown> }
export type TestResult = Schemas["ConnectionTestResult"];
export type VerifyResult = Schemas["VerifyResult"];
export type Car = Omit<Schemas["CarView"], "params"> & { params: Record<string, unknown> };
export type SuiteSummary = Schemas["SuiteSummary"];
export type SuiteTestView = Schemas["TestView"];
export type Suite = Schemas["SuiteView"];
export type Run = Schemas["RunView"];
export type Distribution = Schemas["Distribution"];
export type CarScore = Schemas["CarScore"];
export type RaceWinner = Schemas["RaceWinner"];
export type RaceStanding = Schemas["RaceStanding"];
export type MetricDelta = Schemas["MetricDelta"];
export type Comparison = Schemas["Comparison"];
export type CompareSeries = Schemas["CompareSeries"];
export type Meta = Schemas["MetaView"];
export type LoadTest = Schemas["LoadTestView"];
export type LoadStep = Schemas["LoadStepFigures"];
export type LoadTestInput = Schemas["LoadTestInput"];

// Every field of an item's metrics is always sent (null when it has no value), though the document marks them optional.
export type Metrics = Required<Schemas["ItemMetrics"]>;
export type CheckResult = Schemas["CheckResult"];
export type Judge = Schemas["JudgeGrade"];
export type RunItem = Omit<Schemas["RunItemView"], "metrics"> & { metrics: Metrics | null };
export interface RaceEvent { run_id: string; seq: number; ts: string; type: string; item_id: string | null; data: Record<string, unknown> }

/** An Api error: the problem's detail, and per-field messages (JSON paths for suites). */
export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly errors: Record<string, string[]> = {}) { super(message); }
}

/** A page of a list the Api pages, with the total it reports in X-Total-Count. */
async function page<T>(path: string): Promise<{ items: T[]; total: number }> {
  let total = 0;
  const items = await request<T[]>(path, undefined, (response) => { total = Number(response.headers.get("x-total-count") ?? 0); });
  return { items, total };
}

async function request<T>(path: string, init?: RequestInit, seen?: (response: Response) => void): Promise<T> {
  let response: Response;
  for (let attempt = 0; ; attempt++) {
    const token = getToken();
    response = await fetch(apiUrl(path), {
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
  seen?.(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

const post = <T>(path: string, body?: unknown) => request<T>(path, { method: "POST",
    body: body === undefined ? undefined : JSON.stringify(body) });
const put = <T>(path: string, body: unknown) => request<T>(path, { method: "PUT", body: JSON.stringify(body) });
const del = (path: string) => request<void>(path, { method: "DELETE" });

export const api = {
  meta: () => request<Meta>("/api/meta"),
  connections: () => request<Connection[]>("/api/connections"),
  createConnection: (input: ConnectionInput) => post<Connection>("/api/connections", input),
  updateConnection: (id: string, input: ConnectionInput) => put<Connection>(`/api/connections/${id}`, input),
  deleteConnection: (id: string) => del(`/api/connections/${id}`),
  testConnection: (id: string) => post<TestResult>(`/api/connections/${id}/test`),
  verifyConnection: (id: string) => post<VerifyResult>(`/api/connections/${id}/verify`),
  models: (id: string) => request<Schemas["ModelList"]>(`/api/connections/${id}/models`),
  cars: () => request<Car[]>("/api/cars"),
  createCar: (input: CarInput) => post<Car>("/api/cars", input),
  updateCar: (id: string, input: CarInput) => put<Car>(`/api/cars/${id}`, input),
  deleteCar: (id: string) => del(`/api/cars/${id}`),
  suites: () => request<SuiteSummary[]>("/api/suites"),
  suite: (id: string) => request<Suite>(`/api/suites/${id}`),
  importSuite: (json: string) => request<Suite>("/api/suites/import", { method: "POST", body: json }),
  replaceSuite: (id: string, json: string) => request<Suite>(`/api/suites/${id}`, { method: "PUT", body: json }),
  deleteSuite: (id: string) => del(`/api/suites/${id}`),
  exportSuite: async (id: string) => (await fetch(apiUrl(`/api/suites/${id}/export`),
      { headers: getToken() ? { authorization: `Bearer ${getToken()}` } : {} })).text(),
  runs: (query = "") => request<Run[]>(`/api/runs?limit=100${query}`),
  run: (id: string) => request<Run>(`/api/runs/${id}`),
  itemsPage: (id: string, query: URLSearchParams) => page<RunItem>(`/api/runs/${id}/items?${query}`),
  inspect: (id: string, itemId: string) => request<{ item: RunItem; prompt: Record<string,
      string | null>; events: RaceEvent[] }>(`/api/runs/${id}/items/${itemId}`),
  startRun: (suiteId: string, carIds: string[], settings: { concurrency: number; repeats: number }) =>
    post<Schemas["RunCreated"]>("/api/runs", { suite_id: suiteId, car_ids: carIds, settings }),
  cancelRun: (id: string) => post<unknown>(`/api/runs/${id}/cancel`),
  deleteRun: (id: string) => del(`/api/runs/${id}`),
  deleteRuns: (ids: string[]) => post<Schemas["RunsDeleted"]>("/api/runs/delete", { run_ids: ids }),
  scorecard: (id: string) => request<Schemas["RunScorecard"]>(`/api/runs/${id}/scorecard`),
  markBaseline: (id: string) => post<unknown>(`/api/runs/${id}/baseline`),
  compareWithBaseline: (id: string) => request<Comparison>(`/api/runs/${id}/compare`),
  gradeByHand: (id: string, itemId: string, grade: { score: number; verdict: string; note?: string }) =>
    put<RunItem>(`/api/runs/${id}/items/${itemId}/grade`, grade),
  judge: (id: string, judgeCarId: string, rubric?: string) => post<unknown>(`/api/runs/${id}/judge`, { judge_car_id: judgeCarId, rubric }),
  startLoadTest: (input: LoadTestInput) => post<Schemas["LoadTestCreated"]>("/api/load-tests", input),
  loadTest: (id: string) => request<LoadTest>(`/api/load-tests/${id}`),
  compare: (runIds: string[]) => request<Schemas["RunsCompared"]>(`/api/compare?run_ids=${runIds.join(",")}`),
};
