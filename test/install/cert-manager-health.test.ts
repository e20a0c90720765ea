/**
 * The cert-manager lines of `check`, from literal objects: the webhook's Certificate (Ready,
 * not Ready, not issued, missing, cert-manager not installed, a refused read) and the metrics
 * Secret a stuck Deployment waits for.
 */
import { describe, expect, test } from "bun:test";
import { judgeCertificate, metricsTlsSecret, parseCertificateRef, waitingPods, withMissingSecret } from "../../lib/install/cert-manager-health.ts";
import { judgeDeployment, type DeploymentObject } from "../../lib/install/install-health.ts";

const ref = { namespace: "kd", name: "kube-devops-webhook" };
const now = Date.parse("2026-01-01T00:00:00Z");
const judge = (read: Parameters<typeof judgeCertificate>[1]) => judgeCertificate("C", read, ref, "kube-devops-webhook-tls", now, "install");

describe("judgeCertificate", () => {
  test("Ready True is OK with its notAfter; False FAILs with reason and message; no Ready yet WARNs", () => {
    const ready = judge({ state: "found", object: { status: { notAfter: "2026-03-02T00:00:00Z", conditions: [{ type: "Ready", status: "True" }] } } });
    expect(ready).toEqual({ label: "C", status: "OK", detail: "kd/kube-devops-webhook Ready, notAfter 2026-03-02T00:00:00Z (in 60 days)" });
    const failed = judge({ state: "found", object: { status: { conditions: [{ type: "Ready", status: "False", reason: "Failed", message: "issuer not ready" }] } } });
    expect(failed).toMatchObject({ status: "FAIL", detail: "kd/kube-devops-webhook not Ready (Failed: issuer not ready)" });
    expect(judge({ state: "found", object: {} })).toMatchObject({ status: "WARN", detail: "kd/kube-devops-webhook not issued yet" });
    expect(judge({ state: "found", object: { status: { conditions: [{ type: "Ready", status: "Unknown" }] } } })).toMatchObject({ status: "WARN", detail: "kd/kube-devops-webhook not issued yet (Ready Unknown)" });
  });

  test("no CRD: cert-manager is not installed, FAIL; no Certificate FAILs; a refused read is UNKNOWN naming it; a failed read FAILs", () => {
    expect(judge({ state: "unserved" })).toMatchObject({ status: "FAIL", detail: expect.stringContaining("cert-manager is not installed") });
    expect(judge({ state: "absent" })).toMatchObject({ status: "FAIL", detail: "Certificate kd/kube-devops-webhook does not exist: cert-manager will not issue the webhook's Secret kube-devops-webhook-tls", hint: "install" });
    const refused = { verb: "get", group: "cert-manager.io", resource: "certificates", name: "kube-devops-webhook", namespace: "kd" };
    expect(judge({ state: "forbidden", what: "get certificates.cert-manager.io/kube-devops-webhook in kd", refused })).toMatchObject({ status: "UNKNOWN", hint: "kubectl auth can-i get certificates.cert-manager.io/kube-devops-webhook -n kd", refused });
    expect(judge({ state: "error", message: "503" }).status).toBe("FAIL");
  });

  test("the annotation's namespace/name", () => {
    expect(parseCertificateRef("kd/kube-devops-webhook")).toEqual(ref);
    expect(parseCertificateRef("kube-devops-webhook")).toBeUndefined();
    expect(parseCertificateRef(undefined)).toBeUndefined();
  });
});

describe("the metrics Secret a Deployment waits for", () => {
  test("found among the pod's volumes, and named first in the hint", () => {
    expect(metricsTlsSecret([{ name: "tmp" }, { name: "metrics-tls", secret: { secretName: "kube-devops-watch-metrics-tls" } }])).toBe("kube-devops-watch-metrics-tls");
    expect(metricsTlsSecret([{ name: "tls", secret: { secretName: "kube-devops-webhook-tls" } }])).toBeUndefined();
    const line = withMissingSecret({ label: "D", status: "FAIL", detail: "not Available", hint: "describe" }, "s-metrics-tls", "kd");
    expect(line.hint).toBe("its pods mount Secret s-metrics-tls, which does not exist: they cannot start until cert-manager issues it (kubectl -n kd get certificates -o wide); describe");
  });

  // a switch from self-managed to cert-manager mode: the old pods keep serving (Available), the new
  // ReplicaSet's pods wait for the Secret — the line is the rollout's, not "not Available"
  const watch = (status: DeploymentObject["status"]): DeploymentObject => ({ metadata: { name: "kube-devops-watch", generation: 4, labels: { "app.kubernetes.io/version": "1.2.3" } }, spec: { replicas: 2 }, status });
  const line = (status: DeploymentObject["status"]) => judgeDeployment("D", { state: "found", object: watch(status) }, "kd", "1.2.3");
  const stuck = line({ observedGeneration: 4, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2, conditions: [{ type: "Available", status: "True" }, { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }] });
  const rolling = line({ observedGeneration: 4, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2, conditions: [{ type: "Available", status: "True" }, { type: "Progressing", status: "True", reason: "ReplicaSetUpdated" }] });

  test("a rollout stuck or in progress: this rollout's pods are the ones that wait, and the hint says so before the rollout's own", () => {
    expect(stuck.detail).toStartWith("rollout to v1.2.3 stuck (ProgressDeadlineExceeded)");
    expect(waitingPods(stuck)).toBe("rollout");
    expect(withMissingSecret(stuck, "s-metrics-tls", "kd", "rollout").hint).toBe(
      "this rollout's pods mount Secret s-metrics-tls, which does not exist: they cannot start until cert-manager issues it (kubectl -n kd get certificates -o wide), the old pods serve meanwhile; kubectl -n kd rollout status deployment kube-devops-watch; kubectl -n kd describe deployment kube-devops-watch",
    );
    expect(rolling.detail).toStartWith("Available, rolling out to v1.2.3");
    expect(waitingPods(rolling)).toBe("rollout");
  });

  test("not Available: every pod waits; a line with no pod waiting to start is left alone", () => {
    expect(waitingPods(line({ observedGeneration: 4, replicas: 2, conditions: [{ type: "Available", status: "False", reason: "MinimumReplicasUnavailable" }] }))).toBe("all");
    const done = { observedGeneration: 4, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, conditions: [{ type: "Available", status: "True" }] };
    expect(waitingPods(line(done))).toBeUndefined();
    // another version running, fully rolled out: nothing waits
    expect(waitingPods(judgeDeployment("D", { state: "found", object: watch(done) }, "kd", "1.3.0"))).toBeUndefined();
    expect(waitingPods(judgeDeployment("D", { state: "found", object: { ...watch(done), spec: { replicas: 0 } } }, "kd", "1.2.3"))).toBeUndefined();
    expect(waitingPods(judgeDeployment("D", { state: "absent" }, "kd", "1.2.3"))).toBeUndefined();
  });
});
