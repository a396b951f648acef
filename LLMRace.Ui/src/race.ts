import type { RaceEvent } from "./api";

// The state of one run as its events arrive: a lane per car. Pure, so vitest covers it.

export interface Lane {
  carId: string;
  carName: string;
  done: number;
  total: number;
  currentTest: string;
  text: string;
  ttftMs: number | null;
  tokensPerS: number | null;
  passed: number;
  failed: number;
  errors: number;
  retries: number;
  /** The last error in plain words: what to fix when the Api knows (the hint), else the error itself. */
  lastError: string | null;
  /** The last error as it happened (shown on hover and in Inspect). */
  lastErrorDetail: string | null;
  /** Chunks streamed in the item on track now: the car edges forward within its lap as they come. */
  chunks: number;
  /** The last tool the model called, with its arguments, as the lane shows it. */
  lastTool: string | null;
}

export interface RaceState {
  runId: string;
  lastSeq: number;
  status: string;
  lanes: Map<string, Lane>;
  itemCar: Map<string, string>;
  itemsTotal: number;
}

export function newRace(runId: string): RaceState {
  return { runId, lastSeq: 0, status: "queued", lanes: new Map(), itemCar: new Map(), itemsTotal: 0 };
}

/** Applies one event; an event at or below the last seq seen is ignored, so a replay never counts twice. */
export function apply(state: RaceState, e: RaceEvent): boolean {
  if (e.seq <= state.lastSeq) return false;
  state.lastSeq = e.seq;
  const d = e.data;
  switch (e.type) {
    case "run.started": {
      state.status = "running";
      const cars = d.cars as { id: string; name: string }[];
      state.itemsTotal = d.items_total as number;
      const perCar = Math.round(state.itemsTotal / Math.max(1, cars.length));
      for (const car of cars) {
        if (state.lanes.has(car.id)) continue; // a resumed run starts again: its lanes keep what they had
        state.lanes.set(car.id, {
          carId: car.id, carName: car.name, done: 0, total: perCar, currentTest: "", text: "", ttftMs: null, tokensPerS: null,
          passed: 0, failed: 0, errors: 0, retries: 0, lastError: null, lastErrorDetail: null, chunks: 0, lastTool: null,
        });
      }
      break;
    }
    case "item.started": {
      state.itemCar.set(e.item_id!, d.car_id as string);
      const lane = state.lanes.get(d.car_id as string);
      if (lane) { lane.text = ""; lane.currentTest = d.test_name as string; lane.chunks = 0; }
      break;
    }
    case "item.first_token": {
      const lane = laneOf(state, e);
      if (lane) lane.ttftMs = d.ttft_ms as number;
      break;
    }
    case "item.delta": {
      const lane = laneOf(state, e);
      if (lane && d.kind === "text") lane.text += d.text as string;
      if (lane) lane.chunks += Array.isArray(d.len) ? d.len.length : 1;
      break;
    }
    case "item.tool_call": {
      const lane = laneOf(state, e);
      const args = typeof d.arguments === "string" ? d.arguments : JSON.stringify(d.arguments ?? {});
      if (lane) lane.lastTool = `${d.name as string}(${args.length > 80 ? `${args.slice(0, 80)}…` : args})`;
      break;
    }
    case "item.retry": {
      const lane = laneOf(state, e);
      if (lane) lane.retries++;
      break;
    }
    case "item.error": {
      const lane = laneOf(state, e);
      if (lane) {
        lane.lastError = (d.hint as string | null | undefined) ?? (d.message as string);
        lane.lastErrorDetail = d.message as string;
      }
      break;
    }
    case "item.completed": {
      const lane = laneOf(state, e);
      if (lane) {
        // A cancelled item is no lap: the run stopped, or its silo left the cluster and another races the item again.
        if (d.status !== "cancelled") lane.done++;
        lane.chunks = 0;
        const metrics = d.metrics as { decode_tokens_per_s: number | null } | null;
        lane.tokensPerS = metrics?.decode_tokens_per_s ?? lane.tokensPerS;
        if (d.status === "passed") lane.passed++;
        else if (d.status === "failed") lane.failed++;
        else if (d.status === "error") lane.errors++;
      }
      break;
    }
    case "run.completed":
    case "run.failed":
    case "run.cancelled":
      state.status = (d.status as string) ?? e.type.slice(4);
      break;
  }
  return true;
}

function laneOf(state: RaceState, e: RaceEvent): Lane | undefined {
  const car = e.item_id ? state.itemCar.get(e.item_id) : undefined;
  return car ? state.lanes.get(car) : undefined;
}

export function progress(lane: Lane): number {
  return lane.total ? Math.min(100, Math.round((100 * lane.done) / lane.total)) : 0;
}

/**
 * Where the car is on its track, 0 to 100: its finished laps, and within the lap it is on, an edge forward for each chunk
 * streamed (never reaching the line before the lap is done).
 */
export function position(lane: Lane): number {
  if (!lane.total) return 0;
  const withinLap = lane.done < lane.total ? Math.min(0.9, lane.chunks / 200) : 0;
  return Math.min(100, (100 * (lane.done + withinLap)) / lane.total);
}

/** A line a screen reader can read: each car's lap, passes and speed. */
export function summary(state: RaceState): string {
  const cars = [...state.lanes.values()].map((l) => `${l.carName}: lap ${Math.min(l.done + 1, l.total)} of ${l.total}, `
    + `${l.passed} passed, ${l.errors} errors${l.tokensPerS ? `, ${l.tokensPerS.toFixed(0)} tokens per second` : ""}`);
  return `${state.status === "completed" ? "Finished" : state.status === "running" ? "Racing" : state.status}. ${cars.join(". ")}`;
}

/** The state as plain JSON, to keep across a reload. */
export function snapshot(state: RaceState): string {
  return JSON.stringify({ ...state, lanes: [...state.lanes.entries()], itemCar: [...state.itemCar.entries()] });
}

/** A state kept by <see cref="snapshot"/>; null when there is none for this run or it does not read. */
export function restore(json: string | null, runId: string): RaceState | null {
  if (!json) return null;
  try {
    const plain = JSON.parse(json);
    if (plain.runId !== runId || typeof plain.lastSeq !== "number") return null;
    return { ...plain, lanes: new Map(plain.lanes), itemCar: new Map(plain.itemCar) };
  } catch {
    return null;
  }
}
