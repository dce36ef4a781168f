// The backend as the UI sees it: one typed function per Tauri command. Views receive a `Backend`, so component
// tests run them against a fake (src/testing.ts) and the app against Tauri (tauriBackend).
import { Channel, invoke } from "@tauri-apps/api/core";
import type { AppError } from "./bindings/AppError";
import type { AppInfo } from "./bindings/AppInfo";
import type { ExportFormat } from "./bindings/ExportFormat";
import type { Exported } from "./bindings/Exported";
import type { FrameAck } from "./bindings/FrameAck";
import type { Jurisdiction } from "./bindings/Jurisdiction";
import type { LiveUpdate } from "./bindings/LiveUpdate";
import type { SessionExport } from "./bindings/SessionExport";
import type { SessionInfo } from "./bindings/SessionInfo";
import type { SessionStarted } from "./bindings/SessionStarted";
import type { Settings } from "./bindings/Settings";
import type { StartSession } from "./bindings/StartSession";

export interface Backend {
  appInfo(): Promise<AppInfo>;
  savePolicy(jurisdiction: Jurisdiction, retentionDays: number): Promise<Settings>;
  listSessions(search: string | null): Promise<SessionInfo[]>;
  startSession(form: StartSession, onUpdate: (u: LiveUpdate) => void): Promise<SessionStarted>;
  /** RGBA pixels as the raw IPC body (never a JSON array). */
  pushFrame(tMs: number, width: number, height: number, rgba: Uint8Array): Promise<FrameAck>;
  setPaused(paused: boolean): Promise<void>;
  addMarker(tMs: number, label: string): Promise<void>;
  addNote(sessionId: number | null, tMs: number | null, text: string): Promise<void>;
  stopSession(): Promise<SessionExport>;
  getReport(id: number): Promise<SessionExport>;
  exportSession(id: number, format: ExportFormat): Promise<Exported>;
  deleteSession(id: number): Promise<void>;
}

/** Every failure the backend reports is `{code, message}`; anything else is wrapped into one. */
export function asAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && "message" in e) return e as AppError;
  return { code: "internal", message: String(e) };
}

export const tauriBackend: Backend = {
  appInfo: () => invoke("app_info"),
  savePolicy: (jurisdiction, retentionDays) => invoke("save_policy", { jurisdiction, retentionDays }),
  listSessions: (search) => invoke("list_sessions", { search }),
  startSession: (form, onUpdate) => {
    const channel = new Channel<LiveUpdate>();
    channel.onmessage = onUpdate;
    return invoke("start_session", { form, onUpdate: channel });
  },
  pushFrame: (tMs, width, height, rgba) =>
    invoke("push_frame", rgba, {
      headers: { "x-frame-width": String(width), "x-frame-height": String(height), "x-frame-t": String(Math.round(tMs)) },
    }),
  setPaused: (paused) => invoke("set_paused", { paused }),
  addMarker: (tMs, label) => invoke("add_marker", { tMs: Math.round(tMs), label }),
  addNote: (sessionId, tMs, text) =>
    invoke("add_note", { sessionId, tMs: tMs === null ? null : Math.round(tMs), text }),
  stopSession: () => invoke("stop_session"),
  getReport: (id) => invoke("get_report", { id }),
  exportSession: (id, format) => invoke("export_session", { id, format }),
  deleteSession: (id) => invoke("delete_session", { id }),
};
