/**
 * @module
 * The simulated kube-controller-manager + scheduler + kubelet for workloads: subscribes to
 * store changes, queues the workloads they concern and reconciles them one at a time.
 * Only pods a workload controls are ever scheduled or given status; a bare pod keeps
 * exactly what clients write. A pod whose Secret volume is missing waits in ContainerCreating
 * until the Secret is created, as the kubelet's mount retries make it.
 */
import { controllerOf, controllerUser, tryGet, type Caller, type ControllerApi, type Obj } from "./controller-api.ts";
import { reconcileDeployment } from "./deployment-controller.ts";
import { containerCreatingPodStatus, pickNode, requiredSecrets, runningPodStatus, unschedulablePodStatus } from "./pod-lifecycle.ts";
import { reconcileReplicaSet } from "./replicaset-controller.ts";
import { reconcileDaemonSet, reconcileStatefulSet } from "./statefulset-controller.ts";

export interface ControllerContext {
  api: ControllerApi;
  now(): string;
  /** Creates the pod (through admission), binds it to a Node and reports it Running. */
  startPod(pod: Obj, controller: string, node?: Obj): Promise<{ pod: Obj } | { error: string }>;
  deletePod(pod: Obj, controller: string): Promise<void>;
  /** Deletes owned pods left unscheduled while no Node fit, once one does; returns the rest. */
  rescheduleStranded(pods: Obj[]): Promise<Obj[]>;
}

const RECONCILERS: Record<string, (ctx: ControllerContext, ns: string, name: string) => Promise<void>> = {
  "deployments.apps": reconcileDeployment,
  "replicasets.apps": reconcileReplicaSet,
  "statefulsets.apps": reconcileStatefulSet,
  "daemonsets.apps": reconcileDaemonSet,
};

const OWNER_KINDS: Record<string, string> = {
  Deployment: "deployments.apps",
  ReplicaSet: "replicasets.apps",
  StatefulSet: "statefulsets.apps",
  DaemonSet: "daemonsets.apps",
};

export interface WorkloadControllers {
  /** Resolves once every queued reconcile (and what it triggered) has run. */
  idle(): Promise<void>;
  /** Errors reconciles ran into (other than conflicts, which are retried). */
  readonly errors: string[];
  stop(): void;
}

export interface WorkloadControllerOptions {
  now?: () => Date;
}

function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "Z");
}

export function startWorkloadControllers(api: ControllerApi, opts: WorkloadControllerOptions = {}): WorkloadControllers {
  const clock = opts.now ?? (() => new Date());
  const queue = new Set<string>();
  const retries = new Map<string, number>();
  const errors: string[] = [];
  let running = false;
  let stopped = false;
  let waiters: (() => void)[] = [];
  let nodeCounter = 0;
  let ipCounter = 0;

  const kubelet = (node: Obj): Caller => ({ username: `system:node:${node.metadata.name}`, groups: ["system:nodes", "system:authenticated"] });

  const ctx: ControllerContext = {
    api,
    now: () => formatTime(clock()),
    async startPod(pod, controller, fixedNode) {
      const nodes = api.list("nodes");
      const index = nodeCounter++;
      const node = fixedNode ?? pickNode(nodes, (pod.spec ?? {}) as Record<string, unknown>, index);
      if (node) (pod.spec as Record<string, unknown>).nodeName = node.metadata.name;
      let created: Obj;
      try {
        created = await api.create("pods", pod, { namespace: pod.metadata.namespace, user: controllerUser(controller) });
      } catch (err) {
        return { error: (err as Error).message };
      }
      const ip = ++ipCounter;
      // the kubelet mounts Secret volumes before it starts a container (FailedMount while one is missing)
      const unmountable = node !== undefined && requiredSecrets(created).some((name) => !tryGet(api, "secrets", created.metadata.namespace, name));
      const status = !node
        ? unschedulablePodStatus(created, nodes.length, ctx.now())
        : unmountable
          ? containerCreatingPodStatus(created, node, nodes.indexOf(node), ctx.now())
          : runningPodStatus(created, node, nodes.indexOf(node), `10.244.${(ip >> 8) & 255}.${ip & 255}`, ctx.now());
      const user = node ? kubelet(node) : controllerUser("scheduler");
      const updated = await api.update("pods", { ...created, status }, { namespace: created.metadata.namespace, name: created.metadata.name, subresource: "status", user });
      return { pod: updated };
    },
    async deletePod(pod, controller) {
      try {
        await api.delete("pods", pod.metadata.namespace, pod.metadata.name ?? "", { user: controllerUser(controller) });
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err;
      }
    },
    async rescheduleStranded(pods) {
      const stranded = pods.filter((p) => !(p.spec as Record<string, unknown> | undefined)?.nodeName);
      if (stranded.length === 0) return pods;
      const nodes = api.list("nodes");
      const movable = stranded.filter((p) => pickNode(nodes, (p.spec ?? {}) as Record<string, unknown>, 0));
      for (const p of movable) await ctx.deletePod(p, "scheduler");
      return pods.filter((p) => !movable.includes(p));
    },
  };

  /** The kubelet retries a Secret volume's mount: once `secret` exists, pods that waited only for it start. */
  async function mountSecret(namespace: string, secret: string): Promise<void> {
    const nodes = api.list("nodes");
    for (const pod of api.list("pods", { namespace })) {
      const node = nodes.find((n) => n.metadata.name === (pod.spec as { nodeName?: string } | undefined)?.nodeName);
      const required = requiredSecrets(pod);
      if (!node || (pod.status as { phase?: string } | undefined)?.phase !== "Pending" || !required.includes(secret)) continue;
      if (required.some((name) => !tryGet(api, "secrets", namespace, name))) continue;
      const ip = ++ipCounter;
      const status = runningPodStatus(pod, node, nodes.indexOf(node), `10.244.${(ip >> 8) & 255}.${ip & 255}`, ctx.now());
      await api.update("pods", { ...pod, status }, { namespace, name: pod.metadata.name, subresource: "status", user: kubelet(node) });
    }
  }

  function enqueue(gr: string, ns: string | undefined, name: string | undefined): void {
    if (!name || stopped) return;
    queue.add(`${gr}|${ns ?? ""}|${name}`);
    if (!running) void drain();
  }

  function enqueueAll(): void {
    for (const gr of ["replicasets.apps", "statefulsets.apps", "daemonsets.apps"]) {
      for (const o of api.list(gr)) enqueue(gr, o.metadata.namespace, o.metadata.name);
    }
  }

  async function drain(): Promise<void> {
    running = true;
    while (queue.size > 0 && !stopped) {
      const key = queue.values().next().value as string;
      queue.delete(key);
      const [gr, ns, name] = key.split("|") as [string, string, string];
      try {
        if (gr === "secrets") await mountSecret(ns, name);
        else await RECONCILERS[gr]?.(ctx, ns, name);
        retries.delete(key);
      } catch (err) {
        const code = (err as { code?: number }).code;
        const n = (retries.get(key) ?? 0) + 1;
        retries.set(key, n);
        if ((code === 409 || code === 404) && n < 10) queue.add(key);
        else errors.push(`${key}: ${(err as Error).message}`);
      }
      // Let the store deliver the events this reconcile caused before the next one.
      await new Promise((r) => setTimeout(r, 0));
    }
    running = false;
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  }

  const unsubscribe = api.subscribe((ev) => {
    const o = ev.object;
    if (RECONCILERS[ev.resource]) enqueue(ev.resource, o.metadata.namespace, o.metadata.name);
    if (ev.resource === "secrets" && ev.type === "ADDED") enqueue("secrets", o.metadata.namespace, o.metadata.name);
    if (ev.resource === "nodes") enqueueAll();
    const owner = controllerOf(o);
    const ownerGr = owner ? OWNER_KINDS[owner.kind] : undefined;
    if (owner && ownerGr) enqueue(ownerGr, o.metadata.namespace, owner.name);
  });

  enqueueAll();
  for (const d of api.list("deployments.apps")) enqueue("deployments.apps", d.metadata.namespace, d.metadata.name);

  return {
    errors,
    idle: async () => {
      // Events are delivered in microtasks/timers after a write: give them a turn first.
      for (;;) {
        await new Promise((r) => setTimeout(r, 0));
        if (!running && queue.size === 0) return;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    stop() {
      stopped = true;
      unsubscribe();
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    },
  };
}
