// Typed access to the LLMRace Api (same origin: Vite proxies /api and /hubs in development).

export interface Run {
  id: string;
  suite_id: string;
  suite_name: string;
  status: string;
  items_total: number;
  items_done: number;
  car_ids: string[];
  created_at: string;
  error: string | null;
}

export interface Car { id: string; name: string; model: string; connection_id: string }
export interface SuiteSummary { id: string; name: string; test_count: number }

export interface RaceEvent {
  run_id: string;
  seq: number;
  ts: string;
  type: string;
  item_id: string | null;
  data: Record<string, unknown>;
}

export class ApiError extends Error {}

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, { ...init, headers: { "content-type": "application/json", ...(init?.headers ?? {}) } });
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const problem = await response.json();
      detail = problem.detail ?? problem.title ?? detail;
    } catch { /* not a problem document */ }
    throw new ApiError(detail);
  }
  return (await response.json()) as T;
}

export const api = {
  runs: () => request<Run[]>("/api/runs?limit=50"),
  cars: () => request<Car[]>("/api/cars"),
  suites: () => request<SuiteSummary[]>("/api/suites"),
  startRun: (suiteId: string, carIds: string[]) =>
    request<{ id: string; status: string }>("/api/runs", { method: "POST", body: JSON.stringify({ suite_id: suiteId, car_ids: carIds }) }),
};
