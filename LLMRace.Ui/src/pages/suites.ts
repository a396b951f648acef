import { json } from "@codemirror/lang-json";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { linter, lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { basicSetup, EditorView } from "codemirror";
import { api, ApiError, type Suite } from "../api";
import { withToken } from "../auth";
import { apiUrl } from "../base";
import { empty, h, status } from "../dom";
import { locate } from "../jsonpath";

const template = `{
  "name": "My Regression Suite",
  "category": "custom",
  "description": "Daily regression checks",
  "tests": [
    {
      "order_index": 1,
      "name": "Output format",
      "system_prompt": "You are precise.",
      "user_prompt": "Return a JSON object with fields id and status.",
      "expected_constraints": "is_json\\nMust be valid JSON.",
      "tools_schema_json": null
    }
  ]
}
`;

/** Suites: the list, the Suite JSON Editor with the server's errors at their lines, import and export, a readable view. */
export async function suitesPage(root: HTMLElement, selectedId?: string): Promise<void> {
  const suites = await api.suites();
  const selected = selectedId ? await api.suite(selectedId).catch(() => null) : null;
  const source = selected ? await api.exportSuite(selected.id) : template;
  const message = h("div", { "aria-live": "polite" });

  const editor = new EditorView({
    doc: source,
    extensions: [basicSetup, json(), syntaxHighlighting(neon), lintGutter(), linter(localLint), EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": "Suite JSON" })],
  });
  editor.dom.classList.add("editor");
  editor.dom.setAttribute("data-testid", "suite-editor");

  const showServerErrors = (err: unknown) => {
    if (!(err instanceof ApiError)) { message.replaceChildren(status((err as Error).message, "bad")); return; }
    const text = editor.state.doc.toString();
    const diagnostics: Diagnostic[] = [];
    const items: HTMLElement[] = [];
    for (const [path, messages] of Object.entries(err.errors)) {
      let where: ReturnType<typeof locate> = null;
      try { where = locate(text, path); } catch { where = null; }
      for (const m of messages) {
        diagnostics.push({ from: where?.from ?? 0, to: where?.to ?? Math.min(1, text.length), severity: "error",
            message: `${path}: ${m}` });
        items.push(h("li", {}, h("button", { type: "button", class: "link", onclick: () => {
          if (where) editor.dispatch({ selection: { anchor: where.from }, scrollIntoView: true });
          editor.focus();
        } }, `line ${where?.line ?? 1}`), ` ${path}: ${m}`));
      }
    }
    editor.dispatch(setDiagnostics(editor.state, diagnostics));
    message.replaceChildren(h("div", { class: "errors", role: "alert" }, h("p", {}, err.message), h("ul", {}, items)));
  };

  const save = async () => {
    const text = editor.state.doc.toString();
    try {
      const saved = selected ? await api.replaceSuite(selected.id, text) : await api.importSuite(text);
      location.hash = `#/suites/${saved.id}`;
    } catch (err) {
      showServerErrors(err);
    }
  };
  const file = h("input", { type: "file", accept: "application/json,.json", class: "visually-hidden", id: "suite-file" });
  file.addEventListener("change", async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: await chosen.text() } });
    message.replaceChildren(status(`Loaded ${chosen.name}: check it, then save.`, "info"));
  });

  root.replaceChildren(
    h("section", { class: "panel narrow" },
      h("div", { class: "panel-head" }, h("h2", {}, "Suites"), h("a", { class: "neon-button small", href: "#/suites" }, "New suite")),
      suites.length
        ? h("ul", { class: "list" }, suites.map((s) => h("li", {}, h("a", { href: `#/suites/${s.id}`,
            class: s.id === selected?.id ? "active" : "" },
            h("span", {}, s.name), h("span", { class: "muted" }, ` ${s.test_count} test(s) · ${s.category}`)))))
        : empty("No suites yet: write one in the editor, or import a file.")),
    h("section", { class: "panel wide" },
      h("div", { class: "panel-head" },
        h("h2", {}, selected ? `Suite JSON Editor — ${selected.name}` : "Suite JSON Editor — new suite"),
        h("div", { class: "actions" },
          h("label", { for: "suite-file", class: "neon-button small" }, "Import file"), file,
          selected ? h("a", { class: "neon-button small", href: withToken(apiUrl(`/api/suites/${selected.id}/export`)),
              download: `${selected.name}.json` }, "Export") : null,
          selected ? h("button", { type: "button", class: "link danger",
              onclick: async () => { await api.deleteSuite(selected.id); location.hash = "#/suites"; } }, "Delete") : null,
          h("button", { type: "button", class: "neon-button", onclick: save }, selected ? "Save" : "Import suite"))),
      editor.dom, message,
      h("p", { class: "muted syntax" }, "expected_constraints: checks and judge criteria, one a line or separated by ';'. A check is ",
        h("code", {}, "keyword:argument"), " (lower case; the argument is the text after the colon without spaces at either end, ",
        "so ", h("code", {}, "contains: x"), " looks for ", h("code", {}, "x"), "). A ", h("code", {}, "regex:"),
        " keeps every character, takes ';' into its pattern unless a keyword follows, and may use Python's ",
        h("code", {}, "(?P<name>…)"), ". Any other text is a criterion for the judge."),
      selected ? warnings(selected) : null,
      selected ? readable(selected) : null));
}

/** What looks like a check but is kept as a criterion (a keyword in capitals, an unknown prefix), test by test. */
function warnings(suite: Suite): HTMLElement | null {
  const found = suite.tests.flatMap((t) => t.warnings.map((w) => `${t.name}: ${w}`));
  return found.length ? h("div", { class: "warnings", role: "status", "data-testid": "suite-warnings" },
      h("strong", {}, `⚠ ${found.length} warning(s)`), h("ul", {}, found.map((w) => h("li", {}, w)))) : null;
}

// Readable on the dark panel: neon colours instead of the default light theme's.
const neon = HighlightStyle.define([
  { tag: tags.propertyName, color: "#22f3ff" },
  { tag: tags.string, color: "#b6ff3b" },
  { tag: tags.number, color: "#ffb43b" },
  { tag: [tags.bool, tags.null], color: "#ff2bd6" },
  { tag: tags.punctuation, color: "#8d89b8" },
]);

/** JSON syntax errors while typing; the server checks the rest on save. */
function localLint(view: EditorView): Diagnostic[] {
  const text = view.state.doc.toString();
  try {
    JSON.parse(text);
    return [];
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message);
    const from = at ? Math.min(Number(at[1]), text.length) : 0;
    return [{ from, to: Math.min(from + 1, text.length), severity: "error", message: (e as Error).message }];
  }
}

function readable(suite: Suite): HTMLElement {
  return h("div", { class: "tests" }, h("h3", {}, `${suite.tests.length} test(s)`),
    suite.tests.map((t) => h("article", { class: "test" },
      h("header", {}, h("strong", {}, `${t.order_index}. ${t.name}`), t.tools_schema_json ? h("span", { class: "tag" },
          `tools · ${t.max_tool_turns} turns`) : null),
      t.system_prompt ? h("p", { class: "muted" }, `system: ${t.system_prompt}`) : null,
      h("p", {}, t.user_prompt),
      t.checks.length ? h("ul", { class: "checks" }, t.checks.map((c) => h("li", {}, h("code", {}, c)))) : null,
      t.criteria.length ? h("p", { class: "muted" }, `judge criteria: ${t.criteria.join(" · ")}`) : null,
      t.warnings.map((w) => h("p", { class: "warning-text" }, `⚠ ${w}`)))));
}
