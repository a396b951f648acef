import type { RaceEvent } from "./api";

// The state of one run as its events arrive: a lane per car.

export interface Lane {
  carId: string;
  carName: string;
  done: number;
  total: number;
  text: string;
  ttftMs: number | null;
  tokensPerS: number | null;
  passed: number;
  failed: number;
  errors: number;
}

export interface RaceState {
  runId: string;
  lastSeq: number;
  status: string;
  lanes: Map<string, Lane>;
  itemCar: Map<string, string>;
}

export function newRace(runId: string): RaceState {
  return { runId, lastSeq: 0, status: "queued", lanes: new Map(), itemCar: new Map() };
}

/** Applies one event; events at or below the last seq seen are ignored, so a replay never double-counts. */
export function apply(state: RaceState, e: RaceEvent): boolean {
  if (e.seq <= state.lastSeq) return false;
  state.lastSeq = e.seq;
  const d = e.data;
  switch (e.type) {
    case "run.started": {
      state.status = "running";
      const cars = d.cars as { id: string; name: string }[];
      const perCar = Math.round((d.items_total as number) / Math.max(1, cars.length));
      for (const car of cars) {
        state.lanes.set(car.id, { carId: car.id, carName: car.name, done: 0, total: perCar, text: "", ttftMs: null, tokensPerS: null, passed: 0, failed: 0, errors: 0 });
      }
      break;
    }
    case "item.started": {
      state.itemCar.set(e.item_id!, d.car_id as string);
      const lane = state.lanes.get(d.car_id as string);
      if (lane) lane.text = "";
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
      break;
    }
    case "item.completed": {
      const lane = laneOf(state, e);
      if (lane) {
        lane.done++;
        const metrics = d.metrics as { decode_tokens_per_s: number | null };
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

export function formatMs(ms: number | null): string {
  if (ms === null) return "—";
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
