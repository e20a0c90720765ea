/**
 * @module
 * `check`'s permission results, one line per component ("4 of 9 denied: create,get secrets; …")
 * and one remedy that fits who ran it, instead of a hint per denied permission (decision 0037).
 */
import { COMPONENTS, type Component } from "../rbac/permissions.ts";
import { resourceLabel, type AccessResult, type CheckComponent } from "./access-review.ts";

export interface ComponentAccess {
  component: CheckComponent;
  checked: number;
  denied: number;
  /** `create,get secrets; update leases.coordination.k8s.io/kube-devops-watch`: verbs grouped by resource. */
  summary: string;
}

/** The results per component, in the order checked. */
export function summarizeAccess(results: readonly AccessResult[]): ComponentAccess[] {
  const order = [...new Set(results.map((r) => r.component))];
  return order.map((component) => {
    const mine = results.filter((r) => r.component === component);
    const byResource = new Map<string, string[]>();
    for (const r of mine.filter((r) => !r.allowed)) {
      const key = `${resourceLabel(r)}${r.name ? `/${r.name}` : ""}`;
      const verbs = byResource.get(key) ?? [];
      if (!verbs.includes(r.verb)) verbs.push(r.verb);
      byResource.set(key, verbs);
    }
    const summary = [...byResource].map(([resource, verbs]) => `${verbs.join(",")} ${resource}`).join("; ");
    return { component, checked: mine.length, denied: mine.filter((r) => !r.allowed).length, summary };
  });
}

/** The component whose ServiceAccount `username` is (`system:serviceaccount:<ns>:kube-devops-<c>`), if any. */
export function componentOfUser(username: string | undefined, namespace: string, componentName: (c: Component) => string): Component | undefined {
  const prefix = `system:serviceaccount:${namespace}:`;
  if (!username?.startsWith(prefix)) return undefined;
  const account = username.slice(prefix.length);
  return COMPONENTS.find((c) => componentName(c) === account);
}

/**
 * The one remedy for the components' denials. Run as a component's own ServiceAccount, its grant
 * is missing: generate-rbac is the fix. Run as anyone else (a person), the denials say what that
 * person may do, not what the components may: check as them or as an admin.
 */
export function denialHint(runAs: Component | undefined, denied: readonly CheckComponent[], namespace: string): string {
  const grant = `kube-devops deploy generate-rbac -n ${namespace} | kubectl apply -f -`;
  const others = denied.filter((c) => c !== runAs && c !== "cli");
  if (runAs && others.length === 0) return `this is ${runAs}'s ServiceAccount and it lacks its grant: ${grant}`;
  if (runAs) return `this is ${runAs}'s ServiceAccount, which ${others.join(" and ")} do not run as: check it with --component ${runAs}, the others with their own identity; ${grant} grants them all`;
  return `these are the permissions of the identity running check, not of the components: run check as the component's identity (--kubeconfig of its ServiceAccount) or as an admin; \`${grant}\` grants the components; --verbose lists every denial`;
}
