/**
 * @module
 * What `webhook cert-generate` does with a directory, the file-based twin of self-managed mode's
 * plan (lib/webhook/cert-plan.ts): a CA change takes two runs so that no API server ever meets a
 * serving certificate its caBundle does not trust. `--new-ca` *stages* the next CA (`ca-next.*`,
 * added to `ca-bundle.crt`, serving unchanged); `--promote-ca` switches to it (serving certificate
 * re-issued under it, the old CA kept as `ca-previous.crt` in the bundle while it is valid).
 */
import { KubeDevopsError } from "../errors.ts";

export type CertDirAction =
  /** No CA yet: make one and a serving certificate under it. */
  | "create-ca"
  /** Re-issue the serving certificate under the current CA (a staged CA stays staged). */
  | "renew"
  /** Make the next CA and publish it in the bundle; the serving pair and ca.crt stay. */
  | "stage-ca"
  /** Switch to the staged CA: the serving certificate is re-issued under it. */
  | "promote-ca"
  /** A new CA and serving certificate in one run: nothing trusted is kept waiting for it. */
  | "replace-ca";

export interface CertDirState {
  /** ca.crt: absent; a certificate valid now (the API server may trust it); or one that is not (expired, unreadable). */
  currentCa: "absent" | "valid" | "invalid";
  /** ca-next.crt and ca-next.key are there. */
  staged: boolean;
}

export interface CertDirFlags {
  newCa: boolean;
  promoteCa: boolean;
}

/** The action for `state` and the flags; throws an INPUT error for a combination that would lose a CA. */
export function planCertDir(state: CertDirState, flags: CertDirFlags, files: { caCert: string; nextCaCert: string }): CertDirAction {
  const refuse = (problem: string, hint: string) => new KubeDevopsError("INPUT", `${problem}; nothing was written`, { hint });
  if (flags.newCa && state.staged) {
    throw refuse(
      `--new-ca: a next CA is already staged in ${files.nextCaCert}${flags.promoteCa ? "" : " (and may be in the caBundle by now)"}`,
      flags.promoteCa ? "to switch to it pass --promote-ca alone" : `switch to it with --promote-ca; to stage another one instead, delete ${files.nextCaCert} and its key first`,
    );
  }
  if (flags.promoteCa && !flags.newCa) {
    if (!state.staged) throw refuse(`--promote-ca: no CA is staged (${files.nextCaCert} is missing)`, "stage one first with --new-ca, publish ca-bundle.crt (`webhook install-config`), then --promote-ca");
    return "promote-ca";
  }
  if (state.currentCa === "absent") {
    if (state.staged) throw refuse(`${files.nextCaCert} is staged but ${files.caCert} is missing`, "put ca.crt and ca.key back, or --promote-ca to switch to the staged CA");
    return "create-ca";
  }
  if (flags.promoteCa) return "replace-ca"; // --new-ca --promote-ca: asked for in one step
  // an expired or unreadable CA verifies nothing: there is no trust to keep while the next one is published
  if (flags.newCa) return state.currentCa === "valid" ? "stage-ca" : "replace-ca";
  return "renew";
}

/** The actions that replace the serving certificate's CA, and so the caBundle it needs. */
export function changesCa(action: CertDirAction): boolean {
  return action === "promote-ca" || action === "replace-ca";
}
