/**
 * @module
 * citty keeps only the last value of a repeated string flag; `--ip-san a --ip-san b`
 * must keep both. `collectFlagValues` reads every occurrence from the raw argv and
 * also splits comma-separated lists (`--ip-san a,b`).
 */

/** Every value given for `--<name>` (as `--name v` or `--name=v`), comma lists split. */
export function collectFlagValues(rawArgs: readonly string[], name: string): string[] {
  const flag = `--${name}`;
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i] as string;
    if (token === "--") break;
    if (token === flag && i + 1 < rawArgs.length) values.push(rawArgs[++i] as string);
    else if (token.startsWith(`${flag}=`)) values.push(token.slice(flag.length + 1));
  }
  return values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v.length > 0);
}
