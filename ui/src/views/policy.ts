// First-run setup and the policy part of Settings: jurisdiction (which decides whether interviews may be analysed)
// and how long sessions are kept.
import type { App } from "../app";
import type { Jurisdiction } from "../bindings/Jurisdiction";
import { h } from "../dom";

const NAMES: Record<Jurisdiction, string> = {
  unset: "Not chosen yet",
  eu_eea: "European Union / EEA",
  uk: "United Kingdom",
  us_illinois: "United States: Illinois",
  us_maryland: "United States: Maryland",
  us_nyc: "United States: New York City",
  us_other: "United States: other states",
  other: "Other",
};

export const jurisdictionName = (j: Jurisdiction): string => NAMES[j] ?? j;

/** The policy form; `onSaved` runs after a successful save. */
export function policyForm(app: App, submitLabel: string, onSaved: () => void): HTMLFormElement {
  const s = app.info.settings;
  const explain = h("p", { class: "explain", id: "policy-explain" });
  const select = h(
    "select",
    { id: "jurisdiction", name: "jurisdiction", "aria-describedby": "policy-explain" },
    app.info.jurisdictions.map((j) => h("option", { value: j.id, selected: j.id === s.jurisdiction }, jurisdictionName(j.id))),
  );
  const update = () => {
    const j = app.info.jurisdictions.find((x) => x.id === select.value);
    explain.textContent = j ? `${j.interviews_allowed ? "Interviews allowed with consent." : "Practice only."} ${j.explanation}` : "";
  };
  select.addEventListener("change", update);
  update();
  const days = h("input", { id: "retention", type: "number", min: 1, max: 3650, required: true, value: String(s.retention_days) });
  const form = h(
    "form",
    { class: "card form", id: "policy-form" },
    h("label", { for: "jurisdiction" }, "Where are the interviews held?"),
    select,
    explain,
    h("label", { for: "retention" }, "Keep sessions for (days); older ones are erased"),
    days,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "save-policy" }, submitLabel)),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await app.backend.savePolicy(select.value as Jurisdiction, Number(days.value));
      await app.refreshInfo();
      onSaved();
    } catch (e) {
      app.showError(e);
    }
  });
  return form;
}

export async function setupView(app: App): Promise<void> {
  app.main.append(
    h("h1", {}, "Welcome to Mien"),
    h(
      "p",
      { class: "lead" },
      "Mien shows how a conversation is going from facial expressions, live, and keeps a timeline of figures (never video or images) for later review. " +
        "First, an administrator decides where it is used: the law decides whether interviews may be analysed at all.",
    ),
    policyForm(app, "Save and continue", () => void app.go({ name: "home" })),
  );
}
