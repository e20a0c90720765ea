/**
 * @module
 * Authentication as the API server's union authenticator does it: client certificate
 * (CN → user, O → groups), static bearer tokens, ServiceAccount tokens (signed JWTs the
 * emulator mints, checked for signature, expiry and that the ServiceAccount still exists),
 * else anonymous. Adds system:authenticated like the AuthenticatedGroupAdder.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { serviceAccountGroups, serviceAccountUsername } from "./rbac-rules.ts";
import type { UserInfo } from "./request-attributes.ts";

export const ANONYMOUS: UserInfo = { username: "system:anonymous", groups: ["system:unauthenticated"] };

export interface AuthenticatorOptions {
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Looks a ServiceAccount up; a token for a missing (or re-created) account is rejected. */
  serviceAccountUid?: (namespace: string, name: string) => string | undefined;
  issuer?: string;
}

export interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
}

export type AuthResult = { user: UserInfo } | { unauthorized: true };

const b64url = (b: Buffer | string): string => Buffer.from(b).toString("base64url");

/** The identity a verified client certificate carries. */
export function userFromCertificateSubject(cn: string, organizations: string[]): UserInfo {
  return { username: cn, groups: [...organizations] };
}

/** Adds system:authenticated to a non-anonymous user (AuthenticatedGroupAdder). */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes("system:authenticated") || user.groups.includes("system:unauthenticated")) return user;
  return { ...user, groups: [...user.groups, "system:authenticated"] };
}

export function createAuthenticator(opts: AuthenticatorOptions) {
  const key = randomBytes(32);
  const tokens = new Map<string, UserInfo>();
  const issuer = opts.issuer ?? "https://kubernetes.default.svc.cluster.local";

  function sign(payload: Record<string, unknown>): string {
    const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT", kid: "kube-devops-emulator" }));
    const body = b64url(JSON.stringify(payload));
    const sig = createHmac("sha256", key).update(`${head}.${body}`).digest("base64url");
    return `${head}.${body}.${sig}`;
  }

  function verifyServiceAccountToken(token: string): UserInfo | undefined {
    const [head, body, sig] = token.split(".");
    if (!head || !body || !sig) return undefined;
    const expected = Buffer.from(createHmac("sha256", key).update(`${head}.${body}`).digest("base64url"));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    let claims: { exp?: number; nbf?: number; "kubernetes.io"?: { namespace?: string; serviceaccount?: { name?: string; uid?: string } } };
    try {
      claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    } catch {
      return undefined;
    }
    const nowSec = Math.floor(opts.now() / 1000);
    if (claims.exp !== undefined && nowSec >= claims.exp) return undefined;
    if (claims.nbf !== undefined && nowSec < claims.nbf) return undefined;
    const ns = claims["kubernetes.io"]?.namespace;
    const sa = claims["kubernetes.io"]?.serviceaccount;
    if (!ns || !sa?.name) return undefined;
    if (opts.serviceAccountUid) {
      const uid = opts.serviceAccountUid(ns, sa.name);
      if (uid === undefined || (sa.uid && sa.uid !== uid)) return undefined;
    }
    const user: UserInfo = { username: serviceAccountUsername(ns, sa.name), groups: [...serviceAccountGroups(ns), "system:authenticated"] };
    if (sa.uid) user.uid = sa.uid;
    return user;
  }

  return {
    /** Registers a static bearer token (the kubeconfig's admin token, test users). */
    addToken(token: string, user: UserInfo): void {
      tokens.set(token, user);
    },
    /**
     * Mints a ServiceAccount token like TokenRequest does (default 1h). Pass the
     * ServiceAccount's uid to bind the token to that object.
     */
    mintServiceAccountToken(namespace: string, name: string, spec: TokenRequestSpec = {}, uid?: string): { token: string; expirationTimestamp: string } {
      const iat = Math.floor(opts.now() / 1000);
      const exp = iat + (spec.expirationSeconds ?? 3600);
      const token = sign({
        aud: spec.audiences ?? [issuer],
        exp,
        iat,
        nbf: iat,
        iss: issuer,
        sub: serviceAccountUsername(namespace, name),
        "kubernetes.io": { namespace, serviceaccount: { name, ...(uid ? { uid } : {}) } },
      });
      return { token, expirationTimestamp: new Date(exp * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") };
    },
    /**
     * Authenticates from the Authorization header and an already-verified client
     * certificate identity. Any presented but invalid credential means 401 unless
     * another one succeeds; no credential at all means anonymous.
     */
    authenticate(headers: Headers, certificateUser?: UserInfo): AuthResult {
      if (certificateUser) return { user: withAuthenticatedGroup(certificateUser) };
      const auth = headers.get("authorization");
      if (!auth) return { user: ANONYMOUS };
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (!m?.[1]) return { unauthorized: true };
      const token = m[1];
      const fixed = tokens.get(token);
      if (fixed) return { user: withAuthenticatedGroup(fixed) };
      const sa = verifyServiceAccountToken(token);
      return sa ? { user: sa } : { unauthorized: true };
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
