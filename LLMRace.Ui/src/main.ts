import "@fontsource/press-start-2p";
import "./style.css";
import { HubConnectionBuilder, LogLevel, type ISubscription } from "@microsoft/signalr";
import { api, type RaceEvent, type Run } from "./api";
import { apply, formatMs, newRace, type RaceState } from "./race";

const runsList = document.querySelector<HTMLUListElement>("#runs")!;
const raceView = document.querySelector<HTMLDivElement>("#race")!;
const eventsList = document.querySelector<HTMLOListElement>("#events")!;
const startButton = document.querySelector<HTMLButtonElement>("#start")!;
const startStatus = document.querySelector<HTMLParagraphElement>("#start-status")!;

const hub = new HubConnectionBuilder().withUrl("/hubs/race").withAutomaticReconnect().configureLogging(LogLevel.Warning).build();
let race: RaceState | null = null;
let subscription: ISubscription<RaceEvent> | null = null;

async function refreshRuns(): Promise<void> {
  const runs = await api.runs();
  runsList.replaceChildren(...(runs.length ? runs.map(runItem) : [emptyRuns()]));
}

function emptyRuns(): HTMLLIElement {
  const li = document.createElement("li");
  li.className = "muted";
  li.textContent = "No races yet. Press “Start a race”.";
  return li;
}

function runItem(run: Run): HTMLLIElement {
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = `run ${run.status}`;
  button.innerHTML = `<span class="run-suite"></span><span class="run-status"></span><span class="run-progress"></span>`;
  button.querySelector(".run-suite")!.textContent = run.suite_name;
  button.querySelector(".run-status")!.textContent = run.status.toUpperCase();
  button.querySelector(".run-progress")!.textContent = `${run.items_done}/${run.items_total}`;
  button.addEventListener("click", () => void watch(run.id));
  li.append(button);
  return li;
}

async function watch(runId: string): Promise<void> {
  subscription?.dispose();
  history.replaceState(null, "", `#/runs/${encodeURIComponent(runId)}`);
  race = newRace(runId);
  eventsList.replaceChildren();
  render();
  if (hub.state !== "Connected") await hub.start();
  subscription = hub.stream<RaceEvent>("Join", runId, race.lastSeq).subscribe({
    next: (e) => {
      if (!race || e.run_id !== race.runId || !apply(race, e)) return;
      if (e.type !== "item.delta") logEvent(e);
      render();
      if (e.type.startsWith("run.") && e.type !== "run.started") void refreshRuns();
    },
    error: (err) => logText(`stream error: ${err}`),
    complete: () => logText("finish line"),
  });
}

function logEvent(e: RaceEvent): void {
  const detail = e.type === "item.first_token" ? ` ttft ${formatMs(e.data.ttft_ms as number)}` : e.type === "item.completed" ? ` ${e.data.status}` : "";
  logText(`#${e.seq} ${e.type}${detail}`);
}

function logText(text: string): void {
  const li = document.createElement("li");
  li.textContent = text;
  eventsList.prepend(li);
  while (eventsList.children.length > 200) eventsList.lastElementChild?.remove();
}

function render(): void {
  if (!race) return;
  const lanes = [...race.lanes.values()];
  raceView.replaceChildren(...lanes.map((lane) => {
    const div = document.createElement("div");
    div.className = "lane";
    const pct = lane.total ? Math.round((100 * lane.done) / lane.total) : 0;
    div.innerHTML = `
      <div class="lane-head"><span class="car"></span><span class="gauges"></span></div>
      <div class="track" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${pct}"><div class="car-sprite" style="left:${pct}%"></div><div class="fill" style="width:${pct}%"></div></div>
      <pre class="stream"></pre>`;
    div.querySelector(".car")!.textContent = lane.carName;
    div.querySelector(".gauges")!.textContent =
      `TTFT ${formatMs(lane.ttftMs)} · ${lane.tokensPerS ? lane.tokensPerS.toFixed(0) + " tok/s" : "— tok/s"} · ✔${lane.passed} ✘${lane.failed} ⚠${lane.errors}`;
    div.querySelector(".stream")!.textContent = lane.text.slice(-400);
    return div;
  }));
  const status = document.createElement("p");
  status.className = `race-status ${race.status}`;
  status.textContent = race.status === "completed" ? "FINISH" : race.status.toUpperCase();
  raceView.prepend(status);
}

startButton.addEventListener("click", async () => {
  startButton.disabled = true;
  startStatus.textContent = "Starting…";
  try {
    const [suites, cars] = await Promise.all([api.suites(), api.cars()]);
    if (!suites.length || !cars.length) throw new Error("add a suite and at least one car first");
    const run = await api.startRun(suites[0].id, cars.map((c) => c.id));
    startStatus.textContent = `Race ${run.id} started.`;
    await refreshRuns();
    await watch(run.id);
  } catch (err) {
    startStatus.textContent = `Could not start: ${(err as Error).message}`;
  } finally {
    startButton.disabled = false;
  }
});

refreshRuns().catch((err) => (startStatus.textContent = `The Api is not answering: ${(err as Error).message}`));

// A run named in the address (#/runs/<id>) is watched from its first event: a reload rebuilds the race from the log.
const linked = /^#\/runs\/(.+)$/.exec(location.hash);
if (linked) void watch(decodeURIComponent(linked[1]));
