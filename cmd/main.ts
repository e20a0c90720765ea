#!/usr/bin/env bun
/**
 * @module
 * The single compiled entry: the `kube-devops` root command. Subcommands are
 * lazy imports of literal paths, so the bundler sees every file and a command
 * costs nothing until it runs. Only registered commands are built ones.
 */
import { defineCommand } from "citty";
import { globalArgs } from "../lib/cli/globals.ts";
import { runCli } from "../lib/cli/run-cli.ts";
import { VERSION } from "../lib/version.ts";

export const root = defineCommand({
  meta: {
    name: "kube-devops",
    version: VERSION,
    description: "Kubernetes DevOps governance: score workloads, keep the score live, enforce policies, validate at admission",
  },
  args: globalArgs,
  subCommands: {
    version: () => import("./version.ts").then((m) => m.default),
    analyze: () => import("./analyze.ts").then((m) => m.default),
    enforce: () => import("./enforce.ts").then((m) => m.default),
    list: () => import("./list.ts").then((m) => m.default),
    check: () => import("./check.ts").then((m) => m.default),
    webhook: () => import("./webhook.ts").then((m) => m.default),
    crd: () => import("./crd.ts").then((m) => m.default),
    policy: () => import("./policy.ts").then((m) => m.default),
    "multi-cluster": () => import("./multi-cluster.ts").then((m) => m.default),
    reconcile: () => import("./reconcile.ts").then((m) => m.default),
    watch: () => import("./watch.ts").then((m) => m.default),
    deploy: () => import("./deploy.ts").then((m) => m.default),
    observability: () => import("./observability.ts").then((m) => m.default),
  },
});

if (import.meta.main) {
  const code = await runCli(root, process.argv.slice(2));
  process.exitCode = code;
}
