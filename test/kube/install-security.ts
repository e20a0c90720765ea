/**
 * @module
 * Plugs authentication (tokens, ServiceAccount tokens, client certificates, impersonation),
 * RBAC, validating admission webhooks (and their API-server metrics on `/metrics`), the
 * review/TokenRequest endpoints and the simulated controllers into an emulator's hooks and store. startEmulator calls it; each part is a
 * pure module under auth/, admission/ or controllers/.
 */
import type { Api } from "./api.ts";
import { ADMIN_TOKEN, type AdmissionAttributes, type Hooks, type ResolvedRequest } from "./hooks.ts";
import { StatusError, invalid, notFound } from "./status.ts";
import type { KubeObject } from "./types.ts";
import { answerSelfSubjectRulesReview } from "./auth/access-reviews.ts";
import { createAuthenticator, userFromCertificateSubject, type Authenticator, type TokenRequestSpec } from "./auth/authenticator.ts";
import { bootstrapRbacObjects } from "./auth/bootstrap-policy.ts";
import type { StatusBody } from "./auth/forbidden-status.ts";
import { applyImpersonation } from "./auth/impersonation.ts";
import { createRbacAuthorizer, type RbacSource } from "./auth/rbac-authorizer.ts";
import type { Binding, ClusterRole, Role } from "./auth/rbac-rules.ts";
import { createAdmissionMetrics, type AdmissionMetrics } from "./admission/admission-metrics.ts";
import { webhookConfigurationErrors } from "./admission/match-conditions.ts";
import { createValidatingAdmission, type ValidatingWebhookConfiguration } from "./admission/validating-admission.ts";
import { startClusterRoleAggregation } from "./controllers/clusterrole-aggregation.ts";
import type { ControllerApi } from "./controllers/controller-api.ts";
import { startTokenController } from "./controllers/token-controller.ts";
import { startWorkloadControllers, type WorkloadControllers } from "./controllers/workload-controllers.ts";

const RBAC = "rbac.authorization.k8s.io";
const VWC = "validatingwebhookconfigurations.admissionregistration.k8s.io";

export interface SecurityOptions {
  /** Evaluate RBAC for every request (system:masters bypasses). Default true. */
  rbac?: boolean;
  /** Run the simulated Deployment/ReplicaSet/StatefulSet/DaemonSet controllers. Default false. */
  controllers?: boolean;
  /**
   * Where webhook `service` references really live: `"<namespace>/<name>"` → `"127.0.0.1:<port>"`
   * (the port in the reference is ignored), or a function of (namespace, name, port).
   */
  webhookServices?: Record<string, string> | ((namespace: string, name: string, port: number) => string | undefined);
  clock: () => Date;
  /** The cluster CA, which the tokens controller puts in service-account-token Secrets as ca.crt. */
  caPem?: string;
}

export interface Security {
  readonly authenticator: Authenticator;
  /** A token for an existing ServiceAccount, bound to its uid (as TokenRequest issues). */
  serviceAccountToken(namespace: string, name: string, spec?: TokenRequestSpec): string;
  /** Resolves once the simulated controllers and the clusterrole aggregation are idle. */
  settle(): Promise<void>;
  readonly controllers: WorkloadControllers | undefined;
  /** The API server's admission-webhook metrics, served on `GET /metrics` (needs `get` on that path). */
  readonly admissionMetrics: AdmissionMetrics;
  stop(): void;
}

function objects<T>(api: Api, gr: string): T[] {
  return [...api.storage.entries(gr).values()].map((e) => e.obj as unknown as T);
}

function statusError(body: StatusBody): StatusError {
  return new StatusError(body.code, body.reason ?? "", body.message, body.details);
}

/**
 * The seed every emulator starts with: bootstrap ClusterRoles and bindings, and (like kubeadm's
 * `kubeadm:cluster-admins`) a ClusterRoleBinding making `adminGroups` cluster-admin through RBAC,
 * so the kubeconfig's client-certificate user is a full user whose rights RBAC still evaluates.
 */
export function loadBootstrapPolicy(api: Api, adminGroups: string[] = []): void {
  for (const obj of bootstrapRbacObjects()) api.load(obj as KubeObject, { quiet: true });
  if (adminGroups.length === 0) return;
  api.load(
    {
      apiVersion: `${RBAC}/v1`,
      kind: "ClusterRoleBinding",
      metadata: { name: "emulator:cluster-admins" },
      roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "cluster-admin" },
      subjects: adminGroups.map((name) => ({ apiGroup: RBAC, kind: "Group", name })),
    },
    { quiet: true },
  );
}

export function installSecurity(api: Api, hooks: Hooks, opts: SecurityOptions): Security {
  const authenticator = createAuthenticator({
    now: () => opts.clock().getTime(),
    serviceAccountUid: (ns, name) => api.storage.get("serviceaccounts", `${ns}/${name}`)?.obj.metadata.uid,
  });
  authenticator.addToken(ADMIN_TOKEN, { username: "admin", groups: ["system:masters"] });

  const source: RbacSource = {
    clusterRoleBindings: () => objects<Binding>(api, `clusterrolebindings.${RBAC}`),
    roleBindings: (ns) => objects<Binding>(api, `rolebindings.${RBAC}`).filter((b) => b.metadata.namespace === ns),
    clusterRoles: () => objects<ClusterRole>(api, `clusterroles.${RBAC}`),
    role: (ns, name) => api.storage.get(`roles.${RBAC}`, `${ns}/${name}`)?.obj as Role | undefined,
  };
  const rbac = createRbacAuthorizer(source);
  const authorize = opts.rbac === false ? () => ({ allowed: true, reason: "" }) : rbac.authorize;

  const services = opts.webhookServices;
  const admissionMetrics = createAdmissionMetrics();
  const admission = createValidatingAdmission({
    observe: (call) => admissionMetrics.record(call),
    configurations: () => objects<ValidatingWebhookConfiguration>(api, VWC),
    namespaceLabels: (ns) => api.storage.get("namespaces", ns)?.obj.metadata.labels,
    resolveService: (ns, name, port) => (typeof services === "function" ? services(ns, name, port) : services?.[`${ns}/${name}`]),
  });

  // as ValidateValidatingWebhookConfiguration: a matchCondition that does not compile to bool is a 422
  api.validators.set(VWC, (obj) => {
    const errors = webhookConfigurationErrors(obj as { webhooks?: unknown });
    if (errors.length > 0) throw invalid({ group: "admissionregistration.k8s.io", kind: "ValidatingWebhookConfiguration" }, obj.metadata.name ?? "", errors);
  });

  hooks.authenticate ??= (req) => {
    const cert = req.clientCert ? userFromCertificateSubject(req.clientCert.commonName, req.clientCert.organizations) : undefined;
    const result = authenticator.authenticate(req.headers, cert);
    if ("unauthorized" in result) return null;
    const impersonated = applyImpersonation(result.user, req.headers, authorize);
    if ("status" in impersonated) throw statusError(impersonated.status);
    return impersonated.user;
  };
  hooks.authorize ??= authorize;
  hooks.admit ??= async (attrs: AdmissionAttributes) => {
    if (api.storage.count(VWC) === 0) return { allowed: true };
    const out = await admission.admit({ ...attrs, userInfo: attrs.user });
    if (out.allowed) return { allowed: true, warnings: out.warnings };
    // An empty reason stays empty (kubectl then prints "Error from server: admission webhook ...").
    return { allowed: false, status: { ...out.status, reason: out.status.reason ?? "" }, warnings: out.warnings };
  };
  hooks.handle ??= (req) => (isMetricsScrape(req) ? serveMetrics(admissionMetrics) : answerSpecialRequests(api, req, authenticator, rbac, opts.clock));

  const controllers = opts.controllers ? startWorkloadControllers(api as unknown as ControllerApi, { now: opts.clock }) : undefined;
  const aggregation = startClusterRoleAggregation(api as unknown as ControllerApi, (err) => console.error("emulator clusterrole aggregation:", err));
  // legacy tokens never expire: ten years stands in for that
  const mintLongLived = (ns: string, name: string, uid: string) => authenticator.mintServiceAccountToken(ns, name, { expirationSeconds: 10 * 365 * 86_400 }, uid).token;
  const tokens = startTokenController(api as unknown as ControllerApi, mintLongLived, opts.caPem ?? "", (err) => console.error("emulator tokens controller:", err));

  return {
    authenticator,
    controllers,
    admissionMetrics,
    serviceAccountToken(namespace, name, spec = {}) {
      const sa = api.storage.get("serviceaccounts", `${namespace}/${name}`);
      if (!sa) throw new Error(`serviceaccount ${namespace}/${name} does not exist: create it before minting a token`);
      return authenticator.mintServiceAccountToken(namespace, name, spec, sa.obj.metadata.uid).token;
    },
    settle: async () => {
      await aggregation.idle();
      await tokens.idle();
      await controllers?.idle();
    },
    stop() {
      controllers?.stop();
      aggregation.stop();
      tokens.stop();
    },
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** `GET /metrics`, already authorized as the non-resource URL (as kube-prometheus-stack's scrape is). */
function isMetricsScrape(req: ResolvedRequest): boolean {
  return !req.attrs.isResourceRequest && req.method === "GET" && req.url.pathname === "/metrics";
}

async function serveMetrics(metrics: AdmissionMetrics): Promise<Response> {
  return new Response(await metrics.text(), { headers: { "content-type": metrics.registry.contentType } });
}

/** TokenRequest, TokenReview and SelfSubjectRulesReview (SelfSubjectAccessReview is the router's). */
function answerSpecialRequests(api: Api, req: ResolvedRequest, authn: Authenticator, rbac: ReturnType<typeof createRbacAuthorizer>, clock: () => Date): Response | undefined {
  const a = req.attrs;
  if (!a.isResourceRequest || a.verb !== "create") return undefined;
  const body = (() => {
    try {
      return req.body ? (JSON.parse(req.body) as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  })();
  if (a.apiGroup === "" && a.resource === "serviceaccounts" && a.subresource === "token") {
    const sa = api.storage.get("serviceaccounts", `${a.namespace}/${a.name}`);
    if (!sa) throw notFound({ group: "", resource: "serviceaccounts" }, a.name);
    const spec = (body.spec ?? {}) as TokenRequestSpec;
    const minted = authn.mintServiceAccountToken(a.namespace, a.name, spec, sa.obj.metadata.uid);
    const expirationSeconds = spec.expirationSeconds ?? 3600;
    return json(
      {
        kind: "TokenRequest",
        apiVersion: "authentication.k8s.io/v1",
        metadata: { name: a.name, namespace: a.namespace, creationTimestamp: clock().toISOString().replace(/\.\d+Z$/, "Z") },
        spec: { audiences: spec.audiences ?? ["https://kubernetes.default.svc.cluster.local"], expirationSeconds, boundObjectRef: null },
        status: minted,
      },
      201,
    );
  }
  if (a.apiGroup === "authentication.k8s.io" && a.resource === "tokenreviews") {
    const token = String(((body.spec ?? {}) as { token?: unknown }).token ?? "");
    const result = authn.authenticate(new Headers({ authorization: `Bearer ${token}` }));
    const status = "user" in result ? { authenticated: true, user: result.user } : { authenticated: false, error: "invalid bearer token" };
    return json({ kind: "TokenReview", apiVersion: "authentication.k8s.io/v1", metadata: { creationTimestamp: null }, spec: body.spec ?? {}, status }, 201);
  }
  if (a.apiGroup === "authorization.k8s.io" && a.resource === "selfsubjectrulesreviews") {
    return json(answerSelfSubjectRulesReview(body, req.user, rbac), 201);
  }
  return undefined;
}
