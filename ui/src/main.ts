import "./locale";
import "./style.css";
import { tauriBackend } from "./api";
import { App } from "./app";
import { homeView, sessionsView } from "./views/home";
import { newSessionView } from "./views/newSession";
import { reportView } from "./views/report";
import { settingsView } from "./views/settings";
import { setupView } from "./views/policy";

const root = document.getElementById("app");
if (root) {
  const app = new App(root, tauriBackend, {
    setup: setupView,
    home: homeView,
    new: newSessionView,
    live: () => {},
    sessions: sessionsView,
    report: reportView,
    settings: settingsView,
  });
  app.installShortcuts();
  void app.start();
}
