/**
 * @module
 * One unpaginated list request whose body is decoded item by item as it
 * streams in (list-decoder.ts) and handed out in pages: the fallback after a
 * paged list's continue token expired. A large body on a slow server may take
 * minutes, so there is no overall deadline — only one for silence.
 */
import { KubeDevopsError } from "../errors.ts";
import type { KubeClient } from "./client.ts";
import type { ListOptions } from "./list-pages.ts";
import { decodeListBody, ListBodyError, type DecodedListPage } from "./list-decoder.ts";
import { resourceName, resourcePath, type ResourceType } from "./resources.ts";
import { describeTransportError } from "./transport-errors.ts";

/** No response headers, or no body bytes, for this long ends the request (as a watch's idle timeout). */
export const FULL_LIST_SILENCE_MS = 180_000;

class Silence extends Error {}

/** Streams one full list (no `limit`) of `type` in pages of `pageSize` decoded items. */
export async function* streamFullList<T>(client: KubeClient, type: ResourceType, options: ListOptions, pageSize: number, silenceMs = FULL_LIST_SILENCE_MS): AsyncGenerator<DecodedListPage<T>> {
  const resource = resourceName(type);
  const ctrl = new AbortController();
  const onAbort = (): void => ctrl.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => ctrl.abort(new Silence()), silenceMs);
  };
  try {
    arm();
    const res = await client.executor.send({
      method: "GET",
      path: resourcePath(type, { namespace: options.namespace }),
      query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, resourceVersion: options.resourceVersion, resourceVersionMatch: options.resourceVersion ? options.resourceVersionMatch : undefined },
      verb: "list",
      resource,
      namespace: options.namespace,
      idempotent: true,
      stream: true,
      headerTimeoutMs: silenceMs,
      signal: ctrl.signal,
    });
    const body = res.body;
    if (!body) throw new ListBodyError("the list response has no body");
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        arm();
        yield chunk;
      }
    }
    try {
      yield* decodeListBody<T>(chunks(), pageSize);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      if (ctrl.signal.reason instanceof Silence) throw new KubeDevopsError("KUBE", `list ${resource}: the API server at ${client.transport.server} sent nothing for ${Math.round(silenceMs / 1000)} s in the middle of a full list`, { cause: err });
      if (err instanceof ListBodyError) throw new KubeDevopsError("KUBE", `list ${resource}: ${err.message} (API server at ${client.transport.server})`, { cause: err });
      throw describeTransportError(err, { server: client.transport.server, context: client.transport.contextName, sentClientCert: false });
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    if (!ctrl.signal.aborted) ctrl.abort();
  }
}
