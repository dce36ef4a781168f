// The report of one session: timeline with markers, time shares, per-segment breakdown, baseline shift, trend, data
// quality, notes, the plain-language limits of the method; export (PDF, CSV, JSON) and delete.
import type { App, Route } from "../app";
import type { AttitudeShares } from "../bindings/AttitudeShares";
import type { ExportFormat } from "../bindings/ExportFormat";
import type { SessionExport } from "../bindings/SessionExport";
import { TimelineChart, timelineOf } from "../chart";
import { clear, clock, dateTime, h, pct, signedPp } from "../dom";

const ATTITUDES = ["negative", "neutral", "positive"] as const;

/** A bar `share` wide (CSSOM width: allowed by the CSP, unlike a style attribute). */
function barOf(a: string, share: number): HTMLElement {
  const bar = h("span", { class: `bar bar-${a}` });
  bar.style.width = `${Math.round(Math.min(1, Math.max(0, share)) * 100)}%`;
  return bar;
}

function sharesBar(s: AttitudeShares, id: string): HTMLElement {
  return h(
    "div",
    { class: "shares", id },
    ATTITUDES.map((a) =>
      h(
        "div",
        { class: "share-row" },
        h("span", { class: "share-label" }, a),
        h("span", { class: "bar-track" }, barOf(a, s[a])),
        h("span", { class: "share-value", dataset: { attitude: a } }, pct(s[a])),
      ),
    ),
  );
}

export async function reportView(app: App, route: Route): Promise<void> {
  if (route.name !== "report") return;
  const e: SessionExport = route.export ?? (await app.backend.getReport(route.id));
  const s = e.session;
  const sum = e.summary;
  app.main.dataset.session = String(s.id);
  const exportStatus = h("p", { class: "small", id: "export-status", role: "status" });
  const doExport = async (format: ExportFormat) => {
    try {
      const r = await app.backend.exportSession(s.id, format);
      exportStatus.textContent = r.path ? `Saved ${format.toUpperCase()} to ${r.path}` : "Export cancelled.";
      if (r.path) exportStatus.dataset[format] = r.path;
    } catch (err) {
      app.showError(err);
    }
  };
  const deleteBox = h("span", {});
  const askDelete = () =>
    clear(
      deleteBox,
      h("span", { class: "confirm" }, "Erase this session for good? "),
      h("button", { class: "danger", id: "confirm-delete", onclick: () => void doDelete() }, "Yes, erase"),
      h("button", { id: "cancel-delete", onclick: () => clear(deleteBox, deleteBtn) }, "Cancel"),
    );
  const deleteBtn = h("button", { class: "danger", id: "delete", onclick: askDelete }, "Delete");
  deleteBox.append(deleteBtn);
  const doDelete = async () => {
    try {
      await app.backend.deleteSession(s.id);
      await app.go({ name: "sessions" });
    } catch (err) {
      app.showError(err);
    }
  };

  const chartBox = h("div", { class: "chart", id: "report-chart" });
  const who = [s.candidate_ref && `candidate ${s.candidate_ref}`, s.role && `role ${s.role}`, s.interviewer && `interviewer ${s.interviewer}`].filter(Boolean).join(", ");
  const noteInput = h("textarea", { id: "report-note", rows: 2, maxlength: 10000, placeholder: "Add a note to this session" });
  const notes = h(
    "ul",
    { class: "feed", id: "report-notes" },
    e.markers.map((m) => h("li", {}, `${clock(Number(m.t_ms))} marker: ${m.label}`)),
    e.notes.map((n) => h("li", {}, `${n.t_ms === null ? "-" : clock(Number(n.t_ms))} note: ${n.text}`)),
  );
  app.main.append(
    h("h1", {}, `Session ${s.id}`, h("span", { class: `status status-${s.status}` }, s.status)),
    h("p", { class: "meta" }, `${s.kind} session, ${s.source}${s.source_name ? ` (${s.source_name})` : ""}. ${who}`),
    h("p", { class: "meta" }, `Started ${dateTime(s.started_at)}, duration ${clock(Number(sum.duration_ms))}. Model ${s.model} on ${s.provider}.`),
    h("div", {}, s.consent ? h("p", { class: "meta", id: "consent-record" }, `Consent: ${s.consent.method}, notice ${s.consent.notice_version}, recorded by ${s.consent.recorded_by} at ${dateTime(s.consent.recorded_at)}.`) : null),
    h("div", { class: "actions" }, h("button", { id: "export-pdf", onclick: () => void doExport("pdf") }, "Export PDF"), h("button", { id: "export-csv", onclick: () => void doExport("csv") }, "Export CSV"), h("button", { id: "export-json", onclick: () => void doExport("json") }, "Export JSON"), h("span", { class: "grow" }), deleteBox),
    exportStatus,
    h("section", { class: "card limits", id: "limits", "aria-label": "Limits of the method" }, h("h2", {}, "What these figures mean"), h("p", {}, e.limits)),
    h("h2", {}, "Timeline"),
    h("p", { class: "small" }, "Smoothed probabilities of each attitude; gaps: no face. Dashed lines: markers."),
    chartBox,
    h("h2", {}, "Time shares"),
    h("p", { class: "small" }, "Of the time a face was visible."),
    sharesBar(sum.overall.shares, "overall-shares"),
    h("h2", {}, "By segment"),
    h(
      "table",
      { class: "segments", id: "segments" },
      h("thead", {}, h("tr", {}, ["Segment", "From", "To", "Face visible", ...ATTITUDES].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        sum.segments.map((g) =>
          h(
            "tr",
            {},
            h("td", {}, g.marker ?? "(start)"),
            h("td", {}, clock(Number(g.stats.start_ms))),
            h("td", {}, clock(Number(g.stats.end_ms))),
            h("td", { class: "num" }, pct(g.stats.observed_ms > 0 ? g.stats.visible_ms / g.stats.observed_ms : 0)),
            ATTITUDES.map((a) => h("td", { class: "num" }, pct(g.stats.shares[a]))),
          ),
        ),
      ),
    ),
    h("h2", {}, "Change over the session"),
    sum.baseline
      ? h("p", { id: "baseline" }, `Compared with the first ${clock(Number(sum.baseline.window.end_ms) - Number(sum.baseline.window.start_ms))} (the person's own baseline): ` + ATTITUDES.map((a) => `${a} ${signedPp(sum.baseline!.shift[a])}`).join(", ") + ".")
      : h("p", { id: "baseline" }, "Too short for a baseline."),
    h("p", {}, "Last third minus first third: " + ATTITUDES.map((a) => `${a} ${signedPp(sum.trend.change[a])}`).join(", ") + "."),
    h("h2", {}, "Data quality"),
    h(
      "ul",
      { id: "quality" },
      h("li", {}, `${sum.samples} samples, ${sum.face_samples} with a face; a face was visible ${pct(sum.face_visible_share)} of the observed time.`),
      h("li", {}, `Mean confidence ${sum.mean_confidence === null ? "n/a" : pct(sum.mean_confidence)}; low-confidence share ${pct(sum.low_confidence_share)}.`),
      sum.longest_positive ? h("li", {}, `Longest positive stretch ${clock(Number(sum.longest_positive.start_ms))}-${clock(Number(sum.longest_positive.end_ms))}.`) : null,
      sum.longest_negative ? h("li", {}, `Longest negative stretch ${clock(Number(sum.longest_negative.start_ms))}-${clock(Number(sum.longest_negative.end_ms))}.`) : null,
    ),
    h("h2", {}, "Markers and notes"),
    notes,
    h("div", { class: "row" }, noteInput, h("button", {
      id: "add-report-note",
      onclick: async () => {
        const text = noteInput.value.trim();
        if (!text) return;
        try {
          await app.backend.addNote(s.id, null, text);
          notes.append(h("li", {}, `- note: ${text}`));
          noteInput.value = "";
        } catch (err) {
          app.showError(err);
        }
      },
    }, "Add note")),
  );
  const chart = new TimelineChart(chartBox, Math.max(400, app.main.clientWidth - 40), 220, null);
  chart.markers = e.markers;
  chart.set(timelineOf(e.samples));
  app.onLeave(() => chart.destroy());
}
