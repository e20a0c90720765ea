/**
 * @module
 * `--exemptions` / `--no-exemptions`, as every command that scores or judges workloads takes it
 * (analyze, multi-cluster analyze, watch, reconcile, webhook serve, enforce): whether
 * `devops.stochastic.io/exempt*` annotations count. Developers can write those annotations, so
 * the switch is the cluster admin's (docs/decisions/0002). The help says what the switch changes
 * in the command at hand.
 */
import type { ArgsDef } from "citty";

/** The flag for a command whose `--no-exemptions` makes it `effect` exempt-annotated workloads like any other ("score and judge"). */
export function defineExemptionsArg(effect: string) {
  return {
    exemptions: {
      type: "boolean",
      default: true,
      description: `Honour devops.stochastic.io/exempt annotations (--no-exemptions: ${effect} exempt-annotated workloads like any other)`,
    },
  } satisfies ArgsDef;
}
