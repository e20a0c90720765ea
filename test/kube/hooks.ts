/**
 * @module
 * The extension points of the emulator (emu-auth implements them): authentication,
 * authorization, validating admission and extra request handlers. The store's `subscribe`
 * (see api.ts) is the hook for simulated controllers.
 */
import type { KubeObject } from "./types.ts";

/** Who is calling (authenticationv1.UserInfo). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The verified client certificate of the TLS connection, if any. */
export interface ClientCertificate {
  commonName: string;
  organizations: string[];
  fingerprint256: string;
}

/** What an authenticator sees of a request. */
export interface AuthnRequest {
  method: string;
  url: URL;
  headers: Headers;
  /** Present when the client sent a certificate that chains to the emulator's CA. */
  clientCert?: ClientCertificate;
}

/** Returns the user, or null for "not authenticated" (401). May throw a StatusError. */
export type Authenticate = (req: AuthnRequest) => UserInfo | null | Promise<UserInfo | null>;

/** authorizer.Attributes as the RBAC authorizer receives them. */
export interface RequestAttributes {
  user: UserInfo;
  /** get list watch create update patch delete deletecollection (or impersonate, ...). */
  verb: string;
  isResourceRequest: boolean;
  /** The request path (for non-resource requests such as /version, /healthz). */
  path: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export interface Decision {
  allowed: boolean;
  /** Appended to the Forbidden message when denied. */
  reason?: string;
}

export type Authorize = (attrs: RequestAttributes) => Decision | Promise<Decision>;

/** admission.Attributes: what a validating admission plugin sees. */
export interface AdmissionAttributes {
  /** A fresh uid per admission request (AdmissionReview.request.uid). */
  uid: string;
  operation: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  user: UserInfo;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource: string;
  namespace: string;
  name: string;
  /** The object after defaulting (null on DELETE). */
  object: KubeObject | null;
  /** The stored object (UPDATE, DELETE). */
  oldObject: KubeObject | null;
  /** CreateOptions / UpdateOptions / DeleteOptions, as a real AdmissionReview carries them. */
  options: Record<string, unknown>;
  dryRun: boolean;
}

export interface AdmissionVerdict {
  allowed: boolean;
  /** The rejection (metav1.Status fields); code defaults to 403 as for webhooks. */
  status?: { code?: number; message?: string; reason?: string };
  /** Sent back as `Warning: 299 - "<text>"` headers. */
  warnings?: string[];
}

export type Admit = (attrs: AdmissionAttributes) => Promise<AdmissionVerdict>;

/** The request as the router resolved it, for extra handlers. */
export interface ResolvedRequest {
  method: string;
  url: URL;
  headers: Headers;
  user: UserInfo;
  attrs: RequestAttributes;
  /** The body text (empty for GET); protobuf bodies arrive decoded as JSON. */
  body: string;
}

/**
 * An extra handler: return a Response to answer the request yourself (e.g. TokenRequest,
 * SelfSubjectRulesReview), or undefined to let the emulator answer. Runs after authn/authz.
 */
export type Handle = (req: ResolvedRequest) => Response | undefined | Promise<Response | undefined>;

export interface Hooks {
  authenticate?: Authenticate;
  authorize?: Authorize;
  admit?: Admit;
  handle?: Handle;
}

/** The admin token of the generated kubeconfig's `admin` user. */
export const ADMIN_TOKEN = "emulator-admin-token";

/** Default authenticator: admin token → system:masters; other tokens → 401; client cert → CN/O; else anonymous. */
export function defaultAuthenticate(req: AuthnRequest): UserInfo | null {
  const auth = req.headers.get("authorization") ?? "";
  if (auth === `Bearer ${ADMIN_TOKEN}`) return { username: "admin", groups: ["system:masters", "system:authenticated"] };
  if (auth !== "") return null;
  if (req.clientCert) return { username: req.clientCert.commonName, groups: [...req.clientCert.organizations, "system:authenticated"] };
  return { username: "system:anonymous", groups: ["system:unauthenticated"] };
}
