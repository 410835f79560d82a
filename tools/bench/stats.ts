/** Minimum, median and maximum of some samples: the figures the benchmark reports for each measure. */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export function spreadOf(samples: readonly number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const round = (value: number) => Math.round(value * 10) / 10;
  return { min: round(sorted[0]), median: round(median), max: round(sorted[sorted.length - 1]) };
}

/** "812 ms (790–901)": a spread for the table. */
export const formatSpread = (spread: Spread, unit = 'ms') =>
  `${spread.median.toFixed(0)} ${unit} (${spread.min.toFixed(0)}–${spread.max.toFixed(0)})`;
