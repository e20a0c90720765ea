/**
 * matchConditions in the emulator: compiled in the admission CEL environment (literal expressions),
 * evaluated as matcher.go does, and a VWC whose condition does not compile to bool refused with 422
 * over HTTPS, as the API server refuses it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEmulator, type Emulator } from "../emulator.ts";
import { call } from "../test-client.ts";
import { compileProblem, evaluateMatchConditions, type MatchCondition } from "./match-conditions.ts";
import type { AdmissionAttributes } from "./webhook-matching.ts";

const POD_GVR = { group: "", version: "v1", resource: "pods" };

function attrs(over: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return {
    operation: "CREATE",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: POD_GVR,
    subResource: "",
    namespace: "team-a",
    name: "web",
    object: { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "team-a", labels: { app: "web" } }, spec: { priority: 3, containers: [{ name: "app", image: "nginx" }] } },
    oldObject: null,
    dryRun: false,
    userInfo: { username: "alice", groups: ["devs", "system:authenticated"] },
    ...over,
  };
}

function evaluate(expression: string, over: Partial<AdmissionAttributes> = {}, failurePolicy?: "Fail" | "Ignore") {
  return evaluateMatchConditions({ failurePolicy, matchConditions: [{ name: "c", expression }] }, attrs(over), POD_GVR);
}

describe("compiling in the admission environment", () => {
  test("object and oldObject are dyn, request is typed, the result must be bool", () => {
    for (const ok of [
      "has(object.metadata.labels) && 'app' in object.metadata.labels",
      "request.userInfo.username.startsWith('system:')",
      "'devs' in request.userInfo.groups",
      "request.operation == 'UPDATE' && oldObject.metadata.name == object.metadata.name",
      "object.spec.containers.exists(c, c.image.endsWith(':latest'))",
      "!(request.resource.group == 'coordination.k8s.io' && request.resource.resource == 'leases')",
    ])
      expect(compileProblem(ok)).toBeUndefined();
    expect(compileProblem("object.metadata.name")).toBe("must evaluate to bool");
    expect(compileProblem("request.userInfo.username")).toBe("must evaluate to bool");
    expect(compileProblem("request.userInfo.nickname == 'x'")).toStartWith("compilation failed: ");
    expect(compileProblem("object.metadata.name ==")).toStartWith("compilation failed: ");
    expect(compileProblem("request.userInfo.username == 1")).toStartWith("compilation failed: ");
  });
});

describe("evaluating as the API server's matcher", () => {
  test("whole JSON numbers are int, so they compare with int literals", () => {
    expect(evaluate("object.spec.priority == 3")).toEqual({ matches: true });
    expect(evaluate("object.spec.priority > 4")).toEqual({ matches: false, failedCondition: "c" });
  });

  test("a missing field is an error unless guarded by has(); has() on a missing map key is false", () => {
    expect(evaluate("object.metadata.annotations['a'] == 'b'")).toMatchObject({ matches: false, error: expect.stringContaining("resulted in error") });
    expect(evaluate("has(object.metadata.annotations) && object.metadata.annotations['a'] == 'b'")).toEqual({ matches: false, failedCondition: "c" });
  });

  test("evaluation errors skip the webhook under Ignore and fail the request under Fail (the default)", () => {
    expect(evaluate("object.nope == 1", {}, "Ignore")).toEqual({ matches: false });
    expect(evaluate("object.nope == 1", {}, "Fail")).toMatchObject({ matches: false, error: expect.any(String) });
    expect(evaluate("object.nope == 1")).toMatchObject({ matches: false, error: expect.any(String) });
  });

  test("any false condition skips the call even when another one errors; all true call it", () => {
    const conditions: MatchCondition[] = [
      { name: "broken", expression: "object.nope == 1" },
      { name: "not-alice", expression: "request.userInfo.username != 'alice'" },
    ];
    expect(evaluateMatchConditions({ failurePolicy: "Fail", matchConditions: conditions }, attrs(), POD_GVR)).toEqual({ matches: false, failedCondition: "not-alice" });
    expect(evaluateMatchConditions({ matchConditions: [{ name: "a", expression: "true" }, { name: "b", expression: "object.metadata.name == 'web'" }] }, attrs(), POD_GVR)).toEqual({ matches: true });
    expect(evaluateMatchConditions({}, attrs(), POD_GVR)).toEqual({ matches: true });
  });

  test("oldObject is null on CREATE and object is the new object on UPDATE", () => {
    expect(evaluate("oldObject == null")).toEqual({ matches: true });
    const old = { metadata: { name: "web", labels: { app: "old" } } };
    expect(evaluate("oldObject.metadata.labels.app == 'old' && object.metadata.labels.app == 'web'", { operation: "UPDATE", oldObject: old })).toEqual({ matches: true });
  });
});

describe("a ValidatingWebhookConfiguration with matchConditions, over HTTPS", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu.stop());

  const PATH = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
  const vwc = (name: string, matchConditions: unknown) => ({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name },
    webhooks: [
      {
        name: "pods.example.io",
        clientConfig: { url: "https://127.0.0.1:1/validate" },
        rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
        sideEffects: "None",
        admissionReviewVersions: ["v1"],
        matchConditions,
      },
    ],
  });

  test("a condition that compiles to bool is stored as written", async () => {
    const expression = "!('system:nodes' in request.userInfo.groups)";
    const r = await call(emu, PATH, { method: "POST", body: vwc("good", [{ name: "not-nodes", expression }]) });
    expect(r.status).toBe(201);
    expect(r.body.webhooks[0].matchConditions).toEqual([{ name: "not-nodes", expression }]);
  });

  test("one that does not compile, is not bool, or has a bad or duplicate name is refused with 422 naming the field", async () => {
    const r = await call(emu, PATH, {
      method: "POST",
      body: vwc("bad", [
        { name: "syntax", expression: "object.metadata.name ==" },
        { name: "not-bool", expression: "object.metadata.name" },
        { name: "-bad-", expression: "true" },
        { name: "syntax", expression: "true" },
      ]),
    });
    expect(r.status).toBe(422);
    expect(r.body.reason).toBe("Invalid");
    const causes = (r.body.details.causes as { field: string; message: string }[]).map((c) => `${c.field}: ${c.message.split(":")[0]}`);
    expect(causes).toEqual([
      "webhooks[0].matchConditions[0].expression: Invalid value",
      "webhooks[0].matchConditions[1].expression: Invalid value",
      "webhooks[0].matchConditions[2].name: Invalid value",
      "webhooks[0].matchConditions[3].name: Duplicate value",
    ]);
    expect(r.body.message).toContain("compilation failed: ");
    expect(r.body.message).toContain('webhooks[0].matchConditions[1].expression: Invalid value: "object.metadata.name": must evaluate to bool');
    expect((await call(emu, `${PATH}/bad`)).status).toBe(404);
  });

  test("an update that breaks a stored condition is refused too", async () => {
    const current = (await call(emu, `${PATH}/good`)).body;
    current.webhooks[0].matchConditions = [{ name: "not-nodes", expression: "request.userInfo.groups" }];
    const r = await call(emu, `${PATH}/good`, { method: "PUT", body: current });
    expect(r.status).toBe(422);
    expect(r.body.message).toContain("must evaluate to bool");
  });
});
