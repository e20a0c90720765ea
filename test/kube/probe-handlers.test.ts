/**
 * One handler per probe and lifecycle hook, as kube-apiserver's `validateHandler` requires
 * (pkg/apis/core/validation/validation.go): the first of exec, httpGet, tcpSocket, grpc (sleep for
 * hooks) is accepted and each later one is refused at its own path, `Forbidden: may not specify
 * more than 1 handler type`. The emulator used to accept both, so a merged probe passed here and
 * failed on a cluster.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEmulator, type Emulator } from "./emulator.ts";
import { call, pod } from "./test-client.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

const FORBIDDEN = "Forbidden: may not specify more than 1 handler type";
const withContainer = (name: string, container: Record<string, unknown>) => ({ ...pod(name), spec: { containers: [{ name: "c", image: "busybox:1.36", ...container }] } });
const deployment = (name: string, container: Record<string, unknown>) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: "web:1", ...container }] } } },
});

describe("probe handlers", () => {
  test("a Deployment whose probe has two handlers is 422, naming the later handler at its path", async () => {
    const r = await call(emu, "/apis/apps/v1/namespaces/default/deployments", { method: "POST", body: deployment("two", { livenessProbe: { httpGet: { path: "/healthz", port: 8080 }, tcpSocket: { port: 8080 } } }) });
    expect(r.status).toBe(422);
    expect(r.body.message).toBe(`Deployment.apps "two" is invalid: spec.template.spec.containers[0].livenessProbe.tcpSocket: ${FORBIDDEN}`);
    expect(r.body.details.causes).toEqual([{ reason: "FieldValueForbidden", message: FORBIDDEN, field: "spec.template.spec.containers[0].livenessProbe.tcpSocket" }]);
  });

  test("the order is exec, httpGet, tcpSocket, grpc: every handler after the first is named", async () => {
    const r = await call(emu, "/api/v1/namespaces/default/pods", { method: "POST", body: withContainer("three", { readinessProbe: { grpc: { port: 9000 }, tcpSocket: { port: 80 }, exec: { command: ["true"] } } }) });
    expect(r.status).toBe(422);
    expect(r.body.details.causes.map((c: { field: string }) => c.field)).toEqual(["spec.containers[0].readinessProbe.tcpSocket", "spec.containers[0].readinessProbe.grpc"]);
  });

  test("an explicit null is no handler, and one handler per probe is accepted", async () => {
    const r = await call(emu, "/api/v1/namespaces/default/pods", { method: "POST", body: withContainer("one", { startupProbe: { httpGet: { path: "/", port: 80 }, tcpSocket: null }, readinessProbe: { exec: { command: ["true"] } } }) });
    expect(r.status).toBe(201);
  });

  test("a native sidecar's probe is validated; a StatefulSet's template too", async () => {
    const sts = { ...deployment("db", {}), kind: "StatefulSet", spec: { ...deployment("db", {}).spec, serviceName: "db" } };
    (sts.spec.template.spec as Record<string, unknown>).initContainers = [{ name: "proxy", image: "p:1", restartPolicy: "Always", readinessProbe: { exec: { command: ["true"] }, httpGet: { path: "/", port: 80 } } }];
    const r = await call(emu, "/apis/apps/v1/namespaces/default/statefulsets", { method: "POST", body: sts });
    expect(r.status).toBe(422);
    expect(r.body.details.causes[0].field).toBe("spec.template.spec.initContainers[0].readinessProbe.httpGet");
  });
});

describe("lifecycle handlers", () => {
  test("a preStop hook with exec and sleep is refused at sleep", async () => {
    const r = await call(emu, "/api/v1/namespaces/default/pods", { method: "POST", body: withContainer("hook", { lifecycle: { preStop: { exec: { command: ["sh"] }, sleep: { seconds: 5 } } } }) });
    expect(r.status).toBe(422);
    expect(r.body.message).toBe(`Pod "hook" is invalid: spec.containers[0].lifecycle.preStop.sleep: ${FORBIDDEN}`);
  });
});
