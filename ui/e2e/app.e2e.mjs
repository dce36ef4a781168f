// End-to-end tests of the real app (release-like debug build, real webview, real models and database) through
// tauri-driver + WebKitWebDriver. Run by ui/e2e/run.sh under Xvfb; see README.md.
//   (a) consent + mock camera: samples recorded (no face), stop, report opens
//   (b) a recorded video with faces: samples with attitudes, report with charts
//   (c) export: valid JSON, CSV and PDF files
//   (d) no analysis without consent, none at all for interviews under a prohibiting policy
// Also measures live latency (frame sent -> feedback painted) at 10 frames/s and saves screenshots to $OUT.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { remote } from "webdriverio";

const APP = process.env.MIEN_APP_BIN;
const OUT = process.env.MIEN_E2E_OUT;
const SAVE_DIR = process.env.MIEN_E2E_SAVE_DIR;
const VIDEO = process.env.MIEN_E2E_VIDEO;
assert.ok(APP && OUT && SAVE_DIR, "MIEN_APP_BIN, MIEN_E2E_OUT and MIEN_E2E_SAVE_DIR must be set (use ui/e2e/run.sh)");

const browser = await remote({
  hostname: "127.0.0.1",
  port: 4444,
  logLevel: "error",
  connectionRetryCount: 0,
  capabilities: { "tauri:options": { application: APP } },
});

const results = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const $ = (sel) => browser.$(sel);

async function shot(name) {
  const file = path.join(OUT, `${name}.png`);
  await browser.saveScreenshot(file);
  console.log(`  screenshot ${file}`);
}

async function waitFor(fn, what, timeout = 20000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(150);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

async function view() {
  return (await $("#main")).getAttribute("data-view");
}

async function go(nav) {
  await (await $(`button[data-nav="${nav}"]`)).click();
  await waitFor(async () => (await view()) === nav, `view ${nav}`);
}

/** Call a command the way the UI does, to check the backend's own refusals (not just the disabled button). */
async function invoke(cmd, args) {
  return browser.executeAsync(
    function (cmd, args, done) {
      const tauri = window.__TAURI_INTERNALS__;
      // a real result channel, as the UI's Channel object serialises to
      if (args && args.onUpdate === "channel") args.onUpdate = "__CHANNEL__:" + tauri.transformCallback(function () {});
      tauri.invoke(cmd, args).then(
        (v) => done({ ok: v }),
        (e) => done({ err: e }),
      );
    },
    cmd,
    args,
  );
}

async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok - ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false, error: String(e?.stack ?? e) });
    console.log(`not ok - ${name}\n  ${String(e?.stack ?? e).split("\n").join("\n  ")}`);
    await shot(`FAILED-${name.replace(/\W+/g, "_")}`).catch(() => {});
  }
}

async function fillNewSession({ interview, consent, video }) {
  await go("new");
  await (await $("#kind")).selectByAttribute("value", interview ? "interview" : "practice");
  await (await $("#interviewer")).setValue("Ann Interviewer");
  if (interview) {
    await (await $("#candidate")).setValue("C-E2E-1");
    await (await $("#role")).setValue("Engineer");
    const box = await $("#consent");
    if ((await box.isSelected()) !== consent) await box.click();
  }
  if (video) {
    await (await $("#source-video")).click();
    await (await $("#video-file")).setValue(video);
  } else {
    await (await $("#source-camera")).click();
  }
}

/** UI responsiveness while analysing: how late a 50 ms timer fires on the webview's main thread, over `ms`. */
async function eventLoopLag(ms) {
  return browser.executeAsync(function (ms, done) {
    const lags = [];
    let last = performance.now();
    const id = setInterval(function () {
      const now = performance.now();
      lags.push(Math.max(0, now - last - 50));
      last = now;
    }, 50);
    setTimeout(function () {
      clearInterval(id);
      lags.sort(function (a, b) { return a - b; });
      const p = function (q) { return Math.round(lags[Math.min(lags.length - 1, Math.ceil(q * lags.length) - 1)]); };
      done({ n: lags.length, p50: p(0.5), p95: p(0.95), max: Math.round(lags[lags.length - 1]) });
    }, ms);
  }, ms);
}

async function stopAndOpenReport(name) {
  await (await $("#stop")).click();
  await waitFor(async () => (await view()) === "report", "the report after stop", 30000);
  await (await $("#report-chart canvas")).waitForExist({ timeout: 10000 });
  await sleep(300);
  await shot(`${name}-report`);
  return Number(await (await $("#main")).getAttribute("data-session"));
}

const latency = {};

await test("first run: choose a jurisdiction", async () => {
  await waitFor(async () => (await view()) === "setup", "the first-run setup");
  await shot("setup");
  await (await $("#jurisdiction")).selectByAttribute("value", "uk");
  await (await $("#save-policy")).click();
  await waitFor(async () => (await view()) === "home", "home");
  const engine = await (await $("#engine-status")).getText();
  assert.match(engine, /Analysis ready/, engine);
  // an installed package must use its own bundled runtime (scripts/package_check.sh sets this)
  const where = process.env.MIEN_E2E_EXPECT_RUNTIME_UNDER;
  if (where) {
    const info = (await invoke("app_info", {})).ok;
    assert.ok(info.engine.runtime_path.startsWith(where), `runtime from ${info.engine.runtime_path}, expected under ${where}`);
  }
});

await test("(d) no analysis without consent", async () => {
  await fillNewSession({ interview: true, consent: false });
  assert.equal(await (await $("#start")).isEnabled(), false, "Start must be disabled without consent");
  assert.match(await (await $("#start-reason")).getText(), /agreed/);
  // The backend refuses too, whatever the UI does.
  const r = await invoke("start_session", {
    form: { kind: "interview", candidate_ref: "X", role: null, interviewer: "Ann", source: "camera", source_name: null, consent: null, provider: "cpu", smoothing_ms: 1000 },
    onUpdate: "channel",
  });
  assert.equal(r.err?.code, "consent_required", `start_session without consent must fail: ${JSON.stringify(r)}`);
  const list = await invoke("list_sessions", { search: null });
  assert.equal(list.ok.length, 0, "nothing may be created");
});

await test("(a) consent + mock camera: samples recorded, stop, report", async () => {
  await fillNewSession({ interview: true, consent: true });
  const clickedStart = Date.now();
  await (await $("#start")).click();
  await waitFor(async () => (await view()) === "live", "the live view");
  await waitFor(async () => Number(await (await $("#main")).getAttribute("data-samples")) >= 60, "60 analysed frames", 30000);
  const status = await (await $("#face-status")).getAttribute("data-status");
  assert.equal(status, "no_face", "the mock camera shows a test pattern, no face");
  assert.match(await (await $("#analysing")).getText(), /Analysing/);
  // pause: nothing is analysed, the indicator says so; resume: analysis goes on
  const samples = async () => Number(await (await $("#main")).getAttribute("data-samples"));
  await (await $("#pause")).click();
  await waitFor(async () => /Paused/.test(await (await $("#analysing")).getText()), "the paused indicator");
  await sleep(400); // a frame already in flight may still land
  const paused = await samples();
  await sleep(1500);
  assert.equal(await samples(), paused, "no frame is analysed while paused");
  await shot("live-paused");
  await (await $("#pause")).click();
  await waitFor(async () => (await samples()) > paused + 5, "analysis after resuming");
  await (await $("#marker-label")).setValue("Question 1");
  const markerClicked = Date.now() - clickedStart;
  await (await $("#add-marker")).click();
  await (await $("#note-text")).setValue("Calm start");
  await (await $("#add-note")).click();
  await shot("live-camera");
  const lag = await eventLoopLag(3000);
  latency.camera = await browser.execute(() => window.__mienLive?.summary() ?? null);
  latency.camera.event_loop_lag = lag;
  const id = await stopAndOpenReport("camera");
  const r = await invoke("get_report", { id });
  assert.ok(r.ok, JSON.stringify(r));
  assert.ok(r.ok.samples.length >= 60, `samples: ${r.ok.samples.length}`);
  // session time is wall-clock time and keeps running through the pause (resuming must not restart the clock): sample
  // times only increase, and the marker set after resuming sits at the time its button was clicked, give or take
  // the start-up (Start clicked -> camera playing)
  const times = r.ok.samples.map((s) => s.t_ms);
  assert.ok(times.every((t, i) => i === 0 || t > times[i - 1]), `sample times must increase: ${times.join(",")}`);
  const markerT = r.ok.markers[0]?.t_ms;
  assert.ok(markerT > markerClicked - 3000 && markerT < markerClicked + 1000,
    `marker at ${markerT} ms of session time, clicked ${markerClicked} ms after Start`);
  assert.ok(r.ok.samples.every((s) => s.status === "no_face"), "every sample is no_face");
  assert.equal(r.ok.markers[0]?.label, "Question 1");
  assert.equal(r.ok.notes[0]?.text, "Calm start");
  assert.equal(r.ok.session.consent?.recorded_by, "Ann Interviewer");
  assert.equal(r.ok.session.status, "finished");
});

let videoSession = 0;
await test("(b) recorded video: face samples with attitudes, report with charts", async () => {
  assert.ok(VIDEO && fs.existsSync(VIDEO), `test video missing: ${VIDEO}`);
  await fillNewSession({ interview: false, video: VIDEO });
  await (await $("#start")).click();
  await waitFor(async () => (await view()) === "live", "the live view");
  await waitFor(async () => Number(await (await $("#main")).getAttribute("data-samples")) >= 20, "20 analysed frames", 30000);
  await shot("live-video");
  const videoLag = await eventLoopLag(3000);
  // the 10 s clip ends and the session stops by itself
  await waitFor(async () => (await view()) === "report", "the report after the video ended", 40000);
  latency.video = await browser.execute(() => window.__mienLatency ?? null);
  latency.video.event_loop_lag = videoLag;
  await (await $("#report-chart canvas")).waitForExist({ timeout: 10000 });
  await sleep(300);
  await shot("video-report");
  await (await $("#quality")).scrollIntoView();
  await shot("video-report-details");
  videoSession = Number(await (await $("#main")).getAttribute("data-session"));
  const r = (await invoke("get_report", { id: videoSession })).ok;
  const withFace = r.samples.filter((s) => s.attitude && s.label);
  assert.ok(withFace.length >= 20, `face samples with attitudes: ${withFace.length} of ${r.samples.length}`);
  const shares = r.summary.overall.shares;
  assert.ok(Math.abs(shares.negative + shares.neutral + shares.positive - 1) < 1e-6, JSON.stringify(shares));
  // the charts and figures are on the page
  assert.equal((await $$("#overall-shares .share-row")).length, 3);
  assert.ok((await $$("#segments tbody tr")).length >= 1);
  const q = await (await $("#quality")).getText();
  assert.match(q, new RegExp(`${r.summary.face_samples} with a face`));
});

async function $$(sel) {
  return browser.$$(sel);
}

await test("(c) export writes valid JSON, CSV and PDF", async () => {
  assert.ok(videoSession > 0, "needs the video session");
  for (const f of ["json", "csv", "pdf"]) {
    await (await $(`#export-${f}`)).click();
    await waitFor(async () => (await (await $("#export-status")).getAttribute(`data-${f}`)) || false, `${f} export`);
  }
  const files = fs.readdirSync(SAVE_DIR);
  const find = (ext) => path.join(SAVE_DIR, files.find((n) => n.startsWith(`mien-session-${videoSession}-`) && n.endsWith(`.${ext}`)));
  const json = JSON.parse(fs.readFileSync(find("json"), "utf8"));
  assert.equal(json.session.id, videoSession);
  assert.ok(json.samples.length > 0 && json.summary && json.limits);
  const csv = fs.readFileSync(find("csv"), "utf8").trim().split("\n");
  assert.match(csv[0], /^source,t_ms,status,/);
  assert.equal(csv.length - 1, json.samples.length, "one CSV row per sample");
  const cols = csv[0].split(",").length;
  assert.ok(csv.every((l) => l.split(",").length === cols), "rectangular CSV");
  const pdf = fs.readFileSync(find("pdf"));
  assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");
  assert.ok(pdf.subarray(-6).toString().includes("%%EOF"));
  try {
    execFileSync("qpdf", ["--check", find("pdf")], { stdio: "pipe" });
  } catch (e) {
    if (e.code !== "ENOENT") throw new Error(`qpdf --check failed: ${e.stdout}${e.stderr}`);
    console.log("  (qpdf not installed: PDF structure checked by the Rust tests only)");
  }
  const text = execFileSync("pdftotext", [find("pdf"), "-"], { encoding: "utf8" });
  assert.match(text, /Limits of the method/);
  await shot("exported");
});

await test("(d) no interview analysis under a prohibiting policy", async () => {
  await go("settings");
  await (await $("#jurisdiction")).selectByAttribute("value", "eu_eea");
  await (await $("#save-policy")).click();
  await waitFor(async () => (await (await $("#prefs-saved")).getText()).includes("Policy saved"), "policy saved");
  await go("new");
  const opt = await $('#kind option[value="interview"]');
  assert.equal(await opt.isEnabled(), false, "interview option disabled");
  assert.match(await (await $("#policy-blocks")).getText(), /cannot be analysed/);
  assert.equal(await (await $("#candidate")).isDisplayed(), false, "no candidate fields for practice");
  await shot("policy-blocks");
  const before = (await invoke("list_sessions", { search: null })).ok.length;
  const r = await invoke("start_session", {
    form: {
      kind: "interview", candidate_ref: "X", role: null, interviewer: "Ann", source: "camera", source_name: null,
      consent: { method: "written", recorded_by: "Ann", candidate_agreed: true }, provider: "cpu", smoothing_ms: 1000,
    },
    onUpdate: "channel",
  });
  assert.equal(r.err?.code, "policy_prohibits", JSON.stringify(r));
  assert.equal((await invoke("list_sessions", { search: null })).ok.length, before, "nothing created");
});

await test("commands outside the app's permissions are refused", async () => {
  const r = await invoke("plugin:dialog|open", { options: {} });
  assert.ok(r.err, `the dialog plugin's commands are not granted to the webview: ${JSON.stringify(r)}`);
});

fs.writeFileSync(path.join(OUT, "latency.json"), JSON.stringify(latency, null, 2));
console.log(`latency (ms): ${JSON.stringify(latency)}`);
await browser.deleteSession();
const failed = results.filter((r) => !r.ok);
console.log(`${results.length - failed.length}/${results.length} end-to-end tests passed`);
process.exit(failed.length ? 1 : 0);
