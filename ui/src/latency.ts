// Frame sent -> feedback painted, measured in the real app (the e2e test reads it; the live view shows p50).
export class LatencyMeter {
  private values: number[] = [];

  add(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.values.push(ms);
  }

  count(): number {
    return this.values.length;
  }

  /** The q-th percentile (nearest rank), 0 when empty. */
  p(q: number): number {
    if (this.values.length === 0) return 0;
    const sorted = [...this.values].sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1));
    return sorted[rank];
  }

  summary(): { n: number; p50: number; p95: number; max: number } {
    return { n: this.count(), p50: this.p(50), p95: this.p(95), max: this.p(100) };
  }
}
