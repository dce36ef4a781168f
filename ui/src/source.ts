// Frame sources: a camera (getUserMedia) or a recorded video played by the webview. Both end up in a <video>
// element that the live view samples through a canvas; the analysis path is the same.
import type { SourceKind } from "./bindings/SourceKind";
import { h } from "./dom";

export interface FrameSource {
  kind: SourceKind;
  /** Camera label or file name (never a path). */
  name: string;
  video: HTMLVideoElement;
  /** The time of the current frame in ms from the start of the session. */
  timeMs(): number;
  /** A recorded video has an end; a camera does not. */
  ended(): boolean;
  play(): Promise<void>;
  pause(): void;
  stop(): void;
}

export async function openCamera(deviceId: string | null): Promise<FrameSource> {
  if (!navigator.mediaDevices?.getUserMedia) throw { code: "camera", message: "This system offers no camera access." };
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { deviceId: deviceId ? { exact: deviceId } : undefined, width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    });
  } catch (e) {
    throw { code: "camera", message: `The camera could not be opened (${(e as Error).name ?? e}).` };
  }
  const video = h("video", { autoplay: true, muted: true, playsInline: true, id: "preview" });
  video.srcObject = stream;
  const track = stream.getVideoTracks()[0];
  // Session time runs from the first play() and keeps running through pauses (resuming must not restart it).
  let t0: number | null = null;
  return {
    kind: "camera",
    name: track?.label || "Camera",
    video,
    timeMs: () => (t0 === null ? 0 : performance.now() - t0),
    ended: () => track?.readyState === "ended",
    play: async () => {
      t0 ??= performance.now();
      await video.play();
    },
    pause: () => {},
    stop: () => stream.getTracks().forEach((t) => t.stop()),
  };
}

export async function openVideoFile(file: File): Promise<FrameSource> {
  const url = URL.createObjectURL(file);
  const video = h("video", { muted: true, playsInline: true, id: "preview", src: url, preload: "auto" });
  await new Promise<void>((resolve, reject) => {
    video.addEventListener("loadeddata", () => resolve(), { once: true });
    video.addEventListener("error", () => reject({ code: "video", message: `This video cannot be played (${file.name}).` }), { once: true });
  });
  let lastTime = -1;
  let lastProgress = performance.now();
  return {
    kind: "video",
    name: file.name,
    video,
    timeMs: () => video.currentTime * 1000,
    ended: () => {
      if (video.ended) return true;
      // WebKitGTK sometimes stalls on a file's last frames without ever firing `ended`: within a second of the end
      // and with no progress for 3 s while playing, the file is over.
      const now = performance.now();
      if (video.currentTime !== lastTime) {
        lastTime = video.currentTime;
        lastProgress = now;
        return false;
      }
      const nearEnd = Number.isFinite(video.duration) && video.duration - video.currentTime < 1;
      return nearEnd && !video.paused && now - lastProgress > 3000;
    },
    play: () => video.play(),
    pause: () => video.pause(),
    stop: () => {
      video.pause();
      video.removeAttribute("src");
      URL.revokeObjectURL(url);
    },
  };
}
