// The application shell: navigation, the current view, error display, shared state.
import { asAppError, type Backend } from "./api";
import type { AppInfo } from "./bindings/AppInfo";
import type { SessionExport } from "./bindings/SessionExport";
import { clear, h } from "./dom";
import { loadPrefs, type Prefs } from "./prefs";

export type Route =
  | { name: "setup" }
  | { name: "home" }
  | { name: "new" }
  | { name: "live" }
  | { name: "sessions"; search?: string }
  | { name: "report"; id: number; export?: SessionExport }
  | { name: "settings" };

export type ViewFn = (app: App, route: Route) => Promise<void> | void;

export class App {
  info!: AppInfo;
  prefs: Prefs;
  readonly main: HTMLElement;
  readonly nav: HTMLElement;
  readonly banner: HTMLElement;
  /** Cleanup of the current view (stops loops, releases the camera). */
  private teardown: (() => void) | null = null;
  /** While a session is live, navigation away is blocked. */
  liveLock = false;

  constructor(
    readonly root: HTMLElement,
    readonly backend: Backend,
    private readonly views: Record<Route["name"], ViewFn>,
  ) {
    this.prefs = loadPrefs();
    this.nav = h("nav", { class: "nav", "aria-label": "Main" });
    this.banner = h("div", { class: "banner", role: "alert", hidden: true });
    this.main = h("main", { id: "main", tabindex: -1 });
    clear(root, h("header", { class: "top" }, h("span", { class: "brand" }, "Mien"), this.nav), this.banner, this.main);
  }

  async start(): Promise<void> {
    try {
      this.info = await this.backend.appInfo();
    } catch (e) {
      this.showError(e);
      return;
    }
    this.renderNav();
    await this.go(this.info.first_run ? { name: "setup" } : { name: "home" });
  }

  async refreshInfo(): Promise<void> {
    this.info = await this.backend.appInfo();
    this.renderNav();
  }

  onLeave(fn: () => void): void {
    this.teardown = fn;
  }

  renderNav(): void {
    const item = (label: string, route: Route, key: string) =>
      h("button", { class: "nav-item", dataset: { nav: route.name }, title: `${label} (Alt+${key})`, onclick: () => this.go(route) }, label);
    clear(
      this.nav,
      item("Home", { name: "home" }, "H"),
      item("New session", { name: "new" }, "N"),
      item("Sessions", { name: "sessions" }, "S"),
      item("Settings", { name: "settings" }, "T"),
    );
  }

  async go(route: Route): Promise<void> {
    if (this.liveLock && route.name !== "live" && route.name !== "report") {
      this.showError({ code: "session_running", message: "Stop the running session first." });
      return;
    }
    this.teardown?.();
    this.teardown = null;
    this.hideError();
    for (const b of this.nav.querySelectorAll<HTMLButtonElement>(".nav-item")) {
      b.classList.toggle("active", b.dataset.nav === route.name);
      b.disabled = this.liveLock;
    }
    clear(this.main);
    for (const k of Object.keys(this.main.dataset)) delete this.main.dataset[k];
    this.main.dataset.view = route.name;
    try {
      await this.views[route.name](this, route);
    } catch (e) {
      this.showError(e);
    }
    this.main.focus({ preventScroll: true });
  }

  showError(e: unknown): void {
    const err = asAppError(e);
    clear(this.banner, h("strong", {}, "Something went wrong: "), err.message, " ", h("code", { class: "err-code" }, err.code),
      h("button", { class: "link", onclick: () => this.hideError(), "aria-label": "Dismiss" }, "Dismiss"));
    this.banner.dataset.code = err.code;
    this.banner.hidden = false;
  }

  hideError(): void {
    this.banner.hidden = true;
    delete this.banner.dataset.code;
  }

  installShortcuts(): void {
    document.addEventListener("keydown", (ev) => {
      if (!ev.altKey || this.liveLock) return;
      const map: Record<string, Route> = { h: { name: "home" }, n: { name: "new" }, s: { name: "sessions" }, t: { name: "settings" } };
      const r = map[ev.key.toLowerCase()];
      if (r) {
        ev.preventDefault();
        void this.go(r);
      }
    });
  }
}
