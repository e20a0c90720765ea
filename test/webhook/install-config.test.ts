/**
 * The ValidatingWebhookConfiguration: the pure builder's safety settings, and
 * `webhook install-config` printing it from a real CA file.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { encodeCaBundle, renderWebhookConfiguration } from "../../gen/webhook-configuration.ts";
import { isSystemNamespace } from "../../lib/namespaces.ts";
import { writeCertificateSet } from "../../lib/webhook/cert-files.ts";
import { createCertificateAuthority, describeCertificate, generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import { runBinary } from "../support/binary.ts";

type Webhook = {
  name: string;
  clientConfig: { service: { name: string; namespace: string; path: string; port: number }; caBundle: string };
  rules: Array<{ apiGroups: string[]; resources: string[]; operations: string[] }>;
  failurePolicy: string;
  sideEffects: string;
  timeoutSeconds: number;
  matchPolicy: string;
  admissionReviewVersions: string[];
  namespaceSelector: { matchExpressions: Array<{ key: string; operator: string; values: string[] }> };
};

function firstWebhook(vwc: Record<string, unknown>): Webhook {
  return (vwc.webhooks as Webhook[])[0] as Webhook;
}

describe("renderWebhookConfiguration()", () => {
  test("fails open with a short timeout and never sees the control plane, the named system namespaces or our own", () => {
    const hook = firstWebhook(renderWebhookConfiguration({ caBundle: "Q0E=" }));
    expect(hook.name).toBe("validate.devops.stochastic.io");
    expect(hook.failurePolicy).toBe("Ignore");
    expect(hook.sideEffects).toBe("None");
    expect(hook.timeoutSeconds).toBeLessThanOrEqual(3);
    expect(hook.matchPolicy).toBe("Equivalent");
    expect(hook.admissionReviewVersions).toEqual(["v1"]);
    expect(hook.namespaceSelector.matchExpressions).toEqual([
      {
        key: "kubernetes.io/metadata.name",
        operator: "NotIn",
        values: ["kube-system", "kube-public", "kube-node-lease", "cert-manager", "istio-system", "monitoring", "observability", "argocd", "kube-devops"],
      },
    ]);
    // admission admits every one of them anyway: a call there is load for nothing, and under Fail an outage would block them
    for (const ns of hook.namespaceSelector.matchExpressions[0]?.values ?? []) expect(isSystemNamespace(ns)).toBe(true);
    expect(hook.clientConfig).toEqual({
      service: { name: "kube-devops-webhook", namespace: "kube-devops", path: "/validate", port: 443 },
      caBundle: "Q0E=",
    });
  });

  test("validates pods (with kubectl debug's ephemeralcontainers) and every pod-template kind on CREATE and UPDATE, and nothing else", () => {
    const hook = firstWebhook(renderWebhookConfiguration({ caBundle: "Q0E=" }));
    const resources = hook.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`)));
    expect(resources.sort()).toEqual(
      ["/pods", "/pods/ephemeralcontainers", "apps/daemonsets", "apps/deployments", "apps/replicasets", "apps/statefulsets", "batch/cronjobs", "batch/jobs"].sort(),
    );
    for (const rule of hook.rules) expect(rule.operations).toEqual(["CREATE", "UPDATE"]);
  });

  test("a custom namespace is excluded and addressed; the output is the same for the same input", () => {
    const a = renderWebhookConfiguration({ caBundle: "Q0E=", namespace: "gov", serviceName: "hook", port: 8443, failurePolicy: "Fail", timeoutSeconds: 2 });
    expect(a).toEqual(renderWebhookConfiguration({ caBundle: "Q0E=", namespace: "gov", serviceName: "hook", port: 8443, failurePolicy: "Fail", timeoutSeconds: 2 }));
    const hook = firstWebhook(a);
    expect(hook.namespaceSelector.matchExpressions[0]?.values).toContain("gov");
    expect(hook.clientConfig.service).toEqual({ name: "hook", namespace: "gov", path: "/validate", port: 8443 });
    expect(hook.failurePolicy).toBe("Fail");
    expect((a.metadata as { name: string }).name).toBe("hook");
  });
});

describe("kube-devops webhook install-config (binary)", () => {
  test("prints the VWC with the CA file's bytes as caBundle", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-vwc-"));
    const certs = await generateWebhookCertificates({ serviceName: "kube-devops-webhook", namespace: "kube-devops", validityDays: 30, caValidityDays: 30, now: new Date() });
    const paths = writeCertificateSet(dir, certs);
    const yaml = runBinary(["webhook", "install-config", "--ca-bundle-path", paths.caCert]);
    expect(yaml.code).toBe(0);
    const hook = firstWebhook(parse(yaml.stdout));
    expect(hook.clientConfig.caBundle).toBe(encodeCaBundle(certs.ca.cert));
    expect(Buffer.from(hook.clientConfig.caBundle, "base64").toString()).toContain("BEGIN CERTIFICATE");
    const json = runBinary(["webhook", "install-config", "--ca-bundle-path", paths.caCert, "-o", "json", "--port", "8443"]);
    expect(firstWebhook(JSON.parse(json.stdout)).clientConfig.service.port).toBe(8443);
    // more excluded namespaces: comma-separated and repeated, each checked
    const excluded = runBinary(["webhook", "install-config", "--ca-bundle-path", paths.caCert, "--exclude-namespaces", "team-a,team-b", "--exclude-namespaces", "legacy"]);
    expect(firstWebhook(parse(excluded.stdout)).namespaceSelector.matchExpressions[0]?.values.slice(-3)).toEqual(["team-a", "team-b", "legacy"]);
    const bad = runBinary(["webhook", "install-config", "--ca-bundle-path", paths.caCert, "--exclude-namespaces", "Team_A"]);
    expect({ code: bad.code, stdout: bad.stdout }).toEqual({ code: 2, stdout: "" });
    expect(bad.stderr).toContain("--exclude-namespaces");
  });

  test("refuses a serving certificate, a missing file and a bad port, with nothing on stdout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-vwc-"));
    const certs = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 30, now: new Date() });
    const paths = writeCertificateSet(dir, certs);
    const notCa = runBinary(["webhook", "install-config", "--ca-bundle-path", paths.tlsCert]);
    expect(notCa.code).toBe(1);
    expect(notCa.stderr).toContain("is not a CA");
    expect(notCa.stdout).toBe("");
    const missing = runBinary(["webhook", "install-config", "--ca-bundle-path", join(dir, "nope.crt")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("nope.crt");
    writeFileSync(join(dir, "junk.crt"), "hello");
    expect(runBinary(["webhook", "install-config", "--ca-bundle-path", join(dir, "junk.crt")]).stderr).toContain("no PEM certificate");
    const port = runBinary(["webhook", "install-config", "--ca-bundle-path", paths.caCert, "--port", "70000"]);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain("--port");
  });

  test("an empty --service-name or a bad --namespace is a usage error naming the flag, with nothing on stdout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-vwc-"));
    const certs = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 30, now: new Date() });
    const paths = writeCertificateSet(dir, certs);
    for (const [flags, named] of [
      [["--service-name", ""], '--service-name ""'],
      [["--namespace", "BAD NS"], '--namespace "BAD NS"'],
      [["--namespace", "Bad_NS"], '--namespace "Bad_NS"'],
    ] as const) {
      const result = runBinary(["webhook", "install-config", "--ca-bundle-path", paths.caCert, ...flags]);
      expect({ code: result.code, named: result.stderr.includes(named), stdout: result.stdout }).toEqual({ code: 2, named: true, stdout: "" });
    }
  });

  test("a bundle of several CAs (a rotation's ca-bundle.crt) becomes the caBundle whole; an expired one in it is a warning", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-vwc-"));
    const day = 86_400_000;
    const [current, next, expired] = await Promise.all([
      createCertificateAuthority({ validityDays: 30, now: new Date() }),
      createCertificateAuthority({ validityDays: 60, now: new Date() }),
      createCertificateAuthority({ validityDays: 1, now: new Date(Date.now() - 2 * day) }),
    ]);
    writeFileSync(join(dir, "bundle.crt"), current.cert + next.cert);
    const both = runBinary(["webhook", "install-config", "--ca-bundle-path", join(dir, "bundle.crt"), "-o", "json"]);
    expect({ code: both.code, stderr: both.stderr }).toEqual({ code: 0, stderr: "" });
    expect(Buffer.from(firstWebhook(JSON.parse(both.stdout)).clientConfig.caBundle, "base64").toString()).toBe(`${current.cert.trim()}\n${next.cert.trim()}\n`);

    writeFileSync(join(dir, "old.crt"), expired.cert + current.cert);
    const notAfter = (await describeCertificate(expired.cert)).notAfter.toISOString();
    const warned = runBinary(["webhook", "install-config", "--ca-bundle-path", join(dir, "old.crt")]);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain(`WARN  certificate 1 of ${join(dir, "old.crt")} (CN=kube-devops-webhook-ca, O=kube-devops) expired on ${notAfter}`);
    expect(parse(warned.stdout).kind).toBe("ValidatingWebhookConfiguration");
  });

  test("a bundle in which every certificate has expired, or with no certificate, is refused (exit 1, the file and notAfter named, nothing on stdout)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-vwc-"));
    const expired = await createCertificateAuthority({ validityDays: 1, now: new Date(Date.now() - 2 * 86_400_000) });
    writeFileSync(join(dir, "ca.crt"), expired.cert);
    const notAfter = (await describeCertificate(expired.cert)).notAfter.toISOString();
    const result = runBinary(["webhook", "install-config", "--ca-bundle-path", join(dir, "ca.crt")]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: "" });
    expect(result.stderr).toContain(`error: Cannot use ${join(dir, "ca.crt")} as a CA bundle: no certificate in it is valid now`);
    expect(result.stderr).toContain(`expired on ${notAfter}`);
    writeFileSync(join(dir, "empty.crt"), "");
    writeFileSync(join(dir, "key.crt"), expired.key);
    for (const [file, message] of [["empty.crt", "no PEM certificate in it"], ["key.crt", "it holds a PRIVATE KEY block (line 1)"]] as const) {
      const refused = runBinary(["webhook", "install-config", "--ca-bundle-path", join(dir, file)]);
      expect({ code: refused.code, stdout: refused.stdout, named: refused.stderr.includes(`Cannot use ${join(dir, file)} as a CA bundle: ${message}`) }).toEqual({ code: 1, stdout: "", named: true });
    }
  });
});
