// Small helpers for reporting.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The median of the per-round ratios a[i] / b[i]. Rounds are interleaved,
 * so each ratio compares two measurements taken moments apart: a machine
 * that slows down during the run (other jobs) moves both alike.
 */
export function pairedRatio(a, b) {
  return median(a.map((value, i) => value / b[i]));
}

/** `name value` on a line of its own, the format every bench prints. */
export function figure(name, value, digits = 1) {
  console.log(`${name} ${value.toFixed(digits)}`);
}
