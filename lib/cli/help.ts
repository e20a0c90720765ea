/**
 * @module
 * `--help` text from citty's renderUsage, with two corrections: the usage line names the whole
 * command (`kube-devops deploy generate-all`; citty prefixes only the direct parent's name), and
 * an empty default is not shown as "(Default: )"; a command's help ends with the global options
 * (`--kubeconfig`, `--context`, `--log-level`, `--log-format`) it takes like every command.
 */
import { type ArgsDef, type CommandDef, renderUsage } from "citty";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- citty commands of any arg shape
type AnyCommand = CommandDef<any>;

async function resolveValue<T>(value: T | Promise<T> | (() => T | Promise<T>)): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

function withoutEmptyDefaults(args: ArgsDef): ArgsDef {
  return Object.fromEntries(
    Object.entries(args).map(([name, def]) => {
      if (!("default" in def) || def.default !== "") return [name, def];
      const { default: _empty, ...rest } = def;
      return [name, rest];
    }),
  ) as ArgsDef;
}

/** citty pads every row of a table to the widest one: the spaces at line ends go. */
function withoutTrailingSpaces(text: string): string {
  // a colour code may end the line after the padding (kept: the terminal needs the reset)
  return text.replace(/[ \t]+((?:\u001B\[[0-9;]*m)*)$/gm, "$1");
}

/** The root's options, which every command takes before or after its name: one line each. */
function globalOptionLines(rootArgs: ArgsDef): string[] {
  const rows = Object.entries(rootArgs).map(([name, def]) => {
    const values = "valueHint" in def && def.valueHint ? def.valueHint : "options" in def && Array.isArray(def.options) ? def.options.join("|") : "";
    const fallback = "default" in def && def.default !== undefined && def.default !== "" ? ` (Default: ${String(def.default)})` : "";
    return [`--${name}${values ? `=<${values}>` : ""}`, `${def.description ?? ""}${fallback}`] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}    ${description}`);
}

/** The help of `cmd`, reached from `root` by `path` (`["deploy", "generate-all"]`; `[]` for the root). */
export async function renderHelp(root: AnyCommand, cmd: AnyCommand, path: readonly string[]): Promise<string> {
  const rootMeta = root.meta ? await resolveValue(root.meta) : {};
  const args = cmd.args ? await resolveValue(cmd.args) : {};
  const shown: AnyCommand = { ...cmd, args: withoutEmptyDefaults(args) };
  if (path.length === 0) return withoutTrailingSpaces(await renderUsage(shown));
  const prefix = [rootMeta.name ?? "kube-devops", ...path.slice(0, -1)].join(" ");
  const usage = await renderUsage(shown, { meta: { name: prefix, version: rootMeta.version } });
  // a command's own help used to leave out --kubeconfig and --context, which it takes all the same
  const rootArgs = root.args ? await resolveValue(root.args) : {};
  if (Object.keys(rootArgs).length === 0) return withoutTrailingSpaces(usage);
  return withoutTrailingSpaces(`${usage.trimEnd()}\n\nGLOBAL OPTIONS (before or after the command)\n\n${globalOptionLines(rootArgs).join("\n")}\n`);
}
