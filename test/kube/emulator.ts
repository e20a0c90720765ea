/**
 * @module
 * Starts the in-memory Kubernetes API server for tests: HTTPS on 127.0.0.1 with a generated CA
 * (client certificates requested, not required), a kubeconfig for an admin token user and a
 * client-certificate user, the store (Api) for direct access, fault injection, stop/restart.
 */
import { writeFileSync } from "node:fs";
import { Api } from "./api.ts";
import { CRD_GR, registerCrdController } from "./crds.ts";
import { FaultRules, type FailureSpec, type RequestMatch } from "./faults.ts";
import { startControllers, type Controllers } from "./gc.ts";
import { ADMIN_TOKEN, type Hooks } from "./hooks.ts";
import { Registry } from "./registry.ts";
import { createHandler } from "./router.ts";
import { Storage } from "./storage.ts";
import { startHttpsServer, type HttpsServer } from "./https-server.ts";
import type { KubeObject } from "./types.ts";
import { WatchHub } from "./watch.ts";
import { installSecurity, loadBootstrapPolicy, type Security, type SecurityOptions } from "./install-security.ts";
import { createTestPki, type Pem, type TestPki } from "../support/certs.ts";
import { renderKubeconfig } from "../support/kubeconfig.ts";

export interface EmulatorOptions {
  /** Listening port (0 = ephemeral, the default). */
  port?: number;
  /** Authentication, authorization, admission and extra handlers (mutable later via `hooks`). */
  hooks?: Hooks;
  /** Watch history size in events; older resourceVersions answer 410 Expired. Default 10000. */
  historySize?: number;
  /** Interval of BOOKMARK events for watches that allow them. Default 60000 ms (as a real server, ~1/min). */
  bookmarkIntervalMs?: number;
  /** How a watch from a compacted resourceVersion fails: "event" (in-stream ERROR, real server default) or "http" (410). */
  expiredWatchAs?: "event" | "http";
  /** The clock for timestamps. */
  clock?: () => Date;
  /** Reuse a PKI (e.g. to keep the CA across emulators). */
  pki?: TestPki;
  /** Objects loaded before serving (status kept). */
  seed?: KubeObject[];
  /** Evaluate RBAC for non-admin users (system:masters bypasses). Default true. */
  rbac?: boolean;
  /** Run the simulated workload controllers (Deployment → ReplicaSet → Pods, ...). Default false. */
  controllers?: boolean;
  /** Maps ValidatingWebhookConfiguration `service` references to local addresses ("ns/name" → "127.0.0.1:port"). */
  webhookServices?: SecurityOptions["webhookServices"];
}

/** Who a kubeconfig authenticates as. */
export type KubeconfigUser = "admin" | "cert" | { token: string } | { certPem: string; keyPem: string } | { none: true };

export interface EmulatorFaults {
  /** Fails the next `count` requests matching `spec` with spec.status (default 500; 429/503 take retryAfterSeconds). */
  failNext(count: number, spec?: FailureSpec): void;
  /** Adds latency to matching requests until cleared. */
  addLatency(ms: number, match?: RequestMatch): void;
  /** Removes failure and latency rules. */
  clear(): void;
  readonly pendingFailures: number;
  /** Ends every open watch (abrupt: cut mid-stream instead of a clean end). Returns how many. */
  dropWatches(options?: { abrupt?: boolean }): number;
  /** Every open watch stays open but sends nothing more (no event, no bookmark): a stalled stream. Returns how many. */
  stallWatches(): number;
  /** Compacts watch history: any resourceVersion older than now gets 410 Expired. */
  compact(): void;
  /** The next `count` (default: all) list requests with a continue token get 410 Expired, as after a compaction. */
  expireContinueTokens(count?: number): void;
  /** Stops the HTTPS listener (open connections are cut); the store is kept. */
  stopListener(): Promise<void>;
  /** Starts the listener again on the same port. */
  startListener(): Promise<void>;
}

export interface Emulator {
  readonly url: string;
  readonly port: number;
  readonly caPem: string;
  readonly pki: TestPki;
  /** The admin bearer token. */
  readonly adminToken: string;
  /** The client certificate of the "cert" user (CN=cert-user, O=cert-group; cert-group is bound to cluster-admin). */
  readonly certUser: Pem;
  /** Kubeconfig YAML for a user (default admin); contexts "emulator" and "emulator-cert" included. */
  kubeconfigYaml(user?: KubeconfigUser): string;
  /** Writes the kubeconfig and returns the path. */
  writeKubeconfig(path: string, user?: KubeconfigUser): string;
  /** Direct access to the API semantics (create/update/patch/delete/get/list/subscribe/load). */
  readonly store: Api;
  readonly faults: EmulatorFaults;
  /** Hooks; assign fields to plug authn/authz/admission in after start. */
  readonly hooks: Hooks;
  /** Open watch streams. */
  readonly watchCount: number;
  /** A bearer token for an existing ServiceAccount (as TokenRequest issues it). */
  serviceAccountToken(namespace: string, name: string, spec?: { expirationSeconds?: number; audiences?: string[] }): string;
  /** Authentication, RBAC, admission and simulated controllers (test/kube/install-security.ts). */
  readonly security: Security;
  /** Waits until the garbage collector, namespace controller and simulated controllers are idle. */
  settle(): Promise<void>;
  /** Stops everything. */
  stop(): Promise<void>;
  /** Stops and restarts the listener on the same port (store kept, connections cut). */
  restart(): Promise<void>;
}

const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const pki = options.pki ?? (await createTestPki(["localhost", "127.0.0.1"]));
  const certUser = await pki.issue({ cn: "cert-user", o: ["cert-group"] });
  const clock = options.clock ?? (() => new Date());
  const storage = new Storage(options.historySize ?? 10_000);
  const registry = new Registry();
  const api = new Api(storage, registry, clock);
  const hooks: Hooks = { ...options.hooks };
  api.admitter = (attrs) => (hooks.admit ? hooks.admit(attrs) : Promise.resolve({ allowed: true }));
  registerCrdController(api);
  const controllers: Controllers = startControllers(api);
  for (const name of SYSTEM_NAMESPACES) api.load({ apiVersion: "v1", kind: "Namespace", metadata: { name } }, { quiet: true });
  loadBootstrapPolicy(api, ["cert-group"]);
  const security = installSecurity(api, hooks, {
    clock,
    caPem: pki.ca.cert,
    ...(options.rbac !== undefined ? { rbac: options.rbac } : {}),
    ...(options.controllers !== undefined ? { controllers: options.controllers } : {}),
    ...(options.webhookServices ? { webhookServices: options.webhookServices } : {}),
  });
  // With simulated controllers the seed is announced (not quiet), so they act on seeded workloads.
  for (const obj of options.seed ?? []) api.load(obj, { quiet: !options.controllers });
  const faultRules = new FaultRules();
  const hub = new WatchHub(api, { bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000, expiredAs: options.expiredWatchAs ?? "event" });
  // A deleted CRD's watches end (after the DELETED events of its objects), as on a real server.
  api.afterCommit.push((ev) => {
    if (ev.gr !== CRD_GR || ev.type !== "DELETED") return;
    const names = (ev.entry.obj.spec as { group?: string; names?: { plural?: string } } | undefined) ?? {};
    hub.dropResource(`${names.names?.plural}.${names.group}`);
  });

  let front: HttpsServer | undefined;
  const handler = createHandler({ api, hub, hooks, faults: faultRules, serverAddress: () => `127.0.0.1:${front?.port ?? 0}`, clock });
  front = await startHttpsServer({ port: options.port ?? 0, cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, handler });
  const port = front.port;
  const url = `https://127.0.0.1:${port}`;

  const kubeconfigYaml = (user: KubeconfigUser = "admin"): string => {
    const admin = { name: "emulator", server: url, caPem: pki.ca.cert, user: { token: ADMIN_TOKEN } };
    const cert = { name: "emulator-cert", server: url, caPem: pki.ca.cert, user: { certPem: certUser.cert, keyPem: certUser.key } };
    if (user === "admin") return renderKubeconfig([admin, cert]);
    if (user === "cert") return renderKubeconfig([cert, admin]);
    if ("none" in user) return renderKubeconfig([{ name: "emulator", server: url, caPem: pki.ca.cert, user: {} }]);
    return renderKubeconfig([{ name: "emulator", server: url, caPem: pki.ca.cert, user }]);
  };

  const faults: EmulatorFaults = {
    failNext: (count, spec) => faultRules.failNext(count, spec),
    addLatency: (ms, match) => faultRules.addLatency(ms, match),
    clear: () => faultRules.clear(),
    get pendingFailures() {
      return faultRules.pendingFailures;
    },
    dropWatches: (o) => hub.dropAll(o?.abrupt ?? false),
    stallWatches: () => hub.stallAll(),
    compact: () => storage.compact(),
    expireContinueTokens: (count) => faultRules.expireContinueTokens(count),
    stopListener: async () => {
      hub.dropAll(true);
      await front!.close();
    },
    startListener: () => front!.listen(),
  };

  return {
    url,
    port,
    caPem: pki.ca.cert,
    pki,
    adminToken: ADMIN_TOKEN,
    certUser,
    kubeconfigYaml,
    writeKubeconfig(path, user) {
      writeFileSync(path, kubeconfigYaml(user));
      return path;
    },
    store: api,
    faults,
    hooks,
    get watchCount() {
      return hub.count;
    },
    serviceAccountToken: (namespace, name, spec) => security.serviceAccountToken(namespace, name, spec),
    security,
    async settle() {
      // Controllers and GC feed each other (a deleted Deployment's ReplicaSets, their pods): settle both.
      for (let i = 0; i < 5; i++) {
        await controllers.idle();
        await security.settle();
      }
    },
    async stop() {
      security.stop();
      controllers.stop();
      hub.dropAll(false);
      await front!.close();
    },
    async restart() {
      await faults.stopListener();
      await faults.startListener();
    },
  };
}
