/**
 * @module
 * Extracts the metric names a PromQL expression selects (strings, label matchers, ranges,
 * grouping clauses, functions and keywords removed), to check them against lib/metrics/names.ts.
 */
const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or", "unless", "inf", "nan"]);

/** Metric names selected by `expr`. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const after = stripped.slice((m.index ?? 0) + word.length);
    if (/^\s*\(/.test(after)) continue; // a function call
    if (KEYWORDS.has(word.toLowerCase())) continue;
    const before = stripped[(m.index ?? 0) - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue; // 1e-9, durations
    names.add(word);
  }
  return [...names];
}
