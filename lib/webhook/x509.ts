/**
 * @module
 * Loads @peculiar/x509 after the reflect-metadata polyfill it needs. A static import
 * is not enough in the compiled binary: the bundler may evaluate x509's tsyringe
 * before the polyfill when both land in a shared chunk, so x509 is imported lazily.
 */
import "reflect-metadata";
import type * as X509 from "@peculiar/x509";

let loading: Promise<typeof X509> | undefined;

/** The @peculiar/x509 module, loaded once after the polyfill. */
export function loadX509(): Promise<typeof X509> {
  loading ??= import("@peculiar/x509");
  return loading;
}
