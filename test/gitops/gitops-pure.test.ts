import { describe, expect, test } from "bun:test";
import { diffPolicy, exportPolicy, renderDriftLines } from "../../lib/policy/gitops.ts";

const base = { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name: "p", namespace: "n" } };

describe("exportPolicy()", () => {
  test("keeps identity, labels, user annotations and spec in schema order; drops everything server-set", () => {
    const out = exportPolicy({
      ...base,
      metadata: { ...base.metadata, uid: "u", resourceVersion: "9", labels: { b: "2", a: "1" }, annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}", z: "y" } } as never,
      spec: { enforcementMode: "enforce", forbidLatestTag: true },
      status: { healthScore: 3 },
    } as never);
    expect(out).toEqual({
      apiVersion: "devops.stochastic.io/v1",
      kind: "DevOpsPolicy",
      metadata: { name: "p", namespace: "n", labels: { a: "1", b: "2" }, annotations: { "devops.stochastic.io/exported-from": "n", z: "y" } },
      spec: { forbidLatestTag: true, enforcementMode: "enforce" },
    });
    expect(Object.keys(out.spec)).toEqual(["forbidLatestTag", "enforcementMode"]);
  });

  test("stamps exported-at only when asked", () => {
    expect(exportPolicy({ ...base, spec: {} }, { exportedAt: "2026-01-01T00:00:00Z" }).metadata.annotations?.["devops.stochastic.io/exported-at"]).toBe("2026-01-01T00:00:00Z");
    expect(Object.keys(exportPolicy({ ...base, spec: {} }).metadata.annotations ?? {})).toEqual(["devops.stochastic.io/exported-from"]);
  });
});

describe("diffPolicy()", () => {
  test("no drift when only transport annotations differ", () => {
    const file = { ...base, metadata: { ...base.metadata, annotations: { "devops.stochastic.io/exported-from": "x" } }, spec: { forbidLatestTag: true } };
    const cluster = { ...base, metadata: { ...base.metadata, annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } }, spec: { forbidLatestTag: true } };
    expect(diffPolicy(file, cluster)).toEqual([]);
  });

  test("names nested spec paths, added and removed fields", () => {
    const file = { ...base, spec: { defaultProbe: { tcpPort: 8080 }, requireLivenessProbe: true } };
    const cluster = { ...base, spec: { defaultProbe: { tcpPort: 9090 }, forbidLatestTag: false } };
    expect(renderDriftLines(diffPolicy(file, cluster))).toEqual([
      "  - spec.defaultProbe.tcpPort: 9090",
      "  + spec.defaultProbe.tcpPort: 8080",
      "  - spec.forbidLatestTag: false",
      "  + spec.requireLivenessProbe: true",
    ]);
  });
});
