/**
 * @module
 * `kube-devops version`: prints `kube-devops version <semver> (<commit>)`.
 */
import { defineCommand } from "citty";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { formatVersion } from "../lib/version.ts";

export default defineCommand({
  meta: { name: "version", description: "Print the version and commit of this build" },
  run() {
    cliRuntime().out(`${formatVersion()}\n`);
  },
});
