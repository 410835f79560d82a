import { performance } from 'node:perf_hooks';

/**
 * Where a build's time goes, phase by phase, for `npm run bench` (`build:overlays -- --timings FILE`).
 * "start" is everything before the build's first line runs: node, tsx and the imported modules.
 */
export class Timings {
  readonly phases: Record<string, number> = { start: performance.now() };
  private last = performance.now();

  /** Ends the current phase as `name`; the next one starts now. */
  lap(name: string): void {
    const now = performance.now();
    this.phases[name] = (this.phases[name] ?? 0) + (now - this.last);
    this.last = now;
  }

  /** The report as one line of JSON, for `--timings FILE`. */
  json(): string {
    return `${JSON.stringify(this.report())}\n`;
  }

  /** Milliseconds per phase, rounded to 0.1 ms, plus the total and the process's peak memory. */
  report(): { phases: Record<string, number>; totalMs: number; peakRssMb: number } {
    const round = (ms: number) => Math.round(ms * 10) / 10;
    const phases = Object.fromEntries(Object.entries(this.phases).map(([name, ms]) => [name, round(ms)]));
    return { phases, totalMs: round(performance.now()), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) };
  }
}
