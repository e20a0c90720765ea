/** `deploy --reports`: the operator's flag and its report grant appear together, and only when on. */
import { describe, expect, test } from "bun:test";
import { parseDeployArgs } from "../../gen/deploy-args.ts";
import { renderRbac } from "../../gen/rbac.ts";
import { resolveDeployOptions } from "../../gen/options.ts";
import { componentArgs, renderDeployment } from "../../gen/workloads.ts";
import { plannedChecks } from "../../lib/cli/access-review.ts";
import { componentPermissions } from "../../lib/rbac/permissions.ts";

const reconcileRules = (reports?: string) =>
  renderRbac(parseDeployArgs({ reports }, "1.0.0"))
    .filter((o) => o.kind === "ClusterRole" && o.metadata?.name === "kube-devops-reconcile")
    .flatMap((o) => ("rules" in o ? (o.rules ?? []) : []))
    .filter((r) => (r.resources ?? []).some((res) => res.endsWith("reports")));

describe("--reports", () => {
  test("none (the default): no report grant, no flag", () => {
    expect(reconcileRules()).toEqual([]);
    expect(componentPermissions("reconcile").some((p) => p.resources.some((r) => r.endsWith("reports")))).toBe(false);
    expect(renderDeployment(parseDeployArgs({}, "1.0.0"), "reconcile").spec?.template.spec?.containers[0]?.args).not.toContain("--reports");
  });

  test("wgpolicyk8s and openreports: get/create/update on their resource, cluster-wide, and the flag", () => {
    expect(reconcileRules("wgpolicyk8s")).toEqual([{ apiGroups: ["wgpolicyk8s.io"], resources: ["policyreports"], verbs: ["get", "create", "update"] }]);
    expect(reconcileRules("openreports")).toEqual([{ apiGroups: ["openreports.io"], resources: ["reports"], verbs: ["get", "create", "update"] }]);
    expect(renderDeployment(parseDeployArgs({ reports: "openreports" }, "1.0.0"), "reconcile").spec?.template.spec?.containers[0]?.args?.slice(-7)).toEqual(["--reports", "openreports", "--metrics-auth", "kubernetes", "--exemptions", "--log-format", "json"]);
    expect(componentArgs(resolveDeployOptions("1.0.0", { reports: "openreports" }), "watch")).toEqual(["watch", "--metrics-auth", "kubernetes", "--exemptions", "--log-format", "json"]);
    expect(componentPermissions("webhook", undefined, { reports: "openreports" })).toEqual(componentPermissions("webhook"));
  });

  test("check --reports asks about the report grant only when given", () => {
    const reportChecks = (reports?: "wgpolicyk8s") => plannedChecks(["reconcile"], "ops", reports ? { reports } : undefined).filter((c) => c.resource === "policyreports");
    expect(reportChecks()).toEqual([]);
    expect(reportChecks("wgpolicyk8s").map((c) => `${c.verb} ${c.group}/${c.resource} ${c.namespace ?? "*"}`)).toEqual(["get wgpolicyk8s.io/policyreports *", "create wgpolicyk8s.io/policyreports *", "update wgpolicyk8s.io/policyreports *"]);
  });

  test("an unknown format is a usage error naming the flag", () => {
    expect(() => parseDeployArgs({ reports: "polr" }, "1.0.0")).toThrow('--reports "polr" must be one of none, wgpolicyk8s, openreports');
  });
});
