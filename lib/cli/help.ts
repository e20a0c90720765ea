/**
 * @module
 * `--help` text from citty's renderUsage, with two corrections: the usage line names the whole
 * command (`kube-devops deploy generate-all`; citty prefixes only the direct parent's name), and
 * an empty default is not shown as "(Default: )".
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

/** The help of `cmd`, reached from `root` by `path` (`["deploy", "generate-all"]`; `[]` for the root). */
export async function renderHelp(root: AnyCommand, cmd: AnyCommand, path: readonly string[]): Promise<string> {
  const rootMeta = root.meta ? await resolveValue(root.meta) : {};
  const args = cmd.args ? await resolveValue(cmd.args) : {};
  const shown: AnyCommand = { ...cmd, args: withoutEmptyDefaults(args) };
  if (path.length === 0) return renderUsage(shown);
  const prefix = [rootMeta.name ?? "kube-devops", ...path.slice(0, -1)].join(" ");
  return renderUsage(shown, { meta: { name: prefix, version: rootMeta.version } });
}
