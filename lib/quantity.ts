/**
 * @module
 * Kubernetes resource quantities (`100m`, `128Mi`, `1.5`, `2e3`) parsed to plain
 * numbers so requests and limits can be compared. Precision is that of a double,
 * ample for comparing cpu and memory amounts.
 */

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/** Parses a quantity string or number; returns undefined when it is not one. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = QUANTITY.exec(value.trim());
  if (!match) return undefined;
  const base = Number(match[1]);
  if (match[2]) return base * 10 ** Number(match[2].slice(1));
  return base * (SUFFIX[match[3] ?? ""] ?? 1);
}

/** Compares two quantities: negative, zero or positive; undefined when either is invalid. */
export function compareQuantities(a: unknown, b: unknown): number | undefined {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  if (x === undefined || y === undefined) return undefined;
  const scale = Math.max(Math.abs(x), Math.abs(y), 1e-12);
  const diff = (x - y) / scale;
  return Math.abs(diff) < 1e-12 ? 0 : Math.sign(diff);
}
