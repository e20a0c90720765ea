/**
 * Namespace and Service names are checked at the flag, as the API server would check them,
 * so a certificate or webhook configuration is never made for a name no Service can have.
 */
import { describe, expect, test } from "bun:test";
import { KubeDevopsError } from "../lib/errors.ts";
import { parseNamespaceFlag, parseObjectNameFlag, parseServiceNameFlag } from "../lib/resource-names.ts";

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KubeDevopsError);
    expect((err as KubeDevopsError).code).toBe("USAGE");
    return (err as Error).message;
  }
  throw new Error("expected a usage error");
}

describe("parseNamespaceFlag", () => {
  test("RFC 1123 labels pass unchanged, up to 63 characters", () => {
    for (const name of ["kube-devops", "ops", "0", "1ab", "a".repeat(63)]) expect(parseNamespaceFlag(name)).toBe(name);
  });

  test("empty, upper-case, spaces, dots, underscores, edge dashes and 64 characters are usage errors naming the flag and value", () => {
    for (const name of ["", "BAD NS", "Ops", "a.b", "Bad_NS", "-a", "a-", "a".repeat(64)]) {
      expect(usageMessage(() => parseNamespaceFlag(name))).toBe(`--namespace "${name}" is not a valid namespace name (lowercase letters, digits and '-', at most 63)`);
    }
  });
});

describe("parseServiceNameFlag", () => {
  test("RFC 1035 labels pass unchanged, up to 63 characters", () => {
    for (const name of ["kube-devops-webhook", "hook", "h2", "a".repeat(63)]) expect(parseServiceNameFlag(name)).toBe(name);
  });

  test("a Service name must start with a letter (the API server refuses 1hook), besides the label rules", () => {
    for (const name of ["", "1hook", "Hook", "my_hook", "my.hook", "hook-", "a b", "a".repeat(64)]) {
      expect(usageMessage(() => parseServiceNameFlag(name))).toContain(`--service-name "${name}" is not a valid Service name`);
    }
  });
});

describe("parseObjectNameFlag", () => {
  test("RFC 1123 subdomains pass, dots included, up to 253 characters", () => {
    for (const name of ["devops-policy", "team.v2", "0", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`]) expect(parseObjectNameFlag(name, "--policy-name")).toBe(name);
  });

  test("empty, upper-case, underscores, empty parts and 254 characters are usage errors naming the flag", () => {
    for (const name of ["", "Team", "a_b", "a..b", ".a", "a.", "a".repeat(254)]) {
      expect(usageMessage(() => parseObjectNameFlag(name, "--policy-name"))).toBe(`--policy-name "${name}" is not a valid object name (lowercase letters, digits, '-' and '.', at most 253)`);
    }
  });
});
