/**
 * @module
 * `kube-devops multi-cluster list-contexts [--probe]`: the kubeconfig's contexts;
 * with `--probe`, whether each API server answers and its version, and exit 1 when one does not
 * (after the whole table), so a script can gate on it as on `multi-cluster analyze`.
 */
import { defineCommand } from "citty";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { KubeDevopsError } from "../lib/errors.ts";
import { durationFlag } from "../lib/duration.ts";
import { createKubeClient } from "../lib/kube/client.ts";
import { loadKubeConfig } from "../lib/kube/kubeconfig.ts";
import { renderContextList, type ContextRow } from "../lib/multi-cluster/aggregate.ts";
import { mapBounded, withDeadline } from "../lib/multi-cluster/run-bounded.ts";

async function probe(context: string, timeoutMs: number): Promise<string> {
  const { globals, env } = cliRuntime();
  try {
    const kc = loadKubeConfig({ kubeconfig: globals.kubeconfig, context, env });
    const client = createKubeClient(kc, { rateLimit: false, retry: { maxAttempts: 1 } });
    const version = await withDeadline(timeoutMs, `no answer within ${timeoutMs / 1000}s`, (signal) => client.serverVersion({ signal }));
    return `reachable (${version.gitVersion ?? `v${version.major}.${version.minor}`})`;
  } catch (err) {
    return `unreachable: ${(err as Error).message.split("\n")[0]}`;
  }
}

export default defineCommand({
  meta: { name: "list-contexts", description: "List the kubeconfig's contexts (--probe: reachability and server version)" },
  args: {
    probe: { type: "boolean", description: "Contact each API server (GET /version)" },
    timeout: { type: "string", default: "5s", description: "Deadline of each probe", valueHint: "duration" },
  },
  async run({ args }) {
    const { globals, env, out } = cliRuntime();
    const kc = loadKubeConfig({ kubeconfig: globals.kubeconfig, env, requireCurrentContext: false });
    const current = kc.getCurrentContext();
    const names = kc.getContexts().map((c) => c.name);
    const timeoutMs = durationFlag("--timeout", args.timeout, { min: 100 });
    const statuses = args.probe ? await mapBounded(names, 8, (n) => probe(n, timeoutMs)) : [];
    const rows: ContextRow[] = names.map((name, i) => ({ name, current: name === current, ...(args.probe ? { status: statuses[i] as string } : {}) }));
    out(renderContextList(rows));
    const unreachable = rows.filter((r) => r.status?.startsWith("unreachable")).map((r) => r.name);
    if (unreachable.length > 0) {
      throw new KubeDevopsError("KUBE", `${unreachable.length} of ${rows.length} context(s) unreachable: ${unreachable.join(", ")}`, {
        hint: "the table above says why for each; fix or remove those contexts, or pass the others to multi-cluster analyze --contexts",
      });
    }
  },
});
