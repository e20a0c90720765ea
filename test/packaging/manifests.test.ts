/**
 * gen/ manifests: schema-valid against the Kubernetes OpenAPI schemas, snapshot-stable, hardened,
 * and RBAC that is exactly lib/rbac/permissions.ts.
 */
import { describe, expect, test } from "bun:test";
import { parseAllDocuments } from "yaml";
import { parseDeployArgs, parseLabels, parseMonitoringArgs } from "../../gen/deploy-args.ts";
import { renderDeployManifests, renderObservabilityManifests } from "../../gen/manifests.ts";
import { resolveDeployOptions } from "../../gen/options.ts";
import { renderRbac } from "../../gen/rbac.ts";
import { renderDeployment, renderWorkloads, SHUTDOWN_BOUND_SECONDS } from "../../gen/workloads.ts";
import { toYaml } from "../../gen/to-yaml.ts";
import { COMPONENTS, componentPermissions } from "../../lib/rbac/permissions.ts";
import { schemaErrors } from "../support/k8s-schemas.ts";

const VERSION = "1.2.3";
const options = resolveDeployOptions(VERSION);
const certManager = resolveDeployOptions(VERSION, { webhook: { ...options.webhook, certMode: "cert-manager" } });
type Obj = { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string } } & Record<string, unknown>;

describe("deploy manifests", () => {
  const all = [
    ...renderDeployManifests(options, { createNamespace: true }),
    ...renderDeployManifests(certManager, { createNamespace: false }),
    ...renderDeployManifests(options, { createNamespace: false, webhookTls: { caCert: "CA", tlsCert: "CERT", tlsKey: "KEY" } }).filter((o) => o.kind === "Secret" || o.kind === "ValidatingWebhookConfiguration"),
    ...renderObservabilityManifests(options),
    ...renderObservabilityManifests(certManager),
  ] as Obj[];

  test("every object is valid against its Kubernetes (or CRD) schema", () => {
    const errors = all.map(schemaErrors).filter((e) => e !== "");
    expect(errors).toEqual([]);
  });

  test("schema validation catches a wrong type (the check can fail)", () => {
    const bad = structuredClone(renderDeployment(options, "watch")) as Obj;
    (bad as unknown as { spec: { replicas: unknown } }).spec.replicas = "two";
    expect(schemaErrors(bad)).toContain("replicas");
  });

  test("YAML output is stable and round-trips to the same objects", () => {
    const text = toYaml(renderDeployManifests(options, { createNamespace: true }));
    expect(toYaml(renderDeployManifests(resolveDeployOptions(VERSION), { createNamespace: true }))).toBe(text);
    expect(parseAllDocuments(text).map((d) => d.toJS())).toEqual(JSON.parse(JSON.stringify(renderDeployManifests(options, { createNamespace: true }))));
    expect(text).not.toContain("&a"); // no YAML anchors even where objects share metadata
  });

  test("snapshot: deploy generate-all (self-managed certificates, with Namespace)", () => {
    expect(toYaml(renderDeployManifests(options, { createNamespace: true }))).toMatchSnapshot();
  });

  test("snapshot: deploy generate-all --cert-mode cert-manager", () => {
    expect(toYaml(renderDeployManifests(certManager, { createNamespace: false }))).toMatchSnapshot();
  });

  test("cert-manager: the serving certificate comes from a CA of our own, so its renewals keep the caBundle", () => {
    const objects = renderDeployManifests(certManager, { createNamespace: false }) as Obj[];
    type Cert = Obj & { spec: { isCA?: boolean; secretName: string; issuerRef: { kind: string; name: string } } };
    type Issuer = Obj & { spec: { selfSigned?: object; ca?: { secretName: string } } };
    const issuer = (ref: { kind: string; name: string }) => objects.find((o) => o.kind === ref.kind && o.metadata?.name === ref.name) as Issuer | undefined;
    const vwc = objects.find((o) => o.kind === "ValidatingWebhookConfiguration") as Obj & { metadata: { annotations: Record<string, string> } };
    const [ns, name] = vwc.metadata.annotations["cert-manager.io/inject-ca-from"]!.split("/");
    const serving = objects.find((o) => o.kind === "Certificate" && o.metadata?.name === name && o.metadata?.namespace === ns) as Cert;
    expect(serving.spec.secretName).toBe(certManager.names.webhookSecret);
    const caIssuer = issuer(serving.spec.issuerRef);
    expect(caIssuer?.spec.ca).toBeDefined(); // not selfSigned: a self-signed leaf is its own CA and changes with every renewal
    const ca = objects.find((o) => o.kind === "Certificate" && (o as Cert).spec.secretName === caIssuer!.spec.ca!.secretName) as Cert;
    expect(ca.spec.isCA).toBe(true);
    expect(issuer(ca.spec.issuerRef)?.spec.selfSigned).toEqual({});
  });

  test("cert-manager: watch and reconcile serve a certificate from the same CA for their Service, and their ServiceMonitors verify it", () => {
    const objects = [...renderDeployManifests(certManager, { createNamespace: false }), ...renderObservabilityManifests(certManager)] as Obj[];
    type Cert = Obj & { spec: { secretName: string; dnsNames: string[]; usages: string[]; issuerRef: { kind: string; name: string } } };
    type Monitor = Obj & { spec: { endpoints: { scheme: string; tlsConfig: { ca?: { secret: { name: string; key: string } }; serverName?: string; insecureSkipVerify?: boolean } }[] } };
    type Deployment = Obj & { spec: { template: { spec: { containers: { args: string[]; volumeMounts: { name: string; mountPath: string }[] }[]; volumes: { name: string; secret?: { secretName: string; optional?: boolean } }[] } } } };
    const webhookCert = objects.find((o) => o.kind === "Certificate" && o.metadata?.name === "kube-devops-webhook") as Cert;
    for (const component of ["watch", "reconcile"] as const) {
      const name = `kube-devops-${component}`;
      const cert = objects.find((o) => o.kind === "Certificate" && o.metadata?.name === `${name}-metrics`) as Cert;
      expect(cert.spec.issuerRef).toEqual(webhookCert.spec.issuerRef); // the webhook's CA Issuer: its Secret's ca.crt is that CA
      expect(cert.spec.usages).toContain("server auth");
      expect(cert.spec.dnsNames).toContain(`${name}.kube-devops.svc`);
      // the Deployment mounts that Secret where its flags read the pair; not optional: no unverifiable fallback
      const pod = (objects.find((o) => o.kind === "Deployment" && o.metadata?.name === name) as Deployment).spec.template.spec;
      const volume = pod.volumes.find((v) => v.secret?.secretName === cert.spec.secretName);
      expect(volume?.secret?.optional).toBeUndefined();
      const mount = pod.containers[0]!.volumeMounts.find((m) => m.name === volume!.name)!;
      const args = pod.containers[0]!.args;
      expect(args[args.indexOf("--metrics-tls-cert") + 1]).toBe(`${mount.mountPath}/tls.crt`);
      expect(args[args.indexOf("--metrics-tls-key") + 1]).toBe(`${mount.mountPath}/tls.key`);
      expect(args[args.indexOf("--metrics-auth") + 1]).toBe("kubernetes");
      // and the scrape verifies it: that Secret's CA, a name the certificate carries, no skip
      const endpoint = (objects.find((o) => o.kind === "ServiceMonitor" && o.metadata?.name === name) as Monitor).spec.endpoints[0]!;
      expect(endpoint.scheme).toBe("https");
      expect(endpoint.tlsConfig).toEqual({ ca: { secret: { name: cert.spec.secretName, key: "ca.crt" } }, serverName: `${name}.kube-devops.svc` });
      expect(cert.spec.dnsNames).toContain(endpoint.tlsConfig.serverName!);
    }
  });

  test("cert-manager with open metrics, or self-managed certificates: watch and reconcile get no certificate, as before", () => {
    const open = resolveDeployOptions(VERSION, { webhook: certManager.webhook, metricsAuth: { watch: "none", reconcile: "none", webhook: "kubernetes" } });
    for (const o of [open, options]) {
      const objects = [...renderDeployManifests(o, { createNamespace: false }), ...renderObservabilityManifests(o)] as Obj[];
      const text = toYaml(objects);
      expect(text).not.toContain("metrics-tls");
      expect(objects.filter((x) => x.kind === "Certificate").map((x) => x.metadata?.name)).toEqual(o === open ? ["kube-devops-webhook-ca", "kube-devops-webhook"] : []);
      const monitors = objects.filter((x) => x.kind === "ServiceMonitor" && x.metadata?.name !== "kube-devops-webhook") as unknown as { spec: { endpoints: { tlsConfig?: object }[] } }[];
      expect(monitors.map((m) => m.spec.endpoints[0]!.tlsConfig)).toEqual(o === open ? [undefined, undefined] : [{ insecureSkipVerify: true }, { insecureSkipVerify: true }]);
    }
  });

  test("observability generate-service-monitors --cert-mode cert-manager verifies watch and reconcile as deploy generate-all's manifests have them", () => {
    const monitors = renderObservabilityManifests(parseMonitoringArgs({ "cert-mode": "cert-manager" }, VERSION)).filter((o) => o.kind === "ServiceMonitor");
    expect(monitors).toEqual(renderObservabilityManifests(certManager).filter((o) => o.kind === "ServiceMonitor"));
    expect(() => parseMonitoringArgs({ "cert-mode": "vault" }, VERSION)).toThrow('--cert-mode "vault" must be one of self-managed, cert-manager');
  });

  test("no Namespace object unless asked; every namespaced object is in the chosen namespace", () => {
    const objects = renderDeployManifests(resolveDeployOptions(VERSION, { namespace: "ops" }), { createNamespace: false }) as Obj[];
    expect(objects.some((o) => o.kind === "Namespace")).toBe(false);
    const clusterScoped = new Set(["ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration", "CustomResourceDefinition"]);
    for (const o of objects) expect(o.metadata?.namespace).toBe(clusterScoped.has(o.kind) ? undefined : "ops");
  });

  test("the image is public and versioned, never a private registry address (W-D3)", () => {
    for (const d of renderWorkloads(options).filter((o) => o.kind === "Deployment")) {
      const image = (d as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers[0]?.image;
      expect(image).toBe("ghcr.io/kube-devops/kube-devops:v1.2.3");
    }
  });
});

describe("Deployments (W-D4, W-P1)", () => {
  for (const component of COMPONENTS) {
    test(`${component}: hardened, spread, probed, identified`, () => {
      const spec = renderDeployment(options, component).spec!;
      const pod = spec.template.spec!;
      const container = pod.containers[0]!;
      expect(spec.replicas).toBe(2);
      expect(pod.serviceAccountName).toBe(`kube-devops-${component}`);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } });
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      });
      expect(pod.topologySpreadConstraints?.map((t) => [t.topologyKey, t.whenUnsatisfiable])).toEqual([
        ["kubernetes.io/hostname", "DoNotSchedule"],
        ["topology.kubernetes.io/zone", "ScheduleAnyway"],
      ]);
      expect(container.livenessProbe?.httpGet?.path).toBe("/healthz");
      expect(container.readinessProbe?.httpGet?.path).toBe("/readyz");
      // every component HTTPS by default: watch and reconcile with --metrics-auth kubernetes (decision 0029)
      expect([container.startupProbe, container.livenessProbe, container.readinessProbe].map((p) => p?.httpGet?.scheme)).toEqual(["HTTPS", "HTTPS", "HTTPS"]);
      expect(container.env?.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath])).toEqual([
        ["POD_NAME", "metadata.name"],
        ["POD_NAMESPACE", "metadata.namespace"],
      ]);
      expect(container.args).toContain("json");
      expect(container.resources?.limits?.memory).toBeDefined();
      expect(container.resources?.requests?.cpu).toBeDefined();
      // the lifecycle's bound plus the preStop sleep must fit before SIGKILL
      const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(preStop) + SHUTDOWN_BOUND_SECONDS);
    });
  }

  test("replicas and image follow the options", () => {
    const custom = parseDeployArgs({ replicas: "3", image: "registry.example/kd:dev" }, VERSION);
    const d = renderDeployment(custom, "reconcile");
    expect(d.spec?.replicas).toBe(3);
    expect(d.spec?.template.spec?.containers[0]?.image).toBe("registry.example/kd:dev");
  });
});

describe("RBAC (W-D1)", () => {
  test("each component's roles hold exactly its grants from lib/rbac/permissions.ts", () => {
    const objects = renderRbac(options) as (Obj & { rules?: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[] })[];
    for (const component of COMPONENTS) {
      const rules = objects.filter((o) => o.metadata?.name === `kube-devops-${component}` && o.rules).flatMap((o) => o.rules ?? []);
      const expected = componentPermissions(component).map((p) => ({
        apiGroups: [p.group],
        resources: [...p.resources],
        ...(p.resourceNames ? { resourceNames: [...p.resourceNames] } : {}),
        verbs: [...p.verbs],
      }));
      const sorted = (list: unknown[]) => list.map((r) => JSON.stringify(r)).sort();
      expect(sorted(rules)).toEqual(sorted(expected));
    }
  });

  test("bindings bind only the component's own ServiceAccount; leases only through a namespaced Role", () => {
    const objects = renderRbac(options) as (Obj & { subjects?: { name: string }[]; roleRef?: { name: string }; rules?: { resources?: string[] }[] })[];
    for (const b of objects.filter((o) => o.kind.endsWith("Binding"))) expect(b.subjects?.map((s) => s.name)).toEqual([b.roleRef?.name ?? ""]);
    for (const r of objects.filter((o) => o.kind === "ClusterRole")) expect(r.rules?.some((rule) => rule.resources?.includes("leases"))).toBe(false);
  });

  test("snapshot: deploy generate-rbac", () => {
    expect(toYaml(renderRbac(options))).toMatchSnapshot();
  });
});

describe("flags", () => {
  test("bad values are usage errors naming the flag", () => {
    expect(() => parseDeployArgs({ namespace: "Bad_NS" }, VERSION)).toThrow("--namespace");
    expect(() => parseDeployArgs({ replicas: "two" }, VERSION)).toThrow("--replicas");
    expect(() => parseDeployArgs({ "cert-mode": "manual" }, VERSION)).toThrow("--cert-mode");
    expect(() => parseMonitoringArgs({ interval: "soon" }, VERSION)).toThrow("--interval");
    expect(() => parseLabels("release", "--monitor-labels")).toThrow("--monitor-labels");
  });

  test("--interval takes exactly the whole-second durations from 1s to 2m30s (5m rate windows need two scrapes)", () => {
    const seconds = (text: string) => [...text.matchAll(/(\d+)([ms])/g)].reduce((sum, [, n, unit]) => sum + Number(n) * (unit === "m" ? 60 : 1), 0);
    const candidates = [...Array.from({ length: 200 }, (_, s) => `${s}s`), ...Array.from({ length: 60 }, (_, s) => `1m${s}s`), ...Array.from({ length: 60 }, (_, s) => `2m${s}s`), "1m", "2m", "3m", "1h", "500ms"];
    for (const interval of candidates) {
      // canonical forms only: no "0s" part after minutes
      const expected = seconds(interval) >= 1 && seconds(interval) <= 150 && !interval.endsWith("m0s") && !interval.endsWith("ms");
      const accepted = (() => {
        try {
          return parseMonitoringArgs({ interval }, VERSION).monitoring.interval === interval;
        } catch {
          return false;
        }
      })();
      expect(`${interval} ${accepted}`).toBe(`${interval} ${expected}`);
    }
    expect(() => parseMonitoringArgs({ interval: "0s" }, VERSION)).toThrow("must be a scrape interval from 1s to 2m30s");
  });

  test("monitor labels land on ServiceMonitors and the PrometheusRule, not hard-wired (W-D5)", () => {
    const objects = renderObservabilityManifests(parseMonitoringArgs({ "monitor-labels": "release=prom,team=platform" }, VERSION)) as Obj[];
    const labelled = objects.filter((o) => ((o.metadata as { labels?: Record<string, string> }).labels ?? {}).release === "prom").map((o) => o.kind);
    expect(labelled).toEqual(["ServiceMonitor", "ServiceMonitor", "ServiceMonitor", "PrometheusRule"]);
    const defaults = JSON.stringify(renderObservabilityManifests(options));
    expect(defaults).not.toContain("stable");
  });
});
