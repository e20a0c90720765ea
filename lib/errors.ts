/**
 * @module
 * The one error family of kube-devops. Commands and library code throw a
 * `KubeDevopsError` with a code; only the CLI root (lib/cli/run-cli.ts) turns it
 * into a message and an exit code, and only the HTTP servers' `onError` turn it
 * into a response.
 */

/** Stable, greppable error codes. The exit code follows from the code. */
export type ErrorCode =
  | "USAGE" // bad flags or arguments (exit 2)
  | "INPUT" // unreadable or invalid user input: files, manifests, policies (exit 1)
  | "CONFIG" // kubeconfig / in-cluster configuration problems (exit 1)
  | "KUBE" // the API server answered with an error (exit 1)
  | "UNREACHABLE" // the API server could not be reached (exit 1)
  | "TLS" // TLS handshake / verification failure (exit 1)
  | "STARTUP" // a server or loop that could not start (exit 1)
  | "INTERNAL" // a bug (exit 1)
  | "POLICY_VIOLATION" // a gate found violations: `--fail-on` at or above its severity, `enforce` ones it cannot fix (exit 3)
  | "SCORE_BELOW" // `--min-score` was not reached (exit 4)
  | "CHECK_FAILED" // a diagnostic found a problem (exit 1)
  | "OUTPUT"; // stdout could not be written: a full disk, a closed file (exit 1)

const EXIT_CODES: Record<ErrorCode, number> = {
  USAGE: 2,
  INPUT: 1,
  CONFIG: 1,
  KUBE: 1,
  UNREACHABLE: 1,
  TLS: 1,
  STARTUP: 1,
  INTERNAL: 1,
  POLICY_VIOLATION: 3,
  SCORE_BELOW: 4,
  CHECK_FAILED: 1,
  OUTPUT: 1,
};

export interface ErrorOptions {
  /** The underlying error, kept for `--log-level debug`. */
  cause?: unknown;
  /** A one-line suggestion printed under the message. */
  hint?: string;
}

/** The error every kube-devops module throws on purpose. */
export class KubeDevopsError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "KubeDevopsError";
    this.code = code;
    this.hint = options.hint;
  }

  /** The process exit code this error maps to. */
  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

/** Throws a USAGE error: a flag or argument the user must change. */
export function usageError(message: string, hint?: string): KubeDevopsError {
  return new KubeDevopsError("USAGE", message, hint === undefined ? {} : { hint });
}

/** Returns true when `err` is a KubeDevopsError with one of the given codes. */
export function isErrorCode(err: unknown, ...codes: ErrorCode[]): err is KubeDevopsError {
  return err instanceof KubeDevopsError && codes.includes(err.code);
}

/** The exit code for any thrown value: ours map by code, anything else is 1. */
export function exitCodeOf(err: unknown): number {
  return err instanceof KubeDevopsError ? err.exitCode : 1;
}
