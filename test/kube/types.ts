/**
 * @module
 * Shared shapes of the emulator: stored objects and the description of a served resource type.
 */

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** Per-version schema information of a custom resource. */
export interface CrdVersionInfo {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: JsonSchema;
  printerColumns: PrinterColumn[];
  statusSubresource: boolean;
  scaleSubresource: boolean;
}

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** The structural-schema subset of JSON Schema that CRDs use. */
export interface JsonSchema {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  uniqueItems?: boolean;
  pattern?: string;
  nullable?: boolean;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  not?: JsonSchema;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: string;
  [key: string]: unknown;
}

/** A served resource type (built-in or from a CRD). */
export interface ResourceType {
  group: string;
  /** The version objects are stored and (for built-ins) served at. */
  version: string;
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  status: boolean;
  scale?: boolean;
  /** metadata.generation is maintained (bumped on spec changes). */
  generation: boolean;
  /** Create-only review resources (SelfSubjectAccessReview...): answered, never stored. */
  virtual?: boolean;
  /** Extra field selectors beyond metadata.name/metadata.namespace. */
  fieldSelectors: string[];
  /** Present for custom resources. */
  crd?: { name: string; versions: CrdVersionInfo[]; uid: string };
}

/** `pods`, `deployments.apps`: the key under which a resource type is stored. */
export function groupResource(t: { group: string; resource: string }): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}

export function apiVersionOf(t: { group: string; version: string }): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}
