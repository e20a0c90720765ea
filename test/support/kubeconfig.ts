/**
 * @module
 * Builds kubeconfig YAML for tests (one or several clusters, users and contexts).
 */
import { stringify } from "yaml";

export interface TestContext {
  name: string;
  server: string;
  caPem?: string;
  insecure?: boolean;
  user: { token?: string; certPem?: string; keyPem?: string; exec?: Record<string, unknown> };
  namespace?: string;
}

const b64 = (s: string): string => Buffer.from(s).toString("base64");

/** Renders a kubeconfig whose current context is the first one. */
export function renderKubeconfig(contexts: TestContext[]): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": contexts[0]?.name,
    clusters: contexts.map((c) => ({
      name: c.name,
      cluster: {
        server: c.server,
        ...(c.caPem ? { "certificate-authority-data": b64(c.caPem) } : {}),
        ...(c.insecure ? { "insecure-skip-tls-verify": true } : {}),
      },
    })),
    users: contexts.map((c) => ({
      name: c.name,
      user: {
        ...(c.user.token ? { token: c.user.token } : {}),
        ...(c.user.certPem ? { "client-certificate-data": b64(c.user.certPem) } : {}),
        ...(c.user.keyPem ? { "client-key-data": b64(c.user.keyPem) } : {}),
        ...(c.user.exec ? { exec: c.user.exec } : {}),
      },
    })),
    contexts: contexts.map((c) => ({
      name: c.name,
      context: { cluster: c.name, user: c.name, ...(c.namespace ? { namespace: c.namespace } : {}) },
    })),
  });
}

/** An unsigned JWT whose `exp` is a year away: client-node's OIDC auth-provider sends it without asking the issuer. */
export function unexpiredIdToken(subject: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part({ sub: subject, exp: Math.floor(Date.now() / 1000) + 86_400 * 365 })}.sig`;
}
