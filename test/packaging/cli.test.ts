/**
 * `deploy` and `observability` on the compiled binary: YAML on stdout only, flags honoured,
 * bad flags are usage errors.
 */
import { describe, expect, test } from "bun:test";
import { parseAllDocuments } from "yaml";
import { runBinary } from "../support/binary.ts";

describe("compiled binary: manifest generators", () => {
  test("deploy generate-all prints parseable YAML in the chosen namespace, nothing on stderr", () => {
    const { code, stdout, stderr } = runBinary(["deploy", "generate-all", "--namespace", "ops", "--replicas", "3", "--create-namespace"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const objects = parseAllDocuments(stdout).map((d) => d.toJS() as { kind: string; metadata: { namespace?: string; name: string }; spec?: { replicas?: number } });
    expect(objects[0]).toMatchObject({ kind: "Namespace", metadata: { name: "ops" } });
    expect(objects.filter((o) => o.kind === "Deployment").map((o) => o.spec?.replicas)).toEqual([3, 3, 3]);
    expect(objects.filter((o) => o.metadata.namespace !== undefined && o.metadata.namespace !== "ops")).toEqual([]);
  });

  test("an invalid namespace is a usage error (exit 2) naming the flag", () => {
    const { code, stdout, stderr } = runBinary(["deploy", "generate-rbac", "--namespace", "Not_Valid"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("--namespace");
  });

  test("observability generate-dashboard --json prints the dashboard JSON", () => {
    const { code, stdout } = runBinary(["observability", "generate-dashboard", "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ uid: "kube-devops-overview", templating: { list: [{ name: "datasource" }] } });
  });
});
