/** Typed errors come from the Status reason and code, never from message text. */
import { describe, expect, test } from "bun:test";
import {
  AlreadyExistsError,
  ConflictError,
  ForbiddenError,
  GoneError,
  InvalidError,
  KubeApiError,
  NotFoundError,
  TimeoutError,
  TooManyRequestsError,
  UnauthorizedError,
  UnavailableError,
  parseStatus,
  toApiError,
  type KubeStatus,
} from "../../lib/kube/api-errors.ts";

const req = { verb: "patch", resource: "deployments.apps", namespace: "prod", name: "web", server: "https://127.0.0.1:6443", context: "kind" };
const status = (code: number, reason: string | undefined, extra: Partial<KubeStatus> = {}): KubeStatus => ({ kind: "Status", apiVersion: "v1", status: "Failure", code, ...(reason ? { reason } : {}), ...extra });

describe("toApiError", () => {
  test("409 is Conflict or AlreadyExists by reason", () => {
    expect(toApiError(409, status(409, "Conflict"), req)).toBeInstanceOf(ConflictError);
    expect(toApiError(409, status(409, "AlreadyExists"), req)).toBeInstanceOf(AlreadyExistsError);
  });
  test("the reason wins over misleading message text", () => {
    const err = toApiError(409, status(409, "Conflict", { message: "deployments.apps \"web\" not found" }), req);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).not.toBeInstanceOf(NotFoundError);
  });
  test("a 404 names what is missing: the object, the namespace the server names instead, or a resource type it does not serve", () => {
    const object = toApiError(404, status(404, "NotFound", { message: 'deployments.apps "web" not found', details: { name: "web", group: "apps", kind: "deployments" } }), req);
    expect(object.message).toBe('deployments.apps "web" in namespace "prod" not found');
    const create = { verb: "create", resource: "devopspolicies.devops.stochastic.io", namespace: "team-zz", name: "p", server: req.server };
    const namespace = toApiError(404, status(404, "NotFound", { message: 'namespaces "team-zz" not found', details: { name: "team-zz", kind: "namespaces" } }), create);
    expect(namespace.message).toBe('namespaces "team-zz" not found (create devopspolicies.devops.stochastic.io "p" in namespace "team-zz")');
    const crd = toApiError(404, status(404, "NotFound", { message: "the server could not find the requested resource", details: {} }), { verb: "list", resource: "devopspolicies.devops.stochastic.io", server: req.server });
    expect(crd.message).toBe(`devopspolicies.devops.stochastic.io not found: the API server at ${req.server} does not serve devopspolicies.devops.stochastic.io`);
    expect(crd.hint).toContain("kube-devops crd install");
    expect(toApiError(404, undefined, req).message).toBe('deployments.apps "web" in namespace "prod" not found');
  });

  test("each reason maps to its class", () => {
    const cases: [number, string, typeof KubeApiError][] = [
      [404, "NotFound", NotFoundError],
      [403, "Forbidden", ForbiddenError],
      [401, "Unauthorized", UnauthorizedError],
      [410, "Expired", GoneError],
      [410, "Gone", GoneError],
      [422, "Invalid", InvalidError],
      [503, "ServiceUnavailable", UnavailableError],
      [504, "Timeout", TimeoutError],
      [500, "ServerTimeout", TimeoutError],
      [429, "TooManyRequests", TooManyRequestsError],
    ];
    for (const [code, reason, cls] of cases) {
      const err = toApiError(code, status(code, reason), req);
      expect(err).toBeInstanceOf(cls);
      expect(err.code).toBe("KUBE");
      expect(err.httpStatus).toBe(code);
    }
  });
  test("without a Status body the HTTP code decides", () => {
    expect(toApiError(404, undefined, req)).toBeInstanceOf(NotFoundError);
    expect(toApiError(503, undefined, req)).toBeInstanceOf(UnavailableError);
    expect(toApiError(418, undefined, req).reason).toBe("Other");
  });
  test("Forbidden names the verb, the resource and the namespace, and hints at RBAC", () => {
    const err = toApiError(403, status(403, "Forbidden", { message: "deployments.apps \"web\" is forbidden: User \"bob\" cannot patch" }), req);
    expect(err.message).toContain('context "kind" may not patch deployments.apps "web" in namespace "prod"');
    expect(err.hint).toContain("kubectl auth can-i patch deployments.apps -n prod");
  });
  test("Unauthorized names the server", () => {
    expect(toApiError(401, status(401, "Unauthorized"), req).message).toContain("API server at https://127.0.0.1:6443 rejected the credentials");
  });
  test("Invalid lists the field causes", () => {
    const err = toApiError(
      422,
      status(422, "Invalid", { details: { kind: "Deployment", name: "web", causes: [{ field: "spec.replicas", message: "Invalid value: -1: must be >= 0", reason: "FieldValueInvalid" }, { field: "metadata.labels", message: "bad label" }] } }),
      req,
    );
    expect(err.message).toBe('Invalid Deployment "web": spec.replicas: Invalid value: -1: must be >= 0; metadata.labels: bad label');
    expect(err.causes.map((c) => c.field)).toEqual(["spec.replicas", "metadata.labels"]);
  });
  test("retryAfterSeconds from details is kept", () => {
    expect(toApiError(429, status(429, "TooManyRequests", { details: { retryAfterSeconds: 2 } }), req).retryAfterMs).toBe(2_000);
    expect(toApiError(429, status(429, "TooManyRequests", { details: { retryAfterSeconds: 2 } }), req, 5_000).retryAfterMs).toBe(5_000);
  });
});

test("parseStatus accepts only Status objects", () => {
  expect(parseStatus(JSON.stringify(status(404, "NotFound")))?.reason).toBe("NotFound");
  expect(parseStatus("<html>bad gateway</html>")).toBeUndefined();
  expect(parseStatus('{"kind":"Pod"}')).toBeUndefined();
});
