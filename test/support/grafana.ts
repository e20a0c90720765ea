/**
 * @module
 * What Grafana does to a Prometheus panel query before it reaches Prometheus: expands
 * `$var`, `${var}`, `${var:fmt}` and `[[var]]` from the dashboard's variables and its
 * built-ins, and turns a `label_values(...)` variable query into a label-values request.
 */

/** Grafana's built-in interval variables, with the values a 1 s scrape interval gives them. */
export const GRAFANA_BUILTINS: Readonly<Record<string, string>> = {
  __rate_interval: "15s",
  __interval: "15s",
  __interval_ms: "15000",
  __range: "1h",
  __range_s: "3600",
  __range_ms: "3600000",
};

const VARIABLE = /\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)(?::\w+)?\]\]/g;

/** The variable names `expr` refers to. */
export function variablesOf(expr: string): string[] {
  return [...new Set([...expr.matchAll(VARIABLE)].map((m) => m[1] ?? m[2] ?? m[3] ?? ""))];
}

/** `expr` with every variable replaced from `values` (then the built-ins); an unknown one throws. */
export function expandVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(VARIABLE, (whole, a?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c ?? "";
    const value = values[name] ?? GRAFANA_BUILTINS[name];
    if (value === undefined) throw new Error(`${whole} in "${expr}" is neither a dashboard variable nor a Grafana built-in`);
    return value;
  });
}

/** `label_values(metric{...}, label)` or `label_values(label)` as the label and the series match. */
export function parseLabelValues(query: string): { label: string; match: string } | undefined {
  const m = /^\s*label_values\(\s*(?:(.+?)\s*,\s*)?(\w+)\s*\)\s*$/.exec(query);
  if (!m?.[2]) return undefined;
  return { label: m[2], match: m[1] ?? `{${m[2]}!=""}` };
}
