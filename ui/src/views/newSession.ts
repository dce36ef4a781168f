// The new-session form: kind, candidate details, the notice and the consent step, the source (camera or a recorded
// video). Interviews need the candidate's consent and a policy that allows them; the Start button says why not.
import type { App } from "../app";
import type { ConsentMethod } from "../bindings/ConsentMethod";
import type { SessionKind } from "../bindings/SessionKind";
import type { StartSession } from "../bindings/StartSession";
import { h } from "../dom";
import { openCamera, openVideoFile, type FrameSource } from "../source";
import { startLive } from "./live";

export async function newSessionView(app: App): Promise<void> {
  const info = app.info;
  const allowed = info.settings.policy === "interviews_allowed";
  const engineOk = info.engine !== null;
  const kind = h(
    "select",
    { id: "kind" },
    h("option", { value: "interview", disabled: !allowed, selected: allowed }, "Interview (a candidate, with consent)"),
    h("option", { value: "practice", selected: !allowed }, "Practice (on yourself)"),
  );
  const candidate = h("input", { id: "candidate", maxlength: 200, placeholder: "Reference, e.g. C-2026-014", autocomplete: "off" });
  const role = h("input", { id: "role", maxlength: 200, autocomplete: "off" });
  const interviewer = h("input", { id: "interviewer", maxlength: 200, value: app.prefs.interviewer, autocomplete: "off" });
  const agreed = h("input", { type: "checkbox", id: "consent" });
  const method = h(
    "select",
    { id: "consent-method" },
    (["verbal", "written", "electronic"] as ConsentMethod[]).map((m) => h("option", { value: m }, m)),
  );
  const sourceCamera = h("input", { type: "radio", name: "source", id: "source-camera", value: "camera", checked: true });
  const sourceVideo = h("input", { type: "radio", name: "source", id: "source-video", value: "video" });
  const cameraSelect = h("select", { id: "camera" }, h("option", { value: "" }, "Default camera"));
  const file = h("input", { type: "file", id: "video-file", accept: "video/*" });
  const reason = h("p", { class: "why-not", id: "start-reason", role: "status" });
  const start = h("button", { type: "submit", class: "primary", id: "start" }, "Start analysis");
  const interviewOnly = h(
    "fieldset",
    { class: "interview-only" },
    h("legend", {}, "Candidate"),
    h("label", { for: "candidate" }, "Candidate reference (avoid full names)"),
    candidate,
    h("label", { for: "role" }, "Role"),
    role,
    h("h3", {}, "Notice to the candidate"),
    h("p", { class: "notice", id: "notice" }, info.notice_text),
    h("p", { class: "small" }, `Notice version ${info.notice_version}. Read it to the candidate or share it before starting.`),
    h("label", { class: "check", for: "consent" }, agreed, " The candidate has read the notice and agrees to the analysis"),
    h("label", { for: "consent-method" }, "How consent was given"),
    method,
  );

  const update = () => {
    const isInterview = kind.value === "interview";
    interviewOnly.hidden = !isInterview;
    cameraSelect.disabled = !sourceCamera.checked;
    file.disabled = !sourceVideo.checked;
    let why = "";
    if (!engineOk) why = `Analysis is unavailable: ${info.engine_error?.message ?? ""}`;
    else if (isInterview && !allowed) why = "The policy does not allow analysing interviews here.";
    else if (isInterview && !agreed.checked) why = "Analysis starts only after the candidate has agreed.";
    else if (isInterview && !interviewer.value.trim()) why = "Enter the interviewer's name (recorded with the consent).";
    else if (sourceVideo.checked && !file.files?.length) why = "Choose a video file.";
    reason.textContent = why;
    start.disabled = why !== "";
  };
  for (const el of [kind, agreed, interviewer, sourceCamera, sourceVideo, file]) {
    el.addEventListener("change", update);
    el.addEventListener("input", update);
  }

  const form = h(
    "form",
    { class: "card form", id: "new-session-form" },
    h("label", { for: "kind" }, "Kind of session"),
    kind,
    allowed ? null : h("p", { class: "explain", id: "policy-blocks" }, `Interviews cannot be analysed under the current policy. ${info.policy_explanation}`),
    h("label", { for: "interviewer" }, "Interviewer"),
    interviewer,
    interviewOnly,
    h(
      "fieldset",
      {},
      h("legend", {}, "Source"),
      h("label", { class: "check", for: "source-camera" }, sourceCamera, " Camera"),
      cameraSelect,
      h("label", { class: "check", for: "source-video" }, sourceVideo, " Recorded video"),
      file,
    ),
    reason,
    h("div", { class: "actions" }, start),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    update();
    if (start.disabled) return;
    start.disabled = true;
    const isInterview = kind.value === "interview";
    app.prefs.interviewer = interviewer.value.trim();
    let source: FrameSource | null = null;
    try {
      source = sourceVideo.checked && file.files?.[0] ? await openVideoFile(file.files[0]) : await openCamera(cameraSelect.value || app.prefs.cameraId);
      const form: StartSession = {
        kind: kind.value as SessionKind,
        candidate_ref: isInterview ? candidate.value : null,
        role: isInterview ? role.value : null,
        interviewer: interviewer.value,
        source: source.kind,
        source_name: source.name,
        consent: isInterview ? { method: method.value as ConsentMethod, recorded_by: interviewer.value, candidate_agreed: agreed.checked } : null,
        provider: app.prefs.provider,
        smoothing_ms: app.prefs.smoothingMs,
      };
      await startLive(app, form, source);
    } catch (e) {
      source?.stop();
      app.showError(e);
      start.disabled = false;
    }
  });
  app.main.append(h("h1", {}, "New session"), form);
  update();
  // Camera names need a permission first on some systems; list what is visible now.
  try {
    const devices = await navigator.mediaDevices?.enumerateDevices();
    for (const d of devices ?? []) {
      if (d.kind === "videoinput") cameraSelect.append(h("option", { value: d.deviceId, selected: d.deviceId === app.prefs.cameraId }, d.label || "Camera"));
    }
  } catch {
    /* no camera list: the default camera is used */
  }
}
