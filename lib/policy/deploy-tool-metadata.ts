/**
 * @module
 * Labels and annotations that GitOps and deploy tools stamp on the objects they apply. They say
 * who deployed a policy, not what it is: a policy kept in Git and synced by Argo CD, Flux or Helm
 * carries them in the cluster but not in its file, and `policy diff` must not call that drift
 * (a CI gate on it would fail forever), nor `policy export` write them into the file.
 */

interface ToolKey {
  key: string;
  /** Only this value is the tool's (Helm writes `managed-by: Helm`; another value is the author's). */
  value?: string;
}

/** Labels written by the tools, never by the policy's author. */
const TOOL_LABELS: readonly ToolKey[] = [
  // Argo CD's tracking label ("label" and "annotation+label" tracking methods): the Application's name.
  // https://argo-cd.readthedocs.io/en/stable/user-guide/resource_tracking/
  { key: "app.kubernetes.io/instance" },
  // The custom tracking label Argo CD's docs use as the example of `application.instanceLabelKey`.
  { key: "argocd.argoproj.io/instance" },
  // Flux kustomize-controller labels every object a Kustomization applies with the Kustomization's name
  // and namespace (its server-side-apply owner labels; https://fluxcd.io/flux/components/kustomize/).
  { key: "kustomize.toolkit.fluxcd.io/name" },
  { key: "kustomize.toolkit.fluxcd.io/namespace" },
  // Flux helm-controller's post-renderer labels every object of a HelmRelease (fluxcd/helm-controller#238).
  { key: "helm.toolkit.fluxcd.io/name" },
  { key: "helm.toolkit.fluxcd.io/namespace" },
  // Helm 3.2+ sets this on every object it installs and requires it to adopt an existing one
  // (helm/helm pkg/action/validate.go: setMetadataVisitor, checkOwnership).
  { key: "app.kubernetes.io/managed-by", value: "Helm" },
];

/** Annotations written by the tools, never by the policy's author. */
const TOOL_ANNOTATIONS: readonly ToolKey[] = [
  // Argo CD's tracking annotation ("annotation" tracking, the default in current docs, and "annotation+label").
  { key: "argocd.argoproj.io/tracking-id" },
  // Helm's release ownership, set beside the managed-by label above.
  { key: "meta.helm.sh/release-name" },
  { key: "meta.helm.sh/release-namespace" },
];

function isToolKey(list: readonly ToolKey[], key: string, value: string | undefined): boolean {
  return list.some((t) => t.key === key && (t.value === undefined || t.value === value));
}

/** Whether a label (with its value) is one a deploy tool stamps. */
export function isToolLabel(key: string, value: string | undefined): boolean {
  return isToolKey(TOOL_LABELS, key, value);
}

/** Whether an annotation (with its value) is one a deploy tool stamps. */
export function isToolAnnotation(key: string, value: string | undefined): boolean {
  return isToolKey(TOOL_ANNOTATIONS, key, value);
}

/**
 * The cluster's labels or annotations as a diff with `file` sees them: a tool key the file does not
 * set is left out (the tool wrote it); one the file sets is kept, so a differing value is drift.
 */
export function withoutToolKeys(
  cluster: Record<string, string> | undefined,
  file: Record<string, string> | undefined,
  isTool: (key: string, value: string | undefined) => boolean,
): Record<string, string> | undefined {
  if (!cluster) return undefined;
  return Object.fromEntries(Object.entries(cluster).filter(([k, v]) => file?.[k] !== undefined || !isTool(k, v)));
}
