/**
 * @module
 * The typed API client: get / create / update / patch (JSON, merge, strategic,
 * server-side apply) / delete / status / paginated list, for any resource
 * described by a ResourceType. Every call goes through the executor's rate
 * limit and retry policy and fails with a typed error.
 */
import { RequestExecutor, type ApiCall, type ExecutorOptions } from "./request-executor.ts";
import { streamFullList } from "./full-list.ts";
import { listPages, type ListOptions, type ListPage } from "./list-pages.ts";
import type { LoadedKubeconfig } from "./loaded-kubeconfig.ts";
import { resourceName, resourcePath, type ResourceType } from "./resources.ts";
import { createTransport, type Transport, type TransportOptions } from "./transport.ts";
import type { KubeList, KubeObject } from "./types.ts";
import { parseWarningHeaders } from "./warning-headers.ts";

/** One RFC 6902 operation; `test` makes a patch fail (422/409) if the object moved on. */
export type JsonPatchOp =
  | { op: "add" | "replace" | "test"; path: string; value: unknown }
  | { op: "remove"; path: string }
  | { op: "move" | "copy"; from: string; path: string };

export type Patch =
  | { type: "json"; ops: JsonPatchOp[] }
  | { type: "merge"; patch: object }
  | { type: "strategic"; patch: object }
  | { type: "apply"; patch: object };

const PATCH_CONTENT_TYPES: Record<Patch["type"], string> = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
};

export interface CallOptions {
  namespace?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface WriteOptions extends CallOptions {
  /** Server-side dry run: validated and admitted, not persisted. */
  dryRun?: boolean;
  fieldManager?: string;
  /** `status` (or another subresource) instead of the main resource. */
  subresource?: string;
  /** `Strict`: the API server refuses a field its schema does not know instead of dropping it (as `kubectl apply` asks). */
  fieldValidation?: "Strict" | "Warn" | "Ignore";
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
  /**
   * Whether the call may be repeated after it may have been processed (a 5xx, an answer lost once
   * sent). Default: all but JSON Patch. False for a patch guarded by a resourceVersion whose
   * caller must tell its own write from another's (lib/operator/status-writer.ts): the repeat of
   * one that committed would be a 409.
   */
  idempotent?: boolean;
}

export interface DeleteOptions extends CallOptions {
  /** Delete only if the object still has this uid / resourceVersion (else Conflict). */
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: "Foreground" | "Background" | "Orphan";
  gracePeriodSeconds?: number;
  dryRun?: boolean;
}

export class KubeClient {
  constructor(readonly executor: RequestExecutor) {}

  get transport(): Transport {
    return this.executor.transport;
  }

  private call(type: ResourceType, verb: string, init: Omit<ApiCall, "verb" | "resource" | "path"> & { name?: string | undefined; subresource?: string | undefined }): ApiCall {
    const { subresource, ...rest } = init;
    return { ...rest, verb, resource: resourceName(type, subresource), path: resourcePath(type, { namespace: init.namespace, name: init.name, subresource }) };
  }

  async get<T extends KubeObject = KubeObject>(type: ResourceType, name: string, options: CallOptions & { subresource?: string } = {}): Promise<T> {
    return this.executor.json<T>(this.call(type, "get", { method: "GET", name, namespace: options.namespace, subresource: options.subresource, idempotent: true, signal: options.signal }));
  }

  async create<T extends KubeObject>(type: ResourceType, object: T, options: WriteOptions = {}): Promise<T & KubeObject> {
    const namespace = options.namespace ?? object.metadata?.namespace;
    return this.executor.json<T & KubeObject>(
      this.call(type, "create", { method: "POST", namespace, query: writeQuery(options), body: object, contentType: "application/json", idempotent: false, signal: options.signal }),
    );
  }

  /**
   * POST, like `create`, also returning the API server's warnings (its `Warning: 299` headers:
   * admission webhooks' warnings, deprecations), for callers that act on them.
   */
  async createWithWarnings<T extends KubeObject>(type: ResourceType, object: T, options: WriteOptions = {}): Promise<{ object: T & KubeObject; warnings: string[] }> {
    const namespace = options.namespace ?? object.metadata?.namespace;
    const { body, headers } = await this.executor.jsonWithHeaders<T & KubeObject>(
      this.call(type, "create", { method: "POST", namespace, query: writeQuery(options), body: object, contentType: "application/json", idempotent: false, signal: options.signal }),
    );
    return { object: body, warnings: parseWarningHeaders(headers.get("warning")) };
  }

  /** PUT: replaces the object; its metadata.resourceVersion makes this a compare-and-swap (Conflict if stale). */
  async update<T extends KubeObject>(type: ResourceType, object: T, options: WriteOptions = {}): Promise<T & KubeObject> {
    const name = requireName(type, object);
    const namespace = options.namespace ?? object.metadata?.namespace;
    return this.executor.json<T & KubeObject>(
      this.call(type, "update", { method: "PUT", name, namespace, subresource: options.subresource, query: writeQuery(options), body: object, contentType: "application/json", idempotent: true, signal: options.signal }),
    );
  }

  /** PUT to the status subresource. */
  updateStatus<T extends KubeObject>(type: ResourceType, object: T, options: WriteOptions = {}): Promise<T & KubeObject> {
    return this.update(type, object, { ...options, subresource: "status" });
  }

  async patch<T extends KubeObject = KubeObject>(type: ResourceType, name: string, patch: Patch, options: PatchOptions = {}): Promise<T> {
    if (patch.type === "apply" && !options.fieldManager) throw new TypeError("server-side apply needs a fieldManager");
    const query = { ...writeQuery(options), ...(patch.type === "apply" && options.force ? { force: true } : {}) };
    return this.executor.json<T>(
      this.call(type, "patch", {
        method: "PATCH",
        name,
        namespace: options.namespace,
        subresource: options.subresource,
        query,
        body: patch.type === "json" ? patch.ops : patch.patch,
        contentType: PATCH_CONTENT_TYPES[patch.type],
        // A JSON Patch may append to a list: repeating it is not safe. Merge, strategic and apply patches converge.
        idempotent: options.idempotent ?? patch.type !== "json",
        signal: options.signal,
      }),
    );
  }

  /** Server-side apply of a (partial) object owned by `fieldManager`. */
  apply<T extends KubeObject>(type: ResourceType, object: T, options: PatchOptions & { fieldManager: string }): Promise<T & KubeObject> {
    const name = requireName(type, object);
    return this.patch<T & KubeObject>(type, name, { type: "apply", patch: object }, { ...options, namespace: options.namespace ?? object.metadata?.namespace });
  }

  /** Deletes; resolves with what the server returns (the object while finalizers run, or a Status). */
  async delete<T = KubeObject>(type: ResourceType, name: string, options: DeleteOptions = {}): Promise<T> {
    const body = {
      apiVersion: "v1",
      kind: "DeleteOptions",
      ...(options.preconditions ? { preconditions: options.preconditions } : {}),
      ...(options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : {}),
      ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
      ...(options.dryRun ? { dryRun: ["All"] } : {}),
    };
    return this.executor.json<T>(this.call(type, "delete", { method: "DELETE", name, namespace: options.namespace, body, contentType: "application/json", idempotent: true, signal: options.signal }));
  }

  /** GET /version: the cheapest authenticated round trip (connectivity checks). */
  async serverVersion(options: { signal?: AbortSignal } = {}): Promise<{ major?: string; minor?: string; gitVersion?: string; platform?: string }> {
    return this.executor.json({ method: "GET", path: "/version", verb: "get", resource: "version", idempotent: true, signal: options.signal });
  }

  /** Asks the API server whether the current credentials may do `verb` on a resource (SelfSubjectAccessReview). */
  async canI(attributes: { verb: string; resource: string; group?: string; namespace?: string; subresource?: string; name?: string }, options: { signal?: AbortSignal } = {}): Promise<{ allowed: boolean; reason?: string }> {
    const review = await this.executor.json<{ status?: { allowed?: boolean; reason?: string } }>({
      method: "POST",
      path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
      body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: { group: "", ...attributes } } },
      contentType: "application/json",
      verb: "create",
      resource: "selfsubjectaccessreviews.authorization.k8s.io",
      idempotent: true,
      signal: options.signal,
    });
    return { allowed: review.status?.allowed === true, ...(review.status?.reason ? { reason: review.status.reason } : {}) };
  }

  /** One page of a list (`limit`/`continue`). */
  async listPage<T = KubeObject>(type: ResourceType, options: ListOptions & { continue?: string | undefined } = {}): Promise<KubeList<T>> {
    return this.executor.json<KubeList<T>>(
      this.call(type, "list", {
        method: "GET",
        namespace: options.namespace,
        query: {
          limit: options.limit ?? 500,
          continue: options.continue,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          // The API server refuses a resourceVersion beside a continue token (client-go clears it too).
          resourceVersion: options.continue ? undefined : options.resourceVersion,
          resourceVersionMatch: options.resourceVersion && !options.continue ? options.resourceVersionMatch : undefined,
        },
        idempotent: true,
        signal: options.signal,
      }),
    );
  }

  /**
   * Pages of a list, one at a time, in bounded memory. When a continue token expires mid-way, one
   * full list at the requested resourceVersion replaces it (decoded as it streams, same page size).
   */
  listPages<T = KubeObject>(type: ResourceType, options: ListOptions = {}): AsyncGenerator<ListPage<T>> {
    return listPages<T>(
      (cont) => this.listPage<T>(type, { ...options, continue: cont }),
      () => streamFullList<T>(this, type, options, options.limit ?? 500),
      options,
    );
  }

  /** The whole list in memory (for small lists; use listPages for pods). */
  async listAll<T = KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<{ items: T[]; resourceVersion: string }> {
    let items: T[] = [];
    let resourceVersion = "";
    for await (const page of this.listPages<T>(type, options)) {
      if (page.restarted) items = [];
      items = items.concat(page.items);
      resourceVersion = page.resourceVersion;
    }
    return { items, resourceVersion };
  }
}

function writeQuery(options: WriteOptions): Record<string, string | undefined> {
  return { dryRun: options.dryRun ? "All" : undefined, fieldManager: options.fieldManager, fieldValidation: options.fieldValidation };
}

function requireName(type: ResourceType, object: KubeObject): string {
  const name = object.metadata?.name;
  if (!name) throw new TypeError(`${resourceName(type)}: object has no metadata.name`);
  return name;
}

/** A client for the current context of `kc` with the given rate limit, retries and clock. */
export function createKubeClient(kc: LoadedKubeconfig, options: ExecutorOptions & TransportOptions = {}): KubeClient {
  const { handshakeTimeoutMs, ...executor } = options;
  return new KubeClient(new RequestExecutor(createTransport(kc, handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs }), executor));
}
