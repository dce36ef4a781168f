// A fake backend for component tests: in-memory sessions, the same refusals as the real one (consent, policy),
// and a call log. It is a test double of the IPC layer only; the Rust side has its own tests.
import type { Backend } from "./api";
import type { AppInfo } from "./bindings/AppInfo";
import type { LiveUpdate } from "./bindings/LiveUpdate";
import type { SessionExport } from "./bindings/SessionExport";
import type { SessionInfo } from "./bindings/SessionInfo";
import type { Summary } from "./bindings/Summary";

const range = { start_ms: 0, end_ms: 0, observed_ms: 0, visible_ms: 0, shares: { negative: 0, neutral: 0, positive: 0 } };

export function emptySummary(): Summary {
  return {
    samples: 0, face_samples: 0, duration_ms: 0, overall: range, face_visible_share: 0, longest_positive: null,
    longest_negative: null, segments: [], trend: { first_third: range, last_third: range, change: range.shares },
    mean_confidence: null, low_confidence_share: 0, baseline: null,
  };
}

export function fakeInfo(over: Partial<AppInfo> = {}): AppInfo {
  return {
    version: "0.1.0", first_run: false,
    settings: { jurisdiction: "uk", policy: "interviews_allowed", retention_days: 90 },
    policy_explanation: "Interviews may be analysed with consent.",
    engine: { runtime_version: "1.32.0", runtime_path: "/x/libonnxruntime.so", available_providers: ["cpu"], provider: { requested: "cpu", active: "cpu", fallback_reason: null }, model: "mien" },
    engine_error: null, mock_camera: true, notice_text: "Notice text.", notice_version: "v1",
    jurisdictions: [
      { id: "unset", interviews_allowed: false, explanation: "Not chosen." },
      { id: "eu_eea", interviews_allowed: false, explanation: "Prohibited in the EU." },
      { id: "uk", interviews_allowed: true, explanation: "Allowed with consent." },
    ],
    ...over,
  };
}

export class FakeBackend implements Backend {
  calls: { name: string; args: unknown[] }[] = [];
  sessions: SessionInfo[] = [];
  onUpdate: ((u: LiveUpdate) => void) | null = null;
  constructor(public info: AppInfo = fakeInfo()) {}

  private log(name: string, ...args: unknown[]) {
    this.calls.push({ name, args });
  }
  called(name: string) {
    return this.calls.filter((c) => c.name === name);
  }
  async appInfo() { this.log("appInfo"); return this.info; }
  async savePolicy(jurisdiction: AppInfo["settings"]["jurisdiction"], retentionDays: number) {
    this.log("savePolicy", jurisdiction, retentionDays);
    const j = this.info.jurisdictions.find((x) => x.id === jurisdiction);
    this.info.settings = { jurisdiction, retention_days: retentionDays, policy: j?.interviews_allowed ? "interviews_allowed" : "practice_only" };
    this.info.first_run = jurisdiction === "unset";
    return this.info.settings;
  }
  async listSessions(search: string | null) {
    this.log("listSessions", search);
    return this.sessions.filter((s) => !search || (s.candidate_ref ?? "").includes(search));
  }
  async startSession(form: Parameters<Backend["startSession"]>[0], onUpdate: (u: LiveUpdate) => void) {
    this.log("startSession", form);
    if (form.kind === "interview" && this.info.settings.policy !== "interviews_allowed") throw { code: "policy_prohibits", message: "prohibited" };
    if (form.kind === "interview" && !form.consent?.candidate_agreed) throw { code: "consent_required", message: "consent" };
    this.onUpdate = onUpdate;
    return { session_id: 1, provider: { requested: "cpu" as const, active: "cpu" as const, fallback_reason: null }, model: "mien" };
  }
  async pushFrame(tMs: number, width: number, height: number, pixels: Uint8Array) { this.log("pushFrame", tMs, width, height, pixels.byteLength); return { accepted: true }; }
  async setPaused(paused: boolean) { this.log("setPaused", paused); }
  async addMarker(tMs: number, label: string) { this.log("addMarker", tMs, label); }
  async addNote(id: number | null, tMs: number | null, text: string) { this.log("addNote", id, tMs, text); }
  async stopSession(): Promise<SessionExport> { this.log("stopSession"); return this.getReport(1); }
  async getReport(id: number): Promise<SessionExport> {
    this.log("getReport", id);
    const session = this.sessions.find((s) => s.id === id);
    if (!session) throw { code: "no_such_session", message: `no session ${id}` };
    return { format: "view", exported_at: "2026-12-04T10:00:00Z", session, markers: [], notes: [], summary: emptySummary(), samples: [], limits: "Figures only; not emotions." };
  }
  async exportSession(id: number, format: "json" | "csv" | "pdf") { this.log("exportSession", id, format); return { path: `/tmp/s${id}.${format}`, bytes: 10 }; }
  async deleteSession(id: number) { this.log("deleteSession", id); this.sessions = this.sessions.filter((s) => s.id !== id); }
}

export function fakeSession(id: number, over: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id, kind: "interview", candidate_ref: `C-${id}`, role: "Engineer", interviewer: "Ann", source: "camera", source_name: "Camera",
    started_at: "2026-12-04T09:00:00Z", ended_at: "2026-12-04T09:30:00Z", status: "finished", model: "mien", provider: "cpu",
    consent: null, sample_count: 100, ...over,
  };
}
