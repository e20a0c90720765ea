/**
 * @module
 * A webhook's `matchConditions` as the API server handles them, with real CEL (@marcbachmann/cel-js):
 * validation on write (ValidateValidatingWebhookConfiguration: at most 64, names qualified and
 * unique, each expression compiles in the admission environment and is typed bool, else 422), and
 * evaluation before a call (webhook/matchconditions/matcher.go: any false skips the webhook; errors
 * with none false follow the failurePolicy, Fail rejecting the request with 403 Forbidden).
 * The environment declares `object`/`oldObject` as dyn and `request` with AdmissionRequest's typed
 * fields; `authorizer` and `params` are not declared, so expressions using them are refused here
 * although a real API server accepts them.
 */
import { Environment } from "@marcbachmann/cel-js";
import type { FieldError } from "../status.ts";
import type { AdmissionAttributes, GroupVersionResource, ValidatingWebhook } from "./webhook-matching.ts";

export interface MatchCondition {
  name: string;
  expression: string;
}

const GVK = { group: "string", version: "string", kind: "string" };
const GVR = { group: "string", version: "string", resource: "string" };

/** The variables the API server declares for matchConditions (plugin/cel/compile.go), authorizer aside. */
const ENV = new Environment()
  .registerVariable("object", "dyn")
  .registerVariable("oldObject", "dyn")
  .registerVariable({
    name: "request",
    schema: {
      kind: GVK,
      resource: GVR,
      subResource: "string",
      requestKind: GVK,
      requestResource: GVR,
      requestSubResource: "string",
      name: "string",
      namespace: "string",
      operation: "string",
      userInfo: { username: "string", uid: "string", groups: "list<string>", extra: "map<string, list<string>>" },
      dryRun: "bool",
      options: "dyn",
    },
  });

/** Parsed expressions: the API server compiles each once, not per request. */
const programs = new Map<string, ReturnType<typeof ENV.parse>>();

function programOf(expression: string): ReturnType<typeof ENV.parse> {
  let program = programs.get(expression);
  if (!program) {
    program = ENV.parse(expression);
    programs.set(expression, program);
  }
  return program;
}

/** validation.ValidateQualifiedName: an optional DNS-subdomain prefix and a name of at most 63 characters. */
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function qualifiedNameProblem(name: string): string | undefined {
  const parts = name.split("/");
  const [prefix, local] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (parts.length > 2 || local === undefined) return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  if (local.length === 0) return "name part must be non-empty";
  if (local.length > 63) return "name part must be no more than 63 characters";
  if (!QUALIFIED_NAME.test(local)) return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  return undefined;
}

/** Why an expression is refused (compile.go's wording), or undefined when it compiles to bool. */
export function compileProblem(expression: string): string | undefined {
  const checked = ENV.check(expression);
  // the library's message goes on with a caret drawing: its first line is the error
  if (!checked.valid) return `compilation failed: ${(checked.error?.message ?? "invalid expression").split("\n")[0]}`;
  return checked.type === "bool" ? undefined : "must evaluate to bool";
}

/** Appends the field errors of one webhook's matchConditions (path: `webhooks[i].matchConditions`). */
export function validateMatchConditions(conditions: unknown, path: string, errors: FieldError[]): void {
  if (conditions === undefined || conditions === null) return;
  if (!Array.isArray(conditions)) {
    errors.push({ type: "FieldValueInvalid", field: path, detail: "must be a list", value: conditions, hasValue: true });
    return;
  }
  if (conditions.length > 64) errors.push({ type: "FieldValueTooMany", field: path, value: conditions.length, hasValue: true, detail: "must have at most 64 items" });
  const names = new Set<string>();
  conditions.forEach((raw, i) => {
    const c = (raw ?? {}) as Partial<MatchCondition>;
    const at = `${path}[${i}]`;
    const expression = typeof c.expression === "string" ? c.expression : "";
    if (expression.trim() === "") errors.push({ type: "FieldValueRequired", field: `${at}.expression`, detail: "" });
    else {
      const problem = compileProblem(expression);
      if (problem) errors.push({ type: "FieldValueInvalid", field: `${at}.expression`, value: expression, hasValue: true, detail: problem });
    }
    const name = typeof c.name === "string" ? c.name : "";
    if (name === "") errors.push({ type: "FieldValueRequired", field: `${at}.name`, detail: "" });
    else {
      const problem = qualifiedNameProblem(name);
      if (problem) errors.push({ type: "FieldValueInvalid", field: `${at}.name`, value: name, hasValue: true, detail: problem });
      if (names.has(name)) errors.push({ type: "FieldValueDuplicate", field: `${at}.name`, value: name, hasValue: true, detail: "" });
      names.add(name);
    }
  });
}

/** The field errors of a ValidatingWebhookConfiguration's matchConditions, every webhook's. */
export function webhookConfigurationErrors(obj: { webhooks?: unknown }): FieldError[] {
  const errors: FieldError[] = [];
  if (!Array.isArray(obj.webhooks)) return errors;
  obj.webhooks.forEach((hook, i) => validateMatchConditions((hook as { matchConditions?: unknown } | null)?.matchConditions, `webhooks[${i}].matchConditions`, errors));
  return errors;
}

/** JSON as Kubernetes hands it to CEL: whole numbers are int (BigInt here), the rest double. */
function toCel(value: unknown): unknown {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value;
}

/** The `request` variable: every typed field present (Go zero values), as the API server builds it. */
function requestOf(attrs: AdmissionAttributes, gvr: GroupVersionResource): Record<string, unknown> {
  return {
    kind: { group: gvr.group, version: gvr.version, kind: attrs.kind.kind },
    resource: gvr,
    subResource: attrs.subResource,
    requestKind: attrs.kind,
    requestResource: attrs.resource,
    requestSubResource: attrs.subResource,
    name: attrs.name,
    namespace: attrs.namespace,
    operation: attrs.operation,
    userInfo: { username: attrs.userInfo.username, uid: attrs.userInfo.uid ?? "", groups: attrs.userInfo.groups ?? [], extra: attrs.userInfo.extra ?? {} },
    dryRun: attrs.dryRun,
    options: toCel(attrs.options ?? null),
  };
}

export type MatchResult = { matches: true } | { matches: false; failedCondition?: string } | { matches: false; error: string };

/**
 * matcher.Match: undefined conditions match. Any condition false skips the webhook; evaluation
 * errors (none false) skip it under failurePolicy Ignore and are returned as `error` under Fail.
 */
export function evaluateMatchConditions(webhook: Pick<ValidatingWebhook, "failurePolicy"> & { matchConditions?: MatchCondition[] }, attrs: AdmissionAttributes, gvr: GroupVersionResource): MatchResult {
  const conditions = webhook.matchConditions ?? [];
  if (conditions.length === 0) return { matches: true };
  const context = {
    object: attrs.operation === "DELETE" ? null : toCel(attrs.object ?? null),
    oldObject: attrs.operation === "CREATE" ? null : toCel(attrs.oldObject ?? null),
    request: requestOf(attrs, gvr),
  };
  const errors: string[] = [];
  for (const c of conditions) {
    let result: unknown;
    try {
      result = programOf(c.expression)(context);
    } catch (err) {
      errors.push(`expression '${c.expression}' resulted in error: ${(err as Error).message.split("\n")[0]}`);
      continue;
    }
    if (result === false) return { matches: false, failedCondition: c.name };
    if (result !== true) errors.push(`expression '${c.expression}' resulted in error: no such overload`);
  }
  if (errors.length === 0) return { matches: true };
  if ((webhook.failurePolicy ?? "Fail") === "Ignore") return { matches: false };
  return { matches: false, error: errors.length === 1 ? (errors[0] ?? "") : `[${errors.join(", ")}]` };
}
