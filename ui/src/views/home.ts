// Home (engine status, recent sessions) and the searchable sessions list.
import type { App, Route } from "../app";
import type { SessionInfo } from "../bindings/SessionInfo";
import { clear, dateTime, h } from "../dom";
import { jurisdictionName } from "./policy";

export function sessionTable(app: App, sessions: SessionInfo[]): HTMLElement {
  if (sessions.length === 0) return h("p", { class: "empty" }, "No sessions yet.");
  return h(
    "table",
    { class: "sessions" },
    h("thead", {}, h("tr", {}, ["Started", "Kind", "Candidate / source", "Status", "Samples", ""].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      sessions.map((s) =>
        h(
          "tr",
          { dataset: { session: String(s.id) } },
          h("td", {}, dateTime(s.started_at)),
          h("td", {}, s.kind),
          h("td", {}, s.candidate_ref ?? s.source_name ?? "-"),
          h("td", {}, h("span", { class: `status status-${s.status}` }, s.status)),
          h("td", { class: "num" }, String(s.sample_count)),
          h("td", {}, h("button", { class: "link open-report", onclick: () => app.go({ name: "report", id: s.id }) }, "Open report")),
        ),
      ),
    ),
  );
}

export async function homeView(app: App): Promise<void> {
  const info = app.info;
  const engine = info.engine
    ? h(
        "p",
        { class: "engine ok", id: "engine-status" },
        `Analysis ready: model ${info.engine.model}, ONNX Runtime ${info.engine.runtime_version}, ${info.engine.provider.active.toUpperCase()}`,
        info.engine.provider.fallback_reason ? ` (fallback: ${info.engine.provider.fallback_reason})` : "",
      )
    : h("p", { class: "engine error", id: "engine-status" }, `Analysis unavailable: ${info.engine_error?.message ?? "unknown reason"}`);
  const recent = h("div", {}, h("p", {}, "Loading..."));
  app.main.append(
    h("h1", {}, "Mien"),
    engine,
    h(
      "p",
      { class: "policy-line" },
      `Policy: ${jurisdictionName(info.settings.jurisdiction)}, ${info.settings.policy === "interviews_allowed" ? "interviews with consent" : "practice only"}; sessions kept ${info.settings.retention_days} days.`,
    ),
    h("div", { class: "actions" }, h("button", { class: "primary", id: "new-session", onclick: () => app.go({ name: "new" }) }, "New session")),
    h("h2", {}, "Recent sessions"),
    recent,
  );
  const list = await app.backend.listSessions(null);
  clear(recent, sessionTable(app, list.slice(0, 8)));
}

export async function sessionsView(app: App, route: Route): Promise<void> {
  const initial = route.name === "sessions" ? (route.search ?? "") : "";
  const results = h("div", { id: "session-results" });
  const search = h("input", { type: "search", id: "search", placeholder: "Candidate, role, interviewer or file", value: initial, "aria-label": "Search sessions" });
  const run = async () => clear(results, sessionTable(app, await app.backend.listSessions(search.value || null)));
  let timer: number | undefined;
  search.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void run().catch((e) => app.showError(e)), 200);
  });
  app.main.append(h("h1", {}, "Sessions"), search, results);
  await run();
}
