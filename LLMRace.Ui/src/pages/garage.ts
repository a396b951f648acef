import { api, ApiError, type Connection } from "../api";
import { empty, field, h, status } from "../dom";
import { ms } from "../format";
import { presets } from "../presets";

/** Garage: connections (with presets, Test, Verify Runtime, discovery) and cars. */
export async function garagePage(root: HTMLElement): Promise<void> {
  const [connections, cars, meta] = await Promise.all([api.connections(), api.cars(), api.meta()]);
  const connectionTypes = meta.connection_types.map((t) => t.type);
  const rerender = () => void garagePage(root);

  const connectionCards = connections.map((c) => connectionCard(c, rerender));
  const carRows = cars.map((car) => {
    const connection = connections.find((c) => c.id === car.connection_id);
    return h("tr", {},
      h("td", {}, car.name), h("td", {}, h("code", {}, car.model)), h("td", {}, connection?.name ?? car.connection_id),
      h("td", {}, Object.keys(car.params).length ? h("code", {}, JSON.stringify(car.params)) : h("span", { class: "muted" }, "defaults")),
      h("td", {}, h("button", { type: "button", class: "link danger", onclick: async () => { await api.deleteCar(car.id); rerender(); } },
          "Delete")));
  });

  root.replaceChildren(
    h("section", { class: "panel" },
      h("h2", {}, "Connections"),
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

function connectionCard(c: Connection, rerender: () => void): HTMLElement {
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
  return h("article", { class: "card", "data-connection": c.name },
    h("header", {}, h("strong", {}, c.name), h("span", { class: "tag" }, c.type)),
    h("p", { class: "muted" }, c.base_url),
    h("p", { class: "muted" },
        c.api_key_set ? `API key set (${c.api_key_hint ?? "…"})` : c.api_key_env_var ? `key from $${c.api_key_env_var}` : "no API key"),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "neon-button small", onclick: test }, "Test"),
      h("button", { type: "button", class: "neon-button small", onclick: verify }, "Verify Runtime"),
      c.managed ? null : h("button", { type: "button", class: "link danger", onclick: async () => {
        try { await api.deleteConnection(c.id); rerender(); } catch (e) { show(status((e as Error).message, "bad")); }
      } }, "Delete")),
    result);
}

function connectionForm(connectionTypes: string[], rerender: () => void): HTMLElement {
  const preset = h("select", { name: "preset" }, h("option", { value: "" }, "Choose a preset…"), presets.map((p, i) => h("option",
      { value: String(i) }, p.label)));
  const name = h("input", { name: "name", required: true, placeholder: "My Ollama" });
  const type = h("select", { name: "type" }, connectionTypes.map((t) => h("option", { value: t }, t)));
  const baseUrl = h("input", { name: "base_url", required: true, placeholder: "http://127.0.0.1:11434" });
  const apiKey = h("input", { name: "api_key", type: "password", autocomplete: "off",
      placeholder: "write-only: stored encrypted, never shown" });
  const envVar = h("input", { name: "api_key_env_var", placeholder: "or an environment variable, e.g. OPENAI_API_KEY" });
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
  const form = h("form", { class: "form", "aria-label": "Add a connection" },
    h("h3", {}, "Add a connection"),
    field("Preset", preset), note, field("Name", name), field("Type", type), field("Base URL", baseUrl), field("API key", apiKey),
        field("API key env var", envVar),
    h("button", { type: "submit", class: "neon-button" }, "Add connection"), message);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api.createConnection({ name: name.value, type: type.value, base_url: baseUrl.value, api_key: apiKey.value || undefined,
          api_key_env_var: envVar.value || null });
      rerender();
    } catch (err) {
      message.replaceChildren(errorList(err));
    }
  });
  return form;
}

function carForm(connections: Connection[], rerender: () => void): HTMLElement {
  const name = h("input", { name: "car_name", required: true, placeholder: "Llama 3.1 8B" });
  const connection = h("select", { name: "connection_id" }, connections.map((c) => h("option", { value: c.id }, c.name)));
  const model = h("input", { name: "model", required: true, list: "model-options", placeholder: "type a model name, or discover" });
  const models = h("datalist", { id: "model-options" });
  const temperature = h("input", { name: "temperature", type: "number", step: "0.1", min: "0", max: "2", placeholder: "default" });
  const maxTokens = h("input", { name: "max_tokens", type: "number", min: "1", placeholder: "default" });
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
  const form = h("form", { class: "form", "aria-label": "Add a car" },
    h("h3", {}, "Add a car"),
    field("Name", name), field("Connection", connection), field("Model", model), models, discover,
    h("div", { class: "row" }, field("Temperature", temperature), field("Max tokens", maxTokens)),
    h("button", { type: "submit", class: "neon-button", disabled: connections.length === 0 }, "Add car"), message);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const params: Record<string, unknown> = {};
    if (temperature.value) params.temperature = Number(temperature.value);
    if (maxTokens.value) params.max_tokens = Number(maxTokens.value);
    try {
      await api.createCar({ name: name.value, connection_id: connection.value, model: model.value, params });
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
