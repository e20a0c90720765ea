/**
 * @module
 * citty accepts any argv silently: a mistyped `--namspace`, a `-f` without its value, a stray
 * `manifests/pod.yaml` (live analysis instead of the file) must not be ignored.
 * `findArgvProblem` checks a leaf command's argv against its declared args;
 * `normalizeNegations` makes `--no-x` and `--x` last-wins, as every other flag is.
 */
import type { ArgsDef } from "citty";

export type ArgvProblem =
  | { kind: "unknown-flag"; flag: string }
  /** `next` is the flag that stood where the value should be, if any. */
  | { kind: "missing-value"; flag: string; next: string | undefined }
  | { kind: "unexpected-argument"; value: string; accepted: number };

interface FlagInfo {
  /** The name citty knows the arg by (its key in the args definition). */
  key: string;
  takesValue: boolean;
  negated: boolean;
}

function toKebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

/** Every name a flag may be written with (without dashes): key, kebab-case, aliases, `no-` of booleans. */
function flagTable(argsDef: ArgsDef): Map<string, FlagInfo> {
  const table = new Map<string, FlagInfo>([
    ["help", { key: "help", takesValue: false, negated: false }],
    ["h", { key: "help", takesValue: false, negated: false }],
  ]);
  for (const [key, def] of Object.entries(argsDef)) {
    if (def.type === "positional") continue;
    const alias = "alias" in def ? def.alias : undefined;
    const takesValue = def.type === "string" || def.type === "enum";
    for (const name of [key, toKebab(key), ...(Array.isArray(alias) ? alias : alias ? [alias] : [])]) {
      table.set(name, { key, takesValue, negated: false });
      if (def.type === "boolean") table.set(`no-${name}`, { key, takesValue: false, negated: true });
    }
  }
  return table;
}

/** A token that is a flag: not `-` (stdin) and not a negative number (a value such as `--top -1`). */
function isFlagToken(token: string): boolean {
  return token.startsWith("-") && token !== "-" && !/^-\d/.test(token);
}

function flagName(token: string): { name: string; inline: boolean } {
  const eq = token.indexOf("=");
  return { name: token.slice(token.startsWith("--") ? 2 : 1, eq > 0 ? eq : undefined), inline: eq > 0 };
}

/**
 * The first thing in `argv` that `argsDef` does not accept: an undeclared flag, a string flag
 * without its value (at the end, or followed by another flag), or more positional arguments than
 * the command declares (everything after `--` counts as positional).
 */
export function findArgvProblem(argv: readonly string[], argsDef: ArgsDef): ArgvProblem | undefined {
  const flags = flagTable(argsDef);
  const accepted = Object.values(argsDef).filter((def) => def.type === "positional").length;
  let positionals = 0;
  let afterDashes = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (!afterDashes && token === "--") {
      afterDashes = true;
      continue;
    }
    if (afterDashes || !isFlagToken(token)) {
      if (++positionals > accepted) return { kind: "unexpected-argument", value: token, accepted };
      continue;
    }
    const { name, inline } = flagName(token);
    const flag = flags.get(name);
    if (!flag) return { kind: "unknown-flag", flag: inline ? token.slice(0, token.indexOf("=")) : token };
    if (flag.negated && inline) return { kind: "unknown-flag", flag: token };
    if (!flag.takesValue || inline) continue;
    const next = argv[i + 1];
    if (next === undefined || next === "--" || isFlagToken(next)) return { kind: "missing-value", flag: token, next };
    i++;
  }
  return undefined;
}

/**
 * `--no-x` rewritten as `--x=false`: citty applies every `--no-x` after all other flags, so
 * `--no-exemptions --exemptions` meant false; written this way the last one wins.
 * Call it on argv that `findArgvProblem` accepted.
 */
export function normalizeNegations(argv: readonly string[], argsDef: ArgsDef): string[] {
  const flags = flagTable(argsDef);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") return [...out, ...argv.slice(i)];
    const flag = isFlagToken(token) ? flags.get(flagName(token).name) : undefined;
    if (flag?.negated && !token.includes("=")) out.push(`--${flag.key}=false`);
    else out.push(token);
    if (flag?.takesValue && !token.includes("=") && i + 1 < argv.length) out.push(argv[++i] as string);
  }
  return out;
}
