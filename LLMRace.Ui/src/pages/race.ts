import { HubConnectionBuilder, LogLevel, type HubConnection, type ISubscription } from "@microsoft/signalr";
import { api, type RaceEvent, type RaceStanding, type RaceWinner } from "../api";
import { getToken } from "../auth";
import { apiUrl } from "../base";
import { empty, field, h, status } from "../dom";
import { ms } from "../format";
import { apply, newRace, position, progress, restore, snapshot, summary, type Lane, type RaceState } from "../race";

let hub: HubConnection | null = null;
let subscription: ISubscription<RaceEvent> | null = null;
/** What the watched race does when the hub is back after a drop: join its stream again from the last seq seen. */
let onReconnected: (() => void) | null = null;
let onReconnecting: (() => void) | null = null;

export function stopWatching(): void {
  subscription?.dispose();
  subscription = null;
  onReconnected = onReconnecting = null;
}

/** One hub for the tab. It retries a dropped connection for as long as the page is open (backing off to 10 s). */
function raceHub(): HubConnection {
  if (hub) return hub;
  hub = new HubConnectionBuilder().withUrl(apiUrl("/hubs/race"), { accessTokenFactory: () => getToken() ?? "" })
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (retry) => Math.min(10_000, 250 * 2 ** retry.previousRetryCount) })
    .configureLogging(LogLevel.Warning).build();
  hub.onreconnecting(() => onReconnecting?.());
  hub.onreconnected(() => onReconnected?.());
  return hub;
}

/**
 * Follows a run's events from after <c>afterSeq</c> on the tab's hub (a load test's page uses it too); stopWatching ends it.
 * After a dropped connection the hub reconnects and the run is joined again from the last seq seen.
 */
export async function followRun(runId: string, afterSeq: number, next: (e: RaceEvent) => void): Promise<void> {
  const hub = raceHub();
  if (hub.state === "Disconnected") await hub.start();
  let last = afterSeq;
  const join = () => {
    subscription?.dispose();
    subscription = hub.stream<RaceEvent>("Join", runId, last).subscribe({
      next: (e) => { if (e.run_id === runId && e.seq > last) { last = e.seq; next(e); } },
      error: () => { /* the hub reconnects; onReconnected joins again */ },
      complete: () => { /* the run's log has ended */ },
    });
  };
  onReconnected = join;
  onReconnecting = null;
  join();
}

/** Race: pick a suite, cars and settings; then watch the lanes live. A reload rebuilds the race from its log. */
export async function racePage(root: HTMLElement, runId?: string): Promise<void> {
  stopWatching();
  if (runId) return watch(root, runId);
  const [suites, cars] = await Promise.all([api.suites(), api.cars()]);
  if (!suites.length || !cars.length) {
    root.replaceChildren(h("section", { class: "panel" }, h("h2", {}, "Race"),
      empty(!cars.length
        ? "No cars yet: add a connection and a car in the Garage first."
        : "No suites yet: write or import one in Suites first.",
        h("a", { class: "neon-button", href: !cars.length ? "#/garage" : "#/suites" }, !cars.length ? "Open the Garage" : "Open Suites"))));
    return;
  }
  const suite = h("select", { name: "suite" }, suites.map((s) => h("option", { value: s.id }, `${s.name} (${s.test_count})`)));
  const carBoxes = cars.map((c) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "car", value: c.id, checked: true }),
      ` ${c.name} `, h("code", {}, c.model)));
  const concurrency = h("input", { type: "number", name: "concurrency", min: "1", max: "256", value: "1" });
  const repeats = h("input", { type: "number", name: "repeats", min: "1", max: "100", value: "1" });
  const message = h("div", {});
  const form = h("form", { class: "form", "aria-label": "Start a race" },
    field("Suite", suite),
    h("fieldset", {}, h("legend", {}, "Cars"), carBoxes),
    h("div", { class: "row" }, field("Concurrency", concurrency, "1 = the original order: by test, then car"), field("Repeats", repeats)),
    h("button", { type: "submit", class: "neon-button" }, "Start the race"), message);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const chosen = [...form.querySelectorAll<HTMLInputElement>("input[name=car]:checked")].map((i) => i.value);
    try {
      const run = await api.startRun(suite.value, chosen, { concurrency: Number(concurrency.value), repeats: Number(repeats.value) });
      location.hash = `#/race/${run.id}`;
    } catch (err) {
      message.replaceChildren(status((err as Error).message, "bad"));
    }
  });
  root.replaceChildren(h("section", { class: "panel" }, h("h2", {}, "Start a race"), form));
}

async function watch(root: HTMLElement, runId: string): Promise<void> {
  const run = await api.run(runId);
  // After a reload the race resumes from the last seq it had seen: the state is kept in this tab's session.
  const key = `llmrace.race.${runId}`;
  const race = restore(sessionStorage.getItem(key), runId) ?? newRace(runId);
  let saving = false;
  const save = () => {
    if (saving) return;
    saving = true;
    setTimeout(() => { sessionStorage.setItem(key, snapshot(race)); saving = false; }, 250);
  };
  window.addEventListener("pagehide", () => sessionStorage.setItem(key, snapshot(race)), { once: true });
  const board = h("div", { class: "race", "data-testid": "race" });
  const log = h("ol", { class: "events", "aria-live": "polite" });
  const link = h("p", { class: "link-status", role: "status", "data-testid": "link-status" });
  const narration = h("p", { class: "visually-hidden", "aria-live": "polite", "data-testid": "race-summary" });
  const cancel = h("button", { type: "button", class: "link danger", onclick: () => void api.cancelRun(runId) }, "Cancel run");
  root.replaceChildren(h("section", { class: "panel" },
    h("div", { class: "panel-head" }, h("h2", {}, `Race — ${run.suite_name}`),
      h("div", { class: "actions" }, cancel, h("a", { class: "neon-button small", href: `#/history/${runId}` }, "Inspect"))),
    link, narration, board, h("h3", {}, "Events"), log));
  const track = new Board(board);
  // The winner is the Api's verdict (the run's scorecard), asked for once the race has completed.
  let finish: Finish | null = null;
  // However fast events come, the track is drawn once an animation frame; the spoken summary at most every 3 s.
  let frame = 0;
  let spoken = 0;
  const paint = () => {
    frame = 0;
    track.draw(race, finish);
    if (performance.now() - spoken > 3000 || race.status !== "running") {
      spoken = performance.now();
      narration.textContent = summary(race);
    }
  };
  const draw = () => {
    if (!frame) frame = requestAnimationFrame(paint);
    if (finish || race.status !== "completed") return;
    finish = { pending: true, winner: null, podium: [] };
    void api.scorecard(runId).then((card) => {
      finish = { pending: false, winner: card.winner ?? null, podium: card.podium };
      draw();
    }, () => { finish = null; });
  };
  draw();

  const hub = raceHub();
  if (hub.state === "Disconnected") await hub.start();
  const join = () => {
    subscription?.dispose();
    subscription = hub.stream<RaceEvent>("Join", runId, race.lastSeq).subscribe({
      next: (e) => {
        if (e.run_id !== race.runId || !apply(race, e)) return;
        save();
        if (e.type !== "item.delta") {
          const li = h("li", {},
              `#${e.seq} ${e.type}${e.type === "item.first_token" ? ` ttft ${ms(e.data.ttft_ms as number)}`
                : e.type === "item.completed" ? ` ${e.data.status}`
                : e.type === "item.error" ? ` ${e.data.message}${e.data.hint ? ` — ${e.data.hint}` : ""}` : ""}`);
          log.prepend(li);
          while (log.children.length > 200) log.lastElementChild?.remove();
        }
        draw();
        if (!["queued", "running"].includes(race.status)) cancel.remove();
      },
      // A dropped connection ends the stream with an error too: the hub reconnects, and the race joins again.
      error: (err) => { if (hub.state === "Connected") log.prepend(h("li", { class: "error-text" }, `stream error: ${err}`)); },
      complete: () => log.prepend(h("li", {}, "finish line")),
    });
  };
  onReconnecting = () => { link.textContent = "Connection lost: reconnecting…"; link.className = "link-status bad"; };
  onReconnected = () => {
    link.textContent = `Reconnected: rejoined from event #${race.lastSeq}.`;
    link.className = "link-status";
    join();
  };
  join();
}

interface Finish { pending: boolean; winner: RaceWinner | null; podium: RaceStanding[] }

/** The finish, as the Api ranks it: the winner and why, a photo finish when the first two are that close, the podium. */
function finishLine(finish: Finish | null): HTMLElement[] {
  if (!finish || finish.pending) return [];
  if (!finish.winner) return [h("p", { class: "winner none", "data-testid": "winner" }, "No winner: no car finished an item.")];
  const parts: (HTMLElement | null)[] = [
    h("p", { class: "winner", "data-testid": "winner" }, `★ WINNER: ${finish.winner.car_name} ★`),
    finish.winner.photo_finish ? h("p", { class: "photo-finish", "data-testid": "photo-finish" }, "PHOTO FINISH") : null,
    h("p", { class: "winner-reason muted", "data-testid": "winner-reason" }, finish.winner.reason),
    h("ol", { class: "podium", "data-testid": "podium", "aria-label": "Podium" },
      finish.podium.slice(0, 3).map((car, i) => h("li", { class: `place-${i + 1}` },
          h("span", { class: "medal" }, ["1ST", "2ND", "3RD"][i]), ` ${car.car_name}`))),
  ];
  return parts.filter((n): n is HTMLElement => n !== null);
}

/** Writes a text or an attribute only when it changed, so a frame touches no more of the page than moved. */
function setText(el: HTMLElement, text: string): void { if (el.textContent !== text) el.textContent = text; }
function setAttr(el: HTMLElement, name: string, value: string): void { if (el.getAttribute(name) !== value) el.setAttribute(name, value); }

/** One car's lane, made once and updated in place at each frame. */
class LaneView {
  readonly el: HTMLElement;
  private readonly lap = h("span", { class: "lap", "data-testid": "lap" });
  private readonly gauges = h("span", { class: "gauges" });
  private readonly track: HTMLElement;
  private readonly fill = h("div", { class: "fill" });
  private readonly sprite = h("div", { class: "car-sprite" });
  // The car rides a rail as wide as the track: moving the rail by a share of its own width is a transform, which the
  // compositor animates without laying out or repainting the page.
  private readonly rail = h("div", { class: "rail" }, this.sprite);
  private at = -1;
  private readonly meta = h("span", {});
  private readonly metaLine = h("p", { class: "lane-meta muted" }, this.meta);
  private readonly stream = h("pre", { class: "stream" });
  private error: HTMLElement | null = null;
  private tool: HTMLElement | null = null;

  constructor(lane: Lane, index: number) {
    this.track = h("div", { class: "track", role: "progressbar", "aria-label": `${lane.carName} progress`, "aria-valuemin": 0,
        "aria-valuemax": 100, "aria-valuenow": 0 }, this.fill, this.rail);
    this.el = h("div", { class: `lane lane-${index % 4}`, "data-car": lane.carName },
      h("div", { class: "lane-head" }, h("span", { class: "car" }, lane.carName), this.lap, this.gauges),
      this.track, this.metaLine, this.stream);
  }

  /** Draws the lane; its streamed text only when <paramref name="withText"/> says this frame is its turn. */
  update(lane: Lane, withText: boolean): void {
    const at = position(lane);
    setText(this.lap, `LAP ${Math.min(lane.done + 1, lane.total)}/${lane.total}`);
    setText(this.gauges, `TTFT ${ms(lane.ttftMs)} · ${lane.tokensPerS ? lane.tokensPerS.toFixed(0) : "—"} tok/s`
      + ` · ✔${lane.passed} ✘${lane.failed} ⚠${lane.errors}${lane.retries ? ` ↻${lane.retries}` : ""}`);
    setAttr(this.track, "aria-valuenow", String(progress(lane)));
    if (at !== this.at) {
      this.at = at;
      this.fill.style.transform = `scaleX(${at / 100})`;
      this.rail.style.transform = `translateX(${at}%)`;
    }
    setAttr(this.sprite, "class", `car-sprite${lane.errors ? " scuffed" : ""}${lane.retries ? " pitted" : ""}`);
    setText(this.meta, `${lane.done}/${lane.total}${lane.currentTest ? ` · ${lane.currentTest}` : ""}`);
    if (lane.lastError) {
      this.error ??= this.metaLine.appendChild(h("span", { class: "error-text", "data-testid": "lane-error" }));
      setText(this.error, ` · ⚠ ${lane.lastError}`);
      setAttr(this.error, "title", lane.lastErrorDetail ?? "");
      setAttr(this.sprite, "title", lane.lastError);
    }
    if (lane.lastTool) {
      this.tool ??= this.el.insertBefore(h("p", { class: "lane-tool", "data-testid": "lane-tool" }), this.stream);
      setText(this.tool, `tool call: ${lane.lastTool}`);
    }
    if (withText || lane.done === lane.total) setText(this.stream, lane.text.slice(-400));
  }
}

/** The race board: its status and finish redrawn when they change, the lanes updated in place. */
class Board {
  private readonly head = h("div", {});
  private readonly lanes = h("div", {});
  private readonly views = new Map<string, LaneView>();
  private headKey = "";
  private turn = 0;

  constructor(root: HTMLElement) { root.replaceChildren(this.head, this.lanes); }

  draw(race: RaceState, finish: Finish | null): void {
    const key = `${race.status}|${finish?.pending ?? "-"}|${finish?.winner?.car_id ?? "-"}|${race.lanes.size}`;
    if (key !== this.headKey) {
      this.headKey = key;
      this.head.replaceChildren(...[
        h("p", { class: `race-status ${race.status}`, "data-testid": "race-status" },
            race.status === "completed" ? "FINISH" : race.status.toUpperCase()),
        ...finishLine(finish),
        race.lanes.size === 0 ? h("p", { class: "muted" }, "Waiting for the start…") : null,
      ].filter((n): n is HTMLElement => n !== null));
    }
    // Streamed text is the costliest thing on the page to lay out and paint: one lane's a frame, in turn, keeps a frame's
    // work flat however many cars race (8 cars: each lane's text 7.5 times a second, quicker than a reader follows it).
    this.turn = (this.turn + 1) % Math.max(1, race.lanes.size);
    let index = 0;
    for (const lane of race.lanes.values()) {
      let view = this.views.get(lane.carId);
      if (!view) {
        view = new LaneView(lane, this.views.size);
        this.views.set(lane.carId, view);
        this.lanes.append(view.el);
      }
      view.update(lane, index++ === this.turn || race.status !== "running");
    }
  }
}
