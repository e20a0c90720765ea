/**
 * @module
 * The RBAC authorizer over the stored Roles/ClusterRoles/RoleBindings/ClusterRoleBindings,
 * with the real reasons ("RBAC: allowed by ClusterRoleBinding ...", missing-role errors)
 * and the privileged-group bypass (system:masters). Pure: the objects come from a source.
 */
import type { RequestAttributes, UserInfo } from "./request-attributes.ts";
import {
  aggregateClusterRoleRules,
  describeSubject,
  ruleAllows,
  subjectMatches,
  type Binding,
  type ClusterRole,
  type PolicyRule,
  type Role,
} from "./rbac-rules.ts";

/** Read access to the RBAC objects (the emulator implements it over its store). */
export interface RbacSource {
  clusterRoleBindings(): Binding[];
  roleBindings(namespace: string): Binding[];
  clusterRoles(): ClusterRole[];
  role(namespace: string, name: string): Role | undefined;
}

export interface Decision {
  allowed: boolean;
  /** Empty when RBAC has no opinion and no errors (the usual deny). */
  reason: string;
}

export const PRIVILEGED_GROUPS = ["system:masters"];

/** Builds one authorizer; `privilegedGroups` bypass RBAC like the real server's system:masters. */
export function createRbacAuthorizer(source: RbacSource, privilegedGroups: string[] = PRIVILEGED_GROUPS) {
  function clusterRoleRules(name: string): PolicyRule[] | undefined {
    const all = source.clusterRoles();
    const role = all.find((r) => r.metadata.name === name);
    return role ? aggregateClusterRoleRules(role, all) : undefined;
  }

  function bindingRules(binding: Binding): { rules: PolicyRule[]; error?: string } {
    const ref = binding.roleRef;
    if (ref.kind === "ClusterRole") {
      const rules = clusterRoleRules(ref.name);
      return rules ? { rules } : { rules: [], error: `clusterrole.rbac.authorization.k8s.io "${ref.name}" not found` };
    }
    if (ref.kind === "Role" && binding.metadata.namespace) {
      const role = source.role(binding.metadata.namespace, ref.name);
      return role ? { rules: role.rules ?? [] } : { rules: [], error: `role.rbac.authorization.k8s.io "${ref.name}" not found` };
    }
    return { rules: [], error: `unsupported role reference kind: "${ref.kind}"` };
  }

  /**
   * Visits every rule that applies to `user` in `namespace` (cluster bindings first,
   * then the namespace's RoleBindings), stopping when `visit` returns false.
   */
  function visitRules(user: UserInfo, namespace: string, visit: (source: string, rule: PolicyRule) => boolean): string[] {
    const errors: string[] = [];
    for (const b of source.clusterRoleBindings()) {
      const subject = (b.subjects ?? []).find((s) => subjectMatches(s, user, ""));
      if (!subject) continue;
      const { rules, error } = bindingRules(b);
      if (error) errors.push(error);
      const desc = `ClusterRoleBinding "${b.metadata.name}" of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubject(subject, "")}`;
      for (const r of rules) if (!visit(desc, r)) return errors;
    }
    if (namespace === "") return errors;
    for (const b of source.roleBindings(namespace)) {
      const subject = (b.subjects ?? []).find((s) => subjectMatches(s, user, namespace));
      if (!subject) continue;
      const { rules, error } = bindingRules(b);
      if (error) errors.push(error);
      const desc = `RoleBinding "${b.metadata.name}/${namespace}" of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubject(subject, namespace)}`;
      for (const r of rules) if (!visit(desc, r)) return errors;
    }
    return errors;
  }

  return {
    /** Allowed, or denied with the reason the real RBAC authorizer gives. */
    authorize(attrs: RequestAttributes): Decision {
      if (attrs.user.groups.some((g) => privilegedGroups.includes(g))) return { allowed: true, reason: "" };
      let reason = "";
      const errors = visitRules(attrs.user, attrs.namespace, (src, rule) => {
        if (!ruleAllows(attrs, rule)) return true;
        reason = `RBAC: allowed by ${src}`;
        return false;
      });
      if (reason) return { allowed: true, reason };
      return { allowed: false, reason: errors.length === 0 ? "" : `RBAC: ${aggregateErrors(errors)}` };
    },
    /** Every rule that applies to `user` in `namespace` (for SelfSubjectRulesReview). */
    rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[]; privileged: boolean } {
      if (user.groups.some((g) => privilegedGroups.includes(g))) {
        return { rules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }, { verbs: ["*"], nonResourceURLs: ["*"] }], errors: [], privileged: true };
      }
      const rules: PolicyRule[] = [];
      const errors = visitRules(user, namespace, (_src, rule) => {
        rules.push(rule);
        return true;
      });
      return { rules, errors, privileged: false };
    },
  };
}

export type RbacAuthorizer = ReturnType<typeof createRbacAuthorizer>;

/** utilerrors.NewAggregate's message: one error alone, several in brackets. */
function aggregateErrors(errors: string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? (unique[0] ?? "") : `[${unique.join(", ")}]`;
}
