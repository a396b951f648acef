import { describe, expect, it } from "vitest";
import type { RaceEvent } from "../src/api";
import { apply, newRace, position, progress, restore, snapshot, summary } from "../src/race";

let seq = 0;
const ev = (type: string, data: Record<string, unknown>, item_id: string | null = null): RaceEvent =>
  ({ run_id: "r", seq: ++seq, ts: "", type, item_id, data });

describe("race state", () => {
  it("builds lanes from events up to the finish", () => {
    seq = 0;
    const state = newRace("r");
    const events = [
      ev("run.started", { items_total: 2, cars: [{ id: "a", name: "Alpha" }, { id: "b", name: "Beta" }] }),
      ev("item.started", { car_id: "a", test_name: "t" }, "i1"),
      ev("item.first_token", { ttft_ms: 40 }, "i1"),
      ev("item.delta", { kind: "text", text: "hi", t_ms: [40.1], len: [2] }, "i1"),
      ev("item.delta", { kind: "text", text: " there you", t_ms: [45.2, 50.3, 55.1], len: [1, 5, 4] }, "i1"),
      ev("item.delta", { kind: "reasoning", text: "hmm", t_ms: [56], len: [3] }, "i1"),
      ev("item.completed", { status: "passed", metrics: { decode_tokens_per_s: 100, e2e_ms: 90 } }, "i1"),
      ev("item.started", { car_id: "b", test_name: "t" }, "i2"),
      ev("item.retry", { attempt: 1 }, "i2"),
      ev("item.error", { message: "HTTP 500" }, "i2"),
      ev("item.completed", { status: "error", metrics: null }, "i2"),
      ev("run.completed", { status: "completed" }),
    ];
    for (const e of events) apply(state, e);

    const alpha = state.lanes.get("a")!;
    expect(alpha.text).toBe("hi there you"); // a delta of several chunks adds them all; reasoning is not shown
    expect(alpha.ttftMs).toBe(40);
    expect(progress(alpha)).toBe(100);
    expect(state.lanes.get("b")!.retries).toBe(1);
    expect(state.lanes.get("b")!.lastError).toBe("HTTP 500");
    expect(state.status).toBe("completed");
  });

  it("counts no lap for an item cancelled when its silo left, and counts it once raced again on another", () => {
    seq = 0;
    const state = newRace("r");
    for (const e of [
      ev("run.started", { items_total: 2, cars: [{ id: "a", name: "Alpha" }] }),
      ev("item.started", { car_id: "a", test_name: "t" }, "i1"),
      ev("item.completed", { status: "cancelled", metrics: null }, "i1"),
      ev("run.started", { items_total: 2, resumed: true, cars: [{ id: "a", name: "Alpha" }] }),
      ev("item.retry", { attempt: 1, taken_over: true }, "i1"),
      ev("item.started", { car_id: "a", test_name: "t" }, "i1"),
      ev("item.completed", { status: "passed", metrics: null }, "i1"),
    ]) apply(state, e);

    const alpha = state.lanes.get("a")!;
    expect(alpha.done).toBe(1);
    expect(alpha.retries).toBe(1);
  });

  it("shows an error in plain words when the Api gives a hint, keeping the error itself as the detail", () => {
    seq = 0;
    const state = newRace("r");
    apply(state, ev("run.started", { items_total: 1, cars: [{ id: "a", name: "A" }] }));
    apply(state, ev("item.started", { car_id: "a", test_name: "t" }, "i"));
    apply(state, ev("item.error", { message: "HTTP 401: {\"error\":\"bad key\"}", hint: "Re-save the key." }, "i"));
    expect(state.lanes.get("a")!.lastError).toBe("Re-save the key.");
    expect(state.lanes.get("a")!.lastErrorDetail).toBe("HTTP 401: {\"error\":\"bad key\"}");
  });

  it("moves the car within its lap as chunks stream, shows the tool it called, and says it all in words", () => {
    seq = 0;
    const state = newRace("r");
    apply(state, ev("run.started", { items_total: 2, cars: [{ id: "a", name: "A" }] }));
    apply(state, ev("item.started", { car_id: "a", test_name: "t" }, "i"));
    expect(position(state.lanes.get("a")!)).toBe(0);
    apply(state, ev("item.tool_call", { name: "get_weather", arguments: "{\"city\":\"Paris\"}" }, "i"));
    apply(state, ev("item.delta", { kind: "text", text: "abcd", t_ms: [1, 2, 3, 4], len: [1, 1, 1, 1] }, "i"));
    const lane = state.lanes.get("a")!;
    expect(position(lane)).toBeGreaterThan(0);
    expect(position(lane)).toBeLessThan(50);
    expect(lane.lastTool).toBe("get_weather({\"city\":\"Paris\"})");
    apply(state, ev("item.completed", { status: "passed", metrics: null }, "i"));
    expect(position(lane)).toBe(50);
    expect(summary(state)).toBe("Racing. A: lap 2 of 2, 1 passed, 0 errors");
  });

  it("ignores an event it has already seen, so a replay after a reconnect counts nothing twice", () => {
    seq = 0;
    const state = newRace("r");
    const start = ev("run.started", { items_total: 1, cars: [{ id: "a", name: "A" }] });
    const started = ev("item.started", { car_id: "a", test_name: "t" }, "i");
    const done = ev("item.completed", { status: "passed", metrics: null }, "i");
    for (const e of [start, started, done, started, done]) apply(state, e);
    expect(state.lanes.get("a")!.done).toBe(1);
    expect(apply(state, done)).toBe(false);
  });

});

describe("resuming after a reload", () => {
  it("keeps the state and its last seq, so the join asks only for what came after", () => {
    seq = 0;
    const state = newRace("r");
    apply(state, ev("run.started", { items_total: 1, cars: [{ id: "a", name: "A" }] }));
    apply(state, ev("item.started", { car_id: "a", test_name: "t" }, "i"));
    apply(state, ev("item.delta", { kind: "text", text: "half" }, "i"));

    const back = restore(snapshot(state), "r")!;
    expect(back.lastSeq).toBe(3);
    expect(back.lanes.get("a")!.text).toBe("half");
    apply(back, ev("item.delta", { kind: "text", text: " done" }, "i"));
    expect(back.lanes.get("a")!.text).toBe("half done");
  });

  it("ignores a kept state of another run or one that does not read", () => {
    expect(restore(snapshot(newRace("r")), "other")).toBeNull();
    expect(restore("{not json", "r")).toBeNull();
    expect(restore(null, "r")).toBeNull();
  });
});
