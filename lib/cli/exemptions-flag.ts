/**
 * @module
 * `--exemptions` / `--no-exemptions`, as every command that scores or judges workloads takes it
 * (analyze, watch, reconcile, webhook serve, enforce): whether `devops.stochastic.io/exempt*`
 * annotations count. Developers can write those annotations, so the switch is the cluster admin's
 * (docs/decisions/0002).
 */
import type { ArgsDef } from "citty";

export const exemptionsArg = {
  exemptions: {
    type: "boolean",
    default: true,
    description: "Honour devops.stochastic.io/exempt annotations (--no-exemptions: score, judge and remediate exempt-annotated workloads like any other)",
  },
} satisfies ArgsDef;
