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

/** How the pixels of a frame are laid out (see `frame_layout` in src-tauri/src/lib.rs). */
export type FrameFormat = { kind: "rgba" } | { kind: "i420"; matrix: "bt601" | "bt709"; fullRange: boolean };

export interface Backend {
  appInfo(): Promise<AppInfo>;
  savePolicy(jurisdiction: Jurisdiction, retentionDays: number): Promise<Settings>;
  listSessions(search: string | null): Promise<SessionInfo[]>;
  startSession(form: StartSession, onUpdate: (u: LiveUpdate) => void): Promise<SessionStarted>;
  /** Pixels as the raw IPC body (never a JSON array): RGBA, or I420 planes when `format` says so. */
  pushFrame(tMs: number, width: number, height: number, pixels: Uint8Array, format?: FrameFormat): Promise<FrameAck>;
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
  pushFrame: (tMs, width, height, pixels, format = { kind: "rgba" }) => {
    const headers: Record<string, string> = {
      "x-frame-width": String(width),
      "x-frame-height": String(height),
      "x-frame-t": String(Math.round(tMs)),
      "x-frame-format": format.kind,
    };
    if (format.kind === "i420") {
      headers["x-frame-matrix"] = format.matrix;
      headers["x-frame-range"] = format.fullRange ? "full" : "limited";
    }
    return invoke("push_frame", pixels, { headers });
  },
  setPaused: (paused) => invoke("set_paused", { paused }),
  addMarker: (tMs, label) => invoke("add_marker", { tMs: Math.round(tMs), label }),
  addNote: (sessionId, tMs, text) =>
    invoke("add_note", { sessionId, tMs: tMs === null ? null : Math.round(tMs), text }),
  stopSession: () => invoke("stop_session"),
  getReport: (id) => invoke("get_report", { id }),
  exportSession: (id, format) => invoke("export_session", { id, format }),
  deleteSession: (id) => invoke("delete_session", { id }),
};
