/**
 * `deploy` and `observability` on the compiled binary: YAML on stdout only, flags honoured,
 * bad flags are usage errors.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { runBinary } from "../support/binary.ts";

describe("compiled binary: manifest generators", () => {
  test("deploy generate-all prints parseable YAML in the chosen namespace, nothing on stderr", () => {
    const { code, stdout, stderr } = runBinary(["deploy", "generate-all", "--namespace", "ops", "--replicas", "3", "--create-namespace"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const objects = parseAllDocuments(stdout).map((d) => d.toJS() as { kind: string; metadata: { namespace?: string; name: string }; spec?: { replicas?: number } });
    expect(objects[0]).toMatchObject({ kind: "Namespace", metadata: { name: "ops" } });
    expect(objects.filter((o) => o.kind === "Deployment").map((o) => o.spec?.replicas)).toEqual([3, 3, 3]);
    expect(objects.filter((o) => o.metadata.namespace !== undefined && o.metadata.namespace !== "ops")).toEqual([]);
  });

  test("an invalid namespace is a usage error (exit 2) naming the flag", () => {
    const { code, stdout, stderr } = runBinary(["deploy", "generate-rbac", "--namespace", "Not_Valid"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("--namespace");
  });

  test("observability generate-dashboard --json prints the dashboard JSON", () => {
    const { code, stdout } = runBinary(["observability", "generate-dashboard", "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ uid: "kube-devops-overview", templating: { list: [{ name: "datasource" }, { name: "namespace", type: "query", includeAll: true, multi: true }] } });
  });

  test("each observability generator takes only the flags it uses (a flag that would do nothing is a usage error)", () => {
    expect(runBinary(["observability", "generate-service-monitors", "--interval", "1m", "--metrics-auth", "none"]).code).toBe(0);
    expect(runBinary(["observability", "generate-rules", "--monitor-labels", "release=prom"]).code).toBe(0);
    for (const [sub, flag] of [["generate-rules", "--interval"], ["generate-rules", "--metrics-auth"], ["generate-dashboard", "--monitor-labels"], ["generate-dashboard", "--metrics-auth"]] as const) {
      const { code, stderr } = runBinary(["observability", sub, flag, "x"]);
      expect({ sub, flag, code, named: stderr.includes(flag) }).toEqual({ sub, flag, code: 2, named: true });
    }
  });

  test("deploy generate-rbac takes only the flags its objects depend on: --image and --replicas are usage errors", () => {
    expect(runBinary(["deploy", "generate-rbac", "-n", "ops", "--cert-mode", "cert-manager", "--reports", "openreports", "--metrics-auth", "none"]).code).toBe(0);
    for (const flag of ["--image", "--replicas", "--workers", "--no-exemptions"]) {
      const { code, stdout, stderr } = runBinary(["deploy", "generate-rbac", ...(flag.startsWith("--no-") ? [flag] : [flag, "3"])]);
      expect({ flag, code, stdout, named: stderr.startsWith(`error: Unknown flag ${flag} for "kube-devops deploy generate-rbac"`) }).toEqual({ flag, code: 2, stdout: "", named: true });
    }
    for (const sub of ["generate-all", "generate-deployments"]) expect(runBinary(["deploy", sub, "--image", "x/y:1", "--replicas", "3"]).code).toBe(0);
  });

  test("deploy generate-all --tls-dir bootstraps the webhook certificate from cert-generate's files", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kd-tls-")), "certs");
    expect(runBinary(["webhook", "cert-generate", "--output-dir", dir, "--namespace", "ops"]).code).toBe(0);
    const { code, stdout } = runBinary(["deploy", "generate-all", "--namespace", "ops", "--tls-dir", dir]);
    expect(code).toBe(0);
    const objects = parseAllDocuments(stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string }; data?: Record<string, string>; webhooks?: { clientConfig: { caBundle?: string } }[] });
    const b64 = (file: string) => Buffer.from(readFileSync(join(dir, file), "utf8")).toString("base64");
    const secret = objects.find((o) => o.kind === "Secret" && o.metadata.name === "kube-devops-webhook-tls");
    expect(secret?.data).toEqual({ "ca.crt": b64("ca.crt"), "tls.crt": b64("tls.crt"), "tls.key": b64("tls.key") });
    expect(objects.find((o) => o.kind === "ValidatingWebhookConfiguration")?.webhooks?.[0]?.clientConfig.caBundle).toBe(b64("ca.crt"));
    expect(stdout).not.toContain(b64("ca.key")); // the CA's private key never leaves the directory
    // the webhook serves the provided files instead of replacing them with its own
    const webhook = objects.find((o) => o.kind === "Deployment" && JSON.stringify(o).includes('"serve"')) as unknown as { spec: { template: { spec: { containers: { args: string[] }[]; volumes: { secret?: { optional?: boolean } }[] } } } };
    expect(webhook.spec.template.spec.containers[0]?.args).toContain("--no-self-managed");
    expect(webhook.spec.template.spec.volumes.find((v) => v.secret)?.secret?.optional).toBe(false);
  });

  test("deploy generate-all --tls-dir refuses certificates for another namespace's Service (exit 1, nothing printed)", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kd-tls-")), "certs");
    expect(runBinary(["webhook", "cert-generate", "--output-dir", dir]).code).toBe(0); // for kube-devops
    const { code, stdout, stderr } = runBinary(["deploy", "generate-all", "--namespace", "ops", "--tls-dir", dir]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(`${join(dir, "tls.crt")} is not valid for kube-devops-webhook.ops.svc`);
  });

  test("deploy generate-all --tls-dir with missing files fails (exit 1) naming the file", () => {
    const { code, stdout, stderr } = runBinary(["deploy", "generate-all", "--tls-dir", join(tmpdir(), "kd-no-such-dir")]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("ca.crt");
  });
});

describe("compiled binary: deploy's webhook configuration flags", () => {
  test("generate-all sets the VWC's failure policy, timeout and more excluded namespaces, as the chart's webhook.* values do", () => {
    const { code, stdout } = runBinary(["deploy", "generate-all", "--webhook-failure-policy", "Fail", "--webhook-timeout-seconds", "2", "--webhook-exclude-namespaces", "team-a,legacy", "--webhook-exclude-namespaces", "batch"]);
    expect(code).toBe(0);
    const vwc = parseAllDocuments(stdout).map((d) => d.toJS()).find((o) => o.kind === "ValidatingWebhookConfiguration") as { webhooks: { failurePolicy: string; timeoutSeconds: number; namespaceSelector: { matchExpressions: { values: string[] }[] } }[] };
    const [hook] = vwc.webhooks;
    expect({ failurePolicy: hook?.failurePolicy, timeoutSeconds: hook?.timeoutSeconds }).toEqual({ failurePolicy: "Fail", timeoutSeconds: 2 });
    expect(hook?.namespaceSelector.matchExpressions[0]?.values).toEqual(expect.arrayContaining(["kube-system", "kube-devops", "team-a", "legacy", "batch"]));
  });

  test("bad values are usage errors naming the flag; generate-rbac, which prints no VWC, takes none of them", () => {
    for (const [flags, flag] of [
      [["--webhook-failure-policy", "Maybe"], "--webhook-failure-policy"],
      [["--webhook-timeout-seconds", "31"], "--webhook-timeout-seconds"],
      [["--webhook-exclude-namespaces", "Not_Valid"], "--webhook-exclude-namespaces"],
    ] as const) {
      const { code, stdout, stderr } = runBinary(["deploy", "generate-all", ...flags]);
      expect({ flag, code, stdout }).toEqual({ flag, code: 2, stdout: "" });
      expect(stderr).toContain(flag);
    }
    expect(runBinary(["deploy", "generate-rbac", "--webhook-failure-policy", "Fail"]).code).toBe(2);
  });
});

describe("compiled binary: webhook serve flags", () => {
  test.each([
    [["--addr", "foo"], "--addr"],
    [["--cert-check-interval", "0"], "--cert-check-interval"],
    // past a day; beyond ~24.8 days the timer would overflow and fire every millisecond
    [["--self-managed", "--cert-check-interval", "3000000"], "--cert-check-interval"],
    [["--self-managed", "--service-name", "Bad_Name"], "--service-name"],
    [["--namespace", "Bad NS"], "--namespace"],
    [["--self-managed", "--tls-secret", "UPPER"], "--tls-secret"],
    [["--self-managed", "--webhook-configuration", "a..b"], "--webhook-configuration"],
  ])("%p is a usage error (exit 2) naming the flag, before any cluster access", (flags, flag) => {
    // no kubeconfig anywhere: a flag error must not hide behind "Cannot load kubeconfig" (exit 1)
    const { code, stdout, stderr } = runBinary(["webhook", "serve", ...flags], { env: { KUBECONFIG: "/nonexistent/kubeconfig", HOME: "/nonexistent" } });
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expect(stderr).toContain(flag);
  });
});
