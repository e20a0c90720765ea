/**
 * @module
 * Prints every registered command path, one per line (`policy bundle-list`, ...),
 * so CI can run `--help` of each against the compiled binary.
 */
import type { CommandDef } from "citty";
import { root } from "../cmd/main.ts";

type AnyCommand = CommandDef<Record<string, never>>;

async function resolve<T>(value: unknown): Promise<T> {
  return (typeof value === "function" ? await (value as () => unknown)() : await value) as T;
}

async function walk(cmd: AnyCommand, path: string[], out: string[]): Promise<void> {
  const subs = cmd.subCommands ? await resolve<Record<string, unknown>>(cmd.subCommands) : {};
  for (const [name, sub] of Object.entries(subs)) {
    const next = [...path, name];
    out.push(next.join(" "));
    await walk(await resolve<AnyCommand>(sub), next, out);
  }
}

const paths: string[] = [];
await walk(root as unknown as AnyCommand, [], paths);
process.stdout.write(`${paths.join("\n")}\n`);
