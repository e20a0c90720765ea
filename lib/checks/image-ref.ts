/**
 * @module
 * What tag an image reference resolves to. The reference flags only a literal
 * `:latest` suffix; the runtime pulls `latest` for an untagged image too, and a
 * digest pins the content whatever the tag says (docs/decisions/0002).
 */

export interface ImageRef {
  /** The tag as written, or undefined when the reference has none. */
  tag: string | undefined;
  /** True when the reference carries `@sha256:...` (or any `@digest`). */
  digest: boolean;
}

/** Splits an image reference into tag and digest presence; `registry:5000/app` has no tag. */
export function parseImageRef(image: string): ImageRef {
  const at = image.indexOf("@");
  const digest = at >= 0;
  const name = digest ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(":");
  const slash = name.lastIndexOf("/");
  const tag = colon > slash ? name.slice(colon + 1) : undefined;
  return { tag: tag === "" ? undefined : tag, digest };
}

/**
 * True when the container would run a floating `latest` image: an explicit
 * `:latest` tag or no tag at all, and no digest. A missing or empty image is
 * not flagged (the API server rejects it; there is nothing to pin).
 */
export function usesLatestTag(image: unknown): boolean {
  if (typeof image !== "string") return false;
  // Allocation-free: this runs for every container of every pod event.
  let end = image.length;
  while (end > 0 && image.charCodeAt(end - 1) <= 32) end--;
  let start = 0;
  while (start < end && image.charCodeAt(start) <= 32) start++;
  if (start === end || image.indexOf("@", start) >= 0) return false;
  const colon = image.lastIndexOf(":", end - 1);
  const slash = image.lastIndexOf("/", end - 1);
  if (colon < start || colon < slash || colon === end - 1) return true;
  return end - colon - 1 === 6 && image.startsWith("latest", colon + 1);
}
