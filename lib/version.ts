/**
 * @module
 * Version and commit, baked in by scripts/build.ts through `define`. Under
 * `bun run`/`bun test` the package version and "dev" are used instead.
 */
import pkg from "../package.json" with { type: "json" };

declare const KUBE_DEVOPS_VERSION: string | undefined;
declare const KUBE_DEVOPS_COMMIT: string | undefined;

/** The semantic version of this build. */
export const VERSION: string =
  typeof KUBE_DEVOPS_VERSION === "string" ? KUBE_DEVOPS_VERSION : pkg.version;

/** The git commit of this build ("dev" when run from source). */
export const COMMIT: string = typeof KUBE_DEVOPS_COMMIT === "string" ? KUBE_DEVOPS_COMMIT : "dev";

/** `kube-devops version <semver> (<commit>)` — the line `version` prints. */
export function formatVersion(): string {
  return `kube-devops version ${VERSION} (${COMMIT})`;
}
