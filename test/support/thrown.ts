/**
 * @module
 * The KubeDevopsError a call throws, for tests that assert on its code, message and hint.
 */
import { KubeDevopsError } from "../../lib/errors.ts";

/** What `fn` throws; fails the test when it returns, rethrows anything but a KubeDevopsError. */
export function thrown(fn: () => unknown): KubeDevopsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof KubeDevopsError) return err;
    throw err;
  }
  throw new Error("expected a KubeDevopsError");
}
