/**
 * @module
 * The built-in policy bundles (baseline, restricted, permissive) with the reference's
 * specs (descriptions that say what they check: decision 0031), their case-insensitive
 * lookup, and the three renderings of `policy bundle-list | bundle-show | bundle-apply`.
 */
import { usageError } from "../errors.ts";
import { stringifyYaml } from "../yaml-stringify.ts";
import { API_VERSION, type DevOpsPolicySpec } from "./schema.ts";

export interface PolicyBundle {
  name: string;
  description: string;
  spec: DevOpsPolicySpec;
}

/** Key order is the reference's field order (§2.1), which bundle-show prints. */
export const BUNDLES: readonly PolicyBundle[] = [
  {
    name: "baseline",
    description: "Forbid :latest tags and require readiness probes. Audit mode.",
    spec: { forbidLatestTag: true, requireReadinessProbe: true, enforcementMode: "audit" },
  },
  {
    name: "restricted",
    description: "Forbid :latest, require both probes, max 3 restarts, 300s Pending (resources not checked). Enforce mode.",
    spec: {
      forbidLatestTag: true,
      requireLivenessProbe: true,
      requireReadinessProbe: true,
      maxRestartCount: 3,
      forbidPendingDuration: 300,
      enforcementMode: "enforce",
      defaultProbe: { initialDelaySeconds: 5, periodSeconds: 10 },
      defaultResources: { cpuRequest: "100m", cpuLimit: "500m", memoryRequest: "128Mi", memoryLimit: "256Mi" },
      severityOverrides: { latestTag: "critical", missingLiveness: "high", missingReadiness: "high", highRestarts: "critical", pending: "high" },
    },
  },
  {
    name: "permissive",
    description: "Forbid :latest, require both probes, max 10 restarts, 600s Pending (resources not checked). Audit mode.",
    spec: {
      forbidLatestTag: true,
      requireLivenessProbe: true,
      requireReadinessProbe: true,
      maxRestartCount: 10,
      forbidPendingDuration: 600,
      enforcementMode: "audit",
      severityOverrides: { latestTag: "low", missingLiveness: "low", missingReadiness: "low", highRestarts: "medium", pending: "low" },
    },
  },
];

export const BUNDLE_LABEL = "devops.stochastic.io/bundle";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

/** Finds a bundle by name, case-insensitively (the reference lowercases the input). */
export function findBundle(name: string): PolicyBundle | undefined {
  const lower = name.toLowerCase();
  return BUNDLES.find((bundle) => bundle.name === lower);
}

/**
 * The bundle, or the reference's `Unknown bundle '<n>'. Available bundles: ...` as a usage error
 * (exit 2; the reference exits 1): the name is a flag or argument the user must change.
 */
export function requireBundle(name: string): PolicyBundle {
  const bundle = findBundle(name);
  if (bundle) return bundle;
  const available = BUNDLES.map((b) => b.name).join(", ");
  throw usageError(`Unknown bundle '${name}'. Available bundles: ${available}`, "kube-devops policy bundle-list describes them");
}

/** A deep copy of a bundle's spec, so callers may not change the built-in one. */
export function bundleSpec(name: string): DevOpsPolicySpec {
  return structuredClone(requireBundle(name).spec);
}

function specLines(spec: DevOpsPolicySpec): string[] {
  return stringifyYaml(spec).split("\n").filter((line) => line !== "");
}

/** `bundle-list`: NAME padded to 15, DESCRIPTION, a 70-dash rule, one row per bundle. */
export function renderBundleList(): string {
  const rows = BUNDLES.map((b) => `${b.name.padEnd(15)} ${b.description}`);
  return [`${"NAME".padEnd(15)} DESCRIPTION`, "-".repeat(70), ...rows].map((line) => `${line}\n`).join("");
}

/** `bundle-show`: name, description, a blank line, `Spec:` and the spec YAML indented by 2. */
export function renderBundleShow(bundle: PolicyBundle): string {
  const lines = [`Bundle: ${bundle.name}`, `Description: ${bundle.description}`, "", "Spec:", ...specLines(bundle.spec).map((l) => `  ${l}`)];
  return lines.map((line) => `${line}\n`).join("");
}

/** The DevOpsPolicy object `bundle-apply` prints (labels per the reference §2.3). */
export function bundlePolicy(bundle: PolicyBundle, target: { namespace: string; policyName: string }) {
  return {
    apiVersion: API_VERSION,
    kind: "DevOpsPolicy" as const,
    metadata: {
      name: target.policyName,
      namespace: target.namespace,
      labels: { [BUNDLE_LABEL]: bundle.name, [MANAGED_BY_LABEL]: "kube-devops" },
    },
    spec: structuredClone(bundle.spec),
  };
}

/** `bundle-apply`: the policy as one YAML document, ready for `kubectl apply -f -`. */
export function renderBundleApply(bundle: PolicyBundle, target: { namespace: string; policyName: string }): string {
  return stringifyYaml(bundlePolicy(bundle, target));
}
