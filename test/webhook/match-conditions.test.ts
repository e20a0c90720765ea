/**
 * The generated VWC's matchConditions are isControllerCreated in CEL: on a cross product of callers,
 * owner references, annotations and operations, the API server (the emulator's CEL matcher) skips
 * the webhook exactly when the webhook itself could only warn, and no expression ever fails to
 * evaluate (an error under failurePolicy Ignore would skip the webhook: a bypass).
 */
import { describe, expect, test } from "bun:test";
import { isControllerCreated, MIRROR_POD_ANNOTATION, TEMPLATE_OWNER_API_VERSIONS, TEMPLATE_OWNER_KINDS } from "../../lib/admission/admit.ts";
import { NOT_CONTROLLER_CREATED, NOT_MIRROR_POD, WEBHOOK_MATCH_CONDITIONS } from "../../lib/admission/match-conditions.ts";
import { compileProblem, evaluateMatchConditions } from "../kube/admission/match-conditions.ts";
import type { AdmissionAttributes } from "../kube/admission/webhook-matching.ts";

const USERS = [
  "alice",
  "",
  "system:kube-controller-manager",
  "system:kube-scheduler",
  "system:serviceaccount:kube-system:replicaset-controller",
  "system:serviceaccount:kube-system:job-controller",
  "system:serviceaccount:kube-system:some-addon",
  "system:serviceaccount:kube-systemx:impostor",
  "system:serviceaccount:team-a:deployer",
  "system:node:worker-1",
  "system:nodes",
];

type Ref = Record<string, unknown>;
const apiVersionOf = (kind: string): string => (TEMPLATE_OWNER_API_VERSIONS as Record<string, string>)[kind] ?? "apps/v1";
const ref = (kind: string, extra: Ref = { controller: true }): Ref => ({ apiVersion: apiVersionOf(kind), kind, name: "owner", uid: "u1", ...extra });

/** metadata variants: no owners, every template owner as controller, other owners, non-controller refs, annotations. */
const METADATA: Record<string, unknown>[] = [
  {},
  { ownerReferences: [] },
  ...[...TEMPLATE_OWNER_KINDS, "ReplicationController", "Node", "Rollout"].map((kind) => ({ ownerReferences: [ref(kind)] })),
  { ownerReferences: [ref("ReplicaSet", { controller: false })] },
  // a custom resource that happens to be named like a template owner: its template was never judged
  { ownerReferences: [ref("ReplicaSet", { apiVersion: "example.com/v1", controller: true })] },
  { ownerReferences: [ref("Job", { apiVersion: "apps/v1", controller: true })] },
  { ownerReferences: [ref("Deployment", { apiVersion: "batch/v1", controller: true })] },
  { ownerReferences: [ref("ReplicaSet", {})] },
  { ownerReferences: [ref("Deployment", {}), ref("Rollout")] },
  { ownerReferences: [ref("Rollout", { controller: false }), ref("Job")] },
  { annotations: { [MIRROR_POD_ANNOTATION]: "hash" } },
  { annotations: { [MIRROR_POD_ANNOTATION]: "" } },
  { annotations: { "kubernetes.io/config.source": "file" } },
  { annotations: { [MIRROR_POD_ANNOTATION]: "hash" }, ownerReferences: [ref("Node", { apiVersion: "v1", controller: true })] },
  { labels: { app: "web" }, annotations: {}, ownerReferences: [ref("StatefulSet")] },
];

const KINDS = [
  { kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" } },
  { kind: { group: "apps", version: "v1", kind: "ReplicaSet" }, resource: { group: "apps", version: "v1", resource: "replicasets" } },
];

function attrs(operation: "CREATE" | "UPDATE", username: string, metadata: Record<string, unknown>, which: (typeof KINDS)[number]): AdmissionAttributes {
  const object = { apiVersion: "v1", kind: which.kind.kind, metadata: { name: "x", namespace: "prod", ...metadata }, spec: { containers: [{ name: "app", image: "nginx:latest" }] } };
  return { operation, ...which, subResource: "", namespace: "prod", name: "x", object, oldObject: operation === "UPDATE" ? object : null, dryRun: false, userInfo: { username, groups: ["system:authenticated"] } };
}

describe("the webhook's matchConditions", () => {
  test("each compiles in the admission environment to bool, with a qualified name", () => {
    expect(WEBHOOK_MATCH_CONDITIONS.map((c) => c.name)).toEqual(["not-controller-created", "not-kubelet-mirror-pod"]);
    for (const c of WEBHOOK_MATCH_CONDITIONS) expect(compileProblem(c.expression)).toBeUndefined();
  });

  test("skip the webhook exactly when isControllerCreated holds, and never fail to evaluate", () => {
    let skipped = 0;
    let cases = 0;
    for (const operation of ["CREATE", "UPDATE"] as const)
      for (const which of KINDS)
        for (const username of USERS)
          for (const metadata of METADATA) {
            const a = attrs(operation, username, metadata, which);
            const result = evaluateMatchConditions({ failurePolicy: "Fail", matchConditions: [...WEBHOOK_MATCH_CONDITIONS] }, a, which.resource);
            expect({ username, metadata, result: "error" in result ? result.error : "ok" }).toEqual({ username, metadata, result: "ok" });
            expect({ username, metadata, called: result.matches }).toEqual({ username, metadata, called: !isControllerCreated(a.object, username) });
            cases++;
            if (!result.matches) skipped++;
          }
    // the table exercises both sides
    expect(cases).toBe(2 * 2 * USERS.length * METADATA.length);
    expect(skipped).toBeGreaterThan(40);
    expect(skipped).toBeLessThan(cases / 2);
  });

  test("a bare pod from a kube-system ServiceAccount is sent; its ReplicaSet-controlled twin is not; each condition names its skip", () => {
    const bare = attrs("CREATE", "system:serviceaccount:kube-system:some-addon", {}, KINDS[0]!);
    expect(evaluateMatchConditions({ matchConditions: [...WEBHOOK_MATCH_CONDITIONS] }, bare, KINDS[0]!.resource)).toEqual({ matches: true });
    const child = attrs("CREATE", "system:serviceaccount:kube-system:replicaset-controller", { ownerReferences: [ref("ReplicaSet")] }, KINDS[0]!);
    expect(evaluateMatchConditions({ matchConditions: [...WEBHOOK_MATCH_CONDITIONS] }, child, KINDS[0]!.resource)).toEqual({ matches: false, failedCondition: NOT_CONTROLLER_CREATED.name });
    const mirror = attrs("CREATE", "system:node:worker-1", { annotations: { [MIRROR_POD_ANNOTATION]: "h" } }, KINDS[0]!);
    expect(evaluateMatchConditions({ matchConditions: [...WEBHOOK_MATCH_CONDITIONS] }, mirror, KINDS[0]!.resource)).toEqual({ matches: false, failedCondition: NOT_MIRROR_POD.name });
  });
});
