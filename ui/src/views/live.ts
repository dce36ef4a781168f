// The live view: preview with the face box, current and smoothed attitude, a rolling timeline, elapsed time, an
// unmistakable "analysing" indicator, pause/resume, markers and notes. Frames are sampled from the <video> through a
// canvas at the chosen rate and sent as raw RGBA; at most one frame is in flight (a busy backend drops, never queues).
import type { FrameFormat } from "../api";
import type { App } from "../app";
import type { LiveUpdate } from "../bindings/LiveUpdate";
import type { StartSession } from "../bindings/StartSession";
import type { Marker } from "../bindings/Marker";
import { COLOURS, emptyTimeline, pushSample, TimelineChart } from "../chart";
import { clear, clock, h, pct } from "../dom";
import type { FrameSource } from "../source";
import { LatencyMeter } from "../latency";

/** Analysed frames are at most this wide (the detector works at 128 px; this keeps transport cheap). */
export const MAX_FRAME_WIDTH = 640;

const STATUS_TEXT: Record<string, string> = {
  ok: "Face found",
  no_face: "No face in view",
  face_too_small: "Face too small or far away",
  low_confidence: "Face found, expression unclear",
};

export async function startLive(app: App, form: StartSession, source: FrameSource): Promise<void> {
  const meter = new LatencyMeter();
  /** The Rust side's share: frame handed to the analyzer -> result. */
  const backendMeter = new LatencyMeter();
  /** Breakdown of the webview's share: canvas capture, and the raw-body IPC call until Rust acknowledges. */
  const captureMeter = new LatencyMeter();
  const pushMeter = new LatencyMeter();
  const latencySummary = () => ({
    ...meter.summary(),
    backend: backendMeter.summary(),
    capture: captureMeter.summary(),
    push: pushMeter.summary(),
    sent: frames.sent,
    skipped_busy: frames.skippedBusy,
    capture_path: frames.path,
  });
  const sentAt = new Map<number, number>();
  const timeline = emptyTimeline();
  const markers: Marker[] = [];
  let paused = false;
  let stopped = false;
  let inFlight = false;
  let lastT = -1;
  const frames = { sent: 0, skippedBusy: 0, path: "" };

  // --- layout
  const indicator = h("div", { class: "analysing on", id: "analysing", role: "status" }, h("span", { class: "dot", "aria-hidden": "true" }), h("span", { class: "label" }, "Analysing"));
  const elapsed = h("span", { class: "elapsed", id: "elapsed" }, "0:00");
  const pauseBtn = h("button", { id: "pause", title: "Pause or resume analysis (P)" }, "Pause");
  const stopBtn = h("button", { id: "stop", class: "danger", title: "Stop and see the summary (S)" }, "Stop");
  const overlay = h("canvas", { class: "overlay", id: "overlay" });
  const smoothed = h("div", { class: "smoothed", id: "smoothed" }, "-");
  const current = h("div", { class: "current", id: "current" }, "-");
  const status = h("div", { class: "face-status", id: "face-status" }, "Waiting for the first frame...");
  const stats = h("div", { class: "small stats", id: "stats" });
  const chartBox = h("div", { class: "chart", id: "live-chart" });
  const markerLabel = h("input", { id: "marker-label", placeholder: "Marker label (optional)", maxlength: 200 });
  const markerBtn = h("button", { id: "add-marker", title: "Add a marker now (M)" }, "Add marker");
  const noteText = h("textarea", { id: "note-text", rows: 2, maxlength: 10000, placeholder: "Note (N to focus)" });
  const noteBtn = h("button", { id: "add-note" }, "Add note");
  const feed = h("ul", { class: "feed", id: "feed", "aria-label": "Markers and notes" });

  const stage = h("div", { class: "stage" }, source.video, overlay);
  clear(
    app.main,
    h("div", { class: "live-top" }, indicator, elapsed, h("span", { class: "grow" }), pauseBtn, stopBtn),
    h(
      "div",
      { class: "live-grid" },
      stage,
      h("section", { class: "card attitude-card", "aria-label": "Current attitude" }, h("div", { class: "small" }, "Smoothed"), smoothed, h("div", { class: "small" }, "This frame"), current, status, stats),
    ),
    chartBox,
    h(
      "div",
      { class: "live-notes" },
      h("div", { class: "row" }, markerLabel, markerBtn),
      h("div", { class: "row" }, noteText, noteBtn),
      feed,
      h("p", { class: "small" }, "Shortcuts: P pause/resume, M marker, N note, S stop."),
    ),
  );
  app.main.dataset.view = "live";
  const chart = new TimelineChart(chartBox, Math.max(400, app.main.clientWidth - 40), 180, 120);

  // --- updates from the backend
  let chartDirty = false;
  const onUpdate = (u: LiveUpdate) => {
    if (stopped) return;
    const sent = sentAt.get(u.t_ms);
    sentAt.delete(u.t_ms);
    if (u.error && !u.sample) {
      status.textContent = `Frame skipped: ${u.error}`;
    }
    const s = u.sample;
    if (s) {
      pushSample(timeline, s);
      chartDirty = true;
      const lab = s.smoothed_label ?? s.label;
      smoothed.textContent = lab ?? "-";
      smoothed.className = `smoothed ${lab ?? "none"}`;
      current.textContent = s.label && s.attitude ? `${s.label} (${pct(Math.max(...s.attitude))})` : "-";
      status.textContent = STATUS_TEXT[s.status] ?? s.status;
      status.dataset.status = s.status;
      drawFaces(u);
    }
    stats.textContent =
      `analysed ${u.stats.analysed}, dropped ${u.stats.dropped + frames.skippedBusy}, errors ${u.stats.errors}, saved ${u.committed}` +
      (meter.count() ? `, latency p50 ${meter.p(50).toFixed(0)} ms` : "");
    app.main.dataset.samples = String(u.stats.analysed);
    if (sent !== undefined) requestAnimationFrame(() => meter.add(performance.now() - sent));
    if (s) backendMeter.add(u.latency_ms);
  };

  let scale = 1;
  const drawFaces = (u: LiveUpdate) => {
    const v = source.video;
    overlay.width = v.clientWidth;
    overlay.height = v.clientHeight;
    const ctx = overlay.getContext("2d");
    if (!ctx || !v.videoWidth || !v.videoHeight) return;
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    // the video is shown with object-fit: contain: find its displayed rectangle, then map analysed-frame pixels
    const fit = Math.min(overlay.width / v.videoWidth, overlay.height / v.videoHeight);
    const dx = (overlay.width - v.videoWidth * fit) / 2;
    const dy = (overlay.height - v.videoHeight * fit) / 2;
    const k = fit / scale;
    const primary = u.sample?.face?.box;
    for (const [x1, y1, x2, y2] of u.faces) {
      const isPrimary = primary && Math.abs(primary.x1 - x1) < 0.5 && Math.abs(primary.y1 - y1) < 0.5;
      const lab = u.sample?.smoothed_label ?? u.sample?.label;
      ctx.strokeStyle = isPrimary && lab ? COLOURS[lab] : "#bbb";
      ctx.lineWidth = isPrimary ? 3 : 1.5;
      ctx.strokeRect(dx + x1 * k, dy + y1 * k, (x2 - x1) * k, (y2 - y1) * k);
    }
  };

  const started = await app.backend.startSession(form, onUpdate);
  app.liveLock = true;
  app.main.dataset.session = String(started.session_id);
  if (started.provider.fallback_reason) {
    app.showError({ code: "provider_fallback", message: `Running on ${started.provider.active}: ${started.provider.fallback_reason}` });
  }
  await source.play();

  // --- frame loop
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  /**
   * The frame's pixels, at most MAX_FRAME_WIDTH wide. WebCodecs' VideoFrame.copyTo (asynchronous, 1-2 ms, off the
   * main thread's drawing path) when the video is small enough: RGBA frames (a camera) as they are, I420 frames (a
   * decoded file) as planes that Rust converts. Anything else, or a larger video, goes through a canvas.
   */
  const capture = async (v: HTMLVideoElement, k: number): Promise<{ pixels: Uint8Array; w: number; h: number; format?: FrameFormat }> => {
    const VF = (window as unknown as { VideoFrame?: typeof VideoFrame }).VideoFrame;
    if (VF && k === 1) {
      const frame = new VF(v);
      try {
        const w = frame.visibleRect?.width ?? frame.displayWidth;
        const h = frame.visibleRect?.height ?? frame.displayHeight;
        const packed = frame.codedWidth === w && frame.codedHeight === h;
        if (packed && (frame.format === "RGBA" || frame.format === "RGBX") && frame.allocationSize() === w * h * 4) {
          const pixels = new Uint8Array(w * h * 4);
          await frame.copyTo(pixels);
          frames.path = "videoframe-rgba";
          return { pixels, w, h };
        }
        const cw = Math.ceil(w / 2);
        const ch = Math.ceil(h / 2);
        if (packed && frame.format === "I420" && frame.allocationSize() === w * h + 2 * cw * ch) {
          const pixels = new Uint8Array(w * h + 2 * cw * ch);
          // ask for tightly packed planes explicitly
          const layout = [{ offset: 0, stride: w }, { offset: w * h, stride: cw }, { offset: w * h + cw * ch, stride: cw }];
          await frame.copyTo(pixels, { layout } as VideoFrameCopyToOptions);
          const cs = frame.colorSpace;
          const matrix = cs?.matrix === "bt709" ? "bt709" : "bt601";
          frames.path = "videoframe-i420";
          return { pixels, w, h, format: { kind: "i420", matrix, fullRange: cs?.fullRange === true } };
        }
      } finally {
        frame.close();
      }
    }
    const w = Math.round(v.videoWidth * k);
    const h = Math.round(v.videoHeight * k);
    if (!ctx) throw { code: "capture", message: "no 2D canvas in this webview" };
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    ctx.drawImage(v, 0, 0, w, h);
    const data = ctx.getImageData(0, 0, w, h).data;
    frames.path = "canvas";
    return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), w, h };
  };
  const interval = 1000 / app.prefs.sampleRate;
  let timer = 0;
  const tick = () => {
    if (stopped) return;
    timer = window.setTimeout(tick, interval);
    const v = source.video;
    if (paused) return;
    if (source.ended()) {
      void stop();
      return;
    }
    if (v.readyState < 2 || !v.videoWidth) return;
    if (inFlight) {
      frames.skippedBusy++;
      return;
    }
    const t = Math.round(source.timeMs());
    if (t === lastT) return;
    lastT = t;
    scale = Math.min(1, MAX_FRAME_WIDTH / v.videoWidth);
    const c0 = performance.now();
    inFlight = true;
    sentAt.set(t, c0);
    frames.sent++;
    void capture(v, scale)
      .then(({ pixels, w, h: hgt, format }) => {
        const c1 = performance.now();
        captureMeter.add(c1 - c0);
        return app.backend.pushFrame(t, w, hgt, pixels, format).then(() => pushMeter.add(performance.now() - c1));
      })
      .catch((e) => app.showError(e))
      .finally(() => {
        inFlight = false;
      });
  };
  timer = window.setTimeout(tick, 0);

  const clockTimer = window.setInterval(() => {
    elapsed.textContent = clock(source.timeMs());
    if (chartDirty) {
      chart.markers = markers;
      chart.set(timeline);
      chartDirty = false;
    }
  }, 250);

  // --- controls
  const setPaused = async (p: boolean) => {
    paused = p;
    await app.backend.setPaused(p);
    if (p) source.pause();
    else await source.play();
    pauseBtn.textContent = p ? "Resume" : "Pause";
    indicator.classList.toggle("on", !p);
    indicator.querySelector(".label")!.textContent = p ? "Paused: not analysing" : "Analysing";
  };
  const addMarker = async () => {
    const t = source.timeMs();
    const label = markerLabel.value.trim() || `Marker ${markers.length + 1}`;
    await app.backend.addMarker(t, label);
    markers.push({ t_ms: Math.round(t), label });
    markerLabel.value = "";
    feed.append(h("li", {}, `${clock(t)} marker: ${label}`));
    chartDirty = true;
  };
  const addNote = async () => {
    const text = noteText.value.trim();
    if (!text) return;
    const t = source.timeMs();
    await app.backend.addNote(null, t, text);
    noteText.value = "";
    feed.append(h("li", {}, `${clock(t)} note: ${text}`));
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    window.clearTimeout(timer);
    window.clearInterval(clockTimer);
    document.removeEventListener("keydown", onKey);
    source.stop();
    indicator.classList.remove("on");
    indicator.querySelector(".label")!.textContent = "Stopped";
    stopBtn.disabled = pauseBtn.disabled = true;
    (window as unknown as { __mienLatency?: unknown }).__mienLatency = latencySummary();
    try {
      const report = await app.backend.stopSession();
      app.liveLock = false;
      chart.destroy();
      await app.go({ name: "report", id: started.session_id, export: report });
    } catch (e) {
      app.liveLock = false;
      app.showError(e);
    }
  };
  const guard = (fn: () => Promise<void>) => () => void fn().catch((e) => app.showError(e));
  pauseBtn.addEventListener("click", guard(() => setPaused(!paused)));
  stopBtn.addEventListener("click", guard(stop));
  markerBtn.addEventListener("click", guard(addMarker));
  noteBtn.addEventListener("click", guard(addNote));
  const onKey = (ev: KeyboardEvent) => {
    const typing = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement;
    if (typing || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const k = ev.key.toLowerCase();
    if (k === "p") guard(() => setPaused(!paused))();
    else if (k === "m") guard(addMarker)();
    else if (k === "n") {
      ev.preventDefault();
      noteText.focus();
    } else if (k === "s") guard(stop)();
    else return;
    ev.preventDefault();
  };
  document.addEventListener("keydown", onKey);
  app.onLeave(() => {
    if (!stopped) void stop();
  });
  // for the end-to-end test: the figures while live, and (__mienLatency) the last ones after stopping
  (window as unknown as { __mienLive?: unknown }).__mienLive = { summary: latencySummary, stop };
}
