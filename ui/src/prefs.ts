// User preferences kept in the webview's local storage (nothing personal: device and analysis settings).
import type { ExecutionProviderKind } from "./bindings/ExecutionProviderKind";

export interface Prefs {
  cameraId: string | null;
  /** Frames per second sent for analysis. */
  sampleRate: number;
  /** Smoothing time constant in milliseconds (0 = none). */
  smoothingMs: number;
  provider: ExecutionProviderKind;
  interviewer: string;
}

const KEY = "mien.prefs.v1";
export const DEFAULT_PREFS: Prefs = { cameraId: null, sampleRate: 10, smoothingMs: 1000, provider: "cpu", interviewer: "" };

export function loadPrefs(storage: Storage = localStorage): Prefs {
  try {
    const raw = storage.getItem(KEY);
    const p = raw ? (JSON.parse(raw) as Partial<Prefs>) : {};
    const merged = { ...DEFAULT_PREFS, ...p };
    merged.sampleRate = Math.min(15, Math.max(1, Number(merged.sampleRate) || DEFAULT_PREFS.sampleRate));
    merged.smoothingMs = Math.min(10000, Math.max(0, Number(merged.smoothingMs) || 0));
    return merged;
  } catch {
    return { ...DEFAULT_PREFS };
  }
}

export function savePrefs(p: Prefs, storage: Storage = localStorage): void {
  storage.setItem(KEY, JSON.stringify(p));
}
