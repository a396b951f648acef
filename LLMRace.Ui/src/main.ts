import "@fontsource/press-start-2p";
import "./style.css";
import { h, status } from "./dom";
import { comparePage } from "./pages/compare";
import { garagePage } from "./pages/garage";
import { historyPage } from "./pages/history";
import { loadPage } from "./pages/load";
import { racePage, stopWatching } from "./pages/race";
import { suitesPage } from "./pages/suites";

const main = document.querySelector<HTMLElement>("#main")!;

// Hash routes: #/garage, #/suites[/id], #/race[/run id], #/load[/run id], #/history[/run id][?filters], #/compare[/ids].
// A run in the address (#/race/<id>) is rebuilt from its first event, so a reload resumes the race.
async function route(): Promise<void> {
  const [path] = location.hash.replace(/^#/, "").split("?");
  const [, page = "race", arg] = path.split("/");
  stopWatching();
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a"))
    link.toggleAttribute("aria-current", link.getAttribute("href") === `#/${page}`);
  main.replaceChildren(h("div", { class: "loading", role: "progressbar", "aria-label": "Loading" }));
  try {
    switch (page) {
      case "garage": await garagePage(main); break;
      case "suites": await suitesPage(main, arg); break;
      case "history": await historyPage(main, arg); break;
      case "compare": await comparePage(main, arg); break;
      case "load": await loadPage(main, arg); break;
      case "runs": location.hash = `#/race/${arg}`; break;
      default: await racePage(main, arg);
    }
  } catch (err) {
    main.replaceChildren(h("section", { class: "panel" }, status(`Something went wrong: ${(err as Error).message}. Is the Api running?`,
        "bad")));
  }
}

window.addEventListener("hashchange", () => void route());
void route();
