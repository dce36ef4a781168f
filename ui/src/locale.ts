// Imported first: under LANG=C (common on servers and CI) WebKitGTK reports `navigator.language` as "C", which
// Intl rejects ("invalid language tag"), and uPlot formats numbers with it at load time. Fall back to en-US.
function usable(tag: string): boolean {
  try {
    new Intl.NumberFormat(tag);
    return true;
  } catch {
    return false;
  }
}

if (!usable(navigator.language)) {
  Object.defineProperty(navigator, "language", { get: () => "en-US", configurable: true });
  Object.defineProperty(navigator, "languages", { get: () => ["en-US"], configurable: true });
}

export {};
