/**
 * @module
 * `kube-devops crd generate`: both CustomResourceDefinitions (DevOpsPolicy, then
 * PolicyAuditResult) as YAML on stdout, `---` separated. `crd install`: create or
 * update both and wait until they are Established, all within `--timeout` (docs/decisions/0009).
 */
import { defineCommand } from "citty";
import { renderCrds } from "../gen/crd.ts";
import { toYaml } from "../gen/to-yaml.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { upsertCrd, waitEstablished } from "../lib/crd/install-crds.ts";
import { durationFlag } from "../lib/duration.ts";
import { KubeDevopsError } from "../lib/errors.ts";
import { createKubeClient } from "../lib/kube/client.ts";
import { systemClock } from "../lib/kube/clock.ts";
import { loadKubeConfig } from "../lib/kube/kubeconfig.ts";
import { CLI_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
import { parseRateLimit, rateLimitArgs } from "../lib/kube/connect.ts";

const generate = defineCommand({
  meta: { name: "generate", description: "Print the DevOpsPolicy and PolicyAuditResult CRDs as YAML" },
  run() {
    cliRuntime().out(toYaml(renderCrds()));
  },
});

const MESSAGES = {
  created: "installed successfully",
  updated: "updated",
  unchanged: "unchanged (already up to date)",
} as const;

const install = defineCommand({
  meta: { name: "install", description: "Create or update both CRDs in the cluster and wait until they are Established" },
  args: {
    timeout: { type: "string", default: "60s", description: "Deadline for the whole install: reaching the API server, creating or updating the CRDs, and waiting until they are Established", valueHint: "duration" },
    ...rateLimitArgs,
  },
  async run({ args }) {
    const timeoutMs = durationFlag("--timeout", args.timeout, { min: 1000 });
    const { globals, env, out, logger } = cliRuntime();
    const client = createKubeClient(loadKubeConfig({ kubeconfig: globals.kubeconfig, context: globals.context, env }), { rateLimit: parseRateLimit(args, CLI_RATE_LIMIT) });
    const crds = renderCrds();
    const names = crds.map((c) => c.metadata.name);
    // One deadline over every call and retry: a server that never answers must not outlast --timeout.
    const signal = AbortSignal.timeout(timeoutMs);
    let phase = "creating or updating the CRDs";
    try {
      for (const crd of crds) {
        const outcome = await upsertCrd(client, crd, signal);
        out(`CRD '${crd.metadata.name}' ${MESSAGES[outcome]}\n`);
      }
      phase = `waiting for ${names.map((n) => `'${n}'`).join(", ")} to be Established`;
      logger.debug("waiting for the CRDs to be Established");
      await waitEstablished(client, names, { timeoutMs, clock: systemClock, signal });
    } catch (err) {
      if (!signal.aborted) throw err;
      throw new KubeDevopsError("KUBE", `Timed out after ${timeoutMs / 1000}s (--timeout) ${phase} at ${client.transport.server} (context "${client.transport.contextName}")`, {
        cause: err,
        hint: "Check that the API server answers (kubectl cluster-info); raise --timeout on a slow one",
      });
    }
    out(`CRDs established: ${names.join(", ")}\n`);
  },
});

export default defineCommand({
  meta: { name: "crd", description: "The DevOpsPolicy and PolicyAuditResult CustomResourceDefinitions" },
  subCommands: {
    generate,
    install,
  },
});
