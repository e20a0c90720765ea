/**
 * @module
 * `kube-devops crd generate`: both CustomResourceDefinitions (DevOpsPolicy, then
 * PolicyAuditResult) as YAML on stdout, `---` separated. `crd install`: create or
 * update both and wait until they are Established (docs/decisions/0009).
 */
import { defineCommand } from "citty";
import { renderCrds } from "../gen/crd.ts";
import { toYaml } from "../gen/to-yaml.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { upsertCrd, waitEstablished } from "../lib/crd/install-crds.ts";
import { durationFlag } from "../lib/duration.ts";
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
    timeout: { type: "string", default: "60s", description: "How long to wait for the CRDs to be Established", valueHint: "duration" },
    ...rateLimitArgs,
  },
  async run({ args }) {
    const timeoutMs = durationFlag("--timeout", args.timeout, { min: 0 });
    const { globals, env, out, logger } = cliRuntime();
    const client = createKubeClient(loadKubeConfig({ kubeconfig: globals.kubeconfig, context: globals.context, env }), { rateLimit: parseRateLimit(args, CLI_RATE_LIMIT) });
    const crds = renderCrds();
    for (const crd of crds) {
      const outcome = await upsertCrd(client, crd);
      out(`CRD '${crd.metadata.name}' ${MESSAGES[outcome]}\n`);
    }
    logger.debug("waiting for the CRDs to be Established");
    await waitEstablished(client, crds.map((c) => c.metadata.name), { timeoutMs, clock: systemClock });
    out(`CRDs established: ${crds.map((c) => c.metadata.name).join(", ")}\n`);
  },
});

export default defineCommand({
  meta: { name: "crd", description: "The DevOpsPolicy and PolicyAuditResult CustomResourceDefinitions" },
  subCommands: {
    generate,
    install,
  },
});
