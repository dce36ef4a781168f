// Timeline charts (uPlot): smoothed attitude probabilities over time, gaps where no face was seen, markers as
// vertical lines. The live view appends points and shows a rolling window; the report shows the whole session.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Marker } from "./bindings/Marker";
import type { Sample } from "./bindings/Sample";

export const COLOURS = { negative: "#c2544a", neutral: "#8c949e", positive: "#26857f" } as const;

export interface Timeline {
  t: number[];
  negative: (number | null)[];
  neutral: (number | null)[];
  positive: (number | null)[];
}

export function emptyTimeline(): Timeline {
  return { t: [], negative: [], neutral: [], positive: [] };
}

/** Append one sample (seconds on the x axis; `null` = no face, drawn as a gap). */
export function pushSample(tl: Timeline, s: Sample): void {
  const p = s.smoothed ?? s.attitude;
  tl.t.push(s.t_ms / 1000);
  tl.negative.push(p ? p[0] : null);
  tl.neutral.push(p ? p[1] : null);
  tl.positive.push(p ? p[2] : null);
}

export function timelineOf(samples: Sample[]): Timeline {
  const tl = emptyTimeline();
  for (const s of samples) pushSample(tl, s);
  return tl;
}

const fmtClock = (sec: number): string => {
  const s = Math.max(0, Math.round(sec));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};

export class TimelineChart {
  readonly plot: uPlot;
  markers: Marker[] = [];

  constructor(target: HTMLElement, width: number, height: number, private readonly windowSec: number | null) {
    const series = (label: keyof typeof COLOURS): uPlot.Series => ({
      label,
      stroke: COLOURS[label],
      width: 2,
      spanGaps: false,
      value: (_u, v) => (v == null ? "-" : `${Math.round(v * 100)} %`),
    });
    const opts: uPlot.Options = {
      width,
      height,
      scales: { x: { time: false }, y: { range: [0, 1] } },
      axes: [
        // whole seconds at least, so labels never repeat
        { values: (_u, ticks) => ticks.map(fmtClock), stroke: "#555", incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600] },
        { values: (_u, ticks) => ticks.map((v) => `${Math.round(v * 100)}%`), stroke: "#555", size: 54 },
      ],
      series: [{ label: "time", value: (_u, v) => (v == null ? "-" : fmtClock(v)) }, series("negative"), series("neutral"), series("positive")],
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      hooks: { draw: [(u) => this.drawMarkers(u)] },
    };
    this.plot = new uPlot(opts, [[], [], [], []], target);
  }

  private drawMarkers(u: uPlot): void {
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = "#333";
    ctx.fillStyle = "#333";
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 3]);
    ctx.font = `${11 * devicePixelRatio}px sans-serif`;
    for (const m of this.markers) {
      const x = u.valToPos(m.t_ms / 1000, "x", true);
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillText(m.label.slice(0, 24), x + 3, u.bbox.top + 12 * devicePixelRatio);
    }
    ctx.restore();
  }

  set(tl: Timeline): void {
    const data: uPlot.AlignedData = [tl.t, tl.negative, tl.neutral, tl.positive];
    this.plot.setData(data, false);
    const last = tl.t.length ? tl.t[tl.t.length - 1] : 0;
    const first = tl.t.length ? tl.t[0] : 0;
    if (this.windowSec !== null) {
      const max = Math.max(last, this.windowSec);
      this.plot.setScale("x", { min: max - this.windowSec, max });
    } else {
      this.plot.setScale("x", { min: Math.min(first, 0), max: Math.max(last, 1) });
    }
  }

  resize(width: number, height: number): void {
    this.plot.setSize({ width, height });
  }

  destroy(): void {
    this.plot.destroy();
  }
}
