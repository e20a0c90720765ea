/**
 * Policy bundles: specs exactly as the reference §10.2, descriptions that say what
 * they check (decision 0031), valid against the policy schema, and the three
 * `policy bundle-*` commands end to end.
 */
import { describe, expect, test } from "bun:test";
import { parse } from "yaml";
import { enabledChecks } from "../../lib/checks/check-set.ts";
import { CHECK_IDS } from "../../lib/checks/registry.ts";
import { BUNDLES, findBundle, renderBundleApply, renderBundleList, renderBundleShow, requireBundle } from "../../lib/policy/bundles.ts";
import { checkPolicy, checkPolicySpec } from "../../lib/policy/parse-policy.ts";
import { runBinary } from "../support/binary.ts";

describe("bundles", () => {
  test("are baseline, restricted, permissive in that order", () => {
    expect(BUNDLES.map((b) => b.name)).toEqual(["baseline", "restricted", "permissive"]);
  });

  test.each(["baseline", "restricted", "permissive"])("%s validates against the policy schema", (name) => {
    expect(checkPolicySpec(requireBundle(name).spec).ok).toBe(true);
  });

  test("lookup is case-insensitive", () => {
    expect(findBundle("RESTRICTED")?.name).toBe("restricted");
    expect(findBundle("Baseline")?.name).toBe("baseline");
    expect(findBundle("strict")).toBeUndefined();
  });

  test("an unknown bundle is the reference's message, as a usage error", () => {
    expect(() => requireBundle("Strict")).toThrow("Unknown bundle 'Strict'. Available bundles: baseline, restricted, permissive");
    expect(() => requireBundle("Strict")).toThrow(expect.objectContaining({ code: "USAGE" }));
  });

  test("descriptions say what each bundle checks: all but the resource checks, not \"all checks\"", () => {
    for (const bundle of BUNDLES) {
      const enabled = enabledChecks(bundle.spec);
      if (/all checks/i.test(bundle.description)) expect(enabled).toEqual([...CHECK_IDS]);
      if (!enabled.includes("missing_requests") && bundle.name !== "baseline") expect(bundle.description).toContain("resources not checked");
    }
    expect(enabledChecks(requireBundle("restricted").spec)).toEqual(["latest_tag", "missing_liveness", "missing_readiness", "high_restarts", "pending"]);
  });

  test("restricted has no tcpPort and the reference's resources and severities", () => {
    const spec = requireBundle("restricted").spec;
    expect(spec.defaultProbe).toEqual({ initialDelaySeconds: 5, periodSeconds: 10 });
    expect(spec.defaultResources).toEqual({ cpuRequest: "100m", cpuLimit: "500m", memoryRequest: "128Mi", memoryLimit: "256Mi" });
    expect(spec.severityOverrides).toEqual({ latestTag: "critical", missingLiveness: "high", missingReadiness: "high", highRestarts: "critical", pending: "high" });
  });
});

describe("renderings", () => {
  test("bundle-list", () => {
    expect(renderBundleList()).toBe(
      "NAME            DESCRIPTION\n" +
        `${"-".repeat(70)}\n` +
        "baseline        Forbid :latest tags and require readiness probes. Audit mode.\n" +
        "restricted      Forbid :latest, require both probes, max 3 restarts, 300s Pending (resources not checked). Enforce mode.\n" +
        "permissive      Forbid :latest, require both probes, max 10 restarts, 600s Pending (resources not checked). Audit mode.\n",
    );
  });

  test("bundle-show keeps the reference's field order", () => {
    expect(renderBundleShow(requireBundle("permissive"))).toBe(
      [
        "Bundle: permissive",
        "Description: Forbid :latest, require both probes, max 10 restarts, 600s Pending (resources not checked). Audit mode.",
        "",
        "Spec:",
        "  forbidLatestTag: true",
        "  requireLivenessProbe: true",
        "  requireReadinessProbe: true",
        "  maxRestartCount: 10",
        "  forbidPendingDuration: 600",
        "  enforcementMode: audit",
        "  severityOverrides:",
        "    latestTag: low",
        "    missingLiveness: low",
        "    missingReadiness: low",
        "    highRestarts: medium",
        "    pending: low",
        "",
      ].join("\n"),
    );
  });

  test("bundle-apply is the reference's document and a valid policy", () => {
    const text = renderBundleApply(requireBundle("baseline"), { namespace: "production", policyName: "team-a" });
    expect(text).toBe(
      [
        "apiVersion: devops.stochastic.io/v1",
        "kind: DevOpsPolicy",
        "metadata:",
        "  name: team-a",
        "  namespace: production",
        "  labels:",
        "    devops.stochastic.io/bundle: baseline",
        "    app.kubernetes.io/managed-by: kube-devops",
        "spec:",
        "  forbidLatestTag: true",
        "  requireReadinessProbe: true",
        "  enforcementMode: audit",
        "",
      ].join("\n"),
    );
    expect(checkPolicy(parse(text)).ok).toBe(true);
  });
});

describe("kube-devops policy (compiled binary)", () => {
  test("bundle-apply RESTRICTED with flags prints a policy on stdout only", () => {
    const { code, stdout, stderr } = runBinary(["policy", "bundle-apply", "RESTRICTED", "--namespace", "prod", "--policy-name", "strict"]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    const doc = parse(stdout);
    expect(doc.metadata).toEqual({ name: "strict", namespace: "prod", labels: { "devops.stochastic.io/bundle": "restricted", "app.kubernetes.io/managed-by": "kube-devops" } });
    expect(doc.spec.enforcementMode).toBe("enforce");
  });

  test("bundle-apply defaults to default/devops-policy", () => {
    const doc = parse(runBinary(["policy", "bundle-apply", "permissive"]).stdout);
    expect([doc.metadata.namespace, doc.metadata.name]).toEqual(["default", "devops-policy"]);
  });

  test("an unknown bundle is a usage error (exit 2) with the reference's message on stderr", () => {
    for (const args of [["policy", "bundle-show", "nope"], ["policy", "bundle-apply", "nope"]]) {
      const { code, stdout, stderr } = runBinary(args);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toContain("Unknown bundle 'nope'. Available bundles: baseline, restricted, permissive");
    }
  });


  test("a namespace that would break the YAML is a usage error", () => {
    const { code, stdout } = runBinary(["policy", "bundle-apply", "baseline", "--namespace", "prod\nspec: {}"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
  });

  test("bundle-list prints the table", () => {
    const { code, stdout } = runBinary(["policy", "bundle-list"]);
    expect(code).toBe(0);
    expect(stdout).toBe(renderBundleList());
  });
});
