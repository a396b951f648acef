import { api, ApiError, type Car, type Connection } from "../api";
import { empty, field, h, status } from "../dom";
import { ms } from "../format";
import { presets } from "../presets";

/** What the Api said about the last save (a key left behind by a move to another origin), shown once after it. */
let notice: string | null = null;

/** Garage: connections (with presets, Test, Verify Runtime, discovery) and cars. */
export async function garagePage(root: HTMLElement): Promise<void> {
  const [connections, cars, meta] = await Promise.all([api.connections(), api.cars(), api.meta()]);
  const connectionTypes = meta.connection_types.map((t) => t.type);
  const rerender = () => void garagePage(root);
  const shown = notice;
  notice = null;

  const connectionCards = connections.map((c) => connectionCard(c, connectionTypes, rerender));
  const carRows = cars.flatMap((car) => {
    const connection = connections.find((c) => c.id === car.connection_id);
    const editRow = h("tr", { class: "edit-row", hidden: true }, h("td", { colspan: 5 }, carForm(connections, rerender, car)));
    return [h("tr", { "data-car": car.name },
      h("td", {}, car.name), h("td", {}, h("code", {}, car.model)), h("td", {}, connection?.name ?? car.connection_id),
      h("td", {}, Object.keys(car.params).length ? h("code", {}, JSON.stringify(car.params)) : h("span", { class: "muted" }, "defaults")),
      h("td", {},
        h("button", { type: "button", class: "link", "aria-label": `Edit ${car.name}`,
            onclick: () => { editRow.hidden = !editRow.hidden; } }, "Edit"),
        h("button", { type: "button", class: "link danger", onclick: async () => { await api.deleteCar(car.id); rerender(); } },
          "Delete"))), editRow];
  });

  root.replaceChildren(
    h("section", { class: "panel" },
      h("h2", {}, "Connections"),
      shown ? h("div", { role: "alert", "data-testid": "garage-notice" }, status(shown, "bad")) : null,
      connections.length ? h("div", { class: "cards" }, connectionCards) : empty("No connections yet: pick a preset below to add one."),
      connectionForm(connectionTypes, rerender)),
    h("section", { class: "panel" },
      h("h2", {}, "Cars"),
      h("p", { class: "muted" }, "A car is a model profile: a connection, a model name and its parameters."),
      cars.length
        ? h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ["Name", "Model", "Connection", "Params", ""].map((t) => h("th", {},
            t)))), h("tbody", {}, carRows))
        : empty("No cars yet: add one below."),
      carForm(connections, rerender)));
}

function connectionCard(c: Connection, connectionTypes: string[], rerender: () => void): HTMLElement {
  const result = h("div", { class: "result", "aria-live": "polite" });
  const show = (node: HTMLElement) => result.replaceChildren(node);
  const test = async () => {
    show(status("Testing…"));
    const t = await api.testConnection(c.id);
    show(h("div", { class: `badge-card ${t.status === "ONLINE" ? "online" : "offline"}` },
      h("strong", {}, t.status), h("span", {}, ` ${ms(t.latency_ms)} · ${t.model_count} model(s)`), t.error ? h("p",
          { class: "error-text" }, t.error) : null));
  };
  const verify = async () => {
    show(status("Verifying…"));
    const v = await api.verifyConnection(c.id);
    show(h("div", { class: "verify" },
      h("dl", {},
        h("dt", {}, "Auth source"), h("dd", {}, v.auth_source),
        h("dt", {}, "Auth"), h("dd", {}, v.auth_present ? "present" : "missing"),
        h("dt", {}, "Discovery"), h("dd", {},
            v.discovery.status === "ok" ? `ok: ${v.discovery.models.length} model(s)` : `failed: ${v.discovery.error ?? ""}`)),
      v.discovery.models.length ? h("p", { class: "muted models" }, v.discovery.models.join(" · ")) : null,
      v.hints.length ? h("ul", { class: "hints" }, v.hints.map((hint) => h("li", {}, hint))) : null));
  };
  const editor = connectionForm(connectionTypes, rerender, c);
  editor.hidden = true;
  return h("article", { class: "card", "data-connection": c.name },
    h("header", {}, h("strong", {}, c.name), h("span", { class: "tag" }, c.type)),
    h("p", { class: "muted" }, c.base_url),
    h("p", { class: "muted" },
        c.api_key_set ? `API key set (${c.api_key_hint ?? "…"})` : c.api_key_env_var ? `key from $${c.api_key_env_var}` : "no API key"),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "neon-button small", onclick: test }, "Test"),
      h("button", { type: "button", class: "neon-button small", onclick: verify }, "Verify Runtime"),
      h("button", { type: "button", class: "link", onclick: () => { editor.hidden = !editor.hidden; } }, "Edit"),
      c.managed ? null : h("button", { type: "button", class: "link danger", onclick: async () => {
        try { await api.deleteConnection(c.id); rerender(); } catch (e) { show(status((e as Error).message, "bad")); }
      } }, "Delete")),
    h("p", { class: "muted settings" }, `timeouts: first token ${c.timeout_s} s · headers ${c.headers_timeout_s} s · total ` +
        `${c.total_timeout_s} s · retries ${c.max_retries} · concurrency ${c.max_concurrency}`),
    result, editor);
}

/** The connection form: a new connection (with presets), or an existing one's every field (its key write-only). */
function connectionForm(connectionTypes: string[], rerender: () => void, existing?: Connection): HTMLElement {
  const preset = h("select", { name: "preset" }, h("option", { value: "" }, "Choose a preset…"), presets.map((p, i) => h("option",
      { value: String(i) }, p.label)));
  const name = h("input", { name: "name", required: true, placeholder: "My Ollama", value: existing?.name ?? "" });
  const type = h("select", { name: "type" }, connectionTypes.map((t) => h("option", { value: t, selected: t === existing?.type }, t)));
  const baseUrl = h("input", { name: "base_url", required: true, placeholder: "http://127.0.0.1:11434", value: existing?.base_url ?? "" });
  const apiKey = h("input", { name: "api_key", type: "password", autocomplete: "off",
      placeholder: existing?.api_key_set ? `leave empty to keep the saved key (${existing.api_key_hint ?? "…"})`
        : "write-only: stored encrypted, never shown" });
  const removeKey = h("input", { type: "checkbox", name: "remove_key" });
  const envVar = h("input", { name: "api_key_env_var", placeholder: "or an environment variable, e.g. OPENAI_API_KEY",
      value: existing?.api_key_env_var ?? "" });
  const number = (field: string, value: number | undefined, placeholder: string, min: string, max: string) =>
    h("input", { name: field, type: "number", min, max, step: "any", placeholder, value: value === undefined ? "" : String(value) });
  const timeout = number("timeout_s", existing?.timeout_s, "120 (default)", "1", "3600");
  // Shown when set apart from timeout_s; left empty, it keeps following timeout_s.
  const headersTimeout = number("headers_timeout_s", existing && existing.headers_timeout_s !== existing.timeout_s
      ? existing.headers_timeout_s : undefined, "as timeout_s (default)", "1", "3600");
  const totalTimeout = number("total_timeout_s", existing?.total_timeout_s, "600 (default)", "1", "86400");
  const retries = number("max_retries", existing?.max_retries, "2 (default)", "0", "10");
  const concurrency = number("max_concurrency", existing?.max_concurrency, "1 (default)", "1", "256");
  const note = h("p", { class: "muted" });
  const message = h("div", {});
  preset.addEventListener("change", () => {
    const p = presets[Number(preset.value)];
    if (!p) return;
    name.value = p.label;
    type.value = p.type;
    baseUrl.value = p.base_url;
    envVar.value = p.api_key_env_var ?? "";
    note.textContent = p.note ?? "";
  });
  const title = existing ? `Edit ${existing.name}` : "Add a connection";
  const form = h("form", { class: "form", "aria-label": title },
    h("h3", {}, title),
    existing ? null : field("Preset", preset), note, field("Name", name), field("Type", type), field("Base URL", baseUrl),
    field("API key", apiKey), existing?.api_key_set ? h("label", { class: "check" }, removeKey, " Remove the saved key") : null,
    field("API key env var", envVar),
    h("fieldset", {}, h("legend", {}, "Timeouts, retries and concurrency"),
      h("div", { class: "row" },
        field("First-token timeout (s)", timeout, "per attempt, and the longest quiet spell mid-stream"),
        field("Headers timeout (s)", headersTimeout, "until the response headers"),
        field("Total timeout (s)", totalTimeout, "the whole item, retries included")),
      h("div", { class: "row" },
        field("Max retries", retries, "before the first token only"),
        field("Max concurrency", concurrency, "requests at once, across every run"))),
    h("button", { type: "submit", class: "neon-button" }, existing ? "Save connection" : "Add connection"), message);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const optional = (input: HTMLInputElement) => (input.value === "" ? undefined : Number(input.value));
    const input = { name: name.value, type: type.value, base_url: baseUrl.value,
        api_key: removeKey.checked ? "" : apiKey.value || undefined, api_key_env_var: envVar.value || null,
        timeout_s: optional(timeout), headers_timeout_s: optional(headersTimeout), total_timeout_s: optional(totalTimeout),
        max_retries: optional(retries), max_concurrency: optional(concurrency) };
    try {
      const saved = existing ? await api.updateConnection(existing.id, input) : await api.createConnection(input);
      notice = saved.notice ?? null;
      rerender();
    } catch (err) {
      message.replaceChildren(errorList(err));
    }
  });
  return form;
}

const knownParams = ["temperature", "top_p", "max_tokens", "seed", "stop"];

/** The car form: a new car, or an existing one's every field; parameters the form has no box for go in the extra JSON. */
function carForm(connections: Connection[], rerender: () => void, existing?: Car): HTMLElement {
  const p = existing?.params ?? {};
  const id = existing ? `-${existing.id}` : "";
  const name = h("input", { name: "car_name", required: true, placeholder: "Llama 3.1 8B", value: existing?.name ?? "" });
  const connection = h("select", { name: "connection_id" }, connections.map((c) => h("option",
      { value: c.id, selected: c.id === existing?.connection_id }, c.name)));
  const model = h("input", { name: "model", required: true, list: `model-options${id}`, value: existing?.model ?? "",
      placeholder: "type a model name, or discover" });
  const models = h("datalist", { id: `model-options${id}` });
  const number = (field: string, placeholder: string, attrs: Record<string, string>) => h("input", { name: field, type: "number",
      placeholder, value: typeof p[field] === "number" ? String(p[field]) : "", ...attrs });
  const temperature = number("temperature", "default", { step: "0.1", min: "0", max: "2" });
  const topP = number("top_p", "default", { step: "0.05", min: "0", max: "1" });
  const maxTokens = number("max_tokens", "default", { min: "1" });
  const seed = number("seed", "none", { step: "1" });
  const stop = h("textarea", { name: "stop", rows: 2, placeholder: "one stop sequence a line" },
      Array.isArray(p.stop) ? (p.stop as string[]).join("\n") : typeof p.stop === "string" ? p.stop : "");
  const rest = Object.fromEntries(Object.entries(p).filter(([k]) => !knownParams.includes(k)));
  const extra = h("textarea", { name: "extra_params", rows: 2, placeholder: '{"frequency_penalty": 0.5}' },
      Object.keys(rest).length ? JSON.stringify(rest) : "");
  const message = h("div", {});
  const discover = h("button", { type: "button", class: "link", onclick: async () => {
    try {
      const found = await api.models(connection.value);
      models.replaceChildren(...found.models.map((m) => h("option", { value: m })));
      message.replaceChildren(status(`${found.models.length} model(s) discovered; you can also type any name.`, "ok"));
    } catch (err) {
      message.replaceChildren(status(`Discovery failed: ${(err as Error).message}. Type the model name by hand.`, "bad"));
    }
  } }, "Discover models");
  const title = existing ? `Edit ${existing.name}` : "Add a car";
  const form = h("form", { class: "form", "aria-label": title },
    h("h3", {}, title),
    field("Name", name), field("Connection", connection), field("Model", model), models, discover,
    h("div", { class: "row" }, field("Temperature", temperature), field("Top p", topP), field("Max tokens", maxTokens),
      field("Seed", seed)),
    field("Stop sequences", stop),
    field("Extra parameters (JSON)", extra, "any other parameter the provider takes, passed as given"),
    h("button", { type: "submit", class: "neon-button", disabled: connections.length === 0 }, existing ? "Save car" : "Add car"),
    message);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    let params: Record<string, unknown>;
    try {
      params = extra.value.trim() ? JSON.parse(extra.value) : {};
      if (typeof params !== "object" || params === null || Array.isArray(params)) throw new Error("not an object");
    } catch {
      message.replaceChildren(status("Extra parameters: write a JSON object, e.g. {\"frequency_penalty\": 0.5}", "bad"));
      return;
    }
    for (const [key, input] of [["temperature", temperature], ["top_p", topP], ["max_tokens", maxTokens], ["seed", seed]] as const)
      if (input.value) params[key] = Number(input.value);
    const stops = stop.value.split("\n").filter((line) => line.length > 0);
    if (stops.length) params.stop = stops;
    const input = { name: name.value, connection_id: connection.value, model: model.value, params };
    try {
      if (existing) await api.updateCar(existing.id, input); else await api.createCar(input);
      rerender();
    } catch (err) {
      message.replaceChildren(errorList(err));
    }
  });
  return form;
}

export function errorList(err: unknown): HTMLElement {
  if (err instanceof ApiError && Object.keys(err.errors).length)
    return h("ul", { class: "errors", role: "alert" }, Object.entries(err.errors).flatMap(([f, msgs]) => msgs.map((m) => h("li", {},
        `${f}: ${m}`))));
  return h("p", { class: "error-text", role: "alert" }, (err as Error).message);
}
