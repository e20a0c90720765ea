/**
 * @module
 * The tokens controller: fills a `kubernetes.io/service-account-token` Secret (annotation
 * `kubernetes.io/service-account.name`) with `token`, `ca.crt` and `namespace` once its
 * ServiceAccount exists, as kube-controller-manager does for long-lived tokens, so manifests that
 * ship such a Secret (the metrics reader's) hand out a working token here too.
 */
import { controllerUser, tryGet, type ControllerApi, type Obj } from "./controller-api.ts";

const SECRETS = "secrets";
const SERVICE_ACCOUNTS = "serviceaccounts";
const TOKEN_TYPE = "kubernetes.io/service-account-token";
const SA_NAME = "kubernetes.io/service-account.name";
const SA_UID = "kubernetes.io/service-account.uid";

type Secret = Obj & { type?: string; data?: Record<string, string> };

/** Mints the long-lived token of ServiceAccount namespace/name (uid-bound). */
export type MintToken = (namespace: string, name: string, uid: string) => string;

/** The Secret with its token filled, or undefined when it needs nothing (or its ServiceAccount is missing). */
export function fillTokenSecret(secret: Secret, serviceAccount: Obj | undefined, mint: MintToken, caPem: string): Secret | undefined {
  const name = secret.metadata.annotations?.[SA_NAME];
  if (secret.type !== TOKEN_TYPE || !name || secret.data?.token || !serviceAccount?.metadata.uid) return undefined;
  const namespace = secret.metadata.namespace ?? "";
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  return {
    ...secret,
    metadata: { ...secret.metadata, annotations: { ...secret.metadata.annotations, [SA_UID]: serviceAccount.metadata.uid } },
    data: { ...secret.data, token: b64(mint(namespace, name, serviceAccount.metadata.uid)), "ca.crt": b64(caPem), namespace: b64(namespace) },
  };
}

async function fillNamespace(api: ControllerApi, namespace: string | undefined, mint: MintToken, caPem: string): Promise<void> {
  for (const secret of api.list(SECRETS, namespace ? { namespace } : {}) as Secret[]) {
    const saName = secret.metadata.annotations?.[SA_NAME];
    if (!saName) continue;
    const filled = fillTokenSecret(secret, tryGet(api, SERVICE_ACCOUNTS, secret.metadata.namespace, saName), mint, caPem);
    if (filled) await api.update(SECRETS, filled, { namespace: secret.metadata.namespace, name: secret.metadata.name, user: controllerUser("tokens-controller") });
  }
}

/** Fills token Secrets as they or their ServiceAccounts appear; `idle` resolves when the last pass is done. */
export function startTokenController(api: ControllerApi, mint: MintToken, caPem: string, onError: (err: unknown) => void): { stop(): void; idle(): Promise<void> } {
  let pending: Promise<void> = Promise.resolve();
  const run = (namespace?: string) => {
    pending = pending.then(() => fillNamespace(api, namespace, mint, caPem)).catch(onError);
  };
  run();
  const stops = [
    api.subscribe((ev) => ev.type !== "DELETED" && run(ev.object.metadata.namespace), { resource: SECRETS }),
    api.subscribe((ev) => ev.type === "ADDED" && run(ev.object.metadata.namespace), { resource: SERVICE_ACCOUNTS }),
  ];
  return {
    stop: () => stops.forEach((s) => s()),
    async idle() {
      await new Promise((r) => setTimeout(r, 0));
      await pending;
    },
  };
}
