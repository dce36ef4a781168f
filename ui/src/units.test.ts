import { describe, expect, it } from "vitest";
import { clock, pct, signedPp } from "./dom";
import { LatencyMeter } from "./latency";
import { DEFAULT_PREFS, loadPrefs } from "./prefs";

describe("helpers", () => {
  it("formats clocks and shares", () => {
    expect(clock(0)).toBe("0:00");
    expect(clock(61_500)).toBe("1:01");
    expect(clock(3_723_000)).toBe("1:02:03");
    expect(pct(0.456)).toBe("46 %");
    expect(signedPp(-0.05)).toBe("-5 pp");
    expect(signedPp(0.1)).toBe("+10 pp");
  });

  it("computes nearest-rank percentiles", () => {
    const m = new LatencyMeter();
    expect(m.p(50)).toBe(0);
    for (let i = 1; i <= 100; i++) m.add(i);
    m.add(Number.NaN);
    expect(m.count()).toBe(100);
    expect(m.p(50)).toBe(50);
    expect(m.p(95)).toBe(95);
    expect(m.summary().max).toBe(100);
  });

  it("loads preferences defensively", () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => store.set(k, v) } as unknown as Storage;
    expect(loadPrefs(storage)).toEqual(DEFAULT_PREFS);
    store.set("mien.prefs.v1", "{not json");
    expect(loadPrefs(storage)).toEqual(DEFAULT_PREFS);
    store.set("mien.prefs.v1", JSON.stringify({ sampleRate: 99, smoothingMs: -5 }));
    expect(loadPrefs(storage)).toMatchObject({ sampleRate: 15, smoothingMs: 0 });
  });
});
