/**
 * @module
 * citty keeps only the last value of a repeated string flag; `-f a -f b` and
 * `--ip-san a --ip-san b` must keep both. These read every occurrence from the raw argv.
 */

/** Every value of a repeatable flag under any of its names (`-f a -f b`, `--filename=c`), in order. */
export function collectFlagValues(rawArgs: readonly string[], names: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i] as string;
    if (token === "--") break;
    const eq = token.indexOf("=");
    const flag = eq > 0 ? token.slice(0, eq) : token;
    if (!names.includes(flag)) continue;
    if (eq > 0) values.push(token.slice(eq + 1));
    else if (i + 1 < rawArgs.length) values.push(rawArgs[++i] as string);
  }
  return values;
}

/** Every value of a repeatable list flag, comma lists split and trimmed (`--ip-san a,b --ip-san c`). */
export function collectListFlag(rawArgs: readonly string[], names: readonly string[]): string[] {
  return collectFlagValues(rawArgs, names).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v.length > 0);
}
