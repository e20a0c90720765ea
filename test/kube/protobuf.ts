/**
 * @module
 * Decodes the protobuf request bodies kubectl's typed commands send (`create namespace|
 * configmap|secret|serviceaccount|role|rolebinding|clusterrole|clusterrolebinding|deployment|job|cronjob`,
 * `auth can-i`, `auth whoami`, `create token`): the `k8s\0` envelope (runtime.Unknown) and the
 * k8s.io/api generated.proto messages of those kinds, into the JSON objects the API serves.
 * Responses stay JSON, which kubectl accepts.
 */
import { unsupportedMediaType } from "./status.ts";

type Kind = "string" | "bytes" | "int" | "bool" | "time" | Schema | { map: "string" | "bytes" | "quantity" };
interface Field {
  name: string;
  type: Kind;
  repeated?: boolean;
}
type Schema = Record<number, Field>;

const f = (name: string, type: Kind, repeated = false): Field => ({ name, type, repeated });

const OWNER_REF: Schema = { 5: f("apiVersion", "string"), 1: f("kind", "string"), 3: f("name", "string"), 4: f("uid", "string"), 6: f("controller", "bool"), 7: f("blockOwnerDeletion", "bool") };
const OBJECT_META: Schema = {
  1: f("name", "string"),
  2: f("generateName", "string"),
  3: f("namespace", "string"),
  5: f("uid", "string"),
  6: f("resourceVersion", "string"),
  7: f("generation", "int"),
  8: f("creationTimestamp", "time"),
  11: f("labels", { map: "string" }),
  12: f("annotations", { map: "string" }),
  13: f("ownerReferences", OWNER_REF, true),
  14: f("finalizers", "string", true),
};
const LABEL_SELECTOR: Schema = {
  1: f("matchLabels", { map: "string" }),
  2: f("matchExpressions", { 1: f("key", "string"), 2: f("operator", "string"), 3: f("values", "string", true) }, true),
};
const POLICY_RULE: Schema = { 1: f("verbs", "string", true), 2: f("apiGroups", "string", true), 3: f("resources", "string", true), 4: f("resourceNames", "string", true), 5: f("nonResourceURLs", "string", true) };
const SUBJECT: Schema = { 1: f("kind", "string"), 2: f("apiGroup", "string"), 3: f("name", "string"), 4: f("namespace", "string") };
const ROLE_REF: Schema = { 1: f("apiGroup", "string"), 2: f("kind", "string"), 3: f("name", "string") };
const OBJECT_REFERENCE: Schema = { 1: f("kind", "string"), 2: f("namespace", "string"), 3: f("name", "string"), 4: f("uid", "string"), 5: f("apiVersion", "string"), 6: f("resourceVersion", "string"), 7: f("fieldPath", "string") };
const RESOURCE_ATTRIBUTES: Schema = { 1: f("namespace", "string"), 2: f("verb", "string"), 3: f("group", "string"), 4: f("version", "string"), 5: f("resource", "string"), 6: f("subresource", "string"), 7: f("name", "string") };

// The pod template fields `kubectl create deployment|job|cronjob` can send (image, --port, command, env, resources)
const QUANTITY: Schema = { 1: f("string", "string") };
const CONTAINER: Schema = {
  1: f("name", "string"),
  2: f("image", "string"),
  3: f("command", "string", true),
  4: f("args", "string", true),
  5: f("workingDir", "string"),
  6: f("ports", { 1: f("name", "string"), 2: f("hostPort", "int"), 3: f("containerPort", "int"), 4: f("protocol", "string"), 5: f("hostIP", "string") }, true),
  7: f("env", { 1: f("name", "string"), 2: f("value", "string") }, true),
  8: f("resources", { 1: f("limits", { map: "quantity" }), 2: f("requests", { map: "quantity" }) }),
  13: f("terminationMessagePath", "string"),
  14: f("imagePullPolicy", "string"),
  20: f("terminationMessagePolicy", "string"),
};
const POD_TEMPLATE: Schema = {
  1: f("metadata", OBJECT_META),
  2: f("spec", { 2: f("containers", CONTAINER, true), 3: f("restartPolicy", "string"), 4: f("terminationGracePeriodSeconds", "int"), 6: f("dnsPolicy", "string"), 8: f("serviceAccountName", "string"), 19: f("schedulerName", "string"), 20: f("initContainers", CONTAINER, true) }),
};
const JOB_SPEC: Schema = { 1: f("parallelism", "int"), 2: f("completions", "int"), 3: f("activeDeadlineSeconds", "int"), 4: f("selector", LABEL_SELECTOR), 5: f("manualSelector", "bool"), 6: f("template", POD_TEMPLATE), 7: f("backoffLimit", "int"), 8: f("ttlSecondsAfterFinished", "int"), 10: f("suspend", "bool") };

/** Messages by `apiVersion/kind`. */
const KINDS: Record<string, Schema> = {
  "v1/Namespace": { 1: f("metadata", OBJECT_META), 2: f("spec", { 1: f("finalizers", "string", true) }) },
  "v1/ConfigMap": { 1: f("metadata", OBJECT_META), 2: f("data", { map: "string" }), 3: f("binaryData", { map: "bytes" }), 4: f("immutable", "bool") },
  "v1/Secret": { 1: f("metadata", OBJECT_META), 2: f("data", { map: "bytes" }), 3: f("type", "string"), 4: f("stringData", { map: "string" }), 5: f("immutable", "bool") },
  "v1/ServiceAccount": { 1: f("metadata", OBJECT_META), 2: f("secrets", OBJECT_REFERENCE, true), 3: f("imagePullSecrets", { 1: f("name", "string") }, true), 4: f("automountServiceAccountToken", "bool") },
  "rbac.authorization.k8s.io/v1/Role": { 1: f("metadata", OBJECT_META), 2: f("rules", POLICY_RULE, true) },
  "rbac.authorization.k8s.io/v1/ClusterRole": { 1: f("metadata", OBJECT_META), 2: f("rules", POLICY_RULE, true), 3: f("aggregationRule", { 1: f("clusterRoleSelectors", LABEL_SELECTOR, true) }) },
  "rbac.authorization.k8s.io/v1/RoleBinding": { 1: f("metadata", OBJECT_META), 2: f("subjects", SUBJECT, true), 3: f("roleRef", ROLE_REF) },
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": { 1: f("metadata", OBJECT_META), 2: f("subjects", SUBJECT, true), 3: f("roleRef", ROLE_REF) },
  "authorization.k8s.io/v1/SelfSubjectAccessReview": { 1: f("metadata", OBJECT_META), 2: f("spec", { 1: f("resourceAttributes", RESOURCE_ATTRIBUTES), 2: f("nonResourceAttributes", { 1: f("path", "string"), 2: f("verb", "string") }) }) },
  "authorization.k8s.io/v1/SelfSubjectRulesReview": { 1: f("metadata", OBJECT_META), 2: f("spec", { 1: f("namespace", "string") }) },
  "authentication.k8s.io/v1/SelfSubjectReview": { 1: f("metadata", OBJECT_META) },
  "apps/v1/Deployment": {
    1: f("metadata", OBJECT_META),
    2: f("spec", { 1: f("replicas", "int"), 2: f("selector", LABEL_SELECTOR), 3: f("template", POD_TEMPLATE), 4: f("strategy", { 1: f("type", "string") }), 5: f("minReadySeconds", "int"), 6: f("revisionHistoryLimit", "int"), 7: f("paused", "bool"), 9: f("progressDeadlineSeconds", "int") }),
  },
  "batch/v1/Job": { 1: f("metadata", OBJECT_META), 2: f("spec", JOB_SPEC) },
  "batch/v1/CronJob": {
    1: f("metadata", OBJECT_META),
    2: f("spec", { 1: f("schedule", "string"), 2: f("startingDeadlineSeconds", "int"), 3: f("concurrencyPolicy", "string"), 4: f("suspend", "bool"), 5: f("jobTemplate", { 1: f("metadata", OBJECT_META), 2: f("spec", JOB_SPEC) }), 6: f("successfulJobsHistoryLimit", "int"), 7: f("failedJobsHistoryLimit", "int"), 8: f("timeZone", "string") }),
  },
  "authentication.k8s.io/v1/TokenRequest": { 1: f("metadata", OBJECT_META), 2: f("spec", { 1: f("audiences", "string", true), 4: f("expirationSeconds", "int"), 3: f("boundObjectRef", { 1: f("kind", "string"), 2: f("apiVersion", "string"), 3: f("name", "string"), 4: f("uid", "string") }) }) },
};

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error("truncated varint");
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(): Uint8Array {
    const len = Number(this.varint());
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const text = new TextDecoder();

function decodeMessage(buf: Uint8Array, schema: Schema): Record<string, unknown> {
  const r = new Reader(buf);
  const out: Record<string, unknown> = {};
  while (!r.done) {
    const key = Number(r.varint());
    const num = key >> 3;
    const wire = key & 7;
    const field = schema[num];
    if (!field) {
      r.skip(wire);
      continue;
    }
    let value: unknown;
    const t = field.type;
    if (t === "int") value = Number(BigInt.asIntN(64, r.varint()));
    else if (t === "bool") value = r.varint() !== 0n;
    else if (t === "string") value = text.decode(r.bytes());
    else if (t === "bytes") value = Buffer.from(r.bytes()).toString("base64");
    else if (t === "time") {
      const ts = decodeMessage(r.bytes(), { 1: f("seconds", "int"), 2: f("nanos", "int") });
      value = ts.seconds ? new Date(Number(ts.seconds) * 1000).toISOString().replace(/\.\d+Z$/, "Z") : null;
    } else if ("map" in t) {
      const entry = decodeMessage(r.bytes(), { 1: f("key", "string"), 2: f("value", t.map === "quantity" ? QUANTITY : t.map) });
      const m = (out[field.name] ??= {}) as Record<string, unknown>;
      m[String(entry.key ?? "")] = t.map === "quantity" ? ((entry.value as { string?: string } | undefined)?.string ?? "") : (entry.value ?? "");
      continue;
    } else value = decodeMessage(r.bytes(), t as Schema);
    if (field.repeated) ((out[field.name] ??= []) as unknown[]).push(value);
    // Go's JSON encoding omits zero values of optional scalars (omitempty)
    else if (value !== "" && value !== 0 && value !== false && value !== null) out[field.name] = value;
  }
  return out;
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** Decodes a `k8s\0`-enveloped protobuf object of a supported kind; 415 otherwise. */
export function decodeKubeProtobuf(body: Uint8Array): Record<string, unknown> {
  const supported = "application/json, application/yaml (protobuf only for namespaces, configmaps, secrets, serviceaccounts, RBAC, reviews, deployments, jobs and cronjobs)";
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b)) throw unsupportedMediaType(supported);
  let unknown: Record<string, unknown>;
  try {
    unknown = decodeMessage(body.subarray(4), { 1: f("typeMeta", { 1: f("apiVersion", "string"), 2: f("kind", "string") }), 2: f("raw", "bytes") });
  } catch {
    throw unsupportedMediaType(supported);
  }
  const tm = (unknown.typeMeta ?? {}) as { kind?: string; apiVersion?: string };
  const schema = KINDS[`${tm.apiVersion}/${tm.kind}`];
  if (!schema || typeof unknown.raw !== "string") throw unsupportedMediaType(supported);
  const obj = decodeMessage(Buffer.from(unknown.raw, "base64"), schema);
  return { apiVersion: tm.apiVersion, kind: tm.kind, metadata: {}, ...obj };
}
