// jsdom lacks canvas and matchMedia; uPlot needs both at load time. Charts are covered by the end-to-end tests.
if (!window.matchMedia) {
  window.matchMedia = ((q: string) => ({ matches: false, media: q, addEventListener() {}, removeEventListener() {}, addListener() {}, removeListener() {}, onchange: null, dispatchEvent: () => false })) as never;
}
