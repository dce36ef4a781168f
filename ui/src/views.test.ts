// Component tests of the views against a fake backend (src/testing.ts): what the user sees and which commands run.
import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("./chart", () => ({
  COLOURS: { negative: "#c00", neutral: "#888", positive: "#0a0" },
  timelineOf: () => ({ t: [], negative: [], neutral: [], positive: [] }),
  emptyTimeline: () => ({ t: [], negative: [], neutral: [], positive: [] }),
  pushSample: () => {},
  TimelineChart: class {
    markers = [];
    set() {}
    destroy() {}
  },
}));

import { App } from "./app";
import { FakeBackend, fakeInfo, fakeSession } from "./testing";
import { homeView, sessionsView } from "./views/home";
import { newSessionView } from "./views/newSession";
import { setupView } from "./views/policy";
import { reportView } from "./views/report";
import { settingsView } from "./views/settings";

const flush = () => new Promise((r) => setTimeout(r, 0));

async function makeApp(backend: FakeBackend): Promise<App> {
  document.body.innerHTML = '<div id="app"></div>';
  const app = new App(document.getElementById("app")!, backend, {
    setup: setupView, home: homeView, new: newSessionView, live: () => {}, sessions: sessionsView, report: reportView, settings: settingsView,
  });
  await app.start();
  await flush();
  return app;
}

const q = <T extends Element = HTMLElement>(sel: string) => document.querySelector(sel) as T;

function set(el: HTMLInputElement | HTMLSelectElement, value: string | boolean) {
  if (typeof value === "boolean") (el as HTMLInputElement).checked = value;
  else el.value = value;
  el.dispatchEvent(new Event("change"));
  el.dispatchEvent(new Event("input"));
}

beforeEach(() => localStorage.clear());

describe("first run", () => {
  it("asks for a jurisdiction, explains it, saves it and goes home", async () => {
    const b = new FakeBackend(fakeInfo({ first_run: true, settings: { jurisdiction: "unset", policy: "practice_only", retention_days: 30 } }));
    await makeApp(b);
    expect(q("main").dataset.view).toBe("setup");
    set(q("#jurisdiction"), "eu_eea");
    expect(q("#policy-explain").textContent).toMatch(/Practice only.*Prohibited in the EU/);
    set(q("#retention"), "45");
    q<HTMLFormElement>("#policy-form").requestSubmit();
    await flush();
    await flush();
    expect(b.called("savePolicy")[0].args).toEqual(["eu_eea", 45]);
    expect(q("main").dataset.view).toBe("home");
  });
});

describe("new session", () => {
  it("cannot start an interview without consent and the interviewer's name", async () => {
    const app = await makeApp(new FakeBackend());
    await app.go({ name: "new" });
    const start = q<HTMLButtonElement>("#start");
    expect(q<HTMLSelectElement>("#kind").value).toBe("interview");
    expect(start.disabled).toBe(true);
    expect(q("#start-reason").textContent).toMatch(/agreed/);
    set(q("#consent"), true);
    expect(start.disabled).toBe(true);
    expect(q("#start-reason").textContent).toMatch(/interviewer/);
    set(q("#interviewer"), "Ann");
    expect(start.disabled).toBe(false);
    expect(q("#notice").textContent).toBe("Notice text.");
    set(q("#consent"), false);
    expect(start.disabled).toBe(true);
  });

  it("offers practice only under a prohibiting policy", async () => {
    const app = await makeApp(new FakeBackend(fakeInfo({ settings: { jurisdiction: "eu_eea", policy: "practice_only", retention_days: 30 } })));
    await app.go({ name: "new" });
    expect(q<HTMLOptionElement>('#kind option[value="interview"]').disabled).toBe(true);
    expect(q<HTMLSelectElement>("#kind").value).toBe("practice");
    expect(q("#policy-blocks").textContent).toMatch(/cannot be analysed/);
    expect(q<HTMLFieldSetElement>(".interview-only").hidden).toBe(true);
  });

  it("says why when analysis is unavailable", async () => {
    const app = await makeApp(new FakeBackend(fakeInfo({ engine: null, engine_error: { code: "runtime_missing", message: "ONNX Runtime not found" } })));
    expect(q("#engine-status").textContent).toMatch(/unavailable: ONNX Runtime not found/);
    await app.go({ name: "new" });
    expect(q<HTMLButtonElement>("#start").disabled).toBe(true);
    expect(q("#start-reason").textContent).toMatch(/ONNX Runtime not found/);
  });
});

describe("sessions and reports", () => {
  it("lists and searches sessions", async () => {
    const b = new FakeBackend();
    b.sessions = [fakeSession(1), fakeSession(2, { candidate_ref: "Z-9" })];
    const app = await makeApp(b);
    await app.go({ name: "sessions" });
    expect(document.querySelectorAll("#session-results tbody tr").length).toBe(2);
    set(q("#search"), "Z-9");
    await new Promise((r) => setTimeout(r, 250));
    expect(b.called("listSessions").at(-1)?.args).toEqual(["Z-9"]);
    expect(document.querySelectorAll("#session-results tbody tr").length).toBe(1);
  });

  it("shows the report with its limits, exports, and deletes only after confirmation", async () => {
    const b = new FakeBackend();
    b.sessions = [fakeSession(7)];
    const app = await makeApp(b);
    await app.go({ name: "report", id: 7 });
    expect(q("h1").textContent).toContain("Session 7");
    expect(q("#limits").textContent).toContain("not emotions");
    expect(document.querySelectorAll("#overall-shares .share-row").length).toBe(3);
    q<HTMLButtonElement>("#export-csv").click();
    await flush();
    expect(b.called("exportSession")[0].args).toEqual([7, "csv"]);
    expect(q("#export-status").textContent).toMatch(/Saved CSV to \/tmp\/s7.csv/);
    q<HTMLButtonElement>("#delete").click();
    expect(b.called("deleteSession")).toHaveLength(0);
    q<HTMLButtonElement>("#confirm-delete").click();
    await flush();
    await flush();
    expect(b.called("deleteSession")[0].args).toEqual([7]);
    expect(q("main").dataset.view).toBe("sessions");
  });

  it("shows backend errors as code and message", async () => {
    const app = await makeApp(new FakeBackend());
    await app.go({ name: "report", id: 99 });
    expect(q(".banner").hidden).toBe(false);
    expect(q(".banner").dataset.code).toBe("no_such_session");
  });
});

describe("settings", () => {
  it("shows the active execution provider and the fallback reason, and keeps preferences", async () => {
    const info = fakeInfo();
    info.engine!.available_providers = ["cpu", "cuda"];
    info.engine!.provider = { requested: "cuda", active: "cpu", fallback_reason: "libcuda.so.1 not found" };
    const app = await makeApp(new FakeBackend(info));
    await app.go({ name: "settings" });
    expect(q("#provider-status").textContent).toMatch(/Active: CPU \(requested CUDA\).*libcuda.so.1 not found/);
    set(q("#pref-rate"), "12");
    set(q("#pref-provider"), "cuda");
    q<HTMLFormElement>("#prefs-form").requestSubmit();
    expect(app.prefs.sampleRate).toBe(12);
    expect(app.prefs.provider).toBe("cuda");
    expect(JSON.parse(localStorage.getItem("mien.prefs.v1")!).provider).toBe("cuda");
  });
});
