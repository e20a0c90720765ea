/**
 * Stored policies are read field by field: a field a newer rule refuses is left out and named,
 * the rest applies — so admission keeps denying what the policy forbids.
 */
import { describe, expect, test } from "bun:test";
import { admitRequest } from "../../lib/admission/admit.ts";
import { PolicyIndex, projectAdmissionPolicy } from "../../lib/admission/policy-index.ts";
import { goodContainer, pod, request } from "../webhook/fixtures.ts";
import { readStoredSpec } from "../../lib/policy/read-stored-spec.ts";

describe("readStoredSpec", () => {
  test("a valid spec comes back whole, nothing ignored", () => {
    expect(readStoredSpec({ forbidLatestTag: true, maxRestartCount: 3 })).toEqual({ ok: true, spec: { forbidLatestTag: true, maxRestartCount: 3 }, ignored: [] });
  });

  test("a refused field (maxRestartCount -1, stored before the rule) is left out and named; the rest stays", () => {
    const read = readStoredSpec({ forbidLatestTag: true, enforcementMode: "enforce", maxRestartCount: -1 });
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.spec).toEqual({ forbidLatestTag: true, enforcementMode: "enforce" });
    expect(read.ignored.map((i) => i.path)).toEqual(["spec.maxRestartCount"]);
  });

  test("a refused nested field leaves out its whole top-level field (no half of defaultResources is injected)", () => {
    const read = readStoredSpec({ requireResourceRequests: true, defaultResources: { cpuRequest: "-1", memoryRequest: "64Mi" } });
    expect(read.ok && read.spec).toEqual({ requireResourceRequests: true });
  });

  test("a spec that is not an object cannot be read", () => {
    expect(readStoredSpec("enforce").ok).toBe(false);
    expect(readStoredSpec(undefined)).toEqual({ ok: true, spec: {}, ignored: [] });
  });
});

describe("projectAdmissionPolicy", () => {
  test("an enforcing policy with a field a newer rule refuses still denies :latest", () => {
    const projected = projectAdmissionPolicy({ metadata: { namespace: "prod", name: "p" }, spec: { forbidLatestTag: true, enforcementMode: "enforce", maxRestartCount: -1 } });
    expect("policy" in projected).toBe(true);
    if (!("policy" in projected)) return;
    expect(projected.ignored).toEqual([expect.stringMatching(/^spec\.maxRestartCount: /)]);
    const index = new PolicyIndex();
    index.upsert(projected.policy);
    const decision = admitRequest(request(pod([goodContainer("app", { image: "nginx:latest" })])), { ownNamespace: "kube-devops", policiesFor: (ns) => index.forNamespace(ns) });
    expect(decision.response.allowed).toBe(false);
  });
});
