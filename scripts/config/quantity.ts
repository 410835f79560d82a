/**
 * Kubernetes resource quantities ("250m", "512Mi", "10Gi"), parsed strictly so that typos such as
 * "10Gb" or "1 Gi" are caught here and not by the API server at sync time.
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const MAX_INT64 = 2 ** 63 - 1;

export const QUANTITY_SUFFIXES = [...Object.keys(BINARY), ...Object.keys(DECIMAL).filter(Boolean)];

const PATTERN = /^(\d+(?:\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** The numeric value of a quantity (cores for CPU, bytes for memory and storage), or undefined. */
export function quantityValue(quantity: string): number | undefined {
  const match = PATTERN.exec(quantity);
  if (!match) return undefined;
  const [, digits, suffix = ''] = match;
  const number = Number(digits);
  if (suffix in BINARY) return number * BINARY[suffix];
  if (suffix in DECIMAL) return number * DECIMAL[suffix];
  return number * 10 ** Number(suffix.slice(1));
}

/** Why a quantity is unusable for `kind` (must be positive), or undefined when it is fine. */
export function quantityProblem(quantity: unknown, kind: 'cpu' | 'bytes'): string | undefined {
  const example = kind === 'cpu' ? '"250m" or "2"' : '"512Mi" or "10Gi"';
  if (typeof quantity !== 'string')
    return `must be a quantity string such as ${example}, got ${JSON.stringify(quantity)}`;
  const value = quantityValue(quantity);
  if (value === undefined) {
    return `"${quantity}" is not a Kubernetes quantity: use a number with one of ${QUANTITY_SUFFIXES.join(', ')} (for example ${example})`;
  }
  if (value <= 0) return `must be greater than zero, got "${quantity}"`;
  // Kubernetes keeps quantities as 64-bit integers (milli-units for CPU): a larger one is not a size but a typo.
  if (value * (kind === 'cpu' ? 1000 : 1) > MAX_INT64)
    return `"${quantity}" is larger than Kubernetes can represent (8Ei); for example ${example}`;
  if (kind === 'bytes' && !Number.isInteger(value)) return `"${quantity}" is not a whole number of bytes`;
  return undefined;
}
