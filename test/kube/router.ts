/**
 * @module
 * The HTTP front of the emulator: fault injection, authentication, authorization, discovery,
 * then the resource verbs (get/list/watch/create/update/patch/delete/deletecollection) on
 * the Api, with JSON or Table responses and Status errors.
 */
import { parse as parseYaml } from "yaml";
import type { Api, DeleteOptions, WriteOptions } from "./api.ts";
import { AGGREGATED_CONTENT_TYPE, aggregatedDiscovery, wantsAggregated } from "./aggregated-discovery.ts";
import { apiGroup, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION } from "./discovery.ts";
import type { FaultRules } from "./faults.ts";
import { defaultAuthenticate, type ClientCertificate, type Hooks, type RequestAttributes, type UserInfo } from "./hooks.ts";
import { PATCH_TYPES, applyJsonPatch, applyMergePatch, type PatchType } from "./patch.ts";
import { openApiDocument, openApiIndex } from "./openapi.ts";
import { decodeKubeProtobuf } from "./protobuf.ts";
import { parseRequestInfo, type RequestInfo } from "./request-info.ts";
import { parseFieldSelector, parseLabelSelector } from "./selectors.ts";
import { StatusError, badRequest, conflict, internalError, methodNotAllowed, notFound, unauthorized, unsupportedMediaType } from "./status.ts";
import type { Entry } from "./storage.ts";
import { toTable, type IncludeObject } from "./table.ts";
import { apiVersionOf, groupResource, type KubeObject, type ResourceType } from "./types.ts";
import type { WatchHub } from "./watch.ts";

export interface RouterDeps {
  api: Api;
  hub: WatchHub;
  hooks: Hooks;
  faults: FaultRules;
  serverAddress: () => string;
  clock: () => Date;
}

const JSON_HEADERS = { "content-type": "application/json" };

/** Pods' `ephemeralcontainers` subresource (what `kubectl debug` patches): GET returns the Pod; PATCH/PUT change only spec.ephemeralContainers. */
function hasEphemeralContainers(t: { group: string; kind: string }): boolean {
  return t.group === "" && t.kind === "Pod";
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}, warnings: readonly string[] = []): Response {
  const all = new Headers({ ...JSON_HEADERS, ...headers });
  for (const w of warningHeaders(warnings)) all.append("warning", w);
  return new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: all });
}

/** The warning recorder's limits (apiserver endpoints/filters/warning.go), in runes. */
const WARNING_TOTAL_RUNES = 4096;
const WARNING_ITEM_RUNES = 256;

/**
 * One `Warning` header per distinct warning, as the API server writes them (apimachinery
 * net.NewWarningHeader: `299 - "<text>"`, only `"` and `\` escaped, anything else as it is; the
 * warning recorder drops a text it already holds). Past 4096 runes in all the recorder cuts every
 * text to 256 runes and drops those that come once the cut texts reach 4096.
 */
export function warningHeaders(warnings: readonly string[]): string[] {
  const runes = (w: string) => [...w].length;
  const cut = (w: string) => [...w].slice(0, WARNING_ITEM_RUNES).join("");
  const ordered: string[] = [];
  let headers: string[] = [];
  let written = 0;
  let truncating = false;
  // recorder.AddWarning, one text at a time
  for (const text of warnings) {
    if (text === "" || (truncating && written >= WARNING_TOTAL_RUNES) || ordered.includes(text)) continue;
    ordered.push(text);
    const w = truncating ? cut(text) : text;
    if (written + runes(w) <= WARNING_TOTAL_RUNES || truncating) {
      written += runes(w);
      headers.push(w);
      continue;
    }
    // over the limit: from now on truncate, and replay everything so far truncated
    truncating = true;
    headers = ordered.map(cut);
    written = headers.reduce((n, h) => n + runes(h), 0);
  }
  return headers.map((w) => `299 - "${w.replace(/["\\]/g, (c) => `\\${c}`)}"`);
}

function statusResponse(err: StatusError): Response {
  const headers: Record<string, string> = {};
  if (err.details?.retryAfterSeconds !== undefined) headers["retry-after"] = String(err.details.retryAfterSeconds);
  return json(err.toStatus(), err.code, headers, err.warnings);
}

function wantsTable(accept: string | null): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

function forbiddenMessage(a: RequestAttributes, reason?: string): StatusError {
  const user = `User "${a.user.username}"`;
  let msg: string;
  if (!a.isResourceRequest) msg = `forbidden: ${user} cannot ${a.verb} path "${a.path}"`;
  else {
    const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const scope = a.namespace ? `in the namespace "${a.namespace}"` : "at the cluster scope";
    const target = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
    msg = `${a.name ? `${target} "${a.name}"` : target} is forbidden: ${user} cannot ${a.verb} resource "${res}" in API group "${a.apiGroup}" ${scope}`;
  }
  if (reason) msg += `: ${reason}`;
  return new StatusError(403, "Forbidden", msg, a.isResourceRequest ? { ...(a.name ? { name: a.name } : {}), ...(a.apiGroup ? { group: a.apiGroup } : {}), kind: a.resource } : {});
}

async function readBody(req: Request): Promise<unknown> {
  const ct = (req.headers.get("content-type") ?? "application/json").split(";")[0]!.trim();
  if (ct === "application/vnd.kubernetes.protobuf") return decodeKubeProtobuf(new Uint8Array(await req.arrayBuffer()));
  if (ct.includes("protobuf")) throw unsupportedMediaType("application/json, application/yaml");
  const text = await req.text();
  if (text.trim() === "") return undefined;
  try {
    return ct === "application/yaml" ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded: ${(err as Error).message}`);
  }
}

export function createHandler(deps: RouterDeps): (req: Request, ctx: { clientCert?: ClientCertificate }) => Promise<Response> {
  const { api, hub, hooks, faults } = deps;

  async function handle(req: Request, ctx: { clientCert?: ClientCertificate }): Promise<Response> {
    const url = new URL(req.url);
    const info = parseRequestInfo(req.method, url);
    const facts = { method: req.method, verb: info.verb, resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name, path: info.path };
    const delay = faults.delayFor(facts);
    if (delay > 0) await Bun.sleep(delay);
    const injected = faults.take(facts);
    if (injected) return injected.inStream ? hub.failInStream(injected.error) : statusResponse(injected.error);

    const clientCert = ctx.clientCert;
    const authn = hooks.authenticate ?? defaultAuthenticate;
    const user = await authn({ method: req.method, url, headers: req.headers, ...(clientCert ? { clientCert } : {}) });
    if (!user) return statusResponse(unauthorized());

    const attrs: RequestAttributes = {
      user,
      verb: info.isResourceRequest ? info.verb : req.method.toLowerCase(),
      isResourceRequest: info.isResourceRequest,
      path: info.path,
      apiGroup: info.group,
      apiVersion: info.version,
      resource: info.resource,
      subresource: info.subresource,
      namespace: info.namespace,
      name: info.name,
    };
    if (hooks.authorize) {
      const decision = await hooks.authorize(attrs);
      if (!decision.allowed) return statusResponse(forbiddenMessage(attrs, decision.reason));
    }
    if (hooks.handle) {
      const ct = req.headers.get("content-type") ?? "";
      const body = req.method === "GET" || req.method === "HEAD" ? "" : ct.startsWith("application/vnd.kubernetes.protobuf") ? JSON.stringify(await readBody(req.clone() as Request)) : await req.clone().text();
      const res = await hooks.handle({ method: req.method, url, headers: req.headers, user, attrs, body });
      if (res) return res;
    }
    if (!info.isResourceRequest) return discovery(info, url, req.headers.get("accept"));
    return resource(req, url, info, user);
  }

  function discovery(info: RequestInfo, url: URL, accept: string | null): Response {
    const p = url.pathname.replace(/\/$/, "");
    if (p === "/version") return json(SERVER_VERSION);
    if (p === "/healthz" || p === "/livez" || p === "/readyz") return new Response("ok", { headers: { "content-type": "text/plain" } });
    if ((p === "/api" || p === "/apis") && wantsAggregated(accept)) {
      return json(aggregatedDiscovery(api.registry, p === "/api"), 200, { "content-type": AGGREGATED_CONTENT_TYPE });
    }
    if (p === "/openapi/v3") return json(openApiIndex(api.registry));
    if (p.startsWith("/openapi/v3/")) {
      const m = p.slice("/openapi/v3/".length).match(/^(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/);
      const doc = m ? openApiDocument(api.registry, m[2] ?? "", m[1] ?? m[3] ?? "") : undefined;
      if (doc) return json(doc);
    }
    if (p === "/api") return json(apiVersions(deps.serverAddress()));
    if (p === "/apis") return json(apiGroupList(api.registry));
    if (info.apiPrefix === "api" && info.parts.length === 2) {
      const list = apiResourceList(api.registry, "", info.version);
      if (list) return json(list);
    }
    if (info.apiPrefix === "apis" && info.parts.length === 2) {
      const g = apiGroup(api.registry, info.group);
      if (g) return json(g);
    }
    if (info.apiPrefix === "apis" && info.parts.length === 3) {
      const list = apiResourceList(api.registry, info.group, info.version);
      if (list) return json(list);
    }
    return notFoundPage();
  }

  function notFoundPage(): Response {
    return statusResponse(new StatusError(404, "NotFound", "the server could not find the requested resource", {}));
  }

  /** Serves an entry at the requested version (CRDs may serve several; no conversion beyond apiVersion). */
  function encodeAt(t: ResourceType, version: string, e: Entry): string {
    if (version === t.version) return e.json;
    const o = JSON.parse(e.json) as KubeObject;
    o.apiVersion = apiVersionOf({ group: t.group, version });
    return JSON.stringify(o);
  }

  function objectAt(t: ResourceType, version: string, o: KubeObject): KubeObject {
    return version === t.version ? o : { ...o, apiVersion: apiVersionOf({ group: t.group, version }) };
  }

  async function resource(req: Request, url: URL, info: RequestInfo, user: UserInfo): Promise<Response> {
    const t = api.registry.find(info.group, info.version, info.resource);
    if (!t) return notFoundPage();
    const gr = groupResource(t);
    const q = url.searchParams;
    const ns = t.namespaced ? info.namespace || undefined : undefined;
    if (t.kind === "Namespace" && info.name) info.namespace = "";
    if (!t.namespaced && info.namespace && t.kind !== "Namespace") return notFoundPage();
    if (info.subresource && !["status", "finalize", "scale"].includes(info.subresource) && !(info.subresource === "ephemeralcontainers" && hasEphemeralContainers(t))) return notFoundPage();
    if (info.subresource === "scale") return scale(req, t, info, ns, user, q.get("fieldManager") ?? (req.headers.get("user-agent") ?? "unknown").split("/")[0]!);
    if (info.subresource === "status" && !(t.crd ? t.crd.versions.find((v) => v.name === info.version)?.statusSubresource : t.status)) return notFoundPage();
    const table = wantsTable(req.headers.get("accept"));
    const includeObject = (q.get("includeObject") ?? "Metadata") as IncludeObject;
    const now = deps.clock();
    const warnings: string[] = [];
    const dryRun = q.getAll("dryRun").includes("All");
    const fv = q.get("fieldValidation");
    const isApply = (req.headers.get("content-type") ?? "").startsWith("application/apply-patch");
    const manager = q.get("fieldManager") ?? (isApply ? undefined : (req.headers.get("user-agent") ?? "unknown").split("/")[0]);
    const write: WriteOptions = { user, dryRun, warnings, ...(fv === "Ignore" || fv === "Warn" || fv === "Strict" ? { fieldValidation: fv } : {}), ...(manager ? { fieldManager: manager } : {}), ...(info.subresource ? { subresource: info.subresource } : {}), ...(q.get("force") === "true" ? { force: true } : {}) };
    const respond = (o: KubeObject, status = 200): Response => {
      const headers: Record<string, string> = {};
      const body = table ? toTable(t, info.version, [objectAt(t, info.version, o)], { includeObject, now }) : objectAt(t, info.version, o);
      return json(body, status, headers, warnings);
    };

    if (t.virtual) {
      if (info.verb !== "create") return statusResponse(methodNotAllowed());
      return json(await review(t, (await readBody(req)) as KubeObject, user), 201);
    }

    switch (info.verb) {
      case "get": {
        const e = api.getEntry(gr, ns, info.name);
        if (!e) return statusResponse(notFound(t, info.name));
        if (table) return json(toTable(t, info.version, [e.obj], { includeObject, now, resourceVersion: String(e.rv) }));
        return json(encodeAt(t, info.version, e));
      }
      case "list": {
        const limit = q.get("limit") ? Number(q.get("limit")) : undefined;
        const page = api.listPage(gr, { ...(ns ? { namespace: ns } : {}), labelSelector: q.get("labelSelector") ?? "", fieldSelector: q.get("fieldSelector") ?? "", ...(limit ? { limit } : {}), ...(q.get("continue") ? { continue: q.get("continue")!, expire: faults.takeContinueExpiry() } : {}) });
        if (table) {
          return json(toTable(t, info.version, page.entries.map((e) => e.obj), { includeObject, now, resourceVersion: page.resourceVersion, ...(page.continue ? { continue: page.continue } : {}), ...(page.remainingItemCount !== undefined ? { remainingItemCount: page.remainingItemCount } : {}) }));
        }
        const meta: Record<string, unknown> = { resourceVersion: page.resourceVersion };
        if (page.continue) meta.continue = page.continue;
        if (page.remainingItemCount !== undefined) meta.remainingItemCount = page.remainingItemCount;
        const head = `{"kind":"${t.listKind}","apiVersion":"${apiVersionOf({ group: t.group, version: info.version })}","metadata":${JSON.stringify(meta)},"items":[`;
        const items = page.entries.map((e) => encodeAt(t, info.version, e)).join(",");
        return json(`${head}${items}]}`);
      }
      case "watch": {
        const fields = parseFieldSelector(q.get("fieldSelector") || (info.name ? `metadata.name=${info.name}` : ""), ["metadata.name", ...(t.namespaced ? ["metadata.namespace"] : []), ...t.fieldSelectors]);
        const labels = parseLabelSelector(q.get("labelSelector"));
        const sie = q.get("sendInitialEvents");
        return hub.open({
          type: t,
          gr,
          namespace: ns,
          labels,
          fields,
          resourceVersion: q.get("resourceVersion") ?? undefined,
          allowBookmarks: q.get("allowWatchBookmarks") === "true",
          sendInitialEvents: sie === null ? undefined : sie === "true",
          timeoutSeconds: q.get("timeoutSeconds") ? Number(q.get("timeoutSeconds")) : undefined,
          encode: table ? (e) => JSON.stringify(toTable(t, info.version, [e.obj], { includeObject, now: deps.clock() })) : (e) => encodeAt(t, info.version, e),
        });
      }
      case "create": {
        if (info.name) return statusResponse(methodNotAllowed());
        const body = (await readBody(req)) as KubeObject | undefined;
        if (!body) throw badRequest("the request body is empty");
        const created = await api.create(gr, body, { ...write, ...(ns ? { namespace: ns } : {}), version: info.version });
        return respond(created, 201);
      }
      case "update": {
        const body = (await readBody(req)) as KubeObject | undefined;
        if (!body) throw badRequest("the request body is empty");
        if (info.subresource === "finalize") delete write.subresource;
        const updated = await api.update(gr, body, { ...write, ...(ns ? { namespace: ns } : {}), name: info.name, version: info.version });
        return respond(updated);
      }
      case "patch": {
        const ct = (req.headers.get("content-type") ?? "").split(";")[0]!.trim() as PatchType;
        if (!PATCH_TYPES.includes(ct)) throw unsupportedMediaType(PATCH_TYPES.join(", "));
        const existed = api.getEntry(gr, ns, info.name) !== undefined;
        const patched = await api.patch(gr, ns, info.name, ct, await req.text(), { ...write, version: info.version });
        return respond(patched, existed ? 200 : 201);
      }
      case "delete": {
        const body = ((await readBody(req)) ?? {}) as { propagationPolicy?: string; preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: string[]; orphanDependents?: boolean; gracePeriodSeconds?: number };
        const opts: DeleteOptions = { ...write, dryRun: dryRun || (body.dryRun ?? []).includes("All") };
        const policy = q.get("propagationPolicy") ?? body.propagationPolicy ?? (body.orphanDependents === true ? "Orphan" : undefined);
        if (policy) opts.propagationPolicy = policy as DeleteOptions["propagationPolicy"];
        if (body.preconditions) opts.preconditions = body.preconditions;
        const r = await api.delete(gr, ns, info.name, opts);
        if (r.returnObject) return respond(r.object, r.status);
        return json({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name: info.name, ...(t.group ? { group: t.group } : {}), kind: t.resource, uid: r.object.metadata.uid } }, r.status);
      }
      case "deletecollection": {
        const page = api.listPage(gr, { ...(ns ? { namespace: ns } : {}), labelSelector: q.get("labelSelector") ?? "", fieldSelector: q.get("fieldSelector") ?? "" });
        const deleted: KubeObject[] = [];
        for (const e of page.entries) {
          const r = await api.delete(gr, e.obj.metadata.namespace, e.obj.metadata.name!, { ...write });
          deleted.push(r.object);
        }
        return json({ kind: t.listKind, apiVersion: apiVersionOf({ group: t.group, version: info.version }), metadata: { resourceVersion: String(api.storage.currentRv) }, items: deleted });
      }
      default:
        return statusResponse(methodNotAllowed());
    }
  }

  /** The autoscaling/v1 Scale subresource of workloads (and CRDs with a scale subresource). */
  async function scale(req: Request, t: ResourceType, info: RequestInfo, ns: string | undefined, user: UserInfo, fieldManager: string): Promise<Response> {
    const gr = groupResource(t);
    const crdScale = t.crd?.versions.find((v) => v.name === info.version)?.scaleSubresource;
    if (!(t.crd ? crdScale : t.scale)) return notFoundPage();
    const view = (o: KubeObject): KubeObject => {
      const spec = (o.spec ?? {}) as Record<string, unknown>;
      const status = (o.status ?? {}) as Record<string, unknown>;
      const sel = spec.selector as { matchLabels?: Record<string, string> } | undefined;
      return {
        kind: "Scale",
        apiVersion: "autoscaling/v1",
        metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
        spec: { replicas: Number(spec.replicas ?? 0) },
        status: { replicas: Number(status.replicas ?? 0), selector: Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(",") },
      };
    };
    const current = api.get(gr, ns, info.name);
    if (req.method === "GET") return json(view(current));
    let desired: KubeObject;
    if (req.method === "PUT") desired = (await readBody(req)) as KubeObject;
    else if (req.method === "PATCH") {
      const ct = (req.headers.get("content-type") ?? "").split(";")[0]!.trim();
      const text = await req.text();
      desired = (ct === "application/json-patch+json" ? applyJsonPatch(view(current), text) : applyMergePatch(view(current), JSON.parse(text))) as KubeObject;
    } else return statusResponse(methodNotAllowed());
    const rv = desired.metadata?.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw conflict(t, info.name);
    const replicas = Number((desired.spec as { replicas?: unknown } | undefined)?.replicas ?? 0);
    const next = { ...current, spec: { ...(current.spec as object), replicas } };
    const updated = await api.update(gr, next, { user, fieldManager, ...(ns ? { namespace: ns } : {}), name: info.name, fromPatch: true });
    return json(view(updated));
  }

  /** Self/SubjectAccessReview and SelfSubjectReview answered from the authorize hook. */
  async function review(t: ResourceType, body: KubeObject | undefined, user: UserInfo): Promise<object> {
    const spec = (body?.spec ?? {}) as { resourceAttributes?: Record<string, string>; nonResourceAttributes?: { path?: string; verb?: string }; user?: string; groups?: string[] };
    if (t.kind === "SelfSubjectReview") return { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { creationTimestamp: null }, status: { userInfo: user } };
    if (t.kind === "SelfSubjectAccessReview" || t.kind === "SubjectAccessReview") {
      const subject: UserInfo = t.kind === "SubjectAccessReview" ? { username: spec.user ?? "", groups: spec.groups ?? [] } : user;
      const ra = spec.resourceAttributes;
      const attrs: RequestAttributes = ra
        ? { user: subject, verb: ra.verb ?? "", isResourceRequest: true, path: "", apiGroup: ra.group ?? "", apiVersion: ra.version ?? "", resource: ra.resource ?? "", subresource: ra.subresource ?? "", namespace: ra.namespace ?? "", name: ra.name ?? "" }
        : { user: subject, verb: spec.nonResourceAttributes?.verb ?? "", isResourceRequest: false, path: spec.nonResourceAttributes?.path ?? "", apiGroup: "", apiVersion: "", resource: "", subresource: "", namespace: "", name: "" };
      const d = hooks.authorize ? await hooks.authorize(attrs) : { allowed: true };
      return { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { creationTimestamp: null }, spec, status: { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) } };
    }
    if (t.kind === "SelfSubjectRulesReview") {
      return { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { creationTimestamp: null }, spec, status: { resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }], nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }], incomplete: !!hooks.authorize } };
    }
    throw new StatusError(405, "MethodNotAllowed", `${t.resource} is not supported by the emulator`);
  }

  return async (req, ctx) => {
    try {
      return await handle(req, ctx);
    } catch (err) {
      if (err instanceof StatusError) return statusResponse(err);
      console.error("emulator: unexpected error", err);
      return statusResponse(internalError((err as Error).message));
    }
  };
}

