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

/** Replaces every match of `pattern` with spaces, so offsets still line up with `expr`. */
function blank(text: string, pattern: RegExp): string {
  return text.replace(pattern, (m) => " ".repeat(m.length));
}

/**
 * The vector selectors of `expr` with their matchers, as written (`up{job="x"}`,
 * `webhook_errors_total`): each one, evaluated alone, says whether the series an
 * expression depends on exist.
 */
export function vectorSelectors(expr: string): string[] {
  // string contents, grouping clauses and ranges blanked; matcher braces are kept
  let masked = expr.replace(/"(?:[^"\\]|\\.)*"/g, (m) => `"${" ".repeat(m.length - 2)}"`);
  masked = blank(masked, /\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g);
  masked = blank(masked, /\[[^\]]*\]/g);
  const selectors = new Set<string>();
  for (const m of masked.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const start = m.index ?? 0;
    const word = m[0];
    const before = masked[start - 1];
    if (before !== undefined && /[0-9.{,"]/.test(before)) continue; // durations, numbers, label names
    const rest = masked.slice(start + word.length);
    if (/^\s*\(/.test(rest) || /^\s*(=|!=|=~|!~)/.test(rest) || KEYWORDS.has(word.toLowerCase())) continue;
    const brace = /^\s*\{/.exec(rest);
    if (!brace) {
      selectors.add(word);
      continue;
    }
    const open = start + word.length + brace[0].length - 1;
    const close = masked.indexOf("}", open);
    selectors.add(`${word}${expr.slice(open, close + 1)}`);
  }
  return [...selectors];
}
