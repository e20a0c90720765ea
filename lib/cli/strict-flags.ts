/**
 * @module
 * citty accepts any flag silently; a mistyped `--namspace` must not be ignored.
 * `findUnknownFlag` checks argv against the leaf command's declared args.
 */
import type { ArgsDef } from "citty";

function toKebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

/** Returns the first flag in `argv` that `argsDef` does not declare, if any. */
export function findUnknownFlag(argv: readonly string[], argsDef: ArgsDef): string | undefined {
  const known = new Set<string>(["help", "h"]);
  for (const [name, def] of Object.entries(argsDef)) {
    if (def.type === "positional") continue;
    const alias = "alias" in def ? def.alias : undefined;
    const names = [name, toKebab(name), ...(Array.isArray(alias) ? alias : alias ? [alias] : [])];
    for (const n of names) {
      known.add(n);
      if (def.type === "boolean") known.add(`no-${n}`);
    }
  }
  for (const token of argv) {
    if (token === "--") return undefined;
    if (!token.startsWith("-") || token === "-" || /^-\d/.test(token)) continue;
    const name = token.replace(/^-{1,2}/, "").split("=")[0] as string;
    if (!known.has(name)) return token.split("=")[0];
  }
  return undefined;
}
