/**
 * @module
 * The kubeconfig as loaded: clusters, users, contexts and the selected
 * context. Its getters are named like client-node's `KubeConfig` so callers
 * read the same, but it loads none of client-node's API client
 * (docs/decisions/0023). Credentials are resolved by credentials.ts.
 */
import type { Cluster, Context, KubeconfigData, KubeUser } from "./kubeconfig-file.ts";

export class LoadedKubeconfig {
  private readonly clusters: Cluster[];
  private readonly users: KubeUser[];
  private readonly contexts: Context[];
  private currentContext: string;

  constructor(data: KubeconfigData) {
    this.clusters = data.clusters;
    this.users = data.users;
    this.contexts = data.contexts;
    this.currentContext = data.currentContext ?? "";
  }

  getClusters(): readonly Cluster[] {
    return this.clusters;
  }

  getUsers(): readonly KubeUser[] {
    return this.users;
  }

  getContexts(): readonly Context[] {
    return this.contexts;
  }

  /** The selected context's name ("" when the kubeconfig sets none). */
  getCurrentContext(): string {
    return this.currentContext;
  }

  setCurrentContext(name: string): void {
    this.currentContext = name;
  }

  getContextObject(name: string): Context | undefined {
    return this.contexts.find((c) => c.name === name);
  }

  getCluster(name: string): Cluster | undefined {
    return this.clusters.find((c) => c.name === name);
  }

  getUser(name: string): KubeUser | undefined {
    return this.users.find((u) => u.name === name);
  }

  getCurrentCluster(): Cluster | undefined {
    const context = this.getContextObject(this.currentContext);
    return context ? this.getCluster(context.cluster) : undefined;
  }

  /** The current context's user; undefined when it names none (anonymous) or one that is not defined. */
  getCurrentUser(): KubeUser | undefined {
    const context = this.getContextObject(this.currentContext);
    return context?.user ? this.getUser(context.user) : undefined;
  }

  /** The data as loaded, for the auth-provider fallback that hands it to client-node. */
  toData(): KubeconfigData {
    return { clusters: this.clusters, users: this.users, contexts: this.contexts, currentContext: this.currentContext };
  }
}
