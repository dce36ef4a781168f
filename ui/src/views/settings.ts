// Settings: camera, sampling rate, smoothing, execution provider (with the active one and any fallback reason),
// retention and policy.
import type { App } from "../app";
import type { ExecutionProviderKind } from "../bindings/ExecutionProviderKind";
import { h } from "../dom";
import { savePrefs } from "../prefs";
import { policyForm } from "./policy";

export async function settingsView(app: App): Promise<void> {
  const p = app.prefs;
  const engine = app.info.engine;
  const camera = h("select", { id: "pref-camera" }, h("option", { value: "" }, "Default camera"));
  const rate = h("input", { id: "pref-rate", type: "number", min: 1, max: 15, value: String(p.sampleRate) });
  const smoothing = h("input", { id: "pref-smoothing", type: "number", min: 0, max: 10000, step: 100, value: String(p.smoothingMs) });
  const providers = engine?.available_providers ?? ["cpu"];
  const provider = h("select", { id: "pref-provider" }, providers.map((k) => h("option", { value: k, selected: k === p.provider }, k.toUpperCase())));
  const saved = h("p", { class: "small", role: "status", id: "prefs-saved" });
  const form = h(
    "form",
    { class: "card form", id: "prefs-form" },
    h("label", { for: "pref-camera" }, "Camera"),
    camera,
    h("label", { for: "pref-rate" }, "Frames analysed per second (1-15)"),
    rate,
    h("label", { for: "pref-smoothing" }, "Smoothing time constant in ms (0 = none; 1000 = calm)"),
    smoothing,
    h("label", { for: "pref-provider" }, "Execution provider"),
    provider,
    h(
      "p",
      { class: "small", id: "provider-status" },
      engine
        ? `Active: ${engine.provider.active.toUpperCase()} (requested ${engine.provider.requested.toUpperCase()})${engine.provider.fallback_reason ? `. Fallback: ${engine.provider.fallback_reason}` : ""}. ONNX Runtime ${engine.runtime_version} from ${engine.runtime_path}.`
        : `Analysis unavailable: ${app.info.engine_error?.message ?? ""}`,
    ),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "save-prefs" }, "Save")),
    saved,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    app.prefs = {
      ...p,
      cameraId: camera.value || null,
      sampleRate: Math.min(15, Math.max(1, Number(rate.value) || 10)),
      smoothingMs: Math.min(10000, Math.max(0, Number(smoothing.value) || 0)),
      provider: provider.value as ExecutionProviderKind,
    };
    savePrefs(app.prefs);
    saved.textContent = "Saved. Applies to the next session.";
  });
  app.main.append(
    h("h1", {}, "Settings"),
    h("h2", {}, "Analysis"),
    form,
    h("h2", {}, "Policy and retention"),
    policyForm(app, "Save policy", () => {
      saved.textContent = "Policy saved.";
    }),
  );
  try {
    for (const d of (await navigator.mediaDevices?.enumerateDevices()) ?? []) {
      if (d.kind === "videoinput") camera.append(h("option", { value: d.deviceId, selected: d.deviceId === p.cameraId }, d.label || "Camera"));
    }
  } catch {
    /* no camera list */
  }
}
